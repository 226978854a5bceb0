"""The compiler layer: Solidity sources to artifacts, through crytic-compile and the solc-js shim.

`compile_contracts` builds one standard-JSON input (Cancun, optimizer on with 200 runs, remappings for
the npm libraries), runs `bin/solc` (a `solc` command-line shim over solc-js) with cwd = the project
root, and parses the output with crytic-compile's `SolcStandardJson` platform, so that the same
`CryticCompile` object can be handed to slither (`Slither(build.crytic)`).

Sources: by default every *.sol under contracts/, that is every suite's folder (`contracts/<suite>/`,
BPE's is `contracts/bpe/`) in one compilation; the source unit names are the repo-relative paths, so
they name the suite's folder (and solc's metadata hash, which covers them, changes when a file moves).

crytic-compile drops what it does not model (storage layouts, link references), so the platform
subclass `CachedStandardJson` keeps the raw solc output, from which the `Artifact`s are built.

Cache: one entry per (canonical standard-JSON input, compiler version) under `.cache/solc/`. An entry
records the sha256 of every source file solc read; a changed file makes it stale. An entry carries a
checksum of its own content; a corrupt entry is logged and rebuilt, never trusted.

Errors: a compiler error (severity "error"), a shim failure or a contract that needs library linking
raises `specs.errors.CompileError`; warnings are logged.

CLI: `python -m harness.evm.compile [files...]` prints `name runtime_size runtime_sha256` per contract;
on a compile error it prints the errors to stderr and exits with EXIT_TOOL_ERROR (3).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from crytic_compile import CryticCompile
from crytic_compile.compilation_unit import CompilationUnit
from crytic_compile.compiler.compiler import CompilerVersion
from crytic_compile.platform.exceptions import InvalidCompilation
from crytic_compile.platform.solc_standard_json import SolcStandardJson, parse_standard_json_output

from specs.errors import EXIT_OK, EXIT_TOOL_ERROR, ArgumentParser, CompileError

LOG = logging.getLogger("harness.evm.compile")

REPO = Path(__file__).resolve().parents[2]
SOLC_SHIM = REPO / "bin" / "solc"
CACHE_DIR = REPO / ".cache" / "solc"

EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 200
DEFAULT_REMAPPINGS: tuple[str, ...] = (
    "@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/",
    "@openzeppelin-v5/contracts/=node_modules/@openzeppelin/contracts/",
    "@superfluid-finance/ethereum-contracts/=.cache/superfluid/package/",
)
OUTPUT_SELECTION = {
    "*": {
        "*": [
            "abi",
            "evm.bytecode.object",
            "evm.bytecode.sourceMap",
            "evm.bytecode.linkReferences",
            "evm.deployedBytecode.object",
            "evm.deployedBytecode.sourceMap",
            "evm.deployedBytecode.linkReferences",
            "evm.deployedBytecode.immutableReferences",
            "storageLayout",
            "metadata",
            "devdoc",
            "userdoc",
        ],
        "": ["ast"],
    }
}

CACHE_FORMAT = 1
SHIM_TIMEOUT_S = 900


# --------------------------------------------------------------------------------------------------
# Artifacts


@dataclass(frozen=True)
class Artifact:
    """One compiled contract, as solc produced it."""

    name: str  # contract name, e.g. "StakeManager"
    source_path: str  # repo-relative, e.g. "contracts/bpe/StakeManager.sol"
    abi: list
    bytecode: bytes  # creation code
    runtime: bytes  # deployed code
    srcmap: str
    srcmap_runtime: str
    storage_layout: dict  # solc's storageLayout: {"storage": [...], "types": {...}}
    link_references: dict  # solc's evm.bytecode.linkReferences (always empty: linking is refused)
    # The contract's immutables, its bases' included: name -> {"type": the Solidity type ("address",
    # "contract IERC20", "uint64", ...), "refs": [(start, length), ...] where the deployed code holds the
    # value (solc's evm.deployedBytecode.immutableReferences; empty when the runtime code never reads it)}
    immutables: dict = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.source_path}:{self.name}"

    def slot_of(self, variable: str) -> int:
        """Base storage slot of the state variable `variable`. KeyError if the contract has none."""
        storage = self.storage_layout.get("storage", [])
        for entry in storage:
            if entry["label"] == variable:
                return int(entry["slot"])
        known = ", ".join(entry["label"] for entry in storage) or "none"
        raise KeyError(f"{self.qualified_name} has no state variable {variable!r} (its state variables: {known})")

    @property
    def bytecode_sha256(self) -> str:
        return hashlib.sha256(self.bytecode).hexdigest()

    @property
    def runtime_sha256(self) -> str:
        return hashlib.sha256(self.runtime).hexdigest()


@dataclass
class Build:
    """The result of one compilation: artifacts, provenance (compiler, source hashes) and the CryticCompile
    object for slither."""

    artifacts: dict[str, Artifact]  # by contract name ("path:Name" for a name defined in several files)
    compiler_version: str  # e.g. "0.8.28+commit.7893614a.Emscripten.clang"
    source_hashes: dict[str, str]  # repo-relative path -> sha256 hex, every source solc read
    solc_output: dict = field(repr=False)  # raw standard-JSON output
    crytic: CryticCompile = field(repr=False)
    cache_hit: bool = False

    def get(self, name: str) -> Artifact:
        """The artifact for "StakeManager" or "contracts/bpe/StakeManager.sol:StakeManager"."""
        if name in self.artifacts:
            return self.artifacts[name]
        by_qualified = {a.qualified_name: a for a in self.artifacts.values()}
        if name in by_qualified:
            return by_qualified[name]
        ambiguous = sorted(q for q, a in by_qualified.items() if a.name == name)
        if ambiguous:
            raise KeyError(f"contract name {name!r} is defined in several sources; use one of: {', '.join(ambiguous)}")
        raise KeyError(f"no contract {name!r} in this build; known: {', '.join(sorted(self.artifacts))}")


# --------------------------------------------------------------------------------------------------
# The shim


@functools.lru_cache(maxsize=None)
def _shim_version(shim: str, _stamp: tuple) -> str:
    try:
        proc = subprocess.run([shim, "--version"], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CompileError(f"cannot run the solc shim {shim}: {exc}") from exc
    _no_interpreter(shim, proc.returncode, proc.stderr)
    match = re.search(r"^Version: (\S+)$", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or match is None:
        raise CompileError(
            f"the solc shim {shim} --version failed (exit {proc.returncode}); "
            f"stdout: {' '.join(proc.stdout.split())}; stderr: {' '.join(proc.stderr.split())}"
        )
    return match.group(1)


def _no_interpreter(shim: str | Path, returncode: int, stderr: str) -> None:
    """CompileError saying so when the shim could not start because its interpreter (node, named in
    its `#!/usr/bin/env node` line) is not on PATH: env exits 127 then."""
    if returncode == 127 and shutil.which("node") is None:
        raise CompileError(f"node is not on PATH: the solc shim {shim} runs solc-js on Node.js "
                           "(install Node.js and npm, then `make setup`)")


def compiler_version(shim: Path | None = None) -> str:
    """Full version of the compiler behind the shim, e.g. "0.8.28+commit.7893614a.Emscripten.clang".
    Asked once per process, again if the shim or solc-js changes on disk."""
    shim = Path(shim or SOLC_SHIM)
    stamp = []
    for path in (shim, shim.resolve().parent.parent / "node_modules" / "solc" / "soljson.js"):
        try:
            st = path.stat()
            stamp.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            stamp.append(None)
    return _shim_version(str(shim), tuple(stamp))


def run_shim(shim: Path, standard_json: dict, root: Path, allow_paths: list[Path]) -> dict:
    """Run `shim --standard-json` in `root` and return its parsed output, compiler errors included.
    CompileError if the shim itself fails (cannot start, exits non-zero, prints no JSON)."""
    cmd = [str(shim), "--standard-json", "--allow-paths", ",".join(str(p) for p in allow_paths)]
    LOG.info("running %s (cwd %s)", " ".join(cmd), root)
    try:
        proc = subprocess.run(
            cmd,
            input=json.dumps(standard_json).encode(),
            capture_output=True,
            cwd=root,
            timeout=SHIM_TIMEOUT_S,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CompileError(f"cannot run the solc shim {shim}: {exc}") from exc
    stderr = proc.stderr.decode(errors="backslashreplace").strip()
    _no_interpreter(shim, proc.returncode, stderr)
    if proc.returncode != 0:
        raise CompileError(f"the solc shim {shim} failed (exit {proc.returncode}): {stderr}")
    try:
        output = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise CompileError(f"the solc shim {shim} printed no valid JSON ({exc}); stderr: {stderr}") from exc
    if not isinstance(output, dict):
        raise CompileError(f"the solc shim {shim} printed JSON that is not an object; stderr: {stderr}")
    return output


# --------------------------------------------------------------------------------------------------
# Diagnostics


def _line_column(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset."""
    offset = max(0, min(offset, len(data)))
    line_start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, offset - line_start + 1


