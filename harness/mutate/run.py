"""Run mutants: write each one out, compile it, deploy the suite with it, fuzz it differentially.

One mutant, in a worker process (`run_one`):
 1. write: the mutated file under `.cache/mutants/<digest>/` (its path below contracts/ kept), with every
    relative import rewritten to point back into contracts/; a mutated library (BPEMath) is written with
    copies of the deployed contracts that import it, which import the mutated copy;
 2. compile (solc-js through `compile_contracts`, its own cache `.cache/mutants/solc/`): a compiler error
    makes the mutant STILLBORN, with solc's message as the reason;
 3. trivial compiler equivalence: creation and runtime bytecode equal to the original's once the CBOR
    metadata (which hashes the source text) is cut off -> EQUIVALENT, reason "same bytecode";
 4. for a library the suite declares a library differential for (`Suite.library_checks`; BPE's
    BPEMath, harness/mutate/bpe/library.py: sqrt through a wrapper contract against the model on
    fixed edge inputs): that differential (check "library");
 5. the constructor differential (harness/mutate/ctor.py): each constructor argument zeroed in turn,
    model and EVM must revert alike (check "constructor");
 6. deploy the mutant's suite with the mutant in place on pyrevm, onto its environment (BPE's: the
    real Superfluid framework); a failed deployment (constructor reverts, addresses out of step) KILLS
    it (check "deploy");
 7. the differential fuzzer (the suite's `fuzz_machine`; BPE's `SystemMachine`) with the fixed, derandomized profile
    `mutate` (hypothesis profile `ci` minus the database and the shrink phase: the same sequences for
    every mutant, stopping at the first mismatch): a mismatch KILLS it; the check that saw it is read off
    the mismatch (outcome, events, storage, views, Superfluid state, an invariant on the EVM state,
    malformed calldata); a full budget without a mismatch: SURVIVED.

Proofs: the prover (invariants/prover.py) proves the invariants over the reference models, not over the
bytecode, so a Solidity mutant cannot change a proof's outcome; the invariants reach the mutant's
bytecode only by being evaluated on the EVM state after every fuzz step, which is part of step 7 (the
kill is then attributed to "invariant"). See harness/mutate/README.md.

A listed equivalent (harness/mutate/equivalent.json) runs like any other; a survivor on the list is
EQUIVALENT with the listed reason, a listed mutant that is killed is reported as a contradicted claim.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import multiprocessing as mp
import os
import re
import signal
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from harness.fuzz.difference import Difference
from harness.mutate.operators import MUTATED_SOURCES, Mutant
from specs.errors import WorkbenchError

REPO = Path(__file__).resolve().parents[2]
MUTANT_DIR = REPO / ".cache" / "mutants"
SOLC_CACHE = MUTANT_DIR / "solc"
EQUIVALENT_FILE = Path(__file__).resolve().parent / "equivalent.json"

# The fixed fuzz budget per mutant: sequences of the system machine, steps per sequence.
BUDGET = {"max_examples": 40, "step_count": 30}


def mutating_suite(contract: str) -> Any:
    """The registered suite whose `mutation_sources` name `contract` (specs/suite.py)."""
    from specs.suite import suites

    owners = [s for s in suites() if contract in s.mutation_sources]
    if len(owners) != 1:
        raise WorkbenchError(f"mutated contract {contract!r}: {len(owners)} registered suites mutate it")
    return owners[0]


def machine_of(contract: str) -> str:
    """The fuzz machine that judges a mutant of `contract`: its suite's `fuzz_machine`."""
    return mutating_suite(contract).fuzz_machine

TIMEOUT_S = 600  # wall clock per mutant; beyond it the mutant is TIMEOUT (counted as not killed)

KILLED, SURVIVED, STILLBORN, EQUIVALENT, ERROR, TIMEOUT = "KILLED", "SURVIVED", "STILLBORN", "EQUIVALENT", "ERROR", \
    "TIMEOUT"


