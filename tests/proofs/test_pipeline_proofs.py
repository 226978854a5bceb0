"""BPE-BUFFER-003 across Pipeline.deposit/drain and BPE-PIPE-001 (invariants/bpe/pipeline.py): proved per element by
induction over the stage loop, not vacuously; the stub's guarantees matter (a stub without the FIFO guarantee
fails the STEP lemmas); the broken twin (createPipeline without the distinct-stages check) is caught with a
counterexample confirmed on the model, and the same bug realises on the model and both EVMs (full suite, real
Superfluid framework) while the correct contract passes the same sequence; the model split of the loop bodies
(_depositStage, _drainStage) behaves exactly like the inline loops it replaced. Sanity of the method: the row frame
BPE-BUFFER-ROW-001 catches an EscrowBuffer that writes another task type's row, and the LOOP lemma catches a deposit
that calls its body twice for one stage."""

from __future__ import annotations

import json
import random
import types

import pytest

import invariants.bpe.all  # noqa: F401
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.differential import Mismatch
from harness.fuzz.runner import REPLAY_SCHEMA, replay
from harness.fuzz.bpe.system import E18, PREPARE, SOURCES, T1, call
from invariants.bpe.drain import FixedPool
from invariants.bpe.escrow_buffer import fifo_nothing_twice
from invariants.bpe.pipeline import (
    LEMMAS, PIPE_001, ROW_001, EscrowBufferAG, Excluded, pipeline_system, prove_pipeline, prove_pipeline_lemma,
    rows_untouched,
)
from invariants.prover import state_json
from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.bpe.escrow_buffer import EscrowBuffer
from specs.kernel import U256, Address, Bytes32, Msg, Revert, external, fresh
from specs.bpe.pipeline import BPS, Pipeline, TransferFailed, UnknownPipeline, NothingToDrain, PipelineDeposited
from specs.bpe.system import GOVERNANCE
from tests.bpe.fixtures.broken_pipeline_models import PIPELINE_TWINS

EXPECTED = [
    "BPE-BUFFER-ROW-001/EscrowBuffer.deposit", "BPE-BUFFER-ROW-001/EscrowBuffer.drain",
    *[lm.id for lm in LEMMAS],
    "BPE-PIPE-001/init", "BPE-PIPE-001/Pipeline.createPipeline", "BPE-PIPE-001/Pipeline.deposit",
    "BPE-PIPE-001/Pipeline.drain", "BPE-BUFFER-003/Pipeline.deposit", "BPE-BUFFER-003/Pipeline.drain",
    "VACUITY/Pipeline.createPipeline", "VACUITY/Pipeline.deposit", "VACUITY/Pipeline.drain",
]


@pytest.fixture(scope="module")
def results(proof_parts):
    return proof_parts["pipeline"]


@pytest.mark.slow
def test_pipeline_obligations_are_proved_not_vacuously(results):
    by_id = {r.id: r for r in results}
    assert [r.id for r in results] == EXPECTED
    bad = [(r.id, r.status, r.details.get("message")) for r in results if r.status != "PROVED"]
    assert not bad, bad
    for lm in LEMMAS:
        assert by_id[lm.id].details["satisfiable"] and by_id[lm.id].details["success_paths"] > 0, lm.id
    for fn in ("deposit", "drain"):
        r = by_id[f"BPE-BUFFER-003/Pipeline.{fn}"]
        assert r.details["invariant_kind"] == "step (two-state)"
        deps = set(r.details["depends_on_results"])
        # the loop lemmas, the strengthening BPE-PIPE-001 (all its obligations) and the escrow obligations
        # the stub's guarantees are (the single call's FIFO step and row frame, every state invariant kept)
        assert {f"LEMMA-PIPE-{'DEP' if fn == 'deposit' else 'DRAIN'}-STEP", "LEMMA-PIPE-LOOP-ENTRY",
                "LEMMA-PIPE-LOOP-EXIT", "BPE-PIPE-001/init", "BPE-PIPE-001/Pipeline.createPipeline",
                f"BPE-BUFFER-003/EscrowBuffer.{fn}", f"BPE-BUFFER-ROW-001/EscrowBuffer.{fn}",
                f"BPE-BUFFER-002/EscrowBuffer.{fn}", f"BPE-BUFFER-004/EscrowBuffer.{fn}"} <= deps
        assert "BPE-PIPE-001" in r.details["strengthening_invariants"]
        assert any("EscrowBuffer.deposit/drain call from the Pipeline" in e for e in r.details["environment"])
    # the escrow-buffer prover's own rows are not returned twice (the suite has them)
    assert not any(r.id.startswith(("BPE-BUFFER-001/", "BPE-BUFFER-002/", "LEMMA-SUM", "LOOP-")) for r in results)
    assert PIPE_001.strengthening and ROW_001.strengthening
    # the strengthenings are not registered: the generic provers and the fuzzer's registries are unchanged
    assert "BPE-PIPE-001" not in REGISTRY.invariants and "BPE-BUFFER-ROW-001" not in STEP_REGISTRY.invariants


