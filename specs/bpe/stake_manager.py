"""Model of contracts/bpe/StakeManager.sol: sinks stake an ERC20; the stake caps their capacity.

Decisions (the blueprint leaves these open; PROTOCOL.md will take them over with the suite):

- MIN_SINK_STAKE. A sink's stake is always 0 or at least MIN_SINK_STAKE (invariant BPE-STAKE-002).
  `stake` reverts with BelowMinStake(resulting, minimum) when the resulting stake would be below the
  minimum (a first stake must bring at least 100 tokens). `unstake` either withdraws everything or
  leaves at least MIN_SINK_STAKE; a partial unstake leaving 0 < remaining < MIN reverts with
  BelowMinStake(remaining, minimum). Reason: a sink below the minimum has no capacity to sell but
  still occupies a registry slot; exiting fully is always possible, so no stake is ever trapped.
- Slash above the stake. `slash(sink, amount, reason)` takes min(amount, stake) and emits the amount
  actually taken. Reverting instead would let a sink dodge a slash by front-running it with a partial
  unstake. If what remains is below MIN_SINK_STAKE the sink is ejected: the remainder goes back to
  it (an Unstaked event follows Slashed), keeping BPE-STAKE-002 true after slashes too. Slashing a
  sink without stake reverts NothingToSlash(sink); amount 0 reverts ZeroAmount. Slashed tokens go to
  the immutable treasury.
- Slasher role. Only `governance`, an immutable address set at deployment, grants or revokes it
  (setSlasher); a slasher cannot grant it. There is no governance transfer in this contract.
- Capacity cap. getCapacityCap(sink) = floor(sqrt(stake / STAKE_UNIT)) (BPEMath.sqrt), so the cap of
  a sink at the minimum stake is 10.
- Event Staked(sink, amount, totalStake): totalStake is the sink's own stake after the call.

Every state change happens before the token transfer (checks-effects-interactions); the token is
the OpenZeppelin ERC20 of specs/bpe/test_token.py, called through SafeERC20.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.bpe import bpe_math
from specs.kernel import (
    U256, Address, Bool, Bytes32, Contract, Event, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS,
    external, immutable, storage, view,
)

MIN_SINK_STAKE = U256(100 * 10**18)
STAKE_UNIT = U256(10**18)


# -- errors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroAddress(SolidityError):
    pass


@dataclass(frozen=True)
class ZeroAmount(SolidityError):
    pass


@dataclass(frozen=True)
class BelowMinStake(SolidityError):
    resulting: U256
    minimum: U256


@dataclass(frozen=True)
class InsufficientStake(SolidityError):
    available: U256
    requested: U256


@dataclass(frozen=True)
class NotGovernance(SolidityError):
    caller: Address


@dataclass(frozen=True)
class NotSlasher(SolidityError):
    caller: Address


@dataclass(frozen=True)
class NothingToSlash(SolidityError):
    sink: Address


@dataclass(frozen=True)
class SafeERC20FailedOperation(SolidityError):
    token: Address


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Staked(Event):
    sink: Address
    amount: U256
    totalStake: U256


@dataclass(frozen=True)
class Unstaked(Event):
    sink: Address
    amount: U256


@dataclass(frozen=True)
class Slashed(Event):
    sink: Address
    amount: U256
    reason: Bytes32


@dataclass(frozen=True)
class SlasherSet(Event):
    slasher: Address
    enabled: Bool


@dataclass
class StakeManager(Contract):
    # storage, in StakeManager.sol declaration order
    stakes: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    totalStaked: U256 = storage(lambda: U256(0))
    isSlasher: Mapping = storage(lambda: Mapping(Address, Bool))
    # immutables
    token: Address = immutable(default=ZERO_ADDRESS)
    governance: Address = immutable(default=ZERO_ADDRESS)
    treasury: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, token: Address, governance: Address, treasury: Address) -> "StakeManager":
        """The constructor.  Reverts: ZeroAddress.  # Solidity: StakeManager.sol#L43-50"""
        if token == ZERO_ADDRESS or governance == ZERO_ADDRESS or treasury == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(token=token, governance=governance, treasury=treasury)

    def _safeTransfer(self, to: Address, value: U256) -> None:
        """SafeERC20.safeTransfer: bubbles the token's revert; a `false` return reverts."""
        if not self.world.at(self.token).transfer(self.this_msg(), to, value):
            raise Revert(SafeERC20FailedOperation(self.token))

    def _safeTransferFrom(self, from_: Address, to: Address, value: U256) -> None:
        if not self.world.at(self.token).transferFrom(self.this_msg(), from_, to, value):
            raise Revert(SafeERC20FailedOperation(self.token))

    @external
    def setSlasher(self, msg: Msg, slasher: Address, enabled: Bool) -> None:
        """Reverts: NotGovernance (caller), ZeroAddress (slasher == 0).
        # Solidity: StakeManager.sol#L53-58"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        if slasher == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        self.isSlasher[slasher] = enabled
        self.emit(SlasherSet(slasher, enabled))

    @external
    def stake(self, msg: Msg, amount: U256) -> None:
        """Reverts: ZeroAmount, Panic 0x11 (stake or total overflow), BelowMinStake, and the token's
        ERC20InsufficientAllowance / ERC20InsufficientBalance.  # Solidity: StakeManager.sol#L61-69"""
        if amount == 0:
            raise Revert(ZeroAmount())
        newStake = self.stakes[msg.sender] + amount
        if newStake < MIN_SINK_STAKE:
            raise Revert(BelowMinStake(newStake, MIN_SINK_STAKE))
        self.stakes[msg.sender] = newStake
        self.totalStaked = self.totalStaked + amount
        self._safeTransferFrom(msg.sender, self.address, amount)
        self.emit(Staked(msg.sender, amount, newStake))

    @external
    def unstake(self, msg: Msg, amount: U256) -> None:
        """Reverts: ZeroAmount, InsufficientStake, BelowMinStake (0 < remaining < minimum).
        # Solidity: StakeManager.sol#L72-82"""
        if amount == 0:
            raise Revert(ZeroAmount())
        current = self.stakes[msg.sender]
        if amount > current:
            raise Revert(InsufficientStake(current, amount))
        remaining = current - amount
        if remaining != 0 and remaining < MIN_SINK_STAKE:
            raise Revert(BelowMinStake(remaining, MIN_SINK_STAKE))
        self.stakes[msg.sender] = remaining
        self.totalStaked = self.totalStaked - amount
        self._safeTransfer(msg.sender, amount)
        self.emit(Unstaked(msg.sender, amount))

    @external
    def slash(self, msg: Msg, sink: Address, amount: U256, reason: Bytes32) -> None:
        """Reverts: NotSlasher, ZeroAmount, NothingToSlash.  # Solidity: StakeManager.sol#L85-101"""
        if not self.isSlasher[msg.sender]:
            raise Revert(NotSlasher(msg.sender))
        if amount == 0:
            raise Revert(ZeroAmount())
        current = self.stakes[sink]
        if current == 0:
            raise Revert(NothingToSlash(sink))
        slashed = amount if amount < current else current
        remaining = current - slashed
        returned = remaining if remaining < MIN_SINK_STAKE else U256(0)
        self.stakes[sink] = remaining - returned
        self.totalStaked = self.totalStaked - (slashed + returned)
        self._safeTransfer(self.treasury, slashed)
        self.emit(Slashed(sink, slashed, reason))
        if returned != 0:
            self._safeTransfer(sink, returned)
            self.emit(Unstaked(sink, returned))

    @view
    def getCapacityCap(self, msg: Msg, sink: Address) -> U256:
        """floor(sqrt(stake / STAKE_UNIT)). Never reverts.  # Solidity: StakeManager.sol#L104-106"""
        return bpe_math.sqrt(self.stakes[sink] // STAKE_UNIT)

    @view
    def getStake(self, msg: Msg, sink: Address) -> U256:
        """# Solidity: StakeManager.sol#L108-110"""
        return self.stakes[sink]
