"""The declaration of BPE, Backpressure Economics: sinks stake and signal capacity, a pool per task
type on the real Superfluid GDA splits payment streams by capacity, overflow waits in an escrow
buffer, pipelines chain pools (specs/bpe/PROTOCOL.md)."""

from __future__ import annotations

from specs.suite import ProofPart, Suite
from specs.bpe.system import DEPLOYMENTS, GOVERNANCE, SUPERFLUID, TREASURY
from specs.deploy import DEPLOYER, GENESIS_BLOCK, GENESIS_TIMESTAMP

# The contracts the generic prover runs on (the "system" part): the stake token, StakeManager and
# CapacityRegistry, the part of the suite that calls out only to modelled, symbolically executable code.
# BackpressurePool, EscrowBuffer and Pipeline call the Superfluid GDA: EscrowBuffer is proved under
# assume-guarantee stubs (invariants/bpe/assume_guarantee.py; drain with loop summaries,
# invariants/bpe/drain.py), BackpressurePool's rebalance per element (invariants/bpe/rebalance.py),
# BPE-BUFFER-003 across Pipeline.deposit/drain per element by induction over the stage loop
# (invariants/bpe/pipeline.py), the flow invariants over the Superfluid models (invariants/bpe/flow.py).
PROVED_DEPLOYMENTS = DEPLOYMENTS[:3]

# What every BPE proof rests on besides the generic prover's own assumptions (invariants.prover.ASSUMPTIONS)
PROOF_ENVIRONMENT = (
    "deployment wiring (token, governance, treasury) as in specs/bpe/system.py",
    "the staking token is specs/bpe/test_token.py (OpenZeppelin ERC20): no fees, no hooks",
)

SUITE = Suite(
    name="bpe",
    title="BPE, Backpressure Economics",
    deployments="specs.bpe.system:DEPLOYMENTS",
    proved_deployments="specs.bpe.suite:PROVED_DEPLOYMENTS",
    build_system="specs.bpe.system:build_system",
    proof_environment=PROOF_ENVIRONMENT,
    actors={"deployer": DEPLOYER, "governance": GOVERNANCE, "treasury": TREASURY},
    constants={"genesis_block": GENESIS_BLOCK, "genesis_timestamp": GENESIS_TIMESTAMP,
               "superfluid": dict(SUPERFLUID)},
    environment=("superfluid",),
    fuzz_machine="harness.fuzz.bpe.system:SystemMachine",
    prepared_state="harness.fuzz.bpe.system:PREPARE",
    deployed_machine="harness.fuzz.bpe.stake_manager:StakeManagerMachine",
    mutation_sources={
        "StakeManager": "contracts/bpe/StakeManager.sol",
        "CapacityRegistry": "contracts/bpe/CapacityRegistry.sol",
        "BackpressurePool": "contracts/bpe/BackpressurePool.sol",
        "EscrowBuffer": "contracts/bpe/EscrowBuffer.sol",
        "Pipeline": "contracts/bpe/Pipeline.sol",
        "BPEMath": "contracts/bpe/libraries/BPEMath.sol",
    },
    not_mutated={
        "contracts/bpe/test/TestToken.sol": "the stake token of the tests (OpenZeppelin's ERC20 plus a faucet), "
                                            "not one of BPE's protocol contracts",
        "contracts/bpe/interfaces/*.sol": "interfaces: declarations only, nothing executable to mutate",
    },
    # the suite calls BPEMath.sqrt only with stake / STAKE_UNIT (0 or at least 100): the library is
    # compared with its model directly, on edge inputs
    library_checks={"BPEMath": "harness.mutate.bpe.library:check"},
    invariant_modules=("invariants.bpe.all",),
    proof_parts=(
        ProofPart("system", "invariants.bpe.proofs:prove_system"),
        ProofPart("escrow_buffer", "invariants.bpe.proofs:prove_escrow_buffer"),
        ProofPart("rebalance", "invariants.bpe.rebalance:prove_rebalance"),
        ProofPart("pipeline", "invariants.bpe.pipeline:prove_pipeline"),
        ProofPart("flow", "invariants.bpe.flow:prove_flow"),
    ),
    # the invariants of TestToken, StakeManager and CapacityRegistry; the others name their part (proved_by)
    default_proof_part="system",
    unproved="invariants.bpe.proofs:unsupported_obligations",
    counterexample_setups={"EscrowBuffer.deposit": "harness.fuzz.bpe.evm_setup:fund_escrow_deposit"},
    simulation="harness.sim.bpe",
)