class NoFifoGuarantee(EscrowBufferAG):
    """A stub that keeps only the row frame: the FIFO guarantee of the single call dropped."""

    def _proved_call(self, fn, msg, args):  # type: ignore[no-untyped-def]
        from invariants.bpe.pipeline import _KEYS

        before = self.clone()
        for f in self.storage_fields():
            setattr(self, f.name, getattr(self, f.name).symbolize(str(fresh(f"nofifo.{f.name}"))))
        t, k = _KEYS[-1]
        a, b = types.SimpleNamespace(escrow_buffer=before), types.SimpleNamespace(escrow_buffer=self)
        from invariants.registry import Call

        if not rows_untouched(a, b, Call("EscrowBuffer", fn, msg.sender, args), t, k):
            raise Revert(Excluded())


@pytest.mark.parametrize("lemma", ["LEMMA-PIPE-DEP-STEP", "LEMMA-PIPE-DRAIN-STEP"])
@pytest.mark.slow
def test_the_step_lemmas_rest_on_the_single_call_guarantee(lemma):
    lm = next(x for x in LEMMAS if x.id == lemma)
    assert prove_pipeline_lemma(lm).status == "PROVED"
    assert prove_pipeline_lemma(lm, {"EscrowBufferAG": NoFifoGuarantee}).status == "VIOLATED"


@pytest.fixture(scope="module")
def twin_results():
    cls = PIPELINE_TWINS["pipeline_stages_not_distinct"][0]
    return prove_pipeline(jobs=2, overrides={"Pipeline": cls})


@pytest.mark.slow
@pytest.mark.catches("prover-callees")
def test_broken_twin_is_violated_with_a_counterexample_confirmed_on_the_model(twin_results):
    _cls, _sol, lemma, proofs = PIPELINE_TWINS["pipeline_stages_not_distinct"]
    by_id = {r.id: r for r in twin_results}
    assert by_id[lemma].status == "VIOLATED", by_id[lemma].details
    for pid in proofs:
        assert by_id[pid].status == "VIOLATED", (pid, by_id[pid].status, by_id[pid].details.get("message"))
    # the drain step is not proved (it rests on BPE-PIPE-001) but has no counterexample of its own
    assert by_id["BPE-BUFFER-003/Pipeline.drain"].status == "INCONCLUSIVE"
    r = by_id["BPE-BUFFER-003/Pipeline.deposit"]
    cex = r.counterexample
    assert cex is not None and cex.confirmed_on_model and cex.model_outcome == "succeeded", cex and cex.note
    assert r.details["confirmed"] is True and r.details["counterexample"]["call"]["function"] == "deposit"
    stages = [cex.pre.pipeline.stageAt[U256(1)][U256(i)].v for i in range(cex.pre.pipeline.stageCount[U256(1)].v)]
    assert len(set(stages)) < len(stages) and cex.keys[0].v in stages
    # replayed here again: the tail of the repeated stage moves by two in one transaction
    post = cex.pre.clone()
    out = post.world.transact(post.addrs["Pipeline"], "deposit", Msg(Address(cex.sender)), *cex.args)
    t = cex.keys[0]
    assert out.ok and post.escrow_buffer.queueTail[t].v - cex.pre.escrow_buffer.queueTail[t].v == stages.count(t.v)
    assert not fifo_nothing_twice(cex.pre, post, cex.call(), t, U256(0))
    # the correct model refuses the pipeline the twin created
    correct = pipeline_system()
    for st in set(stages):
        correct.backpressure_pool.pools[Bytes32(st)] = Address(0x9001)
    weights = [cex.pre.pipeline.weightAt[U256(1)][U256(i)] for i in range(len(stages))]
    refused = correct.world.transact(correct.addrs["Pipeline"], "createPipeline", Msg(Address(GOVERNANCE)),
                                     [Bytes32(x) for x in stages], weights)
    assert not refused.ok and type(refused.error).__name__ == "InvalidPipeline"


