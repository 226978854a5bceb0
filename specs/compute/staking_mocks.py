"""Model of contracts/compute/test/StakingMocks.sol: the reentering staker the staking's fuzz rules use
(not part of the protocol)."""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.common import ReentrancyGuardReentrantCall
from specs.compute.compute_staking import StakeRole
from specs.kernel import U8, U256, Address, Contract, Msg, ZERO_ADDRESS, external, immutable, payable, storage


@dataclass
class ReenteringStaker(Contract):
    """Stakes as a contract; its receive calls back into the staking (1: withdrawUnstaked(role) again,
    2: sweepToTreasury) in a try/catch and counts how the callback ended."""

    reenter: U8 = storage(lambda: U8(0))
    role: StakeRole = storage(lambda: StakeRole.User)
    received: U256 = storage(lambda: U256(0))
    guarded: U256 = storage(lambda: U256(0))
    failed: U256 = storage(lambda: U256(0))
    entered: U256 = storage(lambda: U256(0))
    target: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, target: Address) -> "ReenteringStaker":
        return cls(target=target)

    @external
    def setReenter(self, msg: Msg, reenter: U8, role: StakeRole) -> None:
        self.reenter = reenter
        self.role = role

    @payable
    def stake(self, msg: Msg, role: StakeRole) -> None:
        self.world.call(self.address, self.target, "stake", role, value=msg.value)

    @external
    def requestUnstake(self, msg: Msg, role: StakeRole, amount: U256) -> None:
        self.world.call(self.address, self.target, "requestUnstake", role, amount)

    @external
    def withdrawUnstaked(self, msg: Msg, role: StakeRole) -> None:
        self.world.call(self.address, self.target, "withdrawUnstaked", role)

    def receive(self, msg: Msg) -> None:
        self.received = self.received + msg.value
        if self.reenter == 1:
            ok, error = self.world.try_call(self.address, self.target, "withdrawUnstaked", self.role)
        elif self.reenter == 2:
            ok, error = self.world.try_call(self.address, self.target, "sweepToTreasury")
        else:
            return
        if ok:
            self.entered = self.entered + 1
        elif isinstance(error, ReentrancyGuardReentrantCall):
            self.guarded = self.guarded + 1
        else:
            self.failed = self.failed + 1
