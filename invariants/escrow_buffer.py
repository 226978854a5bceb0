"""Invariants of EscrowBuffer (BPE-BUFFER): PROTOCOL.md section 8.

BPE-BUFFER-001 is stated in its step form. PROTOCOL.md writes the bound as `bufferLevel <=
max(bufferMax, levelWhenLowered)`, where levelWhenLowered (the level when governance last lowered
bufferMax below it) is not in storage. The step form "every call leaves level' <= max(bufferMax',
level)" is equivalent on every reachable state and needs no ghost: by induction over calls, the
level exceeds bufferMax only if it already did when bufferMax was set (setBufferMax does not move the
level), and from then on it never rises (a deposit must fit under bufferMax, a drain only lowers it).
It is faithful (neither weaker nor stronger than section 8) and inductive on its own.

BPE-BUFFER-002 (accounting) and BPE-BUFFER-003 (FIFO, nothing drained twice) are sums and orders over
an index range of the queue: the fuzzer evaluates them on every state (model and EVM); the prover
lists them UNSUPPORTED (see invariants/prover.py UNSUPPORTED_OBLIGATIONS) - `proof="concrete"`.
"""

from __future__ import annotations

from specs.kernel import U256, Bytes32, Int
from invariants.registry import Call, invariant, step_invariant


@step_invariant(
    "BPE-BUFFER-001", contract="EscrowBuffer",
    statement="Invariant: for every task type, every call leaves bufferLevel' <= max(bufferMax', bufferLevel) "
              "(the step form of bufferLevel <= max(bufferMax, levelWhenLowered), PROTOCOL.md section 8).",
    why="B_max is the backpressure bound: a buffer above it holds work the sinks cannot absorb; lowering "
        "B_max stops deposits until drains bring the level down, without losing anything.",
    exploit="A deposit past B_max (an off-by-one or a wrapped check) lets sources park unbounded lumps in "
            "a congested task type, defeating admission control up the pipeline.",
)
def level_within_bound(pre, post, call: Call, taskTypeId: Bytes32):  # type: ignore[no-untyped-def]
    level0 = Int(pre.escrow_buffer.levels[taskTypeId])
    level1 = Int(post.escrow_buffer.levels[taskTypeId])
    max1 = Int(post.escrow_buffer.maxima[taskTypeId])
    return (level1 <= max1) or (level1 <= level0)


def _queue_sum(eb, t) -> int:  # type: ignore[no-untyped-def]
    head, tail = eb.queueHead[t].v, eb.queueTail[t].v
    return sum(eb.entryAmount[t][U256(i)].v for i in range(head, tail))


@invariant(
    "BPE-BUFFER-002", contract="EscrowBuffer", proof="concrete",
    statement="Invariant: for every task type, head <= tail and bufferLevel equals the sum of the queued "
              "remainders entryAmount[head..tail).",
    why="The level is what the bound and the drain rate are computed from; it must be exactly what the "
        "queue still owes its sources (PROTOCOL.md section 8, accounting).",
    exploit="A level above the queue's contents lets a drain pay out tokens no deposit brought (other task "
            "types' money); below it, deposits are stranded forever.",
)
def level_is_sum_of_queue(s, taskTypeId: Bytes32):  # type: ignore[no-untyped-def]
    eb = s.escrow_buffer
    if eb.queueTail[taskTypeId].v - eb.queueHead[taskTypeId].v > 4096:
        return False  # not a state the fuzzer reaches; a queue this long would be a bug of its own
    return eb.queueHead[taskTypeId].v <= eb.queueTail[taskTypeId].v and \
        eb.levels[taskTypeId].v == _queue_sum(eb, taskTypeId)


@step_invariant(
    "BPE-BUFFER-003", contract="EscrowBuffer", proof="concrete",
    statement="Invariant: drains leave in FIFO order and nothing is drained twice: head and tail never move "
              "back; only a deposit moves tail (by one, appending its amount); entries below the new head are "
              "0; no entry below the old tail grows; entries strictly between the new head and the old tail "
              "are unchanged (only the head entry is partly consumed).",
    why="First in, first out is the fairness rule across sources (PROTOCOL.md section 8); an entry that "
        "grows or reappears would be paid twice.",
    exploit="A drain that skips a partly paid entry, re-queues it at the back, or pays an entry twice moves "
            "money between sources and out of the buffer.",
)
def fifo_nothing_twice(pre, post, call: Call, taskTypeId: Bytes32, index: U256):  # type: ignore[no-untyped-def]
    e0, e1 = pre.escrow_buffer, post.escrow_buffer
    h0, h1 = e0.queueHead[taskTypeId].v, e1.queueHead[taskTypeId].v
    t0, t1 = e0.queueTail[taskTypeId].v, e1.queueTail[taskTypeId].v
    a0, a1 = e0.entryAmount[taskTypeId][index].v, e1.entryAmount[taskTypeId][index].v
    i = index.v
    deposit = call.contract in ("EscrowBuffer", "Pipeline") and call.function == "deposit"
    # a pipeline's stages are distinct task types: one deposit appends at most one entry per task type
    if h1 < h0 or t1 < t0 or (t1 != t0 and not deposit) or t1 > t0 + 1:
        return False
    if i < h1 and a1 != 0:
        return False
    if i < t0 and a1 > a0:
        return False
    if h1 < i < t0 and a1 != a0:
        return False
    return True
