"""BPE-BUFFER-003 across Pipeline.deposit and Pipeline.drain (the last EscrowBuffer piece of the proofs), and the
Pipeline state invariant it needs.

    from invariants.bpe.pipeline import prove_pipeline
    results = prove_pipeline(jobs=1, rlimit=FULL)   # list[ObligationResult]

One Pipeline transaction makes one EscrowBuffer call per stage (deposit: stages n-1..0, each nonzero share;
drain: stages n-1..0, each with something drainable). Each EscrowBuffer call keeps BPE-BUFFER-003 (proved:
invariants/bpe/assume_guarantee.py, invariants/bpe/drain.py), but across the whole transaction "tail moves by at
most one" and "nothing drained twice" need each task type's queue touched by at most one call: a stored
pipeline's stages are distinct task types.

State invariant (proved inductive over Pipeline's transitions here):
  BPE-PIPE-001  for every pipeline id p: stageCount[p] <= MAX_STAGES (8), and stageAt[p][j] != stageAt[p][j2]
                for j < j2 < stageCount[p].
  createPipeline (lists of every length: 0..8 run symbolically, and 9 standing for every length above 8, which
  reverts at the length check before anything else is read) - LEMMA-PIPE-CREATE; deposit and drain write no
  Pipeline storage (LEMMA-PIPE-*-LOOP outside the loop bodies, LEMMA-PIPE-*-STEP inside them).

BPE-BUFFER-003 across Pipeline.deposit / Pipeline.drain, per element (a fresh task type t and index k), by
induction over the stage loop (the method of invariants/bpe/rebalance.py). The loop bodies are model methods
(specs/bpe/pipeline.py): `_depositStage(p, i, share)` and `_drainStage(p, j) -> bool`.
- LEMMA-PIPE-DEP-LOOP / LEMMA-PIPE-DRAIN-LOOP run the model's deposit / drain with the body recorded (not
  run): on every success path the body is called exactly for the stage indices n-1, n-2, ..., 0 in that
  order (n = stageCount[p] <= 8 by BPE-PIPE-001), and nothing else writes any storage of the system (the
  token calls are the stubs of invariants/bpe/assume_guarantee.py). This is the premise of the loop rule.
- Loop invariant J(j) before the iteration of stage index j (indices > j done), with w the index of t among
  the pipeline's stages (w = n if t is no stage; unique by BPE-PIPE-001):
      w <= j  ->  queueHead[t], queueTail[t], entryAmount[t][k] as before the transaction   (t not reached)
      w >  j  ->  BPE-BUFFER-003(before the transaction, now) at (t, k)                       (t done)
  LEMMA-PIPE-LOOP-ENTRY: J(n-1) holds at the transaction's start (from BPE-BUFFER-004 there).
  LEMMA-PIPE-DEP-STEP / LEMMA-PIPE-DRAIN-STEP (consecution): J(j) -> J(j-1) across one run of the model's
  body on an arbitrary state, assuming BPE-PIPE-001 at (p, j, w) and (p, w, j) and, when w = n, that stage j
  is not t (the instance at j of "t is no stage"); the body writes no Pipeline storage.
  LEMMA-PIPE-LOOP-EXIT: J(-1) is BPE-BUFFER-003 over the whole transaction.
- In the STEP lemmas the EscrowBuffer is an assume-guarantee stub (`EscrowBufferAG`): a deposit/drain call
  reverts or havocs EscrowBuffer storage within the guarantees of the *proved* single-call obligations,
  evaluated with the registered predicates themselves (no copy): BPE-BUFFER-003 at (t, k) and
  BPE-BUFFER-ROW-001 at (t, k) (a call for task type s changes no row t != s). Both are proved here by the
  escrow-buffer prover across EscrowBuffer.deposit and EscrowBuffer.drain (any sender, the Pipeline among
  them; drain with its loop summaries), together with every state invariant of the escrow system, so every
  intermediate state of the transaction satisfies the hypotheses of those single-call proofs.
  `drainable` is a view called with STATICCALL (IEscrowBufferForPipeline): it writes nothing.

A result rests on every lemma and escrow obligation it names in details["depends_on_results"]; it is PROVED
only if all of them are, VIOLATED if one is VIOLATED, otherwise INCONCLUSIVE.
"""

from __future__ import annotations

import time
import types
from dataclasses import dataclass
from typing import Any, Callable

import z3

from specs.budget import FULL
from specs.bpe.escrow_buffer import EscrowBuffer
from specs.kernel import (
    U256, Address, Bool, Bytes32, Error, Explorer, Int, Msg, Revert, SolidityError, define, fresh, is_sym, term,
)
from specs.bpe.pipeline import MAX_STAGES, Pipeline
from specs.bpe.suite import SUITE
from specs.bpe.system import GOVERNANCE, SUPERFLUID, System, addresses
import invariants.bpe.escrow_buffer  # noqa: F401  (registers BPE-BUFFER-001..004)
from invariants.bpe.escrow_buffer import fifo_nothing_twice
from invariants.bpe.proofs import ENVIRONMENT
from invariants.prover import (
    INCONCLUSIVE, PROVED, VIOLATED, Counterexample, ObligationResult, Prover, check_success_paths,
    evaluate, evaluate_fn, replay_on_model, symbolic_system,
)
from invariants.registry import REGISTRY, STEP_REGISTRY, Call, Invariant, StepInvariant

