"""The whole proof suite in one call: what `make verify` and `make bench` run.

    from invariants.suite import prove_suite
    results = prove_suite(jobs=2, timeout_ms=30_000)   # list[ObligationResult], in a stable order

- lemmas: LEMMA-SQRT-001..005 (BPEMath.sqrt), LEMMA-FLOW-001..005 (GDA arithmetic, BPE-FLOW);
- the proved system TestToken + StakeManager + CapacityRegistry: init and inductive step of every state
  invariant, every step invariant, a vacuity check per transition (`Prover`, `jobs` worker processes);
- EscrowBuffer under assume-guarantee stubs for the Superfluid callees (invariants/assume_guarantee.py);
- everything not proved yet as UNSUPPORTED rows (`unsupported_obligations`), never left out.

A VIOLATED result carries `counterexample` (invariants.prover.Counterexample); replay it on an EVM
with `invariants.evm_replay.replay_on_evm(cex, fixture)` where `fixture` is the full suite
(`harness.evm.fixture.deploy_suite(engine, suite_artifacts())`).
"""

from __future__ import annotations

import invariants.all  # noqa: F401  (registers every invariant)
from invariants.all import LEMMAS
from invariants.assume_guarantee import escrow_buffer_prover
from invariants.prover import ObligationResult, Prover, unsupported_obligations


def prove_suite(*, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    out = Prover(timeout_ms=timeout_ms).run(lemmas=LEMMAS, jobs=jobs)
    out += escrow_buffer_prover(timeout_ms=timeout_ms).run()
    out += unsupported_obligations()
    return out
