"""Invariants of EscrowBuffer (BPE-BUFFER): PROTOCOL.md section 8.

BPE-BUFFER-001 is stated in its step form. PROTOCOL.md writes the bound as `bufferLevel <=
max(bufferMax, levelWhenLowered)`, where levelWhenLowered (the level when governance last lowered
bufferMax below it) is not in storage. The step form "every call leaves level' <= max(bufferMax',
level)" is equivalent on every reachable state and needs no ghost: by induction over calls, the
level exceeds bufferMax only if it already did when bufferMax was set (setBufferMax does not move the
level), and from then on it never rises (a deposit must fit under bufferMax, a drain only lowers it).
It is faithful (neither weaker nor stronger than section 8) and inductive on its own.

BPE-BUFFER-002 (accounting: head <= tail and the level is the sum of entryAmount[head..tail)) is a sum
over an index range of the queue: concretely a Python sum, symbolically a QueueSum term
(invariants/loops.py: an uninterpreted sum with its defining axioms and induction-proved lemmas,
instantiated where the term is built). BPE-BUFFER-003 (FIFO, nothing drained twice) is a step
invariant over the queue at any index. Both are proved by the escrow-buffer prover, for every
EscrowBuffer call (drain with its loop summaries, invariants/bpe/drain.py), and evaluated by the fuzzer on
every state (model and EVM). BPE-BUFFER-003 across a whole Pipeline.deposit or Pipeline.drain (one
EscrowBuffer call per stage) is proved per element by induction over the stage loop in
invariants/bpe/pipeline.py, with the strengthenings BPE-PIPE-001 (a pipeline's stages are distinct task
types) and BPE-BUFFER-ROW-001 (an EscrowBuffer call changes no other task type's row).

BPE-BUFFER-004 is a strengthening, added so that BPE-BUFFER-003 is inductive: every entry below the head
is 0 (a consumed entry is deleted). It is true of every reachable state (deposits write at the tail,
which is at or above the head; drains zero what the head passes) and is checked by the fuzzer too.
"""

from __future__ import annotations

from specs.kernel import U256, Bytes32, Int, term
from invariants.loops import range_sum
from invariants.registry import Call, invariant, step_invariant


@step_invariant(
    "BPE-BUFFER-001", contract="EscrowBuffer", proved_by="escrow_buffer",
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


def queue_sum(eb, t) -> Int:  # type: ignore[no-untyped-def]
    """sum of entryAmount[t][head..tail): a Python int on concrete states, QueueSum (invariants/loops.py)
    on symbolic ones."""
    head, tail = eb.queueHead[t], eb.queueTail[t]
    store = eb.entryAmount.store
    if store.symbolic:
        return Int(range_sum(store.array, term(t), term(head), term(tail)))
    return Int(sum(eb.entryAmount[t][U256(i)].v for i in range(head.v, tail.v)))


@invariant(
    "BPE-BUFFER-002", contract="EscrowBuffer", proved_by="escrow_buffer",
    statement="Invariant: for every task type, head <= tail and bufferLevel equals the sum of the queued "
              "remainders entryAmount[head..tail).",
    why="The level is what the bound and the drain rate are computed from; it must be exactly what the "
        "queue still owes its sources (PROTOCOL.md section 8, accounting).",
    exploit="A level above the queue's contents lets a drain pay out tokens no deposit brought (other task "
            "types' money); below it, deposits are stranded forever.",
    depends_on=("LEMMA-SUM-001", "LEMMA-SUM-002", "LEMMA-SUM-003", "LEMMA-SUM-004", "LEMMA-SUM-005"),
)
def level_is_sum_of_queue(s, taskTypeId: Bytes32):  # type: ignore[no-untyped-def]
    eb = s.escrow_buffer
    head, tail = eb.queueHead[taskTypeId], eb.queueTail[taskTypeId]
    if not eb.entryAmount.store.symbolic and tail.v - head.v > 4096:
        return False  # concrete evaluation only: not a state the fuzzer reaches, and too long to sum here
    return Int(head) <= Int(tail) and Int(eb.levels[taskTypeId]) == queue_sum(eb, taskTypeId)


@invariant(
    "BPE-BUFFER-004", contract="EscrowBuffer", strengthening=True, proved_by="escrow_buffer",
    statement="Invariant: for every task type, every queue entry below the head is 0 (entryAmount[i] == 0 for "
              "i < head).",
    why="Strengthening that makes BPE-BUFFER-003 inductive: an entry the head has passed was drained in full "
        "(its remainder deleted), so nothing below the head can be paid again.",
    exploit="A consumed entry that keeps a remainder below the head is money the level no longer counts "
            "(stranded) or that a later bug could drain twice.",
)
def consumed_entries_are_zero(s, taskTypeId: Bytes32, index: U256):  # type: ignore[no-untyped-def]
    eb = s.escrow_buffer
    return Int(index) >= Int(eb.queueHead[taskTypeId]) or Int(eb.entryAmount[taskTypeId][index]) == 0


@step_invariant(
    "BPE-BUFFER-003", contract="EscrowBuffer", proved_by=("escrow_buffer", "pipeline"),
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
    h0, h1 = Int(e0.queueHead[taskTypeId]), Int(e1.queueHead[taskTypeId])
    t0, t1 = Int(e0.queueTail[taskTypeId]), Int(e1.queueTail[taskTypeId])
    a0, a1 = Int(e0.entryAmount[taskTypeId][index]), Int(e1.entryAmount[taskTypeId][index])
    i = Int(index)
    deposit = call.contract in ("EscrowBuffer", "Pipeline") and call.function == "deposit"
    # a pipeline's stages are distinct task types: one deposit appends at most one entry per task type
    if h1 < h0 or t1 < t0 or (t1 != t0 and not deposit) or t1 > t0 + 1:
        return False
    if i < h1 and a1 != 0:
        return False
    if i < t0 and a1 > a0:
        return False
    if h1 < i and i < t0 and a1 != a0:
        return False
    return True
