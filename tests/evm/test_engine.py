"""The Engine interface and the Contract layer, the same tests on py-evm and on pyrevm."""

from __future__ import annotations

import pytest
import rlp
from eth_utils import keccak

from specs.errors import EngineError
from harness.evm.abi import ABIRegistry, DecodedError, DecodedEvent
from harness.evm.engine import Contract, deploy_contract, make_engine, measure_call_rate
from tests.evm.conftest import ALICE, BOB, DEPLOYER


def counter(engine, artifacts, start=5, owner=ALICE, registry=None) -> Contract:
    art = artifacts["Counter"]
    return deploy_contract(engine, art.abi, art.bytecode, [start, owner], DEPLOYER, registry)


def create_address(sender: int, nonce: int) -> int:
    return int.from_bytes(keccak(rlp.encode([sender.to_bytes(20, "big"), nonce]))[12:], "big")


def runtime_of_size(n: int) -> bytes:
    """Initcode that deploys n zero bytes (PUSH3 n, PUSH1 0, RETURN)."""
    return bytes([0x62]) + n.to_bytes(3, "big") + bytes([0x60, 0x00, 0xF3])


# -- deployment and calls -----------------------------------------------------


def test_deploy_with_constructor_args(engine, artifacts):
    c = counter(engine, artifacts, start=7, owner=BOB)
    assert c.address == create_address(DEPLOYER, 0)
    assert engine.get_nonce(DEPLOYER) == 1
    assert c.view("count").returned == (7,)
    assert c.view("owner").returned == (BOB,)
    assert engine.get_code(c.address) == artifacts["Counter"].runtime


def test_deploy_reverting_constructor_raises_engine_error_with_decoded_error(engine, artifacts):
    with pytest.raises(EngineError) as info:
        counter(engine, artifacts, start=1001)
    assert info.value.error == DecodedError("TooLarge", (1001, DEPLOYER))
    assert "TooLarge" in str(info.value)


def test_call_changes_state_returns_value_and_bumps_nonce(engine, artifacts):
    c = counter(engine, artifacts)
    out = c.transact("inc", sender=ALICE)
    assert out.ok and out.returned == (6,) and out.error is None
    assert out.events == (DecodedEvent(c.address, "Incremented", (ALICE, 6)),)
    assert out.gas_used > 21_000
    assert engine.get_storage(c.address, 0) == 6
    assert engine.get_nonce(ALICE) == 1
    c.transact("add(uint256,uint256)", 3, 4, sender=ALICE)
    assert c.view("count").returned == (18,)
    assert engine.get_nonce(ALICE) == 2


def test_static_call_leaves_state_unchanged_even_if_the_function_writes(engine, artifacts):
    c = counter(engine, artifacts)
    nonce = engine.get_nonce(ALICE)
    out = c.view("writeAndReturn", sender=ALICE)
    assert out.ok and out.returned == (105,)
    assert engine.get_storage(c.address, 0) == 5
    assert engine.get_storage(c.address, 2) == 0
    assert engine.get_nonce(ALICE) == nonce
    spawned = c.view("spawn", 1, sender=ALICE).returned[0]
    assert engine.get_code(spawned) == b""
    assert engine.get_nonce(c.address) == 1


def test_reverts_decode_custom_error_require_string_panic_and_bare_revert(engine, artifacts):
    c = counter(engine, artifacts)
    out = c.transact("add(uint256)", 2_000_000, sender=ALICE)
    assert not out.ok and out.returned is None and out.events == ()
    assert out.error == DecodedError("TooLarge", (2_000_000, ALICE))
    assert c.transact("credit", BOB, 0, sender=ALICE).error == DecodedError("Error", ("Counter: zero credit",))
    assert c.transact("sub", 6, sender=ALICE).error == DecodedError("Panic", (0x11,))
    assert c.view("divide", 0).error == DecodedError("Panic", (0x12,))
    assert c.transact("bareRevert", sender=ALICE).error == DecodedError(None, ())
    assert c.transact("onlyOwnerReset", sender=BOB).error == DecodedError("NotOwner", (BOB,))
    assert engine.get_storage(c.address, 0) == 5
    assert engine.get_nonce(ALICE) == 4  # reverted transactions still use a nonce


def test_raw_revert_result_has_revert_data_and_no_logs(engine, artifacts):
    c = counter(engine, artifacts)
    res = engine.call(c.address, c.abi.encode_call("add(uint256)", [2_000_000]), sender=ALICE)
    assert not res.success and res.logs == () and res.created is None
    assert res.output[:4] == keccak(text="TooLarge(uint256,address)")[:4]


