"""EscrowBuffer.drain, proved with loop summaries.

drain has three loops (specs/bpe/escrow_buffer.py, each `while guard: state = step(state)` with the body a
method of the model): the sum of the first 32 entries in `_drainable` (`_available` / `_availableStep`),
the consume loop (`_consume` / `_consumeStep`, unbounded) and the Drained-event loop (`_emitDrained` /
`_emitDrainedStep`, up to 32 members, branching on units). Path by path they explode, so during the
symbolic run of drain each loop method is replaced by its summary: a fresh post-state constrained by
the loop invariant, the exit condition (the negated guard) and the loop's frame condition. Each summary
is proved sound by obligations of its own:

(a) entry (`LOOP-...-ENTRY/EscrowBuffer.drain`): on every success path, the loop invariant holds when
    the loop starts, from what is known at the call site only: the path condition and the definitions
    made before the call, the pre-state hypotheses (all state invariants) and the range facts of the
    pre-state - never anything the summary itself asserts;
(b) step (`LOOP-...-STEP`, a lemma): the invariant and the guard imply, after one run of the model's
    own loop body on symbolic values (not a copy), the invariant again; a path of the body that
    reverts ends the call (no post-state), so it is not a counterexample;
(c) frame (part of each STEP lemma): one iteration writes no storage but what the summary lets change
    (consume: entryAmount and entrySource in row taskTypeId only; the sum and Drained loops: nothing),
    and the consume loop emits nothing.
Exit: the summary asserts the invariant with the guard false, so invariant and exit imply the summary
by construction. This is partial correctness, which is what an invariant of successful calls needs: a
call whose loop would not terminate runs out of gas and reverts.

Loop invariants (t = taskTypeId; E0, S0 = entryAmount, entrySource when the loop starts; Q = QueueSum,
invariants/loops.py):
- sum loop (i, available), from head h0 to end:  h0 <= i <= end  and  available = Q(E, t, h0, i);
- consume loop (h, left), from h0 with amount A, T = queueTail[t] (not written by the loop):
  h0 <= h <= T, 0 <= left <= A <= Q(E0, t, h0, T),  Q(E, t, h, T) = Q(E0, t, h0, T) - (A - left),
  E = E0 with entries [h0, h) of row t set to 0 and entry h set to some x with 0 <= x <= E0[t, h],
  S = S0 with entries [h0, h) of row t set to 0 (E and S written as z3 lambdas: the frame and the
  pointwise facts need no quantifier);
- Drained loop (i): true; its frame (no storage written) is the whole summary.

Whether a summary applies is checked, not assumed: a model class that overrides a loop skeleton
(`_available`, `_consume`, `_emitDrained`) is refused (ModelBug: no summary is proved for it); a
broken loop body makes its STEP lemma VIOLATED, and then every drain obligation is reported
INCONCLUSIVE (it rests on an unsound summary), never PROVED.

`prove_drain()` returns every drain result: the Sum lemmas (invariants/loops.py), the STEP lemmas,
and the escrow-buffer prover's results for drain (each invariant, the ENTRY obligations, VACUITY).
"""

from __future__ import annotations

import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable

import z3

from specs.budget import FULL
from specs import kernel
from specs.bpe.escrow_buffer import EscrowBuffer
from specs.kernel import U128, U256, Address, Bytes32, Contract, Explorer, Msg, define, fresh
from specs.bpe.system import System
from invariants import loops
from invariants.loops import AXIOMS, ROW, at, qsum, range_sum, register_summary_array
from invariants.prover import (
    FILLER, INCONCLUSIVE, PROVED, ObligationResult, Prover, check_success_paths, symbolic_system,
)

LOOP_METHODS = ("_available", "_consume", "_emitDrained")


@dataclass
class SummaryEntry:
    """An entry obligation (a) logged by a summary during a symbolic run."""

    id: str
    goal: z3.BoolRef
    conditions: list[z3.BoolRef]
    definitions: list[z3.BoolRef]
    facts: list[z3.BoolRef] = field(default_factory=list)


def _log_entry(contract: Contract, id: str, goal: z3.BoolRef, facts: list[z3.BoolRef] = ()) -> None:
    oracle = kernel._ORACLES[-1]
    contract.world.summary_log.append(  # type: ignore[attr-defined]
        SummaryEntry(id, goal, list(oracle.conditions), list(oracle.definitions), list(facts)))


