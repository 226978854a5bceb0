"""Slither on the suite: findings, exclusion of dependencies, stable ids, triage and the checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from slither.detectors.abstract_detector import AbstractDetector, DetectorClassification

from harness.analysis import slither_run
from harness.analysis.slither_run import (
    FINDING_KEYS,
    SUMMARY_ID,
    TRIAGE_PATH,
    TriageEntry,
    TriageError,
    finding_from_result,
    finding_id,
    load_triage,
    parse_entry,
    parse_triage,
    results_checks,
    run_slither,
    triage,
)
from harness.report.results import Results, Status, validate
from tests.analysis.conftest import fixture_build

REPO = Path(__file__).resolve().parents[2]


def by_status(checks) -> dict[str, list]:
    out: dict[str, list] = {}
    for check in checks:
        out.setdefault(check.status.value, []).append(check)
    return out


def schema_valid(checks) -> Results:
    results = Results(checks=list(checks))
    validate(results.to_dict())
    return results


# --- the suite ---------------------------------------------------------------------------------


def test_suite_has_no_untriaged_findings_once_the_triage_file_is_applied(suite_run):
    checks = results_checks(run=suite_run)
    statuses = by_status(checks)
    assert [c.id for c in checks] == [SUMMARY_ID], checks
    summary = checks[0]
    assert summary.status is Status.PASSED
    counts = summary.details["counts"]
    assert counts["untriaged"] == 0 and counts["stale_triage_entries"] == 0
    assert counts["accepted"] == counts["findings"] == len(load_triage())
    assert "VIOLATED" not in statuses
    assert schema_valid(checks).exit_code() == 0


def test_suite_run_covers_our_contracts_with_every_detector(suite_run):
    assert {"StakeManager", "TestToken", "BPEMath"} <= set(suite_run.contracts)
    assert not suite_run.failed_detectors
    assert len(suite_run.detectors) == len(slither_run.default_detectors())


def test_dependency_findings_are_excluded_and_counted_not_dropped(suite_run):
    assert suite_run.excluded, "OpenZeppelin yields findings (assembly, low-level calls); they must be counted"
    deps = ("node_modules/", ".cache/superfluid/")  # OpenZeppelin; the Superfluid package's interfaces
    for finding in suite_run.excluded:
        assert all(loc["file"].startswith(deps) for loc in finding["locations"])
    for finding in suite_run.findings:
        assert not finding["file"].startswith(deps)
    summary = results_checks(run=suite_run)[0]
    assert summary.details["counts"]["excluded_dependencies"] == len(suite_run.excluded)
    assert sum(summary.details["excluded_dependencies_by_detector"].values()) == len(suite_run.excluded)


def test_findings_are_plain_dicts_with_repo_relative_files(suite_run):
    assert suite_run.findings + suite_run.excluded  # slither reports (and the triage accepts) findings here
    for finding in suite_run.findings + suite_run.excluded:
        assert set(FINDING_KEYS) <= set(finding)
        assert finding["id"].startswith(f"SLITHER-{finding['detector']}-")
        assert finding["file"] and not Path(finding["file"]).is_absolute()
        assert str(REPO) not in json.dumps(finding)
        assert all(isinstance(n, int) for n in finding["lines"])
    json.dumps(suite_run.findings)  # plain JSON data


def test_finding_ids_are_stable_across_two_runs(suite_run):
    again = run_slither()  # a second compile (cache) and a second slither
    assert [f["id"] for f in again.findings] == [f["id"] for f in suite_run.findings]
    assert [f["id"] for f in again.excluded] == [f["id"] for f in suite_run.excluded]
    ids = [f["id"] for f in suite_run.findings + suite_run.excluded]
    assert len(ids) == len(set(ids))


def test_finding_ids_are_stable_across_processes_with_different_hash_seeds():
    # slither lists some elements in set order, which changes with PYTHONHASHSEED between processes
    script = (
        "from harness.analysis.slither_run import run_slither\n"
        "from tests.analysis.conftest import fixture_build\n"
        "for build in (None, fixture_build('DrainPositive')):\n"
        "    run = run_slither(build)\n"
        "    print(*[f['id'] for f in run.findings + run.excluded])\n"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        proc = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1] and outputs[0].count("SLITHER-") > 10


def test_finding_id_ignores_line_numbers_and_element_order():
    a = "C.f() (contracts/C.sol#10-20) does x:\n\t- y (contracts/C.sol#12)\n\t- z (contracts/C.sol#15)\n"
    b = "C.f() (contracts/C.sol#11-21) does x:\n\t- z (contracts/C.sol#16)\n\t- y (contracts/C.sol#13)\n"
    assert finding_id("d", "C", "f()", a) == finding_id("d", "C", "f()", b)
    assert finding_id("d", "C", "f()", a) != finding_id("d", "C", "g()", a)
    assert finding_id("d", "C", "f()", a) != finding_id("e", "C", "f()", a)


def test_finding_id_does_not_depend_on_where_the_repository_lies():
    def result(root: str) -> dict:
        sm = {"filename_relative": "contracts/C.sol", "filename_absolute": f"{root}/contracts/C.sol",
              "is_dependency": False, "lines": [5, 6]}
        element = {"type": "function", "name": "f", "source_mapping": sm,
                   "type_specific_fields": {"parent": {"type": "contract", "name": "C"}, "signature": "f()"}}
        return {"check": "d", "impact": "Low", "confidence": "High", "elements": [element],
                "description": f"C.f() ({root}/contracts/C.sol#5-6) is odd\n"}

    class D:
        ARGUMENT, WIKI, WIKI_RECOMMENDATION = "d", "", ""

    here, _ = finding_from_result(result("/work/one"), D, Path("/work/one"))
    there, _ = finding_from_result(result("/elsewhere/two"), D, Path("/elsewhere/two"))
    assert here == there
    assert here["file"] == "contracts/C.sol" and here["contract"] == "C" and here["function"] == "f()"
    assert here["anchors"] == ["contracts/C.sol#L5-6"]


def test_a_symlinked_node_modules_still_counts_as_a_dependency(tmp_path):
    (tmp_path / "vendor" / "oz").mkdir(parents=True)
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "node_modules").symlink_to(tmp_path / "vendor")
    root = tmp_path / "repo"
    sm = {"filename_relative": "node_modules/oz/A.sol", "filename_absolute": f"{root}/node_modules/oz/A.sol",
          "is_dependency": False, "lines": [3]}
    result = {"check": "assembly", "impact": "Informational", "confidence": "High",
              "elements": [{"type": "contract", "name": "A", "source_mapping": sm}],
              "description": "A (node_modules/oz/A.sol#3) uses assembly\n"}

    class D:
        ARGUMENT, WIKI, WIKI_RECOMMENDATION = "assembly", "", ""

    finding, dependency_only = finding_from_result(result, D, root)
    assert dependency_only and finding["file"] == "node_modules/oz/A.sol"


# --- checks from a fixture ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def setter_run():
    return run_slither(fixture_build("SetterPositive"))


@pytest.mark.catches("slither")
def test_an_untriaged_finding_is_a_violated_check(setter_run):
    checks = results_checks(run=setter_run, triage_entries=[])
    violated = by_status(checks)["VIOLATED"]
    setter_ids = {f["id"] for f in setter_run.findings if f["detector"] == "unprotected-governance-setter"}
    assert len(setter_ids) == 3 and setter_ids <= {c.id for c in violated}
    check = next(c for c in violated if c.id in setter_ids and "setFee" in c.title)
    assert check.kind.value == "static" and check.contract == "SetterPositive"
    for key in ("description", "detector", "impact", "confidence", "anchors", "locations", "recommendation"):
        assert check.details[key], key
    assert check.details["impact"] == "High" and check.details["confidence"] == "Medium"
    assert check.details["locations"][0] == {"file": "tests/analysis/fixtures/SetterPositive.sol", "line": 16}
    assert check.details["anchors"][0] == "tests/analysis/fixtures/SetterPositive.sol#L16-18"
    summary = checks[0]
    assert summary.id == SUMMARY_ID and summary.status is Status.PASSED
    assert summary.details["counts"]["untriaged"] == len(violated)
    assert schema_valid(checks).exit_code() == 1


def test_accepting_the_findings_turns_the_violations_into_accepted(setter_run):
    entries = [{"id": f["id"], "detector": f["detector"], "contract": f["contract"],
                "justification": "fixture: deliberately unprotected"} for f in setter_run.findings]
    checks = results_checks(run=setter_run, triage_entries=entries)
    assert [c.id for c in checks] == [SUMMARY_ID]
    assert checks[0].details["counts"]["accepted"] == len(setter_run.findings)
    assert all(f["triage"] == "accepted" for f in checks[0].details["findings"])


def test_a_stale_triage_entry_is_reported_inconclusive(suite_run):
    stale = {"id": "SLITHER-reentrancy-eth-0123456789", "detector": "reentrancy-eth",
             "contract": "StakeManager", "justification": "was fixed long ago"}
    checks = results_checks(run=suite_run, triage_entries=[*load_triage(), stale])
    [inconclusive] = by_status(checks)["INCONCLUSIVE"]
    assert inconclusive.id == "SLITHER-STALE-SLITHER-reentrancy-eth-0123456789"
    assert inconclusive.contract == "StakeManager"
    assert "matches no finding" in inconclusive.details["message"]
    assert checks[0].details["counts"]["stale_triage_entries"] == 1
    assert schema_valid(checks).exit_code() == 2


def test_triage_splits_findings_into_accepted_untriaged_and_stale():
    f1 = {"id": "SLITHER-x-1", "detector": "x", "contract": "C"}
    f2 = {"id": "SLITHER-x-2", "detector": "x", "contract": "C"}
    e1 = TriageEntry("SLITHER-x-1", "x", "C", "fine")
    e3 = TriageEntry("SLITHER-y-3", "y", "C", "gone")
    e4 = TriageEntry("SLITHER-z-4", "z", "C", "detector crashed")
    result = triage([f1, f2], [e1, e3, e4], failed_detectors=["z"])
    assert result.accepted == [(f1, e1)] and result.untriaged == [f2]
    assert result.stale == [e3] and result.unchecked == [e4]


# --- invalid triage -----------------------------------------------------------------------------


@pytest.mark.parametrize("justification", [None, "", "   "])
def test_a_triage_entry_without_a_justification_is_rejected(justification, suite_run):
    raw = {"id": "SLITHER-pragma-4cf324502b", "detector": "pragma", "contract": "*"}
    if justification is not None:
        raw["justification"] = justification
    with pytest.raises(TriageError, match="no justification"):
        parse_entry(raw)
    with pytest.raises(TriageError, match="no justification"):
        triage([], [raw])
    [check] = results_checks(run=suite_run, triage_entries=[raw])
    assert check.id == SUMMARY_ID and check.status is Status.ERROR
    assert "no justification" in check.details["message"]


def test_a_triage_file_without_a_justification_is_an_error_check(tmp_path, suite_run):
    path = tmp_path / "triage.json"
    path.write_text(json.dumps({"format": 1, "accepted": [
        {"id": "SLITHER-pragma-4cf324502b", "detector": "pragma", "contract": "*", "justification": ""}]}))
    with pytest.raises(TriageError, match="no justification"):
        load_triage(path)
    [check] = results_checks(run=suite_run, triage_path=path)
    assert check.status is Status.ERROR


def test_triage_refuses_unknown_keys_duplicates_and_inconsistent_entries():
    entry = {"id": "SLITHER-x-1", "detector": "x", "contract": "C", "justification": "ok"}
    with pytest.raises(TriageError, match="unknown key"):
        parse_entry({**entry, "justifcation": "typo"})
    with pytest.raises(TriageError, match="duplicate"):
        parse_triage({"format": 1, "accepted": [entry, entry]})
    with pytest.raises(TriageError, match="format"):
        parse_triage({"format": 2, "accepted": []})
    with pytest.raises(TriageError, match="detector"):
        triage([{"id": "SLITHER-x-1", "detector": "y", "contract": "C"}], [entry])


def test_the_committed_triage_file_is_valid_and_justified():
    entries = load_triage(TRIAGE_PATH)
    assert entries
    for entry in entries:
        assert len(entry.justification) > 40, entry.id


# --- slither failing ----------------------------------------------------------------------------


class CrashingDetector(AbstractDetector):
    ARGUMENT = "test-crashing-detector"
    HELP = "crashes"
    IMPACT = DetectorClassification.LOW
    CONFIDENCE = DetectorClassification.LOW
    WIKI = WIKI_TITLE = WIKI_DESCRIPTION = WIKI_EXPLOIT_SCENARIO = WIKI_RECOMMENDATION = "test"

    def _detect(self):
        raise RuntimeError("boom in a detector")


def test_a_crashing_detector_is_an_error_not_a_pass(suite_build):
    from harness.analysis.detectors import UnprotectedGovernanceSetter

    # with the committed triage: the governance-setter findings in the compute suite's test doubles are
    # accepted there, so the one failure left is the crash
    checks = results_checks(suite_build, triage_entries=load_triage(), detectors=[CrashingDetector,
                                                                                  UnprotectedGovernanceSetter])
    summary = checks[0]
    assert summary.id == SUMMARY_ID and summary.status is Status.ERROR
    assert "test-crashing-detector" in summary.details["message"] and "boom" in summary.details["message"]
    assert schema_valid(checks).exit_code() == 3


def test_slither_failing_to_analyse_is_an_error_check(monkeypatch, suite_build):
    import slither.slither

    def broken(*args, **kwargs):
        raise KeyError("ast")

    monkeypatch.setattr(slither.slither, "Slither", broken)
    [check] = results_checks(suite_build, triage_entries=[])
    assert check.status is Status.ERROR and "KeyError" in check.details["message"]


def test_a_compile_error_is_an_error_check(tmp_path, monkeypatch):
    def failing(*args, **kwargs):
        from specs.errors import CompileError

        raise CompileError("contracts/X.sol:1:1: ParserError: boom")

    monkeypatch.setattr("harness.evm.compile.compile_contracts", failing)
    [check] = results_checks(triage_entries=[])
    assert check.status is Status.ERROR and "ParserError" in check.details["message"]


@pytest.mark.parametrize("text, expected", [
    (None, "No such file or directory"),
    ('{"format": 1, "acc', "cannot read the triage file"),
    ('{"format": 1, "about": "x", "accepted": [{"id": "a"}]}', "entry 0 'a' needs a non-empty string 'detector'"),
])
def test_a_bad_triage_file_is_one_line_and_exit_3_before_slither_runs(text, expected, tmp_path, capsys,
                                                                        monkeypatch):
    from tests.one_line import one_line

    def no_compile(*_a, **_k):
        raise AssertionError("compiled although the triage file is bad")

    monkeypatch.setattr("harness.evm.compile.compile_contracts", no_compile)
    path = tmp_path / "triage.json"
    if text is not None:
        path.write_text(text)
    assert slither_run.main(["--triage", str(path)]) == 3
    line = one_line(capsys.readouterr().err)
    assert str(path) in line and expected in line, line
