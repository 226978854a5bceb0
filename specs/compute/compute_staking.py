"""Model of contracts/compute/ComputeStaking.sol: ETH stakes per (account, role) for users, providers
and guardians (specs/compute/PROTOCOL.md section 7).

Minimums: user 0.01, provider 0.1, guardian 1.0 ETH; after stake, stakeFor and requestUnstake an
active stake is 0 or at least the minimum. Unstaking moves the amount to pending at once and it is
withdrawn UNSTAKE_DELAY later; a second request restarts the delay. Guardians (appointed and holding
a guardian stake of at least 1 ETH) slash users and providers, the owner slashes guardians; a slash
takes min(amount, stake + pending), active stake first, into the treasury balance, which anyone
sweeps to the immutable treasury.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.common import (
    InvalidLength, Ownable2Step, ReentrancyGuard, ZeroAddress, ZeroAmount,
)
from specs.kernel import (
    U256, Address, Bool, Enum, Event, Mapping, Msg, Revert, SolidityError, String, ZERO_ADDRESS, external,
    immutable, payable, storage, view,
)

ETHER = 10**18
MIN_USER_STAKE = U256(ETHER // 100)
MIN_PROVIDER_STAKE = U256(ETHER // 10)
MIN_GUARDIAN_STAKE = U256(ETHER)
UNSTAKE_DELAY = U256(7 * 86400)
MAX_REASON_LENGTH = 256


class StakeRole(Enum):
    MEMBERS = ("User", "Provider", "Guardian")


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BelowMinStake(SolidityError):
    resulting: U256
    minimum: U256


@dataclass(frozen=True)
class InsufficientStake(SolidityError):
    available: U256
    requested: U256


@dataclass(frozen=True)
class NothingPending(SolidityError):
    account: Address
    role: StakeRole


@dataclass(frozen=True)
class UnstakeLocked(SolidityError):
    unlockAt: U256


@dataclass(frozen=True)
class NotGuardian(SolidityError):
    caller: Address


@dataclass(frozen=True)
class SelfSlash(SolidityError):
    account: Address


@dataclass(frozen=True)
class NothingToSlash(SolidityError):
    account: Address
    role: StakeRole


# -- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Staked(Event):
    account: Address
    role: StakeRole
    payer: Address
    amount: U256
    newStake: U256


@dataclass(frozen=True)
class UnstakeRequested(Event):
    account: Address
    role: StakeRole
    amount: U256
    pendingAmount: U256
    unlockAt: U256


@dataclass(frozen=True)
class Unstaked(Event):
    account: Address
    role: StakeRole
    amount: U256


@dataclass(frozen=True)
class Slashed(Event):
    account: Address
    role: StakeRole
    amount: U256
    slasher: Address
    reason: String


@dataclass(frozen=True)
class GuardianSet(Event):
    account: Address
    enabled: Bool


@dataclass(frozen=True)
class TreasurySwept(Event):
    treasury: Address
    amount: U256


def minimum_stake(role: StakeRole) -> U256:
    if role == StakeRole.User:
        return MIN_USER_STAKE
    if role == StakeRole.Provider:
        return MIN_PROVIDER_STAKE
    return MIN_GUARDIAN_STAKE


@dataclass
class ComputeStaking(Ownable2Step, ReentrancyGuard):
    stakes: Mapping = storage(lambda: Mapping(Address, Mapping(StakeRole, U256), summed=True))
    pending: Mapping = storage(lambda: Mapping(Address, Mapping(StakeRole, U256), summed=True))
    unlockTimes: Mapping = storage(lambda: Mapping(Address, Mapping(StakeRole, U256)))
    isGuardian: Mapping = storage(lambda: Mapping(Address, Bool))
    treasuryBalance: U256 = storage(lambda: U256(0))
    treasury: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, owner: Address, treasury: Address) -> "ComputeStaking":
        c = cls()
        c._init_owner(owner)
        if treasury == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        c.treasury = treasury
        return c

    @external
    def setGuardian(self, msg: Msg, account: Address, enabled: Bool) -> None:
        self._checkOwner(msg)
        if account == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        self.isGuardian[account] = enabled
        self.emit(GuardianSet(account, enabled))

    @payable
    def stake(self, msg: Msg, role: StakeRole) -> None:
        self._stake(msg, msg.sender, role)

    @payable
    def stakeFor(self, msg: Msg, account: Address, role: StakeRole) -> None:
        if account == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        self._stake(msg, account, role)

    def _stake(self, msg: Msg, account: Address, role: StakeRole) -> None:
        if msg.value == 0:
            raise Revert(ZeroAmount())
        newStake = self.stakes[account][role] + msg.value
        minimum = minimum_stake(role)
        if newStake < minimum:
            raise Revert(BelowMinStake(newStake, minimum))
        self.stakes[account][role] = newStake
        self.emit(Staked(account, role, msg.sender, msg.value, newStake))

    @external
    def requestUnstake(self, msg: Msg, role: StakeRole, amount: U256) -> None:
        if amount == 0:
            raise Revert(ZeroAmount())
        current = self.stakes[msg.sender][role]
        if amount > current:
            raise Revert(InsufficientStake(current, amount))
        remaining = current - amount
        minimum = minimum_stake(role)
        if remaining != 0 and remaining < minimum:
            raise Revert(BelowMinStake(remaining, minimum))
        self.stakes[msg.sender][role] = remaining
        newPending = self.pending[msg.sender][role] + amount
        self.pending[msg.sender][role] = newPending
        unlock = U256(self.world.block.timestamp) + UNSTAKE_DELAY
        self.unlockTimes[msg.sender][role] = unlock
        self.emit(UnstakeRequested(msg.sender, role, amount, newPending, unlock))

    @external
    def withdrawUnstaked(self, msg: Msg, role: StakeRole) -> None:
        self._enter()
        amount = self.pending[msg.sender][role]
        if amount == 0:
            raise Revert(NothingPending(msg.sender, role))
        unlock = self.unlockTimes[msg.sender][role]
        if U256(self.world.block.timestamp) < unlock:
            raise Revert(UnstakeLocked(unlock))
        self.pending[msg.sender][role] = U256(0)
        self.unlockTimes[msg.sender][role] = U256(0)
        self.emit(Unstaked(msg.sender, role, amount))
        self._sendValue(msg.sender, amount)
        self._exit()

    @external
    def slash(self, msg: Msg, account: Address, role: StakeRole, amount: U256, reason: String) -> None:
        if role == StakeRole.Guardian:
            self._checkOwner(msg)
        else:
            if not self._isActiveGuardian(msg.sender):
                raise Revert(NotGuardian(msg.sender))
            if account == msg.sender:
                raise Revert(SelfSlash(account))
        if reason.length() > MAX_REASON_LENGTH:
            raise Revert(InvalidLength(reason.length(), U256(0), U256(MAX_REASON_LENGTH)))
        if amount == 0:
            raise Revert(ZeroAmount())
        active = self.stakes[account][role]
        pend = self.pending[account][role]
        if active == 0 and pend == 0:
            raise Revert(NothingToSlash(account, role))
        fromActive = amount if amount < active else active
        rest = amount - fromActive
        fromPending = rest if rest < pend else pend
        self.stakes[account][role] = active - fromActive
        self.pending[account][role] = pend - fromPending
        taken = fromActive + fromPending
        self.treasuryBalance = self.treasuryBalance + taken
        self.emit(Slashed(account, role, taken, msg.sender, reason))

    @external
    def sweepToTreasury(self, msg: Msg) -> None:
        self._enter()
        amount = self.treasuryBalance
        if amount == 0:
            raise Revert(ZeroAmount())
        self.treasuryBalance = U256(0)
        self.emit(TreasurySwept(self.treasury, amount))
        self._sendValue(self.treasury, amount)
        self._exit()

    @view
    def stakeOf(self, msg: Msg, account: Address, role: StakeRole) -> U256:
        return self.stakes[account][role]

    @view
    def pendingOf(self, msg: Msg, account: Address, role: StakeRole) -> U256:
        return self.pending[account][role]

    @view
    def unlockAt(self, msg: Msg, account: Address, role: StakeRole) -> U256:
        return self.unlockTimes[account][role]

    @view
    def isStaked(self, msg: Msg, account: Address, role: StakeRole) -> Bool:
        return Bool(self.stakes[account][role] >= minimum_stake(role))

    def _isActiveGuardian(self, account: Address) -> bool:
        return bool(self.isGuardian[account]) and self.stakes[account][StakeRole.Guardian] >= MIN_GUARDIAN_STAKE

    @view
    def isActiveGuardian(self, msg: Msg, account: Address) -> Bool:
        return Bool(self._isActiveGuardian(account))

    @view
    def minimumStake(self, msg: Msg, role: StakeRole) -> U256:
        return minimum_stake(role)
