"""Each compute model declares what its contract's ABI has: every function (state-changing ones as
external or payable with the same payability, views as views or public state, constants as module
constants), every event and every custom error, by name and with the same number of parameters."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from specs.compute import common
from specs.compute.system import DEPLOYMENTS
from specs.kernel import Event, SolidityError
from harness.evm.abi import ContractABI
from tests.compute.pair import artifacts

PROTOCOL = [d for d in DEPLOYMENTS if d.name != "ComputeTestToken"]


def _declared(module, base):  # noqa: ANN001, ANN202
    out = {}
    for mod in (module, common):
        for v in vars(mod).values():
            if isinstance(v, type) and issubclass(v, base) and v is not base:
                out.setdefault(v.abi_name(), v)
    return out


@pytest.mark.parametrize("d", PROTOCOL, ids=[d.name for d in PROTOCOL])
def test_every_function_event_and_error_of_the_abi_is_modelled(d):
    abi = ContractABI(artifacts()[d.name].abi)
    model, module = d.model, sys.modules[d.model.__module__]
    fields = {f.name for f in dataclasses.fields(model)}
    missing = []
    for fn in abi.functions.values():
        attr = getattr(model, fn.name, None)
        if fn.mutability in ("view", "pure"):
            ok = (callable(attr) and getattr(attr, "is_view", False)) or fn.name in fields or hasattr(module, fn.name)
        else:
            ok = callable(attr) and getattr(attr, "is_external", False) and \
                bool(getattr(attr, "is_payable", False)) == (fn.mutability == "payable")
        if not ok:
            missing.append(f"function {fn.signature} ({fn.mutability})")
    for kind, entries, base in (("event", abi.events.values(), Event), ("error", abi.errors.values(), SolidityError)):
        declared = _declared(module, base)
        for e in entries:
            cls = declared.get(e.name)
            if cls is None or len(dataclasses.fields(cls)) != len(e.inputs):
                missing.append(f"{kind} {e.signature}")
    assert not missing, f"{d.name}: not in its model: {missing}"
    assert abi.functions and abi.events
