"""Slither on the suite: every built-in detector plus the workbench's own, findings with stable ids,
triage against a committed file, and the checks of the result file.

Run: `run_slither(build)` parses the build (`compile_contracts()`, everything under contracts/) with
slither's Python API, registers every class of `slither.detectors.all_detectors` deriving from
`AbstractDetector` and `harness.analysis.detectors.CUSTOM_DETECTORS`, and runs each detector on its own:
a detector that crashes is recorded (and turns the summary check into ERROR) without hiding the others.

Findings are plain dicts (`FINDING_KEYS`):
    {"id", "detector", "impact", "confidence", "description", "contract", "function", "file", "lines",
     "locations", "anchors", "reference", "recommendation"}
`contract` is "*" and `function` None when the finding names none (pragma, solc-version); `file` and
`lines` are those of the first element in our sources; `locations` ({"file", "line"}) and `anchors`
("file#Lx-y", the report's anchor form) list every element in our sources.

Dependencies: a finding whose every source element lies under node_modules/ (OpenZeppelin) or
.cache/superfluid/ (the Superfluid package's interfaces) is excluded,
and counted and listed per detector in the summary check; a finding that touches one of our files is
kept (the `pragma` finding names our files and OpenZeppelin's).

Stable ids: `SLITHER-<detector>-<h>`, h = the first 10 hex digits of sha256(detector, contract,
function, description) where the description is normalized: repository root removed, line numbers
(`#12`, `#12-20`) removed, lines stripped and sorted. So an id survives moving the repository, edits
that shift lines, and detectors that list elements in another order. It does not survive moving a
source file inside the repository (the description names the repo-relative path, e.g.
`contracts/bpe/StakeManager.sol`): such a move re-keys the triage file's entries, each keeping its
detector, contract and justification. Two findings that normalize to the same id get `-2`, `-3`, ...
in source order.

Nothing but the triage file hides a finding: slither's in-source `// slither-disable...` comments are
ignored (`show_ignored_findings`) and its `slither.db.json` triage database is never read.

Triage (`harness/analysis/slither_triage.json`): {"format": 1, "about": "...", "accepted": [entries]},
each entry {"id", "detector", "contract", "justification", optional "summary"}; every field but
`summary` required and non-empty, no other keys, no duplicate ids (else `TriageError`). `triage()`
splits the findings into accepted and untriaged, and reports stale entries (matching no finding).

Checks (`results_checks`): one VIOLATED `static` check per untriaged finding (id = the finding's id),
one summary check `SLITHER` (PASSED with the counts, ERROR when slither or a detector failed or the
triage file is invalid), one INCONCLUSIVE `SLITHER-STALE-<id>` per stale triage entry.

CLI: `python -m harness.analysis.slither_run [files...] [--json]` prints the findings with their
triage state, the counts and the timings; its exit code follows the checks (0, 1, 2 or 3).
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import logging
import os
import re
import sys
import time
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Sequence

from specs.errors import ArgumentParser, WorkbenchError

LOG = logging.getLogger("harness.analysis.slither")

REPO = Path(__file__).resolve().parents[2]
TRIAGE_PATH = Path(__file__).resolve().with_name("slither_triage.json")
TRIAGE_FORMAT = 1
DEPENDENCY_DIRS = ("node_modules",)  # OpenZeppelin (npm)
DEPENDENCY_PREFIXES = (".cache/superfluid/",)  # the Superfluid package's interfaces (npm pack, fetched)
SUMMARY_ID = "SLITHER"
STALE_PREFIX = "SLITHER-STALE-"

FINDING_KEYS = (
    "id", "detector", "impact", "confidence", "description", "contract", "function", "file", "lines",
    "locations", "anchors", "reference", "recommendation",
)
ENTRY_KEYS = ("id", "detector", "contract", "justification")
_OPTIONAL_ENTRY_KEYS = ("summary",)
_LINE_MARK = re.compile(r"#\d+(?:-\d+)?")


class SlitherRunError(WorkbenchError):
    """Slither could not analyse the build (a crash in parsing or analysis, or nothing analysed)."""


class TriageError(WorkbenchError):
    """The triage file or an entry is invalid (missing justification, unknown key, duplicate id), or an
    entry contradicts the finding it names."""


# --------------------------------------------------------------------------------------------------
# Detectors


def builtin_detectors() -> list[type]:
    """Every detector class slither ships (`slither.detectors.all_detectors`), sorted by ARGUMENT."""
    from slither.detectors import all_detectors
    from slither.detectors.abstract_detector import AbstractDetector

    found = {
        cls
        for cls in vars(all_detectors).values()
        if inspect.isclass(cls) and issubclass(cls, AbstractDetector) and cls is not AbstractDetector
    }
    return sorted(found, key=lambda cls: (cls.ARGUMENT, cls.__name__))


def default_detectors() -> list[type]:
    """The built-in detectors and the custom ones. SlitherRunError if two share an ARGUMENT."""
    from harness.analysis.detectors import CUSTOM_DETECTORS

    detectors = builtin_detectors() + list(CUSTOM_DETECTORS)
    _check_unique_arguments(detectors)
    return detectors


def _check_unique_arguments(detectors: Sequence[type]) -> None:
    seen: dict[str, str] = {}
    for cls in detectors:
        if cls.ARGUMENT in seen:
            raise SlitherRunError(
                f"detectors {seen[cls.ARGUMENT]} and {cls.__name__} share the ARGUMENT {cls.ARGUMENT!r}"
            )
        seen[cls.ARGUMENT] = cls.__name__


# --------------------------------------------------------------------------------------------------
# Running slither


@dataclass
class SlitherRun:
    """What one slither run found."""

    findings: list[dict]  # in our sources, sorted by (file, first line, detector, id)
    excluded: list[dict]  # only in dependencies (node_modules, .cache/superfluid), same shape
    detectors: list[str]  # ARGUMENT of every detector that ran (built-in and custom)
    custom_detectors: list[str]
    failed_detectors: dict[str, str]  # ARGUMENT -> error (with the end of the traceback)
    contracts: list[str]  # contracts analysed in our sources
    timings: dict[str, float]  # seconds: compile, slither (parse and analysis), detectors, total
    slither_version: str = ""

    @property
    def seconds(self) -> float:
        return self.timings.get("total", 0.0)

    def excluded_by_detector(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for finding in self.excluded:
            counts[finding["detector"]] = counts.get(finding["detector"], 0) + 1
        return dict(sorted(counts.items()))


def run_slither(
    build: Any = None,
    *,
    sources: Sequence[str | Path] | None = None,
    detectors: Sequence[type] | None = None,
    root: Path | None = None,
) -> SlitherRun:
    """Run slither with `detectors` (default: `default_detectors()`) on `build` (default:
    `compile_contracts(sources)`, i.e. everything under contracts/).

    Raises CompileError if compiling fails and SlitherRunError if slither cannot parse or analyse the
    build or finds no contract in our sources. A detector that raises is recorded in
    `failed_detectors`; the other detectors' findings are kept.
    """
    from slither.slither import Slither

    t_start = time.perf_counter()
    if build is None:
        from harness.evm.compile import compile_contracts

        build = compile_contracts(sources)
    t_compiled = time.perf_counter()
    root = Path(os.path.abspath(root if root is not None else getattr(build.crytic, "working_dir", REPO)))

    detector_classes = list(default_detectors() if detectors is None else detectors)
    _check_unique_arguments(detector_classes)
    try:
        # show_ignored_findings: in-source slither-disable comments hide nothing (the triage file decides)
        slither = Slither(build.crytic, show_ignored_findings=True)
    except Exception as exc:
        raise SlitherRunError(f"slither could not parse or analyse the build: {_describe(exc)}") from exc
    t_parsed = time.perf_counter()

    ours = sorted({
        c.name for c in slither.contracts
        if not _is_dependency_path(_rel(c.source_mapping.filename.absolute, root))
    })
    if not ours:
        raise SlitherRunError("slither analysed no contract outside the dependencies (node_modules, .cache/superfluid)")

    from harness.analysis.detectors import CUSTOM_DETECTORS

    raw: list[tuple[type, dict]] = []
    failed: dict[str, str] = {}
    for cls in detector_classes:
        try:
            slither.register_detector(cls)
        except Exception as exc:
            failed[cls.ARGUMENT] = f"cannot register: {_describe(exc)}"
    for instance in slither.detectors:
        try:
            results = instance.detect()
        except Exception as exc:  # a crashing detector must not pass silently
            failed[instance.ARGUMENT] = _describe(exc)
            LOG.error("slither detector %s crashed: %s", instance.ARGUMENT, failed[instance.ARGUMENT])
            continue
        raw += [(type(instance), result) for result in results]
    t_detected = time.perf_counter()

    findings, excluded = [], []
    for cls, result in raw:
        finding, dependency_only = finding_from_result(result, cls, root)
        (excluded if dependency_only else findings).append(finding)
    _assign_unique_ids(findings)
    _assign_unique_ids(excluded)
    order = lambda f: (f["file"], f["lines"][:1], f["detector"], f["id"])  # noqa: E731
    try:
        version = metadata.version("slither-analyzer")
    except metadata.PackageNotFoundError:
        version = "unavailable"
    return SlitherRun(
        findings=sorted(findings, key=order),
        excluded=sorted(excluded, key=order),
        detectors=[cls.ARGUMENT for cls in detector_classes],
        custom_detectors=[cls.ARGUMENT for cls in detector_classes if issubclass(cls, tuple(CUSTOM_DETECTORS))],
        failed_detectors=dict(sorted(failed.items())),
        contracts=ours,
        timings={
            "compile": round(t_compiled - t_start, 3),
            "slither": round(t_parsed - t_compiled, 3),
            "detectors": round(t_detected - t_parsed, 3),
            "total": round(time.perf_counter() - t_start, 3),
        },
        slither_version=version,
    )


def _describe(exc: BaseException) -> str:
    """`Type: message` and the last frames of the traceback."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__, limit=-4)).rstrip()
    return f"{type(exc).__name__}: {exc}\n{tb}"


