"""EscrowBuffer under assume-guarantee stubs for its Superfluid callees: BPE-BUFFER-001..004 are proved for
the covered transitions, drain included (with loop summaries, tests/proofs/test_drain_proofs.py), not
vacuously; the broken deposit twin is caught with a counterexample that replays on the model and, on the
full suite with the real framework, on both EVMs."""

from __future__ import annotations

import pytest

import invariants.bpe.all  # noqa: F401
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.evm_replay import replay_on_evm
from invariants.bpe.assume_guarantee import ESCROW_TRANSITIONS, GUARANTEES, escrow_buffer_prover
from invariants.bpe.proofs import unsupported_obligations
from invariants.suite import coverage, declared_parts, suite_invariants
from specs.bpe.suite import SUITE as BPE
from tests.bpe.fixtures.broken_invariant_models import ESCROW_TWINS


@pytest.mark.slow
def test_escrow_buffer_obligations_are_proved_under_the_stated_guarantees(proof_parts):
    results = proof_parts["escrow_buffer"]
    assert results and all(r.status == "PROVED" for r in results), [(r.id, r.status) for r in results]
    for fn in ESCROW_TRANSITIONS:
        r = next(r for r in results if r.id == f"BPE-BUFFER-001/EscrowBuffer.{fn}")
        assert set(GUARANTEES) <= set(r.details["environment"])
        assert any(x.id == f"VACUITY/EscrowBuffer.{fn}" and x.status == "PROVED" for x in results)


@pytest.mark.parametrize("twin", sorted(ESCROW_TWINS))
@pytest.mark.catches("prover-callees")
def test_broken_escrow_buffer_is_violated_and_replays_on_both_evms(twin):
    contract, model, source, invariant, function = ESCROW_TWINS[twin]
    results = escrow_buffer_prover({contract: model}).run(only=lambda tr: tr.name == function)
    hit = next(r for r in results if r.id == f"{invariant}/{function}")
    assert hit.status == "VIOLATED"
    cex = hit.counterexample
    assert cex is not None and cex.confirmed_on_model, cex and (cex.model_outcome, cex.note)
    artifacts = bpe_artifacts(overrides={contract: source})
    for engine in ("pyrevm", "py-evm"):
        replay = replay_on_evm(cex, deploy_bpe(engine, artifacts))
        assert replay.confirmed, replay.detail
    # and the same pre-state and call do not break anything on the correct contract
    assert not replay_on_evm(cex, deploy_bpe("pyrevm", bpe_artifacts())).confirmed


@pytest.mark.slow
def test_the_whole_suite_leaves_nothing_out(proof_parts):
    results = [r for part in proof_parts.values() for r in part] + unsupported_obligations()  # prove_suite's rows
    statuses = {r.status for r in results}
    assert statuses <= {"PROVED", "UNSUPPORTED"}, [(r.id, r.status) for r in results if r.status not in
                                                   ("PROVED", "UNSUPPORTED")]
    assert any(r.id.startswith("BPE-BUFFER-001/EscrowBuffer.deposit") and r.status == "PROVED" for r in results)
    assert any(r.id.startswith("LEMMA-FLOW-") for r in results)
    # nothing left out: every row of UNSUPPORTED_OBLIGATIONS is a result; the BUFFER family is proved for
    # every EscrowBuffer call, drain included (invariants/bpe/drain.py), and BPE-BUFFER-003 across the Pipeline
    # transactions (invariants/bpe/pipeline.py)
    unsupported = {r.id for r in results if r.status == "UNSUPPORTED"}
    assert unsupported == {r.id for r in unsupported_obligations()}
    # and every registered invariant (state or step) is covered, by exactly the parts it declares
    # (proved_by): the coverage check adds no row
    assert coverage(BPE, proof_parts, unsupported_obligations()) == []
    for inv in suite_invariants(BPE):
        if "escrow_buffer" in declared_parts(BPE, inv):
            assert any(r.id == f"{inv.id}/EscrowBuffer.drain" and r.status == "PROVED" for r in results), inv.id
    assert any(r.id == "VACUITY/EscrowBuffer.drain" and r.status == "PROVED" for r in results)
    for fn in ("deposit", "drain"):
        assert any(r.id == f"BPE-BUFFER-003/Pipeline.{fn}" and r.status == "PROVED" for r in results), fn
