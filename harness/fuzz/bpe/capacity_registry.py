"""Differential fuzzing of CapacityRegistry over TestToken + StakeManager + CapacityRegistry.

Actors: three sinks, a slasher (appointed by governance at setup), a stranger, governance. Caps move
through stake / unstake / slash; task types, registration, commit-reveal at every edge of the reveal
window, EWMA alpha changes and capacities at 0, 1, cap*1e18 +-1 and 2**256-1 are drawn. Every call is
one `Differential.step` on the model and the EVM.

What this module adds to harness/fuzz/differential.py (`RegistryDifferential`):
- the registry's known keys: task type ids (TASK_TYPE_KEYS, bytes32) and list indices (INDEX_KEYS);
- views with bytes32 / uint256 parameters and two return values (getCommit), compared at the
  registered task types plus an unknown one, for every sink and the stranger;
- structural checks of the sink list (not yet registered invariants).
A deployment tuple (DEPLOYMENTS) extends specs.bpe.system.CORE_DEPLOYMENTS (token and StakeManager);
`deploy` deploys it. The machine runs on harness/fuzz/runner.py's generic functions:
`run_fuzz(deploy(engine), machine=CapacityRegistryMachine)`, `replay_sequences(..., machine=...)`,
`replay(file, fixture, machine=...)`; the runner builds the models for the fixture's deployments.
Its replay files name this machine, so `harness.cli replay` (which deploys the whole suite) refuses them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from harness.evm.compile import compile_contracts
from harness.evm.fixture import Fixture, deploy_suite, suite_artifacts
from harness.fuzz.campaign import Campaign
from harness.fuzz.difference import Difference, value_difference
from harness.fuzz.differential import Differential, _show, model_args, plain
import invariants.bpe.all  # noqa: F401  (registers every invariant)
from invariants.bpe.capacity_registry import protocol_commit_hash
from invariants.registry import STEP_REGISTRY, Invariant
from specs.bpe.capacity_registry import CapacityRegistry
from specs.kernel import U256, Address, Bytes32
from specs.bpe.system import CORE_DEPLOYMENTS as BASE_DEPLOYMENTS
from specs.bpe.system import GOVERNANCE, System, build_system
from specs.deploy import Deployment

DEPLOYMENTS: tuple[Deployment, ...] = BASE_DEPLOYMENTS + (
    Deployment("CapacityRegistry", CapacityRegistry, lambda a: (a["StakeManager"], GOVERNANCE), ("address", "address")),
)
SOURCES = ("contracts/bpe/test/TestToken.sol", "contracts/bpe/StakeManager.sol", "contracts/bpe/CapacityRegistry.sol")

SINKS = [0xA11CE00000000000000000000000000000000001, 0xB0B0000000000000000000000000000000000002,
         0xCA7000000000000000000000000000000000C003]
SLASHER = 0x51A5400000000000000000000000000000000004
STRANGER = 0x5700000000000000000000000000000000000005
ACTORS = SINKS + [SLASHER, STRANGER, GOVERNANCE]
E18 = 10**18
MIN = 100 * E18
MAX = 2**256 - 1


def _tt(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


TT_A, TT_B, TT_C, TT_UNKNOWN, TT_ZERO = _tt(0xA1), _tt(0xB2), _tt(1 << 255 | 0xC3), _tt(0xDEAD), _tt(0)
TASK_TYPES = [TT_A, TT_B, TT_C, TT_UNKNOWN, TT_ZERO]  # TT_UNKNOWN is never registered
TASK_TYPE_KEYS = [int(t, 16) for t in TASK_TYPES]
INDEX_KEYS = list(range(len(ACTORS) + 2))  # every list slot the actors can fill, and past it
NONCES = ["0x" + "00" * 32, "0x" + "5e" * 32, "0x" + "00" * 31 + "01"]

tts_used = st.sampled_from([TT_A, TT_A, TT_A, TT_A, TT_B, TT_C, TT_UNKNOWN, TT_ZERO])
tts_register = st.sampled_from([TT_A, TT_B, TT_C, TT_ZERO, TT_A])
sinks = st.sampled_from(SINKS)
sinks_or_stranger = st.sampled_from(SINKS + [STRANGER])
nonces = st.sampled_from(NONCES)
CAPACITY_CHOICES = ["cap", "cap-1", "cap+1", "half", "0", "1", "max", "random", "small"]
capacity_choices = st.sampled_from(CAPACITY_CHOICES)


def artifacts(overrides: dict[str, Path] | None = None) -> dict:
    """The three contracts' artifacts, compiled from their own sources only (other contracts/bpe/ files
    being edited meanwhile cannot break this suite)."""
    return suite_artifacts(compile_contracts(list(SOURCES)), overrides=overrides, deployments=DEPLOYMENTS)


def deploy(engine: str, overrides: dict[str, Path] | None = None) -> Fixture:
    return deploy_suite(engine, artifacts(overrides), deployments=DEPLOYMENTS)


def build(model_overrides: dict | None = None) -> System:
    return build_system(model_overrides or {}, deployments=DEPLOYMENTS)


# ---------------------------------------------------------------------------------------------
# Comparisons beyond the shared Differential
# ---------------------------------------------------------------------------------------------


def registry_structure(system: System) -> list[str]:
    """The sink list is a bijection between slots 0..count-1 and the sinks with a nonzero 1-based
    index; slots at and past count are empty; count <= MAX_SINKS_PER_TASK_TYPE; a pending commit
    belongs to a registered sink. Checked on the model (the EVM's storage is compared to it entry by
    entry at the same keys); candidates for registered invariants."""
    r: CapacityRegistry = system.world.contracts[system.addrs["CapacityRegistry"]]  # type: ignore[assignment]
    bad = []
    for tt in TASK_TYPE_KEYS:
        n = r._sinkCount[tt].v
        if n > 32:
            bad.append(f"sinkCount[{tt:#x}] = {n} > 32")
        if n and not r._isTaskType[tt].v:
            bad.append(f"sinks registered under unknown task type {tt:#x}")
        for i in INDEX_KEYS:
            s = r._sinkAt[tt][i].v
            if i < n and (s == 0 or r._sinkIndex[tt][s].v != i + 1):
                bad.append(f"sinkAt[{tt:#x}][{i}] = {s:#x} has index {r._sinkIndex[tt][s].v if s else '-'}")
            if i >= n and s != 0:
                bad.append(f"sinkAt[{tt:#x}][{i}] = {s:#x} past sinkCount {n}")
        for a in ACTORS:
            idx = r._sinkIndex[tt][a].v
            if idx and (idx > n or r._sinkAt[tt][idx - 1].v != a):
                bad.append(f"sinkIndex[{tt:#x}][{a:#x}] = {idx} not matching the list")
            if r._commitBlock[tt][a].v and not idx:
                bad.append(f"pending commit of unregistered {a:#x} under {tt:#x}")
    return bad


class RegistryDifferential(Differential):
    """The shared Differential with the registry's keys (task type ids, list indices) and two observers:
    the registry's views with bytes32 / uint256 parameters, and the sink-list structure."""

    last_step: dict | None = None

    @classmethod
    def make(cls, fixture: Fixture, model: System, invariants: list[Invariant]) -> "RegistryDifferential":
        return cls(fixture, model, ACTORS, invariants, extra_keys={Bytes32: TASK_TYPE_KEYS, U256: INDEX_KEYS},
                   observers=[lambda d: d.compare_registry_views(), lambda d: [
                       # a structural check of the model's state (not a registered invariant yet)
                       Difference("invariant", "sink list", x, None, text=f"sink list: {x}")
                       for x in registry_structure(d.model)]],
                   step_invariants=STEP_REGISTRY.for_contracts(set(model.addrs)))

    def step(self, step: dict) -> None:
        self.last_step = step
        super().step(step)

    def _view(self, fn: str, *args: Any) -> tuple[Any, Any]:
        addr = self.model.addrs["CapacityRegistry"]
        cls = self.model.models["CapacityRegistry"]
        margs = model_args(getattr(cls, fn), list(args))
        m = self.model.world.view(addr, fn, *margs, clone=False)
        e = self.fixture.contracts["CapacityRegistry"].view(fn, *(plain(a) for a in margs))
        if m.ok:
            mv = plain(m.returned) if isinstance(m.returned, tuple) else (plain(m.returned),)
        else:
            mv = ("revert", m.error.abi_name())
        ev = tuple(e.returned) if e.ok else ("revert", e.error.name)
        return mv, ev

    def compare_registry_views(self) -> list[Difference]:
        """Every registry view with bytes32 / uint256 parameters, at the task types that are registered
        plus one that is not (TT_UNKNOWN) and every sink and the stranger. getSmoothedCapacity depends
        on stakes and is compared after every step; the plain getters (their storage is compared
        anyway) after registry calls only."""
        diffs = []
        registry_step = self.last_step is None or self.last_step.get("contract") == "CapacityRegistry"
        reg = self.fixture.contracts["CapacityRegistry"]
        model = self.model.world.contracts[self.model.addrs["CapacityRegistry"]]
        calls: list[tuple] = []
        tts = [t for t in TASK_TYPES if model._isTaskType[int(t, 16)].v or t == TT_UNKNOWN]
        for tt in tts:
            calls += [("getSmoothedCapacity", tt, s) for s in SINKS + [STRANGER]]
        if registry_step:
            for fn in ("stakeManager", "governance"):
                if tuple(reg.view(fn).returned) != (getattr(model, fn).v,):
                    diffs.append(value_difference("view", f"CapacityRegistry.{fn}()", f"{getattr(model, fn).v:#x}",
                                                  reg.view(fn).returned))
            for tt in TASK_TYPES:
                calls += [("isTaskType", tt)]
            for tt in tts:
                calls += [("sinkCount", tt), ("sinkSetVersion", tt)]
                calls += [("sinkAt", tt, i) for i in range(model._sinkCount[int(tt, 16)].v + 1)]
                for s in SINKS + [STRANGER]:
                    calls += [("isSink", tt, s), ("smoothedOf", tt, s), ("hasRevealed", tt, s), ("getCommit", tt, s)]
            calls.append(("commitHashOf", SINKS[0], TT_A, 10 * E18, NONCES[1]))
            st = self.last_step
            if st is not None and st.get("function") == "revealCapacity":  # the preimage just revealed
                calls.append(("commitHashOf", st["sender"], *st["args"]))
        for fn, *args in calls:
            mv, ev = self._view(fn, *args)
            if mv != ev:
                diffs.append(value_difference("view", f"CapacityRegistry.{fn}({', '.join(_show(a) for a in args)})", mv, ev))
        return diffs


