"""One differential step: run a call on the model and on an EVM, compare everything.

A step is a JSON-able dict, so the fuzzer, the replay files and the replay command share one format:
  {"op": "call", "contract": "StakeManager", "function": "stake", "sender": 0xa1, "args": [10**20]}
  {"op": "advance", "blocks": 3, "seconds": 36}
Arguments are plain JSON values: ints (uints, enums and addresses), bools, "0x..." strings for bytes32
and `bytes`, and strings for `string`. A call step may carry "value" (msg.value in wei, default 0).

After a call the comparison covers: success or revert and which error (name and arguments), return
values, events (emitter, name, arguments, in order), the storage of every contract at every known
key, every single-address and argument-free view at every known address, and every registered
invariant on both the model state and the EVM state.

At the end of every sequence (`finish`) a stranger, an address that holds no role and no funds, calls
every state-changing function of every suite contract with plain arguments (a known actor for an
address, 1 for a number, ...) on both sides, each call from the same state and undone afterwards:
model and EVM must agree on success or the error, and on the events. A function whose access check
was left out of the contract (or of the model) is found there even when the machine's rules rarely
give that function to a wrong caller.
"""

from __future__ import annotations

import inspect
import itertools
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Callable, get_args, get_origin, get_type_hints

from harness.evm.fixture import Fixture
from harness.fuzz.difference import Difference, value_difference
from harness.fuzz.stateview import read_system, state_differences
from invariants.registry import Invariant
from specs.kernel import U256, Address, Bool, Bytes32, DynBytes, Enum, Msg, Outcome, Sint, String, Uint
from specs.deploy import System


# Called with no argument whenever a Mismatch is made: a campaign notes when it first found one, before
# hypothesis shrinks it (harness/fuzz/runner.py run_fuzz); empty outside a campaign.
ON_MISMATCH: list[Callable[[], None]] = []


class Mismatch(AssertionError):
    """Model and EVM disagree (or an invariant fails) after a step: `differences` are the records
    (harness/fuzz/difference.py), each stamped with the step's index; `model` and `evm` summarize the
    two sides' outcome ("state above" when the records are about the state)."""

    def __init__(self, index: int, step: dict, differences: list[Difference], model: str, evm: str):
        bad = [d for d in differences if not isinstance(d, Difference)]
        if bad:  # a free-text difference would reach the reports and the mutation runner unclassified
            raise TypeError(f"Mismatch takes Difference records, got {type(bad[0]).__name__}: {bad[0]!r}")
        for hook in ON_MISMATCH:
            hook()
        self.index, self.step, self.model, self.evm = index, step, model, evm
        self.differences = [d if d.step == index else replace(d, step=index) for d in differences]
        super().__init__(self.render())

    def add(self, difference: Difference) -> None:
        """Append a record (stamped with this mismatch's step) and refresh the message."""
        self.differences.append(replace(difference, step=self.index))
        self.args = (self.render(),)

    def render(self) -> str:
        lines = [f"step {self.index}: {format_step(self.step)}"]
        lines += [f"  differs: {d.render()}" for d in self.differences]
        lines += [f"  model: {self.model}", f"  evm:   {self.evm}"]
        return "\n".join(lines)


def format_step(step: dict) -> str:
    if step["op"] == "raw":
        return f"{step['contract']} <- malformed calldata {step['data'][:74]}... ({step.get('why', '')}) from {_show(step['sender'])}"
    if step["op"] == "end of sequence":
        return "end of sequence (Superfluid state compared)"
    if step["op"] == "advance":
        return f"advance {step.get('blocks', 1)} blocks, {step['seconds']} s"
    if "contract" not in step:  # a step of another shape (the GDA machine's: "to", "fn"): as recorded
        return str(step)
    args = ", ".join(_show(a) for a in step["args"])
    paid = f" value {step['value']}" if step.get("value") else ""
    return f"{step['contract']}.{step['function']}({args}) from {_show(step['sender'])}{paid}"


