"""The README's node session ("A session against a local node"), run as a new user runs it.

The commands are read from README.md's code block, so the test and the README cannot drift: anvil,
deploy (with a pipeline), a sink, a source streaming into the sink's pool, the keeper, in the README's
order, each as written (the port and the working directory aside: a free port for 8545, a temporary
directory for deployment.json and the state files). A command the README ends with `&` runs in the
background; the keeper, which runs until stopped, is given `--ticks` (its documented bounded mode).

The source starts its stream before any sink has units (units come with the keeper's first
rebalance), so the GDA sets it to 0/s. Then, on the chain: the source's stream into the pool flows at
a non-zero rate, the sink's member flow rate is non-zero and its SuperToken balance grows as time
passes, and the keeper's drains are mined (Drained events sent by the keeper, which its state file
records). Also: the keeper's first log line names every task type and the pipeline of the deployment
file, and docs/sdk.md's session lists the same commands.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sdk.anvil import DEV_KEYS, AnvilNotFound, find_anvil, free_port
from sdk.chain import Chain
from sdk.cli import amount
from sdk.clients import Clients
from sdk.deploy import Deployment, task_type_id

pytestmark = pytest.mark.slow  # a real node: the second tier (make test-slow)

REPO = Path(__file__).resolve().parents[2]
README_HEADING = "## A session against a local node"
DOCS_HEADING = "## A session"
KEEPER_TICKS = "4"


def session_block(path: Path, heading: str) -> list[tuple[list[str], bool]]:
    """The commands of the first ```sh block after `heading` in `path`: (argv, runs in the background)."""
    text = path.read_text()
    start = text.index(heading + "\n")
    m = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert m, f"no ```sh block after {heading!r} in {path}"
    commands = []
    for line in m.group(1).replace("\\\n", " ").splitlines():
        argv = shlex.split(line, comments=True)
        if not argv:
            continue
        background = argv[-1] == "&"
        commands.append((argv[:-1] if background else argv, background))
    return commands


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def wait_for(cond, what: str, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f":\n{log.read_text()}" if log else ""))


def test_the_readme_session_streams_to_the_sink_and_the_keeper_drains(tmp_path):
    try:
        find_anvil()
    except AnvilNotFound as exc:
        pytest.skip(f"anvil is not installed: {exc}")
    commands = session_block(REPO / "README.md", README_HEADING)
    assert [argv[3] for argv, _ in commands] == ["anvil", "deploy", "sink", "source", "keeper"], commands
    assert session_block(REPO / "docs" / "sdk.md", DOCS_HEADING) == commands, "docs/sdk.md's session differs"

    port = str(free_port())
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("BPE_KEY", None)
    background: dict[str, tuple[subprocess.Popen, Path]] = {}

    def argv_of(argv: list[str]) -> list[str]:
        assert argv[:3] == [".venv/bin/python", "-m", "sdk.cli"], argv
        return [sys.executable, *argv[1:3], *(a.replace("8545", port) for a in argv[3:])]

    try:
        for argv, in_background in commands:
            cmd = argv[3]
            full = argv_of(argv)
            log = tmp_path / f"{cmd}.log"
            if in_background:
                with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
                    proc = subprocess.Popen(full, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
                background[cmd] = (proc, log)
                if cmd == "anvil":
                    wait_for(lambda: "anvil listening" in log.read_text() or proc.poll() is not None,
                             "anvil to listen", 30, log)
                    assert proc.poll() is None, log.read_text()
                else:  # the source: its stream is issued (a user reads its log before going on)
                    wait_for(lambda: " streams " in log.read_text() or proc.poll() is not None,
                             f"the {cmd} to start its stream", 120, log)
                continue
            if cmd == "keeper":
                full += ["--ticks", KEEPER_TICKS]
            r = subprocess.run(full, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
            log.write_text(r.stdout + r.stderr)
            assert r.returncode == 0, f"{' '.join(argv)}:\n{r.stdout}{r.stderr}"

        # the source exits once its stream flows (the keeper's rebalance gave the pool units)
        src, src_log = background["source"]
        try:
            src.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the source still waits after the keeper's rounds:\n{src_log.read_text()}")
        out = src_log.read_text()
        assert src.returncode == 0, out

        # -- on the chain ---------------------------------------------------------------------------
        source_argv = next(a for a, _ in commands if a[3] == "source")
        sink_argv = next(a for a, _ in commands if a[3] == "sink")
        keeper_argv = next(a for a, _ in commands if a[3] == "keeper")
        dep = Deployment.load(tmp_path / option(next(a for a, _ in commands if a[3] == "deploy"), "--out"))
        chain = Chain(f"http://127.0.0.1:{port}")
        c = Clients(chain, dep)
        key = {name: chain.account(DEV_KEYS[int(option(a, "--account"))]).address
               for name, a in (("source", source_argv), ("sink", sink_argv), ("keeper", keeper_argv))}
        task = task_type_id(option(sink_argv, "--task"))
        pool = c.gda_pool(task)
        st = c.super_token.address

        rate = c.forwarder.flow_distribution_flow_rate(st, key["source"], pool.address)
        requested = amount(option(source_argv, "--stream").rsplit(":", 1)[1])
        assert 0 < rate <= requested, (rate, requested)
        assert pool.units(key["sink"]) > 0
        member_rate = pool.member_flow_rate(key["sink"])
        assert member_rate > 0
        before = c.super_token.balance_of(key["sink"])
        chain.rpc("evm_increaseTime", 600)
        chain.rpc("evm_mine")
        assert c.super_token.balance_of(key["sink"]) - before >= member_rate * 600

        # the keeper's drains: mined, sent by the keeper, recorded in its state file
        drains = [log for log in c.buffer.logs("Drained", dep.block + 1) if log.event.args[0] == task]
        by_keeper = [log for log in drains
                     if chain.w3.eth.get_transaction(log.tx_hash)["from"] == key["keeper"]]
        assert by_keeper and sum(log.event.args[2] for log in by_keeper) > 0, drains
        state = json.loads((tmp_path / option(keeper_argv, "--state")).read_text())
        recorded = {a["txHash"] for a in state["actions"].values()
                    if a["kind"] in ("drain", "pipeline-drain") and a["status"] == "mined"}
        assert {log.tx_hash for log in by_keeper} <= recorded, (by_keeper, recorded)
        assert c.buffer.buffer_level(task) < 100 * 10**18

        # the source said what it did: a stream at 0/s, the wait, the re-issue
        assert "streams 0/s (requested 1000000000000/s)" in out and "the pool has no units yet" in out, out
        assert "waiting: re-issues distributeFlow" in out, out
        assert re.search(r"re-issued distributeFlow into pool 0x[0-9a-fA-F]{40} of summarize in block \d+ "
                         r"\(units 0 -> [1-9]\d*\): streams [1-9]\d*/s", out), out

        # the keeper watched every task type and the pipeline of the deployment file
        kept = (tmp_path / "keeper.log").read_text()
        first = next(line for line in kept.splitlines() if " starting: watching " in line)
        assert "summarize (0x" in first and "translate (0x" in first, first
        assert "pipelines 1 (summarize,translate)" in first, first
    finally:
        for cmd in ("source", "anvil"):  # anvil last; SIGTERM makes `sdk.cli anvil` stop its node
            if cmd not in background:
                continue
            proc, _ = background[cmd]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            try:  # whatever is left of the process group this test started (anvil's own process)
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
