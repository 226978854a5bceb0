"""BPE's set-up of prover counterexamples before their EVM replay (`Suite.counterexample_setups`)."""

from __future__ import annotations

from typing import Any


def fund_escrow_deposit(cex: Any, fixture: Any) -> None:
    """An EscrowBuffer.deposit counterexample of the assume-guarantee proof (invariants/bpe/
    assume_guarantee.py) assumed that the stubbed SuperToken.transferFrom succeeds: on the EVM the
    sender gets the SuperTokens and the allowance it needs (harness/fuzz/evm_replay.py runs this
    before the call). A fixture without the SuperToken (a deployment without the framework) needs none."""
    if "SuperToken" not in fixture.contracts:
        return
    amount = dict(zip(cex.arg_names(), cex.args))["amount"].v
    sender = cex.sender
    underlying, super_token = fixture.contracts["SuperTokenUnderlying"], fixture.contracts["SuperToken"]
    for handle, fn, args in ((underlying, "mint", (sender, amount)),
                             (underlying, "approve", (super_token.address, amount)),
                             (super_token, "upgrade", (amount,)),
                             (super_token, "approve", (fixture.contracts["EscrowBuffer"].address, amount))):
        out = handle.transact(fn, *args, sender=sender)
        if not out.ok:
            raise AssertionError(f"funding the counterexample's sender failed at {fn}: {out.error}")
