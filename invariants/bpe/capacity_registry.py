"""Invariants of CapacityRegistry (BPE-CAP, BPE-COMMIT, BPE-EWMA, the loop bound of BPE-REBAL) and the
slash bound of StakeManager (BPE-STAKE-003): PROTOCOL.md sections 2, 4 and 5.

State invariants (`@invariant`) are proved inductive; step invariants (`@step_invariant`, over the
state before and after one call and the call itself) are proved for every external function of the
system, from the state invariants before the call. Both evaluate on concrete states (fuzzer) too.

BPE-COMMIT-002 states the commit preimage of PROTOCOL.md section 4 itself (`protocol_commit_hash`), so
that a model whose own hash drifts from the protocol is caught, not silently agreed with.
"""

from __future__ import annotations

from specs.bpe.capacity_registry import COMMIT_TIMEOUT, MAX_SINKS_PER_TASK_TYPE, UNIT_SCALE
from specs.kernel import CHAIN_ID, U256, Address, Bool, Bytes32, Int, Msg, keccak256_abi
from invariants.registry import Call, invariant, step_invariant

SQRT_LEMMAS = ("LEMMA-SQRT-001", "LEMMA-SQRT-002", "LEMMA-SQRT-003", "LEMMA-SQRT-004", "LEMMA-SQRT-005")

# PROTOCOL.md section 4, "Preimage": commitHash = keccak256(abi.encode(sink, taskTypeId, capacity, nonce,
# block.chainid, address(registry))), with the Solidity types of those six values in that order
PROTOCOL_COMMIT_PREIMAGE = ("address", "bytes32", "uint256", "bytes32", "uint256", "address")


def protocol_commit_hash(sink: Address, taskTypeId: Bytes32, capacity: U256, nonce: Bytes32, registry: Address,
                         chain_id: int = CHAIN_ID) -> Bytes32:
    """The commit hash PROTOCOL.md section 4 defines, stated here rather than taken from the model (a
    bug in the model's preimage must not change what BPE-COMMIT-002 expects). `chain_id` defaults to the
    chain the workbench's EVM engines run."""
    return keccak256_abi(PROTOCOL_COMMIT_PREIMAGE, (sink, taskTypeId, capacity, nonce, U256(chain_id), registry))


def _b(x):  # type: ignore[no-untyped-def]
    """A condition as a value the prover can take the truth of (Python bool or kernel Bool)."""
    return x


# -- BPE-CAP -------------------------------------------------------------------------------------
@invariant(
    "BPE-CAP-002", contract="CapacityRegistry", depends_on=SQRT_LEMMAS,
    statement="Invariant: for every task type and sink, the effective capacity used for routing "
              "(getSmoothedCapacity) is at most floor(sqrt(stake/STAKE_UNIT)) * UNIT_SCALE, after every "
              "call including slash and unstake.",
    why="Routing pays sinks in proportion to their effective capacity; the square-root cap of the "
        "stake is what ties that capacity to collateral (PROTOCOL.md sections 2, 3, 5).",
    exploit="A sink reveals a huge capacity (or unstakes after revealing) and is routed payment its "
            "stake does not back.",
)
def effective_capacity_within_cap(s, taskTypeId: Bytes32, sink: Address):  # type: ignore[no-untyped-def]
    effective = s.registry.getSmoothedCapacity(Msg(sink), taskTypeId, sink)
    cap = s.stake_manager.getCapacityCap(Msg(sink), sink)
    return Int(effective) <= Int(cap) * UNIT_SCALE.v


# -- BPE-REBAL (the loop bound rebalance and needsRebalance rely on) --------------------------------
@invariant(
    "BPE-REBAL-003", contract="CapacityRegistry",
    statement="Invariant: every task type has at most MAX_SINKS_PER_TASK_TYPE (32) registered sinks.",
    why="32 is the documented bound of the loops over sinks in rebalance, needsRebalance and drain's "
        "event loop (PROTOCOL.md section 4); the proofs of those loops are per element under it.",
    exploit="An unbounded sink list makes rebalance run out of gas: a pool frozen at stale units.",
)
def sink_count_bounded(s, taskTypeId: Bytes32):  # type: ignore[no-untyped-def]
    return s.registry._sinkCount[taskTypeId] <= MAX_SINKS_PER_TASK_TYPE


# -- BPE-COMMIT ----------------------------------------------------------------------------------
@invariant(
    "BPE-COMMIT-001", contract="CapacityRegistry",
    statement="Invariant: a pending commit (commitBlock != 0) exists only for a sink registered for "
              "that task type.",
    why="Deregistering deletes the pending commit (PROTOCOL.md section 4), so a sink cannot keep a "
        "commitment across leaving and re-joining a task type.",
    exploit="A sink commits, deregisters, re-registers and reveals a stale commitment chosen before "
            "the conditions it now exploits.",
)
def pending_commit_only_for_registered_sink(s, taskTypeId: Bytes32, sink: Address):  # type: ignore[no-untyped-def]
    reg = s.registry
    return reg._commitBlock[taskTypeId][sink] == 0 or reg._sinkIndex[taskTypeId][sink] != 0


