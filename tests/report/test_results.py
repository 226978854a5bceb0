"""The results object: exit codes, JSON round trip, schema validation, tool versions."""

from __future__ import annotations

import json
import math

import pytest

from specs.errors import EXIT_INCONCLUSIVE, EXIT_OK, EXIT_TOOL_ERROR, EXIT_VIOLATED, WorkbenchError
from harness.report import results as results_module
from harness.report.results import (
    SCHEMA_VERSION,
    TOOL_KEYS,
    Check,
    InvalidResults,
    Kind,
    Results,
    Status,
    collect_tool_versions,
    validate,
)

P, A, V, I, U, E = (Status.PROVED, Status.PASSED, Status.VIOLATED, Status.INCONCLUSIVE,
                    Status.UNSUPPORTED, Status.ERROR)


def make_check(id: str = "BPE-CAP-001/stake", status: Status = Status.PROVED, **kw) -> Check:
    fields = dict(id=id, kind=Kind.PROOF, contract="StakeManager", status=status, seconds=0.5)
    fields.update(kw)
    return Check(**fields)


def make_results(*statuses: Status) -> Results:
    return Results(checks=[make_check(f"CHECK-{i}", s) for i, s in enumerate(statuses)])


# --- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statuses, code",
    [
        ((P,), EXIT_OK),
        ((A,), EXIT_OK),
        ((P, A, P), EXIT_OK),
        ((V,), EXIT_VIOLATED),
        ((P, V, A), EXIT_VIOLATED),
        ((V, E), EXIT_VIOLATED),
        ((E, V, I, U), EXIT_VIOLATED),
        ((E,), EXIT_TOOL_ERROR),
        ((P, E, I), EXIT_TOOL_ERROR),
        ((U, E), EXIT_TOOL_ERROR),
        ((I,), EXIT_INCONCLUSIVE),
        ((U,), EXIT_INCONCLUSIVE),
        ((P, A, I, U), EXIT_INCONCLUSIVE),
    ],
)
def test_exit_code_follows_the_rule(statuses, code):
    assert make_results(*statuses).exit_code() == code


def test_exit_code_of_every_single_status():
    expected = {P: 0, A: 0, V: 1, I: 2, U: 2, E: 3}
    for status, code in expected.items():
        assert make_results(status).exit_code() == code, status


def test_empty_results_never_pass():
    results = Results()
    assert results.exit_code() == EXIT_TOOL_ERROR == 3
    assert "nothing was checked" in results.exit_reason()


def test_exit_reason_names_the_deciding_checks():
    results = make_results(P, V, E)
    assert results.exit_reason().startswith("1 check VIOLATED (CHECK-1)")
    assert "ERROR" not in results.exit_reason()
    many = make_results(*[I] * 7)
    assert "7 checks INCONCLUSIVE (CHECK-0, CHECK-1, CHECK-2, CHECK-3, CHECK-4 and 2 more)" in many.exit_reason()


def test_summary_counts_every_status_with_zeros():
    assert make_results(P, P, V, U).summary() == {
        "PROVED": 2, "PASSED": 0, "VIOLATED": 1, "INCONCLUSIVE": 0, "UNSUPPORTED": 1, "ERROR": 0,
    }


# --- the check object ---------------------------------------------------------------------------


def test_duplicate_check_id_is_refused():
    results = Results()
    results.add(make_check("BPE-CAP-001/stake"))
    with pytest.raises(ValueError, match="duplicate check id 'BPE-CAP-001/stake'"):
        results.add(make_check("BPE-CAP-001/stake", Status.VIOLATED))
    assert len(results.checks) == 1


def test_duplicate_check_id_is_refused_in_the_constructor():
    with pytest.raises(ValueError, match="duplicate"):
        Results(checks=[make_check("X"), make_check("X")])


def test_check_accepts_string_values_of_kind_and_status():
    check = make_check(kind="fuzz", status="PASSED")
    assert check.kind is Kind.FUZZ and check.status is Status.PASSED
    assert Status.PASSED.value == "PASSED" and str(Status.PASSED) == "PASSED"


