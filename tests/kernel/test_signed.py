"""Signed checked integers of the kernel (I96, I128, I256) and the small unsigned widths."""

import pytest
import z3

from specs.kernel import I96, I128, I256, U32, U96, Explorer, Panic, Revert, truth


def test_signed_overflow_and_underflow_panic():
    with pytest.raises(Revert) as e:
        I96(I96.MAX) + 1
    assert e.value.error == Panic(Panic.ARITHMETIC)
    with pytest.raises(Revert):
        I96(I96.MIN) - 1
    with pytest.raises(Revert):
        -I128(I128.MIN)
    with pytest.raises(Revert):
        I256(I256.MIN) // -1
    assert (I96(-7) * 3).v == -21


def test_signed_division_truncates_towards_zero():
    assert (I256(-7) // 2).v == -3
    assert (I256(7) // -2).v == -3
    assert (I256(-7) // -2).v == 3
    assert (I256(-7) % 2).v == -1
    with pytest.raises(Revert) as e:
        I256(1) // 0
    assert e.value.error == Panic(Panic.DIVISION_BY_ZERO)


def test_casts_wrap_and_fits():
    assert I256(-1).cast(I96).v == -1
    assert I256(1 << 95).cast(I96).v == -(1 << 95)
    assert I256(-1).cast(U96).v == (1 << 96) - 1
    assert I256(5).fits(I96) and not I256(1 << 100).fits(I96)
    assert U32(7).v == 7 and U96(U96.MAX).v == (1 << 96) - 1


def test_symbolic_division_matches_concrete_truncation():
    a, b = I256.symbolic("a"), I256.symbolic("b")
    for av, bv in [(-7, 2), (7, -2), (-7, -2), (7, 2), (0, -3)]:
        def run():
            q = a // b
            return q
        paths = Explorer(base=a.range_constraints() + b.range_constraints() + [a.v == av, b.v == bv]).explore(run)
        ok = [p for p in paths if p.ok]
        assert len(ok) == 1
        s = z3.Solver()
        s.add(*ok[0].conditions, *ok[0].definitions, a.v == av, b.v == bv)
        assert s.check() == z3.sat
        q = s.model().eval(ok[0].result.v)
        assert q.as_long() == int(av / bv)


def test_symbolic_overflow_is_a_branch():
    x = I96.symbolic("x")
    paths = Explorer(base=x.range_constraints()).explore(lambda: x + 1)
    assert sorted(p.ok for p in paths) == [False, True]
    assert any(p.reverted == Panic(Panic.ARITHMETIC) for p in paths)
    assert truth(True)