def _diagnostic(error: dict, root: Path) -> dict:
    """A solc error object as {"file", "line", "column", "severity", "type", "message"}."""
    location = error.get("sourceLocation") or {}
    file = location.get("file", "")
    line = column = 0
    start = location.get("start", -1)
    if file and start is not None and start >= 0:
        try:
            line, column = _line_column(_source_file(file, root).read_bytes(), start)
        except OSError:
            pass
    return {
        "file": _display_path(file, root) if file else "",
        "line": line,
        "column": column,
        "severity": error.get("severity", "error"),
        "type": error.get("type", "Error"),
        "message": error.get("message", error.get("formattedMessage", "")).strip(),
    }


def format_diagnostic(diag: dict) -> str:
    """`path:line:column: Type: message` (`path: ...` without a position, `Type: message` without a file)."""
    if diag["file"] and diag["line"]:
        where = f"{diag['file']}:{diag['line']}:{diag['column']}: "
    elif diag["file"]:
        where = f"{diag['file']}: "
    else:
        where = ""
    return f"{where}{diag['type']}: {diag['message']}"


def _check_diagnostics(output: dict, root: Path) -> None:
    """Log warnings and infos; raise CompileError listing every error."""
    errors = []
    for raw in output.get("errors", []):
        diag = _diagnostic(raw, root)
        if diag["severity"] == "error":
            errors.append(diag)
        elif diag["severity"] == "warning":
            LOG.warning("solc: %s", format_diagnostic(diag))
        else:
            LOG.info("solc: %s", format_diagnostic(diag))
    if errors:
        lines = "\n".join(format_diagnostic(d) for d in errors)
        raise CompileError(f"solc reported {len(errors)} error(s):\n{lines}", errors)


