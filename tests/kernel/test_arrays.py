"""Storage arrays: a fixed array of packed scalars, a dynamic array of scalars and one of packed structs.
The kernel (Panic 0x32 out of bounds, 0x31 pop of an empty array), the state reader on both EVMs, the
diff's paths, and the prover (index-quantified invariants proved; broken models VIOLATED).
Contract: tests/kernel/contracts/Entries.sol; model: tests/kernel/entries_model.py."""

from __future__ import annotations

import pytest

from specs.errors import WorkbenchError
from harness.fuzz.stateview import array_data_slot, write_system
from invariants.prover import Prover
from invariants.registry import Invariant
from specs.kernel import U64, U96, U256, Address, Array, Explorer, ModelBug, Panic, Revert, Unsupported
from tests.kernel.entries_model import MAX_AMOUNT, EntriesModel, Entry, PopKeepsElement, RaiseUnchecked
from tests.kernel.evm_pair import Pair, error_of, model_system

A, B = 0xA1, 0xB2
ENGINES = ("pyrevm", "py-evm")

SCENARIO = [
    ("setLimit", A, U256(2), U64(7)),
    ("setLimit", A, U256(3), U64(7)),  # past the fixed length: Panic 0x32
    ("setLimit", A, U256(0), U64(5)),
    ("pushValue", A, U256(10)),
    ("pushValue", A, U256(11)),
    ("setValue", A, U256(2), U256(1)),  # Panic 0x32
    ("setValue", A, U256(1), U256(12)),
    ("popValue", A),
    ("popValue", A),
    ("popValue", A),  # empty: Panic 0x31
    ("pushValue", A, U256(13)),
    ("add", A, U96(10)),
    ("add", B, U96(1001)),  # Error("amount")
    ("add", B, U96(500)),
    ("increase", A, U256(1), U96(600)),  # Error("amount")
    ("increase", A, U256(1), U96(400)),
    ("finish", A, U256(1)),  # Error("who")
    ("finish", B, U256(1)),
    ("removeLast", A),
    ("removeLast", A),  # Error("open")
    ("add", B, U96(3)),
]


def test_array_bounds_push_and_pop_concretely():
    a = Array(U256)
    a.push(U256(5))
    a.push(7)
    assert a.values() == [U256(5), U256(7)] and len(a) == 2
    with pytest.raises(Revert) as e:
        a[2]
    assert e.value.error == Panic(0x32)
    a.pop()
    a.pop()
    with pytest.raises(Revert) as e:
        a.pop()
    assert e.value.error == Panic(0x31)
    assert a.data.leaf_mappings()[""].items() == []  # pop zeroes the element
    fixed = Array(U64, 3)
    fixed[2] = U64(4)
    assert fixed.values() == [U64(0), U64(0), U64(4)]
    with pytest.raises(ModelBug):
        fixed.push(U64(1))
    with pytest.raises(Unsupported, match="array element type"):
        Array(Array)


def test_struct_array_elements_are_storage_references_and_copies_are_independent():
    a = Array(Entry)
    ref = a.push()
    ref.amount = U96(3)
    a.push(Entry(who=Address(1)))
    b = a.copy()
    b[0].amount = U96(9)
    assert (a[0].amount, b[0].amount, a[1].who) == (U96(3), U96(9), Address(1))


def test_symbolic_index_forks_the_out_of_bounds_panic():
    a = Array(U256).symbolize("a")
    i = U256.symbolic("i")

    def run():
        return a[i]

    paths = Explorer(a.range_constraints() + i.range_constraints()).explore(run)
    assert sorted("ok" if p.ok else str(p.reverted) for p in paths) == ["Panic(code=50)", "ok"]


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_arrays(engine):
    pair = Pair(engine, "Entries", EntriesModel)
    outcomes = []
    for fn, sender, *args in SCENARIO:
        m, e = pair.call(fn, sender, *args)
        outcomes.append((fn, error_of(m), error_of(e)))
    assert [(fn, m) for fn, m, _ in outcomes] == [(fn, e) for fn, _, e in outcomes]
    assert {m for _, m, _ in outcomes} >= {("Panic", (0x32,)), ("Panic", (0x31,)), ("Error", ("amount",))}
    assert pair.diff([A, B]) == []
    evm = pair.evm_state([A, B]).world.contracts[pair.address]
    assert evm.limits.values() == [U64(5), U64(0), U64(7)]  # three uint64 packed in one slot
    assert evm.values.values() == [U256(13)]
    assert [(e.who, e.amount.v, e.done.v) for e in evm.entries.values()] == [(Address(A), 10, False),
                                                                           (Address(B), 3, False)]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_model_keeping_a_popped_element_is_named(engine):
    pair = Pair(engine, "Entries", PopKeepsElement)
    pair.call("pushValue", A, U256(10))
    pair.call("pushValue", A, U256(11))
    pair.call("popValue", A)
    assert pair.diff([A]) == ["Entries.values[1]: model 11, evm 0"]


