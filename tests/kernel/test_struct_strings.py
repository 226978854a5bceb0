"""`string` and `bytes` members of a struct held in a uint256-keyed mapping and in a storage array: the
kernel concretely (each such member is two leaves, its content id and its length), the state view on
both EVMs (solc's short and long forms at the member's slot), planted differences named by their
Solidity path, write_system round trips, and the prover (an invariant over the name's length proved
across every transition; a model renaming without the check VIOLATED, its counterexample replayed on
the model and on both EVMs, where the real contract refuses the name).
Contract: tests/kernel/contracts/Records.sol; model: tests/kernel/records_model.py."""

from __future__ import annotations

import pytest

from harness.fuzz.stateview import array_data_slot, mapping_slot, write_system
from invariants.prover import Prover
from invariants.registry import Invariant
from specs.errors import WorkbenchError
from specs.kernel import (
    U64, U256, Address, Array, Bool, DynBytes, Mapping, ModelBug, Msg, String, bytes_id, bytes_of,
)
from tests.kernel.evm_pair import Pair, error_of, model_system
from tests.kernel.records_model import (
    MAX_NAME, MIN_NAME, Record, RecordsModel, RemoveKeepsName, RenameUnchecked, SetDataIntoName,
)

A, B = 0xA1, 0xB2
ENGINES = ("pyrevm", "py-evm")
LONG = "a record name longer than thirty-one bytes: ü€"  # 49 bytes, not ASCII
LONG_DATA = bytes(range(1, 71))  # three data slots, the last in part
KEYS = {U256: list(range(0, 7)), Address: [A, B]}

# slots of Records.sol: records at 0 (a Record is 5 slots: owner, name, price, data, active), count
# at 1, history at 2 (its elements from keccak(2), 5 slots each)
NAME, DATA = 1, 3


def record_slot(id: int) -> int:
    return mapping_slot(0, id)


def history_slot(i: int) -> int:
    return array_data_slot(2) + 5 * i


# -- kernel, concretely ------------------------------------------------------------------------


def test_string_and_bytes_members_read_back_copy_and_delete():
    m = Mapping(U256, Record)
    m[1].name = String("héllo")
    m[1].data = DynBytes(LONG_DATA)
    m[1].price = U64(9)
    assert (m[1].name, m[1].data, m[1].price) == (String("héllo"), DynBytes(LONG_DATA), U64(9))
    assert m[1].name.length().v == 6 and str(m[1].name) == "héllo"
    assert sorted(m.leaf_mappings()) == [".active", ".data.#content", ".data.#length", ".name.#content",
                                         ".name.#length", ".owner", ".price"]
    # the two leaves of a member: its content id and its length
    assert m.leaf_mappings()[".name.#length"].items() == [((1,), 6)]
    assert m.leaf_mappings()[".name.#content"].items() == [((1,), bytes_id("héllo".encode()))]

    m[2] = m[1]  # a whole-struct copy between storage entries
    m[1].name = String(LONG)
    assert (m[2].name, m[2].data, m[1].name) == (String("héllo"), DynBytes(LONG_DATA), String(LONG))
    mem = m[1].load()  # a memory copy: writing it leaves storage alone
    mem.name = String("other")
    assert (m[1].name, mem.name) == (String(LONG), String("other"))
    assert mem.as_tuple() == (Address(0), String("other"), U64(9), DynBytes(LONG_DATA), Bool(False))
    assert m[2].as_tuple()[1:4] == (String("héllo"), U64(9), DynBytes(LONG_DATA))

    del m[1]
    assert (m[1].name, m[1].data) == (String(""), DynBytes(b""))
    assert [k for k, _ in m.leaf_mappings()[".name.#length"].items()] == [(2,)]

    h = Array(Record)
    h.push(Record(owner=Address(A), name=String(LONG)))
    h.push(m[2].load())
    assert (h[0].name, h[1].name, h[1].data, len(h)) == (String(LONG), String("héllo"), DynBytes(LONG_DATA), 2)


def test_content_ids_give_the_bytes_back():
    for data in (b"", b"a", b"ab", b"zzz", "ü€".encode(), LONG.encode(), LONG_DATA, b"x" * 100):
        c = bytes_id(data)
        assert 0 <= c < 1 << 256 and bytes_of(c, len(data)) == data
    assert bytes_id(b"ab") != bytes_id(b"ba") and bytes_id(b"\x01") != bytes_id(b"\x02")


