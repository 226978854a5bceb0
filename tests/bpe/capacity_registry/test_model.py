"""PROTOCOL.md sections 4, 5, 7 and 10 as specs/bpe/capacity_registry.py implements them."""

import pytest
import z3

from harness.fuzz.bpe.capacity_registry import build
from specs.bpe import capacity_registry as cr
from specs.kernel import U256, Address, Bool, Bytes32, Explorer, Msg, Revert, is_sym
from specs.bpe.system import GOVERNANCE

E18 = 10**18
A, B, C, STRANGER, SLASHER = 0xA1, 0xB2, 0xC3, 0xD4, 0xE5
TT, OTHER_TT, UNKNOWN = Bytes32(0x7171), Bytes32(0x7272), Bytes32(0xDEAD)
NONCE = Bytes32(0x5E)


class S:
    """The three-contract system with a few helpers."""

    def __init__(self):
        self.s = build()
        self.w = self.s.world
        self.tok, self.sm, self.reg = (self.s.addrs[n] for n in ("TestToken", "StakeManager", "CapacityRegistry"))

    @property
    def r(self) -> cr.CapacityRegistry:  # transact swaps in the post-state: look it up every time
        return self.w.contracts[self.reg]

    def call(self, fn, sender, *args, to=None):
        return self.w.transact(self.reg if to is None else to, fn, Msg(Address(sender)), *args)

    def ok(self, fn, sender, *args, to=None):
        out = self.call(fn, sender, *args, to=to)
        assert out.ok, out.error
        return out

    def err(self, fn, sender, *args, to=None):
        out = self.call(fn, sender, *args, to=to)
        assert not out.ok
        return out.error

    def view(self, fn, *args, to=None):
        out = self.w.view(self.reg if to is None else to, fn, *args)
        assert out.ok
        return out.returned

    def stake(self, who, amount):
        self.ok("mint", who, Address(who), U256(amount), to=self.tok)
        self.ok("approve", who, Address(self.sm), U256(amount), to=self.tok)
        self.ok("stake", who, U256(amount), to=self.sm)

    def join(self, who, amount=400 * E18, tt=TT):
        self.stake(who, amount)
        self.ok("registerSink", who, tt)

    def hash(self, who, capacity, nonce=NONCE, tt=TT):
        return self.view("commitHashOf", Address(who), tt, U256(capacity), nonce)

    def commit(self, who, capacity, nonce=NONCE, tt=TT):
        return self.ok("commitCapacity", who, tt, self.hash(who, capacity, nonce, tt))

    def reveal(self, who, capacity, nonce=NONCE, tt=TT):
        return self.call("revealCapacity", who, tt, U256(capacity), nonce)

    def advance(self, n):
        self.w.block.number += n

    def round(self, who, capacity, tt=TT):
        self.commit(who, capacity, tt=tt)
        self.advance(1)
        out = self.reveal(who, capacity, tt=tt)
        assert out.ok, out.error
        return out.events[0].event


@pytest.fixture
def s():
    s = S()
    s.ok("registerTaskType", GOVERNANCE, TT)
    return s


# -- constructor and governance -------------------------------------------------------------------

def test_constructor_rejects_zero_addresses():
    for args in ((Address(0), Address(GOVERNANCE)), (Address(1), Address(0))):
        with pytest.raises(Revert) as e:
            cr.CapacityRegistry.construct(*args)
        assert e.value.error == cr.ZeroAddress()


def test_deployment_state_alpha_3000_and_constants():
    s = S()
    assert s.view("ewmaAlphaBps").v == 3000
    assert (s.view("COMMIT_TIMEOUT").v, s.view("UNIT_SCALE").v, s.view("MAX_SINKS_PER_TASK_TYPE").v,
            s.view("MIN_SINK_STAKE").v) == (20, E18, 32, 100 * E18)
    assert s.r.stakeManager.v == s.sm and s.r.governance.v == GOVERNANCE


def test_register_task_type_only_governance_nonzero_and_new(s):
    assert s.err("registerTaskType", STRANGER, OTHER_TT) == cr.NotGovernance(Address(STRANGER))
    assert s.err("registerTaskType", GOVERNANCE, Bytes32(0)) == cr.ZeroTaskType()
    assert s.err("registerTaskType", GOVERNANCE, TT) == cr.TaskTypeExists()
    out = s.ok("registerTaskType", GOVERNANCE, OTHER_TT)
    assert [e.event for e in out.events] == [cr.TaskTypeRegistered(OTHER_TT)]
    assert s.view("isTaskType", OTHER_TT).v is True and s.view("isTaskType", UNKNOWN).v is False


