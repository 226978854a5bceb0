"""The declaration of the compute marketplace: providers stake and register GPU capacity, renters pay
sessions by the hour, users prepay inference, agents sponsor triggers, a ledger holds ETH and tokens
(specs/compute/PROTOCOL.md)."""

from __future__ import annotations

from specs.compute.system import DEPLOYMENTS, OWNER, TREASURY
from specs.deploy import DEPLOYER, GENESIS_BLOCK, GENESIS_TIMESTAMP
from specs.suite import ProofPart, Suite

# The generic prover runs on the six contracts and the test token (the suite without the adversarial
# mocks, which are test doubles, not protocol): invariants/compute/proofs.py.
PROVED_DEPLOYMENTS = DEPLOYMENTS

# What every compute proof rests on besides the generic prover's own assumptions
PROOF_ENVIRONMENT = (
    "deployment wiring (owner, treasury, staking and registry addresses, identity registry unset) as in "
    "specs/compute/system.py",
    "the ledger's token in the proved system is specs/compute/test_token.py (OpenZeppelin ERC20): no fees, "
    "no hooks",
)

SUITE = Suite(
    name="compute",
    title="Compute marketplace (staking, registry, rental, inference, ledger, triggers)",
    # the suite and, deployed after it (its addresses unchanged), the adversarial mocks the fuzz machine
    # drives: a fee-on-transfer token, a token whose transfers return false, a reentering wallet, a token
    # whose transfers call back into the ledger, a staker whose receive calls back into the staking, and an
    # identity registry ComputeRegistry is constructed with (the proved deployment leaves it unset)
    deployments="specs.compute.system:TEST_DEPLOYMENTS",
    proved_deployments="specs.compute.suite:PROVED_DEPLOYMENTS",
    build_system="specs.compute.system:build_suite_system",
    proof_environment=PROOF_ENVIRONMENT,
    actors={"deployer": DEPLOYER, "owner": OWNER, "treasury": TREASURY},
    constants={"genesis_block": GENESIS_BLOCK, "genesis_timestamp": GENESIS_TIMESTAMP},
    environment=(),
    fuzz_machine="harness.fuzz.compute.machine:ComputeMachine",
    prepared_state="harness.fuzz.compute.machine:PREPARE",
    deployed_machine="harness.fuzz.compute.machine:DeployedComputeMachine",
    mutation_sources={
        "ComputeStaking": "contracts/compute/ComputeStaking.sol",
        "ComputeRegistry": "contracts/compute/ComputeRegistry.sol",
        "ComputeRental": "contracts/compute/ComputeRental.sol",
        "InferenceServing": "contracts/compute/InferenceServing.sol",
        "LedgerManager": "contracts/compute/LedgerManager.sol",
        "TriggerRegistry": "contracts/compute/TriggerRegistry.sol",
    },
    not_mutated={
        "contracts/compute/interfaces/*.sol": "interfaces: declarations only, nothing executable to mutate",
        "contracts/compute/test/ComputeTestToken.sol": "the ledger's test token (OpenZeppelin's ERC20 plus a "
                                                       "faucet), not one of the protocol's contracts",
        "contracts/compute/test/LedgerMocks.sol": "adversarial test doubles (fee-on-transfer, false-returning "
                                                  "and calling-back tokens, a reentering wallet) the checks use "
                                                  "against the ledger; a mutant of one tests the test, not the "
                                                  "protocol",
        "contracts/compute/test/StakingMocks.sol": "an adversarial test double (a staker that reenters the "
                                                   "staking from its receive) the checks use against "
                                                   "ComputeStaking; a mutant of it tests the test",
        "contracts/compute/test/AgentIdentityMock.sol": "the identity registry stand-in (an ERC721 ownerOf) of "
                                                        "the linkAgent tests and the fuzz deployment, not part of "
                                                        "the protocol",
    },
    invariant_modules=("invariants.compute.all",),
    proof_parts=(ProofPart("system", "invariants.compute.proofs:prove_system"),),
    default_proof_part="system",
    unproved="invariants.compute.proofs:unsupported_obligations",
)