def test_a_string_into_a_bytes_member_and_the_reverse_are_refused():
    m = Mapping(U256, Record)
    with pytest.raises(ModelBug, match="not a DynBytes"):
        m[1].data = String("abc")
    with pytest.raises(ModelBug, match="not a String"):
        m[1].name = DynBytes(b"abc")
    with pytest.raises(ModelBug):
        Record(data=String("abc"))
    with pytest.raises(ModelBug):
        m[1].price = String("1")
    with pytest.raises(ModelBug):
        m[1].name == DynBytes(b"")  # noqa: B015  (string and bytes do not compare)
    with pytest.raises(ModelBug, match="no members"):
        Mapping(U256, Record, summed=("name",))  # a string member has no sum
    with pytest.raises(ModelBug):
        m[1] == m[2]  # noqa: B015  (Solidity has no == on structs)
    # a model function doing it is a model bug, not a revert
    pair = Pair("pyrevm", "Records", SetDataIntoName)
    pair.call("add", A, String("name"), U64(1))
    with pytest.raises(ModelBug, match="not a String"):
        pair.system.world.transact(pair.address, "setData", Msg(Address(A)), U256(1), DynBytes(b"x"))


# -- model against both EVMs ------------------------------------------------------------------

SCENARIO = [
    ("add", A, String("short"), U64(5)),  # id 1, short form
    ("add", B, String(LONG), U64(7)),  # id 2, long form
    ("add", A, String(""), U64(1)),  # BadName(0)
    ("add", A, String("x" * 65), U64(1)),  # BadName(65)
    ("add", B, String("é" * 32), U64(3)),  # id 3: 64 bytes, at the limit
    ("setData", A, U256(1), DynBytes(LONG_DATA)),  # long bytes
    ("setData", B, U256(1), DynBytes(b"x")),  # NotOwner(1, B)
    ("setData", A, U256(9), DynBytes(b"x")),  # Unknown(9)
    ("rename", A, U256(1), String("a" * 31 + "ü")),  # short to long (33 bytes)
    ("rename", B, U256(2), String("b")),  # long to short
    ("rename", B, U256(2), String("€" * 22)),  # BadName(66)
    ("setData", A, U256(1), DynBytes(b"\x00\xff")),  # long bytes to short
    ("deactivate", B, U256(3)),
    ("add", A, String("a"), U64(2**64 - 1)),  # id 4
    ("remove", B, U256(3)),  # delete of a record with a 64-byte name
    ("setData", A, U256(4), DynBytes(b"\x07" * 32)),  # exactly 32 bytes: the long form's shortest
]


def _view(pair: Pair, id: int) -> tuple:
    """get(id) on both sides, as (model outcome as plain values, EVM outcome)."""
    m = pair.system.world.view(pair.address, "get", U256(id))
    e = pair.contract.view("get", id)
    if not m.ok:
        return error_of(m), error_of(e)
    owner, name, price, data, active = m.returned
    return (owner.v, str(name), price.v, data.v, bool(active.v)), (e.returned[0] if e.ok else error_of(e))


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_string_and_bytes_members(engine):
    pair = Pair(engine, "Records", RecordsModel)
    outcomes = []
    for fn, sender, *args in SCENARIO:
        m, e = pair.call(fn, sender, *args)
        outcomes.append((fn, error_of(m), error_of(e)))
        assert pair.diff(KEYS) == [], (fn, args)
    assert [(fn, m) for fn, m, _ in outcomes] == [(fn, e) for fn, _, e in outcomes]
    errors = [m for _, m, _ in outcomes if m is not None]
    assert errors == [("BadName", (0,)), ("BadName", (65,)), ("NotOwner", (1, B)), ("Unknown", (9,)),
                      ("BadName", (66,))]
    for id in range(0, 6):
        mv, ev = _view(pair, id)
        assert mv == ev, id
    assert _view(pair, 3)[0] == ("Unknown", (3,))
    evm = pair.evm_state(KEYS).world.contracts[pair.address]
    r1, r2, r4 = evm.records[1], evm.records[2], evm.records[4]
    assert (r1.name, r1.data, r1.owner) == (String("a" * 31 + "ü"), DynBytes(b"\x00\xff"), Address(A))
    assert (r2.name, r2.price, r4.name, r4.price) == (String("b"), U64(7), String("a"), U64(2**64 - 1))
    assert r4.data == DynBytes(b"\x07" * 32)
    assert (evm.records[3].name, evm.records[3].owner, evm.records[3].active) == (String(""), Address(0), Bool(False))
    assert evm.count.v == 4 and len(evm.history) == 4
    assert [evm.history[i].name for i in range(4)] == [String("short"), String(LONG), String("é" * 32), String("a")]
    # the short form: the bytes left-aligned, twice the length in the lowest byte, in the member's slot
    assert pair.engine.get_storage(pair.address, record_slot(2) + NAME) == (ord("b") << 248) | 2
    assert pair.engine.get_storage(pair.address, record_slot(1) + NAME) == 2 * 33 + 1  # long: 2 * length + 1


