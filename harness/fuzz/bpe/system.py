"""System-level differential fuzzing: the whole BPE suite on the real Superfluid framework.

One hypothesis state machine drives StakeManager, CapacityRegistry, BackpressurePool, EscrowBuffer and
Pipeline together with the GDA (through the GDAv1Forwarder) and the SuperToken, with several sinks,
two sources, a keeper, governance, a slasher and a stranger. Every rule is one `Differential.step`
(model and EVM, compared); after every step the comparison also covers the Superfluid state through
its views (`superfluid_observer`): pool units, member flow rates, claimables and connections,
distribution flow rates, buffer deposits, net flows and realtime balances of every known account.

Each sequence starts from a prepared state (`SETUP`, run differentially once per fixture and
snapshotted): two task types with pools, bounds and prices, a pipeline, staked and registered sinks
with revealed capacities and units, funded sources.
"""

from __future__ import annotations

from typing import Any

from eth_utils import keccak
from hypothesis import strategies as st
from hypothesis.stateful import rule

from harness.evm.fixture import Fixture
from harness.fuzz.difference import Difference, value_difference
from harness.fuzz.differential import Differential, Mismatch, plain
from harness.fuzz.bpe.stake_manager import MIN, SINKS, SLASHER, STRANGER, StakeManagerMachine
from invariants.bpe.capacity_registry import protocol_commit_hash
from invariants.registry import STEP_REGISTRY, Invariant
from specs.kernel import U256, Address, Bytes32
from specs.bpe.system import GOVERNANCE, SUPERFLUID, TREASURY, System

E18 = 10**18
MAX = 2**256 - 1
MAX_DRAIN_ENTRIES = 32  # EscrowBuffer.MAX_DRAIN_ENTRIES
SOURCES = [0x50C0000000000000000000000000000000000011, 0x50C1000000000000000000000000000000000012]
KEEPER = 0x4EE9000000000000000000000000000000000013
ACTORS = SINKS + SOURCES + [KEEPER, SLASHER, STRANGER, GOVERNANCE]


def task(n: int) -> str:
    return "0x" + n.to_bytes(32, "big").hex()


T1, T2, T3, T_UNKNOWN = task(0x7A51), task(0x7A52), task(0x7A53), task(0xBAD)
T_ZERO = task(0)
POOL_LESS = [task(0x7A60 + k) for k in range(7)]  # task types never registered, without pools (long pipelines)
REGISTERED = [T1, T2]
TASK_TYPES = [T1, T2, T3, T_UNKNOWN, T_ZERO]
STAKE = 400 * E18  # cap 20 units
BUFFER_MAX = {T1: 1_000 * E18, T2: 500 * E18}
UNIT_PRICE = {T1: 10**15, T2: 3 * 10**14}
SOURCE_FUNDS = 10**6 * E18


def commit_hash(sink: int, task_type: str, capacity: int, nonce: bytes, registry: int) -> str:
    """The commit hash a sink sends, by the rule of PROTOCOL.md section 4 as the invariants state it
    (invariants.bpe.capacity_registry.protocol_commit_hash), never the model's or the contract's own helper:
    a preimage both got wrong makes the set-up reveals fail on both sides, a finding (SetupRejected)."""
    h = protocol_commit_hash(Address(sink), Bytes32(bytes.fromhex(task_type[2:])), U256(capacity), Bytes32(nonce),
                             Address(registry))
    return "0x" + h.to_bytes().hex()


def call(contract: str, function: str, sender: int, *args: Any) -> dict:
    return {"op": "call", "contract": contract, "function": function, "sender": sender, "args": list(args)}


