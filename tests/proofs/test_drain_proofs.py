"""EscrowBuffer.drain with loop summaries (invariants/bpe/drain.py): BPE-BUFFER-001..004 are proved across
drain, every summary's entry obligation and STEP lemma is proved, the QueueSum lemmas are proved and
not trivially so, the step is not vacuous; broken drains are VIOLATED with counterexamples that replay
on the model (and not on the correct one); broken loop bodies are caught by their STEP lemma and leave
nothing PROVED; the loop methods behave as the inline Solidity loops."""

from __future__ import annotations

import dataclasses
import random

import pytest
import z3

import invariants.bpe.all  # noqa: F401
from invariants import loops
from invariants.bpe.assume_guarantee import GUARANTEES, escrow_buffer_system
from invariants.bpe.bpe_math import Lemma
from invariants.bpe.drain import LOOP_LEMMAS, FixedPool, prove_drain, prove_loop_lemma
from invariants.bpe.proofs import system_prover
from invariants.prover import replay_on_model
from invariants.registry import REGISTRY, STEP_REGISTRY
from invariants.suite import declared_parts, suite_invariants
from specs.bpe.suite import SUITE as BPE
from specs.bpe.escrow_buffer import MAX_DRAIN_ENTRIES, Drained, EscrowBuffer
from specs.kernel import U256, Address, Bytes32, Msg
from tests.checkers import tiered
from tests.bpe.fixtures.broken_drain_models import DRAIN_TWINS, LOOP_BODY_TWINS

# the invariants the escrow-buffer part proves across every EscrowBuffer call, drain included (their proved_by)
DRAIN_INVARIANTS = [i.id for i in suite_invariants(BPE) if "escrow_buffer" in declared_parts(BPE, i)]


@pytest.fixture(scope="module")
def drain_results():
    return prove_drain()


def test_every_drain_obligation_is_proved_not_vacuously_and_quickly(drain_results):
    by_id = {r.id: r for r in drain_results}
    bad = [(r.id, r.status, r.details.get("message")) for r in drain_results if r.status != "PROVED"]
    assert not bad
    assert DRAIN_INVARIANTS
    for inv in DRAIN_INVARIANTS:
        r = by_id[f"{inv}/EscrowBuffer.drain"]
        assert set(GUARANTEES) <= set(r.details["environment"])
        assert any(a.startswith("AX-SUM-STEP") for a in r.details["environment"])
        assert r.details["success_paths"] > 0
    for loop in ("AVAILABLE", "CONSUME", "DRAINED"):
        assert by_id[f"LOOP-{loop}-ENTRY/EscrowBuffer.drain"].details["paths"] > 0
        assert f"LOOP-{loop}-STEP" in by_id
    assert {lm.id for lm in loops.SUM_LEMMAS} <= set(by_id)
    assert by_id["VACUITY/EscrowBuffer.drain"].status == "PROVED"
    assert all(r.seconds < 20 for r in drain_results), [(r.id, r.seconds) for r in drain_results]
    assert len(DRAIN_INVARIANTS) == 4
    for inv in DRAIN_INVARIANTS:  # the generic prover (the escrow-buffer one) takes them
        i = REGISTRY.invariants.get(inv) or STEP_REGISTRY.invariants[inv]
        assert i.proof == "inductive"


def _wrong_head_unfolding():
    a, r, lo, hi = (z3.Array("w.a", z3.IntSort(), z3.IntSort()), z3.Int("w.r"), z3.Int("w.lo"), z3.Int("w.hi"))
    axioms = [loops.ax_step(a, r, lo, lo), loops.ax_empty(a, r, lo, lo), loops.ax_empty(a, r, lo + 1, lo + 1)]
    # off by one: the sum of [lo, lo + 1) is not the entry after lo
    return axioms, lambda: loops.qsum(a, r, lo, lo + 1) == loops.at(a, r, lo + 1)


def test_the_sum_lemmas_are_not_trivially_true():
    r = system_prover().prove_lemma(Lemma("LEMMA-SUM-WRONG", "EscrowBuffer", "Lemma: wrong on purpose.", _wrong_head_unfolding))
    assert r.status == "VIOLATED"