@pytest.mark.slow
def test_broken_twin_realises_on_the_model_and_both_evms(tmp_path):
    """The bug the proof found, as a call sequence on the full suite (real Superfluid framework): a pipeline
    [T1, T1] and one deposit into it; BPE-BUFFER-003 fails on the model state and on the EVM state (pyrevm and
    py-evm) with the twin model and the twin contract; the correct contract and model pass the same sequence."""
    cls, sol, _lemma, _proofs = PIPELINE_TWINS["pipeline_stages_not_distinct"]
    path = tmp_path / "pipeline_stages_not_distinct.json"
    steps = [PREPARE, call("Pipeline", "createPipeline", GOVERNANCE, [T1, T1], [5000, 5000]),
             call("Pipeline", "deposit", SOURCES[0], 2, 10 * E18)]
    path.write_text(json.dumps({"schema": REPLAY_SCHEMA, "suite": "bpe", "steps": steps}))
    artifacts = bpe_artifacts(overrides={"Pipeline": sol})
    for engine in ("pyrevm", "py-evm"):
        try:
            found = replay(path, deploy_bpe(engine, artifacts), {"Pipeline": cls}, out=lambda *_: None)
        except Mismatch as m:
            found = m
        text = str(found)
        assert found is not None and "BPE-BUFFER-003 fails across Pipeline.deposit" in text, (engine, text)
        assert "on the model state" in text and "on the EVM state" in text, (engine, text)
    assert replay(path, deploy_bpe("pyrevm", bpe_artifacts()), out=lambda *_: None) is None


# -- the model split: _depositStage / _drainStage behave exactly like the inline loops they replaced ---------


class PipelineInline(Pipeline):
    """deposit and drain as they were before the split (specs/bpe/pipeline.py at 3f2ef32), loops inline."""

    def deposit(self, msg: Msg, pipelineId: U256, amount: U256) -> None:  # type: ignore[override]
        from specs.bpe.pipeline import ZeroAmount

        n = self.stageCount[pipelineId]
        if n == 0:
            raise Revert(UnknownPipeline(pipelineId))
        if amount == 0:
            raise Revert(ZeroAmount())
        if not self.world.at(self.token).transferFrom(self.this_msg(), msg.sender, self.address, amount):
            raise Revert(TransferFailed())
        rest = amount
        i = n - 1
        while i > 0:
            share = amount * self.weightAt[pipelineId][i] // BPS
            rest = rest - share
            self._depositShare(self.stageAt[pipelineId][i], share)
            i = i - 1
        self._depositShare(self.stageAt[pipelineId][U256(0)], rest)
        self.emit(PipelineDeposited(pipelineId, msg.sender, amount))

    def drain(self, msg: Msg, pipelineId: U256) -> None:  # type: ignore[override]
        n = self.stageCount[pipelineId]
        if n == 0:
            raise Revert(UnknownPipeline(pipelineId))
        drained = False
        buffer = self.world.at(self.escrowBuffer)
        i = n
        while i > 0:
            stage = self.stageAt[pipelineId][i - 1]
            if buffer.drainable(self.this_msg(), stage) != 0:
                buffer.drain(self.this_msg(), stage)
                drained = True
            i = i - 1
        if not drained:
            raise Revert(NothingToDrain(pipelineId))


