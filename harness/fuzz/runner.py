"""Run a fuzz machine on one engine within a budget; on a mismatch, save the shrunk call sequence.

A replay file (JSON, schema "workbench-replay/3") names its suite (a registered one, specs/suite.py)
and holds the steps, the engine, the source overrides, the mismatch as reported and its differences
as records ("differences": harness/fuzz/difference.py's Difference.to_dict, one per "differs:" line);
`python -m harness.cli replay FILE` runs it again on the model and EVM of that suite. Files of the
previous schema, "workbench-replay/2" (the same without "differences"), are still read.

The runner knows no suite or machine by name: the suite is the registered one that deploys the
fixture's contracts (specs/suite.py), and it gives the default machine (`fuzz_machine`), the machine
whose sequences start from the deployed state (`deployed_machine`), the step that opens a prepared
sequence (`prepared_state`), the model factory (`build_system`, for the fixture's deployments), the
modules that register its invariants and the actors written into replay files. A machine follows one
protocol: `configure(fixture, model_factory, invariants)` sets its `campaign`
(harness/fuzz/campaign.py) and resets its run-wide counters (`steps_run`, `sequences`, `calls`,
`reverts`, `evaluations`, `last_log`, `last_trace`, `all_logs`, optionally `all_traces` and
`coverage`); `start(fixture, model_factory, invariants)` returns the Differential a sequence starts
from. A replay file records the machine ("machine": "module:Class") when it is neither of the suite's
two machines nor a subclass of one: such a file replays only with that machine given.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import seed as hyp_seed
from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import engine as hyp_engine
from hypothesis.internal.conjecture import providers as hyp_providers
from hypothesis.stateful import get_state_machine_test

from harness.evm.fixture import Fixture
from harness.files import write_text_atomic
from harness.fuzz.campaign import add_evaluations, unevaluated
from harness.fuzz.difference import Difference
from harness.fuzz.differential import ON_MISMATCH, Differential, Mismatch, format_step
from harness.fuzz.profiles import profile
from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.suite import Suite

REPLAY_SCHEMA = "workbench-replay/3"
# Older schemas this workbench still reads: /2 is /3 without the "differences" records.
READABLE_SCHEMAS = (REPLAY_SCHEMA, "workbench-replay/2")
REPLAY_DIR = Path(__file__).resolve().parents[2] / "reports" / "replays"


@dataclass
class FuzzResult:
    status: str  # PASSED | VIOLATED | ERROR | INCONCLUSIVE
    engine: str
    steps: int
    budget: int  # sequences asked for
    seconds: float
    profile: str
    mismatch: str = ""  # the mismatch as rendered (Mismatch.render): for people
    # the mismatch's differences as records, for programs (the mutation runner, the reports)
    differences: list[Difference] = field(default_factory=list)
    replay_file: str = ""
    shrunk_steps: list[dict] = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)  # EVM outcome and events per shrunk step
    calls: dict[str, int] = field(default_factory=dict)
    reverts: dict[str, int] = field(default_factory=dict)
    message: str = ""
    coverage: dict[str, int] = field(default_factory=dict)  # machine-level events, for machines that count them
    sequences: int = 0
    all_sequences: list[list[dict]] = field(default_factory=list, repr=False)
    all_traces: list[list[dict]] = field(default_factory=list, repr=False)  # per sequence: EVM outcome/events per step
    # Steps where this engine's outcome or events differ from another engine's on the same sequence
    # (replay_sequences with `reference_traces`): a finding of its own, whatever the model says.
    engine_differences: list[dict] = field(default_factory=list)
    # Per registered invariant id (state and step invariants of the fixture's contracts), per side
    # ("model", "evm"): how many instances were evaluated. Every id registered for the run is a key.
    evaluations: dict[str, dict[str, int]] = field(default_factory=dict)
    # When the campaign first found a mismatch, before shrinking it: seconds since the campaign started
    # and steps run by then ({} when nothing failed)
    first_failure: dict[str, float] = field(default_factory=dict)

    def expect_evaluations(self, inv_ids: list[str]) -> None:
        """Name the invariants this run must evaluate (each gets a zero count to start with)."""
        add_evaluations(self.evaluations, {i: {"model": 0, "evm": 0} for i in inv_ids})

    def fail_if_unevaluated(self) -> None:
        """A run that passed, ran steps and evaluated some registered invariant zero times on a side
        has not checked it: that is a tool error (ERROR), never a pass."""
        missing = unevaluated(sorted(self.evaluations), self.evaluations)
        if self.status == "PASSED" and self.steps and missing:
            self.status = "ERROR"
            self.message = (f"{len(missing)} registered invariant(s) never evaluated in {self.steps} steps: "
                            + ", ".join(missing))

    @property
    def successes(self) -> dict[str, int]:
        """Per function: calls that succeeded on the EVM."""
        out = dict(self.calls)
        for k, v in self.reverts.items():
            fn = k.split(":")[0]
            out[fn] = out.get(fn, 0) - v
        return out

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds else 0.0


@contextlib.contextmanager
def shrink_budget(seconds: int):  # type: ignore[no-untyped-def]
    """Bound the time hypothesis spends shrinking a failure (its own default is 300 s). Hypothesis
    has no setting for it: this sets `MAX_SHRINKING_SECONDS` of its engine, an internal of the pinned
    version (requirements.lock); a shrink cut short still yields a failing, replayable sequence."""
    old = hyp_engine.MAX_SHRINKING_SECONDS
    hyp_engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        hyp_engine.MAX_SHRINKING_SECONDS = old


@contextlib.contextmanager
def no_local_constants():  # type: ignore[no-untyped-def]
    """Hypothesis 6.170 mixes integer literals harvested from every loaded project module into the
    values it draws, so a derandomized run would change with whichever modules a process happened to
    import. During fuzzing the harvested set is empty: runs depend on the seed and the machine only.
    (Internal of the pinned version, like `shrink_budget`.)"""
    empty = hyp_providers.Constants()
    old = hyp_providers._get_local_constants
    hyp_providers._get_local_constants = lambda: empty
    hyp_providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        hyp_providers._get_local_constants = old
        hyp_providers.CONSTANTS_CACHE.cache.clear()


def suite_of(fixture: Fixture) -> Suite:
    """The registered suite whose contracts `fixture` deploys (its first contract's), with its
    invariants registered."""
    from specs.suite import suite_of_contract

    suite = suite_of_contract(next(iter(fixture.addrs)))
    suite.register_invariants()
    return suite


def model_factory(fixture: Fixture, model_overrides: dict | None = None) -> Any:
    """A function building the models for the fixture's deployments (its suite's `build_system`),
    with `model_overrides` (name -> model class) swapped in. Without overrides, for the suite's own
    deployments, the suite's function itself: one identity, so a machine that caches its prepared
    state by the factory (harness/fuzz/bpe/system.py) builds it once per fixture."""
    suite = suite_of(fixture)
    build = suite.resolve(suite.build_system)
    overrides = dict(model_overrides or {})
    deployments = fixture.deployments or tuple(suite.resolve(suite.deployments))
    if not overrides and deployments == tuple(suite.resolve(suite.deployments)):
        return build
    return lambda: build(overrides, deployments=deployments)


def machine_ref(machine: Any) -> str:
    return f"{machine.__module__}:{machine.__qualname__}"


def recorded_machine(suite: Suite, machine: Any) -> str:
    """What a replay file records as its machine: "" for the suite's own machines and their subclasses
    (the prepared-state step or its absence says which one replays it), else the machine's reference."""
    own = [suite.resolve(r) for r in (suite.fuzz_machine, suite.deployed_machine) if r]
    return "" if any(issubclass(machine, m) for m in own) else machine_ref(machine)


