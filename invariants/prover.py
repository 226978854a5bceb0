"""The prover: inductive invariants of the deployed system, over the reference models run on z3 terms.

Obligations, for every registered invariant I of the system (ARCHITECTURE.md, "Invariants"):
- `I/init`: the state right after deployment satisfies I;
- `I/<Contract>.<function>`: the conjunction of all registered invariants before any single call of
  that external function (any sender, any arguments) implies I after it. Each feasible success path of
  the model function is one query; a reverting path changes nothing, so it preserves every invariant.
- `VACUITY/<Contract>.<function>`: the hypotheses are satisfiable together with at least one success
  path of the function, so the inductive step is not proved from contradictory assumptions.
- lemmas (`invariants/bpe_math.py`): facts about the models that the symbolic encoding relies on.

Encoding: integers are z3 Ints with range constraints (exact under Solidity 0.8 checked arithmetic);
mappings are arrays; a per-key invariant (`def p(s, sink)`) is proved for a fresh key k0 and assumed
before the call at k0 and at every address the path touched (any instance of a true universal
statement may be assumed); sums over mappings are ghost variables updated by every write, with the
fact that the touched entries, counted once each, add up to at most the sum.

Environment assumptions (stated in every result): the system's contracts are never the `msg.sender`
of an external call except through their own modelled code, and the deployment wiring (immutables)
is the one of `specs/system.py`.

Solver `unknown` or a timeout gives INCONCLUSIVE, never PROVED. A counterexample is turned into a
concrete pre-state and call, and replayed on the model here; the harness replays it on the EVMs.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Callable, get_type_hints

import z3

from specs.kernel import (
    U256, Address, Bool, Bytes32, Explorer, Mapping, ModelBug, Msg, Uint, flat_key, is_sym, term,
)
from specs.system import CORE_DEPLOYMENTS, System, build_system
from invariants.registry import REGISTRY, Invariant

PROVED, VIOLATED, INCONCLUSIVE, UNSUPPORTED, ERROR = "PROVED", "VIOLATED", "INCONCLUSIVE", "UNSUPPORTED", "ERROR"
ENVIRONMENT = [
    "the system's contracts are msg.sender of no external call except through their own modelled code",
    "deployment wiring (token, governance, treasury) as in specs/system.py",
    "the staking token is specs/test_token.py (OpenZeppelin ERC20): no fees, no hooks",
]
SYMBOLIC_TYPES = (U256, Address, Bool, Bytes32)


@dataclass
class ObligationResult:
    id: str
    kind: str  # "proof" | "lemma" | "vacuity"
    contract: str
    status: str
    seconds: float
    title: str
    details: dict = field(default_factory=dict)
    counterexample: "Counterexample | None" = None


@dataclass
class Counterexample:
    """A concrete pre-state (a model System), a call, and the keys at which the invariant fails."""

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

    def known(self) -> list[Address]:
        """Every address the counterexample mentions: where invariants are evaluated concretely."""
        return known_addresses(self.pre, extra=[self.sender, *[a.v for a in self.args if isinstance(a, Address)],
                                                *[k.v for k in self.keys if isinstance(k, Address)]])

    def to_json(self) -> dict:
        fn_types = get_type_hints(getattr(self.pre.models[self.contract], self.function))
        arg_names = [p for p in fn_types if p not in ("msg", "return")]
        return {
            "invariant": self.invariant,
            "pre_state": state_json(self.pre),
            "call": {"contract": self.contract, "function": self.function, "sender": f"{self.sender:#x}",
                     "args": {n: _json_value(a) for n, a in zip(arg_names, self.args)}},
            "keys": [_json_value(k) for k in self.keys],
            "confirmed_on_model": self.confirmed_on_model,
            "model_outcome": self.model_outcome,
            "note": self.note,
        }


def _json_value(v: Any) -> Any:
    if isinstance(v, Address):
        return f"{v.v:#x}"
    if isinstance(v, Bytes32):
        return f"{v.v:#066x}"
    if isinstance(v, Bool):
        return bool(v.v)
    if isinstance(v, Uint):
        return str(v.v)
    return v


def state_json(system: System) -> dict:
    """The storage of every contract, Solidity names, nonzero entries only."""
    out: dict[str, Any] = {}
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, Mapping):
                entries = {"][".join(f"{k:#x}" for k in key): (str(val) if not isinstance(val, bool) else val)
                           for key, val in v.items()}
                if entries:
                    out[f"{name}.{f.name}"] = entries
            else:
                out[f"{name}.{f.name}"] = _json_value(v)
    return out


# ---------------------------------------------------------------------------------------------
# Symbolic states
# ---------------------------------------------------------------------------------------------


def symbolic_system(system: System, tag: str) -> tuple[System, list[z3.BoolRef]]:
    """A copy of `system` whose storage is unknown: fresh arrays and variables with range facts."""
    sym = system.clone()
    facts: list[z3.BoolRef] = []
    for name, addr in system.addrs.items():
        c = sym.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            vname = f"{tag}.{name}.{f.name}"
            if isinstance(v, Mapping):
                setattr(c, f.name, v.symbolize(vname))
            elif isinstance(v, SYMBOLIC_TYPES):
                s = type(v).symbolic(vname)
                facts += s.range_constraints()
                setattr(c, f.name, s)
            else:  # constants held in storage (token name, symbol): keep the deployed value
                continue
    return sym, facts


def initial_symbolic_system(system: System) -> System:
    """The deployed (concrete) state, with mappings as arrays so symbolic keys can read them."""
    sym = system.clone()
    for name, addr in system.addrs.items():
        c = sym.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, Mapping):
                setattr(c, f.name, v.to_symbolic(f"init.{name}.{f.name}"))
    return sym


def _stores(system: System) -> dict[str, Any]:
    out = {}
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, Mapping):
                out[f"{name}.{f.name}"] = v.store
    return out


@dataclass
class Evaluated:
    formula: z3.BoolRef
    definitions: list[z3.BoolRef]
    touched: dict[str, list[tuple]]


def evaluate(inv: Invariant, system: System, keys: tuple, explorer_counter: list[int]) -> Evaluated:
    """The invariant as one formula: the disjunction over its evaluation paths of (path condition
    and returned value). A path that reverts counts as false."""
    ex = Explorer(prune=False)
    ex.counter = explorer_counter[0]
    touched: dict[str, list[tuple]] = {}

    def run() -> Any:
        s = system.clone()
        value = inv.holds(s, *keys)
        for n, st in _stores(s).items():
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
    for name, cls in system.models.items():
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
                    if t not in SYMBOLIC_TYPES:
                        raise ModelBug(f"{name}.{fname}: parameter {p} of type {t} has no symbolic encoding")
                out.append(Transition(name, fname, params))
    return sorted(out, key=lambda t: (list(system.models).index(t.contract), t.function))


# ---------------------------------------------------------------------------------------------
# The prover
# ---------------------------------------------------------------------------------------------


class Prover:
    def __init__(self, system: System | None = None, invariants: list[Invariant] | None = None,
                 *, timeout_ms: int = 30_000):
        self.system = system or build_system(deployments=CORE_DEPLOYMENTS)
        names = set(self.system.models)
        self.invariants = invariants if invariants is not None else REGISTRY.for_contracts(names)
        self.timeout_ms = timeout_ms
        self.counter = [0]

    # -- helpers -----------------------------------------------------------------------------
    def _solver(self) -> z3.Solver:
        s = z3.Solver()
        s.set("timeout", self.timeout_ms)
        return s

    def _fresh_keys(self, inv: Invariant, tag: str) -> tuple[tuple, list[z3.BoolRef]]:
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
        s.add(*facts, *ev.definitions, z3.Not(ev.formula))
        r = s.check()
        status = PROVED if r == z3.unsat else VIOLATED if r == z3.sat else INCONCLUSIVE
        details: dict = {"obligation": "init", "solver": str(r)}
        if r == z3.unknown:
            details["message"] = f"solver returned unknown ({s.reason_unknown()})"
        if r == z3.sat:
            details["counterexample"] = {"state": "after deployment", "keys": [str(s.model().eval(term(k))) for k in keys]}
        return ObligationResult(f"{inv.id}/init", "proof", inv.contract, status, time.perf_counter() - t0,
                                inv.statement, details)

    # -- inductive step ----------------------------------------------------------------------
    def prove_transition(self, tr: Transition) -> list[ObligationResult]:
        """Every invariant across one transition, plus the vacuity check of that transition."""
        t_start = time.perf_counter()
        tag = f"pre.{tr.name}"
        pre, facts = symbolic_system(self.system, tag)
        sender = Address.symbolic(f"{tag}.msg.sender")
        args = tuple(t.symbolic(f"{tag}.arg.{p}") for p, t in tr.params)
        base = list(facts) + sender.range_constraints()
        for a in args:
            base += a.range_constraints()
        base += [sender.v != a for a in self.system.addrs.values()]  # environment assumption

        def run() -> System:
            post = pre.clone()
            getattr(post.world.at(Address(post.addrs[tr.contract])), tr.function)(Msg(sender), *args)
            return post

        explorer = Explorer(base, timeout_ms=self.timeout_ms)
        explorer.counter = self.counter[0]
        paths = explorer.explore(run)
        self.counter[0] = explorer.counter
        ok_paths = [p for p in paths if p.ok]
        explore_seconds = time.perf_counter() - t_start

        per_inv: dict[str, dict] = {i.id: {"status": PROVED, "seconds": 0.0, "paths": 0, "stats": [], "cex": None,
                                          "message": ""} for i in self.invariants}
        vacuity_sat = False
        vacuity_unknown = False
        vacuity_seconds = 0.0
        for path in ok_paths:
            post: System = path.result
            # hypothesis: every invariant before the call, at every address the path touched
            candidates: list[Any] = [sender] + [a for a in args if isinstance(a, Address)]
            for st in _stores(post).values():
                for key in st.touched:
                    candidates += [Address(k) for k in key]
            candidates = _dedup(candidates)
            common = list(base) + path.definitions + path.conditions
            touched: dict[str, list[tuple]] = {n: list(st.touched) for n, st in _stores(post).items()}
            common += self._hypotheses(pre, candidates, touched)

            s = self._solver()
            s.add(*common)
            s.push()
            s.add(*self._store_facts(pre, touched))
            t0 = time.perf_counter()
            r, scopes = self._check_staged(s, full=False) if not vacuity_sat else (z3.sat, 1)
            vacuity_seconds += time.perf_counter() - t0
            s.pop(scopes)
            if r == z3.sat:
                vacuity_sat = True
            elif r == z3.unknown:
                vacuity_unknown = True
            for inv in self.invariants:
                rec = per_inv[inv.id]
                rec["paths"] += 1
                if rec["status"] == VIOLATED:
                    continue  # one confirmed counterexample per obligation is enough
                # goal: the invariant after the call at a fresh key k0, assumed before it at k0 too
                keys, kfacts = self._fresh_keys(inv, f"post{self.counter[0]}")
                self.counter[0] += 1
                goal_touched = {n: list(ks) for n, ks in touched.items()}
                extra = list(kfacts) + self._hypotheses(pre, list(keys), goal_touched, fresh_only=candidates)
                ev = evaluate(inv, post, keys, self.counter)
                for n, tk in ev.touched.items():
                    goal_touched.setdefault(n, []).extend(tk)
                s.push()
                s.add(*extra, *ev.definitions, *self._store_facts(pre, goal_touched), z3.Not(ev.formula))
                t0 = time.perf_counter()
                r, scopes = self._check_staged(s)
                rec["seconds"] += time.perf_counter() - t0
                rec["stats"].append(_stats(s))
                if r == z3.sat:
                    rec["status"] = VIOLATED
                    rec["cex"] = self._counterexample(inv, tr, s, pre, sender, args, keys, goal_touched)
                elif r == z3.unknown and rec["status"] == PROVED:
                    rec["status"] = INCONCLUSIVE
                    rec["message"] = f"solver returned unknown ({s.reason_unknown()}) on a path"
                s.pop(scopes)

        results = []
        share = explore_seconds / max(1, len(self.invariants))
        for inv in self.invariants:
            rec = per_inv[inv.id]
            details = {"obligation": f"inductive step across {tr.name}", "transition": tr.name,
                       "paths": len(paths), "success_paths": len(ok_paths),
                       "hypothesis": "conjunction of all registered invariants of the system",
                       "environment": ENVIRONMENT, "solver_stats": _merge_stats(rec["stats"]),
                       "depends_on": list(inv.depends_on)}
            if rec["message"]:
                details["message"] = rec["message"]
            cex = rec["cex"]
            if cex is not None:
                details["counterexample"] = cex.to_json()
                details["confirmed"] = cex.confirmed_on_model
            results.append(ObligationResult(f"{inv.id}/{tr.name}", "proof", inv.contract, rec["status"],
                                            rec["seconds"] + share, inv.statement, details, cex))
        if vacuity_sat:
            vstatus, msg = PROVED, "hypotheses and a success path are satisfiable together"
        elif vacuity_unknown:
            vstatus, msg = INCONCLUSIVE, "solver returned unknown on every success path"
        else:
            vstatus, msg = VIOLATED, ("no success path is satisfiable under the invariants: the step is "
                                      "proved vacuously" if ok_paths else "the function has no success path")
        results.append(ObligationResult(f"VACUITY/{tr.name}", "vacuity", tr.contract, vstatus,
                                        vacuity_seconds,
                                        f"The inductive step across {tr.name} is not vacuous.",
                                        {"message": msg, "success_paths": len(ok_paths), "paths": len(paths)}))
        return results

    def _check_staged(self, s: z3.Solver, *, full: bool = True) -> tuple[z3.CheckSatResult, int]:
        """A short full attempt; on unknown, a counterexample search among small values; on unknown
        again, the full query with the whole timeout. Returns the result and the scopes to pop
        (the small-values scope stays open on sat so the model can be read)."""
        s.set("timeout", min(FIRST_ATTEMPT_MS, self.timeout_ms))
        r = s.check()
        if r == z3.unknown:
            s.set("timeout", SMALL_VALUES_MS)
            r = _small_values_retry(s)
            if r == z3.sat:
                s.set("timeout", self.timeout_ms)
                return r, 2
            if full and self.timeout_ms > FIRST_ATTEMPT_MS:
                s.set("timeout", self.timeout_ms)
                r = s.check()
        s.set("timeout", self.timeout_ms)
        return r, 1

    def _hypotheses(self, pre: System, keys: list[Any], touched: dict[str, list[tuple]],
                    fresh_only: list[Any] | None = None) -> list[z3.BoolRef]:
        """Every registered invariant before the call, at every combination of `keys` (with
        `fresh_only`, the combinations that use at least one of `keys` and otherwise `fresh_only`)."""
        out: list[z3.BoolRef] = []
        pool = keys + (fresh_only or [])
        for inv in self.invariants:
            if not inv.keys and fresh_only is not None:
                continue
            for combo in itertools.product(pool, repeat=len(inv.keys)):
                if fresh_only is not None and not any(any(c is k for k in keys) for c in combo):
                    continue
                ev = evaluate(inv, pre, combo, self.counter)
                out += ev.definitions + [ev.formula]
                for n, ks in ev.touched.items():
                    touched.setdefault(n, []).extend(ks)
        return out

    def _store_facts(self, pre: System, touched: dict[str, list[tuple]]) -> list[z3.BoolRef]:
        """Range of every pre-state entry read; for summed mappings, the distinct touched entries add
        up to at most the ghost sum (true of every real state, since entries are non-negative)."""
        facts = []
        for n, st in _stores(pre).items():
            keys = _dedup_keys(touched.get(n, []))
            vals = [z3.Select(st.initial_array, flat_key(k)) for k in keys]
            if st.value_sort == z3.IntSort():
                bound = 1 << 256
                facts += [z3.And(v >= 0, v < bound) for v in vals]
            if st.summed:
                facts.append(_distinct_sum(st, keys) <= st.initial_ghost)
                facts.append(st.initial_ghost >= 0)
        return facts

    def _counterexample(self, inv: Invariant, tr: Transition, s: z3.Solver, pre: System, sender: Address,
                        args: tuple, keys: tuple, touched: dict[str, list[tuple]]) -> Counterexample:
        """Concretise the model: prefer one where the touched entries are the whole of every summed
        mapping (no filler account needed), then replay on the model."""
        exact = []
        for n, st in _stores(pre).items():
            if st.summed:
                exact.append(_distinct_sum(st, _dedup_keys(touched.get(n, []))) == st.initial_ghost)
        found = s.model()  # the model of the violation itself: kept, so nothing has to be re-solved
        s.push()
        s.add(*exact)
        r = s.check()
        model = s.model() if r == z3.sat else found
        s.pop()

        def ev(t: Any) -> Any:
            if isinstance(t, (int, bool)):
                return t
            v = model.eval(t, model_completion=True)
            return bool(v) if z3.is_bool(v) else v.as_long()

        concrete = self.system.clone()
        note = []
        for name, addr in concrete.addrs.items():
            c = concrete.world.contracts[addr]
            pc = pre.world.contracts[addr]
            for f in c.storage_fields():
                v = getattr(pc, f.name)
                if isinstance(v, Mapping):
                    st = v.store
                    m = getattr(c, f.name)
                    for key in _dedup_keys(touched.get(f"{name}.{f.name}", [])):
                        ck = tuple(ev(k) for k in key)
                        val = ev(z3.Select(st.initial_array, flat_key(key)))
                        m.store.set(ck, val)
                    if st.summed:
                        rest = ev(st.initial_ghost) - m.store.total()
                        if rest > 0:
                            filler = 0xF111E4000000000000000000000000000000F111
                            m.store.set((filler,), m.store.get((filler,)) + rest)
                            note.append(f"{name}.{f.name}[{filler:#x}] = {rest} holds the rest of the sum")
                        elif rest < 0:
                            note.append(f"{name}.{f.name}: ghost sum below the touched entries (unrealisable)")
                elif isinstance(v, SYMBOLIC_TYPES) and is_sym(term(v)):
                    setattr(c, f.name, type(v)(ev(term(v))))
        cargs = tuple(type(a)(ev(term(a))) for a in args)
        ckeys = tuple(type(k)(ev(term(k))) for k in keys)
        cex = Counterexample(inv.id, concrete, tr.contract, tr.function, ev(sender.v), cargs, ckeys,
                             note="; ".join(note))
        replay_on_model(cex, self.invariants)
        return cex

    # -- lemmas ------------------------------------------------------------------------------
    def prove_lemma(self, lemma: Any) -> ObligationResult:
        """No feasible path of the lemma's body reverts, and on every path its goal holds."""
        t0 = time.perf_counter()
        assumptions, body = lemma.build()
        explorer = Explorer(assumptions, timeout_ms=self.timeout_ms)
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
            r = s.check()
            stats.append(_stats(s))
            if r == z3.sat:
                status = VIOLATED
                m = s.model()
                details["counterexample"] = {str(d): str(m[d]) for d in m.decls()}
                break
            if r != z3.unsat:
                status = INCONCLUSIVE
                details["message"] = f"solver returned unknown ({s.reason_unknown()})"
        details["solver_stats"] = _merge_stats(stats)
        return ObligationResult(lemma.id, "lemma", lemma.contract, status, time.perf_counter() - t0,
                                lemma.statement, details)

    # -- everything --------------------------------------------------------------------------
    def run(self, *, only: Callable[[Transition], bool] | None = None, lemmas: tuple = ()) -> list[ObligationResult]:
        out = [self.prove_lemma(lm) for lm in lemmas]
        out += [self.prove_init(i) for i in self.invariants]
        for tr in transitions(self.system):
            if only is None or only(tr):
                out += self.prove_transition(tr)
        return out


