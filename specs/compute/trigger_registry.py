"""Model of contracts/compute/TriggerRegistry.sol: agents' cron, webhook and event triggers, executed
by the agent or an appointed executor, with prepaid sponsorship paid as a fixed fee per execution
(specs/compute/PROTOCOL.md section 8).

Execution makes no external call (R-8.1). Cron config is abi.encode(uint256 interval) with
60 s <= interval <= 365 days; due at createdAt + interval, then lastExecuted + interval, missed slots
not caught up (R-8.4). Any trigger runs at most once per timestamp (R-8.5). An appointed executor that
is not the agent is paid EXECUTION_FEE from sponsorship when it covers the fee (R-8.6); deactivation
moves the rest to the agent's withdrawable balance (R-8.7); balances are pulled (R-8.8).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.common import (
    InvalidLength, NothingToWithdraw, Ownable2Step, ReentrancyGuard, ZeroAddress, ZeroAmount,
)
from specs.kernel import (
    U256, Address, Bool, DynBytes, Enum, Event, Mapping, Msg, Revert, SolidityError, Struct, StructRef,
    ZERO_ADDRESS, external, payable, storage, view,
)

MAX_CONFIG_LENGTH = U256(1024)
MAX_INPUT_LENGTH = U256(1024)
MIN_CRON_INTERVAL = U256(60)
MAX_CRON_INTERVAL = U256(365 * 86400)
EXECUTION_FEE = U256(5 * 10**14)


class TriggerType(Enum):
    MEMBERS = ("Cron", "Webhook", "Event")


class Trigger(Struct):
    """ITriggerRegistry.Trigger, as stored."""

    agent: Address
    triggerType: TriggerType
    config: DynBytes
    active: Bool


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvalidConfig(SolidityError):
    pass


@dataclass(frozen=True)
class UnknownTrigger(SolidityError):
    triggerId: U256


@dataclass(frozen=True)
class TriggerInactive(SolidityError):
    triggerId: U256


@dataclass(frozen=True)
class NotAgent(SolidityError):
    caller: Address


@dataclass(frozen=True)
class NotAuthorizedExecutor(SolidityError):
    caller: Address


@dataclass(frozen=True)
class NotDue(SolidityError):
    nextDueAt: U256


# -- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TriggerCreated(Event):
    triggerId: U256
    agent: Address
    triggerType: TriggerType
    config: DynBytes


@dataclass(frozen=True)
class TriggerFunded(Event):
    triggerId: U256
    funder: Address
    amount: U256
    sponsorship: U256


@dataclass(frozen=True)
class TriggerExecuted(Event):
    triggerId: U256
    executor: Address
    executionCount: U256
    fee: U256
    input: DynBytes


@dataclass(frozen=True)
class TriggerDeactivated(Event):
    triggerId: U256
    refund: U256


@dataclass(frozen=True)
class ExecutorSet(Event):
    executor: Address
    enabled: Bool


@dataclass(frozen=True)
class Withdrawn(Event):
    account: Address
    amount: U256


@dataclass
class TriggerRegistry(Ownable2Step, ReentrancyGuard):
    triggers: Mapping = storage(lambda: Mapping(U256, Trigger))
    triggerCount: U256 = storage(lambda: U256(0))
    createdAtOf: Mapping = storage(lambda: Mapping(U256, U256))
    cronIntervalOf: Mapping = storage(lambda: Mapping(U256, U256))
    lastExecutedOf: Mapping = storage(lambda: Mapping(U256, U256))
    executionCountOf: Mapping = storage(lambda: Mapping(U256, U256))
    sponsorshipOf: Mapping = storage(lambda: Mapping(U256, U256, summed=True))
    withdrawable: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    isExecutor: Mapping = storage(lambda: Mapping(Address, Bool))

    @classmethod
    def construct(cls, owner: Address) -> "TriggerRegistry":
        c = cls()
        c._init_owner(owner)
        return c

    @external
    def setExecutor(self, msg: Msg, executor: Address, enabled: Bool) -> None:
        self._checkOwner(msg)
        if executor == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        self.isExecutor[executor] = enabled
        self.emit(ExecutorSet(executor, enabled))

    @external
    def createTrigger(self, msg: Msg, triggerType: TriggerType, config: DynBytes) -> U256:
        length = config.length()
        if length == 0 or length > MAX_CONFIG_LENGTH:
            raise Revert(InvalidLength(length, U256(1), MAX_CONFIG_LENGTH))
        interval = U256(0)
        if triggerType == TriggerType.Cron:
            if length != 32:
                raise Revert(InvalidConfig())
            interval = config.decode_uint256()
            if interval < MIN_CRON_INTERVAL or interval > MAX_CRON_INTERVAL:
                raise Revert(InvalidConfig())
        triggerId = self.triggerCount + 1
        self.triggerCount = triggerId
        self.triggers[triggerId] = Trigger(agent=msg.sender, triggerType=triggerType, config=config, active=Bool(True))
        self.createdAtOf[triggerId] = U256(self.world.block.timestamp)
        self.cronIntervalOf[triggerId] = interval
        self.emit(TriggerCreated(triggerId, msg.sender, triggerType, config))
        return triggerId

    @payable
    def fundTrigger(self, msg: Msg, triggerId: U256) -> None:
        t = self._trigger(triggerId)
        if not t.active:
            raise Revert(TriggerInactive(triggerId))
        if msg.value == 0:
            raise Revert(ZeroAmount())
        sponsorship = self.sponsorshipOf[triggerId] + msg.value
        self.sponsorshipOf[triggerId] = sponsorship
        self.emit(TriggerFunded(triggerId, msg.sender, msg.value, sponsorship))

    @external
    def executeTrigger(self, msg: Msg, triggerId: U256, input: DynBytes) -> None:
        t = self._trigger(triggerId)
        if not t.active:
            raise Revert(TriggerInactive(triggerId))
        isAgent = msg.sender == t.agent
        if not isAgent and not self.isExecutor[msg.sender]:
            raise Revert(NotAuthorizedExecutor(msg.sender))
        if input.length() > MAX_INPUT_LENGTH:
            raise Revert(InvalidLength(input.length(), U256(0), MAX_INPUT_LENGTH))
        due = self._nextDueAt(triggerId)
        now = U256(self.world.block.timestamp)
        if now < due:
            raise Revert(NotDue(due))
        count = self.executionCountOf[triggerId] + 1
        self.executionCountOf[triggerId] = count
        self.lastExecutedOf[triggerId] = now
        fee = U256(0)
        if not isAgent and self.sponsorshipOf[triggerId] >= EXECUTION_FEE:
            fee = EXECUTION_FEE
            self.sponsorshipOf[triggerId] = self.sponsorshipOf[triggerId] - fee
            self.withdrawable[msg.sender] = self.withdrawable[msg.sender] + fee
        self.emit(TriggerExecuted(triggerId, msg.sender, count, fee, input))

    @external
    def deactivateTrigger(self, msg: Msg, triggerId: U256) -> None:
        t = self._trigger(triggerId)
        if msg.sender != t.agent:
            raise Revert(NotAgent(msg.sender))
        if not t.active:
            raise Revert(TriggerInactive(triggerId))
        t.active = Bool(False)
        refund = self.sponsorshipOf[triggerId]
        self.sponsorshipOf[triggerId] = U256(0)
        self.withdrawable[msg.sender] = self.withdrawable[msg.sender] + refund
        self.emit(TriggerDeactivated(triggerId, refund))

    @external
    def withdraw(self, msg: Msg) -> None:
        self._enter()
        amount = self.withdrawable[msg.sender]
        if amount == 0:
            raise Revert(NothingToWithdraw(msg.sender))
        self.withdrawable[msg.sender] = U256(0)
        self.emit(Withdrawn(msg.sender, amount))
        self._sendValue(msg.sender, amount)
        self._exit()

    @view
    def getTrigger(self, msg: Msg, triggerId: U256) -> tuple:
        return self._trigger(triggerId).as_tuple()

    @view
    def nextDueAt(self, msg: Msg, triggerId: U256) -> U256:
        return self._nextDueAt(triggerId)

    def _nextDueAt(self, triggerId: U256) -> U256:
        t = self._trigger(triggerId)
        never = self.executionCountOf[triggerId] == 0
        if t.triggerType == TriggerType.Cron:
            return (self.createdAtOf[triggerId] if never else self.lastExecutedOf[triggerId]) + self.cronIntervalOf[triggerId]
        return self.createdAtOf[triggerId] if never else self.lastExecutedOf[triggerId] + 1

    def _trigger(self, triggerId: U256) -> StructRef:
        if triggerId == 0 or triggerId > self.triggerCount:
            raise Revert(UnknownTrigger(triggerId))
        return self.triggers[triggerId]
