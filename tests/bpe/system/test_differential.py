"""System-level differential fuzzing: the whole suite on the real Superfluid framework passes on both
engines, and deliberately broken variants (one per contract of the suite, and the GDA model) are
caught with a replayable shrunk sequence."""

from __future__ import annotations

import json

import pytest

from harness import cli
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.runner import campaign_invariant_ids, replay, replay_sequences, run_fuzz
from harness.fuzz.bpe.system import PREPARE, SystemMachine
from tests.bpe.fixtures.broken_gda import AdjustmentFlowDropped, RemainderFromDistributor
from tests.bpe.fixtures.broken_models import BROKEN

pytestmark = pytest.mark.slow  # long campaigns or a real node: the second tier (make test-slow)

# Functions whose success the campaign must reach (so "PASSED" is about something).
MUST_SUCCEED = (
    "CapacityRegistry.commitCapacity", "CapacityRegistry.revealCapacity", "CapacityRegistry.deregisterSink",
    "BackpressurePool.rebalance", "EscrowBuffer.deposit", "EscrowBuffer.drain", "Pipeline.deposit",
    "Pipeline.drain", "GDAv1Forwarder.distributeFlow", "GDAv1Forwarder.distribute", "GDAv1Forwarder.connectPool",
    "GDAv1Forwarder.claimAll", "StakeManager.slash", "StakeManager.unstake",
)
# Reverts the bad-input space must reach: each kind of bad input reverts with its named error.
MUST_REVERT = (
    "CapacityRegistry.revealCapacity: RevealTooEarly", "CapacityRegistry.revealCapacity: CommitExpired",
    "CapacityRegistry.revealCapacity: CommitMismatch", "CapacityRegistry.registerSink: UnknownTaskType",
    "EscrowBuffer.deposit: BufferOverflow", "EscrowBuffer.deposit: ZeroAmount", "EscrowBuffer.deposit: NoPool",
    "BackpressurePool.rebalance: NoPool", "StakeManager.<malformed calldata>: revert()",
    "EscrowBuffer.<malformed calldata>: revert()",
)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    fixture = deploy_bpe("pyrevm", bpe_artifacts())
    return fixture, run_fuzz(fixture, machine=SystemMachine, max_examples=80, step_count=40,
                             replay_dir=tmp_path_factory.mktemp("replays"))


def test_system_fuzzing_passes_on_pyrevm_and_reaches_every_part_of_the_suite(campaign):
    _, r = campaign
    assert r.status == "PASSED", r.mismatch or r.message
    assert r.sequences >= 80 and r.steps > 2_000
    missing = [fn for fn in MUST_SUCCEED if r.successes.get(fn, 0) <= 0]
    assert not missing, f"never succeeded: {missing}"
    unreached = [k for k in MUST_REVERT if r.reverts.get(k, 0) <= 0]
    assert not unreached, f"never reverted so: {unreached}"
    assert all(seq[0] == PREPARE for seq in r.all_sequences)


def test_the_campaign_evaluated_every_registered_invariant_on_both_sides(campaign):
    fixture, r = campaign
    assert sorted(r.evaluations) == sorted(campaign_invariant_ids(fixture))
    never = {i: sides for i, sides in r.evaluations.items() if not all(sides.values())}
    assert not never, f"never evaluated: {never}"


def test_the_same_sequences_pass_on_pyevm(campaign, tmp_path):
    _, r = campaign
    pyevm = deploy_bpe("py-evm", bpe_artifacts())
    # py-evm runs the Superfluid framework ~200x slower: outcomes, events and the suite's state are
    # compared after every step, the Superfluid views at the end of each sequence.
    again = replay_sequences(pyevm, r.all_sequences[::40], replay_dir=tmp_path, observe_each_step=False)
    assert again.status == "PASSED", again.mismatch or again.message
    assert again.sequences == len(r.all_sequences[::40]) >= 2 and again.steps > 40
    assert sorted(again.evaluations) == sorted(campaign_invariant_ids(pyevm))
    assert all(n > 0 for sides in again.evaluations.values() for n in sides.values()), again.evaluations


CONTRACT_VARIANTS = {
    # variant file: (contract replaced, what the mismatch names)
    "escrow_buffer_fifo_broken": ("EscrowBuffer", "EscrowBuffer.entry"),
    "escrow_buffer_bmax_off_by_one": ("EscrowBuffer", "deposit"),
    "backpressure_pool_units_stale": ("BackpressurePool", "rebalance"),
    "pipeline_rest_lost": ("Pipeline", "deposit"),
    "backpressure_pool_accepts_anything": ("BackpressurePool", "malformed calldata accepted"),
}


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory):
    runs = {}
    for variant, (contract, _) in CONTRACT_VARIANTS.items():
        path = BROKEN / f"{variant}.sol"
        fixture = deploy_bpe("pyrevm", bpe_artifacts(overrides={contract: path}))
        runs[variant] = (path, fixture, run_fuzz(
            fixture, machine=SystemMachine, max_examples=200, step_count=30, shrink_seconds=30,
            replay_dir=tmp_path_factory.mktemp("replays"),
            source_overrides={contract: str(path.relative_to(cli.REPO))}))
    return runs


@pytest.mark.parametrize("variant", sorted(CONTRACT_VARIANTS))
@pytest.mark.catches("differential")
def test_system_fuzzer_catches_a_broken_contract_with_a_replayable_sequence(variant, broken_runs):
    path, fixture, r = broken_runs[variant]
    contract, names = CONTRACT_VARIANTS[variant]
    assert r.status == "VIOLATED", r.message
    assert names in r.mismatch, r.mismatch
    doc = json.loads(open(r.replay_file).read())
    assert doc["steps"] == r.shrunk_steps and doc["steps"][0] == PREPARE
    assert replay(r.replay_file, fixture, out=lambda *_: None) is not None
    assert replay(r.replay_file, deploy_bpe("pyrevm", bpe_artifacts()), out=lambda *_: None) is None


@pytest.mark.parametrize("broken", [RemainderFromDistributor, AdjustmentFlowDropped])
@pytest.mark.catches("differential-model")
def test_system_fuzzer_catches_a_broken_gda_model(broken, tmp_path):
    fixture = deploy_bpe("pyrevm", bpe_artifacts())
    r = run_fuzz(fixture, machine=SystemMachine, max_examples=200, step_count=30, shrink_seconds=30,
                 replay_dir=tmp_path, model_overrides={"GeneralDistributionAgreementV1": broken})
    assert r.status == "VIOLATED", r.message
    # the correct model passes the same sequence
    assert replay(r.replay_file, fixture, out=lambda *_: None) is None


def test_regression_flow_conservation_counts_members_without_a_settled_entry():
    """A sequence where a connected member receives a pool's flow before the token settles anything for
    it: BPE-FLOW-002 must count it (model and EVM agree on every step)."""
    from pathlib import Path

    path = Path(__file__).parent / "regressions" / "flow002_unsettled_member.json"
    assert replay(path, deploy_bpe("pyrevm", bpe_artifacts()), out=lambda *_: None) is None


@pytest.mark.parametrize("variant", sorted(CONTRACT_VARIANTS))
def test_the_shrunk_mismatch_of_every_broken_contract_exports_as_a_foundry_test(variant, broken_runs, tmp_path):
    from harness.forge import export_forge

    _path, _fixture, r = broken_runs[variant]
    (out,) = export_forge(r.replay_file, tmp_path)
    header = out.read_text().split("import {WorkbenchTest}")[0]
    assert "it fails at: " in header and "the mismatch did not reproduce" not in header, header