def replay_on_model(cex: Counterexample, invariants: list[Invariant]) -> None:
    """Check the counterexample concretely: the pre-state satisfies every invariant at every known
    key, the call succeeds, and the invariant fails afterwards."""
    pre = cex.pre
    known = cex.known()
    broken_before = [i.id for i in invariants if not holds_everywhere(i, pre, known)]
    post = pre.clone()
    outcome = post.world.transact(post.addrs[cex.contract], cex.function, Msg(Address(cex.sender)), *cex.args)
    target = next(i for i in invariants if i.id == cex.invariant)
    if not outcome.ok:
        cex.model_outcome = f"reverted with {outcome.error}"
        cex.confirmed_on_model = False
    else:
        cex.model_outcome = "succeeded"
        cex.confirmed_on_model = not holds_everywhere(target, post, known) and not broken_before
    if broken_before:
        cex.note = (cex.note + "; " if cex.note else "") + f"pre-state breaks {broken_before} (not realisable)"


def known_addresses(system: System, extra: list[int] = ()) -> list[Address]:
    found: set[int] = set(extra) | set(system.addrs.values())
    for c in system.world.contracts.values():
        for f in c.storage_fields():
            v = getattr(c, f.name)
            if isinstance(v, Mapping):
                for key, _ in v.items():
                    found.update(k for k in key if k < (1 << 160))
            elif isinstance(v, Address):
                found.add(v.v)
        for f in dataclasses.fields(c):
            v = getattr(c, f.name)
            if isinstance(v, Address):
                found.add(v.v)
    return [Address(a) for a in sorted(found)]