# ---------------------------------------------------------------------------------------------
# Loop invariants
# ---------------------------------------------------------------------------------------------


def consumed(t: Any, h0: Any, h: Any, x: Any, E0: Any) -> z3.ArrayRef:
    """E0 with row t's entries [h0, h) set to 0 and entry h set to x."""
    k = z3.Int("k")
    return z3.Lambda([k], z3.If(z3.And(k >= t * ROW + h0, k < t * ROW + h), 0,
                                z3.If(k == t * ROW + h, x, z3.Select(E0, k))))


def cleared(t: Any, h0: Any, h: Any, S0: Any) -> z3.ArrayRef:
    k = z3.Int("k")
    return z3.Lambda([k], z3.If(z3.And(k >= t * ROW + h0, k < t * ROW + h), 0, z3.Select(S0, k)))


@dataclass
class ConsumeGhost:
    t: Any
    h0: Any
    T: Any
    A: Any
    E0: Any
    S0: Any

    def sum0(self) -> Any:
        return qsum(self.E0, self.t, self.h0, self.T)

    def scalar(self, h: Any, left: Any, E: Any, x: Any) -> z3.BoolRef:
        g = self
        return z3.And(g.h0 <= h, h <= g.T, h < ROW, 0 <= left, left <= g.A, g.A <= g.sum0(),
                      qsum(E, g.t, h, g.T) == g.sum0() - (g.A - left), 0 <= x, x <= at(g.E0, g.t, h))

    def inv(self, h: Any, left: Any, E: Any, S: Any, x: Any) -> z3.BoolRef:
        return z3.And(self.scalar(h, left, E, x), E == consumed(self.t, self.h0, h, x, self.E0),
                      S == cleared(self.t, self.h0, h, self.S0))


# ---------------------------------------------------------------------------------------------
# Summaries (installed on the EscrowBuffer of the symbolic post-state by `summary_hook`)
# ---------------------------------------------------------------------------------------------


def available_summary(self: EscrowBuffer, taskTypeId: Bytes32, head: U256, end: U256) -> U256:
    t, h0, e = taskTypeId.v, head.v, end.v
    E = self.entryAmount.store.array
    facts: list[z3.BoolRef] = []
    start = range_sum(E, t, h0, h0, emit=facts.append)  # AX-SUM-EMPTY: Q(E, t, h0, h0) = 0
    _log_entry(self, "LOOP-AVAILABLE-ENTRY", z3.And(h0 <= e, start == 0), facts)
    available = fresh("available")
    # invariant with i = end (exit: not i < end, and i <= end)
    define(z3.And(available >= 0, available < U256.MOD, available == qsum(E, t, h0, e)))
    # what the call site needs of it: the sum up to end is at most the sum up to the tail
    # (LEMMA-SUM-003 split at end, LEMMA-SUM-004 with AX-STORAGE-UINT)
    tail = self.queueTail[taskTypeId].v
    define(loops.split(E, t, h0, e, tail))
    range_sum(E, t, e, tail)
    return U256(available)


def consume_summary(self: EscrowBuffer, taskTypeId: Bytes32, head: U256, left: U256) -> U256:
    ea, es = self.entryAmount.store, self.entrySource.store
    g = ConsumeGhost(taskTypeId.v, head.v, self.queueTail[taskTypeId].v, left.v, ea.array, es.array)
    facts: list[z3.BoolRef] = []
    range_sum(g.E0, g.t, g.h0, g.T, emit=facts.append)
    first = at(g.E0, g.t, g.h0)
    facts.append(z3.And(first >= 0, first < U256.MOD))  # AX-STORAGE-UINT at the head entry
    _log_entry(self, "LOOP-CONSUME-ENTRY", g.inv(g.h0, g.A, g.E0, g.S0, at(g.E0, g.t, g.h0)), facts)
    h, x = fresh("consume.head"), fresh("consume.x")
    E, S = consumed(g.t, g.h0, h, x, g.E0), cleared(g.t, g.h0, h, g.S0)
    define(g.scalar(h, 0, E, x))  # the invariant with left == 0 (exit)
    register_summary_array(E, g.E0, g.t)
    register_summary_array(S, g.S0, g.t)
    ea.array, es.array = E, S
    ea.touched.append((g.t, h))
    es.touched.append((g.t, h))
    return U256(h)