def test_set_ewma_alpha_accepts_1_to_10000_only_from_governance(s):
    assert s.err("setEwmaAlpha", STRANGER, U256(5000)) == cr.NotGovernance(Address(STRANGER))
    for bad in (0, 10_001, U256.MAX):
        assert s.err("setEwmaAlpha", GOVERNANCE, U256(bad)) == cr.InvalidAlpha()
    for good in (1, 10_000):
        out = s.ok("setEwmaAlpha", GOVERNANCE, U256(good))
        assert [e.event for e in out.events] == [cr.EwmaAlphaSet(U256(good))]
        assert s.view("ewmaAlphaBps").v == good


# -- registration -------------------------------------------------------------------------------------

def test_register_sink_checks_in_documented_order(s):
    # unknown task type is reported before the (missing) stake
    assert s.err("registerSink", A, UNKNOWN) == cr.UnknownTaskType()
    assert s.err("registerSink", A, TT) == cr.BelowMinStake(U256(0), U256(100 * E18))
    s.join(A)
    assert s.err("registerSink", A, TT) == cr.AlreadyRegistered()


def test_register_sink_appends_to_the_list_and_bumps_the_version(s):
    s.stake(A, 100 * E18)  # exactly the minimum suffices
    out = s.ok("registerSink", A, TT)
    assert [e.event for e in out.events] == [cr.SinkRegistered(TT, Address(A))]
    s.join(B)
    assert s.view("sinkCount", TT).v == 2 and s.view("sinkSetVersion", TT).v == 2
    assert [s.view("sinkAt", TT, U256(i)).v for i in range(3)] == [A, B, 0]
    assert s.view("isSink", TT, Address(B)).v is True and s.view("isSink", OTHER_TT, Address(B)).v is False


def test_the_33rd_sink_reverts_too_many_sinks(s):
    for i in range(32):
        s.join(0x1000 + i, 100 * E18)
    s.stake(0x2000, 100 * E18)
    assert s.err("registerSink", 0x2000, TT) == cr.TooManySinks()
    s.ok("deregisterSink", 0x1000, TT, Address(0x1000))
    s.ok("registerSink", 0x2000, TT)  # a freed slot is usable again


def test_deregister_requires_registration_then_the_sink_or_an_understaked_sink(s):
    assert s.err("deregisterSink", A, TT, Address(A)) == cr.NotRegistered()
    assert s.err("deregisterSink", A, UNKNOWN, Address(A)) == cr.NotRegistered()
    s.join(A, 150 * E18)
    assert s.err("deregisterSink", STRANGER, TT, Address(A)) == cr.NotSinkOrUnderstaked()
    s.ok("unstake", A, U256(150 * E18), to=s.sm)  # stake now 0, below the minimum
    out = s.ok("deregisterSink", STRANGER, TT, Address(A))
    assert [e.event for e in out.events] == [cr.SinkDeregistered(TT, Address(A))]


def test_deregister_by_the_sink_itself_at_any_stake(s):
    s.join(A, 10_000 * E18)
    s.ok("deregisterSink", A, TT, Address(A))
    assert s.view("isSink", TT, Address(A)).v is False


def test_deregister_swaps_the_last_sink_into_the_gap(s):
    for who in (A, B, C):
        s.join(who)
    s.ok("deregisterSink", A, TT, Address(A))
    assert [s.view("sinkAt", TT, U256(i)).v for i in range(3)] == [C, B, 0]
    assert s.r._sinkIndex[TT][C].v == 1 and s.r._sinkIndex[TT][B].v == 2 and s.r._sinkIndex[TT][A].v == 0
    s.ok("deregisterSink", B, TT, Address(B))  # the last one: no swap
    assert [s.view("sinkAt", TT, U256(i)).v for i in range(2)] == [C, 0]
    assert s.view("sinkCount", TT).v == 1 and s.view("sinkSetVersion", TT).v == 5


def test_deregister_deletes_the_pending_commit_but_keeps_smoothed_and_has_revealed(s):
    s.join(A)
    s.round(A, 8 * E18)
    s.commit(A, 2 * E18)
    s.ok("deregisterSink", A, TT, Address(A))
    assert tuple(x.v for x in s.view("getCommit", TT, Address(A))) == (0, 0)
    assert s.view("smoothedOf", TT, Address(A)).v == 8 * E18 and s.view("hasRevealed", TT, Address(A)).v is True
    s.advance(1)
    assert s.reveal(A, 2 * E18).error == cr.NoCommit()
    # registering again does not skip smoothing: the next reveal is averaged with the old value
    s.ok("registerSink", A, TT)
    ev = s.round(A, 0)
    assert ev.smoothed.v == 8 * E18 * 7000 // 10_000