def holds_everywhere(inv: Invariant, system: System, known: list[Address]) -> bool:
    """Evaluate an invariant concretely, at every combination of known keys."""
    for combo in itertools.product(known, repeat=len(inv.keys)):
        if not inv.holds(system.clone(), *combo):
            return False
    return True


SMALL_BOUND = 1 << 96
FIRST_ATTEMPT_MS = 5_000
SMALL_VALUES_MS = 20_000


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
    r = s.check()
    if r != z3.sat:
        s.pop()
        return z3.unknown
    return r  # sat: the bounds' scope is left for the caller to pop after reading the model


def _distinct_sum(st: Any, keys: list[tuple]) -> z3.ArithRef:
    """The sum of the pre-state entries at `keys`, each key counted once even if two key terms
    turn out equal."""
    terms = []
    for i, k in enumerate(keys):
        v = z3.Select(st.initial_array, flat_key(k))
        distinct = [z3.Not(_key_eq(k, keys[j])) for j in range(i)]
        terms.append(z3.If(z3.And(*distinct), v, 0) if distinct else v)
    return z3.Sum(*terms) if terms else z3.IntVal(0)


def _key_eq(a: tuple, b: tuple) -> z3.BoolRef:
    return z3.And(*[x == y for x, y in zip(a, b)])


def _dedup(items: list[Any]) -> list[Any]:
    seen, out = set(), []
    for it in items:
        k = str(term(it))
        if k not in seen:
            seen.add(k)
            out.append(it)
    return out


def _dedup_keys(keys: list[tuple]) -> list[tuple]:
    seen, out = set(), []
    for key in keys:
        k = tuple(str(x) for x in key)
        if k not in seen:
            seen.add(k)
            out.append(key)
    return out


def _stats(s: z3.Solver) -> dict:
    st = s.statistics()
    return {k: st.get_key_value(k) for k in st.keys() if k in ("conflicts", "decisions", "max memory", "rlimit count")}


def _merge_stats(stats: list[dict]) -> dict:
    out: dict[str, float] = {}
    for d in stats:
        for k, v in d.items():
            out[k] = max(out.get(k, 0), v) if k == "max memory" else out.get(k, 0) + v
    return out
