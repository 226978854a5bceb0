"""State invariants of ComputeStaking (PROTOCOL.md section 10, Staking)."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import Int


@invariant(
    "COMP-STAKE-001", contract="ComputeStaking",
    statement="Invariant: the ETH balance of ComputeStaking is at least the sum of active stakes plus the "
              "sum of pending unstakes plus treasuryBalance.",
    why="Every active and pending stake must be withdrawable and every slashed wei sweepable (R-7.4, R-7.5).",
    exploit="An insolvent staking contract lets early unstakers leave with later stakers' ETH.",
)
def staking_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    st = s.staking
    owed = Int(st.stakes.sum()) + Int(st.pending.sum()) + Int(st.treasuryBalance)
    return Int(s.world.balance(st.address)) >= owed