@pytest.mark.catches("prover-loops")
@pytest.mark.parametrize("twin", tiered(sorted(DRAIN_TWINS), fast=["drain_level_not_lowered"]))
def test_broken_drain_is_violated_and_replays_on_the_model(twin):
    contract, model, invariant = DRAIN_TWINS[twin]
    results = prove_drain({contract: model})
    by_id = {r.id: r for r in results}
    assert all(by_id[lm.id].status == "PROVED" for lm in LOOP_LEMMAS)  # the bug is not in a loop body
    hit = by_id[f"{invariant}/EscrowBuffer.drain"]
    assert hit.status == "VIOLATED"
    cex = hit.counterexample
    assert cex is not None and cex.confirmed_on_model, cex and (cex.model_outcome, cex.note)
    assert cex.function == "drain" and cex.model_outcome == "succeeded"
    # the same pre-state and call break nothing on the correct model
    correct = dataclasses.replace(cex, pre=cex.pre.clone(), confirmed_on_model=False, note="")
    correct.pre.world.contracts[correct.pre.addrs["EscrowBuffer"]].__class__ = EscrowBuffer
    replay_on_model(correct, [i for i in REGISTRY if i.contract == "EscrowBuffer" and i.proof == "inductive"],
                    [i for i in STEP_REGISTRY if i.contract == "EscrowBuffer" and i.proof == "inductive"])
    assert correct.model_outcome == "succeeded" and not correct.confirmed_on_model


@pytest.mark.catches("prover-loops")
@pytest.mark.parametrize("twin", tiered(sorted(LOOP_BODY_TWINS), fast=["escrow_buffer_fifo_broken"]))
def test_a_broken_loop_body_is_caught_by_its_step_lemma_and_nothing_rests_on_it(twin):
    model, lemma = LOOP_BODY_TWINS[twin]
    step = next(lm for lm in LOOP_LEMMAS if lm.id == lemma)
    r = prove_loop_lemma(step, model)
    assert r.status == "VIOLATED" and r.details["counterexample"]
    results = prove_drain({"EscrowBuffer": model})
    assert DRAIN_INVARIANTS
    for inv in DRAIN_INVARIANTS:
        assert next(x for x in results if x.id == f"{inv}/EscrowBuffer.drain").status != "PROVED"


# -- the loop methods are the Solidity's inline loops --------------------------------------------------


def _inline_drain(eb: EscrowBuffer, taskTypeId: Bytes32) -> None:
    """drain with the loops inline, as in EscrowBuffer.sol#L100-131 and #L143-163 (the model before the
    loops became methods)."""
    poolAddress = eb.world.at(eb.backpressurePool).getPool(eb.this_msg(), taskTypeId)
    totalUnits = U256(eb.world.at(poolAddress).getTotalUnits(eb.this_msg()).v)
    available = U256(0)
    head = eb.queueHead[taskTypeId]
    end = eb.queueTail[taskTypeId]
    if end - head > MAX_DRAIN_ENTRIES:
        end = head + MAX_DRAIN_ENTRIES
    i = head
    while i < end:
        available = available + eb.entryAmount[taskTypeId][i]
        i = i + 1
    elapsed = U256(eb.world.block.timestamp) - eb.lastDrain[taskTypeId]
    price = eb.unitPrice[taskTypeId]
    allowance = U256(U256.MAX) if elapsed != 0 and price > U256(U256.MAX) // elapsed else price * elapsed
    perUnit = available // totalUnits
    if allowance < perUnit:
        perUnit = allowance
    amount = perUnit * totalUnits
    assert amount != 0
    head = eb.queueHead[taskTypeId]
    left = amount
    while left != 0:
        entry = eb.entryAmount[taskTypeId][head]
        if entry <= left:
            left = left - entry
            eb.entryAmount[taskTypeId][head] = U256(0)
            eb.entrySource[taskTypeId][head] = Address(0)
            head = head + 1
        else:
            eb.entryAmount[taskTypeId][head] = entry - left
            left = U256(0)
    eb.queueHead[taskTypeId] = head
    eb.levels[taskTypeId] = eb.levels[taskTypeId] - amount
    eb.lastDrain[taskTypeId] = U256(eb.world.block.timestamp)
    bp = eb.world.at(eb.backpressurePool)
    pool = eb.world.at(poolAddress)
    count = bp.memberCount[taskTypeId]
    i = U256(0)
    while i < count:
        sink = bp.memberAt[taskTypeId][i]
        units = U256(pool.getUnits(eb.this_msg(), sink).v)
        if units != 0:
            eb.emit(Drained(taskTypeId, sink, units * perUnit))
        i = i + 1