@pytest.mark.parametrize(
    "override, message",
    [
        ({"status": "PASS"}, "status 'PASS' is not one of"),
        ({"kind": "proofs"}, "kind 'proofs' is not one of"),
        ({"id": ""}, "non-empty"),
        ({"seconds": -1.0}, "must be finite and >= 0"),
        ({"seconds": math.nan}, "must be finite"),
        ({"details": []}, "details must be a dict"),
    ],
)
def test_check_refuses_bad_fields(override, message):
    with pytest.raises(InvalidResults, match=message):
        make_check(**override)


def test_invalid_results_is_a_workbench_error_and_a_value_error():
    assert issubclass(InvalidResults, WorkbenchError) and issubclass(InvalidResults, ValueError)
    assert InvalidResults.exit_code == EXIT_TOOL_ERROR


# --- JSON ---------------------------------------------------------------------------------------


def test_json_round_trip(sample_results, tmp_path):
    path = tmp_path / "out" / "verify.json"
    sample_results.write_json(path)
    again = Results.read_json(path)
    assert again == sample_results
    assert again.to_json() == path.read_text(encoding="utf-8")
    assert [c.id for c in again.checks] == [c.id for c in sample_results.checks]


def test_from_dict_of_to_dict_is_identity(sample_results):
    assert Results.from_dict(sample_results.to_dict()) == sample_results


