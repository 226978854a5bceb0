"""A model of tests/kernel/contracts/Tags.sol written with the kernel: string parameters, their length
and their keccak256 as a mapping key."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import U256, Bytes32, Contract, Error, Event, Mapping, Msg, String, external, require, storage, view


@dataclass(frozen=True)
class Tagged(Event):
    name: String
    weight: U256


@dataclass
class TagsModel(Contract):
    counts: Mapping = storage(lambda: Mapping(Bytes32, U256, summed=True))
    total: U256 = storage(lambda: U256(0))

    @external
    def tag(self, msg: Msg, name: String, weight: U256) -> None:
        require(name.length() > 0, Error("length"))
        require(name.length() <= 32, Error("length"))
        key = name.keccak()
        self.counts[key] = self.counts[key] + weight
        self.total = self.total + weight
        self.emit(Tagged(name, weight))

    @external
    def untag(self, msg: Msg, name: String, weight: U256) -> None:
        key = name.keccak()
        self.counts[key] = self.counts[key] - weight
        self.total = self.total - weight

    @view
    def countOf(self, msg: Msg, name: String) -> U256:
        return self.counts[name.keccak()]


@dataclass
class UntagLongForgetsTotal(TagsModel):
    """Broken on purpose: untagging a name longer than 16 bytes leaves total as it was."""

    @external
    def untag(self, msg: Msg, name: String, weight: U256) -> None:
        key = name.keccak()
        self.counts[key] = self.counts[key] - weight
        if name.length() <= 16:
            self.total = self.total - weight
