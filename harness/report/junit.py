"""JUnit XML rendering of a `Results` (reports/junit.xml), for CI test-report viewers.

Reads only the results object. `<testsuites>` holds one `<testsuite>` per kind of check present
(in `Kind` order: proof, lemma, fuzz, static, compile, vacuity), one `<testcase>` per check with
classname = the check's contract ("*" for whole-build checks), name = the check id (the same id as in
every other report) and time = its seconds. By status:

- PROVED, PASSED: a plain testcase (a pass);
- VIOLATED: `<failure type="VIOLATED" message=...>` with the counterexample and replay command;
- ERROR: `<error type="ERROR" message=...>` (a tool failed; says nothing about the contract);
- INCONCLUSIVE, UNSUPPORTED: `<skipped message="INCONCLUSIVE: NOT a pass ...">`. JUnit has no
  "unknown", and a viewer shows skipped tests apart from passed ones; the message says it is not a pass.

The counts of `<testsuites>` (tests, failures, errors, skipped) are those of `Results.summary()`.
A run without checks (exit code 3) gets one synthetic testsuite "run" with an `<error>` testcase
"no-checks", so that a JUnit reader does not see an empty, green run.

Characters XML 1.0 cannot hold (control characters from tool output) are written as `\\uNNNN`.
Deterministic: no timestamps (`generated_at` is left out).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from harness.report.results import EXIT_MEANINGS, Check, Kind, Results, Status

SKIPPED_STATUSES = (Status.INCONCLUSIVE, Status.UNSUPPORTED)

# Anything outside the XML 1.0 Char production (tab, newline, carriage return are allowed).
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def render_junit(results: Results) -> str:
    """The JUnit XML document as text (UTF-8 declaration, trailing newline)."""
    summary = results.summary()
    code = results.exit_code()
    verdict, meaning = EXIT_MEANINGS[code]
    root = ET.Element("testsuites", {
        "name": "bpe-workbench",
        "tests": str(len(results.checks)),
        "failures": str(summary[Status.VIOLATED.value]),
        "errors": str(summary[Status.ERROR.value]),
        "skipped": str(summary[Status.INCONCLUSIVE.value] + summary[Status.UNSUPPORTED.value]),
        "time": _time(sum(c.seconds for c in results.checks)),
    })
    if not results.checks:
        root.set("tests", "1")
        root.set("errors", "1")
        suite = ET.SubElement(root, "testsuite", {"name": "run", "tests": "1", "failures": "0", "errors": "1",
                                                   "skipped": "0", "time": _time(0)})
        _properties(suite, results, code, verdict)
        case = ET.SubElement(suite, "testcase", {"classname": "*", "name": "no-checks", "time": _time(0)})
        ET.SubElement(case, "error", {"type": "ERROR", "message": _clean(results.exit_reason())}).text = _clean(
            f"Exit code {code} ({verdict}): {meaning}.")
    for kind in Kind:
        checks = [c for c in results.checks if c.kind is kind]
        if not checks:
            continue
        suite = ET.SubElement(root, "testsuite", {
            "name": kind.value,
            "tests": str(len(checks)),
            "failures": str(sum(c.status is Status.VIOLATED for c in checks)),
            "errors": str(sum(c.status is Status.ERROR for c in checks)),
            "skipped": str(sum(c.status in SKIPPED_STATUSES for c in checks)),
            "time": _time(sum(c.seconds for c in checks)),
        })
        _properties(suite, results, code, verdict)
        for check in checks:
            _testcase(suite, check)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _properties(suite: ET.Element, results: Results, code: int, verdict: str) -> None:
    props = ET.SubElement(suite, "properties")
    for name, value in (("exit_code", str(code)), ("verdict", verdict), ("schema_version", results.schema_version)):
        ET.SubElement(props, "property", {"name": name, "value": _clean(value)})


def _testcase(suite: ET.Element, check: Check) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": _clean(check.contract),
        "name": _clean(check.id),
        "time": _time(check.seconds),
    })
    reason = _reason(check)
    if check.status is Status.VIOLATED:
        el = ET.SubElement(case, "failure", {"type": "VIOLATED", "message": _clean(_one_line(reason))})
        el.text = _clean(_violation_text(check))
    elif check.status is Status.ERROR:
        el = ET.SubElement(case, "error", {
            "type": "ERROR",
            "message": _clean("a tool failed (says nothing about the contract): " + _one_line(reason)),
        })
        el.text = _clean(reason)
    elif check.status in SKIPPED_STATUSES:
        message = f"{check.status.value}: NOT a pass (neither proved nor violated): {_one_line(reason)}"
        ET.SubElement(case, "skipped", {"message": _clean(message)})
    if check.title:
        ET.SubElement(case, "system-out").text = _clean(check.title)


def _violation_text(check: Check) -> str:
    d = check.details
    lines = [f"{check.id} VIOLATED ({check.kind.value}, {check.contract})"]
    if check.title:
        lines.append(check.title)
    lines.append(_reason(check))
    if "counterexample" in d:
        lines.append("Counterexample:\n" + json.dumps(d["counterexample"], sort_keys=True, indent=2, default=str))
    if "evm_replay" in d:
        lines.append("EVM replay:\n" + json.dumps(d["evm_replay"], sort_keys=True, indent=2, default=str))
    if d.get("confirmed") is True:
        lines.append("Confirmed: the counterexample replays on the model and on the EVM.")
    elif d.get("confirmed") is False:
        lines.append("Unconfirmed: the counterexample did not replay concretely; it may be spurious.")
    for key, label in (("replay_command", "Replay"), ("replay_file", "Replay file"),
                       ("recommendation", "Recommendation")):
        if d.get(key):
            lines.append(f"{label}: {d[key]}")
    if d.get("anchors"):
        lines.append("Source: " + ", ".join(_anchor_text(a) for a in d["anchors"]))
    return "\n".join(lines)


def _anchor_text(anchor: Any) -> str:
    if isinstance(anchor, dict) and anchor.get("file"):
        return f"{anchor['file']}:{anchor['line']}" if anchor.get("line") else str(anchor["file"])
    return str(anchor)


def _reason(check: Check) -> str:
    message = check.details.get("message")
    if message:
        return str(message).strip()
    if check.status is Status.VIOLATED and "counterexample" in check.details:
        return "a counterexample was found (no message recorded; see below)"
    return "no reason was recorded"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _time(seconds: float) -> str:
    return f"{seconds:.3f}"


def _clean(text: Any) -> str:
    """`text` with every character XML 1.0 cannot hold written as a \\uNNNN escape."""
    return _INVALID_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", str(text))
