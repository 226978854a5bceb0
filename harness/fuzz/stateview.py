"""Read EVM storage into the shape of the models, so that one comparison and one set of invariant
predicates serve both sides.

For every storage field of every model (Solidity names, declaration order) the slot comes from the
compiler's storage layout; mapping entries are read at the keys the caller knows (the fuzzer's actors
and the contracts). Fields packed into a shared slot are not supported yet and raise.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from eth_utils import keccak

from specs.errors import WorkbenchError
from specs.kernel import Address, Bool, Bytes32, Mapping, Uint
from specs.bpe.system import System


@lru_cache(maxsize=1 << 16)
def mapping_slot(base: int, key: int) -> int:
    return int.from_bytes(keccak(key.to_bytes(32, "big") + base.to_bytes(32, "big")), "big")


def _layout(artifact: Any) -> dict[str, dict]:
    entries = {e["label"]: e for e in artifact.storage_layout["storage"]}
    for e in entries.values():
        if e["offset"] != 0:
            raise WorkbenchError(f"{artifact.name}.{e['label']}: packed storage is not supported by the state view")
    return entries


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
    for key, _v in v.items():
        if key[:n] == prefix:
            out.add(key[n])
    return sorted(out)


def _read_mapping(eng: Any, addr: int, slot: int, v: Mapping, known: dict[type, list[int]]) -> Mapping:
    m = Mapping(v.key_type, v.value_type, summed=v.summed)
    zero = m.store.zero
    types = []
    t: Any = v
    while isinstance(t, Mapping):
        types.append(t.key_type)
        t = t.value_type

    def walk(base: int, prefix: tuple) -> None:
        level = len(prefix)
        for k in _keys_for(v, types[level], known, prefix):
            s = mapping_slot(base, k)
            if level + 1 < len(types):
                walk(s, prefix + (k,))
            else:
                raw = eng.get_storage(addr, s)
                val = bool(raw) if isinstance(zero, bool) else raw
                if val != zero:
                    m.store.set(prefix + (k,), val)

    walk(slot, ())
    return m


def read_system(fixture: Any, template: System, keys: "Iterable[int] | dict[type, Iterable[int]]") -> System:
    """A copy of `template` whose storage holds what the EVM holds. Mappings are read at the known keys
    of each level's key type and at every key the template holds (see `key_sets`)."""
    known = key_sets(keys)
    out = template.clone()
    for name, addr in template.addrs.items():
        c = out.world.contracts[addr]
        layout = _layout(fixture.artifacts[name])
        eng = fixture.engine
        for f in c.storage_fields():
            slot = int(layout[f.name]["slot"])
            v = getattr(c, f.name)
            if isinstance(v, Mapping):
                setattr(c, f.name, _read_mapping(eng, addr, slot, v, known))
            elif isinstance(v, Uint):
                setattr(c, f.name, type(v)(eng.get_storage(addr, slot)))
            elif isinstance(v, Bool):
                setattr(c, f.name, Bool(bool(eng.get_storage(addr, slot))))
            elif isinstance(v, (Address, Bytes32)):
                setattr(c, f.name, type(v)(eng.get_storage(addr, slot)))
            else:
                raise WorkbenchError(f"{name}.{f.name}: no state view for {type(v).__name__}")
    return out


def write_system(fixture: Any, system: System) -> None:
    """Write a model state into EVM storage (counterexample pre-states). Only entries the model
    holds are written: the EVM must start from the deployed state, whose mappings are empty."""
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        layout = _layout(fixture.artifacts[name])
        eng = fixture.engine
        for f in c.storage_fields():
            slot = int(layout[f.name]["slot"])
            v = getattr(c, f.name)
            if isinstance(v, Mapping):
                for key, val in v.items():
                    s = slot
                    for k in key:
                        s = mapping_slot(s, k)
                    eng.set_storage(addr, s, int(val))
            elif isinstance(v, (Uint, Address, Bytes32)):
                eng.set_storage(addr, slot, v.v)
            elif isinstance(v, Bool):
                eng.set_storage(addr, slot, int(bool(v.v)))


def diff_systems(model: System, evm: System) -> list[str]:
    """Field-by-field differences, in Solidity names: 'StakeManager.stakes[0xa1]: model 5, evm 6'."""
    out = []
    for name, addr in model.addrs.items():
        mc, ec = model.world.contracts[addr], evm.world.contracts[addr]
        for f in mc.storage_fields():
            mv, ev = getattr(mc, f.name), getattr(ec, f.name)
            if isinstance(mv, Mapping):
                md, ed = dict(mv.items()), dict(ev.items())
                for key in sorted(set(md) | set(ed)):
                    a, b = md.get(key, mv.store.zero), ed.get(key, ev.store.zero)
                    if a != b:
                        k = "][".join(f"{x:#x}" for x in key)
                        out.append(f"{name}.{f.name}[{k}]: model {a}, evm {b}")
            elif mv.v != ev.v:
                out.append(f"{name}.{f.name}: model {mv.v}, evm {ev.v}")
    return out
