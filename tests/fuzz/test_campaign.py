"""Every fuzz campaign evaluates every registered invariant after every step, on model and EVM state,
and proves it: the result counts evaluations per invariant and side, and a campaign that ran steps
without evaluating some registered invariant is an ERROR, never a pass."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from tests.bpe import bpe_artifacts, deploy_bpe
from harness.fuzz.bpe import capacity_registry as crf
from harness.fuzz.runner import campaign_invariant_ids, run_fuzz
from harness.fuzz.bpe.stake_manager import StakeManagerMachine
from harness.fuzz.bpe.system import SystemMachine
from invariants.registry import REGISTRY, Invariant
from specs.kernel import U128
from specs.bpe.system import build_system
from tests.bpe.fixtures.broken_models import TWINS

MACHINES = (StakeManagerMachine, SystemMachine, crf.CapacityRegistryMachine)


def _hypothesis_instance_attributes() -> set[str]:
    """The attributes hypothesis's RuleBasedStateMachine.__init__ sets on an instance."""

    class Bare(RuleBasedStateMachine):
        @rule(x=st.just(0))
        def noop(self, x: int) -> None:
            pass

    return set(vars(Bare()))


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.__name__)
def test_no_machine_attribute_is_hidden_by_an_attribute_hypothesis_sets(machine):
    ours = {n for cls in machine.__mro__ if cls.__module__.startswith("harness.") for n in vars(cls)}
    hidden = ours & _hypothesis_instance_attributes()
    assert not hidden, f"{machine.__name__} defines {sorted(hidden)}, which hypothesis sets on every instance"


def test_the_system_machine_opens_with_the_stake_manager_machines_initialize_rule_by_name():
    """SystemMachine names the StakeManager machine's `setup` in its own body (not an accident of
    inheritance): the one initialize rule, the same object, so the same draws."""
    assert SystemMachine.__dict__["setup"] is StakeManagerMachine.setup
    # hypothesis' view of the two classes (an internal of the pinned version: requirements.lock)
    assert SystemMachine.setup_state().initializers == StakeManagerMachine.setup_state().initializers
    assert len(SystemMachine.setup_state().initializers) == 1


def test_the_machine_hands_every_registered_invariant_to_its_differential(pyrevm_suite):
    invariants = REGISTRY.for_contracts(set(pyrevm_suite.addrs))
    SystemMachine.configure(pyrevm_suite, build_system, invariants)
    machine = SystemMachine()
    assert [i.id for i in machine.diff.invariants] == [i.id for i in invariants] and len(invariants) >= 17


@pytest.mark.catches("state-invariants")
def test_a_state_invariant_broken_alike_in_contract_and_model_is_reported_by_the_pyrevm_campaign(artifacts, tmp_path):
    """slash forgets to lower totalStaked, in the contract and in the model alike: storage, views and
    outcomes agree; only BPE-STAKE-001 (totalStaked is the sum of the stakes), evaluated after every
    step on both sides, can see it."""
    model, contract, inv_id, _fn = TWINS["slash_keeps_total"]
    fixture = deploy_bpe("pyrevm", bpe_artifacts(overrides={"StakeManager": contract}))
    r = run_fuzz(fixture, machine=SystemMachine, max_examples=40, step_count=25, shrink_seconds=10,
                 model_overrides={"StakeManager": model}, replay_dir=tmp_path)
    assert r.status == "VIOLATED", r.message
    assert f"{inv_id} fails on the model state" in r.mismatch and f"{inv_id} fails on the evm state" in r.mismatch
    assert any(s.get("function") == "slash" for s in r.shrunk_steps)


def test_a_registered_invariant_no_campaign_step_can_evaluate_makes_the_campaign_an_error(pyrevm_suite, tmp_path,
                                                                                           monkeypatch):
    """An invariant quantified over keys the machine never knows (here uint128 keys) is evaluated zero
    times: the campaign is ERROR and names it, instead of passing without checking it."""
    unreachable = Invariant("BPE-TEST-001", "StakeManager", "Invariant: a check over keys no machine knows.",
                            "a test of the evaluation counts", "none", lambda s, k: True, (("k", U128),))
    monkeypatch.setitem(REGISTRY.invariants, unreachable.id, unreachable)
    r = run_fuzz(pyrevm_suite, machine=StakeManagerMachine, max_examples=2, step_count=5, replay_dir=tmp_path)
    assert r.status == "ERROR"
    assert "BPE-TEST-001 (model)" in r.message and "BPE-TEST-001 (evm)" in r.message
    assert r.evaluations["BPE-TEST-001"] == {"model": 0, "evm": 0}


