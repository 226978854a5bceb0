"""Proofs of BPE-REBAL-001, BPE-REBAL-002, BPE-REBAL-004 and BPE-FLOW-003: rebalance and
needsRebalance, whose loops run over up to 32 old members and 32 registry sinks.

    from invariants.bpe.rebalance import prove_rebalance
    results = prove_rebalance(jobs=2, rlimit=FULL)   # list[ObligationResult]

Method: per element, by induction over the loops. The model's loop bodies are methods that read like
the Solidity (specs/bpe/backpressure_pool.py): `_clearMember(t, pool, registry, i)` (rebalance, loop 1),
`_setMember(t, pool, registry, i) -> units` (loop 2), `_recordRebalance` (after the loops) and
`_sinkOff(t, registry, i) -> Bool` (needsRebalance's loop). Every obligation below runs these model
methods on z3 terms (`Prover.prove_lemma`: every feasible path, no hand-written copy of a body):

- loop 1 and loop 2 each have a loop invariant stated per key (a fresh sink `a`, a fresh index `j`, a
  fresh task type `t2`, a fresh witness index `w`), relative to the state before the loop:
  LEMMA-REBAL-L1/L2 (consecution): the invariant at iteration i, assumed at the fresh keys and at
  every key the iteration touches (instances of a universal statement), implies it at i+1 at the fresh
  keys after one run of the body on an arbitrary (havocked) state. LEMMA-REBAL-LOOP-INIT: both hold
  at i = 0 (the state is the loop's initial state). The body either hits the fresh key (the one
  iteration whose index holds it: registry list invariants below) or leaves it alone (frame): z3 does
  that case split inside one query.
- The loop rule (not a solver query): if an invariant holds at i = 0 and one iteration keeps it for
  every i < n, it holds at i = n; the loops' bounds are memberCount[t] (no body writes it) and
  sinkCount(t) (registry storage, which no body writes), at most 32 each (BI3, BPE-REBAL-003).
- LEMMA-REBAL-EXIT: the loop invariants at their exits (i = memberCount, i = sinkCount), with the state
  invariants before the call, imply the post-state invariants at fresh keys (no model run: the
  composition). LEMMA-REBAL-RECORD runs `_recordRebalance` (memberCount and rebalancedVersion).
- needsRebalance is `version moved or some i < count has _sinkOff(i)` (the loop returns true at the
  first such i, false after the last): LEMMA-REBAL-NR-POST runs `_sinkOff(j)` on the post-state of a
  rebalance (false for every j), LEMMA-REBAL-NR-BOUND runs it at the index of a registered sink
  (false there implies the section-6 rounding bound for that sink).
- createPool: LEMMA-REBAL-CREATE runs the model's createPool (the forwarder stubbed).
- BPE-FLOW-003: LEMMA-REBAL-FLOW runs specs/bpe/superfluid.py's `pool_member_update` (the function every
  units change of a rebalance goes through) on an arbitrary pool index carrying the sequence invariant
  J: distributed + adjustment = the value before the rebalance, and, while every total so far was
  nonzero, |distributed - distributed before| <= G (G the running sum of (total after the call - 1)).
  One call preserves J: so does the whole sequence of units changes of one rebalance.
- LEMMA-REBAL-UNITS checks the pool stub's guarantee against the GDA model: `pool_member_update`
  sets the member's units to u and the total to total - old + u. LEMMA-REBAL-POOL-UNITS (slow, about
  150 s: `prove_rebalance(slow=True)`) checks it on the whole model: SuperfluidPool.updateMemberUnits
  on symbolic pool and SuperToken storage, including that no other member's units change.

State invariants proved (strengthening of BPE-REBAL-002 and BPE-REBAL-004, per task type t with a
pool, U the pool's units, SN = snapshotOf[t], MA = memberAt[t], MC = memberCount[t]):
  BI0  pools[t] == 0  =>  MC == 0, SN[a] == 0, MA[j] == 0          (no members before a pool)
  BI1  U[a] == SN[a] / UNIT_SCALE, SN[a] < 2^128 * UNIT_SCALE      (BPE-REBAL-002, first half)
  BI2  SN[a] != 0  =>  a == MA[w] for some w < MC                  (nobody outside the list has units)
  BI3  MC <= 32; MA[j] != 0 for j < MC; MA[j] == 0 for j >= MC
  BI4  MA[j] != MA[j2] for j < j2 < MC                             (no member twice)
  BI5  pools of distinct task types are distinct
  and rebalanceThresholdBps <= 10000 (LEMMA-REBAL-INIT, LEMMA-REBAL-THRESHOLD).
Every other transition of the suite and of the framework is a frame for these (GUARANTEES): the
results name the three BackpressurePool transitions, init, and the state-local half of BPE-REBAL-002.
BPE-REBAL-004 follows: totalUnits = sum over all addresses of U (the pool's ghost sum, guarantee G2)
= sum over the members (BI1, BI2: U[a] != 0 implies SN[a] != 0 implies a is a member) = sum over
j < MC of U[MA[j]] (BI4: each member once). BPE-REBAL-002's second half is state-local: it follows
from BI1, the registry list invariants and needsRebalance's definition in every state.

Registry list invariants (proved inductive here over the real CapacityRegistry model, with the
default Prover on the proved system): BPE-REBAL-LIST-001 (j < sinkCount => sinkAt[j] != 0 and
sinkIndex[sinkAt[j]] == j + 1), BPE-REBAL-LIST-002 (sinkIndex[a] != 0 => sinkIndex[a] <= sinkCount and
sinkAt[sinkIndex[a] - 1] == a); with BPE-REBAL-003 (sinkCount <= 32, proved).

Guarantees and axioms (stated in every result, GUARANTEES below): the pool stub; getSmoothedCapacity is
an uninterpreted function of registry and StakeManager storage that rebalance does not write (0 for
an unregistered sink, below 2^128 * UNIT_SCALE by BPE-CAP-002 and LEMMA-REBAL-CAP); the frame of every
other transition (only BackpressurePool writes its storage; a pool's units change only through
updateMemberUnits by its admin, BackpressurePool, which calls it only in rebalance).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import z3

from specs import budget
from specs.budget import FULL
from specs.bpe import superfluid as sf
from specs.bpe.backpressure_pool import BPS, UNIT_SCALE, BackpressurePool
from specs.bpe.capacity_registry import CapacityRegistry
from specs.kernel import (
    I128, U128, U256, U32, Address, Block, Bool, Bytes32, Contract, Error, Mapping, Msg, Revert, World, _Store,
    define, flat_key, fresh, is_sym, truth, view,
)
from specs.bpe.system import GOVERNANCE, SUPERFLUID, addresses
from invariants.bpe.bpe_math import Lemma
from invariants.bpe.proofs import ENVIRONMENT, system_prover
from invariants.prover import INCONCLUSIVE, PROVED, VIOLATED, ObligationResult, Prover
import invariants.bpe.capacity_registry  # noqa: F401,E402  (registers BPE-REBAL-003)
from invariants.registry import REGISTRY, Invariant

UNIT = UNIT_SCALE.v
MAX_MEMBERS = 32
EFF_BOUND = (1 << 128) * UNIT  # getSmoothedCapacity < 2^128 * UNIT_SCALE (BPE-CAP-002, LEMMA-REBAL-CAP)
ADDR_MOD, U128_MOD, U256_MOD = 1 << 160, 1 << 128, 1 << 256

_ADDRS = addresses()
REG, BP, SM = _ADDRS["CapacityRegistry"], _ADDRS["BackpressurePool"], _ADDRS["StakeManager"]
FWD, TOKEN = SUPERFLUID["GDAv1Forwarder"], SUPERFLUID["SuperToken"]

GUARANTEES = [
    "assume-guarantee (pool of the rebalanced task type, at the symbolic address pools[t]): getUnits(m) returns "
    "U[m] (uint128), getTotalUnits() returns T; updateMemberUnits(m, u) reverts or sets U[m] := u and "
    "T := T - U[m] + u (T is the ghost sum of U: LEMMA-REBAL-UNITS checks this against specs/bpe/superfluid.py's "
    "pool_member_update), changes no other member's units and calls back into no suite contract",
    "assume-guarantee: a pool's units change only through updateMemberUnits by its admin (BackpressurePool, which "
    "calls it only in rebalance; the GDA model's other index writes keep the total: LEMMA-REBAL-UNITS-FRAME): every "
    "other transition of the suite and of the framework leaves every pool's "
    "units as they are; BackpressurePool storage is written only by BackpressurePool's own functions (kernel)",
    "assume-guarantee: GDAv1Forwarder.createPool reverts or returns a new pool address (nonzero, distinct from "
    "every pool created before) whose units are all 0",
    "axiom: CapacityRegistry.getSmoothedCapacity(t, a) is 0 for an unregistered sink and otherwise an "
    "uninterpreted function of registry and StakeManager storage (which rebalance and needsRebalance do not "
    "write) below 2^128 * UNIT_SCALE (BPE-CAP-002 with cap = floor(sqrt(stake / 1e18)): LEMMA-REBAL-CAP)",
    "registry list invariants BPE-REBAL-LIST-001/002 and BPE-REBAL-003 (proved here and in the suite)",
]
METHOD = ("per element, by induction over the loops: the model's loop bodies (_clearMember, _setMember, _sinkOff, "
          "_recordRebalance) run symbolically on an arbitrary state satisfying the loop invariant at fresh keys "
          "(LEMMA-REBAL-L1/L2 consecution, LEMMA-REBAL-LOOP-INIT at i = 0), the exits composed with the state invariants before "
          "the call (LEMMA-REBAL-EXIT); needsRebalance is 'version moved or some i < count has _sinkOff(i)' "
          "(its loop returns true at the first such i)")


# ---------------------------------------------------------------------------------------------
# Inputs: symbolic (proof) or the values of a z3 model (concrete replay of a counterexample)
# ---------------------------------------------------------------------------------------------
EFF = z3.Function("rebalance.effective", z3.IntSort(), z3.IntSort(), z3.IntSort())


class _ModelStore(_Store):
    """A concrete mapping store whose unwritten entries are the z3 model's values of a symbolic array."""

    def get(self, key: tuple) -> Any:
        if key in self.written or key in self.data:
            return self.data.get(key, self.zero)
        return self.env.value(z3.Select(self.src, flat_key(key)))

    def set(self, key: tuple, v: Any) -> None:
        self.written.add(key)
        super().set(key, v)

    def copy(self) -> "_ModelStore":
        c = _ModelStore.__new__(_ModelStore)
        c.__dict__.update(self.__dict__)
        c.data, c.touched, c.written = dict(self.data), list(self.touched), set(self.written)
        return c