@pytest.mark.parametrize("engine", ENGINES)
def test_planted_differences_in_string_members_are_named_by_path(engine):
    pair = Pair(engine, "Records", RecordsModel)
    pair.call("add", A, String(LONG), U64(1))
    pair.call("add", B, String("short"), U64(2))
    pair.call("setData", B, U256(2), DynBytes(b"\x07\x08"))
    assert pair.diff(KEYS) == []
    eng, addr = pair.engine, pair.address
    first = array_data_slot(record_slot(1) + NAME)
    eng.set_storage(addr, first, eng.get_storage(addr, first) ^ (0x80 << 248))  # the long name's first byte
    data = record_slot(2) + DATA
    eng.set_storage(addr, data, eng.get_storage(addr, data) ^ (0xFF << 240))  # the short data's second byte
    h = history_slot(1) + NAME
    eng.set_storage(addr, h, eng.get_storage(addr, h) ^ (0x20 << 248))  # history[1].name: "Short"
    bad = bytes([LONG.encode()[0] ^ 0x80]) + LONG.encode()[1:]
    assert pair.diff(KEYS) == [
        f"Records.records[0x1].name: model {LONG.encode()!r}, evm {bad!r}",
        "Records.records[0x2].data: model b'\\x07\\x08', evm b'\\x07\\xf7'",
        "Records.history[1].name: model b'short', evm b'Short'",
    ]
    eng.set_storage(addr, record_slot(2) + NAME, 2 * 40)  # a short form claiming 40 bytes
    with pytest.raises(WorkbenchError, match=r"Records.records\[0x2\].name: short-form length 40"):
        pair.diff(KEYS)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_model_leaving_a_deleted_name_behind_is_named(engine):
    pair = Pair(engine, "Records", RemoveKeepsName)
    pair.call("add", A, String(LONG), U64(1))
    m, e = pair.call("remove", A, U256(1))
    assert m.ok and e.ok
    assert pair.diff(KEYS) == [f"Records.records[0x1].name: model {LONG.encode()!r}, evm b''"]


@pytest.mark.parametrize("engine", ENGINES)
def test_write_system_round_trip_of_string_members(engine):
    pair = Pair(engine, "Records", RecordsModel)
    c = pair.system.world.contracts[pair.address]
    c.records[1] = Record(owner=Address(A), name=String(LONG), price=U64(3), data=DynBytes(LONG_DATA),
                          active=Bool(True))
    c.records[2] = Record(owner=Address(B), name=String("x" * 31), price=U64(4), active=Bool(False))
    c.records[5] = Record(owner=Address(A), name=String("a"), data=DynBytes(b"\x00" * 32))  # content id 0
    c.records[6].name = String("é" * 16)  # 32 bytes, no owner
    c.count = U256(6)
    c.history.push(c.records[1].load())
    c.history.push(c.records[5].load())
    write_system(pair.fixture, pair.system)
    assert pair.diff(KEYS) == []
    evm = pair.evm_state(KEYS).world.contracts[pair.address]
    assert [evm.records[i].name for i in (1, 2, 5, 6)] == [String(LONG), String("x" * 31), String("a"),
                                                           String("é" * 16)]
    assert (evm.records[1].data, evm.records[5].data) == (DynBytes(LONG_DATA), DynBytes(b"\x00" * 32))
    assert [evm.history[i].name for i in range(2)] == [String(LONG), String("a")] and len(evm.history) == 2
    for id in (1, 2, 5):
        mv, ev = _view(pair, id)
        assert mv == ev, id
    # the contract runs on the written state: a rename, a data write and an add at count + 1
    for fn, sender, *args in [("rename", A, U256(1), String("b")), ("setData", B, U256(2), DynBytes(b"\x01")),
                              ("rename", A, U256(5), String("€" * 20)), ("add", B, String("new"), U64(1))]:
        m, e = pair.call(fn, sender, *args)
        assert error_of(m) is None and error_of(e) is None, fn
    assert pair.diff({U256: list(range(8)), Address: [A, B]}) == []
    assert pair.evm_state({U256: [7]}).world.contracts[pair.address].records[7].name == String("new")


