"""The proofs of a suite in one call: what `make verify` and `make bench` run.

    from invariants.suite import prove_suite
    from specs.suite import get_suite
    results = prove_suite(get_suite("bpe"), jobs=2, rlimit=FULL)   # list[ObligationResult]

A suite declares its proof strategies (`Suite.proof_parts`, specs/suite.py): each is run in the
declared order, and what none proves yet comes back as UNSUPPORTED rows (`Suite.unproved`), never
left out. This module knows no suite by name.

Coverage, computed from the registry and failing closed (`coverage`): every state and step invariant
registered for the suite's contracts (by its `invariant_modules`) must have at least one obligation in
the parts' results (an obligation is of invariant X when its id is X or starts with "X/", whatever its
status: an UNSUPPORTED obligation names its reason) or a row in the suite's `unproved` list. Otherwise:
- no part produced an obligation for X and `unproved` does not list it: an UNSUPPORTED row `X/*`,
  "not covered by any proof strategy" (also when X declares a part that produced nothing: the
  invariant is not proved, and `verify` lists it under "Not proved yet" and exits 2);
- X is covered, but not as it declares (`proved_by`, invariants/registry.py; empty: the suite's
  `default_proof_part`): a part it does not declare produced obligations of X, a declared part is no
  proof part of the suite, or a declared part produced no obligation of X (unless `unproved` lists X):
  an ERROR row `X/proved-by` naming the parts. ERROR, not UNSUPPORTED: the declaration and the
  strategies disagree, a workbench bug, and the obligations of X are still reported as they came.

A VIOLATED result carries `counterexample` (invariants.prover.Counterexample); replay it on an EVM
with `harness.fuzz.evm_replay.replay_on_evm(cex, fixture)` where `fixture` is the suite deployed
(`harness.evm.fixture.deploy(engine, suite)`).
"""

from __future__ import annotations

from typing import Any

from specs.budget import FULL, rlimit_arg
from invariants.prover import ERROR, UNSUPPORTED, ObligationResult
from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.suite import Suite, suites

NOT_COVERED = "not covered by any proof strategy"


def proof_parts(suite: Suite | None = None, *, jobs: int = 1,
                rlimit: int = FULL) -> dict[str, list[ObligationResult]]:
    """A suite's results by part, in the order its declaration lists its proof strategies (BPE:
    "system" (the lemmas and the proved system), "escrow_buffer", "rebalance", "pipeline", "flow").
    Default: the first registered suite. The test suite computes them once and shares them."""
    suite = suite or suites()[0]
    suite.register_invariants()
    return {part.name: suite.part_runner(part)(jobs=jobs, rlimit=rlimit) for part in suite.proof_parts}


def proof_results(suite: Suite | None = None, *, jobs: int = 1, rlimit: int = FULL) -> list[ObligationResult]:
    """Every obligation a suite's strategies prove (PROVED, VIOLATED, INCONCLUSIVE...), then the rows
    of the coverage check (`coverage`). `make verify` reports these; `prove_suite` adds the suite's
    declared rows not proved yet."""
    suite = suite or suites()[0]
    parts = proof_parts(suite, jobs=jobs, rlimit=rlimit)
    return [r for part in parts.values() for r in part] + coverage(suite, parts, unproved(suite))


def unproved(suite: Suite) -> list[ObligationResult]:
    """What no strategy of `suite` proves yet, as UNSUPPORTED rows (its declaration's `unproved`)."""
    return list(suite.resolve(suite.unproved)()) if suite.unproved else []


def suite_invariants(suite: Suite) -> list[Any]:
    """The state and step invariants registered for the suite's contracts (its `invariant_modules`
    imported first), in registration order."""
    suite.register_invariants()
    names = set(suite.contract_names())
    return [*REGISTRY.for_contracts(names), *STEP_REGISTRY.for_contracts(names)]


