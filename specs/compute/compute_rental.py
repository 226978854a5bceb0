"""Model of contracts/compute/ComputeRental.sol: prepaid rental sessions held in escrow and split once,
at termination (specs/compute/PROTOCOL.md section 4).

The price is fixed at creation (sessionPrice); msg.value must equal hours * sessionPrice exactly, for
creation and extension (R-4.1, R-4.3 to R-4.5). Termination: the renter or the provider's owner before
endTime, anyone at or after it (R-4.6, R-4.8). The provider gets deposit * served / duration rounded
down (served = min(now, endTime) - startTime), the renter the rest (R-4.7); both shares are credited
to withdrawable balances and pulled with withdraw (R-4.9, R-1.5).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.common import InvalidLength, NothingToWithdraw, ReentrancyGuard, ZeroAddress
from specs.compute.compute_staking import StakeRole
from specs.kernel import (
    U256, Address, Bool, Event, Mapping, Msg, Revert, SolidityError, String, Struct, StructRef, ZERO_ADDRESS,
    external, immutable, payable, storage, view,
)

MAX_SESSION_HOURS = U256(8760)
MAX_SSH_KEY_LENGTH = U256(4096)
HOUR = U256(3600)


class Session(Struct):
    """IComputeRental.Session, as stored."""

    renter: Address
    providerId: U256
    startTime: U256
    endTime: U256
    deposit: U256
    sshPublicKey: String
    active: Bool


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class UnknownProvider(SolidityError):
    providerId: U256


@dataclass(frozen=True)
class UnknownSession(SolidityError):
    sessionId: U256


@dataclass(frozen=True)
class ProviderUnavailable(SolidityError):
    providerId: U256


@dataclass(frozen=True)
class NotStaked(SolidityError):
    account: Address
    role: StakeRole


@dataclass(frozen=True)
class InvalidDuration(SolidityError):
    hoursRequested: U256


@dataclass(frozen=True)
class IncorrectPayment(SolidityError):
    expected: U256
    sent: U256


@dataclass(frozen=True)
class NotRenter(SolidityError):
    caller: Address


@dataclass(frozen=True)
class NotRenterOrProvider(SolidityError):
    caller: Address


@dataclass(frozen=True)
class SessionNotActive(SolidityError):
    sessionId: U256


@dataclass(frozen=True)
class SessionExpired(SolidityError):
    sessionId: U256
    endTime: U256


# -- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionCreated(Event):
    sessionId: U256
    renter: Address
    providerId: U256
    startTime: U256
    endTime: U256
    deposit: U256


@dataclass(frozen=True)
class SessionExtended(Event):
    sessionId: U256
    additionalHours: U256
    newEndTime: U256
    payment: U256


@dataclass(frozen=True)
class SessionTerminated(Event):
    sessionId: U256
    caller: Address
    providerPayment: U256
    refund: U256


@dataclass(frozen=True)
class Withdrawn(Event):
    account: Address
    amount: U256


def provider_share(deposit: U256, served: U256, duration: U256) -> U256:
    """R-4.7: the provider is paid for the time served, rounded down (in the renter's favour)."""
    return deposit * served // duration


@dataclass
class ComputeRental(ReentrancyGuard):
    # the deposits, the providers' payments and the refunds keep ghost sums: what is still held in
    # escrow is the deposits not yet split (COMP-RENT-001)
    sessions: Mapping = storage(lambda: Mapping(U256, Session, summed=("deposit",)))
    sessionCount: U256 = storage(lambda: U256(0))
    sessionPrice: Mapping = storage(lambda: Mapping(U256, U256))
    terminatedAt: Mapping = storage(lambda: Mapping(U256, U256))
    providerPaymentOf: Mapping = storage(lambda: Mapping(U256, U256, summed=True))
    refundOf: Mapping = storage(lambda: Mapping(U256, U256, summed=True))
    withdrawable: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    registry: Address = immutable(default=ZERO_ADDRESS)
    staking: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, registry: Address, staking: Address) -> "ComputeRental":
        if registry == ZERO_ADDRESS or staking == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(registry=registry, staking=staking)

    def _registry(self):  # noqa: ANN202
        return self.world.at(self.registry)

    @payable
    def createSession(self, msg: Msg, providerId: U256, durationHours: U256, sshPublicKey: String) -> U256:
        reg, me = self._registry(), self.this_msg()
        if providerId == 0 or providerId > reg.providerCount:
            raise Revert(UnknownProvider(providerId))
        if not reg.isAvailable(me, providerId):
            raise Revert(ProviderUnavailable(providerId))
        if not self.world.at(self.staking).isStaked(me, msg.sender, StakeRole.User):
            raise Revert(NotStaked(msg.sender, StakeRole.User))
        if durationHours == 0 or durationHours > MAX_SESSION_HOURS:
            raise Revert(InvalidDuration(durationHours))
        keyLength = sshPublicKey.length()
        if keyLength == 0 or keyLength > MAX_SSH_KEY_LENGTH:
            raise Revert(InvalidLength(keyLength, U256(1), MAX_SSH_KEY_LENGTH))
        price = reg.pricePerHourOf(me, providerId)
        cost = durationHours * price
        if msg.value != cost:
            raise Revert(IncorrectPayment(cost, msg.value))
        sessionId = self.sessionCount + 1
        self.sessionCount = sessionId
        now = U256(self.world.block.timestamp)
        endTime = now + durationHours * HOUR
        self.sessions[sessionId] = Session(
            renter=msg.sender, providerId=providerId, startTime=now, endTime=endTime, deposit=msg.value,
            sshPublicKey=sshPublicKey, active=Bool(True))
        self.sessionPrice[sessionId] = price
        self.emit(SessionCreated(sessionId, msg.sender, providerId, now, endTime, msg.value))
        return sessionId

    @payable
    def extendSession(self, msg: Msg, sessionId: U256, additionalHours: U256) -> None:
        s = self._session(sessionId)
        if msg.sender != s.renter:
            raise Revert(NotRenter(msg.sender))
        if not s.active:
            raise Revert(SessionNotActive(sessionId))
        if U256(self.world.block.timestamp) >= s.endTime:
            raise Revert(SessionExpired(sessionId, s.endTime))
        if not self._registry().isAvailable(self.this_msg(), s.providerId):
            raise Revert(ProviderUnavailable(s.providerId))
        if additionalHours == 0 or additionalHours > MAX_SESSION_HOURS - (s.endTime - s.startTime) // HOUR:
            raise Revert(InvalidDuration(additionalHours))
        cost = additionalHours * self.sessionPrice[sessionId]
        if msg.value != cost:
            raise Revert(IncorrectPayment(cost, msg.value))
        newEndTime = s.endTime + additionalHours * HOUR
        s.endTime = newEndTime
        s.deposit = s.deposit + msg.value
        self.emit(SessionExtended(sessionId, additionalHours, newEndTime, msg.value))

    @external
    def terminateSession(self, msg: Msg, sessionId: U256) -> None:
        s = self._session(sessionId)
        if not s.active:
            raise Revert(SessionNotActive(sessionId))
        providerOwner = self._registry().providerOwner(self.this_msg(), s.providerId)
        now = U256(self.world.block.timestamp)
        if now < s.endTime and msg.sender != s.renter and msg.sender != providerOwner:
            raise Revert(NotRenterOrProvider(msg.sender))
        end = now if now < s.endTime else s.endTime
        served = end - s.startTime
        duration = s.endTime - s.startTime
        providerPayment = self._providerShare(s.deposit, served, duration)
        refund = s.deposit - providerPayment
        s.active = Bool(False)
        self.terminatedAt[sessionId] = now
        self.providerPaymentOf[sessionId] = providerPayment
        self.refundOf[sessionId] = refund
        self.withdrawable[providerOwner] = self.withdrawable[providerOwner] + providerPayment
        self.withdrawable[s.renter] = self.withdrawable[s.renter] + refund
        self.emit(SessionTerminated(sessionId, msg.sender, providerPayment, refund))

    def _providerShare(self, deposit: U256, served: U256, duration: U256) -> U256:
        return provider_share(deposit, served, duration)

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
    def getSession(self, msg: Msg, sessionId: U256) -> tuple:
        return self._session(sessionId).as_tuple()

    @view
    def isLive(self, msg: Msg, sessionId: U256) -> Bool:
        s = self.sessions[sessionId]  # an unknown id reads as an inactive session
        return Bool(bool(s.active) and U256(self.world.block.timestamp) < s.endTime)

    def _session(self, sessionId: U256) -> StructRef:
        if sessionId == 0 or sessionId > self.sessionCount:
            raise Revert(UnknownSession(sessionId))
        return self.sessions[sessionId]
