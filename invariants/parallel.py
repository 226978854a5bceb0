"""Proof tasks in forked worker processes.

The provers split their obligations into independent tasks and, with `jobs > 1`, run them in forked
workers (fork: the workers inherit the parent's model classes and z3 terms, nothing is pickled but the
task and its results). `fork_map` keeps the results in the order of the tasks.

A worker that dies before answering (killed by a signal, out of memory, a crash inside the solver) is
a tool failure, never a missing row: `fork_map` raises `SolverCrashed`, which the command line reports
as exit code 3. (multiprocessing.Pool would wait forever for the dead worker's answer;
concurrent.futures notices the death and says so.)
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from specs.errors import WorkbenchError


class SolverCrashed(WorkbenchError):
    """A proof worker process died before it answered: the proof results are incomplete."""


def fork_map(fn: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list[Any]:
    """[fn(item) for item in items], in min(jobs, len(items)) forked workers, one task at a time per
    worker, in the order given (callers put the longest tasks first). SolverCrashed if a worker dies."""
    items = list(items)
    if not items:
        return []
    workers = max(1, min(jobs, len(items)))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
            return list(pool.map(fn, items, chunksize=1))
    except BrokenProcessPool:
        raise SolverCrashed(
            f"a proof worker process died before answering ({getattr(fn, '__qualname__', fn)} over "
            f"{len(items)} tasks in {workers} workers: killed by a signal, out of memory, or a crash of the "
            "solver); the proof results are incomplete") from None
