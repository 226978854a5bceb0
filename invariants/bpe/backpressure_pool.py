"""Invariants of BackpressurePool and the pools' money (BPE-REBAL, BPE-FLOW), PROTOCOL.md sections 6 and 8.

These are evaluated on every state by the fuzzer (model and EVM; the Superfluid state is the model's,
which the system fuzzer compares with the real framework through its views).

BPE-REBAL-001, BPE-REBAL-002 and BPE-REBAL-004 (and BPE-FLOW-003, stated in PROTOCOL.md section 6) are
proved by invariants/bpe/rebalance.py (`prove_rebalance`), not by the generic Prover: rebalance and
needsRebalance loop over up to 32 members and sinks with a GDA call per sink at a symbolic pool address
(2^64 paths for the kernel's path-by-path exploration), so they are proved per element by induction
over the model's loop bodies (`_clearMember`, `_setMember`, `_sinkOff`), under assume-guarantee stubs
of the pool. They keep `proof="concrete"` on purpose: a Prover whose system contains BackpressurePool
(invariants/bpe/assume_guarantee.py's EscrowBuffer prover) takes every `proof="inductive"` invariant of its
contracts as hypothesis and goal, and these predicates read the pool model at `pools[t]`, which is a
symbolic address there.

BPE-FLOW-001 is proved by invariants/bpe/flow.py over the Superfluid models run symbolically (ids
`BPE-FLOW-001/<Contract.fn>`, strengthened; for pools whose admin is not the pool itself, which every
pool BackpressurePool creates is), and BPE-FLOW-002 (`BPE-FLOW-002/realtime-sum`, derived from the
inductive parts BPE-FLOW-002.settled, .gda, .pools and .settled-at); both keep `proof="concrete"` for the
same reason.

The rounding bound between rebalances (PROTOCOL.md section 6): when needsRebalance(t) is false, every
registered sink's units satisfy units * UNIT_SCALE * 10000 <= effective * 10000 + threshold * snapshot,
i.e. units overstate the effective capacity by at most threshold/10000 of the snapshot (plus nothing:
units = floor(snapshot / UNIT_SCALE) rounds down).
"""

from __future__ import annotations

from specs.bpe.backpressure_pool import BPS, UNIT_SCALE
from specs.kernel import U256, Address, Bytes32, Msg
from invariants.registry import Call, invariant, step_invariant

MAX_MEMBERS = 32  # = CapacityRegistry.MAX_SINKS_PER_TASK_TYPE (BPE-REBAL-003)
_ANY = Msg(Address(0))


def _pool(s, taskTypeId):  # type: ignore[no-untyped-def]
    """The task type's GDA pool model, or None."""
    p = s.backpressure_pool.pools[taskTypeId].v
    return s.world.contracts.get(p) if p else None


def _super_token(s):  # type: ignore[no-untyped-def]
    return s.world.contracts[s.address_of("SuperToken")]


def _sf_pools(s):  # type: ignore[no-untyped-def]
    """Every SuperfluidPool of the world, as (address, model)."""
    from specs.bpe.superfluid import SuperfluidPool

    return [(a, c) for a, c in sorted(s.world.contracts.items()) if isinstance(c, SuperfluidPool)]


def _pool_members(c):  # type: ignore[no-untyped-def]
    """Every address with an entry in a pool's member mappings."""
    return sorted({k[0] for m in (c.mUnits, c.mSyncedAt, c.mSyncedRate, c.mSyncedValue, c.mSettledValue,
                                  c.mClaimedValue) for k, _v in m.items()})


# -- GDA semantic money on the raw storage fields: Superfluid's SemanticMoney.sol restated here, so that the
# GDA model's own helpers cannot change what BPE-FLOW-002.gda checks. Evaluated on concrete states only, in
# exact integers: values are the signed ints of the int96 / int256 fields, units the uint128 fields.
INT128_MAX = (1 << 127) - 1  # semantic-money units are int128: a uint128 count above it has no value


