"""BPE-FLOW proofs over the Superfluid model run symbolically (invariants/bpe/flow.py): proved on the model as
written, not vacuous, and every broken twin is VIOLATED with a counterexample that replays on the broken
model (unabstracted)."""

from __future__ import annotations

import pytest

from invariants.bpe import flow
from tests.checkers import tiered
from tests.bpe.fixtures.broken_flow_models import FLOW_TWINS


@pytest.fixture(scope="module")
def results(proof_parts):
    return proof_parts["flow"]


@pytest.mark.slow
def test_every_flow_obligation_is_proved_or_listed(results):
    by_id = {r.id: r for r in results}
    for r in results:
        inv, tr = r.id.split("/", 1)
        if inv in flow.SLOW_INVARIANTS.get(tr, ()):
            assert r.status == "UNSUPPORTED", r.id
            assert r.details["message"].startswith("not proved")
        else:
            assert r.status == "PROVED", (r.id, r.status, r.details)
    for inv in flow.FLOW_INVARIANTS:
        assert by_id[f"{inv}/init"].status == "PROVED"
    transitions = {f"{n}.{f}" for n, _a, f, _p in flow.flow_tasks()}
    for tr in transitions - set(flow.INTERNAL):
        for inv in flow.FLOW_INVARIANTS:
            assert f"{inv}/{tr}" in by_id
        assert by_id[f"VACUITY/FLOW/{tr}"].status == "PROVED"
    for tr in flow.INTERNAL:
        assert by_id[f"BPE-FLOW/{tr}/reverts-for-external-senders"].status == "PROVED"
    # the entry points the suite reaches are all proved
    for tr in ("GDAv1Forwarder.distribute", "GDAv1Forwarder.updateMemberUnits", "SuperfluidPool.updateMemberUnits",
               "GDAv1Forwarder.connectPool", "GDAv1Forwarder.disconnectPool", "GDAv1Forwarder.createPool",
               "SuperToken.upgrade", "SuperToken.downgrade", "SuperToken.transfer", "SuperToken.transferFrom"):
        for inv in flow.FLOW_INVARIANTS:
            assert by_id[f"{inv}/{tr}"].status == "PROVED"
    for inv in flow.FLOW_INVARIANTS:  # BPE-FLOW-002.gda across distributeFlow included (no SLOW row left)
        assert by_id[f"{inv}/GDAv1Forwarder.distributeFlow"].status == "PROVED"
    assert not flow.SLOW_INVARIANTS
    # BPE-FLOW-002 as stated, from its inductive parts
    rts = by_id["BPE-FLOW-002/realtime-sum"]
    assert rts.status == "PROVED" and rts.details["solver"] == ["unsat"] * 3 and rts.details["pieces"] > 100


@pytest.mark.parametrize("drop", ["settled", "gda", "books", "splits"])
def test_the_realtime_sum_does_not_follow_without_any_of_its_parts(drop):
    import z3

    facts, goal = flow.realtime_sum_query(2, drop=drop)
    s = z3.Solver()
    s.add(*facts, z3.Not(goal))
    assert s.check() == z3.sat


@pytest.mark.slow
def test_the_realtime_sum_is_not_proved_when_a_piece_is_not(results):
    import dataclasses

    pieces = [dataclasses.replace(r, status="INCONCLUSIVE") if r.id.startswith("BPE-FLOW-002.pools/") else r
              for r in results if r.id != "BPE-FLOW-002/realtime-sum"]
    r = flow.prove_realtime_sum(pieces)
    assert r.status == "INCONCLUSIVE" and "BPE-FLOW-002.pools/" in r.details["message"]


@pytest.mark.catches("prover-flow")
@pytest.mark.parametrize("twin", tiered(sorted(FLOW_TWINS), fast=["claim_mints_one", "disconnected_keeps_claim",
                                                                  "transfer_fee_burnt"]))
def test_a_broken_twin_is_violated_with_a_replaying_counterexample(twin):
    classes, tr, inv = FLOW_TWINS[twin]
    rs = flow.prove_flow(classes=classes, only=lambda t: t == tr)
    r = next(r for r in rs if r.id == f"{inv}/{tr}")
    assert r.status == "VIOLATED", r.details
    cex = r.details["counterexample"]
    assert cex["confirmed_on_model"], cex
    assert cex["model_outcome"] == "succeeded"


def test_the_abstraction_is_the_model_outside_a_symbolic_run():
    w, p, _q = flow.base_world()
    tok = w.contracts[flow.T]
    from specs.kernel import Address
    from specs.bpe.superfluid import SuperToken

    a = Address(0x1234)
    assert tok.available_now(a).v == SuperToken.available_now(tok, a).v
