"""`python -m harness.mutate {list,run,report,bench}`.

list    print the mutants (id, operator, original -> replacement)
run     run a campaign: every mutant of --contracts (default all), or --sample N chosen by --seed;
        --jobs workers (default 2), or --scheduler ADDRESS: one task per mutant on that Dask cluster
        (harness/cluster.py); results appended to --out/results.jsonl as they come (--resume skips
        mutants that already have a verdict for the same source), then --out/REPORT.md and summary.json
report  re-render REPORT.md and summary.json from results.jsonl (the latest verdict per mutant, current sources;
        --suite: that suite's mutants only)
bench   mutants per minute on a fixed sample

Exit code of run/report: 0 score >= 95% and no survivor, 1 a non-equivalent survivor, 3 a tool error.
"""

from __future__ import annotations

import argparse
from collections import Counter
import json
import sys
import time
from pathlib import Path

from specs.errors import EXIT_OK, EXIT_TOOL_ERROR, EXIT_VIOLATED, ArgumentParser, InputError, WorkbenchError
from harness.files import write_text_atomic
from harness.cluster import scheduler_arg

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "mutants"


def _load(path: Path) -> list[dict]:
    """The verdicts in results.jsonl, one JSON object a line. A torn last line (the run was killed while
    appending it) is dropped with a warning: that mutant runs again on --resume. Any other line that is
    not a verdict is an InputError naming the file and the line."""
    from specs.errors import InputError

    if not path.exists():
        return []
    lines = path.read_text().split("\n")
    out = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if i == len(lines):  # no newline after it: a write that did not finish
                print(f"{path}:{i}: dropping a torn last line (the run was interrupted while writing it)",
                      file=sys.stderr)
                continue
            raise InputError(f"{path}:{i}: not a JSON verdict ({exc})") from None
        if not isinstance(record, dict) or "id" not in record:
            raise InputError(f"{path}:{i}: not a mutant verdict (no \"id\")")
        out.append(record)
    return out


def _write_report(out: Path, results: list[dict], meta: dict) -> int:
    from harness.mutate.report import THRESHOLD, markdown, score
    from harness.mutate.run import apply_equivalents

    results = apply_equivalents(results)
    s = score(results)
    write_text_atomic(out / "REPORT.md", markdown(results, meta))
    write_text_atomic(out / "summary.json", json.dumps({"meta": meta, **s}, indent=2, sort_keys=True) + "\n")
    o = s["overall"]
    print(f"score {o['score'] if o['score'] is None else round(100 * o['score'], 1)}%: killed {o['killed']}, "
          f"survived {o['survived']}, equivalent {o['equivalent']}, stillborn {o['stillborn']}, error {o['error']} "
          f"of {o['generated']}; report {out / 'REPORT.md'}")
    if o["survived"]:
        return EXIT_VIOLATED
    if o["error"] or o["score"] is None:
        return EXIT_TOOL_ERROR
    return EXIT_OK if o["score"] >= THRESHOLD else EXIT_VIOLATED


