"""Invariants of the suite's test token (OpenZeppelin ERC20), needed to make the ledger's token
solvency (COMP-LEDGER-002) inductive across the token's own functions."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import Int


@invariant(
    "COMP-TOKEN-001", contract="ComputeTestToken", strengthening=True,
    statement="Invariant: the test token's totalSupply equals the sum of all its balances.",
    why="OpenZeppelin's unchecked balance updates are safe only under it; the ledger's token solvency "
        "is stated in the token's balances.",
    exploit="A wrapped balance would let a holder move tokens that do not exist.",
)
def test_token_supply_is_sum_of_balances(s) -> bool:  # type: ignore[no-untyped-def]
    return Int(s.token._totalSupply) == s.token._balances.sum()
