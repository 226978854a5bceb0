"""The GDA reference model (specs/bpe/superfluid.py) against the real Superfluid 1.15.2 bytecode.

- unit tests of the semantic-money rounding rules on small numbers (model only);
- scripted scenarios and the derandomized differential machine on pyrevm, a few sequences on py-evm;
- the broken variants of tests/bpe/fixtures/broken_gda.py are caught;
- World.clone() isolates the model state (transaction rollback).
"""

from __future__ import annotations

import pytest

from harness.fuzz.bpe import gda
from specs.bpe import superfluid as sfm
from specs.kernel import I96, I128, I256, U32, U128, U256, Address, Msg, World
from tests.checkers import tiered
from tests.bpe.fixtures.broken_gda import BROKEN

T0 = U32(1000)


def idx(units: int, per_unit: int = 0) -> sfm.PoolIndex:
    return sfm.PoolIndex(I128(units), sfm.Particle(T0, I128(per_unit), I256(0)))


# -- rounding rules on small numbers --------------------------------------------------------------

def test_flow_rate_is_floored_to_a_multiple_of_total_units():
    a, n, r1 = sfm.shift_flow2b_up(sfm.Particle.empty(), idx(4), I128(1003), T0)
    assert r1.v == 1000 and n.wp.flow_rate.v == 250
    assert a.flow_rate.v == -1000  # the distributor pays the actual rate only; the remainder 3 stays


def test_instant_amount_is_floored_to_a_multiple_of_total_units():
    a, n, x1 = sfm.shift2b(sfm.Particle.empty(), idx(3), I256(10))
    assert x1.v == 9 and n.wp.settled_value.v == 3 and a.settled_value.v == -9
    _a, _n, x0 = sfm.shift2b(sfm.Particle.empty(), idx(0), I256(10))
    assert x0.v == 0  # no units: nothing moves


def test_units_change_sends_the_remainder_to_the_adjustment_particle():
    i = idx(4, 250)  # 1000/s over 4 units
    m = sfm.PoolMember(I128(1), I256(0), i.wp)
    i2, m2, p = sfm.pool_member_update(i, m, sfm.Particle.empty(), I128(0), T0)  # 4 -> 3 units
    assert i2.total_units.v == 3 and i2.wp.flow_rate.v == 333 and p.flow_rate.v == 1  # 1000 = 3*333 + 1
    i3, _m3, p3 = sfm.pool_member_update(i2, sfm.PoolMember(I128(3), I256(0), i2.wp), sfm.Particle.empty(), I128(0), T0)
    assert i3.total_units.v == 0 and i3.wp.flow_rate.v == 0 and p3.flow_rate.v == 999  # everything to the admin


def test_member_balance_follows_the_per_unit_particle():
    i = idx(4, 250)
    m = sfm.PoolMember(I128(3), I256(5), i.wp)
    assert sfm.member_rtb(i, m, U32(1010)).v == 5 + 3 * 2500


def test_signed_division_truncates_in_flow1():
    _n, r1 = idx(4).flow1(I128(-1003))
    assert r1.v == -1000  # truncation towards zero, as Solidity


def test_buffer_and_safecast_errors():
    assert sfm.to_int96(I256(5)).v == 5
    with pytest.raises(sfm.Revert) as e:
        sfm.to_int96(I256(2**95))
    assert e.value.error == sfm.SafeCastOverflowedIntDowncast(sfm.U8(96), I256(2**95))
    with pytest.raises(sfm.Revert):
        sfm.uint_to_int256(U256(2**255))


def test_pool_address_is_create_from_the_gda_nonce():
    assert sfm.pool_address(0x791ED1CED4E683CB697E529A4A3D3F651492329B, 1) == 0xFA02806C96AEEB2D566022D04BC61CCE5A0E5455


def test_world_clone_isolates_pool_and_token_state():
    addrs = sfm.SuperfluidAddresses(gda=0x6DA, forwarder=0xF0D, super_token=0x70C, underlying=0x0DE)
    w = sfm.build_superfluid_world(addrs)
    admin, member = Address(0xA1), Address(0xB1)
    out = w.transact(0xF0D, "createPool", Msg(admin), Address(0x70C), admin, (False, False))
    assert out.ok
    pool = out.returned[1]
    before = w.clone()
    assert w.transact(0xF0D, "updateMemberUnits", Msg(admin), pool, member, U128(5), b"").ok
    assert w.at(pool).mUnits[member].v == 5 and before.at(pool).mUnits[member].v == 0
    assert w.at(pool).totalUnits.v == 5 and before.at(pool).totalUnits.v == 0
    bad = w.transact(0xF0D, "updateMemberUnits", Msg(member), pool, member, U128(9), b"")
    assert not bad.ok and bad.error.abi_name() == "GDA_NOT_POOL_ADMIN" and w.at(pool).mUnits[member].v == 5
    assert before.at(pool).world is before and w.at(pool).world is w


