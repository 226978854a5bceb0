"""A model of tests/kernel/contracts/Records.sol written with the kernel: a struct with `string` and
`bytes` members, in a mapping keyed by uint256 and in a dynamic storage array."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U64, U256, Address, Array, Bool, Contract, DynBytes, Mapping, Msg, SolidityError, String, Struct, external,
    require, storage, view,
)

MIN_NAME, MAX_NAME = 1, 64


class Record(Struct):
    owner: Address
    name: String
    price: U64
    data: DynBytes
    active: Bool


@dataclass(frozen=True)
class BadName(SolidityError):
    length: U256


@dataclass(frozen=True)
class NotOwner(SolidityError):
    id: U256
    caller: Address


@dataclass(frozen=True)
class Unknown(SolidityError):
    id: U256


@dataclass
class RecordsModel(Contract):
    records: Mapping = storage(lambda: Mapping(U256, Record))
    count: U256 = storage(lambda: U256(0))
    history: Array = storage(lambda: Array(Record))

    def _check_name(self, name: String) -> None:
        n = name.length()
        require(n >= MIN_NAME, BadName(n))
        require(n <= MAX_NAME, BadName(n))

    def _own(self, msg: Msg, id: U256):
        r = self.records[id]
        require(r.owner != Address(0), Unknown(id))
        require(r.owner == msg.sender, NotOwner(id, msg.sender))
        return r

    @external
    def add(self, msg: Msg, name: String, price: U64) -> None:
        self._check_name(name)
        self.count = self.count + 1
        r = Record(owner=msg.sender, name=name, price=price, data=DynBytes(), active=Bool(True))
        self.records[self.count] = r
        self.history.push(r)

    @external
    def rename(self, msg: Msg, id: U256, name: String) -> None:
        r = self._own(msg, id)
        self._check_name(name)
        r.name = name

    @external
    def setData(self, msg: Msg, id: U256, data: DynBytes) -> None:
        self._own(msg, id).data = data

    @external
    def deactivate(self, msg: Msg, id: U256) -> None:
        self._own(msg, id).active = Bool(False)

    @external
    def remove(self, msg: Msg, id: U256) -> None:
        self._own(msg, id)
        del self.records[id]

    @view
    def get(self, msg: Msg, id: U256) -> tuple:
        r = self.records[id]
        require(r.owner != Address(0), Unknown(id))
        return r.as_tuple()


@dataclass
class RenameUnchecked(RecordsModel):
    """Broken on purpose: rename stores the new name without the length check."""

    @external
    def rename(self, msg: Msg, id: U256, name: String) -> None:
        self._own(msg, id).name = name


@dataclass
class SetDataIntoName(RecordsModel):
    """Broken on purpose: setData writes the data into the name member (a bytes value into a string)."""

    @external
    def setData(self, msg: Msg, id: U256, data: DynBytes) -> None:
        self._own(msg, id).name = data


@dataclass
class RemoveKeepsName(RecordsModel):
    """Broken on purpose: remove deletes the record but leaves its name behind."""

    @external
    def remove(self, msg: Msg, id: U256) -> None:
        name = self._own(msg, id).name
        del self.records[id]
        self.records[id].name = name
