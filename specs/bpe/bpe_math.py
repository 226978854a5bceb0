"""Model of contracts/bpe/libraries/BPEMath.sol.

`sqrt` runs the Solidity loop on concrete values. On symbolic values a loop cannot be unrolled, so
it returns a fresh `r` defined by `r*r <= y < (r+1)*(r+1)`: that is exact only because the loop
computes floor(sqrt(y)) for every uint256 `y`, which invariants/bpe/bpe_math.py proves as lemmas
(LEMMA-SQRT-*) over the very functions below (`sqrt_init`, `sqrt_step`), not a copy of them.
"""

from __future__ import annotations

import z3

from specs.kernel import U256, define, fresh, is_sym


def sqrt_init(y: U256) -> tuple[U256, U256]:
    """`z = y; uint256 x = y / 2 + 1;` (the branch y > 3).  # Solidity: BPEMath.sol#L12-13"""
    z = y
    x = y // 2 + 1
    return z, x


def sqrt_step(y: U256, z: U256, x: U256) -> tuple[U256, U256]:
    """One loop iteration: `z = x; x = (y / x + x) / 2;`  # Solidity: BPEMath.sol#L15-16"""
    z = x
    x = (y // x + x) // 2
    return z, x


def sqrt(y: U256) -> U256:
    """floor(sqrt(y)). Never reverts.  # Solidity: BPEMath.sol#L10-21"""
    if is_sym(y.v):
        r = fresh("sqrt")
        define(z3.And(r >= 0, r * r <= y.v, y.v < (r + 1) * (r + 1)))
        return U256(r)
    z = U256(0)
    if y > 3:
        z, x = sqrt_init(y)
        while x < z:
            z, x = sqrt_step(y, z, x)
    elif y != 0:
        z = U256(1)
    return z
