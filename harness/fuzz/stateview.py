"""Read EVM storage into the shape of the models, so that one comparison and one set of invariant
predicates serve both sides.

For every storage field of every model (Solidity names, declaration order) the slot comes from the
compiler's storage layout; mapping entries are read at the keys the caller knows (the fuzzer's actors
and the contracts). Values packed into a shared slot are read at their offset and width, structs
member by member (nested structs flattened), enums as their member index; a model type that does
not match the Solidity one (width, signedness, members) raises, as does any construct the view has
no reader for (a mapping or array inside a struct, an array of arrays). `string` and `bytes` values,
state variables and struct members alike, are read in solc's short (<= 31 bytes, in the slot) and
long (length at the slot, data from keccak(slot)) forms. Storage arrays
(`T[N]`, `T[]` of scalars or structs) are read element by element: a fixed one from its slot, a
dynamic one's length at its slot and its elements from keccak(slot), packed as solc packs them.

A model's `immutable()` fields are compared too: a Solidity immutable is read from the deployed code
at the places solc reports (`Artifact.immutables`), so a constructor that stores the wrong value, or
none, differs from the model at the first comparison; a model immutable the contract keeps as an
ordinary state variable (a token's name) is read from storage; one that is neither raises.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any, Callable, Iterable

from eth_utils import keccak

from harness.fuzz.difference import Difference, value_difference
from specs.errors import WorkbenchError
from specs.kernel import (
    BYTES_CONTENT_LEAF, BYTES_LENGTH_LEAF, SCALAR_TYPES, Address, Array, Bool, Bytes32, DynBytes, Enum, Mapping, Sint,
    Struct, Uint, bytes_id, bytes_of,
)
from specs.deploy import System


@lru_cache(maxsize=1 << 16)
def mapping_slot(base: int, key: int) -> int:
    return int.from_bytes(keccak(key.to_bytes(32, "big") + base.to_bytes(32, "big")), "big")


def _layout(artifact: Any) -> dict[str, dict]:
    return {e["label"]: e for e in artifact.storage_layout["storage"]}


def _types(artifact: Any) -> dict[str, dict]:
    return artifact.storage_layout.get("types") or {}


def _entry(artifact: Any, layout: dict[str, dict], name: str) -> dict:
    if name not in layout:
        raise WorkbenchError(f"{artifact.name}.{name}: the model's storage field is not a state variable of the "
                             f"contract (its state variables: {', '.join(layout) or 'none'})")
    return layout[name]


def _check_scalar(where: str, t: type, info: dict) -> int:
    """The width in bytes of a Solidity value type the kernel type `t` stands for; WorkbenchError when
    they do not match (a model uint128 for a uint64 member would read the neighbours' bytes)."""
    label = info.get("label", "?")
    nbytes = int(info.get("numberOfBytes", 32))
    if info.get("encoding") != "inplace" or "members" in info or "base" in info:
        raise WorkbenchError(f"{where}: model type {t.__name__} for Solidity {label} ({info.get('encoding')}): "
                             "not a value type")
    ok = False
    if issubclass(t, Uint):
        ok = label == f"uint{t.bits}"
    elif issubclass(t, Sint):
        ok = label == f"int{t.bits}"
    elif issubclass(t, Enum):
        ok = label.startswith("enum ") and nbytes == 1
    elif t is Address:
        ok = label in ("address", "address payable") or label.startswith("contract ")
    elif t is Bool:
        ok = label == "bool"
    elif t is Bytes32:
        ok = label == "bytes32"
    if not ok:
        raise WorkbenchError(f"{where}: model type {t.__name__} does not match Solidity {label}")
    return nbytes


def _decode(where: str, t: type, raw: int, nbytes: int) -> Any:
    """A storage value of `nbytes` bytes as the plain value the kernel holds for type `t`."""
    if t is Bool:
        return bool(raw)
    if issubclass(t, Sint):
        bits = nbytes * 8
        return raw - (1 << bits) if raw >> (bits - 1) else raw
    if issubclass(t, Enum) and raw >= t.MOD:
        raise WorkbenchError(f"{where}: storage holds {raw}, not a member of enum {t.__name__} {t.MEMBERS}")
    return raw


def _encode(t: type, v: Any, nbytes: int) -> int:
    v = int(v)
    return v % (1 << (nbytes * 8)) if issubclass(t, Sint) else v


def _read_packed(eng: Any, addr: int, slot: int, offset: int, nbytes: int) -> int:
    word = eng.get_storage(addr, slot)
    return (word >> (8 * offset)) & ((1 << (8 * nbytes)) - 1)


def _write_packed(eng: Any, addr: int, slot: int, offset: int, nbytes: int, value: int) -> None:
    if nbytes == 32:
        eng.set_storage(addr, slot, value)
        return
    mask = ((1 << (8 * nbytes)) - 1) << (8 * offset)
    word = eng.get_storage(addr, slot)
    eng.set_storage(addr, slot, (word & ~mask) | ((value << (8 * offset)) & mask))


def struct_leaves(types: dict[str, dict], tid: str, struct: type, where: str
                  ) -> list[tuple[tuple[str, ...], int, int, int, type]]:
    """Where each leaf member of a struct lives, from solc's layout `types`: (member path, slot
    relative to the struct's first slot, byte offset in the slot, width in bytes, kernel type). A
    string or bytes member has width 0: its slot holds the value in solc's bytes encoding. The
    model's members must be the Solidity members, in order (WorkbenchError naming the difference)."""
    info = types.get(tid, {})
    members = info.get("members")
    if members is None:
        raise WorkbenchError(f"{where}: model struct {struct.__name__} for Solidity {info.get('label', tid)}")
    sol = [m["label"] for m in members]
    mod = [n for n, _ in struct.FIELDS]
    if sol != mod:
        raise WorkbenchError(f"{where}: model struct {struct.__name__} has members {mod}, Solidity "
                             f"{info.get('label', tid)} has {sol}")
    out = []
    for m, (n, t) in zip(members, struct.FIELDS):
        base, off = int(m["slot"]), int(m["offset"])
        if issubclass(t, DynBytes):  # a string or bytes member: its own slot, width 0 marks it
            _check_bytes(f"{where}.{n}", t(), types.get(m["type"], {}))
            out.append(((n,), base, 0, 0, t))
        elif issubclass(t, Struct):
            out += [((n,) + p, base + d, o, nb, lt) for p, d, o, nb, lt in struct_leaves(types, m["type"], t, f"{where}.{n}")]
        else:
            out.append(((n,), base, off, _check_scalar(f"{where}.{n}", t, types.get(m["type"], {})), t))
    return out


MAX_ARRAY_READ = 4096  # a longer dynamic array is not read (WorkbenchError), never read in part


def array_data_slot(slot: int) -> int:
    return int.from_bytes(keccak(slot.to_bytes(32, "big")), "big")


def _array_plan(types: dict[str, dict], tid: str, v: Array, where: str) -> tuple:
    """How the elements of a storage array lie: ("struct", leaves, slots per element) or
    ("scalar", width, elements per slot), checked against the model's array."""
    info = types.get(tid, {})
    label = info.get("label", tid)
    if "base" not in info:
        raise WorkbenchError(f"{where}: model array for Solidity {label}")
    dynamic = info.get("encoding") == "dynamic_array"
    if dynamic != v.dynamic or (not dynamic and not label.endswith(f"[{v.fixed}]")):
        raise WorkbenchError(f"{where}: model array {v!r} for Solidity {label}")
    base = info["base"]
    if issubclass(v.elem_type, Struct):
        return ("struct", struct_leaves(types, base, v.elem_type, where + "[]"), int(types[base]["numberOfBytes"]) // 32)
    nb = _check_scalar(where + "[]", v.elem_type, types.get(base, {}))
    return ("scalar", nb, max(1, 32 // nb))


def _element_locations(plan: tuple, start: int, i: int, elem: type) -> list[tuple[str, int, int, int, type]]:
    if plan[0] == "struct":
        _, leaves, size = plan
        return [("." + ".".join(p), start + i * size + d, o, nb, t) for p, d, o, nb, t in leaves]
    _, nb, per = plan
    return [("", start + i // per, (i % per) * nb, nb, elem)]


def _read_array(eng: Any, addr: int, slot: int, v: Array, plan: tuple, where: str) -> Array:
    if v.dynamic:
        length, start = eng.get_storage(addr, slot), array_data_slot(slot)
        if length > MAX_ARRAY_READ:
            raise WorkbenchError(f"{where}: length {length} above the {MAX_ARRAY_READ} elements the state view reads")
    else:
        length, start = v.fixed, slot
    out = Array(v.elem_type, v.fixed)
    out._length = length
    leaves = out.data.leaf_mappings()
    for i in range(length):
        for suffix, s, o, nb, t in _element_locations(plan, start, i, v.elem_type):
            _set_leaf(leaves, suffix, (i,), t, _read_leaf(eng, addr, s, o, nb, t, f"{where}[{i}]{suffix}"))
    return out


def _write_array(eng: Any, addr: int, slot: int, v: Array, plan: tuple) -> None:
    if v.dynamic:
        eng.set_storage(addr, slot, len(v))
        start = array_data_slot(slot)
    else:
        start = slot
    leaves = v.data.leaf_mappings()
    for i in range(len(v)):
        for suffix, s, o, nb, t in _element_locations(plan, start, i, v.elem_type):
            _write_leaf(eng, addr, s, o, nb, t, _get_leaf(leaves, suffix, (i,), t))


MAX_BYTES_READ = 1 << 16  # a longer string or bytes value is not read (WorkbenchError)


def _check_bytes(where: str, v: DynBytes, info: dict) -> None:
    if info.get("encoding") != "bytes" or info.get("label") != v.SOLIDITY:
        raise WorkbenchError(f"{where}: model {type(v).__name__} for Solidity {info.get('label', '?')}")


def _read_bytes(eng: Any, addr: int, slot: int, where: str) -> bytes:
    word = eng.get_storage(addr, slot)
    if word & 1 == 0:  # short form: the data left-aligned, 2 * length in the lowest byte
        length = (word & 0xFF) // 2
        if length > 31:
            raise WorkbenchError(f"{where}: short-form length {length} above 31 (corrupt slot)")
        return word.to_bytes(32, "big")[:length]
    length = (word - 1) // 2
    if length > MAX_BYTES_READ:
        raise WorkbenchError(f"{where}: length {length} above the {MAX_BYTES_READ} bytes the state view reads")
    if length < 32:
        raise WorkbenchError(f"{where}: long-form length {length} below 32 (corrupt slot)")
    start = array_data_slot(slot)
    data = b"".join(eng.get_storage(addr, start + i).to_bytes(32, "big") for i in range((length + 31) // 32))
    return data[:length]


def _write_bytes(eng: Any, addr: int, slot: int, data: bytes) -> None:
    if len(data) <= 31:
        eng.set_storage(addr, slot, int.from_bytes(data.ljust(32, b"\0"), "big") | (2 * len(data)))
        return
    eng.set_storage(addr, slot, 2 * len(data) + 1)
    start = array_data_slot(slot)
    padded = data.ljust((len(data) + 31) // 32 * 32, b"\0")
    for i in range(len(padded) // 32):
        eng.set_storage(addr, start + i, int.from_bytes(padded[32 * i:32 * i + 32], "big"))


def _is_bytes(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, DynBytes)


def _read_leaf(eng: Any, addr: int, slot: int, off: int, nb: int, t: type, where: str) -> Any:
    """One leaf value from storage: the plain value the kernel holds, or the bytes of a string member."""
    if _is_bytes(t):
        return _read_bytes(eng, addr, slot, where)
    return _decode(where, t, _read_packed(eng, addr, slot, off, nb), nb)


def _write_leaf(eng: Any, addr: int, slot: int, off: int, nb: int, t: type, val: Any) -> None:
    if _is_bytes(t):
        _write_bytes(eng, addr, slot, val)
    else:
        _write_packed(eng, addr, slot, off, nb, _encode(t, val, nb))


def _set_leaf(leaves: dict[str, Mapping], suffix: str, key: tuple, t: type, val: Any) -> None:
    """Put a leaf value read from storage at `key` of a struct mapping's leaves (a string member is
    its content id and length leaves, see specs/kernel.py Mapping); zero values are left out."""
    if _is_bytes(t):
        if val:
            leaves[f"{suffix}.{BYTES_CONTENT_LEAF}"].store.set(key, bytes_id(val))
            leaves[f"{suffix}.{BYTES_LENGTH_LEAF}"].store.set(key, len(val))
        return
    store = leaves[suffix].store
    if val != store.zero:
        store.set(key, val)


def _get_leaf(leaves: dict[str, Mapping], suffix: str, key: tuple, t: type) -> Any:
    if _is_bytes(t):
        return bytes_of(leaves[f"{suffix}.{BYTES_CONTENT_LEAF}"].store.get(key),
                        leaves[f"{suffix}.{BYTES_LENGTH_LEAF}"].store.get(key))
    return leaves[suffix].store.get(key)


def _leaf_keys(leaves: dict[str, Mapping], suffix: str, t: type) -> list[tuple]:
    """The keys at which a leaf holds a nonzero value (a string member: either of its two leaves)."""
    if _is_bytes(t):
        return sorted({k for part in (BYTES_CONTENT_LEAF, BYTES_LENGTH_LEAF)
                       for k, _v in leaves[f"{suffix}.{part}"].items()})
    return [k for k, _v in leaves[suffix].items()]


def key_sets(keys: "Iterable[int] | dict[type, Iterable[int]]") -> dict[type, list[int]]:
    """Known keys per Solidity key type. A plain iterable means addresses (the fuzzer's actors and the
    contracts); task type ids (bytes32) and indices (uint256) are given under their kernel types."""
    if isinstance(keys, dict):
        return {t: sorted(set(ks)) for t, ks in keys.items()}
    return {Address: sorted(set(keys))}


def _keys_for(v: Mapping, level_type: type, known: dict[type, list[int]], prefix: tuple) -> list[int]:
    """The keys to read at one level: the known keys of its type, plus every key the model holds there
    (so an entry the model has is always compared, and one only the EVM has is found at known keys)."""
    out = set(known.get(level_type, ()))
    n = len(prefix)
    for leaf in v.leaf_mappings().values():
        for key, _v in leaf.items():
            if key[:n] == prefix:
                out.add(key[n])
    return sorted(out)


def _mapping_value_type(types: dict[str, dict], tid: str, v: Mapping, where: str) -> str:
    """The layout type id of the values of a (nested) mapping, checked level by level."""
    for level in range(v.depth()):
        info = types.get(tid, {})
        if info.get("encoding") != "mapping":
            raise WorkbenchError(f"{where}: model mapping of depth {v.depth()} for Solidity {info.get('label', tid)}")
        tid = info["value"]
    return tid


def _leaf_plan(types: dict[str, dict], tid: str, v: Mapping, where: str) -> list[tuple[str, Mapping, int, int, int, type]]:
    """(suffix, leaf mapping of `v`, slot delta, offset, width, kernel type) of every value leaf of a
    mapping; a string or bytes member has no one leaf mapping (None: `_set_leaf`, `_get_leaf`)."""
    vt = _mapping_value_type(types, tid, v, where)
    leaf = v.leaf_type()
    leaves = v.leaf_mappings()
    if isinstance(leaf, type) and issubclass(leaf, Struct):
        return [("." + ".".join(p), None if _is_bytes(t) else leaves["." + ".".join(p)], d, o, nb, t)
                for p, d, o, nb, t in struct_leaves(types, vt, leaf, where + "[]")]
    return [("", v, 0, 0, _check_scalar(where + "[]", leaf, types.get(vt, {})), leaf)]


def _read_mapping(eng: Any, addr: int, slot: int, v: Mapping, known: dict[type, list[int]],
                  plan: list, where: str) -> Mapping:
    m = Mapping(v.key_type, v.value_type, summed=v.summed)
    out_leaves = m.leaf_mappings()
    types = v.key_types()

    def walk(base: int, prefix: tuple) -> None:
        level = len(prefix)
        for k in _keys_for(v, types[level], known, prefix):
            s = mapping_slot(base, k)
            if level + 1 < len(types):
                walk(s, prefix + (k,))
                continue
            for suffix, _leaf, delta, off, nb, t in plan:
                val = _read_leaf(eng, addr, s + delta, off, nb, t, f"{where}[{k:#x}]{suffix}")
                _set_leaf(out_leaves, suffix, prefix + (k,), t, val)

    walk(slot, ())
    return m


def compared_fields(c: Any) -> list:
    """The fields of a model contract the state view reads and compares: its storage, then its
    immutables (`immutable()` fields: read from the deployed code when the Solidity variable is an
    immutable, from storage when it is a state variable the contract never changes)."""
    return c.storage_fields() + [f for f in dataclasses.fields(c) if f.metadata.get("immutable")]


def _immutable_width(where: str, solidity: str) -> int:
    if solidity in ("address", "address payable") or solidity.startswith("contract "):
        return 20
    if solidity == "bool" or solidity.startswith("enum "):
        return 1
    for prefix in ("uint", "int", "bytes"):
        if solidity.startswith(prefix) and solidity[len(prefix):].isdigit():
            bits = int(solidity[len(prefix):])
            return bits if prefix == "bytes" else bits // 8
    raise WorkbenchError(f"{where}: no state view for an immutable of Solidity type {solidity}")


def _immutable_plan(art: Any, name: str, v: Any, where: str) -> tuple[type, int, list[tuple[int, int]]]:
    """(model type, width in bytes, where the deployed code holds the value) of the immutable `name`."""
    info = art.immutables[name]
    if not isinstance(v, SCALAR_TYPES):
        raise WorkbenchError(f"{where}: model {type(v).__name__} for the Solidity immutable {info['type']}")
    nb = _immutable_width(where, info["type"])
    _check_scalar(where, type(v), {"label": info["type"], "encoding": "inplace", "numberOfBytes": nb})
    return type(v), nb, info["refs"]


def _read_immutable(code: bytes, art: Any, name: str, v: Any, where: str) -> Any:
    """The value of the immutable `name` in the deployed `code`; the model's own value when the code
    never reads it (solc then keeps no copy: nothing on chain depends on it)."""
    t, nb, refs = _immutable_plan(art, name, v, where)
    if not refs:
        return v
    words = {code[a:a + n] for a, n in refs}
    if len(words) != 1 or any(a + n > len(code) for a, n in refs):
        raise WorkbenchError(f"{where}: the deployed code does not hold one value at the immutable's "
                             f"{len(refs)} places (code of {len(code)} bytes patched or not this contract's)")
    raw = int.from_bytes(words.pop(), "big") & ((1 << (8 * nb)) - 1)
    return t(_decode(where, t, raw, nb))


def _write_immutable(eng: Any, addr: int, art: Any, name: str, v: Any, where: str) -> None:
    _t, _nb, refs = _immutable_plan(art, name, v, where)
    if not refs:
        return
    word = (int(v.v) % (1 << 256)).to_bytes(32, "big")  # a signed value sign-extended to the word, as solc keeps it
    code = bytearray(eng.get_code(addr))
    if code[refs[0][0]:refs[0][0] + 32] == word:
        return
    for a, n in refs:
        code[a:a + n] = word[32 - n:]
    eng.set_code(addr, bytes(code))


def _read_field(eng: Any, addr: int, art: Any, layout: dict, types: dict, name: str, v: Any,
                known: dict[type, list[int]], where: str) -> Any:
    """A state variable's value as the model holds it (`v`: the model's value, for its type)."""
    e = _entry(art, layout, name)
    slot, off, tid = int(e["slot"]), int(e["offset"]), e["type"]
    if isinstance(v, Mapping):
        return _read_mapping(eng, addr, slot, v, known, _leaf_plan(types, tid, v, where), where)
    if isinstance(v, DynBytes):
        _check_bytes(where, v, types.get(tid, {}))
        return type(v)(_read_bytes(eng, addr, slot, where))
    if isinstance(v, str):
        if types.get(tid, {}).get("label") != "string":
            raise WorkbenchError(f"{where}: model str for Solidity {types.get(tid, {}).get('label', '?')}")
        return _read_bytes(eng, addr, slot, where).decode("utf-8", "backslashreplace")
    if isinstance(v, Array):
        return _read_array(eng, addr, slot, v, _array_plan(types, tid, v, where), where)
    if isinstance(v, Struct):
        s = type(v)()
        for path, d, o, nb, t in struct_leaves(types, tid, type(v), where):
            s.set_leaf(path, t(_read_leaf(eng, addr, slot + d, o, nb, t, f"{where}.{'.'.join(path)}")))
        return s
    if isinstance(v, SCALAR_TYPES):
        t = type(v)
        nb = _check_scalar(where, t, types.get(tid, {}))
        return t(_decode(where, t, _read_packed(eng, addr, slot, off, nb), nb))
    raise WorkbenchError(f"{where}: no state view for {type(v).__name__}")


def _write_field(eng: Any, addr: int, art: Any, layout: dict, types: dict, name: str, v: Any, where: str) -> None:
    e = _entry(art, layout, name)
    slot, off, tid = int(e["slot"]), int(e["offset"]), e["type"]
    if isinstance(v, Mapping):
        leaves = v.leaf_mappings()
        for suffix, _leaf, delta, o, nb, t in _leaf_plan(types, tid, v, where):
            for key in _leaf_keys(leaves, suffix, t):
                s = slot
                for k in key:
                    s = mapping_slot(s, k)
                _write_leaf(eng, addr, s + delta, o, nb, t, _get_leaf(leaves, suffix, key, t))
    elif isinstance(v, DynBytes):
        _check_bytes(where, v, types.get(tid, {}))
        _write_bytes(eng, addr, slot, v.v)
    elif isinstance(v, str):
        if types.get(tid, {}).get("label") != "string":
            raise WorkbenchError(f"{where}: model str for Solidity {types.get(tid, {}).get('label', '?')}")
        _write_bytes(eng, addr, slot, v.encode())
    elif isinstance(v, Array):
        _write_array(eng, addr, slot, v, _array_plan(types, tid, v, where))
    elif isinstance(v, Struct):
        for path, d, o, nb, t in struct_leaves(types, tid, type(v), where):
            _write_leaf(eng, addr, slot + d, o, nb, t, v.get_leaf(path).v)
    elif isinstance(v, SCALAR_TYPES):
        nb = _check_scalar(where, type(v), types.get(tid, {}))
        _write_packed(eng, addr, slot, off, nb, _encode(type(v), v.v, nb))
    else:
        raise WorkbenchError(f"{where}: no state view for {type(v).__name__}")


def _field_kind(art: Any, layout: dict, f: Any, where: str) -> str:
    """"storage" or "immutable": where the contract keeps the model field `f`."""
    if f.metadata.get("immutable"):
        if f.name in art.immutables:
            return "immutable"
        if f.name not in layout:
            raise WorkbenchError(f"{where}: the model's immutable is neither an immutable nor a state variable "
                                 f"of the contract (its immutables: {', '.join(art.immutables) or 'none'})")
    return "storage"


def read_system(fixture: Any, template: System, keys: "Iterable[int] | dict[type, Iterable[int]]",
                on_field: Callable[[str], None] | None = None) -> System:
    """A copy of `template` whose state holds what the EVM holds. Mappings are read at the known keys
    of each level's key type and at every key the template holds (see `key_sets`). Values may share a
    slot (solc's packing: offset and width from the layout); struct members are read at the struct's
    slot plus the member's slot and offset. Immutables are read from the deployed code, at the offsets
    solc reports. A model type that does not match the Solidity one raises.
    `on_field`, when given, is called with "ETH.balance" before the balances are read and with
    "Contract.field" before each field is (what a read of the engine belongs to)."""
    known = key_sets(keys)
    out = template.clone()
    # ETH: the suite's contracts and every account whose balance the model tracks
    if on_field is not None:
        on_field("ETH.balance")
    for a in sorted(set(template.addrs.values()) | set(template.world.balances)):
        out.world.balances[a] = fixture.engine.get_balance(a)
    eng = fixture.engine
    for name, addr in template.addrs.items():
        c = out.world.contracts[addr]
        art = fixture.artifacts[name]
        layout, types = _layout(art), _types(art)
        code = None
        for f in compared_fields(c):
            if on_field is not None:
                on_field(f"{name}.{f.name}")
            where = f"{name}.{f.name}"
            v = getattr(c, f.name)
            if _field_kind(art, layout, f, where) == "immutable":
                if code is None:
                    code = eng.get_code(addr)
                setattr(c, f.name, _read_immutable(code, art, f.name, v, where))
            else:
                setattr(c, f.name, _read_field(eng, addr, art, layout, types, f.name, v, known, where))
    return out


def write_system(fixture: Any, system: System) -> None:
    """Write a model state into the EVM (counterexample pre-states). Only entries the model holds are
    written: the EVM must start from the deployed state, whose mappings are empty. Packed values are
    written into their bytes of the slot, leaving the neighbours; an immutable that differs from the
    deployed one is patched into the code. The ETH balances the model tracks are set too."""
    for a, wei in sorted(system.world.balances.items()):
        fixture.engine.set_balance(a, wei)
    eng = fixture.engine
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        art = fixture.artifacts[name]
        layout, types = _layout(art), _types(art)
        for f in compared_fields(c):
            where = f"{name}.{f.name}"
            v = getattr(c, f.name)
            if _field_kind(art, layout, f, where) == "immutable":
                _write_immutable(eng, addr, art, f.name, v, where)
            else:
                _write_field(eng, addr, art, layout, types, f.name, v, where)


def concrete_length(a: Array) -> int:
    return len(a)


def _show(t: Any, v: Any) -> str:
    if isinstance(t, type) and issubclass(t, Enum) and isinstance(v, int) and 0 <= v < t.MOD:
        return f"{v} ({t.__name__}.{t.MEMBERS[v]})"
    return str(v)


def diff_systems(model: System, evm: System) -> list[str]:
    """Field-by-field differences, in Solidity names: 'StakeManager.stakes[0xa1]: model 5, evm 6',
    'Providers.providers[0xa1].terms.fee: model 5, evm 6', 'Providers.config.admin: ...'."""
    return [d.render() for d in state_differences(model, evm)]


def _leaf_differences(where: str, mv: Mapping, ev: Mapping, show_key: Callable[[tuple], str]) -> list[Difference]:
    """The entries where two mappings (or two arrays' elements) differ, leaf by leaf; a string or bytes
    member of a struct is compared as its bytes, once, under its own name."""
    out: list[Difference] = []
    mleaves, eleaves = mv.leaf_mappings(), ev.leaf_mappings()
    for suffix, ml in mleaves.items():
        if suffix.endswith("." + BYTES_LENGTH_LEAF):
            continue  # compared with its content leaf
        if suffix.endswith("." + BYTES_CONTENT_LEAF):
            member = suffix[:-len(BYTES_CONTENT_LEAF) - 1]
            for key in sorted(set(_leaf_keys(mleaves, member, DynBytes)) | set(_leaf_keys(eleaves, member, DynBytes))):
                a, b = _get_leaf(mleaves, member, key, DynBytes), _get_leaf(eleaves, member, key, DynBytes)
                if a != b:
                    out.append(value_difference("storage", f"{where}[{show_key(key)}]{member}", repr(a), repr(b)))
            continue
        el = eleaves[suffix]
        md, ed = dict(ml.items()), dict(el.items())
        t = ml.leaf_type()
        for key in sorted(set(md) | set(ed)):
            a, b = md.get(key, ml.store.zero), ed.get(key, el.store.zero)
            if a != b:
                out.append(value_difference("storage", f"{where}[{show_key(key)}]{suffix}", _show(t, a), _show(t, b)))
    return out


def state_differences(model: System, evm: System) -> list[Difference]:
    """diff_systems as records (kind "storage"; path: the Solidity name, as in diff_systems)."""
    out: list[Difference] = []
    for a in sorted(set(model.world.balances) | set(evm.world.balances)):
        mb, eb = model.world.balances.get(a, 0), evm.world.balances.get(a, 0)
        if mb != eb:
            out.append(value_difference("storage", f"balance({a:#x})", mb, eb))
    for name, addr in model.addrs.items():
        mc, ec = model.world.contracts[addr], evm.world.contracts[addr]
        for f in compared_fields(mc):
            mv, ev = getattr(mc, f.name), getattr(ec, f.name)
            if isinstance(mv, Mapping):
                out += _leaf_differences(f"{name}.{f.name}", mv, ev, lambda key: "][".join(f"{x:#x}" for x in key))
            elif isinstance(mv, Array):
                if concrete_length(mv) != concrete_length(ev):
                    out.append(value_difference("storage", f"{name}.{f.name}.length", concrete_length(mv), concrete_length(ev)))
                out += _leaf_differences(f"{name}.{f.name}", mv.data, ev.data, lambda key: str(key[0]))
            elif isinstance(mv, Struct):
                for path, t in mv.leaves():
                    a, b = mv.get_leaf(path).v, ev.get_leaf(path).v
                    if a != b:
                        out.append(value_difference("storage", f"{name}.{f.name}.{'.'.join(path)}",
                                                    repr(a) if _is_bytes(t) else _show(t, a),
                                                    repr(b) if _is_bytes(t) else _show(t, b)))
            elif isinstance(mv, DynBytes):
                if mv.v != ev.v:
                    out.append(value_difference("storage", f"{name}.{f.name}", repr(mv), repr(ev)))
            elif isinstance(mv, str):
                if mv != ev:
                    out.append(value_difference("storage", f"{name}.{f.name}", repr(mv), repr(ev)))
            elif mv.v != ev.v:
                out.append(value_difference("storage", f"{name}.{f.name}", _show(type(mv), mv.v), _show(type(ev), ev.v)))
    return out