def test_events_with_indexed_and_plain_args_decode(engine, artifacts):
    c = counter(engine, artifacts)
    out = c.transact("note", "tag", b"\x07" * 32, [1, 2, 3], "memo", sender=BOB)
    assert out.events == (DecodedEvent(c.address, "Noted", (keccak(text="tag"), b"\x07" * 32, BOB, (1, 2, 3), "memo")),)
    res = engine.call(c.address, c.abi.encode_call("inc", []), sender=BOB)
    (log,) = res.logs
    assert log.address == c.address
    assert log.topics == (int.from_bytes(keccak(text="Incremented(address,uint256)"), "big"), BOB)
    assert log.data == (6).to_bytes(32, "big")


def test_registry_decodes_events_of_a_callee_and_its_bubbled_error(engine, artifacts):
    reg = ABIRegistry()
    tok = deploy_contract(engine, artifacts["Token"].abi, artifacts["Token"].bytecode, [], DEPLOYER, reg)
    caller = deploy_contract(engine, artifacts["Caller"].abi, artifacts["Caller"].bytecode, [tok.address], DEPLOYER, reg)
    tok.transact("mint", ALICE, 10, sender=ALICE)
    out = caller.transact("move", ALICE, BOB, 4, sender=ALICE)
    assert out.events == (
        DecodedEvent(tok.address, "Transfer", (ALICE, BOB, 4)),
        DecodedEvent(caller.address, "Moved", (ALICE, BOB, 4)),
    )
    out = caller.transact("move", ALICE, BOB, 7, sender=ALICE)
    assert out.error == DecodedError("InsufficientBalance", (ALICE, 6, 7))


def test_value_transfer_and_insufficient_balance(engine, artifacts):
    c = counter(engine, artifacts)
    engine.set_balance(ALICE, 10**18)
    assert c.transact("credit", BOB, 1, sender=ALICE, value=400).ok
    assert engine.get_balance(c.address) == 400
    assert engine.get_balance(ALICE) == 10**18 - 400  # gas is free
    assert c.view("balanceOf", c.address).returned == (400,)
    nonce = engine.get_nonce(BOB)
    with pytest.raises(EngineError):
        c.transact("credit", BOB, 1, sender=BOB, value=1)
    assert engine.get_nonce(BOB) == nonce


def test_block_number_and_timestamp_are_settable_and_visible(engine, artifacts):
    c = counter(engine, artifacts)
    engine.set_block(number=1234, timestamp=1_800_000_000)
    assert (engine.block_number, engine.timestamp) == (1234, 1_800_000_000)
    number, timestamp, chain_id, prev_hash = c.view("blockInfo").returned
    assert (number, timestamp, chain_id) == (1234, 1_800_000_000, 1)
    assert prev_hash == keccak(text="1233")
    engine.set_block(timestamp=1_800_000_100)
    assert c.transact("recordBlock", sender=ALICE).returned == (1_800_000_100,)
    assert engine.get_storage(c.address, 2) == 1234


def test_transient_storage_is_cleared_between_calls(engine, artifacts):
    c = counter(engine, artifacts)
    assert [c.transact("transientBump", sender=ALICE).returned for _ in range(3)] == [(1,)] * 3


# -- snapshots --------------------------------------------------------------------


def test_snapshot_revert_works_repeatedly(engine, artifacts):
    c = counter(engine, artifacts)
    snap = engine.snapshot()
    for i in range(3):
        c.transact("inc", sender=ALICE)
        c.transact("spawn", i, sender=ALICE)
        engine.set_block(number=50 + i)
        assert c.view("count").returned == (6,)
        engine.revert(snap)
        assert c.view("count").returned == (5,)
        assert engine.get_nonce(ALICE) == 0
        assert engine.get_nonce(c.address) == 1
        assert engine.block_number == 1


def test_snapshot_revert_nested(engine, artifacts):
    c = counter(engine, artifacts)
    outer = engine.snapshot()
    c.transact("inc", sender=ALICE)
    inner = engine.snapshot()
    c.transact("inc", sender=ALICE)
    engine.revert(inner)
    assert c.view("count").returned == (6,)
    c.transact("add(uint256)", 10, sender=ALICE)
    engine.revert(inner)
    assert c.view("count").returned == (6,)
    engine.revert(outer)
    assert c.view("count").returned == (5,)
    with pytest.raises(EngineError):
        engine.revert(inner)  # taken after `outer`: invalidated by the revert to it
    c.transact("inc", sender=BOB)
    engine.revert(outer)
    assert c.view("count").returned == (5,)
    assert engine.get_nonce(BOB) == 0


