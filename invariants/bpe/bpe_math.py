"""Lemmas on BPEMath.sqrt: the Babylonian loop computes floor(sqrt(y)) for every uint256 y.

The symbolic model of `sqrt` (specs/bpe/bpe_math.py) returns a fresh r with r*r <= y < (r+1)*(r+1);
these lemmas are what make that exact. They run the model's own `sqrt_init` and `sqrt_step` on z3
terms (not a copy of the loop), with s = floor(sqrt(y)) defined by s*s <= y < (s+1)*(s+1).

Loop invariant I(z, x):  z >= s  and  x >= s  and  (z > s  implies  x < z).
- LEMMA-SQRT-001 (init): for y > 3, `z = y; x = y/2 + 1` does not overflow and establishes I.
- LEMMA-SQRT-002 (step): I and the loop condition x < z imply that one iteration does not revert,
  re-establishes I, and strictly decreases z (so the loop terminates: z >= s >= 0).
- LEMMA-SQRT-003 (exit): I and not (x < z) imply z == s, the value returned.
- LEMMA-SQRT-004 (small inputs): for y in 0..3 the function returns floor(sqrt(y)) (by enumeration).
- LEMMA-SQRT-005 (uniqueness): two values r1, r2 that both satisfy the symbolic sqrt's definition for
  the same y are equal. The prover instantiates it for every pair of symbolic square roots of one
  query (`invariants.prover._sqrt_congruence`): the kernel makes a fresh root per call, and a
  predicate that reads the cap through two calls needs to know they agree.
"""

from __future__ import annotations

from typing import Any, Callable

import z3

from specs.bpe import bpe_math
from invariants.registry import Lemma
from specs.kernel import U256, Bool


def _setup() -> tuple[U256, z3.ArithRef, list[z3.BoolRef]]:
    y = U256.symbolic("sqrt.y")
    s = z3.Int("sqrt.s")
    facts = y.range_constraints() + [s >= 0, s * s <= y.v, y.v < (s + 1) * (s + 1)]
    return y, s, facts


def _inv(s: z3.ArithRef, z: Any, x: Any) -> z3.BoolRef:
    return z3.And(z >= s, x >= s, z3.Implies(z > s, x < z))


def _init() -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    y, s, facts = _setup()

    def body() -> Any:
        z, x = bpe_math.sqrt_init(y)
        return _inv(s, z.v, x.v)

    return facts + [y.v > 3], body


def _step() -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    y, s, facts = _setup()
    z, x = U256.symbolic("sqrt.z"), U256.symbolic("sqrt.x")
    pre = facts + z.range_constraints() + x.range_constraints() + [y.v > 3, _inv(s, z.v, x.v), x.v < z.v]

    def body() -> Any:
        z2, x2 = bpe_math.sqrt_step(y, z, x)
        return z3.And(_inv(s, z2.v, x2.v), z2.v < z.v)

    return pre, body


def _exit() -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    y, s, facts = _setup()
    z, x = U256.symbolic("sqrt.z"), U256.symbolic("sqrt.x")
    pre = facts + z.range_constraints() + x.range_constraints() + [y.v > 3, _inv(s, z.v, x.v), z3.Not(x.v < z.v)]
    return pre, lambda: z.v == s


def _small() -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    def body() -> Any:
        return all((r := bpe_math.sqrt(U256(y)).v) * r <= y < (r + 1) * (r + 1) for y in range(4))

    return [], body


def _unique() -> tuple[list[z3.BoolRef], Callable[[], Any]]:
    y = U256.symbolic("sqrt.y")
    r1, r2 = z3.Int("sqrt.r1"), z3.Int("sqrt.r2")
    defs = [z3.And(r >= 0, r * r <= y.v, y.v < (r + 1) * (r + 1)) for r in (r1, r2)]

    def body() -> Any:
        # both orders: r1 < r2 would give (r1 + 1)^2 <= r2^2 <= y, contradicting y < (r1 + 1)^2
        return z3.And(z3.Not(r1 + 1 <= r2), z3.Not(r2 + 1 <= r1))

    return y.range_constraints() + defs, body


LEMMAS: tuple[Lemma, ...] = (
    Lemma("LEMMA-SQRT-001", "BPEMath",
          "Lemma: for y > 3, sqrt's initialisation does not overflow and establishes the loop invariant.", _init),
    Lemma("LEMMA-SQRT-002", "BPEMath",
          "Lemma: one loop iteration of sqrt does not revert, keeps the loop invariant and decreases z.", _step),
    Lemma("LEMMA-SQRT-003", "BPEMath",
          "Lemma: when sqrt's loop exits, z == floor(sqrt(y)).", _exit),
    Lemma("LEMMA-SQRT-004", "BPEMath",
          "Lemma: sqrt(y) == floor(sqrt(y)) for y in 0..3 (enumerated).", _small),
    Lemma("LEMMA-SQRT-005", "BPEMath",
          "Lemma: the symbolic sqrt's definition r*r <= y < (r+1)*(r+1) has one solution r >= 0 per y.", _unique),
)
