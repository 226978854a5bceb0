"""BPE-FLOW lemmas over the Superfluid GDA model's own arithmetic (specs/bpe/superfluid.py, SemanticMoney).

What BPE-FLOW needs from the GDA's arithmetic is proved over the very functions the model (and through it
the differential fuzzing against the real framework) uses, on z3 terms, as lemmas:

- LEMMA-FLOW-001 `pool_member_update` (a units change, what BackpressurePool.rebalance causes) conserves
  flow: the pool index's distributed rate (per-unit rate * total units, i.e. the sum of the members'
  rates when total units = sum of owned units) plus particle b's rate after the update equal the same
  sum before. The remainder the new total cannot carry moves to b (the pool's adjustment flow).
- LEMMA-FLOW-002 the rounding bound of a units change: the remainder moved is smaller in magnitude than
  the new total units (|er| < |U'|, in wei per second), and with U' = 0 the whole rate moves.
- LEMMA-FLOW-003 `shift_flow2b_up` (a distributor's flow change into a pool) conserves flow between the
  distributor's particle and the index, and the new distributed rate r1 is the requested one rounded
  towards zero to a multiple of the total units: 0 <= (r + dr) - r1 < U for r + dr >= 0, U > 0.
- LEMMA-FLOW-004 `shift_flow2b_uu` (a flow between two accounts, e.g. the adjustment flow) conserves
  flow: a' + b' = a + b.
- LEMMA-FLOW-005 `shift2b` (instant distribution, EscrowBuffer.drain's GDA call) conserves value: the
  distributor's settled value falls by exactly the amount the index distributes (x1 = per-unit shift *
  U), and 0 <= x - x1 < U for x >= 0, U > 0 (x1 = x when x is a multiple of U, as drain's amounts are).

- LEMMA-FLOW-006 `shift_flow2b_up` conserves value: v0(a) + U * v0(index particle) is unchanged, where
  v0(p) = settled_value - flow_rate * settled_at (a particle's value extrapolated to time 0: settling keeps
  it), and U is unchanged.
- LEMMA-FLOW-007 `shift_flow2b_uu` conserves value: v0(a) + v0(b) is unchanged.

invariants/bpe/flow.py runs the GDA model symbolically as a transition system and uses LEMMA-FLOW-001, 003..007
as facts at every call of these functions on a path (their instances are sound: each lemma holds on
every non-reverting path of its function, for every input in range).

Each lemma is a statement about one call of the function that does not revert (a reverting call
changes nothing). Counterexamples are replayed by running the function on the concrete inputs.
What is not covered: that the GDA contract calls these functions as the model does (that is the
differential fuzzing against the real framework), sums over all members of a pool (BPE-REBAL-004:
total units = sum of owned units), and the SuperToken balance bookkeeping around them (BPE-FLOW-002).
"""

from __future__ import annotations

from typing import Any, Callable

import z3

from specs.bpe import superfluid as sf
from specs.kernel import I128, I256, U32, Revert
from invariants.bpe.bpe_math import Lemma


def _particle(tag: str) -> tuple[sf.Particle, list[z3.BoolRef]]:
    p = sf.Particle(U32.symbolic(f"{tag}.settled_at"), I128.symbolic(f"{tag}.flow_rate"),
                    I256.symbolic(f"{tag}.settled_value"))
    return p, p.settled_at.range_constraints() + p.flow_rate.range_constraints() + p.settled_value.range_constraints()


def _index(tag: str) -> tuple[sf.PoolIndex, list[z3.BoolRef]]:
    wp, f = _particle(f"{tag}.wp")
    u = I128.symbolic(f"{tag}.total_units")
    return sf.PoolIndex(u, wp), f + u.range_constraints() + [u.v >= 0]  # total units are never negative


def _member(tag: str) -> tuple[sf.PoolMember, list[z3.BoolRef]]:
    synced, f = _particle(f"{tag}.synced")
    owned, sv = I128.symbolic(f"{tag}.owned_units"), I256.symbolic(f"{tag}.settled_value")
    return sf.PoolMember(owned, sv, synced), f + owned.range_constraints() + sv.range_constraints() + [owned.v >= 0]