def setup_steps(addrs: dict[str, int]) -> list[dict]:
    """The prepared state every sequence starts from (see the module docstring)."""
    reg, sm, eb, pl = addrs["CapacityRegistry"], addrs["StakeManager"], addrs["EscrowBuffer"], addrs["Pipeline"]
    st_: list[dict] = [call("StakeManager", "setSlasher", GOVERNANCE, SLASHER, True)]
    for t in REGISTERED:
        st_ += [call("CapacityRegistry", "registerTaskType", GOVERNANCE, t),
                call("BackpressurePool", "createPool", KEEPER, t),
                call("EscrowBuffer", "setBufferMax", GOVERNANCE, t, BUFFER_MAX[t]),
                call("EscrowBuffer", "setUnitPrice", GOVERNANCE, t, UNIT_PRICE[t])]
    st_.append(call("Pipeline", "createPipeline", GOVERNANCE, [T1, T2], [6000, 4000]))
    for i, sink in enumerate(SINKS):
        st_ += [call("TestToken", "mint", sink, sink, 10_000 * E18),
                call("TestToken", "approve", sink, sm, MAX),
                call("StakeManager", "stake", sink, STAKE + i * 500 * E18)]
        for t in REGISTERED[: 2 if i < 2 else 1]:
            st_.append(call("CapacityRegistry", "registerSink", sink, t))
    for src in SOURCES:
        st_ += [call("SuperTokenUnderlying", "mint", src, src, SOURCE_FUNDS),
                call("SuperTokenUnderlying", "approve", src, SUPERFLUID["SuperToken"], MAX),
                call("SuperToken", "upgrade", src, SOURCE_FUNDS // 2),
                call("SuperToken", "approve", src, eb, MAX),
                call("SuperToken", "approve", src, pl, MAX)]
    # One round of commit-reveal (T1: 8, 12, 30 units, the last clamped to its cap; T2: 5 and 7 units),
    # then units in both pools.
    nonce = b"\x5e" * 32
    revealed = {T1: [8 * E18, 12 * E18, 30 * E18], T2: [5 * E18 + E18 // 3, 7 * E18]}
    for t, caps in revealed.items():
        for sink, capacity in zip(SINKS, caps):
            st_.append(call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, capacity, nonce, reg)))
    st_.append({"op": "advance", "blocks": 1, "seconds": 12})
    for t, caps in revealed.items():
        for sink, capacity in zip(SINKS, caps):
            st_.append(call("CapacityRegistry", "revealCapacity", sink, t, capacity, "0x" + nonce.hex()))
        st_.append(call("BackpressurePool", "rebalance", KEEPER, t))
    st_.append({"op": "advance", "blocks": 1, "seconds": 12})
    return st_


def pool_of(model: System, task_type: str) -> int:
    bp = model.world.contracts[model.addrs["BackpressurePool"]]
    return bp.pools[Bytes32(bytes.fromhex(task_type[2:]))].v


def pools(model: System) -> list[int]:
    return [p for p in (pool_of(model, t) for t in TASK_TYPES) if p]


def known_accounts(model: System) -> list[int]:
    return sorted(set(ACTORS) | set(model.addrs.values()) | set(pools(model)) | {TREASURY})


# -- Superfluid state through views ------------------------------------------------------------


def _view_both(diff: Differential, address: int, handle: Any, fn: str, *args: Any) -> tuple[Any, Any]:
    m = diff.model.world.view(address, fn, *args, clone=False)
    e = handle.view(fn, *(plain(a) for a in args))
    mv = plain(m.returned) if m.ok else ("revert", m.error.abi_name())
    ev = (e.returned[0] if len(e.returned) == 1 else tuple(e.returned)) if e.ok else ("revert", e.error.name)
    if m.ok and mv != ev:
        diff.note_differing_view(f"{fn}{tuple(plain(a) for a in args)} at {address:#x}", handle, fn,
                                 tuple(plain(a) for a in args), mv)
    return mv, ev


def superfluid_observer(diff: Differential) -> list[Difference]:
    """Differences in the Superfluid state the suite relies on (model views against EVM views)."""
    fx, model = diff.fixture, diff.model
    fw = fx.framework
    token = SUPERFLUID["SuperToken"]
    st_handle = fx.contracts["SuperToken"]
    fwd = fx.contracts["GDAv1Forwarder"]
    accounts = known_accounts(model)
    out: list[Difference] = []

    def check(label: str, pair: tuple[Any, Any]) -> None:
        if pair[0] != pair[1]:
            out.append(value_difference("external", label, pair[0], pair[1]))

    for a in accounts:
        check(f"SuperToken.realtimeBalanceOfNow({a:#x})",
              _view_both(diff, token, st_handle, "realtimeBalanceOfNow", Address(a)))
        check(f"GDAv1Forwarder.getNetFlow({a:#x})",
              _view_both(diff, SUPERFLUID["GDAv1Forwarder"], fwd, "getNetFlow", Address(token), Address(a)))
    for p in pools(model):
        ph = fw.contract(p, "SuperfluidPool")
        check(f"pool {p:#x}.getTotalUnits()", _view_both(diff, p, ph, "getTotalUnits"))
        check(f"pool {p:#x}.getTotalFlowRate()", _view_both(diff, p, ph, "getTotalFlowRate"))
        check(f"pool {p:#x}.transferabilityForUnitsOwner()", _view_both(diff, p, ph, "transferabilityForUnitsOwner"))
        check(f"pool {p:#x}.distributionFromAnyAddress()", _view_both(diff, p, ph, "distributionFromAnyAddress"))
        check(f"getPoolAdjustmentFlowRate({p:#x})",
              _view_both(diff, SUPERFLUID["GDAv1Forwarder"], fwd, "getPoolAdjustmentFlowRate", Address(p)))
        for s in SINKS:
            check(f"pool {p:#x}.getUnits({s:#x})", _view_both(diff, p, ph, "getUnits", Address(s)))
            check(f"pool {p:#x}.getMemberFlowRate({s:#x})", _view_both(diff, p, ph, "getMemberFlowRate", Address(s)))
            check(f"pool {p:#x}.getClaimableNow({s:#x})", _view_both(diff, p, ph, "getClaimableNow", Address(s)))
            check(f"isMemberConnected({p:#x}, {s:#x})",
                  _view_both(diff, SUPERFLUID["GDAv1Forwarder"], fwd, "isMemberConnected", Address(p), Address(s)))
        for src in SOURCES:
            check(f"getFlowDistributionFlowRate({src:#x} -> {p:#x})",
                  _view_both(diff, SUPERFLUID["GDAv1Forwarder"], fwd, "getFlowDistributionFlowRate",
                             Address(token), Address(src), Address(p)))
    return out


def keyed_view_observer(diff: Differential) -> list[Difference]:
    """The suite's views that take a task type (not covered by the single-address view sweep)."""
    model, fx = diff.model, diff.fixture
    out = []
    for t in TASK_TYPES:
        tt = Bytes32(bytes.fromhex(t[2:]))
        calls = [("BackpressurePool", "needsRebalance", (tt,)), ("EscrowBuffer", "drainable", (tt,)),
                 ("EscrowBuffer", "bufferLevel", (tt,)), ("EscrowBuffer", "bufferMax", (tt,))]
        calls += [("CapacityRegistry", "getSmoothedCapacity", (tt, Address(s))) for s in SINKS]
        for name, fn, args in calls:
            m = model.world.view(model.addrs[name], fn, *args, clone=False)
            e = fx.contracts[name].view(fn, *(plain(a) for a in args))
            mv = (plain(m.returned),) if m.ok else ("revert", m.error.abi_name())
            ev = tuple(e.returned) if e.ok else ("revert", e.error.name)
            if mv != ev:
                label = f"{name}.{fn}{tuple(plain(a) for a in args)}"
                out.append(value_difference("view", label, mv, ev))
                if m.ok:
                    diff.note_differing_view(label, fx.contracts[name], fn, tuple(plain(a) for a in args),
                                             plain(m.returned))
    return out


# Superfluid events the models emit and the comparison checks, by emitter (harness/fuzz/bpe/gda.py keeps
# the same set; specs/bpe/superfluid.py says why the others are left out: agreement-storage bookkeeping,
# pool proxy and NFT plumbing).
SUPERFLUID_EVENTS = {
    "SuperToken": {"Minted", "Sent", "Burned", "Transfer", "Approval", "TokenUpgraded", "TokenDowngraded"},
    "SuperTokenUnderlying": {"Transfer", "Approval"},
    "GDA": {"PoolCreated", "PoolConnectionUpdated", "BufferAdjusted", "FlowDistributionUpdated",
            "InstantDistributionUpdated"},
    "pool": {"MemberUnitsUpdated", "Transfer", "DistributionClaimed"},
}


def event_filter(model: System) -> Any:
    """Events of the suite: all. Superfluid's: those in SUPERFLUID_EVENTS. Anything else (pool
    proxies' BeaconUpgraded/Initialized, the pool NFTs): left out."""
    suite = set(model.addrs.values())
    by_address = {SUPERFLUID[k]: v for k, v in SUPERFLUID_EVENTS.items() if k in SUPERFLUID}

    def keep(ev: Any) -> bool:
        if ev.address in suite:
            return True
        if ev.address in by_address:
            return ev.name in by_address[ev.address]
        return ev.address in pools(model) and ev.name in SUPERFLUID_EVENTS["pool"]

    return keep


def make_differential(fixture: Fixture, model: System, invariants: list[Invariant]) -> Differential:
    return Differential(
        fixture, model, ACTORS, invariants,
        extra_keys={Bytes32: [int(t, 16) for t in TASK_TYPES], U256: list(range(0, 6)),
                    Address: pools(model)},
        observers=[keyed_view_observer, superfluid_observer],
        event_filter=event_filter(model),
        step_invariants=STEP_REGISTRY.for_contracts(set(model.addrs)),
        before_step=[refresh_keys],
    )


def refresh_keys(diff: Differential) -> None:
    """Pools and queue indices appear as the system runs: keep the known keys up to date."""
    model = diff.model
    eb = model.world.contracts[model.addrs["EscrowBuffer"]]
    tails = [v for _k, v in eb.queueTail.items()]
    known = pools(model)
    fw = diff.fixture.framework
    for p in known:
        if fw.registry.get(p) is None:  # decode the pool's events and errors from now on
            fw.contract(p, "SuperfluidPool")
    diff.extra_keys[Address] = known
    diff.extra_keys[U256] = list(range(0, max(tails, default=0) + 2))


# -- the machine ---------------------------------------------------------------------------------

capacities_st = st.sampled_from(["cap", "cap+1", "half", "zero", "one-wei", "max", "1unit", "unit-1wei"])
nonces = st.sampled_from([b"\x01" * 32, b"\x02" * 32, b"\x00" * 32])
task_types = st.sampled_from(REGISTERED + REGISTERED + [T3, T_UNKNOWN, T_ZERO])
registered = st.sampled_from(REGISTERED)
sinks = st.sampled_from(SINKS)
sources = st.sampled_from(SOURCES)
anyone = st.sampled_from(ACTORS)
deposit_amounts = st.sampled_from(["small", "headroom", "headroom+1", "zero", "max", "one"])
flow_rates = st.sampled_from([10**12 + 7, 10**9, 1, 0, -1, 2**95 - 1, 3 * 10**13])


PREPARE = {"op": "prepare", "setup": "system/1"}


class SetupRejected(Mismatch):
    """A step of the prepared state (SETUP: task types, pools, stakes, one commit-reveal round) reverted
    on the model and on the EVM alike. PROTOCOL.md has every one of them succeed, so this is a finding
    about the protocol's implementation (contract and model share the mistake), not an engine error."""


def prepared_differential(fixture: Fixture, model_factory: Any, invariants: list[Invariant]) -> Differential:
    """A Differential at the prepared state: SETUP is run differentially once per fixture and model
    factory, then both sides are snapshotted; later calls revert the engine to the snapshot and clone
    the model. A mismatch while building it, or a step both sides reject (SetupRejected), is a finding:
    the Mismatch raised carries `replay_steps`, the one-step sequence that builds the prepared state."""
    cache = fixture.__dict__.setdefault("_prepared", {})
    key = id(model_factory)
    if key not in cache:
        fixture.reset()
        model = model_factory()
        diff = make_differential(fixture, model, invariants)
        diff.observe_each_step = fixture.engine.name != "py-evm"  # py-evm: Superfluid state at the end only
        try:
            for step in setup_steps(fixture.addrs):
                diff.step(step)
                outcome = diff.trace[-1]["outcome"]
                if outcome.startswith("reverted"):
                    raise SetupRejected(
                        diff.index, step,
                        [Difference("setup", f"{step['contract']}.{step['function']}", outcome, outcome,
                                    text=f"set-up step {diff.index} of the prepared state {outcome} on the model and on "
                                    f"{fixture.engine.name} alike; PROTOCOL.md has it succeed (contract and model share "
                                    "a mistake, or the protocol's rule was not implemented)")],
                        outcome, outcome)
            diff.finish()
        except Mismatch as m:
            m.replay_steps = [dict(PREPARE)]  # type: ignore[attr-defined]
            m.add(Difference("note", "prepared state", None, None,
                             text="(while building the prepared state every sequence starts from)"))
            raise
        cache[key] = (fixture.engine.snapshot(), model.clone(), model_factory)
    snapshot, template, _keep = cache[key]
    fixture.engine.revert(snapshot)
    return make_differential(fixture, template.clone(), invariants)


class SystemMachine(StakeManagerMachine):
    """The whole suite. Inherits the StakeManager rules (stake, unstake, slash at the edges)."""

    @classmethod
    def start(cls, fixture: Fixture, model_factory: Any, invariants: list[Invariant]) -> Differential:
        return prepared_differential(fixture, model_factory, invariants)

    def __init__(self) -> None:  # noqa: D107 (replaces the StakeManager machine's set-up)
        from hypothesis.stateful import RuleBasedStateMachine

        RuleBasedStateMachine.__init__(self)
        c = self.campaign
        self.diff = self.start(c.fixture, c.model_factory, c.state_invariants)
        self.log: list[dict] = [dict(PREPARE)]
        self.secrets: dict[tuple[int, str], tuple[int, bytes]] = {}
        self.begin_sequence()

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def model(self) -> System:
        return self.diff.model

    def addr(self, name: str) -> int:
        return self.fixture.addrs.get(name) or SUPERFLUID[name]

    def cap_of(self, sink: int) -> int:
        return self.model.stake_manager.getCapacityCap(None, Address(sink)).v

    def commit_of(self, sink: int, t: str) -> tuple[int, int]:
        out = self.model.world.view(self.addr("CapacityRegistry"), "getCommit", Bytes32(bytes.fromhex(t[2:])),
                                    Address(sink), clone=False)
        h, block = out.returned
        return plain(h), block.v

    def level(self, t: str) -> tuple[int, int]:
        eb = self.model.world.contracts[self.addr("EscrowBuffer")]
        tt = Bytes32(bytes.fromhex(t[2:]))
        return eb.levels[tt].v, eb.maxima[tt].v

    # -- registry ------------------------------------------------------------------------------
    @rule(sink=sinks, t=task_types, choice=capacities_st, nonce=nonces,
          variant=st.sampled_from(["own", "own", "own", "garbage", "other-sink"]))
    def commit(self, sink: int, t: str, choice: str, nonce: bytes, variant: str) -> None:
        cap = self.cap_of(sink) * E18
        capacity = {"cap": cap, "cap+1": cap + 1, "half": cap // 2, "zero": 0, "one-wei": 1, "max": MAX,
                    "1unit": E18, "unit-1wei": max(cap - 1, 0)}[choice]
        reg = self.addr("CapacityRegistry")
        if variant == "garbage":
            h = "0x" + "ee" * 32
        elif variant == "other-sink":
            other = SINKS[(SINKS.index(sink) + 1) % len(SINKS)]
            h = commit_hash(other, t, capacity, nonce, reg)
        else:
            h = commit_hash(sink, t, capacity, nonce, reg)
        self.secrets[(sink, t)] = (capacity, nonce)
        self.call("CapacityRegistry", "commitCapacity", sink, t, h)

    @rule(sink=sinks, t=task_types,
          variant=st.sampled_from(["right", "right", "right", "wrong-nonce", "wrong-capacity", "by-other", "unknown"]))
    def reveal(self, sink: int, t: str, variant: str) -> None:
        capacity, nonce = self.secrets.get((sink, t), (E18, b"\x09" * 32))
        sender = sink
        if variant == "wrong-nonce":
            nonce = b"\x07" * 32
        elif variant == "wrong-capacity":
            capacity = capacity + 1 if capacity < MAX else 0
        elif variant == "by-other":
            sender = SINKS[(SINKS.index(sink) + 1) % len(SINKS)]
        elif variant == "unknown":
            capacity, nonce = 5 * E18, b"\x08" * 32
        self.call("CapacityRegistry", "revealCapacity", sender, t, capacity, "0x" + nonce.hex())

    @rule(sink=sinks, t=registered, choice=capacities_st, nonce=nonces, wait=st.sampled_from([1, 2, 20, 21, 0, 5]),
          variant=st.sampled_from(["right", "right", "right", "wrong-nonce", "wrong-capacity", "by-other"]))
    def commit_and_reveal(self, sink: int, t: str, choice: str, nonce: bytes, wait: int, variant: str) -> None:
        """A whole round: commit, wait `wait` blocks (0: same block; 20: last valid; 21: expired), reveal."""
        self.commit(sink, t, choice, nonce, "own")
        if wait:
            self.do({"op": "advance", "blocks": wait, "seconds": 12 * wait})
        self.reveal(sink, t, variant)

    @rule(t=registered)
    def keeper_rebalance(self, t: str) -> None:
        """The keeper's policy: rebalance exactly when needsRebalance says so."""
        tt = Bytes32(bytes.fromhex(t[2:]))
        if self.model.world.view(self.addr("BackpressurePool"), "needsRebalance", tt, clone=False).returned:
            self.call("BackpressurePool", "rebalance", KEEPER, t)

    @rule(src=sources, t=registered, choice=deposit_amounts, seconds=st.sampled_from([12, 600, 3_600, 1]))
    def deposit_wait_drain(self, src: int, t: str, choice: str, seconds: int) -> None:
        """A deposit, time passing, and the keeper draining."""
        self.deposit(src, t, choice)
        self.do({"op": "advance", "blocks": 1, "seconds": seconds})
        self.call("EscrowBuffer", "drain", KEEPER, t)

    @rule(sink=sinks, t=registered, edge=st.sampled_from([1, 20, 21, 0]))
    def advance_to_window_edge(self, sink: int, t: str, edge: int) -> None:
        """Move to commitBlock + edge (1: first valid block, 20: last, 21: expired) when still ahead."""
        _h, block = self.commit_of(sink, t)
        target = block + edge
        now = self.model.world.block.number
        if block and target > now:
            self.do({"op": "advance", "blocks": target - now, "seconds": 12 * (target - now)})

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]), t=st.sampled_from([T3, T1, T_ZERO, T_UNKNOWN]))
    def register_task_type(self, who: int, t: str) -> None:
        self.call("CapacityRegistry", "registerTaskType", who, t)

    @rule(sink=sinks, t=task_types)
    def register_sink(self, sink: int, t: str) -> None:
        self.call("CapacityRegistry", "registerSink", sink, t)

    @rule(who=st.sampled_from(["self", "self", "keeper", "other-sink"]), sink=sinks, t=task_types)
    def deregister_sink(self, who: str, sink: int, t: str) -> None:
        sender = {"self": sink, "keeper": KEEPER, "other-sink": SINKS[(SINKS.index(sink) + 1) % len(SINKS)]}[who]
        self.call("CapacityRegistry", "deregisterSink", sender, t, sink)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]), alpha=st.sampled_from([3000, 10000, 1, 0, 10001, 5000]))
    def set_ewma_alpha(self, who: int, alpha: int) -> None:
        self.call("CapacityRegistry", "setEwmaAlpha", who, alpha)

    # -- pools -----------------------------------------------------------------------------------
    @rule(who=anyone, t=task_types)
    def create_pool(self, who: int, t: str) -> None:
        self.call("BackpressurePool", "createPool", who, t)

    @rule(who=anyone, t=task_types)
    def rebalance(self, who: int, t: str) -> None:
        self.call("BackpressurePool", "rebalance", who, t)

    @rule(who=anyone, t=st.sampled_from([T_UNKNOWN, T_ZERO, T3]))
    def rebalance_without_pool(self, who: int, t: str) -> None:
        """rebalance of a task type without a pool (NoPool unless a pool was created for T3), whatever the
        general rule's draws favour."""
        self.call("BackpressurePool", "rebalance", who, t)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]), bps=st.sampled_from([500, 0, 10000, 10001, 1]))
    def set_rebalance_threshold(self, who: int, bps: int) -> None:
        self.call("BackpressurePool", "setRebalanceThreshold", who, bps)

    # -- buffer and pipeline ---------------------------------------------------------------------
    @rule(src=sources, t=task_types, choice=deposit_amounts)
    def deposit(self, src: int, t: str, choice: str) -> None:
        level, max_ = self.level(t)
        head = max(max_ - level, 0)
        amount = {"small": 7 * E18 + 3, "headroom": head, "headroom+1": min(head + 1, MAX), "zero": 0, "max": MAX,
                  "one": 1}[choice]
        self.call("EscrowBuffer", "deposit", src, t, amount)

    @rule(who=anyone, t=task_types)
    def drain(self, who: int, t: str) -> None:
        self.call("EscrowBuffer", "drain", who, t)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]), t=task_types,
          choice=st.sampled_from(["level", "level-1", "big", "zero", "max"]))
    def set_buffer_max(self, who: int, t: str, choice: str) -> None:
        level, _ = self.level(t)
        value = {"level": level, "level-1": max(level - 1, 0), "big": 2_000 * E18, "zero": 0, "max": MAX}[choice]
        self.call("EscrowBuffer", "setBufferMax", who, t, value)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]), t=task_types,
          price=st.sampled_from([10**15, 1, 0, MAX, 10**18]))
    def set_unit_price(self, who: int, t: str, price: int) -> None:
        self.call("EscrowBuffer", "setUnitPrice", who, t, price)

    @rule(src=sources, pid=st.sampled_from([1, 1, 1, 2, 0]), amount=st.sampled_from([10 * E18 + 1, 1, 0, 400 * E18, MAX]))
    def pipeline_deposit(self, src: int, pid: int, amount: int) -> None:
        self.call("Pipeline", "deposit", src, pid, amount)

    @rule(who=anyone, pid=st.sampled_from([1, 1, 2]))
    def pipeline_drain(self, who: int, pid: int) -> None:
        self.call("Pipeline", "drain", who, pid)

    @rule(src=sources, amount=st.sampled_from([10 * E18 + 1, 400 * E18, 3]), seconds=st.sampled_from([600, 12, 3_600]))
    def pipeline_deposit_wait_drain(self, src: int, amount: int, seconds: int) -> None:
        """A pipeline deposit, time passing, and the keeper draining the pipeline (downstream first)."""
        self.pipeline_deposit(src, 1, amount)
        self.do({"op": "advance", "blocks": 1, "seconds": seconds})
        self.call("Pipeline", "drain", KEEPER, 1)

    @rule(who=st.sampled_from([GOVERNANCE, GOVERNANCE, STRANGER]),
          shape=st.sampled_from(["ok", "one-stage", "bad-sum", "repeat", "no-pool", "zero-weight"]))
    def create_pipeline(self, who: int, shape: str) -> None:
        stages, weights = {
            "ok": ([T2, T1], [5000, 5000]), "one-stage": ([T1], [10000]), "bad-sum": ([T1, T2], [5000, 4999]),
            "repeat": ([T1, T1], [5000, 5000]), "no-pool": ([T1, T3], [5000, 5000]),
            "zero-weight": ([T1, T2], [0, 10000]),
        }[shape]
        self.call("Pipeline", "createPipeline", who, stages, weights)

    # -- Superfluid --------------------------------------------------------------------------------
    @rule(src=sources, t=task_types, rate=flow_rates)
    def distribute_flow(self, src: int, t: str, rate: int) -> None:
        self.call("GDAv1Forwarder", "distributeFlow", src, SUPERFLUID["SuperToken"], src, pool_of(self.model, t), rate, "0x")

    @rule(src=sources, t=task_types, amount=st.sampled_from([10**18 + 5, 7, 0, 10**30]))
    def distribute(self, src: int, t: str, amount: int) -> None:
        self.call("GDAv1Forwarder", "distribute", src, SUPERFLUID["SuperToken"], src, pool_of(self.model, t), amount, "0x")

    @rule(src=sources, t=registered, rate=flow_rates, sink=sinks,
          change=st.sampled_from(["slash", "reveal-lower", "deregister", "unstake-all"]))
    def flow_then_units_change(self, src: int, t: str, rate: int, sink: int, change: str) -> None:
        """A stream into a pool, then a change of one sink's units while it flows (the GDA's adjustment
        flow to the pool admin takes the rounding remainder), then the keeper's rebalance."""
        self.distribute_flow(src, t, rate)
        if change == "slash":
            self.slash_relative(sink, True, "leave-min")
        elif change == "reveal-lower":
            self.commit_and_reveal(sink, t, "half", b"\x03" * 32, 1, "right")
        elif change == "deregister":
            self.call("CapacityRegistry", "deregisterSink", sink, t, sink)
        else:
            self.unstake_relative(sink, True, "all")
        self.do({"op": "advance", "blocks": 1, "seconds": 60})
        self.call("BackpressurePool", "rebalance", KEEPER, t)

    @rule(sink=sinks, t=registered, connect=st.sampled_from([True, True, False]))
    def connect(self, sink: int, t: str, connect: bool) -> None:
        self.call("GDAv1Forwarder", "connectPool" if connect else "disconnectPool", sink, pool_of(self.model, t), "0x")

    @rule(who=anyone, t=registered, member=sinks)
    def claim_all(self, who: int, t: str, member: int) -> None:
        self.call("GDAv1Forwarder", "claimAll", who, pool_of(self.model, t), member, "0x")

    @rule(src=sources, amount=st.sampled_from([10**20, 0, 10**30]))
    def upgrade(self, src: int, amount: int) -> None:
        self.call("SuperToken", "upgrade", src, amount)

    @rule(src=sources, spender=st.sampled_from(["EscrowBuffer", "Pipeline"]), amount=st.sampled_from([MAX, 0, 10 * E18]))
    def approve_spender(self, src: int, spender: str, amount: int) -> None:
        self.call("SuperToken", "approve", src, self.addr(spender), amount)

    @rule(kind=st.sampled_from(["deposit", "commit", "bool", "truncated", "short-selector"]), who=anyone)
    def malformed_call(self, kind: str, who: int) -> None:
        """Wrong types on the wire: an address argument with dirty high bits, a bool that is 2, a
        truncated argument, a selector cut short. The generated ABI decoder must revert without data."""
        word = lambda n: n.to_bytes(32, "big")  # noqa: E731
        tt = bytes.fromhex(T1[2:])
        if kind == "deposit":  # EscrowBuffer.deposit(bytes32,uint256) with its amount cut to 31 bytes
            contract, data = "EscrowBuffer", keccak(text="deposit(bytes32,uint256)")[:4] + tt + word(5)[:31]
        elif kind == "commit":  # CapacityRegistry.deregisterSink(bytes32,address) with a dirty address
            contract, data = "CapacityRegistry", keccak(text="deregisterSink(bytes32,address)")[:4] + tt + word((1 << 200) | SINKS[0])
        elif kind == "bool":  # StakeManager.setSlasher(address,bool) with enabled = 2
            contract, data = "StakeManager", keccak(text="setSlasher(address,bool)")[:4] + word(SLASHER) + word(2)
        elif kind == "truncated":  # Pipeline.deposit(uint256,uint256) with one argument only
            contract, data = "Pipeline", keccak(text="deposit(uint256,uint256)")[:4] + word(1)
        else:  # three bytes: no function selector
            contract, data = "BackpressurePool", keccak(text="rebalance(bytes32)")[:3]
        self.do({"op": "raw", "contract": contract, "sender": who, "data": "0x" + data.hex(), "why": kind})

    @rule(who=anyone)
    def malformed_calls(self, who: int) -> None:
        """Every malformed call of `malformed_call` in one step (the focused rules below dilute the draws
        of each single rule; this keeps malformed calldata to every contract frequent)."""
        for kind in ("deposit", "commit", "bool", "truncated", "short-selector"):
            self.malformed_call(kind, who)

    @rule(blocks=st.integers(1, 25), seconds=st.integers(0, 3_600))
    def advance(self, blocks: int, seconds: int) -> None:
        self.do({"op": "advance", "blocks": blocks, "seconds": seconds})

    # -- focused rules: rare paths and edges (from the mutation campaign, mutants/SURVIVORS.md) -----
    # Each one reaches in a single step what the rules above reach only by chance: an edge value, or a
    # short sequence that has to happen in this order.

    def tt(self, t: str) -> Bytes32:
        return Bytes32(bytes.fromhex(t[2:]))

    def smoothed(self, sink: int, t: str) -> int:
        return self.model.world.view(self.addr("CapacityRegistry"), "getSmoothedCapacity", self.tt(t), Address(sink),
                                     clone=False).returned.v

    def reveal_exactly(self, sink: int, t: str, capacity: int, nonce: bytes = b"\x0c" * 32) -> None:
        """Commit and reveal `capacity` so that the smoothed value becomes it (clamped to the cap): EWMA
        alpha 10000 for the round, then the alpha before it again (both by governance). A pending commit
        is first left to expire."""
        reg = self.addr("CapacityRegistry")
        alpha = self.model.world.view(reg, "ewmaAlphaBps", clone=False).returned.v
        _h, block = self.commit_of(sink, t)
        now = self.model.world.block.number
        if block and now <= block + 20:
            self.do({"op": "advance", "blocks": block + 21 - now, "seconds": 12 * (block + 21 - now)})
        self.call("CapacityRegistry", "setEwmaAlpha", GOVERNANCE, 10_000)
        self.secrets[(sink, t)] = (capacity, nonce)
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, capacity, nonce, reg))
        self.do({"op": "advance", "blocks": 1, "seconds": 12})
        self.call("CapacityRegistry", "revealCapacity", sink, t, capacity, "0x" + nonce.hex())
        self.call("CapacityRegistry", "setEwmaAlpha", GOVERNANCE, alpha)

    @rule(shape=st.sampled_from(["one-stage", "too-many-stages", "length-mismatch", "max-stages", "zero-weight"]))
    def create_pipeline_edge(self, shape: str) -> None:
        """Governance creates pipelines at the length bounds (8 stages: MAX_STAGES, reverting NoPool on the
        first pool-less stage; 9: InvalidPipeline), with one stage, with one weight more than stages, or with
        a zero weight: all InvalidPipeline or NoPool. (Hypothesis draws the first shape most often.)"""
        stages, weights = {"max-stages": ([T1, T2] + POOL_LESS[:6], [1250] * 8),
                           "too-many-stages": ([T1, T2] + POOL_LESS[:7], [1000] * 8 + [2000]),
                           "one-stage": ([T1], [10000]), "zero-weight": ([T1, T2], [0, 10000]),
                           "length-mismatch": ([T1, T2], [5000, 5000, 0])}[shape]
        self.call("Pipeline", "createPipeline", GOVERNANCE, stages, weights)

    @rule(sink=sinks, what=st.sampled_from(["slash-0", "unstake-0", "eject", "stake-0", "square-1", "eject"]))
    def stake_edge(self, sink: int, what: str) -> None:
        """slash(sink, 0), unstake(0) and stake(0) (ZeroAmount); a slash that leaves MIN_SINK_STAKE - 1,
        which ejects the rest back to the sink (the slash path with `returned != 0`); a stake of exactly
        400e18 - 1 (capacity cap floor(sqrt(399)) = 19, one wei below the cap of 20)."""
        sink = self.staked_sink(sink, True)
        if what == "slash-0":
            self.call("StakeManager", "slash", SLASHER, sink, 0, "0x" + "11" * 32)
        elif what == "unstake-0":
            self.call("StakeManager", "unstake", sink, 0)
        elif what == "stake-0":
            self.call("StakeManager", "stake", sink, 0)
        elif what == "square-1":
            cur = self.stake_of(sink)
            if cur:
                self.call("StakeManager", "unstake", sink, cur)
            self.call("StakeManager", "stake", sink, 400 * E18 - 1)
        else:
            self.slash_relative(sink, True, "leave-min-1")

    @rule(bps=st.sampled_from([10_001, 10_000]))
    def set_rebalance_threshold_bound(self, bps: int) -> None:
        """Governance sets the threshold just above its bound (InvalidThreshold) or at it."""
        self.call("BackpressurePool", "setRebalanceThreshold", GOVERNANCE, bps)

    @rule(sink=sinks, t=registered)
    def stake_exactly_min(self, sink: int, t: str) -> None:
        """A sink stakes 0 (ZeroAmount), unstakes everything and stakes exactly MIN_SINK_STAKE (allowed: the
        bound is inclusive); then another sink tries to deregister it (NotSinkOrUnderstaked: a stake of
        exactly MIN is enough); then the sink tops up to 121e18 - 1 (cap floor(sqrt(120)) = 10, one wei
        short of 11)."""
        self.call("StakeManager", "stake", sink, 0)
        cur = self.stake_of(sink)
        if cur:
            self.call("StakeManager", "unstake", sink, cur)
        self.call("StakeManager", "stake", sink, MIN)
        other = SINKS[(SINKS.index(sink) + 1) % len(SINKS)]
        self.call("CapacityRegistry", "deregisterSink", other, t, sink)
        self.call("StakeManager", "stake", sink, 21 * E18 - 1)

    @rule(sink=sinks, t=registered)
    def deregister_by_other(self, sink: int, t: str) -> None:
        """Another sink deregisters `sink` (NotSinkOrUnderstaked while `sink` holds MIN_SINK_STAKE)."""
        other = SINKS[(SINKS.index(sink) + 1) % len(SINKS)]
        self.call("CapacityRegistry", "deregisterSink", other, t, sink)

    @rule(src=sources, t=registered)
    def deposit_many_then_drain(self, src: int, t: str) -> None:
        """33 deposits (one more than MAX_DRAIN_ENTRIES), an hour, a drain: the drain window is full.
        To keep the rule cheap, the first 32 deposits compare outcomes and events only; the state (storage,
        views, Superfluid views, invariants) is compared in full after the 33rd and after the drain."""
        each = self.diff.state_each_step
        self.diff.state_each_step = False
        try:
            for _ in range(32):
                self.call("EscrowBuffer", "deposit", src, t, E18)
        finally:
            self.diff.state_each_step = each
        self.call("EscrowBuffer", "deposit", src, t, E18)
        self.do({"op": "advance", "blocks": 1, "seconds": 3_600})
        self.call("EscrowBuffer", "drain", KEEPER, t)

    @rule(sink=st.sampled_from(SINKS[:2]), t=registered)
    def commit_deregister_reveal(self, sink: int, t: str) -> None:
        """A pending commit is deleted with the registration: after deregistering, reveal has NoCommit
        and a fresh registration can commit at once (and not twice in one block)."""
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

    @rule(sink=st.sampled_from(SINKS[:2]), t=registered, blocks=st.sampled_from([20, 21]))
    def commit_at_window_edge(self, sink: int, t: str, blocks: int) -> None:
        """A second commit exactly COMMIT_TIMEOUT blocks after the first (CommitPending) or one block
        later (accepted)."""
        reg = self.addr("CapacityRegistry")
        nonce = b"\x08" * 32
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, E18, nonce, reg))
        self.do({"op": "advance", "blocks": blocks, "seconds": 12 * blocks})
        self.call("CapacityRegistry", "commitCapacity", sink, t, commit_hash(sink, t, E18, nonce, reg))

    @rule(account=st.sampled_from([0, 1]), enabled=st.sampled_from([True, False]))
    def set_slasher_edge(self, account: int, enabled: bool) -> None:
        """Governance appoints the zero address (ZeroAddress) or address(1)."""
        self.call("StakeManager", "setSlasher", GOVERNANCE, account, enabled)

    @rule(src=sources, amount=st.sampled_from([1, 2, 3]))
    def pipeline_deposit_dust(self, src: int, amount: int) -> None:
        """Pipeline deposits whose smaller shares round to 0 or 1 wei (weights 6000/4000)."""
        self.call("Pipeline", "deposit", src, 1, amount)

    @rule(sink=sinks, t=registered)
    def reveal_unit_edge(self, sink: int, t: str) -> None:
        """An effective capacity of cap * 1e18 - 1 (cap - 1 units), then the keeper's rebalance."""
        self.reveal_exactly(sink, t, max(self.cap_of(sink) * E18 - 1, 0))
        self.call("BackpressurePool", "rebalance", KEEPER, t)

    @rule(sink=sinks, t=registered)
    def one_unit_member_leaves(self, sink: int, t: str) -> None:
        """A member with exactly 1 unit deregisters; the next rebalance takes its unit away."""
        self.reveal_exactly(sink, t, E18)
        self.call("BackpressurePool", "rebalance", KEEPER, t)
        self.call("CapacityRegistry", "deregisterSink", sink, t, sink)
        self.call("BackpressurePool", "rebalance", KEEPER, t)

    @rule(sink=sinks, t=registered, move=st.sampled_from(["half", "edge", "edge+1"]))
    def small_upward_move(self, sink: int, t: str, move: str) -> None:
        """After a rebalance, a sink's effective capacity moves up by half the rebalance threshold, by
        exactly the threshold (needsRebalance stays false: the bound is strict) or by one wei more
        (true), relative to the snapshot; needsRebalance is compared after each step."""
        self.call("BackpressurePool", "rebalance", KEEPER, t)
        s = self.smoothed(sink, t)
        if not s:
            return
        bp = self.addr("BackpressurePool")
        threshold = self.model.world.contracts[bp].rebalanceThresholdBps.v
        edge = s * threshold // 10_000
        delta = {"half": edge // 2, "edge": edge, "edge+1": edge + 1}[move]
        self.reveal_exactly(sink, t, min(s + max(delta, 1), self.cap_of(sink) * E18))

    @rule(sink=sinks)
    def pool_less_task_type_with_sink(self, sink: int) -> None:
        """Governance registers T3 (no pool) and a sink registers on it: needsRebalance(T3) is false
        without a pool, although the sink set changed."""
        self.call("CapacityRegistry", "registerTaskType", GOVERNANCE, T3)
        self.call("CapacityRegistry", "registerSink", sink, T3)
        self.call("CapacityRegistry", "registerTaskType", GOVERNANCE, T1)  # TaskTypeExists

    @rule(t=registered)
    def stranger_calls_governance_setters(self, t: str) -> None:
        """The stranger calls every governance-only function once: NotGovernance each time."""
        self.call("EscrowBuffer", "setUnitPrice", STRANGER, t, 10**15)
        self.call("EscrowBuffer", "setBufferMax", STRANGER, t, 2_000 * E18)
        self.call("BackpressurePool", "setRebalanceThreshold", STRANGER, 500)
        self.call("CapacityRegistry", "setEwmaAlpha", STRANGER, 5_000)
        self.call("CapacityRegistry", "registerTaskType", STRANGER, T3)
        self.call("StakeManager", "setSlasher", STRANGER, STRANGER, True)
        self.call("Pipeline", "createPipeline", STRANGER, [T2, T1], [5000, 5000])

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
        if not units or tail - head >= MAX_DRAIN_ENTRIES:
            return
        available = sum(eb.entryAmount[tt][U256(i)].v for i in range(head, tail))
        x = (units - short - available % units) % units
        if x < E18 // 1000:  # a deposit large enough to matter: add whole multiples of the units
            x += units * (E18 // 1000 // units + 1)
        self.call("EscrowBuffer", "deposit", src, t, x)
        self.do({"op": "advance", "blocks": 1, "seconds": 36_000})
        self.call("EscrowBuffer", "drain", KEEPER, t)

    @rule(go=st.integers(0, 3))
    def fill_task_type(self, go: int) -> None:
        """33 fresh accounts stake MIN_SINK_STAKE and register on T3 (a task type without a pool): the
        registration that finds 32 sinks reverts TooManySinks (MAX_SINKS_PER_TASK_TYPE). Costly (132 calls,
        and 33 more accounts for every later comparison): it runs on one draw of `go` in four; the set-up
        calls compare outcomes and events only, the state is compared in full at the end."""
        if go:
            return
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


def _setup_plan(cls: type, fixture: Fixture, model_factory: Any,
                invariants: list[Invariant]) -> tuple[Differential, list[dict]]:
    """The Differential the prepared state is built from and the set-up steps that build it (each must
    succeed): what `start` runs, step by step (the Foundry export of a mismatch inside it)."""
    fixture.reset()
    diff = make_differential(fixture, model_factory(), invariants)
    diff.observe_each_step = fixture.engine.name != "py-evm"
    return diff, setup_steps(fixture.addrs)


# Attached after the class body: hypothesis derives a derandomized run's seed from the machine class's
# source, and the mutation sample's kills at its fixed budget were measured with those seeds.
SystemMachine.setup_plan = classmethod(_setup_plan)  # type: ignore[attr-defined]
