"""The compute records compared through their getters, as a user reads them.

ComputeRegistry's providers, ComputeRental's sessions and TriggerRegistry's triggers are structs with
string or bytes members held in mappings. The state view (harness/fuzz/stateview.py) reads them from
storage at the ids the model holds; after every step a differential also compares them here, through
the contracts' own getters: the record count, then every record 1..count (getProvider, getSession,
getTrigger), member by member, strings included, and the getter at id 0 and count + 1 (both sides must
revert alike), which finds a record only the EVM has at an id the model never wrote.
"""

from __future__ import annotations

from typing import Any

from harness.fuzz.difference import Difference, value_difference
from harness.fuzz.differential import plain
from specs.kernel import U256

# (contract, getter of one record by id, public counter of the ids handed out)
RECORDS = (("ComputeRegistry", "getProvider", "providerCount"),
           ("ComputeRental", "getSession", "sessionCount"),
           ("TriggerRegistry", "getTrigger", "triggerCount"))


def evm_plain(v: Any) -> Any:
    """An EVM value as compared with a model's: addresses inside decoded tuples come back as hex strings
    of 42 characters and are read as ints (the fuzz machines never send a string argument of that
    shape, so no string member is mistaken for one)."""
    if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
        return int(v, 16)
    if isinstance(v, (tuple, list)):
        return tuple(evm_plain(x) for x in v)
    return v


def records_differences(model: Any, fixture: Any) -> list[Difference]:
    """Every difference between the model's records and the EVM's, through the getters."""
    out: list[Difference] = []
    for name, getter, count in RECORDS:
        if name not in model.addrs:
            continue
        addr = model.addrs[name]
        n = getattr(model.world.contracts[addr], count).v
        e = fixture.contracts[name].view(count)
        e_n = e.returned[0] if e.ok else ("revert", e.error.name)
        if n != e_n:
            out.append(value_difference("view", f"{name}.{count}()", n, e_n))
            continue
        for i in [0, *range(1, n + 1), n + 1]:
            m = model.world.view(addr, getter, U256(i), clone=False)
            ev = fixture.contracts[name].view(getter, i)
            mv = plain(m.returned) if m.ok else ("revert", m.error.abi_name(), plain(m.error.args()))
            if ev.ok:
                got = evm_plain(tuple(ev.returned))
                evv = got[0] if len(got) == 1 else got
            else:
                evv = ("revert", ev.error.name, evm_plain(tuple(ev.error.args)))
            if mv != evv:
                out.append(value_difference("view", f"{name}.{getter}({i})", mv, evv))
    return out


def records_observer(diff: Any) -> list[Difference]:
    """The observer a compute Differential runs (harness.fuzz.differential.Differential.observers)."""
    return records_differences(diff.model, diff.fixture)