# --------------------------------------------------------------------------------------------------
# Findings


def _rel(path: str, root: Path) -> str:
    """A source path as root-relative POSIX text when it lies under root, else as it is. Symlinks are
    not followed first (node_modules may be a link out of the repository), only as a fallback."""
    if not path:
        return ""
    norm = os.path.normpath(path)
    if not os.path.isabs(norm):
        return PurePosixPath(Path(norm).as_posix()).as_posix()
    candidates = [(norm, os.path.normpath(str(root)))]
    candidates.append((os.path.realpath(norm), os.path.realpath(str(root))))
    for file, base in candidates:
        try:
            return Path(file).relative_to(base).as_posix()
        except ValueError:
            continue
    return Path(norm).as_posix()


def _is_dependency_path(path: str) -> bool:
    return any(part in DEPENDENCY_DIRS for part in PurePosixPath(path).parts) or path.startswith(DEPENDENCY_PREFIXES)


def _element_file(element: dict, root: Path) -> str:
    sm = element.get("source_mapping") or {}
    return _rel(sm.get("filename_absolute") or sm.get("filename_relative") or "", root)


def _is_dependency_element(element: dict, root: Path) -> bool:
    sm = element.get("source_mapping") or {}
    return bool(sm.get("is_dependency")) or _is_dependency_path(_element_file(element, root))


