"""Immutables in the state view: read from the deployed code at the places solc reports, for every value
type, one declared in a base contract; a model immutable the contract keeps in storage (a string it
never changes) read from storage; an immutable the code never reads left alone. A constructor that
forgets an immutable, a model with the wrong value or type, and a model immutable the contract does not
have are each named. Contract: tests/kernel/contracts/Immutables.sol."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.evm.engine import deploy_contract, make_engine
from specs.deploy import DEPLOYER
from specs.errors import WorkbenchError
from specs.kernel import (
    U64, U128, U256, Address, Bool, Bytes32, Contract, Enum, Sint, ZERO_ADDRESS, external, immutable, storage,
)
from harness.fuzz.stateview import diff_systems, read_system, write_system
from tests.kernel.evm_pair import ViewFixture, artifact, model_system

ENGINES = ("pyrevm", "py-evm")
OWNER, THING = 0xA11CE, 0x7E1E
TAG = int.from_bytes(b"tag".ljust(32, b"\0"), "big")


class I16(Sint):
    bits = 16


class Mode(Enum):
    MEMBERS = ("Off", "On", "Auto")


@dataclass
class ImmutablesModel(Contract):
    name: str = immutable(default="immutables")
    counter: U256 = storage(lambda: U256(0))
    owner: Address = immutable(default=ZERO_ADDRESS)
    limit: U64 = immutable(default_factory=lambda: U64(7))
    offset: I16 = immutable(default_factory=lambda: I16(-300))
    open: Bool = immutable(default_factory=lambda: Bool(True))
    tag: Bytes32 = immutable(default_factory=lambda: Bytes32(TAG))
    mode: Mode = immutable(default_factory=lambda: Mode(2))
    thing: Address = immutable(default_factory=lambda: Address(THING))
    unread: U256 = immutable(default_factory=lambda: U256(42))

    @external
    def bump(self, msg) -> None:
        self.counter += 1


def deployed(engine_name: str, stem: str = "Immutables", model=ImmutablesModel, **fields):
    art = artifact("Immutables", stem)
    engine = make_engine(engine_name)
    c = deploy_contract(engine, art.abi, art.bytecode, (OWNER, 7, -300, TAG.to_bytes(32, "big"), THING),
                        sender=DEPLOYER)
    system = model_system("Immutables", c.address, lambda: model(owner=Address(OWNER), **fields))
    return ViewFixture(engine, {"Immutables": art}), system, c


def test_artifact_lists_every_immutable_with_its_type_and_places():
    imm = artifact("Immutables").immutables
    assert set(imm) == {"owner", "limit", "offset", "open", "tag", "mode", "thing", "unread"}
    assert imm["owner"]["type"] == "address" and imm["thing"]["type"] == "contract IThing"
    assert imm["mode"]["type"] == "enum Immutables.Mode"
    assert all(n == 32 for a, n in imm["limit"]["refs"]) and imm["limit"]["refs"]
    assert imm["unread"]["refs"] == []  # declared, never read by the runtime code


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_every_immutable(engine):
    fx, system, _ = deployed(engine)
    evm = read_system(fx, system, [])
    assert diff_systems(system, evm) == []
    c = evm.world.contracts[system.addrs["Immutables"]]
    assert (c.owner, c.limit, c.offset, c.tag, c.mode, c.thing, c.name) == (
        Address(OWNER), U64(7), I16(-300), Bytes32(TAG), Mode(2), Address(THING), "immutables")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_constructor_that_forgets_an_immutable_differs_at_the_first_comparison(engine):
    fx, system, _ = deployed(engine, "ImmutablesUnset")
    assert diff_systems(system, read_system(fx, system, [])) == ["Immutables.limit: model 7, evm 0"]


def test_a_model_with_other_values_is_named_field_by_field():
    fx, system, _ = deployed("pyrevm", offset=I16(300))
    c = system.world.contracts[system.addrs["Immutables"]]
    c.name = "other"
    assert diff_systems(system, read_system(fx, system, [])) == [
        "Immutables.name: model 'other', evm 'immutables'", "Immutables.offset: model 300, evm -300"]


def test_write_system_patches_the_code_and_the_contract_runs_with_the_new_value():
    fx, system, handle = deployed("pyrevm")
    c = system.world.contracts[system.addrs["Immutables"]]
    c.limit, c.offset, c.name = U64(9), I16(-1), "renamed"
    write_system(fx, system)
    assert diff_systems(system, read_system(fx, system, [])) == []
    for fn, want in (("limit", 9), ("offset", -1), ("name", "renamed"), ("owner", OWNER)):
        assert tuple(handle.view(fn).returned) == (want,)


def test_a_model_immutable_of_the_wrong_type_or_absent_from_the_contract_is_refused():
    @dataclass
    class WrongType(ImmutablesModel):
        limit: U128 = immutable(default_factory=lambda: U128(7))

    fx, system, _ = deployed("pyrevm", model=WrongType)
    with pytest.raises(WorkbenchError, match="Immutables.limit: model type U128 does not match Solidity uint64"):
        read_system(fx, system, [])

    @dataclass
    class Extra(ImmutablesModel):
        ghost: U256 = immutable(default_factory=lambda: U256(1))

    fx, system, _ = deployed("pyrevm", model=Extra)
    with pytest.raises(WorkbenchError, match="Immutables.ghost: the model's immutable is neither"):
        read_system(fx, system, [])