@dataclasses.dataclass
class UnitsPool(FixedPool):
    units: dict = dataclasses.field(default_factory=dict)

    def getUnits(self, msg, member):  # type: ignore[no-untyped-def]
        from specs.kernel import U128
        return U128(self.units.get(member.v, 0))


def _build(rng: random.Random):  # type: ignore[no-untyped-def]
    system = escrow_buffer_system()
    eb, bp = system.escrow_buffer, system.backpressure_pool
    t = Bytes32(7)
    members = [0x1000 + j for j in range(rng.randint(0, 5))]
    system.world.deploy(0xB00, UnitsPool(totalUnits=rng.choice([1, 2, 3, 7, 1000]),
                                         units={m: rng.choice([0, 1, 2, 5]) for m in members}))
    bp.pools[t] = Address(0xB00)
    bp.memberCount[t] = U256(len(members))
    for j, m in enumerate(members):
        bp.memberAt[t][U256(j)] = Address(m)
    head, n = rng.randint(0, 3), rng.randint(0, 40)
    amounts = [rng.choice([0, 1, 2, 3, 10, 999, 10 ** 18]) for _ in range(n)]
    for j, a in enumerate(amounts):
        eb.entryAmount[t][U256(head + j)] = U256(a)
        eb.entrySource[t][U256(head + j)] = Address(0x5000 + j)
    eb.queueHead[t], eb.queueTail[t] = U256(head), U256(head + n)
    eb.levels[t] = U256(sum(amounts))
    eb.unitPrice[t] = U256(rng.choice([0, 1, 3, 10 ** 17, U256.MAX]))
    system.world.block.timestamp = 10 ** 6
    eb.lastDrain[t] = U256(10 ** 6 - rng.choice([0, 1, 5, 100]))
    return system, t


def test_the_loop_methods_behave_as_the_inline_loops():
    from invariants.prover import state_json

    drained = 0
    for seed in range(300):
        system, t = _build(random.Random(seed))
        inline = system.clone()
        out = system.world.transact(system.addrs["EscrowBuffer"], "drain", Msg(Address(0x77)), t)
        if not out.ok:
            assert out.error.abi_name() == "NothingToDrain"
            continue
        drained += 1
        _inline_drain(inline.escrow_buffer, t)
        assert state_json(system) == state_json(inline), seed
        assert [e.event for e in out.events] == [e.event for e in inline.world.logs], seed
    assert drained > 100


def test_the_level_holding_the_rest_of_the_sum_of_levels_gets_its_queue_entry():
    """A counterexample whose levels' ghost sum exceeds the touched levels puts the rest at the filler task
    type; drain's concretisation queues one entry of that amount there, so the pre-state keeps BPE-BUFFER-002
    (without it, that level would count a queue that holds nothing, and the counterexample would not replay)."""
    from invariants.bpe.drain import cex_concretize
    from invariants.prover import FILLER, holds_everywhere, known_keys, symbolic_system

    concrete = escrow_buffer_system()
    pre, _ = symbolic_system(escrow_buffer_system(), "filler-test")
    concrete.escrow_buffer.levels.store.set((FILLER,), 7)
    level_is_sum = next(i for i in REGISTRY if i.id == "BPE-BUFFER-002")
    assert not holds_everywhere(level_is_sum, concrete, known_keys(concrete))
    notes = cex_concretize(lambda t: t, concrete, pre, z3.Solver(), {})
    assert holds_everywhere(level_is_sum, concrete, known_keys(concrete)), notes
    assert concrete.escrow_buffer.entryAmount[Bytes32(FILLER)][U256(0)] == U256(7)
    assert notes == [f"task type {FILLER:#x}: one queued entry of 7 behind its level"]
