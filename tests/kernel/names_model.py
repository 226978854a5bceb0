"""A model of tests/kernel/contracts/Names.sol written with the kernel: string and bytes storage."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import U8, Contract, DynBytes, Error, Msg, String, external, require, storage


@dataclass
class NamesModel(Contract):
    name: String = storage(String)
    data: DynBytes = storage(DynBytes)
    version: U8 = storage(lambda: U8(0))

    @external
    def setName(self, msg: Msg, n: String) -> None:
        require(n.length() <= 100, Error("long"))
        self.name = n
        self.version = self.version + 1

    @external
    def appendData(self, msg: Msg, d: DynBytes) -> None:
        self.data = self.data + d

    @external
    def clearData(self, msg: Msg) -> None:
        self.data = DynBytes()


@dataclass
class AppendDropsFirstByte(NamesModel):
    """Broken on purpose: appendData loses the first byte of what it appends."""

    @external
    def appendData(self, msg: Msg, d: DynBytes) -> None:
        self.data = self.data + DynBytes(d.v[1:])