class Env:
    """Where an obligation's inputs come from: fresh symbolic values (model=None) or a z3 model."""

    def __init__(self, model: Any = None):
        self.model = model
        self.facts: list[z3.BoolRef] = []

    @property
    def symbolic(self) -> bool:
        return self.model is None

    def value(self, t: Any) -> Any:
        v = self.model.eval(t, model_completion=True)
        return bool(z3.is_true(v)) if z3.is_bool(v) else v.as_long()

    def scalar(self, typ: type, name: str) -> Any:
        x = typ.symbolic(name)
        if self.symbolic:
            self.facts += x.range_constraints()
            return x
        return typ(self.value(x.v))

    def mapping(self, template: Mapping, name: str) -> Mapping:
        m = template.symbolize(name)
        if self.symbolic:
            return m
        st = _ModelStore(m.store.depth, m.summed, zero=m.store.zero)
        st.src, st.env, st.written = m.store.initial_array, self, set()
        return Mapping(m.key_type, m.value_type, summed=m.summed, _store=st)

    def eff(self, t: Any, a: Any) -> Any:
        e = EFF(t, a)
        return e if self.symbolic else self.value(EFF(z3.IntVal(t), z3.IntVal(a)))


_ENV: list[Env] = []


def _choice(name: str) -> bool:
    """A callee's nondeterministic outcome: symbolic in a proof, success in a concrete replay."""
    if _ENV and not _ENV[-1].symbolic:
        return True
    return truth(fresh(name) == 0)  # (kernel.fresh takes `sort or IntSort()`: a z3 sort has no truth value)


def _effective(idx: Any, t: Any, a: Any) -> Any:
    e = _ENV[-1].eff(t, a)
    if is_sym(e):
        define(z3.And(e >= 0, e < EFF_BOUND))
    if is_sym(idx) or is_sym(e):
        return z3.If(idx == 0, 0, e)
    return 0 if idx == 0 else e


