"""BPE's proof parts that run the generic prover; specs/bpe/suite.py lists every part, in this order:

- lemmas: LEMMA-SQRT-001..005 (BPEMath.sqrt), LEMMA-FLOW-001..007 (GDA arithmetic, BPE-FLOW);
- the proved system TestToken + StakeManager + CapacityRegistry: init and inductive step of every state
  invariant, every step invariant, a vacuity check per transition (`Prover`, `jobs` worker processes);
- EscrowBuffer under assume-guarantee stubs for the Superfluid callees (invariants/bpe/assume_guarantee.py),
  drain's loops through proved loop summaries (invariants/bpe/drain.py, invariants/loops.py);
- BackpressurePool's rebalance and needsRebalance per element, by induction over their loops, under a
  pool stub whose guarantees are lemmas over the GDA model (invariants/bpe/rebalance.py);
- BPE-BUFFER-003 across Pipeline.deposit/drain per element by induction over the stage loop, with
  BPE-PIPE-001 and BPE-BUFFER-ROW-001 (invariants/bpe/pipeline.py);
- BPE-FLOW-001 (strengthened) and BPE-FLOW-002 (its inductive parts across every external function of
  the Superfluid models run symbolically, and the derivation of the realtime sum from them)
  (invariants/bpe/flow.py);
- everything not proved yet as UNSUPPORTED rows (the suite's `unproved`: `unsupported_obligations`
  below), never left out; and invariants/suite.py's coverage check adds a row for any registered invariant
  no part covers, or covers otherwise than its `proved_by` says (the invariant modules name the part:
  `proved_by="flow"`; without it, the suite's `default_proof_part`, "system").

The BPE facts the generic prover does not hold are here and in specs/bpe/suite.py: the proved system
(`PROVED_DEPLOYMENTS`), the environment every result states (`ENVIRONMENT`: the prover's own
assumptions and the suite's `proof_environment`) and the rows not proved yet.
"""

from __future__ import annotations

from specs.budget import FULL
from specs.bpe.suite import PROVED_DEPLOYMENTS, SUITE
from specs.bpe.system import build_system
from specs.kernel import Contract
from invariants.bpe.all import LEMMAS
from invariants.bpe.assume_guarantee import escrow_buffer_prover
from invariants.prover import ASSUMPTIONS, UNSUPPORTED, ObligationResult, Prover
from invariants.registry import Invariant, StepInvariant

# What every BPE proof result states as its environment (strategies that do not run the generic prover
# state it too, with their own guarantees after it)
ENVIRONMENT = [*ASSUMPTIONS, *SUITE.proof_environment]

# Rough cost of a transition of the proved system, by function name: the longest start first
TASK_WEIGHTS = {"revealCapacity": 9, "deregisterSink": 6, "registerSink": 5, "slash": 4, "drain": 4,
                "commitCapacity": 3}


def system_prover(overrides: dict[str, type[Contract]] | None = None, *, rlimit: int = FULL,
                  deployments: tuple = PROVED_DEPLOYMENTS, invariants: list[Invariant] | None = None,
                  step_invariants: list[StepInvariant] | None = None) -> Prover:
    """The generic prover on BPE's proved system (`overrides` swaps model classes: broken twins in
    tests), with BPE's environment assumptions; `invariants`/`step_invariants` as `Prover`'s (default:
    the registered inductive ones of the system's contracts)."""
    return Prover(build_system(overrides, deployments), invariants, environment=SUITE.proof_environment,
                  rlimit=rlimit, step_invariants=step_invariants, task_weights=TASK_WEIGHTS)


def prove_system(*, jobs: int = 1, rlimit: int = FULL) -> list[ObligationResult]:
    return system_prover(rlimit=rlimit).run(lemmas=LEMMAS, jobs=jobs)


def prove_escrow_buffer(*, jobs: int = 1, rlimit: int = FULL) -> list[ObligationResult]:
    return escrow_buffer_prover(rlimit=rlimit).run(jobs=jobs)


# (id, contract, statement, why it is not proved here, what covers it instead). None left: BPE-FLOW-002 is
# proved by invariants/bpe/flow.py (BPE-FLOW-002/realtime-sum from its inductive parts).
UNSUPPORTED_OBLIGATIONS: tuple[tuple[str, str, str, str, str], ...] = ()


def unsupported_obligations() -> list[ObligationResult]:
    """The registered invariants no BPE strategy proves yet, as UNSUPPORTED results (so a report shows
    them and `verify` exits 2 rather than claiming the whole suite)."""
    return [ObligationResult(i if "/" in i else f"{i}/*", "proof", c, UNSUPPORTED, 0.0, st,
                             {"message": f"not proved: {why}", "covered_by": instead})
            for i, c, st, why, instead in UNSUPPORTED_OBLIGATIONS]
