"""State invariants of LedgerManager (PROTOCOL.md section 10, Ledger)."""

from __future__ import annotations

from invariants.registry import invariant
from specs.erc20 import ERC20
from specs.kernel import Address, Int


@invariant(
    "COMP-LEDGER-001", contract="LedgerManager",
    statement="Invariant: the ETH balance of LedgerManager is at least the sum of user ETH balances.",
    why="Every ETH balance is withdrawable by its user (R-6.2).",
    exploit="An insolvent ledger pays early withdrawers with later users' ETH.",
)
def ledger_eth_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    led = s.ledger
    return Int(s.world.balance(led.address)) >= Int(led.ethBalances.sum())


def tokens(s) -> list:  # type: ignore[no-untyped-def]
    """The ERC20 tokens with a model in the system (the suite's test token; in the fuzz campaign also
    the fee-on-transfer, false-returning and calling-back tokens)."""
    return [c for c in s.world.contracts.values() if isinstance(c, ERC20)]


@invariant(
    "COMP-LEDGER-002", contract="LedgerManager",
    statement="Invariant: for every token with a model in the system, token.balanceOf(ledger) is at least "
              "the sum of the users' balances of that token.",
    why="A deposit credits what arrived and a withdrawal debits before it transfers (R-6.3, R-6.4).",
    exploit="Crediting the requested amount of a fee-on-transfer token lets its depositors drain the others.",
)
def ledger_tokens_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    led = s.ledger
    for token in tokens(s):
        if Int(token._balances[led.address]) < led.tokenBalances.sum_by(token.address):
            return False
    return True


@invariant(
    "COMP-LEDGER-004", contract="LedgerManager", strengthening=True,
    statement="Invariant: the ledger has approved no spender of any token with a model in the system "
              "(its allowances are zero).",
    why="The ledger moves tokens only by transfer in withdrawToken (R-6.4): no one else can spend what "
        "it holds for its users.",
    exploit="An allowance from the ledger would let its holder take tokens the ledger owes its users.",
)
def ledger_approves_nobody(s, spender: Address) -> bool:  # type: ignore[no-untyped-def]
    led = s.ledger
    for token in tokens(s):
        if token._allowances[led.address][spender] != 0:
            return False
    return True
