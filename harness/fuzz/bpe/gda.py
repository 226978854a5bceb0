"""Differential fuzzing of the Superfluid GDA model (specs/bpe/superfluid.py) against the real 1.15.2
framework on an EVM (harness/evm/superfluid.py).

One hypothesis state machine drives a wrapper SuperToken, up to two pools (admins are EOAs), three
members and two distributors: funding (mint, approve, upgrade), downgrade, transfer, transferFrom,
createPool, updateMemberUnits (forwarder and pool, units 0 .. 2**128-1), connect/disconnect,
distribute, distributeFlow (0, negative, int96-huge), claimAll (forwarder, pool, pool for self),
time advance. Every call runs on the model and the EVM; compared after each step:
- success or revert, and the decoded error (name and arguments), the returned values;
- the events, emitter by emitter, restricted to the modelled set (specs/bpe/superfluid.py says which are
  left out and why: agreement storage bookkeeping, pool proxy/NFT plumbing at creation);
- for every account (actors, pool admins, pools): SuperToken realtimeBalanceOfNow and balanceOf, the
  underlying balance, the GDA net flow and account flow info; for every pool: total / connected /
  disconnected units and flow rates, adjustment flow info, and per member units, flow rate,
  claimable now, connection; for every distributor and pool: the distribution flow record (last
  updated, rate, buffer) and the estimate of a fixed requested rate and amount; total supply.

Liquidation (closing a critical distributor's flow by someone else) is not modelled: the machine
only asks a third party to stop a flow when the model says the distributor is solvent.

A step is a JSON-able dict: {"op": "call", "to": "token"|"underlying"|"forwarder"|"pool0"|"pool1",
"fn": name, "sender": int, "args": [...]} or {"op": "advance", "seconds": n}.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from harness.evm import superfluid as sf
from harness.evm.engine import Snapshot
from harness.fuzz.difference import Difference, value_difference
from harness.fuzz.differential import Mismatch, plain
from harness.fuzz.profiles import profile
from harness.fuzz.runner import no_local_constants, shrink_budget
from specs.bpe import superfluid as model
from specs.kernel import (
    I96, I128, I256, U32, U128, U256, Address, Bool, Msg, World,
)

ADMINS = [0xAD00000000000000000000000000000000000A01, 0xAD00000000000000000000000000000000000A02]
MEMBERS = [0x3E3B000000000000000000000000000000000B01, 0x3E3B000000000000000000000000000000000B02,
           0x3E3B000000000000000000000000000000000B03]
DISTRIBUTORS = [0xD157000000000000000000000000000000000C01, 0xD157000000000000000000000000000000000C02]
ACTORS = ADMINS + MEMBERS + DISTRIBUTORS
E18 = 10**18
I96_MAX = 2**95 - 1
U128_MAX = 2**128 - 1

KEEP_EVENTS = {
    "token": {"Minted", "Sent", "Burned", "Transfer", "Approval", "TokenUpgraded", "TokenDowngraded"},
    "underlying": {"Transfer", "Approval"},
    "gda": {"PoolCreated", "PoolConnectionUpdated", "BufferAdjusted", "FlowDistributionUpdated",
            "InstantDistributionUpdated"},
    "pool": {"MemberUnitsUpdated", "Transfer", "DistributionClaimed"},
}

# Model argument types per (target, function): how a JSON step's arguments become kernel values.
A, B, BY = Address, Bool, bytes
ARG_TYPES: dict[tuple[str, str], tuple] = {
    ("underlying", "mint"): (A, U256), ("underlying", "approve"): (A, U256), ("underlying", "transfer"): (A, U256),
    ("token", "upgrade"): (U256,), ("token", "downgrade"): (U256,), ("token", "transfer"): (A, U256),
    ("token", "approve"): (A, U256), ("token", "transferFrom"): (A, A, U256),
    ("forwarder", "createPool"): (A, A, tuple), ("forwarder", "updateMemberUnits"): (A, A, U128, BY),
    ("forwarder", "connectPool"): (A, BY), ("forwarder", "disconnectPool"): (A, BY),
    ("forwarder", "claimAll"): (A, A, BY), ("forwarder", "distribute"): (A, A, A, U256, BY),
    ("forwarder", "distributeFlow"): (A, A, A, I96, BY),
    ("pool", "updateMemberUnits"): (A, U128), ("pool", "claimAll"): (A,),
}


def kind(target: str) -> str:
    return "pool" if target.startswith("pool") else target


def to_model(t: Any, v: Any) -> Any:
    if t is bytes:
        return bytes.fromhex(v[2:]) if isinstance(v, str) else bytes(v)
    if t is tuple:
        return tuple(v)
    if t is Bool:
        return Bool(bool(v))
    return t(v)


@dataclass
class Env:
    """A deployed framework + wrapper token on one engine, at its post-deployment snapshot."""

    fw: sf.Framework
    token: sf.WrapperSuperToken
    snapshot: Snapshot
    gda_nonce: int

    @property
    def engine(self) -> Any:
        return self.fw.engine

    def addresses(self) -> model.SuperfluidAddresses:
        return model.SuperfluidAddresses(gda=self.fw.addresses["gda"], forwarder=self.fw.addresses["gdaV1Forwarder"],
                                         super_token=self.token.address, underlying=self.token.underlying.address,
                                         gda_nonce=self.gda_nonce)


@lru_cache(maxsize=None)
def env(engine_name: str) -> Env:
    fw = sf.deploy_framework(sf.make_superfluid_engine(engine_name))
    token = sf.deploy_wrapper_supertoken(fw, "Test Token", "TT", 18)
    return Env(fw, token, fw.engine.snapshot(), fw.engine.get_nonce(fw.addresses["gda"]))


@dataclass
class GdaDifferential:
    """The model world and the EVM, stepped together."""

    env: Env
    classes: dict[str, type] = field(default_factory=dict)
    pools: list[int] = field(default_factory=list)
    views: str = "full"  # "full", or "light" (balances, net flows, pool totals, units, claimables: for py-evm)
    index: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    reverts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env.engine.revert(self.env.snapshot)
        self.world: World = model.build_superfluid_world(self.env.addresses(), classes=self.classes)
        self.world.block.number = self.env.engine.block_number
        self.world.block.timestamp = self.env.engine.timestamp
        fw = self.env.fw
        self.targets = {"token": self.env.token.super_token, "underlying": self.env.token.underlying,
                        "forwarder": fw.gda_forwarder}
        self.kinds = {self.env.token.address: "token", self.env.token.underlying.address: "underlying",
                      fw.addresses["gda"]: "gda"}
        self.gda = fw.gda

    # -- steps ---------------------------------------------------------------------------------
    def address_of(self, target: str) -> int:
        if target.startswith("pool"):
            return self.pools[int(target[4:])]
        return self.targets[target].address

    def step(self, step: dict) -> Any:
        self.index += 1
        if step["op"] == "advance":
            self.world.block.number += 1
            self.world.block.timestamp += step["seconds"]
            self.env.engine.set_block(number=self.world.block.number, timestamp=self.world.block.timestamp)
            self.compare_state(step)
            return None
        target, fn, sender = step["to"], step["fn"], step["sender"]
        types = ARG_TYPES[(kind(target), fn)]
        margs = tuple(to_model(t, a) for t, a in zip(types, step["args"]))
        addr = self.address_of(target)
        m = self.world.transact(addr, fn, Msg(Address(sender)), *margs)
        contract = self.targets[target] if not target.startswith("pool") else sf.pool_at(self.env.fw, addr)
        e = contract.transact(fn, *(plain(a) for a in margs), sender=sender)
        key = f"{target.rstrip('01')}.{fn}"
        self.calls[key] = self.calls.get(key, 0) + 1
        if not e.ok:
            rk = f"{key}: {e.error.name}"
            self.reverts[rk] = self.reverts.get(rk, 0) + 1
        self.compare_outcome(step, m, e)
        if e.ok and fn == "createPool":
            pool = e.returned[1]
            sf.pool_at(self.env.fw, pool)
            self.kinds[pool] = "pool"
            self.pools.append(pool)
        self.compare_state(step)
        return e

    def fail(self, step: dict, diffs: list[Difference], model: str = "state above", evm: str = "state above") -> None:
        """The shared Mismatch (harness/fuzz/differential.py), with this machine's records."""
        raise Mismatch(self.index, step, diffs, model, evm)

    def compare_outcome(self, step: dict, m: Any, e: Any) -> None:
        diffs = []
        m_events = tuple((r.address, r.event.abi_name(), plain(r.event.args())) for r in m.events)
        e_events = tuple((ev.address, ev.name, tuple(ev.args)) for ev in e.events
                         if ev.name in KEEP_EVENTS.get(self.kinds.get(ev.address, "?"), ()))
        if m.ok != e.ok:
            diffs.append(value_difference("outcome", "success", f"{m.ok} ({m.error})",
                                          f"{e.ok} ({e.error if not e.ok else ''})"))
        elif not m.ok:
            m_err = (m.error.abi_name(), plain(m.error.args()))
            if m_err != (e.error.name, tuple(e.error.args)):
                diffs.append(value_difference("outcome", "error", m_err, (e.error.name, tuple(e.error.args))))
        else:
            m_ret = plain(m.returned)
            m_ret = () if m_ret is None else (m_ret if isinstance(m_ret, tuple) else (m_ret,))
            if m_ret != tuple(e.returned):
                diffs.append(value_difference("return", "returned", m_ret, tuple(e.returned)))
            if m_events != e_events:
                diffs.append(Difference("events", "events", str(m_events), str(e_events),
                                        text=f"events:\n    model {m_events}\n    evm   {e_events}"))
        if diffs:
            self.fail(step, diffs, "ok" if m.ok else f"reverted {m.error}", "ok" if e.ok else f"reverted {e.error}")

    # -- state comparison -------------------------------------------------------------------------
    def view_pairs(self) -> list[tuple[str, int, str, tuple]]:
        """(label, address, function, args) of every view compared after a step."""
        tok, und = self.env.token.address, self.env.token.underlying.address
        fwd = self.env.fw.addresses["gdaV1Forwarder"]
        gda = self.env.fw.addresses["gda"]
        accounts = ACTORS + self.pools
        out = [("totalSupply", tok, "totalSupply", ())]
        if self.views == "light":
            for a in accounts:
                out += [("rtb", tok, "realtimeBalanceOfNow", (a,)), ("netFlow", fwd, "getNetFlow", (tok, a))]
            for p in self.pools:
                out += [(fn, p, fn, ()) for fn in ("getTotalUnits", "getTotalDisconnectedUnits", "getTotalFlowRate")]
                out.append(("adjustment", fwd, "getPoolAdjustmentFlowInfo", (p,)))
                for mbr in MEMBERS:
                    out += [("units", p, "getUnits", (mbr,)), ("claimableNow", p, "getClaimableNow", (mbr,))]
                out += [("flow", gda, "getFlow", (tok, d, p)) for d in (ADMINS[0], DISTRIBUTORS[0])]
            return out
        for a in accounts:
            out += [("rtb", tok, "realtimeBalanceOfNow", (a,)), ("balanceOf", tok, "balanceOf", (a,)),
                    ("underlying", und, "balanceOf", (a,)), ("netFlow", fwd, "getNetFlow", (tok, a)),
                    ("accountFlowInfo", gda, "getAccountFlowInfo", (tok, a))]
        for p in self.pools:
            for fn in ("getTotalUnits", "getTotalConnectedUnits", "getTotalDisconnectedUnits", "getTotalFlowRate",
                       "getTotalConnectedFlowRate", "getTotalDisconnectedFlowRate"):
                out.append((fn, p, fn, ()))
            out.append(("adjustment", fwd, "getPoolAdjustmentFlowInfo", (p,)))
            out.append(("adjustmentRate", fwd, "getPoolAdjustmentFlowRate", (p,)))
            for mbr in MEMBERS + DISTRIBUTORS[:1] + ADMINS[:1]:
                out += [("units", p, "getUnits", (mbr,)), ("memberRate", p, "getMemberFlowRate", (mbr,)),
                        ("claimableNow", p, "getClaimableNow", (mbr,)), ("connected", fwd, "isMemberConnected", (p, mbr))]
            for d in DISTRIBUTORS + ADMINS:
                out += [("flow", gda, "getFlow", (tok, d, p)),
                        ("flowRate", fwd, "getFlowDistributionFlowRate", (tok, d, p)),
                        ("estimateFlow", fwd, "estimateFlowDistributionActualFlowRate", (tok, d, p, 10**12 + 7)),
                        ("estimateAmount", fwd, "estimateDistributionActualAmount", (tok, d, p, 10**15 + 3))]
        return out

    def evm_contract(self, addr: int) -> Any:
        if addr == self.env.fw.addresses["gda"]:
            return self.gda
        if addr in self.pools:
            return sf.pool_at(self.env.fw, addr)
        for c in self.targets.values():
            if c.address == addr:
                return c
        raise KeyError(hex(addr))

    def model_view(self, addr: int, fn: str, args: tuple) -> Any:
        c = self.world.at(Address(addr))
        method = getattr(c, fn)
        import inspect
        from typing import get_type_hints
        hints = get_type_hints(method)
        params = [p for p in inspect.signature(method).parameters if p not in ("self", "msg")]
        margs = tuple(hints[p](a) if hints[p] is not Address else Address(a) for p, a in zip(params, args))
        out = self.world.view(addr, fn, *margs, clone=False)
        if not out.ok:
            return ("revert", out.error.abi_name(), plain(out.error.args()))
        r = plain(out.returned)
        return r if isinstance(r, tuple) else (r,)

    def compare_state(self, step: dict) -> None:
        diffs = []
        for label, addr, fn, args in self.view_pairs():
            mv = self.model_view(addr, fn, args)
            e = self.evm_contract(addr).view(fn, *args)
            ev = tuple(e.returned) if e.ok else ("revert", e.error.name, tuple(e.error.args))
            if mv != ev:
                diffs.append(value_difference(
                    "external", f"{label} {fn}{tuple(hex(a) if isinstance(a, int) and a > 2**40 else a for a in args)}",
                    mv, ev))
        if diffs:
            self.fail(step, diffs)


