"""The JUnit report: well-formed XML, one testsuite per kind, one testcase per check, and counts
equal to the summary; INCONCLUSIVE/UNSUPPORTED are skipped with a message saying they are not a
pass."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness.report.junit import render_junit
from harness.report.results import Check, Kind, Results, Status
from tests.report.shapes import PROOF_ID, real_shaped_results


def _parse(results: Results) -> ET.Element:
    text = render_junit(results)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    return root


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert len(cases) == len(list(root.iter("testcase")))
    return cases


def test_counts_match_the_summary(sample_results):
    for results in (sample_results, real_shaped_results()):
        root = _parse(results)
        s = results.summary()
        assert int(root.get("tests")) == len(results.checks) == len(list(root.iter("testcase")))
        assert int(root.get("failures")) == s["VIOLATED"] == len(list(root.iter("failure")))
        assert int(root.get("errors")) == s["ERROR"] == len(list(root.iter("error")))
        assert int(root.get("skipped")) == s["INCONCLUSIVE"] + s["UNSUPPORTED"] == len(list(root.iter("skipped")))
        for suite in root.iter("testsuite"):
            cases = list(suite.iter("testcase"))
            assert int(suite.get("tests")) == len(cases)
            assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
            assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases)
            assert int(suite.get("skipped")) == sum(c.find("skipped") is not None for c in cases)


def test_one_testsuite_per_kind_and_one_testcase_per_check(sample_results):
    root = _parse(sample_results)
    assert [s.get("name") for s in root.iter("testsuite")] == [
        k.value for k in Kind if any(c.kind is k for c in sample_results.checks)]
    cases = _cases(root)
    for check in sample_results.checks:
        case = cases[check.id]
        assert case.get("classname") == check.contract
        assert float(case.get("time")) == round(check.seconds, 3)
        suite = next(s for s in root.iter("testsuite") if case in list(s))
        assert suite.get("name") == check.kind.value


def test_statuses_map_to_failure_error_skipped_and_pass(sample_results):
    cases = _cases(_parse(sample_results))
    for check in sample_results.checks:
        children = {child.tag for child in cases[check.id]} - {"system-out"}
        expected = {Status.PROVED: set(), Status.PASSED: set(), Status.VIOLATED: {"failure"},
                    Status.ERROR: {"error"}, Status.INCONCLUSIVE: {"skipped"}, Status.UNSUPPORTED: {"skipped"}}
        assert children == expected[check.status], check.id
    skipped = cases["BPE-BUFFER-002/deposit"].find("skipped").get("message")
    assert skipped.startswith("INCONCLUSIVE: NOT a pass") and "timeout after 30000 ms" in skipped
    assert cases["BPE-BUFFER-003/rebalance"].find("skipped").get("message").startswith("UNSUPPORTED: NOT a pass")
    error = cases["SLITHER"].find("error")
    assert error.get("type") == "ERROR" and "KeyError: 'ast'" in error.text
    failure = cases["BPE-CAP-001/unstake"].find("failure")
    assert failure.get("type") == "VIOLATED"
    assert failure.get("message") == "totalStaked (40) != sum of stakes (50) after unstake"
    assert "Counterexample" in failure.text and "harness.cli replay" in failure.text


def test_a_real_counterexample_and_its_evm_replay_are_in_the_failure():
    failure = _cases(_parse(real_shaped_results()))[PROOF_ID].find("failure")
    assert "evm_replay" not in failure.text and "EVM replay" in failure.text
    assert str(2**256 - 1) in failure.text and "py-evm" in failure.text


def test_control_characters_from_tool_output_still_give_well_formed_xml():
    results = Results()
    results.add(Check("SLITHER", Kind.STATIC, "*", Status.ERROR, 0.1, "slither \x00",
                      {"message": "\x1b[31mcrashed\x1b[0m\x00 <tag> & \"quotes\""}))
    root = _parse(results)
    error = root.find("./testsuite/testcase/error")
    assert "\\u001b[31mcrashed" in error.text and "<tag> & \"quotes\"" in error.text


def test_a_run_without_checks_is_an_error_not_an_empty_green_run():
    root = _parse(Results())
    assert root.get("errors") == "1" and root.get("tests") == "1"
    case = root.find("./testsuite/testcase")
    assert case.get("name") == "no-checks" and case.find("error") is not None


def test_no_timestamp_and_deterministic(sample_results):
    text = render_junit(sample_results)
    assert sample_results.generated_at not in text and "timestamp" not in text
    assert text == render_junit(sample_results)
