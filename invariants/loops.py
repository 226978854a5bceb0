"""Sums over an index range of a mapping, for loop summaries and the invariants that talk about queues.

`QueueSum(a, r, lo, hi)` is an uninterpreted z3 function standing for the finite sum
sum_{lo <= i < hi} a[r * 2**256 + i] over a kernel array `a` (a nested mapping `m[r][i]` is one z3
array indexed by the flat key r * 2**256 + i, see specs.kernel.flat_key). No quantifier reaches z3:
every fact about QueueSum is a ground instance, made where the term is built.

Axioms of the encoding (the definition of a finite sum, and what a storage slot holds):
- AX-SUM-EMPTY  hi <= lo  =>  QueueSum(a, r, lo, hi) = 0
- AX-SUM-STEP   lo <= hi  =>  QueueSum(a, r, lo, hi + 1) = QueueSum(a, r, lo, hi) + a[r, hi]
- AX-STORAGE-UINT  every entry of a uint mapping in a state of the system is >= 0 (storage holds
  uint256 values; the symbolic arrays are unconstrained Int arrays, so this is stated, not derived)

Lemmas, each proved by induction on hi with z3 discharging the base case and the step (reported as
lemma results, `SUM_LEMMAS`), from the two AX-SUM axioms only:
- LEMMA-SUM-001 (head)        lo < hi  =>  QueueSum(a, r, lo, hi) = a[r, lo] + QueueSum(a, r, lo + 1, hi)
- LEMMA-SUM-002 (point update) QueueSum(Store(a, k, v), r, lo, hi)
                               = QueueSum(a, r, lo, hi) + (v - a[k] if lo <= k - r * 2**256 < hi else 0)
- LEMMA-SUM-003 (split)       lo <= m <= hi  =>  QueueSum(a, r, lo, hi) = QueueSum(a, r, lo, m) + QueueSum(a, r, m, hi)
- LEMMA-SUM-004 (non-negative) entries of [lo, hi) >= 0  =>  QueueSum(a, r, lo, hi) >= 0
                               (with AX-STORAGE-UINT: every QueueSum over a state's array is >= 0)
- LEMMA-SUM-005 (agreement)   a and b equal on row r over [lo, hi)  =>  equal sums

`range_sum` builds the term and adds, as definitions of the current path, the instances the proofs
use: AX-SUM-EMPTY and LEMMA-SUM-004 for the term; down a chain of Stores, LEMMA-SUM-002 per write; at
an array a loop summary produced (`register_summary_array`), LEMMA-SUM-005 for every other row; at a
base array, AX-SUM-STEP at hi - 1 (the last entry split off, which is what appending at the tail uses).
"""

from __future__ import annotations

from typing import Any, Callable

import z3

from invariants.registry import Lemma
from specs.kernel import define

ROW = 1 << 256
INT_ARRAY = z3.ArraySort(z3.IntSort(), z3.IntSort())
QUEUE_SUM = z3.Function("QueueSum", INT_ARRAY, z3.IntSort(), z3.IntSort(), z3.IntSort(), z3.IntSort())

AXIOMS = [
    "AX-SUM-EMPTY: QueueSum(a, r, lo, hi) = 0 when hi <= lo (definition of a finite sum)",
    "AX-SUM-STEP: QueueSum(a, r, lo, hi + 1) = QueueSum(a, r, lo, hi) + a[r * 2**256 + hi] when lo <= hi "
    "(definition of a finite sum)",
    "AX-STORAGE-UINT: every entry of a uint mapping in a state of the system is >= 0 (a storage slot holds a "
    "uint256; the symbolic arrays are unconstrained Int arrays)",
]


def qsum(a: Any, r: Any, lo: Any, hi: Any) -> z3.ArithRef:
    return QUEUE_SUM(a, r, lo, hi)


def at(a: Any, r: Any, i: Any) -> z3.ArithRef:
    return z3.Select(a, r * ROW + i)


def ax_empty(a: Any, r: Any, lo: Any, hi: Any) -> z3.BoolRef:
    return z3.Implies(hi <= lo, qsum(a, r, lo, hi) == 0)


def ax_step(a: Any, r: Any, lo: Any, hi: Any) -> z3.BoolRef:
    return z3.Implies(lo <= hi, qsum(a, r, lo, hi + 1) == qsum(a, r, lo, hi) + at(a, r, hi))


def head_unfold(a: Any, r: Any, lo: Any, hi: Any) -> z3.BoolRef:
    """LEMMA-SUM-001 at (a, r, lo, hi)."""
    return z3.Implies(lo < hi, qsum(a, r, lo, hi) == at(a, r, lo) + qsum(a, r, lo + 1, hi))


