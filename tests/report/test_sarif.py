"""The SARIF log: valid against the official SARIF 2.1.0 schema (vendored), one rule per check id
family, a result for every check that is not PROVED or PASSED, with stable ids and repo-relative
locations."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from urllib.parse import urlsplit

import jsonschema
import pytest

from harness.report.results import REPO_ROOT, Check, Kind, Results, Status
from harness.report.sarif import FINGERPRINT_KEY, check_family, contract_source, parse_anchor, render_sarif
from tests.report.shapes import FUZZ_ID, PROOF_ID, real_shaped_results

SCHEMA = REPO_ROOT / "reports" / "schema" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"  # see its NOTICE.md


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _validate(log: dict) -> None:
    # the log must survive a JSON round trip unchanged, then fit the schema
    assert json.loads(json.dumps(log)) == log
    errors = sorted(_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def _run(results: Results) -> dict:
    log = render_sarif(results)
    _validate(log)
    assert len(log["runs"]) == 1
    return log["runs"][0]


def _results_by_id(run: dict) -> dict[str, dict]:
    return {r["properties"]["checkId"]: r for r in run["results"]}


def test_the_vendored_schema_is_the_official_file_named_in_its_notice():
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    notice = (SCHEMA.parent / "sarif-schema-2.1.0.NOTICE.md").read_text(encoding="utf-8")
    assert SCHEMA_SHA256 in notice and "@microsoft/jest-sarif" in notice
    assert json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]["version"]["enum"] == ["2.1.0"]


def test_the_log_validates_against_the_sarif_schema(sample_results):
    for results in (sample_results, real_shaped_results(), Results()):
        log = render_sarif(results)
        _validate(log)
        assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
        assert log["runs"][0]["tool"]["driver"]["name"] == "bpe-workbench"


def test_the_schema_check_is_real():
    log = render_sarif(real_shaped_results())
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        _validate(log)


def test_one_rule_per_check_id_family(sample_results):
    run = _run(sample_results)
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert ids == ["COMPILE", "BPE-CAP-001", "FUZZ-EscrowBuffer-pyrevm", "FUZZ-EscrowBuffer-py-evm",
                   "BPE-BUFFER-001", "BPE-BUFFER-002", "BPE-BUFFER-003", "SLITHER"]
    assert len(set(ids)) == len(ids)
    cap = rules[ids.index("BPE-CAP-001")]
    assert cap["shortDescription"]["text"] == "totalStaked equals the sum of stakes"
    assert cap["properties"]["checkIds"] == ["BPE-CAP-001/init", "BPE-CAP-001/unstake"]
    assert check_family("BPE-STAKE-001/StakeManager.slash") == "BPE-STAKE-001"
    assert check_family("VACUITY/StakeManager.slash") == "VACUITY"
    assert check_family("FUZZ-StakeManager-pyrevm") == "FUZZ-StakeManager-pyrevm"


def test_levels_follow_the_status_and_passes_are_not_results(sample_results):
    run = _run(sample_results)
    by_id = _results_by_id(run)
    expected = {c.id: c.status for c in sample_results.checks if c.status not in (Status.PROVED, Status.PASSED)}
    assert set(by_id) == set(expected)
    levels = {Status.VIOLATED: "error", Status.ERROR: "error", Status.INCONCLUSIVE: "warning",
              Status.UNSUPPORTED: "warning"}
    for check_id, status in expected.items():
        r = by_id[check_id]
        assert r["level"] == levels[status] and r["kind"] == "fail"
        assert r["properties"]["status"] == status.value
        assert r["message"]["text"].startswith(status.value)
    assert "not a pass" in by_id["BPE-BUFFER-002/deposit"]["message"]["text"]
    assert "says nothing about the contract" in by_id["SLITHER"]["message"]["text"]


def test_rule_ids_and_indexes_point_at_the_family_rule(sample_results):
    run = _run(sample_results)
    rules = run["tool"]["driver"]["rules"]
    for r in run["results"]:
        assert r["ruleId"] == check_family(r["properties"]["checkId"])
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_the_check_id_is_the_stable_identifier(sample_results):
    first = _results_by_id(_run(sample_results))
    sample_results.generated_at = "2031-01-01T00:00:00+00:00"
    for c in sample_results.checks:
        c.seconds += 1.0
    second = _results_by_id(_run(sample_results))
    assert set(first) == set(second)
    for check_id, r in first.items():
        assert r["partialFingerprints"] == {FINGERPRINT_KEY: check_id}
        assert second[check_id]["partialFingerprints"] == r["partialFingerprints"]
        assert "guid" not in r


def test_tool_errors_are_also_execution_notifications(sample_results):
    invocation = _run(sample_results)["invocations"][0]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 1
    notes = invocation["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["SLITHER"]
    assert "KeyError: 'ast'" in notes[0]["message"]["text"]
    clean = _run(real_shaped_results())["invocations"][0]
    assert clean["executionSuccessful"] is True and "toolExecutionNotifications" not in clean
    empty = _run(Results())["invocations"][0]
    assert empty["executionSuccessful"] is False and empty["exitCode"] == 3


def _physical(result: dict) -> dict:
    return result["locations"][0]["physicalLocation"]


def test_locations_are_repo_relative_and_come_from_anchors_or_the_contract_source(sample_results):
    run = _run(sample_results)
    by_id = _results_by_id(run)
    # a string anchor "contracts/bpe/StakeManager.sol#L88-101"
    loc = _physical(by_id["BPE-CAP-001/unstake"])
    assert loc["artifactLocation"]["uri"] == "contracts/bpe/StakeManager.sol"
    assert loc["region"] == {"startLine": 88, "endLine": 101}
    assert run["artifacts"][loc["artifactLocation"]["index"]]["location"]["uri"] == "contracts/bpe/StakeManager.sol"
    # no anchors: the contract's source
    assert _physical(by_id["BPE-BUFFER-002/deposit"])["artifactLocation"]["uri"] == "contracts/bpe/EscrowBuffer.sol"
    # a whole-build check without anchors has no location
    assert "locations" not in by_id["SLITHER"]
    for r in run["results"]:
        for loc in r.get("locations", []) + r.get("relatedLocations", []):
            uri = loc["physicalLocation"]["artifactLocation"]["uri"]
            assert not urlsplit(uri).scheme and not uri.startswith("/"), uri


def test_object_anchors_and_nested_contract_sources():
    results = real_shaped_results()
    results.add(Check("BPE-CAP-001/StakeManager.stake", Kind.PROOF, "StakeManager", Status.VIOLATED, 0.1,
                      "cap", {"anchors": [{"file": "contracts/bpe/StakeManager.sol", "line": 120},
                                          {"file": "contracts/bpe/libraries/BPEMath.sol", "line": 14, "end_line": 30}]}))
    results.add(Check("LEMMA-SQRT-009", Kind.LEMMA, "BPEMath", Status.INCONCLUSIVE, 30.0, "lemma",
                      {"message": "solver returned unknown (timeout)"}))
    results.add(Check("COMPILE-BROKEN", Kind.COMPILE, "*", Status.ERROR, 0.1, "compiles",
                      {"message": "ParserError", "errors": [{"file": "contracts/bpe/StakeManager.sol", "line": 12,
                                                             "column": 5}]}))
    by_id = _results_by_id(_run(results))
    r = by_id["BPE-CAP-001/StakeManager.stake"]
    assert _physical(r) == {"artifactLocation": {"uri": "contracts/bpe/StakeManager.sol", "index": 0},
                            "region": {"startLine": 120}}
    related = r["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "contracts/bpe/libraries/BPEMath.sol"
    assert related["region"] == {"startLine": 14, "endLine": 30}
    assert _physical(by_id["LEMMA-SQRT-009"])["artifactLocation"]["uri"] == "contracts/bpe/libraries/BPEMath.sol"
    assert _physical(by_id["COMPILE-BROKEN"])["region"] == {"startLine": 12, "startColumn": 5}
    assert _physical(by_id[PROOF_ID])["artifactLocation"]["uri"] == "contracts/bpe/StakeManager.sol"
    assert by_id[FUZZ_ID]["properties"]["replayCommand"].endswith("--engine pyrevm")


def test_a_contract_source_is_looked_up_in_its_suites_folder_first():
    results = Results(sources={"contracts/other/Vault.sol": "11" * 32, "contracts/bpe/Vault.sol": "22" * 32,
                               "node_modules/x/Vault.sol": "33" * 32})
    assert contract_source("Vault", results, "bpe") == "contracts/bpe/Vault.sol"
    assert contract_source("Vault", results, "other") == "contracts/other/Vault.sol"
    # a suite without a file of that name: the rest of contracts/ before the dependencies
    assert contract_source("Vault", results, "third") == "contracts/bpe/Vault.sol"
    # not among the sources: the suite's folder, or contracts/ for a check of no suite
    assert contract_source("Pool", results, "bpe") == "contracts/bpe/Pool.sol"
    assert contract_source("Pool", results) == "contracts/Pool.sol"
    assert contract_source("*", results, "bpe") is None


def test_parse_anchor_reads_the_documented_forms():
    assert parse_anchor("contracts/A.sol#L88-101") == {"file": "contracts/A.sol", "line": 88, "end_line": 101}
    assert parse_anchor("contracts/A.sol#L7") == {"file": "contracts/A.sol", "line": 7}
    assert parse_anchor("contracts/A.sol:12:5") == {"file": "contracts/A.sol", "line": 12, "column": 5}
    assert parse_anchor("contracts/A.sol") == {"file": "contracts/A.sol"}
    assert parse_anchor({"file": "contracts/A.sol", "line": 3}) == {"file": "contracts/A.sol", "line": 3}
    assert parse_anchor({"line": 3}) is None and parse_anchor("") is None and parse_anchor(7) is None


def test_provenance_is_carried_without_timestamps(sample_results):
    run = _run(sample_results)
    assert {e["name"]: e["version"] for e in run["tool"]["extensions"]} == sample_results.tool_versions
    assert {a["location"]["uri"]: a["hashes"]["sha-256"] for a in run["artifacts"]} == sample_results.sources
    assert run["properties"]["summary"] == sample_results.summary()
    assert sample_results.generated_at not in json.dumps(render_sarif(sample_results))
    assert render_sarif(sample_results) == render_sarif(sample_results)