def declared_parts(suite: Suite, inv: Any) -> tuple[str, ...]:
    """The proof parts `inv` says prove it: its `proved_by`, else the suite's `default_proof_part`."""
    return tuple(inv.proved_by) or ((suite.default_proof_part,) if suite.default_proof_part else ())


def _of(result_id: str, inv_id: str) -> bool:
    """Whether an obligation (or a row) of this id is one of invariant `inv_id`'s."""
    return result_id == inv_id or result_id.startswith(inv_id + "/")


def coverage(suite: Suite, parts: dict[str, list[ObligationResult]],
             unproved_rows: list[ObligationResult]) -> list[ObligationResult]:
    """The registered invariants of `suite` its proof results do not cover as declared (the module
    docstring gives the rules): an UNSUPPORTED row per invariant no part covers and `unproved_rows` do
    not list, an ERROR row per invariant covered otherwise than its `proved_by` says. Empty when every
    invariant is covered by exactly the parts it declares."""
    known_parts = suite.part_names()
    out: list[ObligationResult] = []
    for inv in suite_invariants(suite):
        declared = declared_parts(suite, inv)
        producers = [name for name, results in parts.items() if any(_of(r.id, inv.id) for r in results)]
        listed = any(_of(r.id, inv.id) for r in unproved_rows)
        unknown = [d for d in declared if d not in known_parts]
        silent = [d for d in declared if d in known_parts and d not in producers]
        if not declared:
            said = f"it declares no proof part (no proved_by, and suite {suite.name} has no default_proof_part)"
        else:
            said = f"it declares proved_by {', '.join(declared)}"
        if not producers and not listed:
            why = [said]
            if unknown:
                why.append(f"{', '.join(unknown)}: no proof part of suite {suite.name} "
                           f"(its parts: {', '.join(known_parts) or 'none'})")
            if silent:
                why.append(f"{', '.join(silent)} produced no obligation of it")
            out.append(ObligationResult(f"{inv.id}/*", "proof", inv.contract, UNSUPPORTED, 0.0, inv.statement,
                                        {"message": f"{NOT_COVERED}: " + "; ".join(why),
                                         "proved_by": list(declared)}))
            continue
        problems = []
        if not declared:
            problems.append(said)
        if unknown:
            problems.append(f"proved_by names {', '.join(unknown)}, no proof part of suite {suite.name} "
                            f"(its parts: {', '.join(known_parts) or 'none'})")
        undeclared = [p for p in producers if p not in declared]
        if undeclared and declared:
            problems.append(f"obligations of it come from {', '.join(undeclared)}, which it does not declare "
                            f"(proved_by: {', '.join(declared)})")
        elif undeclared:
            problems.append(f"obligations of it come from {', '.join(undeclared)}")
        if silent and not listed:
            problems.append(f"{', '.join(silent)}, which it declares, produced no obligation of it")
        if problems:
            out.append(ObligationResult(
                f"{inv.id}/proved-by", "proof", inv.contract, ERROR, 0.0,
                f"The obligations of {inv.id} come from the proof parts it declares.",
                {"message": "proved_by does not match the proof results: " + "; ".join(problems),
                 "proved_by": list(declared), "obligations_from": producers}))
    return out


def prove_suite(suite: Suite | None = None, *, jobs: int = 1, rlimit: int = FULL) -> list[ObligationResult]:
    suite = suite or suites()[0]
    return proof_results(suite, jobs=jobs, rlimit=rlimit) + unproved(suite)


def main(argv: list[str] | None = None) -> int:
    """`python -m invariants.suite [--suite NAME] [--jobs N] [--rlimit R]`: run the proofs of
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
    ap.add_argument("--rlimit", type=rlimit_arg, default=FULL,
                    help="z3 work budget (rlimit units) per query (specs/budget.py)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--debug", action="store_true", help="show the traceback of a crash of the provers")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        results = [r for s in suites(a.suite) for r in prove_suite(s, jobs=a.jobs, rlimit=a.rlimit)]
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