def emit_drained_summary(self: EscrowBuffer, taskTypeId: Bytes32, poolAddress: Address, perUnit: U256) -> None:
    _log_entry(self, "LOOP-DRAINED-ENTRY", z3.BoolVal(True))
    # invariant `true`; frame: no storage written (LOOP-DRAINED-STEP). The Drained events are not
    # modelled here: no invariant of the buffer is stated over events.


SUMMARIES = {"_available": available_summary, "_consume": consume_summary, "_emitDrained": emit_drained_summary}


def summary_hook(world: Any) -> None:
    """World hook of the drain proof: the assume-guarantee stubs, plus the summaries on every
    EscrowBuffer whose loop skeletons are the reference model's."""
    from invariants.bpe.assume_guarantee import _stub_world

    _stub_world(world)
    world.summary_log = []
    for c in world.contracts.values():
        if not isinstance(c, EscrowBuffer):
            continue
        changed = [m for m in LOOP_METHODS if getattr(type(c), m) is not getattr(EscrowBuffer, m)]
        if changed:  # a summary is only proved for the reference skeleton `while guard: step`
            raise kernel.ModelBug(f"{type(c).__name__} overrides the loop skeleton(s) {changed}: no loop summary "
                                  "applies, and the loop is unbounded for the path-by-path explorer")
        for name, fn in SUMMARIES.items():
            setattr(c, name, types.MethodType(fn, c))


# ---------------------------------------------------------------------------------------------
# STEP lemmas: one run of the model's loop body
# ---------------------------------------------------------------------------------------------


def _snapshot(system: System) -> dict[str, Any]:
    out = {}
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            out[f"{name}.{f.name}"] = v.store.array if hasattr(v, "store") else kernel.term(v)
    return out


def _frame(before: dict[str, Any], after: dict[str, Any], row_only: dict[str, Any]) -> list[z3.BoolRef]:
    """Storage unchanged, except the fields of `row_only` (field -> row), which may change in that row
    only (checked at a fresh flat key outside the row)."""
    goals = []
    for n, v0 in before.items():
        v1 = after[n]
        if not (kernel.is_sym(v0) or kernel.is_sym(v1)):
            goals.append(z3.BoolVal(v0 == v1))
        elif n in row_only:
            k = z3.Int(f"frame.{n}.k")
            r = row_only[n]
            goals.append(z3.Implies(z3.Or(k < r * ROW, k >= (r + 1) * ROW), z3.Select(v1, k) == z3.Select(v0, k)))
        else:
            goals.append(v1 == v0)
    return goals


@dataclass(frozen=True)
class LoopLemma:
    id: str
    statement: str
    build: Callable[[type], tuple[list[z3.BoolRef], Callable[[], Any]]]


def _eb_state(model: type, tag: str) -> tuple[System, EscrowBuffer, list[z3.BoolRef]]:
    from invariants.bpe.assume_guarantee import _stub_world, escrow_buffer_system

    sys0, facts = symbolic_system(escrow_buffer_system({"EscrowBuffer": model}), tag)
    sys0.world.summary_log = []
    _stub_world(sys0.world)
    return sys0, sys0.escrow_buffer, facts


def _clone(system: System) -> System:
    from invariants.bpe.assume_guarantee import _stub_world

    s1 = system.clone()
    _stub_world(s1.world)
    s1.world.summary_log = []
    return s1


def _consume_step(model: type) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    sys0, eb, facts = _eb_state(model, "consume.step")
    t = Bytes32.symbolic("consume.t")
    g = ConsumeGhost(t.v, z3.Int("consume.h0"), z3.Int("consume.T"), z3.Int("consume.A"),
                     z3.Array("consume.E0", z3.IntSort(), z3.IntSort()), z3.Array("consume.S0", z3.IntSort(), z3.IntSort()))
    h, left, x = U256.symbolic("consume.h"), U256.symbolic("consume.left"), z3.Int("consume.x")
    E, S = consumed(g.t, g.h0, h.v, x, g.E0), cleared(g.t, g.h0, h.v, g.S0)
    eb.entryAmount.store.array, eb.entrySource.store.array = E, S
    assumptions = facts + t.range_constraints() + h.range_constraints() + left.range_constraints() + [
        g.h0 >= 0, g.T < ROW, g.scalar(h.v, left.v, E, x), left.v != 0,  # invariant and guard
        loops.head_unfold(E, g.t, h.v, g.T), loops.ax_empty(E, g.t, h.v, g.T),  # LEMMA-SUM-001, AX-SUM-EMPTY
        z3.And(at(g.E0, g.t, h.v + 1) >= 0, at(g.E0, g.t, h.v + 1) < U256.MOD),  # AX-STORAGE-UINT, the next entry
    ]
    before = _snapshot(sys0)

    def body() -> Any:
        s1 = _clone(sys0)
        e1 = s1.escrow_buffer
        h1, left1 = e1._consumeStep(t, h, left)
        E1, S1 = e1.entryAmount.store.array, e1.entrySource.store.array
        x1 = z3.Select(E1, g.t * ROW + h1.v)
        sum1 = range_sum(E1, g.t, h1.v, g.T)  # with LEMMA-SUM-002 per write
        frame = _frame(before, _snapshot(s1), {"EscrowBuffer.entryAmount": g.t, "EscrowBuffer.entrySource": g.t})
        return z3.And(g.inv(h1.v, left1.v, E1, S1, x1), sum1 == qsum(E1, g.t, h1.v, g.T), *frame,
                      z3.BoolVal(not s1.world.logs))

    return assumptions, body


