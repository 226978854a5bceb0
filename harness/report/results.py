"""The one result object of a verification run, and its versioned JSON file.

Every check the workbench runs (a proof obligation, a lemma, a fuzz campaign, a static analysis, a
compilation, a vacuity check) becomes one `Check` in one `Results`. `Results` is written to
`reports/verify.json`, validated against `reports/schema/verify.schema.json`; every renderer
(Markdown, later HTML, SARIF, JUnit) reads only this object. Field meanings: `reports/README.md`.

Exit code of a run (`Results.exit_code`, constants from `specs.errors`):
- 1 `EXIT_VIOLATED` if any check is VIOLATED: a finding beats everything, it is definite;
- otherwise 3 `EXIT_TOOL_ERROR` if any check is ERROR: a tool failed, the results are incomplete;
- otherwise 2 `EXIT_INCONCLUSIVE` if any check is INCONCLUSIVE or UNSUPPORTED, or the configuration
  lists obligations not proved yet ("not_proved": what no proof attempts, evaluated by the fuzzer only);
- otherwise 0 `EXIT_OK`: every check PROVED or PASSED, and nothing is left unproved.
An empty check list is 3: "nothing was checked" never passes.

Serialization is deterministic: every JSON object has sorted keys, checks keep insertion order, and
the only timestamp is the top-level `generated_at` (timings live under each check's `seconds`).
`Results.comparable_dict()` drops both, for comparing two runs.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from specs.errors import (
    EXIT_INCONCLUSIVE,
    EXIT_OK,
    EXIT_TOOL_ERROR,
    EXIT_VIOLATED,
    WorkbenchError,
)

SCHEMA_VERSION = "2.0.0"

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "reports" / "schema" / "verify.schema.json"
DEFAULT_JSON_PATH = REPO_ROOT / "reports" / "verify.json"
DEFAULT_MARKDOWN_PATH = REPO_ROOT / "reports" / "REPORT.md"


class Status(str, Enum):
    """Outcome of one check. The value is the name, as written in the JSON file."""

    PROVED = "PROVED"  # z3 returned unsat for the negated obligation
    PASSED = "PASSED"  # fuzzing (or a non-proof check) ran its full budget without a mismatch
    VIOLATED = "VIOLATED"  # a counterexample was found (for proofs: replayed on model and EVM)
    INCONCLUSIVE = "INCONCLUSIVE"  # solver unknown or timeout, or a fuzz budget not reached
    UNSUPPORTED = "UNSUPPORTED"  # a construct the encoder cannot express
    ERROR = "ERROR"  # a tool failed; the check says nothing about the contract

    def __str__(self) -> str:
        return self.value


class Kind(str, Enum):
    """What sort of check produced the status."""

    PROOF = "proof"  # an invariant obligation (initial state, or invariant preserved by one call)
    LEMMA = "lemma"  # a helper fact other proofs rely on (see details["depends_on"])
    FUZZ = "fuzz"  # a differential fuzz campaign, model against one EVM engine
    STATIC = "static"  # static analysis (slither)
    COMPILE = "compile"  # compilation of the contracts
    VACUITY = "vacuity"  # the hypotheses of a proof are satisfiable (the proof is not vacuous)

    def __str__(self) -> str:
        return self.value


# Exit code -> (verdict word, what it means). Renderers use these words; README.md repeats them.
EXIT_MEANINGS: dict[int, tuple[str, str]] = {
    EXIT_OK: ("PASSED", "every check PROVED or PASSED"),
    EXIT_VIOLATED: ("VIOLATED", "at least one check VIOLATED (a definite finding)"),
    EXIT_INCONCLUSIVE: (
        "INCONCLUSIVE",
        "nothing VIOLATED, but some checks are INCONCLUSIVE or UNSUPPORTED (not a proof)",
    ),
    EXIT_TOOL_ERROR: ("ERROR", "a tool failed or nothing was checked (results incomplete)"),
}


class InvalidResults(WorkbenchError, ValueError):
    """A results object or file that breaks the schema or its own rules (duplicate id, wrong
    summary, unknown major version). A workbench error: exit code 3."""


@dataclass
class Check:
    """One check and its outcome.

    `id` is unique in a run: "<invariant id>/<obligation>" for proofs ("BPE-CAP-001/stake",
    "BPE-CAP-001/init"), "FUZZ-<SUITE>-<engine>" for fuzz campaigns. `details` is free-form JSON,
    with the documented keys listed in reports/README.md (counterexample, replay_command, message,
    depends_on, ...). `kind` and `status` accept their string values too.
    """

    id: str
    kind: Kind
    contract: str
    status: Status
    seconds: float
    title: str = ""
    details: dict = field(default_factory=dict)
    suite: str = "*"  # the registered suite the check belongs to; "*" for a check of the whole run (compile)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise InvalidResults(f"check id must be a non-empty string, got {self.id!r}")
        if not isinstance(self.suite, str) or not self.suite:
            raise InvalidResults(f"check {self.id}: suite must be a non-empty string, got {self.suite!r}")
        try:
            self.kind = Kind(self.kind)
        except ValueError:
            allowed = ", ".join(k.value for k in Kind)
            raise InvalidResults(f"check {self.id}: kind {self.kind!r} is not one of {allowed}") from None
        try:
            self.status = Status(self.status)
        except ValueError:
            allowed = ", ".join(s.value for s in Status)
            raise InvalidResults(
                f"check {self.id}: status {self.status!r} is not one of {allowed}"
            ) from None
        if isinstance(self.seconds, bool) or not isinstance(self.seconds, (int, float)):
            raise InvalidResults(f"check {self.id}: seconds must be a number, got {self.seconds!r}")
        if not math.isfinite(self.seconds) or self.seconds < 0:
            raise InvalidResults(f"check {self.id}: seconds ({self.seconds}) must be finite and >= 0")
        self.seconds = float(self.seconds)
        if not isinstance(self.details, dict):
            got = type(self.details).__name__
            raise InvalidResults(f"check {self.id}: details must be a dict, got {got}")

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "suite": self.suite,
            "kind": self.kind.value,
            "contract": self.contract,
            "status": self.status.value,
            "seconds": self.seconds,
            "title": self.title,
            "details": _jsonable(self.details, f"check {self.id}: details"),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Check:
        return cls(
            id=d["id"],
            kind=d["kind"],
            contract=d["contract"],
            status=d["status"],
            seconds=d["seconds"],
            title=d.get("title", ""),
            details=dict(d.get("details", {})),
            suite=d["suite"],
        )


@dataclass
class Results:
    """Everything a run found, with what is needed to reproduce it (versions, hashes, config)."""

    schema_version: str = SCHEMA_VERSION
    tool_versions: dict[str, str] = field(default_factory=dict)
    compiler: dict = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    bytecode: dict[str, dict] = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    generated_at: str | None = None  # ISO 8601 UTC; the only timestamp, left out of compared parts

    def __post_init__(self) -> None:
        checks, self.checks = list(self.checks), []
        for check in checks:
            self.add(check)

    def add(self, check: Check) -> None:
        """Append a check. Refuses a second check with the same id (InvalidResults, a ValueError)."""
        if not isinstance(check, Check):
            raise InvalidResults(f"expected a Check, got {type(check).__name__}")
        if any(c.id == check.id for c in self.checks):
            raise InvalidResults(f"duplicate check id {check.id!r}: every check id must be unique")
        self.checks.append(check)

    def summary(self) -> dict[str, int]:
        """Number of checks per status, every status present (zeros included), in Status order."""
        counts = {s.value: 0 for s in Status}
        for check in self.checks:
            counts[check.status.value] += 1
        return counts

    def exit_code(self) -> int:
        """0 all PROVED/PASSED, 1 any VIOLATED, else 3 any ERROR or no checks, else 2 any
        INCONCLUSIVE/UNSUPPORTED. See the module docstring."""
        statuses = {c.status for c in self.checks}
        if Status.VIOLATED in statuses:
            return EXIT_VIOLATED
        if not self.checks or Status.ERROR in statuses:
            return EXIT_TOOL_ERROR
        if statuses & {Status.INCONCLUSIVE, Status.UNSUPPORTED} or self.not_proved():
            return EXIT_INCONCLUSIVE
        return EXIT_OK

    def not_proved(self) -> list:
        """The obligations not proved yet (configuration "not_proved"): no checks of this run, but a run
        that leaves some unproved is not a proof of its suites, so they make the exit code 2."""
        return [r for r in self.config.get("not_proved") or [] if isinstance(r, dict)]

    def exit_reason(self) -> str:
        """Why `exit_code()` is what it is, naming the deciding checks (at most five ids)."""
        if not self.checks:
            return "nothing was checked: a run without checks never passes"
        code = self.exit_code()
        if code == EXIT_VIOLATED:
            return self._naming({Status.VIOLATED}) + "; a finding is definite and beats every other status"
        if code == EXIT_TOOL_ERROR:
            return self._naming({Status.ERROR}) + "; a tool failed, so the results are incomplete"
        if code == EXIT_INCONCLUSIVE:
            deciding = {Status.INCONCLUSIVE, Status.UNSUPPORTED}
            if not {c.status for c in self.checks} & deciding:
                n = len(self.not_proved())
                ids = ", ".join(str(r.get("id", "?")) for r in self.not_proved()[:5]) + (", ..." if n > 5 else "")
                return (f"all {_count(len(self.checks))} PROVED or PASSED, but {n} obligation{'s' if n != 1 else ''} "
                        f"not proved yet ({ids}), listed apart and evaluated by the fuzzer only: not a proof")
            return self._naming(deciding) + "; nothing violated, but this is not a proof"
        return f"all {_count(len(self.checks))} PROVED or PASSED"

    def _naming(self, statuses: set[Status]) -> str:
        """Text like '2 checks VIOLATED (A, B)' for the checks whose status is in `statuses`."""
        parts = []
        for status in Status:
            ids = [c.id for c in self.checks if c.status is status and status in statuses]
            if ids:
                shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
                parts.append(f"{_count(len(ids))} {status.value} ({shown})")
        return " and ".join(parts)

    def to_dict(self) -> dict:
        """The JSON document (schema `SCHEMA_VERSION`). `summary` and `exit_code` are derived and
        written for readers that should not re-implement the rule; `from_dict` checks them."""
        return {
            "schema_version": self.schema_version,
            "generated_at": self.generated_at,
            "tool_versions": _jsonable(self.tool_versions, "tool_versions"),
            "compiler": _jsonable(self.compiler, "compiler"),
            "sources": _jsonable(self.sources, "sources"),
            "bytecode": _jsonable(self.bytecode, "bytecode"),
            "config": _jsonable(self.config, "config"),
            "summary": self.summary(),
            "exit_code": self.exit_code(),
            "checks": [c.to_dict() for c in self.checks],
        }

    def comparable_dict(self) -> dict:
        """`to_dict()` without what changes between identical runs: no `generated_at`, every
        check's `seconds` set to 0. For golden files and run-to-run comparison."""
        d = self.to_dict()
        del d["generated_at"]
        for check in d["checks"]:
            check["seconds"] = 0.0
        return d

    def to_json(self) -> str:
        """Deterministic text of the file: sorted keys, two-space indent, trailing newline."""
        return _dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> Results:
        """Validate `d` against the schema and rebuild the object. Accepts any 2.x file (fields a
        newer minor version added are ignored); refuses another major version, a duplicate id, and
        a `summary` or `exit_code` that do not follow from the checks."""
        validate(d)
        results = cls(
            schema_version=d["schema_version"],
            tool_versions=dict(d["tool_versions"]),
            compiler=dict(d["compiler"]),
            sources=dict(d["sources"]),
            bytecode={k: dict(v) for k, v in d["bytecode"].items()},
            config=dict(d["config"]),
            checks=[Check.from_dict(c) for c in d["checks"]],
            generated_at=d.get("generated_at"),
        )
        if d["summary"] != results.summary():
            raise InvalidResults(
                f"summary {d['summary']} does not match the checks, which give {results.summary()}"
            )
        if d["exit_code"] != results.exit_code():
            raise InvalidResults(
                f"exit_code {d['exit_code']} does not match the checks, which give {results.exit_code()}"
            )
        return results

    def write_json(self, path: str | os.PathLike = DEFAULT_JSON_PATH) -> None:
        """Validate, then write atomically (a reader never sees half a file)."""
        d = self.to_dict()
        validate(d)
        from harness.files import write_text_atomic

        write_text_atomic(path, _dumps(d))

    @classmethod
    def read_json(cls, path: str | os.PathLike = DEFAULT_JSON_PATH) -> Results:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise InvalidResults(f"cannot read results file {path}: {e}") from e
        try:
            return cls.from_dict(d)
        except InvalidResults as e:
            raise InvalidResults(f"{path}: {e}") from e