# -- commit-reveal --------------------------------------------------------------------------------------

def test_commit_requires_registration(s):
    assert s.err("commitCapacity", A, TT, Bytes32(1)) == cr.NotRegistered()
    assert s.err("commitCapacity", A, UNKNOWN, Bytes32(1)) == cr.NotRegistered()


def test_commit_stores_hash_and_block_and_emits(s):
    s.join(A)
    s.advance(4)
    h = s.hash(A, 5)
    out = s.ok("commitCapacity", A, TT, h)
    assert [e.event for e in out.events] == [cr.CapacityCommitted(TT, Address(A), h)]
    assert tuple(x.v for x in s.view("getCommit", TT, Address(A))) == (h.v, 5)


def test_a_second_commit_reverts_while_the_window_is_open_and_replaces_after_expiry(s):
    s.join(A)
    s.commit(A, 1)  # block 1
    assert s.err("commitCapacity", A, TT, Bytes32(2)) == cr.CommitPending(U256(1))
    s.advance(20)  # block 21 = commitBlock + 20: the reveal window is still open
    assert s.err("commitCapacity", A, TT, Bytes32(2)) == cr.CommitPending(U256(1))
    s.advance(1)  # block 22: expired
    s.ok("commitCapacity", A, TT, Bytes32(2))
    assert tuple(x.v for x in s.view("getCommit", TT, Address(A))) == (2, 22)


def test_reveal_without_commit_reverts_no_commit(s):
    s.join(A)
    assert s.reveal(A, 1).error == cr.NoCommit()
    assert s.reveal(STRANGER, 1, tt=UNKNOWN).error == cr.NoCommit()


def test_reveal_in_the_commit_block_reverts_too_early(s):
    s.join(A)
    s.commit(A, 5 * E18)
    assert s.reveal(A, 5 * E18).error == cr.RevealTooEarly()


def test_reveal_window_is_commit_block_plus_1_through_plus_20(s):
    s.join(A)
    s.commit(A, 5 * E18)
    s.advance(20)
    assert s.reveal(A, 5 * E18).ok  # at commitBlock + 20
    s.commit(A, 5 * E18)
    cb = s.w.block.number
    s.advance(21)
    assert s.reveal(A, 5 * E18).error == cr.CommitExpired(U256(cb))
    s.join(B)
    s.commit(B, 1)
    s.advance(1)
    assert s.reveal(B, 1).ok  # at commitBlock + 1


def test_expiry_is_checked_before_the_hash(s):
    s.join(A)
    s.commit(A, 5)
    s.advance(30)
    assert s.reveal(A, 6).error == cr.CommitExpired(U256(1))


def test_reveal_mismatch_on_wrong_capacity_wrong_nonce_or_another_account(s):
    s.join(A)
    s.join(B)
    h = s.hash(A, 5 * E18)
    s.ok("commitCapacity", A, TT, h)
    s.ok("commitCapacity", B, TT, h)  # B copies A's commitment
    s.advance(1)
    assert s.reveal(A, 5 * E18 + 1).error == cr.CommitMismatch()
    assert s.reveal(A, 5 * E18, Bytes32(0)).error == cr.CommitMismatch()
    assert s.reveal(B, 5 * E18).error == cr.CommitMismatch()  # the sink is in the preimage
    assert s.reveal(A, 5 * E18).ok


def test_the_commitment_binds_task_type_chain_and_registry(s):
    base = cr.commit_hash(Address(A), TT, U256(1), NONCE, Address(s.reg))
    assert base.v != cr.commit_hash(Address(A), OTHER_TT, U256(1), NONCE, Address(s.reg)).v
    assert base.v != cr.commit_hash(Address(A), TT, U256(1), NONCE, Address(s.sm)).v
    assert s.hash(A, 1).v == base.v


def test_revealing_twice_reverts_no_commit(s):
    s.join(A)
    s.commit(A, 3)
    s.advance(2)
    assert s.reveal(A, 3).ok
    assert s.reveal(A, 3).error == cr.NoCommit()
    assert tuple(x.v for x in s.view("getCommit", TT, Address(A))) == (0, 0)


# -- clamping and smoothing -------------------------------------------------------------------------------

def test_first_reveal_is_the_clamped_value_and_the_event_carries_the_raw_one(s):
    s.join(A, 100 * E18)  # cap 10 units
    ev = s.round(A, U256.MAX)
    assert ev == cr.CapacityRevealed(TT, Address(A), U256(U256.MAX), U256(10 * E18))
    assert s.view("smoothedOf", TT, Address(A)).v == 10 * E18 and s.view("hasRevealed", TT, Address(A)).v is True


