"""Seeded random call sequences over the whole suite, on both engines against the models: every step's
outcome, error, return value, events and state compared (tests/compute/pair.py). Arguments are drawn
from small ranges around the rules' edges (minimum stakes, ids 0 to count + 1, hour boundaries), so
most steps revert somewhere in a check order and the rest move money."""

from __future__ import annotations

import random

import pytest

from specs.compute.compute_registry import TeeType
from specs.compute.compute_staking import StakeRole
from specs.compute.system import OWNER
from specs.compute.trigger_registry import TriggerType
from specs.kernel import U64, U256, Address, Bool, Bytes32, DynBytes, String
from tests.compute.pair import A, B, ENGINES, ETH, G, HOUR, P, Q, T, X, Suite, check_views
from eth_utils import keccak

PEOPLE = (A, B, P, Q, G, T, X)
AMOUNTS = (0, 1, ETH // 100 - 1, ETH // 100, ETH // 10, ETH, 2 * ETH)
PRICES = (1, 10**15 + 7, 10**24)
ATTESTATIONS = ("", "quote-1", "quote-2")


class Capped:
    """Suite.call with msg.value capped at what the sender holds (a transaction that cannot pay is not
    a revert; it is not sent): an unaffordable value is sent as 0."""

    def __init__(self, s: Suite):
        self.s = s

    def call(self, name, fn, sender, *args, value=0):  # noqa: ANN001, ANN002, ANN201
        if value > self.s.world.balance(sender).v:
            value = 0
        return self.s.call(name, fn, sender, *args, value=value)

    def __getattr__(self, name):  # noqa: ANN001, ANN204
        return getattr(self.s, name)


def step(s: Suite, r: random.Random) -> None:
    s = Capped(s)
    who = r.choice(PEOPLE)
    role = StakeRole(r.randrange(3))
    amount = r.choice(AMOUNTS)
    pid = U256(r.randrange(4))
    sid = U256(r.randrange(s.system.rental.sessionCount.v + 2))
    tid = U256(r.randrange(s.system.triggers.triggerCount.v + 2))
    current = s.system.staking.stakes[who][role].v
    unstake = r.choice(AMOUNTS + (current, current - ETH // 100, current - ETH // 10))
    party = r.choice((A, A, P, who))
    hours = r.choice((0, 1, 2, 3, 8760))
    price = r.choice(PRICES)
    actions = [
        lambda: s.call("ComputeStaking", "stake", who, role, value=amount),
        lambda: s.call("ComputeStaking", "requestUnstake", who, role, U256(max(unstake, 0))),
        lambda: s.call("ComputeStaking", "withdrawUnstaked", who, role),
        lambda: s.call("ComputeStaking", "slash", r.choice((G, G, OWNER, who)), Address(r.choice((A, P, G, who))), role,
                       U256(r.choice(AMOUNTS)), String("r")),
        lambda: s.call("ComputeStaking", "setGuardian", OWNER, Address(G), Bool(r.random() < 0.8)),
        lambda: s.call("ComputeStaking", "sweepToTreasury", who),
        lambda: s.call("ComputeRegistry", "register", who, String("e"), String(r.choice(ATTESTATIONS)), U256(price),
                       value=r.choice((0, ETH // 10))),
        lambda: s.call("ComputeRegistry", "updatePricing", who, U256(price)),
        lambda: s.call("ComputeRegistry", "setActive", who, Bool(r.random() < 0.6)),
        lambda: s.call("ComputeRegistry", "updateAttestation", who, String(r.choice(ATTESTATIONS))),
        lambda: s.call("ComputeRegistry", "setAttester", OWNER, Address(T), Bool(r.random() < 0.8)),
        lambda: s.call("ComputeRegistry", "attest", r.choice((T, who)), pid,
                       Bytes32(keccak(r.choice(ATTESTATIONS).encode())), TeeType(r.randrange(5)),
                       U64(s.now + r.choice((0, HOUR, 30 * 86400, 30 * 86400 + 1)))),
        lambda: s.call("ComputeRegistry", "revokeAttestation", r.choice((T, who)), pid),
        lambda: s.call("ComputeRental", "createSession", party, pid, U256(hours), String("k"),
                       value=hours * (r.choice(PRICES) if r.random() < 0.3 else _price(s, pid))),
        lambda: s.call("ComputeRental", "extendSession", party, sid, U256(hours % 8760),
                       value=(hours % 8760) * _session_price(s, sid)),
        lambda: s.call("ComputeRental", "terminateSession", party, sid),
        lambda: s.call("ComputeRental", "withdraw", who),
        lambda: s.call("InferenceServing", "deposit", who, value=amount),
        lambda: s.call("InferenceServing", "withdraw", who, U256(r.choice(AMOUNTS))),
        lambda: s.call("InferenceServing", "approveProvider", who, Address(r.choice((P, Q))),
                       U256(r.choice((0, 1000, 10**9)))),
        lambda: s.call("InferenceServing", "setModelPrice", who, String("llama-70b"), U256(r.randrange(3)),
                       U256(r.randrange(3))),
        lambda: s.call("InferenceServing", "recordUsage", r.choice((P, Q, who)), Address(r.choice((A, A, B, P))), U256(r.randrange(300)),
                       U256(r.randrange(300)), String(r.choice(("llama-70b", "gpt-x")))),
        lambda: s.call("InferenceServing", "withdrawEarnings", who),
        lambda: s.call("LedgerManager", "deposit", who, value=amount),
        lambda: s.call("LedgerManager", "withdraw", who, U256(r.choice(AMOUNTS))),
        lambda: s.call("TriggerRegistry", "createTrigger", who, TriggerType(r.randrange(3)),
                       DynBytes(r.choice((60, 61, 59, HOUR)).to_bytes(32, "big"))),
        lambda: s.call("TriggerRegistry", "fundTrigger", who, tid, value=r.choice((0, 5 * 10**14, ETH // 1000))),
        lambda: s.call("TriggerRegistry", "executeTrigger", r.choice((X, who)), tid, DynBytes(b"in")),
        lambda: s.call("TriggerRegistry", "deactivateTrigger", r.choice((A, who)), tid),
        lambda: s.call("TriggerRegistry", "setExecutor", OWNER, Address(X), Bool(r.random() < 0.8)),
        lambda: s.call("TriggerRegistry", "withdraw", who),
        lambda: s.skip(r.choice((1, 59, 60, HOUR - 1, HOUR, 7 * 86400))),
    ]
    r.choice(actions)()


def _price(s: Suite, pid: U256) -> int:
    reg = s.system.registry
    return reg.providers[pid].pricePerHour.v if 1 <= pid.v <= reg.providerCount.v else 1


def _session_price(s: Suite, sid: U256) -> int:
    return s.system.rental.sessionPrice[sid].v


def walk(engine: str, seed: int, steps: int) -> Suite:
    s = Suite(engine)
    r = random.Random(seed)
    # a start that lets most functions get past their first checks
    s.call("ComputeStaking", "stake", A, StakeRole.User, value=ETH // 100)
    s.call("ComputeRegistry", "register", P, String("e"), String("quote-1"), U256(10**15 + 7), value=ETH // 10)
    s.call("ComputeStaking", "setGuardian", OWNER, Address(G), Bool(True))
    s.call("ComputeStaking", "stake", G, StakeRole.Guardian, value=ETH)
    s.call("InferenceServing", "setModelPrice", P, String("llama-70b"), U256(2), U256(3))
    s.call("InferenceServing", "deposit", A, value=ETH)
    s.call("InferenceServing", "approveProvider", A, Address(P), U256(10**6))
    for _ in range(steps):
        step(s, r)
    check_views(s)
    return s


@pytest.mark.parametrize("engine", ENGINES)
def test_a_short_random_walk_agrees(engine):
    s = walk(engine, 1, 60)
    assert len(s.history) > 60 // 2  # the steps that are not time skips are calls, each compared


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 12))
@pytest.mark.parametrize("engine", ENGINES)
def test_longer_random_walks_agree(engine, seed):
    s = walk(engine, seed, 250)
    assert len(s.history) > 250 // 2
