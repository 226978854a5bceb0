"""A model of tests/kernel/contracts/Entries.sol written with the kernel: a fixed array of packed
scalars, a dynamic array of scalars and a dynamic array of packed structs."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import U64, U96, U256, Address, Array, Bool, Contract, Error, Msg, Struct, external, require, storage

MAX_AMOUNT = 1000


class Entry(Struct):
    who: Address
    amount: U96
    done: Bool


@dataclass
class EntriesModel(Contract):
    limits: Array = storage(lambda: Array(U64, 3))
    values: Array = storage(lambda: Array(U256))
    entries: Array = storage(lambda: Array(Entry))

    @external
    def setLimit(self, msg: Msg, i: U256, v: U64) -> None:
        self.limits[i] = v

    @external
    def pushValue(self, msg: Msg, v: U256) -> None:
        self.values.push(v)

    @external
    def popValue(self, msg: Msg) -> None:
        self.values.pop()

    @external
    def setValue(self, msg: Msg, i: U256, v: U256) -> None:
        self.values[i] = v

    @external
    def add(self, msg: Msg, amount: U96) -> None:
        require(amount <= MAX_AMOUNT, Error("amount"))
        self.entries.push(Entry(who=msg.sender, amount=amount, done=Bool(False)))

    @external
    def finish(self, msg: Msg, i: U256) -> None:
        e = self.entries[i]
        require(e.who == msg.sender, Error("who"))
        e.done = Bool(True)

    @external
    def increase(self, msg: Msg, i: U256, by: U96) -> None:
        e = self.entries[i]
        require(~e.done, Error("done"))
        e.amount = e.amount + by
        require(e.amount <= MAX_AMOUNT, Error("amount"))

    @external
    def removeLast(self, msg: Msg) -> None:
        require(self.entries[self.entries.length() - 1].done, Error("open"))
        self.entries.pop()


@dataclass
class RaiseUnchecked(EntriesModel):
    """Broken on purpose: increase forgets the cap on the raised amount."""

    @external
    def increase(self, msg: Msg, i: U256, by: U96) -> None:
        e = self.entries[i]
        require(~e.done, Error("done"))
        e.amount = e.amount + by


@dataclass
class PopKeepsElement(EntriesModel):
    """Broken on purpose: popValue shortens the array without deleting the element."""

    @external
    def popValue(self, msg: Msg) -> None:
        keep = self.values[self.values.length() - 1]
        self.values.pop()
        self.values.data[self.values.length()] = keep