def main(argv: list[str] | None = None) -> int:
    from specs.suite import suite_names

    ap = ArgumentParser(prog="python -m harness.mutate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("list", "run", "bench"):
        p = sub.add_parser(name)
        p.add_argument("--suite", choices=suite_names(), default=None,
                       help="mutate this registered suite's sources only (its `mutation_sources`)")
        p.add_argument("--contracts", default="", help="comma-separated (default: all mutated contracts)")
        p.add_argument("--sample", type=int, default=0, help="run N mutants chosen by --seed (0: all)")
        p.add_argument("--seed", type=int, default=6)
        p.add_argument("--ops", default="", help="comma-separated operators to keep (default: all)")
        p.add_argument("--jobs", type=int, default=2)
        p.add_argument("--sequences", type=int, default=None, help="fuzz sequences per mutant")
        p.add_argument("--steps", type=int, default=None, help="steps per sequence")
        p.add_argument("--out", type=Path, default=OUT)
        p.add_argument("--resume", action="store_true",
                       help="keep earlier verdicts in --out/results.jsonl (with --only: the listed mutants run "
                            "again and their new verdicts replace the earlier ones)")
        p.add_argument("--only", default="", help="comma-separated mutant ids")
        p.add_argument("--escalate", type=int, default=None,
                       help="survivors of the base budget run again with this many sequences (second tier)")
        p.add_argument("--machine", default=None,
                       help="fuzz machine, module:Class (default: the machine of each mutated contract's suite)")
        if name == "run":
            p.add_argument("--scheduler", default=None, type=scheduler_arg, metavar="ADDRESS",
                           help="a Dask scheduler (tcp://host:8786): run each mutant as a task on its workers")
    rp = sub.add_parser("report")
    rp.add_argument("--suite", choices=suite_names(), default=None,
                    help="the mutants of this registered suite's sources only (default: every suite's)")
    rp.add_argument("--out", type=Path, default=OUT)
    a = ap.parse_args(argv)
    try:
        return _run(a)
    except WorkbenchError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return exc.exit_code


def _run(a: argparse.Namespace) -> int:
    if a.cmd == "report":
        from harness.mutate.run import source_digest

        from harness.evm.compile import compile_contracts
        from harness.mutate.operators import generate

        digest = source_digest()
        latest = {r["id"]: r for r in _load(a.out / "results.jsonl") if r.get("source_digest") == digest}
        own = None
        if a.suite:
            from specs.suite import get_suite

            own = list(get_suite(a.suite).mutation_sources)
        every = generate(compile_contracts(), own)
        not_run = [m.id for m in every if m.id not in latest]
        return _write_report(a.out, [latest[m.id] for m in every if m.id in latest], {
            "verdicts": f"{len(latest)} of the {len(every)} mutants generated from the current sources (the latest "
                        f"verdict per mutant in results.jsonl); not run yet: {len(not_run)}",
            "not_run_per_contract": dict(Counter(i.split(".")[0] for i in not_run)),
            "source_digest": digest})

    from harness.evm.compile import compile_contracts
    from harness.mutate.operators import generate
    from harness.mutate.run import BUDGET, machine_digest, machine_of, run_mutants, sample, source_digest

    budget = dict(BUDGET)
    if a.sequences:
        budget["max_examples"] = a.sequences
    if a.steps:
        budget["step_count"] = a.steps
    if a.cmd == "bench":
        from harness.mutate.report import bench

        bench(n=a.sample or 6, seed=a.seed, jobs=a.jobs, budget=budget)
        return EXIT_OK
    build = compile_contracts()
    contracts = [c for c in a.contracts.split(",") if c]
    if a.suite:
        from specs.suite import get_suite

        own = list(get_suite(a.suite).mutation_sources)
        outside = [c for c in contracts if c not in own]
        if outside:
            raise InputError(f"--contracts {','.join(outside)}: not mutation sources of suite {a.suite} "
                             f"({', '.join(own)})")
        contracts = contracts or own
    mutants = generate(build, contracts or None)
    if a.ops:
        mutants = [m for m in mutants if m.op in a.ops.split(",")]
    if a.only:
        ids = set(a.only.split(","))
        mutants = [m for m in mutants if m.id in ids]
    if a.sample:
        mutants = sample(mutants, a.sample, a.seed)
    if a.cmd == "list":
        for m in mutants:
            print(f"{m.id}\t{m.original[:50]!r} -> {m.replacement[:50]!r}")
        print(f"{len(mutants)} mutants", file=sys.stderr)
        return EXIT_OK

    a.out.mkdir(parents=True, exist_ok=True)
    jsonl = a.out / "results.jsonl"
    digest = source_digest()
    machines = sorted({a.machine or machine_of(m.contract) for m in mutants})
    mdigest = "+".join(machine_digest(x) for x in machines)
    kept = _load(jsonl) if a.resume else []
    if a.resume:  # rewritten whole: a torn last line, if any, is gone before new verdicts are appended
        write_text_atomic(jsonl, "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept))
    earlier = {r["id"]: r for r in kept if r.get("source_digest") == digest}
    # --only names mutants to run now: with --resume they run again (the later line in results.jsonl wins)
    todo = [m for m in mutants if a.only or m.id not in earlier]
    if not a.resume:
        jsonl.write_text("")
    print(f"{len(mutants)} mutants ({len(earlier)} already done), {a.jobs} workers, budget {budget}", file=sys.stderr)
    t0 = time.perf_counter()
    done = [0]

    def on_result(r: dict) -> None:
        r["source_digest"] = digest
        with jsonl.open("a") as f:
            f.write(json.dumps(r, sort_keys=True) + "\n")
        done[0] += 1
        el = time.perf_counter() - t0
        print(f"[{done[0]}/{len(todo)} {el:.0f}s] {r['id']}: {r['status']} {r['killed_by']} ({r['seconds']:.1f}s)",
              file=sys.stderr, flush=True)

    run_mutants(todo, jobs=a.jobs, budget=budget, on_result=on_result, machine=a.machine,
                escalate=a.escalate, scheduler=a.scheduler)
    wall = time.perf_counter() - t0
    results = {r["id"]: r for r in _load(jsonl) if r.get("source_digest") == digest}
    wanted = [results[m.id] for m in mutants if m.id in results]
    meta = {"mutants": len(wanted), "jobs": a.jobs, "fuzz_budget": budget, "seed": a.seed, "sample": a.sample,
            "machine": a.machine or ",".join(machines), "escalate": a.escalate, "wall_seconds_this_run": round(wall, 1),
            "mutants_per_minute_this_run": round(len(todo) * 60 / wall, 2) if wall and todo else None,
            "source_digest": digest, "machine_digest": mdigest}
    return _write_report(a.out, wanted, meta)


if __name__ == "__main__":
    sys.exit(main())
