"""The prover: inductive invariants of the deployed system, over the reference models run on z3 terms.

Obligations, for every registered invariant I of the system (ARCHITECTURE.md, "Invariants"):
- `I/init`: the state right after deployment satisfies I;
- `I/<Contract>.<function>`: the conjunction of all registered invariants before any single call of
  that external function (any sender, any arguments) implies I after it. Each feasible success path of
  the model function is one query; a reverting path changes nothing, so it preserves every invariant.
- `VACUITY/<Contract>.<function>`: the hypotheses are satisfiable together with at least one success
  path of the function, so the inductive step is not proved from contradictory assumptions.
- lemmas (a suite's, and `invariants/loops.py`): facts about the models that the symbolic encoding
  relies on.
- loop summaries (installed by a suite's strategy): a model's loop replaced during symbolic execution by its loop
  invariant, exit condition and frame; per success path, each summary's entry condition is an
  obligation of its own (`<LOOP>-ENTRY/<Contract>.<function>`, proved from what is known before the
  loop only), and a transition's results are not PROVED unless every entry obligation is.

Encoding: integers are z3 Ints with range constraints (exact under Solidity 0.8 checked arithmetic);
mappings are arrays; a per-key invariant (`def p(s, sink)`) is proved for a fresh key k0 and assumed
before the call at k0 and at every address the path touched (any instance of a true universal
statement may be assumed); sums over mappings are ghost variables updated by every write, with the
fact that the touched entries, counted once each, add up to at most the sum (sums grouped by a key,
`SumBy`: a ghost array from that key to its sum, the fact stated per group key read or touched). A struct-valued mapping
is one array per leaf member ('Contract.field.member'), a struct state variable one term per leaf,
an enum an Int below its number of members, a storage array a mapping from the index plus a length
term. ETH balances are one more array ('ETH.balance', from address); a payable function gets a symbolic
msg.value the sender holds. ETH sent to an account outside the system runs code the prover does not
know, which may call back into the system: both its refusal and its acceptance are explored, every
state invariant must hold at the send, and no storage an invariant reads may be written after it; a
step invariant is proved for the call's own effect, which is its state at the send when nothing is
changed or read after it (a call the receiver makes meanwhile is a step of its own)
(`Prover._prove_callback_points`). A string or bytes parameter is an unknown content of unknown
length; its keccak256 is an uninterpreted function, made the real hash of real bytes in a
counterexample; a string or bytes storage value likewise. Constructs without an encoding
(concatenating or comparing symbolic bytes, a callee chosen by an argument)
make the kernel raise `Unsupported`, and every obligation of that task is UNSUPPORTED with the
construct named.

The prover knows no suite: it is given the system (a suite's `build_system` on the deployments it
proves, or any `specs.deploy.System`) and the environment assumptions the caller's proof rests on (a
suite's `Suite.proof_environment`: its deployment wiring, its token...). Every result states those
and the prover's own (`ASSUMPTIONS`): the system's contracts are never the `msg.sender` of an external
call except through their own modelled code, no call comes from address(0), any block and time
advance may precede a call, and all the ETH there is stays below 2^128 wei (`ETH_SUPPLY_BOUND`).

Every query runs on a budget of solver work (z3's rlimit, `specs/budget.py`; `rlimit` per query),
not on the clock, so the same obligation gets the same answer on an idle and on a loaded machine; each
result's `solver_stats` records the work its queries used. Solver `unknown` (a spent budget, the
wall-clock guard, z3 giving up: the message says which) gives INCONCLUSIVE, never PROVED. A counterexample is turned into a
concrete pre-state and call, and replayed on the model here; the harness replays it on the EVMs.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, get_type_hints

import z3
from eth_utils import keccak

from specs import budget
from specs.budget import FULL
from specs.kernel import (
    BYTES_CONTENT, BYTES_LENGTH_LEAF, KECCAK_BYTES, KECCAK_FUNCTIONS, SCALAR_TYPES, U256, Address, Array, Block, Bool, Bytes32, DynBytes, Enum,
    Explorer, Mapping, ModelBug, Msg, Sint, Struct, Uint, Unsupported, World, abi_field_range, bytes_of,
    flat_key, is_scalar_type, is_sym, keccak256_abi, term,
)
from specs import kernel
from specs.deploy import System
from invariants.registry import REGISTRY, STEP_REGISTRY, Call, Invariant, StepInvariant, step_failures

PROVED, VIOLATED, INCONCLUSIVE, UNSUPPORTED, ERROR = "PROVED", "VIOLATED", "INCONCLUSIVE", "UNSUPPORTED", "ERROR"
# What the encoding of a transition assumes of every system (`Prover.prove_transition`), stated in every
# result before the caller's environment assumptions
ASSUMPTIONS = [
    "the system's contracts are msg.sender of no external call except through their own modelled code",
    "msg.sender is never address(0); every call may follow any block and time advance",
    "all the ETH there is is below 2^128 wei, so the accounts a call reads hold less than that together",
]
SYMBOLIC_TYPES = (U256, Address, Bool, Bytes32)
# storage values and parameters with a symbolic encoding: every kernel scalar (integers of any width,
# enums, address, bool, bytes32); structs and struct-valued mappings are encoded leaf by leaf
SYMBOLIC_VALUE_TYPES = SCALAR_TYPES

AnyInvariant = Any  # Invariant | StepInvariant
ETH_BALANCE = "ETH.balance"  # the name of the accounts' ETH balances among a symbolic system's mappings
# A bound on all the ETH there is (about 2^87 wei today): the distinct balances a path reads add up to
# less. Without it a receiver's balance plus what it is sent could pass 2^256, which no chain allows.
ETH_SUPPLY_BOUND = 1 << 128


@dataclass
class ObligationResult:
    id: str
    kind: str  # "proof" | "lemma" | "vacuity" (harness.report.results.Kind); step invariants are "proof"
    # with details["invariant_kind"] == "step (two-state)"
    contract: str
    status: str
    seconds: float
    title: str
    details: dict = field(default_factory=dict)
    counterexample: "Counterexample | None" = None


@dataclass
class Counterexample:
    """A concrete pre-state (a model System), a call, and the keys at which the invariant fails.
    `block` is the (number, timestamp) the call runs at (the pre-state's block may be earlier: every
    call may come after any block and time advance); `step` marks a step (two-state) invariant."""

    invariant: str
    pre: System
    contract: str
    function: str
    sender: int
    args: tuple
    keys: tuple
    confirmed_on_model: bool = False
    model_outcome: str = ""
    note: str = ""
    block: tuple[int, int] | None = None
    step: bool = False
    model_label: str = ""  # which z3 model it was concretised from (Prover._counterexample's attempts)
    value: int = 0  # msg.value of the call (wei)
    broken_before: list[str] = field(default_factory=list)  # the invariants its pre-state breaks

    def known(self) -> list[Address]:
        """Every address the counterexample mentions: where invariants are evaluated concretely."""
        return known_addresses(self.pre, extra=[self.sender, *[a.v for a in self.args if isinstance(a, Address)],
                                                *[k.v for k in self.keys if isinstance(k, Address)]])

    def known_keys(self) -> dict[type, list[int]]:
        """Every mapping key the counterexample mentions, per key type (addresses, task type ids,
        indices): where invariants are evaluated concretely (`harness.fuzz.stateview.read_system`)."""
        out = known_keys(self.pre)
        out.setdefault(Address, []).extend([self.sender])
        for v in (*self.args, *self.keys):
            if isinstance(v, (Address, Bytes32, U256)):
                out.setdefault(type(v), []).append(v.v)
        return {t: sorted(set(ks)) for t, ks in out.items()}

    def call(self) -> Call:
        return Call(self.contract, self.function, Address(self.sender), dict(zip(self.arg_names(), self.args)))

    def arg_names(self) -> list[str]:
        fn = getattr(self.pre.models[self.contract], self.function)
        return [p for p in inspect.signature(fn).parameters if p not in ("self", "msg")]

    def to_json(self) -> dict:
        out = {
            "invariant": self.invariant,
            "pre_state": state_json(self.pre),
            "call": {"contract": self.contract, "function": self.function, "sender": f"{self.sender:#x}",
                     "args": {n: _json_value(a) for n, a in zip(self.arg_names(), self.args)}},
            "keys": [_json_value(k) for k in self.keys],
            "confirmed_on_model": self.confirmed_on_model,
            "model_outcome": self.model_outcome,
            "note": self.note,
            "z3_model": self.model_label,
        }
        if self.block is not None:
            out["call"]["block"] = {"number": self.block[0], "timestamp": self.block[1]}
        if self.value:
            out["call"]["value"] = str(self.value)
        balances = {f"{a:#x}": str(w) for a, w in sorted(self.pre.world.balances.items()) if w}
        if balances:
            out["pre_state"]["ETH.balance"] = balances
        return out


def _json_value(v: Any) -> Any:
    if isinstance(v, Address):
        return f"{v.v:#x}"
    if isinstance(v, Bytes32):
        return f"{v.v:#066x}"
    if isinstance(v, Bool):
        return bool(v.v)
    if isinstance(v, (Uint, Sint, Enum)):
        return str(v.v)
    if isinstance(v, Struct):
        return {".".join(p): _json_value(v.get_leaf(p)) for p, _ in v.leaves()}
    if isinstance(v, DynBytes):  # a string as its text, bytes as hex
        return str(v) if v.SOLIDITY == "string" else "0x" + v.v.hex()
    return v


def state_json(system: System) -> dict:
    """The storage of every contract, Solidity names, nonzero entries only."""
    out: dict[str, Any] = {}
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, Array):
                out[f"{name}.{f.name}.length"] = str(len(v))
            if isinstance(v, (Mapping, Array)):
                for suffix, leaf in (v.data if isinstance(v, Array) else v).leaf_mappings().items():
                    entries = {"][".join(f"{k:#x}" for k in key): (str(val) if not isinstance(val, bool) else val)
                               for key, val in leaf.items()}
                    if entries:
                        out[f"{name}.{f.name}" + (f"[]{suffix}" if suffix else "")] = entries
            else:
                out[f"{name}.{f.name}"] = _json_value(v)
    return out


# ---------------------------------------------------------------------------------------------
# Symbolic states
# ---------------------------------------------------------------------------------------------


class Unencoded:
    """State a model keeps outside its storage fields (a dataclass field that is neither storage nor
    immutable: `storage_fields()` leaves it out), put in place of that state in a symbolic system. It has no encoding: any read raises Unsupported naming it, so a
    transition or an invariant that touches it is UNSUPPORTED, never proved over an empty stand-in; one
    that does not touch it is proved as usual. Copies are itself (nothing to copy)."""

    def __init__(self, where: str):
        self.where = where

    def copy(self) -> "Unencoded":
        return self

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise Unsupported("state outside the storage fields", self.where)

    __getitem__ = __setitem__ = __contains__ = __iter__ = __len__ = __bool__ = _refuse
    get = items = keys = values = _refuse


def _unencoded_fields(c: Any, name: str) -> None:
    """Put an Unencoded stand-in in place of every field of `c` that is neither immutable nor one of its
    storage fields."""
    kept = {f.name for f in c.storage_fields()}
    for f in dataclasses.fields(c):
        if f.name not in kept and not f.metadata.get("immutable"):
            setattr(c, f.name, Unencoded(f"{name}.{f.name}"))


def symbolic_system(system: System, tag: str) -> tuple[System, list[z3.BoolRef]]:
    """A copy of `system` whose storage is unknown: fresh arrays and variables with range facts; state
    outside the storage fields becomes Unencoded."""
    sym = system.clone()
    sym.world.balances = Mapping(Address, U256).symbolize(f"{tag}.{ETH_BALANCE}")
    facts: list[z3.BoolRef] = []
    for name, addr in system.addrs.items():
        c = sym.world.contracts[addr]
        _unencoded_fields(c, name)
        for f in c.storage_fields():
            v = getattr(c, f.name)
            vname = f"{tag}.{name}.{f.name}"
            if isinstance(v, Mapping):
                setattr(c, f.name, v.symbolize(vname))
            elif isinstance(v, Array):  # elements as a mapping from the index, the length a term
                a = v.symbolize(vname)
                facts += a.range_constraints()
                setattr(c, f.name, a)
            elif isinstance(v, (SYMBOLIC_TYPES, SYMBOLIC_VALUE_TYPES, Struct)):
                s = type(v).symbolic(vname)
                facts += s.range_constraints()
                setattr(c, f.name, s)
            elif isinstance(v, DynBytes):  # an unknown content of unknown length, like a parameter
                s = type(v).symbolic(vname)
                facts += s.range_constraints()
                setattr(c, f.name, s)
            elif isinstance(v, (int, str, bytes, bool)):  # constants held in storage (token name, symbol)
                continue
            else:
                raise Unsupported(f"storage field of type {type(v).__name__}", f"{name}.{f.name}")
    return sym, facts


def initial_symbolic_system(system: System) -> System:
    """The deployed (concrete) state, with mappings as arrays so symbolic keys can read them."""
    sym = system.clone()
    sym.world.balances = _eth_mapping(sym.world.balances).to_symbolic(f"init.{ETH_BALANCE}")
    for name, addr in system.addrs.items():
        c = sym.world.contracts[addr]
        _unencoded_fields(c, name)
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, (Mapping, Array)):
                setattr(c, f.name, v.to_symbolic(f"init.{name}.{f.name}"))
    return sym


# What a step invariant proved across ETH sent to an account outside the system means (in its result).
STEP_ACROSS_SENDS = ("proved for this call's own effect: after it sends ETH to an account outside the system the path "
                     "changes nothing a step invariant reads and reads nothing, so its effect is its state at the "
                     "send; a call that account makes into the system meanwhile is a step of its own, each such "
                     "transition proved on its own")


@dataclass
class CallbackPoint:
    """A moment of a symbolic path where ETH goes to an account outside the system: the world then,
    the path condition and definitions up to it, and the sending contract's name."""

    world: World
    conditions: list
    definitions: list
    where: str