# -- against the bytecode --------------------------------------------------------------------------

def scripted(d: gda.GdaDifferential) -> None:
    a0, (m1, m2, m3), tok = gda.ADMINS[0], gda.MEMBERS, d.env.token.address
    call = lambda to, fn, sender, *args: d.step({"op": "call", "to": to, "fn": fn, "sender": sender, "args": list(args)})
    call("underlying", "mint", a0, a0, 10**24)
    call("underlying", "approve", a0, tok, 10**24)
    call("token", "upgrade", a0, 10**22)
    call("forwarder", "createPool", a0, tok, a0, [False, False])
    pool = d.pools[0]
    call("forwarder", "updateMemberUnits", a0, pool, m1, 1, "0x")
    call("pool0", "updateMemberUnits", a0, m2, 3)
    call("forwarder", "connectPool", m1, pool, "0x")
    call("forwarder", "distributeFlow", a0, tok, a0, pool, 10**12 + 7, "0x")
    call("forwarder", "distribute", a0, tok, a0, pool, 10**15 + 3, "0x")
    d.step({"op": "advance", "seconds": 1000})
    call("forwarder", "disconnectPool", m1, pool, "0x")
    call("forwarder", "connectPool", m2, pool, "0x")
    call("pool0", "claimAll", m1)
    call("forwarder", "updateMemberUnits", a0, pool, m1, 0, "0x")
    d.step({"op": "advance", "seconds": 77})
    call("forwarder", "updateMemberUnits", a0, pool, m2, 0, "0x")  # total units 0: all to the admin
    call("forwarder", "updateMemberUnits", a0, pool, m3, 7, "0x")
    call("forwarder", "distributeFlow", a0, tok, a0, pool, 10**12, "0x")  # re-absorbs the adjustment flow
    d.step({"op": "advance", "seconds": 50})
    call("forwarder", "distributeFlow", a0, tok, a0, pool, 2**95 - 1, "0x")  # buffer above uint96: reverts
    call("forwarder", "distributeFlow", a0, tok, a0, pool, 0, "0x")


@pytest.mark.parametrize("engine_name", tiered(["pyrevm", "py-evm"], fast=["pyrevm"]))
def test_scripted_scenario_matches_the_bytecode(superfluid_package, engine_name):
    d = gda.GdaDifferential(gda.env(engine_name))
    scripted(d)
    assert d.index == 21
    assert d.reverts == {"forwarder.distributeFlow: SafeCastOverflowedUintDowncast": 1}


@pytest.mark.slow
def test_differential_machine_on_pyrevm(superfluid_package):
    res = gda.run_gda_fuzz("pyrevm", max_examples=30, step_count=30)
    assert res.status == "PASSED", res.message + "\n" + str(res.shrunk_steps)
    assert res.sequences >= 30 and res.steps > 900
    assert res.reverts.get("forwarder.distributeFlow: GDA_NO_NEGATIVE_FLOW_RATE")


@pytest.mark.slow
def test_differential_machine_on_pyevm(superfluid_package):
    res = gda.run_gda_fuzz("py-evm", max_examples=2, step_count=5)
    assert res.status == "PASSED", res.message + "\n" + str(res.shrunk_steps)


@pytest.mark.catches("gda-reference")
@pytest.mark.parametrize("name", tiered(sorted(BROKEN), fast=["remainder_from_distributor"]))
def test_broken_variant_is_caught(superfluid_package, name):
    res = gda.run_gda_fuzz("pyrevm", max_examples=25, step_count=20, classes=BROKEN[name], shrink_seconds=5)
    assert res.status == "VIOLATED", (name, res.status, res.message)
    # the shared Mismatch's records (harness/fuzz/difference.py), one per "differs:" line of the message
    assert res.differences and all(f"  differs: {d.render()}" in res.message for d in res.differences)