MAX_LEN = 9  # list lengths run: 0..8, and 9 for every length above MAX_STAGES (reverts at the length check)
U256_MOD = 1 << 256

GUARANTEES = [
    "assume-guarantee (STEP lemmas): an EscrowBuffer.deposit/drain call from the Pipeline reverts or leaves a state "
    "satisfying BPE-BUFFER-003 and BPE-BUFFER-ROW-001 with the state before it (both proved here across "
    "EscrowBuffer.deposit/drain, any sender, from the escrow system's state invariants, which every EscrowBuffer call "
    "keeps: proved here too)",
    "EscrowBuffer.drainable is declared view in IEscrowBufferForPipeline: a STATICCALL, it writes nothing",
    "SuperToken.transferFrom/approve (stubs of invariants/bpe/assume_guarantee.py) write no storage of the suite and "
    "call back into no suite contract; approve returns true (a false or reverting approve reverts the deposit)",
]
METHOD = ("per element (fresh task type t, index k), by induction over the stage loop: the loop bodies _depositStage / "
          "_drainStage run symbolically (LEMMA-PIPE-*-STEP, consecution of J), the loop's shape checked on the model "
          "(LEMMA-PIPE-*-LOOP: body called for stages n-1..0, nothing else written), entry and exit "
          "(LEMMA-PIPE-LOOP-ENTRY/EXIT); stages distinct by BPE-PIPE-001 (proved inductive)")


# ---------------------------------------------------------------------------------------------
# The invariants
# ---------------------------------------------------------------------------------------------


def stages_distinct(s, pipelineId: U256, j: U256, j2: U256):  # type: ignore[no-untyped-def]
    pl = s.pipeline
    n = Int(pl.stageCount[pipelineId])
    if n > Int(MAX_STAGES):
        return False
    if Int(j) < Int(j2) and Int(j2) < n and pl.stageAt[pipelineId][j] == pl.stageAt[pipelineId][j2]:
        return False
    return True


PIPE_001 = Invariant(
    "BPE-PIPE-001", "Pipeline",
    "Invariant: every pipeline has at most MAX_STAGES (8) stages, all distinct task types: stageCount[p] <= 8 and "
    "stageAt[p][j] != stageAt[p][j2] for j < j2 < stageCount[p].",
    "Strengthening for BPE-BUFFER-003 across Pipeline.deposit/drain: each task type's queue is touched by at most one "
    "EscrowBuffer call of the transaction (PROTOCOL.md section 9: a pipeline is a chain of distinct task types).",
    "A pipeline listing a task type twice appends two entries to one queue in one deposit (its source pays twice "
    "into one stage) and drains one queue twice in one transaction.",
    stages_distinct, (("pipelineId", U256), ("j", U256), ("j2", U256)), strengthening=True)


def rows_untouched(pre, post, call: Call, taskTypeId: Bytes32, index: U256):  # type: ignore[no-untyped-def]
    s = call.args.get("taskTypeId")
    if call.contract != "EscrowBuffer" or s is None:
        return True
    if s == taskTypeId:
        return True
    e0, e1 = pre.escrow_buffer, post.escrow_buffer
    for m in ("levels", "maxima", "unitPrice", "lastDrain", "queueHead", "queueTail"):
        if Int(getattr(e0, m)[taskTypeId]) != Int(getattr(e1, m)[taskTypeId]):
            return False
    if Int(e0.entryAmount[taskTypeId][index]) != Int(e1.entryAmount[taskTypeId][index]):
        return False
    return e0.entrySource[taskTypeId][index] == e1.entrySource[taskTypeId][index]


ROW_001 = StepInvariant(
    "BPE-BUFFER-ROW-001", "EscrowBuffer",
    "Invariant: an EscrowBuffer call for task type s changes no row of another task type t != s (levels, maxima, "
    "unitPrice, lastDrain, queueHead, queueTail, entrySource[t][i], entryAmount[t][i] as before).",
    "The frame of one EscrowBuffer call: what makes the calls of one Pipeline transaction on distinct task types "
    "independent (BPE-BUFFER-003 across Pipeline.deposit/drain).",
    "A call that writes another task type's queue moves money between task types or breaks that queue's FIFO "
    "order behind its back.",
    rows_untouched, (("taskTypeId", Bytes32), ("index", U256)), strengthening=True)


