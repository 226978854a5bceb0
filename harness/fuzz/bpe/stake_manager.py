"""Differential fuzzing of StakeManager (with its token): one hypothesis state machine, several actors.

Actors: three sinks, a slasher (whom governance may or may not have appointed), a stranger, and
governance itself. Amounts mix the protocol's edges (0, 1, MIN_SINK_STAKE-1, MIN_SINK_STAKE,
2**256-1) with ordinary token amounts, so approvals and balances are often too low. Every rule is one
`Differential.step`: the call runs on the model and the EVM and everything is compared.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from harness.evm.fixture import Fixture
from harness.fuzz.campaign import Campaign
from harness.fuzz.differential import Differential
from invariants.registry import STEP_REGISTRY, Invariant
from specs.kernel import U256, Bytes32
from specs.bpe.system import GOVERNANCE, TREASURY, System

SINKS = [0xA11CE00000000000000000000000000000000001, 0xB0B0000000000000000000000000000000000002,
         0xCA7000000000000000000000000000000000C003]
SLASHER = 0x51A5400000000000000000000000000000000004
STRANGER = 0x5700000000000000000000000000000000000005
ACTORS = SINKS + [SLASHER, STRANGER, GOVERNANCE]
E18 = 10**18
MIN = 100 * E18
MAX = 2**256 - 1

amounts = st.one_of(
    st.sampled_from([MIN, 2 * MIN, MIN + 1, MIN - 1, 1, 0, 10_000 * E18, MAX, MAX - 1]),
    st.integers(1, 1_000).map(lambda n: n * E18),
    st.integers(0, 2_000 * E18),
    st.integers(0, 2**256 - 1),
)
# Hypothesis favours the first element of a sampled_from in early examples and shrinks towards it:
# the plausible values come first, the too-low edges after.
FUNDS = [10**6 * E18, 1_000 * E18, MAX, 150 * E18, 1_000 * E18, MAX, MIN, MIN - 1, 0, 10**6 * E18]
actors = st.sampled_from(ACTORS)
anyone = st.sampled_from(ACTORS + [TREASURY, 0])
reasons = st.sampled_from(["0x" + "00" * 32, "0x" + "ab" * 32, "0x" + "00" * 31 + "01"])


class StakeManagerMachine(RuleBasedStateMachine):
    """Configured by `configure()` before a run: which fixture, model and invariants to use (held in
    `campaign`, see harness/fuzz/campaign.py), and run-wide counters."""

    campaign: ClassVar[Campaign]
    last_log: ClassVar[list[dict]] = []
    last_trace: ClassVar[list[dict]] = []  # the EVM outcome and events of each step of last_log
    all_logs: ClassVar[list[list[dict]]] = []  # every sequence run, in order
    all_traces: ClassVar[list[list[dict]]] = []  # the EVM's outcome and events per step of each sequence
    steps_run: ClassVar[int] = 0
    sequences: ClassVar[int] = 0
    calls: ClassVar[dict[str, int]] = {}
    reverts: ClassVar[dict[str, int]] = {}
    evaluations: ClassVar[dict[str, dict[str, int]]] = {}  # per invariant id, per side: instances evaluated

    @classmethod
    def configure(cls, fixture: Fixture, model_factory: Any, invariants: list[Invariant], progress: Any = None) -> None:
        cls.campaign = Campaign(fixture, model_factory, list(invariants), progress)
        cls.last_log, cls.steps_run, cls.sequences, cls.calls, cls.reverts = [], 0, 0, {}, {}
        cls.all_logs, cls.all_traces, cls.evaluations = [], [], {}

    @classmethod
    def start(cls, fixture: Fixture, model_factory: Any, invariants: list[Invariant]) -> Differential:
        """A Differential at the start of a sequence: the deployed state on both sides."""
        fixture.reset()
        model = model_factory()
        # This machine creates no task types and queues nothing: the zero task type and the first queue
        # indices are the keys the other contracts' invariants are evaluated at (a deployed, idle suite).
        return Differential(fixture, model, ACTORS, invariants, extra_keys={Bytes32: [0], U256: [0, 1]},
                            step_invariants=STEP_REGISTRY.for_contracts(set(model.addrs)))

    @property
    def fixture(self) -> Fixture:
        return self.campaign.fixture

    def __init__(self) -> None:
        super().__init__()
        c = self.campaign
        self.diff = self.start(c.fixture, c.model_factory, c.state_invariants)
        self.log: list[dict] = []
        self.begin_sequence()

    def begin_sequence(self) -> None:
        """Record this machine's sequence in the run-wide logs and report progress."""
        cls = type(self)
        cls.last_log = self.log
        cls.last_trace = self.diff.trace
        cls.all_logs.append(self.log)
        cls.all_traces.append(self.diff.trace)
        cls.sequences += 1
        if self.campaign.progress:
            self.campaign.progress(cls.sequences)

    def teardown(self) -> None:
        """End of the sequence: what is compared only at the end (harness.fuzz.differential.finish)."""
        try:
            self.diff.finish()
        finally:
            self.diff.drain_counts(type(self).calls, type(self).reverts, type(self).evaluations)

    def do(self, step: dict) -> None:
        self.log.append(step)
        type(self).steps_run += 1
        try:
            self.diff.step(step)
        finally:
            self.diff.drain_counts(type(self).calls, type(self).reverts, type(self).evaluations)

    def call(self, contract: str, function: str, sender: int, *args: Any) -> None:
        self.do({"op": "call", "contract": contract, "function": function, "sender": sender, "args": list(args)})

    @initialize(appoint=st.sampled_from([True, True, True, True, False]), funds=st.lists(st.sampled_from(FUNDS), min_size=3, max_size=3),
                allowances=st.lists(st.sampled_from(FUNDS), min_size=3, max_size=3))
    def setup(self, appoint: bool, funds: list[int], allowances: list[int]) -> None:
        """Sinks start with balances and approvals that are sometimes enough and sometimes not."""
        if appoint:
            self.call("StakeManager", "setSlasher", GOVERNANCE, SLASHER, True)
        for sink, amount, allowance in zip(SINKS, funds, allowances):
            if amount:
                self.call("TestToken", "mint", sink, sink, amount)
            if allowance:
                self.call("TestToken", "approve", sink, self.fixture.addrs["StakeManager"], allowance)

    @rule(who=st.sampled_from(SINKS), amount=st.integers(MIN, 10_000 * E18))
    def onboard(self, who: int, amount: int) -> None:
        """A sink that does everything right: mint, approve, stake (so staked states are common)."""
        self.call("TestToken", "mint", who, who, amount)
        self.call("TestToken", "approve", who, self.fixture.addrs["StakeManager"], amount)
        self.call("StakeManager", "stake", who, amount)

    def stake_of(self, who: int) -> int:
        return self.diff.model.stake_manager.stakes[who].v

    @rule(who=st.sampled_from(SINKS), choice=st.sampled_from(["funds", "funds+1", "min", "min-1", "top-up-1"]))
    def stake_relative(self, who: int, choice: str) -> None:
        """Stakes at the edges of what the sink holds and approved, and of the minimum stake."""
        token = self.diff.model.token
        funds = min(token._balances[who].v, token._allowances[who][self.fixture.addrs["StakeManager"]].v)
        amount = {"funds": funds, "funds+1": funds + 1, "min": MIN, "min-1": MIN - 1,
                  "top-up-1": max(MIN - self.stake_of(who) - 1, 1)}[choice]
        self.call("StakeManager", "stake", who, min(amount, MAX))

    def staked_sink(self, who: int, prefer_staked: bool) -> int:
        """`who`, or, when asked to prefer one and `who` has no stake, the first sink that has."""
        if prefer_staked and self.stake_of(who) == 0:
            return next((s for s in SINKS if self.stake_of(s) > 0), who)
        return who

    @rule(who=st.sampled_from(SINKS), prefer_staked=st.sampled_from([True, True, True, False]),
          choice=st.sampled_from(["leave-min-1", "all", "leave-min", "all-1", "half", "one"]))
    def unstake_relative(self, who: int, prefer_staked: bool, choice: str) -> None:
        """Unstake amounts at the edges of the minimum-stake rule, relative to the current stake."""
        who = self.staked_sink(who, prefer_staked)
        cur = self.stake_of(who)
        amount = {"all": cur, "all-1": cur - 1, "leave-min": cur - MIN, "leave-min-1": cur - MIN + 1,
                  "half": cur // 2, "one": 1}[choice]
        self.call("StakeManager", "unstake", who, max(amount, 0))

    @rule(sink=st.sampled_from(SINKS), prefer_staked=st.sampled_from([True, True, True, False]),
          choice=st.sampled_from(["leave-min-1", "all", "all+1", "leave-min", "one"]))
    def slash_relative(self, sink: int, prefer_staked: bool, choice: str) -> None:
        """Slashes by the slasher at the ejection edge, relative to the current stake."""
        sink = self.staked_sink(sink, prefer_staked)
        cur = self.stake_of(sink)
        amount = {"all": cur, "all+1": cur + 1, "leave-min": cur - MIN, "leave-min-1": cur - MIN + 1,
                  "one": 1}[choice]
        self.call("StakeManager", "slash", SLASHER, sink, max(amount, 0), "0x" + "11" * 32)

    @rule(who=actors, amount=amounts)
    def mint(self, who: int, amount: int) -> None:
        self.call("TestToken", "mint", who, who, amount)

    @rule(who=actors, amount=amounts)
    def approve(self, who: int, amount: int) -> None:
        self.call("TestToken", "approve", who, self.fixture.addrs["StakeManager"], amount)

    @rule(who=actors, to=anyone, amount=amounts)
    def transfer(self, who: int, to: int, amount: int) -> None:
        self.call("TestToken", "transfer", who, to, amount)

    @rule(who=actors, amount=amounts)
    def stake(self, who: int, amount: int) -> None:
        self.call("StakeManager", "stake", who, amount)

    @rule(who=actors, amount=amounts)
    def unstake(self, who: int, amount: int) -> None:
        self.call("StakeManager", "unstake", who, amount)

    @rule(who=actors, sink=anyone, amount=amounts, reason=reasons)
    def slash(self, who: int, sink: int, amount: int, reason: str) -> None:
        self.call("StakeManager", "slash", who, sink, amount, reason)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER, SLASHER]), account=anyone,
          enabled=st.sampled_from([True, True, False]))
    def set_slasher(self, who: int, account: int, enabled: bool) -> None:
        self.call("StakeManager", "setSlasher", who, account, enabled)

    @rule(blocks=st.integers(1, 30), seconds=st.integers(0, 400))
    def advance(self, blocks: int, seconds: int) -> None:
        self.do({"op": "advance", "blocks": blocks, "seconds": seconds})
