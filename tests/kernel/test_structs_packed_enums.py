"""Structs (in a mapping, nested, as a state variable), packed storage slots and enums: the kernel
concretely and symbolically, the state reader on both EVMs, the diff's Solidity paths, and the prover
(an invariant over struct members proved; a broken model VIOLATED with a replayed counterexample).
Contract: tests/kernel/contracts/Providers.sol; model: tests/kernel/providers_model.py."""

from __future__ import annotations

import pytest
import z3

from specs.errors import WorkbenchError
from harness.fuzz.stateview import mapping_slot, write_system
from invariants.prover import Prover
from invariants.registry import Invariant
from specs.kernel import (
    I96, U8, U32, U64, U128, Address, Bool, Explorer, Mapping, ModelBug, Panic, Revert, Struct, Unsupported,
)
from specs.deploy import DEPLOYER
from tests.kernel.evm_pair import Pair, error_of, model_system
from tests.kernel.providers_model import (
    Config, FeeIntoSince, Provider, ProvidersModel, SlashKeepsLocked, Status, StatusNoneAllowed, Terms,
)

A, B, C = 0xA1, 0xB2, 0xC3
ADMIN = DEPLOYER
ENGINES = ("pyrevm", "py-evm")

SCENARIO = [
    ("join", A, U128(100), U64(5)),
    ("join", B, U128(50), U64(7)),
    ("join", C, U128(5), U64(1)),  # below config.minStake: Error("small")
    ("lock", A, U128(60)),
    ("lock", A, U128(60)),  # over the stake: Error("over")
    ("slash", ADMIN, Address(A), U128(70)),  # locked clamped to the remaining stake
    ("setStatus", ADMIN, Address(B), U8(9)),  # Status(9): Panic 0x21
    ("setStatus", ADMIN, Address(B), U8(2)),
    ("setFee", B, U64(99)),  # a packed member of a nested struct
    ("bump", C, U64(3)),  # packed scalars
    ("unlock", B, U128(1)),  # underflow of a uint128 member: Panic 0x11
    ("join", C, U128(20), U64(2)),
    ("nudge", C, I96(-5)),  # a negative int96 packed beside a uint64
    ("nudge", C, I96(I96.MIN)),  # overflow of the signed type: Panic 0x11
    ("leave", B),  # delete of a struct in a mapping
]


def run_scenario(pair: Pair) -> list[tuple]:
    out = []
    for fn, sender, *args in SCENARIO:
        m, e = pair.call(fn, sender, *args)
        out.append((fn, error_of(m), error_of(e)))
    return out


# -- kernel, concretely ------------------------------------------------------------------------


def test_struct_mapping_reads_and_writes_members_through_storage_references():
    m = Mapping(Address, Provider, summed=("stake",))
    m[A].stake = U128(5)
    m[A].terms.fee = 7
    m[B] = Provider(stake=U128(3), status=Status.Active)
    assert (m[A].stake, m[A].terms.fee, m[B].status) == (U128(5), U64(7), Status.Active)
    assert m.sum("stake").v == 8
    copy = m[A].load()  # a memory copy: writing it leaves storage alone
    copy.stake = U128(1)
    assert m[A].stake == U128(5)
    del m[B]
    assert m[B].status == Status.None_ and m.sum("stake").v == 5
    assert sorted(m.leaf_mappings()) == [".locked", ".owner", ".stake", ".status", ".terms.fee", ".terms.open",
                                         ".terms.since"]
    with pytest.raises(ModelBug):
        m[A].stake = U64(1)  # a member's type is checked
    with pytest.raises(ModelBug):
        m[A].nope = U128(1)


def test_struct_in_a_nested_mapping_and_a_copied_mapping_are_independent():
    m = Mapping(Address, Mapping(U8, Terms))
    m[A][U8(1)].open = True
    c = m.copy()
    c[A][U8(1)].fee = U64(4)
    assert m[A][U8(1)].open == Bool(True) and m[A][U8(1)].fee == U64(0) and c[A][U8(1)].fee == U64(4)


