"""Solver budgets: every z3 query runs on a budget of solver work, never on the clock.

A wall-clock timeout makes a proof's status depend on the machine: the same query that is PROVED on an
idle machine comes back `unknown` when another process shares the cores. z3's resource limit (`rlimit`)
counts the solver's own elementary steps instead, so a query and its budget give the same answer on
any machine and under any load. Each `check` here:
- sets the budget for that one query (z3 counts the limit from where the context's counter stands, so
  a solver's later queries each get the whole budget again);
- keeps a wall-clock guard as an outer limit only, far beyond what the budget takes here (GUARD_*): a
  query the guard stops is reported as stopped by the guard, never as a spent budget, and never as
  PROVED. The guard is a thread of this module that interrupts the query's z3 context, not z3's own
  `timeout`: z3 keeps its timer threads in a pool that a forked process inherits without the threads,
  so in the provers' forked tasks z3's timeout would never fire (or hang the query's end);
- records the work the query used (`stats`), so a result says how close it came to its budget.

Budgets are written as the work z3 does here in a given time (`work(ms)`: RLIMIT_PER_MS units per
millisecond). Measured over the proof suites' 25,000 queries on this 2-core machine, the rate of the
queries that ran longer than 0.2 s was 500 to 4,700 units per ms (a plain nonlinear query: about
8,000), about 1,100 in the median with both cores busy; RLIMIT_PER_MS is what an idle core does. The
largest query of both suites used 6.4 million units, about a tenth of FULL. The guard is generous because
the rate differs per query: it only exists to end a query that a far slower machine would run for
hours.

The work count of one query also depends on the z3 terms the process created before it (their ids steer
z3's heuristics), so the provers run each task in a process forked from the same parent state
(`invariants.parallel.fork_map`): the same task sends the same queries in the same order, wherever and
whenever it runs.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import z3

RLIMIT_PER_MS = 2_000  # z3 work units per millisecond of solver time on an idle core here (see above)
GUARD_FACTOR = 20      # the wall-clock guard: this many times the budget's time at RLIMIT_PER_MS ...
GUARD_MIN_MS = 60_000  # ... and never less than a minute


def work(ms: int) -> int:
    """The budget that takes about `ms` milliseconds of solver time here."""
    return int(ms) * RLIMIT_PER_MS


# The budgets of the provers' queries, each named for what it is spent on.
FULL = work(30_000)           # one proof obligation's query (and the vacuity checks)
EXPLORE = work(5_000)         # the path explorer's feasibility question at a branch
QUICK = work(2_000)           # an obligation first tried from fewer hypotheses (unsat from a subset is unsat)
FIRST_ATTEMPT = work(5_000)   # the full query's short first attempt
SMALL_VALUES = work(20_000)   # the search for a counterexample among small values after `unknown`
CEX_ATTEMPT = work(5_000)     # one try at a readable counterexample model (per random seed)


def rlimit_arg(text: str) -> int:
    """The argparse type of a budget option (`--rlimit`, `--prover-rlimit`): a positive number of rlimit
    units; anything else is the parser's one-line error, before any proof starts."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"not a positive number of rlimit units: {text!r}")
    return value