def _available_step(model: type) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    sys0, eb, facts = _eb_state(model, "available.step")
    t = Bytes32.symbolic("available.t")
    h0, end = z3.Int("available.h0"), z3.Int("available.end")
    i, available = U256.symbolic("available.i"), U256.symbolic("available.sum")
    E = eb.entryAmount.store.array
    assumptions = facts + t.range_constraints() + i.range_constraints() + available.range_constraints() + [
        h0 <= i.v, i.v <= end, available.v == qsum(E, t.v, h0, i.v), i.v < end,  # invariant and guard
        loops.ax_step(E, t.v, h0, i.v),  # AX-SUM-STEP
    ]
    before = _snapshot(sys0)

    def body() -> Any:
        s1 = _clone(sys0)
        e1 = s1.escrow_buffer
        available1, i1 = e1._availableStep(t, available, i)
        frame = _frame(before, _snapshot(s1), {})
        return z3.And(h0 <= i1.v, i1.v <= end, available1.v == qsum(e1.entryAmount.store.array, t.v, h0, i1.v), *frame,
                      z3.BoolVal(not s1.world.logs))

    return assumptions, body


def _drained_step(model: type) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    sys0, eb, facts = _eb_state(model, "drained.step")
    t, pool, perUnit, i = (Bytes32.symbolic("drained.t"), Address.symbolic("drained.pool"),
                           U256.symbolic("drained.perUnit"), U256.symbolic("drained.i"))
    count = sys0.backpressure_pool.memberCount[t]
    assumptions = facts + t.range_constraints() + pool.range_constraints() + perUnit.range_constraints() + \
        i.range_constraints() + [i.v < count.v]  # guard (invariant: true)
    before = _snapshot(sys0)

    def body() -> Any:
        s1 = _clone(sys0)
        s1.escrow_buffer._emitDrainedStep(t, pool, perUnit, i)
        return z3.And(*_frame(before, _snapshot(s1), {}))

    return assumptions, body


LOOP_LEMMAS = (
    LoopLemma("LOOP-AVAILABLE-STEP", "Lemma: one iteration of _drainable's sum loop (EscrowBuffer._availableStep) "
              "keeps h0 <= i <= end and available = QueueSum(entryAmount, t, h0, i), writes no storage and emits "
              "nothing.", _available_step),
    LoopLemma("LOOP-CONSUME-STEP", "Lemma: one iteration of drain's consume loop (EscrowBuffer._consumeStep) keeps "
              "the consume invariant (head within [h0, tail], QueueSum(entryAmount, t, head, tail) = "
              "QueueSum at entry - (amount - left), entries [h0, head) of row t zero and entry head not grown) and "
              "writes entryAmount/entrySource in row t only, nothing else, no event.", _consume_step),
    LoopLemma("LOOP-DRAINED-STEP", "Lemma: one iteration of drain's Drained-event loop (EscrowBuffer._emitDrainedStep) "
              "writes no storage of any contract of the system (events only).", _drained_step),
)


