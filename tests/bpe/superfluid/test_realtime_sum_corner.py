"""The Superfluid corner BPE-FLOW-002's proof excludes by an environment assumption (invariants/bpe/flow.py,
"Found on the way"): units given to an address where the GDA later creates a pool. Once that pool exists,
a claim for it is paid into its universal index, which no realtime balance counts (a pool's balance is its
disconnected members' balance), so the realtime sum over every holder drops below the total supply.
Shown on the model and on the real framework (both engines, compared step by step), so the assumption is
known to be needed, not just convenient. BackpressurePool never does this: it gives units only to sinks
that registered with their own transaction, and nobody sends from a CREATE address."""

from __future__ import annotations

import pytest

from harness.fuzz.bpe import gda
from specs.bpe.superfluid import create_address
from tests.checkers import tiered

AMOUNT = 1000  # distributed over 10 units: exactly 1000 reaches the members


def realtime_sum(d: gda.GdaDifferential, accounts: list[int]) -> tuple[int, int, int]:
    """(sum of available + deposit on the EVM, the same on the model, totalSupply on the EVM)."""
    tok = d.env.token.super_token
    evm = model = 0
    for a in accounts:
        av, dep, _owed, _t = tok.view("realtimeBalanceOfNow", a).returned
        evm += av + dep
        m_av, m_dep, _o, _t2 = d.model_view(d.env.token.address, "realtimeBalanceOfNow", (a,))
        model += m_av + m_dep
    return evm, model, tok.view("totalSupply").returned[0]


@pytest.mark.parametrize("engine_name", tiered(["pyrevm", "py-evm"], fast=["pyrevm"]))
def test_units_to_a_future_pool_address_lose_its_claims_from_the_realtime_sum(superfluid_package, engine_name):
    d = gda.GdaDifferential(gda.env(engine_name))
    a0, tok = gda.ADMINS[0], d.env.token.address
    call = lambda to, fn, sender, *args: d.step({"op": "call", "to": to, "fn": fn, "sender": sender,  # noqa: E731
                                                 "args": list(args)})
    call("underlying", "mint", a0, a0, 10**21)
    call("underlying", "approve", a0, tok, 10**21)
    call("token", "upgrade", a0, 10**21)
    call("forwarder", "createPool", a0, tok, a0, [False, False])
    pool = d.pools[0]
    future = create_address(d.env.fw.addresses["gda"], d.env.gda_nonce + 1)  # the next pool's address
    call("forwarder", "updateMemberUnits", a0, pool, future, 10, "0x")
    call("forwarder", "distribute", a0, tok, a0, pool, AMOUNT, "0x")
    accounts = gda.ACTORS + [pool, future]
    assert realtime_sum(d, accounts) == (10**21, 10**21, 10**21)
    call("forwarder", "createPool", a0, tok, a0, [False, False])
    assert d.pools[1] == future
    assert realtime_sum(d, accounts) == (10**21, 10**21, 10**21)
    call("forwarder", "claimAll", a0, pool, future, "0x")  # anyone may claim for anyone
    assert realtime_sum(d, accounts) == (10**21 - AMOUNT, 10**21 - AMOUNT, 10**21)