def _v(x: Any) -> Any:
    return x.v


def _catch(body: Callable[[], Any]) -> Callable[[], Any]:
    """A reverting call changes nothing: the lemma's goal is about calls that succeed."""
    def run() -> Any:
        try:
            return body()
        except Revert:
            return True
    return run


def _replayer(make: Callable[[Callable[[Any], int]], tuple[str, bool]]) -> Callable[[Any], tuple[bool, str]]:
    def replay(model: Any) -> tuple[bool, str]:
        def val(term: Any) -> int:
            return model.eval(term, model_completion=True).as_long()
        try:
            desc, ok = make(val)
        except Revert as r:
            return False, f"the function reverts on the counterexample's inputs ({r.error})"
        return (not ok), desc
    return replay


# -- LEMMA-FLOW-001 / 002: pool_member_update ---------------------------------------------------------
def _pmu_inputs(val: Callable[[Any], int] | None = None):  # type: ignore[no-untyped-def]
    i, fi = _index("pmu.i")
    m, fm = _member("pmu.m")
    a, fa = _particle("pmu.a")
    u = I128.symbolic("pmu.u")
    t = U32.symbolic("pmu.t")
    facts = fi + fm + fa + u.range_constraints() + t.range_constraints() + [u.v >= 0, m.owned_units.v <= i.total_units.v]
    if val is None:
        return (i, m, a, u, t), facts
    c = lambda p: sf.Particle(U32(val(p.settled_at.v)), I128(val(p.flow_rate.v)), I256(val(p.settled_value.v)))  # noqa: E731
    ci = sf.PoolIndex(I128(val(i.total_units.v)), c(i.wp))
    cm = sf.PoolMember(I128(val(m.owned_units.v)), I256(val(m.settled_value.v)), c(m.synced))
    return (ci, cm, c(a), I128(val(u.v)), U32(val(t.v))), facts


def _pmu_conserves(i, m, a, u, t):  # type: ignore[no-untyped-def]
    i2, _m2, b = sf.pool_member_update(i, m, a, u, t)
    before = _v(i.wp.flow_rate) * _v(i.total_units) + _v(a.flow_rate)
    after = _v(i2.wp.flow_rate) * _v(i2.total_units) + _v(b.flow_rate)
    return before == after, f"before {before}, after {after}"


def _pmu_bound(i, m, a, u, t):  # type: ignore[no-untyped-def]
    i2, _m2, b = sf.pool_member_update(i, m, a, u, t)
    er = _v(b.flow_rate) - _v(a.flow_rate)
    n = _v(i2.total_units)
    if isinstance(n, int) and isinstance(er, int):
        ok = (abs(er) < abs(n)) if n != 0 else (_v(i2.wp.flow_rate) == 0)
        return ok, f"remainder {er}, new total units {n}"
    absn = z3.If(n >= 0, n, -n)
    return z3.If(n != 0, z3.And(er < absn, -er < absn), _v(i2.wp.flow_rate) == 0), ""


def _lemma_over(inputs: Callable, goal: Callable) -> tuple[Callable, Callable]:  # type: ignore[type-arg]
    def build() -> tuple[list[z3.BoolRef], Callable[[], Any]]:
        args, facts = inputs()
        return facts, _catch(lambda: goal(*args)[0])

    def make(val: Callable[[Any], int]) -> tuple[str, bool]:
        args, _ = inputs(val)
        ok, desc = goal(*args)
        return desc, bool(ok)

    return build, _replayer(make)


# -- LEMMA-FLOW-003: shift_flow2b_up -----------------------------------------------------------------
def _sfu_inputs(val: Callable[[Any], int] | None = None):  # type: ignore[no-untyped-def]
    a, fa = _particle("sfu.a")
    b, fb = _index("sfu.b")
    dr, t = I128.symbolic("sfu.dr"), U32.symbolic("sfu.t")
    facts = fa + fb + dr.range_constraints() + t.range_constraints()
    if val is None:
        return (a, b, dr, t), facts
    c = lambda p: sf.Particle(U32(val(p.settled_at.v)), I128(val(p.flow_rate.v)), I256(val(p.settled_value.v)))  # noqa: E731
    return (c(a), sf.PoolIndex(I128(val(b.total_units.v)), c(b.wp)), I128(val(dr.v)), U32(val(t.v))), facts