def _contract_and_function(element: dict) -> tuple[str | None, str | None]:
    """The contract and function signature an element of a slither result belongs to."""
    kind = element.get("type")
    fields = element.get("type_specific_fields") or {}
    if kind == "contract":
        return element.get("name"), None
    if kind == "function":
        parent = fields.get("parent") or {}
        return parent.get("name"), fields.get("signature") or element.get("name")
    parent = fields.get("parent") or {}
    if parent.get("type") == "contract":
        return parent.get("name"), None
    if parent.get("type") == "function":
        parent_fields = parent.get("type_specific_fields") or {}
        return (parent_fields.get("parent") or {}).get("name"), parent_fields.get("signature") or parent.get("name")
    return None, None


def _anchor(file: str, lines: list[int]) -> str:
    if not lines:
        return file
    first, last = min(lines), max(lines)
    return f"{file}#L{first}" if first == last else f"{file}#L{first}-{last}"


def finding_from_result(result: dict, cls: type, root: Path) -> tuple[dict, bool]:
    """(finding dict, whether every element lies in a dependency) of one slither result."""
    elements = [e for e in result.get("elements", []) if e.get("source_mapping")]
    dependency_only = bool(elements) and all(_is_dependency_element(e, root) for e in elements)
    relevant = elements if dependency_only else [e for e in elements if not _is_dependency_element(e, root)]

    contract = function = None
    for element in relevant:
        c, f = _contract_and_function(element)
        if contract is None and c:
            contract = c
        if function is None and f:
            function = f
            contract = c or contract
        if contract and function:
            break
    primary = relevant[0] if relevant else None
    file = _element_file(primary, root) if primary else ""
    lines = list((primary.get("source_mapping") or {}).get("lines", [])) if primary else []

    locations, anchors = [], []
    for element in relevant:
        efile = _element_file(element, root)
        elines = list(element["source_mapping"].get("lines", []))
        location = {"file": efile, "line": min(elines) if elines else 0}
        if location not in locations:
            locations.append(location)
        anchor = _anchor(efile, elines)
        if anchor not in anchors:
            anchors.append(anchor)

    description = _strip_root(result.get("description", ""), root).strip()
    detector = result.get("check", cls.ARGUMENT)
    contract = contract or "*"
    finding = {
        "id": finding_id(detector, contract, function, description),
        "detector": detector,
        "impact": result.get("impact", ""),
        "confidence": result.get("confidence", ""),
        "description": description,
        "contract": contract,
        "function": function,
        "file": file,
        "lines": lines,
        "locations": locations,
        "anchors": anchors,
        "reference": getattr(cls, "WIKI", ""),
        "recommendation": getattr(cls, "WIKI_RECOMMENDATION", ""),
    }
    return finding, dependency_only


