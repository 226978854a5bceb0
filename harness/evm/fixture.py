"""The world on an EVM: compile the suite, deploy it as `specs/system.py` describes, snapshot.

Deployment is by the fixed deployer at nonces 0, 1, ... so that the addresses are the ones the
models use (checked here: a mismatch is a workbench error, never silently remapped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import EngineError
from harness.evm.abi import ABIRegistry, ContractABI
from harness.evm.compile import Artifact, Build, compile_contracts
from harness.evm.engine import Contract, Engine, deploy_contract, make_engine
from specs.system import DEPLOYER, DEPLOYMENTS, Deployment, addresses


@dataclass
class Fixture:
    engine: Engine
    artifacts: dict[str, Artifact]
    contracts: dict[str, Contract]
    registry: ABIRegistry
    addrs: dict[str, int]
    snapshot: object = field(default=None)

    def reset(self) -> None:
        """Back to the state right after deployment (repeatable)."""
        self.engine.revert(self.snapshot)


def suite_artifacts(build: Build | None = None, overrides: dict[str, Path] | None = None,
                    deployments: tuple[Deployment, ...] = DEPLOYMENTS) -> dict[str, Artifact]:
    """The artifact of every deployed contract; `overrides` maps a contract name to another source
    file that defines a contract of that name (deliberately broken variants in tests)."""
    build = build or compile_contracts()
    arts = {d.name: build.get(d.name) for d in deployments}
    for name, path in (overrides or {}).items():
        arts[name] = compile_contracts([path]).get(name)
    return arts


def deploy_suite(engine_name: str, artifacts: dict[str, Artifact],
                 deployments: tuple[Deployment, ...] = DEPLOYMENTS) -> Fixture:
    engine = make_engine(engine_name)
    registry = ABIRegistry()
    expected = addresses(deployments)
    contracts: dict[str, Contract] = {}
    for d in deployments:
        art = artifacts[d.name]
        c = deploy_contract(engine, art.abi, art.bytecode, d.ctor_args(expected), sender=DEPLOYER, registry=registry)
        if c.address != expected[d.name]:
            raise EngineError(f"{d.name} deployed at {c.address:#x} on {engine.name}, the models expect "
                              f"{expected[d.name]:#x} (deployer nonce out of step)")
        contracts[d.name] = c
    fx = Fixture(engine, artifacts, contracts, registry, expected)
    fx.snapshot = engine.snapshot()
    return fx
