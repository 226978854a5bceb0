"""The world on an EVM: compile the suite, deploy it as `specs/bpe/system.py` describes, snapshot.

Deployment is by the fixed deployer at nonces 0, 1, ... so that the addresses are the ones the
models use (checked here: a mismatch is a workbench error, never silently remapped). When a
contract of the suite needs Superfluid, the real framework (npm 1.15.2 artifacts) and a wrapper
SuperToken are deployed first, by Superfluid's own deployer; their addresses are deterministic and
checked against `specs.bpe.system.SUPERFLUID` the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specs.errors import EngineError
from harness.evm.abi import ABIRegistry, ContractABI
from harness.evm.compile import Artifact, Build, compile_contracts
from harness.evm.engine import Contract, Engine, deploy_contract, make_engine
from specs.bpe.system import DEPLOYMENTS, SUPERFLUID
from specs.deploy import DEPLOYER, GENESIS_BLOCK, GENESIS_TIMESTAMP, Deployment, addresses


@dataclass
class Fixture:
    engine: Engine
    artifacts: dict[str, Artifact]
    contracts: dict[str, Contract]
    registry: ABIRegistry
    addrs: dict[str, int]
    snapshot: object = field(default=None)
    framework: object = field(default=None)  # harness.evm.superfluid.Framework, when deployed
    deployments: tuple[Deployment, ...] = ()  # what deploy_suite deployed, in order (the models follow it)

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
    needs_superfluid = any(d.environment == "superfluid" for d in deployments)
    contracts: dict[str, Contract] = {}
    framework = None
    if needs_superfluid:
        from harness.evm import superfluid as sf

        engine = sf.make_superfluid_engine(engine_name)
        framework = sf.deploy_framework(engine)
        token = sf.deploy_wrapper_supertoken(framework)
        registry = framework.registry
        found = {
            "Host": framework.addresses["host"],
            "GDA": framework.addresses["gda"],
            "GDAv1Forwarder": framework.addresses["gdaV1Forwarder"],
            "SuperToken": token.address,
            "SuperTokenUnderlying": token.underlying.address,
        }
        for name, addr in found.items():
            if SUPERFLUID[name] != addr:
                raise EngineError(f"Superfluid {name} deployed at {addr:#x} on {engine.name}, the models expect "
                                  f"{SUPERFLUID[name]:#x}")
        contracts.update(GDAv1Forwarder=framework.gda_forwarder, SuperToken=token.super_token,
                         SuperTokenUnderlying=token.underlying)
    else:
        engine = make_engine(engine_name)
        registry = ABIRegistry()
    expected = addresses(deployments)
    for d in deployments:
        art = artifacts[d.name]
        c = deploy_contract(engine, art.abi, art.bytecode, d.ctor_args({**SUPERFLUID, **expected}), sender=DEPLOYER,
                            registry=registry)
        if c.address != expected[d.name]:
            raise EngineError(f"{d.name} deployed at {c.address:#x} on {engine.name}, the models expect "
                              f"{expected[d.name]:#x} (deployer nonce out of step)")
        contracts[d.name] = c
    if (engine.block_number, engine.timestamp) != (GENESIS_BLOCK, GENESIS_TIMESTAMP):
        raise EngineError(f"{engine.name} starts at block {engine.block_number}, time {engine.timestamp}; the models "
                          f"start at block {GENESIS_BLOCK}, time {GENESIS_TIMESTAMP}")
    fx = Fixture(engine, artifacts, contracts, registry, expected, framework=framework, deployments=tuple(deployments))
    fx.snapshot = engine.snapshot()
    return fx