def _strip_root(text: str, root: Path) -> str:
    for prefix in sorted({str(root), os.path.realpath(root), str(REPO)}, key=len, reverse=True):
        text = text.replace(prefix.rstrip("/") + "/", "")
    return text


def normalize_description(description: str) -> str:
    """The description without line numbers, blank lines and line order (see the module docstring)."""
    lines = [_LINE_MARK.sub("", line).strip() for line in description.splitlines()]
    return "\n".join(sorted(line for line in lines if line))


def finding_id(detector: str, contract: str, function: str | None, description: str) -> str:
    """`SLITHER-<detector>-<10 hex>`: independent of line numbers, absolute paths and element order."""
    material = "\0".join([detector, contract, function or "", normalize_description(description)])
    return f"SLITHER-{detector}-{hashlib.sha256(material.encode()).hexdigest()[:10]}"


def _assign_unique_ids(findings: list[dict]) -> None:
    """Suffix `-2`, `-3`, ... to findings whose ids collide, in source order (the first keeps its id)."""
    groups: dict[str, list[dict]] = {}
    for finding in findings:
        groups.setdefault(finding["id"], []).append(finding)
    for base, group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda f: (f["file"], f["lines"], f["description"]))
        for n, finding in enumerate(group[1:], start=2):
            finding["id"] = f"{base}-{n}"


# --------------------------------------------------------------------------------------------------
# Triage


@dataclass(frozen=True)
class TriageEntry:
    """One accepted finding: its id, detector and contract, and why it is accepted."""

    id: str
    detector: str
    contract: str
    justification: str
    summary: str = ""

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ENTRY_KEYS}
        if self.summary:
            d["summary"] = self.summary
        return d


@dataclass
class TriageResult:
    untriaged: list[dict] = field(default_factory=list)  # findings: these fail verify
    accepted: list[tuple[dict, TriageEntry]] = field(default_factory=list)
    stale: list[TriageEntry] = field(default_factory=list)  # entries that match no finding
    unchecked: list[TriageEntry] = field(default_factory=list)  # entries of detectors that failed


