"""Invariants of the staking token (OpenZeppelin ERC20), needed to make StakeManager's inductive."""

from __future__ import annotations

from specs.kernel import Address, Int
from invariants.registry import invariant


@invariant(
    "ERC20-SUPPLY-001", contract="TestToken", strengthening=True,
    statement="Invariant: totalSupply equals the sum of all balances.",
    why="OpenZeppelin's unchecked balance updates are safe only under it; solvency of the "
        "StakeManager is stated in token balances.",
    exploit="A wrapped balance would let a holder move tokens that do not exist.",
)
def supply_is_sum_of_balances(s) -> bool:  # type: ignore[no-untyped-def]
    return Int(s.token._totalSupply) == s.token._balances.sum()


@invariant(
    "ERC20-ALLOW-001", contract="TestToken", strengthening=True,
    statement="Invariant: the StakeManager has granted no allowance to anyone.",
    why="Only the StakeManager's own code moves its tokens; an allowance would let another account "
        "pull staked tokens with transferFrom.",
    exploit="A spender with an allowance from the StakeManager drains the stakes.",
)
def stake_manager_grants_no_allowance(s, spender: Address) -> bool:  # type: ignore[no-untyped-def]
    return s.token._allowances[s.stake_manager.address][spender] == 0