def test_every_registered_invariant_is_counted_by_a_stake_manager_campaign(pyrevm_suite, tmp_path):
    r = run_fuzz(pyrevm_suite, machine=StakeManagerMachine, max_examples=3, step_count=10, replay_dir=tmp_path)
    assert r.status == "PASSED", r.mismatch or r.message
    assert sorted(r.evaluations) == sorted(campaign_invariant_ids(pyrevm_suite))
    assert all(n > 0 for sides in r.evaluations.values() for n in sides.values()), r.evaluations


def test_a_set_up_step_model_and_contract_both_reject_is_a_finding_with_its_replay(tmp_path):
    """The commit hash leaves out the sink in contract and model alike: the prepared state's reveals,
    made by PROTOCOL.md section 4's rule, fail on both sides. That is VIOLATED (a finding about the
    protocol's implementation, naming the step and the error), not an engine ERROR, and it replays."""
    from harness.fuzz.runner import replay
    from harness.fuzz.bpe.system import PREPARE
    from tests.bpe.fixtures.broken_capacity_registry_models import HashWithoutSink
    from tests.bpe.fixtures.broken_contracts import BROKEN

    artifacts = bpe_artifacts(overrides={"CapacityRegistry": BROKEN / "capacity_registry_hash_without_sink.sol"})
    fixture = deploy_bpe("pyrevm", artifacts)
    overrides = {"CapacityRegistry": HashWithoutSink}
    r = run_fuzz(fixture, machine=SystemMachine, max_examples=2, step_count=5, model_overrides=overrides,
                 replay_dir=tmp_path)
    assert r.status == "VIOLATED", r.message
    assert "set-up step" in r.mismatch and "revealCapacity" in r.mismatch and "CommitMismatch" in r.mismatch
    assert r.shrunk_steps == [PREPARE] and r.sequences == 0
    assert replay(r.replay_file, fixture, model_overrides=overrides, out=lambda *_: None) is not None
    # the model alone with the correct contract disagrees on the reveal: an ordinary mismatch, also a finding
    assert replay(r.replay_file, deploy_bpe("pyrevm", bpe_artifacts()), model_overrides=overrides,
                  out=lambda *_: None) is not None
    assert replay(r.replay_file, deploy_bpe("pyrevm", bpe_artifacts()), out=lambda *_: None) is None


def test_every_registered_invariant_is_counted_by_a_capacity_registry_campaign(tmp_path):
    fixture = crf.deploy("pyrevm")
    r = run_fuzz(fixture, machine=crf.CapacityRegistryMachine, max_examples=3, step_count=15, replay_dir=tmp_path)
    assert r.status == "PASSED", r.mismatch or r.message
    assert sorted(r.evaluations) == sorted(campaign_invariant_ids(fixture))
    assert all(n > 0 for sides in r.evaluations.values() for n in sides.values()), r.evaluations


def test_only_a_measurement_may_skip_the_evaluation_rule(pyrevm_suite, tmp_path):
    """The benchmark's reduced mode (no per-step state, hence no step invariant) is not made ERROR when
    asked not to be; the same replay under the rule is."""
    from harness.fuzz.runner import replay_sequences, run_fuzz

    r = run_fuzz(pyrevm_suite, machine=StakeManagerMachine, max_examples=3, step_count=10, replay_dir=tmp_path)
    assert r.status == "PASSED" and r.all_sequences, r.message
    strict = replay_sequences(pyrevm_suite, r.all_sequences, replay_dir=tmp_path, state_each_step=False)
    assert strict.status == "ERROR" and "never evaluated" in strict.message
    measured = replay_sequences(pyrevm_suite, r.all_sequences, replay_dir=tmp_path, state_each_step=False,
                                require_every_invariant=False)
    assert measured.status == "PASSED", measured.message