def parse_entry(raw: Any, where: str = "triage entry") -> TriageEntry:
    """A TriageEntry from a dict (or a TriageEntry, checked again). TriageError if a required field is
    missing or empty (a justification above all), a field is not a string, or a key is unknown."""
    if isinstance(raw, TriageEntry):
        raw = {**raw.to_dict(), "summary": raw.summary}
    if not isinstance(raw, dict):
        raise TriageError(f"{where}: expected an object, got {type(raw).__name__}")
    label = f"{where} {raw.get('id')!r}" if isinstance(raw.get("id"), str) else where
    unknown = sorted(set(raw) - set(ENTRY_KEYS) - set(_OPTIONAL_ENTRY_KEYS))
    if unknown:
        raise TriageError(f"{label}: unknown key(s) {', '.join(unknown)}; allowed: "
                          f"{', '.join(ENTRY_KEYS + _OPTIONAL_ENTRY_KEYS)}")
    for key in ENTRY_KEYS:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            what = "has no justification: every accepted finding needs one" if key == "justification" \
                else f"needs a non-empty string {key!r}"
            raise TriageError(f"{label} {what}")
    summary = raw.get("summary", "")
    if not isinstance(summary, str):
        raise TriageError(f"{label}: summary must be a string")
    return TriageEntry(raw["id"].strip(), raw["detector"].strip(), raw["contract"].strip(),
                       raw["justification"].strip(), summary.strip())


def parse_triage(data: Any, source: str = "triage file") -> list[TriageEntry]:
    """The entries of a triage document ({"format": 1, "about": ..., "accepted": [...]}).
    TriageError on a wrong shape, an invalid entry or a duplicate id."""
    if not isinstance(data, dict):
        raise TriageError(f"{source}: expected a JSON object with an 'accepted' list")
    unknown = sorted(set(data) - {"format", "about", "accepted"})
    if unknown:
        raise TriageError(f"{source}: unknown key(s) {', '.join(unknown)}")
    if data.get("format") != TRIAGE_FORMAT:
        raise TriageError(f"{source}: format {data.get('format')!r}, this workbench reads format {TRIAGE_FORMAT}")
    accepted = data.get("accepted")
    if not isinstance(accepted, list):
        raise TriageError(f"{source}: 'accepted' must be a list")
    return _validated([parse_entry(raw, f"{source}: entry {i}") for i, raw in enumerate(accepted)], source)


def _validated(entries: list[TriageEntry], source: str) -> list[TriageEntry]:
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise TriageError(f"{source}: duplicate entry for {entry.id}")
        seen.add(entry.id)
    return entries


def load_triage(path: str | Path = TRIAGE_PATH) -> list[TriageEntry]:
    """The entries of the triage file. TriageError if it cannot be read or is invalid."""
    path = Path(path)
    shown = _rel(os.path.abspath(path), REPO)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TriageError(f"cannot read the triage file {shown}: {exc}") from exc
    return parse_triage(data, shown)


def triage(
    findings: Iterable[dict],
    triage_entries: Iterable[TriageEntry | dict],
    *,
    failed_detectors: Iterable[str] = (),
) -> TriageResult:
    """Split `findings` by `triage_entries` (TriageEntry objects or dicts, validated: an entry without a
    justification raises TriageError). An entry matches the finding with its id; if that finding has
    another detector or contract, the entry is inconsistent (TriageError). Entries matching nothing are
    stale, unless their detector is in `failed_detectors` (then they could not be checked: unchecked)."""
    entries = _validated([parse_entry(e) for e in triage_entries], "triage entries")
    by_id = {e.id: e for e in entries}
    failed = set(failed_detectors)
    result = TriageResult()
    matched: set[str] = set()
    for finding in findings:
        entry = by_id.get(finding["id"])
        if entry is None:
            result.untriaged.append(finding)
            continue
        if entry.detector != finding["detector"] or entry.contract != finding["contract"]:
            raise TriageError(
                f"triage entry {entry.id} says detector {entry.detector!r}, contract {entry.contract!r}, "
                f"but the finding is detector {finding['detector']!r}, contract {finding['contract']!r}"
            )
        matched.add(entry.id)
        result.accepted.append((finding, entry))
    for entry in entries:
        if entry.id not in matched:
            (result.unchecked if entry.detector in failed else result.stale).append(entry)
    return result