def test_struct_members_must_be_kernel_values():
    with pytest.raises(Unsupported, match="struct member type"):
        class Bad(Struct):  # noqa: F841
            name: str


def test_enum_conversion_out_of_range_is_panic_0x21_and_members_compare():
    assert Status.convert(U8(3)) == Status.Slashed
    with pytest.raises(Revert) as e:
        Status.convert(U8(4))
    assert e.value.error == Panic(0x21)
    assert Status.Active < Status.Slashed
    with pytest.raises(ModelBug):
        Status(4)
    with pytest.raises(ModelBug):
        Status.Active == 1  # noqa: B015  (an enum compares with its own type only)


def test_enum_conversion_of_a_symbolic_value_forks_the_panic_path():
    u = U8.symbolic("u")

    def run():
        return Status.convert(u)

    paths = Explorer(u.range_constraints()).explore(run)
    assert sorted(str(p.reverted) if not p.ok else "ok" for p in paths) == ["Panic(code=33)", "ok"]


# -- model against both EVMs ------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_outcomes_and_struct_packed_enum_state(engine):
    pair = Pair(engine, "Providers", ProvidersModel)
    outcomes = run_scenario(pair)
    assert [(fn, m) for fn, m, _ in outcomes] == [(fn, e) for fn, _, e in outcomes]
    assert ("setStatus", ("Panic", (0x21,)), ("Panic", (0x21,))) in outcomes
    assert ("unlock", ("Panic", (0x11,)), ("Panic", (0x11,))) in outcomes
    assert pair.diff([A, B, C]) == []
    evm = pair.evm_state([A, B, C]).world.contracts[pair.address]
    a = evm.providers[A]
    assert (a.stake, a.locked, a.status, a.owner) == (U128(30), U128(30), Status.Slashed, Address(A))
    assert (a.terms.fee, a.terms.since, a.terms.open) == (U64(5), U32(1_700_000_000), Bool(True))
    assert evm.providers[B].status == Status.None_  # deleted
    assert (evm.count.v, evm.paused.v, evm.epoch.v) == (2, True, 3)  # three packed scalars of slot 1
    assert (evm.delta.v, evm.stamp.v) == (-5, 1)  # two's complement in the low 12 bytes of slot 4
    assert (evm.config.minStake.v, evm.config.maxProviders.v, evm.config.defaultStatus, evm.config.admin) == (
        10, 3, Status.Active, Address(ADMIN))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_broken_model_writing_the_packed_neighbour_is_named_by_its_struct_path(engine):
    pair = Pair(engine, "Providers", FeeIntoSince)
    pair.call("join", A, U128(100), U64(5))
    pair.call("setFee", A, U64(77))
    diffs = pair.diff([A])
    assert f"Providers.providers[{A:#x}].terms.fee: model 5, evm 77" in diffs
    assert f"Providers.providers[{A:#x}].terms.since: model 77, evm 1700000000" in diffs
    assert len(diffs) == 2


def _poke(pair: Pair, slot: int, offset: int, nbytes: int, value: int) -> None:
    word = pair.engine.get_storage(pair.address, slot)
    mask = ((1 << (8 * nbytes)) - 1) << (8 * offset)
    pair.engine.set_storage(pair.address, slot, (word & ~mask) | (value << (8 * offset)))


@pytest.mark.parametrize("engine", ENGINES)
def test_poked_packed_slots_are_found_and_named(engine):
    pair = Pair(engine, "Providers", ProvidersModel)
    pair.call("join", A, U128(100), U64(5))
    assert pair.diff([A]) == []
    base = mapping_slot(0, A)
    _poke(pair, base, 16, 16, 9)  # providers[A].locked: the high half of the member's first slot
    _poke(pair, base + 1, 0, 1, 3)  # providers[A].status, packed with owner
    _poke(pair, 1, 3, 8, 42)  # epoch, packed after count (2 bytes) and paused (1 byte)
    _poke(pair, 2, 4, 2, 7)  # config.maxProviders, a packed member of a struct state variable
    _poke(pair, 4, 0, 12, (1 << 96) - 3)  # delta = -3 in int96 two's complement
    assert pair.diff([A]) == [
        f"Providers.providers[{A:#x}].locked: model 0, evm 9",
        f"Providers.providers[{A:#x}].status: model 1 (Status.Active), evm 3 (Status.Slashed)",
        "Providers.epoch: model 0, evm 42",
        "Providers.config.maxProviders: model 3, evm 7",
        "Providers.delta: model 0, evm -3",
    ]