@dataclass
class MutantResult:
    id: str
    contract: str
    op: str
    status: str  # KILLED | SURVIVED | STILLBORN | EQUIVALENT | ERROR | TIMEOUT
    seconds: float
    line: int = 0
    function: str = ""
    original: str = ""
    replacement: str = ""
    diff: str = ""
    killed_by: str = ""  # the check that saw it first ("deploy", "outcome", "invariant", ...)
    detected_by: list[str] = field(default_factory=list)  # every check that saw the first mismatch
    reason: str = ""  # stillborn: solc's error; equivalent: why; error: the exception; killed: the mismatch
    equivalence: str = ""  # "" | "tce" | "listed"
    listed_equivalent_but_killed: bool = False
    compile_seconds: float = 0.0
    fuzz_seconds: float = 0.0
    sequences: int = 0
    steps: int = 0
    budget: dict = field(default_factory=dict)
    escalated: bool = False  # survived the base budget and was run again with the escalation budget
    machine: str = ""  # the fuzz machine, module:Class
    machine_digest: str = ""  # machine_digest() of the sources this worker loaded the machine from

    def to_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# Writing a mutant out


_IMPORT = re.compile(rb'(import\s+(?:\{[^}]*\}\s+from\s+|\*\s+as\s+\w+\s+from\s+)?")(\.{1,2}/[^"]+)(")')


def _imports(path: Path) -> list[Path]:
    return [(path.parent / m.group(2).decode()).resolve() for m in _IMPORT.finditer(path.read_bytes())]


def _importers(target: str, root: Path) -> list[str]:
    """The sources under contracts/ that import `target` (repo-relative), directly or through others."""
    target_abs = (root / target).resolve()
    files = sorted((root / "contracts").rglob("*.sol"))
    graph = {f.resolve(): set(_imports(f)) for f in files}
    affected: set[Path] = set()
    changed = True
    while changed:
        changed = False
        for f, deps in graph.items():
            if f not in affected and (target_abs in deps or deps & affected):
                affected.add(f)
                changed = True
    return sorted(str(f.relative_to(root.resolve())) for f in affected)


def _rewrite_imports(text: bytes, original: Path, new: Path, local: dict[Path, Path]) -> bytes:
    """Relative imports of a file moved from `original` to `new`: to the local copy when there is one,
    else back to the original file."""

    def sub(m: re.Match) -> bytes:
        target = (original.parent / m.group(2).decode()).resolve()
        dest = local.get(target, target)
        rel = os.path.relpath(dest, new.parent.resolve())
        if not rel.startswith("."):
            rel = "./" + rel
        return m.group(1) + rel.encode() + m.group(3)

    return _IMPORT.sub(sub, text)


def deployed_name(path: str) -> str | None:
    """The deployed contract a Solidity file defines (its stem), if a registered suite deploys it."""
    from specs.suite import suites

    stem = Path(path).stem
    return stem if any(stem in s.contract_names() for s in suites()) else None


def library_check(contract: str) -> Any:
    """The library differential a registered suite declares for `contract`, or None."""
    from specs.suite import suites

    refs = [s.resolve(s.library_checks[contract]) for s in suites() if contract in s.library_checks]
    return refs[0] if refs else None


def materialize(mutant: Mutant, root: Path = REPO, out_dir: Path = MUTANT_DIR) -> tuple[Path, dict[str, Path]]:
    """Write the mutant (and copies of the deployed contracts that import it) under
    out_dir/<digest>/; return that directory and the overrides {deployed contract name: file}."""
    source = (root / mutant.path).read_bytes()
    digest = mutant.digest(source)
    base = out_dir / digest
    rel_in_contracts = Path(mutant.path).relative_to("contracts")
    files = {(root / mutant.path).resolve(): base / rel_in_contracts}
    for imp in _importers(mutant.path, root):
        files[(root / imp).resolve()] = base / Path(imp).relative_to("contracts")
    local = {orig: Path(os.path.abspath(new)) for orig, new in files.items()}
    overrides: dict[str, Path] = {}
    for orig, new in files.items():
        text = mutant.apply(source) if orig == (root / mutant.path).resolve() else orig.read_bytes()
        new.parent.mkdir(parents=True, exist_ok=True)
        data = _rewrite_imports(text, orig, Path(os.path.abspath(new)), local)
        if not new.exists() or new.read_bytes() != data:
            new.write_bytes(data)
        name = deployed_name(str(orig))
        if name:
            overrides[name] = new
    return base, overrides