def _row_equal(pre, cur, t, k) -> bool:  # type: ignore[no-untyped-def]
    e0, e1 = pre.escrow_buffer, cur.escrow_buffer
    return (Int(e0.queueHead[t]) == Int(e1.queueHead[t]) and Int(e0.queueTail[t]) == Int(e1.queueTail[t])
            and Int(e0.entryAmount[t][k]) == Int(e1.entryAmount[t][k]))


def loop_invariant(pre, cur, call: Call, t: Bytes32, k: U256, w: Int, j: Int) -> bool:  # type: ignore[no-untyped-def]
    """J(j): before the iteration of stage index j of a Pipeline transaction (indices above j done); w is the
    index of t among the stages (stageCount if none)."""
    if w <= j:
        return _row_equal(pre, cur, t, k)
    return fifo_nothing_twice(pre, cur, call, t, k)


# ---------------------------------------------------------------------------------------------
# Systems: the escrow system of invariants/bpe/assume_guarantee.py plus the Pipeline
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Excluded(SolidityError):
    """A path the assume-guarantee stub's guarantee excludes (not a behaviour of the proved callee)."""


_KEYS: list[tuple[Any, Any]] = []  # the fresh (t, k) of the obligation being proved


def _choice(name: str) -> bool:
    from invariants.bpe.assume_guarantee import _choice as ag_choice

    return ag_choice(name)


class EscrowBufferAG(EscrowBuffer):
    """EscrowBuffer as seen by the Pipeline in the STEP lemmas: deposit/drain revert or havoc the buffer's
    storage within the proved guarantees BPE-BUFFER-003 and BPE-BUFFER-ROW-001, instantiated at the fresh keys
    (t, k) of the obligation (instances of universally proved statements); drainable returns any uint256."""

    def deposit(self, msg: Msg, taskTypeId: Bytes32, amount: U256) -> None:  # type: ignore[override]
        self._proved_call("deposit", msg, {"taskTypeId": taskTypeId, "amount": amount})

    def drain(self, msg: Msg, taskTypeId: Bytes32) -> None:  # type: ignore[override]
        self._proved_call("drain", msg, {"taskTypeId": taskTypeId})

    def drainable(self, msg: Msg, taskTypeId: Bytes32) -> U256:  # type: ignore[override]
        v = fresh("EscrowBuffer.drainable")
        define(z3.And(v >= 0, v < U256_MOD))
        return U256(v)

    def _proved_call(self, fn: str, msg: Msg, args: dict) -> None:
        if not _choice(f"EscrowBuffer.{fn}.ok"):
            raise Revert(Error(f"EscrowBuffer.{fn} reverted (stub)"))
        before = self.clone()
        for f in self.storage_fields():
            m = getattr(self, f.name)
            setattr(self, f.name, m.symbolize(str(fresh(f"EscrowBuffer.{fn}.{f.name}"))))
        t, k = _KEYS[-1]
        eb = self
        for m in (eb.queueHead, eb.queueTail):
            v = m[t].v
            define(z3.And(v >= 0, v < U256_MOD))
        v = eb.entryAmount[t][k].v
        define(z3.And(v >= 0, v < U256_MOD))
        call = Call("EscrowBuffer", fn, msg.sender, args)
        a, b = types.SimpleNamespace(escrow_buffer=before), types.SimpleNamespace(escrow_buffer=eb)
        if not (rows_untouched(a, b, call, t, k) and fifo_nothing_twice(a, b, call, t, k)):
            raise Revert(Excluded())


def pipeline_system(overrides: dict[str, type] | None = None, *, escrow_ag: bool = False) -> System:
    """BackpressurePool and EscrowBuffer (the model, or `EscrowBufferAG`) with the Superfluid stubs
    (invariants/bpe/assume_guarantee.py), and the Pipeline model at its suite address."""
    from invariants.bpe.assume_guarantee import escrow_buffer_system

    overrides = dict(overrides or {})
    if escrow_ag:  # the stub (tests may swap it for a variant: the key "EscrowBufferAG")
        overrides["EscrowBuffer"] = overrides.get("EscrowBufferAG", EscrowBufferAG)
    system = escrow_buffer_system({k: v for k, v in overrides.items() if k in ("BackpressurePool", "EscrowBuffer")})
    addrs = addresses()
    pl_cls = overrides.get("Pipeline", Pipeline)
    system.world.deploy(addrs["Pipeline"], pl_cls.construct(Address(addrs["EscrowBuffer"]),
                                                            Address(SUPERFLUID["SuperToken"]), Address(GOVERNANCE)))
    return System(system.world, {**system.addrs, "Pipeline": addrs["Pipeline"]},
                  {**system.models, "Pipeline": pl_cls}, system.externals)


def _rng(*xs: Any) -> list[z3.BoolRef]:
    return [z3.And(x >= 0, x < U256_MOD) for x in (term(v) for v in xs) if is_sym(x)]


def _pipeline_arrays(system: System) -> dict[str, Any]:
    c = system.pipeline
    return {f.name: (getattr(c, f.name).store.array if hasattr(getattr(c, f.name), "store") else term(getattr(c, f.name)))
            for f in c.storage_fields()}


