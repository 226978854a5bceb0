"""The proofs of a suite in one call: what `make verify` and `make bench` run.

    from invariants.suite import prove_suite
    from specs.suite import get_suite
    results = prove_suite(get_suite("bpe"), jobs=2, timeout_ms=30_000)   # list[ObligationResult]

A suite declares its proof strategies (`Suite.proof_parts`, specs/suite.py): each is run in the
declared order, and what none proves yet comes back as UNSUPPORTED rows (`Suite.unproved`), never
left out. This module knows no suite by name.

A VIOLATED result carries `counterexample` (invariants.prover.Counterexample); replay it on an EVM
with `harness.fuzz.evm_replay.replay_on_evm(cex, fixture)` where `fixture` is the suite deployed
(`harness.evm.fixture.deploy_suite(engine, suite_artifacts())`).
"""

from __future__ import annotations

from invariants.prover import ObligationResult
from specs.suite import Suite, suites


def proof_parts(suite: Suite | None = None, *, jobs: int = 1,
                timeout_ms: int = 30_000) -> dict[str, list[ObligationResult]]:
    """A suite's results by part, in the order its declaration lists its proof strategies (BPE:
    "system" (the lemmas and the proved system), "escrow_buffer", "rebalance", "pipeline", "flow").
    Default: the first registered suite. The test suite computes them once and shares them."""
    suite = suite or suites()[0]
    suite.register_invariants()
    return {part.name: suite.part_runner(part)(jobs=jobs, timeout_ms=timeout_ms) for part in suite.proof_parts}


def proof_results(suite: Suite | None = None, *, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    """Every obligation a suite's strategies prove (PROVED, VIOLATED, INCONCLUSIVE...). `make verify`
    reports these; `prove_suite` adds the rows not proved yet."""
    return [r for part in proof_parts(suite, jobs=jobs, timeout_ms=timeout_ms).values() for r in part]


def unproved(suite: Suite) -> list[ObligationResult]:
    """What no strategy of `suite` proves yet, as UNSUPPORTED rows (its declaration's `unproved`)."""
    return list(suite.resolve(suite.unproved)()) if suite.unproved else []


def prove_suite(suite: Suite | None = None, *, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    suite = suite or suites()[0]
    return proof_results(suite, jobs=jobs, timeout_ms=timeout_ms) + unproved(suite)


def main(argv: list[str] | None = None) -> int:
    """`python -m invariants.suite [--suite NAME] [--jobs N] [--timeout-ms T]`: run the proofs of
    the named suites (default: every registered one), print the
    total time, the count per status and the slowest obligations (the figures `make bench` wants).
    Exit code: 0 all PROVED, 1 something VIOLATED, 2 otherwise INCONCLUSIVE or UNSUPPORTED, 3 the
    provers crashed (one line; --debug shows the traceback)."""
    import os
    import sys
    import time

    from specs.errors import EXIT_TOOL_ERROR, ArgumentParser
    from specs.suite import suite_names

    ap = ArgumentParser(prog="python -m invariants.suite")
    ap.add_argument("--suite", action="append", choices=suite_names(),
                    help="a registered suite (repeatable; default: every one)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout-ms", type=int, default=30_000)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--debug", action="store_true", help="show the traceback of a crash of the provers")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        results = [r for s in suites(a.suite) for r in prove_suite(s, jobs=a.jobs, timeout_ms=a.timeout_ms)]
    except Exception as exc:  # a crash (a model bug, the solver, a worker killed) is a tool error, never 1
        if a.debug:
            raise
        text = " ".join(str(exc).split())
        print(f"error: the proof suite did not finish: {type(exc).__name__}: {text} (--debug shows the traceback)",
              file=sys.stderr)
        return EXIT_TOOL_ERROR
    total = time.perf_counter() - t0
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    print(f"proof suite: {len(results)} obligations in {total:.1f} s ({a.jobs} jobs): "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    for r in sorted(results, key=lambda r: -r.seconds)[:a.top]:
        print(f"  {r.seconds:7.2f} s  {r.status:12} {r.id}")
    for r in results:
        if r.status not in ("PROVED", "UNSUPPORTED"):
            print(f"  {r.status}: {r.id} {r.details.get('message', '')}")
    return 0 if all(r.status == "PROVED" for r in results) else (
        1 if any(r.status == "VIOLATED" for r in results) else 2)


if __name__ == "__main__":
    raise SystemExit(main())