def test_serialization_is_deterministic_with_sorted_keys(sample_results):
    text = sample_results.to_json()
    d = json.loads(text)
    assert text == json.dumps(d, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    # the same content built in another dict order serializes identically
    shuffled = Results.from_dict(json.loads(json.dumps(d, sort_keys=False)))
    shuffled.tool_versions = dict(reversed(list(shuffled.tool_versions.items())))
    assert shuffled.to_json() == text


def test_file_carries_summary_exit_code_and_version(sample_results):
    d = sample_results.to_dict()
    assert d["schema_version"] == SCHEMA_VERSION
    assert d["exit_code"] == EXIT_VIOLATED
    assert d["summary"] == sample_results.summary()


def test_the_only_timestamp_is_generated_at(sample_results):
    d = sample_results.comparable_dict()
    assert "generated_at" not in d
    assert "2024-06-01T12" not in json.dumps(d)
    assert all(c["seconds"] == 0.0 for c in d["checks"])
    assert "generated_at" in sample_results.to_dict()


def test_tuples_in_details_become_lists_and_objects_are_refused():
    results = Results(checks=[make_check(details={"counterexample": (1, 2)})])
    assert results.to_dict()["checks"][0]["details"]["counterexample"] == [1, 2]
    bad = Results(checks=[make_check("BAD", details={"seen": {1, 2}})])
    with pytest.raises(InvalidResults, match=r"check BAD: details\.seen: set"):
        bad.to_dict()


def test_edited_summary_is_refused(sample_results):
    d = sample_results.to_dict()
    d["exit_code"] = 0
    with pytest.raises(InvalidResults, match="exit_code 0 does not match"):
        Results.from_dict(d)


# --- schema -------------------------------------------------------------------------------------


def test_schema_accepts_written_files(sample_results):
    assert validate(sample_results.to_dict()) is None  # validate raises InvalidResults on a bad file
    assert validate(Results().to_dict()) is None


def test_schema_rejects_a_bad_status(sample_results):
    d = sample_results.to_dict()
    d["checks"][1]["status"] = "PASS"
    with pytest.raises(InvalidResults, match=r"\$\.checks\[1\]\.status: 'PASS' is not one of"):
        validate(d)


def test_schema_rejects_a_missing_field(sample_results):
    d = sample_results.to_dict()
    del d["checks"][0]["seconds"]
    with pytest.raises(InvalidResults, match=r"\$\.checks\[0\]: 'seconds' is a required property"):
        validate(d)
    d = sample_results.to_dict()
    del d["bytecode"]
    with pytest.raises(InvalidResults, match="'bytecode' is a required property"):
        validate(d)


def test_schema_rejects_a_bad_hash(sample_results):
    d = sample_results.to_dict()
    d["sources"]["contracts/bpe/StakeManager.sol"] = "not-a-hash"
    with pytest.raises(InvalidResults, match="sources"):
        validate(d)


def test_schema_rejects_another_major_version_and_accepts_a_newer_minor(sample_results):
    d = sample_results.to_dict()
    d["schema_version"] = "3.0.0"
    with pytest.raises(InvalidResults, match="schema_version 3.0.0"):
        validate(d)
    d["schema_version"] = "2.7.0"
    d["added_in_2_7"] = {"anything": True}
    d["checks"][0]["added_in_2_7"] = 1
    assert Results.from_dict(d).schema_version == "2.7.0"


def test_a_check_names_its_suite_and_a_file_of_schema_1_is_refused(sample_results):
    d = sample_results.to_dict()
    assert all(c["suite"] for c in d["checks"])
    del d["checks"][0]["suite"]
    with pytest.raises(InvalidResults, match="'suite' is a required property"):
        validate(d)
    d = sample_results.to_dict()
    d["schema_version"] = "1.0.0"
    with pytest.raises(InvalidResults, match="schema_version 1.0.0"):
        Results.from_dict(d)
    with pytest.raises(InvalidResults, match="suite must be a non-empty string"):
        make_check(suite="")


def test_write_json_validates_before_writing(tmp_path):
    results = Results(checks=[make_check()], sources={"contracts/A.sol": "abc"})
    path = tmp_path / "verify.json"
    with pytest.raises(InvalidResults, match="sources"):
        results.write_json(path)
    assert not path.exists()


def test_read_json_names_the_file(tmp_path):
    path = tmp_path / "verify.json"
    path.write_text("{not json")
    with pytest.raises(InvalidResults, match="verify.json"):
        Results.read_json(path)


# --- tool versions ------------------------------------------------------------------------------


def test_collect_tool_versions_returns_a_string_for_every_key():
    versions = collect_tool_versions()
    assert set(versions) == set(TOOL_KEYS) == {
        "python", "z3", "hypothesis", "py-evm", "pyrevm", "crytic-compile", "slither", "solc-js", "node",
    }
    assert all(isinstance(v, str) and v for v in versions.values())
    assert not versions["node"].startswith("v")


def test_collect_tool_versions_never_crashes_on_missing_tools(monkeypatch, tmp_path):
    monkeypatch.setitem(results_module._DISTRIBUTIONS, "pyrevm", "no-such-distribution-bpe")
    monkeypatch.setenv("PATH", str(tmp_path))  # no node on the PATH
    versions = collect_tool_versions(repo_root=tmp_path)
    assert versions["pyrevm"] == "unavailable"
    assert versions["node"] == "unavailable"
    assert versions["solc-js"] == "unavailable"
    assert all(isinstance(v, str) for v in versions.values())


def test_collect_tool_versions_reports_a_missing_solc_package(tmp_path):
    assert collect_tool_versions(repo_root=tmp_path)["solc-js"] == "unavailable"


def test_obligations_not_proved_yet_make_an_otherwise_passing_run_inconclusive_and_are_named():
    from harness.report.results import Check

    results = Results(checks=[Check("A", "proof", "C", "PROVED", 0.0, "t")])
    assert results.exit_code() == 0 and results.exit_reason() == "all 1 check PROVED or PASSED"
    results.config["not_proved"] = [{"id": "X/*"}, {"id": "Y/f"}]
    assert results.exit_code() == 2
    assert results.exit_reason() == ("all 1 check PROVED or PASSED, but 2 obligations not proved yet (X/*, Y/f), "
                                     "listed apart and evaluated by the fuzzer only: not a proof")
    # a finding still decides
    results.add(Check("B", "proof", "C", "VIOLATED", 0.0, "t"))
    assert results.exit_code() == 1