def guard_ms(rlimit: int) -> int:
    """The wall-clock guard of a query with budget `rlimit`."""
    return max(GUARD_MIN_MS, GUARD_FACTOR * rlimit // RLIMIT_PER_MS)


class _Guard:
    """One thread per process that interrupts the running query's z3 context once its deadline has
    passed. Started on first use, and again in a forked child (threads do not survive a fork)."""

    def __init__(self) -> None:
        self._pid: int | None = None
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._ctx: z3.Context | None = None
        self.fired = False

    def _ensure_thread(self) -> None:
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._cond = threading.Condition()
            self._deadline = None
            threading.Thread(target=self._run, args=(self._cond,), daemon=True, name="z3-wall-clock-guard").start()

    def _run(self, cond: threading.Condition) -> None:
        with cond:
            while True:
                if self._deadline is None:
                    cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    cond.wait(left)
                    continue
                self._deadline = None
                self.fired = True
                if self._ctx is not None:
                    self._ctx.interrupt()

    def arm(self, ctx: z3.Context, ms: int) -> None:
        self._ensure_thread()
        with self._cond:
            self._ctx, self.fired = ctx, False
            self._deadline = time.monotonic() + ms / 1000
            self._cond.notify()

    def disarm(self) -> bool:
        """Whether the guard stopped the query."""
        with self._cond:
            self._deadline = None
            return self.fired


_GUARD = _Guard()


def limit(s: z3.Solver, rlimit: int) -> z3.Solver:
    """Give each later `check(s)` the budget `rlimit` (and its guard). Returns `s`."""
    if not isinstance(rlimit, int) or isinstance(rlimit, bool) or rlimit <= 0:
        raise ValueError(f"solver budget: rlimit must be a positive int, not {rlimit!r}")
    s.set("rlimit", rlimit)
    s._workbench_rlimit = rlimit  # type: ignore[attr-defined]
    return s


def solver(rlimit: int, ctx: z3.Context | None = None) -> z3.Solver:
    """A fresh solver (in z3's main context, or `ctx`) with the budget `rlimit` per query."""
    return limit(z3.Solver(ctx=ctx), rlimit)


def _count(s: z3.Solver) -> int:
    st = s.statistics()
    return int(st.get_key_value("rlimit count")) if "rlimit count" in st.keys() else 0


def check(s: z3.Solver, *assumptions: z3.BoolRef) -> z3.CheckSatResult:
    """`s.check(*assumptions)` within the budget `limit` gave it, recording the work it used."""
    if getattr(s, "_workbench_rlimit", None) is None:
        raise ValueError("solver budget: a query without a budget (call budget.limit on the solver first)")
    before = _count(s)
    _GUARD.arm(s.ctx, guard_ms(s._workbench_rlimit))
    try:
        r = s.check(*assumptions)
    finally:
        s._workbench_guarded = _GUARD.disarm()  # type: ignore[attr-defined]
    used = max(0, _count(s) - before)
    s._workbench_last = used  # type: ignore[attr-defined]
    s._workbench_used = getattr(s, "_workbench_used", 0) + used  # type: ignore[attr-defined]
    s._workbench_peak = max(getattr(s, "_workbench_peak", 0), used)  # type: ignore[attr-defined]
    return r


def unknown_reason(s: z3.Solver) -> str:
    """Why the last `check(s)` answered unknown: its budget was spent, the wall-clock guard stopped it,
    or z3's own reason (e.g. incomplete quantifier instantiation)."""
    rlimit = getattr(s, "_workbench_rlimit", None)
    used = getattr(s, "_workbench_last", 0)
    reason = s.reason_unknown()
    if rlimit is not None and used >= rlimit:
        return f"its work budget of {rlimit:,} rlimit units was spent"
    if getattr(s, "_workbench_guarded", False):
        return (f"stopped by the wall-clock guard after {guard_ms(rlimit or 0) / 1000:g} s with {used:,} of its "
                f"{rlimit:,} rlimit units used: the machine is far slower than the budget assumes")
    return f"z3 gave up: {reason}"


def stats(s: z3.Solver) -> dict:
    """What the solver's queries used since the previous `stats(s)` (a solver shared by several
    obligations, one push/pop scope each, is read after each one's queries): `rlimit_used` (their work,
    summed), `rlimit_peak` (the largest one query's), `rlimit_budget` (per query), and z3's conflicts,
    decisions and peak memory in MB (of the solver's last query)."""
    st = s.statistics()
    out = {k.replace(" ", "_"): st.get_key_value(k) for k in st.keys() if k in ("conflicts", "decisions", "max memory")}
    out["rlimit_used"] = getattr(s, "_workbench_used", 0)
    out["rlimit_peak"] = getattr(s, "_workbench_peak", 0)
    out["rlimit_budget"] = getattr(s, "_workbench_rlimit", 0)
    s._workbench_used = s._workbench_peak = 0  # type: ignore[attr-defined]
    return out


def merge_stats(stats_list: list[dict]) -> dict:
    """Several solvers' `stats` as one obligation's: work summed, peaks and budgets maxed."""
    out: dict[str, float] = {}
    for d in stats_list:
        for k, v in d.items():
            if k in ("max_memory", "rlimit_peak", "rlimit_budget"):
                out[k] = max(out.get(k, 0), v)
            else:
                out[k] = out.get(k, 0) + v
    return out
