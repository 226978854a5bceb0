"""The whole proof suite in one call: what `make verify` and `make bench` run.

    from invariants.suite import prove_suite
    results = prove_suite(jobs=2, timeout_ms=30_000)   # list[ObligationResult], in a stable order

- lemmas: LEMMA-SQRT-001..005 (BPEMath.sqrt), LEMMA-FLOW-001..007 (GDA arithmetic, BPE-FLOW);
- the proved system TestToken + StakeManager + CapacityRegistry: init and inductive step of every state
  invariant, every step invariant, a vacuity check per transition (`Prover`, `jobs` worker processes);
- EscrowBuffer under assume-guarantee stubs for the Superfluid callees (invariants/assume_guarantee.py),
  drain's loops through proved loop summaries (invariants/drain.py, invariants/loops.py);
- BackpressurePool's rebalance and needsRebalance per element, by induction over their loops, under a
  pool stub whose guarantees are lemmas over the GDA model (invariants/rebalance.py);
- BPE-BUFFER-003 across Pipeline.deposit/drain per element by induction over the stage loop, with
  BPE-PIPE-001 and BPE-BUFFER-ROW-001 (invariants/pipeline.py);
- BPE-FLOW-001 (strengthened) and BPE-FLOW-002 (its inductive parts across every external function of
  the Superfluid models run symbolically, and the derivation of the realtime sum from them)
  (invariants/flow.py);
- everything not proved yet as UNSUPPORTED rows (`unsupported_obligations`), never left out.

A VIOLATED result carries `counterexample` (invariants.prover.Counterexample); replay it on an EVM
with `harness.fuzz.evm_replay.replay_on_evm(cex, fixture)` where `fixture` is the full suite
(`harness.evm.fixture.deploy_suite(engine, suite_artifacts())`).
"""

from __future__ import annotations

import invariants.all  # noqa: F401  (registers every invariant)
from invariants.all import LEMMAS
from invariants.assume_guarantee import escrow_buffer_prover
from invariants.prover import ObligationResult, Prover, unsupported_obligations
from invariants.flow import prove_flow
from invariants.pipeline import prove_pipeline
from invariants.rebalance import prove_rebalance


def proof_parts(*, jobs: int = 1, timeout_ms: int = 30_000,
                prover: Prover | None = None) -> dict[str, list[ObligationResult]]:
    """The suite's results by part, in the suite's order: "system" (the lemmas and the proved system),
    "escrow_buffer", "rebalance", "pipeline", "flow". The test suite computes them once and shares them."""
    return {
        "system": (prover or Prover(timeout_ms=timeout_ms)).run(lemmas=LEMMAS, jobs=jobs),
        "escrow_buffer": escrow_buffer_prover(timeout_ms=timeout_ms).run(jobs=jobs),
        "rebalance": prove_rebalance(jobs=jobs, timeout_ms=timeout_ms),
        "pipeline": prove_pipeline(jobs=jobs, timeout_ms=timeout_ms),
        "flow": prove_flow(jobs=jobs, timeout_ms=timeout_ms),
    }


def proof_results(*, jobs: int = 1, timeout_ms: int = 30_000, prover: Prover | None = None) -> list[ObligationResult]:
    """Every obligation the workbench proves (PROVED, VIOLATED, INCONCLUSIVE...): the lemmas, the proved
    system, and the provers of the contracts that call the Superfluid framework. `make verify` reports
    these; `prove_suite` adds the rows not proved yet."""
    return [r for part in proof_parts(jobs=jobs, timeout_ms=timeout_ms, prover=prover).values() for r in part]


def prove_suite(*, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    return proof_results(jobs=jobs, timeout_ms=timeout_ms) + unsupported_obligations()


def main(argv: list[str] | None = None) -> int:
    """`python -m invariants.suite [--jobs N] [--timeout-ms T]`: run the whole proof suite, print the
    total time, the count per status and the slowest obligations (the figures `make bench` wants).
    Exit code: 0 all PROVED, 1 something VIOLATED, 2 otherwise INCONCLUSIVE or UNSUPPORTED, 3 the
    provers crashed (one line; --debug shows the traceback)."""
    import os
    import sys
    import time

    from specs.errors import EXIT_TOOL_ERROR, ArgumentParser

    ap = ArgumentParser(prog="python -m invariants.suite")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout-ms", type=int, default=30_000)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--debug", action="store_true", help="show the traceback of a crash of the provers")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        results = prove_suite(jobs=a.jobs, timeout_ms=a.timeout_ms)
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