def prove_loop_lemma(lemma: LoopLemma, model: type = EscrowBuffer, *, rlimit: int = FULL) -> ObligationResult:
    """Every non-reverting feasible path of one iteration satisfies the goal; the assumptions are
    satisfiable with some path (not vacuous). A reverting iteration reverts the call: not a
    counterexample."""
    t0 = time.perf_counter()
    assumptions, body = lemma.build(model)
    explorer = Explorer(assumptions, rlimit=rlimit)
    paths = explorer.explore(body)
    details = {"paths": len(paths), "reverting_paths": sum(not p.ok for p in paths), "axioms": AXIOMS,
               "model": model.__name__}
    chk = check_success_paths(assumptions, paths, rlimit)
    if chk.model is not None:
        details["counterexample"] = {str(d): str(chk.model[d]) for d in chk.model.decls() if d.arity() == 0}
        details["message"] = "one iteration of the loop body breaks the loop invariant or its frame"
    elif chk.vacuous:
        details["message"] = "VACUOUS: invariant and guard are unsatisfiable with every path of the body"
        details["vacuous"] = True
    elif chk.message:
        details["message"] = chk.message
    details["solver_stats"] = chk.stats
    return ObligationResult(lemma.id, "lemma", "EscrowBuffer", chk.status, time.perf_counter() - t0, lemma.statement,
                            details)


# ---------------------------------------------------------------------------------------------
# Counterexamples: small queues, a pool with the stub's total units
# ---------------------------------------------------------------------------------------------

SMALL_QUEUE = 4


@dataclass
class FixedPool(Contract):
    """A SuperfluidPool for concrete replays: the total units the stub returned on the path, no member
    units (the Drained loop, summarised, read none)."""

    totalUnits: int = 0

    def getTotalUnits(self, msg: Msg) -> U128:
        return U128(self.totalUnits)

    def getUnits(self, msg: Msg, member: Address) -> U128:
        return U128(0)


def _task_keys(touched: dict[str, list[tuple]]) -> list[Any]:
    keys: list[Any] = []
    for n in ("EscrowBuffer.queueHead", "EscrowBuffer.queueTail", "EscrowBuffer.levels"):
        for k in touched.get(n, []):
            if not any(z3.eq(k[0], j) if kernel.is_sym(k[0]) and kernel.is_sym(j) else k[0] is j for j in keys):
                keys.append(k[0])
    return keys


def cex_preferences(pre: System, touched: dict[str, list[tuple]], s: z3.Solver) -> list[z3.BoolRef]:
    """Prefer queues of at most SMALL_QUEUE entries (pre-state rows the path touched), and unroll every
    QueueSum of the query over a range that short (AX-SUM-EMPTY/STEP instances: true facts), so that
    the concrete pre-state can hold the queue entry by entry and the model's sums are the real ones."""
    eb = pre.escrow_buffer
    E = eb.entryAmount.store.initial_array
    out = []
    for t in _task_keys(touched):
        h = z3.Select(eb.queueHead.store.initial_array, t)
        tail = z3.Select(eb.queueTail.store.initial_array, t)
        out += [tail - h <= SMALL_QUEUE, tail >= h]
        out += [z3.And(e >= 0, e < U256.MOD) for e in (at(E, t, h + j) for j in range(SMALL_QUEUE))]
    apps: dict[int, Any] = {}
    todo, seen = list(s.assertions()), set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_app(e) and e.decl() == loops.QUEUE_SUM:
            apps[e.get_id()] = e
        todo.extend(e.children())
    for app in apps.values():
        a, r, lo, hi = (app.arg(i) for i in range(4))
        unrolled = z3.Sum(*[z3.If(lo + j < hi, at(a, r, lo + j), 0) for j in range(SMALL_QUEUE)])
        out.append(z3.Implies(z3.And(lo <= hi, hi - lo <= SMALL_QUEUE), app == unrolled))
    return out


