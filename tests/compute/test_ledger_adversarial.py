"""LedgerManager against adversarial tokens and a reentering wallet (contracts/compute/test/
LedgerMocks.sol, models in specs/compute/ledger_mocks.py), on both engines: a fee-on-transfer token is
credited what arrived (R-6.3) and delivers less on the way out (R-6.4); a token returning false
reverts SafeERC20FailedOperation (R-6.3, R-6.4); a withdrawal whose receiver reenters reverts whole
and the balance stays (R-1.6)."""

from __future__ import annotations

import pytest

from specs.compute.system import TEST_DEPLOYMENTS
from specs.kernel import U8, U256, Address, Bool
from tests.compute.pair import A, ENGINES, ETH, Suite

LED = "LedgerManager"


@pytest.fixture(params=ENGINES)
def s(request):
    return Suite(request.param, deployments=TEST_DEPLOYMENTS)


def funded(s, token: str, amount: int = 10_000) -> Address:
    s.ok(token, "mint", A, Address(A), U256(amount))
    s.ok(token, "approve", A, Address(s.system.addrs[LED]), U256(amount))
    return Address(s.system.addrs[token])


def test_fee_on_transfer_token_credits_what_arrived(s):
    tok = funded(s, "FeeOnTransferToken")
    s.ok(LED, "depositToken", A, tok, U256(1000))
    assert s.view(LED, "getTokenBalance", Address(A), tok) == 990
    assert s.view("FeeOnTransferToken", "balanceOf", Address(s.system.addrs[LED])) == 990
    s.ok(LED, "withdrawToken", A, tok, U256(500))  # the ledger's books fall by 500, the user gets 495
    assert s.view(LED, "getTokenBalance", Address(A), tok) == 490
    assert s.view("FeeOnTransferToken", "balanceOf", Address(A)) == 9000 + 495
    # everything burnt on the way in: nothing arrived, ZeroAmount
    s.ok("FeeOnTransferToken", "setFeePercent", A, U256(100))
    s.expect("ZeroAmount", LED, "depositToken", A, tok, U256(100))


def test_false_returning_token_reverts(s):
    tok = funded(s, "FalseReturnToken")
    s.ok(LED, "depositToken", A, tok, U256(300))
    s.ok("FalseReturnToken", "setFailing", A, Bool(True))
    assert s.expect("SafeERC20FailedOperation", LED, "depositToken", A, tok, U256(1)) == (tok.v,)
    s.expect("SafeERC20FailedOperation", LED, "withdrawToken", A, tok, U256(1))
    assert s.view(LED, "getTokenBalance", Address(A), tok) == 300
    s.ok("FalseReturnToken", "setFailing", A, Bool(False))
    s.ok(LED, "withdrawToken", A, tok, U256(300))


def test_reentering_receiver_cannot_withdraw_twice(s):
    w = "ReenteringWallet"
    s.ok(w, "depositAll", A, value=2 * ETH)
    wallet = Address(s.system.addrs[w])
    s.ok(w, "setReenter", A, U8(1))
    # the inner withdraw reverts ReentrancyGuardReentrantCall, so the send fails: FailedCall
    s.expect("FailedCall", w, "withdraw", A, U256(ETH))
    assert s.view(LED, "getBalance", wallet) == 2 * ETH
    # a deposit from inside the withdrawal is refused alike: every ledger function is guarded
    s.ok(w, "setReenter", A, U8(2))
    s.expect("FailedCall", w, "withdraw", A, U256(ETH))
    assert s.view(LED, "getBalance", wallet) == 2 * ETH
    s.ok(w, "setReenter", A, U8(0))
    s.ok(w, "withdraw", A, U256(ETH))
    assert s.view(LED, "getBalance", wallet) == ETH and s.view(w, "received") == ETH


def test_a_token_without_code_or_without_balance_of_reverts_without_data(s):
    """depositToken of an address that is no token (an EOA: empty return data the ABI decoder rejects;
    a contract without balanceOf: no function matches) reverts without data on both sides; found by the
    fuzz machine (harness/fuzz/compute/machine.py), whose model had no case for it."""
    for token in (Address(0x5700), Address(s.system.addrs["ComputeStaking"])):
        assert s.expect("", LED, "depositToken", A, token, U256(5)) == ()
        assert s.expect("InsufficientBalance", LED, "withdrawToken", A, token, U256(5)) == (0, 5)


def test_a_token_calling_back_into_the_ledger_is_refused_inside_and_served_outside(s):
    """CallbackToken deposits (hook 1) or withdraws (hook 2) its own balance from inside each of its
    transfers. Inside a ledger call the guard refuses (R-6.5): the token's try/catch counts the failure
    and the user is credited exactly what arrived; a plain transfer outside any ledger call lets the
    token's callback through."""
    cb = "CallbackToken"
    tok = funded(s, cb)
    me = Address(s.system.addrs[cb])
    s.ok(cb, "mint", A, me, U256(500))
    s.ok(cb, "setHook", A, U8(1), U256(200))
    s.ok(cb, "transfer", A, Address(0x5700), U256(1))  # outside the ledger: the token deposits 200
    assert s.view(LED, "getTokenBalance", me, tok) == 200 and s.view(cb, "hookFailures") == 0
    s.ok(LED, "depositToken", A, tok, U256(1000))  # inside: its deposit is refused, caught, counted
    assert s.view(LED, "getTokenBalance", Address(A), tok) == 1000 and s.view(cb, "hookFailures") == 1
    assert s.view(cb, "balanceOf", Address(s.system.addrs[LED])) == 1200
    s.ok(cb, "setHook", A, U8(2), U256(200))
    s.ok(LED, "withdrawToken", A, tok, U256(400))  # inside: its withdrawal is refused alike
    assert s.view(cb, "hookFailures") == 2 and s.view(LED, "getTokenBalance", me, tok) == 200
    s.ok(cb, "transfer", A, Address(0x5700), U256(1))  # outside: the token withdraws its 200
    assert s.view(LED, "getTokenBalance", me, tok) == 0 and s.view(cb, "balanceOf", me) == 500
