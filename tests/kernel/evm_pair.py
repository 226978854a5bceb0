"""One small test contract deployed on an EVM engine next to its kernel model: call both, compare
outcomes, read the EVM's storage into the model's shape (harness.fuzz.stateview) and diff."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable

from harness.evm.compile import Artifact, compile_contracts
from harness.evm.engine import Engine, deploy_contract, make_engine
from harness.fuzz.stateview import diff_systems, read_system
from specs.kernel import Address, Block, Contract, Msg, String, World
from specs.deploy import DEPLOYER, GENESIS_BLOCK, GENESIS_TIMESTAMP, System

CONTRACTS = "tests/kernel/contracts"


@functools.lru_cache(maxsize=None)
def artifact(stem: str, name: str | None = None) -> Artifact:
    return compile_contracts([f"{CONTRACTS}/{stem}.sol"]).get(name or stem)


@dataclass
class ViewFixture:
    """What read_system needs of a fixture: the engine and the artifacts by contract name."""

    engine: Engine
    artifacts: dict[str, Artifact]


def model_system(name: str, address: int, model: Callable[[], Contract]) -> System:
    world = World()
    world.block = Block(GENESIS_BLOCK, GENESIS_TIMESTAMP)
    c = model()
    world.deploy(address, c)
    return System(world, {name: address}, {name: type(c)})


def error_of(outcome: Any) -> tuple | None:
    """(name, args) of a model or EVM revert, None on success."""
    if outcome.ok:
        return None
    e = outcome.error
    if hasattr(e, "abi_name"):
        return (e.abi_name(), e.concrete_args())
    return (e.name, tuple(e.args))


class Pair:
    def __init__(self, engine_name: str, stem: str, model: Callable[[], Contract], name: str | None = None):
        self.name = name or stem
        art = artifact(stem, self.name)
        self.engine = make_engine(engine_name)
        self.contract = deploy_contract(self.engine, art.abi, art.bytecode, (), sender=DEPLOYER)
        self.address = self.contract.address
        self.system = model_system(self.name, self.address, model)
        self.fixture = ViewFixture(self.engine, {self.name: art})

    def call(self, fn: str, sender: int, *args: Any) -> tuple[Any, Any]:
        """The call on both sides; returns (model outcome, EVM outcome)."""
        margs = tuple(args)
        evm_args = tuple(str(a) if isinstance(a, String) else a.v if hasattr(a, "v") else a for a in args)
        evm_args = tuple(bool(a) if isinstance(a, bool) else a for a in evm_args)
        m = self.system.world.transact(self.address, fn, Msg(Address(sender)), *margs)
        e = self.contract.transact(fn, *evm_args, sender=sender)
        return m, e

    def evm_state(self, keys: Any) -> System:
        return read_system(self.fixture, self.system, keys)

    def diff(self, keys: Any) -> list[str]:
        return diff_systems(self.system, self.evm_state(keys))
