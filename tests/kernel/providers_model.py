"""A model of tests/kernel/contracts/Providers.sol written with the kernel: structs in a mapping (a
nested struct too), packed scalars, a packed struct state variable and an enum."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specs.kernel import (
    I96, U16, U32, U64, U128, U256, U8, Address, Bool, Contract, Enum, Error, Mapping, Msg, Struct, external,
    is_sym, require, storage,
)
from specs.deploy import DEPLOYER


class Status(Enum):
    MEMBERS = ("None_", "Active", "Paused", "Slashed")


class Terms(Struct):
    fee: U64
    since: U32
    open: Bool


class Provider(Struct):
    stake: U128
    locked: U128
    status: Status
    owner: Address
    terms: Terms


class Config(Struct):
    minStake: U32
    maxProviders: U16
    defaultStatus: Status
    admin: Address


def _u32(x: Any) -> U32:
    """uint32(x) of a uint256 (an explicit narrowing conversion: the low 32 bits)."""
    return U32(x % (1 << 32)) if is_sym(x) else U32(int(x) % (1 << 32))


@dataclass
class ProvidersModel(Contract):
    providers: Mapping = storage(lambda: Mapping(Address, Provider))
    count: U16 = storage(lambda: U16(0))
    paused: Bool = storage(lambda: Bool(False))
    epoch: U64 = storage(lambda: U64(0))
    config: Config = storage(lambda: Config(minStake=U32(10), maxProviders=U16(3), defaultStatus=Status.Active,
                                            admin=Address(DEPLOYER)))
    totalStaked: U256 = storage(lambda: U256(0))
    delta: I96 = storage(lambda: I96(0))
    stamp: U64 = storage(lambda: U64(0))

    @external
    def join(self, msg: Msg, amount: U128, fee: U64) -> None:
        p = self.providers[msg.sender]
        require(p.status == Status.None_, Error("joined"))
        require(amount >= U128(self.config.minStake.v), Error("small"))
        p.stake = amount
        p.status = self.config.defaultStatus
        p.owner = msg.sender
        p.terms = Terms(fee=fee, since=_u32(self.world.block.timestamp), open=Bool(True))
        self.count = self.count + 1
        require(self.count <= U16(self.config.maxProviders.v), Error("full"))
        self.totalStaked = self.totalStaked + U256(amount.v)

    @external
    def lock(self, msg: Msg, amount: U128) -> None:
        p = self.providers[msg.sender]
        require(p.status == Status.Active, Error("inactive"))
        p.locked = p.locked + amount
        require(p.locked <= p.stake, Error("over"))

    @external
    def unlock(self, msg: Msg, amount: U128) -> None:
        p = self.providers[msg.sender]
        p.locked = p.locked - amount

    @external
    def slash(self, msg: Msg, who: Address, amount: U128) -> None:
        require(msg.sender == self.config.admin, Error("admin"))
        p = self.providers[who]
        p.stake = p.stake - amount
        if p.locked > p.stake:
            p.locked = p.stake
        p.status = Status.Slashed
        self.totalStaked = self.totalStaked - U256(amount.v)

    @external
    def setStatus(self, msg: Msg, who: Address, s: U8) -> None:
        require(msg.sender == self.config.admin, Error("admin"))
        require(self.providers[who].owner != Address(0), Error("unknown"))
        status = Status.convert(s)
        require(status != Status.None_, Error("none"))
        self.providers[who].status = status

    @external
    def setFee(self, msg: Msg, fee: U64) -> None:
        self.providers[msg.sender].terms.fee = fee

    @external
    def leave(self, msg: Msg) -> None:
        p = self.providers[msg.sender]
        require(p.locked == 0, Error("locked"))
        self.totalStaked = self.totalStaked - U256(p.stake.v)
        del self.providers[msg.sender]
        self.count = self.count - 1

    @external
    def nudge(self, msg: Msg, by: I96) -> None:
        self.delta = self.delta + by
        self.stamp = U64(self.world.block.number % (1 << 64))  # uint64(block.number)

    @external
    def bump(self, msg: Msg, by: U64) -> None:
        self.epoch = self.epoch + by
        self.paused = ~self.paused


@dataclass
class SlashKeepsLocked(ProvidersModel):
    """Broken on purpose: a slash leaves `locked` above the reduced stake."""

    @external
    def slash(self, msg: Msg, who: Address, amount: U128) -> None:
        require(msg.sender == self.config.admin, Error("admin"))
        p = self.providers[who]
        p.stake = p.stake - amount
        p.status = Status.Slashed
        self.totalStaked = self.totalStaked - U256(amount.v)


@dataclass
class FeeIntoSince(ProvidersModel):
    """Broken on purpose: setFee writes the packed neighbour (`since`) instead of `fee`."""

    @external
    def setFee(self, msg: Msg, fee: U64) -> None:
        self.providers[msg.sender].terms.since = _u32(fee.v)




@dataclass
class StatusNoneAllowed(ProvidersModel):
    """Broken on purpose: setStatus accepts Status.None (a provider keeps its lock and may rejoin)."""

    @external
    def setStatus(self, msg: Msg, who: Address, s: U8) -> None:
        require(msg.sender == self.config.admin, Error("admin"))
        require(self.providers[who].owner != Address(0), Error("unknown"))
        self.providers[who].status = Status.convert(s)