# ---------------------------------------------------------------------------------------------
# The state machine
# ---------------------------------------------------------------------------------------------

amounts = st.one_of(st.sampled_from([0, 1, 3, 10**6, 10**15 + 3, E18, 10**21, 10**24, 2**255, 2**256 - 1]),
                    st.integers(0, 10**22))
rates = st.one_of(st.sampled_from([0, 1, 3, 7, 1000, 10**9 + 1, 10**12 + 7, 10**15, 10**18, -1, I96_MAX, -I96_MAX - 1]),
                  st.integers(0, 10**16))
units = st.one_of(st.sampled_from([0, 1, 2, 3, 7, 100, 10**6, 2**64, 2**96, 2**127, U128_MAX]), st.integers(0, 1000))
seconds = st.one_of(st.sampled_from([0, 1, 59, 3600, 86_400]), st.integers(0, 20_000))
actors = st.sampled_from(ACTORS)
members = st.sampled_from(MEMBERS + [DISTRIBUTORS[0], ADMINS[0]])
senders = st.sampled_from(ADMINS + DISTRIBUTORS + MEMBERS[:1])


class GdaMachine(RuleBasedStateMachine):
    """Configured by `configure()` before a run."""

    engine_name: ClassVar[str] = "pyrevm"
    views: ClassVar[str] = "full"
    classes: ClassVar[dict[str, type]] = {}
    last_log: ClassVar[list[dict]] = []
    steps_run: ClassVar[int] = 0
    sequences: ClassVar[int] = 0
    all_logs: ClassVar[list[list[dict]]] = []
    calls: ClassVar[dict[str, int]] = {}
    reverts: ClassVar[dict[str, int]] = {}

    @classmethod
    def configure(cls, engine_name: str, classes: dict[str, type] | None = None, views: str = "full") -> None:
        cls.engine_name, cls.classes, cls.views = engine_name, dict(classes or {}), views
        cls.last_log, cls.steps_run, cls.sequences, cls.all_logs, cls.calls, cls.reverts = [], 0, 0, [], {}, {}

    def __init__(self) -> None:
        super().__init__()
        self.diff = GdaDifferential(env(self.engine_name), self.classes, views=self.views)
        self.log: list[dict] = []
        type(self).last_log = self.log
        type(self).all_logs.append(self.log)
        type(self).sequences += 1

    def do(self, step: dict) -> Any:
        self.log.append(step)
        type(self).steps_run += 1
        try:
            return self.diff.step(step)
        finally:
            for k, v in self.diff.calls.items():
                type(self).calls[k] = type(self).calls.get(k, 0) + v
            for k, v in self.diff.reverts.items():
                type(self).reverts[k] = type(self).reverts.get(k, 0) + v
            self.diff.calls, self.diff.reverts = {}, {}

    def call(self, to: str, fn: str, sender: int, *args: Any) -> Any:
        return self.do({"op": "call", "to": to, "fn": fn, "sender": sender, "args": list(args)})

    @property
    def tok(self) -> int:
        return self.diff.env.token.address

    def pool(self, i: int) -> str:
        return f"pool{i % len(self.diff.pools)}"

    def fund(self, who: int, amount: int) -> None:
        self.call("underlying", "mint", who, who, amount)
        self.call("underlying", "approve", who, self.tok, amount)
        self.call("token", "upgrade", who, amount)

    @initialize(any_address=st.booleans(), funds=st.lists(st.sampled_from([10**24, 10**20, 10**16, 0]), min_size=3, max_size=3),
                member_units=st.lists(st.sampled_from([1, 3, 2, 7, 0, 10**6]), min_size=2, max_size=2),
                connect=st.sampled_from([True, False]), rate=st.sampled_from([10**12 + 7, 1003, 0, 10**9]))
    def setup(self, any_address: bool, funds: list[int], member_units: list[int], connect: bool, rate: int) -> None:
        """A pool of admin 0 with two members and a flow from the admin already running (so that unit
        changes meet flows), distributors with funds that are sometimes too small."""
        for who, amount in zip([ADMINS[0]] + DISTRIBUTORS, funds):
            if amount:
                self.fund(who, amount)
        self.call("forwarder", "createPool", ADMINS[0], self.tok, ADMINS[0], [False, any_address])
        pool = self.diff.address_of("pool0")
        for member, n in zip(MEMBERS, member_units):
            self.call("forwarder", "updateMemberUnits", ADMINS[0], pool, member, n, "0x")
        if connect:
            self.call("forwarder", "connectPool", MEMBERS[0], pool, "0x")
        if rate:
            self.call("forwarder", "distributeFlow", ADMINS[0], self.tok, ADMINS[0], pool, rate, "0x")

    @rule(who=actors, amount=amounts)
    def fund_rule(self, who: int, amount: int) -> None:
        self.fund(who, amount % 2**200)

    @rule(who=actors, amount=amounts, approve=st.booleans())
    def upgrade(self, who: int, amount: int, approve: bool) -> None:
        if approve:
            self.call("underlying", "approve", who, self.tok, amount)
        self.call("token", "upgrade", who, amount)

    @rule(who=actors, amount=amounts)
    def downgrade(self, who: int, amount: int) -> None:
        self.call("token", "downgrade", who, amount)

    @rule(who=actors, to=st.sampled_from(ACTORS + [0]), amount=amounts, pool_target=st.booleans())
    def transfer(self, who: int, to: int, amount: int, pool_target: bool) -> None:
        if pool_target and self.diff.pools:
            to = self.diff.pools[0]
        self.call("token", "transfer", who, to, amount)

    @rule(owner=actors, spender=actors, amount=amounts, allowance=amounts)
    def transfer_from(self, owner: int, spender: int, amount: int, allowance: int) -> None:
        self.call("token", "approve", owner, spender, allowance)
        self.call("token", "transferFrom", spender, owner, MEMBERS[0], amount)

    @precondition(lambda self: len(self.diff.pools) < 2)
    @rule(admin=st.sampled_from(ADMINS + [0]), any_address=st.booleans())
    def create_pool(self, admin: int, any_address: bool) -> None:
        self.call("forwarder", "createPool", ADMINS[1], self.tok, admin, [False, any_address])

    @precondition(lambda self: self.diff.pools)
    @rule(i=st.integers(0, 1), member=members, n=units, by_admin=st.sampled_from([True, True, True, False]),
          direct=st.booleans())
    def update_units(self, i: int, member: int, n: int, by_admin: bool, direct: bool) -> None:
        pool = self.pool(i)
        admin = self.diff.world.at(Address(self.diff.address_of(pool))).admin_.v
        sender = admin if by_admin else MEMBERS[1]
        if direct:
            self.call(pool, "updateMemberUnits", sender, member, n)
        else:
            self.call("forwarder", "updateMemberUnits", sender, self.diff.address_of(pool), member, n, "0x")

    @precondition(lambda self: self.diff.pools)
    @rule(i=st.integers(0, 1), member=members, connect=st.sampled_from([True, True, False]))
    def connection(self, i: int, member: int, connect: bool) -> None:
        self.call("forwarder", "connectPool" if connect else "disconnectPool", member,
                  self.diff.address_of(self.pool(i)), "0x")

    @precondition(lambda self: self.diff.pools)
    @rule(i=st.integers(0, 1), sender=senders, amount=amounts, for_other=st.sampled_from([False] * 5 + [True]))
    def distribute(self, i: int, sender: int, amount: int, for_other: bool) -> None:
        frm = DISTRIBUTORS[1] if for_other else sender
        self.call("forwarder", "distribute", sender, self.tok, frm, self.diff.address_of(self.pool(i)), amount, "0x")

    @precondition(lambda self: self.diff.pools)
    @rule(i=st.integers(0, 1), sender=senders, rate=rates)
    def distribute_flow(self, i: int, sender: int, rate: int) -> None:
        self.call("forwarder", "distributeFlow", sender, self.tok, sender, self.diff.address_of(self.pool(i)), rate, "0x")

    @precondition(lambda self: self.diff.pools)
    @rule(i=st.integers(0, 1), sender=senders, other=st.sampled_from(DISTRIBUTORS + ADMINS), rate=st.sampled_from([0, 0, 5]))
    def distribute_flow_for_other(self, i: int, sender: int, other: int, rate: int) -> None:
        """Stopping (or starting) someone else's flow: only when the model says they are solvent
        (liquidation is not modelled)."""
        tok = self.diff.world.at(Address(self.tok))
        if other != sender and tok.available_now(Address(other)) < 0:
            return
        self.call("forwarder", "distributeFlow", sender, self.tok, other, self.diff.address_of(self.pool(i)), rate, "0x")

    @precondition(lambda self: self.diff.pools)
    @rule(i=st.integers(0, 1), member=members, how=st.sampled_from(["forwarder", "pool", "self"]))
    def claim_all(self, i: int, member: int, how: str) -> None:
        pool = self.pool(i)
        if how == "forwarder":
            self.call("forwarder", "claimAll", DISTRIBUTORS[0], self.diff.address_of(pool), member, "0x")
        elif how == "pool":
            self.call(pool, "claimAll", MEMBERS[2], member)
        else:
            self.call(pool, "claimAll", member)

    @rule(s=seconds)
    def advance(self, s: int) -> None:
        self.do({"op": "advance", "seconds": s})