_WATCHED: dict[type, type] = {}


def _watch_reads(world: World, addrs: dict[str, int], log: set[str]) -> None:
    """From now on, log every storage field of the system's contracts that the running path reads (an
    attribute access, which mapping reads and writes go through too) as 'Contract.field': each
    contract's class is swapped for a subclass that logs, until `_unwatch_reads`. Clones made meanwhile
    (snapshots) do not log."""
    for name, a in addrs.items():
        c = world.contracts[a]
        cls = type(c)
        watched = _WATCHED.get(cls)
        if watched is None:
            fields = frozenset(f.name for f in dataclasses.fields(cls) if not f.metadata.get("immutable"))

            def __getattribute__(self: Any, attr: str, _fields: frozenset = fields) -> Any:
                if attr in _fields:
                    watch = object.__getattribute__(self, "__dict__").get("_reads_after_send")
                    if watch is not None:
                        watch[0].add(f"{watch[1]}.{attr}")
                return object.__getattribute__(self, attr)

            watched = type(cls.__name__, (cls,), {"__getattribute__": __getattribute__, "_watched_base": cls})
            _WATCHED[cls] = watched
        c.__dict__["_reads_after_send"] = (log, name)
        c.__class__ = watched


def _unwatch_reads(world: World, addrs: dict[str, int]) -> None:
    for a in addrs.values():
        c = world.contracts[a]
        base = type(c).__dict__.get("_watched_base")
        if base is not None:
            c.__class__ = base
        c.__dict__.pop("_reads_after_send", None)


def _contract_name(system: System, a: Any) -> str:
    v = a.v if isinstance(a, Address) else getattr(getattr(a, "address", None), "v", a)
    return next((n for n, x in system.addrs.items() if not is_sym(v) and x == v), str(v))


def _state_terms(v: Any) -> list:
    """The terms (or plain values) a storage value is made of, to tell whether it was written."""
    if isinstance(v, Mapping):
        return [t for m in v.leaf_mappings().values() for t in (m.store.array, m.store.ghost, m.store.data)]
    if isinstance(v, Array):
        return _state_terms(v.data) + [v._length]
    if isinstance(v, Struct):
        return [term(v.get_leaf(p)) for p, _ in v.leaves()]
    if isinstance(v, DynBytes):
        return [v.content, v._length] if v.is_symbolic else [v.v]
    return [term(v)]


def _same_terms(x: Any, y: Any) -> bool:
    a, b = _state_terms(x), _state_terms(y)
    if len(a) != len(b):
        return False
    for p, q in zip(a, b):
        if is_sym(p) or is_sym(q):
            if not (is_sym(p) and is_sym(q) and z3.eq(p, q)):
                return False
        elif p != q:
            return False
    return True


def _constant_names(terms: list) -> set[str]:
    """The names of the uninterpreted constants (variables, arrays) in z3 terms."""
    seen: set[int] = set()
    out: set[str] = set()
    todo = [t for t in terms if is_sym(t)]
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_quantifier(e):
            todo.append(e.body())
            continue
        if z3.is_const(e) and e.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(e.decl().name())
        todo.extend(e.children())
    return out


def _eth_mapping(balances: Any) -> Mapping:
    """The ETH balances of a world as a `Mapping(Address, U256)` (a concrete world keeps a dict)."""
    if isinstance(balances, Mapping):
        return balances
    m = Mapping(Address, U256)
    for a, wei in sorted(balances.items()):
        m[Address(a)] = U256(wei)
    return m


def _mappings(system: System) -> dict[str, Mapping]:
    """Every scalar-valued mapping of storage, by 'Contract.field'; a struct-valued mapping is one
    mapping per leaf member, by 'Contract.field.member' (`Mapping.leaf_mappings`); in a symbolic
    system, the accounts' ETH balances too, as 'ETH.balance'."""
    out = {}
    if isinstance(system.world.balances, Mapping):
        out[ETH_BALANCE] = system.world.balances
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, (Mapping, Array)):  # an array's elements: a mapping from the index
                for suffix, leaf in (v.data if isinstance(v, Array) else v).leaf_mappings().items():
                    out[f"{name}.{f.name}{suffix}"] = leaf
    return out


def _stores(system: System) -> dict[str, Any]:
    return {n: m.store for n, m in _mappings(system).items()}


def _key_types(system: System) -> dict[str, tuple[type, ...]]:
    """The key type of every level of every mapping, by 'Contract.field' (and the ETH balances')."""
    out: dict[str, tuple[type, ...]] = {ETH_BALANCE: (Address,)}
    for n, m in _mappings(system).items():
        ts: list[type] = []
        t: Any = m
        while isinstance(t, Mapping):
            ts.append(t.key_type)
            t = t.value_type
        out[n] = tuple(ts)
    return out


@dataclass
class Evaluated:
    formula: z3.BoolRef
    definitions: list[z3.BoolRef]
    touched: dict[str, list[tuple]]


def evaluate_fn(fn: Callable[..., Any], systems: tuple[System, ...], explorer_counter: list[int]) -> Evaluated:
    """`fn(*clones of systems)` as one formula: the disjunction over its evaluation paths of (path
    condition and returned value). A path that reverts counts as false."""
    ex = Explorer(prune=False)
    ex.counter = explorer_counter[0]
    touched: dict[str, list[tuple]] = {}

    def run() -> Any:
        clones = tuple(s.clone() for s in systems)
        value = fn(*clones)
        for c in clones:
            for n, st in _stores(c).items():
                touched.setdefault(n, []).extend(st.touched)
        return value

    paths = ex.explore(run)
    explorer_counter[0] = ex.counter
    disjuncts, defs = [], []
    for p in paths:
        defs += p.definitions
        if not p.ok:
            continue
        v = p.result
        v = v.v if isinstance(v, Bool) else v
        v = z3.BoolVal(v) if isinstance(v, bool) else v
        disjuncts.append(z3.And(p.condition(), v))
    return Evaluated(z3.Or(*disjuncts) if disjuncts else z3.BoolVal(False), defs, touched)


def evaluate(inv: Invariant, system: System, keys: tuple, explorer_counter: list[int]) -> Evaluated:
    """A state invariant at `keys` as one formula (see `evaluate_fn`)."""
    return evaluate_fn(lambda s: inv.holds(s, *keys), (system,), explorer_counter)