def test_a_storage_value_outside_the_enum_is_an_error_naming_the_path():
    pair = Pair("pyrevm", "Providers", ProvidersModel)
    pair.call("join", A, U128(100), U64(5))
    _poke(pair, mapping_slot(0, A) + 1, 0, 1, 200)
    with pytest.raises(WorkbenchError, match=rf"Providers.providers\[{A:#x}\].status: storage holds 200, not a member"):
        pair.diff([A])


def test_a_model_struct_that_does_not_match_the_layout_is_refused():
    class ShortTerms(Struct):
        fee: U64
        since: U32

    class WrongProvider(Struct):
        stake: U128
        locked: U128
        status: Status
        owner: Address
        terms: ShortTerms

    from dataclasses import dataclass

    from specs.kernel import storage

    @dataclass
    class Wrong(ProvidersModel):
        providers: Mapping = storage(lambda: Mapping(Address, WrongProvider))

    pair = Pair("pyrevm", "Providers", Wrong)
    with pytest.raises(WorkbenchError, match=r"providers\[\]\.terms: model struct ShortTerms has members"):
        pair.diff([A])


def test_a_model_scalar_of_another_width_than_the_layout_is_refused():
    from dataclasses import dataclass

    from specs.kernel import U256, storage

    @dataclass
    class WideEpoch(ProvidersModel):
        epoch: U256 = storage(lambda: U256(0))  # a uint64 in the contract, packed beside count and paused

    pair = Pair("py-evm", "Providers", WideEpoch)
    with pytest.raises(WorkbenchError, match="Providers.epoch: model type U256 does not match Solidity uint64"):
        pair.diff([A])


def test_write_system_writes_packed_members_without_touching_neighbours():
    pair = Pair("pyrevm", "Providers", ProvidersModel)
    pair.call("join", A, U128(100), U64(5))
    c = pair.system.world.contracts[pair.address]
    c.providers[A].terms.fee = U64(1234)
    c.config.maxProviders = 9
    c.delta = I96(-7)  # a negative value written into its bytes, stamp beside it untouched
    c.stamp = U64(11)
    write_system(pair.fixture, pair.system)
    assert pair.diff([A]) == []
    out = pair.contract.transact("join", 50, 1, sender=B)
    assert out.ok  # the contract reads the written config (minStake 10 untouched beside maxProviders)


# -- prover ------------------------------------------------------------------------------------


def _providers(s):
    return s.world.contracts[s.addrs["Providers"]]


def locked_within_stake(s, who: Address):
    p = _providers(s).providers[who]
    return p.locked <= p.stake


def nothing_locked_without_status(s, who: Address):
    p = _providers(s).providers[who]
    if p.status == Status.None_:
        return p.locked == 0
    return True


INVARIANTS = [
    Invariant("KERNEL-STRUCT-001", "Providers", "Invariant: a provider's locked amount is within its stake.",
              "locking more than the stake would let a provider back more work than it can pay for",
              "a provider commits stake it does not have", locked_within_stake, (("who", Address),)),
    Invariant("KERNEL-ENUM-001", "Providers", "Invariant: a provider with status None has nothing locked.",
              "a fresh join resets the stake but not the lock",
              "a provider rejoins with a small stake and a large lock", nothing_locked_without_status,
              (("who", Address),), strengthening=True),
]


