"""The differential tests catch a broken rule: for each key rule of specs/compute/PROTOCOL.md, a
scenario that passes on the contracts and their models (both engines) and reports a mismatch, naming
what differs, when the contract (tests/compute/fixtures/broken_contracts.py) or the model
(tests/compute/fixtures/broken_models.py) is broken."""

from __future__ import annotations

import pytest

from specs.compute.compute_staking import StakeRole
from specs.compute.system import OWNER, TEST_DEPLOYMENTS
from specs.compute.trigger_registry import TriggerType
from specs.kernel import U8, U256, Address, Bool, DynBytes, String
from tests.compute.fixtures import broken_models as bm
from tests.compute.fixtures.broken_contracts import BROKEN
from tests.compute.pair import A, B, ETH, G, HOUR, P, X, Mismatch, Suite
from tests.compute.test_rental import PRICE, create, setup
from tests.compute.test_staking_registry import register
from tests.compute.test_inference_ledger_triggers import M, cron


def prorated_termination(s):
    setup(s)
    create(s, 3)
    s.skip(HOUR + 1234)
    s.ok("ComputeRental", "terminateSession", P, U256(1))
    assert s.view("ComputeRental", "providerPaymentOf", U256(1)) == 3 * PRICE * (HOUR + 1234) // (3 * HOUR)


def withdraw_twice(s):
    setup(s)
    create(s, 2)
    s.skip(HOUR)
    s.ok("ComputeRental", "terminateSession", A, U256(1))
    s.ok("ComputeRental", "withdraw", P)
    s.expect("NothingToWithdraw", "ComputeRental", "withdraw", P)


def terminate_twice(s):
    setup(s)
    create(s, 2)
    s.skip(HOUR)
    s.ok("ComputeRental", "terminateSession", A, U256(1))
    s.expect("SessionNotActive", "ComputeRental", "terminateSession", P, U256(1))


