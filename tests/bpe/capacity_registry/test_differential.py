"""Differential fuzzing of CapacityRegistry (with StakeManager and TestToken): passes on the contract as
written on pyrevm, the same sequences pass on py-evm, and deliberately broken contracts and a broken
model are caught with a shrunk, replayable sequence."""

import json

import pytest

from harness.fuzz.bpe import capacity_registry as crf
from harness.fuzz.runner import replay, replay_sequences, run_fuzz
from specs.bpe.capacity_registry import CHAIN_ID, commit_hash
from specs.kernel import U256, Address, Bytes32
from specs.bpe.system import GOVERNANCE, addresses
from tests.checkers import tiered
from tests.bpe.fixtures.broken_capacity_registry_models import BROKEN_MODELS
from tests.bpe.fixtures.broken_models import BROKEN

E18 = 10**18
MACHINE = crf.CapacityRegistryMachine


@pytest.fixture(scope="module")
def pyrevm():
    return crf.deploy("pyrevm")


@pytest.fixture(scope="module")
def pyevm():
    return crf.deploy("py-evm")


@pytest.fixture(scope="module")
def campaign(pyrevm, tmp_path_factory):
    return run_fuzz(pyrevm, machine=MACHINE, max_examples=100, step_count=30, replay_dir=tmp_path_factory.mktemp("replays"))


REVERTS = [
    "registerTaskType: NotGovernance", "registerTaskType: ZeroTaskType", "registerTaskType: TaskTypeExists",
    "setEwmaAlpha: NotGovernance", "setEwmaAlpha: InvalidAlpha",
    "registerSink: UnknownTaskType", "registerSink: AlreadyRegistered", "registerSink: BelowMinStake",
    "deregisterSink: NotRegistered", "deregisterSink: NotSinkOrUnderstaked",
    "commitCapacity: NotRegistered", "commitCapacity: CommitPending",
    "revealCapacity: NoCommit", "revealCapacity: RevealTooEarly", "revealCapacity: CommitExpired",
    "revealCapacity: CommitMismatch",
]


@pytest.mark.slow
def test_fuzzing_passes_on_pyrevm_and_reaches_every_rule(campaign):
    r = campaign
    assert r.status == "PASSED", r.mismatch or r.message
    assert r.sequences >= 100 and r.steps > 2000
    for fn in ("registerTaskType", "setEwmaAlpha", "registerSink", "deregisterSink", "commitCapacity",
               "revealCapacity"):
        assert r.successes.get(f"CapacityRegistry.{fn}", 0) > 0, f"{fn} never succeeded: {r.successes}"
    for kind in REVERTS:
        assert r.reverts.get(f"CapacityRegistry.{kind}", 0) > 0, f"never reverted {kind}: {r.reverts}"
    cov = r.coverage
    for what in ("reveal ok, first", "reveal ok, smoothed", "reveal ok, clamped", "reveal ok at +1",
                 "reveal ok at +20", "second reveal of one commit reverted", "deregister ok"):
        assert cov.get(what, 0) > 0, f"never reached {what!r}: {cov}"
    assert r.successes.get("StakeManager.slash", 0) > 0 and r.successes.get("StakeManager.unstake", 0) > 0


@pytest.mark.slow
def test_the_same_sequences_pass_on_pyevm(campaign, pyevm):
    again = replay_sequences(pyevm, campaign.all_sequences[::34], machine=MACHINE)
    assert again.status == "PASSED", again.mismatch
    assert again.sequences >= 3


def _call(fn, sender, *args, contract="CapacityRegistry"):
    return {"op": "call", "contract": contract, "function": fn, "sender": sender, "args": list(args)}