# --------------------------------------------------------------------------------------------------
# Equivalence


def strip_metadata(code: bytes) -> bytes:
    """The bytecode without solc's CBOR metadata (it hashes the source text, so every mutant's differs)."""
    if len(code) < 2:
        return code
    n = int.from_bytes(code[-2:], "big")
    if n + 2 > len(code) or code[-(n + 2)] not in (0xA1, 0xA2, 0xA3):
        return code
    blob = code[-(n + 2):]
    return code.replace(blob, b"")


def same_bytecode(a: Any, b: Any) -> bool:
    ra, rb = strip_metadata(a.runtime), strip_metadata(b.runtime)
    if ra != rb:
        return False
    ca = a.bytecode.replace(a.runtime[len(ra):], b"") if len(a.runtime) > len(ra) else a.bytecode
    cb = b.bytecode.replace(b.runtime[len(rb):], b"") if len(b.runtime) > len(rb) else b.bytecode
    return strip_metadata(ca) == strip_metadata(cb)


def load_equivalents(path: Path = EQUIVALENT_FILE) -> dict[str, dict]:
    """The committed equivalent-mutant list: {id: {"original", "replacement", "reason"}}."""
    if not path.exists():
        return {}
    doc = json.loads(path.read_text())
    return {e["id"]: e for e in doc.get("mutants", [])}


# --------------------------------------------------------------------------------------------------
# Kill attribution


# The check credited with a difference record, by its kind (harness/fuzz/difference.py). Invariant
# records are credited by the side they fail on: on the EVM state the specification saw the mutant
# ("invariant"); on the model state only the reference model broke it ("invariant(model)").
CHECK_OF_KIND = {"outcome": "outcome", "return": "outcome", "events": "events", "calldata": "malformed-calldata",
                 "setup": "setup", "external": "superfluid", "view": "views", "storage": "storage"}


def classify(differences: list[Difference]) -> list[str]:
    """The checks behind a mismatch's difference records, in the order the differential runs them
    (notes, context for the records before them, credit no check)."""
    found: list[str] = []
    for d in differences:
        if d.kind == "note":
            continue
        if d.kind in ("invariant", "step-invariant"):
            c = "invariant" if d.evm is not None else "invariant(model)"
        else:
            c = CHECK_OF_KIND.get(d.kind, "other")
        if c not in found:
            found.append(c)
    return found


def primary(detected: list[str]) -> str:
    """The check credited with a kill: an invariant that fails on the EVM state (the specification saw
    it), else the first check of the differential that saw it."""
    return "invariant" if "invariant" in detected else (detected[0] if detected else "fuzz")


# --------------------------------------------------------------------------------------------------
# One mutant (in a worker)


_WORKER: dict[str, Any] = {}


def _register_profile(budget: dict) -> str:
    from hypothesis import Phase, settings

    from harness.fuzz import profiles

    name = "mutate"
    profiles.PROFILES[name] = settings(
        max_examples=budget["max_examples"], stateful_step_count=budget["step_count"], derandomize=True,
        database=None, print_blob=False, phases=[Phase.explicit, Phase.generate], **profiles.COMMON)
    return name


def init_worker(budget: dict | None = None) -> None:
    """Per process: the original build (cached compile) and the fuzz profile."""
    import logging

    logging.getLogger("harness.evm.compile").setLevel(logging.ERROR)
    from harness.evm.compile import compile_contracts
    from harness.evm.fixture import suite_artifacts
    from specs.suite import suites

    build = compile_contracts()
    _WORKER["build"] = build
    # the original artifact of every contract a registered suite deploys
    _WORKER["original"] = {name: art for suite in suites()
                           for name, art in suite_artifacts(build, deployments=suite.resolve(suite.deployments)).items()}
    _WORKER["budget"] = dict(budget or BUDGET)
    _WORKER["profile"] = _register_profile(_WORKER["budget"])


