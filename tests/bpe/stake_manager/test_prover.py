"""The StakeManager proofs: they hold for the contract as written, and they catch broken twins.

Each broken model has a Solidity twin; the counterexample must replay on the model and, with the twin
deployed, on both EVMs."""

import pytest

import invariants.bpe.all  # noqa: F401
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.evm_replay import replay_on_evm
from invariants.bpe.proofs import system_prover
from specs.bpe.system import CORE_DEPLOYMENTS
from tests.checkers import tiered
from tests.bpe.fixtures.broken_models import TWINS


@pytest.mark.slow
def test_every_stake_manager_obligation_is_proved():
    results = system_prover().run()
    bad = [(r.id, r.status, r.details.get("message")) for r in results if r.status != "PROVED"]
    assert not bad
    ids = {r.id for r in results}
    for inv in ("BPE-CAP-001", "BPE-STAKE-001", "BPE-STAKE-002"):
        assert f"{inv}/init" in ids
        for fn in ("stake", "unstake", "slash", "setSlasher"):
            assert f"{inv}/StakeManager.{fn}" in ids
    assert all(r.status == "PROVED" for r in results if r.kind == "vacuity")


@pytest.mark.catches("prover")
@pytest.mark.parametrize("twin", tiered(sorted(TWINS), fast=["slash_keeps_total"]))
def test_prover_reports_violated_with_a_counterexample_that_replays_on_model_and_both_evms(twin):
    model, source, invariant, function = TWINS[twin]
    prover = system_prover({"StakeManager": model}, deployments=CORE_DEPLOYMENTS)
    results = prover.run(only=lambda tr: tr.function == function)
    hit = [r for r in results if r.id == f"{invariant}/StakeManager.{function}"]
    assert hit and hit[0].status == "VIOLATED", [(r.id, r.status) for r in results]
    cex = hit[0].counterexample
    assert cex is not None and cex.confirmed_on_model, cex and cex.note
    artifacts = bpe_artifacts(overrides={"StakeManager": source})
    for engine in ("pyrevm", "py-evm"):
        replay = replay_on_evm(cex, deploy_bpe(engine, artifacts))
        assert replay.confirmed, replay.detail


def test_a_counterexample_does_not_replay_on_the_correct_contract():
    """The EVM replay is a real check: the slash counterexample fails to violate anything on the
    unbroken contract."""
    model, _, invariant, function = TWINS["slash_keeps_total"]
    results = system_prover({"StakeManager": model}, deployments=CORE_DEPLOYMENTS).run(only=lambda tr: tr.function == function)
    cex = next(r for r in results if r.id == f"{invariant}/StakeManager.{function}").counterexample
    replay = replay_on_evm(cex, deploy_bpe("pyrevm", bpe_artifacts()))
    assert not replay.confirmed
