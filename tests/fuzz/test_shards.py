"""A campaign in shards (harness/fuzz/shards.py): the budget split the same way on any machine, the
same sequences whether the shards run in one process or side by side, merged results that keep every
shard's failure, count and invariant evaluation, a crashed shard reported as ERROR, and a broken
contract caught with a replay file."""

from __future__ import annotations

import json

import pytest

from harness.evm.compile import compile_contracts
from harness.evm.fixture import suite_artifacts
from harness.fuzz.runner import FuzzResult
from harness.fuzz.shards import merge, merge_hits, run_campaign, shard_seeds, split, workers_for
from specs.suite import get_suite
from tests.compute.fixtures.broken_contracts import BROKEN

COMPUTE = get_suite("compute")


def test_the_budget_is_split_by_the_shard_count_alone():
    assert split(120, 2) == [60, 60]
    assert split(121, 3) == [41, 40, 40]
    assert split(1, 2) == [1, 0]
    with pytest.raises(ValueError):
        split(10, 0)
    assert workers_for(2, cpus=8) == 2 and workers_for(4, cpus=2) == 2 and workers_for(3, cpus=1) == 1


def test_shard_seeds_are_their_indexes_when_derandomized_and_random_otherwise():
    assert shard_seeds("ci", 3) == [0, 1, 2]
    a, b = shard_seeds("nightly", 2), shard_seeds("nightly", 2)
    assert len(a) == 2 and a != b


def result(status: str, **kw) -> FuzzResult:
    r = FuzzResult(status, "pyrevm", kw.pop("steps", 10), kw.pop("budget", 5), kw.pop("seconds", 2.0), "ci", **kw)
    return r


def test_merged_results_add_up_and_keep_the_first_failing_shard():
    a = result("PASSED", sequences=5, calls={"f": 3}, reverts={"f:E": 1},
               evaluations={"INV-1": {"model": 4, "evm": 4}, "INV-2": {"model": 0, "evm": 0}},
               engine_differences=[{"sequence": 1, "step": 2}])
    b = result("VIOLATED", sequences=3, seconds=5.0, mismatch="b differs", replay_file="b.json",
               calls={"f": 2, "g": 1}, evaluations={"INV-1": {"model": 1, "evm": 1}, "INV-2": {"model": 2, "evm": 2}},
               engine_differences=[{"sequence": 0, "step": 1}])
    c = result("VIOLATED", sequences=1, mismatch="c differs", replay_file="c.json")
    m = merge([a, b, c], parallel=True)
    assert m.status == "VIOLATED" and (m.mismatch, m.replay_file) == ("b differs", "b.json")
    assert (m.steps, m.budget, m.sequences, m.seconds) == (30, 15, 9, 5.0)
    assert m.calls == {"f": 5, "g": 1} and m.reverts == {"f:E": 1}
    assert m.evaluations == {"INV-1": {"model": 5, "evm": 5}, "INV-2": {"model": 2, "evm": 2}}
    # sequence numbers run on across the shards
    assert [d["sequence"] for d in m.engine_differences] == [1, 5]
    assert merge([a, b], parallel=False).seconds == 7.0
    # an error outranks a violation
    assert merge([b, result("ERROR", message="engine died")], parallel=True).status == "ERROR"


def test_an_invariant_no_shard_evaluated_makes_the_merged_pass_an_error():
    a = result("PASSED", evaluations={"INV-1": {"model": 4, "evm": 4}, "INV-2": {"model": 0, "evm": 0}})
    b = result("PASSED", evaluations={"INV-1": {"model": 1, "evm": 1}, "INV-2": {"model": 1, "evm": 0}})
    m = merge([a, b], parallel=True)
    assert m.status == "ERROR" and "INV-2" in m.message
    b.evaluations["INV-2"]["evm"] = 3
    assert merge([a, b], parallel=True).status == "PASSED"


def test_coverage_hits_add_up_over_the_shards():
    into: dict = {}
    merge_hits(into, {"C": {"pcs": {1: 2, 5: 1}, "jumpi": {7: [1, 0]}}})
    merge_hits(into, {"C": {"pcs": {1: 1}, "jumpi": {7: [0, 3], 9: [1, 1]}}, "D": {"pcs": {}, "jumpi": {}}})
    assert into == {"C": {"pcs": {1: 3, 5: 1}, "jumpi": {7: [1, 3], 9: [1, 1]}}, "D": {"pcs": {}, "jumpi": {}}}


@pytest.fixture(scope="module")
def build():
    return compile_contracts()


