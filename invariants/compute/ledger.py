"""State invariants of LedgerManager (PROTOCOL.md section 10, Ledger)."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import Int


@invariant(
    "COMP-LEDGER-001", contract="LedgerManager",
    statement="Invariant: the ETH balance of LedgerManager is at least the sum of user ETH balances.",
    why="Every ETH balance is withdrawable by its user (R-6.2).",
    exploit="An insolvent ledger pays early withdrawers with later users' ETH.",
)
def ledger_eth_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    led = s.ledger
    return Int(s.world.balance(led.address)) >= Int(led.ethBalances.sum())


@invariant(
    "COMP-LEDGER-002", contract="LedgerManager", proof="concrete",
    statement="Invariant: for every token with a model in the system, token.balanceOf(ledger) is at least "
              "the sum of the users' balances of that token.",
    why="A deposit credits what arrived and a withdrawal debits before it transfers (R-6.3, R-6.4).",
    exploit="Crediting the requested amount of a fee-on-transfer token lets its depositors drain the others.",
)
def ledger_tokens_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    led = s.ledger
    owed: dict[int, int] = {}
    for (_user, token), v in led.tokenBalances.items():
        owed[token] = owed.get(token, 0) + v
    for token, total in owed.items():
        model = s.world.contracts.get(token)
        if model is not None and model._balances[led.address].v < total:
            return False
    return True
