"""The workbench's command line: `workbench SUBCOMMAND` (installed by `make setup`, or `pip install -e .` in
a clone), the same as `python -m harness.cli SUBCOMMAND`.

verify  compile, run slither (triaged), then for every registered suite (or the ones named with
        --suite NAME): prove (lemmas, init, inductive steps, vacuity), fuzz differentially on both
        engines, run a fixed sample of mutants (each must be killed); write reports/verify.json (each
        check names its suite), reports/REPORT.md (the summary), OBLIGATIONS.md (every check); exit code per reports/README.md:
        0 all PROVED/PASSED, 1 something VIOLATED, 2 INCONCLUSIVE/UNSUPPORTED, 3 tool error.
replay  run a replay file (a shrunk fuzz sequence; it names its suite) on the model and an EVM;
        exit 1 if the mismatch reproduces, 0 if it does not, 3 if the file is not a valid replay of
        this workbench.
report  re-render REPORT.md, OBLIGATIONS.md, report.html, report.sarif and junit.xml from reports/verify.json
        (--suite NAME: only that suite's checks and the whole run's).
bench   print engine call rates, differential step rates and proof times per suite, and write them to
        reports/bench.json (figures, not tests).
simulate  run the simulation of each suite that declares one (BPE: `simulate run SCENARIO...`).
export-forge  write a counterexample (a replay file, a prover counterexample's .evm.json, or a VIOLATED
        check's id) as a self-contained Foundry test in reports/forge/; a VIOLATED verify writes one per
        counterexample it can export.
mutate  the mutation runner (`mutate run|list|bench|report ...`, the same as `python -m harness.mutate`).
completion  print a bash completion script (`eval "$(workbench completion bash)"`).

verify, report, bench and simulate take `--suite NAME` (repeatable; default: every registered suite).

Every subcommand answers bad input (a missing, truncated or foreign file, an unknown contract or
function in a replay, a bad argument) with one line naming the file or argument and the cause, and
exit code 3 (a tool error); `--debug` shows the traceback of a tool error.
"""

from __future__ import annotations

import argparse
import json
import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

from specs.budget import FULL, guard_ms, rlimit_arg
from specs.errors import EXIT_TOOL_ERROR, EXIT_VIOLATED, ArgumentParser, CompileError, InputError, WorkbenchError
from harness.cluster import scheduler_arg