def _all_arrays(system: System) -> dict[str, Any]:
    out = {}
    for name, addr in system.addrs.items():
        c = system.world.contracts[addr]
        for f in c.storage_fields():
            v = getattr(c, f.name)
            out[f"{name}.{f.name}"] = v.store.array if hasattr(v, "store") else term(v)
    return out


def _unchanged(before: dict[str, Any], after: dict[str, Any]) -> list[z3.BoolRef]:
    out = []
    for n, v0 in before.items():
        v1 = after[n]
        out.append(v0 == v1 if (is_sym(v0) or is_sym(v1)) else z3.BoolVal(v0 == v1))
    return out


def _goal(*parts: Any) -> z3.BoolRef:
    return z3.And(*[z3.BoolVal(bool(p)) if isinstance(p, (bool, Bool)) and not is_sym(term(p)) else p for p in parts])


# ---------------------------------------------------------------------------------------------
# Lemmas: every feasible success path of a model run satisfies the goal
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PipelineLemma:
    id: str
    statement: str
    build: Callable[[dict], tuple[list[z3.BoolRef], Callable[[], Any]]]
    contract: str = "Pipeline"


def prove_pipeline_lemma(lemma: PipelineLemma, overrides: dict[str, type] | None = None, *,
                         rlimit: int = FULL) -> ObligationResult:
    """Every non-reverting feasible path satisfies the goal, and the assumptions are satisfiable with some
    such path (not vacuous). A reverting path reverts the transaction (or is excluded by a stub's
    guarantee): not a counterexample."""
    t0 = time.perf_counter()
    assumptions, body = lemma.build(dict(overrides or {}))
    explorer = Explorer(assumptions, rlimit=rlimit)
    paths = explorer.explore(body)
    ok = [p for p in paths if p.ok]
    details = {"paths": len(paths), "success_paths": len(ok)}
    chk = check_success_paths(assumptions, paths, rlimit)
    status, model = chk.status, chk.model
    if model is not None:
        details["counterexample"] = {str(d): str(model[d]) for d in model.decls() if d.arity() == 0}
        details["message"] = "a success path of the model run breaks the goal"
    elif chk.message:
        details["message"] = chk.message
    details["satisfiable"] = chk.satisfiable == z3.sat
    if chk.vacuous:
        details["vacuous"] = True
    details["solver_stats"] = chk.stats
    details["environment"] = ENVIRONMENT + GUARANTEES
    res = ObligationResult(lemma.id, "lemma", lemma.contract, status, time.perf_counter() - t0, lemma.statement,
                           details)
    res.details["_model"] = model
    return res


def _sym_state(overrides: dict, tag: str, *, escrow_ag: bool = True) -> tuple[System, list[z3.BoolRef]]:
    return symbolic_system(pipeline_system(overrides, escrow_ag=escrow_ag), tag)


def _inv_at(inv: Invariant, system: System, keys: tuple, counter: list[int]) -> list[z3.BoolRef]:
    ev = evaluate(inv, system, keys, counter)
    return ev.definitions + [ev.formula]


def _escrow_invariants(system: System, t: Bytes32, k: U256, counter: list[int]) -> list[z3.BoolRef]:
    """The registered state invariants of EscrowBuffer (BPE-BUFFER-002, BPE-BUFFER-004) at (t) and (t, k)."""
    out: list[z3.BoolRef] = []
    keys = {"taskTypeId": t, "index": k}
    for inv in REGISTRY.for_contracts({"EscrowBuffer"}):
        if inv.proof == "inductive":
            out += _inv_at(inv, system, tuple(keys[kn] for kn, _ in inv.keys), counter)
    return out


def _create(overrides: dict) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    """BPE-PIPE-001 across createPipeline, any sender, lists of length 0..MAX_LEN each."""
    from invariants.bpe.assume_guarantee import _stub_world

    pre, facts = _sym_state(overrides, "create", escrow_ag=False)
    counter = [0]
    sender = Address.symbolic("create.sender")
    p, j, j2 = (U256.symbolic(f"create.{n}") for n in ("p", "j", "j2"))
    stages = [Bytes32.symbolic(f"create.stage{i}") for i in range(MAX_LEN)]
    weights = [U256.symbolic(f"create.weight{i}") for i in range(MAX_LEN)]
    ls, lw = z3.Int("create.len_stages"), z3.Int("create.len_weights")
    assumptions = facts + _rng(sender, p, j, j2, *stages, *weights) + [
        sender.v != 0, ls >= 0, ls <= MAX_LEN, lw >= 0, lw <= MAX_LEN,
        *[sender.v != a for a in pre.addrs.values()],
        *_inv_at(PIPE_001, pre, (p, j, j2), counter),
        *_rng(pre.pipeline.stageCount[p], pre.pipeline.stageAt[p][j], pre.pipeline.stageAt[p][j2]),
    ]

    def body() -> Any:
        n_s = next(L for L in range(MAX_LEN + 1) if L == MAX_LEN or bool(Bool(ls == L)))
        n_w = next(L for L in range(MAX_LEN + 1) if L == MAX_LEN or bool(Bool(lw == L)))
        post = pre.clone()
        _stub_world(post.world)
        post.pipeline.createPipeline(Msg(sender), stages[:n_s], weights[:n_w])
        return _goal(stages_distinct(post, p, j, j2))

    return assumptions, body