def _particle_rtb(flow_rate: int, settled_at: int, settled_value: int, t: int) -> int | None:
    """A particle's realtime balance at t (a universal index, or a pool's per-unit wrapped index):
    flow_rate * (t - settled_at) + settled_value. None when t is before settled_at: the elapsed time is a
    checked uint32 there, so that balance does not exist."""
    if t < settled_at:
        return None
    return flow_rate * (t - settled_at) + settled_value


def _member_rtb(settled_value: int, synced_value: int, units: int, per_unit_rtb: int) -> int:
    """A pool member's realtime value: its settled value plus what each of its units earned since it last
    synced with the pool's per-unit index, settled_value + (per_unit_rtb - synced_value) * units (the synced
    copy of the index is read at its own settledAt, where its balance is its settled value)."""
    return settled_value + (per_unit_rtb - synced_value) * units


@invariant(
    "BPE-REBAL-004", contract="BackpressurePool", proof="concrete", proved_by="rebalance",
    statement="Invariant: for every task type with a pool, the pool's total units equal the sum of the units "
              "of the members of the last rebalance (at most 32 of them); nobody else holds units.",
    why="Only the BackpressurePool sets units, and only for members (PROTOCOL.md section 6); the GDA pays "
        "per unit of the total, so units outside the member list would be paid for no capacity.",
    exploit="A sink that left keeps units (and a share of every stream) it no longer backs with capacity.",
)
def total_units_are_members_units(s, taskTypeId: Bytes32):  # type: ignore[no-untyped-def]
    pool = _pool(s, taskTypeId)
    if pool is None:
        return True
    bp = s.backpressure_pool
    count = bp.memberCount[taskTypeId].v
    if count > MAX_MEMBERS:
        return False
    members = [bp.memberAt[taskTypeId][U256(i)] for i in range(count)]
    return pool.getTotalUnits(_ANY).v == sum(pool.getUnits(_ANY, m).v for m in members)


@invariant(
    "BPE-REBAL-002", contract="BackpressurePool", proof="concrete", proved_by="rebalance",
    statement="Invariant: a sink's units are floor(snapshot / UNIT_SCALE) of its last rebalance, and while "
              "needsRebalance is false every registered sink's units overstate its effective capacity by at "
              "most rebalanceThresholdBps/10000 of the snapshot: units*UNIT_SCALE*10000 <= "
              "effective*10000 + threshold*snapshot.",
    why="needsRebalance is the keeper's signal (PROTOCOL.md section 6); when it says no, the pool's split "
        "must still be within the stated bound of the sinks' current capacities.",
    exploit="A sink slashed or unstaked keeps being paid for capacity it lost while the keeper is told no "
            "rebalance is needed.",
)
def units_within_threshold(s, taskTypeId: Bytes32, sink: Address):  # type: ignore[no-untyped-def]
    pool = _pool(s, taskTypeId)
    if pool is None:
        return True
    bp, reg = s.backpressure_pool, s.registry
    units = pool.getUnits(_ANY, sink).v
    snapshot = bp.snapshotOf[taskTypeId][sink].v
    if units != snapshot // UNIT_SCALE.v:
        return False
    if reg._sinkIndex[taskTypeId][sink].v == 0 or bp.needsRebalance(_ANY, taskTypeId).v:
        return True
    effective = reg.getSmoothedCapacity(_ANY, taskTypeId, sink).v
    return units * UNIT_SCALE.v * BPS.v <= effective * BPS.v + bp.rebalanceThresholdBps.v * snapshot


@step_invariant(
    "BPE-REBAL-001", contract="BackpressurePool", proof="concrete", proved_by="rebalance",
    statement="Invariant: after rebalance(t), every registered sink has units = floor(effective / UNIT_SCALE) "
              "(proportional to its effective capacity, rounded down by less than one unit) and snapshot = "
              "effective, every other address has 0 units, and needsRebalance(t) is false.",
    why="Units are the routing weights (PROTOCOL.md section 6): a rebalance must make them exactly the "
        "current capacities, or payment follows stale or foreign weights.",
    exploit="A rebalance that skips a sink, keeps a departed sink's units or rounds up pays sinks for "
            "capacity they do not have.",
)
def rebalance_sets_units(pre, post, call: Call, sink: Address):  # type: ignore[no-untyped-def]
    if not call.is_("BackpressurePool", "rebalance"):
        return True
    t = call.args["taskTypeId"]
    pool = _pool(post, t)
    units = pool.getUnits(_ANY, sink).v
    if post.registry._sinkIndex[t][sink].v == 0:
        return units == 0
    effective = post.registry.getSmoothedCapacity(_ANY, t, sink).v
    return units == effective // UNIT_SCALE.v and post.backpressure_pool.snapshotOf[t][sink].v == effective \
        and not post.backpressure_pool.needsRebalance(_ANY, t).v