def evaluate_step(inv: StepInvariant, pre: System, post: System, call: Call, keys: tuple,
                  explorer_counter: list[int]) -> Evaluated:
    return evaluate_fn(lambda a, b: inv.holds(a, b, call, *keys), (pre, post), explorer_counter)


# ---------------------------------------------------------------------------------------------
# Transitions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    contract: str
    function: str
    params: tuple[tuple[str, type], ...]

    @property
    def name(self) -> str:
        return f"{self.contract}.{self.function}"


def transitions(system: System) -> list[Transition]:
    out = []
    for name in system.addrs:
        cls = system.models[name]
        for fname in dir(cls):
            fn = getattr(cls, fname)
            if getattr(fn, "is_external", False):
                hints = get_type_hints(fn)
                names = [p for p in inspect.signature(fn).parameters if p not in ("self", "msg")]
                missing = [p for p in names if p not in hints]
                if missing:
                    raise ModelBug(f"{name}.{fname}: parameters {missing} have no type annotation")
                params = tuple((p, hints[p]) for p in names)
                for p, t in params:
                    if t not in SYMBOLIC_TYPES and not is_scalar_type(t) and not (
                            isinstance(t, type) and issubclass(t, DynBytes)):  # reported UNSUPPORTED
                        raise ModelBug(f"{name}.{fname}: parameter {p} of type {t} has no symbolic encoding")
                out.append(Transition(name, fname, params))
        if callable(getattr(cls, "receive", None)):  # any account may send it ETH: a transition too
            out.append(Transition(name, "receive", ()))
    return sorted(out, key=lambda t: (list(system.addrs).index(t.contract), t.function))


# ---------------------------------------------------------------------------------------------
# The prover
# ---------------------------------------------------------------------------------------------