def cex_concretize(ev: Callable[[Any], Any], concrete: System, pre: System, s: z3.Solver,
                   touched: dict[str, list[tuple]]) -> list[str]:
    """Fill the queue entries [head, tail) of every task type the path touched (short queues only) and
    deploy a FixedPool at each pool address with the total units the stub returned."""
    notes = []
    eb, ceb = pre.escrow_buffer, concrete.escrow_buffer
    E = eb.entryAmount.store.initial_array
    for t in _task_keys(touched):
        tv = ev(t)
        h, tail = ceb.queueHead[Bytes32(tv)].v, ceb.queueTail[Bytes32(tv)].v
        if 0 <= tail - h <= SMALL_QUEUE:
            for i in range(h, tail):
                ceb.entryAmount.store.set((tv, i), ev(z3.Select(E, tv * ROW + i)))
        else:
            notes.append(f"queue of task type {tv:#x} too long to write out ({tail - h} entries)")
    rest = ceb.levels.store.get((FILLER,))
    if rest > 0 and ceb.queueTail[Bytes32(FILLER)].v == 0:  # the level that holds the rest of the sum of
        ceb.queueTail[Bytes32(FILLER)] = U256(1)            # levels gets the one queue entry it counts
        ceb.entryAmount.store.set((FILLER, 0), rest)
        notes.append(f"task type {FILLER:#x}: one queued entry of {rest} behind its level")
    units = {}
    todo, seen = list(s.assertions()), set()
    while todo:
        e = todo.pop()
        if e.get_id() in seen:
            continue
        seen.add(e.get_id())
        if z3.is_const(e) and str(e).startswith("pool.totalUnits!"):
            units[str(e)] = ev(e)
        todo.extend(e.children())
    bp = concrete.backpressure_pool
    for t in _task_keys(touched):
        pool = bp.pools[Bytes32(ev(t))].v
        if pool and pool not in concrete.world.contracts and units:
            concrete.world.deploy(pool, FixedPool(totalUnits=max(units.values())))
            notes.append(f"pool {pool:#x}: a FixedPool with the stub's total units {max(units.values())}")
    return notes


# ---------------------------------------------------------------------------------------------
# The drain proof
# ---------------------------------------------------------------------------------------------


DRAIN_ENVIRONMENT = ("loop summaries of _available, _consume, _emitDrained (invariants/bpe/drain.py), sound by the "
                     "LOOP-*-ENTRY obligations and the LOOP-*-STEP lemmas")


class EscrowBufferProver(Prover):
    """The escrow-buffer prover (assume-guarantee stubs, invariants/bpe/assume_guarantee.py) with drain's loop
    summaries installed. When drain is among the transitions run, `run` first proves the Sum lemmas and
    the loop STEP lemmas (against the system's EscrowBuffer model class), and a drain result that rests
    on a lemma not PROVED is INCONCLUSIVE, never PROVED."""

    def __init__(self, system: System, *, environment: list[str], rlimit: int = FULL):
        super().__init__(system, environment=environment, rlimit=rlimit, task_weights={"drain": 4})
        self.world_hook = summary_hook
        self.cex_preferences = cex_preferences
        self.cex_concretize = cex_concretize

    def lemma_results(self) -> list[ObligationResult]:
        model = self.system.models["EscrowBuffer"]
        out = [self.prove_lemma(lm) for lm in loops.SUM_LEMMAS]
        for r in out:
            r.details["axioms"] = AXIOMS[:2]
        out += [prove_loop_lemma(lm, model, rlimit=self.rlimit) for lm in LOOP_LEMMAS]
        return out

    def run(self, *, only: Callable[[Any], bool] | None = None, lemmas: tuple = (),
            jobs: int = 1) -> list[ObligationResult]:
        drain = any(k == "transition" and w.function == "drain" for k, w in self.tasks(only=only))
        out = self.lemma_results() if drain else []
        bad = {r.id: r.status for r in out if r.status != PROVED}
        results = super().run(only=only, lemmas=lemmas, jobs=jobs)
        for r in results:
            if r.details.get("transition") != "EscrowBuffer.drain" and not r.id.endswith("/EscrowBuffer.drain"):
                continue
            r.details["environment"] = list(r.details.get("environment", [])) + [DRAIN_ENVIRONMENT]
            r.details["depends_on_lemmas"] = [x.id for x in out]
            if bad and r.status == PROVED and r.kind != "vacuity":
                r.status = INCONCLUSIVE
                r.details["message"] = f"rests on lemmas that are not proved: {bad}"
        return out + results


def drain_prover(overrides: dict[str, type] | None = None, *, rlimit: int = FULL) -> Prover:
    """The escrow-buffer prover restricted to EscrowBuffer.drain."""
    from invariants.bpe.assume_guarantee import escrow_buffer_prover

    return escrow_buffer_prover(overrides, rlimit=rlimit, transitions=("drain",))


def prove_drain(overrides: dict[str, type] | None = None, *, rlimit: int = FULL) -> list[ObligationResult]:
    """Every obligation of EscrowBuffer.drain: the Sum lemmas, the loop STEP lemmas, each invariant across
    drain, the ENTRY obligations and VACUITY/EscrowBuffer.drain (the init obligations are the
    escrow-buffer prover's)."""
    return [r for r in drain_prover(overrides, rlimit=rlimit).run() if not r.id.endswith("/init")]