def point_update(b: Any, r: Any, lo: Any, hi: Any) -> z3.BoolRef:
    """LEMMA-SUM-002 at (Store(a, k, v), r, lo, hi), b being that Store term."""
    a, k, v = b.arg(0), b.arg(1), b.arg(2)
    off = k - r * ROW
    return qsum(b, r, lo, hi) == qsum(a, r, lo, hi) + z3.If(z3.And(lo <= off, off < hi), v - z3.Select(a, k), 0)


def split(a: Any, r: Any, lo: Any, m: Any, hi: Any) -> z3.BoolRef:
    """LEMMA-SUM-003 at (a, r, lo, m, hi)."""
    return z3.Implies(z3.And(lo <= m, m <= hi), qsum(a, r, lo, hi) == qsum(a, r, lo, m) + qsum(a, r, m, hi))


# arrays made by a loop summary: id -> (that array, the array before the loop, the only row the loop may
# write); the array itself is kept so that its id is never reused for another term
_SUMMARY_ARRAYS: dict[int, tuple[Any, Any, Any]] = {}


def register_summary_array(after: Any, before: Any, row: Any) -> None:
    """`after` equals `before` on every row but `row` (the summary's frame condition, proved per
    iteration): sums over other rows carry over (LEMMA-SUM-005)."""
    _SUMMARY_ARRAYS[after.get_id()] = (after, before, row)


def range_sum(array: Any, r: Any, lo: Any, hi: Any, emit: Callable[[z3.BoolRef], None] = define) -> z3.ArithRef:
    """QueueSum(array, r, lo, hi), with the ground instances described in the module docstring added
    through `emit` (default: as definitions of the current symbolic path)."""
    _facts(array, r, lo, hi, emit, 0)
    return qsum(array, r, lo, hi)


def _facts(a: Any, r: Any, lo: Any, hi: Any, emit: Callable[[z3.BoolRef], None], depth: int) -> None:
    s = qsum(a, r, lo, hi)
    emit(ax_empty(a, r, lo, hi))
    emit(s >= 0)  # LEMMA-SUM-004 with AX-STORAGE-UINT
    if depth > 64:
        return
    if z3.is_store(a):
        emit(point_update(a, r, lo, hi))
        _facts(a.arg(0), r, lo, hi, emit, depth + 1)
    elif a.get_id() in _SUMMARY_ARRAYS and _SUMMARY_ARRAYS[a.get_id()][0].eq(a):
        _, before, row = _SUMMARY_ARRAYS[a.get_id()]
        # LEMMA-SUM-005: the summary array differs from `before` only at flat keys row * 2**256 + i with
        # 0 <= i < 2**256; another row r >= 0 over indices [lo, hi) within [0, 2**256) is untouched
        emit(z3.Implies(z3.And(r != row, r >= 0, row >= 0, lo >= 0, hi <= ROW), s == qsum(before, r, lo, hi)))
        _facts(before, r, lo, hi, emit, depth + 1)
    else:
        emit(z3.Implies(lo < hi, s == qsum(a, r, lo, hi - 1) + at(a, r, hi - 1)))  # AX-SUM-STEP at hi - 1


# ---------------------------------------------------------------------------------------------
# The lemmas, by induction on hi (base and step in one goal; each with its own fresh constants)
# ---------------------------------------------------------------------------------------------


def _vars(tag: str) -> tuple[Any, Any, Any, Any]:
    return z3.Array(f"{tag}.a", z3.IntSort(), z3.IntSort()), z3.Int(f"{tag}.r"), z3.Int(f"{tag}.lo"), z3.Int(f"{tag}.hi")


def _lemma_head() -> tuple[list, Callable[[], Any]]:
    a, r, lo, _ = _vars("sum1.base")
    base_ax = [ax_step(a, r, lo, lo), ax_empty(a, r, lo, lo), ax_empty(a, r, lo + 1, lo + 1)]
    base = qsum(a, r, lo, lo + 1) == at(a, r, lo) + qsum(a, r, lo + 1, lo + 1)
    b, r2, lo2, hi2 = _vars("sum1.step")
    step_ax = [ax_step(b, r2, lo2, hi2), ax_step(b, r2, lo2 + 1, hi2)]
    ih = qsum(b, r2, lo2, hi2) == at(b, r2, lo2) + qsum(b, r2, lo2 + 1, hi2)
    step = z3.Implies(z3.And(lo2 + 1 <= hi2, ih),
                      qsum(b, r2, lo2, hi2 + 1) == at(b, r2, lo2) + qsum(b, r2, lo2 + 1, hi2 + 1))
    return base_ax + step_ax, lambda: z3.And(base, step)