def _prove(model):
    return Prover(model_system("Providers", 0xC0FFEE, model), INVARIANTS, environment=(), step_invariants=[]).run()


def test_prover_proves_invariants_over_struct_members_and_an_enum():
    results = _prove(ProvidersModel)
    assert results and all(r.status == "PROVED" for r in results), [(r.id, r.status) for r in results
                                                                  if r.status != "PROVED"]
    ids = {r.id for r in results}
    assert {"KERNEL-STRUCT-001/Providers.slash", "KERNEL-ENUM-001/Providers.setStatus",
            "KERNEL-STRUCT-001/init", "VACUITY/Providers.join"} <= ids


@pytest.mark.catches("prover")
def test_prover_finds_the_broken_slash_with_a_counterexample_confirmed_on_the_model_and_both_evms():
    results = _prove(SlashKeepsLocked)
    bad = {r.id: r for r in results if r.status != "PROVED"}
    assert list(bad) == ["KERNEL-STRUCT-001/Providers.slash"]
    cex = bad["KERNEL-STRUCT-001/Providers.slash"].counterexample
    assert cex.confirmed_on_model
    pre = cex.to_json()["pre_state"]
    assert any(k.startswith("Providers.providers[].") for k in pre)
    # the same pre-state and call on the EVM, written through the state view: the real contract clamps
    for engine in ENGINES:
        pair = Pair(engine, "Providers", ProvidersModel)
        pre_c = cex.pre.world.contracts[cex.pre.addrs["Providers"]]
        pair.system.world.contracts[pair.address] = pre_c
        pre_c.attach(pair.system.world, Address(pair.address))
        write_system(pair.fixture, pair.system)
        who = cex.args[0].v
        known = sorted({who, cex.sender})
        assert pair.diff(known) == []
        out = pair.contract.transact("slash", *(a.v for a in cex.args), sender=cex.sender)
        assert out.ok, out
        evm = pair.evm_state(known).world.contracts[pair.address]
        assert evm.providers[who].locked <= evm.providers[who].stake  # the contract clamps; the model did not


def test_prover_finds_an_enum_member_the_model_should_refuse():
    results = _prove(StatusNoneAllowed)
    bad = {r.id: r for r in results if r.status != "PROVED"}
    assert list(bad) == ["KERNEL-ENUM-001/Providers.setStatus"]
    cex = bad["KERNEL-ENUM-001/Providers.setStatus"].counterexample
    assert bad["KERNEL-ENUM-001/Providers.setStatus"].status == "VIOLATED" and cex.confirmed_on_model
    assert cex.args[1] == U8(0)  # Status(0) is None


def test_symbolic_struct_mapping_is_one_array_per_leaf_and_a_struct_state_variable_one_term_per_member():
    m = Mapping(Address, Provider).symbolize("s")
    k = Address.symbolic("k")
    assert "s.terms.fee" in str(m[k].terms.fee.v) and "s.stake" in str(m[k].stake.v)
    cfg = Config.symbolic("cfg")
    rc = cfg.range_constraints()
    assert any("cfg.defaultStatus" in str(c) and "4" in str(c) for c in rc)
    solver = z3.Solver()
    solver.add(*rc, cfg.defaultStatus.v == 4)
    assert solver.check() == z3.unsat  # the enum's bound is part of the encoding


def test_a_storage_field_without_an_encoding_is_reported_unsupported_naming_it():
    from dataclasses import dataclass

    from specs.kernel import storage

    class Opaque:
        def copy(self):
            return self

    @dataclass
    class WithOpaque(ProvidersModel):
        blob: object = storage(Opaque)

    results = Prover(model_system("Providers", 0xC0FFEE, WithOpaque), INVARIANTS[:1], environment=(), step_invariants=[]).run(
        only=lambda tr: tr.function == "bump")
    steps = [r for r in results if r.id.endswith("Providers.bump")]
    assert steps and {r.status for r in steps} == {"UNSUPPORTED"}
    assert all("storage field of type Opaque" in r.details["message"] for r in steps)