class Prover:
    """Proves the registered state invariants (init and inductive step) and step invariants of the
    contracts of `system`, with a vacuity check per transition. There is no default system: a suite's
    strategy builds it (its `build_system` on the deployments it proves) and passes the environment
    assumptions its proof rests on (`environment`, stated in every result after `ASSUMPTIONS`).
    `invariants`/`step_invariants` default to the registered ones of the system's contracts whose
    `proof` is "inductive".

    `run(jobs=N)` spreads the obligations over N worker processes (fork): lemmas, init obligations
    and one task per transition; results come back in the same order as with `jobs=1`. `task_weights`
    (function name -> rough cost) orders the tasks, longest first."""

    def __init__(self, system: System, invariants: list[Invariant] | None = None,
                 *, environment: "list[str] | tuple[str, ...]", rlimit: int = FULL,
                 step_invariants: list[StepInvariant] | None = None,
                 task_weights: dict[str, float] | None = None, callees: "tuple[str, ...]" = ()):
        if not isinstance(system, System):
            raise TypeError(f"Prover: the system to prove is a specs.deploy.System, not {type(system).__name__}")
        self.system = system
        # contracts of the system an address chosen by an argument or by storage is assumed to be (a call
        # to such an address is otherwise UNSUPPORTED): stated with the environment in every result
        unknown = [n for n in callees if n not in system.addrs]
        if unknown:
            raise ValueError(f"Prover: callees {unknown} are not contracts of the system")
        self.system.world.callee_candidates = tuple(system.addrs[n] for n in callees)
        self.environment = [*ASSUMPTIONS, *environment] + (
            [f"a contract called at an address chosen by an argument or by storage is one of: {', '.join(callees)}"]
            if callees else [])
        self.task_weights = dict(task_weights or {})
        names = set(self.system.addrs)
        self.invariants = invariants if invariants is not None else [
            i for i in REGISTRY.for_contracts(names) if i.proof == "inductive"]
        self.step_invariants = (step_invariants if step_invariants is not None
                                else [i for i in STEP_REGISTRY.for_contracts(names) if i.proof == "inductive"])
        # called on the post-state's world before each symbolic call (a strategy's assume-guarantee stubs);
        # None for the plain system
        self.world_hook: Callable[[Any], None] | None = None
        # transitions this prover covers (None: every external function of the system's contracts)
        self.transition_filter: Callable[[Transition], bool] | None = None
        # counterexample hooks (a strategy's, e.g. one with loop summaries): extra constraints preferred when a model is read
        # (e.g. short queues), and a step that completes the concrete pre-state (returns notes)
        self.cex_preferences: Callable[[System, dict[str, list[tuple]], z3.Solver], list[z3.BoolRef]] | None = None
        self.cex_concretize: Callable[..., list[str]] | None = None
        self.rlimit = rlimit
        self.counter = [0]
        self._reads: set[str] | None = None  # what the state invariants read (`_invariant_reads`), once

    # -- helpers -----------------------------------------------------------------------------
    def _solver(self) -> z3.Solver:
        return budget.solver(self.rlimit)

    def _fresh_keys(self, inv: AnyInvariant, tag: str) -> tuple[tuple, list[z3.BoolRef]]:
        keys, facts = [], []
        for pname, ptype in inv.keys:
            k = ptype.symbolic(f"{tag}.{inv.id}.{pname}")
            keys.append(k)
            facts += k.range_constraints()
        return tuple(keys), facts

    # -- init --------------------------------------------------------------------------------
    def prove_init(self, inv: Invariant) -> ObligationResult:
        t0 = time.perf_counter()
        init = initial_symbolic_system(self.system)
        keys, facts = self._fresh_keys(inv, "init")
        ev = evaluate(inv, init, keys, self.counter)
        s = self._solver()
        s.add(*facts, *ev.definitions, *_sqrt_congruence(ev.definitions), z3.Not(ev.formula))
        r = budget.check(s)
        status = PROVED if r == z3.unsat else VIOLATED if r == z3.sat else INCONCLUSIVE
        details: dict = {"obligation": "init", "solver": str(r), "solver_stats": budget.stats(s)}
        if r == z3.unknown:
            details["message"] = f"solver returned unknown: {budget.unknown_reason(s)}"
        if r == z3.sat:
            details["counterexample"] = {"state": "after deployment", "keys": [str(s.model().eval(term(k))) for k in keys]}
        return ObligationResult(f"{inv.id}/init", "proof", inv.contract, status, time.perf_counter() - t0,
                                inv.statement, details)

    # -- inductive step ----------------------------------------------------------------------
    def prove_transition(self, tr: Transition) -> list[ObligationResult]:
        """Every invariant (state and step) across one transition, plus the vacuity check of that
        transition. The call runs at a block and time at or after the pre-state's (any advance)."""
        t_start = time.perf_counter()
        if tr.function == "receive":
            raise Unsupported("receive function (ETH sent to the contract by any account, plain or during a "
                              "callback)", tr.name)
        payable = getattr(getattr(self.system.models[tr.contract], tr.function), "is_payable", False)
        tag = f"pre.{tr.name}"
        pre, facts = symbolic_system(self.system, tag)
        sender = Address.symbolic(f"{tag}.msg.sender")
        args = tuple(t.symbolic(f"{tag}.arg.{p}") for p, t in tr.params)
        b0, t0_, b1, t1 = (U256.symbolic(f"{tag}.{n}") for n in ("block0", "time0", "block", "time"))
        pre.world.block = Block(b0.v, t0_.v)
        base = list(facts) + sender.range_constraints()
        for a in (*args, b0, t0_, b1, t1):
            base += a.range_constraints()
        base += [b0.v >= 1, b1.v >= b0.v, t1.v >= t0_.v]  # block numbers start at 1; time moves forward
        base += [sender.v != a for a in self.system.addrs.values()]  # environment assumption
        base.append(sender.v != 0)  # no transaction comes from address(0)
        value = U256.symbolic(f"{tag}.msg.value") if payable else U256(0)
        if payable:  # any value the sender holds (a sender short of it sends no transaction at all)
            base += value.range_constraints()
            base.append(value.v <= pre.world.balance(sender).v)
        call = Call(tr.contract, tr.function, sender, {p: a for (p, _), a in zip(tr.params, args)})
        key_types = _key_types(self.system)

        def run() -> System:
            post = pre.clone()
            post.world.block = Block(b1.v, t1.v)
            points: list[CallbackPoint] = []

            def on_external_call(world: World, frm: Any) -> None:
                oracle = kernel._ORACLES[-1]
                points.append(CallbackPoint(world.clone(), list(oracle.conditions), list(oracle.definitions),
                                            _contract_name(post, frm)))
                if len(points) == 1:  # from now on, every storage access of the path is logged
                    _watch_reads(world, post.addrs, reads)

            reads: set[str] = set()

            post.world.on_external_call = on_external_call
            post.world.callback_log = points  # type: ignore[attr-defined]
            if self.world_hook is not None:
                self.world_hook(post.world)
            target = post.addrs[tr.contract]
            if payable:
                post.world._move(sender, target, value)
            getattr(post.world.at(Address(target)), tr.function)(Msg(sender, value), *args)
            if points:
                _unwatch_reads(post.world, post.addrs)
                if isinstance(post.world.balances, Mapping) and (
                        len(post.world.balances.store.touched) > len(points[0].world.balances.store.touched)):
                    reads.add(ETH_BALANCE)
                post.world.reads_after_send = sorted(reads)  # type: ignore[attr-defined]
            return post

        explorer = Explorer(base, rlimit=self.rlimit)
        explorer.counter = self.counter[0]
        paths = explorer.explore(run)
        self.counter[0] = explorer.counter
        ok_paths = [p for p in paths if p.ok]
        explore_seconds = time.perf_counter() - t_start

        all_invs: list[AnyInvariant] = list(self.invariants) + list(self.step_invariants)
        per_inv: dict[str, dict] = {i.id: {"status": PROVED, "seconds": 0.0, "paths": 0, "stats": [], "cex": None,
                                          "message": ""} for i in all_invs}
        entries: dict[str, dict] = {}
        vacuity_sat = False
        vacuity_unknown = ""  # why the solver could not tell, when it could not
        vacuity_stats: list[dict] = []
        vacuity_seconds = 0.0
        for path in ok_paths:
            post: System = path.result
            # hypothesis: every invariant before the call, at every key the path touched (by key type)
            candidates: dict[type, list[Any]] = {Address: [sender]}
            for a in args:
                candidates.setdefault(type(a), []).append(a)
            for n, st in _stores(post).items():
                for key in st.touched:
                    for kt, k in zip(key_types[n], key):
                        candidates.setdefault(kt, []).append(kt(k))
            candidates = {t: _dedup(v) for t, v in candidates.items()}
            common = list(base) + path.definitions + path.conditions
            common_no_hyps = list(common)
            touched: dict[str, list[tuple]] = {n: list(st.touched) for n, st in _stores(post).items()}
            hyps, hyp_defs, hyp_by_inv = self._hypotheses(pre, candidates, touched)
            common += hyps
            # loop summaries (installed by a strategy's world_hook): the entry condition each summary logged, from what is
            # known before that call only (pre-state hypotheses and facts, the path up to the call)
            for entry in getattr(post.world, "summary_log", []):
                erec = entries.setdefault(entry.id, {"status": PROVED, "seconds": 0.0, "paths": 0, "stats": [],
                                                     "message": ""})
                erec["paths"] += 1
                t0 = time.perf_counter()
                q = self._solver()
                q.add(*base, *hyps, *self._store_facts(pre, touched), *entry.definitions, *entry.conditions,
                      *entry.facts, z3.Not(entry.goal))
                r = budget.check(q)
                erec["seconds"] += time.perf_counter() - t0
                erec["stats"].append(budget.stats(q))
                if r == z3.sat:
                    erec["status"] = VIOLATED
                    m = q.model()
                    erec["message"] = "the loop invariant does not hold on entry: " + ", ".join(
                        f"{d}={m[d]}" for d in m.decls() if d.arity() == 0 and "arg" in str(d))
                elif r == z3.unknown and erec["status"] == PROVED:
                    erec["status"] = INCONCLUSIVE
                    erec["message"] = f"solver returned unknown: {budget.unknown_reason(q)} on a path"

            s = self._solver()
            s.add(*common)
            s.push()
            s.add(*self._store_facts(pre, touched), *_sqrt_congruence(path.definitions + hyp_defs))
            t0 = time.perf_counter()
            r, scopes = self._check_staged(s, full=False) if not vacuity_sat else (z3.sat, 1)
            vacuity_seconds += time.perf_counter() - t0
            why = budget.unknown_reason(s) if r == z3.unknown else ""
            vacuity_stats.append(budget.stats(s))
            s.pop(scopes)
            if r == z3.sat:
                vacuity_sat = True
            elif r == z3.unknown:
                vacuity_unknown = why
            for inv in all_invs:
                rec = per_inv[inv.id]
                rec["paths"] += 1
                if rec["status"] in (VIOLATED, UNSUPPORTED):
                    continue  # one confirmed counterexample per obligation is enough
                step = isinstance(inv, StepInvariant)
                # goal: the invariant after the call at fresh keys k0, state invariants assumed before
                # the call at k0 too (combined with the touched keys)
                keys, kfacts = self._fresh_keys(inv, f"post{self.counter[0]}")
                self.counter[0] += 1
                goal_touched = {n: list(ks) for n, ks in touched.items()}
                fresh: dict[type, list[Any]] = {}
                for k in keys:
                    fresh.setdefault(type(k), []).append(k)
                extra, extra_defs, extra_by_inv = self._hypotheses(pre, fresh, goal_touched, others=candidates)
                extra = list(kfacts) + extra
                if step:
                    ev = evaluate_step(inv, pre, post, call, keys, self.counter)
                else:
                    ev = evaluate(inv, post, keys, self.counter)
                for n, tk in ev.touched.items():
                    goal_touched.setdefault(n, []).extend(tk)
                congr = _sqrt_congruence(path.definitions + hyp_defs + extra_defs + ev.definitions)
                goal = [*ev.definitions, *congr, *self._store_facts(pre, goal_touched), *kfacts, z3.Not(ev.formula)]
                t0 = time.perf_counter()
                # First from fewer hypotheses (none; then the invariant's own instances): unsat from a
                # subset of the hypotheses is unsat from all of them, so PROVED stays sound; anything
                # else falls through to the full query, which alone yields counterexamples.
                own = hyp_by_inv.get(inv.id, []) + extra_by_inv.get(inv.id, [])
                quick = None
                for subset in ([], own) if own else ([],):
                    q = budget.solver(min(budget.QUICK, self.rlimit))
                    q.add(*common_no_hyps, *subset, *goal)
                    answer = budget.check(q)
                    rec["stats"].append(budget.stats(q))
                    if answer == z3.unsat:
                        quick = q
                        break
                if quick is not None:
                    rec["seconds"] += time.perf_counter() - t0
                    rec.setdefault("quick", 0)
                    rec["quick"] += 1
                    continue
                s.push()
                s.add(*extra, *goal)
                r, scopes = self._check_staged(s)
                rec["seconds"] += time.perf_counter() - t0
                rec["stats"].append(budget.stats(s))
                if r == z3.sat:
                    rec["status"] = VIOLATED
                    rec["cex"] = self._counterexample(inv, tr, s, pre, sender, args, keys, goal_touched, (b1, t1),
                                                      value=value)
                elif r == z3.unknown and rec["status"] == PROVED:
                    rec["status"] = INCONCLUSIVE
                    rec["message"] = f"solver returned unknown: {budget.unknown_reason(s)} on a path"
                s.pop(scopes)
            # ETH sent to an account outside the system on this path: the invariants at each send
            points: list[CallbackPoint] = getattr(post.world, "callback_log", [])
            if points:
                self._prove_callback_points(tr, call, pre, post, points, base, hyps, hyp_defs, candidates, touched,
                                            per_inv)

        results = []
        share = explore_seconds / max(1, len(all_invs))
        for inv in all_invs:
            rec = per_inv[inv.id]
            step = isinstance(inv, StepInvariant)
            details = {"obligation": f"{'step property of' if step else 'inductive step across'} {tr.name}",
                       "transition": tr.name, "paths": len(paths), "success_paths": len(ok_paths),
                       "hypothesis": "conjunction of all registered state invariants of the system",
                       "environment": list(self.environment), "solver_stats": budget.merge_stats(rec["stats"]),
                       "depends_on": list(inv.depends_on), "strengthening": inv.strengthening,
                       "paths_proved_from_fewer_hypotheses": rec.get("quick", 0)}
            if rec["message"]:
                details["message"] = rec["message"]
            if rec["status"] == UNSUPPORTED:
                details["construct"] = rec["message"]
            if rec.get("callback_points"):  # also proved where ETH went to an account outside the system
                details["callback_points"] = rec["callback_points"]
            if rec.get("step_semantics") and rec["status"] == PROVED:
                details["step_semantics"] = rec["step_semantics"]
            cex = rec["cex"]
            if cex is not None:
                details["counterexample"] = cex.to_json()
                details["confirmed"] = cex.confirmed_on_model
            details["invariant_kind"] = "step (two-state)" if step else "state (inductive)"
            results.append(ObligationResult(f"{inv.id}/{tr.name}", "proof", inv.contract,
                                            rec["status"], rec["seconds"] + share, inv.statement, details, cex))
        for eid, erec in entries.items():
            details = {"obligation": f"loop invariant on entry, every success path of {tr.name}",
                       "transition": tr.name, "paths": erec["paths"], "environment": list(self.environment),
                       "hypothesis": "conjunction of all registered state invariants of the system, the path up "
                                     "to the loop", "solver_stats": budget.merge_stats(erec["stats"])}
            if erec["message"]:
                details["message"] = erec["message"]
            results.append(ObligationResult(f"{eid}/{tr.name}", "proof", tr.contract, erec["status"], erec["seconds"],
                                            f"The loop summary {eid.rsplit('-', 1)[0]} applies: its invariant holds "
                                            f"when the loop starts in {tr.name}.", details))
        unsound = {eid: e["status"] for eid, e in entries.items() if e["status"] != PROVED}
        if unsound:  # a summary whose entry condition fails proves nothing on that path
            for r in results:
                if r.status == PROVED and r.id.split("/")[0] not in entries:
                    r.status = INCONCLUSIVE
                    r.details["message"] = f"rests on loop summaries whose entry is not proved: {unsound}"
        if vacuity_sat:
            vstatus, msg = PROVED, "hypotheses and a success path are satisfiable together"
        elif vacuity_unknown:
            vstatus, msg = INCONCLUSIVE, f"solver returned unknown on every success path ({vacuity_unknown})"
        else:
            vstatus, msg = VIOLATED, ("no success path is satisfiable under the invariants: the step is "
                                      "proved vacuously" if ok_paths else "the function has no success path")
        if vstatus != PROVED:  # VACUOUS is never PROVED: the step's obligations do not count as proofs
            for r in results:
                if r.status == PROVED:
                    r.status = INCONCLUSIVE
                    r.details["message"] = f"VACUOUS: {msg} (VACUITY/{tr.name} {vstatus})"
                    r.details["vacuous"] = True
        results.append(ObligationResult(f"VACUITY/{tr.name}", "vacuity", tr.contract, vstatus,
                                        vacuity_seconds,
                                        f"The inductive step across {tr.name} is not vacuous.",
                                        {"message": msg, "success_paths": len(ok_paths), "paths": len(paths),
                                         "explore_seconds": round(explore_seconds, 3),
                                         "explore_solver_checks": explorer.solver_checks,
                                         "solver_stats": budget.merge_stats(vacuity_stats)}))
        return results

    def _check_staged(self, s: z3.Solver, *, full: bool = True) -> tuple[z3.CheckSatResult, int]:
        """A short full attempt; on unknown, a counterexample search among small values; on unknown
        again, the full query with the whole budget. Returns the result and the scopes to pop
        (the small-values scope stays open on sat so the model can be read)."""
        budget.limit(s, min(budget.FIRST_ATTEMPT, self.rlimit))
        r = budget.check(s)
        if r == z3.unknown:
            budget.limit(s, min(budget.SMALL_VALUES, self.rlimit))
            r = _small_values_retry(s)
            if r == z3.sat:
                budget.limit(s, self.rlimit)
                return r, 2
            if full and self.rlimit > budget.FIRST_ATTEMPT:
                budget.limit(s, self.rlimit)
                r = budget.check(s)
        budget.limit(s, self.rlimit)
        return r, 1

    def _hypotheses(self, pre: System, keys: dict[type, list[Any]], touched: dict[str, list[tuple]],
                    others: dict[type, list[Any]] | None = None
                    ) -> tuple[list[z3.BoolRef], list[z3.BoolRef], dict[str, list[z3.BoolRef]]]:
        """Every registered state invariant before the call, at every type-correct combination of
        `keys` (with `others`, the combinations that use at least one of `keys` and otherwise
        `others`). Returns (formulas with their definitions, the definitions alone, the formulas
        with definitions per invariant id)."""
        out: list[z3.BoolRef] = []
        defs: list[z3.BoolRef] = []
        by_inv: dict[str, list[z3.BoolRef]] = {}
        for inv in self.invariants:
            if not inv.keys and others is not None:
                continue
            pools = [keys.get(t, []) + (others or {}).get(t, []) for _, t in inv.keys]
            for combo in itertools.product(*pools):
                if others is not None and not any(any(c is k for k in keys.get(type(c), [])) for c in combo):
                    continue
                ev = evaluate(inv, pre, combo, self.counter)
                out += ev.definitions + [ev.formula]
                by_inv.setdefault(inv.id, []).extend(ev.definitions + [ev.formula])
                defs += ev.definitions
                for n, ks in ev.touched.items():
                    touched.setdefault(n, []).extend(ks)
        return out, defs, by_inv

    # -- ETH sent to accounts outside the system ----------------------------------------------
    def _prove_callback_points(self, tr: Transition, call: Call, pre: System, post: System,
                               points: list["CallbackPoint"], base: list, hyps: list, hyp_defs: list,
                               candidates: dict[type, list[Any]], touched: dict[str, list[tuple]],
                               per_inv: dict[str, dict]) -> None:
        """One success path that sends ETH to an account outside the system, whose code runs at that
        moment and may call any function of the system, any number of times, before the path goes on.

        Argued by induction over the depth of such callbacks: (a) every state invariant holds in the
        state at each such send (an obligation per invariant, from the pre-state hypotheses and the
        path up to the send); then every callback, a transition proved on its own, starts and ends
        in a state satisfying the invariants; (b) after the first send the path writes no storage that
        an invariant reads and reads no storage at all (its branches and values after the send would
        depend on what the callbacks changed, which the path, run without them, does not see), so the
        state at the end satisfies the invariants too whatever the callbacks did.
        (b) failing makes every invariant not VIOLATED UNSUPPORTED (callbacks interleaved with later
        writes have no encoding). A step invariant relates the state before and after one call, and
        a callback is a call of its own: the path's own obligation proves it for this call's effect
        when the path changes nothing (storage or ETH balance) and reads nothing after the first send,
        and it is UNSUPPORTED otherwise (the call's effect is then mixed with the callbacks'). Runs after the path's own obligations, whose counterexamples
        (replayable) take precedence over a violation at a send (which has none)."""
        # A step invariant relates the state before and after one call. A call the receiver makes into the
        # system while it holds control is a call of its own, a transition proved on its own; this call's own
        # effect is then the path up to the first send, which the path's own obligation (the invariant
        # between the pre-state and the path's end, run without callbacks) covers exactly when the path
        # changes nothing a step invariant reads after the send (storage, ETH balances) and reads nothing
        # after it: its end is then its state at the send, and what the callbacks do is theirs.
        step_reads = self._step_reads(call) if self.step_invariants else set()
        changed = [n for n in self._changed_after(points[0].world, post.world, post.addrs)
                   if any(r == f"sreads.{n}" or r.startswith(f"sreads.{n}.") for r in step_reads)]
        read_after = getattr(post.world, "reads_after_send", [])
        for inv in self.step_invariants:
            rec = per_inv[inv.id]
            if rec["status"] not in (PROVED, INCONCLUSIVE):
                continue
            if changed or read_after:
                rec["status"] = UNSUPPORTED
                rec["message"] = (
                    f"a step across ETH sent to an account outside the system ({tr.name}, from {points[0].where}): "
                    + (f"{', '.join(changed)} changed after the send" if changed else "")
                    + (" and " if changed and read_after else "")
                    + (f"{', '.join(read_after)} read after it" if read_after else "")
                    + "; the receiver's code may call back in between, so this call's own effect is not the state "
                      "at the send (no encoding)")
            else:
                rec["callback_points"] = rec.get("callback_points", 0) + len(points)
                rec["step_semantics"] = STEP_ACROSS_SENDS
        for point in points:
            at_send = copy.copy(post)  # the suite's System (its named contracts), on the world at the send
            at_send.world = point.world
            for inv in self.invariants:
                rec = per_inv[inv.id]
                if rec["status"] == VIOLATED:
                    continue
                keys, kfacts = self._fresh_keys(inv, f"cb{self.counter[0]}")
                self.counter[0] += 1
                ev = evaluate(inv, at_send, keys, self.counter)
                goal_touched = {n: list(ks) for n, ks in touched.items()}
                for n, tk in ev.touched.items():
                    goal_touched.setdefault(n, []).extend(tk)
                fresh: dict[type, list[Any]] = {}
                for k in keys:
                    fresh.setdefault(type(k), []).append(k)
                extra, extra_defs, _ = self._hypotheses(pre, fresh, goal_touched, others=candidates)
                t0 = time.perf_counter()
                q = self._solver()
                q.add(*base, *hyps, *kfacts, *extra, *point.definitions, *point.conditions, *ev.definitions,
                      *_sqrt_congruence(point.definitions + hyp_defs + extra_defs + ev.definitions),
                      *self._store_facts(pre, goal_touched), z3.Not(ev.formula))
                r = budget.check(q)
                rec["seconds"] += time.perf_counter() - t0
                rec["stats"].append(budget.stats(q))
                rec["callback_points"] = rec.get("callback_points", 0) + 1
                if r == z3.sat:
                    m = q.model()
                    rec["status"] = VIOLATED
                    rec["message"] = (f"does not hold when {point.where} sends ETH to an account outside the system "
                                      f"in {tr.name}: that account's code runs in this state and may call back "
                                      "(reentrancy); " + ", ".join(f"{d}={m[d]}" for d in sorted(
                                          m.decls(), key=str) if d.arity() == 0 and ("arg" in str(d) or "msg" in str(d))))
                elif r == z3.unknown and rec["status"] == PROVED:
                    rec["status"] = INCONCLUSIVE
                    rec["message"] = (f"solver returned unknown: {budget.unknown_reason(q)} on the invariant at an ETH "
                                      "transfer to an account outside the system")
        written = self._written_after(points[0].world, post.world, post.addrs)
        read = getattr(post.world, "reads_after_send", [])
        if written or read:
            why = ("storage " + (f"read by an invariant and written ({', '.join(written)})" if written else "")
                   + (" and " if written and read else "")
                   + (f"accessed ({', '.join(read)})" if read else "")
                   + " after ETH is sent to an account outside the system, whose code may call back in between "
                   f"and change what the rest of the call sees ({tr.name}, after the transfer from {points[0].where})")
            for inv in self.invariants:
                rec = per_inv[inv.id]
                if rec["status"] != VIOLATED:
                    rec["status"], rec["message"] = UNSUPPORTED, why

    def _step_reads(self, call: Call) -> set[str]:
        """The storage the step invariants read of the state after `call`, as the names of a symbolic
        post-state's terms ('sreads.Contract.field...', 'sreads.ETH.balance')."""
        before, _ = symbolic_system(self.system, "sreads_pre")
        after, _ = symbolic_system(self.system, "sreads")
        names: set[str] = set()
        for inv in self.step_invariants:
            keys, _ = self._fresh_keys(inv, "sreads")
            ev = evaluate_step(inv, before, after, call, keys, self.counter)
            names |= _constant_names([ev.formula, *ev.definitions])
        return {n for n in names if n.startswith("sreads.")}

    def _invariant_reads(self) -> set[str]:
        """The storage every state invariant reads, as the names of the symbolic pre-state's terms
        ('reads.Contract.field...', 'reads.ETH.balance')."""
        if self._reads is None:
            sym, _ = symbolic_system(self.system, "reads")
            names: set[str] = set()
            for inv in self.invariants:
                keys, _ = self._fresh_keys(inv, "reads")
                ev = evaluate(inv, sym, keys, self.counter)
                names |= _constant_names([ev.formula, *ev.definitions])
            self._reads = names
        return self._reads

    def _changed_after(self, at_send: World, end: World, addrs: dict[str, int]) -> list[str]:
        """Every storage field of the system's contracts, and the ETH balances, whose terms differ between
        the world at a send and at the end of the path (a write, or a term rebuilt: either counts)."""
        out = []
        for name, addr in addrs.items():
            a, b = at_send.contracts[addr], end.contracts[addr]
            out += [f"{name}.{f.name}" for f in a.storage_fields()
                    if not _same_terms(getattr(a, f.name), getattr(b, f.name))]
        if not _same_terms(at_send.balances, end.balances):
            out.append(ETH_BALANCE)
        return out

    def _written_after(self, at_send: World, end: World, addrs: dict[str, int]) -> list[str]:
        """The storage read by an invariant whose terms differ between the world at a send and at the
        end of the path (a write, or a term rebuilt: either counts)."""
        reads = self._invariant_reads()

        def read(name: str) -> bool:
            return any(n == f"reads.{name}" or n.startswith(f"reads.{name}.") for n in reads)

        out = []
        for name, addr in addrs.items():
            a, b = at_send.contracts[addr], end.contracts[addr]
            for f in a.storage_fields():
                if read(f"{name}.{f.name}") and not _same_terms(getattr(a, f.name), getattr(b, f.name)):
                    out.append(f"{name}.{f.name}")
        if read(ETH_BALANCE) and not _same_terms(at_send.balances, end.balances):
            out.append(ETH_BALANCE)
        return out

    def _store_facts(self, pre: System, touched: dict[str, list[tuple]]) -> list[z3.BoolRef]:
        """Range of every pre-state entry read; for summed mappings, the distinct touched entries add
        up to at most the ghost sum (true of every real state, since entries are non-negative)."""
        facts = []
        for n, m in _mappings(pre).items():
            st = m.store
            keys = _dedup_keys(touched.get(n, []))
            vals = [z3.Select(st.initial_array, flat_key(k)) for k in keys]
            if st.value_sort == z3.IntSort():
                leaf = m.leaf_type()
                if issubclass(leaf, Sint):
                    facts += [z3.And(v >= leaf.MIN, v <= leaf.MAX) for v in vals]
                else:
                    bound = leaf.MOD if hasattr(leaf, "MOD") else 1 << 256
                    facts += [z3.And(v >= 0, v < bound) for v in vals]
            if st.group is not None:  # per group key: its touched entries add up to at most its sum
                for g in _group_keys(st, keys):
                    facts.append(_distinct_sum(st, keys, (st.group, g)) <= z3.Select(st.initial_ghost, g))
                    facts.append(z3.Select(st.initial_ghost, g) >= 0)
            elif st.summed:
                facts.append(_distinct_sum(st, keys) <= st.initial_ghost)
                facts.append(st.initial_ghost >= 0)
            if n == ETH_BALANCE and keys:
                facts.append(_distinct_sum(st, keys) < ETH_SUPPLY_BOUND)
        return facts

    def _counterexample(self, inv: AnyInvariant, tr: Transition, s: z3.Solver, pre: System, sender: Address,
                        args: tuple, keys: tuple, touched: dict[str, list[tuple]],
                        block: tuple[U256, U256], *, value: U256 = U256(0)) -> Counterexample:
        """Concretise the model and replay it on the model. Models are tried in order of preference: one
        where the touched entries are the whole of every summed mapping (no filler account needed) plus
        the prover's own preferences (cex_preferences), then one with those preferences alone, each
        followed by up to OTHER_MODELS models whose pre-state entries read differ, then the violation's
        own model. The first whose concrete pre-state satisfies every state invariant and
        whose replay confirms the violation is returned; if none does, the first concretised one,
        unconfirmed, with the attempts in its note. Which model the solver returns depends on the
        term order of the process, so a single try would make "confirmed" depend on what ran before."""
        exact = []
        for n, st in _stores(pre).items():
            keys_n = _dedup_keys(touched.get(n, []))
            if st.group is not None:
                exact += [_distinct_sum(st, keys_n, (st.group, g)) == z3.Select(st.initial_ghost, g)
                          for g in _group_keys(st, keys_n)]
            elif st.summed:
                exact.append(_distinct_sum(st, keys_n) == st.initial_ghost)
        prefs = self.cex_preferences(pre, touched, s) if self.cex_preferences is not None else []
        found = s.model()  # the model of the violation itself: the last resort
        tried: list[Counterexample] = []
        read = _read_terms(pre, touched, keys)
        for label, extra in ([("preferred", exact + prefs), ("preferences only", prefs)] if prefs
                             else [("preferred", exact)]):
            blocked: list[z3.BoolRef] = []
            for attempt in range(OTHER_MODELS + 1):  # then other models: the pre-state read differs
                model = _preferred_model(s, extra + blocked)
                if model is None:
                    break
                name = label if attempt == 0 else f"{label}, model {attempt + 1}"
                cex = self._concretise(model, name, inv, tr, s, pre, sender, args, keys, touched, block, value=value)
                if cex.confirmed_on_model:
                    return cex
                tried.append(cex)
                blocked.append(z3.Not(z3.And(*[t == model.eval(t, model_completion=True) for t in read])))
        cex = self._concretise(found, "the violation's own model", inv, tr, s, pre, sender, args, keys,
                               touched, block, value=value)
        if cex.confirmed_on_model or not tried:
            return cex
        first = tried[0]
        first.note += "; not confirmed with any model tried (" + ", ".join(
            f"{c.model_label}: {c.model_outcome}{' from a pre-state breaking invariants' if c.broken_before else ''}"
            for c in tried + [cex]) + ")"
        return first

    def _concretise(self, model: z3.ModelRef, label: str, inv: AnyInvariant, tr: Transition, s: z3.Solver,
                    pre: System, sender: Address, args: tuple, keys: tuple, touched: dict[str, list[tuple]],
                    block: tuple[U256, U256], *, value: U256 = U256(0)) -> Counterexample:
        """The concrete pre-state, call and block of one z3 model, replayed on the model."""
        note: list[str] = []

        def ev(t: Any) -> Any:
            if isinstance(t, (int, bool)):
                return t
            v = model.eval(t, model_completion=True)
            return bool(v) if z3.is_bool(v) else v.as_long()

        # keccak on symbolic arguments is an uninterpreted function: map each value it took in the
        # model to the real hash of its concrete arguments, wherever that value appears
        hashes = _keccak_substitution(s, ev)

        def fix(v: Any) -> Any:
            return hashes.get(v, v) if isinstance(v, int) and not isinstance(v, bool) else v

        def concrete_dynbytes(where: str, b: DynBytes) -> DynBytes:
            """The bytes a symbolic value's content id and length stand for (at most MAX_CONCRETE_BYTES)."""
            n = ev(b._length)
            if n > MAX_CONCRETE_BYTES:
                note.append(f"{where}: a {b.SOLIDITY} of {n} bytes is too long to build; built with {MAX_CONCRETE_BYTES}")
            return type(b)(bytes_of(ev(b.content), min(n, MAX_CONCRETE_BYTES)))

        concrete = self.system.clone()
        key_types = _key_types(pre)
        for name, addr in concrete.addrs.items():
            c = concrete.world.contracts[addr]
            pc = pre.world.contracts[addr]
            for f in c.storage_fields():
                v = getattr(pc, f.name)
                if isinstance(v, Array):
                    ca = getattr(c, f.name)
                    ca._length = ev(v._length) if is_sym(v._length) else v._length
                if isinstance(v, (Mapping, Array)):
                    cleaves = (getattr(c, f.name).data if isinstance(v, Array) else getattr(c, f.name)).leaf_mappings()
                    for suffix, leaf in (v.data if isinstance(v, Array) else v).leaf_mappings().items():
                        st = leaf.store
                        m = cleaves[suffix]
                        kts = key_types.get(f"{name}.{f.name}{suffix}", ())
                        for key in _dedup_keys(touched.get(f"{name}.{f.name}{suffix}", [])):
                            # a key that is the hash of a string or bytes value: the real hash of the bytes
                            # it is made concrete as (other keys are kept as the solver gave them)
                            ck = tuple(fix(ev(k)) if kt is Bytes32 and z3.is_app(k) and k.decl() == KECCAK_BYTES
                                       else ev(k) for kt, k in zip(kts, key))
                            val = ev(z3.Select(st.initial_array, flat_key(key)))
                            if suffix.endswith("." + BYTES_LENGTH_LEAF) and val > MAX_CONCRETE_BYTES:
                                # a string or bytes member: built no longer than an argument is
                                note.append(f"{name}.{f.name}[{', '.join(map(str, ck))}]{suffix[:-len(BYTES_LENGTH_LEAF) - 1]}: "
                                            f"{val} bytes is too long to build; built with {MAX_CONCRETE_BYTES}")
                                val = MAX_CONCRETE_BYTES
                            m.store.set(ck, fix(val) if m.leaf_type() is Bytes32 else val)
                        if st.group is not None:
                            keys_n = _dedup_keys(touched.get(f"{name}.{f.name}{suffix}", []))
                            for g in sorted({ev(g) for g in _group_keys(st, keys_n)}):
                                rest = ev(z3.Select(st.initial_ghost, g)) - m.store.group_total(g)
                                filler = tuple(g if i == st.group else FILLER for i in range(st.depth))
                                if rest > 0:
                                    m.store.set(filler, m.store.get(filler) + rest)
                                    note.append(f"{name}.{f.name}[{', '.join(hex(k) for k in filler)}]{suffix} = "
                                                f"{rest} holds the rest of the sum of its group")
                                elif rest < 0:
                                    note.append(f"{name}.{f.name}{suffix}: ghost sum of group {g:#x} below the "
                                                "touched entries (unrealisable)")
                        elif st.summed:
                            rest = ev(st.initial_ghost) - m.store.total()
                            if rest > 0:
                                m.store.set((FILLER,), m.store.get((FILLER,)) + rest)
                                note.append(f"{name}.{f.name}[{FILLER:#x}]{suffix} = {rest} holds the rest of the sum")
                            elif rest < 0:
                                note.append(f"{name}.{f.name}{suffix}: ghost sum below the touched entries "
                                            "(unrealisable)")
                elif isinstance(v, Struct):
                    cs = type(v)()
                    for path, t in v.leaves():
                        x = v.get_leaf(path)
                        if isinstance(x, DynBytes):
                            cs.set_leaf(path, concrete_dynbytes(f"{name}.{f.name}.{'.'.join(path)}", x) if x.is_symbolic else x)
                        else:
                            cs.set_leaf(path, t(ev(term(x))) if is_sym(term(x)) else x)
                    setattr(c, f.name, cs)
                elif isinstance(v, (SYMBOLIC_TYPES, SYMBOLIC_VALUE_TYPES)) and is_sym(term(v)):
                    setattr(c, f.name, type(v)(ev(term(v))))
                elif isinstance(v, DynBytes) and v.is_symbolic:
                    setattr(c, f.name, concrete_dynbytes(f"{name}.{f.name}", v))
        if isinstance(pre.world.balances, Mapping):  # the ETH balances the path read
            st = pre.world.balances.store
            concrete.world.balances = {}
            for key in _dedup_keys(touched.get(ETH_BALANCE, [])):
                wei = ev(z3.Select(st.initial_array, flat_key(key)))
                if wei:
                    concrete.world.balances[ev(key[0])] = wei
        # only hash-valued arguments (commitHash) are hashes; task type ids and nonces are not
        def arg(p: str, a: Any) -> Any:
            if isinstance(a, DynBytes):
                return concrete_dynbytes(p, a)
            return type(a)(fix(ev(term(a))) if isinstance(a, Bytes32) and "hash" in p.lower() else ev(term(a)))

        cargs = tuple(arg(p, a) for (p, _), a in zip(tr.params, args))
        ckeys = tuple(type(k)(ev(term(k))) for k in keys)
        cblock = (ev(block[0].v), ev(block[1].v))
        concrete.world.block = Block(*cblock)
        if hashes:
            note.append(f"keccak: {len(hashes)} uninterpreted hash value(s) replaced by the real hashes")
        if self.cex_concretize is not None:
            note += self.cex_concretize(ev, concrete, pre, s, touched)
        cex = Counterexample(inv.id, concrete, tr.contract, tr.function, ev(sender.v), cargs, ckeys,
                             note="; ".join(note), block=cblock, step=isinstance(inv, StepInvariant),
                             model_label=label, value=ev(value.v))
        replay_on_model(cex, self.invariants, self.step_invariants)
        return cex

    # -- lemmas ------------------------------------------------------------------------------
    def prove_lemma(self, lemma: Any) -> ObligationResult:
        """No feasible path of the lemma's body reverts, and on every path its goal holds."""
        t0 = time.perf_counter()
        assumptions, body = lemma.build()
        explorer = Explorer(assumptions, rlimit=self.rlimit)
        paths = explorer.explore(body)
        status, details = PROVED, {"paths": len(paths), "assumptions": len(assumptions)}
        stats = []
        for p in paths:
            if not p.ok:
                status = VIOLATED
                details["counterexample"] = {"reverted": str(p.reverted), "path": [str(c) for c in p.conditions]}
                break
            goal = p.result
            if isinstance(goal, bool):
                if not goal:
                    status = VIOLATED
                    details["counterexample"] = {"path": [str(c) for c in p.conditions], "goal": "false"}
                    break
                continue
            s = self._solver()
            s.add(*assumptions, *p.definitions, *p.conditions, z3.Not(goal))
            r = budget.check(s)
            stats.append(budget.stats(s))
            if r == z3.sat:
                status = VIOLATED
                m = s.model()
                details["counterexample"] = {str(d): str(m[d]) for d in m.decls()}
                replay = getattr(lemma, "replay", None)
                if replay is not None:  # run the model functions on the counterexample's concrete inputs
                    confirmed, desc = replay(m)
                    details["confirmed"] = confirmed
                    details["replay"] = desc
                    if not confirmed:
                        details["message"] = f"unconfirmed counterexample (does not replay concretely): {desc}"
                break
            if r != z3.unsat:
                status = INCONCLUSIVE
                details["message"] = f"solver returned unknown: {budget.unknown_reason(s)}"
        vacuity = paths_satisfiable(assumptions, paths, self.rlimit) if status == PROVED else z3.sat
        if vacuity == z3.unsat:
            status = VIOLATED
            details["message"] = "VACUOUS: the lemma's assumptions are unsatisfiable"
        elif vacuity == z3.unknown:
            status = INCONCLUSIVE
            details["message"] = "vacuity unknown: the solver could not show the lemma's assumptions satisfiable"
        details["solver_stats"] = budget.merge_stats(stats)
        return ObligationResult(lemma.id, "lemma", lemma.contract, status, time.perf_counter() - t0,
                                lemma.statement, details)

    # -- everything --------------------------------------------------------------------------
    def tasks(self, *, only: Callable[[Transition], bool] | None = None, lemmas: tuple = ()) -> list[tuple]:
        """The units of work of `run`, in result order: ("lemma", i), ("init", id), ("transition", tr)."""
        out: list[tuple] = [("lemma", i) for i in range(len(lemmas))]
        out += [("init", inv.id) for inv in self.invariants]
        out += [("transition", tr) for tr in transitions(self.system)
                if (only is None or only(tr)) and (self.transition_filter is None or self.transition_filter(tr))]
        return out

    def run_task(self, task: tuple, lemmas: tuple = ()) -> list[ObligationResult]:
        kind, what = task
        try:
            if kind == "lemma":
                return [self.prove_lemma(lemmas[what])]
            if kind == "init":
                return [self.prove_init(next(i for i in self.invariants if i.id == what))]
            return self.prove_transition(what)
        except Unsupported as u:  # a construct without a symbolic encoding: named, never left out
            return self._unsupported(task, u, lemmas)

    def _unsupported(self, task: tuple, u: Unsupported, lemmas: tuple) -> list[ObligationResult]:
        kind, what = task
        details = {"message": str(u), "construct": u.construct}
        if kind == "lemma":
            lm = lemmas[what]
            return [ObligationResult(lm.id, "lemma", lm.contract, UNSUPPORTED, 0.0, lm.statement, dict(details))]
        if kind == "init":
            inv = next(i for i in self.invariants if i.id == what)
            return [ObligationResult(f"{inv.id}/init", "proof", inv.contract, UNSUPPORTED, 0.0, inv.statement,
                                     dict(details))]
        out = [ObligationResult(f"{inv.id}/{what.name}", "proof", inv.contract, UNSUPPORTED, 0.0, inv.statement,
                                dict(details, transition=what.name))
               for inv in list(self.invariants) + list(self.step_invariants)]
        out.append(ObligationResult(f"VACUITY/{what.name}", "vacuity", what.contract, UNSUPPORTED, 0.0,
                                    f"The inductive step across {what.name} is not vacuous.", dict(details)))
        return out

    def run(self, *, only: Callable[[Transition], bool] | None = None, lemmas: tuple = (),
            jobs: int = 1) -> list[ObligationResult]:
        """Every obligation. `jobs > 1`: in that many forked worker processes (longest tasks first),
        results in the same order as sequentially."""
        todo = self.tasks(only=only, lemmas=lemmas)
        if jobs <= 1 or len(todo) <= 1:
            out: list[ObligationResult] = []
            for t in todo:
                out += self.run_task(t, lemmas)
            return out
        from invariants.parallel import fork_map

        global _WORKER
        _WORKER = (self, lemmas)
        order = sorted(range(len(todo)), key=lambda i: -_task_weight(todo[i], self.task_weights))
        try:
            done = fork_map(_run_task_in_worker, [(i, todo[i]) for i in order], jobs)
        finally:
            _WORKER = None
        by_index = dict(done)
        return [r for i in range(len(todo)) for r in by_index[i]]