def _sfu(a, b, dr, t):  # type: ignore[no-untyped-def]
    a2, n, r1 = sf.shift_flow2b_up(a, b, dr, t)
    U = _v(b.total_units)
    r = _v(b.wp.flow_rate) * U
    conserve = (_v(a2.flow_rate) + _v(n.wp.flow_rate) * _v(n.total_units)) == (_v(a.flow_rate) + r)
    same = _v(r1) == _v(n.wp.flow_rate) * _v(n.total_units)
    want = r + _v(dr)
    if isinstance(U, int):
        bound = (0 <= want - _v(r1) < U) if (U > 0 and want >= 0) else (_v(r1) == 0 if U == 0 else True)
        ok = conserve and same and bound
        return ok, f"a.fr {_v(a.flow_rate)} -> {_v(a2.flow_rate)}, distributed {r} -> {_v(r1)} (requested {want}, U {U})"
    bound = z3.If(z3.And(U > 0, want >= 0), z3.And(want - _v(r1) >= 0, want - _v(r1) < U),
                  z3.If(U == 0, _v(r1) == 0, True))
    return z3.And(conserve, same, bound), ""


# -- LEMMA-FLOW-004: shift_flow2b_uu -----------------------------------------------------------------
def _suu_inputs(val: Callable[[Any], int] | None = None):  # type: ignore[no-untyped-def]
    a, fa = _particle("suu.a")
    b, fb = _particle("suu.b")
    dr, t = I128.symbolic("suu.dr"), U32.symbolic("suu.t")
    facts = fa + fb + dr.range_constraints() + t.range_constraints()
    if val is None:
        return (a, b, dr, t), facts
    c = lambda p: sf.Particle(U32(val(p.settled_at.v)), I128(val(p.flow_rate.v)), I256(val(p.settled_value.v)))  # noqa: E731
    return (c(a), c(b), I128(val(dr.v)), U32(val(t.v))), facts


def _suu(a, b, dr, t):  # type: ignore[no-untyped-def]
    a2, b2 = sf.shift_flow2b_uu(a, b, dr, t)
    before = _v(a.flow_rate) + _v(b.flow_rate)
    after = _v(a2.flow_rate) + _v(b2.flow_rate)
    moved = _v(b2.flow_rate) - _v(b.flow_rate)
    ok = z3.And(before == after, moved == _v(dr)) if not isinstance(before, int) else (before == after and moved == _v(dr))
    return ok, f"a+b {before} -> {after}, b moved by {moved} (dr {_v(dr)})"


# -- LEMMA-FLOW-005: shift2b -------------------------------------------------------------------------
def _s2b_inputs(val: Callable[[Any], int] | None = None):  # type: ignore[no-untyped-def]
    a, fa = _particle("s2b.a")
    b, fb = _index("s2b.b")
    x = I256.symbolic("s2b.x")
    facts = fa + fb + x.range_constraints() + [x.v >= 0]  # drain distributes a uint256 cast to int256
    if val is None:
        return (a, b, x), facts
    c = lambda p: sf.Particle(U32(val(p.settled_at.v)), I128(val(p.flow_rate.v)), I256(val(p.settled_value.v)))  # noqa: E731
    return (c(a), sf.PoolIndex(I128(val(b.total_units.v)), c(b.wp)), I256(val(x.v))), facts


