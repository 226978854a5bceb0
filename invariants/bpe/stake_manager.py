"""Invariants of StakeManager (BPE-CAP, BPE-STAKE)."""

from __future__ import annotations

from specs.kernel import Address, Int, Msg
from specs.bpe.stake_manager import MIN_SINK_STAKE, STAKE_UNIT
from invariants.registry import invariant


@invariant(
    "BPE-CAP-001", contract="StakeManager",
    depends_on=("LEMMA-SQRT-001", "LEMMA-SQRT-002", "LEMMA-SQRT-003", "LEMMA-SQRT-004"),
    statement="Invariant: for every sink, cap^2 <= stake/STAKE_UNIT < (cap+1)^2, where cap = getCapacityCap(sink).",
    why="The capacity a sink may signal grows with the square root of its stake; the cap is the "
        "only thing that ties routed payment to collateral.",
    exploit="A cap rounded up lets a sink signal (and be paid for) capacity its stake does not back.",
)
def cap_is_floor_sqrt_of_stake(s, sink: Address) -> bool:  # type: ignore[no-untyped-def]
    sm = s.stake_manager
    cap = sm.getCapacityCap(Msg(sink), sink)
    units = sm.stakes[sink] // STAKE_UNIT
    c, u = Int(cap), Int(units)
    return c * c <= u and u < (c + 1) * (c + 1)


@invariant(
    "BPE-STAKE-001", contract="StakeManager",
    statement="Invariant: totalStaked equals the sum of all stakes, and the StakeManager's token "
              "balance is at least that sum.",
    why="Every staked token must be withdrawable; the recorded total is what the rest of the suite "
        "reads.",
    exploit="An insolvent StakeManager lets early unstakers take later stakers' tokens; a total out of "
            "step with the stakes misprices capacity.",
)
def solvent_and_total_is_sum(s) -> bool:  # type: ignore[no-untyped-def]
    sm = s.stake_manager
    total = s.stake_manager.stakes.sum()
    balance = s.token._balances[sm.address]
    return Int(sm.totalStaked) == total and Int(balance) >= total


@invariant(
    "BPE-STAKE-002", contract="StakeManager",
    statement="Invariant: every sink's stake is 0 or at least MIN_SINK_STAKE.",
    why="A sink below the minimum stake has too little at risk for the capacity it could signal; "
        "the rule holds after stake, unstake and slash (which ejects a sink left below it).",
    exploit="Dust stakes: many sinks with tiny stakes flood the registry at no risk.",
)
def stake_zero_or_above_minimum(s, sink: Address) -> bool:  # type: ignore[no-untyped-def]
    st = s.stake_manager.stakes[sink]
    return st == 0 or st >= MIN_SINK_STAKE