# --------------------------------------------------------------------------------------------------
# Paths


def _source_file(name: str, root: Path) -> Path:
    """The file behind a solc source unit name (relative names are under the base path, root)."""
    path = Path(name)
    return path if path.is_absolute() else root / path


def _display_path(name: str, root: Path) -> str:
    """A source unit name as a root-relative path when it lies under root, else as it is."""
    path = Path(name)
    if path.is_absolute():
        try:
            return Path(os.path.normpath(path)).relative_to(root).as_posix()
        except ValueError:
            return path.as_posix()
    return path.as_posix()


@contextlib.contextmanager
def _cwd(directory: Path) -> Iterator[None]:
    """Run the block in `directory` (a no-op when already there; the cwd is process-wide)."""
    if Path.cwd() == directory:
        yield
        return
    with contextlib.chdir(directory):
        yield


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------------
# Cache


def cache_key(standard_json: dict, version: str) -> str:
    """sha256 of the canonical standard-JSON input and the compiler version."""
    canonical = json.dumps(standard_json, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode() + b"\0" + version.encode()).hexdigest()


class SolcCache:
    """Entries `<key>.json` in `directory`: a header line {"format", "size", "sha256"} over the payload
    bytes that follow it; the payload holds the key, compiler version, input, source hashes and output."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str, root: Path) -> dict | None:
        """The payload of a valid, fresh entry, or None (absent, corrupt: logged as a warning, or stale)."""
        path = self.path(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            LOG.warning("solc cache entry %s unreadable (%s); rebuilding", path, exc)
            return None
        payload = self._verified_payload(data)
        if payload is None or payload.get("key") != key:
            LOG.warning("solc cache entry %s is corrupt; rebuilding", path)
            return None
        for name, recorded in payload["source_hashes"].items():
            try:
                current = _sha256_file(_source_file(name, root))
            except OSError:
                current = None
            if current != recorded:
                LOG.info("solc cache entry %s is stale (%s changed); rebuilding", path.name, name)
                return None
        return payload

    @staticmethod
    def _verified_payload(data: bytes) -> dict | None:
        header_line, sep, body = data.partition(b"\n")
        if not sep:
            return None
        try:
            header = json.loads(header_line)
            if (
                not isinstance(header, dict)
                or header.get("format") != CACHE_FORMAT
                or header.get("size") != len(body)
                or header.get("sha256") != hashlib.sha256(body).hexdigest()
            ):
                return None
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("output"), dict):
            return None
        if not isinstance(payload.get("source_hashes"), dict):
            return None
        return payload

    def store(self, key: str, payload: dict) -> None:
        """Write an entry atomically (temp file in the same directory, then rename)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        header = json.dumps(
            {"format": CACHE_FORMAT, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        ).encode()
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".{key[:16]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(header + b"\n" + body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path(key))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


# --------------------------------------------------------------------------------------------------
# The crytic-compile platform


class CachedStandardJson(SolcStandardJson):
    """SolcStandardJson that takes solc's raw output from the cache or from the shim, keeps it
    (`raw_output`, `source_hashes`, `cache_hit`) and then lets crytic-compile parse it."""

    def __init__(
        self,
        standard_json: dict,
        *,
        root: Path,
        version: str,
        allow_paths: list[Path],
        cache_dir: Path,
    ):
        super().__init__(standard_json)
        self._target = str(root)  # crytic-compile's notion of the project; the default is str(dict)
        self.root = root
        self.version = version
        self.allow_paths = allow_paths
        self.cache = SolcCache(cache_dir)
        self.key = cache_key(self.to_dict(), version)
        self.raw_output: dict = {}
        self.source_hashes: dict[str, str] = {}  # solc source unit name -> sha256
        self.cache_hit = False

    def compile(self, crytic_compile: CryticCompile, **kwargs: Any) -> None:
        payload = self.cache.load(self.key, self.root)
        self.cache_hit = payload is not None
        if payload is not None:
            output = payload["output"]
            self.source_hashes = payload["source_hashes"]
            _check_diagnostics(output, self.root)  # logs the cached warnings again
        else:
            # The shim is run directly rather than through crytic-compile's run_solc_standard_json: that
            # one turns compiler errors into a flat string (we need them structured), ignores the exit
            # code and stderr, and allows only the working directory (remapping targets may lie outside).
            output = run_shim(Path(kwargs.get("solc") or SOLC_SHIM), self.to_dict(), self.root, self.allow_paths)
            _check_diagnostics(output, self.root)
            self.source_hashes = self._hash_sources(output)
            self._store(output)
        self.raw_output = output

        unit = CompilationUnit(crytic_compile, "standard_json")
        settings = self.to_dict()["settings"]
        unit.compiler_version = CompilerVersion(
            compiler="solc",
            version=self.version.split("+")[0],
            optimized=settings["optimizer"]["enabled"],
            optimize_runs=settings["optimizer"].get("runs"),
            via_ir=settings.get("viaIR", False),
        )
        # crytic-compile looks a relative source name up in the process's cwd before the working dir, and
        # slither finds files by that name: parse in root so that every name means root/name.
        with _cwd(self.root):
            parse_standard_json_output(output, unit, solc_working_dir=str(self.root))

    def _hash_sources(self, output: dict) -> dict[str, str]:
        hashes = {}
        for name in output.get("sources", {}):
            try:
                hashes[name] = _sha256_file(_source_file(name, self.root))
            except OSError as exc:
                raise CompileError(f"source {name} vanished during compilation: {exc}") from exc
        return hashes

    def _store(self, output: dict) -> None:
        payload = {
            "key": self.key,
            "compiler_version": self.version,
            "input": self.to_dict(),
            "source_hashes": self.source_hashes,
            "output": output,
        }
        try:
            self.cache.store(self.key, payload)
        except OSError as exc:
            LOG.warning("cannot write a solc cache entry in %s (%s)", self.cache.directory, exc)


# --------------------------------------------------------------------------------------------------
# Entry point


def standard_json_input(sources: list[str], remappings: list[str]) -> dict:
    """The standard-JSON input for `sources` (solc source unit names, read through `urls`)."""
    return {
        "language": "Solidity",
        "sources": {name: {"urls": [name]} for name in sources},
        "settings": {
            "remappings": list(remappings),
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "evmVersion": EVM_VERSION,
            "outputSelection": OUTPUT_SELECTION,
        },
    }


def _source_names(sources: list[str | Path] | None, root: Path) -> list[str]:
    if sources is None:
        files = sorted((root / "contracts").rglob("*.sol")) if (root / "contracts").is_dir() else []
        if not files:
            raise CompileError(f"no Solidity sources under {root / 'contracts'}")
    else:
        files = [Path(s) if Path(s).is_absolute() else root / s for s in sources]
        if not files:
            raise CompileError("no Solidity sources given")
    names = []
    for file in files:
        if not file.is_file():
            shown = _display_path(str(file), root)
            diag = {"file": shown, "line": 0, "column": 0, "severity": "error", "type": "FileNotFound",
                    "message": "source file not found"}
            raise CompileError(f"{shown}: FileNotFound: source file not found", [diag])
        names.append(_display_path(os.path.normpath(file), root))
    return names


def _allow_paths(root: Path, names: list[str], remappings: list[str]) -> list[Path]:
    """Directories the shim may read: root, the directories of sources outside it and the real paths of
    the remapping targets (which may be symlinks leaving root, as a node_modules link does)."""
    allowed = [root]
    for name in names:
        if Path(name).is_absolute():
            allowed.append(Path(name).parent)
    for remapping in remappings:
        target = remapping.partition("=")[2]
        if target:
            allowed.append(Path(os.path.realpath(_source_file(target, root))))
    unique: list[Path] = []
    for path in allowed:
        if path not in unique:
            unique.append(path)
    return unique


def _immutable_declarations(output: dict) -> tuple[dict[tuple[str, str], list[int]], dict[int, tuple[str, str]]]:
    """From the ASTs: (source unit, contract name) -> the ids of its linearized bases (itself first), and
    the id of every immutable state variable -> (its name, its Solidity type)."""
    bases: dict[tuple[str, str], list[int]] = {}
    by_contract: dict[int, list[int]] = {}
    variables: dict[int, tuple[str, str]] = {}
    for source_name, source in output.get("sources", {}).items():
        for node in (source.get("ast") or {}).get("nodes", []):
            if node.get("nodeType") != "ContractDefinition":
                continue
            bases[(source_name, node["name"])] = list(node.get("linearizedBaseContracts", [node["id"]]))
            own = by_contract.setdefault(node["id"], [])
            for member in node.get("nodes", []):
                if member.get("nodeType") == "VariableDeclaration" and member.get("mutability") == "immutable":
                    own.append(member["id"])
                    variables[member["id"]] = (member["name"], member["typeDescriptions"]["typeString"])
    return {k: [v for b in ids for v in by_contract.get(b, [])] for k, ids in bases.items()}, variables


def _immutables(source_name: str, name: str, deployed: dict, declared: dict, variables: dict) -> dict:
    refs = deployed.get("immutableReferences", {}) or {}
    out = {}
    for vid in declared.get((source_name, name), []):
        vname, vtype = variables[vid]
        out[vname] = {"type": vtype,
                      "refs": [(int(r["start"]), int(r["length"])) for r in refs.get(str(vid), [])]}
    return out


def _artifacts(output: dict, root: Path) -> dict[str, Artifact]:
    found: list[Artifact] = []
    declared, variables = _immutable_declarations(output)
    for source_name, contracts in sorted(output.get("contracts", {}).items()):
        for name, info in sorted(contracts.items()):
            evm = info.get("evm", {})
            bytecode, deployed = evm.get("bytecode", {}), evm.get("deployedBytecode", {})
            path = _display_path(source_name, root)
            links = {
                f"{_display_path(file, root)}:{lib}"
                for refs in (bytecode.get("linkReferences", {}), deployed.get("linkReferences", {}))
                for file, libs in refs.items()
                for lib in libs
            }
            if links:
                libs = ", ".join(sorted(links))
                message = f"{name} needs library linking ({libs}), which the workbench does not support"
                diag = {"file": path, "line": 0, "column": 0, "severity": "error", "type": "LinkError",
                        "message": message}
                raise CompileError(f"{path}: LinkError: {message}", [diag])
            found.append(
                Artifact(
                    name=name,
                    source_path=path,
                    abi=info.get("abi", []),
                    bytecode=bytes.fromhex(bytecode.get("object", "")),
                    runtime=bytes.fromhex(deployed.get("object", "")),
                    srcmap=bytecode.get("sourceMap", ""),
                    srcmap_runtime=deployed.get("sourceMap", ""),
                    storage_layout=info.get("storageLayout", {"storage": [], "types": None}),
                    link_references=bytecode.get("linkReferences", {}),
                    immutables=_immutables(source_name, name, deployed, declared, variables),
                )
            )
    counts: dict[str, int] = {}
    for artifact in found:
        counts[artifact.name] = counts.get(artifact.name, 0) + 1
    artifacts = {}
    for artifact in found:
        if counts[artifact.name] == 1:
            artifacts[artifact.name] = artifact
        else:
            artifacts[artifact.qualified_name] = artifact
    return artifacts


def compile_contracts(
    sources: list[str | Path] | None = None,
    *,
    root: Path = REPO,
    remappings: list[str] | None = None,
    cache_dir: Path | None = None,
) -> Build:
    """Compile `sources` (default: every *.sol under root/contracts/, every suite's) with solc run in `root`.

    Relative source paths and remapping targets are relative to root. Raises CompileError on a compiler
    error, a failure of the shim, or a contract that needs library linking.
    """
    root = Path(os.path.abspath(root))
    remappings = list(DEFAULT_REMAPPINGS if remappings is None else remappings)
    names = _source_names(sources, root)
    shim = SOLC_SHIM
    version = compiler_version(shim)
    platform = CachedStandardJson(
        standard_json_input(names, remappings),
        root=root,
        version=version,
        allow_paths=_allow_paths(root, names, remappings),
        cache_dir=Path(cache_dir) if cache_dir is not None else CACHE_DIR,
    )
    try:
        crytic = CryticCompile(platform, solc=str(shim), cwd=str(root), solc_working_dir=str(root))
    except InvalidCompilation as exc:
        raise CompileError(f"crytic-compile could not parse the solc output: {exc}") from exc
    output = platform.raw_output
    return Build(
        artifacts=_artifacts(output, root),
        compiler_version=version,
        source_hashes={_display_path(n, root): h for n, h in sorted(platform.source_hashes.items())},
        solc_output=output,
        crytic=crytic,
        cache_hit=platform.cache_hit,
    )


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(
        prog="python -m harness.evm.compile",
        description="Compile Solidity sources; print name, runtime size and runtime sha256 per contract.",
    )
    parser.add_argument("files", nargs="*", help="Solidity files (default: every *.sol under ROOT/contracts/)")
    parser.add_argument("--root", type=Path, default=REPO, help="project root, solc's base path (default: the repo)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="cache directory (default: .cache/solc)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    files = [Path(os.path.abspath(f)) for f in args.files] or None
    try:
        build = compile_contracts(files, root=args.root, cache_dir=args.cache_dir)
    except CompileError as exc:
        if exc.errors:
            for diag in exc.errors:
                print(format_diagnostic(diag), file=sys.stderr)
        else:
            print(f"error: {exc}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    for artifact in sorted(build.artifacts.values(), key=lambda a: (a.source_path, a.name)):
        print(f"{artifact.name}\t{len(artifact.runtime)}\t{artifact.runtime_sha256}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