_WORKER: Any = None


def _run_task_in_worker(item: tuple[int, tuple]) -> tuple[int, list[ObligationResult]]:
    i, task = item
    prover, lemmas = _WORKER
    prover.counter = [i * 10_000_000]  # distinct fresh names per task (they never meet, but keep them apart)
    return i, prover.run_task(task, lemmas)


def _task_weight(task: tuple, weights: dict[str, float]) -> float:
    """Rough cost, to start the longest tasks first: a transition's from `weights` (by function name,
    default 1), every other task's 0.5."""
    kind, what = task
    if kind != "transition":
        return 0.5
    return weights.get(what.function, 1)


def paths_satisfiable(assumptions: list[z3.BoolRef], paths: list[Any], rlimit: int) -> z3.CheckSatResult:
    """Vacuity of a lemma: z3.sat when its assumptions are satisfiable with at least one path's condition
    (with the assumptions alone when there is no path), z3.unsat when with none (VACUOUS), z3.unknown
    when the solver could not tell for some path and found none satisfiable (never read as satisfiable)."""
    answers = [_check([*assumptions, *p.definitions, *p.conditions], rlimit) for p in paths] or \
        [_check(list(assumptions), rlimit)]
    return z3.sat if z3.sat in answers else z3.unknown if z3.unknown in answers else z3.unsat


