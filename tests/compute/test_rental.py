"""ComputeRental on both engines against its model: creation and every revert in check order,
extension, termination before, at and after endTime with the proration rule, withdrawals."""

from __future__ import annotations

from specs.compute.compute_staking import StakeRole
from specs.kernel import U256, Address, Bool, String
from tests.compute.pair import A, B, ETH, HOUR, P, Q
from tests.compute.test_staking_registry import register

S, R, RENT = "ComputeStaking", "ComputeRegistry", "ComputeRental"
PRICE = 10**15 + 7  # odd, so that prorated shares round
KEY = String("ssh-ed25519 AAAA")


def setup(s, price=PRICE):
    register(s, P, price=price)
    s.ok(S, "stake", A, StakeRole.User, value=ETH // 100)


def create(s, hours=3, who=A, value=None):
    return s.ok(RENT, "createSession", who, U256(1), U256(hours), KEY,
                value=hours * PRICE if value is None else value)


def test_create_checks_in_order(suite):
    s = suite
    register(s, P, price=PRICE)
    s.expect("UnknownProvider", RENT, "createSession", A, U256(0), U256(1), KEY)
    s.expect("UnknownProvider", RENT, "createSession", A, U256(2), U256(1), KEY)
    s.ok(R, "setActive", P, Bool(False))
    s.expect("ProviderUnavailable", RENT, "createSession", A, U256(1), U256(1), KEY)
    s.ok(R, "setActive", P, Bool(True))
    assert s.expect("NotStaked", RENT, "createSession", A, U256(1), U256(1), KEY) == (A, 0)
    s.ok(S, "stake", A, StakeRole.User, value=ETH // 100)
    s.expect("InvalidDuration", RENT, "createSession", A, U256(1), U256(0), KEY)
    s.expect("InvalidDuration", RENT, "createSession", A, U256(1), U256(8761), KEY)
    s.expect("InvalidLength", RENT, "createSession", A, U256(1), U256(1), String(""))
    s.expect("InvalidLength", RENT, "createSession", A, U256(1), U256(1), String("k" * 4097))
    assert s.expect("IncorrectPayment", RENT, "createSession", A, U256(1), U256(2), KEY, value=2 * PRICE - 1) == (
        2 * PRICE, 2 * PRICE - 1)
    s.expect("IncorrectPayment", RENT, "createSession", A, U256(1), U256(2), KEY, value=2 * PRICE + 1)
    assert create(s, 2) == 1
    # a later price change does not touch the session's price
    s.ok(R, "updatePricing", P, U256(5))
    assert s.view(RENT, "sessionPrice", U256(1)) == PRICE
    assert s.ok(RENT, "createSession", A, U256(1), U256(8760), String("k" * 4096), value=8760 * 5) == 2
    s.expect("UnknownSession", RENT, "getSession", A, U256(3))
    assert s.view(RENT, "isLive", U256(1)) and not s.view(RENT, "isLive", U256(3))


def test_extend(suite):
    s = suite
    setup(s)
    create(s, 2)
    s.expect("UnknownSession", RENT, "extendSession", A, U256(9), U256(1))
    s.expect("NotRenter", RENT, "extendSession", B, U256(1), U256(1), value=PRICE)
    s.expect("InvalidDuration", RENT, "extendSession", A, U256(1), U256(0))
    s.expect("InvalidDuration", RENT, "extendSession", A, U256(1), U256(8759))
    s.expect("IncorrectPayment", RENT, "extendSession", A, U256(1), U256(1), value=PRICE - 1)
    s.ok(RENT, "extendSession", A, U256(1), U256(8758), value=8758 * PRICE)  # 8760 hours in all
    s.expect("InvalidDuration", RENT, "extendSession", A, U256(1), U256(1), value=PRICE)
    create(s, 1)
    s.ok(R, "setActive", P, Bool(False))
    s.expect("ProviderUnavailable", RENT, "extendSession", A, U256(2), U256(1), value=PRICE)
    s.ok(R, "setActive", P, Bool(True))
    end = s.view(RENT, "getSession", U256(2))[3].v
    s.warp(end)
    assert s.expect("SessionExpired", RENT, "extendSession", A, U256(2), U256(1), value=PRICE) == (2, end)
    s.ok(RENT, "terminateSession", B, U256(2))
    s.expect("SessionNotActive", RENT, "extendSession", A, U256(2), U256(1), value=PRICE)


def test_terminate_before_end_prorates_in_the_renters_favour(suite):
    s = suite
    setup(s)
    create(s, 3)
    start = s.now
    s.expect("UnknownSession", RENT, "terminateSession", A, U256(2))
    s.warp(start + HOUR + 1234)
    s.expect("NotRenterOrProvider", RENT, "terminateSession", B, U256(1))
    s.ok(RENT, "terminateSession", P, U256(1))
    deposit = 3 * PRICE
    pay = deposit * (HOUR + 1234) // (3 * HOUR)
    assert s.view(RENT, "providerPaymentOf", U256(1)) == pay and s.view(RENT, "refundOf", U256(1)) == deposit - pay
    assert deposit * (HOUR + 1234) % (3 * HOUR) != 0  # the case rounds
    s.expect("SessionNotActive", RENT, "terminateSession", A, U256(1))
    # terminated in its creation block: everything back to the renter
    create(s, 1)
    s.ok(RENT, "terminateSession", A, U256(2))
    assert s.view(RENT, "providerPaymentOf", U256(2)) == 0 and s.view(RENT, "refundOf", U256(2)) == PRICE


def test_terminate_at_and_after_end_by_anyone_pays_in_full(suite):
    s = suite
    setup(s)
    create(s, 2)
    create(s, 1)
    start = s.now
    s.warp(start + 2 * HOUR - 1)
    s.expect("NotRenterOrProvider", RENT, "terminateSession", B, U256(1))
    s.warp(start + 2 * HOUR)  # exactly at endTime: anyone
    s.ok(RENT, "terminateSession", B, U256(1))
    assert s.view(RENT, "refundOf", U256(1)) == 0 and s.view(RENT, "providerPaymentOf", U256(1)) == 2 * PRICE
    s.warp(start + 100 * HOUR)  # long after: paid for the hour, not the time since
    s.ok(RENT, "terminateSession", Q, U256(2))
    assert s.view(RENT, "providerPaymentOf", U256(2)) == PRICE
    assert s.view(RENT, "terminatedAt", U256(2)) == start + 100 * HOUR


def test_withdraw_both_shares(suite):
    s = suite
    setup(s)
    create(s, 2)
    s.skip(HOUR)
    s.ok(RENT, "terminateSession", A, U256(1))
    s.expect("NothingToWithdraw", RENT, "withdraw", B)
    before = s.world.balance(P).v
    s.ok(RENT, "withdraw", P)
    assert s.world.balance(P).v - before == PRICE
    s.ok(RENT, "withdraw", A)
    s.expect("NothingToWithdraw", RENT, "withdraw", A)
    assert s.world.balance(s.system.addrs[RENT]) == 0
