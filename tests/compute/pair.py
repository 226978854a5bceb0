"""The compute suite deployed on an EVM engine next to its models (specs/compute/system.py): every call
goes to both; outcome (success or the revert's error and arguments), return values and events are
compared, then the whole state: storage through the state view (harness/fuzz/stateview.py), the
records holding strings (providers, sessions, triggers) through their getters, and ETH balances."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from harness.evm.compile import compile_contracts
from harness.evm.fixture import deploy_suite, suite_artifacts
from harness.fuzz.compute.observers import records_differences
from harness.fuzz.stateview import diff_systems, read_system
from specs.compute.compute_staking import StakeRole
from specs.compute.inference_serving import model_key
from specs.compute.system import DEPLOYMENTS, OWNER, TREASURY, build_system
from specs.kernel import (
    Outcome,     U256, Address, Bool, Bytes32, DynBytes, Enum, Msg, Sint, String, Uint,
)

ETH = 10**18
HOUR = 3600
ENGINES = ("pyrevm", "py-evm")
# actors: A/B renters and users, P/Q providers, G a guardian, T an attester, X an executor
A, B, P, Q, G, T, X = 0xA1, 0xB2, 0x9001, 0x9002, 0x6001, 0x7001, 0xE001
ACTORS = (A, B, P, Q, G, T, X, OWNER, TREASURY)
MODELS = ("llama-70b", "gpt-x")


def plain(v: Any) -> Any:
    """A model value as the ABI decoder gives it."""
    if isinstance(v, (Uint, Sint, Address, Enum)):
        return v.v
    if isinstance(v, Bool):
        return bool(v.v)
    if isinstance(v, Bytes32):
        return v.to_bytes()
    if isinstance(v, String):
        return str(v)
    if isinstance(v, DynBytes):
        return v.v
    if isinstance(v, (tuple, list)):
        return tuple(plain(x) for x in v)
    return v


def evm_plain(v: Any) -> Any:
    if isinstance(v, str) and v.startswith("0x") and len(v) == 42:
        return int(v, 16)
    if isinstance(v, (tuple, list)):
        return tuple(evm_plain(x) for x in v)
    return v


def evm_arg(v: Any) -> Any:
    if isinstance(v, Bool):
        return bool(v.v)
    if isinstance(v, Bytes32):
        return v.to_bytes()
    if isinstance(v, String):
        return str(v)
    if isinstance(v, DynBytes):
        return v.v
    if hasattr(v, "v"):
        return v.v
    return v


@functools.lru_cache(maxsize=None)
def artifacts(overrides: tuple[tuple[str, str], ...] = (), deployments: tuple = DEPLOYMENTS) -> dict:
    arts = suite_artifacts(None, deployments=deployments)
    for name, path in overrides:
        arts[name] = compile_contracts([path]).get(name)
    return arts


class Mismatch(AssertionError):
    pass


class Suite:
    """One engine and one model world, deployed alike, actors funded alike."""

    def __init__(self, engine_name: str, model_overrides: dict | None = None,
                 contract_overrides: dict[str, str] | None = None, deployments: tuple = DEPLOYMENTS):
        arts = artifacts(tuple(sorted((contract_overrides or {}).items())), deployments)
        self.fx = deploy_suite(engine_name, arts, deployments=deployments, environment_addresses={})
        self.engine = self.fx.engine
        self.system = build_system(model_overrides, deployments)
        self.world = self.system.world
        for a in ACTORS:
            self.world.set_balance(a, 1000 * ETH)
            self.engine.set_balance(a, 1000 * ETH)
        self.history: list[str] = []

    # -- time -----------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.world.block.timestamp

    def warp(self, timestamp: int) -> None:
        number = self.world.block.number + 1
        self.world.block.number = number
        self.world.block.timestamp = timestamp
        self.engine.set_block(number=number, timestamp=timestamp)

    def skip(self, seconds: int) -> None:
        self.warp(self.now + seconds)

    # -- calls ----------------------------------------------------------------------------------
    def call(self, name: str, fn: str, sender: int, *args: Any, value: int = 0) -> Any:
        """The call on both sides; raises Mismatch on any difference (outcome, error, returned value,
        events, state). Returns the model's outcome."""
        addr = self.system.addrs[name]
        pre_model, pre_evm = self.system.clone(), getattr(self, "evm_system", None)
        m = self.world.transact(addr, fn, Msg(Address(sender), U256(value)), *args)
        e = self.fx.contracts[name].transact(fn, *(evm_arg(a) for a in args), sender=sender, value=value)
        step = f"{name}.{fn}{tuple(plain(a) for a in args)} from {sender:#x} value {value}"
        self.history.append(step)
        diffs = []
        if m.ok != e.ok:
            diffs.append(f"success: model {m.ok} ({m.error}), evm {e.ok} ({e.error})")
        elif not m.ok:
            m_err = (m.error.abi_name(), plain(m.error.args()))
            # a bare revert: the model's EmptyRevert is named "", the decoder's None
            e_err = (e.error.name or "", evm_plain(tuple(e.error.args)))
            if m_err != e_err:
                diffs.append(f"error: model {m_err}, evm {e_err}")
        else:
            e_ret = evm_plain(tuple(e.returned))
            m_ret = () if m.returned is None else plain(m.returned)
            if e_ret != () and len(e_ret) == 1:
                e_ret = e_ret[0]
            if m_ret != e_ret:
                diffs.append(f"returned: model {m_ret}, evm {e_ret}")
        m_ev = [(r.address, r.event.abi_name(), plain(r.event.args())) for r in m.events]
        e_ev = [(ev.address, ev.name, evm_plain(tuple(ev.args))) for ev in e.events]
        if m_ev != e_ev:
            diffs.append(f"events: model {m_ev}, evm {e_ev}")
        diffs += self.diff()
        diffs += [f"{inv} fails on the model" for inv in self.failing_invariants(self.system)]
        diffs += [f"{inv} fails on the EVM" for inv in self.failing_invariants(self.evm_system)]
        if m.ok:
            call = self.call_of(name, fn, sender, args)
            diffs += [f"{x} (model)" for x in self.failing_steps(pre_model, self.system, call)]
            if pre_evm is not None:
                diffs += [f"{x} (EVM)" for x in self.failing_steps(pre_evm, self.evm_system, call)]
        if diffs:
            raise Mismatch(f"{step} on {self.engine.name}:\n  " + "\n  ".join(diffs))
        return m

    def expect(self, error: str, name: str, fn: str, sender: int, *args: Any, value: int = 0) -> tuple:
        """The call, which both sides must revert with `error`; returns the error's arguments."""
        m = self.call(name, fn, sender, *args, value=value)
        assert not m.ok and m.error.abi_name() == error, f"expected {error}, got {m.error or 'success'}"
        return plain(m.error.args())

    def ok(self, name: str, fn: str, sender: int, *args: Any, value: int = 0) -> Any:
        m = self.call(name, fn, sender, *args, value=value)
        assert m.ok, f"{name}.{fn} reverted {m.error}"
        return m.returned

    def view(self, name: str, fn: str, *args: Any) -> Any:
        """A view on both sides, which must agree; returns the model's value."""
        c = self.world.contracts[self.system.addrs[name]]
        if callable(getattr(c, fn)):
            m = self.world.view(self.system.addrs[name], fn, *args)
        else:  # a public state variable's getter
            v = getattr(c, fn)
            for a in args:
                v = v[a]
            m = Outcome(True, v, None, ())
        e = self.fx.contracts[name].view(fn, *(evm_arg(a) for a in args))
        if m.ok != e.ok:
            raise Mismatch(f"view {name}.{fn}: model {m.ok} {m.error}, evm {e.ok} {e.error}")
        if not m.ok and (m.error.abi_name(), plain(m.error.args())) != (e.error.name, evm_plain(tuple(e.error.args))):
            raise Mismatch(f"view {name}.{fn}{tuple(plain(a) for a in args)}: model {m.error}, evm {e.error}")
        if m.ok:
            e_ret = evm_plain(tuple(e.returned))
            if len(e_ret) == 1:
                e_ret = e_ret[0]
            if plain(m.returned) != e_ret:
                raise Mismatch(f"view {name}.{fn}{tuple(plain(a) for a in args)}: model {plain(m.returned)}, evm {e_ret}")
        return m.returned

    # -- state ----------------------------------------------------------------------------------
    def call_of(self, name: str, fn: str, sender: int, args: tuple) -> Any:
        from harness.fuzz.differential import params_of
        from invariants.registry import Call

        method = getattr(type(self.world.contracts[self.system.addrs[name]]), fn)
        names = [p for p, _ in params_of(method)]
        return Call(name, fn, Address(sender), dict(zip(names, args)))

    def failing_steps(self, pre: Any, post: Any, call: Any) -> list[str]:
        """The compute step invariants (invariants/compute/steps.py) broken by one successful call."""
        import invariants.compute.all  # noqa: F401  (registers them)
        from invariants.registry import STEP_REGISTRY, step_failures

        keys = {Address: self.keys()[Address], U256: list(range(8))}
        return step_failures(STEP_REGISTRY.for_contracts(set(self.system.addrs)), pre, post, call, keys)

    def failing_invariants(self, system: Any) -> list[str]:
        """The ids (and keys) of the compute state invariants (invariants/compute/) that `system`
        breaks; Address keys range over the actors and contracts, uint256 keys over ids 0 to 7."""
        import itertools

        import invariants.compute.all  # noqa: F401  (registers them)
        from invariants.registry import REGISTRY

        values = {Address: [Address(a) for a in self.keys()[Address]], U256: [U256(i) for i in range(8)]}
        out = []
        for inv in REGISTRY.for_contracts(set(self.system.addrs)):
            for keys in itertools.product(*(values[t] for _, t in inv.keys)):
                if not inv.holds(system, *keys):
                    out.append(f"{inv.id}{tuple(plain(k) for k in keys)}")
        return out

    def keys(self) -> dict:
        addrs = list(ACTORS) + list(self.system.addrs.values())
        ids = range(0, 8)
        return {Address: addrs, StakeRole: [0, 1, 2], U256: list(ids),
                Bytes32: [int.from_bytes(model_key(String(m)).to_bytes(), "big") for m in MODELS]}

    def diff(self) -> list[str]:
        evm = read_system(self.fx, self.system, self.keys())
        self.evm_system = evm
        out = diff_systems(self.system, evm)
        # records holding strings, through their getters: the fuzz machine's observer
        out += [d.render() for d in records_differences(self.system, self.fx)]
        return out