def _loop(fn: str) -> Callable[[dict], tuple[list[z3.BoolRef], Callable[[], Any]]]:
    """Pipeline.deposit / drain with the loop body recorded: called for stage indices n-1..0 in order, and
    nothing else writes storage."""

    def build(overrides: dict) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
        from invariants.bpe.assume_guarantee import _stub_world

        pre, facts = _sym_state(overrides, f"{fn}.loop")
        counter = [0]
        sender, p, amount = Address.symbolic(f"{fn}.sender"), U256.symbolic(f"{fn}.p"), U256.symbolic(f"{fn}.amount")
        n = pre.pipeline.stageCount[p]
        assumptions = facts + _rng(sender, p, amount, n) + [
            sender.v != 0, *[sender.v != a for a in pre.addrs.values()],
            *_inv_at(PIPE_001, pre, (p, U256(0), U256(0)), counter),  # stageCount[p] <= 8
        ]
        before = _all_arrays(pre)

        def body() -> Any:
            post = pre.clone()
            _stub_world(post.world)
            pl = post.pipeline
            calls: list[tuple] = []
            if fn == "deposit":
                pl._depositStage = lambda pid, i, share: calls.append((pid, i))  # type: ignore[method-assign]
                pl.deposit(Msg(sender), p, amount)
            else:
                def rec(pid: U256, j: U256) -> Bool:
                    calls.append((pid, j))
                    return Bool(z3.Bool(f"drain.loop.drained{len(calls)}"))
                pl._drainStage = rec  # type: ignore[method-assign]
                pl.drain(Msg(sender), p)
            order = [z3.And(term(pid) == p.v, term(i) == n.v - 1 - m) for m, (pid, i) in enumerate(calls)]
            return z3.And(n.v == len(calls), *order, *_unchanged(before, _all_arrays(post)))

        return assumptions, body

    return build


def _step(fn: str) -> Callable[[dict], tuple[list[z3.BoolRef], Callable[[], Any]]]:
    """Consecution of J across one run of the loop body (`_depositStage` or `_drainStage`)."""

    def build(overrides: dict) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
        tx, facts0 = _sym_state(overrides, f"{fn}.step.tx")  # the state when the transaction started
        cur, facts1 = _sym_state(overrides, f"{fn}.step.cur")  # before this iteration
        counter = [0]
        sender = Address.symbolic(f"{fn}.step.sender")
        p, j, share, w = (U256.symbolic(f"{fn}.step.{n}") for n in ("p", "j", "share", "w"))
        t, k = Bytes32.symbolic(f"{fn}.step.t"), U256.symbolic(f"{fn}.step.k")
        call = Call("Pipeline", fn, sender, {"pipelineId": p})
        pl = cur.pipeline
        n = pl.stageCount[p]
        jw = (p, j, w), (p, w, j)
        ev = evaluate_fn(lambda a, b: loop_invariant(a, b, call, t, k, Int(w), Int(j)), (tx, cur), counter)
        assumptions = facts0 + facts1 + _rng(sender, p, j, share, w, t, k, n, pl.stageAt[p][j], pl.stageAt[p][w]) + [
            j.v < n.v, w.v <= n.v,
            z3.Or(z3.And(w.v < n.v, pl.stageAt[p][w].v == t.v), z3.And(w.v == n.v, pl.stageAt[p][j].v != t.v)),
            *_inv_at(PIPE_001, cur, jw[0], counter), *_inv_at(PIPE_001, cur, jw[1], counter),
            *ev.definitions, ev.formula,
        ]
        for s, tag in ((tx, "tx"), (cur, "cur")):
            e = s.escrow_buffer
            assumptions += _rng(e.queueHead[t], e.queueTail[t], e.entryAmount[t][k])
        assumptions += _escrow_invariants(tx, t, k, counter)  # at the transaction's start
        before = _pipeline_arrays(cur)

        def body() -> Any:
            _KEYS.append((t, k))
            try:
                post = cur.clone()
                if fn == "deposit":
                    post.pipeline._depositStage(p, j, share)
                else:
                    post.pipeline._drainStage(p, j)
                after = loop_invariant(tx, post, call, t, k, Int(w), Int(j) - 1)
                return z3.And(z3.BoolVal(bool(after)), *_unchanged(before, _pipeline_arrays(post)))
            finally:
                _KEYS.pop()

        return assumptions, body

    return build


