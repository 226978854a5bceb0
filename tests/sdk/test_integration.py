"""The SDK, the agents and the keeper against a real anvil node, checked against the reference models.

One scenario (`test_scenario`): deploy the suite with the Superfluid framework, configure two task
types and a pipeline, three sinks stake, register, connect and commit-reveal (with three kinds of
crash: between commit and reveal, after the window closed, after the nonce was persisted but before
the commit was sent), a source funds, deposits, deposits through the pipeline and streams into a
pool, and the keeper runs as a separate process: it kills itself right after a send, and right
after persisting a signed transaction it has not sent yet (fault injection), is killed with SIGKILL
from outside mid-run, and is restarted each time.

Then: no double action (every keeper transaction succeeded, every keeper rebalance happened while the
model said needsRebalance, every keeper drain while the model said drainable > 0, the keeper's log and
state file list each transaction once), no lost deposit (Deposited = Drained + bufferLevel per task
type), and the final state as the models predict after replaying every transaction of the node with
its block number and timestamp (buffer levels, queues, units, capacities, SuperToken balances).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.fuzz.differential import plain
from sdk.agents.sink import SinkAgent
from sdk.agents.source import SourceAgent
from sdk.anvil import DEV_KEYS
from sdk.chain import Chain
from sdk.clients import Clients
from sdk.deploy import TaskTypeConfig, configure, deploy, task_type_id
from sdk.replay import build_model, replay
from specs.kernel import U256, Address, Block, Bytes32

pytestmark = pytest.mark.slow  # long campaigns or a real node: the second tier (make test-slow)

REPO = Path(__file__).resolve().parents[2]
E18 = 10**18
T1, T2 = task_type_id("summarize"), task_type_id("translate")
KEEPER = 1
SINKS = (2, 3, 4)
SOURCE = 5
ACTION_LINE = re.compile(r"keeper (rebalance|drain|pipeline-drain) (\S+): (ok|FAILED) tx (0x[0-9a-f]{64}) block (\d+)")


def wait_for(cond, what: str, timeout: float = 30.0, poll: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class KeeperProcess:
    """`python -m sdk.cli keeper` in a subprocess, its output appended to one log file."""

    def __init__(self, dep_path: Path, state: Path, log: Path, env: dict | None = None):
        full_env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        full_env.update(env or {})
        self.log = log
        self.out = open(log, "ab")
        self.proc = subprocess.Popen(
            # the two task types and not the pipeline: each drain is an EscrowBuffer.drain the checks below
            # hold against the model's drainable (the pipeline's stages are these task types)
            [sys.executable, "-m", "sdk.cli", "keeper", "--deployment", str(dep_path), "--account", str(KEEPER),
             "--state", str(state), "--poll", "0.2", "--min-drain-interval", "3", "--task", "summarize",
             "--task", "translate"],
            cwd=REPO, env=full_env, stdout=self.out, stderr=subprocess.STDOUT)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.out.close()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.wait(10)

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(20)

    def ensure_dead(self) -> None:
        if self.proc.poll() is None:
            self.kill()


def log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_scenario(anvil, tmp_path):
    chain = Chain(anvil.url)
    acct = [chain.account(k) for k in DEV_KEYS]
    dep = deploy(chain, acct[0])
    configure(chain, dep, acct[0], [TaskTypeConfig("summarize", 1_000 * E18, 10**15),
                                    TaskTypeConfig("translate", 500 * E18, 3 * 10**14)],
              [(["summarize", "translate"], [6000, 4000])])
    dep_path = tmp_path / "deployment.json"
    dep.save(dep_path)
    c = Clients(chain, dep)
    timeout = c.registry.commit_timeout()

    # -- sinks: stake, register, connect, commit-reveal -------------------------------------------
    stakes = {2: 400 * E18, 3: 900 * E18, 4: 1_600 * E18}  # caps 20, 30, 40 units
    tasks = {2: [T1, T2], 3: [T1, T2], 4: [T1]}
    state = {i: tmp_path / f"sink{i}.json" for i in SINKS}
    agents = {}
    for i in SINKS:
        a = SinkAgent(c, acct[i], state[i])
        a.ensure_stake(stakes[i])
        for t in tasks[i]:
            a.ensure_registered(t)
        agents[i] = a
    r = agents[2].signal(T1, 8 * E18)
    assert (r.how, r.reveal_block) == ("revealed", r.commit_block + 1)
    agents[3].signal(T1, 12 * E18)
    agents[3].signal(T2, 7 * E18)

    # crash between commit and reveal: the nonce is on disk; a new process reveals inside the window
    cb = agents[4].commit(T1, 30 * E18)
    rnd = json.loads(state[4].read_text())["rounds"]["0x" + T1.hex()]
    assert rnd["status"] == "committed" and rnd["commitBlock"] == cb and len(rnd["nonce"]) == 66
    chain.rpc("anvil_mine", hex(3))
    (res,) = SinkAgent(c, acct[4], state[4]).resume()
    assert res.how == "recovered" and cb + 1 <= res.reveal_block <= cb + timeout
    assert c.registry.smoothed_of(T1, acct[4].address) == 30 * E18

    # crash between commit and reveal, restart after the window closed: commit again, reveal
    cb = agents[2].commit(T2, 5 * E18)
    chain.rpc("anvil_mine", hex(timeout + 1))
    (res,) = SinkAgent(c, acct[2], state[2]).resume()
    assert res.how == "recommitted" and res.commit_block > cb + timeout and res.reveal_block == res.commit_block + 1

    # crash after the nonce was persisted, before the commit was sent
    class Crash(Exception):
        pass

    def crash(*_a, **_k):
        raise Crash

    crashing = SinkAgent(Clients(chain, dep), acct[3], state[3])
    crashing.c.registry.commit_capacity = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        crashing.commit(T1, 10 * E18)
    rnd = json.loads(state[3].read_text())["rounds"]["0x" + T1.hex()]
    assert rnd["status"] == "prepared" and rnd["txHash"] is None and rnd["capacity"] == 10 * E18
    (res,) = SinkAgent(c, acct[3], state[3]).resume()
    assert res.how == "restarted"
    assert c.pool.needs_rebalance(T1) and c.pool.needs_rebalance(T2)

    # -- keeper 1: kills itself right after its second send (before recording the receipt) --------
    klog, kstate = tmp_path / "keeper.log", tmp_path / "keeper.json"
    keepers = [KeeperProcess(dep_path, kstate, klog, {"BPE_KEEPER_CRASH": "after-send:2"})]
    try:
        assert keepers[0].wait(60) == -signal.SIGKILL, log_text(klog)
        actions = json.loads(kstate.read_text())["actions"]
        assert sorted(a["status"] for a in actions.values()) == ["mined", "sent"], actions

        # -- keeper 2: settles the in-flight action, then dies after persisting its next signed
        # transaction, before broadcasting it; the source deposits and streams meanwhile -----------
        keepers.append(KeeperProcess(dep_path, kstate, klog, {"BPE_KEEPER_CRASH": "after-persist:1"}))
        wait_for(lambda: "recovered after restart" in log_text(klog), "keeper 2 to recover", 60)
        wait_for(lambda: not c.pool.needs_rebalance(T1) and not c.pool.needs_rebalance(T2), "rebalances")
        src = SourceAgent(c, acct[SOURCE])
        src.fund(2_000 * E18)
        src.deposit(T1, 100 * E18)
        src.deposit(T2, 20 * E18)
        src.deposit_pipeline(1, 50 * E18)
        src.stream(T1, 10**12 + 7)

        def jump(seconds: int = 5) -> int:
            chain.rpc("evm_increaseTime", seconds)
            chain.rpc("evm_mine")
            return chain.block("latest")["timestamp"]

        def drained_since(ts: int) -> bool:
            return all(c.buffer.last_drain(t) >= ts for t in (T1, T2))

        jump()
        assert keepers[-1].wait(60) == -signal.SIGKILL, log_text(klog)
        (lost,) = [a for a in json.loads(kstate.read_text())["actions"].values() if a["status"] == "sent"]
        assert lost["kind"] == "drain" and not chain.known(lost["txHash"])

        # -- keeper 3: broadcasts the stored transaction (same hash), then drains as time passes --
        keepers.append(KeeperProcess(dep_path, kstate, klog))
        # the keeper logs after anvil has mined the broadcast, so wait for the line, not the receipt
        resent = "re-sent the stored transaction " + lost["txHash"]
        wait_for(lambda: resent in log_text(klog), "the stored drain to be re-sent", 60)
        wait_for(lambda: chain.receipt(lost["txHash"]) is not None, "the re-sent drain to be mined", 60)
        for _ in range(2):
            ts = jump()
            wait_for(lambda: drained_since(ts), "keeper 3 drains")

        # kill keeper 3 mid-run (SIGKILL from outside): right after a time jump, while it reacts
        jump()
        time.sleep(0.15)
        keepers[-1].kill()

        # while it is down, a sink lowers its capacity (needsRebalance) and time passes
        agents[3].signal(T1, 3 * E18)
        assert c.pool.needs_rebalance(T1)
        ts = jump()

        # -- keeper 4: resumes ---------------------------------------------------------------
        keepers.append(KeeperProcess(dep_path, kstate, klog))
        wait_for(lambda: not c.pool.needs_rebalance(T1) and drained_since(ts), "keeper 4 rebalances and drains", 60)
        for _ in range(2):
            ts = jump()
            wait_for(lambda: drained_since(ts), "keeper 4 drains")
        assert keepers[-1].terminate() == 0, log_text(klog)
    finally:
        for k in keepers:
            k.ensure_dead()

    # -- checks ------------------------------------------------------------------------------------
    head = chain.block_number()
    keeper_addr = int(acct[KEEPER].address, 16)
    bp, eb = int(dep.address("BackpressurePool"), 16), int(dep.address("EscrowBuffer"), 16)
    model = build_model(dep, chain)
    problems: list[str] = []

    def before(m, info):
        if info["sender"] != keeper_addr:
            return
        tt = Bytes32(info["args"][0])
        if info["contract"] == "BackpressurePool" and info["function"] == "rebalance":
            if not plain(m.world.view(bp, "needsRebalance", tt).returned):
                problems.append(f"keeper rebalance in block {info['block']} without needsRebalance")
        elif info["contract"] == "EscrowBuffer" and info["function"] == "drain":
            if plain(m.world.view(eb, "drainable", tt).returned) == 0:
                problems.append(f"keeper drain in block {info['block']} with nothing drainable")

    result = replay(chain, dep, model, dep.block + 1, head, before)
    assert result.mismatches == [], "\n".join(result.mismatches)
    assert result.unmodelled == []
    assert problems == []

    # no double action: the chain, the keeper's log and its state file agree, each tx once
    keeper_txs = [t for t in result.txs if t.sender == keeper_addr]
    assert keeper_txs and all(t.chain_ok for t in keeper_txs)
    kinds = {(t.contract, t.function) for t in keeper_txs}
    assert kinds == {("BackpressurePool", "rebalance"), ("EscrowBuffer", "drain")}, kinds
    logged = [m.group(4) for m in ACTION_LINE.finditer(log_text(klog))]
    assert all(m.group(3) == "ok" for m in ACTION_LINE.finditer(log_text(klog)))
    # each keeper transaction is in the log (a kill between the log line and the state save logs it
    # again after the restart: the same transaction, not a second action)
    assert set(logged) == {t.tx_hash for t in keeper_txs}, log_text(klog)
    assert len({t.tx_hash for t in keeper_txs}) == len(keeper_txs)
    actions = json.loads(kstate.read_text())["actions"]
    assert all(a["status"] == "mined" for a in actions.values())
    assert sorted(a["txHash"] for a in actions.values()) == sorted(t.tx_hash for t in keeper_txs)
    rebalances = [t for t in keeper_txs if t.function == "rebalance"]
    assert len(rebalances) == 3  # T1 and T2 after the first reveals, T1 after the lowered capacity

    # no lost deposit: per task type, deposited = drained + still buffered (events on the chain)
    deposited = {T1: 0, T2: 0}
    drained = {T1: 0, T2: 0}
    for log in c.buffer.logs("Deposited", dep.block + 1):
        deposited[log.event.args[0]] += log.event.args[2]
    for log in c.buffer.logs("Drained", dep.block + 1):
        drained[log.event.args[0]] += log.event.args[2]
    assert deposited == {T1: 100 * E18 + 30 * E18, T2: 20 * E18 + 20 * E18}
    for t in (T1, T2):
        assert drained[t] > 0
        assert deposited[t] == drained[t] + c.buffer.buffer_level(t)
    assert c.super_token.balance_of(c.buffer.address) == c.buffer.buffer_level(T1) + c.buffer.buffer_level(T2)

    # the final state is what the models predict
    last = chain.block(head)
    model.world.block = Block(head, last["timestamp"])
    w = model.world
    st = int(dep.address("SuperToken"), 16)

    def mv(addr: int, fn: str, *args):
        out = w.view(addr, fn, *args)
        assert out.ok, (fn, out.error)
        return plain(out.returned)

    def mapping(addr: int, name: str, key):  # a public mapping (a storage field of the model)
        return plain(getattr(w.contracts[addr], name)[key])

    reg = int(dep.address("CapacityRegistry"), 16)
    for t in (T1, T2):
        tt = Bytes32(t)
        assert c.buffer.buffer_level(t) == mv(eb, "bufferLevel", tt)
        assert c.buffer.last_drain(t) == mapping(eb, "lastDrain", tt)
        assert c.buffer.queue_head(t) == mapping(eb, "queueHead", tt)
        assert c.buffer.queue_tail(t) == mapping(eb, "queueTail", tt)
        for i, src_, amount in c.buffer.entries(t):
            assert (int(src_, 16), amount) == mv(eb, "entryAt", tt, U256(i))
        assert c.pool.needs_rebalance(t) == bool(mv(bp, "needsRebalance", tt))
        pool = c.gda_pool(t)
        p = int(pool.address, 16)
        assert pool.total_units() == mv(p, "getTotalUnits") > 0
        for i in SINKS:
            s = acct[i].address
            assert pool.units(s) == mv(p, "getUnits", Address(int(s, 16)))
            assert c.registry.get_smoothed_capacity(t, s) == mv(reg, "getSmoothedCapacity", tt, Address(int(s, 16)))
    accounts = [acct[i].address for i in SINKS + (SOURCE, KEEPER)] + [c.buffer.address, c.pipeline.address]
    for a in accounts:
        chain_rtb = c.super_token.realtime_balance_of(a, last["timestamp"])
        model_rtb = mv(st, "realtimeBalanceOf", Address(int(a, 16)), U256(last["timestamp"]))
        assert tuple(chain_rtb) == tuple(model_rtb), a
    for i in SINKS:  # the sinks were paid, to the wei the model says
        assert c.super_token.realtime_balance_of(acct[i].address, last["timestamp"])[0] > 0