class EffRegistry(CapacityRegistry):
    """The CapacityRegistry model with getSmoothedCapacity abstracted (axiom in GUARANTEES)."""

    @view
    def getSmoothedCapacity(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> U256:
        return U256(_effective(self._sinkIndex[taskTypeId][sink].v, taskTypeId.v, sink.v))


class UnitsPool:
    """The pool of the rebalanced task type, as its guarantees: units per member, a ghost total."""

    def __init__(self, units: Mapping, total: Any):
        self.units, self.total = units, total
        self.updates: list[tuple[Any, Any]] = []

    def getUnits(self, msg: Msg, member: Address) -> U128:
        return self.units[member]

    def getTotalUnits(self, msg: Msg) -> U128:
        return U128(self.total)

    def updateMemberUnits(self, msg: Msg, member: Address, newUnits: U128) -> Bool:
        if not _choice("pool.updateMemberUnits.ok"):
            raise Revert(Error("SuperfluidPool.updateMemberUnits reverted (stub)"))
        self.total = self.total - self.units[member].v + newUnits.v
        self.units[member] = newUnits
        self.updates.append((member, newUnits))
        return Bool(True)


@dataclass
class ForwarderStub(Contract):
    def createPool(self, msg: Msg, token: Address, admin: Address, config: tuple) -> tuple[Bool, Address]:
        if not _choice("GDAv1Forwarder.createPool.ok"):
            raise Revert(Error("GDAv1Forwarder.createPool reverted (stub)"))
        return Bool(True), _ENV[-1].new_pool


class RebalanceWorld(World):
    pool: Any = None

    def at(self, address: Any) -> Any:
        a = address.v if isinstance(address, Address) else address
        if self.pool is not None and (is_sym(a) or a == self.pool_address):
            return self.pool
        return super().at(address)


_REG_FIELDS = ("_isTaskType", "_sinkCount", "_sinkAt", "_sinkIndex", "_sinkSetVersion")
_BP_FIELDS = ("pools", "memberCount", "memberAt", "snapshotOf", "rebalancedVersion")


def _template(cls: type, name: str) -> Mapping:
    return cls.__dataclass_fields__[name].default_factory()


class Inputs:
    """The registry (fixed during a rebalance) and named copies of BackpressurePool storage."""

    def __init__(self, env: Env, tag: str, bp_cls: type = BackpressurePool):
        self.env, self.tag, self.bp_cls = env, tag, bp_cls
        self.t = env.scalar(Bytes32, f"{tag}.t")
        self.reg = {n: env.mapping(_template(CapacityRegistry, n), f"{tag}.reg.{n}") for n in _REG_FIELDS}
        self.cnt = self.reg["_sinkCount"][self.t].v
        self.version = self.reg["_sinkSetVersion"][self.t].v
        self.thr = env.scalar(U256, f"{tag}.thr")
        if env.symbolic:
            env.facts += [self.cnt >= 0, self.cnt <= MAX_MEMBERS, self.thr.v <= BPS.v]

    def bp_state(self, name: str) -> dict[str, Mapping]:
        return {n: self.env.mapping(_template(BackpressurePool, n), f"{self.tag}.{name}.{n}") for n in _BP_FIELDS}

    def units(self, name: str) -> Mapping:
        return self.env.mapping(Mapping(Address, U128), f"{self.tag}.{name}.units")

    # registry reads
    def idx(self, a: Any) -> Any:
        return self.reg["_sinkIndex"][self.t][Address(_t(a))].v

    def sink_at(self, j: Any) -> Any:
        return self.reg["_sinkAt"][self.t][U256(_t(j))].v

    def eff(self, a: Any) -> Any:
        e = self.env.eff(_t(self.t), _t(a))
        if self.env.symbolic:
            self.env.facts.append(z3.And(e >= 0, e < EFF_BOUND))
        return z3.If(self.idx(a) == 0, 0, e)

    def rl1(self, j: Any) -> Any:
        """BPE-REBAL-LIST-001 at index j."""
        s = self.sink_at(j)
        return z3.Implies(_t(j) < self.cnt, z3.And(s != 0, self.idx(s) == _t(j) + 1))

    def rl2(self, a: Any) -> Any:
        """BPE-REBAL-LIST-002 at sink a."""
        ix = self.idx(a)
        return z3.Implies(ix != 0, z3.And(ix <= self.cnt, self.sink_at(_minus1(ix)) == _t(a)))

    def deploy(self, bp_maps: dict[str, Mapping], units: Mapping | None = None, total: Any = 0,
               pool_address: Any = None) -> tuple[RebalanceWorld, EffRegistry, BackpressurePool]:
        w = RebalanceWorld()
        w.block = Block(1, 1)
        reg = EffRegistry(stakeManager=Address(SM), governance=Address(GOVERNANCE))
        for n, m in self.reg.items():
            setattr(reg, n, m.copy())
        w.deploy(REG, reg)
        bp = self.bp_cls(registry=Address(REG), gdaForwarder=Address(FWD), token=Address(TOKEN),
                         governance=Address(GOVERNANCE))
        for n, m in bp_maps.items():
            setattr(bp, n, m.copy())
        bp.rebalanceThresholdBps = self.thr
        w.deploy(BP, bp)
        w.deploy(FWD, ForwarderStub())
        if units is not None:
            w.pool = UnitsPool(units.copy(), total)
            w.pool_address = pool_address
        return w, reg, bp


def _t(x: Any) -> Any:
    return x.v if hasattr(x, "v") else x


def _minus1(ix: Any) -> Any:
    return ix - 1 if is_sym(ix) else max(ix - 1, 0)


def _rd(m: Mapping, *keys: Any) -> Any:
    """m[k1][k2]... as a term (keys as kernel values or terms)."""
    types = []
    t: Any = m
    while isinstance(t, Mapping):
        types.append(t.key_type)
        t = t.value_type
    v: Any = m
    for kt, k in zip(types, keys):
        v = v[kt(_t(k))]
    return v.v


def _range(env: Env, term: Any, mod: int) -> None:
    if env.symbolic:
        env.facts.append(z3.And(term >= 0, term < mod))


def _catch(body: Callable[[], Any]) -> Callable[[], Any]:
    """A reverted rebalance changes nothing: the goal is about calls that succeed."""
    def run() -> Any:
        try:
            return body()
        except Revert:
            return True
    return run


def _with_env(env: Env, body: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        _ENV.append(env)
        try:
            return body()
        finally:
            _ENV.pop()
    return run


# ---------------------------------------------------------------------------------------------
# Loop invariants (per key), relative to the state before the loop
# ---------------------------------------------------------------------------------------------
def l1(x: Inputs, i: Any, cur: dict, U: Mapping, pre: dict, U0: Mapping, *, tj: tuple = (), a: Any = None,
       t2a: tuple = (), aw: tuple = ()) -> Any:
    """Loop 1 (_clearMember) after i iterations: memberAt[t][j] is 0 below i and unchanged above, other
    rows unchanged; a sink keeps units and snapshot, or is unregistered with both 0; an unregistered
    sink at some old index w < i has both 0."""
    t, parts = _t(x.t), []
    for (t2, j) in ([tj] if tj else []):
        parts.append(_rd(cur["memberAt"], t2, j) == z3.If(z3.And(_t(t2) == t, _t(j) < _t(i)), 0,
                                                           _rd(pre["memberAt"], t2, j)))
    for (t2, b) in ([t2a] if t2a else []):
        parts.append(z3.Implies(_t(t2) != t, _rd(cur["snapshotOf"], t2, b) == _rd(pre["snapshotOf"], t2, b)))
    if a is not None:
        parts.append(z3.Or(z3.And(_rd(U, a) == _rd(U0, a), _rd(cur["snapshotOf"], t, a) == _rd(pre["snapshotOf"], t, a)),
                           z3.And(x.idx(a) == 0, _rd(U, a) == 0, _rd(cur["snapshotOf"], t, a) == 0)))
    for (b, w) in ([aw] if aw else []):
        parts.append(z3.Implies(z3.And(_t(w) < _t(i), _rd(pre["memberAt"], t, w) == _t(b), x.idx(b) == 0),
                                z3.And(_rd(U, b) == 0, _rd(cur["snapshotOf"], t, b) == 0)))
    return z3.And(*parts) if parts else z3.BoolVal(True)


def l2(x: Inputs, i: Any, cur: dict, U: Mapping, base: dict, U1: Mapping, *, tj: tuple = (), a: Any = None,
       t2a: tuple = ()) -> Any:
    """Loop 2 (_setMember) after i iterations: memberAt[t][j] = sinkAt[j] below i; a registered sink whose
    index is below i has units floor(effective / UNIT_SCALE) and snapshot effective; nothing else changed."""
    t, parts = _t(x.t), []
    for (t2, j) in ([tj] if tj else []):
        parts.append(_rd(cur["memberAt"], t2, j) == z3.If(z3.And(_t(t2) == t, _t(j) < _t(i)), x.sink_at(j),
                                                           _rd(base["memberAt"], t2, j)))
    for (t2, b) in ([t2a] if t2a else []):
        done = z3.And(_t(t2) == t, x.idx(b) != 0, x.idx(b) - 1 < _t(i))
        parts.append(_rd(cur["snapshotOf"], t2, b) == z3.If(done, x.eff(b), _rd(base["snapshotOf"], t2, b)))
    if a is not None:
        done = z3.And(x.idx(a) != 0, x.idx(a) - 1 < _t(i))
        parts.append(_rd(U, a) == z3.If(done, x.eff(a) / UNIT, _rd(U1, a)))
    return z3.And(*parts) if parts else z3.BoolVal(True)


def _same(cur: dict, pre: dict, t: Any, fields: tuple = ("pools", "memberCount", "rebalancedVersion")) -> Any:
    return z3.And(*[_rd(cur[f], t) == _rd(pre[f], t) for f in fields])


# ---------------------------------------------------------------------------------------------
# Obligations (scenario(env) -> (assumptions, body returning the goal))
# ---------------------------------------------------------------------------------------------
Scenario = Callable[[Env], tuple[list[z3.BoolRef], Callable[[], Any]]]


def _fresh_keys(env: Env, tag: str) -> tuple[Address, Bytes32, U256, U256, U256]:
    return (env.scalar(Address, f"{tag}.k.a"), env.scalar(Bytes32, f"{tag}.k.t2"), env.scalar(U256, f"{tag}.k.j"),
            env.scalar(U256, f"{tag}.k.j2"), env.scalar(U256, f"{tag}.k.w"))


def scenario_l1(bp_cls: type) -> Scenario:
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "L1", bp_cls)
        t = x.t
        cur, pre = x.bp_state("cur"), x.bp_state("pre")
        U, U0 = x.units("cur"), x.units("pre")
        i = env.scalar(U256, "L1.i")
        a, t2, j, _j2, w = _fresh_keys(env, "L1")
        mc0 = _rd(cur["memberCount"], t)
        m = _rd(cur["memberAt"], t, i)
        pool = _rd(cur["pools"], t)
        total = env.scalar(U256, "L1.total").v
        f = [pool != 0, _t(i) < mc0, mc0 <= MAX_MEMBERS,
             l1(x, i, cur, U, pre, U0, tj=(t2, j)), l1(x, i, cur, U, pre, U0, tj=(t, i)),
             l1(x, i, cur, U, pre, U0, t2a=(t2, a)), l1(x, i, cur, U, pre, U0, a=a),
             l1(x, i, cur, U, pre, U0, a=m), l1(x, i, cur, U, pre, U0, aw=(a, w))]
        for term, mod in ((m, ADDR_MOD), (_rd(pre["memberAt"], t, i), ADDR_MOD), (_rd(U, a), U128_MOD),
                          (_rd(U, m), U128_MOD), (_rd(U0, a), U128_MOD), (_rd(U0, m), U128_MOD),
                          (x.idx(a), U256_MOD), (x.idx(m), U256_MOD)):
            _range(env, term, mod)

        def body() -> Any:
            wd, reg, bp = x.deploy(cur, U, total, pool)
            bp._clearMember(Bytes32(_t(t)), wd.pool, reg, i)
            new = {n: getattr(bp, n) for n in _BP_FIELDS}
            i1 = _t(i) + 1
            return z3.And(l1(x, i1, new, wd.pool.units, pre, U0, tj=(t2, j)),
                          l1(x, i1, new, wd.pool.units, pre, U0, t2a=(t2, a)),
                          l1(x, i1, new, wd.pool.units, pre, U0, a=a),
                          l1(x, i1, new, wd.pool.units, pre, U0, aw=(a, w)),
                          _same(new, cur, t2), _same(new, cur, t))
        return env.facts + f, _with_env(env, _catch(body))
    return sc


def scenario_l2(bp_cls: type) -> Scenario:
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "L2", bp_cls)
        t = x.t
        cur, base = x.bp_state("cur"), x.bp_state("base")
        U, U1 = x.units("cur"), x.units("base")
        i = env.scalar(U256, "L2.i")
        a, t2, j, _j2, _w = _fresh_keys(env, "L2")
        s = x.sink_at(i)
        pool = _rd(cur["pools"], t)
        total = env.scalar(U256, "L2.total").v
        f = [pool != 0, _t(i) < x.cnt, x.rl1(i), x.rl2(a), x.rl2(s),
             l2(x, i, cur, U, base, U1, tj=(t2, j)), l2(x, i, cur, U, base, U1, tj=(t, i)),
             l2(x, i, cur, U, base, U1, t2a=(t2, a)), l2(x, i, cur, U, base, U1, t2a=(t, a)),
             l2(x, i, cur, U, base, U1, t2a=(t, s)), l2(x, i, cur, U, base, U1, a=a),
             l2(x, i, cur, U, base, U1, a=s)]
        for term, mod in ((s, ADDR_MOD), (_rd(U, a), U128_MOD), (_rd(U, s), U128_MOD), (_rd(U1, a), U128_MOD),
                          (_rd(U1, s), U128_MOD), (x.idx(a), U256_MOD)):
            _range(env, term, mod)
        x.eff(a), x.eff(s)

        def body() -> Any:
            wd, reg, bp = x.deploy(cur, U, total, pool)
            bp._setMember(Bytes32(_t(t)), wd.pool, reg, i)
            new = {n: getattr(bp, n) for n in _BP_FIELDS}
            i1 = _t(i) + 1
            return z3.And(l2(x, i1, new, wd.pool.units, base, U1, tj=(t2, j)),
                          l2(x, i1, new, wd.pool.units, base, U1, t2a=(t2, a)),
                          l2(x, i1, new, wd.pool.units, base, U1, a=a),
                          _same(new, cur, t2), _same(new, cur, t))
        return env.facts + f, _with_env(env, _catch(body))
    return sc