# --- schema -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def load_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the results file, from reports/schema/verify.schema.json."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(d: dict) -> None:
    """Raise InvalidResults listing every place where `d` breaks the schema; return None if it fits.
    A file of another major version is refused before the schema is consulted."""
    import jsonschema  # imported here: only readers and writers of the file need it

    version = d.get("schema_version") if isinstance(d, dict) else None
    major = SCHEMA_VERSION.split(".")[0]
    if isinstance(version, str) and version.split(".")[0] != major:
        raise InvalidResults(f"results file has schema_version {version}; this workbench reads {major}.x")
    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(d), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [f"  {_json_path(e.absolute_path)}: {e.message}" for e in errors]
        raise InvalidResults(
            f"results do not match verify.schema.json (schema {SCHEMA_VERSION}):\n" + "\n".join(lines)
        )


def _json_path(path) -> str:
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


# --- serialization helpers ----------------------------------------------------------------------


def _dumps(d: dict) -> str:
    return json.dumps(d, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _jsonable(value: Any, where: str) -> Any:
    """A JSON-ready copy of `value`: tuples become lists, enums their values; anything else that
    JSON cannot hold (sets, bytes, objects, NaN, non-string keys) is refused naming `where`."""
    if isinstance(value, Enum):
        return _jsonable(value.value, where)
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)  # a kernel integer type (a subclass of int) is written as a plain int
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidResults(f"{where}: {value} is not a finite number")
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise InvalidResults(f"{where}: key {k!r} is not a string")
            out[k] = _jsonable(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(value)]
    raise InvalidResults(f"{where}: {type(value).__name__} {value!r} cannot be written as JSON")


