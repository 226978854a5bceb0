"""The world on an EVM: compile a suite, deploy it as its declaration describes, snapshot.

Deployment is by the fixed deployer at nonces 0, 1, ... so that the addresses are the ones the
models use (checked here: a mismatch is a workbench error, never silently remapped). When the
suite's deployments declare an environment (`Deployment.environment`, one of `ENVIRONMENTS`: for
BPE "superfluid", the real framework from its npm 1.15.2 artifacts and a wrapper SuperToken,
deployed first by Superfluid's own deployer), it is deployed first, and its deterministic
addresses are checked the same way against the suite's `constants[<environment>]`.

    from harness.evm.fixture import deploy
    fx = deploy("pyrevm", get_suite("bpe"))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specs.errors import EngineError
from harness.evm.abi import ABIRegistry
from harness.evm.compile import Artifact, Build, compile_contracts
from harness.evm.engine import Contract, Engine, deploy_contract, make_engine
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


def suite_artifacts(build: Build | None = None, overrides: dict[str, Path] | None = None, *,
                    deployments: tuple[Deployment, ...]) -> dict[str, Artifact]:
    """The artifact of every deployed contract; `overrides` maps a contract name to another source
    file that defines a contract of that name (deliberately broken variants in tests)."""
    build = build or compile_contracts()
    arts = {d.name: build.get(d.name) for d in deployments}
    for name, path in (overrides or {}).items():
        arts[name] = compile_contracts([path]).get(name)
    return arts


# The external systems a suite's contracts can be deployed onto, by the name a Deployment's
# `environment` gives: "module:function", the function taking an engine name and returning an
# Environment on a fresh engine of that name.
ENVIRONMENTS: dict[str, str] = {
    "superfluid": "harness.evm.superfluid:deploy_environment",
}


@dataclass
class Environment:
    """An external system deployed on a fresh engine: the engine itself, the ABI registry its events
    decode with, the handles the fuzzer calls (name -> Contract), the addresses constructor arguments
    refer to by name, and the system's own handle (the Superfluid Framework) if it has one."""

    engine: Engine
    registry: ABIRegistry
    contracts: dict[str, Contract]
    addresses: dict[str, int]
    handle: object = None


def deploy_environment(name: str, engine_name: str, expected: dict[str, int] | None) -> Environment:
    """Environment `name` on a fresh engine, its addresses checked against `expected` (the ones the
    suite's models use: its declaration's `constants[name]`). An unknown environment, or expected
    addresses missing or different, is an EngineError: never silently remapped."""
    from specs.suite import resolve

    if name not in ENVIRONMENTS:
        raise EngineError(f"unknown environment {name!r} (known: {', '.join(ENVIRONMENTS)})")
    if expected is None:
        raise EngineError(f"environment {name!r}: the suite declares no expected addresses for it "
                          f"(its constants[{name!r}])")
    env: Environment = resolve(ENVIRONMENTS[name])(engine_name)
    for key, addr in env.addresses.items():
        if key not in expected:
            raise EngineError(f"{name} {key} deployed at {addr:#x} on {env.engine.name}; the models name no "
                              f"address for it")
        if expected[key] != addr:
            raise EngineError(f"{name} {key} deployed at {addr:#x} on {env.engine.name}, the models expect "
                              f"{expected[key]:#x}")
    return env


def deploy(engine_name: str, suite: object, build: Build | None = None,
           overrides: dict[str, Path] | None = None, artifacts: dict[str, Artifact] | None = None) -> Fixture:
    """A registered suite (specs.suite.Suite) deployed on a fresh engine: its deployments, onto the
    environments they declare, checked against the addresses in its constants. `artifacts` (the
    suite's, compiled once for several engines) or else `build` and `overrides` give the bytecode."""
    deployments = suite.resolve(suite.deployments)  # type: ignore[attr-defined]
    if artifacts is None:
        artifacts = suite_artifacts(build, overrides, deployments=deployments)
    return deploy_suite(engine_name, artifacts, deployments,
                        environment_addresses=suite.constants)  # type: ignore[attr-defined]


def deploy_suite(engine_name: str, artifacts: dict[str, Artifact], deployments: tuple[Deployment, ...],
                 environment_addresses: dict[str, dict[str, int]] | None = None) -> Fixture:
    """`deployments` by the fixed deployer at nonces 0, 1, ... on a fresh engine, after the one
    environment they declare (if any); every address checked against the models'. Environment
    addresses come from `environment_addresses` (a suite's constants: environment name -> name ->
    address); deployments on an environment with none given are refused."""
    environment_addresses = environment_addresses or {}
    names = sorted({d.environment for d in deployments if d.environment})
    if len(names) > 1:
        raise EngineError(f"deployments on {len(names)} environments ({', '.join(names)}): one engine holds one")
    contracts: dict[str, Contract] = {}
    framework = None
    env_addrs: dict[str, int] = {}
    if names:
        env = deploy_environment(names[0], engine_name, environment_addresses.get(names[0]))
        engine, registry, framework, env_addrs = env.engine, env.registry, env.handle, env.addresses
        contracts.update(env.contracts)
    else:
        engine = make_engine(engine_name)
        registry = ABIRegistry()
    expected = addresses(deployments)
    for d in deployments:
        art = artifacts[d.name]
        c = deploy_contract(engine, art.abi, art.bytecode, d.ctor_args({**env_addrs, **expected}), sender=DEPLOYER,
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
