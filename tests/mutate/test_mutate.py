"""Mutation testing (harness/mutate): the generator, a known-killable mutant killed, a known-equivalent
one recognised, a stillborn one reported with its reason, the constructor and library differentials,
and the statuses of the checks verify adds. Runs in one process (jobs=1) with a small fuzz budget."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pytest

from harness.evm.compile import REPO, compile_contracts
from harness.fuzz.differential import PROBE_SENDER
from tests.bpe import bpe_artifacts, deploy_bpe
from harness.mutate.operators import MUTATED_SOURCES, NOT_MUTATED, generate
from harness.mutate.report import checks_from_results, score
from harness.mutate.run import (
    EQUIVALENT,
    KILLED,
    SOLC_CACHE,
    STILLBORN,
    SURVIVED,
    load_equivalents,
    materialize,
    run_mutants,
    same_bytecode,
    sample,
)

SMALL = {"max_examples": 10, "step_count": 30}


@pytest.fixture(scope="module")
def build():
    return compile_contracts()


@pytest.fixture(scope="module")
def mutants(build):
    return {m.id: m for m in generate(build)}


def test_every_contract_and_operator_family_is_mutated(mutants):
    ms = list(mutants.values())
    assert {m.contract for m in ms} == set(MUTATED_SOURCES)
    ops = Counter(m.op for m in ms)
    for family in ("arith", "compare", "const", "revert-removed", "revert-negated", "access-removed",
                   "access-negated", "assign-deleted", "emit-arg", "emit-deleted", "compound", "logic"):
        assert ops[family] > 0, family
    assert len(ms) == len({m.id for m in ms})


def test_a_mutant_is_the_original_with_exactly_one_edit(mutants):
    assert len(mutants) > 17
    for m in list(mutants.values())[::17]:
        source = (REPO / m.path).read_bytes()
        mutated = m.apply(source)
        assert mutated != source
        assert source[: m.start] == mutated[: m.start]
        assert source[m.end:] == mutated[len(mutated) - (len(source) - m.end):]
        assert m.diff(source).count("\n-") >= 1


def test_every_source_is_mutated_or_listed_as_not_mutated_with_a_reason():
    """NOT_MUTATED's paths (globs) name real files, none of them mutated, and together with the mutated
    sources they cover contracts/: a stale path would give a reason for nothing and hide a file that is
    neither mutated nor explained."""
    mutated = set(MUTATED_SOURCES.values())
    explained: set[str] = set()
    for pattern in NOT_MUTATED:
        files = sorted(p.relative_to(REPO).as_posix() for p in REPO.glob(pattern))
        assert files, f"NOT_MUTATED: {pattern} matches no file"
        assert not mutated & set(files), pattern
        explained |= set(files)
    # and every Solidity file under contracts/ is one or the other
    every = {p.relative_to(REPO).as_posix() for p in (REPO / "contracts").rglob("*.sol")}
    assert every - mutated - explained == set()


def test_access_control_checks_are_recognised(mutants):
    access = {m.id for m in mutants.values() if m.op == "access-removed"}
    assert "StakeManager.access-removed.L54C9" in access  # setSlasher: msg.sender != governance
    assert "StakeManager.access-removed.L86C9" in access  # slash: !isSlasher[msg.sender]
    # a commit hash that includes msg.sender is not an access check
    assert not any(m.startswith("CapacityRegistry.access-removed.L163") for m in access)


def test_materialized_mutant_imports_point_back_into_contracts(mutants, tmp_path):
    base, overrides = materialize(mutants["BPEMath.const.L11C17.2"], out_dir=tmp_path)
    assert set(overrides) == {"StakeManager"}  # the library is compiled into its importer
    text = overrides["StakeManager"].read_text()
    assert '"./libraries/BPEMath.sol"' in text  # the mutated copy
    for target in re.findall(r'from "(\.[^"]+)"', text):
        assert (overrides["StakeManager"].parent / target).resolve().is_file(), target
    assert "y > 4" in (base / "bpe" / "libraries" / "BPEMath.sol").read_text()  # its path below contracts/


@pytest.mark.slow
@pytest.mark.catches("mutation")
def test_known_killable_mutant_is_killed_by_the_fuzzer(mutants):
    # setSlasher without its governance check: anyone may grant the slasher role. The differential's
    # stranger probe finds it at the end of the prepared state's set-up, before the first sequence.
    [r] = run_mutants([mutants["StakeManager.access-removed.L54C9"]], jobs=1, budget=SMALL)
    assert r["status"] == KILLED, r
    assert r["killed_by"] == "outcome" and "StakeManager.setSlasher(" in r["reason"]
    assert f"from {PROBE_SENDER:#x}" in r["reason"] and r["fuzz_seconds"] > 0


def test_constructor_check_removed_is_killed_by_the_constructor_differential(mutants):
    [r] = run_mutants([mutants["StakeManager.revert-removed.L44C9"]], jobs=1, budget=SMALL)
    assert r["status"] == KILLED and r["killed_by"] == "constructor", r
    assert "StakeManager constructor" in r["reason"]


@pytest.mark.catches("mutation")
def test_sqrt_broken_below_the_minimum_stake_is_killed_by_the_library_differential(mutants):
    [r] = run_mutants([mutants["BPEMath.const.L11C17.2"]], jobs=1, budget=SMALL)
    assert r["status"] == KILLED and r["killed_by"] == "library", r
    assert "BPEMath.sqrt(4): model 2, evm 1" in r["reason"]


@pytest.mark.slow
def test_known_equivalent_mutant_is_recognised_with_its_reason(mutants):
    assert "BPEMath.const.L11C17" in load_equivalents()
    [r] = run_mutants([mutants["BPEMath.const.L11C17"]], jobs=1, budget=SMALL)
    assert r["status"] == EQUIVALENT and r["equivalence"] == "listed", r
    assert "floor(sqrt(3))" in r["reason"]


def test_a_mutant_that_does_not_compile_is_stillborn_with_the_reason(mutants):
    m = dataclasses.replace(mutants["StakeManager.access-removed.L54C9"], id="StakeManager.test.stillborn",
                            replacement="@@@")
    [r] = run_mutants([m], jobs=1, budget=SMALL)
    assert r["status"] == STILLBORN and "ParserError" in r["reason"], r


def test_same_bytecode_ignores_metadata_only(build, mutants):
    original = build.get("StakeManager")
    base, overrides = materialize(mutants["StakeManager.access-removed.L54C9"])
    mutant = compile_contracts([overrides["StakeManager"]], cache_dir=SOLC_CACHE).get("StakeManager")
    assert same_bytecode(original, original)
    assert not same_bytecode(original, mutant)
    # a pure comment edit changes only the metadata hash
    copy = base.parent / "comment-only" / "StakeManager.sol"
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(overrides["StakeManager"].read_text().replace(
        "if (msg.sender != governance) revert NotGovernance(msg.sender);\n        if (slasher", "{}\n        if (slasher")
        .replace("{}\n        if (slasher", "if (msg.sender != governance) revert NotGovernance(msg.sender); // x\n"
                                            "        if (slasher"))
    same = compile_contracts([copy], cache_dir=SOLC_CACHE).get("StakeManager")
    assert same_bytecode(original, same)


def test_sample_covers_every_contract_and_is_reproducible(mutants):
    ms = list(mutants.values())
    a, b = sample(ms, 12, 6), sample(ms, 12, 6)
    assert [m.id for m in a] == [m.id for m in b] and len(a) == 12
    assert {m.contract for m in a} == set(MUTATED_SOURCES)
    assert [m.id for m in sample(ms, 12, 7)] != [m.id for m in a]


def _result(id_, status, **kw):
    base = {"id": id_, "contract": id_.split(".")[0], "op": id_.split(".")[1], "status": status, "seconds": 1.0,
            "line": 1, "function": "f", "original": "a", "replacement": "b", "diff": "-a\n+b\n", "killed_by": "",
            "detected_by": [], "reason": "", "equivalence": "", "listed_equivalent_but_killed": False,
            "sequences": 3, "steps": 30}
    base.update(kw)
    return base


@pytest.mark.catches("mutation")
def test_checks_gate_survivors_as_violated_and_equivalents_as_passed():
    killed = _result("StakeManager.compare.L1C1", KILLED, killed_by="outcome")
    equiv = _result("BPEMath.const.L2C1", EQUIVALENT, equivalence="listed", reason="same result")
    still = _result("Pipeline.const.L3C1", STILLBORN, reason="TypeError: x")
    surv = _result("Pipeline.const.L4C1", SURVIVED)
    ok = checks_from_results([killed, equiv, still], 3.0, {})
    assert [c.id for c in ok] == ["MUTATION-SAMPLE", "MUTATION-BPEMath.const.L2C1"]
    assert ok[0].status.value == "PASSED" and ok[0].details["score"] == 1.0
    assert ok[1].status.value == "PASSED" and "same result" in ok[1].details["message"]
    bad = checks_from_results([killed, equiv, still, surv], 3.0, {})
    assert bad[0].status.value == "VIOLATED" and bad[0].details["score"] == 0.5
    assert [c.status.value for c in bad if c.id == "MUTATION-Pipeline.const.L4C1"] == ["VIOLATED"]
    contradicted = _result("BPEMath.const.L5C1", KILLED, killed_by="library", listed_equivalent_but_killed=True)
    assert checks_from_results([contradicted], 1.0, {})[0].status.value == "VIOLATED"
    s = score([killed, equiv, still, surv])
    assert s["overall"]["denominator"] == 2 and s["kills_by_check"] == {"outcome": 1}


def test_sample_checks_returns_a_summary_check_for_verify(build):
    from harness.mutate.report import sample_checks

    checks = sample_checks(build, n=1, seed=6, jobs=1, budget=SMALL)
    summary = checks[0]
    assert summary.id == "MUTATION-SAMPLE" and summary.kind.value == "fuzz"
    assert summary.details["sample"] == 1 and len(summary.details["mutants"]) == 1
    verdict = summary.details["mutants"][0]["status"]
    expected = {"KILLED": "PASSED", "EQUIVALENT": "PASSED", "SURVIVED": "VIOLATED", "ERROR": "ERROR"}
    if verdict in expected:
        assert summary.status.value == expected[verdict]


# Former survivors of the campaign (mutants/SURVIVORS.md), each killed by one of the focused rules of
# harness/fuzz/bpe/system.py: the rule, run once from the prepared state, agrees with the models on the original
# contracts and raises a mismatch on the mutant (the deliberately broken contract is the mutant itself).
FORMER_SURVIVORS = [
    ("StakeManager.const.L55C32", "set_slasher_edge", {"account": 1, "enabled": True}, "success:"),
    ("BackpressurePool.const.L86C46", "one_unit_member_leaves", {"sink": 0, "t": "T1"}, "MemberUnitsUpdated"),
    ("BackpressurePool.arith.L119C62", "small_upward_move", {"sink": 0, "t": "T1", "move": "half"}, "needsRebalance"),
    ("BackpressurePool.const.L69C77", "pipeline_deposit_dust", {"src": 0, "amount": 1}, "transferabilityForUnitsOwner"),
]


def _rule_once(artifacts, rule, kwargs):
    from harness.fuzz.bpe import system
    import invariants.bpe.all  # noqa: F401  (registers every invariant)
    from invariants.registry import REGISTRY
    from specs.bpe.system import build_system

    fixture = deploy_bpe("pyrevm", artifacts)
    system.SystemMachine.configure(fixture, lambda: build_system({}), REGISTRY.for_contracts(set(fixture.addrs)))
    machine = system.SystemMachine()
    kw = {k: ({"sink": system.SINKS, "src": system.SOURCES}[k][v] if k in ("sink", "src") else
              getattr(system, v) if k == "t" else v) for k, v in kwargs.items()}
    getattr(machine, rule)(**kw)
    machine.teardown()
    return machine.log


@pytest.mark.parametrize("mutant_id,rule,kwargs,seen", FORMER_SURVIVORS)
@pytest.mark.slow
@pytest.mark.catches("mutation")
def test_a_focused_rule_kills_a_former_survivor(build, mutants, mutant_id, rule, kwargs, seen):
    from harness.fuzz.differential import Mismatch

    original = bpe_artifacts(build)
    log = _rule_once(original, rule, kwargs)  # the original agrees with the models
    assert len(log) >= 2
    _base, overrides = materialize(mutants[mutant_id])
    broken = dict(original)
    for name, path in overrides.items():
        broken[name] = compile_contracts([path], cache_dir=SOLC_CACHE).get(name)
    with pytest.raises(Mismatch) as e:
        _rule_once(broken, rule, kwargs)
    assert any(seen in d.render() for d in e.value.differences), e.value.render()


def test_a_torn_last_verdict_is_dropped_and_a_corrupt_one_is_one_line_and_exit_3(tmp_path, capsys):
    from harness.mutate.__main__ import _load, main
    from tests.one_line import one_line

    jsonl = tmp_path / "results.jsonl"
    good = '{"id": "StakeManager.arith.L1C1", "status": "killed"}\n'
    jsonl.write_text(good + '{"id": "StakeManager.arith.L2C2", "sta')  # killed while appending
    assert [r["id"] for r in _load(jsonl)] == ["StakeManager.arith.L1C1"]
    assert "torn last line" in one_line(capsys.readouterr().err)
    jsonl.write_text('{"id": "x", "sta\n' + good)  # a bad line that is not the last one
    assert main(["report", "--out", str(tmp_path)]) == 3
    line = one_line(capsys.readouterr().err)
    assert f"{jsonl}:1: not a JSON verdict" in line, line
    assert not (tmp_path / "REPORT.md").exists()


def test_suite_selects_its_mutation_sources_and_refuses_a_contract_of_none(capsys):
    """`--suite NAME` mutates that suite's declared sources; a --contracts name outside them is one line,
    exit 3; every mutated source belongs to exactly one registered suite."""
    from harness.mutate.__main__ import main
    from harness.mutate.run import machine_of
    from specs.suite import get_suite
    from tests.one_line import one_line

    assert main(["list", "--suite", "bpe"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert {line.split(".")[0] for line in listed} == set(get_suite("bpe").mutation_sources)
    assert main(["list", "--suite", "bpe", "--contracts", "Nope"]) == 3
    assert "--contracts Nope: not mutation sources of suite bpe" in one_line(capsys.readouterr().err)
    # each mutated source is judged by the fuzz machine of the suite that declares it
    from specs.suite import suites

    owner = {c: s.fuzz_machine for s in suites() for c in s.mutation_sources}
    assert {c: machine_of(c) for c in MUTATED_SOURCES} == owner
    assert owner["StakeManager"] == get_suite("bpe").fuzz_machine
    assert owner["LedgerManager"] == get_suite("compute").fuzz_machine


def test_report_of_one_suite_counts_that_suites_mutants_only(tmp_path):
    """`report --suite NAME`: the score and the "not run yet" count are over that suite's mutants only."""
    import json

    from harness.mutate.__main__ import main
    from harness.mutate.run import source_digest

    verdict = {"id": "LedgerManager.revert-removed.L40C9", "contract": "LedgerManager", "status": "KILLED",
               "op": "revert-removed", "original": "if (token == address(0)) revert ZeroAddress();",
               "replacement": "{}", "source_digest": source_digest(), "killed_by": "outcome",
               "detected_by": ["outcome"], "seconds": 1.0, "fuzz_seconds": 1.0, "compile_seconds": 0.0,
               "machine": "harness.fuzz.compute.machine:ComputeMachine", "machine_digest": "x", "escalated": False,
               "function": "depositToken", "line": 40, "diff": "", "equivalence": "", "reason": "",
               "listed_equivalent_but_killed": False, "sequences": 1, "steps": 3,
               "budget": {"max_examples": 40, "step_count": 30}}
    (tmp_path / "results.jsonl").write_text(json.dumps(verdict) + "\n")
    assert main(["report", "--suite", "compute", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["meta"]["not_run_per_contract"]) <= {"ComputeStaking", "ComputeRegistry", "ComputeRental",
                                                           "InferenceServing", "LedgerManager", "TriggerRegistry"}
    assert summary["overall"]["killed"] == 1


def test_a_mutant_timeout_reaches_a_worker_thread_where_no_signal_does():
    """A cluster worker runs a mutant in a thread: the timer raises the timeout there, and a cancelled
    timer raises nothing."""
    import threading
    import time as _time

    from harness.mutate.run import _thread_alarm, _Timeout

    seen = []

    def busy(seconds: float, cancel: bool) -> None:
        timer = _thread_alarm(1)
        try:
            if cancel:
                timer.cancel()
            end = _time.monotonic() + seconds
            while _time.monotonic() < end:
                pass
            seen.append("finished")
        except _Timeout:
            seen.append("timeout")
        finally:
            timer.cancel()

    for cancel in (False, True):
        t = threading.Thread(target=busy, args=(3, cancel))
        t.start()
        t.join()
    assert seen == ["timeout", "finished"]