def suggested_entry(finding: dict) -> dict:
    """A triage entry for `finding` with the justification left to be written."""
    return {"id": finding["id"], "detector": finding["detector"], "contract": finding["contract"],
            "justification": "", "summary": finding["description"].splitlines()[0][:200]}


# --------------------------------------------------------------------------------------------------
# Checks


def results_checks(
    build: Any = None,
    *,
    triage_path: str | Path = TRIAGE_PATH,
    triage_entries: Iterable[TriageEntry | dict] | None = None,
    detectors: Sequence[type] | None = None,
    run: SlitherRun | None = None,
) -> list:
    """The checks of one slither analysis, as `harness.report.results.Check` objects. Never raises for a
    tool failure: a compile error, a slither crash or an invalid triage file is an ERROR check.

    build: a `harness.evm.compile.Build` (default: `compile_contracts()`); run: a finished `SlitherRun`
    to report instead of running slither; triage_entries: instead of reading `triage_path`.
    """
    from harness.report.results import Check, Kind, Status

    t0 = time.perf_counter()

    def error(message: str) -> list:
        return [Check(SUMMARY_ID, Kind.STATIC, "*", Status.ERROR, time.perf_counter() - t0,
                      "slither static analysis", {"message": message})]

    try:
        entries = (list(triage_entries) if triage_entries is not None else load_triage(triage_path))
        entries = _validated([parse_entry(e) for e in entries], "triage entries")
    except TriageError as exc:
        return error(f"invalid triage: {exc}")
    if run is None:
        try:
            run = run_slither(build, detectors=detectors)
        except WorkbenchError as exc:
            return error(f"slither did not run: {exc}")
        except Exception as exc:
            return error(f"slither crashed: {_describe(exc)}")
    try:
        outcome = triage(run.findings, entries, failed_detectors=run.failed_detectors)
    except TriageError as exc:
        return error(f"invalid triage: {exc}")

    checks = [_summary_check(run, outcome, triage_path if triage_entries is None else None)]
    for finding in outcome.untriaged:
        first = finding["description"].splitlines()[0] if finding["description"] else finding["detector"]
        checks.append(Check(
            finding["id"], Kind.STATIC, finding["contract"], Status.VIOLATED, 0.0,
            f"{finding['detector']}: {_shorten(first.rstrip(':'), 160)}",
            {
                "message": (f"slither {finding['detector']} ({finding['impact']} impact, "
                            f"{finding['confidence']} confidence), not triaged:\n{finding['description']}"),
                "description": finding["description"],
                "detector": finding["detector"],
                "impact": finding["impact"],
                "confidence": finding["confidence"],
                "function": finding["function"],
                "file": finding["file"],
                "lines": finding["lines"],
                "anchors": finding["anchors"],  # "file#Lx-y" strings, as the schema types anchors
                "locations": finding["locations"],  # {"file", "line"} per element in our sources
                "recommendation": (f"{finding['recommendation']} If the finding is acceptable, add "
                                   f"{json.dumps(suggested_entry(finding))} with a justification to "
                                   f"{_rel(str(TRIAGE_PATH), REPO)}."),
                "reference": finding["reference"],
            },
        ))
    for entry in outcome.stale:
        checks.append(Check(
            f"{STALE_PREFIX}{entry.id}", Kind.STATIC, entry.contract, Status.INCONCLUSIVE, 0.0,
            f"stale slither triage entry {entry.id}",
            {"message": (f"triage entry {entry.id} ({entry.detector}, {entry.contract}) matches no finding "
                         f"of this run: the finding is gone or its id changed. Remove the entry or update "
                         f"its id."),
             "detector": entry.detector, "justification": entry.justification},
        ))
    return checks