def test_snapshot_reverts_cheats_interleaved_with_transactions(engine, artifacts):
    c = counter(engine, artifacts)
    engine.set_balance(ALICE, 1000)
    engine.set_code(0xE1, b"\x60\x00")
    snap = engine.snapshot()
    c.transact("credit", BOB, 1, sender=ALICE, value=100)  # journaled balance change
    engine.set_balance(c.address, 7)  # cheat over it
    engine.set_balance(ALICE, 5)
    c.transact("spawn", 1, sender=ALICE)  # journaled nonce change of the contract
    engine.set_code(0xE1, b"\x60\x01")
    engine.set_code(0xE2, b"\x60\x02")
    engine.set_storage(c.address, 0, 999)
    engine.deploy(runtime_of_size(3), sender=ALICE)
    c.transact("inc", sender=ALICE)
    engine.revert(snap)
    assert engine.get_balance(ALICE) == 1000
    assert engine.get_balance(c.address) == 0
    assert engine.get_nonce(ALICE) == 0 and engine.get_nonce(c.address) == 1
    assert engine.get_code(0xE1) == b"\x60\x00"
    assert engine.get_code(0xE2) == b""
    assert engine.get_storage(c.address, 0) == 5


# -- accounts ---------------------------------------------------------------------


def test_set_and_get_storage(engine, artifacts):
    c = counter(engine, artifacts)
    engine.set_storage(c.address, 0, 41)
    assert c.view("count").returned == (41,)
    assert c.transact("inc", sender=ALICE).returned == (42,)
    engine.set_storage(0x1234, 2**256 - 1, 3)
    assert engine.get_storage(0x1234, 2**256 - 1) == 3
    assert engine.get_storage(0x1234, 0) == 0


def test_set_code_places_a_runtime_at_a_fixed_address(engine, artifacts):
    fixed = 0x1820
    engine.set_code(fixed, artifacts["Counter"].runtime)
    engine.set_storage(fixed, 0, 3)
    c = Contract(engine, fixed, counter(engine, artifacts).abi)
    assert c.transact("inc", sender=ALICE).returned == (4,)
    assert engine.get_code(fixed) == artifacts["Counter"].runtime


def test_create_addresses_follow_sender_nonce_on_both_engines(artifacts):
    addresses = []
    for name in ("py-evm", "pyrevm"):
        engine = make_engine(name)
        c = counter(engine, artifacts)
        c.transact("inc", sender=DEPLOYER)  # a call uses nonce 1
        second = engine.deploy(runtime_of_size(1), sender=DEPLOYER).created
        child = c.transact("spawn", 3, sender=ALICE).returned[0]
        addresses.append((c.address, second, child))
        assert second == create_address(DEPLOYER, 2)
        assert child == create_address(c.address, 1)
    assert addresses[0] == addresses[1]


# -- code size limit --------------------------------------------------------------


@pytest.mark.parametrize("name", ["py-evm", "pyrevm"])
def test_default_code_size_limit_rejects_runtime_above_24576_bytes(name):
    engine = make_engine(name)
    assert engine.deploy(runtime_of_size(24_576), sender=DEPLOYER).success
    res = engine.deploy(runtime_of_size(24_577), sender=DEPLOYER)
    assert not res.success and res.created is None
    assert engine.get_code(create_address(DEPLOYER, 1)) == b""


@pytest.mark.parametrize("name", ["py-evm", "pyrevm"])
def test_code_size_limit_option_lifts_the_limit(name):
    engine = make_engine(name, code_size_limit=0x10000)
    res = engine.deploy(runtime_of_size(32_768), sender=DEPLOYER)
    assert res.success
    assert len(engine.get_code(res.created)) == 32_768
    assert not engine.deploy(runtime_of_size(0x10001), sender=DEPLOYER).success


def test_initcode_above_twice_the_limit_is_refused(engine):
    with pytest.raises(EngineError):
        engine.deploy(bytes(49_153), sender=DEPLOYER)
    assert engine.get_nonce(DEPLOYER) == 0


def test_make_engine_rejects_unknown_names_and_options():
    with pytest.raises(EngineError):
        make_engine("geth")
    with pytest.raises(EngineError):
        make_engine("pyrevm", fork="prague")


@pytest.mark.parametrize("name", ["py-evm", "pyrevm"])
def test_measure_call_rate_runs_every_call(name):
    assert measure_call_rate(name, calls=50) > 0
