"""What every compute contract shares: OpenZeppelin 5.1's Ownable2Step (with renounceOwnership disabled,
R-1.8), ReentrancyGuard and Address.sendValue (R-1.6), and the errors several contracts declare with
the same signature (a custom error is identified by its signature, so one class serves them all)."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U256, Address, Contract, DynBytes, Event, Revert, SolidityError, ZERO_ADDRESS, Msg, external, storage,
    view,
)


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroAddress(SolidityError):
    pass


@dataclass(frozen=True)
class ZeroAmount(SolidityError):
    pass


@dataclass(frozen=True)
class RenounceDisabled(SolidityError):
    pass


@dataclass(frozen=True)
class InvalidLength(SolidityError):
    length: U256
    minimum: U256
    maximum: U256


@dataclass(frozen=True)
class NothingToWithdraw(SolidityError):
    account: Address


@dataclass(frozen=True)
class InsufficientBalance(SolidityError):
    """Both the contracts' InsufficientBalance(balance, requested) and OpenZeppelin's
    Errors.InsufficientBalance(balance, needed): one signature, one selector."""

    balance: U256
    requested: U256


@dataclass(frozen=True)
class FailedCall(SolidityError):
    pass


@dataclass(frozen=True)
class ReentrancyGuardReentrantCall(SolidityError):
    pass


@dataclass(frozen=True)
class OwnableUnauthorizedAccount(SolidityError):
    account: Address


@dataclass(frozen=True)
class OwnableInvalidOwner(SolidityError):
    owner: Address


# -- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OwnershipTransferStarted(Event):
    previousOwner: Address
    newOwner: Address


@dataclass(frozen=True)
class OwnershipTransferred(Event):
    previousOwner: Address
    newOwner: Address


def check_length(data: DynBytes, minimum: int, maximum: int) -> None:
    """`_checkLength(bytes(s).length, minimum, maximum)` (R-1.3)."""
    n = data.length()
    if n < minimum or n > maximum:
        raise Revert(InvalidLength(n, U256(minimum), U256(maximum)))


@dataclass
class Ownable2Step(Contract):
    """OpenZeppelin Ownable + Ownable2Step storage and functions; renounceOwnership reverts
    RenounceDisabled for the owner (R-1.8)."""

    _owner: Address = storage(lambda: ZERO_ADDRESS)
    _pendingOwner: Address = storage(lambda: ZERO_ADDRESS)

    def _init_owner(self, owner: Address) -> None:
        if owner == ZERO_ADDRESS:
            raise Revert(OwnableInvalidOwner(ZERO_ADDRESS))
        self._owner = owner

    def _checkOwner(self, msg: Msg) -> None:
        if self._owner != msg.sender:
            raise Revert(OwnableUnauthorizedAccount(msg.sender))

    @view
    def owner(self, msg: Msg) -> Address:
        return self._owner

    @view
    def pendingOwner(self, msg: Msg) -> Address:
        return self._pendingOwner

    @external
    def transferOwnership(self, msg: Msg, newOwner: Address) -> None:
        self._checkOwner(msg)
        self._pendingOwner = newOwner
        self.emit(OwnershipTransferStarted(self._owner, newOwner))

    @external
    def acceptOwnership(self, msg: Msg) -> None:
        if self._pendingOwner != msg.sender:
            raise Revert(OwnableUnauthorizedAccount(msg.sender))
        self._pendingOwner = ZERO_ADDRESS
        old = self._owner
        self._owner = msg.sender
        self.emit(OwnershipTransferred(old, msg.sender))

    @view
    def renounceOwnership(self, msg: Msg) -> None:
        """Declared `view` in the contracts (it only reverts)."""
        self._checkOwner(msg)
        raise Revert(RenounceDisabled())


NOT_ENTERED = U256(1)
ENTERED = U256(2)


@dataclass
class ReentrancyGuard(Contract):
    """OpenZeppelin ReentrancyGuard: `_status` is 1 outside a guarded call, 2 inside it."""

    _status: U256 = storage(lambda: U256(1))

    def _enter(self) -> None:
        if self._status == ENTERED:
            raise Revert(ReentrancyGuardReentrantCall())
        self._status = ENTERED

    def _exit(self) -> None:
        self._status = NOT_ENTERED

    def _sendValue(self, to: Address, amount: U256) -> None:
        """Address.sendValue (OpenZeppelin 5.1): all gas forwarded, a failed call reverts FailedCall."""
        balance = self.world.balance(self.address)
        if balance < amount:
            raise Revert(InsufficientBalance(balance, amount))
        if not self.world.send_value(self.address, to, amount):
            raise Revert(FailedCall())
