"""Fuzz rules proposed for harness/fuzz/system.py (owned elsewhere), as SystemMachine subclasses, so that a
proposal can be checked against the survivors before it is merged:

    .venv/bin/python -m harness.mutate run --only <ids> --machine harness.mutate.proposed_rules:ProposedMachine3

Each rule below killed the survivors named in mutants/SURVIVORS.md with the base budget (40 x 30).
"""
from hypothesis import strategies as st
from hypothesis.stateful import rule
from harness.fuzz.system import SystemMachine, T1, T2, GOVERNANCE, SOURCES, KEEPER, E18, task, SINKS, commit_hash
from harness.fuzz.stake_manager import STRANGER
from harness.fuzz.stake_manager import SLASHER

EXTRA_STAGES = [task(0x7A60 + k) for k in range(7)]  # task types without pools


class ProposedMachine(SystemMachine):
    @rule(shape=st.sampled_from(["max-stages", "too-many-stages"]))
    def create_long_pipeline(self, shape):
        stages, weights = {"max-stages": ([T1, T2] + EXTRA_STAGES[:6], [1250] * 8),
                           "too-many-stages": ([T1, T2] + EXTRA_STAGES[:7], [1000] * 8 + [2000])}[shape]
        self.call("Pipeline", "createPipeline", GOVERNANCE, stages, weights)

    @rule(sink=st.sampled_from(SINKS))
    def slash_zero(self, sink):
        self.call("StakeManager", "slash", SLASHER, self.staked_sink(sink, True), 0, "0x" + "11" * 32)

    @rule(src=st.sampled_from(SOURCES), t=st.sampled_from([T1, T2]))
    def deposit_many_then_drain(self, src, t):
        for _ in range(33):
            self.call("EscrowBuffer", "deposit", src, t, E18)
        self.do({"op": "advance", "blocks": 1, "seconds": 3_600})
        self.call("EscrowBuffer", "drain", KEEPER, t)


class ProposedMachine2(ProposedMachine):
    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]), bps=st.sampled_from([0, 1, 500, 10_000, 10_001]))
    def set_rebalance_threshold(self, who, bps):
        self.call("BackpressurePool", "setRebalanceThreshold", who, bps)

    @rule(sink=st.sampled_from(SINKS[:2]), t=st.sampled_from([T1, T2]))
    def commit_deregister_reveal(self, sink, t):
        """A pending commit is deleted with the registration: after deregistering, reveal has NoCommit and
        a fresh registration can commit at once."""
        reg = self.addr("CapacityRegistry")
        cap = self.cap_of(sink) * E18
        nonce = b"\x07" * 32
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, cap, nonce, reg))
        self.do({"op": "advance", "blocks": 1, "seconds": 12})
        self.call("CapacityRegistry", "deregisterSink", sink, t, sink)
        self.call("CapacityRegistry", "revealCapacity", sink, t, cap, "0x" + nonce.hex())
        self.call("CapacityRegistry", "registerSink", sink, t)
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, cap, nonce, reg))
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, cap, nonce, reg))


class ProposedMachine3(ProposedMachine2):
    @rule(sink=st.sampled_from(SINKS[:2]), t=st.sampled_from([T1, T2]), blocks=st.sampled_from([20, 21]))
    def commit_at_window_edge(self, sink, t, blocks):
        """A second commit exactly COMMIT_TIMEOUT blocks after the first (CommitPending) and one block later (ok)."""
        reg = self.addr("CapacityRegistry")
        nonce = b"\x08" * 32
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, E18, nonce, reg))
        self.do({"op": "advance", "blocks": blocks, "seconds": 12 * blocks})
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, E18, nonce, reg))

    @rule(who=st.sampled_from([GOVERNANCE]), account=st.sampled_from([0, 1]), enabled=st.sampled_from([True, False]))
    def set_slasher_edge(self, who, account, enabled):
        self.call("StakeManager", "setSlasher", who, account, enabled)

    @rule(src=st.sampled_from(SOURCES), amount=st.sampled_from([1, 2, 3]))
    def pipeline_deposit_dust(self, src, amount):
        """Amounts whose smaller shares round to 0 or 1 wei (weights 6000/4000)."""
        self.call("Pipeline", "deposit", src, 1, amount)
