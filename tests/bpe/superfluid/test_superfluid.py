"""The real Superfluid framework (1.15.2 artifacts) on both engines: deployment, a GDA pool with a
flow distribution, and the exact agreement of the two engines on every rate and balance."""

from __future__ import annotations

import pytest

from specs.errors import EngineError
from harness.evm import superfluid as sf
from harness.evm.engine import EIP170_CODE_SIZE_LIMIT, make_engine

ADMIN = 0xAD1111  # pool admin and distributor
M1, M2 = 0xB0B, 0xCA401  # members with units 1 and 3
UNITS = {M1: 1, M2: 3}
FUNDS = 10**24
REQUESTED = 10**12 + 7  # not a multiple of the total units (4)
ELAPSED = 3_600


def scenario(world) -> dict:
    """Create a pool, give M1 and M2 units 1 and 3, connect both, distribute a flow, let an hour
    pass; return everything observed. The world is reset afterwards."""
    fw, token, engine = world.fw, world.token, world.engine
    try:
        sf.value(sf.fund(fw, token, ADMIN, FUNDS))
        _ok, pool = sf.value(sf.create_pool(fw, token, ADMIN, sender=ADMIN))
        for member, units in UNITS.items():
            sf.value(sf.update_member_units(fw, pool, member, units, sender=ADMIN))
            sf.value(sf.connect_pool(fw, pool, sender=member))
        sf.value(sf.distribute_flow(fw, token, pool, REQUESTED, sender=ADMIN))
        start = engine.timestamp
        obs = {
            "pool": pool,
            "total_units": sf.value(sf.total_units(fw, pool)),
            "actual": sf.value(sf.flow_distribution_flow_rate(fw, token, ADMIN, pool)),
            "estimate": sf.value(sf.estimate_flow_distribution(fw, token, ADMIN, pool, REQUESTED)),
            "member_rates": {m: sf.value(sf.member_flow_rate(fw, pool, m)) for m in UNITS},
            "net_flow": sf.value(sf.net_flow(fw, token, ADMIN)),
            "flow": sf.value(sf.buffer_deposit(fw, token, ADMIN, pool)),
            "connected": {m: sf.value(sf.is_member_connected(fw, pool, m)) for m in UNITS},
        }
        engine.set_block(number=engine.block_number + 300, timestamp=start + ELAPSED)
        accounts = (ADMIN, M1, M2, pool)
        obs["rtb"] = {a: sf.value(sf.realtime_balance(fw, token, a)) for a in accounts}
        obs["balance"] = {a: sf.value(sf.balance_of(fw, token, a)) for a in accounts}
        return obs
    finally:
        world.reset()


@pytest.fixture(scope="module")
def observed(worlds) -> dict[str, dict]:
    return {name: scenario(world) for name, world in worlds.items()}


# -- deployment ------------------------------------------------------------------


def test_framework_has_the_same_addresses_and_code_on_both_engines(worlds):
    a, b = worlds["pyrevm"].fw, worlds["py-evm"].fw
    assert a.addresses == b.addresses
    for name, addr in a.addresses.items():
        code = a.engine.get_code(addr)
        assert code, f"{name} at 0x{addr:040x} has no code"
        assert code == b.engine.get_code(addr), f"{name}: runtime code differs between the engines"
    assert worlds["pyrevm"].token.address == worlds["py-evm"].token.address
    assert worlds["pyrevm"].token.underlying.address == worlds["py-evm"].token.underlying.address


def test_framework_handles_point_at_the_framework(worlds):
    fw = worlds["pyrevm"].fw
    assert fw.host.address == fw.addresses["host"]
    assert fw.gda.address == fw.addresses["gda"]
    assert fw.gda_forwarder.address == fw.addresses["gdaV1Forwarder"]
    assert fw.cfa_forwarder.address == fw.addresses["cfaV1Forwarder"]
    assert fw.super_token_factory.address == fw.addresses["superTokenFactory"]
    assert fw.addresses["erc1820"] == sf.ERC1820_ADDRESS
    assert sf.value(fw.host.view("getSuperTokenFactory")) == fw.super_token_factory.address
    token = worlds["pyrevm"].token
    assert sf.value(token.super_token.view("getUnderlyingToken")) == token.underlying.address
    assert sf.value(token.super_token.view("symbol")) == "TTx"


def test_framework_deployer_is_above_the_default_code_size_limit(worlds):
    """Its runtime (32,429 bytes) is over EIP-170's 24,576: the default engines refuse it, the
    engines made with superfluid.CODE_SIZE_LIMIT accept it (same bytecode, libraries linked)."""
    art = sf.artifact(sf.FRAMEWORK_DEPLOYER)
    bytecode = sf.link(art, {lib: 0x1000 + i for i, lib in enumerate(sf.LIBRARIES)})
    assert len(art["deployedBytecode"]) // 2 - 1 > EIP170_CODE_SIZE_LIMIT
    for name in ("pyrevm", "py-evm"):
        assert not make_engine(name).deploy(bytecode, sender=sf.DEPLOYER).success, name
        res = sf.make_superfluid_engine(name).deploy(bytecode, sender=sf.DEPLOYER)
        assert res.success and len(res.output) == len(art["deployedBytecode"]) // 2 - 1, name