@invariant(
    "BPE-FLOW-001", contract="BackpressurePool", proof="concrete", proved_by="flow",
    depends_on=("LEMMA-FLOW-001", "LEMMA-FLOW-003"),
    statement="Invariant: in every pool, the member flow rates (per-unit rate * total units) plus the "
              "adjustment flow to the pool admin equal the sum of the distributors' actual flow rates into it.",
    why="Streams are split by units (PROTOCOL.md sections 6 and 8); whatever the units cannot carry must go "
        "to the adjustment flow, never vanish or be created.",
    exploit="A units change that drops the rounding remainder (or over-distributes) makes the pool pay out "
            "more than it receives (insolvency) or silently keeps sources' money.",
)
def flow_conserved(s, taskTypeId: Bytes32):  # type: ignore[no-untyped-def]
    pool = _pool(s, taskTypeId)
    if pool is None:
        return True
    tok = _super_token(s)
    p = s.backpressure_pool.pools[taskTypeId].v
    inflow = sum(v for (_frm, to), v in tok.flowRate.items() if to == p)
    return inflow == pool.getTotalFlowRate(_ANY).v + tok.adjFlowRate[Address(p)].v


@invariant(
    "BPE-FLOW-002", contract="EscrowBuffer", proof="concrete", proved_by="flow",
    depends_on=("ERC20-SUPPLY-001", "LEMMA-FLOW-001", "LEMMA-FLOW-003", "LEMMA-FLOW-004", "LEMMA-FLOW-005",
                "LEMMA-FLOW-006", "LEMMA-FLOW-007"),
    statement="Invariant: no call creates or destroys payment tokens: the realtime balances (available plus "
              "deposit) of every SuperToken holder - sources, sinks, buffers, pipelines, pools and their "
              "admin - add up to the SuperToken's total supply, which only upgrade and downgrade change.",
    why="Buffers, pools and streams only move money (PROTOCOL.md section 8); the stake token's side is "
        "ERC20-SUPPLY-001 (proved).",
    exploit="A drain or a units change that credits more than it debits mints payment tokens out of thin "
            "air for whoever receives them.",
)
def payment_money_conserved(s):  # type: ignore[no-untyped-def]
    tok = _super_token(s)
    accounts = {k[0] for m in (tok._sharedSettledBalance, tok.uSettledAt, tok.uSettledValue, tok.uFlowRate)
                for k, _ in m.items()}
    accounts |= set(s.addrs.values())
    # every pool the suite created holds money too (disconnected members' share), whether or not the
    # token has a settled entry for it yet
    accounts |= {p for _k, p in s.backpressure_pool.pools.items()}
    # and every pool member: a connected member's balance grows with the pool's flow before the token has
    # any settled entry for it
    for _a, c in _sf_pools(s):
        accounts |= set(_pool_members(c))
    now = U256(s.world.block.timestamp)
    total = 0
    for a in accounts:
        available, deposit, _owed = tok.realtimeBalanceOf(_ANY, Address(a), now)
        total += available.v + deposit.v
    return total == tok._totalSupply.v


# -- the inductive parts of BPE-FLOW-002 (proved in invariants/bpe/flow.py; evaluated here by the fuzzer) --------