# ---------------------------------------------------------------------------------------------
# The machine
# ---------------------------------------------------------------------------------------------


class CapacityRegistryMachine(RuleBasedStateMachine):
    """Configured by `configure()` before a run: which fixture, model and invariants to use (held in
    `campaign`, see harness/fuzz/campaign.py), and run-wide counters."""

    campaign: ClassVar[Campaign]
    last_log: ClassVar[list[dict]] = []
    last_trace: ClassVar[list[dict]] = []
    all_logs: ClassVar[list[list[dict]]] = []
    steps_run: ClassVar[int] = 0
    sequences: ClassVar[int] = 0
    calls: ClassVar[dict[str, int]] = {}
    reverts: ClassVar[dict[str, int]] = {}
    evaluations: ClassVar[dict[str, dict[str, int]]] = {}  # per invariant id, per side: instances evaluated
    coverage: ClassVar[dict[str, int]] = {}  # machine-level events: "reveal ok", "reveal ok at +20", ...

    @classmethod
    def configure(cls, fixture: Fixture, model_factory: Any, invariants: list[Invariant]) -> None:
        cls.campaign = Campaign(fixture, model_factory, list(invariants))
        cls.last_log, cls.steps_run, cls.sequences, cls.calls, cls.reverts = [], 0, 0, {}, {}
        cls.all_logs, cls.coverage, cls.evaluations = [], {}, {}

    @classmethod
    def start(cls, fixture: Fixture, model_factory: Any, invariants: list[Invariant]) -> RegistryDifferential:
        """A Differential at the start of a sequence: the deployed state on both sides."""
        fixture.reset()
        return RegistryDifferential.make(fixture, model_factory(), invariants)

    @property
    def fixture(self) -> Fixture:
        return self.campaign.fixture

    def __init__(self) -> None:
        super().__init__()
        c = self.campaign
        self.diff = self.start(c.fixture, c.model_factory, c.state_invariants)
        self.log: list[dict] = []
        self.secrets: dict[tuple[str, int], tuple[int, str]] = {}  # (tt, sink) -> (capacity, nonce) last committed
        type(self).last_log = self.log
        type(self).last_trace = self.diff.trace
        type(self).all_logs.append(self.log)
        type(self).sequences += 1

    def teardown(self) -> None:
        self.diff.drain_counts(type(self).calls, type(self).reverts, type(self).evaluations)

    # -- plumbing ------------------------------------------------------------------------------------
    def do(self, step: dict) -> None:
        self.log.append(step)
        type(self).steps_run += 1
        try:
            self.diff.step(step)
        finally:
            self.diff.drain_counts(type(self).calls, type(self).reverts, type(self).evaluations)

    def call(self, contract: str, function: str, sender: int, *args: Any) -> bool:
        """Run one call; True when it succeeded (both sides agree, or the step raised)."""
        before = len(self.diff.trace)
        self.do({"op": "call", "contract": contract, "function": function, "sender": sender, "args": list(args)})
        return self.diff.trace[before]["outcome"].startswith("ok")

    def count(self, what: str) -> None:
        type(self).coverage[what] = type(self).coverage.get(what, 0) + 1

    def advance(self, blocks: int) -> None:
        if blocks > 0:
            self.do({"op": "advance", "blocks": blocks, "seconds": 12 * blocks})

    @property
    def registry(self) -> CapacityRegistry:
        return self.diff.model.world.contracts[self.diff.model.addrs["CapacityRegistry"]]  # type: ignore[return-value]

    def stake_of(self, who: int) -> int:
        return self.diff.model.stake_manager.stakes[who].v

    def cap_scaled(self, who: int) -> int:
        sm = self.diff.model.stake_manager
        return self.diff.model.world.view(sm.address.v, "getCapacityCap", Address(who), clone=False).returned.v * E18

    def capacity(self, who: int, choice: str, r: int) -> int:
        c = self.cap_scaled(who)
        return {"cap": c, "cap-1": max(c - 1, 0), "cap+1": c + 1, "half": c // 2 + r % 7, "0": 0, "1": 1,
                "max": MAX, "random": r % (2 * c + 2), "small": r % (5 * E18)}[choice]

    def commit_block(self, tt: str, who: int) -> int:
        return self.registry._commitBlock[int(tt, 16)][who].v

    def hash_of(self, who: int, tt: str, capacity: int, nonce: str) -> str:
        """The commit hash of PROTOCOL.md section 4 (the protocol's rule, not the model's helper)."""
        h = protocol_commit_hash(Address(who), Bytes32(int(tt, 16)), U256(capacity), Bytes32(int(nonce, 16)),
                                 Address(self.diff.model.addrs["CapacityRegistry"]))
        return "0x" + h.to_bytes().hex()

    # -- setup ---------------------------------------------------------------------------------------
    @initialize(stakes=st.lists(st.sampled_from([400 * E18, MIN, 10_000 * E18, 150 * E18, MIN - 1, 0]),
                                min_size=2, max_size=2),
                join=st.lists(st.sampled_from([True, True, True, False]), min_size=2, max_size=2))
    def setup(self, stakes: list[int], join: list[bool]) -> None:
        """Slasher appointed; task type A registered; every sink funded and approved; the first sink
        staked and registered in A, the others staked (or not) and registered (or not) as drawn.
        (Unknown task types stay reachable through TT_UNKNOWN and TT_ZERO.)"""
        self.call("StakeManager", "setSlasher", GOVERNANCE, SLASHER, True)
        self.call("CapacityRegistry", "registerTaskType", GOVERNANCE, TT_A)
        sm = self.fixture.addrs["StakeManager"]
        for sink, amount, j in zip(SINKS, [400 * E18] + stakes, [True] + join):
            self.call("TestToken", "mint", sink, sink, 10**6 * E18)
            self.call("TestToken", "approve", sink, sm, MAX)
            if amount:
                self.call("StakeManager", "stake", sink, amount)
            if j:
                self.call("CapacityRegistry", "registerSink", sink, TT_A)

    # -- StakeManager: caps move ---------------------------------------------------------------------
    @rule(who=sinks, amount=st.sampled_from([MIN, 300 * E18, 2_500 * E18, 1, 10**6 * E18, MAX]))
    def stake(self, who: int, amount: int) -> None:
        self.call("StakeManager", "stake", who, amount)

    @rule(who=sinks, choice=st.sampled_from(["all", "leave-min", "half", "leave-min-1", "one"]))
    def unstake(self, who: int, choice: str) -> None:
        cur = self.stake_of(who)
        amount = {"all": cur, "leave-min": cur - MIN, "half": cur // 2, "leave-min-1": cur - MIN + 1, "one": 1}[choice]
        self.call("StakeManager", "unstake", who, max(amount, 0))

    @rule(sink=sinks, choice=st.sampled_from(["some", "leave-min-1", "all", "one"]))
    def slash(self, sink: int, choice: str) -> None:
        cur = self.stake_of(sink)
        amount = {"some": cur // 3, "leave-min-1": cur - MIN + 1, "all": cur, "one": 1}[choice]
        self.call("StakeManager", "slash", SLASHER, sink, max(amount, 0), "0x" + "11" * 32)

    # -- governance ----------------------------------------------------------------------------------
    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, GOVERNANCE, STRANGER]), tt=tts_register)
    def register_task_type(self, who: int, tt: str) -> None:
        self.call("CapacityRegistry", "registerTaskType", who, tt)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, GOVERNANCE, SINKS[0]]),
          alpha=st.one_of(st.sampled_from([1, 3000, 5000, 9999, 10_000, 0, 10_001, MAX]), st.integers(0, 12_000)))
    def set_alpha(self, who: int, alpha: int) -> None:
        self.call("CapacityRegistry", "setEwmaAlpha", who, alpha)

    # -- registration --------------------------------------------------------------------------------
    @rule(who=sinks_or_stranger, tt=tts_used)
    def register_sink(self, who: int, tt: str) -> None:
        self.call("CapacityRegistry", "registerSink", who, tt)

    @rule(who=st.sampled_from(SINKS + [STRANGER, GOVERNANCE]), sink=sinks, tt=tts_used,
          itself=st.sampled_from([True, False]))
    def deregister_sink(self, who: int, sink: int, tt: str, itself: bool) -> None:
        if self.call("CapacityRegistry", "deregisterSink", sink if itself else who, tt, sink):
            self.count("deregister ok" if itself or who == sink else "deregister by a keeper ok")

    # -- commit-reveal -------------------------------------------------------------------------------
    @rule(who=sinks_or_stranger, tt=tts_used, choice=capacity_choices, r=st.integers(0, 2**64), nonce=nonces,
          mode=st.sampled_from(["own", "own", "own", "garbage", "other"]))
    def commit(self, who: int, tt: str, choice: str, r: int, nonce: str, mode: str) -> None:
        """Commit a hash of a chosen capacity and nonce; sometimes garbage, sometimes another sink's."""
        capacity = self.capacity(who, choice, r)
        if mode == "garbage":
            h = "0x" + hashlib.sha256(r.to_bytes(9, "big")).hexdigest()
        elif mode == "other":
            other = SINKS[(SINKS.index(who) + 1) % 3] if who in SINKS else SINKS[0]
            h = self.hash_of(other, tt, capacity, nonce)
        else:
            h = self.hash_of(who, tt, capacity, nonce)
        if self.call("CapacityRegistry", "commitCapacity", who, tt, h):
            self.secrets[(tt, who)] = (capacity, nonce)
            self.count("commit ok")

    def reveal_now(self, who: int, tt: str, variant: str, r: int) -> bool:
        secret = self.secrets.get((tt, who))
        revealer = who
        if secret is None or variant == "random":
            capacity, nonce = r % (10**22), NONCES[r % 3]
        else:
            capacity, nonce = secret
            if variant == "wrong-nonce":
                nonce = NONCES[(NONCES.index(nonce) + 1) % 3]
            elif variant == "wrong-capacity":
                capacity = (capacity + 1) % (MAX + 1)
            elif variant == "other-account":  # another sink reveals this sink's values
                revealer = SINKS[(SINKS.index(who) + 1) % 3] if who in SINKS else SINKS[0]
        ok = self.call("CapacityRegistry", "revealCapacity", revealer, tt, capacity, nonce)
        if ok:
            self.count("reveal ok")
            if capacity > self.cap_scaled(revealer):
                self.count("reveal ok, clamped")
        return ok

    @rule(who=sinks_or_stranger, tt=tts_used, r=st.integers(0, 2**64),
          variant=st.sampled_from(["right", "right", "right", "wrong-nonce", "wrong-capacity", "other-account", "random"]))
    def reveal(self, who: int, tt: str, variant: str, r: int) -> None:
        """Reveal at the current block (possibly the commit's own block, or after expiry)."""
        self.reveal_now(who, tt, variant, r)

    @rule(who=sinks, tt=st.sampled_from([TT_A, TT_A, TT_A, TT_B]), choice=capacity_choices, r=st.integers(0, 2**64),
          nonce=nonces, offset=st.sampled_from([1, 5, 20, 21, 0, 2, 19, 22]),
          variant=st.sampled_from(["right", "two-rounds", "right", "two-rounds", "twice", "wrong-nonce", "wrong-capacity",
                                   "other-account"]))
    def commit_then_reveal(self, who: int, tt: str, choice: str, r: int, nonce: str, offset: int, variant: str) -> None:
        """A round: commit a chosen value (unless one is pending), move to commitBlock + offset (when
        that is not in the past: same block, window edges, expiry) and reveal it, or a wrong variant."""
        if self.commit_block(tt, who) == 0 or self.diff.model.world.block.number > self.commit_block(tt, who) + 20:
            capacity = self.capacity(who, choice, r)
            if not self.call("CapacityRegistry", "commitCapacity", who, tt, self.hash_of(who, tt, capacity, nonce)):
                return
            self.secrets[(tt, who)] = (capacity, nonce)
            self.count("commit ok")
        cb = self.commit_block(tt, who)
        self.advance(cb + offset - self.diff.model.world.block.number)
        at = self.diff.model.world.block.number - cb
        had = self.registry._hasRevealed[int(tt, 16)][who].v
        if self.reveal_now(who, tt, "right" if variant in ("twice", "two-rounds") else variant, r):
            self.count(f"reveal ok at +{at}")
            self.count("reveal ok, smoothed" if had else "reveal ok, first")
            if variant == "twice":
                self.count("second reveal of one commit ok" if self.reveal_now(who, tt, "right", r)
                           else "second reveal of one commit reverted")
            if variant == "two-rounds":  # a second round at once: a smoothed reveal of another value
                capacity = self.capacity(who, CAPACITY_CHOICES[r % len(CAPACITY_CHOICES)], r // 7)
                nonce = NONCES[r % 3]
                if self.call("CapacityRegistry", "commitCapacity", who, tt, self.hash_of(who, tt, capacity, nonce)):
                    self.secrets[(tt, who)] = (capacity, nonce)
                    self.advance(1)
                    if self.reveal_now(who, tt, "right", r):
                        self.count("reveal ok, smoothed")

    @rule(blocks=st.sampled_from([1, 1, 2, 5, 19, 20, 21, 30]))
    def advance_blocks(self, blocks: int) -> None:
        self.advance(blocks)
