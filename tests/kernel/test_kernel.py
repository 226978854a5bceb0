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


def test_a_nested_mapping_keeps_ghost_sums_grouped_by_a_key():
    from specs.kernel import SumBy

    m = Mapping(Address, Mapping(Address, U256), summed=SumBy(1))  # balances[user][token], per token
    m[1][10] = U256(5)
    m[2][10] = U256(7)
    m[1][20] = U256(4)
    m[1][10] = U256(2)
    assert m.sum_by(10).v == 9 and m.sum_by(20).v == 4 and m.sum_by(30).v == 0
    c = m.copy()
    c[3][20] = U256(1)
    assert (c.sum_by(20).v, m.sum_by(20).v) == (5, 4)  # a copy's sums are its own
    m[1][20] = U256(0)
    assert m.sum_by(20).v == 0
    with pytest.raises(ModelBug):
        m.sum()  # one total per group, no grand total
    with pytest.raises(ModelBug):
        Mapping(Address, U256, summed=SumBy(1))  # a single key has no position 1
    # symbolically: the ghost is an array from the group key to its sum, kept by every write
    s = m.symbolize("s")
    user, token = Address.symbolic("u"), Address.symbolic("t")
    before, old = s.sum_by(token), s[user][token]
    s[user][token] = U256(3)
    solver = z3.Solver()
    solver.add(z3.Not(s.sum_by(token).v == before.v - old.v + 3))
    assert solver.check() == z3.unsat
    # and from a concrete mapping, the sums it had
    t = m.to_symbolic("t")
    solver = z3.Solver()
    solver.add(z3.Not(z3.And(t.sum_by(10).v == 9, t.sum_by(20).v == 0)))
    assert solver.check() == z3.unsat


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
    from specs.bpe.test_token import TestToken
    w = World()
    t = w.deploy(0x100, TestToken())
    assert w.transact(0x100, "mint", Msg(Address(1)), Address(5), U256(10)).ok
    out = w.transact(0x100, "transfer", Msg(Address(5)), Address(6), U256(11))
    assert not out.ok and out.error.abi_name() == "ERC20InsufficientBalance"
    assert w.at(Address(0x100))._balances[5].v == 10 and t is not None


def test_keccak256_abi_on_concrete_values_is_keccak_of_abi_encode():
    from eth_abi import encode
    from eth_utils import keccak

    from specs.kernel import Bytes32, I256, keccak256_abi

    types = ("address", "bytes32", "uint256", "int256", "bool")
    h = keccak256_abi(types, (Address(0xAB), Bytes32(7), U256(U256.MAX), I256(-3), Bool(True)))
    assert h.to_bytes() == keccak(encode(list(types), [(0xAB).to_bytes(20, "big"), (7).to_bytes(32, "big"),
                                                       U256.MAX, -3, True]))
    assert keccak256_abi(("uint256", "address"), (5, 0xAB)).v == keccak256_abi(("uint256", "address"),
                                                                                 (U256(5), Address(0xAB))).v
    with pytest.raises(ModelBug):
        keccak256_abi(("string",), ("x",))  # dynamic types have no uninterpreted counterpart
    with pytest.raises(ModelBug):
        keccak256_abi(("uint8",), (256,))


def test_keccak256_abi_on_symbolic_values_is_one_function_per_signature_in_the_kernel_table():
    from specs.kernel import KECCAK_FUNCTIONS, keccak256_abi, keccak_function

    x = U256.symbolic("x")
    types = ("uint256", "address", "uint256")
    paths = Explorer(x.range_constraints()).explore(lambda: keccak256_abi(types, (x, Address(0xAB), U256(1))))
    (path,) = paths
    h = path.result.v
    assert h.decl() == keccak_function(types) and KECCAK_FUNCTIONS[h.decl()] == types
    assert h.decl().name() == "keccak256_abi(uint256,address,uint256)"
    assert h.arg(1).eq(z3.IntVal(0xAB)) and h.arg(2).eq(z3.IntVal(1))  # constants are fields too
    assert not keccak_function(("uint256", "address")).eq(keccak_function(types))
    s = z3.Solver()
    s.add(*path.definitions, z3.Or(h < 0, h >= 1 << 256))
    assert s.check() == z3.unsat