def start_differential(fixture: Fixture, steps: list[dict], model_factory: Any,
                       invariants: list, observe_each_step: bool = True,
                       machine: Any = None) -> tuple[Differential, list[dict]]:
    """The Differential a recorded sequence starts from, and the steps left to run: a sequence that
    opens with the suite's prepared-state step starts from `machine` (default: the suite's fuzz machine)
    at its prepared state; any other from `machine` (default: the suite's deployed-state machine).
    Building the prepared state can raise Mismatch (a finding about the protocol, such as
    harness.fuzz.bpe.system.SetupRejected)."""
    suite = suite_of(fixture)
    if steps and steps[0].get("op") == "prepare":
        prepared = suite.resolve(suite.prepared_state) if suite.prepared_state else None
        if steps[0] != prepared:
            raise ValueError(f"unknown prepared state {steps[0]!r} (this workbench knows {prepared!r})")
        diff = (machine or suite.resolve(suite.fuzz_machine)).start(fixture, model_factory, invariants)
        diff.observe_each_step = observe_each_step
        return diff, steps[1:]
    if machine is None:
        if not suite.deployed_machine:
            raise ValueError(f"suite {suite.name} declares no machine for sequences without a prepared state")
        machine = suite.resolve(suite.deployed_machine)
    return machine.start(fixture, model_factory, invariants), steps