def _check(facts: list[z3.BoolRef], rlimit: int) -> z3.CheckSatResult:
    s = budget.solver(rlimit)
    s.add(*facts)
    return budget.check(s)


@dataclass
class PathCheck:
    """What check_success_paths found: status PROVED, VIOLATED or INCONCLUSIVE (unknown, or VACUOUS when
    no success path is satisfiable with the assumptions); `model` is the violating z3 model."""

    status: str
    satisfiable: z3.CheckSatResult
    message: str = ""
    model: Any = None
    stats: dict = field(default_factory=dict)

    @property
    def vacuous(self) -> bool:
        return self.satisfiable == z3.unsat


def check_success_paths(assumptions: list[z3.BoolRef], paths: list[Any], rlimit: int, *,
                        goal: Callable[[Any], Any] = lambda p: p.result) -> PathCheck:
    """Every success path (`p.ok`; a reverting one reverts the transaction, not a counterexample)
    satisfies goal(p) under the assumptions, its definitions and its conditions: the first sat is
    VIOLATED (with the model), an unknown is INCONCLUSIVE. A result that would be PROVED is INCONCLUSIVE
    when no success path is satisfiable with the assumptions (VACUOUS) or when that is unknown."""
    stats, answers = [], []
    status, message, model = PROVED, "", None
    for p in paths:
        if not p.ok:
            continue
        s = budget.solver(rlimit)
        s.add(*assumptions, *p.definitions, *p.conditions)
        if z3.sat not in answers:
            answers.append(budget.check(s))
        s.add(z3.Not(goal(p)))
        r = budget.check(s)
        stats.append(budget.stats(s))
        if r == z3.sat:
            status, model, message = VIOLATED, s.model(), ""
            answers.append(z3.sat)  # the violating model satisfies the assumptions and the path
            break
        if r != z3.unsat:
            status, message = INCONCLUSIVE, f"solver returned unknown: {budget.unknown_reason(s)}"
    satisfiable = z3.sat if z3.sat in answers else z3.unknown if z3.unknown in answers else z3.unsat
    if status == PROVED and satisfiable == z3.unsat:
        status, message = INCONCLUSIVE, "VACUOUS: the assumptions are unsatisfiable with every success path"
    elif status == PROVED and satisfiable == z3.unknown:
        status, message = INCONCLUSIVE, "vacuity unknown: the solver found no success path satisfiable with the assumptions"
    return PathCheck(status, satisfiable, message, model, budget.merge_stats(stats))


