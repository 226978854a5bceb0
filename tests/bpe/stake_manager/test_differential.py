"""Differential fuzzing of StakeManager: passes on the contract as written, on both engines, and
catches deliberately broken contracts with a shrunk, replayable call sequence."""

import json

import pytest

from harness import cli
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.bpe.stake_manager import StakeManagerMachine
from harness.fuzz.runner import replay, replay_sequences, run_fuzz
from tests.checkers import tiered
from tests.bpe.fixtures.broken_models import BROKEN


@pytest.mark.slow
def test_fuzzing_passes_on_pyrevm_and_the_same_sequences_pass_on_pyevm(pyrevm_suite, pyevm_suite, tmp_path):
    r = run_fuzz(pyrevm_suite, machine=StakeManagerMachine, max_examples=12, step_count=30, replay_dir=tmp_path)
    assert r.status == "PASSED", r.mismatch or r.message
    assert r.sequences == 12 and r.steps > 100
    for fn in ("StakeManager.stake", "StakeManager.unstake", "TestToken.mint", "TestToken.approve"):
        assert r.successes.get(fn, 0) > 0, f"{fn} never succeeded: {r.successes}"
    again = replay_sequences(pyevm_suite, r.all_sequences[::4], replay_dir=tmp_path)
    assert again.status == "PASSED", again.mismatch or again.message
    assert again.steps > 0


VARIANTS = {
    "StakeManager_cap_rounded_up": "getCapacityCap",
    "StakeManager_slash_keeps_total": "StakeManager.totalStaked",
    "StakeManager_unstake_below_min": "unstake",
}


@pytest.fixture(scope="module")
def broken_runs(tmp_path_factory):
    """broken_runs(variant): the campaign against that broken contract, run once (on first use) and
    read by every test below that asks for it."""
    runs = {}

    def run(variant):
        if variant not in runs:
            path = BROKEN / f"{variant}.sol"
            fixture = deploy_bpe("pyrevm", bpe_artifacts(overrides={"StakeManager": path}))
            runs[variant] = (path, fixture, run_fuzz(
                fixture, machine=StakeManagerMachine, max_examples=300, step_count=25, replay_dir=tmp_path_factory.mktemp("replays"),
                shrink_seconds=20, source_overrides={"StakeManager": str(path.relative_to(cli.REPO))}))
        return runs[variant]

    return run


@pytest.mark.catches("differential")
@pytest.mark.parametrize("variant", tiered(sorted(VARIANTS), fast=["StakeManager_slash_keeps_total"]))
def test_fuzzer_reports_a_broken_contract_with_a_replayable_shrunk_sequence(variant, broken_runs):
    path, fixture, r = broken_runs(variant)
    assert r.status == "VIOLATED", r.message
    assert VARIANTS[variant] in r.mismatch
    doc = json.loads(open(r.replay_file).read())
    assert doc["steps"] == r.shrunk_steps and doc["source_overrides"]
    # the counterexample is a decoded call trace: the EVM's outcome and events for every step
    assert len(r.trace) == len(r.shrunk_steps)
    assert any(ev.startswith("Staked(sink=0x") for t in r.trace for ev in t["events"])
    # the replay file reproduces the mismatch on the broken contract, on both engines ...
    assert replay(r.replay_file, fixture, out=lambda *_: None) is not None
    pyevm = deploy_bpe("py-evm", bpe_artifacts(overrides={"StakeManager": path}))
    assert replay(r.replay_file, pyevm, out=lambda *_: None) is not None
    # ... and not on the correct one
    assert replay(r.replay_file, deploy_bpe("pyrevm", bpe_artifacts()), out=lambda *_: None) is None


def test_replay_command_exits_1_when_the_mismatch_reproduces(broken_runs, capsys):
    _, _, r = broken_runs("StakeManager_slash_keeps_total")
    assert cli.main(["replay", r.replay_file, "--engine", "both"]) == 1
    assert "differs" in capsys.readouterr().out