def campaign_invariant_ids(fixture: Fixture) -> list[str]:
    """Every registered invariant (state and step) about the fixture's contracts: what a campaign on
    it must evaluate."""
    suite_of(fixture)  # registers the suite's invariants
    names = set(fixture.addrs)
    return [i.id for i in REGISTRY.for_contracts(names)] + [i.id for i in STEP_REGISTRY.for_contracts(names)]


def run_fuzz(fixture: Fixture, *, profile_name: str = "ci", max_examples: int | None = None,
             step_count: int | None = None, model_overrides: dict | None = None,
             source_overrides: dict[str, str] | None = None, replay_dir: Path = REPLAY_DIR,
             shrink_seconds: int = 60, progress: Any = None, machine: Any = None,
             seed: int | None = None, require_every_invariant: bool = True) -> FuzzResult:
    """Run `machine` (a class following the machine protocol in the module docstring; default the
    fixture's suite's `fuzz_machine`) on `fixture`. `seed` fixes hypothesis's random source (a shard of
    a campaign, harness/fuzz/shards.py); without it a derandomized profile draws from the machine's
    own fixed seed. `require_every_invariant=False` leaves the check that every registered invariant
    was evaluated to the caller (a shard: the check applies to the merged campaign)."""
    suite = suite_of(fixture)
    machine = machine or suite.resolve(suite.fuzz_machine)
    names = set(fixture.addrs)
    invariants = REGISTRY.for_contracts(names)
    overrides = dict(model_overrides or {})
    build = model_factory(fixture, overrides)
    factory = lambda: build()  # noqa: E731  (a fresh identity per run: no prepared state is shared across runs)
    machine.configure(fixture, factory, invariants)
    machine.campaign.progress = progress
    kw: dict[str, Any] = {}
    if max_examples is not None:
        kw["max_examples"] = max_examples
    if step_count is not None:
        kw["stateful_step_count"] = step_count
    s = profile(profile_name, **kw)
    budget = s.max_examples  # sequences; each runs up to stateful_step_count steps
    t0 = time.perf_counter()
    res = FuzzResult("PASSED", fixture.engine.name, 0, budget, 0.0, profile_name)
    res.expect_evaluations(campaign_invariant_ids(fixture))

    def first_mismatch() -> None:
        if not res.first_failure:
            res.first_failure = {"seconds": round(time.perf_counter() - t0, 2), "steps": getattr(machine, "steps_run", 0)}

    ON_MISMATCH.append(first_mismatch)
    try:
        # the state every sequence starts from, built before hypothesis runs: a finding there (a set-up
        # step the protocol says succeeds, rejected) is reported once, with its own replay
        machine.start(fixture, factory, invariants)
        test = get_state_machine_test(machine, settings=s)
        if seed is not None:
            test = hyp_seed(seed)(test)
        with shrink_budget(shrink_seconds), no_local_constants():
            test()
    except Mismatch as m:
        res.status = "VIOLATED"
        res.mismatch, res.differences = m.render(), list(m.differences)
        res.shrunk_steps = list(getattr(m, "replay_steps", None) or machine.last_log)
        res.trace = [] if hasattr(m, "replay_steps") else list(machine.last_trace)
        res.replay_file = str(save_replay(res.shrunk_steps, fixture.engine.name, res.mismatch,
                                          source_overrides or {}, list(overrides), replay_dir,
                                          suite.name, res.differences, recorded_machine(suite, machine)))
    except Flaky as e:
        res.status = "ERROR"
        res.message = f"flaky: a failure did not reproduce ({e})"
    except Exception as e:  # engine or model failure: a tool error, never a pass
        res.status = "ERROR"
        res.message = f"{type(e).__name__}: {e}"
        res.shrunk_steps = list(machine.last_log)
    finally:
        ON_MISMATCH.remove(first_mismatch)
    if res.status != "VIOLATED":
        res.first_failure = {}  # a mismatch hypothesis raised and discarded (flaky) is no finding
    res.seconds = time.perf_counter() - t0
    res.steps = machine.steps_run
    res.sequences = machine.sequences
    res.all_sequences = [list(seq) for seq in machine.all_logs]
    res.all_traces = [list(t) for t in getattr(machine, "all_traces", [])]
    res.calls, res.reverts = dict(machine.calls), dict(machine.reverts)
    res.coverage = dict(getattr(machine, "coverage", {}))
    add_evaluations(res.evaluations, machine.evaluations)
    if require_every_invariant:
        res.fail_if_unevaluated()
    return res