class _Timeout(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise _Timeout()


def _thread_alarm(seconds: int) -> threading.Timer:
    """Raise _Timeout in the calling thread after `seconds`, as SIGALRM does in a main thread. The
    exception is delivered when the thread next runs Python code (a long call into the engine ends
    first)."""
    tid = threading.get_ident()

    def fire() -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(_Timeout))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def run_one(payload: dict) -> dict:
    """Run one mutant (a Mutant as a dict, plus "listed": the equivalence entry or None) -> a result dict."""
    if "build" not in _WORKER:
        init_worker(payload.get("budget"))
    m = Mutant.from_dict(payload["mutant"])
    listed = payload.get("listed")
    t0 = time.perf_counter()
    res = _unjudged(m, _WORKER["budget"])
    in_main_thread = threading.current_thread() is threading.main_thread()
    use_alarm = in_main_thread and (hasattr(signal, "SIGALRM") and mp.current_process().name != "MainProcess"
                                    or payload.get("alarm"))
    # a cluster worker runs its tasks in threads, which no signal reaches: a timer raises there instead
    timer = None if in_main_thread else _thread_alarm(int(payload.get("timeout", TIMEOUT_S)))
    if use_alarm:
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(int(payload.get("timeout", TIMEOUT_S)))
    try:
        machine = payload.get("machine") or machine_of(m.contract)
        res.machine, res.machine_digest = machine, _machine_digest_in_worker(machine)
        _run(m, res, machine)
        escalate = payload.get("escalate")
        if res.status == SURVIVED and escalate and listed is None:
            # second tier: the same mutant, a larger fixed budget (the first tier's sequences are its prefix
            # only in distribution: hypothesis derandomizes per settings); a kill here is credited as such
            base_budget, base_profile = _WORKER["budget"], _WORKER["profile"]
            _WORKER["budget"] = {**base_budget, "max_examples": int(escalate)}
            _WORKER["profile"] = _register_profile(_WORKER["budget"])
            try:
                first = (res.sequences, res.steps, res.fuzz_seconds)
                _run(m, res, machine)
                res.escalated = True
                res.budget = dict(_WORKER["budget"])
                res.sequences += first[0]
                res.steps += first[1]
                res.fuzz_seconds += first[2]
            finally:
                _WORKER["budget"], _WORKER["profile"] = base_budget, _register_profile(base_budget)
    except _Timeout:
        res.status, res.reason = TIMEOUT, f"no verdict within {payload.get('timeout', TIMEOUT_S)} s"
    except Exception as e:  # a workbench failure: the mutant's verdict is unknown, never "survived"
        res.status = ERROR
        res.reason = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=4)}"
    finally:
        if use_alarm:
            signal.alarm(0)
        if timer is not None:
            timer.cancel()
    if listed is not None:
        if res.status == SURVIVED:
            res.status, res.equivalence, res.reason = EQUIVALENT, "listed", listed["reason"]
        elif res.status == KILLED:
            res.listed_equivalent_but_killed = True
    res.seconds = time.perf_counter() - t0
    return res.to_dict()


def _machine_digest_in_worker(machine: str) -> str:
    """The digest of the machine's sources as this worker process loaded them: computed once per process
    and machine, right after importing the machine (a worker started later reads the files again)."""
    digests = _WORKER.setdefault("machine_digests", {})
    if machine not in digests:
        _machine(machine)
        digests[machine] = machine_digest(machine)
    return digests[machine]