@pytest.mark.parametrize("engine", ENGINES)
def test_poked_array_slots_are_found_and_named(engine):
    pair = Pair(engine, "Entries", EntriesModel)
    pair.call("add", A, U96(10))
    pair.call("pushValue", A, U256(1))
    assert pair.diff([A]) == []
    eng, addr = pair.engine, pair.address
    eng.set_storage(addr, 0, eng.get_storage(addr, 0) | (9 << 64))  # limits[1], the second uint64 of slot 0
    data = array_data_slot(2)
    amount_bits = ((1 << 96) - 1) << 160
    eng.set_storage(addr, data, (eng.get_storage(addr, data) & ~amount_bits) | (77 << 160))  # entries[0].amount
    eng.set_storage(addr, 1, 2)  # values.length
    assert pair.diff([A]) == ["Entries.limits[1]: model 0, evm 9", "Entries.values.length: model 1, evm 2",
                              "Entries.entries[0].amount: model 10, evm 77"]


def test_an_absurd_dynamic_length_is_refused_not_read_in_part():
    pair = Pair("pyrevm", "Entries", EntriesModel)
    pair.engine.set_storage(pair.address, 1, 10**9)
    with pytest.raises(WorkbenchError, match="Entries.values: length 1000000000 above"):
        pair.diff([A])


def test_write_system_writes_arrays_the_contract_then_reads():
    pair = Pair("py-evm", "Entries", EntriesModel)
    c = pair.system.world.contracts[pair.address]
    c.entries.push(Entry(who=Address(A), amount=U96(5)))
    c.limits[1] = U64(3)
    write_system(pair.fixture, pair.system)
    assert pair.diff([A]) == []
    m, e = pair.call("increase", A, U256(0), U96(1))
    assert error_of(m) is None and error_of(e) is None and pair.diff([A]) == []


def _entries(s):
    return s.world.contracts[s.addrs["Entries"]]


def amounts_capped(s, i: U256):
    c = _entries(s)
    if i < c.entries.length():
        return c.entries[i].amount <= MAX_AMOUNT
    return True


def values_zero_past_length(s, i: U256):
    c = _entries(s)
    if i >= c.values.length():
        return c.values.data[i] == 0
    return True


INVARIANTS = [
    Invariant("KERNEL-ARRAY-001", "Entries", "Invariant: every entry's amount is at most MAX_AMOUNT.",
              "the cap bounds what one entry can claim", "an entry raised past the cap",
              amounts_capped, (("i", U256),)),
    Invariant("KERNEL-ARRAY-002", "Entries", "Invariant: the values array holds zero past its length.",
              "a push after a pop must start from a zero element", "a popped value reappears",
              values_zero_past_length, (("i", U256),)),
]


def _prove(model):
    return Prover(model_system("Entries", 0xC0FFEE, model), INVARIANTS, environment=(), step_invariants=[]).run()


def test_prover_proves_index_quantified_invariants_over_arrays():
    results = _prove(EntriesModel)
    assert results and all(r.status == "PROVED" for r in results), [(r.id, r.status) for r in results
                                                                  if r.status != "PROVED"]
    assert {"KERNEL-ARRAY-001/Entries.add", "KERNEL-ARRAY-002/Entries.popValue"} <= {r.id for r in results}


@pytest.mark.catches("prover")
@pytest.mark.parametrize("model, obligation", [(RaiseUnchecked, "KERNEL-ARRAY-001/Entries.increase"),
                                               (PopKeepsElement, "KERNEL-ARRAY-002/Entries.popValue")])
def test_prover_finds_broken_array_models(model, obligation):
    results = _prove(model)
    bad = {r.id: r for r in results if r.status != "PROVED"}
    assert list(bad) == [obligation]
    cex = bad[obligation].counterexample
    assert bad[obligation].status == "VIOLATED" and cex.confirmed_on_model
    assert any(k.endswith(".length") for k in cex.to_json()["pre_state"])
