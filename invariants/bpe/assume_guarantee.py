"""Assume-guarantee proofs of the contracts that call the Superfluid framework.

EscrowBuffer calls the SuperToken (transferFrom), the GDAv1Forwarder (distribute), the pool
(getTotalUnits, getUnits) and BackpressurePool (getPool, memberCount, memberAt). Its obligations are
proved with those callees replaced by stubs that return arbitrary (fresh symbolic) results within
the callee's guarantees, stated here and in every result:

- SuperToken.transferFrom either reverts or returns true; it never calls back into the suite and
  writes no storage of the suite's contracts (ERC-777 hooks are not registered by the suite);
- GDAv1Forwarder.distribute either reverts or succeeds, with the same frame condition (the
  distributed amount's arithmetic is LEMMA-FLOW-005);
- a SuperfluidPool's getTotalUnits / getUnits return some uint128;
- BackpressurePool is the model itself, on symbolic storage (its own functions are not transitions
  of this proof: they write only BackpressurePool storage and GDA state, so they preserve every
  invariant stated over EscrowBuffer storage).

Transitions covered: EscrowBuffer.setBufferMax, setUnitPrice, deposit and drain, with any sender
(including the Pipeline contract, whose deposits and drains are EscrowBuffer calls). drain's three loops
are replaced by loop summaries proved sound by obligations of their own (invariants/bpe/drain.py); the sums
over the queue are QueueSum terms with the axioms and lemmas of invariants/loops.py (AXIOMS are stated
in every result's environment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import z3

from specs.budget import FULL
from specs.bpe.backpressure_pool import BackpressurePool
from specs.bpe.escrow_buffer import EscrowBuffer
from specs.kernel import (
    U128, Address, Block, Bool, Contract, Error, ModelBug, Msg, Revert, U256, World, define, fresh, is_sym, truth,
)
from specs.bpe.suite import SUITE
from specs.bpe.system import GOVERNANCE, SUPERFLUID, System, addresses
from specs.deploy import GENESIS_BLOCK, GENESIS_TIMESTAMP
from invariants.loops import AXIOMS
from invariants.prover import Prover, Transition

GUARANTEES = [
    "assume-guarantee: SuperToken.transferFrom reverts or returns true, with no callback into the suite",
    "assume-guarantee: GDAv1Forwarder.distribute reverts or succeeds, with no callback into the suite",
    "assume-guarantee: SuperfluidPool.getTotalUnits/getUnits return some uint128",
    "BackpressurePool: the model on symbolic storage (its transitions touch no EscrowBuffer storage)",
]


def _choice(name: str) -> bool:
    """A callee's nondeterministic outcome: symbolic inside a proof, success on concrete replays
    (a counterexample's path is a success path of every stubbed call)."""
    try:
        return truth(fresh(name, z3.BoolSort()))
    except ModelBug:  # outside an Explorer run: concrete replay
        return True


@dataclass
class SuperTokenStub(Contract):
    def transferFrom(self, msg: Msg, holder: Address, recipient: Address, amount: U256) -> Bool:
        if _choice("SuperToken.transferFrom.ok"):
            return Bool(True)
        raise Revert(Error("SuperToken.transferFrom reverted (stub)"))

    def approve(self, msg: Msg, spender: Address, amount: U256) -> Bool:
        return Bool(True)


@dataclass
class ForwarderStub(Contract):
    def distribute(self, msg: Msg, token: Address, from_: Address, pool: Address, amount: U256,
                   userData: bytes) -> Bool:
        if _choice("GDAv1Forwarder.distribute.ok"):
            return Bool(True)
        raise Revert(Error("GDAv1Forwarder.distribute reverted (stub)"))


class PoolStub:
    """A SuperfluidPool at any address: each view returns a fresh uint128."""

    def __init__(self, world: World, address: Any):
        self.world, self.address = world, address

    def _units(self, name: str) -> U128:
        v = fresh(name)
        define(z3.And(v >= 0, v < U128.MOD))
        return U128(v)

    def getTotalUnits(self, msg: Msg) -> U128:
        return self._units("pool.totalUnits")

    def getUnits(self, msg: Msg, member: Address) -> U128:
        return self._units("pool.units")


class StubWorld(World):
    """A world where a call to a symbolic address reaches a PoolStub."""

    def at(self, address: Any) -> Any:
        a = address.v if isinstance(address, Address) else address
        if is_sym(a):
            return PoolStub(self, a)
        return super().at(address)


def _stub_world(world: World) -> None:
    world.__class__ = StubWorld


def escrow_buffer_system(overrides: dict[str, type] | None = None) -> System:
    """BackpressurePool and EscrowBuffer at their suite addresses, the SuperToken and the forwarder as
    stubs at theirs (specs.bpe.system.SUPERFLUID)."""
    overrides = overrides or {}
    world = World()
    world.block = Block(GENESIS_BLOCK, GENESIS_TIMESTAMP)
    addrs = addresses()
    fwd, token, gov = Address(SUPERFLUID["GDAv1Forwarder"]), Address(SUPERFLUID["SuperToken"]), Address(GOVERNANCE)
    bp_cls = overrides.get("BackpressurePool", BackpressurePool)
    eb_cls = overrides.get("EscrowBuffer", EscrowBuffer)
    world.deploy(addrs["BackpressurePool"], bp_cls.construct(Address(addrs["CapacityRegistry"]), fwd, token, gov))
    world.deploy(addrs["EscrowBuffer"], eb_cls.construct(Address(addrs["BackpressurePool"]), fwd, token, gov))
    world.deploy(SUPERFLUID["SuperToken"], SuperTokenStub())
    world.deploy(SUPERFLUID["GDAv1Forwarder"], ForwarderStub())
    names = ("BackpressurePool", "EscrowBuffer")
    return System(world, {n: addrs[n] for n in names}, {"BackpressurePool": bp_cls, "EscrowBuffer": eb_cls},
                  {"SuperToken": SUPERFLUID["SuperToken"], "GDAv1Forwarder": SUPERFLUID["GDAv1Forwarder"]})


ESCROW_TRANSITIONS = ("setBufferMax", "setUnitPrice", "deposit", "drain")


def escrow_buffer_prover(overrides: dict[str, type] | None = None, *, rlimit: int = FULL,
                         transitions: tuple[str, ...] = ESCROW_TRANSITIONS) -> Prover:
    """The EscrowBuffer transitions `transitions` under the stubs, drain with its loop summaries
    (invariants/bpe/drain.py: the prover is an EscrowBufferProver, whose run adds the summaries' lemmas)."""
    from invariants.bpe.drain import EscrowBufferProver

    p = EscrowBufferProver(escrow_buffer_system(overrides), environment=[*SUITE.proof_environment, *GUARANTEES,
                                                                         *AXIOMS], rlimit=rlimit)
    p.transition_filter = lambda tr: tr.contract == "EscrowBuffer" and tr.function in transitions
    return p