def _entry_exit(which: str) -> Callable[[dict], tuple[list[z3.BoolRef], Callable[[], Any]]]:
    def build(overrides: dict) -> tuple[list[z3.BoolRef], Callable[[], Any]]:
        tx, facts0 = _sym_state(overrides, f"{which}.tx")
        post, facts1 = _sym_state(overrides, f"{which}.post")
        counter = [0]
        sender, p, n, w = (Address.symbolic(f"{which}.sender"), U256.symbolic(f"{which}.p"),
                           U256.symbolic(f"{which}.n"), U256.symbolic(f"{which}.w"))
        t, k = Bytes32.symbolic(f"{which}.t"), U256.symbolic(f"{which}.k")
        assumptions = facts0 + facts1 + _rng(sender, p, n, w, t, k) + [n.v >= 1, w.v <= n.v]
        for s in (tx, post):
            e = s.escrow_buffer
            assumptions += _rng(e.queueHead[t], e.queueTail[t], e.entryAmount[t][k])
        if which == "entry":  # the state invariants at the transaction's start, at (t) and (t, k)
            assumptions += _escrow_invariants(tx, t, k, counter)

        def body() -> Any:
            goals = []
            for fn in ("deposit", "drain"):
                call = Call("Pipeline", fn, sender, {"pipelineId": p})
                if which == "entry":
                    goals.append(bool(loop_invariant(tx, tx.clone(), call, t, k, Int(w), Int(n) - 1)))
                else:
                    goals.append(not loop_invariant(tx, post, call, t, k, Int(w), Int(-1))
                                 or bool(fifo_nothing_twice(tx, post, call, t, k)))
            return z3.BoolVal(all(goals))

        return assumptions, body

    return build


LEMMAS = (
    PipelineLemma("LEMMA-PIPE-CREATE", "Lemma: createPipeline (any sender, stage and weight lists of every length) "
                  "keeps BPE-PIPE-001 at a fresh (pipelineId, j, j2).", _create),
    PipelineLemma("LEMMA-PIPE-DEP-LOOP", "Lemma: Pipeline.deposit calls its loop body _depositStage(p, i, share) for "
                  "i = n-1, n-2, ..., 0 in that order (n = stageCount[p], at most 8 by BPE-PIPE-001) and writes no "
                  "storage of the system outside it.", _loop("deposit")),
    PipelineLemma("LEMMA-PIPE-DRAIN-LOOP", "Lemma: Pipeline.drain calls its loop body _drainStage(p, j) for "
                  "j = n-1, ..., 0 in that order (n = stageCount[p] <= 8) and writes no storage of the system "
                  "outside it.", _loop("drain")),
    PipelineLemma("LEMMA-PIPE-LOOP-ENTRY", "Lemma: the loop invariant J(n-1) holds at the start of a Pipeline "
                  "deposit or drain (the state invariants of EscrowBuffer there, any w <= n).", _entry_exit("entry")),
    PipelineLemma("LEMMA-PIPE-DEP-STEP", "Lemma: one run of Pipeline._depositStage(p, j, share) keeps the loop "
                  "invariant (J(j) -> J(j-1) at a fresh task type t and index k, the EscrowBuffer under its proved "
                  "guarantees) and writes no Pipeline storage.", _step("deposit")),
    PipelineLemma("LEMMA-PIPE-DRAIN-STEP", "Lemma: one run of Pipeline._drainStage(p, j) keeps the loop invariant "
                  "(J(j) -> J(j-1) at a fresh t and k) and writes no Pipeline storage.", _step("drain")),
    PipelineLemma("LEMMA-PIPE-LOOP-EXIT", "Lemma: the loop invariant after the last stage, J(-1), is BPE-BUFFER-003 "
                  "over the whole Pipeline transaction.", _entry_exit("exit")),
)


# ---------------------------------------------------------------------------------------------
# Everything
# ---------------------------------------------------------------------------------------------


def escrow_results(overrides: dict[str, type] | None = None, *, jobs: int = 1,
                   rlimit: int = FULL) -> list[ObligationResult]:
    """The escrow-buffer prover across EscrowBuffer.deposit and drain (every state invariant, BPE-BUFFER-001/003,
    the drain loop lemmas) plus BPE-BUFFER-ROW-001: the guarantees the STEP lemmas' stub rests on."""
    from invariants.bpe.assume_guarantee import escrow_buffer_prover

    p = escrow_buffer_prover({k: v for k, v in (overrides or {}).items() if k in ("BackpressurePool", "EscrowBuffer")},
                             rlimit=rlimit,
                             transitions=("deposit", "drain"))
    p.step_invariants = list(p.step_invariants) + [ROW_001]
    return p.run(jobs=jobs)