def replay_on_model(cex: Counterexample, invariants: list[Invariant],
                    step_invariants: list[StepInvariant] = ()) -> None:
    """Check the counterexample concretely: the pre-state satisfies every state invariant at every
    known key, the call succeeds, and the invariant fails afterwards (a state invariant on the
    post-state, a step invariant across the call)."""
    pre = cex.pre
    known = cex.known_keys()
    broken_before = [i.id for i in invariants if not holds_everywhere(i, pre, known)]
    post = pre.clone()
    if cex.block is not None:
        post.world.block = Block(*cex.block)
    outcome = post.world.transact(post.addrs[cex.contract], cex.function, Msg(Address(cex.sender), U256(cex.value)),
                                  *cex.args)
    if not outcome.ok:
        cex.model_outcome = f"reverted with {outcome.error}"
        cex.confirmed_on_model = False
    else:
        cex.model_outcome = "succeeded"
        if cex.step:
            target_s = next(i for i in step_invariants if i.id == cex.invariant)
            fails = bool(step_failures([target_s], pre, post, cex.call(), known))
        else:
            target = next(i for i in invariants if i.id == cex.invariant)
            fails = not holds_everywhere(target, post, known)
        cex.confirmed_on_model = fails and not broken_before
    cex.broken_before = broken_before
    if broken_before:
        cex.note = (cex.note + "; " if cex.note else "") + f"pre-state breaks {broken_before} (not realisable)"