def replay_sequences(fixture: Fixture, sequences: list[list[dict]], *, source_overrides: dict[str, str] | None = None,
                     replay_dir: Path = REPLAY_DIR, progress: Any = None, observe_each_step: bool = True,
                     state_each_step: bool = True, reference_traces: list[list[dict]] | None = None,
                     reference_engine: str = "", require_every_invariant: bool = True,
                     machine: Any = None) -> FuzzResult:
    """Run recorded sequences (from another engine's campaign) on this fixture, differentially.
    `observe_each_step=False` compares the observers' state (Superfluid views) only at the end of each
    sequence; outcomes, events, the suite's storage and views are still compared after every step.
    `reference_traces` (another engine's traces of the same sequences, in order) are compared step by
    step with this engine's: differences go to `engine_differences`. `require_every_invariant=False`
    is for measurements only (the benchmark's reduced modes, which skip per-step state and so the step
    invariants): a run that evaluated some registered invariant zero times is then not made ERROR.
    `machine`: the machine whose sequences these are (default: the suite's, see start_differential)."""
    suite = suite_of(fixture)
    names = set(fixture.addrs)
    invariants = REGISTRY.for_contracts(names)
    res = FuzzResult("PASSED", fixture.engine.name, 0, len(sequences), 0.0, "replayed")
    res.expect_evaluations(campaign_invariant_ids(fixture))
    t0 = time.perf_counter()
    factory = model_factory(fixture)
    for n, seq in enumerate(sequences):
        diff: Differential | None = None
        steps: list[dict] = []
        res.sequences += 1
        try:
            diff, steps = start_differential(fixture, seq, factory, invariants, observe_each_step, machine)
            diff.state_each_step = state_each_step
            for step in steps:
                res.steps += 1
                diff.step(step)
            diff.finish()
            if reference_traces is not None:
                res.engine_differences += engine_differences(n, steps, reference_traces[n], diff.trace,
                                                             reference_engine, fixture.engine.name)
        except Mismatch as m:
            res.status, res.mismatch = "VIOLATED", m.render() + "\n  (sequence replayed from another engine, not shrunk)"
            res.differences = list(m.differences)
            if diff is None:  # the prepared state itself
                res.shrunk_steps = list(getattr(m, "replay_steps", None) or seq[:1])
            else:
                res.shrunk_steps = seq[: len(seq) - len(steps) + m.index]
                res.trace = list(diff.trace)
            res.replay_file = str(save_replay(res.shrunk_steps, fixture.engine.name, res.mismatch,
                                              source_overrides or {}, [], replay_dir, suite.name,
                                              res.differences, recorded_machine(suite, machine) if machine else ""))
            break
        except Exception as e:  # engine or model failure: a tool error
            res.status, res.message = "ERROR", f"{type(e).__name__}: {e}"
            break
        finally:
            if progress:
                progress(res.sequences)
            if diff is not None:
                diff.drain_counts(res.calls, res.reverts, res.evaluations)
    res.seconds = time.perf_counter() - t0
    if require_every_invariant:
        res.fail_if_unevaluated()
    return res