@pytest.mark.slow
def test_the_33rd_sink_and_a_keeper_deregistration_agree_on_both_engines(pyrevm, pyevm):
    """Beyond the machine's three sinks: a full task type (TooManySinks), a keeper removing a sink
    that unstaked, the freed slot reused."""
    sm = addresses(crf.DEPLOYMENTS)["StakeManager"]
    sinks = [0x1000 + i for i in range(33)]
    steps = [_call("registerTaskType", GOVERNANCE, crf.TT_A)]
    for s in sinks:
        steps += [_call("mint", s, s, 100 * E18, contract="TestToken"), _call("approve", s, sm, 100 * E18, contract="TestToken"),
                  _call("stake", s, 100 * E18, contract="StakeManager"), _call("registerSink", s, crf.TT_A)]
    steps += [_call("unstake", sinks[3], 100 * E18, contract="StakeManager"),
              _call("deregisterSink", crf.STRANGER, crf.TT_A, sinks[3]),
              _call("registerSink", sinks[32], crf.TT_A)]
    for fixture in (pyrevm, pyevm):
        diff = crf.CapacityRegistryMachine.start(fixture, crf.build, [])
        outcomes = []
        for st in steps:
            diff.step(st)
            outcomes.append(diff.trace[-1]["outcome"])
        assert "TooManySinks" in outcomes[-4]
        assert outcomes[-2].startswith("ok") and outcomes[-1].startswith("ok")


def test_model_commit_hash_is_the_contracts(pyrevm):
    reg = pyrevm.contracts["CapacityRegistry"]
    for sink, cap, nonce in ((crf.SINKS[0], 0, 0), (crf.SINKS[1], 2**256 - 1, 2**256 - 1), (0, 10 * E18, 7)):
        m = commit_hash(Address(sink), Bytes32(0xA1), U256(cap), Bytes32(nonce), Address(reg.address))
        assert reg.view("commitHashOf", sink, (0xA1).to_bytes(32, "big"), cap, nonce.to_bytes(32, "big")).returned == (m.to_bytes(),)
    assert CHAIN_ID == 1


# -- broken twins ---------------------------------------------------------------------------------------

VARIANTS = {  # fixture -> what the mismatch must mention
    "capacity_registry_ewma_rounds_up": "revealCapacity",
    "capacity_registry_window_off_by_one": "CommitExpired",
    "capacity_registry_hash_without_sink": "commitHashOf",
    "capacity_registry_deregister_keeps_commit": "CapacityRegistry._commit",
}


@pytest.mark.catches("differential")
@pytest.mark.parametrize("variant", tiered(sorted(VARIANTS), fast=["capacity_registry_hash_without_sink"]))
def test_fuzzer_catches_a_broken_contract_with_a_replayable_sequence(variant, pyrevm, tmp_path):
    path = BROKEN / f"{variant}.sol"
    broken = crf.deploy("pyrevm", {"CapacityRegistry": path})
    r = run_fuzz(broken, machine=MACHINE, max_examples=100, step_count=30, replay_dir=tmp_path, shrink_seconds=2,
                 source_overrides={"CapacityRegistry": str(path)})
    assert r.status == "VIOLATED", r.message or f"not caught in {r.sequences} sequences"
    assert VARIANTS[variant] in r.mismatch, r.mismatch
    doc = json.loads(open(r.replay_file).read())
    assert doc["steps"] == r.shrunk_steps
    quiet = lambda *_: None  # noqa: E731
    assert replay(r.replay_file, broken, out=quiet, machine=MACHINE) is not None
    assert replay(r.replay_file, pyrevm, out=quiet, machine=MACHINE) is None  # the correct contract passes it


@pytest.mark.parametrize("variant", sorted(BROKEN_MODELS))
@pytest.mark.catches("differential-model")
def test_fuzzer_catches_a_broken_model(variant, pyrevm, tmp_path):
    r = run_fuzz(pyrevm, machine=MACHINE, max_examples=100, step_count=30, replay_dir=tmp_path, shrink_seconds=2,
                 model_overrides={"CapacityRegistry": BROKEN_MODELS[variant]})
    assert r.status == "VIOLATED", r.message or f"not caught in {r.sequences} sequences"
    assert "getSmoothedCapacity" in r.mismatch
    assert replay(r.replay_file, pyrevm, out=lambda *_: None, machine=MACHINE) is None  # the correct model passes it