def _show(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and v >= 1 << 40:
        return hex(v)
    if isinstance(v, str) and len(v) > 80:  # a 10 kB string argument: its length and head
        return f"{v[:32]!r}...({len(v)} chars)"
    return repr(v) if isinstance(v, str) else str(v)


def plain(v: Any) -> Any:
    """A model value as the ABI decoder gives it: ints, bools, bytes, str, tuples."""
    if isinstance(v, (Uint, Sint, Address, Enum)):
        return v.v
    if isinstance(v, String):
        return str(v)
    if isinstance(v, DynBytes):
        return v.v
    if isinstance(v, Bool):
        return bool(v.v)
    if isinstance(v, Bytes32):
        return v.to_bytes()
    if isinstance(v, (tuple, list)):
        return tuple(plain(x) for x in v)
    return v


@lru_cache(maxsize=None)
def params_of(fn: Any) -> tuple[tuple[str, Any], ...]:
    """A model function's ABI parameters (after `self` and `msg`) with their types. Cached: the
    fuzzer asks on every step."""
    hints = get_type_hints(fn)
    return tuple((p, hints.get(p)) for p in inspect.signature(fn).parameters if p not in ("self", "msg"))


@lru_cache(maxsize=None)
def address_views(cls: type) -> tuple[tuple[str, int], ...]:
    """(name, number of parameters) of every view of a model taking no argument or one address:
    the views the comparison calls at every known address."""
    out = []
    for fname in dir(cls):
        fn = getattr(cls, fname)
        if getattr(fn, "is_view", False):
            params = params_of(fn)
            if len(params) <= 1 and all(t is Address for _, t in params):
                out.append((fname, len(params)))
    return tuple(out)


# The stranger of the end-of-sequence probe: no suite declares it, no machine funds it.
PROBE_SENDER = 0x5157_7A46_E700_0000_0000_0000_0000_0000_0000_0BAD


@lru_cache(maxsize=None)
def state_changing(cls: type) -> tuple[str, ...]:
    """The external, non-view functions of a model class, by name."""
    return tuple(sorted(f for f in dir(cls) if getattr(getattr(cls, f), "is_external", False)
                        and not getattr(getattr(cls, f), "is_view", False)))


def probe_argument(t: Any, address: int, word: int) -> Any:
    """A plain JSON argument of model type `t` for the stranger probe, or None when there is none to
    give (a struct, a nested array)."""
    if t is Address:
        return address
    if t is Bool:
        return True
    if t is Bytes32:
        return "0x" + word.to_bytes(32, "big").hex()
    if t is String or t is str:
        return "probe"
    if t is bytes or (isinstance(t, type) and issubclass(t, DynBytes)):
        return "0x"
    if isinstance(t, type) and issubclass(t, Enum):
        return min(1, len(t.MEMBERS) - 1)
    if isinstance(t, type) and issubclass(t, (Uint, Sint)):
        return 1
    if get_origin(t) is list:
        return []
    return None


def model_value(t: Any, a: Any) -> Any:
    """A JSON step argument as the model's parameter type `t` (kernel types, `bytes`, `list[T]`)."""
    if t is Bytes32:
        return Bytes32(bytes.fromhex(a[2:]) if isinstance(a, str) else a)
    if t is Bool:
        return Bool(bool(a))
    if t is bytes:
        return bytes.fromhex(a[2:]) if isinstance(a, str) else bytes(a)
    if t is String:
        return String(a)
    if isinstance(t, type) and issubclass(t, DynBytes):  # `bytes`: hex in the step
        return t(bytes.fromhex(a[2:]) if isinstance(a, str) else bytes(a))
    if get_origin(t) in (list, tuple):
        (inner,) = get_args(t)[:1]
        return [model_value(inner, x) for x in a]
    return t(a)


def model_args(fn: Any, args: list) -> tuple:
    return tuple(model_value(t, a) for (_, t), a in zip(params_of(fn), args))


def evm_args(fn: Any, args: list) -> tuple:
    return tuple(plain(a) for a in model_args(fn, args))


def outcome_summary(ok: bool, returned: Any, error: Any, events: tuple) -> str:
    if not ok:
        return f"reverted {error}"
    evs = "; ".join(f"{n}{tuple(_show(x) for x in a)}@{_show(addr)}" for addr, n, a in events)
    return f"ok {returned!r}" + (f" events [{evs}]" if evs else "")


@dataclass
class Differential:
    """The model world and an EVM fixture, stepped together."""

    fixture: Fixture
    model: System
    actors: list[int]
    invariants: list[Invariant]
    index: int = 0
    calls: dict[str, int] = field(default_factory=dict)  # per function: calls
    reverts: dict[str, int] = field(default_factory=dict)  # per "function: error": reverts
    trace: list[dict] = field(default_factory=list)  # per step: the EVM's outcome and decoded events
    # Known mapping keys beyond the addresses: {Bytes32: task type ids, U256: indices and ids, Address: more}.
    extra_keys: dict[type, list[int]] = field(default_factory=dict)
    # Further comparisons after every step (Superfluid state through views): callables taking this
    # Differential and returning Difference records.
    observers: list[Any] = field(default_factory=list)
    # Which EVM events take part in the comparison (default: all). The system machine leaves out the
    # Superfluid framework's internal bookkeeping events, which its models do not emit (see
    # harness/fuzz/bpe/system.py); events of the suite's own contracts are always compared.
    event_filter: Any = None
    # Run the observers after every step (True), or only when `finish()` is called at the end of a
    # sequence (False): the py-evm share of a campaign, where one Superfluid view costs ~20 ms.
    observe_each_step: bool = True
    # Compare the state (storage, views, observers, invariants) after every step (True), or only at
    # `finish()` (False: outcomes and events are still compared after every step). The lean mode is a
    # benchmark figure and a choice for long campaigns; verify compares after every step.
    state_each_step: bool = True
    # Step invariants (invariants.registry.STEP_REGISTRY): two-state predicates over (pre, post, call),
    # checked after every successful call on the model and on the EVM state read back.
    step_invariants: list[Any] = field(default_factory=list)
    # Called with this Differential before every step (the system machine keeps its known keys, such as
    # newly created pools and queue indices, up to date), whoever drives the steps: machine or replay.
    before_step: list[Any] = field(default_factory=list)
    # Per invariant id (state and step invariants), per side ("model", "evm"): how many instances
    # (combinations of known keys) were evaluated. A campaign that ran steps and evaluated a
    # registered invariant zero times has not checked it (harness.fuzz.campaign.unevaluated).
    evaluations: dict[str, dict[str, int]] = field(default_factory=dict)
    # The addresses always known besides the machine's actors: the declared `actors` of the suite that
    # deploys the model's contracts (specs/suite.py: deployer, governance, treasury, ...); looked up
    # when not given.
    suite_actors: tuple[int, ...] | None = None
    # Views outside the suite's single-address sweep that an observer found differing after the current
    # step, as calls the Foundry export can assert: (label, address, calldata, the model's return data
    # ABI-encoded). `note_differing_view` adds them; every step starts with none.
    differing_views: list[tuple[str, int, bytes, bytes]] = field(default_factory=list)
    # Run the stranger probe at the end of every sequence (module docstring).
    probe_each_sequence: bool = True

    def __post_init__(self) -> None:
        if self.suite_actors is None:
            from specs.suite import suite_of_contract

            self.suite_actors = tuple(suite_of_contract(next(iter(self.model.addrs))).actors.values())

    def known_keys(self) -> list[int]:
        """The addresses: actors, the suite's contracts, the suite's declared actors, and any extra ones."""
        return sorted(set(self.actors) | set(self.model.addrs.values()) | set(self.suite_actors or ())
                      | set(self.extra_keys.get(Address, ())))

    def key_sets(self) -> dict[type, list[int]]:
        out = {t: sorted(set(ks)) for t, ks in self.extra_keys.items()}
        out[Address] = self.known_keys()
        return out

    def step(self, step: dict) -> None:
        for hook in self.before_step:
            hook(self)
        self.index += 1
        self.differing_views = []
        if step["op"] == "advance":
            w = self.model.world
            w.block.number += step["blocks"]
            w.block.timestamp += step["seconds"]
            self.fixture.engine.set_block(number=w.block.number, timestamp=w.block.timestamp)
            self.trace.append({"outcome": f"block {w.block.number}, time {w.block.timestamp}", "events": []})
            return
        if step["op"] == "raw":
            self.raw_step(step)
            return
        if step["op"] != "call":
            raise ValueError(f"unknown step op {step['op']!r}")
        name, fn_name = step["contract"], step["function"]
        fn = getattr(self.model.models[name], fn_name)
        margs = model_args(fn, step["args"])
        pre = None
        if self.step_invariants and self.state_each_step:
            pre = (self.model.clone(), read_system(self.fixture, self.model, self.key_sets()))
        value = step.get("value", 0)
        m = self.model.world.transact(self.model.address_of(name), fn_name, Msg(Address(step["sender"]), U256(value)),
                                      *margs)
        e = self.fixture.contracts[name].transact(fn_name, *(plain(a) for a in margs), sender=step["sender"],
                                                  value=value)
        self.trace.append({"outcome": "ok " + repr(tuple(e.returned)) if e.ok else f"reverted {e.error}",
                           "events": [self.format_event(ev) for ev in e.events]})
        self._count(f"{name}.{fn_name}", e)
        self.compare_outcomes(step, m, e)
        # coverage counts the fuzzed calls only, not the comparison's own view calls
        tracer = getattr(self.fixture.engine, "tracer", None)
        if tracer is not None:
            tracer.paused = True
        try:
            post_evm = self.compare_state(step) if self.state_each_step else None
            if pre is not None and e.ok:
                self.check_step_invariants(step, fn, margs, *pre, post_evm)
        finally:
            if tracer is not None:
                tracer.paused = False

    def check_step_invariants(self, step: dict, fn: Any, margs: tuple, pre_model: System, pre_evm: System,
                              post_evm: System | None = None) -> None:
        """The step invariants across this call, on the model and on the EVM state (`post_evm`: the
        EVM state compare_state read after the call, with the same keys; read here when not given)."""
        from invariants.registry import Call, step_failures

        call = Call(step["contract"], step["function"], Address(step["sender"]),
                    {p: a for (p, _t), a in zip(params_of(fn), margs)})
        keys = self.key_sets()
        if post_evm is None:
            post_evm = read_system(self.fixture, self.model, keys)
        fails = [Difference("step-invariant", inv_id, f, None, text=f"on the model state: {f}")
                 for inv_id, f in step_failures(self.step_invariants, pre_model, self.model, call, keys,
                                                self._counter("model"), with_ids=True)]
        fails += [Difference("step-invariant", inv_id, None, f, text=f"on the EVM state: {f}")
                  for inv_id, f in step_failures(self.step_invariants, pre_evm, post_evm, call, keys,
                                                 self._counter("evm"), with_ids=True)]
        if fails:
            raise Mismatch(self.index, step, fails, "state above", "state above")

    def raw_step(self, step: dict) -> None:
        """Malformed calldata (wrong types, truncated arguments) sent to a suite contract. The ABI
        decoder Solidity generates must reject it: a revert without data, no state change. The model
        has no function for it (its functions take typed values): its state must stay as it is."""
        name = step["contract"]
        to = self.model.address_of(name)
        res = self.fixture.engine.call(to, bytes.fromhex(step["data"][2:]), sender=step["sender"])
        self.trace.append({"outcome": "ok" if res.success else f"reverted 0x{bytes(res.output).hex()}", "events": []})
        key = f"{name}.<malformed calldata>"
        self.calls[key] = self.calls.get(key, 0) + 1
        if res.success or bytes(res.output):
            what = "accepted" if res.success else f"reverted with data 0x{bytes(res.output).hex()}"
            raise Mismatch(self.index, step, [Difference("calldata", name, "revert without data", what,
                                                         text=f"malformed calldata {what}: expected a revert without data")],
                           "revert without data (ABI decoding fails)", what)
        self.reverts[f"{key}: revert()"] = self.reverts.get(f"{key}: revert()", 0) + 1
        if self.state_each_step:
            self.compare_state(step)

    def finish(self) -> None:
        """End of a sequence: compare what was not compared after every step (the observers' state,
        or with `state_each_step=False` the whole state)."""
        end = {"op": "end of sequence"}
        if self.probe_each_sequence:
            self.probe_strangers()
        if not self.state_each_step:
            each, self.observe_each_step = self.observe_each_step, True
            try:
                self.compare_state(end)
            finally:
                self.observe_each_step = each
            return
        if self.observe_each_step or not self.observers:
            return
        diffs = []
        for observe in self.observers:
            diffs += observe(self)
        if diffs:
            raise Mismatch(self.index, end, diffs, "state above", "state above")

    def probe_strangers(self) -> None:
        """The stranger probe (module docstring): every state-changing function of every suite contract,
        called by PROBE_SENDER on a copy of the model world and on the EVM (reverted to its snapshot
        afterwards). A function with a parameter the probe has no value for is counted under
        "(stranger probe skipped: ...)" in `calls`, not called."""
        actors = [a for a in self.actors if a not in (0, PROBE_SENDER)] or [1]
        words = self.extra_keys.get(Bytes32) or [1]
        tracer = getattr(self.fixture.engine, "tracer", None)
        if tracer is not None:
            tracer.paused = True
        try:
            for name in sorted(self.model.addrs):
                cls = self.model.models[name]
                for fn_name in state_changing(cls):
                    params = params_of(getattr(cls, fn_name))
                    args = [probe_argument(t, actors[0], words[0]) for _, t in params]
                    if any(a is None for a in args):
                        bad = next(t for (_, t), a in zip(params, args) if a is None)
                        key = f"{name}.{fn_name} (stranger probe skipped: no value for {getattr(bad, '__name__', bad)})"
                        self.calls[key] = self.calls.get(key, 0) + 1
                        continue
                    self._probe({"op": "call", "contract": name, "function": fn_name, "sender": PROBE_SENDER,
                                 "args": args})
        finally:
            if tracer is not None:
                tracer.paused = False

    def _probe(self, step: dict) -> None:
        name, fn_name = step["contract"], step["function"]
        margs = model_args(getattr(self.model.models[name], fn_name), step["args"])
        world = self.model.world.clone()
        m = world.transact(self.model.address_of(name), fn_name, Msg(Address(PROBE_SENDER)), *margs)
        snap = self.fixture.engine.snapshot()
        try:
            e = self.fixture.contracts[name].transact(fn_name, *(plain(a) for a in margs), sender=PROBE_SENDER)
        finally:
            self.fixture.engine.revert(snap)
        self._count(f"{name}.{fn_name} (stranger probe)", e)
        self.compare_outcomes(step, m, e)

    def _count(self, key: str, e: Any) -> None:
        """One call of `key` in `calls`, and its revert by error name in `reverts` when the EVM reverted."""
        self.calls[key] = self.calls.get(key, 0) + 1
        if not e.ok:
            rk = f"{key}: {e.error.name}"
            self.reverts[rk] = self.reverts.get(rk, 0) + 1

    def _counter(self, side: str) -> Any:
        """A callable counting one evaluation of an invariant (by id) on `side`."""
        def count(inv_id: str) -> None:
            sides = self.evaluations.setdefault(inv_id, {"model": 0, "evm": 0})
            sides[side] += 1
        return count

    def drain_counts(self, calls: dict[str, int], reverts: dict[str, int],
                     evaluations: dict[str, dict[str, int]] | None = None) -> None:
        """Add this differential's call, revert and invariant evaluation counts into `calls`, `reverts`
        and `evaluations`, and reset them."""
        from harness.fuzz.campaign import add_evaluations

        for k, v in self.calls.items():
            calls[k] = calls.get(k, 0) + v
        for k, v in self.reverts.items():
            reverts[k] = reverts.get(k, 0) + v
        if evaluations is not None:
            add_evaluations(evaluations, self.evaluations)
            self.evaluations = {}
        self.calls, self.reverts = {}, {}

    def format_event(self, ev: Any) -> str:
        """`Name(param=value, ...) @emitter`, addresses in hex, by the event's ABI types."""
        abi = self.fixture.registry.get(ev.address)
        types: tuple[str, ...] = ()
        if abi is not None:
            types = next((e.inputs for e in abi.events.values() if e.name == ev.name and len(e.inputs) == len(ev.args)), ())
        names = ev.names or tuple(f"arg{i}" for i in range(len(ev.args)))
        parts = []
        for i, (n, a) in enumerate(zip(names, ev.args)):
            t = types[i] if i < len(types) else ""
            v = f"{a:#042x}" if t == "address" and isinstance(a, int) else ("0x" + a.hex() if isinstance(a, bytes) else str(a))
            parts.append(f"{n}={v}")
        return f"{ev.name}({', '.join(parts)}) @{ev.address:#042x}"

    def compare_outcomes(self, step: dict, m: Outcome, e: Any) -> None:
        m_ret = None if not m.ok else (() if m.returned is None else
                                       self.model_returned(step["contract"], step["function"], len(step["args"]),
                                                           m.returned))
        m_err = None if m.ok else (m.error.abi_name(), plain(m.error.args()))
        # a bare revert (no data): the model's EmptyRevert is named "", the decoder's None
        e_err = None if e.ok else ("" if e.error.name is None else e.error.name, tuple(e.error.args))
        m_events = tuple((r.address, r.event.abi_name(), plain(r.event.args())) for r in m.events)
        keep = self.event_filter or (lambda ev: True)
        e_events = tuple((ev.address, ev.name, tuple(ev.args)) for ev in e.events if keep(ev))
        diffs = []
        if m.ok != e.ok:
            diffs.append(value_difference("outcome", "success", m.ok, e.ok))
        elif not m.ok and m_err != e_err:
            diffs.append(value_difference("outcome", "error", m_err, e_err))
        elif m.ok and m_ret != tuple(e.returned):
            diffs.append(value_difference("return", "returned", m_ret, tuple(e.returned)))
        if m_events != e_events:
            diffs.append(value_difference("events", "events", m_events, e_events))
        if diffs:
            raise Mismatch(self.index, step, diffs, outcome_summary(m.ok, m_ret, m.error, m_events),
                           outcome_summary(e.ok, e.returned, e.error, e_events))

    def compare_state(self, step: dict) -> System:
        """Compare storage, views, observers and invariants; return the EVM state read (a System)."""
        keys = self.known_keys()
        key_sets = self.key_sets()
        evm_state = read_system(self.fixture, self.model, key_sets)
        diffs = state_differences(self.model, evm_state)
        diffs += self.compare_views(keys)
        if self.observe_each_step:
            for observe in self.observers:
                diffs += observe(self)
        for inv in self.invariants:
            for side, system in (("model", self.model), ("evm", evm_state)):
                bad = _failing_keys(inv, system, key_sets, self._counter(side))
                if bad is not None:
                    where = f"fails{bad}"
                    diffs.append(Difference("invariant", inv.id, where if side == "model" else None,
                                            where if side == "evm" else None,
                                            text=f"{inv.id} fails on the {side} state{bad}: {inv.statement}"))
        if diffs:
            raise Mismatch(self.index, step, diffs, "state above", "state above")
        return evm_state

    def note_differing_view(self, label: str, handle: Any, fn: str, args: tuple, model_value: Any) -> None:
        """Keep a view an observer found differing (`handle`: the engine's Contract it called; `model_value`
        the model's plain return value, one output's value or the tuple of several) for the Foundry
        export; a value the ABI encoder does not take is left out (the difference itself stands)."""
        from harness.evm.abi import encode_values

        try:
            outputs = handle.abi.function(fn, len(args)).outputs
            values = (model_value,) if len(outputs) == 1 else tuple(model_value)
            self.differing_views.append((label, handle.address, handle.abi.encode_call(fn, list(args)),
                                         encode_values(outputs, values)))
        except Exception:  # noqa: BLE001  (an unencodable value: not asserted by an export)
            pass

    def model_returned(self, contract: str, fn: str, nargs: int, returned: Any) -> tuple:
        """A model's return value as the EVM's tuple of outputs: a function with several outputs returns
        them as a Python tuple (compared element by element), any other returns its one value."""
        if isinstance(returned, tuple) and len(self.fixture.contracts[contract].abi.function(fn, nargs).outputs) > 1:
            return plain(returned)
        return (plain(returned),)

    def compare_views(self, keys: list[int]) -> list[Difference]:
        diffs = []
        for name in self.model.addrs:  # the suite; external (Superfluid) state is compared by observers
            cls = self.model.models[name]
            for fname, nparams in address_views(cls):
                for combo in itertools.product(keys, repeat=nparams):
                    m = self.model.world.view(self.model.addrs[name], fname, *(Address(k) for k in combo),
                                              clone=False)
                    e = self.fixture.contracts[name].view(fname, *combo)
                    mv = self.model_returned(name, fname, nparams, m.returned) if m.ok else ("revert", m.error.abi_name())
                    ev = tuple(e.returned) if e.ok else ("revert", e.error.name or "")
                    if mv != ev:
                        diffs.append(value_difference("view", f"{name}.{fname}({', '.join(_show(k) for k in combo)})",
                                                      mv, ev))
        return diffs


def _failing_keys(inv: Invariant, system: System, key_sets: dict[type, list[int]], count: Any) -> str | None:
    """Where `inv` fails on `system`, trying every combination of known keys of its key types;
    `count(inv.id)` is called once per combination evaluated."""
    domains = [key_sets.get(t, ()) for _, t in inv.keys]
    for combo in itertools.product(*domains):
        count(inv.id)
        if not inv.holds(system, *(t(k) for (_, t), k in zip(inv.keys, combo))):  # predicates are pure: no clone
            return f" at {', '.join(hex(k) for k in combo)}" if combo else ""
    return None