# ClaimAll() without arguments for "self": the ARG_TYPES entry has one parameter, which zip() drops.


@dataclass
class GdaFuzzResult:
    status: str  # PASSED | VIOLATED | ERROR
    engine: str
    sequences: int
    steps: int
    seconds: float
    message: str = ""
    differences: list[Difference] = field(default_factory=list)  # the mismatch's records, when VIOLATED
    shrunk_steps: list[dict] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    reverts: dict[str, int] = field(default_factory=dict)


def run_gda_fuzz(engine_name: str = "pyrevm", *, max_examples: int = 20, step_count: int = 30,
                 profile_name: str = "ci", classes: dict[str, type] | None = None,
                 shrink_seconds: int = 30, views: str | None = None) -> GdaFuzzResult:
    """Run the machine; `views` defaults to "full" on pyrevm and "light" on py-evm (~200x slower)."""
    GdaMachine.configure(engine_name, classes, views or ("full" if engine_name == "pyrevm" else "light"))
    s = profile(profile_name, max_examples=max_examples, stateful_step_count=step_count)
    t0 = time.perf_counter()
    res = GdaFuzzResult("PASSED", engine_name, 0, 0, 0.0)
    try:
        with shrink_budget(shrink_seconds), no_local_constants():
            run_state_machine_as_test(GdaMachine, settings=s)
    except Mismatch as m:
        res.status, res.message, res.differences = "VIOLATED", m.render(), list(m.differences)
        res.shrunk_steps = list(GdaMachine.last_log)
    except Exception as e:  # model or engine failure: a tool error, never a pass
        res.status, res.message = "ERROR", f"{type(e).__name__}: {e}"
        res.shrunk_steps = list(GdaMachine.last_log)
    res.seconds = time.perf_counter() - t0
    res.sequences, res.steps = GdaMachine.sequences, GdaMachine.steps_run
    res.calls, res.reverts = dict(GdaMachine.calls), dict(GdaMachine.reverts)
    return res


def replay_gda(steps: list[dict], engine_name: str = "pyrevm", classes: dict[str, type] | None = None) -> GdaDifferential:
    """Run recorded steps on a fresh differential (raises Mismatch on a difference)."""
    diff = GdaDifferential(env(engine_name), dict(classes or {}))
    for step in steps:
        diff.step(step)
    return diff
