"""SARIF 2.1.0 rendering of a `Results` (reports/report.sarif), for code-scanning viewers and CI.

Reads only the results object. The log has one run whose tool driver is "bpe-workbench"; the other
tools of the run (z3, solc-js, the EVMs, ...) are listed as tool extensions with their versions, the
sources as run artifacts with their sha-256. Deterministic: no timestamps, no absolute paths.

Rules. One rule per check id family: the part of the check id before the first "/"
(`check_family`): "BPE-STAKE-001/StakeManager.slash" -> "BPE-STAKE-001", "VACUITY/StakeManager.stake"
-> "VACUITY", "FUZZ-BPE-pyrevm" -> itself. Every family of the run is a rule, whether or not
it has a result; a result's `ruleId` is its check's family.

Results, by status (only checks that need attention become results):

| Status | kind | level | Why |
| --- | --- | --- | --- |
| VIOLATED | fail | error | a definite finding (a counterexample) |
| ERROR | fail | error | a tool failed: the check says nothing about the contract and the run is incomplete. Also reported as a `toolExecutionNotifications` entry of the invocation, whose `executionSuccessful` is then false. |
| INCONCLUSIVE | fail | warning | the obligation was not established (solver unknown/timeout, budget not reached): never a pass |
| UNSUPPORTED | fail | warning | the encoder cannot express the obligation: never a pass |
| PROVED, PASSED | (none) | (none) | not emitted |

`kind` is "fail" for all four because SARIF allows a level other than "none" only with kind "fail";
the rule each result fails is "this check must be PROVED or PASSED", and the level says how bad the
failure is. The workbench status is kept verbatim in `properties.status`, and the message text starts
with it ("INCONCLUSIVE (not a pass): ...").

Identity. `properties.checkId` is the check's id, the same string the Markdown, HTML and JUnit
reports show; `partialFingerprints["checkId/v1"]` repeats it so that viewers match the same finding
across runs without hashing source lines.

Locations (repo-relative URIs). From `details["anchors"]` when present, each either a string
("contracts/bpe/StakeManager.sol#L88-101", "path:12", "path:12:5") or an object {"file", "line",
"end_line"?, "column"?}; for compile checks also from `details["errors"]` ({"file", "line",
"column"}). Otherwise the contract's source: the path in `results.sources` whose file stem is the
contract name (preferring the check's suite folder `contracts/<suite>/`, then `contracts/`), else
`contracts/<suite>/<Contract>.sol` (`contracts/<Contract>.sol` for a check of no suite). A whole-build check
(contract "*") without anchors has no location (GitHub code scanning does not display results without
a location; such checks are ERRORs, which are also in the invocation's notifications).
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from harness.report.results import EXIT_MEANINGS, Check, Kind, Results, Status

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "bpe-workbench"
FINGERPRINT_KEY = "checkId/v1"

# status -> (kind, level) of the SARIF result; statuses not listed are not emitted.
RESULT_LEVELS: dict[Status, tuple[str, str]] = {
    Status.VIOLATED: ("fail", "error"),
    Status.ERROR: ("fail", "error"),
    Status.INCONCLUSIVE: ("fail", "warning"),
    Status.UNSUPPORTED: ("fail", "warning"),
}

_STATUS_PREFIX = {
    Status.VIOLATED: "VIOLATED",
    Status.ERROR: "ERROR (a tool failed; says nothing about the contract)",
    Status.INCONCLUSIVE: "INCONCLUSIVE (not a pass)",
    Status.UNSUPPORTED: "UNSUPPORTED (not a pass)",
}

_MAX_LOCATIONS = 10


def check_family(check_id: str) -> str:
    """The family of a check id: the part before the first "/" (the invariant id for proofs)."""
    return check_id.split("/", 1)[0]


def render_sarif(results: Results) -> dict:
    """The SARIF 2.1.0 log as a JSON-ready dict (write it with json.dumps)."""
    families = _families(results)
    rule_index = {fam: i for i, fam in enumerate(families)}
    artifacts, artifact_index = _artifacts(results)

    sarif_results = []
    notifications = []
    for check in results.checks:
        if check.status not in RESULT_LEVELS:
            continue
        fam = check_family(check.id)
        sarif_results.append(_result(check, results, rule_index[fam], artifact_index))
        if check.status is Status.ERROR:
            notifications.append({
                "level": "error",
                "message": {"text": f"{check.id}: {_reason(check)}"},
                "descriptor": {"id": check.id},
                "associatedRule": {"id": fam, "index": rule_index[fam]},
                "properties": {"checkId": check.id},
            })
    if not results.checks:
        notifications.append({"level": "error",
                              "message": {"text": results.exit_reason()},
                              "descriptor": {"id": "NO-CHECKS"}})

    code = results.exit_code()
    verdict, meaning = EXIT_MEANINGS[code]
    invocation: dict[str, Any] = {
        "executionSuccessful": bool(results.checks) and not any(c.status is Status.ERROR for c in results.checks),
        "exitCode": code,
        "exitCodeDescription": f"{verdict}: {meaning}",
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications

    driver: dict[str, Any] = {
        "name": TOOL_NAME,
        "fullName": "BPE verification workbench (z3 proofs of the reference models, differential fuzzing on two EVMs)",
        "rules": [_rule(fam, checks) for fam, checks in families.items()],
    }
    run: dict[str, Any] = {
        "tool": {
            "driver": driver,
            "extensions": [{"name": name, "version": str(version)}
                           for name, version in sorted(results.tool_versions.items())],
        },
        "invocations": [invocation],
        "results": sarif_results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "schemaVersion": results.schema_version,
            "exitCode": code,
            "verdict": verdict,
            "exitReason": results.exit_reason(),
            "summary": results.summary(),
            "compiler": _sorted(results.compiler),
            "config": _sorted(results.config),
            "bytecode": _sorted(results.bytecode),
        },
    }
    if artifacts:
        run["artifacts"] = artifacts
    if not run["tool"]["extensions"]:
        del run["tool"]["extensions"]
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


# --- rules ------------------------------------------------------------------------------------


def _families(results: Results) -> dict[str, list[Check]]:
    """Family -> its checks, in order of first appearance."""
    out: dict[str, list[Check]] = {}
    for check in results.checks:
        out.setdefault(check_family(check.id), []).append(check)
    return out


def _rule(family: str, checks: list[Check]) -> dict:
    titles = _distinct(c.title.strip() for c in checks if c.title.strip())
    short = titles[0] if titles else f"Checks {family}"
    kinds = _distinct(c.kind.value for c in checks)
    contracts = _distinct(c.contract for c in checks)
    full = " | ".join(titles) if len(titles) > 1 else short
    help_text = (f"{family}: {short.rstrip('.')}. Kinds: {', '.join(kinds)}. A result means a check of this family is not "
                 "PROVED or PASSED; properties.status gives the workbench status (statuses and exit codes: "
                 "reports/README.md).")
    return {
        "id": family,
        "name": family,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "kinds": kinds,
            "contracts": contracts,
            "checkIds": [c.id for c in checks],
            "tags": ["verification", *kinds],
        },
    }


# --- results ----------------------------------------------------------------------------------


def _result(check: Check, results: Results, rule_index: int, artifact_index: dict[str, int]) -> dict:
    kind, level = RESULT_LEVELS[check.status]
    d = check.details
    props: dict[str, Any] = {
        "checkId": check.id,
        "status": check.status.value,
        "checkKind": check.kind.value,
        "contract": check.contract,
        "seconds": check.seconds,
    }
    for key, name in (("confirmed", "confirmed"), ("replay_command", "replayCommand"),
                      ("replay_file", "replayFile"), ("recommendation", "recommendation"),
                      ("engine", "engine"), ("seed", "seed"), ("depends_on", "dependsOn")):
        if key in d:
            props[name] = _sorted(d[key])
    result: dict[str, Any] = {
        "ruleId": check_family(check.id),
        "ruleIndex": rule_index,
        "kind": kind,
        "level": level,
        "message": {"text": _message(check)},
        "partialFingerprints": {FINGERPRINT_KEY: check.id},
        "properties": props,
    }
    locations = _locations(check, results, artifact_index)
    if locations:
        result["locations"] = locations[:1]
        if len(locations) > 1:
            result["relatedLocations"] = [dict(loc, id=i) for i, loc in enumerate(locations[1:_MAX_LOCATIONS], 1)]
    return result


def _message(check: Check) -> str:
    d = check.details
    parts = [f"{_STATUS_PREFIX[check.status]}: {check.id} ({check.kind.value}, {check.contract})."]
    if check.title:
        parts.append(check.title.strip())
    parts.append(_reason(check))
    if check.status is Status.VIOLATED:
        if d.get("confirmed") is True:
            parts.append("Confirmed: the counterexample replays on the model and the EVM.")
        elif d.get("confirmed") is False:
            parts.append("Unconfirmed: the counterexample did not replay concretely; it may be spurious.")
        if d.get("replay_command"):
            parts.append(f"Replay: {d['replay_command']}")
        if d.get("recommendation"):
            parts.append(f"Recommendation: {d['recommendation']}")
    return "\n".join(p for p in parts if p)


def _reason(check: Check) -> str:
    message = check.details.get("message")
    if message:
        return str(message).strip()
    if check.status is Status.VIOLATED and "counterexample" in check.details:
        return "A counterexample was found (no message recorded; see the counterexample in the other reports)."
    return "No reason was recorded."


# --- locations --------------------------------------------------------------------------------

_ANCHOR_RE = re.compile(r"^(?P<file>.+?)(?:#L(?P<line>\d+)(?:-L?(?P<end>\d+))?|:(?P<cline>\d+)(?::(?P<col>\d+))?)?$")


def parse_anchor(anchor: Any) -> dict | None:
    """{"file", "line"?, "end_line"?, "column"?} from an anchor string or object; None if unusable.
    Strings: "path#L88-101", "path#L88", "path:12", "path:12:5", "path"."""
    if isinstance(anchor, dict):
        file = anchor.get("file") or anchor.get("path")
        if not isinstance(file, str) or not file:
            return None
        out: dict[str, Any] = {"file": file}
        for key, names in (("line", ("line", "start_line")), ("end_line", ("end_line", "endLine")),
                           ("column", ("column", "col"))):
            for name in names:
                v = anchor.get(name)
                if isinstance(v, int) and not isinstance(v, bool) and v >= 1:
                    out[key] = v
                    break
        return out
    if isinstance(anchor, str) and anchor.strip():
        m = _ANCHOR_RE.match(anchor.strip())
        if not m:
            return None
        out = {"file": m["file"]}
        line = m["line"] or m["cline"]
        if line and int(line) >= 1:
            out["line"] = int(line)
        if m["end"] and int(m["end"]) >= 1:
            out["end_line"] = int(m["end"])
        if m["col"] and int(m["col"]) >= 1:
            out["column"] = int(m["col"])
        return out
    return None


def contract_source(contract: str, results: Results, suite: str = "*") -> str | None:
    """Repo-relative path of a contract's source: from results.sources by file stem (preferring the
    suite's folder contracts/<suite>/, then the rest of contracts/, then anything outside node_modules/),
    else contracts/<suite>/<Contract>.sol (contracts/<Contract>.sol when the check names no suite);
    None for "*"."""
    if not contract or contract == "*":
        return None
    folder = "contracts/" if not suite or suite == "*" else f"contracts/{suite}/"
    matches = [p for p in results.sources if PurePosixPath(p).stem == contract]
    matches.sort(key=lambda p: (not p.startswith(folder), not p.startswith("contracts/"), "node_modules/" in p, p))
    return matches[0] if matches else f"{folder}{contract}.sol"


def _anchors(check: Check, results: Results) -> list[dict]:
    d = check.details
    raw: list[Any] = []
    anchors = d.get("anchors")
    if isinstance(anchors, (list, tuple)):
        raw += list(anchors)
    elif anchors:
        raw.append(anchors)
    if check.kind is Kind.COMPILE and isinstance(d.get("errors"), list):
        raw += d["errors"]
    parsed = [a for a in (parse_anchor(x) for x in raw) if a]
    if not parsed:
        src = contract_source(check.contract, results, check.suite)
        if src:
            parsed.append({"file": src})
    return parsed


def _locations(check: Check, results: Results, artifact_index: dict[str, int]) -> list[dict]:
    out = []
    for a in _anchors(check, results):
        file = a["file"].removeprefix("./")
        art: dict[str, Any] = {"uri": _uri(file)}
        if file in artifact_index:
            art["index"] = artifact_index[file]
        physical: dict[str, Any] = {"artifactLocation": art}
        if "line" in a:
            region: dict[str, Any] = {"startLine": a["line"]}
            if a.get("end_line", 0) >= a["line"]:
                region["endLine"] = a["end_line"]
            if "column" in a:
                region["startColumn"] = a["column"]
            physical["region"] = region
        loc: dict[str, Any] = {"physicalLocation": physical}
        if check.contract and check.contract != "*":
            loc["logicalLocations"] = [{"name": check.contract, "kind": "type"}]
        out.append(loc)
    return out


def _artifacts(results: Results) -> tuple[list[dict], dict[str, int]]:
    artifacts, index = [], {}
    for i, (path, sha) in enumerate(sorted(results.sources.items())):
        index[path] = i
        artifacts.append({"location": {"uri": _uri(path)}, "hashes": {"sha-256": str(sha)}})
    return artifacts, index


def _uri(path: str) -> str:
    """A repo-relative path as a relative URI reference (spaces and the like percent-encoded)."""
    return quote(path, safe="/-_.~@+")


def _sorted(value: Any) -> Any:
    """A copy with every object's keys sorted, so a log rendered from the file (written with sorted
    keys) is byte-identical to one rendered from the producer's object."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_sorted(v) for v in value]
    return value


def _distinct(items) -> list:
    out: list = []
    for x in items:
        if x not in out:
            out.append(x)
    return out