def _combine(id: str, title: str, parts: list[ObligationResult], details: dict, kind: str = "proof",
             contract: str = "Pipeline", *, own: tuple[str, ...] = ()) -> ObligationResult:
    """A composed result: PROVED if every part is; VIOLATED if one of `own` (the obligation's own lemmas, whose
    failure is a counterexample to it) is; otherwise INCONCLUSIVE (a strengthening or guarantee that fails
    proves nothing, but is no counterexample either)."""
    bad = {r.id: r.status for r in parts if r.status != PROVED}
    status = PROVED if not bad else (VIOLATED if any(bad.get(o) == VIOLATED for o in own) else INCONCLUSIVE)
    d = {"method": METHOD, "environment": ENVIRONMENT + GUARANTEES, "depends_on_results": [r.id for r in parts],
         "seconds_of_parts": round(sum(r.seconds for r in parts), 3), **details}
    if bad:
        d["message"] = f"rests on obligations that are not proved: {bad}"
    return ObligationResult(id, kind, contract, status, 0.0, title, d)


def duplicate_stage_counterexample(create: ObligationResult, overrides: dict[str, type]) -> Counterexample | None:
    """From a VIOLATED LEMMA-PIPE-CREATE (createPipeline accepted a repeated stage): the pipeline it created,
    concretely on the model, and a Pipeline.deposit into it that appends two entries to one queue (BPE-BUFFER-003:
    the tail moves by two), replayed on the model. None if the lemma's model has no repeated stage."""
    cex = create.details.get("counterexample", {})
    n = int(cex.get("create.len_stages", "0"))
    stages = [int(cex.get(f"create.stage{i}", "0")) for i in range(min(n, MAX_LEN))]
    weights = [int(cex.get(f"create.weight{i}", "0")) for i in range(min(int(cex.get("create.len_weights", "0")), MAX_LEN))]
    if len(set(stages)) == len(stages):
        return None
    t = next(x for x in stages if stages.count(x) > 1)
    system = pipeline_system(overrides)
    bp, eb = system.backpressure_pool, system.escrow_buffer
    for i, st in enumerate(sorted(set(stages))):  # a pool per stage (createPool goes through the GDA: set here)
        bp.pools[Bytes32(st)] = Address(0x9001_0000 + i)
        eb.maxima[Bytes32(st)] = U256(1 << 200)
    out = system.world.transact(system.addrs["Pipeline"], "createPipeline", Msg(Address(GOVERNANCE)),
                                [Bytes32(x) for x in stages], [U256(x) for x in weights])
    if not out.ok:
        return None
    source = 0x50C0000000000000000000000000000000000011
    amount = 10**22  # every weighted share nonzero (weights >= 1 bps)
    c = Counterexample("BPE-BUFFER-003", system, "Pipeline", "deposit", source, (out.returned, U256(amount)),
                       (Bytes32(t), U256(0)), note=f"pipeline {out.returned.v} created by createPipeline{tuple(stages)}, "
                       f"weights {weights} (LEMMA-PIPE-CREATE's counterexample); pools[t] and bufferMax set directly",
                       block=(system.world.block.number, system.world.block.timestamp), step=True)
    replay_on_model(c, [i for i in REGISTRY.for_contracts({"EscrowBuffer"}) if i.proof == "inductive"],
                    [STEP_REGISTRY.invariants["BPE-BUFFER-003"]])
    return c


def _run_lemma(item: tuple[int, dict, int]) -> tuple[int, Any]:
    i, overrides, rlimit = item
    if i < 0:
        return i, escrow_results(overrides, jobs=1, rlimit=rlimit)
    r = prove_pipeline_lemma(LEMMAS[i], overrides, rlimit=rlimit)
    model = r.details.pop("_model", None)
    del model  # z3 models do not cross processes; the counterexample's values are in details
    return i, r


_WEIGHT = {"LEMMA-PIPE-DRAIN-LOOP": 8, "LEMMA-PIPE-CREATE": 4.5, "LEMMA-PIPE-DEP-STEP": 3.3, "LEMMA-PIPE-DRAIN-STEP": 2}


