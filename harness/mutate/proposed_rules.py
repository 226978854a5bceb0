"""Fuzz rules proposed for harness/fuzz/system.py but not merged yet, as a SystemMachine subclass, so a
proposal can be checked against the survivors it is meant for before it goes into the machine that
`make verify` and tests/system run (mutants/SURVIVORS.md says which):

    .venv/bin/python -m harness.mutate run --resume --only <ids> --machine harness.mutate.proposed_rules:ProposedMachine

The rules that were proposed here earlier are merged into SystemMachine (its "focused rules").
"""
from hypothesis import strategies as st
from hypothesis.stateful import rule

from harness.fuzz.system import SINKS

from harness.fuzz.system import E18, GOVERNANCE, KEEPER, MAX, REGISTERED, SOURCES, T1, T3, SystemMachine, pool_of
from harness.fuzz.stake_manager import MIN
from specs.kernel import Bytes32, U256

WINDOW = 32  # EscrowBuffer.MAX_DRAIN_ENTRIES


class ProposedMachine(SystemMachine):
    @rule(src=st.sampled_from(SOURCES), t=st.sampled_from(REGISTERED), short=st.sampled_from([0, 1]))
    def drain_exact_multiple(self, src: int, t: str, short: int) -> None:
        """A deposit that makes the drain window's sum a multiple of the pool's total units (short = 0) or
        one wei short of one (short = 1), ten hours, a drain. With a multiple the drain consumes the window
        exactly, so its last entry has `entry == left` (EscrowBuffer's `if (entry <= left)` boundary); one
        wei short, drainable and drain are at their rounding edge (`available / totalUnits`)."""
        m = self.model
        pool = pool_of(m, t)
        units = m.world.view(pool, "getTotalUnits", clone=False).returned.v if pool else 0
        eb = m.world.contracts[self.addr("EscrowBuffer")]
        tt = Bytes32(bytes.fromhex(t[2:]))
        head, tail = eb.queueHead[tt].v, eb.queueTail[tt].v
        if not units or tail - head >= WINDOW:
            return
        available = sum(eb.entryAmount[tt][U256(i)].v for i in range(head, tail))
        x = (units - short - available % units) % units
        if x < E18 // 1000:  # a deposit large enough to matter: add whole multiples of the units
            x += units * (E18 // 1000 // units + 1)
        self.call("EscrowBuffer", "deposit", src, t, x)
        self.do({"op": "advance", "blocks": 1, "seconds": 36_000})
        self.call("EscrowBuffer", "drain", KEEPER, t)

    @rule()
    def fill_task_type(self) -> None:
        """33 fresh accounts stake MIN_SINK_STAKE and register on T3 (a task type without a pool): the
        registration that finds 32 sinks reverts TooManySinks (MAX_SINKS_PER_TASK_TYPE). Costly (132 calls):
        the set-up calls compare outcomes and events only, the state is compared in full at the end."""
        self.call("CapacityRegistry", "registerTaskType", GOVERNANCE, T3)
        sm = self.addr("StakeManager")
        accounts = [0x5E0000000000000000000000000000000000AA00 + k for k in range(33)]
        each = self.diff.state_each_step
        self.diff.state_each_step = False
        try:
            for a in accounts:
                self.call("TestToken", "mint", a, a, MIN)
                self.call("TestToken", "approve", a, sm, MAX)
                self.call("StakeManager", "stake", a, MIN)
                self.call("CapacityRegistry", "registerSink", a, T3)
        finally:
            self.diff.state_each_step = each
        self.call("CapacityRegistry", "registerSink", accounts[-1], T3)

    @rule(who=st.sampled_from(SOURCES + [KEEPER]), pid=st.sampled_from([0, 99]))
    def pipeline_drain_unknown(self, who: int, pid: int) -> None:
        """Drain a pipeline id that was never created: UnknownPipeline (not NothingToDrain)."""
        self.call("Pipeline", "drain", who, pid)

    @rule(src=st.sampled_from(SOURCES), t=st.sampled_from(REGISTERED))
    def deposit_whole_max(self, src: int, t: str) -> None:
        """Into an empty buffer, a deposit of exactly bufferMax (accepted: the bound is inclusive)."""
        level, max_ = self.level(t)
        if level == 0 and max_:
            self.call("EscrowBuffer", "deposit", src, t, max_)

    @rule()
    def create_pipeline_full_weight(self) -> None:
        """A first weight of exactly BPS (allowed by the per-weight check) with a pool-less second stage:
        the loop reaches the second stage and reverts NoPool(T3), not InvalidPipeline."""
        self.call("Pipeline", "createPipeline", GOVERNANCE, [T1, T3], [10_000, 1])

    @rule(sink=st.sampled_from(SINKS), t=st.sampled_from(REGISTERED))
    def register_at_min_stake(self, sink: int, t: str) -> None:
        """A sink with a stake of exactly MIN_SINK_STAKE deregisters and registers again (allowed: the
        bound is inclusive)."""
        cur = self.stake_of(sink)
        if cur:
            self.call("StakeManager", "unstake", sink, cur)
        self.call("StakeManager", "stake", sink, MIN)
        self.call("CapacityRegistry", "deregisterSink", sink, t, sink)
        self.call("CapacityRegistry", "registerSink", sink, t)
