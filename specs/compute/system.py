"""The compute marketplace deployed: which contracts, in which order, with which constructor arguments
(specs/compute/PROTOCOL.md section 9), and the models' world built the same way. No environment: the
suite needs nothing deployed before it. The identity registry is unset (address 0, R-3.7), so
linkAgent reverts IdentityRegistryUnset in this deployment; the test deployment the fuzz machine drives
(TEST_DEPLOYMENTS) sets one.

The roles are fixed addresses: one OWNER administers the three owned contracts, TREASURY receives
swept slashes. Guardians, attesters and executors are appointed by the owner in the tests.
"""

from __future__ import annotations

from typing import Any

from specs import deploy
from specs.compute.compute_registry import ComputeRegistry
from specs.compute.compute_rental import ComputeRental
from specs.compute.compute_staking import ComputeStaking
from specs.compute.inference_serving import InferenceServing
from specs.compute.ledger_manager import LedgerManager
from specs.compute.test_token import ComputeTestToken
from specs.compute.trigger_registry import TriggerRegistry
from specs.deploy import GENESIS_BLOCK, GENESIS_TIMESTAMP, Deployment
from specs.kernel import Address, Block, Contract, World

OWNER = 0x0C0000000000000000000000000000000000C001
TREASURY = 0x7EA5000000000000000000000000000000000C02
IDENTITY_REGISTRY = 0  # unset

DEPLOYMENTS: tuple[Deployment, ...] = (
    Deployment("ComputeStaking", ComputeStaking, lambda a: (OWNER, TREASURY), ("address", "address")),
    Deployment("ComputeRegistry", ComputeRegistry, lambda a: (OWNER, a["ComputeStaking"], IDENTITY_REGISTRY),
               ("address", "address", "address")),
    Deployment("ComputeRental", ComputeRental, lambda a: (a["ComputeRegistry"], a["ComputeStaking"]),
               ("address", "address")),
    Deployment("InferenceServing", InferenceServing, lambda a: (a["ComputeRegistry"],), ("address",)),
    Deployment("LedgerManager", LedgerManager),
    Deployment("TriggerRegistry", TriggerRegistry, lambda a: (OWNER,), ("address",)),
    # the ERC20 the ledger's tests deposit (a test token, not part of the protocol)
    Deployment("ComputeTestToken", ComputeTestToken),
)


def addresses(deployments: tuple[Deployment, ...] = DEPLOYMENTS) -> dict[str, int]:
    return deploy.addresses(deployments)


class System(deploy.System):
    """The compute world, with names for its contracts."""

    def _c(self, name: str) -> Any:
        return self.world.contracts[self.addrs[name]]

    @property
    def staking(self) -> ComputeStaking:
        return self._c("ComputeStaking")

    @property
    def registry(self) -> ComputeRegistry:
        return self._c("ComputeRegistry")

    @property
    def rental(self) -> ComputeRental:
        return self._c("ComputeRental")

    @property
    def inference(self) -> InferenceServing:
        return self._c("InferenceServing")

    @property
    def ledger(self) -> LedgerManager:
        return self._c("LedgerManager")

    @property
    def triggers(self) -> TriggerRegistry:
        return self._c("TriggerRegistry")

    @property
    def token(self) -> ComputeTestToken:
        return self._c("ComputeTestToken")


def build_system(overrides: dict[str, type[Contract]] | None = None,
                 deployments: tuple[Deployment, ...] = DEPLOYMENTS) -> System:
    """Deploy the models as the EVM fixture deploys the contracts; `overrides` swaps a model class by
    contract name (deliberately broken variants in tests)."""
    overrides = overrides or {}
    world = World()
    world.block = Block(GENESIS_BLOCK, GENESIS_TIMESTAMP)
    addrs = addresses(deployments)
    models: dict[str, type[Contract]] = {}
    for d in deployments:
        cls = overrides.get(d.name, d.model)
        models[d.name] = cls
        args = tuple(Address(a) for a in d.ctor_args(addrs))
        instance: Any = cls.construct(*args) if hasattr(cls, "construct") else cls()
        world.deploy(addrs[d.name], instance)
    return System(world, addrs, models)


def _mocks() -> tuple[Deployment, ...]:
    from specs.compute.ledger_mocks import CallbackToken, FalseReturnToken, FeeOnTransferToken, ReenteringWallet
    from specs.compute.staking_mocks import ReenteringStaker

    return (
        Deployment("FeeOnTransferToken", FeeOnTransferToken),
        Deployment("FalseReturnToken", FalseReturnToken),
        Deployment("ReenteringWallet", ReenteringWallet, lambda a: (a["LedgerManager"],), ("address",)),
        Deployment("CallbackToken", CallbackToken, lambda a: (a["LedgerManager"],), ("address",)),
        Deployment("ReenteringStaker", ReenteringStaker, lambda a: (a["ComputeStaking"],), ("address",)),
    )


def _test_deployments() -> tuple[Deployment, ...]:
    from specs.compute.agent_identity_mock import AgentIdentityMock

    suite = tuple(Deployment("ComputeRegistry", ComputeRegistry,
                             lambda a: (OWNER, a["ComputeStaking"], a["AgentIdentityMock"]), d.ctor_types)
                  if d.name == "ComputeRegistry" else d for d in DEPLOYMENTS)
    return suite + _mocks() + (Deployment("AgentIdentityMock", AgentIdentityMock),)


# The suite plus the adversarial test mocks of contracts/compute/test/LedgerMocks.sol and StakingMocks.sol
# and an identity registry (contracts/compute/test/AgentIdentityMock.sol), deployed after it: every
# address is the one the suite alone has, and ComputeRegistry is constructed with the identity
# registry's (a CREATE address is known before the contract is deployed), so linkAgent can succeed.
TEST_DEPLOYMENTS: tuple[Deployment, ...] = _test_deployments()


def with_identity_registry() -> tuple[Deployment, ...]:
    """The suite deployed after an identity registry mock (contracts/compute/test/AgentIdentityMock.sol)
    that ComputeRegistry links agents on (R-3.7); the tests of linkAgent use it."""
    from specs.compute.agent_identity_mock import AgentIdentityMock

    out: list[Deployment] = [Deployment("AgentIdentityMock", AgentIdentityMock)]
    for d in DEPLOYMENTS:
        if d.name == "ComputeRegistry":
            d = Deployment("ComputeRegistry", ComputeRegistry,
                           lambda a: (OWNER, a["ComputeStaking"], a["AgentIdentityMock"]), d.ctor_types)
        out.append(d)
    return tuple(out)


def build_suite_system(overrides: dict[str, type[Contract]] | None = None,
                       deployments: tuple[Deployment, ...] = TEST_DEPLOYMENTS) -> System:
    """build_system on the suite's declared deployments by default (specs/compute/suite.py: the suite and
    the adversarial mocks): the models' world the fuzz runner builds for the suite's fixture."""
    return build_system(overrides, deployments)