REPO = Path(__file__).resolve().parents[1]
ENGINES = ("pyrevm", "py-evm")
# A suite's fuzz machine drives the whole suite, its external environment deployed too. pyrevm carries
# the fuzzing volume; py-evm (for BPE, with the Superfluid framework in the loop, about 10x slower per
# differential step even when it compares the framework's views only at the end of each sequence)
# replays every PYEVM_SHARE-th of the same sequences as the second, independent engine.
# The budget is split in `shards` campaigns of their own seeds, run side by side (one process per shard, at
# most one per core): the same sequences on any machine, in less wall time where there are cores.
FUZZ_BUDGET = {"max_examples": 120, "step_count": 40, "shards": 2}
PYEVM_SHARE = 20
# make verify runs this fixed, seeded sample of mutants (harness/mutate); `make mutate` the whole campaign
MUTATION_SAMPLE = {"n": 12, "seed": 6, "jobs": 2}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def progress(label: str, total: int) -> Any:
    """A progress display for long phases: rewritten in place on a terminal, a line per quarter in
    CI logs (where carriage returns make a mess)."""
    tty = sys.stderr.isatty()
    step = max(1, total // 4)

    def tick(done: int) -> None:
        if tty:
            print(f"\r  {label}: {done}/{total}", end="\n" if done >= total else "", file=sys.stderr, flush=True)
        elif done % step == 0 or done == total:
            log(f"  {label}: {done}/{total}")

    return tick


# ---------------------------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------------------------


def verify(*, out_dir: Path, suite_names: list[str] | None = None, engines: tuple[str, ...] = ENGINES,
           profile_name: str = "ci", budget: dict | None = None, prover_rlimit: int = FULL,
           mutation_sample: dict | None = None, fail_fast: bool = False) -> int:
    """Compile and run slither once over every source, then prove, fuzz and mutate each selected suite
    (default: every registered one); every check carries its suite."""
    from harness.evm.compile import compile_contracts
    from harness.report.render import write_all
    from harness.report.results import Check, Results, collect_tool_versions
    from specs.suite import suites

    selected = suites(suite_names)  # an unknown name fails here, before any work

    budget = budget or FUZZ_BUDGET
    mutation_sample = MUTATION_SAMPLE if mutation_sample is None else mutation_sample
    results = Results(tool_versions=collect_tool_versions(),
                      config={"hypothesis_profile": profile_name, "derandomize": profile_name == "ci",
                              "fuzz_budget": budget, "second_engine_share": f"1/{PYEVM_SHARE}",
                              "engines": list(engines), "suites": [x.name for x in selected],
                              "prover_rlimit": prover_rlimit, "prover_wall_clock_guard_ms": guard_ms(prover_rlimit),
                              "mutation_sample": mutation_sample or "not run (--mutation-sample 0)",
                              "fail_fast": fail_fast},
                      generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    def finish() -> int:
        paths = write_all(results, out_dir, simulation_sections(selected))
        if violated(results):
            export_to_forge(results, out_dir / "forge")
        summary = ", ".join(f"{k} {v}" for k, v in results.summary().items() if v)
        log(f"verify: {summary} -> exit {results.exit_code()} ({results.exit_reason()})")
        log("reports: " + ", ".join(str(p) for p in paths.values()))
        return results.exit_code()

    # 1. compile
    log("[1/4] compiling contracts/ (every suite's folder) with solc-js (crytic-compile, cached)")
    t0 = time.perf_counter()
    try:
        build = compile_contracts()
    except CompileError as e:
        log(str(e))
        results.add(Check("COMPILE", "compile", "*", "ERROR", time.perf_counter() - t0,
                          "The Solidity suite compiles.", {"message": str(e), "errors": e.errors}))
        finish()
        return EXIT_TOOL_ERROR
    results.compiler = {"version": build.compiler_version, "evm_version": "cancun",
                        "optimizer": {"enabled": True, "runs": 200}, "cache_hit": build.cache_hit}
    results.sources = dict(sorted(build.source_hashes.items()))
    results.bytecode = {name: {"creation_sha256": a.bytecode_sha256, "runtime_sha256": a.runtime_sha256,
                               "runtime_size": len(a.runtime)}
                        for name, a in sorted(build.artifacts.items()) if a.runtime}
    results.add(Check("COMPILE", "compile", "*", "PASSED", time.perf_counter() - t0,
                      "The Solidity suite compiles.", {"message": f"{len(build.artifacts)} contracts"}))

    # static analysis: slither's detectors and the protocol's own, findings triaged in a committed file
    from harness.analysis.slither_run import results_checks

    log("[1/4] slither: built-in and protocol detectors")
    for c in results_checks(build):
        results.add(c)

    for suite in selected:
        if fail_fast and violated(results):
            skip(results, f"suite {suite.name}")
            continue
        verify_suite(results, suite, build, engines=engines, profile_name=profile_name, budget=budget,
                     prover_rlimit=prover_rlimit, mutation_sample=mutation_sample, fail_fast=fail_fast)
    return finish()


def violated(results: Any) -> bool:
    return any(c.status == "VIOLATED" for c in results.checks)


def skip(results: Any, what: str) -> None:
    """Record a phase --fail-fast leaves out once something is VIOLATED (the configuration lists them)."""
    log(f"--fail-fast: a check is VIOLATED; {what} not run")
    results.config.setdefault("skipped_by_fail_fast", []).append(what)


def suite_check_id(suite: Any, base: str, *rest: str) -> str:
    """The id of one of a suite's own checks: its kind, the suite's name in capitals, then the rest
    (`FUZZ-BPE-pyrevm`), so that two suites' checks never share an id."""
    return "-".join((base, suite.name.upper(), *rest))


def verify_suite(results: Any, suite: Any, build: Any, *, engines: tuple[str, ...], profile_name: str,
                 budget: dict, prover_rlimit: int, mutation_sample: dict, fail_fast: bool = False) -> None:
    """One suite's part of verify: deploy it on every engine, prove, fuzz differentially, run the
    mutation sample. Every check added here names the suite, in its `suite` field and in the ids of
    the checks that are not an obligation or a mutant of its own (`suite_check_id`)."""
    from harness.evm.fixture import deploy, suite_artifacts
    from harness.report.results import Check

    def add(check: Any) -> None:
        check.suite = suite.name
        results.add(check)

    deployments = suite.resolve(suite.deployments)
    log(f"suite {suite.name}: {suite.title}")
    artifacts = suite_artifacts(build, deployments=deployments)
    fixtures = {}
    for eng in engines:
        t0 = time.perf_counter()
        try:
            fixtures[eng] = deploy(eng, suite, artifacts=artifacts)
        except WorkbenchError as e:
            add(Check(suite_check_id(suite, "DEPLOY", eng), "fuzz", "*", "ERROR", time.perf_counter() - t0,
                      f"The suite deploys on {eng}.", {"message": str(e), "engine": eng}))

    # 2. prove
    log("[2/4] proving invariants (z3)")
    t0 = time.perf_counter()
    try:
        prove_into(results, fixtures, prover_rlimit, suite=suite)
    except Exception as e:  # a prover crash (model bug, solver exception) is a tool error, never a pass
        add(Check(suite_check_id(suite, "PROVER"), "proof", "*", "ERROR", time.perf_counter() - t0,
                  "The prover ran to completion.", {"message": f"{type(e).__name__}: {e}"}))

    # 3. fuzz: hypothesis on the first engine, a fixed share of its sequences replayed on the others, the
    # budget split in shards run side by side (harness/fuzz/shards.py)
    if fixtures and fail_fast and violated(results):
        skip(results, f"suite {suite.name}: fuzzing")
    elif fixtures:
        fuzz_into(add, suite, build, artifacts, tuple(fixtures), profile_name=profile_name, budget=budget,
                  fail_fast=fail_fast)

    # 4. mutation testing: a fixed, seeded sample of mutants must be killed by the checks above
    if mutation_sample and fail_fast and violated(results):
        skip(results, f"suite {suite.name}: mutation sample")
    elif mutation_sample:
        from harness.mutate.report import sample_checks

        n, seed, jobs = mutation_sample["n"], mutation_sample["seed"], mutation_sample.get("jobs", 2)
        log(f"[4/4] mutation sample: {n} mutants (seed {seed}, {jobs} workers)")
        t0 = time.perf_counter()
        try:
            for c in sample_checks(build, n=n, seed=seed, jobs=jobs, contracts=list(suite.mutation_sources),
                                   summary_id=suite_check_id(suite, "MUTATION-SAMPLE"),
                                   scheduler=mutation_sample.get("scheduler")):
                add(c)
        except Exception as e:  # a crash of the mutation tool is a tool error, never a pass
            add(Check(suite_check_id(suite, "MUTATION-SAMPLE"), "fuzz", "*", "ERROR", time.perf_counter() - t0,
                      "A fixed sample of mutants of the suite is killed by the workbench's checks.",
                      {"message": f"{type(e).__name__}: {e}"}))


def fuzz_into(add: Any, suite: Any, build: Any, artifacts: dict, engines: tuple[str, ...], *, profile_name: str,
              budget: dict, fail_fast: bool = False) -> None:
    """A suite's differential campaign on `engines` (the first carries hypothesis), its checks handed to
    `add`: one per engine against the model, one per other engine against the first."""
    from harness.fuzz.coverage import coverage_report
    from harness.fuzz.shards import run_campaign, workers_for

    shards = budget.get("shards", 1)
    workers = budget.get("workers") or workers_for(shards)
    scheduler = budget.get("scheduler")
    where = f"the Dask cluster at {scheduler}" if scheduler else f"{workers} process(es)"
    first = engines[0]
    log(f"[3/4] differential fuzzing on {first} ({budget['max_examples']} sequences of up to "
        f"{budget['step_count']} steps, profile {profile_name}, {shards} shard(s) on {where}); "
        f"every {PYEVM_SHARE}th sequence replayed on {', '.join(engines[1:]) or 'no other engine'}")
    c = run_campaign(suite.name, engines, artifacts, profile_name=profile_name, max_examples=budget["max_examples"],
                     step_count=budget["step_count"], share=PYEVM_SHARE, shards=shards, workers=workers,
                     fail_fast=fail_fast, scheduler=scheduler)
    for i, eng in enumerate(engines):
        r = c.results[eng]
        if i == 0:
            origin = "hypothesis"
        else:
            origin = f"every {PYEVM_SHARE}th sequence of each shard of the {first} campaign"
            if eng == "py-evm":
                origin += ("; the Superfluid state (views) compared at the end of each sequence, everything "
                           "else after every step")
        check = fuzz_check(r, eng, origin, profile_name, suite)
        check.details["shards"] = c.shards
        check.details["campaign_seconds"] = c.seconds
        if eng == "py-evm":  # coverage from py-evm's opcode trace and the source maps
            check.details["coverage"] = coverage_report(artifacts, build.solc_output, c.hits)
        add(check)
        if i > 0:
            add(engines_check(r, first, eng, suite))


def fuzz_check(r: Any, eng: str, origin: str, profile_name: str, suite: Any) -> Any:
    from harness.report.results import Check

    details: dict[str, Any] = {"engine": eng, "origin": origin, "steps": r.steps, "budget": r.budget,
                               "sequences": r.sequences, "steps_per_second": round(r.steps_per_second, 1),
                               "profile": r.profile,
                               "seed": ("derandomized: each shard's seed is its index (details.shards)"
                                        if profile_name == "ci" else "random: each shard's in details.shards"),
                               "calls": r.calls, "reverts": r.reverts, "successes": r.successes,
                               "invariant_evaluations": r.evaluations}
    if r.mismatch:
        details["message"] = r.mismatch
        details["differences"] = [d.to_dict() for d in r.differences]
        details["counterexample"] = {"calls": r.shrunk_steps, "trace": r.trace}
        details["replay_file"] = r.replay_file
        details["replay_command"] = f".venv/bin/python -m harness.cli replay {r.replay_file} --engine {eng}"
        log(r.mismatch)
        log(f"call sequence saved: {r.replay_file}")
    if r.message:
        details["message"] = r.message
    if r.first_failure:  # time to a finding: when the campaign first hit the mismatch, before shrinking it
        details["first_failure_seconds"], details["first_failure_steps"] = (r.first_failure["seconds"],
                                                                            r.first_failure["steps"])
        log(f"  first failing step reached after {r.first_failure['seconds']} s and {r.first_failure['steps']} steps")
    status = r.status
    if status == "PASSED" and r.sequences < r.budget:
        status = "INCONCLUSIVE"
        details["message"] = f"ran {r.sequences} of {r.budget} budgeted sequences"
    log(f"  {status}: {r.sequences} sequences, {r.steps} steps in {r.seconds:.1f} s ({r.steps_per_second:.0f} steps/s)")
    if r.evaluations:
        least = min(r.evaluations.items(), key=lambda kv: min(kv[1].values()))
        log(f"  invariants evaluated: {len(r.evaluations)} registered, the least evaluated {least[0]} "
            f"({least[1]['model']} on the model, {least[1]['evm']} on the EVM)")
    on = f", on its environment ({', '.join(suite.environment)})," if suite.environment else ""
    return Check(suite_check_id(suite, "FUZZ", eng), "fuzz", "*", status, r.seconds,
                 f"The whole suite {suite.name}{on} agrees with its models on {eng} after every step, and every "
                 f"registered invariant holds on both sides.", details)


def simulation_sections(selected: list[Any]) -> tuple[str, ...]:
    """The simulation sections of the HTML report: for every selected suite that declares a simulation
    and whose results file exists (its package's `report.RESULTS`, written by `simulate`), the
    package's `report.html_fragment`; nothing otherwise (verify does not run a simulation)."""
    import importlib

    sections = []
    for suite in selected:
        if not suite.simulation:
            continue
        report = importlib.import_module(f"{suite.simulation}.report")
        path = report.RESULTS if report.RESULTS.is_absolute() else REPO / report.RESULTS
        if path.exists():
            sections.append(report.html_fragment(path))
    return tuple(sections)


def engines_check(r: Any, first: str, eng: str, suite: Any) -> Any:
    """The two engines against each other (not against the model): outcome and events of every step
    of the replayed share. A difference is a finding of its own."""
    from harness.report.results import Check

    compared = r.steps if r.status == "PASSED" else 0
    details: dict[str, Any] = {"engines": [first, eng], "sequences": r.sequences, "steps_compared": compared,
                               "differences": r.engine_differences[:20]}
    if r.engine_differences:
        status = "VIOLATED"
        details["message"] = (f"{len(r.engine_differences)} steps where {first} and {eng} disagree on the outcome "
                              f"or the events; first: {r.engine_differences[0]}")
    elif compared == 0:
        status = "INCONCLUSIVE"
        details["message"] = f"nothing compared: the {eng} replay did not pass ({r.status})"
    else:
        status = "PASSED"
    log(f"  engines {first} / {eng}: {status}, {compared} steps compared")
    return Check(suite_check_id(suite, "ENGINES", first, eng), "fuzz", "*", status, 0.0,
                 f"{first} and {eng} give the same outcome (success or revert, error, return values) and the same "
                 f"events on every step of the replayed sequences.", details)


def violation_message(details: dict) -> str:
    """What a VIOLATED proof result says of its counterexample's replays: the engines it was replayed on,
    or that it was confirmed on the model only (never an EVM replay that did not happen)."""
    replays = details.get("evm_replay")
    if isinstance(replays, list) and replays:
        return "counterexample replayed on the model and on " + ", ".join(x["engine"] for x in replays)
    return ("counterexample confirmed on the model only, not replayed on an EVM"
            + (f" ({replays})" if isinstance(replays, str) else ""))


def prove_into(results: Any, fixtures: dict, rlimit: int, *, suite: Any, jobs: int = 2) -> None:
    """A suite's proofs (its declared strategies, invariants/suite.py) into `results`, each check naming
    the suite. Rows no strategy attempts (UNSUPPORTED: the suite's `unproved` rows and any UNSUPPORTED
    result) are not proof results: they are listed in the configuration under "not_proved" with what
    checks them instead, and the fuzz campaign evaluates the registered invariants after every step.
    A VIOLATED result's counterexample is replayed on the model and on every engine's fixture."""
    from harness.fuzz.evm_replay import replay_on_evm
    from invariants.suite import proof_results, unproved
    from harness.report.results import Check

    rs = proof_results(suite, jobs=jobs, rlimit=rlimit)
    # rows a prover did not attempt (UNSUPPORTED: not proved yet) join the suite's own list
    not_attempted = [r for r in rs if r.status == "UNSUPPORTED"]
    rs = [r for r in rs if r.status != "UNSUPPORTED"]
    results.config.setdefault("not_proved", []).extend(
        {"suite": suite.name, "id": r.id, "contract": r.contract, "statement": r.title,
         "why": r.details.get("message", ""),
         "checked_by": r.details.get("covered_by", "the fuzzer (state evaluated every step)")}
        for r in unproved(suite) + not_attempted)
    for r in rs:
        details = dict(r.details)
        if r.counterexample is not None:
            replays = [replay_on_evm(r.counterexample, fx) for fx in fixtures.values()]
            details["evm_replay"] = [{"engine": x.engine, "confirmed": x.confirmed, "detail": x.detail} for x in replays]
            details["confirmed"] = r.counterexample.confirmed_on_model and all(x.confirmed for x in replays) \
                and bool(replays)
            if not details["confirmed"]:
                details["message"] = ("unconfirmed counterexample: it did not replay on the model and every engine "
                                      "(a workbench bug to investigate)")
            elif any(x.engine == "pyrevm" and x.confirmed for x in replays):
                record_evm_counterexample(details, r, suite, fixtures["pyrevm"].artifacts)
        if r.status != "PROVED":
            log(f"  {r.status}: {r.id} {details.get('message', '')}")
        if r.status == "VIOLATED" and "message" not in details:
            details["message"] = violation_message(details)
        results.add(Check(r.id, r.kind, r.contract, r.status, r.seconds, r.title, details, suite=suite.name))


def record_evm_counterexample(details: dict, r: Any, suite: Any, artifacts: dict) -> None:
    """Keep a confirmed prover counterexample at the EVM level (reports/replays/<id>.evm.json), for
    `export-forge` (harness/forge/counterexample.py). A recording that fails is noted in the details
    and changes nothing else: the verdict stands on the replays already made."""
    from harness.forge.counterexample import record_counterexample, repo_relative

    try:
        path = record_counterexample(r.counterexample, suite, check_id=r.id, statement=r.title, artifacts=artifacts)
        details["evm_counterexample"] = repo_relative(path)
    except Exception as e:  # noqa: BLE001  (a convenience beside the verdict)
        details["evm_counterexample_error"] = f"{type(e).__name__}: {' '.join(str(e).split())}"
        log(f"  {r.id}: the EVM-level counterexample was not recorded: {details['evm_counterexample_error']}")


# ---------------------------------------------------------------------------------------------
# replay, report
# ---------------------------------------------------------------------------------------------


def replay_cmd(path: Path, engines: tuple[str, ...]) -> int:
    from harness.evm.fixture import deploy, suite_artifacts
    from harness.fuzz.runner import open_replay, replay

    # a bad file fails here, before anything is compiled: first its schema and suite, then its steps
    # against the models of that suite
    suite, deployments, doc, overrides = open_replay(path)
    if doc.get("model_overrides"):
        log(f"note: the run used model overrides {doc['model_overrides']}; the replay uses the reference models")
    artifacts = suite_artifacts(overrides=overrides, deployments=deployments)
    reproduced = False
    for eng in engines:
        print(f"replaying {path} (suite {suite.name}) on the model and {eng}:")
        m = replay(path, deploy(eng, suite, artifacts=artifacts))
        if m is None:
            print(f"  no mismatch on {eng}")
        else:
            reproduced = True
            print(m.render())
    return EXIT_VIOLATED if reproduced else 0


def report_cmd(out_dir: Path, suite_names: list[str] | None = None) -> int:
    """Re-render every report format from `out_dir`/verify.json. With suite names, only the checks of
    those suites (and of the whole run, suite "*") are rendered, and the "not proved" rows of those
    suites; a named suite with no check in the file is an InputError."""
    from harness.report.render import write_all
    from harness.report.results import Results
    from specs.suite import suites

    path = out_dir / "verify.json"
    results = Results.read_json(path)
    selected = suites(suite_names)
    if suite_names:
        present = {c.suite for c in results.checks}
        missing = [n for n in suite_names if n not in present]
        if missing:
            raise InputError(f"{path}: no check of suite {', '.join(missing)} in the file "
                             f"(its suites: {', '.join(sorted(present - {'*'})) or 'none'})")
        keep = set(suite_names) | {"*"}
        results.checks = [c for c in results.checks if c.suite in keep]
        if "not_proved" in results.config:
            results.config["not_proved"] = [r for r in results.config["not_proved"] if r.get("suite") in keep]
        results.config["suites"] = [n for n in results.config.get("suites", suite_names) if n in keep]
    for p in write_all(results, out_dir, simulation_sections(selected), write_json=False).values():
        print(p)
    return 0


def simulate_cmd(suite_names: list[str] | None, args: list[str]) -> int:
    """Run the simulation of each selected suite that declares one (its package's command line, with
    `args`); a suite named explicitly that has no simulation is an InputError."""
    import importlib

    from specs.suite import suites

    selected = suites(suite_names)
    bare = [s.name for s in selected if not s.simulation]
    if suite_names and bare:
        raise InputError(f"--suite {', '.join(bare)}: no simulation declared (suites with one: "
                         f"{', '.join(s.name for s in suites() if s.simulation) or 'none'})")
    code = 0
    for suite in selected:
        if suite.simulation:
            log(f"suite {suite.name}: python -m {suite.simulation} {' '.join(args)}")
            code = max(code, importlib.import_module(f"{suite.simulation}.__main__").main(args))
    return code


# ---------------------------------------------------------------------------------------------
# bench
# ---------------------------------------------------------------------------------------------


BENCH_SCHEMA = "workbench-bench/1"
BENCH_FILE = REPO / "reports" / "bench.json"


def recorded_mix(suite: Any, fixture: Any, sequences: int) -> list[list[dict]]:
    """A fixed call mix: the sequences of a derandomized campaign (profile ci) of the suite's fuzz
    machine on `fixture`, each opening as the machine opens it (BPE's: its "prepare" step)."""
    from harness.fuzz.runner import run_fuzz

    r = run_fuzz(fixture, max_examples=sequences, step_count=40, machine=suite.resolve(suite.fuzz_machine))
    if r.status != "PASSED":
        raise WorkbenchError(f"recording the benchmark mix of suite {suite.name}: the campaign did not pass "
                             f"({r.status}: {r.mismatch or r.message})")
    return r.all_sequences


def bench_suite(suite: Any, engines: tuple[str, ...], n: int) -> dict:
    """One suite's throughput: per engine the raw call rate of a recorded mix against the differential
    step rate on the same mix (three comparison modes). Returns the figures bench.json records."""
    from harness.evm.fixture import deploy, suite_artifacts
    from harness.fuzz.differential import evm_args
    from harness.fuzz.runner import replay_sequences, start_differential
    from invariants.registry import REGISTRY

    suite.register_invariants()
    deployments = suite.resolve(suite.deployments)
    build_system = suite.resolve(suite.build_system)
    artifacts = suite_artifacts(deployments=deployments)
    mix = recorded_mix(suite, deploy("pyrevm", suite, artifacts=artifacts), max(n // 40, 1))
    calls = sum(1 for seq in mix for st in seq if st["op"] in ("call", "raw"))
    print(f"suite {suite.name}: recorded call mix: {len(mix)} sequences, {calls} calls "
          f"(its fuzz machine, profile ci, derandomized)")

    def factory() -> Any:
        return build_system(deployments=deployments)

    figures: dict[str, Any] = {"sequences_recorded": len(mix), "engines": {}}
    for eng in engines:
        # py-evm is the slow, independent engine (BPE: ~200x slower with the Superfluid framework in
        # the loop): it gets the first two sequences of the mix
        seqs = mix if eng != "py-evm" else mix[:2]
        fx = deploy(eng, suite, artifacts=artifacts)
        invariants = REGISTRY.for_contracts(set(fx.addrs))
        encoded, calls = [], 0
        for seq in seqs:
            diff, rest = start_differential(fx, seq, factory, invariants)
            template, out = diff.model, []
            for st in rest:
                if st["op"] == "advance":
                    out.append(("advance", st["blocks"], st["seconds"]))
                    continue
                if st["op"] == "raw":  # malformed calldata, sent as recorded
                    out.append((template.address_of(st["contract"]), bytes.fromhex(st["data"][2:]), st["sender"]))
                else:
                    fn = getattr(template.models[st["contract"]], st["function"])
                    c = fx.contracts[st["contract"]]
                    out.append((c.address, c.abi.encode_call(st["function"], evm_args(fn, st["args"])), st["sender"]))
                calls += 1
            encoded.append((seq, out))
        t0 = time.perf_counter()
        for seq, out in encoded:
            start_differential(fx, seq, factory, invariants)  # back to the state the sequence starts from
            number, stamp = fx.engine.block_number, fx.engine.timestamp
            for item in out:
                if item[0] == "advance":
                    number, stamp = number + item[1], stamp + item[2]
                    fx.engine.set_block(number=number, timestamp=stamp)
                else:
                    fx.engine.call(item[0], item[1], sender=item[2])
        raw = calls / (time.perf_counter() - t0)
        line = f"{eng} ({len(seqs)} sequences, {calls} calls): raw engine calls {raw:8.0f}/s"
        row: dict[str, Any] = {"sequences": len(seqs), "calls": calls, "raw_calls_per_s": round(raw, 1), "modes": {}}
        modes = (("full", "full comparison after every step", True, True),
                 ("environment_at_end", "environment views at sequence end", False, True),
                 ("state_at_end", "outcomes and events per step, state at sequence end", False, False))
        for key, label, each, state in modes:
            # the full mode checks as verify does; the reduced ones measure what skipping costs, and skip
            # the per-step state that the step invariants need
            r = replay_sequences(fx, seqs, observe_each_step=each, state_each_step=state,
                                 require_every_invariant=each and state)
            if r.status != "PASSED":
                raise BenchFailed(f"suite {suite.name} on {eng}: the benchmark mix did not pass: "
                                  f"{r.mismatch or r.message}", r.status)
            rate = r.steps / r.seconds if r.seconds else 0.0
            per_step = calls / r.steps if r.steps else 0.0
            # the differential's engine calls per second against the raw rate of the same calls
            ratio = rate * per_step / raw if raw else 0.0
            row["modes"][key] = {"steps": r.steps, "differential_steps_per_s": round(rate, 2),
                                 "calls_per_step": round(per_step, 3), "ratio": round(ratio, 4)}
            line += f"\n    differential, {label}: {rate:7.1f} steps/s, ratio {ratio:.1%} of raw"
        # the headline figures are the full comparison's: what verify runs
        row.update({k: row["modes"]["full"][k] for k in ("differential_steps_per_s", "calls_per_step", "ratio")})
        figures["engines"][eng] = row
        print(line)
    return figures


class BenchFailed(WorkbenchError):
    """The benchmark mix did not pass differentially: no figure is written."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


def bench(engines: tuple[str, ...], n: int, suite_names: list[str] | None = None, out: Path = BENCH_FILE,
          proofs: bool = True) -> int:
    """Raw engine call rate against differential step rate on a recorded mix, and the proof suite, for
    every selected suite (default: every registered one); the figures go to `out` (bench.json) too."""
    from harness.files import write_text_atomic
    from harness.report.results import collect_tool_versions
    from invariants.suite import prove_suite
    from specs.suite import suites

    selected = suites(suite_names)
    doc: dict[str, Any] = {"schema": BENCH_SCHEMA,
                           "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                           "tool_versions": collect_tool_versions(), "calls_requested": n, "suites": {}}
    for suite in selected:
        try:
            figures = bench_suite(suite, engines, n)
        except BenchFailed as e:
            print(str(e))
            return EXIT_VIOLATED if e.status == "VIOLATED" else EXIT_TOOL_ERROR
        if proofs:
            t0 = time.perf_counter()
            rs = prove_suite(suite, jobs=2)
            total = time.perf_counter() - t0
            counts: dict[str, int] = {}
            for r in rs:
                counts[r.status] = counts.get(r.status, 0) + 1
            print(f"suite {suite.name}: proof suite: {len(rs)} obligations in {total:.1f} s (2 jobs): "
                  + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
            for r in sorted(rs, key=lambda r: -r.seconds):  # the time of every obligation, slowest first
                print(f"  {r.seconds:7.2f} s  {r.status:12} {r.id}")
            figures["proofs"] = {"obligations": len(rs), "seconds": round(total, 1), "jobs": 2, "statuses": counts,
                                 "slowest": [{"id": r.id, "status": r.status, "seconds": round(r.seconds, 2)}
                                             for r in sorted(rs, key=lambda r: -r.seconds)[:10]]}
        doc["suites"][suite.name] = figures
    write_text_atomic(out, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    print(f"figures: {out}")
    return 0


# ---------------------------------------------------------------------------------------------


def engine_list(text: str) -> tuple[str, ...]:
    """`--engines` as a tuple of known engine names."""
    engines = tuple(e for e in text.split(",") if e)
    unknown = [e for e in engines if e not in ENGINES]
    if not engines or unknown:
        raise argparse.ArgumentTypeError(f"unknown engine(s) {', '.join(unknown) or '(none)'}; "
                                         f"known: {', '.join(ENGINES)}")
    return engines


def export_to_forge(results: Any, forge_dir: Path) -> None:
    """Write a Foundry test per exportable counterexample of a VIOLATED run into `forge_dir` (the others
    are listed in NOT-EXPORTED.txt there, with why). A convenience beside the reports: its failure is
    logged and leaves the run's verdict and exit code as they are."""
    from harness.forge import export_violations

    try:
        exported = export_violations(results, forge_dir)
    except Exception as e:  # the verdict is already written; the export must not change it
        log(f"export-forge: not written: {type(e).__name__}: {' '.join(str(e).split())}")
        return
    skipped = forge_dir / "NOT-EXPORTED.txt"
    log(f"Foundry tests of the counterexamples: {len(exported)} in {forge_dir}"
        + (f" (not exported, with why: {skipped})" if skipped.exists() else ""))


def workbench_version() -> str:
    """The version of this checkout (its pyproject.toml), else of the installed distribution."""
    import tomllib
    from importlib import metadata

    try:
        return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (neither a checkout's pyproject.toml nor an installed distribution)"


# The distribution pyproject.toml declares, and the console command it installs (harness.cli:console).
DISTRIBUTION = "bpe-workbench"
COMMAND = "workbench"


def build_parser(prog: str = "python -m harness.cli") -> ArgumentParser:
    from specs.suite import suite_names

    ap = ArgumentParser(prog=prog, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"%(prog)s {workbench_version()}")
    ap.add_argument("--debug", action="store_true", help="show the traceback of a tool error")
    sub = ap.add_subparsers(dest="cmd", required=True, parser_class=ArgumentParser)
    v = sub.add_parser("verify", help="compile, prove, fuzz, write every report format (exit code gates CI)")
    v.add_argument("--suite", action="append", choices=suite_names(), dest="suites",
                   help="a registered suite to verify (repeatable; default: every registered one)")
    v.add_argument("--out", type=Path, default=REPO / "reports", help="where verify.json and REPORT.md go")
    v.add_argument("--engines", type=engine_list, default=ENGINES, help="comma-separated: pyrevm,py-evm")
    v.add_argument("--profile", default="ci", choices=["dev", "ci", "nightly"], help="hypothesis profile")
    v.add_argument("--prover-rlimit", type=rlimit_arg, default=FULL,
                   help="z3 work budget (rlimit units) per proof query; see specs/budget.py")
    v.add_argument("--fail-fast", action="store_true",
                   help="once a check is VIOLATED, skip what is left (the other engines' share, the mutation "
                        "sample, the other suites); the configuration lists what was skipped")
    v.add_argument("--scheduler", default=None, type=scheduler_arg, metavar="ADDRESS",
                   help="a Dask scheduler (tcp://host:8786): fuzz shards and the mutation sample run as tasks on "
                        "its workers (harness/cluster.py); default, this machine's processes")
    v.add_argument("--mutation-sample", type=int, default=MUTATION_SAMPLE["n"],
                   help=f"mutants run at the end (seed {MUTATION_SAMPLE['seed']}); 0 skips the step, and the "
                        "report's configuration says so")
    r = sub.add_parser("replay", help="replay a shrunk fuzz sequence on the model and an EVM")
    r.add_argument("file", type=Path)
    r.add_argument("--engine", default="pyrevm", choices=[*ENGINES, "both"], help="pyrevm, py-evm or both")
    rep = sub.add_parser("report", help="re-render every report format from verify.json")
    rep.add_argument("--out", type=Path, default=REPO / "reports")
    rep.add_argument("--suite", action="append", choices=suite_names(), dest="suites",
                     help="render only this suite's checks and the whole run's (repeatable; default: all)")
    sim = sub.add_parser("simulate", help="run the simulation of every selected suite that declares one")
    sim.add_argument("--suite", action="append", choices=suite_names(), dest="suites",
                     help="a registered suite (repeatable; default: every one with a simulation)")
    sim.add_argument("args", nargs=argparse.REMAINDER,
                     help="passed to the suite's simulation (BPE: run SCENARIO... | bench; see its --help)")
    b = sub.add_parser("bench", help="engine and differential throughput, proof times (writes reports/bench.json)")
    b.add_argument("--suite", action="append", choices=suite_names(), dest="suites",
                   help="a registered suite to measure (repeatable; default: every registered one)")
    b.add_argument("--engines", type=engine_list, default=ENGINES)
    b.add_argument("--calls", type=int, default=400, help="length of the recorded call mix (sequences of 40)")
    b.add_argument("--out", type=Path, default=BENCH_FILE, help="where the figures go (JSON)")
    b.add_argument("--no-proofs", action="store_true", help="measure the engines only, not the proof suite")
    from harness.forge import add_parser as add_forge_parser

    add_forge_parser(sub)
    m = sub.add_parser("mutate", help="the mutation runner (run, list, bench, report; see `mutate --help`)",
                       add_help=False)
    m.add_argument("args", nargs=argparse.REMAINDER, help="passed to `python -m harness.mutate`")
    c = sub.add_parser("completion", help="print a shell completion script")
    c.add_argument("shell", choices=["bash"], help="bash (zsh: load it after `autoload bashcompinit && bashcompinit`)")
    return ap


def console() -> None:
    """The console command's entry point (pyproject.toml [project.scripts])."""
    sys.exit(main(prog=COMMAND))


def main(argv: list[str] | None = None, prog: str = "python -m harness.cli") -> int:
    ap = build_parser(prog)
    argv = sys.argv[1:] if argv is None else list(argv)
    a, extra = ap.parse_known_args(argv)
    if a.cmd == "mutate":  # everything after the word is the mutation runner's, its --help included
        a.args = argv[argv.index("mutate") + 1:]
    elif extra:
        ap.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return run_command(a)
    except CompileError as e:
        log(str(e))
        return EXIT_TOOL_ERROR
    except WorkbenchError as e:
        if a.debug:
            raise
        log("workbench error: " + "; ".join(ln.strip() for ln in str(e).splitlines() if ln.strip()))
        return EXIT_TOOL_ERROR
    except KeyboardInterrupt:
        log("interrupted")
        return EXIT_TOOL_ERROR
    except Exception as e:  # a bug of the workbench: one line, the traceback with --debug
        if a.debug:
            raise
        log(f"internal error: {type(e).__name__}: {e} (run with --debug for the traceback)")
        return EXIT_TOOL_ERROR


def run_command(a: argparse.Namespace) -> int:
    """Run the parsed subcommand; its exit code."""
    if a.cmd == "verify":
        cluster = {"scheduler": a.scheduler} if a.scheduler else {}
        return verify(out_dir=a.out, suite_names=a.suites, engines=a.engines, profile_name=a.profile,
                      prover_rlimit=a.prover_rlimit, budget={**FUZZ_BUDGET, **cluster},
                      mutation_sample={**MUTATION_SAMPLE, "n": a.mutation_sample, **cluster} if a.mutation_sample else {},
                      fail_fast=a.fail_fast)
    if a.cmd == "replay":
        return replay_cmd(a.file, ENGINES if a.engine == "both" else (a.engine,))
    if a.cmd == "report":
        return report_cmd(a.out, a.suites)
    if a.cmd == "simulate":
        return simulate_cmd(a.suites, a.args)
    if a.cmd == "bench":
        return bench(a.engines, a.calls, a.suites, a.out, proofs=not a.no_proofs)
    if a.cmd == "export-forge":
        from harness.forge import run as export_forge_cmd

        return export_forge_cmd(a)
    if a.cmd == "mutate":
        from harness.mutate.__main__ import main as mutate_main

        return mutate_main(a.args)
    if a.cmd == "completion":
        print(bash_completion(build_parser(COMMAND)), end="")
        return 0
    raise AssertionError(f"no such subcommand {a.cmd!r}")  # argparse admits only the ones above


def bash_completion(ap: ArgumentParser) -> str:
    """A bash completion script for `ap`: its subcommands and options, each subcommand's options and
    choices, file names otherwise. Generated from the parser, so it lists what the command takes."""
    subs = next(a for a in ap._actions if isinstance(a, argparse._SubParsersAction))  # argparse has no public walk
    top = [*subs.choices, *(o for a in ap._actions for o in a.option_strings)]
    cases = []
    for name, p in subs.choices.items():
        words = [o for a in p._actions for o in a.option_strings]
        words += [str(ch) for a in p._actions if not a.option_strings and a.choices for ch in a.choices]
        if name == "mutate":  # its own parser's subcommands
            words += ["run", "list", "bench", "report"]
        cases.append(f"    {name}) words={_shell_quote(' '.join(words))} ;;")
    fn = "_" + ap.prog.replace("-", "_").replace(" ", "_").replace(".", "_")
    return "\n".join([
        f"# bash completion for {ap.prog} (generated by `{ap.prog} completion bash`)",
        f"{fn}() {{",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" words=""',
        '  if [ "$COMP_CWORD" -eq 1 ]; then',
        f"    COMPREPLY=($(compgen -W {_shell_quote(' '.join(top))} -- \"$cur\"))",
        "    return",
        "  fi",
        '  case "${COMP_WORDS[1]}" in',
        *cases,
        "  esac",
        '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        '  if [ "${#COMPREPLY[@]}" -eq 0 ]; then COMPREPLY=($(compgen -f -- "$cur")); fi',
        "}",
        f"complete -F {fn} {ap.prog}",
        "",
    ])


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    sys.exit(main())
