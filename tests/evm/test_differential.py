"""Differential test: the same random sequence of transactions, views, block changes, cheats and
snapshot reverts on py-evm and on pyrevm gives the same outcomes (gas aside) and the same state."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.evm.abi import ABIRegistry
from harness.evm.engine import Engine, deploy_contract, make_engine
from harness.evm.pyrevm_engine import PyRevmEngine
from tests.evm.conftest import ALICE, BOB, DEPLOYER, fixture_artifacts

ACTORS = (ALICE, BOB, DEPLOYER)
actor = st.sampled_from(ACTORS)
small = st.integers(0, 2_000)
amount = st.one_of(small, st.integers(0, 2**256 - 1))

OPS = st.one_of(
    st.tuples(st.just("inc"), actor),
    st.tuples(st.just("add(uint256)"), actor, st.one_of(small, st.integers(999_000, 1_001_000))),
    st.tuples(st.just("add(uint256,uint256)"), actor, amount, amount),
    st.tuples(st.just("sub"), actor, small),
    st.tuples(st.just("credit"), actor, actor, small, st.integers(0, 300)),
    st.tuples(st.just("onlyOwnerReset"), actor),
    st.tuples(st.just("spawn"), actor, small),
    st.tuples(st.just("note"), actor, st.text(max_size=8), st.binary(min_size=32, max_size=32), st.lists(small, max_size=3),
              st.text(max_size=40)),
    st.tuples(st.just("transientBump"), actor),
    st.tuples(st.just("view:writeAndReturn"), actor),
    st.tuples(st.just("view:divide"), actor, st.integers(0, 3)),
    st.tuples(st.just("view:blockInfo"), actor),
    st.tuples(st.just("move"), actor, actor, small),
    st.tuples(st.just("mint"), actor, small),
    st.tuples(st.just("warp"), st.integers(0, 1_000), st.integers(0, 10**6)),
    st.tuples(st.just("set_balance"), actor, st.integers(0, 10**6)),
    st.tuples(st.just("set_storage"), st.integers(0, 3), small),
    st.tuples(st.just("deploy_raw"), actor, st.integers(0, 40)),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("revert"), st.integers(0, 7)),
)


class World:
    """One engine with Counter, Token and Caller deployed, and a stack of snapshots."""

    def __init__(self, engine: Engine, artifacts):
        self.engine = engine
        reg = ABIRegistry()
        a = artifacts
        self.counter = deploy_contract(self.engine, a["Counter"].abi, a["Counter"].bytecode, [5, ALICE], DEPLOYER, reg)
        self.token = deploy_contract(self.engine, a["Token"].abi, a["Token"].bytecode, [], DEPLOYER, reg)
        self.caller = deploy_contract(self.engine, a["Caller"].abi, a["Caller"].bytecode, [self.token.address], DEPLOYER, reg)
        for who in ACTORS:
            self.engine.set_balance(who, 10**6)
        self.snaps: list = []
        self.children: list[int] = []

    def step(self, op: tuple):
        kind, *args = op
        e, c = self.engine, self.counter
        if kind == "warp":
            e.set_block(number=e.block_number + args[0], timestamp=e.timestamp + args[1])
            return (e.block_number, e.timestamp)
        if kind == "set_balance":
            e.set_balance(*args)
            return None
        if kind == "set_storage":
            e.set_storage(c.address, *args)
            return None
        if kind == "deploy_raw":
            sender, size = args
            res = e.deploy(bytes([0x60, size, 0x60, 0x00, 0xF3]), sender=sender)
            if res.created is not None:
                self.children.append(res.created)
            return (res.success, res.created, res.output)
        if kind == "snapshot":
            self.snaps.append(e.snapshot())
            return None
        if kind == "revert":
            if not self.snaps:
                return None
            i = args[0] % len(self.snaps)
            e.revert(self.snaps[i])
            del self.snaps[i + 1 :]  # invalidated by the revert
            return None
        if kind.startswith("view:"):
            out = c.view(kind[5:], *args[1:], sender=args[0])
            return (out.ok, out.returned, out.error, out.events)
        if kind == "move":
            out = self.caller.transact("move", *args, sender=args[0])
        elif kind == "mint":
            out = self.token.transact("mint", *args, sender=args[0])
        elif kind == "credit":
            sender, who, amt, value = args
            if value > e.get_balance(sender):
                value = 0
            out = c.transact("credit", who, amt, sender=sender, value=value)
        else:
            out = c.transact(kind, *args[1:], sender=args[0])
            if kind == "spawn" and out.ok:
                self.children.append(out.returned[0])
        return (out.ok, out.returned, out.error, out.events)

    def state(self) -> dict:
        e = self.engine
        contracts = [self.counter.address, self.token.address, self.caller.address, *self.children]
        accounts = [*ACTORS, *contracts]
        return {
            "block": (e.block_number, e.timestamp),
            "accounts": [(e.get_balance(a), e.get_nonce(a), e.get_code(a)) for a in accounts],
            "counter": [e.get_storage(self.counter.address, s) for s in range(4)],
            "credits": [self.counter.view("credits", a).returned for a in ACTORS],
            "tokens": [self.token.view("balanceOf", a).returned for a in ACTORS],
            "children": [e.get_storage(ch, 0) for ch in self.children],
        }


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=25))
def test_same_call_sequence_gives_same_outcomes_and_state(ops):
    artifacts = fixture_artifacts()
    check_same(World(make_engine("py-evm"), artifacts), World(make_engine("pyrevm"), artifacts), ops)


def check_same(pyevm: World, pyrevm: World, ops: list[tuple]) -> None:
    for i, op in enumerate(ops):
        on_pyevm, on_pyrevm = pyevm.step(op), pyrevm.step(op)
        assert on_pyevm == on_pyrevm, f"step {i} {op!r}: py-evm {on_pyevm!r} != pyrevm {on_pyrevm!r}"
    assert pyevm.state() == pyrevm.state()


class KeepsTransientStorage(PyRevmEngine):
    """Deliberately broken: transient storage survives from one transaction to the next."""

    def _end_transaction(self) -> None:
        pass


class SkipsNonceBump(PyRevmEngine):
    """Deliberately broken: message calls do not use a nonce (pyrevm's own behaviour)."""

    def _write_info(self, address, old, balance, nonce, code):
        super()._write_info(address, old, balance, old.nonce, code)


@pytest.mark.catches("engine-semantics")
def test_differential_check_catches_transient_storage_kept_across_calls(artifacts):
    ops = [("transientBump", ALICE), ("transientBump", ALICE)]
    with pytest.raises(AssertionError, match="step 1"):
        check_same(World(make_engine("py-evm"), artifacts), World(KeepsTransientStorage(), artifacts), ops)


@pytest.mark.catches("engine-semantics")
def test_differential_check_catches_calls_that_do_not_bump_the_nonce(artifacts):
    ops = [("inc", DEPLOYER), ("deploy_raw", DEPLOYER, 1)]
    with pytest.raises(AssertionError, match="step 1"):
        check_same(World(make_engine("py-evm"), artifacts), World(SkipsNonceBump(), artifacts), ops)
