"""Models of contracts/compute/test/LedgerMocks.sol: the adversarial tokens and the reentering wallet
the ledger's tests use (not part of the protocol)."""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.test_token import ComputeTestToken
from specs.kernel import (
    U8, U256, Address, Bool, Contract, Error, Msg, Revert, ZERO_ADDRESS, external, immutable, payable, storage,
)


@dataclass
class FeeOnTransferToken(ComputeTestToken):
    """Burns feePercent of every transfer between two accounts."""

    feePercent: U256 = storage(lambda: U256(1))
    _name: str = immutable(default="Fee Token")
    _symbol: str = immutable(default="FEE")

    @external
    def setFeePercent(self, msg: Msg, percent: U256) -> None:
        if percent > 100:
            raise Revert(Error("fee"))
        self.feePercent = percent

    def _update(self, from_: Address, to: Address, value: U256) -> None:
        if from_ != ZERO_ADDRESS and to != ZERO_ADDRESS:
            fee = value * self.feePercent // 100
            super()._update(from_, ZERO_ADDRESS, fee)
            super()._update(from_, to, value - fee)
        else:
            super()._update(from_, to, value)


@dataclass
class FalseReturnToken(ComputeTestToken):
    """transfer and transferFrom return false, moving nothing, while `failing` is set."""

    failing: Bool = storage(lambda: Bool(False))
    _name: str = immutable(default="False Token")
    _symbol: str = immutable(default="FALSE")

    @external
    def setFailing(self, msg: Msg, failing: Bool) -> None:
        self.failing = failing

    @external
    def transfer(self, msg: Msg, to: Address, value: U256) -> Bool:
        if self.failing:
            return Bool(False)
        return super().transfer(msg, to, value)

    @external
    def transferFrom(self, msg: Msg, from_: Address, to: Address, value: U256) -> Bool:
        if self.failing:
            return Bool(False)
        return super().transferFrom(msg, from_, to, value)


@dataclass
class ReenteringWallet(Contract):
    reenter: U8 = storage(lambda: U8(0))
    received: U256 = storage(lambda: U256(0))
    target: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, target: Address) -> "ReenteringWallet":
        return cls(target=target)

    @external
    def setReenter(self, msg: Msg, reenter: U8) -> None:
        self.reenter = reenter

    @payable
    def depositAll(self, msg: Msg) -> None:
        self.world.call(self.address, self.target, "deposit", value=msg.value)

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self.world.call(self.address, self.target, "withdraw", amount)

    def receive(self, msg: Msg) -> None:
        self.received = self.received + msg.value
        if self.reenter == 1:
            self.world.call(self.address, self.target, "withdraw", msg.value)
        if self.reenter == 2:
            self.world.call(self.address, self.target, "deposit", value=msg.value)


@dataclass
class CallbackToken(ComputeTestToken):
    """After every transfer between two accounts, while `hook` is 1 the token deposits `hookAmount` of
    its own balance into the ledger (approving it first, without an event), while 2 it withdraws that
    much; a callback the ledger refuses is caught (try/catch: its changes undone) and counted."""

    hook: U8 = storage(lambda: U8(0))
    hookAmount: U256 = storage(lambda: U256(0))
    hookFailures: U256 = storage(lambda: U256(0))
    inHook: Bool = storage(lambda: Bool(False))
    ledger: Address = immutable(default=ZERO_ADDRESS)
    _name: str = immutable(default="Callback Token")
    _symbol: str = immutable(default="CALL")

    @classmethod
    def construct(cls, ledger: Address) -> "CallbackToken":
        return cls(ledger=ledger)

    @external
    def setHook(self, msg: Msg, hook: U8, amount: U256) -> None:
        self.hook = hook
        self.hookAmount = amount

    def _update(self, from_: Address, to: Address, value: U256) -> None:
        super()._update(from_, to, value)
        if self.hook == 0 or self.inHook or from_ == ZERO_ADDRESS or to == ZERO_ADDRESS:
            return
        self.inHook = Bool(True)
        if self.hook == 1:
            self._approve(self.address, self.ledger, self.hookAmount, False)
            ok, _ = self.world.try_call(self.address, self.ledger, "depositToken", self.address, self.hookAmount)
        else:
            ok, _ = self.world.try_call(self.address, self.ledger, "withdrawToken", self.address, self.hookAmount)
        if not ok:
            self.hookFailures = self.hookFailures + 1
        self.inHook = Bool(False)
