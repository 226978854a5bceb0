"""Edge values from a suite's constants.

A bound the protocol sets (a longest string, a smallest stake, a price cap, a delay) is where an
off-by-one lives. Fuzz rules draw each bound, one below it and one above it, read from the model's own
constants rather than typed into the rule: the rules follow the specification when a bound changes,
and a contract whose constant differs from the model's is met right at the edge where they part.
"""

from __future__ import annotations

from typing import Any

WORD_MAX = 2**256 - 1


def as_int(c: Any) -> int:
    """A constant as a Python int: an int, or a kernel integer (its `.v`)."""
    v = c.v if hasattr(c, "v") else c
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"not an integer constant: {c!r}")
    return v


def around(*bounds: Any, low: int = 0, high: int = WORD_MAX) -> list[int]:
    """Each bound, then one below and one above it, kept within low..high, every value once, in
    that order (the bound itself first: a sampled strategy starts from it)."""
    out: list[int] = []
    for b in bounds:
        n = as_int(b)
        for v in (n, n - 1, n + 1):
            if low <= v <= high and v not in out:
                out.append(v)
    return out

