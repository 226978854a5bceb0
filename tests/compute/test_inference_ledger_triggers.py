"""InferenceServing, LedgerManager (ETH and an OpenZeppelin ERC20) and TriggerRegistry on both engines
against their models: every function's success and each documented revert, in check order."""

from __future__ import annotations

from specs.compute.compute_staking import StakeRole
from specs.compute.system import OWNER
from specs.compute.trigger_registry import TriggerType
from specs.kernel import U256, Address, Bool, DynBytes, String
from tests.compute.pair import A, B, ETH, P, Q, X
from tests.compute.test_staking_registry import register

S, R, INF, LED, TOK, TRG = ("ComputeStaking", "ComputeRegistry", "InferenceServing", "LedgerManager",
                            "ComputeTestToken", "TriggerRegistry")
M = String("llama-70b")
FEE = 5 * 10**14


def test_inference_deposit_withdraw_allowance(suite):
    s = suite
    s.expect("ZeroAmount", INF, "deposit", A)
    s.ok(INF, "deposit", A, value=ETH)
    s.expect("ZeroAmount", INF, "withdraw", A, U256(0))
    assert s.expect("InsufficientBalance", INF, "withdraw", A, U256(ETH + 1)) == (ETH, ETH + 1)
    s.ok(INF, "withdraw", A, U256(ETH // 4))
    assert s.view(INF, "getBalance", Address(A)) == 3 * ETH // 4
    s.expect("ZeroAddress", INF, "approveProvider", A, Address(0), U256(1))
    s.ok(INF, "approveProvider", A, Address(P), U256(10**16))
    s.ok(INF, "approveProvider", A, Address(P), U256(10**15))  # replaces
    assert s.view(INF, "allowance", Address(A), Address(P)) == 10**15


def test_model_prices(suite):
    s = suite
    s.expect("NotProvider", INF, "setModelPrice", P, M, U256(1), U256(1))
    register(s, P)
    s.expect("InvalidLength", INF, "setModelPrice", P, String(""), U256(1), U256(1))
    s.expect("InvalidLength", INF, "setModelPrice", P, String("m" * 65), U256(1), U256(1))
    s.expect("InvalidPrice", INF, "setModelPrice", P, M, U256(0), U256(0))
    s.expect("InvalidPrice", INF, "setModelPrice", P, M, U256(10**18 + 1), U256(1))
    s.expect("InvalidPrice", INF, "setModelPrice", P, M, U256(1), U256(10**18 + 1))
    s.ok(INF, "setModelPrice", P, M, U256(0), U256(10**18))
    s.ok(INF, "setModelPrice", P, M, U256(3), U256(11))
    assert tuple(v.v for v in s.view(INF, "modelPrice", Address(P), M)) == (3, 11)


def test_record_usage_checks_in_order_and_exact_cost(suite):
    s = suite
    args = lambda user=A, i=100, o=50, model=M: (Address(user), U256(i), U256(o), model)  # noqa: E731
    s.expect("NotProvider", INF, "recordUsage", P, *args())
    register(s, P)
    s.ok(R, "setActive", P, Bool(False))
    s.expect("ProviderUnavailable", INF, "recordUsage", P, *args())
    s.ok(R, "setActive", P, Bool(True))
    s.expect("ZeroAddress", INF, "recordUsage", P, *args(user=0))
    s.expect("SelfBilling", INF, "recordUsage", P, *args(user=P))
    s.expect("InvalidLength", INF, "recordUsage", P, *args(model=String("")))
    s.expect("UnknownModel", INF, "recordUsage", P, *args())
    s.ok(INF, "setModelPrice", P, M, U256(3), U256(11))
    s.expect("ZeroUsage", INF, "recordUsage", P, *args(i=0, o=0))
    s.expect("TooManyTokens", INF, "recordUsage", P, *args(i=10**12 + 1))
    s.expect("TooManyTokens", INF, "recordUsage", P, *args(o=10**12 + 1))
    cost = 100 * 3 + 50 * 11
    assert s.expect("AllowanceExceeded", INF, "recordUsage", P, *args()) == (0, cost)
    s.ok(INF, "approveProvider", A, Address(P), U256(10 * cost))
    assert s.expect("InsufficientBalance", INF, "recordUsage", P, *args()) == (0, cost)
    s.ok(INF, "deposit", A, value=cost + 1)
    s.ok(INF, "recordUsage", P, *args())
    assert s.view(INF, "getUsage", Address(A)) == (U256(150), U256(cost))
    assert s.view(INF, "allowance", Address(A), Address(P)) == 9 * cost
    # a short balance: nothing is charged
    assert s.expect("InsufficientBalance", INF, "recordUsage", P, *args()) == (1, cost)
    # another provider has no allowance from A and cannot bill it
    register(s, Q)
    s.ok(INF, "setModelPrice", Q, M, U256(1), U256(1))
    s.expect("AllowanceExceeded", INF, "recordUsage", Q, *args(i=1, o=0))
    # the stake leaves: the provider stops billing at once
    s.ok(S, "requestUnstake", P, StakeRole.Provider, U256(ETH // 10))
    s.expect("ProviderUnavailable", INF, "recordUsage", P, *args(i=1, o=0))
    s.expect("NothingToWithdraw", INF, "withdrawEarnings", Q)
    before = s.world.balance(P).v
    s.ok(INF, "withdrawEarnings", P)
    assert s.world.balance(P).v - before == cost
    s.expect("NothingToWithdraw", INF, "withdrawEarnings", P)


def test_ledger_eth_and_tokens(suite):
    s = suite
    tok = Address(s.system.addrs[TOK])
    s.expect("ZeroAmount", LED, "deposit", A)
    s.ok(LED, "deposit", A, value=3 * ETH)
    s.expect("ZeroAmount", LED, "withdraw", A, U256(0))
    s.expect("InsufficientBalance", LED, "withdraw", B, U256(1))
    s.ok(LED, "withdraw", A, U256(ETH))
    assert s.view(LED, "getBalance", Address(A)) == 2 * ETH
    s.expect("ZeroAddress", LED, "depositToken", A, Address(0), U256(1))
    s.expect("ZeroAmount", LED, "depositToken", A, tok, U256(0))
    s.ok(TOK, "mint", A, Address(A), U256(1000))
    s.expect("ERC20InsufficientAllowance", LED, "depositToken", A, tok, U256(10))
    s.ok(TOK, "approve", A, Address(s.system.addrs[LED]), U256(10**6))
    s.expect("ERC20InsufficientBalance", LED, "depositToken", A, tok, U256(1001))
    s.ok(LED, "depositToken", A, tok, U256(400))
    assert s.view(LED, "getTokenBalance", Address(A), tok) == 400
    s.expect("ZeroAddress", LED, "withdrawToken", A, Address(0), U256(1))
    s.expect("ZeroAmount", LED, "withdrawToken", A, tok, U256(0))
    assert s.expect("InsufficientBalance", LED, "withdrawToken", A, tok, U256(401)) == (400, 401)
    s.expect("InsufficientBalance", LED, "withdrawToken", B, tok, U256(1))
    s.ok(LED, "withdrawToken", A, tok, U256(150))
    assert s.view(TOK, "balanceOf", Address(A)) == 750


def cron(seconds: int) -> DynBytes:
    return DynBytes(seconds.to_bytes(32, "big"))


def test_trigger_creation_and_config(suite):
    s = suite
    s.expect("InvalidLength", TRG, "createTrigger", A, TriggerType.Webhook, DynBytes(b""))
    s.expect("InvalidLength", TRG, "createTrigger", A, TriggerType.Event, DynBytes(b"x" * 1025))
    s.expect("InvalidConfig", TRG, "createTrigger", A, TriggerType.Cron, DynBytes(b"x" * 31))
    s.expect("InvalidConfig", TRG, "createTrigger", A, TriggerType.Cron, cron(59))
    s.expect("InvalidConfig", TRG, "createTrigger", A, TriggerType.Cron, cron(365 * 86400 + 1))
    assert s.ok(TRG, "createTrigger", A, TriggerType.Cron, cron(60)) == 1
    assert s.ok(TRG, "createTrigger", A, TriggerType.Webhook, DynBytes(b"https://hook" + b"\0" * 1012)) == 2
    assert s.ok(TRG, "createTrigger", B, TriggerType.Cron, cron(365 * 86400)) == 3
    s.expect("UnknownTrigger", TRG, "getTrigger", A, U256(4))
    s.expect("UnknownTrigger", TRG, "nextDueAt", A, U256(0))


def test_cron_due_times_fees_and_deactivation(suite):
    s = suite
    t0 = s.now
    s.ok(TRG, "createTrigger", A, TriggerType.Cron, cron(3600))
    s.expect("UnknownTrigger", TRG, "fundTrigger", B, U256(2), value=1)
    s.expect("ZeroAmount", TRG, "fundTrigger", B, U256(1))
    s.ok(TRG, "fundTrigger", B, U256(1), value=FEE + FEE // 2)  # anyone funds
    s.expect("OwnableUnauthorizedAccount", TRG, "setExecutor", A, Address(X), Bool(True))
    s.expect("ZeroAddress", TRG, "setExecutor", OWNER, Address(0), Bool(True))
    s.expect("NotAuthorizedExecutor", TRG, "executeTrigger", X, U256(1), DynBytes(b""))
    s.ok(TRG, "setExecutor", OWNER, Address(X), Bool(True))
    s.expect("InvalidLength", TRG, "executeTrigger", X, U256(1), DynBytes(b"i" * 1025))
    assert s.expect("NotDue", TRG, "executeTrigger", X, U256(1), DynBytes(b"")) == (t0 + 3600,)
    s.warp(t0 + 3600)  # exactly due: runs, paid
    s.ok(TRG, "executeTrigger", X, U256(1), DynBytes(b"i" * 1024))
    assert s.view(TRG, "withdrawable", Address(X)) == FEE and s.view(TRG, "sponsorshipOf", U256(1)) == FEE // 2
    # late: next due one interval after the late execution, no catch-up
    s.warp(t0 + 3 * 3600 + 17)
    s.ok(TRG, "executeTrigger", X, U256(1), DynBytes(b"late"))  # sponsorship short of the fee: unpaid
    assert s.view(TRG, "withdrawable", Address(X)) == FEE
    assert s.view(TRG, "nextDueAt", U256(1)) == t0 + 4 * 3600 + 17
    s.warp(t0 + 4 * 3600 + 16)
    s.expect("NotDue", TRG, "executeTrigger", A, U256(1), DynBytes(b""))
    s.warp(t0 + 4 * 3600 + 17)
    s.ok(TRG, "fundTrigger", A, U256(1), value=FEE)
    s.ok(TRG, "executeTrigger", A, U256(1), DynBytes(b""))  # the agent itself: never paid
    assert s.view(TRG, "sponsorshipOf", U256(1)) == FEE + FEE // 2
    s.expect("NotAgent", TRG, "deactivateTrigger", X, U256(1))
    s.expect("UnknownTrigger", TRG, "deactivateTrigger", A, U256(5))
    s.ok(TRG, "deactivateTrigger", A, U256(1))
    s.expect("TriggerInactive", TRG, "deactivateTrigger", A, U256(1))
    s.expect("TriggerInactive", TRG, "fundTrigger", B, U256(1), value=1)
    s.skip(3600)
    s.expect("TriggerInactive", TRG, "executeTrigger", A, U256(1), DynBytes(b""))
    assert s.view(TRG, "withdrawable", Address(A)) == FEE + FEE // 2
    s.ok(TRG, "withdraw", A)
    s.ok(TRG, "withdraw", X)
    s.expect("NothingToWithdraw", TRG, "withdraw", X)


def test_webhook_once_per_timestamp_and_removed_executor(suite):
    s = suite
    t0 = s.now
    s.ok(TRG, "createTrigger", A, TriggerType.Webhook, DynBytes(b"https://hook"))
    s.ok(TRG, "setExecutor", OWNER, Address(X), Bool(True))
    s.ok(TRG, "fundTrigger", B, U256(1), value=3 * FEE)
    s.ok(TRG, "executeTrigger", X, U256(1), DynBytes(b"payload"))  # in its creation block
    assert s.expect("NotDue", TRG, "executeTrigger", X, U256(1), DynBytes(b"")) == (t0 + 1,)
    s.warp(t0 + 1)
    s.ok(TRG, "executeTrigger", X, U256(1), DynBytes(b""))
    s.ok(TRG, "setExecutor", OWNER, Address(X), Bool(False))
    s.warp(t0 + 2)
    s.expect("NotAuthorizedExecutor", TRG, "executeTrigger", X, U256(1), DynBytes(b""))
    s.ok(TRG, "withdraw", X)  # fees earned stay withdrawable
    assert s.view(TRG, "executionCountOf", U256(1)) == 2