def _bi_pre(x: Inputs, st: dict, U: Mapping, a: Any, wa: Any, js: tuple) -> list[Any]:
    """The state invariants BI1-BI3 before the call at sink a (witness wa of BI2) and indices js."""
    t = x.t
    mc = _rd(st["memberCount"], t)
    sn = _rd(st["snapshotOf"], t, a)
    out = [_rd(U, a) == sn / UNIT, sn < EFF_BOUND,
           z3.Implies(sn != 0, z3.And(_t(wa) < mc, _rd(st["memberAt"], t, wa) == _t(a))), mc <= MAX_MEMBERS]
    for j in js:
        out.append(z3.Implies(_t(j) < mc, _rd(st["memberAt"], t, j) != 0))
        out.append(z3.Implies(_t(j) >= mc, _rd(st["memberAt"], t, j) == 0))
    return out


def scenario_exit(bp_cls: type, *, nontrivial: bool = False) -> Scenario:
    """The loops' exits with the state invariants before the call imply the invariants after it."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "EXIT", bp_cls)
        t = x.t
        pre, one, post = x.bp_state("pre"), x.bp_state("one"), x.bp_state("post")
        U0, U1, U2 = x.units("pre"), x.units("one"), x.units("post")
        a, t2, j, j2, wa = _fresh_keys(env, "EXIT")
        mc0 = _rd(pre["memberCount"], t)
        k = _minus1(x.idx(a))
        f = [_rd(pre["pools"], t) != 0, x.rl1(j), x.rl1(j2), x.rl2(a)]
        f += _bi_pre(x, pre, U0, a, wa, (j, j2))
        for tj in ((t, j), (t, j2), (t2, j), (t, k)):
            f.append(l1(x, mc0, one, U1, pre, U0, tj=tj))
            f.append(l2(x, x.cnt, post, U2, one, U1, tj=tj))
        for t2a in ((t2, a), (t, a)):
            f.append(l1(x, mc0, one, U1, pre, U0, t2a=t2a))
            f.append(l2(x, x.cnt, post, U2, one, U1, t2a=t2a))
        f += [l1(x, mc0, one, U1, pre, U0, a=a), l1(x, mc0, one, U1, pre, U0, aw=(a, wa)),
              l2(x, x.cnt, post, U2, one, U1, a=a)]
        for term, mod in ((_rd(U0, a), U128_MOD), (_rd(U1, a), U128_MOD), (_rd(U2, a), U128_MOD),
                          (x.idx(a), U256_MOD), (x.sink_at(j), ADDR_MOD), (x.sink_at(j2), ADDR_MOD)):
            _range(env, term, mod)
        for st in (pre, one, post):
            for tj in ((t, j), (t, j2), (t2, j)):
                _range(env, _rd(st["memberAt"], *tj), ADDR_MOD)
            for t2a in ((t, a), (t2, a)):
                _range(env, _rd(st["snapshotOf"], *t2a), U256_MOD)
        eff = x.eff(a)
        if nontrivial:  # vacuity: a rebalance with old members, registered sinks and a being one of them
            f += [mc0 >= 1, x.cnt >= 1, x.idx(a) != 0]

        def body() -> Any:
            cnt = x.cnt  # memberCount after the call (LEMMA-REBAL-RECORD)
            u2, sn2 = _rd(U2, a), _rd(post["snapshotOf"], t, a)
            ma = lambda jj: _rd(post["memberAt"], t, jj)  # noqa: E731
            goals = [
                # BPE-REBAL-001 (units and snapshots)
                z3.If(x.idx(a) == 0, u2 == 0, z3.And(u2 == eff / UNIT, sn2 == eff)),
                # BI1 (BPE-REBAL-002, first half) and the snapshot bound
                u2 == sn2 / UNIT, sn2 < EFF_BOUND,
                # BI2 with its witness: the registry index of a
                z3.Implies(sn2 != 0, z3.And(x.idx(a) != 0, x.idx(a) - 1 < cnt, ma(k) == _t(a))),
                # BI3, BI4 after the call (memberCount = sinkCount)
                z3.Implies(_t(j) < cnt, ma(j) != 0), z3.Implies(_t(j) >= cnt, ma(j) == 0), cnt <= MAX_MEMBERS,
                z3.Implies(z3.And(_t(j) < _t(j2), _t(j2) < cnt), ma(j) != ma(j2)),
                # other task types: untouched
                z3.Implies(_t(t2) != _t(t), z3.And(_rd(post["memberAt"], t2, j) == _rd(pre["memberAt"], t2, j),
                                                   _rd(post["snapshotOf"], t2, a) == _rd(pre["snapshotOf"], t2, a))),
            ]
            return z3.And(*goals)
        return env.facts + f, _with_env(env, body)
    return sc


def scenario_loop_init(bp_cls: type) -> Scenario:
    """Both loop invariants hold at i = 0, where the state is the loop's initial state."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "INI", bp_cls)
        t = x.t
        st = x.bp_state("st")
        U = x.units("st")
        a, t2, j, _j2, w = _fresh_keys(env, "INI")
        _range(env, x.idx(a), U256_MOD)

        def body() -> Any:
            return z3.And(l1(x, 0, st, U, st, U, tj=(t2, j)), l1(x, 0, st, U, st, U, t2a=(t2, a)),
                          l1(x, 0, st, U, st, U, a=a), l1(x, 0, st, U, st, U, aw=(a, w)),
                          l2(x, 0, st, U, st, U, tj=(t2, j)), l2(x, 0, st, U, st, U, t2a=(t2, a)),
                          l2(x, 0, st, U, st, U, a=a), _t(t) == _t(t))
        return env.facts, _with_env(env, body)
    return sc