def _s2b(a, b, x):  # type: ignore[no-untyped-def]
    a2, n, x1 = sf.shift2b(a, b, x)
    U = _v(b.total_units)
    paid = _v(a.settled_value) - _v(a2.settled_value)
    per_unit = _v(n.wp.settled_value) - _v(b.wp.settled_value)
    if isinstance(U, int):
        ok = paid == _v(x1) and per_unit * U == _v(x1) and ((0 <= _v(x) - _v(x1) < U) if U > 0 else _v(x1) == 0)
        return ok, f"paid {paid}, distributed {_v(x1)} (requested {_v(x)}, U {U}, per unit {per_unit})"
    bound = z3.If(U > 0, z3.And(_v(x) - _v(x1) >= 0, _v(x) - _v(x1) < U), _v(x1) == 0)
    return z3.And(paid == _v(x1), per_unit * U == _v(x1), bound), ""


# -- LEMMA-FLOW-006 / 007: value conservation (universal-index value at time 0) -----------------------
def _v0(p):  # type: ignore[no-untyped-def]
    """A particle's value extrapolated to time 0: settled_value - flow_rate * settled_at (settle keeps it)."""
    return _v(p.settled_value) - _v(p.flow_rate) * _v(p.settled_at)


def _iv0(i):  # type: ignore[no-untyped-def]
    """A pool index's members' value at time 0: total units * v0(per-unit particle)."""
    return _v(i.total_units) * _v0(i.wp)


def _sfu_value(a, b, dr, t):  # type: ignore[no-untyped-def]
    a2, n, _r1 = sf.shift_flow2b_up(a, b, dr, t)
    before, after = _v0(a) + _iv0(b), _v0(a2) + _iv0(n)
    same_units = _v(n.total_units) == _v(b.total_units)
    if isinstance(before, int) and isinstance(after, int):
        return before == after and bool(same_units), f"v0(a) + U*v0(wp): {before} -> {after}"
    return z3.And(before == after, same_units), ""


def _suu_value(a, b, dr, t):  # type: ignore[no-untyped-def]
    a2, b2 = sf.shift_flow2b_uu(a, b, dr, t)
    before, after = _v0(a) + _v0(b), _v0(a2) + _v0(b2)
    ok = before == after
    return (ok if not isinstance(before, int) else bool(ok)), f"v0(a) + v0(b): {before} -> {after}"


def _mk(id_: str, statement: str, inputs: Callable, goal: Callable) -> Lemma:  # type: ignore[type-arg]
    build, replay = _lemma_over(inputs, goal)
    return Lemma(id_, "SuperfluidGDA", statement, build, replay)


LEMMAS: tuple[Lemma, ...] = (
    _mk("LEMMA-FLOW-001", "Lemma: pool_member_update conserves flow: index rate (per-unit rate * total units) "
        "plus particle b's rate is the same before and after a units change.", _pmu_inputs, _pmu_conserves),
    _mk("LEMMA-FLOW-002", "Lemma: a units change moves a remainder smaller than the new total units to the "
        "adjustment particle (|er| < |U'|), or the whole rate when U' = 0.", _pmu_inputs, _pmu_bound),
    _mk("LEMMA-FLOW-003", "Lemma: shift_flow2b_up conserves flow between distributor and index, and distributes "
        "the requested rate rounded towards zero to a multiple of the total units (0 <= R - r1 < U).",
        _sfu_inputs, _sfu),
    _mk("LEMMA-FLOW-004", "Lemma: shift_flow2b_uu conserves flow: a' + b' = a + b, and b's rate moves by dr.",
        _suu_inputs, _suu),
    _mk("LEMMA-FLOW-005", "Lemma: shift2b (instant distribution) takes from the distributor exactly what the index "
        "distributes, per-unit shift * U, and 0 <= x - x1 < U.", _s2b_inputs, _s2b),
    _mk("LEMMA-FLOW-006", "Lemma: shift_flow2b_up conserves value: v0(a) + U*v0(index particle) is the same before "
        "and after (v0(p) = settled_value - flow_rate*settled_at, the value extrapolated to time 0), and U is "
        "unchanged.", _sfu_inputs, _sfu_value),
    _mk("LEMMA-FLOW-007", "Lemma: shift_flow2b_uu conserves value: v0(a) + v0(b) is the same before and after.",
        _suu_inputs, _suu_value),
)