VIEW_ARGS = {"address": (A, P, G, T, X, 0), "uint256": (0, 1, 2, 3), "uint8": (0, 1, 2), "string": MODELS}


def view_calls(abi: Any) -> list[tuple[str, tuple]]:
    """Every view or pure function of an ABI with every combination of a few arguments per type
    (VIEW_ARGS), as (name, EVM arguments)."""
    import itertools

    out = []
    for fn in abi.functions.values():
        if fn.mutability not in ("view", "pure") or any(t not in VIEW_ARGS for t in fn.inputs):
            continue
        for combo in itertools.product(*(VIEW_ARGS[t] for t in fn.inputs)):
            out.append((fn.name, tuple(combo)))
    return out


def _model_args(c: Any, fn: str, abi_types: tuple, args: tuple) -> tuple:
    from harness.fuzz.differential import params_of

    method = getattr(type(c), fn, None)
    if callable(method):
        types = [t for _, t in params_of(method)]
    else:
        types = [Address if t == "address" else U256 for t in abi_types]
    return tuple(t(a) for t, a in zip(types, args))


def check_views(suite: "Suite") -> int:
    """Every view and public getter of every contract, at a few arguments, on both sides: same success
    or error, same value; public constants against the model module's constant of that name. Returns
    the number of calls compared; raises Mismatch on the first difference."""
    import sys

    n = 0
    for name, addr in suite.system.addrs.items():
        contract = suite.fx.contracts[name]
        c = suite.world.contracts[addr]
        for fn, args in view_calls(contract.abi):
            abi_fn = contract.abi.function(fn, len(args))
            if not hasattr(c, fn):
                const = getattr(sys.modules[type(c).__module__], fn)
                e = contract.view(fn)
                if e.returned[0] != plain(const) if not isinstance(const, int) else e.returned[0] != const:
                    raise Mismatch(f"{name}.{fn}: model {const}, evm {e.returned[0]}")
                n += 1
                continue
            suite.view(name, fn, *_model_args(c, fn, abi_fn.inputs, args))
            n += 1
    return n
