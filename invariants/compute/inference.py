"""State invariants of InferenceServing (PROTOCOL.md section 10, Inference)."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import Int


@invariant(
    "COMP-INF-001", contract="InferenceServing",
    statement="Invariant: the ETH balance of InferenceServing is at least the sum of user balances plus the "
              "sum of provider earnings.",
    why="Usage moves value from a balance to earnings, never out of the contract (R-5.7, R-5.9).",
    exploit="An insolvent contract lets a provider withdraw earnings paid from other users' deposits.",
)
def inference_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    i = s.inference
    return Int(s.world.balance(i.address)) >= Int(i.balances.sum()) + Int(i.earnings.sum())
