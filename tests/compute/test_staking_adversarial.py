"""ComputeStaking against a staker that reenters it (contracts/compute/test/StakingMocks.sol, model in
specs/compute/staking_mocks.py), on both engines: while its unstaked ETH arrives the staker calls
withdrawUnstaked again or sweepToTreasury; the guard refuses both (R-1.6) and the withdrawal goes on. A
staking contract without either guard lets the callback run, and the differential names the staker's
counters."""

from __future__ import annotations

import pytest

from specs.compute.compute_staking import StakeRole
from specs.compute.system import OWNER, TEST_DEPLOYMENTS
from specs.kernel import U8, U256, Address, Bool, String
from tests.compute.fixtures.broken_contracts import BROKEN
from tests.compute.pair import A, ENGINES, ETH, G, Mismatch, Suite

W = "ReenteringStaker"
DAY = 86400


def unstaked_with_a_callback(s: Suite, mode: int) -> None:
    """The staker stakes a user's minimum, asks for all of it back, waits the delay and withdraws with its
    receive calling back (mode 1: withdrawUnstaked again, 2: sweepToTreasury with something slashed to
    sweep)."""
    if mode == 2:  # something in the treasury balance, so a sweep the guard lets through would pay out
        s.ok("ComputeStaking", "setGuardian", OWNER, Address(G), Bool(True))
        s.ok("ComputeStaking", "stake", G, StakeRole.Guardian, value=ETH)
        s.ok("ComputeStaking", "stake", A, StakeRole.User, value=ETH // 10)
        s.ok("ComputeStaking", "slash", G, Address(A), StakeRole.User, U256(ETH // 20), String("r"))
    s.ok(W, "stake", A, StakeRole.User, value=ETH // 100)
    s.ok(W, "requestUnstake", A, StakeRole.User, U256(ETH // 100))
    s.skip(7 * DAY)
    s.ok(W, "setReenter", A, U8(mode), StakeRole.User)
    s.ok(W, "withdrawUnstaked", A, StakeRole.User)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", [1, 2])
def test_a_reentering_staker_is_refused_by_the_guard_and_still_paid(engine, mode):
    s = Suite(engine, deployments=TEST_DEPLOYMENTS)
    staker = Address(s.system.addrs[W])
    unstaked_with_a_callback(s, mode)
    assert s.view(W, "received") == ETH // 100 and s.view(W, "guarded") == 1
    assert s.view(W, "failed") == 0 and s.view(W, "entered") == 0
    assert s.view("ComputeStaking", "pendingOf", staker, StakeRole.User) == 0
    if mode == 2:
        assert s.view("ComputeStaking", "treasuryBalance") == ETH // 20


@pytest.mark.catches("differential")
@pytest.mark.parametrize("variant,mode,named", [
    ("ComputeStaking_withdraw_unstaked_unguarded", 1, "ReenteringStaker.(guarded|failed)"),
    ("ComputeStaking_sweep_unguarded", 2, "ReenteringStaker.(guarded|entered)"),
])
def test_a_staking_without_its_guard_is_caught_by_the_reentering_staker(variant, mode, named):
    """Without the guard the callback is not refused: the inner withdrawUnstaked fails for another reason
    (nothing pending any more), the inner sweep pays the treasury; the model's staker counts a guard
    refusal, the contract's does not."""
    s = Suite("pyrevm", deployments=TEST_DEPLOYMENTS,
              contract_overrides={"ComputeStaking": str(BROKEN / f"{variant}.sol")})
    with pytest.raises(Mismatch, match=named):
        unstaked_with_a_callback(s, mode)