@pytest.mark.parametrize("raw,clamped", [(0, 0), (1, 1), (10 * E18 - 1, 10 * E18 - 1), (10 * E18, 10 * E18),
                                         (10 * E18 + 1, 10 * E18)])
def test_clamp_to_cap_times_unit_scale_at_the_edges(s, raw, clamped):
    s.join(A, 120 * E18)  # cap floor(sqrt(120)) = 10
    assert s.round(A, raw).smoothed.v == clamped


def test_ewma_rounds_down_with_alpha_3000(s):
    s.join(A, 10_000 * E18)  # cap 100 units
    s.round(A, 7)
    ev = s.round(A, 10)
    assert ev.smoothed.v == (3000 * 10 + 7000 * 7) // 10_000 == 7  # 7.9 rounded down
    ev = s.round(A, 0)
    assert ev.smoothed.v == 4  # 4.9 rounded down


def test_ewma_stays_between_old_and_new_in_both_directions(s):
    s.join(A, 10_000 * E18)
    s.round(A, 50 * E18 + 3)
    up = s.round(A, 90 * E18 + 1).smoothed.v
    assert 50 * E18 + 3 <= up <= 90 * E18 + 1
    down = s.round(A, 1).smoothed.v
    assert 1 <= down <= up


def test_alpha_10000_takes_the_new_value_and_alpha_1_barely_moves(s):
    s.join(A, 10_000 * E18)
    s.round(A, 40 * E18)
    s.ok("setEwmaAlpha", GOVERNANCE, U256(10_000))
    assert s.round(A, 3 * E18).smoothed.v == 3 * E18
    s.ok("setEwmaAlpha", GOVERNANCE, U256(1))
    assert s.round(A, 13 * E18).smoothed.v == (13 * E18 + 9999 * 3 * E18) // 10_000


def test_smoothing_is_per_task_type(s):
    s.ok("registerTaskType", GOVERNANCE, OTHER_TT)
    s.join(A, 10_000 * E18)
    s.ok("registerSink", A, OTHER_TT)
    s.round(A, 40 * E18)
    assert s.round(A, 20 * E18, tt=OTHER_TT).smoothed.v == 20 * E18  # a first reveal there


def test_reveal_clamps_to_the_cap_at_reveal_time(s):
    s.join(A, 10_000 * E18)  # cap 100
    s.round(A, 100 * E18)
    s.ok("unstake", A, U256(9_900 * E18), to=s.sm)  # cap 10
    ev = s.round(A, 100 * E18)
    assert ev.smoothed.v == (3000 * 10 * E18 + 7000 * 100 * E18) // 10_000


# -- effective capacity -------------------------------------------------------------------------------

def test_effective_capacity_is_zero_for_unknown_task_type_or_unregistered_sink(s):
    assert s.view("getSmoothedCapacity", UNKNOWN, Address(A)).v == 0
    s.join(A)
    s.round(A, 5 * E18)
    assert s.view("getSmoothedCapacity", TT, Address(B)).v == 0
    s.ok("deregisterSink", A, TT, Address(A))
    assert s.view("getSmoothedCapacity", TT, Address(A)).v == 0
    assert s.view("smoothedOf", TT, Address(A)).v == 5 * E18


def test_effective_capacity_falls_at_once_after_a_slash(s):
    s.join(A, 10_000 * E18)  # cap 100
    s.round(A, 80 * E18)
    s.ok("setSlasher", GOVERNANCE, Address(SLASHER), Bool(True), to=s.sm)
    s.ok("slash", SLASHER, Address(A), U256(9_600 * E18), Bytes32(0), to=s.sm)  # 400 left: cap 20
    assert s.view("getSmoothedCapacity", TT, Address(A)).v == 20 * E18
    assert s.view("smoothedOf", TT, Address(A)).v == 80 * E18  # stored value untouched until the next reveal
    s.ok("slash", SLASHER, Address(A), U256(400 * E18), Bytes32(0), to=s.sm)
    assert s.view("getSmoothedCapacity", TT, Address(A)).v == 0


# -- symbolic ----------------------------------------------------------------------------------------------

def test_commit_hash_on_symbolic_values_is_an_uninterpreted_256_bit_term():
    sink, cap = Address.symbolic("sink"), U256.symbolic("cap")
    ex = Explorer(sink.range_constraints() + cap.range_constraints())
    paths = ex.explore(lambda: cr.commit_hash(sink, TT, cap, NONCE, Address(0x1234)))
    assert len(paths) == 1
    h = paths[0].result
    assert is_sym(h.v)
    s = z3.Solver()
    s.add(*paths[0].definitions, z3.Or(h.v < 0, h.v >= 1 << 256))
    assert s.check() == z3.unsat
