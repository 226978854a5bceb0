"""Campaigns on a Dask cluster (harness/cluster.py): a real scheduler and two worker processes on
127.0.0.1 run a small mutation campaign and a sharded fuzz campaign, and the results are the local
run's; a worker killed mid-campaign loses no task; an address where no scheduler listens is a tool error
naming it, never a fall back to the local pool."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.evm.compile import compile_contracts
from harness.evm.fixture import suite_artifacts
from harness.fuzz.shards import run_campaign
from specs.errors import WorkbenchError
from specs.suite import get_suite

REPO = Path(__file__).resolve().parents[2]
COMPUTE = get_suite("compute")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lowest_priority() -> None:
    os.nice(19)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two single-threaded workers without nannies (a killed worker stays dead), each
    its own process started from this repository with its interpreter, at the lowest CPU priority: the
    slow tier runs other tests beside this one, and proofs there have a wall-clock guard that two more
    busy processes on a small machine can trip."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = [open(tmp_path / f"{n}.log", "w") for n in ("scheduler", "worker0", "worker1")]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--dashboard-address", ":0"],
                              cwd=REPO, env=env, stdout=logs[0], stderr=subprocess.STDOUT, preexec_fn=lowest_priority)]
    for log in logs[1:]:
        procs.append(subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                       "--no-nanny", "--dashboard-address", ":0", "--local-directory", str(tmp_path)],
                                      cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      preexec_fn=lowest_priority))
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout="5s") as c:
                    c.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address, procs[1:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


def verdicts(results: list[dict]) -> list[tuple]:
    return [(r["id"], r["status"], r["killed_by"], r["sequences"], r["steps"]) for r in results]


@pytest.mark.slow
def test_mutants_and_shards_on_a_cluster_equal_the_local_run_and_a_killed_worker_loses_no_task(cluster):
    from harness.mutate.operators import generate
    from harness.mutate.run import run_mutants, sample

    address, workers = cluster
    build = compile_contracts()
    chosen = sample(generate(build, ["ComputeStaking", "LedgerManager"]), 4, 6)
    local = run_mutants(chosen, jobs=1)
    killed = []

    def kill_one_worker(r: dict) -> None:
        if not killed:  # after the first verdict: the other tasks are queued or running, one on this worker
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=20)
            killed.append(r["id"])

    remote = run_mutants(chosen, budget=None, on_result=kill_one_worker, scheduler=address)
    assert killed and workers[0].returncode == -signal.SIGKILL
    assert verdicts(remote) == verdicts(local)
    assert {r["status"] for r in remote} <= {"KILLED", "SURVIVED", "EQUIVALENT"}

    # the sharded fuzz campaign: the same sequences, steps and verdict as two local processes
    arts = suite_artifacts(build, deployments=COMPUTE.resolve(COMPUTE.deployments))
    kw = dict(profile_name="ci", max_examples=4, step_count=8, share=2, shards=2, log_progress=False)
    here = run_campaign("compute", ("pyrevm",), arts, workers=2, replay_dir=REPO / ".cache" / "cluster-local", **kw)
    there = run_campaign("compute", ("pyrevm",), arts, scheduler=address, replay_dir=REPO / ".cache" / "cluster-remote",
                         **kw)
    a, b = here.results["pyrevm"], there.results["pyrevm"]
    assert (b.status, b.steps, b.sequences) == (a.status, a.steps, a.sequences) and a.status == "PASSED"
    assert b.all_sequences == a.all_sequences
    assert [s["seed"] for s in there.shards] == [s["seed"] for s in here.shards]


def test_an_address_without_a_scheduler_is_a_tool_error_naming_it():
    from harness.cluster import client

    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(WorkbenchError, match=f"--scheduler {address}: no Dask scheduler reachable there"):
        client(address, timeout="2s")


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1", "127.0.0.1:8786"])
def test_a_malformed_address_is_refused_before_connecting(address):
    from harness.cluster import client

    with pytest.raises(WorkbenchError, match="not a scheduler address"):
        client(address)