def _machine(spec: str) -> Any:
    """"module:Class" -> the fuzz machine class (default: the suite's `fuzz_machine`)."""
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _run(m: Mutant, res: MutantResult, machine: str) -> None:
    from specs.errors import CompileError
    from harness.evm.compile import compile_contracts
    from harness.evm.fixture import deploy_suite
    from harness.fuzz.runner import run_fuzz
    base, overrides = materialize(m)
    t = time.perf_counter()
    artifacts = dict(_WORKER["original"])
    try:
        for name, path in overrides.items():
            artifacts[name] = compile_contracts([path], cache_dir=SOLC_CACHE).get(name)
    except CompileError as e:
        res.compile_seconds = time.perf_counter() - t
        errs = [f"{d.get('type')}: {d.get('message')}" for d in (e.errors or [])]
        res.reason = "; ".join(errs)[:500] or str(e)[:500]
        # Stillborn only when solc blames the mutated source itself; anything else (a library file not
        # found while node_modules is being reinstalled, a shim failure) is a tool error, not a verdict.
        mutated = {os.path.relpath(p, REPO) for p in overrides.values()} | {os.path.relpath(base / Path(m.path).relative_to("contracts"), REPO)}
        blamed = {d.get("file", "") for d in (e.errors or [])}
        res.status = STILLBORN if blamed and blamed <= mutated else ERROR
        return
    res.compile_seconds = time.perf_counter() - t
    if all(same_bytecode(artifacts[n], _WORKER["original"][n]) for n in overrides):
        res.status, res.equivalence = EQUIVALENT, "tce"
        res.reason = "compiles to the original's bytecode (metadata aside): trivially equivalent"
        return
    t = time.perf_counter()
    check = library_check(m.contract)
    if check is not None:
        try:
            lib = check(base / Path(m.path).relative_to("contracts"), base)
        except CompileError as e:
            res.status, res.reason = ERROR, f"the library differential of {m.contract} does not compile: {e}"[:500]
            return
        if lib:
            res.fuzz_seconds = time.perf_counter() - t
            res.status, res.killed_by, res.detected_by = KILLED, "library", ["library"]
            res.reason = "\n".join(lib)[:800]
            return
    from harness.mutate.ctor import constructor_differences

    ctor = constructor_differences(artifacts, list(overrides))
    if ctor:
        res.fuzz_seconds = time.perf_counter() - t
        res.status, res.killed_by, res.detected_by = KILLED, "constructor", ["constructor"]
        res.reason = "\n".join(ctor)[:800]
        return
    suite = mutating_suite(m.contract)
    deployments = suite.resolve(suite.deployments)
    try:
        fixture = deploy_suite("pyrevm", {d.name: artifacts[d.name] for d in deployments}, deployments,
                               environment_addresses=suite.constants)
    except Exception as e:  # the constructor reverted or the deployment is out of step
        res.fuzz_seconds = time.perf_counter() - t
        res.status, res.killed_by, res.detected_by = KILLED, "deploy", ["deploy"]
        res.reason = f"the suite does not deploy: {type(e).__name__}: {e}"[:800]
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mutant-replays-") as replays:
        r = run_fuzz(fixture, profile_name=_WORKER["profile"], machine=_machine(machine), replay_dir=Path(replays),
                     shrink_seconds=0,
                     source_overrides={k: os.path.relpath(v, REPO) for k, v in overrides.items()})
    res.fuzz_seconds = time.perf_counter() - t
    res.sequences, res.steps = r.sequences, r.steps
    if r.status == "VIOLATED":
        res.detected_by = classify(r.differences)
        res.killed_by = primary(res.detected_by)
        res.status, res.reason = KILLED, r.mismatch[:1500]
    elif r.status == "PASSED":
        res.status = SURVIVED
    else:
        res.status, res.reason = ERROR, r.message or r.mismatch


# --------------------------------------------------------------------------------------------------
# Many mutants


