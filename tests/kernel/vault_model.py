"""Models of tests/kernel/contracts/Vault.sol (Vault, Reenterer, Rejecter) written with the kernel:
payable functions, msg.value, ETH sent to accounts and to contracts whose receive reenters."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U256, Address, Contract, Error, Mapping, Msg, ZERO_ADDRESS, external, payable, require, storage,
)


@dataclass
class VaultModel(Contract):
    deposits: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    total: U256 = storage(lambda: U256(0))

    @payable
    def deposit(self, msg: Msg) -> None:
        require(msg.value > 0, Error("zero"))
        self.deposits[msg.sender] = self.deposits[msg.sender] + msg.value
        self.total = self.total + msg.value

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self.deposits[msg.sender] = self.deposits[msg.sender] - amount
        self.total = self.total - amount
        require(self.world.send_value(self.address, msg.sender, amount), Error("send"))

    @external
    def withdrawAll(self, msg: Msg) -> None:
        amount = self.deposits[msg.sender]
        require(self.world.send_value(self.address, msg.sender, amount), Error("send"))
        self.deposits[msg.sender] = U256(0)
        self.total = self.total - amount

    @external
    def ping(self, msg: Msg) -> None:
        return None


@dataclass
class VaultWithdrawForgetsTotal(VaultModel):
    """Broken on purpose: withdraw leaves total as it was."""

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self.deposits[msg.sender] = self.deposits[msg.sender] - amount
        require(self.world.send_value(self.address, msg.sender, amount), Error("send"))


@dataclass
class ReentererModel(Contract):
    vault: Address = storage(lambda: ZERO_ADDRESS)
    hits: U256 = storage(lambda: U256(0))

    @payable
    def attack(self, msg: Msg) -> None:
        self.world.call(self.address, self.vault, "deposit", value=msg.value)
        self.world.call(self.address, self.vault, "withdrawAll")

    def receive(self, msg: Msg) -> None:
        self.hits = self.hits + 1
        if self.hits < 2:
            self.world.call(self.address, self.vault, "withdrawAll")


@dataclass
class RejecterModel(Contract):
    @payable
    def pull(self, msg: Msg, v: Address, amount: U256) -> None:
        self.world.call(self.address, v, "deposit", value=msg.value)
        self.world.call(self.address, v, "withdraw", amount)
