"""The compute suite's proofs (invariants/compute/proofs.py): the generic prover runs on the suite and
names what it cannot encode (the records with strings, ETH balances, payable functions, string and bytes
parameters, a callee chosen by an argument) as UNSUPPORTED, never proving over a stand-in; the
evaluate-only invariants all come back as UNSUPPORTED rows with their reason; linkAgent, which has no
success path in the suite's deployment, is reported with that reason only when the prover finds exactly
that."""

from __future__ import annotations

import pytest

from invariants.compute import proofs
from invariants.prover import PROVED, UNSUPPORTED, VIOLATED
from invariants.suite import coverage
from specs.suite import get_suite

SUITE = get_suite("compute")


def vacuity(names: set[str]) -> dict[str, tuple[str, str]]:
    p = proofs.system_prover(timeout_ms=10_000)
    out = {}
    for task in p.tasks(only=lambda tr: tr.name in names):
        for r in p.run_task(task):
            if r.kind == "vacuity":
                out[r.id.removeprefix("VACUITY/")] = (r.status, r.details.get("message", ""))
    assert set(out) == names
    return out


def test_the_prover_names_every_construct_it_cannot_encode():
    got = vacuity({"ComputeRegistry.setActive", "ComputeRental.terminateSession", "ComputeStaking.stake",
                   "ComputeStaking.slash", "TriggerRegistry.createTrigger", "InferenceServing.withdraw",
                   "LedgerManager.depositToken", "ComputeStaking.requestUnstake", "InferenceServing.approveProvider"})
    expected = {
        "ComputeRegistry.setActive": "records with string or bytes members) (ComputeRegistry.providers)",
        "ComputeRental.terminateSession": "(ComputeRental.sessions)",
        "ComputeStaking.stake": "payable function",
        "ComputeStaking.slash": "string parameter (ComputeStaking.slash(reason))",
        "TriggerRegistry.createTrigger": "bytes parameter",
        "InferenceServing.withdraw": "ETH balances",
        "LedgerManager.depositToken": "call to a symbolic address",
    }
    for name, construct in expected.items():
        assert got[name][0] == UNSUPPORTED and construct in got[name][1], (name, got[name])
    # what it can encode, it checks
    assert got["ComputeStaking.requestUnstake"][0] == PROVED
    assert got["InferenceServing.approveProvider"][0] == PROVED


def test_link_agent_is_explained_only_when_it_has_no_success_path(monkeypatch):
    raw = vacuity({"ComputeRegistry.linkAgent"})["ComputeRegistry.linkAgent"]
    assert raw[0] == VIOLATED and "no success path" in raw[1]
    rows = {r.id: r for r in proofs.prove_system() if r.id == "VACUITY/ComputeRegistry.linkAgent"}
    row = rows["VACUITY/ComputeRegistry.linkAgent"]
    assert row.status == UNSUPPORTED and "IdentityRegistryUnset" in row.details["message"]
    # another result for it stands as the prover gave it
    monkeypatch.setitem(proofs.NEVER_SUCCEEDS, "ComputeRegistry.linkAgent", "x")
    monkeypatch.setattr(proofs.Prover, "run", lambda self, **k: [
        proofs.ObligationResult("VACUITY/ComputeRegistry.linkAgent", "vacuity", "ComputeRegistry", PROVED, 0.0, "t")])
    assert [r.status for r in proofs.prove_system()] == [PROVED]


def test_every_evaluate_only_invariant_is_listed_with_its_reason():
    rows = proofs.unsupported_obligations()
    ids = {r.id.removesuffix("/*") for r in rows}
    assert ids == set(proofs.WHY_NOT_PROVED)
    assert all(r.status == UNSUPPORTED and "no encoding for" in r.details["message"] for r in rows)
    # with the rows, the coverage check of the proof runner finds nothing uncovered
    assert coverage(SUITE, {"system": []}, rows) == []


def test_an_evaluate_only_invariant_without_a_reason_is_refused(monkeypatch):
    monkeypatch.delitem(proofs.WHY_NOT_PROVED, "COMP-STAKE-001")
    with pytest.raises(ValueError, match="COMP-STAKE-001"):
        proofs.unsupported_obligations()