def run_mutants(mutants: Iterable[Mutant], jobs: int = 2, budget: dict | None = None,
                on_result: Callable[[dict], None] | None = None, timeout_s: int = TIMEOUT_S,
                machine: str | None = None, escalate: int | None = None, scheduler: str | None = None) -> list[dict]:
    """Run `mutants` on `jobs` worker processes (spawned; 1 = in this process), or with `scheduler` (a Dask
    scheduler's address) one task per mutant on that cluster (harness/cluster.py). Results in input
    order. `machine` ("module:Class"): the fuzz machine for every mutant; default, each mutant's suite's."""
    mutants = list(mutants)
    equivalents = load_equivalents()
    budget = dict(budget or BUDGET)
    payloads = []
    for m in mutants:
        listed = equivalents.get(m.id)
        if listed is not None and (listed.get("original"), listed.get("replacement")) != (m.original, m.replacement):
            listed = None  # a stale entry (the source moved): not applied; report.py lists it
        payloads.append({"mutant": m.to_dict(), "listed": listed, "budget": budget, "timeout": timeout_s,
                         "machine": machine, "escalate": escalate})
    results: dict[str, dict] = {}
    if scheduler:
        from harness.cluster import run_tasks

        def done(i: int, outcome: Any) -> None:
            r = outcome if isinstance(outcome, dict) else _lost(mutants[i], budget, outcome)
            results[r["id"]] = r
            if on_result:
                on_result(r)

        run_tasks(scheduler, run_one, [((p,), {}) for p in payloads], on_result=done)
    elif jobs <= 1:
        init_worker(budget)
        for p in payloads:
            r = run_one(p)
            results[r["id"]] = r
            if on_result:
                on_result(r)
    else:
        ctx = mp.get_context("spawn")
        with ctx.Pool(jobs, initializer=init_worker, initargs=(budget,), maxtasksperchild=40) as pool:
            for r in pool.imap_unordered(run_one, payloads):
                results[r["id"]] = r
                if on_result:
                    on_result(r)
    return [results[m.id] for m in mutants]


def _unjudged(m: Mutant, budget: dict) -> MutantResult:
    """A mutant's result before its verdict: ERROR until a run says otherwise."""
    source = (REPO / m.path).read_bytes()
    return MutantResult(m.id, m.contract, m.op, ERROR, 0.0, line=m.line, function=m.function, original=m.original,
                        replacement=m.replacement, diff=m.diff(source), budget=dict(budget))


def _lost(m: Mutant, budget: dict, error: BaseException) -> dict:
    """The ERROR verdict of a mutant whose task ended without a result (its workers died)."""
    res = _unjudged(m, budget)
    res.reason = f"the task ended without a verdict: {type(error).__name__}: {error}"[:800]
    return res.to_dict()


def apply_equivalents(results: list[dict], equivalents: dict[str, dict] | None = None) -> list[dict]:
    """Survivors recorded before their entry was added to the equivalent list: EQUIVALENT now, with the
    entry's reason (the same rule as run_one; the text must still match)."""
    equivalents = load_equivalents() if equivalents is None else equivalents
    out = []
    for r in results:
        e = equivalents.get(r["id"])
        if e is not None and (e.get("original"), e.get("replacement")) == (r["original"], r["replacement"]):
            if r["status"] == SURVIVED:
                r = {**r, "status": EQUIVALENT, "equivalence": "listed", "reason": e["reason"]}
            elif r["status"] == KILLED:
                r = {**r, "listed_equivalent_but_killed": True}
        out.append(r)
    return out


def sample(mutants: list[Mutant], n: int, seed: int) -> list[Mutant]:
    """`n` mutants chosen by `seed`, round-robin over the contracts so that each one is covered."""
    import random

    rng = random.Random(seed)
    by: dict[str, list[Mutant]] = {}
    for m in mutants:
        by.setdefault(m.contract, []).append(m)
    for ms in by.values():
        rng.shuffle(ms)
    order = [c for c in MUTATED_SOURCES if c in by]
    out: list[Mutant] = []
    i = 0
    while len(out) < n and any(by[c] for c in order):
        c = order[i % len(order)]
        if by[c]:
            out.append(by[c].pop())
        i += 1
    return out


def source_digest(root: Path = REPO) -> str:
    h = hashlib.sha256()
    for path in MUTATED_SOURCES.values():
        h.update((root / path).read_bytes())
    return h.hexdigest()[:16]


def machine_digest(machine: str, root: Path = REPO) -> str:
    """Which fuzz machine produced a verdict: sha256 (16 hex digits) of the machine's module and of every
    file of harness/fuzz/ (the rules, the differential step, the observers). Recorded with each result
    (`machine_digest`), so verdicts kept by --resume from an earlier machine can be told apart."""
    import importlib.util

    module = machine.partition(":")[0]
    spec = importlib.util.find_spec(module)
    files = sorted((root / "harness" / "fuzz").rglob("*.py"))
    if spec is not None and spec.origin and Path(spec.origin).resolve() not in {f.resolve() for f in files}:
        files.append(Path(spec.origin))
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]

