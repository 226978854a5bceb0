"""`string` and `bytes` state variables: the kernel concretely, the state reader in solc's short
(<= 31 bytes, in the slot) and long (data from keccak(slot)) forms on both EVMs, planted differences
named, and the prover over string storage (a concatenation, which it cannot encode, UNSUPPORTED by name).
Contract: tests/kernel/contracts/Names.sol; model: tests/kernel/names_model.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from specs.errors import WorkbenchError
from harness.fuzz.stateview import array_data_slot, write_system
from invariants.prover import Prover
from invariants.registry import Invariant
from specs.kernel import DynBytes, ModelBug, Msg, String, external
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


def name_is_short(s):
    return s.world.contracts[s.addrs["Names"]].name.length() <= 100


NAME_SHORT = Invariant("KERNEL-BYTES-002", "Names", "Invariant: the name is at most 100 bytes long.", "w", "e",
                       name_is_short)


def test_prover_proves_over_string_storage_and_names_the_concatenation_it_cannot_encode():
    """A string or bytes storage value is an unknown content of unknown length: setName (a string
    parameter stored) and clearData are proved; appendData concatenates, which has no encoding, and
    every obligation of it is UNSUPPORTED naming that."""
    results = Prover(model_system("Names", 0xC0FFEE, NamesModel), [NAME_SHORT], environment=(),
                     step_invariants=[]).run()
    r = {x.id: x for x in results}
    for ob in ("init", "Names.setName", "Names.clearData"):
        assert r[f"KERNEL-BYTES-002/{ob}"].status == "PROVED", r[f"KERNEL-BYTES-002/{ob}"].details
    append = r["KERNEL-BYTES-002/Names.appendData"]
    assert append.status == "UNSUPPORTED" and "concatenation of a symbolic bytes value" in append.details["message"]


def test_prover_catches_a_name_stored_unchecked_with_a_concrete_long_name():
    @dataclass
    class SetNameUnchecked(NamesModel):
        @external
        def setName(self, msg: Msg, n: String) -> None:
            self.name = n
            self.version = self.version + 1

    r = {x.id: x for x in Prover(model_system("Names", 0xC0FFEE, SetNameUnchecked), [NAME_SHORT], environment=(),
                                 step_invariants=[]).run()}
    bad = r["KERNEL-BYTES-002/Names.setName"]
    assert bad.status == "VIOLATED"
    (name,) = bad.counterexample.args
    assert 100 < name.length().v <= 4096 and bad.counterexample.confirmed_on_model, bad.counterexample.note
    assert bad.counterexample.to_json()["call"]["args"]["n"] == str(name)



