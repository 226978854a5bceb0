"""SDK pieces without a node (retries, state files, hashes, parsing), and the CLI and the keeper's
behaviour during a node outage on a real anvil node."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from harness.evm.abi import DecodedError
from sdk.anvil import DEV_KEYS, AnvilNotFound, find_anvil
from sdk.chain import Backoff, Chain, Revert, TransientError, is_transient, with_retry
from sdk.cli import amount
from sdk.clients import commit_hash
from sdk.deploy import task_type_id
from sdk.state import write_json_atomic

REPO = Path(__file__).resolve().parents[2]
FAST = Backoff(attempts=4, base=0.001, cap=0.01)


def test_retry_transient_then_success():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("connection refused")
        return "ok"

    assert with_retry(flaky, "flaky", FAST) == "ok" and len(calls) == 3


def test_retry_gives_up_with_transient_error():
    def down():
        raise requests.Timeout("read timed out")

    with pytest.raises(TransientError, match="after 4 attempts"):
        with_retry(down, "down", FAST)


def test_revert_is_not_retried():
    calls = []

    def reverts():
        calls.append(1)
        raise Revert("drain", DecodedError("NothingToDrain", (b"\x00" * 32,)))

    with pytest.raises(Revert) as info:
        with_retry(reverts, "reverts", FAST)
    assert info.value.name == "NothingToDrain" and len(calls) == 1


@pytest.mark.parametrize("status,transient", [(500, True), (503, True), (429, True), (400, False), (404, False)])
def test_http_errors(status, transient):
    resp = requests.Response()
    resp.status_code = status
    assert is_transient(requests.HTTPError(response=resp)) is transient


def test_state_file_is_replaced_atomically(tmp_path):
    path = tmp_path / "s.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"a": object()})  # fails while serializing: the old content stays
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary file left behind


def test_commit_hash_matches_the_workbench_rule():
    from harness.fuzz.bpe.system import commit_hash as workbench_hash

    sink, reg, nonce = 0xA11CE, 0xBEEF, b"\x5e" * 32
    t = task_type_id(0x7A51)
    assert "0x" + commit_hash(sink, t, 12 * 10**18, nonce, 1, reg).hex() == \
        workbench_hash(sink, "0x" + t.hex(), 12 * 10**18, nonce, reg)


def test_task_type_ids_and_amounts():
    assert task_type_id("0x7a51") == (0x7A51).to_bytes(32, "big")
    assert len(task_type_id("summarize")) == 32 and task_type_id("summarize") != task_type_id("translate")
    assert amount("400e18") == 400 * 10**18 and amount("1.5e18") == 15 * 10**17
    with pytest.raises(Exception):
        amount("1.5")


def test_anvil_override_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("BPE_ANVIL", str(tmp_path / "nowhere"))
    with pytest.raises(AnvilNotFound, match="BPE_ANVIL"):
        find_anvil()


class _FakeGDA:
    """A pool's total units and the GDA's rule for a distribution's rate: floor(requested / units) *
    units when distributeFlow is called, kept when the units change."""

    def __init__(self):
        self.units, self.rate, self.block, self.sent = 0, 0, 10, 0
        self.address = "0x" + "22" * 20

    def total_units(self, block="latest"):
        return self.units

    def distribute_flow(self, account, token, pool, flow_rate):
        self.rate = flow_rate // self.units * self.units if self.units else 0
        self.block += 1
        self.sent += 1
        return type("Rec", (), {"block_number": self.block})()

    def flow_distribution_flow_rate(self, token, sender, pool):
        return self.rate


def test_the_source_reissues_a_stream_left_at_0_when_its_pool_gets_units(caplog):
    from types import SimpleNamespace

    from sdk.agents.source import SourceAgent, StreamNotFlowing

    gda = _FakeGDA()
    t = task_type_id("summarize")
    c = SimpleNamespace(gda_pool=lambda _t: gda, forwarder=gda, super_token=SimpleNamespace(address="0x" + "33" * 20),
                        dep=SimpleNamespace(task_types={"0x" + t.hex(): {"name": "summarize"}}))
    src = SourceAgent(c, SimpleNamespace(address="0x" + "44" * 20))
    with caplog.at_level(logging.INFO, logger="sdk.source"):
        src.stream(t, 10**12)
        assert [s.requested for s in src.dead()] == [10**12]
        assert "streams 0/s (requested 1000000000000/s)" in caplog.text and "no units yet" in caplog.text
        assert src.revive() == [] and gda.sent == 1  # units unchanged: nothing sent
        with pytest.raises(StreamNotFlowing, match="still 0/s .* no units yet"):
            src.wait_flowing(poll=0.01, timeout=0.05)
        gda.units = 12
        src.wait_flowing(poll=0.01, timeout=1)
    assert src.dead() == [] and gda.sent == 2 and gda.rate == 10**12 // 12 * 12
    assert "re-issued distributeFlow into pool" in caplog.text and "(units 0 -> 12): streams 999999999996/s" \
        in caplog.text
    src.stream(t, 5)  # below the pool's units: 0 per unit, waited out the same way
    with pytest.raises(StreamNotFlowing, match="5/s over the pool's 12 units is 0 per unit: stream at least 12/s"):
        src.wait_flowing(poll=0.01, timeout=0)
    gda.units = 4
    src.wait_flowing(poll=0.01, timeout=1)
    assert gda.rate == 4 and src.dead() == []


# -- on a node ---------------------------------------------------------------------------------


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "sdk.cli", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_cli_session(fresh_anvil, tmp_path):
    """The README's session: deploy, a sink, a source, the keeper for a few ticks; a revert is decoded."""
    dep = tmp_path / "deployment.json"
    r = _cli("deploy", "--rpc", fresh_anvil.url, "--out", str(dep), "--account", "0",
             "--task-type", "summarize:1000e18:1e15", "--pipeline", "summarize,summarize:5000,5000")
    assert r.returncode == 1 and "InvalidPipeline" in r.stderr  # a repeated stage: decoded revert, exit 1
    r = _cli("deploy", "--rpc", fresh_anvil.url, "--out", str(dep), "--account", "0",
             "--task-type", "summarize:1000e18:1e15")
    assert r.returncode == 0, r.stderr
    assert "task type summarize" in r.stdout
    r = _cli("sink", "--deployment", str(dep), "--account", "2", "--task", "summarize", "--stake", "400e18",
             "--capacity", "12e18", "--state", str(tmp_path / "sink.json"))
    assert r.returncode == 0, r.stderr
    assert "revealed in block" in r.stdout
    r = _cli("source", "--deployment", str(dep), "--account", "5", "--fund", "100e18", "--deposit", "summarize:10e18")
    assert r.returncode == 0, r.stderr
    r = _cli("keeper", "--deployment", str(dep), "--account", "1", "--state", str(tmp_path / "k.json"),
             "--poll", "0.1", "--ticks", "3")
    assert r.returncode == 0, r.stderr
    assert "keeper rebalance" in r.stderr and ": ok tx" in r.stderr
    r = _cli("source", "--deployment", str(dep), "--account", "5", "--deposit", "unknown-task:1e18")
    assert r.returncode == 1 and "NoPool" in r.stderr


@pytest.mark.slow
def test_keeper_survives_a_node_outage(fresh_anvil, tmp_path, caplog):
    from sdk.clients import Clients
    from sdk.deploy import TaskTypeConfig, configure, deploy
    from sdk.keeper import Keeper, KeeperConfig

    chain = Chain(fresh_anvil.url, backoff=FAST)
    gov = chain.account(DEV_KEYS[0])
    dep = deploy(chain, gov)
    configure(chain, dep, gov, [TaskTypeConfig("t", 10**21, 10**15)])
    keeper = Keeper(Clients(chain, dep), chain.account(DEV_KEYS[1]), tmp_path / "k.json",
                    KeeperConfig(task_types=[task_type_id("t")], poll=0.01))
    fresh_anvil.stop()
    with caplog.at_level(logging.WARNING, logger="sdk"):
        keeper.run(max_ticks=2)  # the node is gone: each tick fails, is logged, the loop backs off
    assert sum("node unavailable" in r.getMessage() for r in caplog.records) >= 2
    assert sum("transient node error" in r.getMessage() for r in caplog.records) >= 3  # retried with backoff