@step_invariant(
    "BPE-COMMIT-002", contract="CapacityRegistry",
    statement="Invariant: a reveal succeeds only with a matching, unexpired, unused commit of the same "
              "sink for the same task type: before it, commitBlock(t, sender) != 0, commitBlock < "
              "block.number <= commitBlock + COMMIT_TIMEOUT and commitHash(t, sender) == "
              "keccak256(sender, t, capacity, nonce, chainid, registry); after it, the commit is deleted.",
    why="Commit-reveal makes capacity signals binding before they are seen (PROTOCOL.md section 4): "
        "a reveal that skips any of these checks lets a sink choose its signal after the fact.",
    exploit="Revealing in the commit's block (front-running others' reveals), after expiry, twice, "
            "another sink's commitment, or a commitment made for another task type.",
)
def reveal_needs_matching_commit(pre, post, call: Call):  # type: ignore[no-untyped-def]
    if not call.is_("CapacityRegistry", "revealCapacity"):
        return True
    t, sender = call.args["taskTypeId"], call.sender
    reg0, reg1 = pre.registry, post.registry
    commit_block = Int(reg0._commitBlock[t][sender])
    number = Int(post.world.block.number)
    # the preimage rule of PROTOCOL.md section 4 itself (not the model's helper, which a bug could share)
    expected = protocol_commit_hash(sender, t, call.args["capacity"], call.args["nonce"],
                                    Address(pre.address_of("CapacityRegistry")))
    return (commit_block != 0) and (commit_block < number) and (number <= commit_block + COMMIT_TIMEOUT.v) \
        and (reg0._commitHash[t][sender] == expected) and (reg1._commitBlock[t][sender] == 0)


# -- BPE-EWMA ------------------------------------------------------------------------------------
@step_invariant(
    "BPE-EWMA-001", contract="CapacityRegistry", depends_on=SQRT_LEMMAS,
    statement="Invariant: every new smoothed value lies between the old smoothed value and the clamped "
              "raw value min(capacity, cap * UNIT_SCALE) (equal to the clamped value on a first reveal); "
              "no other call changes a smoothed value.",
    why="Smoothing must damp capacity signals, never amplify them (PROTOCOL.md section 5); rounding "
        "down keeps the result inside the interval in both directions.",
    exploit="A rounding or weighting error lets repeated reveals ratchet the smoothed capacity above "
            "anything the sink revealed, or above its cap.",
)
def ewma_between_old_and_clamped(pre, post, call: Call, taskTypeId: Bytes32, sink: Address):  # type: ignore[no-untyped-def]
    old = Int(pre.registry._smoothed[taskTypeId][sink])
    new = Int(post.registry._smoothed[taskTypeId][sink])
    if not (call.is_("CapacityRegistry", "revealCapacity") and call.args["taskTypeId"] == taskTypeId
            and call.sender == sink):
        return new == old
    cap = Int(pre.stake_manager.getCapacityCap(Msg(sink), sink)) * UNIT_SCALE.v
    raw = Int(call.args["capacity"])
    clamped = raw if raw <= cap else cap
    if not pre.registry._hasRevealed[taskTypeId][sink]:
        return new == clamped
    lo, hi = (old, clamped) if old <= clamped else (clamped, old)
    return (lo <= new) and (new <= hi)


# -- BPE-STAKE -----------------------------------------------------------------------------------
@step_invariant(
    "BPE-STAKE-003", contract="StakeManager",
    statement="Invariant: a slash never takes more than the sink's stake: the treasury gains at most "
              "the stake the sink had, the sink's stake does not grow, and no other sink's stake changes.",
    why="Slashing takes min(amount, stake) (PROTOCOL.md section 2); taking more would spend other "
        "sinks' collateral.",
    exploit="An over-slash pays the treasury out of other stakers' tokens, leaving the StakeManager "
            "insolvent.",
)
def slash_within_stake(pre, post, call: Call, other: Address):  # type: ignore[no-untyped-def]
    if not call.is_("StakeManager", "slash"):
        return True
    sink = call.args["sink"]
    sm0, sm1 = pre.stake_manager, post.stake_manager
    treasury = sm0.treasury
    gained = Int(post.token._balances[treasury]) - Int(pre.token._balances[treasury])
    stake0 = Int(sm0.stakes[sink])
    untouched = (other == sink) or (sm1.stakes[other] == sm0.stakes[other])
    return (gained <= stake0) and (Int(sm1.stakes[sink]) <= stake0) and untouched