def test_deploy_framework_with_the_default_code_size_limit_raises_engine_error(superfluid_package):
    with pytest.raises(EngineError, match="code_size_limit=65536"):
        sf.deploy_framework(make_engine("pyrevm"))


def test_deploy_framework_raises_decoded_revert_of_a_failing_step(superfluid_package, monkeypatch):
    """Without the ERC1820 registry at its canonical address, step 6 (TOGA) reverts."""
    monkeypatch.setattr(sf, "ERC1820_ADDRESS", 0x1820)
    with pytest.raises(EngineError, match=r"executeStep\(6\) reverted with DEPLOY_TOGA_REQUIRES_1820\(\)") as info:
        sf.deploy_framework(sf.make_superfluid_engine("pyrevm"))
    assert info.value.error.name == "DEPLOY_TOGA_REQUIRES_1820"


def test_link_refuses_a_missing_library(superfluid_package):
    art = sf.artifact("SuperfluidGDAv1DeployerLibrary")
    with pytest.raises(EngineError, match="needs library SuperfluidPoolDeployerLibrary"):
        sf.link(art, {"SlotsBitmapLibrary": 0x1})


def test_deploy_framework_is_deterministic(worlds):
    again = sf.deploy_framework(sf.make_superfluid_engine("pyrevm"))
    assert again.addresses == worlds["pyrevm"].fw.addresses


# -- a GDA flow distribution ---------------------------------------------------------


@pytest.mark.parametrize("engine_name", ["pyrevm", "py-evm"])
def test_distribute_flow_rate_is_floored_to_a_multiple_of_total_units(observed, engine_name):
    obs = observed[engine_name]
    total = obs["total_units"]
    assert total == sum(UNITS.values())
    assert obs["actual"] <= REQUESTED
    assert obs["actual"] == REQUESTED // total * total
    assert obs["estimate"] == (obs["actual"], obs["actual"])
    assert obs["net_flow"] == -obs["actual"]
    assert obs["flow"][1] == obs["actual"]


@pytest.mark.parametrize("engine_name", ["pyrevm", "py-evm"])
def test_member_flow_rates_split_1_to_3(observed, engine_name):
    obs = observed[engine_name]
    per_unit = obs["actual"] // obs["total_units"]
    assert obs["member_rates"] == {m: per_unit * u for m, u in UNITS.items()}
    assert obs["member_rates"][M2] == 3 * obs["member_rates"][M1]
    assert all(obs["connected"].values())


@pytest.mark.parametrize("engine_name", ["pyrevm", "py-evm"])
def test_balances_after_an_hour_follow_the_rates(observed, engine_name):
    obs = observed[engine_name]
    deposit = obs["flow"][2]
    assert deposit >= obs["actual"] * 4 * 3600  # liquidation period of the test framework: 4 hours
    available, buffer, owed, _t = obs["rtb"][ADMIN]
    assert (buffer, owed) == (deposit, 0)
    assert available == FUNDS - deposit - obs["actual"] * ELAPSED
    for m in UNITS:
        assert obs["rtb"][m][0] == obs["balance"][m] == obs["member_rates"][m] * ELAPSED
    assert obs["rtb"][obs["pool"]][0] == 0  # every member connected: nothing held for them


def test_rates_and_balances_are_identical_on_both_engines(observed):
    assert observed["pyrevm"] == observed["py-evm"]


def test_a_revert_is_an_outcome_with_the_decoded_error(worlds):
    world = worlds["pyrevm"]
    fw, token = world.fw, world.token
    try:
        _ok, pool = sf.value(sf.create_pool(fw, token, ADMIN, sender=ADMIN))
        out = sf.update_member_units(fw, pool, M1, 1, sender=M1)  # not the pool admin
        assert not out.ok and out.error.name == "GDA_NOT_POOL_ADMIN"
        sf.value(sf.update_member_units(fw, pool, M1, 1, sender=ADMIN))
        out = sf.distribute_flow(fw, token, pool, 10**12, sender=ADMIN)  # no SuperToken balance
        assert not out.ok and out.error.name == "GDA_INSUFFICIENT_BALANCE"
        with pytest.raises(EngineError, match="GDA_NOT_POOL_ADMIN"):
            sf.value(sf.update_member_units(fw, pool, M2, 1, sender=M2))
    finally:
        world.reset()