# -- prover ------------------------------------------------------------------------------------


def _records(s):
    return s.world.contracts[s.addrs["Records"]]


def names_within_bounds(s, id: U256):
    c = _records(s)
    if id >= 1:
        if id <= c.count:
            r = c.records[id]
            if r.owner != Address(0):
                n = r.name.length()
                if n < MIN_NAME:
                    return False
                return n <= MAX_NAME
    return True


def history_names_within_bounds(s, i: U256):
    c = _records(s)
    if i < c.history.length():
        n = c.history[i].name.length()
        if n < MIN_NAME:
            return False
        return n <= MAX_NAME
    return True


INVARIANTS = [
    Invariant("KERNEL-STRUCTSTR-001", "Records",
              "Invariant: every record with an id in 1..count and an owner has a name of 1 to 64 bytes.",
              "the name bounds what a reader of a record must handle", "a record renamed to an empty or huge name",
              names_within_bounds, (("id", U256),)),
    Invariant("KERNEL-STRUCTSTR-002", "Records",
              "Invariant: every record in the history has a name of 1 to 64 bytes.",
              "the history keeps the names as they were added", "a history entry with an unchecked name",
              history_names_within_bounds, (("i", U256),)),
]
TRANSITIONS = ("add", "rename", "setData", "deactivate", "remove")


def _prove(model):
    return Prover(model_system("Records", 0xC0FFEE, model), INVARIANTS, environment=(), step_invariants=[]).run()


def test_prover_proves_name_bounds_over_string_members_across_every_transition():
    results = _prove(RecordsModel)
    assert results and all(r.status == "PROVED" for r in results), [(r.id, r.status, r.details) for r in results
                                                                  if r.status != "PROVED"]
    ids = {r.id for r in results}
    expected = {f"{inv.id}/init" for inv in INVARIANTS}
    expected |= {f"{inv.id}/Records.{fn}" for inv in INVARIANTS for fn in TRANSITIONS}
    expected |= {f"VACUITY/Records.{fn}" for fn in TRANSITIONS}
    assert expected <= ids, sorted(expected - ids)


@pytest.mark.catches("prover")
def test_prover_finds_a_rename_without_the_length_check_and_the_counterexample_replays():
    results = _prove(RenameUnchecked)
    bad = {r.id: r for r in results if r.status != "PROVED"}
    assert list(bad) == ["KERNEL-STRUCTSTR-001/Records.rename"], [(r.id, r.status) for r in bad.values()]
    result = bad["KERNEL-STRUCTSTR-001/Records.rename"]
    cex = result.counterexample
    assert result.status == "VIOLATED" and cex.confirmed_on_model, cex.note
    id, name = cex.args
    assert isinstance(name, String) and not MIN_NAME <= name.length().v <= MAX_NAME
    js = cex.to_json()
    assert js["call"]["args"]["name"] == str(name)
    assert "Records.records[].name.#length" in js["pre_state"]  # a string member is its two leaves

    # on the model: the pre-state holds the invariant at the id, the broken rename breaks it
    pre = cex.pre.clone()
    assert names_within_bounds(pre, id)
    out = pre.world.transact(pre.addrs["Records"], "rename", Msg(Address(cex.sender)), id, name)
    assert out.ok and not names_within_bounds(pre, id)

    # on both EVMs, from the same pre-state written through the state view: the contract refuses the name
    pre_c = cex.pre.world.contracts[cex.pre.addrs["Records"]]
    keys = {U256: [id.v], Address: [cex.sender]}
    for engine in ENGINES:
        pair = Pair(engine, "Records", RecordsModel)
        c = pair.system.world.contracts[pair.address]
        # the records and the count; the history (which rename does not read) stays empty: the
        # counterexample's history may hold elements past its length, which storage never does
        c.records, c.count = pre_c.records.copy(), pre_c.count
        write_system(pair.fixture, pair.system)
        assert pair.diff(keys) == []
        old = pair.evm_state(keys).world.contracts[pair.address].records[id].name
        assert MIN_NAME <= old.length().v <= MAX_NAME
        m, e = pair.call("rename", cex.sender, id, name)
        assert error_of(m) == error_of(e) == ("BadName", (name.length().v,))
        assert pair.diff(keys) == []
        assert pair.evm_state(keys).world.contracts[pair.address].records[id].name == old
