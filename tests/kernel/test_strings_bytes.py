"""`string` and `bytes` state variables: the kernel concretely, the state reader in solc's short
(<= 31 bytes, in the slot) and long (data from keccak(slot)) forms on both EVMs, planted differences
named, and the prover reporting string and bytes storage UNSUPPORTED by name.
Contract: tests/kernel/contracts/Names.sol; model: tests/kernel/names_model.py."""

from __future__ import annotations

import pytest

from specs.errors import WorkbenchError
from harness.fuzz.stateview import array_data_slot, write_system
from invariants.prover import Prover
from invariants.registry import Invariant
from specs.kernel import DynBytes, ModelBug, String
from tests.kernel.evm_pair import Pair, error_of, model_system
from tests.kernel.names_model import AppendDropsFirstByte, NamesModel

A = 0xA1
ENGINES = ("pyrevm", "py-evm")
LONG = "a name of more than thirty-one bytes, in the long form: ü"


def test_bytes_and_strings_concretely():
    s = String("héllo")
    assert s.length().v == 6 and str(s) == "héllo"  # bytes, not characters
    assert DynBytes(b"ab") + DynBytes(b"c") == DynBytes(b"abc")
    with pytest.raises(ModelBug):
        String("a") + DynBytes(b"b")
    with pytest.raises(ModelBug):
        DynBytes(5)


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_short_and_long_strings_and_bytes(engine):
    pair = Pair(engine, "Names", NamesModel)
    seen = []
    for fn, arg in [("setName", String("short")), ("appendData", DynBytes(b"\x01" * 20)),
                    ("appendData", DynBytes(b"\x02" * 20)),  # 40 bytes: from the short form to the long
                    ("setName", String(LONG)), ("setName", String("x" * 101)),  # Error("long")
                    ("setName", String("x" * 31)),  # back to the short form, at its limit
                    ("clearData", None), ("appendData", DynBytes(b"\x03" * 64))]:
        m, e = pair.call(fn, A, *(() if arg is None else (arg,)))
        seen.append((error_of(m), error_of(e)))
        if fn != "setName" or arg != String("x" * 101):
            assert pair.diff([A]) == [], fn
    assert [m for m, _ in seen] == [e for _, e in seen] and ("Error", ("long",)) in [m for m, _ in seen]
    evm = pair.evm_state([A]).world.contracts[pair.address]
    assert (evm.name, evm.data, evm.version.v) == (String("x" * 31), DynBytes(b"\x03" * 64), 3)


@pytest.mark.parametrize("engine", ENGINES)
def test_planted_differences_in_long_and_short_forms_are_named(engine):
    pair = Pair(engine, "Names", NamesModel)
    pair.call("setName", A, String(LONG))
    pair.call("appendData", A, DynBytes(b"\x07\x08"))
    eng, addr = pair.engine, pair.address
    first = array_data_slot(0)
    eng.set_storage(addr, first, eng.get_storage(addr, first) ^ (1 << 255))  # the first byte of the long name
    eng.set_storage(addr, 1, eng.get_storage(addr, 1) ^ (0xFF << 240))  # the second byte of the short data
    bad_name = String(bytes([LONG.encode()[0] ^ 0x80]) + LONG.encode()[1:])
    assert pair.diff([A]) == [f"Names.name: model {String(LONG)!r}, evm {bad_name!r}",
                              "Names.data: model DynBytes(b'\\x07\\x08'), evm DynBytes(b'\\x07\\xf7')"]


def test_a_broken_model_is_named_and_a_corrupt_slot_is_refused():
    pair = Pair("pyrevm", "Names", AppendDropsFirstByte)
    pair.call("appendData", A, DynBytes(b"xyz"))
    assert pair.diff([A]) == ["Names.data: model DynBytes(b'yz'), evm DynBytes(b'xyz')"]
    pair.engine.set_storage(pair.address, 1, 2 * 40)  # short form claiming 40 bytes
    with pytest.raises(WorkbenchError, match="Names.data: short-form length 40"):
        pair.diff([A])


def test_write_system_writes_both_forms():
    pair = Pair("py-evm", "Names", NamesModel)
    c = pair.system.world.contracts[pair.address]
    c.name, c.data = String(LONG), DynBytes(b"\x09" * 3)
    write_system(pair.fixture, pair.system)
    assert pair.diff([A]) == []
    m, e = pair.call("appendData", A, DynBytes(b"\x0a" * 40))
    assert error_of(m) is None and error_of(e) is None and pair.diff([A]) == []


def version_is_small(s):
    return s.world.contracts[s.addrs["Names"]].version <= 255


def test_prover_reports_string_and_bytes_storage_unsupported_by_name():
    """String and bytes parameters have an encoding (tests/kernel/test_string_params.py); string and
    bytes storage values do not, and every step over a contract holding one says so."""
    inv = Invariant("KERNEL-BYTES-001", "Names", "Invariant: the version fits a uint8.", "w", "e", version_is_small)
    results = Prover(model_system("Names", 0xC0FFEE, NamesModel), [inv], environment=(), step_invariants=[]).run()
    steps = [r for r in results if r.id.startswith("KERNEL-BYTES-001/Names.")]
    assert steps and {r.status for r in steps} == {"UNSUPPORTED"}
    message = {r.id.split("/")[1]: r.details["message"] for r in steps}
    assert set(message) == {"Names.setName", "Names.appendData", "Names.clearData"}
    assert all("string storage value (Names.name)" in m for m in message.values())