def _lemma_point_update() -> tuple[list, Callable[[], Any]]:
    a, r, lo, hi = _vars("sum2.base")
    k, v = z3.Int("sum2.base.k"), z3.Int("sum2.base.v")
    b = z3.Store(a, k, v)
    base_ax = [ax_empty(a, r, lo, hi), ax_empty(b, r, lo, hi)]
    base = z3.Implies(hi <= lo, point_update(b, r, lo, hi))
    a2, r2, lo2, hi2 = _vars("sum2.step")
    k2, v2 = z3.Int("sum2.step.k"), z3.Int("sum2.step.v")
    b2 = z3.Store(a2, k2, v2)
    step_ax = [ax_step(a2, r2, lo2, hi2), ax_step(b2, r2, lo2, hi2)]
    step = z3.Implies(z3.And(lo2 <= hi2, point_update(b2, r2, lo2, hi2)),
                      z3.substitute(point_update(b2, r2, lo2, hi2), (hi2, hi2 + 1)))
    return base_ax + step_ax, lambda: z3.And(base, step)


def _lemma_split() -> tuple[list, Callable[[], Any]]:
    a, r, lo, m = _vars("sum3.base")
    base_ax = [ax_empty(a, r, m, m)]
    base = z3.Implies(lo <= m, qsum(a, r, lo, m) == qsum(a, r, lo, m) + qsum(a, r, m, m))
    a2, r2, lo2, hi2 = _vars("sum3.step")
    m2 = z3.Int("sum3.step.m")
    step_ax = [ax_step(a2, r2, lo2, hi2), ax_step(a2, r2, m2, hi2)]
    ih = qsum(a2, r2, lo2, hi2) == qsum(a2, r2, lo2, m2) + qsum(a2, r2, m2, hi2)
    step = z3.Implies(z3.And(lo2 <= m2, m2 <= hi2, ih),
                      qsum(a2, r2, lo2, hi2 + 1) == qsum(a2, r2, lo2, m2) + qsum(a2, r2, m2, hi2 + 1))
    return base_ax + step_ax, lambda: z3.And(base, step)


def _lemma_nonneg() -> tuple[list, Callable[[], Any]]:
    a, r, lo, hi = _vars("sum4.base")
    base_ax = [ax_empty(a, r, lo, hi)]
    base = z3.Implies(hi <= lo, qsum(a, r, lo, hi) >= 0)
    a2, r2, lo2, hi2 = _vars("sum4.step")
    step_ax = [ax_step(a2, r2, lo2, hi2)]
    step = z3.Implies(z3.And(lo2 <= hi2, qsum(a2, r2, lo2, hi2) >= 0, at(a2, r2, hi2) >= 0),
                      qsum(a2, r2, lo2, hi2 + 1) >= 0)
    return base_ax + step_ax, lambda: z3.And(base, step)


def _lemma_agreement() -> tuple[list, Callable[[], Any]]:
    a, r, lo, hi = _vars("sum5.base")
    b = z3.Array("sum5.base.b", z3.IntSort(), z3.IntSort())
    base_ax = [ax_empty(a, r, lo, hi), ax_empty(b, r, lo, hi)]
    base = z3.Implies(hi <= lo, qsum(a, r, lo, hi) == qsum(b, r, lo, hi))
    a2, r2, lo2, hi2 = _vars("sum5.step")
    b2 = z3.Array("sum5.step.b", z3.IntSort(), z3.IntSort())
    step_ax = [ax_step(a2, r2, lo2, hi2), ax_step(b2, r2, lo2, hi2)]
    step = z3.Implies(z3.And(lo2 <= hi2, qsum(a2, r2, lo2, hi2) == qsum(b2, r2, lo2, hi2),
                             at(a2, r2, hi2) == at(b2, r2, hi2)),
                      qsum(a2, r2, lo2, hi2 + 1) == qsum(b2, r2, lo2, hi2 + 1))
    return base_ax + step_ax, lambda: z3.And(base, step)


def sum_lemmas() -> tuple:
    c = "EscrowBuffer"
    by_induction = " (by induction on hi: base case and step proved from AX-SUM-EMPTY and AX-SUM-STEP)"
    return (
        Lemma("LEMMA-SUM-001", c, "Lemma: QueueSum(a, r, lo, hi) = a[r, lo] + QueueSum(a, r, lo + 1, hi) for lo < hi"
              + by_induction, _lemma_head),
        Lemma("LEMMA-SUM-002", c, "Lemma: writing a[k] changes QueueSum(a, r, lo, hi) by v - a[k] if k is in row r "
              "at an index of [lo, hi), and not at all otherwise" + by_induction, _lemma_point_update),
        Lemma("LEMMA-SUM-003", c, "Lemma: QueueSum(a, r, lo, hi) = QueueSum(a, r, lo, m) + QueueSum(a, r, m, hi) for "
              "lo <= m <= hi" + by_induction, _lemma_split),
        Lemma("LEMMA-SUM-004", c, "Lemma: QueueSum over entries that are all >= 0 is >= 0" + by_induction,
              _lemma_nonneg),
        Lemma("LEMMA-SUM-005", c, "Lemma: arrays equal on row r over [lo, hi) have equal QueueSum(., r, lo, hi)"
              + by_induction, _lemma_agreement),
    )


SUM_LEMMAS = sum_lemmas()
