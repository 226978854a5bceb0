"""BPE deployed: which contracts, in which order, wired how, on the Superfluid framework.

Fuzzer, prover and replays build the same world from here, with the shared deployment pieces of
specs/deploy.py (the deployer, its CREATE addresses, `Deployment`, the genesis block). Adding a
contract is adding one `Deployment` line (and its model and Solidity file).
"""

from __future__ import annotations

from typing import Any

from specs import deploy
from specs.deploy import GENESIS_BLOCK, GENESIS_TIMESTAMP, Deployment
from specs.bpe.backpressure_pool import BackpressurePool
from specs.bpe.capacity_registry import CapacityRegistry
from specs.bpe.escrow_buffer import EscrowBuffer
from specs.kernel import Address, Block, Contract, World
from specs.bpe.pipeline import Pipeline
from specs.bpe.stake_manager import StakeManager
from specs.bpe.test_token import TestToken

GOVERNANCE = 0x6060000000000000000000000000000000000001
TREASURY = 0x7EA5000000000000000000000000000000000002

# The real Superfluid framework (npm @superfluid-finance/ethereum-contracts 1.15.2), deployed by its
# own deployer (harness/evm/superfluid.py) before the suite, and a wrapper SuperToken over its
# TestToken. The addresses are deterministic; the EVM fixture checks them and refuses a mismatch.
SUPERFLUID = {
    "Host": 0xA4CB7CB3CB889E00CFDDF913A9E838D8E25DC966,
    "GDA": 0x791ED1CED4E683CB697E529A4A3D3F651492329B,
    "GDAv1Forwarder": 0xC7B677B55727BA701C1689C74FA1113CAE1E9A04,
    "SuperToken": 0xC3F27EA68C397E0B9D2E9BD6724FCBF654667C75,
    "SuperTokenUnderlying": 0x3D6AB2023EA7E82B064BEBDB1C9886F8A266DB35,
}


def _stake_manager_args(addrs: dict[str, int]) -> tuple:
    return (addrs["TestToken"], GOVERNANCE, TREASURY)


# The stake token and the StakeManager: the part of the suite that needs no Superfluid (the base the
# smaller fuzz machines and proofs deploy; the whole suite is DEPLOYMENTS).
CORE_DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment("TestToken", TestToken),
    Deployment("StakeManager", StakeManager, _stake_manager_args, ("address", "address", "address")),
)

# The whole suite in the blueprint's deployment order (after the stake token).
DEPLOYMENTS: tuple[Deployment, ...] = CORE_DEPLOYMENTS + (
    Deployment("CapacityRegistry", CapacityRegistry, lambda a: (a["StakeManager"], GOVERNANCE),
               ("address", "address")),
    Deployment("BackpressurePool", BackpressurePool,
               lambda a: (a["CapacityRegistry"], a["GDAv1Forwarder"], a["SuperToken"], GOVERNANCE),
               ("address", "address", "address", "address"), environment="superfluid"),
    Deployment("EscrowBuffer", EscrowBuffer,
               lambda a: (a["BackpressurePool"], a["GDAv1Forwarder"], a["SuperToken"], GOVERNANCE),
               ("address", "address", "address", "address"), environment="superfluid"),
    Deployment("Pipeline", Pipeline, lambda a: (a["EscrowBuffer"], a["SuperToken"], GOVERNANCE),
               ("address", "address", "address"), environment="superfluid"),
)

# The Superfluid models callable in fuzz steps, by the names the EVM fixture gives their handles.
SUPERFLUID_CALLABLE = ("SuperToken", "GDAv1Forwarder", "SuperTokenUnderlying")
# The Superfluid model classes a broken variant may replace (`build_system` overrides).
SUPERFLUID_MODEL_NAMES = ("SuperToken", "GeneralDistributionAgreementV1", "GDAv1Forwarder", "SuperfluidTestToken")


def addresses(deployments: tuple[Deployment, ...] = DEPLOYMENTS) -> dict[str, int]:
    return deploy.addresses(deployments)


class System(deploy.System):
    """BPE's world, with names for its contracts (what its invariants read)."""

    @property
    def stake_manager(self) -> StakeManager:
        return self.world.contracts[self.addrs["StakeManager"]]  # type: ignore[return-value]

    @property
    def registry(self) -> CapacityRegistry:
        return self.world.contracts[self.addrs["CapacityRegistry"]]  # type: ignore[return-value]

    @property
    def backpressure_pool(self) -> BackpressurePool:
        return self.world.contracts[self.addrs["BackpressurePool"]]  # type: ignore[return-value]

    @property
    def escrow_buffer(self) -> EscrowBuffer:
        return self.world.contracts[self.addrs["EscrowBuffer"]]  # type: ignore[return-value]

    @property
    def pipeline(self) -> Pipeline:
        return self.world.contracts[self.addrs["Pipeline"]]  # type: ignore[return-value]

    @property
    def token(self) -> TestToken:
        return self.world.contracts[self.addrs["TestToken"]]  # type: ignore[return-value]


def build_system(overrides: dict[str, type[Contract]] | None = None,
                 deployments: tuple[Deployment, ...] = DEPLOYMENTS) -> System:
    """Deploy the models as the EVM fixture deploys the contracts. `overrides` swaps a model class
    (deliberately broken variants in tests), suite contracts by name and the Superfluid models by the
    names of `specs.bpe.superfluid.build_superfluid_world` ("SuperToken", "GeneralDistributionAgreementV1",
    "GDAv1Forwarder", "SuperfluidTestToken")."""
    overrides = overrides or {}
    world = World()
    world.block = Block(GENESIS_BLOCK, GENESIS_TIMESTAMP)
    addrs = addresses(deployments)
    models: dict[str, type[Contract]] = {}
    externals: dict[str, int] = {}
    if any(d.environment == "superfluid" for d in deployments):
        from specs.bpe import superfluid as sf  # specs.bpe.superfluid imports this module

        sf.build_superfluid_world(
            sf.SuperfluidAddresses(gda=SUPERFLUID["GDA"], forwarder=SUPERFLUID["GDAv1Forwarder"],
                                   super_token=SUPERFLUID["SuperToken"], underlying=SUPERFLUID["SuperTokenUnderlying"]),
            world, classes={k: v for k, v in overrides.items() if k in SUPERFLUID_MODEL_NAMES})
        for name in SUPERFLUID_CALLABLE:
            externals[name] = SUPERFLUID[name]
            models[name] = type(world.contracts[SUPERFLUID[name]])
    for d in deployments:
        cls = overrides.get(d.name, d.model)
        models[d.name] = cls
        args = tuple(Address(a) for a in d.ctor_args({**SUPERFLUID, **addrs}))
        instance: Any = cls.construct(*args) if hasattr(cls, "construct") else cls()
        world.deploy(addrs[d.name], instance)
    return System(world, addrs, models, externals)