def scenario_record(bp_cls: type) -> Scenario:
    """_recordRebalance: memberCount[t] = sinkCount, rebalancedVersion[t] = sinkSetVersion, nothing else."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "REC", bp_cls)
        t = x.t
        cur = x.bp_state("cur")
        a, t2, j, _j2, _w = _fresh_keys(env, "REC")
        tc = env.scalar(U256, "REC.totalCapacity")

        def body() -> Any:
            _wd, reg, bp = x.deploy(cur)
            bp._recordRebalance(Bytes32(_t(t)), reg, U256(x.cnt), tc)
            other = _t(t2) != _t(t)
            return z3.And(_rd(bp.memberCount, t) == x.cnt, _rd(bp.rebalancedVersion, t) == x.version,
                          z3.Implies(other, z3.And(_rd(bp.memberCount, t2) == _rd(cur["memberCount"], t2),
                                                   _rd(bp.rebalancedVersion, t2) == _rd(cur["rebalancedVersion"], t2))),
                          _rd(bp.memberAt, t2, j) == _rd(cur["memberAt"], t2, j),
                          _rd(bp.snapshotOf, t2, a) == _rd(cur["snapshotOf"], t2, a),
                          _rd(bp.pools, t2) == _rd(cur["pools"], t2))
        return env.facts, _with_env(env, _catch(body))
    return sc


def scenario_nr_post(bp_cls: type) -> Scenario:
    """After a rebalance every sink's snapshot is its effective capacity: _sinkOff(j) is false for every
    j < sinkCount (and the version is recorded: LEMMA-REBAL-RECORD), so needsRebalance is false."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "NRP", bp_cls)
        t = x.t
        post = x.bp_state("post")
        j = env.scalar(U256, "NRP.j")
        s = x.sink_at(j)
        f = [_t(j) < x.cnt, x.rl1(j), _rd(post["snapshotOf"], t, s) == x.eff(s)]
        _range(env, s, ADDR_MOD)

        def body() -> Any:
            _wd, reg, bp = x.deploy(post)
            return z3.Not(bp._sinkOff(Bytes32(_t(t)), reg, j).v)
        return env.facts + f, _with_env(env, body)
    return sc


