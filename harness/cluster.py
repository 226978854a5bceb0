"""Independent tasks on a Dask distributed cluster, for campaigns that outgrow one machine.

Fuzz shards (harness/fuzz/shards.py) and mutants (harness/mutate/run.py) are independent tasks. With
no scheduler they run on a local process pool, as always; given a scheduler's address
(`--scheduler tcp://host:8786`) each runs as one task on the cluster's workers, and the results are the
same: a shard's sequences follow from its recorded seed and a mutant's from its fixed budget, wherever
they run.

Why Dask distributed rather than Ray: it installs from PyPI as pure-Python wheels (no native object
store, no dashboard service to run), a scheduler and its workers are two commands
(`dask scheduler`, `dask worker ADDRESS`), and a task is a plain function call pickled with
cloudpickle, which is what the local pool already runs. Its scheduler reruns a task whose worker died on
another worker (up to its `allowed-failures`, 3 by default), so a lost worker loses no task; a task that
kills every worker it is given comes back as `KilledWorker`, which the caller reports as that task's
ERROR, never as a pass.

Workers must import this repository at the same commit (start them from a clone, with its `.venv`),
and reach the same paths for what tasks write (the mutants' sources, replay files): on one machine, or
on a shared file system.
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from specs.errors import WorkbenchError

CONNECT_TIMEOUT = "15s"
POLL_SECONDS = 0.2


def scheduler_address(address: str) -> str:
    """`address` when it has the form of a scheduler address (tcp://HOST:PORT), else a WorkbenchError;
    also the command lines' argument type, so that a bad one is refused before any work."""
    if not re.fullmatch(r"[a-z]+://[^/:\s]+:[0-9]+", address):
        raise WorkbenchError(f"--scheduler {address}: not a scheduler address (tcp://HOST:PORT)")
    return address


def scheduler_arg(text: str) -> str:
    """`--scheduler` as the command lines parse it: a malformed address is an argument error."""
    try:
        return scheduler_address(text)
    except WorkbenchError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def client(address: str, timeout: str = CONNECT_TIMEOUT) -> Any:
    """A client of the Dask scheduler at `address`; one that cannot be reached is a WorkbenchError
    naming the address (exit code 3), never a fall back to the local pool."""
    # refused before a Client exists: a half-built one times out noisily when the interpreter exits
    scheduler_address(address)
    try:
        from distributed import Client
    except ImportError as e:  # pragma: no cover - distributed is in requirements.lock
        raise WorkbenchError(f"--scheduler {address}: the 'distributed' package is not installed ({e})") from None
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise WorkbenchError(f"--scheduler {address}: no Dask scheduler reachable there ({type(e).__name__}: {e})") from None


def run_tasks(address: str, fn: Callable[..., Any], calls: Sequence[tuple[tuple, dict]],
              on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """`fn(*args, **kwargs)` for every (args, kwargs) in `calls`, each one task on the cluster at
    `address`. Returns, in the order of `calls`, each task's result or the exception it ended with
    (a worker lost more often than the scheduler allows: `KilledWorker`); `on_result(i, outcome)` is
    called as each one completes."""
    c = client(address)
    try:
        run = uuid.uuid4().hex[:8]  # keys unique to this run: a cluster may serve several campaigns
        futures = [c.submit(fn, *args, pure=False, key=f"{getattr(fn, '__name__', 'task')}-{run}-{i}", **kwargs)
                   for i, (args, kwargs) in enumerate(calls)]
        out: list[Any] = [None] * len(futures)
        pending = set(range(len(futures)))
        while pending:  # polled: distributed's as_completed wants a default client, this one is not
            finished = sorted(i for i in pending if futures[i].done())
            if not finished:
                time.sleep(POLL_SECONDS)
                continue
            for i in finished:
                pending.discard(i)
                try:
                    out[i] = futures[i].result()
                except Exception as e:  # noqa: BLE001  (the task's own failure, or KilledWorker: the caller's ERROR)
                    out[i] = e
                if on_result is not None:
                    on_result(i, out[i])
        return out
    finally:
        c.close()