def engine_differences(n: int, steps: list[dict], ref: list[dict], mine: list[dict], ref_engine: str,
                       engine: str) -> list[dict]:
    """The steps of sequence `n` whose EVM outcome or events differ between two engines."""
    out = []
    for i, (step, a, b) in enumerate(zip(steps, ref, mine)):
        if a != b:
            out.append({"sequence": n, "step": i + 1, "call": format_step(step), ref_engine: a, engine: b})
    if len(ref) != len(mine):
        out.append({"sequence": n, "step": min(len(ref), len(mine)) + 1, "call": "(trace lengths differ)",
                    ref_engine: len(ref), engine: len(mine)})
    return out


def fixture_suite(fixture: Fixture) -> str:
    """The registered suite whose contracts `fixture` deploys (its first contract's)."""
    return suite_of(fixture).name


def save_replay(steps: list[dict], engine: str, mismatch: str, source_overrides: dict[str, str],
                model_overrides: list[str], replay_dir: Path, suite: str,
                differences: list[Difference] = (), machine: str = "") -> Path:  # type: ignore[assignment]
    """Write a replay file; "actors" are the suite's declared actors (role -> address), "machine" is
    written when given (recorded_machine)."""
    from specs.suite import get_suite

    doc = {"schema": REPLAY_SCHEMA, "suite": suite, "engine": engine,
           "actors": {role: hex(a) for role, a in get_suite(suite).actors.items()},
           "source_overrides": source_overrides, "model_overrides": model_overrides,
           "mismatch": mismatch, "differences": [d.to_dict() for d in differences], "steps": steps}
    if machine:
        doc["machine"] = machine
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    path = replay_dir / f"{engine}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
    return write_text_atomic(path, text)  # never a half-written replay file


STEP_OPS = {"call": ("contract", "function", "sender", "args"), "advance": ("blocks", "seconds"),
            "raw": ("contract", "data", "sender"), "prepare": ("setup",)}


def open_replay(path: Path) -> tuple[Suite, tuple, dict, dict[str, Path]]:
    """A replay file read against its own suite, before anything is compiled: (the suite, its
    deployments, the document checked against that suite's models, the source overrides as paths).
    InputError, one line naming the file and the field, for a bad file or a missing overridden source."""
    from specs.errors import InputError
    from specs.suite import get_suite

    suite = get_suite(load_replay(path)["suite"])
    deployments = suite.resolve(suite.deployments)
    doc = load_replay(path, suite.resolve(suite.build_system)(deployments=deployments).models)
    repo = Path(__file__).resolve().parents[2]
    overrides = {k: repo / v for k, v in doc.get("source_overrides", {}).items()}
    for name, source in overrides.items():
        if not source.is_file():
            raise InputError(f"{path}: source_overrides.{name}: no such source file {source}")
    return suite, deployments, doc, overrides