def _count(n: int) -> str:
    return f"{n} check" if n == 1 else f"{n} checks"


# --- tool versions ------------------------------------------------------------------------------

# tool_versions key -> Python distribution name (importlib.metadata)
_DISTRIBUTIONS = {
    "z3": "z3-solver",
    "hypothesis": "hypothesis",
    "py-evm": "py-evm",
    "pyrevm": "pyrevm",
    "crytic-compile": "crytic-compile",
    "slither": "slither-analyzer",
}
UNAVAILABLE = "unavailable"
TOOL_KEYS = ("python", *_DISTRIBUTIONS, "solc-js", "node")


def collect_tool_versions(repo_root: str | os.PathLike = REPO_ROOT) -> dict[str, str]:
    """Version string of every tool the run depends on, keyed as TOOL_KEYS. A tool that cannot be
    found is "unavailable"; this never raises. `node` is the output of `node --version` without
    its leading "v"; `solc-js` is the version of `<repo_root>/node_modules/solc`."""
    versions = {"python": platform.python_version()}
    for key, dist in _DISTRIBUTIONS.items():
        try:
            versions[key] = metadata.version(dist)
        except Exception:  # PackageNotFoundError, or a broken installation
            versions[key] = UNAVAILABLE
    node = _run(["node", "--version"])
    versions["node"] = node.removeprefix("v") if node else UNAVAILABLE
    package_json = str(Path(repo_root) / "node_modules" / "solc" / "package.json")
    solc = _run(["node", "-e", f"console.log(require({json.dumps(package_json)}).version)"])
    versions["solc-js"] = solc or UNAVAILABLE
    return dict(sorted(versions.items()))


def _run(argv: list[str]) -> str | None:
    """First line of stdout of a successful command, or None on any failure."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    out = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not out:
        return None
    return out[0].strip()