def _summary_check(run: SlitherRun, outcome: TriageResult, triage_path: Any) -> Any:
    from harness.report.results import Check, Kind, Status

    counts = {
        "findings": len(run.findings),
        "untriaged": len(outcome.untriaged),
        "accepted": len(outcome.accepted),
        "excluded_dependencies": len(run.excluded),
        "stale_triage_entries": len(outcome.stale),
        "detectors": len(run.detectors),
        "failed_detectors": len(run.failed_detectors),
    }
    status = Status.ERROR if run.failed_detectors else Status.PASSED
    message = (
        f"{len(run.detectors)} detectors ({len(run.custom_detectors)} custom) on {', '.join(run.contracts)}: "
        f"{counts['findings']} findings in our sources ({counts['accepted']} accepted by triage, "
        f"{counts['untriaged']} untriaged), {counts['excluded_dependencies']} in dependencies (node_modules, .cache/superfluid) excluded, "
        f"{counts['stale_triage_entries']} stale triage entries"
    )
    if run.failed_detectors:
        message += "\nDetectors that crashed (their findings are missing):\n" + "\n".join(
            f"- {name}: {err}" for name, err in run.failed_detectors.items())
    details = {
        "message": message,
        "counts": counts,
        "findings": [
            {"id": f["id"], "detector": f["detector"], "contract": f["contract"], "function": f["function"],
             "impact": f["impact"], "confidence": f["confidence"], "anchors": f["anchors"],
             "triage": "accepted", "justification": e.justification}
            for f, e in outcome.accepted
        ] + [
            {"id": f["id"], "detector": f["detector"], "contract": f["contract"], "function": f["function"],
             "impact": f["impact"], "confidence": f["confidence"], "anchors": f["anchors"],
             "triage": "untriaged"}
            for f in outcome.untriaged
        ],
        "excluded_dependencies_by_detector": run.excluded_by_detector(),
        "custom_detectors": run.custom_detectors,
        "failed_detectors": sorted(run.failed_detectors),
        "unchecked_triage_entries": [e.id for e in outcome.unchecked],
        "contracts": run.contracts,
        "slither": run.slither_version,
        "timings": run.timings,
    }
    if triage_path is not None:
        details["triage_file"] = _rel(os.path.abspath(triage_path), REPO)
    return Check(SUMMARY_ID, Kind.STATIC, "*", status, run.seconds, "slither static analysis", details)


def _shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# --------------------------------------------------------------------------------------------------
# Command line


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="python -m harness.analysis.slither_run",
        description="Run slither (built-in and custom detectors) and triage the findings.",
    )
    parser.add_argument("files", nargs="*", help="Solidity files (default: every *.sol under contracts/)")
    parser.add_argument("--triage", type=Path, default=TRIAGE_PATH, help="triage file (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print the checks as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from specs.errors import CompileError
    from harness.evm.compile import compile_contracts
    from harness.report.results import Results

    try:  # a bad triage file is answered before anything is compiled or analysed
        load_triage(args.triage)
    except TriageError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return TriageError.exit_code
    try:
        build = compile_contracts(args.files or None)
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return CompileError.exit_code
    checks = results_checks(build, triage_path=args.triage)
    results = Results(checks=checks)
    if args.json:
        print(json.dumps([c.to_dict() for c in checks], indent=2, sort_keys=True))
        return results.exit_code()
    for check in checks:
        print(f"{check.status.value:<12} {check.id}  {check.title}")
        if check.id == SUMMARY_ID:
            print("  " + check.details.get("message", "").replace("\n", "\n  "))
            if "timings" in check.details:
                print(f"  timings (s): {check.details['timings']}")
        elif check.status.value == "VIOLATED":
            print("  " + check.details["description"].replace("\n", "\n  "))
            print("  triage entry to fill in: " + json.dumps(suggested_entry(
                {"id": check.id, "detector": check.details["detector"], "contract": check.contract,
                 "description": check.details["description"]})))
    return results.exit_code()


if __name__ == "__main__":
    sys.exit(main())
