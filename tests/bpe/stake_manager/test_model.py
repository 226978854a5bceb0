"""The decisions documented in specs/bpe/stake_manager.py, as the model implements them."""

import pytest

from specs.kernel import U256, Address, Bool, Bytes32, Msg
from specs.bpe.system import GOVERNANCE, TREASURY, build_system

E18 = 10**18
SINK, SLASHER, STRANGER = 0xA1, 0xB2, 0xC3


@pytest.fixture
def s():
    s = build_system()
    w, tok, sm = s.world, s.addrs["TestToken"], s.addrs["StakeManager"]
    for a in (SINK, STRANGER):
        assert w.transact(tok, "mint", Msg(Address(a)), Address(a), U256(1000 * E18)).ok
        assert w.transact(tok, "approve", Msg(Address(a)), Address(sm), U256(U256.MAX)).ok
    return s


def call(s, fn, sender, *args):
    return s.world.transact(s.addrs["StakeManager"], fn, Msg(Address(sender)), *args)


def test_stake_reverts_below_min_stake(s):
    out = call(s, "stake", SINK, U256(100 * E18 - 1))
    assert out.error.abi_name() == "BelowMinStake"
    assert [a.v for a in out.error.args()] == [100 * E18 - 1, 100 * E18]


def test_unstake_reverts_when_leaving_less_than_min_stake(s):
    assert call(s, "stake", SINK, U256(150 * E18)).ok
    assert call(s, "unstake", SINK, U256(51 * E18)).error.abi_name() == "BelowMinStake"
    assert call(s, "unstake", SINK, U256(50 * E18)).ok
    assert call(s, "unstake", SINK, U256(100 * E18)).ok  # a full exit is always allowed
    assert s.stake_manager.stakes[SINK].v == 0


def test_slash_above_stake_takes_the_whole_stake(s):
    assert call(s, "stake", SINK, U256(200 * E18)).ok
    assert call(s, "setSlasher", GOVERNANCE, Address(SLASHER), Bool(True)).ok
    out = call(s, "slash", SLASHER, Address(SINK), U256(10**30), Bytes32(0))
    assert out.ok
    assert [e.event.abi_name() for e in out.events] == ["Transfer", "Slashed"]
    assert out.events[1].event.amount.v == 200 * E18
    assert s.token._balances[TREASURY].v == 200 * E18


def test_slash_leaving_less_than_min_ejects_the_sink(s):
    assert call(s, "stake", SINK, U256(150 * E18)).ok
    assert call(s, "setSlasher", GOVERNANCE, Address(SLASHER), Bool(True)).ok
    out = call(s, "slash", SLASHER, Address(SINK), U256(60 * E18), Bytes32(0))
    assert [e.event.abi_name() for e in out.events] == ["Transfer", "Slashed", "Transfer", "Unstaked"]
    assert s.stake_manager.stakes[SINK].v == 0 and s.stake_manager.totalStaked.v == 0
    assert s.token._balances[SINK].v == (1000 - 60) * E18


def test_only_governance_grants_the_slasher_role(s):
    assert call(s, "setSlasher", STRANGER, Address(STRANGER), Bool(True)).error.abi_name() == "NotGovernance"
    assert call(s, "slash", STRANGER, Address(SINK), U256(1), Bytes32(0)).error.abi_name() == "NotSlasher"


def test_capacity_cap_is_floor_sqrt_of_whole_tokens(s):
    assert call(s, "stake", SINK, U256(120 * E18 + 5)).ok
    assert s.world.view(s.addrs["StakeManager"], "getCapacityCap", Address(SINK)).returned.v == 10