def known_keys(system: System) -> dict[type, list[int]]:
    """Every key held in any mapping of the suite's contracts, per key type, plus the contracts'
    addresses and the address-typed immutables and storage variables."""
    found: dict[type, set[int]] = {Address: set(system.addrs.values())}
    types = _key_types(system)
    for n, m in _mappings(system).items():
        for key, _ in m.items():
            for kt, k in zip(types[n], key):
                found.setdefault(kt, set()).add(k)
    for c in system.world.contracts.values():
        if not any(c is system.world.contracts[a] for a in system.addrs.values()):
            continue
        for f in dataclasses.fields(c):
            v = getattr(c, f.name)
            if isinstance(v, (Address, Bytes32)) and not is_sym(v.v):
                found.setdefault(type(v), set()).add(v.v)
    return {t: sorted(v) for t, v in found.items()}


def known_addresses(system: System, extra: list[int] = ()) -> list[Address]:
    found: set[int] = set(extra) | set(known_keys(system).get(Address, []))
    return [Address(a) for a in sorted(found)]


def holds_everywhere(inv: Invariant, system: System, known: "list[Address] | dict[type, list[int]]") -> bool:
    """Evaluate an invariant concretely, at every combination of known keys (of its key types)."""
    if not isinstance(known, dict):
        known = {Address: [a.v for a in known]}
    domains = [known.get(t, []) for _, t in inv.keys]
    for combo in itertools.product(*domains):
        if not inv.holds(system.clone(), *(t(k) for (_, t), k in zip(inv.keys, combo))):
            return False
    return True


def _sqrt_congruence(definitions: list[z3.BoolRef]) -> list[z3.BoolRef]:
    """Two symbolic square roots of equal radicands are equal (LEMMA-SQRT-005, floor sqrt is unique).
    The kernel makes a fresh r per sqrt call, defined by r*r <= y < (r+1)*(r+1); this instantiates
    the lemma for every pair of such definitions in a query, each under both definitions' guards."""
    roots = []
    for d in definitions:
        guard, body = (d.arg(0), d.arg(1)) if z3.is_implies(d) else (z3.BoolVal(True), d)
        if not (z3.is_and(body) and body.num_args() == 3):
            continue
        first = body.arg(0)
        if not (z3.is_ge(first) and z3.is_const(first.arg(0)) and str(first.arg(0)).startswith("sqrt!")):
            continue
        third = body.arg(2)
        if not z3.is_lt(third):
            continue
        roots.append((guard, first.arg(0), third.arg(0)))
    out = []
    for i in range(len(roots)):
        for j in range(i):
            gi, ri, yi = roots[i]
            gj, rj, yj = roots[j]
            out.append(z3.Implies(z3.And(gi, gj, yi == yj), ri == rj))
    return out


def _keccak_substitution(s: z3.Solver, ev: Callable[[Any], Any]) -> dict[int, int]:
    """For every application of one of the kernel's uninterpreted keccak256(abi.encode(...)) functions
    in the query (`KECCAK_FUNCTIONS`, whatever model or invariant made it): its value in the model -> the
    real keccak256 of its concrete arguments encoded as the function's types."""
    apps: dict[int, z3.ExprRef] = {}
    todo = list(s.assertions())
    seen: set[int] = set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_app(e) and e.decl() in KECCAK_FUNCTIONS:
            apps[e.get_id()] = e
        todo.extend(e.children())
    out = {}
    for e in apps.values():
        types = KECCAK_FUNCTIONS[e.decl()]
        values = [ev(e.arg(i)) for i in range(e.num_args())]
        if types == BYTES_CONTENT:  # keccak256 of a symbolic bytes value: the bytes it is made concrete as
            content, length = values
            if 0 <= content and 0 <= length <= MAX_CONCRETE_BYTES:
                out[ev(e)] = Bytes32(keccak(bytes_of(content, length))).v
            continue
        if not all(lo <= v <= hi for v, (lo, hi) in zip(values, map(abi_field_range, types))):
            continue  # not a value of its ABI type: no real hash to replace it by
        out[ev(e)] = keccak256_abi(types, values).v
    return out
MAX_CONCRETE_BYTES = 4096  # the longest bytes or string argument a counterexample is built with
SMALL_BOUND = 1 << 96


FILLER = 0xF111E4000000000000000000000000000000F111  # the key holding the rest of a summed mapping's ghost sum
OTHER_MODELS = 2  # counterexample concretisation: further models tried per set of preferences
CEX_SEEDS = 3  # counterexample concretisation: random seeds tried per model on unknown


def _read_terms(pre: System, touched: dict[str, list[tuple]], keys: tuple) -> list[z3.ExprRef]:
    """The pre-state entries a path read and the invariant's keys, as z3 terms: what a counterexample's
    concrete pre-state is made of (a model differing in none of them concretises the same way)."""
    out: list[z3.ExprRef] = [term(k) for k in keys if is_sym(term(k))]
    for n, st in _stores(pre).items():
        for key in _dedup_keys(touched.get(n, [])):
            out.append(z3.Select(st.initial_array, flat_key(key)))
            out += [k for k in key if isinstance(k, z3.ExprRef)]
    return out


def _preferred_model(s: z3.Solver, extra: list[z3.BoolRef]) -> "z3.ModelRef | None":
    """A model of the violation plus the preferences `extra`, small values first (readable, and
    replayable with real balances); None if the solver does not find one (unsat, or unknown on every
    try). Each try gets budget.CEX_ATTEMPT and another random seed: a query the solver stalls on with one
    seed (measured: 30 s, then unknown) it often answers at once with another."""
    s.push()
    s.add(*extra)
    try:
        budget.limit(s, budget.CEX_ATTEMPT)
        if _small_values_retry(s) == z3.sat:
            try:
                return s.model()
            finally:
                s.pop()  # the small-value bounds' scope
        for seed in range(CEX_SEEDS):
            s.set("random_seed", seed)
            r = budget.check(s)
            if r == z3.sat:
                return s.model()
            if r == z3.unsat:
                return None
        return None
    finally:
        s.pop()
        s.set("random_seed", 0)


def _small_values_retry(s: z3.Solver) -> z3.CheckSatResult:
    """After `unknown`: look for a counterexample among small values (every integer constant below
    2**96, where nonlinear search is easier). A model found this way is a model of the full query,
    so `sat` stays sound; anything else stays `unknown` (INCONCLUSIVE), never `unsat`."""
    consts: dict[str, z3.ExprRef] = {}
    todo = list(s.assertions())
    seen: set[int] = set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_const(e) and e.decl().kind() == z3.Z3_OP_UNINTERPRETED and e.sort() == z3.IntSort():
            consts[str(e)] = e
        todo.extend(e.children())
    s.push()
    s.add(*[z3.And(c >= 0, c < SMALL_BOUND) for c in consts.values()])
    r = budget.check(s)
    if r != z3.sat:
        s.pop()
        return z3.unknown
    return r  # sat: the bounds' scope is left for the caller to pop after reading the model


def _distinct_sum(st: Any, keys: list[tuple], group: tuple[int, Any] | None = None) -> z3.ArithRef:
    """The sum of the pre-state entries at `keys`, each key counted once even if two key terms
    turn out equal; with `group` (position, g), only the keys whose component at that position is g."""
    terms = []
    for i, k in enumerate(keys):
        v = z3.Select(st.initial_array, flat_key(k))
        conds = [z3.Not(_key_eq(k, keys[j])) for j in range(i)]
        if group is not None:
            conds.append(k[group[0]] == group[1])
        terms.append(z3.If(z3.And(*conds), v, 0) if conds else v)
    return z3.Sum(*terms) if terms else z3.IntVal(0)


def _group_keys(st: Any, keys: list[tuple]) -> list[Any]:
    """The group keys of a store with sums grouped by key: those its sums were read at and those of
    the touched keys, each term once."""
    return _dedup([*st.groups_read, *(k[st.group] for k in keys)])


def _key_eq(a: tuple, b: tuple) -> z3.BoolRef:
    return z3.And(*[x == y for x, y in zip(a, b)])


def _ident(x: Any) -> tuple:
    """What makes two key parts the same: the number of a concrete value (a Python int and a z3
    numeral alike), the id of any other z3 term (z3 shares structurally equal terms, so equal terms
    have equal ids). Printing the terms would cost more, and z3's printer shortens large terms, so two
    different ones could print alike."""
    v = term(x)
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int):
        return ("n", v)
    if isinstance(v, z3.AstRef):
        if z3.is_int_value(v) or z3.is_bv_value(v):
            return ("n", v.as_long())
        if z3.is_true(v) or z3.is_false(v):
            return ("b", z3.is_true(v))
        return ("t", v.get_id())
    return ("s", str(v))


def _dedup(items: list[Any]) -> list[Any]:
    seen, out = set(), []
    for it in items:
        k = _ident(it)
        if k not in seen:
            seen.add(k)
            out.append(it)
    return out


def _dedup_keys(keys: list[tuple]) -> list[tuple]:
    seen, out = set(), []
    for key in keys:
        k = tuple(_ident(x) for x in key)
        if k not in seen:
            seen.add(k)
            out.append(key)
    return out


