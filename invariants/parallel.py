"""Proof tasks in forked processes, one fresh process per task.

The provers split their obligations into independent tasks and, with `jobs > 1`, run each task in a
process forked from the parent (fork: the child inherits the parent's model classes and z3 terms,
nothing is pickled but the task's results). At most `jobs` run at once; `fork_map` keeps the results
in the order of the tasks.

One process per task, not a pool of long-lived workers: z3's heuristics follow the ids of its terms,
and a worker that had run other tasks first would send the same task's queries with other ids, so the
solver work a query takes (its budget is counted in that work, specs/budget.py) would depend on which
tasks happened to share a worker. Every task forked from the same parent state sends the same queries,
however the tasks are scheduled and however loaded the machine is.

A task that dies before answering (killed by a signal, out of memory, a crash inside the solver) is a
tool failure, never a missing row: `fork_map` raises `SolverCrashed`, which the command line reports as
exit code 3. An exception raised by the task comes back to the parent and is raised there.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from specs.errors import WorkbenchError


class SolverCrashed(WorkbenchError):
    """A proof worker process died before it answered: the proof results are incomplete."""


class TaskFailed(WorkbenchError):
    """A task raised an exception that could not be sent back as itself (it does not pickle)."""


def _child(fn: Callable[[Any], Any], item: Any, out: Connection) -> None:
    try:
        try:
            out.send((True, fn(item)))
        except BaseException as exc:  # sent to the parent, which raises it there
            try:
                out.send((False, exc))
            except Exception:
                out.send((False, TaskFailed(f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")))
    finally:
        out.close()
        os._exit(0)  # no atexit handlers or finalizers of the parent's objects in the child


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list[Any]:
    """[fn(item) for item in items], each in a process of its own forked from this one, at most
    min(jobs, len(items)) at once, started in the order given (callers put the longest tasks first).
    SolverCrashed if one dies; an exception of `fn` is raised here."""
    items = list(items)
    if not items:
        return []
    workers = max(1, min(jobs, len(items)))
    ctx = mp.get_context("fork")
    results: list[Any] = [None] * len(items)
    todo = list(range(len(items)))
    running: dict[Connection, tuple[int, Any]] = {}
    try:
        while todo or running:
            while todo and len(running) < workers:
                i = todo.pop(0)
                receive, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(fn, items[i], send), daemon=True)
                proc.start()
                send.close()
                running[receive] = (i, proc)
            for conn in wait(list(running)):
                i, proc = running.pop(conn)
                try:
                    ok, value = conn.recv()
                except EOFError:
                    proc.join()
                    raise SolverCrashed(
                        f"a proof worker process died before answering ({getattr(fn, '__qualname__', fn)}, task "
                        f"{i + 1} of {len(items)}, exit code {proc.exitcode}: killed by a signal, out of memory, "
                        "or a crash of the solver); the proof results are incomplete") from None
                finally:
                    conn.close()
                proc.join()
                if not ok:
                    raise value
                results[i] = value
    finally:
        for conn, (_i, proc) in running.items():
            proc.kill()
            proc.join()
            conn.close()
    return results