@invariant(
    "BPE-FLOW-002.settled", contract="EscrowBuffer", proof="concrete", proved_by="flow", strengthening=True,
    statement="Invariant: the SuperToken's settled balances sum to its totalSupply (changed only by "
              "upgrade/downgrade).",
    why="The ERC20 part of every holder's balance; with BPE-FLOW-002.gda and .pools it gives BPE-FLOW-002 "
        "(PROTOCOL.md section 6).",
    exploit="A transfer or downgrade that credits more than it debits mints SuperTokens backed by no "
            "underlying.",
)
def settled_balances_sum_to_supply(s):  # type: ignore[no-untyped-def]
    tok = _super_token(s)
    return sum(v for _k, v in tok._sharedSettledBalance.items()) == tok._totalSupply.v


@invariant(
    "BPE-FLOW-002.gda", contract="EscrowBuffer", proof="concrete", proved_by="flow", strengthening=True,
    depends_on=("LEMMA-FLOW-001", "LEMMA-FLOW-003", "LEMMA-FLOW-004", "LEMMA-FLOW-005", "LEMMA-FLOW-006",
                "LEMMA-FLOW-007"),
    statement="Invariant: GDA semantic money is zero-sum (strengthening of BPE-FLOW-002): the universal "
              "indexes plus every pool's members' value add up to 0 at every time (rates and values), and a "
              "pool's total units are its members' units.",
    why="Streams and distributions only move value between universal indexes and pool members; the sum "
        "staying 0 is what makes the realtime balances add up (PROTOCOL.md section 6).",
    exploit="A distribution that credits members more than the distributor pays (or a units change that "
            "drops its remainder) creates streamed money.",
)
def gda_money_zero_sum(s):  # type: ignore[no-untyped-def]
    tok = _super_token(s)
    t = s.world.block.timestamp
    accounts = {k[0] for m in (tok.uFlowRate, tok.uSettledAt, tok.uSettledValue) for k, _v in m.items()}
    total = 0
    for a in accounts:
        u = Address(a)
        rtb = _particle_rtb(tok.uFlowRate[u].v, tok.uSettledAt[u].v, tok.uSettledValue[u].v, t)
        if rtb is None:
            return False
        total += rtb
    for _a, c in _sf_pools(s):
        members = _pool_members(c)
        units = {m: c.mUnits[Address(m)].v for m in members}
        # units are nonnegative: total units within int128 puts every member's there too
        if sum(units.values()) != c.totalUnits.v or c.totalUnits.v > INT128_MAX:
            return False
        per_unit = _particle_rtb(c.wrappedFlowRate.v, c.wrappedSettledAt.v, c.wrappedSettledValue.v, t)
        if per_unit is None:
            return False
        for m in members:
            total += _member_rtb(c.mSettledValue[Address(m)].v, c.mSyncedValue[Address(m)].v, units[m], per_unit)
    return total == 0


@invariant(
    "BPE-FLOW-002.pools", contract="EscrowBuffer", proof="concrete", proved_by="flow", strengthening=True,
    statement="Invariant: every pool's books balance (strengthening of BPE-FLOW-002): the disconnected "
              "pseudo-member carries exactly the disconnected members' units and unclaimed value, and the "
              "pool's own universal index has no flow rate and holds minus the members' claims.",
    why="A pool's balance is its disconnected members' unclaimed value and its own universal index is in "
        "no balance: these books are what makes the realtime balances add up (PROTOCOL.md section 6).",
    exploit="A claim that the disconnected pseudo-member keeps (or a units change it misses) lets the pool's "
            "balance count money a member has already claimed: paid twice.",
)
def pool_books_balance(s):  # type: ignore[no-untyped-def]
    tok = _super_token(s)
    for a, c in _sf_pools(s):
        pool = Address(a)
        du = dv = cl = 0
        for m in _pool_members(c):
            mm = Address(m)
            units, claimed = c.mUnits[mm].v, c.mClaimedValue[mm].v
            cl += claimed
            if not tok.connected[mm][pool].v:
                du += units
                dv += c.mSettledValue[mm].v - c.mSyncedValue[mm].v * units - claimed
        if (c.dUnits.v != du or c.dSettledValue.v - c.dSyncedValue.v * c.dUnits.v != dv
                or tok.uFlowRate[pool].v != 0 or tok.uSettledValue[pool].v + cl != 0):
            return False
    return True