def load_replay(path: Path, contracts: dict[str, type] | None = None, machine: Any = None) -> dict:
    """A replay file, checked: JSON of this workbench's replay schema, for this suite, every step of a
    known op with its fields, and (given `contracts`, name -> model class) every call naming a known
    contract and one of its model's functions. Anything else raises InputError with one line naming the
    file and the field or the cause. The returned document's "differences" are Difference records.
    A file that names a machine loads only with that machine given."""
    from specs.errors import InputError

    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(f"{path}: no such replay file") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read the replay file ({e.strerror or e})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}; truncated?)") from None
    if not isinstance(doc, dict) or "schema" not in doc:
        raise InputError(f"{path}: not a replay file (no \"schema\" field; expected {REPLAY_SCHEMA!r})")
    schema = doc["schema"]
    if schema not in READABLE_SCHEMAS:
        raise InputError(f"{path}: schema {schema!r}: this workbench replays {' and '.join(map(repr, READABLE_SCHEMAS))} files")
    records = doc.get("differences", [])
    if not isinstance(records, list):
        raise InputError(f"{path}: differences: expected a list of difference records")
    parsed = []
    for i, rec in enumerate(records):
        try:
            parsed.append(Difference.from_dict(rec))
        except ValueError as e:
            raise InputError(f"{path}: differences[{i}]: {e}") from None
    doc["differences"] = parsed  # records (none in a /2 file)
    from specs.suite import SUITES, get_suite

    if doc.get("suite") not in SUITES:
        raise InputError(f"{path}: suite {doc.get('suite')!r}: not a registered suite "
                         f"(registered: {', '.join(SUITES)})")
    suite = get_suite(doc["suite"])
    if "machine" in doc and machine is None:
        raise InputError(f"{path}: machine {doc['machine']!r}: `harness.cli replay` replays the campaigns of a "
                         "suite's own machine (this file belongs to another machine's replay)")
    if "machine" in doc and doc["machine"] != machine_ref(machine):
        raise InputError(f"{path}: machine {doc['machine']!r}: not the machine replaying it ({machine_ref(machine)})")
    overrides = doc.get("source_overrides", {})
    if not isinstance(overrides, dict) or not all(isinstance(v, str) for v in overrides.values()):
        raise InputError(f"{path}: source_overrides: expected an object of contract name -> source path")
    steps = doc.get("steps")
    if not isinstance(steps, list) or not steps:
        raise InputError(f"{path}: steps: expected a non-empty list of steps")
    for i, step in enumerate(steps):
        where = f"{path}: steps[{i}]"
        if not isinstance(step, dict) or step.get("op") not in STEP_OPS:
            op = step.get("op") if isinstance(step, dict) else step
            raise InputError(f"{where}: unknown step {op!r} (known ops: {', '.join(STEP_OPS)})")
        missing = [f for f in STEP_OPS[step["op"]] if f not in step]
        if missing:
            raise InputError(f"{where}: a {step['op']!r} step without {', '.join(missing)}")
        if step["op"] == "prepare":
            prepared = suite.resolve(suite.prepared_state) if suite.prepared_state else None
            if i != 0:
                raise InputError(f"{where}: a 'prepare' step can only open a sequence")
            if step != prepared:
                raise InputError(f"{where}: unknown prepared state {step!r} (this workbench knows {prepared!r})")
        if step["op"] in ("call", "raw") and contracts is not None:
            if step["contract"] not in contracts:
                raise InputError(f"{where}.contract: unknown contract {step['contract']!r} "
                                 f"(known: {', '.join(sorted(contracts))})")
            if step["op"] == "call" and not callable(getattr(contracts[step["contract"]], str(step["function"]), None)):
                raise InputError(f"{where}.function: {step['contract']} has no function {step['function']!r}")
            if step["op"] == "call" and not isinstance(step["args"], list):
                raise InputError(f"{where}.args: expected a list")
        if step["op"] in ("call", "raw") and not isinstance(step["sender"], int):
            raise InputError(f"{where}.sender: expected an integer address")
    return doc


def replay(path: Path, fixture: Fixture, model_overrides: dict | None = None, out: Any = print,
           machine: Any = None) -> Mismatch | None:
    """Run a replay file's steps on the model and the fixture's EVM; return the mismatch, if any. A
    file that is not a valid replay raises specs.errors.InputError. `machine`: the machine of the file
    (required when the file names one; default: the suite's, see start_differential)."""
    factory = model_factory(fixture, model_overrides)
    doc = load_replay(Path(path), factory().models, machine)
    try:
        diff, steps = start_differential(fixture, doc["steps"], factory,
                                         REGISTRY.for_contracts(set(fixture.addrs)), machine=machine)
    except Mismatch as m:  # the prepared state itself (a set-up step rejected)
        return m
    for step in steps:
        out(f"  {format_step(step)}")
        try:
            diff.step(step)
        except Mismatch as m:
            return m
    return None