def _random_state(rng: random.Random, cls: type):  # type: ignore[no-untyped-def]
    system = pipeline_system({"Pipeline": cls})
    bp, eb = system.backpressure_pool, system.escrow_buffer
    types_ = [Bytes32(0x7A50 + i) for i in range(6)]
    for i, t in enumerate(types_):  # storage first (a transaction replaces the contract objects)
        if rng.random() < 0.85:
            pool = 0x9001_0000 + i
            bp.pools[t] = Address(pool)
            system.world.deploy(pool, FixedPool(totalUnits=rng.choice([0, 1, 3, 10**6])))
        eb.maxima[t] = U256(rng.choice([0, 10**4, 10**6, 10**30, 10**30, 10**30]))
        eb.unitPrice[t] = U256(rng.choice([0, 1, 10**3, 10**18]))
    for t in types_:
        for _ in range(rng.randrange(3)):
            system.world.transact(system.addrs["EscrowBuffer"], "deposit", Msg(Address(0x50C0)),
                                  t, U256(rng.choice([1, 999, 10**4])))
    for _ in range(3):
        k = rng.randrange(2, 6)
        stages = rng.sample(types_, k)
        cuts = sorted(rng.sample(range(1, 10_000), k - 1))
        weights = [U256(b - a) for a, b in zip([0, *cuts], [*cuts, 10_000])]
        system.world.transact(system.addrs["Pipeline"], "createPipeline", Msg(Address(GOVERNANCE)), stages, weights)
    system.world.block.number += 1
    system.world.block.timestamp += rng.choice([0, 1, 12, 3600])
    return system


def test_the_loop_bodies_as_methods_behave_like_the_inline_loops():
    rng = random.Random(4)
    successes = {"deposit": 0, "drain": 0}
    for case in range(200):
        seed = rng.randrange(1 << 30)
        fn = rng.choice(["deposit", "drain"])
        args = (U256(rng.choice([0, 1, 1, 2, 3, 4])),) + ((U256(rng.choice([0, 1, 7, 10**4, 10**6, 10**9])),)
                                                        if fn == "deposit" else ())
        runs = []
        for cls in (Pipeline, PipelineInline):
            system = _random_state(random.Random(seed), cls)
            out = system.world.transact(system.addrs["Pipeline"], fn, Msg(Address(0x50C1)), *args)
            runs.append((out.ok, repr(out.error), [(e.address, repr(e.event)) for e in out.events],
                         state_json(system)))
        assert runs[0] == runs[1], (case, fn, args)
        successes[fn] += runs[0][0]
    assert successes["deposit"] > 10 and successes["drain"] > 5, successes


class DepositTouchesNeighbour(EscrowBuffer):
    """An EscrowBuffer whose deposit also restarts the drain clock of the next task type id (a row frame bug)."""

    @external
    def deposit(self, msg: Msg, taskTypeId: Bytes32, amount: U256) -> None:  # type: ignore[override]
        super().deposit(msg, taskTypeId, amount)
        self.lastDrain[Bytes32(taskTypeId.v + 1)] = U256(self.world.block.timestamp)


@pytest.mark.catches("prover-callees")
def test_the_row_frame_is_proved_of_the_model_and_catches_a_write_to_another_row():
    from invariants.bpe.pipeline import escrow_results

    by_id = {r.id: r for r in escrow_results({"EscrowBuffer": DepositTouchesNeighbour})}
    assert by_id["BPE-BUFFER-ROW-001/EscrowBuffer.deposit"].status == "VIOLATED"
    assert by_id["BPE-BUFFER-ROW-001/EscrowBuffer.drain"].status == "PROVED"


class RestInTwoHalves(Pipeline):
    """A deposit that pays stage 0's rest in two calls (two entries in one queue, one transaction)."""

    @external
    def deposit(self, msg: Msg, pipelineId: U256, amount: U256) -> None:  # type: ignore[override]
        n = self.stageCount[pipelineId]
        if n == 0:
            raise Revert(UnknownPipeline(pipelineId))
        rest = amount
        i = n - 1
        while i > 0:
            share = amount * self.weightAt[pipelineId][i] // BPS
            rest = rest - share
            self._depositStage(pipelineId, i, share)
            i = i - 1
        self._depositStage(pipelineId, U256(0), rest // 2)
        self._depositStage(pipelineId, U256(0), rest - rest // 2)


def test_the_loop_lemma_checks_the_shape_of_the_transaction():
    lm = next(x for x in LEMMAS if x.id == "LEMMA-PIPE-DEP-LOOP")
    assert prove_pipeline_lemma(lm, {"Pipeline": RestInTwoHalves}).status == "VIOLATED"