def session_with_a_leaving_provider(s):
    setup(s)
    s.ok("ComputeStaking", "requestUnstake", P, StakeRole.Provider, U256(ETH // 10))
    s.expect("ProviderUnavailable", "ComputeRental", "createSession", A, U256(1), U256(1), String("k"), value=PRICE)


def usage_beyond_allowance(s):
    register(s, P)
    s.ok("InferenceServing", "setModelPrice", P, M, U256(3), U256(11))
    s.ok("InferenceServing", "deposit", A, value=ETH)
    s.ok("InferenceServing", "approveProvider", A, Address(P), U256(99))
    assert s.expect("AllowanceExceeded", "InferenceServing", "recordUsage", P, Address(A), U256(100), U256(0),
                    M) == (99, 300)


def late_cron(s):
    t0 = s.now
    s.ok("TriggerRegistry", "createTrigger", A, TriggerType.Cron, cron(HOUR))
    s.ok("TriggerRegistry", "setExecutor", OWNER, Address(X), Bool(True))
    s.warp(t0 + 3 * HOUR + 17)
    s.ok("TriggerRegistry", "executeTrigger", X, U256(1), DynBytes(b""))
    s.warp(t0 + 4 * HOUR)
    assert s.expect("NotDue", "TriggerRegistry", "executeTrigger", X, U256(1), DynBytes(b"")) == (t0 + 4 * HOUR + 17,)


def slash_after_unstake_request(s):
    s.ok("ComputeStaking", "stake", P, StakeRole.Provider, value=ETH)
    s.ok("ComputeStaking", "requestUnstake", P, StakeRole.Provider, U256(ETH))
    s.ok("ComputeStaking", "setGuardian", OWNER, Address(G), Bool(True))
    s.ok("ComputeStaking", "stake", G, StakeRole.Guardian, value=ETH)
    s.ok("ComputeStaking", "slash", G, Address(P), StakeRole.Provider, U256(ETH // 2), String("downtime"))
    assert s.view("ComputeStaking", "treasuryBalance") == ETH // 2


# variant -> (scenario, what the mismatch names)
CONTRACTS = {
    "ComputeRental_proration_rounds_up": (prorated_termination, "SessionTerminated"),
    "ComputeRental_withdraw_keeps_balance": (withdraw_twice, "ComputeRental.withdrawable"),
    "ComputeRental_terminate_keeps_active": (terminate_twice, "getSession"),
    "InferenceServing_usage_without_allowance": (usage_beyond_allowance, "success: model False"),
    "TriggerRegistry_cron_catch_up": (late_cron, "success: model False"),
}
MODELS = {
    "ComputeRental": {bm.ProrationRoundsUp: (prorated_termination, "SessionTerminated"),
                      bm.WithdrawKeepsBalance: (withdraw_twice, "ComputeRental.withdrawable"),
                      bm.TerminateKeepsActive: (terminate_twice, "getSession")},
    "ComputeRegistry": {bm.AvailableWithoutStake: (session_with_a_leaving_provider, "COMP-REG-004.* fails on the model")},
    "InferenceServing": {bm.UsageWithoutAllowance: (usage_beyond_allowance, "success: model True")},
    "TriggerRegistry": {bm.CronCatchUp: (late_cron, "success: model True")},
    "ComputeStaking": {bm.SlashSparesPending: (slash_after_unstake_request, "ComputeStaking.pending")},
}
MODEL_CASES = [(name, cls) for name, variants in MODELS.items() for cls in variants]


@pytest.mark.parametrize("engine", ["pyrevm", "py-evm"])
def test_every_scenario_passes_on_the_contracts_and_their_models(engine):
    scenarios = [v[0] for v in CONTRACTS.values()] + [slash_after_unstake_request, session_with_a_leaving_provider]
    assert len(scenarios) == 7
    for scenario in scenarios:
        scenario(Suite(engine))


@pytest.mark.catches("differential")
@pytest.mark.parametrize("variant", sorted(CONTRACTS))
def test_a_broken_contract_is_caught(variant):
    scenario, named = CONTRACTS[variant]
    contract = variant.split("_")[0]
    s = Suite("pyrevm", contract_overrides={contract: str(BROKEN / f"{variant}.sol")})
    with pytest.raises(Mismatch, match=named):
        scenario(s)


@pytest.mark.catches("differential-model")
@pytest.mark.parametrize("name,cls", MODEL_CASES, ids=[cls.__name__ for _, cls in MODEL_CASES])
def test_a_broken_model_is_caught(name, cls):
    scenario, named = MODELS[name][cls]
    s = Suite("pyrevm", model_overrides={name: cls})
    with pytest.raises(Mismatch, match=named):
        scenario(s)


def withdraw_from_other_escrows(s):
    setup(s)
    s.ok("ComputeStaking", "stake", B, StakeRole.User, value=ETH // 100)
    create(s, 2, who=A)
    create(s, 2, who=B)
    s.skip(HOUR)
    s.ok("ComputeRental", "terminateSession", A, U256(1))
    s.ok("ComputeRental", "withdraw", P)


@pytest.mark.catches("state-invariants")
def test_a_pair_broken_alike_is_caught_by_the_solvency_invariant():
    """Contract and model both keep the withdrawable balance after paying it: they agree on every step,
    and the rental's solvency (COMP-RENT-001) fails on both states."""
    variant = "ComputeRental_withdraw_keeps_balance"
    s = Suite("pyrevm", model_overrides={"ComputeRental": bm.WithdrawKeepsBalance},
              contract_overrides={"ComputeRental": str(BROKEN / f"{variant}.sol")})
    with pytest.raises(Mismatch) as e:
        withdraw_from_other_escrows(s)
    lines = str(e.value).splitlines()[1:]
    assert [x.strip() for x in lines] == ["COMP-RENT-001() fails on the model", "COMP-RENT-001() fails on the EVM"]
    withdraw_from_other_escrows(Suite("pyrevm"))


@pytest.mark.catches("step-invariants")
def test_a_pair_broken_alike_is_caught_by_a_step_invariant():
    """Contract and model both catch up missed cron slots: they agree on every step, and the catch-up
    execution breaks COMP-TRIG-004 (due one interval after the last execution) on both sides."""
    variant = "TriggerRegistry_cron_catch_up"
    s = Suite("pyrevm", model_overrides={"TriggerRegistry": bm.CronCatchUp},
              contract_overrides={"TriggerRegistry": str(BROKEN / f"{variant}.sol")})
    with pytest.raises(Mismatch) as e:
        late_cron(s)
    lines = [x.strip() for x in str(e.value).splitlines()[1:]]
    assert len(lines) == 2 and all(x.startswith("COMP-TRIG-004 fails across TriggerRegistry.executeTrigger")
                                   for x in lines), lines
    assert lines[0].endswith("(model)") and lines[1].endswith("(EVM)")


def callback_deposit(s):
    """A token deposit whose token deposits its own balance from inside the transfer."""
    cb, led = "CallbackToken", "LedgerManager"
    tok = Address(s.system.addrs[cb])
    s.ok(cb, "mint", A, Address(A), U256(1000))
    s.ok(cb, "approve", A, Address(s.system.addrs[led]), U256(1000))
    s.ok(cb, "mint", A, tok, U256(300))
    s.ok(cb, "setHook", A, U8(1), U256(300))
    s.ok(led, "depositToken", A, tok, U256(1000))
    assert s.view(led, "getTokenBalance", Address(A), tok) == 1000


@pytest.mark.catches("differential")
def test_a_reentrant_token_deposit_is_caught_with_a_callback_token():
    """Without its guard, depositToken lets the token's own deposit run inside the transfer, and the
    outer deposit credits what both moved: the user is credited 1300 for 1000."""
    callback_deposit(Suite("pyrevm", deployments=TEST_DEPLOYMENTS))
    variant = "LedgerManager_deposit_token_reentrant"
    s = Suite("pyrevm", deployments=TEST_DEPLOYMENTS,
              contract_overrides={"LedgerManager": str(BROKEN / f"{variant}.sol")})
    with pytest.raises(Mismatch, match="LedgerManager.tokenBalances"):
        callback_deposit(s)