def prove_pipeline(jobs: int = 1, rlimit: int = FULL, *,
                   overrides: dict[str, type] | None = None) -> list[ObligationResult]:
    """Every obligation of BPE-BUFFER-003 across Pipeline.deposit/drain and of BPE-PIPE-001: the LEMMA-PIPE-*
    lemmas, BPE-BUFFER-ROW-001 across EscrowBuffer.deposit/drain, and the composed results BPE-PIPE-001/init and
    /Pipeline.*, BPE-BUFFER-003/Pipeline.deposit|drain and VACUITY/Pipeline.*. The escrow obligations the stub's
    guarantees rest on (BPE-BUFFER-001..004 across EscrowBuffer.deposit/drain, drain's loop lemmas) are proved
    again here (the results name them in depends_on_results) but not returned: they are the escrow-buffer
    prover's rows of the suite. `jobs > 1`: the lemmas and the escrow run in that many forked workers."""
    overrides = dict(overrides or {})
    todo = sorted([-1, *range(len(LEMMAS))], key=lambda i: -(6.5 if i < 0 else _WEIGHT.get(LEMMAS[i].id, 1)))
    items = [(i, overrides, rlimit) for i in todo]
    if jobs > 1:
        from invariants.parallel import fork_map

        done = dict(fork_map(_run_lemma, items, jobs))
    else:
        done = dict(_run_lemma(it) for it in items)
    eb: list[ObligationResult] = done[-1]
    lem = {LEMMAS[i].id: done[i] for i in range(len(LEMMAS))}
    init = Prover(pipeline_system(overrides), invariants=[PIPE_001], step_invariants=[],
                  environment=[*SUITE.proof_environment, *GUARANTEES], rlimit=rlimit).prove_init(PIPE_001)
    out: list[ObligationResult] = [r for r in eb if r.id.startswith("BPE-BUFFER-ROW-001/")]
    out += list(lem.values())
    out.append(init)
    pipe = {"init": init}
    pipe["createPipeline"] = _combine("BPE-PIPE-001/Pipeline.createPipeline", PIPE_001.statement,
                                      [lem["LEMMA-PIPE-CREATE"]], {"invariant_kind": "state (inductive)",
                                                                    "strengthening": True},
                                      own=("LEMMA-PIPE-CREATE",))
    for fn, tag in (("deposit", "DEP"), ("drain", "DRAIN")):
        pipe[fn] = _combine(f"BPE-PIPE-001/Pipeline.{fn}", PIPE_001.statement,
                            [lem[f"LEMMA-PIPE-{tag}-LOOP"], lem[f"LEMMA-PIPE-{tag}-STEP"]],
                            {"invariant_kind": "state (inductive)", "strengthening": True,
                             "obligation": f"Pipeline.{fn} writes no Pipeline storage"},
                            own=(f"LEMMA-PIPE-{tag}-LOOP", f"LEMMA-PIPE-{tag}-STEP"))
    out += [pipe[k] for k in ("createPipeline", "deposit", "drain")]
    fifo = STEP_REGISTRY.invariants["BPE-BUFFER-003"]
    dup = None
    if lem["LEMMA-PIPE-CREATE"].status == VIOLATED:
        dup = duplicate_stage_counterexample(lem["LEMMA-PIPE-CREATE"], overrides)
    for fn, tag in (("deposit", "DEP"), ("drain", "DRAIN")):
        escrow = [r for r in eb if r.id.endswith(f"/EscrowBuffer.{fn}") or r.id.endswith("/init")
                  or (fn == "drain" and r.id.startswith(("LEMMA-SUM", "LOOP-")))]
        parts = [lem[f"LEMMA-PIPE-{tag}-LOOP"], lem["LEMMA-PIPE-LOOP-ENTRY"], lem[f"LEMMA-PIPE-{tag}-STEP"],
                 lem["LEMMA-PIPE-LOOP-EXIT"], *pipe.values(), *escrow]
        res = _combine(f"BPE-BUFFER-003/Pipeline.{fn}", fifo.statement, parts,
                       {"invariant_kind": "step (two-state)", "transition": f"Pipeline.{fn}",
                        "obligation": f"step property of Pipeline.{fn} (the whole transaction)",
                        "strengthening_invariants": ["BPE-PIPE-001", "BPE-BUFFER-ROW-001", "BPE-BUFFER-004"]},
                       contract="EscrowBuffer",
                       own=(f"LEMMA-PIPE-{tag}-LOOP", "LEMMA-PIPE-LOOP-ENTRY", f"LEMMA-PIPE-{tag}-STEP",
                            "LEMMA-PIPE-LOOP-EXIT"))
        if fn == "deposit" and dup is not None and dup.confirmed_on_model:
            res.status = VIOLATED
            res.counterexample = dup
            res.details["counterexample"] = dup.to_json()
            res.details["confirmed"] = True
            res.details["message"] = ("a pipeline with a repeated stage (createPipeline does not keep BPE-PIPE-001): "
                                      "one deposit appends two entries to that stage's queue; " + dup.model_outcome)
        out.append(res)
    for fn, tag in (("createPipeline", "CREATE"), ("deposit", "DEP-LOOP"), ("drain", "DRAIN-LOOP")):
        r = lem[f"LEMMA-PIPE-{tag}"]
        steps = [r] + ([lem[f"LEMMA-PIPE-{tag.split('-')[0]}-STEP"]] if fn != "createPipeline" else [])
        sat = all(x.details.get("satisfiable") for x in steps)
        out.append(ObligationResult(f"VACUITY/Pipeline.{fn}", "vacuity", "Pipeline", PROVED if sat else VIOLATED,
                                    0.0, f"The proof across Pipeline.{fn} is not vacuous.",
                                    {"message": "hypotheses and a success path are satisfiable together" if sat else
                                     "no success path is satisfiable under the hypotheses",
                                     "lemmas": [x.id for x in steps]}))
        if not sat:
            for x in out:
                if x.status == PROVED and x.id.endswith(f"/Pipeline.{fn}"):
                    x.status = INCONCLUSIVE
                    x.details["message"] = f"VACUOUS (VACUITY/Pipeline.{fn})"
    return out
