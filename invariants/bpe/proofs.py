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
- everything not proved yet as UNSUPPORTED rows (the suite's `unproved`:
  `invariants.prover.unsupported_obligations`), never left out.
"""

from __future__ import annotations

from invariants.bpe.all import LEMMAS
from invariants.bpe.assume_guarantee import escrow_buffer_prover
from invariants.prover import ObligationResult, Prover


def prove_system(*, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    return Prover(timeout_ms=timeout_ms).run(lemmas=LEMMAS, jobs=jobs)


def prove_escrow_buffer(*, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    return escrow_buffer_prover(timeout_ms=timeout_ms).run(jobs=jobs)
