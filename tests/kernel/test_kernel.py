"""The kernel: Solidity 0.8 arithmetic, mappings, and the path explorer."""

import pytest
import z3

from specs.kernel import (
    U256, Address, Bool, Explorer, Mapping, ModelBug, Panic, Revert, World, Msg,
)


def test_checked_add_reverts_with_panic_0x11_on_overflow():
    with pytest.raises(Revert) as e:
        U256(U256.MAX) + 1
    assert e.value.error == Panic(0x11)


def test_checked_sub_reverts_on_underflow():
    with pytest.raises(Revert) as e:
        U256(1) - 2
    assert e.value.error == Panic(0x11)


def test_division_by_zero_reverts_with_panic_0x12():
    with pytest.raises(Revert) as e:
        U256(1) // 0
    assert e.value.error == Panic(0x12)


def test_wrapping_ops_wrap_like_unchecked():
    assert U256(U256.MAX).wrapping_add(2).v == 1
    assert U256(0).wrapping_sub(1).v == U256.MAX


def test_out_of_range_literal_is_a_model_bug():
    with pytest.raises(ModelBug):
        U256(-1)


def test_mapping_keeps_a_ghost_sum_under_writes():
    m = Mapping(Address, U256, summed=True)
    m[1] = U256(5)
    m[2] = U256(7)
    m[1] = U256(2)
    assert m.sum().v == 9 == sum(v for _, v in m.items())


def test_nested_mapping_and_bool_defaults():
    n = Mapping(Address, Mapping(Address, U256))
    n[1][2] = U256(3)
    assert n[1][2].v == 3 and n[2][1].v == 0
    b = Mapping(Address, Bool)
    assert not b[7]


def test_explorer_enumerates_every_feasible_path():
    x = U256.symbolic("x")
    ex = Explorer(x.range_constraints())

    def f():
        if x > 10:
            return "big"
        return x + 1

    paths = ex.explore(f)
    outcomes = sorted(str(p.result) if p.ok else str(p.reverted) for p in paths)
    assert len(paths) == 2  # x + 1 cannot overflow when x <= 10: that branch is pruned
    assert "big" in outcomes


def test_explorer_keeps_the_overflow_path():
    x, y = U256.symbolic("x"), U256.symbolic("y")
    paths = Explorer(x.range_constraints() + y.range_constraints()).explore(lambda: x + y)
    assert sorted(p.ok for p in paths) == [False, True]
    assert [p.reverted for p in paths if not p.ok] == [Panic(0x11)]


def test_symbolic_division_is_defined_by_its_inequalities():
    a, b = U256.symbolic("a"), U256.symbolic("b")
    paths = Explorer(a.range_constraints() + b.range_constraints()).explore(lambda: a // b)
    ok = [p for p in paths if p.ok][0]
    s = z3.Solver()
    s.add(*ok.conditions, *ok.definitions, a.v == 17, b.v == 5, ok.result.v != 3)
    assert s.check() == z3.unsat


def test_transact_rolls_back_on_revert():
    from specs.test_token import TestToken
    w = World()
    t = w.deploy(0x100, TestToken())
    assert w.transact(0x100, "mint", Msg(Address(1)), Address(5), U256(10)).ok
    out = w.transact(0x100, "transfer", Msg(Address(5)), Address(6), U256(11))
    assert not out.ok and out.error.abi_name() == "ERC20InsufficientBalance"
    assert w.at(Address(0x100))._balances[5].v == 10 and t is not None