def test_the_same_budget_runs_the_same_sequences_in_one_process_or_two(build, tmp_path):
    arts = suite_artifacts(build, deployments=COMPUTE.resolve(COMPUTE.deployments))
    kw = dict(profile_name="ci", max_examples=4, step_count=8, share=2, shards=2, replay_dir=tmp_path,
              log_progress=False)
    one = run_campaign("compute", ("pyrevm",), arts, workers=1, **kw)
    two = run_campaign("compute", ("pyrevm",), arts, workers=2, **kw)
    for c in (one, two):
        r = c.results["pyrevm"]
        assert r.status in ("PASSED", "ERROR") and not r.mismatch  # ERROR only for an invariant 4 sequences missed
        assert [s["shard"] for s in c.shards] == [0, 1] and sum(s["budget"] for s in c.shards) == 4
    assert one.results["pyrevm"].all_sequences == two.results["pyrevm"].all_sequences
    assert one.results["pyrevm"].steps == two.results["pyrevm"].steps > 0
    # the two shards draw different sequences: their seeds differ
    seqs = one.results["pyrevm"].all_sequences
    assert seqs[:2] != seqs[2:]


def test_a_shard_that_fails_to_run_is_an_error_of_every_engine(tmp_path):
    c = run_campaign("no-such-suite", ("pyrevm", "py-evm"), {}, profile_name="ci", max_examples=2, step_count=2,
                     share=1, shards=2, workers=1, replay_dir=tmp_path, log_progress=False)
    for eng in ("pyrevm", "py-evm"):
        assert c.results[eng].status == "ERROR" and c.results[eng].message.startswith("shard 0: ")
    assert [s["status"] for s in c.shards] == ["ERROR", "ERROR"]


def test_a_broken_contract_is_caught_by_a_shard_with_a_replay_file(build, tmp_path):
    arts = suite_artifacts(build, {"LedgerManager": BROKEN / "LedgerManager_deposit_keeps_a_wei.sol"},
                           deployments=COMPUTE.resolve(COMPUTE.deployments))
    c = run_campaign("compute", ("pyrevm",), arts, profile_name="ci", max_examples=12, step_count=30, share=20,
                     shards=2, workers=1, replay_dir=tmp_path, log_progress=False, shrink_seconds=5)
    r = c.results["pyrevm"]
    assert r.status == "VIOLATED", r.message
    assert "ethBalances" in r.mismatch
    doc = json.loads(open(r.replay_file).read())
    assert doc["suite"] == "compute" and doc["steps"] == r.shrunk_steps
    assert "VIOLATED" in [s["status"] for s in c.shards]


def test_a_second_engine_other_than_py_evm_replays_the_share(build, tmp_path):
    arts = suite_artifacts(build, deployments=COMPUTE.resolve(COMPUTE.deployments))
    c = run_campaign("compute", ("pyrevm", "pyrevm"), arts, profile_name="ci", max_examples=2, step_count=5,
                     share=1, shards=1, workers=1, replay_dir=tmp_path, log_progress=False)
    assert c.shards[0]["status"] != "ERROR" and c.results["pyrevm"].steps > 0


def test_a_violation_is_confirmed_on_the_second_engine_first_with_its_time_to_a_finding(build, tmp_path):
    arts = suite_artifacts(build, {"LedgerManager": BROKEN / "LedgerManager_deposit_keeps_a_wei.sol"},
                           deployments=COMPUTE.resolve(COMPUTE.deployments))
    c = run_campaign("compute", ("pyrevm", "py-evm"), arts, profile_name="ci", max_examples=12, step_count=30,
                     share=1, shards=1, workers=1, replay_dir=tmp_path, log_progress=False, shrink_seconds=5)
    first, second = c.results["pyrevm"], c.results["py-evm"]
    assert first.status == "VIOLATED"
    # found before shrinking: the time and the steps run until the first failing step
    assert first.first_failure["steps"] >= 1 and 0 < first.first_failure["seconds"] <= first.seconds
    # the second engine replays the shrunk sequence first; it reproduces, and the share (every sequence here,
    # share=1) is not replayed
    assert second.status == "VIOLATED" and "replayed first: VIOLATED" in second.message
    assert second.sequences == 1 and second.steps <= len(first.shrunk_steps)


def test_a_violation_the_second_engine_does_not_reproduce_is_an_engine_difference(build, tmp_path, monkeypatch):
    import harness.fuzz.runner as runner

    arts = suite_artifacts(build, {"LedgerManager": BROKEN / "LedgerManager_deposit_keeps_a_wei.sol"},
                           deployments=COMPUTE.resolve(COMPUTE.deployments))
    real = runner.replay_sequences

    def second_engine_passes_the_failing_sequence(fixture, sequences, **kw):
        if kw.get("reference_traces") is None:  # the shrunk failing sequence: as if this engine passed it
            return FuzzResult("PASSED", fixture.engine.name, len(sequences[0]), 1, 0.0, "replayed")
        return real(fixture, sequences, **kw)

    monkeypatch.setattr(runner, "replay_sequences", second_engine_passes_the_failing_sequence)
    c = run_campaign("compute", ("pyrevm", "pyrevm"), arts, profile_name="ci", max_examples=12, step_count=30,
                     share=20, shards=1, workers=1, replay_dir=tmp_path, log_progress=False, shrink_seconds=5)
    # (both engines are named pyrevm: the result under that name is the second's, the share replayed after)
    diffs = c.results["pyrevm"].engine_differences
    assert diffs and diffs[0]["sequence"] == "shrunk failing sequence" and "does not reproduce" in diffs[0]["call"]