def scenario_nr_bound(bp_cls: type) -> Scenario:
    """BPE-REBAL-002, second half, in any state: for a registered sink a, _sinkOff at a's index is false
    (as it is when needsRebalance is false) only if units * UNIT_SCALE * 10000 <= effective * 10000 +
    threshold * snapshot; _sinkOff never reverts."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "NRB", bp_cls)
        t = x.t
        st = x.bp_state("cur")
        U = x.units("cur")
        a = env.scalar(Address, "NRB.a")
        wa = env.scalar(U256, "NRB.wa")
        f = [x.idx(a) != 0, x.rl2(a)] + _bi_pre(x, st, U, a, wa, ())
        _range(env, _rd(U, a), U128_MOD)
        _range(env, _rd(st["snapshotOf"], t, a), U256_MOD)
        _range(env, x.idx(a), U256_MOD)
        eff = x.eff(a)

        def body() -> Any:
            _wd, reg, bp = x.deploy(st)
            off = bp._sinkOff(Bytes32(_t(t)), reg, U256(_minus1(x.idx(a)))).v
            sn = _rd(st["snapshotOf"], t, a)
            return z3.Implies(z3.Not(off), _rd(U, a) * UNIT * BPS.v <= eff * BPS.v + _t(x.thr) * sn)
        return env.facts + f, _with_env(env, body)
    return sc


def scenario_create(bp_cls: type) -> Scenario:
    """createPool(t) keeps BI0-BI5 (the new pool's units are all 0: guarantee)."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "CRE", bp_cls)
        t = x.t
        cur = x.bp_state("cur")
        a, t2, j, _j2, _w = _fresh_keys(env, "CRE")
        sender = env.scalar(Address, "CRE.sender")
        env.new_pool = env.scalar(Address, "CRE.newPool")
        p = _t(env.new_pool)
        f = [p != 0, p != _rd(cur["pools"], t2), p != _rd(cur["pools"], t),
             z3.Implies(_rd(cur["pools"], t) == 0, z3.And(_rd(cur["memberCount"], t) == 0,
                                                         _rd(cur["snapshotOf"], t, a) == 0,
                                                         _rd(cur["memberAt"], t, j) == 0))]

        def body() -> Any:
            _wd, _reg, bp = x.deploy(cur)
            bp.createPool(Msg(sender), Bytes32(_t(t)))
            other = _t(t2) != _t(t)
            return z3.And(_rd(bp.pools, t) == p, p != 0,
                          0 == _rd(bp.snapshotOf, t, a) / UNIT, _rd(bp.snapshotOf, t, a) == 0,
                          _rd(bp.memberCount, t) == 0, _rd(bp.memberAt, t, j) == 0,
                          z3.Implies(other, z3.And(_rd(bp.pools, t2) != p, _rd(bp.pools, t2) == _rd(cur["pools"], t2))),
                          _rd(bp.memberCount, t2) == _rd(cur["memberCount"], t2),
                          _rd(bp.memberAt, t2, j) == _rd(cur["memberAt"], t2, j),
                          _rd(bp.snapshotOf, t2, a) == _rd(cur["snapshotOf"], t2, a))
        return env.facts + f, _with_env(env, _catch(body))
    return sc


def scenario_threshold(bp_cls: type) -> Scenario:
    """setRebalanceThreshold keeps the threshold at most 10000 and writes nothing BPE-REBAL reads."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        x = Inputs(env, "THR", bp_cls)
        cur = x.bp_state("cur")
        a, t2, j, _j2, _w = _fresh_keys(env, "THR")
        sender = env.scalar(Address, "THR.sender")
        new = env.scalar(U256, "THR.new")

        def body() -> Any:
            _wd, _reg, bp = x.deploy(cur)
            bp.setRebalanceThreshold(Msg(sender), new)
            return z3.And(_t(bp.rebalanceThresholdBps) <= BPS.v,
                          *[_rd(getattr(bp, n), t2) == _rd(cur[n], t2) for n in ("pools", "memberCount",
                                                                                    "rebalancedVersion")],
                          _rd(bp.memberAt, t2, j) == _rd(cur["memberAt"], t2, j),
                          _rd(bp.snapshotOf, t2, a) == _rd(cur["snapshotOf"], t2, a))
        return env.facts, _with_env(env, _catch(body))
    return sc


def scenario_init(bp_cls: type) -> Scenario:
    """The deployed BackpressurePool: no pools, no members, threshold 500: BI0-BI5 hold."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        t, a, j = Bytes32.symbolic("INIT.t"), Address.symbolic("INIT.a"), U256.symbolic("INIT.j")
        facts = t.range_constraints() + a.range_constraints() + j.range_constraints()

        def body() -> Any:
            bp = bp_cls.construct(Address(REG), Address(FWD), Address(TOKEN), Address(GOVERNANCE))
            for n in _BP_FIELDS:
                setattr(bp, n, getattr(bp, n).to_symbolic(f"INIT.{n}"))
            return z3.And(_rd(bp.pools, t) == 0, _rd(bp.memberCount, t) == 0, _rd(bp.memberAt, t, j) == 0,
                          _rd(bp.snapshotOf, t, a) == 0, _t(bp.rebalanceThresholdBps) <= BPS.v)
        return facts, body
    return sc


# -- the pool's units and flows (specs/bpe/superfluid.py) ------------------------------------------------
def _pmu_state(env: Env, tag: str) -> tuple[Any, Any, Any, Any]:
    """A pool index, a member of it and a new units value u, from specs/bpe/superfluid.py's types."""
    def particle(n: str) -> sf.Particle:
        return sf.Particle(env.scalar(U32, f"{tag}.{n}.at"), env.scalar(I128, f"{tag}.{n}.fr"),
                           env.scalar(sf.I256, f"{tag}.{n}.sv"))
    i = sf.PoolIndex(env.scalar(I128, f"{tag}.total"), particle("wp"))
    m = sf.PoolMember(env.scalar(I128, f"{tag}.owned"), env.scalar(sf.I256, f"{tag}.msv"), particle("synced"))
    u = env.scalar(I128, f"{tag}.u")
    t = env.scalar(U32, f"{tag}.now")
    if env.symbolic:
        env.facts += [i.total_units.v >= 0, m.owned_units.v >= 0, m.owned_units.v <= i.total_units.v, u.v >= 0]
    return i, m, u, t


def scenario_units(_bp_cls: type) -> Scenario:
    """The stub's units guarantee against the GDA model: a units change sets the member's units to u and
    the pool total to total - old + u (SuperfluidPool._updateMemberUnits stores exactly these two)."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        i, m, u, t = _pmu_state(env, "UNITS")

        def body() -> Any:
            i2, m2, _b = sf.pool_member_update(i, m, sf.Particle.empty(), u, t)
            return z3.And(i2.total_units.v == i.total_units.v + u.v - m.owned_units.v, m2.owned_units.v == u.v)
        return env.facts, _with_env(env, _catch(body))
    return sc


def scenario_units_frame(_bp_cls: type) -> Scenario:
    """The GDA's other writes of a pool index keep its total units: shift2b (distribute) and
    shift_flow2b_up (distributeFlow) return an index with the same total (operatorSetIndex stores it);
    member units are written only by _updateMemberUnits (_set_member has no other caller)."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        i, _m, _u, t = _pmu_state(env, "UFR")
        a = sf.Particle(env.scalar(U32, "UFR.a.at"), env.scalar(I128, "UFR.a.fr"), env.scalar(sf.I256, "UFR.a.sv"))
        x, dr = env.scalar(sf.I256, "UFR.x"), env.scalar(I128, "UFR.dr")

        def body() -> Any:
            ok = []
            for f in (lambda: sf.shift2b(a, i, x)[1], lambda: sf.shift_flow2b_up(a, i, dr, t)[1]):
                try:
                    ok.append(f().total_units.v == i.total_units.v)
                except Revert:
                    ok.append(True)
            return z3.And(*ok)
        return env.facts, _with_env(env, body)
    return sc


def scenario_flow(_bp_cls: type) -> Scenario:
    """BPE-FLOW-003 over the sequence of units changes of one rebalance. J(D, A, G, Z): D + A = D0 + A0 and
    (Z => |D - D0| <= G), D the distributed rate (per-unit rate * total units), A the adjustment flow rate,
    G the sum of (total after the call - 1) over the calls so far, Z 'every total so far was nonzero'.
    One units change (pool_member_update with the empty particle, its remainder added to the adjustment
    flow as SuperfluidPool._updateMemberUnits -> appendIndexUpdateByPool does) keeps J."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        i, m, u, t = _pmu_state(env, "FLOW")
        adj = env.scalar(I128, "FLOW.adj").v
        d0, a0 = env.scalar(sf.I256, "FLOW.d0").v, env.scalar(sf.I256, "FLOW.a0").v
        g = env.scalar(U256, "FLOW.g").v
        zb = env.scalar(Bool, "FLOW.z").v
        dist = i.wp.flow_rate.v * i.total_units.v

        def j_(d: Any, a_: Any, g_: Any, z_: Any) -> Any:
            return z3.And(d + a_ == d0 + a0, z3.Implies(z_, z3.And(d - d0 <= g_, d0 - d <= g_)))
        f = [j_(dist, adj, g, zb)]

        def body() -> Any:
            i2, _m2, b = sf.pool_member_update(i, m, sf.Particle.empty(), u, t)
            n = i2.total_units.v
            d1 = i2.wp.flow_rate.v * n
            a1 = adj + b.flow_rate.v
            return j_(d1, a1, z3.If(n > 0, g + n - 1, g), z3.And(zb, n > 0))
        return env.facts + f, _with_env(env, _catch(body))
    return sc


def scenario_cap(_bp_cls: type) -> Scenario:
    """LEMMA-REBAL-CAP: a floor square root of a uint256 is below 2^128, so an effective capacity
    (<= cap * UNIT_SCALE, BPE-CAP-002) is below 2^128 * UNIT_SCALE and its units fit uint128."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        y, r = z3.Int("CAP.y"), z3.Int("CAP.r")
        facts = [y >= 0, y < U256_MOD, r >= 0, r * r <= y, y < (r + 1) * (r + 1)]
        return facts, lambda: z3.And(r < (1 << 128), r * UNIT < EFF_BOUND)
    return sc


def scenario_pool_units(_bp_cls: type) -> Scenario:
    """LEMMA-REBAL-POOL-UNITS (slow: about 230 paths, 150 s): the guarantee on the whole GDA model. On a
    SuperfluidPool created by the GDA model with admin BackpressurePool, whose storage and the SuperToken's
    are arbitrary (symbolic), updateMemberUnits(member, u) from the admin either reverts or leaves
    totalUnits = totalUnits - units[member] + u, units[member] = u and every other member's units as they
    were."""
    def sc(env: Env):  # type: ignore[no-untyped-def]
        w = sf.build_superfluid_world(sf.SuperfluidAddresses(
            gda=SUPERFLUID["GDA"], forwarder=SUPERFLUID["GDAv1Forwarder"], super_token=SUPERFLUID["SuperToken"],
            underlying=SUPERFLUID["SuperTokenUnderlying"]))
        w.block = Block(1, 1_700_000_000)
        gda = w.at(Address(SUPERFLUID["GDA"]))
        pool_addr = gda.createPool(Msg(Address(FWD)), Address(TOKEN), Address(BP), Bool(False), Bool(True)).v
        for addr in (pool_addr, TOKEN):
            c = w.contracts[addr]
            for f in c.storage_fields():
                v = getattr(c, f.name)
                if isinstance(v, Mapping):
                    setattr(c, f.name, v.symbolize(f"PU.{addr:x}.{f.name}"))
                elif hasattr(v, "symbolic") and hasattr(v, "range_constraints"):
                    sv = type(v).symbolic(f"PU.{addr:x}.{f.name}")
                    env.facts += sv.range_constraints()
                    setattr(c, f.name, sv)
        member, other = env.scalar(Address, "PU.member"), env.scalar(Address, "PU.other")
        u = env.scalar(U128, "PU.u")
        pool0 = w.contracts[pool_addr]
        t0, m0, o0 = pool0.totalUnits.v, pool0.mUnits[member].v, pool0.mUnits[other].v
        f = [other.v != member.v, m0 >= 0, m0 < U128_MOD, o0 >= 0, o0 < U128_MOD]

        def body() -> Any:
            w2 = w.clone()
            p = w2.contracts[pool_addr]
            p.updateMemberUnits(Msg(Address(BP)), member, u)
            return z3.And(p.totalUnits.v == t0 - m0 + u.v, p.mUnits[member].v == u.v, p.mUnits[other].v == o0)
        return env.facts + f, _catch(body)
    return sc


# ---------------------------------------------------------------------------------------------
# Registry list invariants (proved inductive over the real CapacityRegistry model)
# ---------------------------------------------------------------------------------------------
def _list_index(s, taskTypeId: Bytes32, index: U256):  # type: ignore[no-untyped-def]
    reg = s.registry
    if index < reg._sinkCount[taskTypeId]:
        sink = reg._sinkAt[taskTypeId][index]
        return (sink != Address(0)) and (reg._sinkIndex[taskTypeId][sink].v == index.v + 1)
    return True


def _list_position(s, taskTypeId: Bytes32, sink: Address):  # type: ignore[no-untyped-def]
    reg = s.registry
    ix = reg._sinkIndex[taskTypeId][sink]
    if ix == 0:
        return True
    # wrapping: the key stays a uint256 in every model (ix != 0 here, so it is ix - 1)
    return (ix <= reg._sinkCount[taskTypeId]) and (reg._sinkAt[taskTypeId][ix.wrapping_sub(1)] == sink)


LIST_INVARIANTS = [
    Invariant("BPE-REBAL-LIST-001", "CapacityRegistry",
              "Invariant: for every task type and index j < sinkCount, sinkAt(j) is nonzero and its 1-based "
              "_sinkIndex is j + 1.",
              "rebalance's per-element proof: the iteration j of a loop over sinkAt touches the sink whose index "
              "is j and no other (the list has no duplicates).",
              "a sink listed twice (or a stale slot) gets units twice or keeps units after leaving.",
              _list_index, (("taskTypeId", Bytes32), ("index", U256)), strengthening=True),
    Invariant("BPE-REBAL-LIST-002", "CapacityRegistry",
              "Invariant: a registered sink (_sinkIndex != 0) sits at sinkAt(_sinkIndex - 1), below sinkCount.",
              "rebalance's per-element proof: every registered sink is visited by the loop over sinkAt.",
              "a registered sink outside the list is never given units (or never zeroed).",
              _list_position, (("taskTypeId", Bytes32), ("sink", Address)), strengthening=True),
]


def prove_registry_lists(*, jobs: int = 1, rlimit: int = FULL) -> list[ObligationResult]:
    """BPE-REBAL-LIST-001/002 (with BPE-REBAL-003) inductive over every transition of the proved system."""
    rebal003 = REGISTRY.invariants["BPE-REBAL-003"]
    p = system_prover(rlimit=rlimit, invariants=[rebal003, *LIST_INVARIANTS], step_invariants=[])
    out = []
    for r in p.run(jobs=jobs):
        if r.id.startswith("BPE-REBAL-003"):
            continue  # proved by the suite's own Prover
        if r.id.startswith("VACUITY/"):
            r.id = r.id.replace("VACUITY/", "VACUITY/BPE-REBAL-LIST/")
        out.append(r)
    return out


# ---------------------------------------------------------------------------------------------
# The obligations and their composition into the proof results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Obligation:
    id: str
    statement: str
    scenario: Callable[[type], Scenario]


LEMMAS: tuple[Obligation, ...] = (
    Obligation("LEMMA-REBAL-L1", "Lemma: one iteration of rebalance's loop 1 (_clearMember, the model's body) "
               "keeps the loop-1 invariant (per sink, index, task type and witness index).", scenario_l1),
    Obligation("LEMMA-REBAL-L2", "Lemma: one iteration of rebalance's loop 2 (_setMember) keeps the loop-2 "
               "invariant: sinks whose registry index is below i have units floor(effective / UNIT_SCALE) and "
               "snapshot effective, memberAt[j] = sinkAt[j] below i, nothing else changed.", scenario_l2),
    Obligation("LEMMA-REBAL-LOOP-INIT", "Lemma: both loop invariants hold before the first iteration (i = 0, "
               "the state is the loop's initial state).", scenario_loop_init),
    Obligation("LEMMA-REBAL-EXIT", "Lemma: the loop invariants at the loops' exits and BI0-BI4 before the call "
               "imply BPE-REBAL-001's units and snapshots and BI1-BI4 after rebalance.", scenario_exit),
    Obligation("LEMMA-REBAL-RECORD", "Lemma: after the loops, _recordRebalance sets memberCount[t] = sinkCount(t) "
               "and rebalancedVersion[t] = sinkSetVersion(t) and writes nothing else.", scenario_record),
    Obligation("LEMMA-REBAL-NR-POST", "Lemma: on a state where every listed sink's snapshot is its effective "
               "capacity, _sinkOff(j) is false for every j < sinkCount (needsRebalance false after rebalance).",
               scenario_nr_post),
    Obligation("LEMMA-REBAL-NR-BOUND", "Lemma: for a registered sink with units = snapshot / UNIT_SCALE, _sinkOff "
               "at its index does not revert, and false there implies units*UNIT_SCALE*10000 <= "
               "effective*10000 + threshold*snapshot.", scenario_nr_bound),
    Obligation("LEMMA-REBAL-CREATE", "Lemma: createPool keeps BI0-BI5 (the new pool's units are all 0).",
               scenario_create),
    Obligation("LEMMA-REBAL-THRESHOLD", "Lemma: setRebalanceThreshold keeps the threshold <= 10000 and writes no "
               "pool, member, snapshot or version.", scenario_threshold),
    Obligation("LEMMA-REBAL-INIT", "Lemma: the deployed BackpressurePool has no pools, members or snapshots and "
               "threshold 500 (BI0-BI5 and threshold <= 10000 hold).", scenario_init),
    Obligation("LEMMA-REBAL-UNITS", "Lemma: a GDA units change (specs/bpe/superfluid.py pool_member_update) sets the "
               "member's units to u and the pool's total to total - old + u (the stub's guarantee).", scenario_units),
    Obligation("LEMMA-REBAL-UNITS-FRAME", "Lemma: the GDA's other pool-index updates (shift2b for distribute, "
               "shift_flow2b_up for distributeFlow) keep the pool's total units.", scenario_units_frame),
    Obligation("LEMMA-REBAL-FLOW", "Lemma: one units change keeps J: distributed + adjustment rate = its value "
               "before the rebalance, and while every total so far was nonzero |distributed - before| <= sum of "
               "(total after each call - 1).", scenario_flow),
    Obligation("LEMMA-REBAL-CAP", "Lemma: floor(sqrt(y)) < 2^128 for every uint256 y, so effective capacities "
               "(<= cap * UNIT_SCALE, BPE-CAP-002) are below 2^128 * UNIT_SCALE.", scenario_cap),
)

# which lemmas each proof result rests on (besides the registry list invariants)
COMPOSITION: dict[str, tuple[str, ...]] = {
    "BPE-REBAL-001/BackpressurePool.rebalance": ("LEMMA-REBAL-L1", "LEMMA-REBAL-L2", "LEMMA-REBAL-LOOP-INIT",
                                                 "LEMMA-REBAL-EXIT",
                                                 "LEMMA-REBAL-RECORD", "LEMMA-REBAL-NR-POST", "LEMMA-REBAL-CAP",
                                                 "LEMMA-REBAL-THRESHOLD", "LEMMA-REBAL-INIT"),
    "BPE-REBAL-002/init": ("LEMMA-REBAL-INIT",),
    "BPE-REBAL-002/BackpressurePool.rebalance": ("LEMMA-REBAL-L1", "LEMMA-REBAL-L2", "LEMMA-REBAL-LOOP-INIT",
                                                 "LEMMA-REBAL-EXIT", "LEMMA-REBAL-CAP"),
    "BPE-REBAL-002/BackpressurePool.createPool": ("LEMMA-REBAL-CREATE",),
    "BPE-REBAL-002/BackpressurePool.setRebalanceThreshold": ("LEMMA-REBAL-THRESHOLD",),
    "BPE-REBAL-002/needsRebalance-bound": ("LEMMA-REBAL-NR-BOUND", "LEMMA-REBAL-CAP", "LEMMA-REBAL-THRESHOLD"),
    "BPE-REBAL-004/init": ("LEMMA-REBAL-INIT",),
    # the other transitions, for the pool's side of BPE-REBAL-004: no total-units change outside updateMemberUnits
    "BPE-REBAL-004/GDA-index-updates": ("LEMMA-REBAL-UNITS-FRAME",),
    "BPE-REBAL-004/BackpressurePool.rebalance": ("LEMMA-REBAL-L1", "LEMMA-REBAL-L2", "LEMMA-REBAL-LOOP-INIT",
                                                 "LEMMA-REBAL-EXIT", "LEMMA-REBAL-RECORD", "LEMMA-REBAL-UNITS",
                                                 "LEMMA-REBAL-UNITS-FRAME"),
    "BPE-REBAL-004/BackpressurePool.createPool": ("LEMMA-REBAL-CREATE",),
    "BPE-REBAL-004/BackpressurePool.setRebalanceThreshold": ("LEMMA-REBAL-THRESHOLD",),
    "BPE-FLOW-003/BackpressurePool.rebalance": ("LEMMA-REBAL-FLOW", "LEMMA-REBAL-UNITS"),
}
VACUITY_OF = {  # the vacuity check each transition proof needs
    "BackpressurePool.rebalance": "EXIT-NONTRIVIAL",
    "BackpressurePool.createPool": "LEMMA-REBAL-CREATE",
    "BackpressurePool.setRebalanceThreshold": "LEMMA-REBAL-THRESHOLD",
}
STATEMENTS = {
    "BPE-REBAL-001": "Invariant: after rebalance(t), every registered sink has units = floor(effective / UNIT_SCALE) "
                     "and snapshot = effective, every other address has 0 units, and needsRebalance(t) is false.",
    "BPE-REBAL-002": "Invariant: units = floor(snapshot / UNIT_SCALE) for every address, and while needsRebalance is "
                     "false every registered sink's units*UNIT_SCALE*10000 <= effective*10000 + threshold*snapshot "
                     "(strengthened with BI0-BI5 and snapshot < 2^128 * UNIT_SCALE).",
    "BPE-REBAL-004": "Invariant: a pool's total units equal the sum of its members' units, at most 32 members "
                     "(strengthened with BI0-BI5: nobody outside the member list holds units, no member twice).",
    "BPE-FLOW-003": "Invariant: across a rebalance the pool's distributed rate plus its adjustment flow rate is "
                    "unchanged, and while no units change leaves 0 total units the distributed rate changes by at "
                    "most the sum over the rebalance's units changes of (total units after the change - 1) wei/s "
                    "(PROTOCOL.md section 6).",
}


def _lemma(ob: Obligation, bp_cls: type) -> Lemma:
    sc = ob.scenario(bp_cls)

    def replay(model: Any) -> tuple[bool, str]:
        env = Env(model)
        try:
            _facts, body = sc(env)
            goal = body()
        except Revert as r:
            return False, f"the body reverts on the counterexample's inputs ({r.error})"
        g = goal if isinstance(goal, bool) else z3.is_true(z3.simplify(goal if z3.is_expr(goal) else z3.BoolVal(goal)))
        return (not g), f"{ob.id} on the counterexample's concrete inputs (model run concretely): goal {g}"

    return Lemma(ob.id, "BackpressurePool", ob.statement, lambda: sc(Env()), replay)


def _vacuity_exit(bp_cls: type, rlimit: int) -> ObligationResult:
    t0 = time.perf_counter()
    facts, _body = scenario_exit(bp_cls, nontrivial=True)(Env())
    s = budget.solver(rlimit)
    s.add(*facts)
    r = budget.check(s)
    status = PROVED if r == z3.sat else VIOLATED if r == z3.unsat else INCONCLUSIVE
    msg = {PROVED: "the hypotheses (BI0-BI4, registry list invariants, both loop exits) are satisfiable with "
                   "memberCount >= 1, sinkCount >= 1 and the key sink registered",
           VIOLATED: "VACUOUS: the hypotheses of the rebalance proof are contradictory",
           INCONCLUSIVE: "solver returned unknown"}[status]
    return ObligationResult("VACUITY/BackpressurePool.rebalance", "vacuity", "BackpressurePool", status,
                            time.perf_counter() - t0, "The rebalance proofs are not vacuous.", {"message": msg})


_WORKER: Any = None


def _run_one(k: int) -> tuple[int, ObligationResult]:
    prover, lemmas = _WORKER
    return k, prover.prove_lemma(lemmas[k])


SLOW_LEMMAS: tuple[Obligation, ...] = (
    Obligation("LEMMA-REBAL-POOL-UNITS", "Lemma: SuperfluidPool.updateMemberUnits (the whole GDA model, symbolic "
               "pool and token storage) from the admin reverts or sets units[member] = u, totalUnits = totalUnits - "
               "old + u and leaves every other member's units (the pool stub's guarantee).", scenario_pool_units),
)


def prove_rebalance(*, jobs: int = 1, rlimit: int = FULL, overrides: dict[str, type] | None = None,
                    registry_lists: bool = True, slow: bool = False) -> list[ObligationResult]:
    """Every obligation of BPE-REBAL-001/002/004 and BPE-FLOW-003: the lemmas (kind "lemma"), the registry list
    invariants (kind "proof", per transition, with vacuity), the vacuity of each BackpressurePool transition
    proof (kind "vacuity") and one "proof" result per invariant and transition, PROVED only when every lemma
    it rests on is PROVED and its transition's vacuity check is PROVED. `slow=True` adds LEMMA-REBAL-POOL-UNITS
    (the pool stub's guarantee checked on the whole GDA model: about 150 s, so not in the default run)."""
    bp_cls = (overrides or {}).get("BackpressurePool", BackpressurePool)
    prover = Prover.__new__(Prover)  # only prove_lemma is used: no system needed
    prover.rlimit = rlimit
    prover.counter = [0]
    lemmas = [_lemma(ob, bp_cls) for ob in LEMMAS + (SLOW_LEMMAS if slow else ())]
    if jobs <= 1:
        lemma_results = [prover.prove_lemma(lm) for lm in lemmas]
    else:
        from invariants.parallel import fork_map

        global _WORKER
        _WORKER = (prover, lemmas)
        try:
            done = dict(fork_map(_run_one, range(len(lemmas)), jobs))
        finally:
            _WORKER = None
        lemma_results = [done[k] for k in range(len(lemmas))]
    for r in lemma_results:
        r.details["environment"] = ENVIRONMENT + GUARANTEES
    by_id = {r.id: r for r in lemma_results}
    lists = prove_registry_lists(jobs=jobs, rlimit=rlimit) if registry_lists else []
    lists_ok = all(r.status == PROVED for r in lists)
    vac = [_vacuity_exit(bp_cls, rlimit)]
    by_id["EXIT-NONTRIVIAL"] = vac[0]
    for tr, lid in VACUITY_OF.items():
        if tr == "BackpressurePool.rebalance":
            continue
        src = by_id[lid]
        ok = src.status == PROVED  # prove_lemma fails a lemma whose assumptions admit no path (VACUOUS)
        vac.append(ObligationResult(f"VACUITY/{tr}", "vacuity", "BackpressurePool", PROVED if ok else src.status,
                                    0.0, f"The BPE-REBAL proof across {tr} is not vacuous.",
                                    {"message": f"{lid}'s assumptions are satisfiable with a path of the function"
                                     if ok else f"{lid} is {src.status}"}))
    vac_by_tr = {r.id.split("/", 1)[1]: r for r in vac}
    proofs = []
    for pid, deps in COMPOSITION.items():
        inv, where = pid.split("/", 1)
        parts = [by_id[d] for d in deps]
        needs_lists = pid.startswith("BPE-REBAL")
        failing = [p for p in parts if p.status != PROVED]
        status = PROVED
        if any(p.status == VIOLATED for p in parts):
            status = VIOLATED
        elif failing or (needs_lists and not lists_ok):
            status = INCONCLUSIVE
        vr = vac_by_tr.get(where)
        if status == PROVED and vr is not None and vr.status != PROVED:
            status = INCONCLUSIVE
        cex = next((p for p in parts if p.status == VIOLATED), None)
        details = {"obligation": "step property of " + where if inv == "BPE-REBAL-001" else
                   ("inductive step across " + where if where.startswith("BackpressurePool.") else where),
                   "method": METHOD, "lemmas": list(deps), "environment": ENVIRONMENT + GUARANTEES,
                   "registry_list_invariants": [i.id for i in LIST_INVARIANTS] + ["BPE-REBAL-003"],
                   "invariant_kind": "step (two-state)" if inv in ("BPE-REBAL-001", "BPE-FLOW-003") else
                   "state (inductive)",
                   "other_transitions": "frame (GUARANTEES 2): they write no BackpressurePool storage and no units"}
        if cex is not None:
            details["counterexample"] = cex.details.get("counterexample")
            details["confirmed"] = cex.details.get("confirmed")
            details["replay"] = cex.details.get("replay")
            details["message"] = f"{cex.id} VIOLATED"
        elif status != PROVED:
            details["message"] = "not all parts PROVED: " + ", ".join(f"{p.id} {p.status}" for p in failing)
        # the time is the lemmas' (reported with them): 0 here, so a total over all results counts it once
        details["seconds_in_lemmas"] = round(sum(p.seconds for p in parts), 3)
        proofs.append(ObligationResult(pid, "proof", "BackpressurePool", status, 0.0, STATEMENTS[inv], details))
    return lemma_results + lists + vac + proofs
