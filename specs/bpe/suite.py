"""The declaration of BPE, Backpressure Economics: sinks stake and signal capacity, a pool per task
type on the real Superfluid GDA splits payment streams by capacity, overflow waits in an escrow
buffer, pipelines chain pools (specs/bpe/PROTOCOL.md)."""

from __future__ import annotations

from specs.suite import ProofPart, Suite
from specs.bpe.system import GOVERNANCE, SUPERFLUID, TREASURY
from specs.deploy import DEPLOYER, GENESIS_BLOCK, GENESIS_TIMESTAMP

SUITE = Suite(
    name="bpe",
    title="BPE, Backpressure Economics",
    deployments="specs.bpe.system:DEPLOYMENTS",
    # the stake token, StakeManager and CapacityRegistry: the contracts that call out only to modelled,
    # symbolically executable code; the others are proved by the strategies below
    proved_deployments="invariants.prover:PROVED_DEPLOYMENTS",
    build_system="specs.bpe.system:build_system",
    actors={"deployer": DEPLOYER, "governance": GOVERNANCE, "treasury": TREASURY},
    constants={"genesis_block": GENESIS_BLOCK, "genesis_timestamp": GENESIS_TIMESTAMP,
               "superfluid": dict(SUPERFLUID)},
    environment=("superfluid",),
    fuzz_machine="harness.fuzz.bpe.system:SystemMachine",
    prepared_state="harness.fuzz.bpe.system:PREPARE",
    mutation_sources={
        "StakeManager": "contracts/bpe/StakeManager.sol",
        "CapacityRegistry": "contracts/bpe/CapacityRegistry.sol",
        "BackpressurePool": "contracts/bpe/BackpressurePool.sol",
        "EscrowBuffer": "contracts/bpe/EscrowBuffer.sol",
        "Pipeline": "contracts/bpe/Pipeline.sol",
        "BPEMath": "contracts/bpe/libraries/BPEMath.sol",
    },
    invariant_modules=("invariants.bpe.all",),
    proof_parts=(
        ProofPart("system", "invariants.bpe.proofs:prove_system"),
        ProofPart("escrow_buffer", "invariants.bpe.proofs:prove_escrow_buffer"),
        ProofPart("rebalance", "invariants.bpe.rebalance:prove_rebalance"),
        ProofPart("pipeline", "invariants.bpe.pipeline:prove_pipeline"),
        ProofPart("flow", "invariants.bpe.flow:prove_flow"),
    ),
    unproved="invariants.prover:unsupported_obligations",
    simulation="harness.sim",
)
