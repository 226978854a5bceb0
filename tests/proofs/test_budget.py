"""Solver budgets (specs/budget.py): a query runs on a budget of solver work, so its answer does not
depend on the machine's load; a spent budget and the wall-clock guard are told apart, and neither is
ever read as unsat."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import time

import pytest
import z3

from invariants.parallel import fork_map
from specs import budget


def _hard(s: z3.Solver, tag: str = "") -> None:
    """A nonlinear query z3 does not settle quickly (a sum of cubes)."""
    x, y, z = z3.Ints(f"x{tag} y{tag} z{tag}", ctx=s.ctx)
    s.add(x > 1, y > 1, z > 1, x * x * x + y * y * y == z * z * z + 7, x < 10**6, y < 10**6)


def test_a_query_beyond_its_budget_is_unknown_and_says_the_budget_was_spent():
    s = budget.solver(200_000)
    _hard(s)
    assert budget.check(s) == z3.unknown
    assert budget.unknown_reason(s) == "its work budget of 200,000 rlimit units was spent"
    st = budget.stats(s)
    assert st["rlimit_budget"] == 200_000 and st["rlimit_used"] >= 200_000 and st["rlimit_peak"] == st["rlimit_used"]


def test_each_query_of_a_solver_gets_the_whole_budget_again():
    """z3 counts a limit from where the context's counter stands: a second query is not starved by the
    first one's work."""
    s = budget.solver(200_000)
    _hard(s, "again")
    assert budget.check(s) == z3.unknown and budget.check(s) == z3.unknown
    st = budget.stats(s)
    assert st["rlimit_used"] >= 400_000 and st["rlimit_peak"] < st["rlimit_used"]
    assert budget.stats(s)["rlimit_used"] == 0  # read once: the next reading counts later queries only


def test_the_wall_clock_guard_is_reported_as_the_guard_not_as_a_spent_budget(monkeypatch):
    monkeypatch.setattr(budget, "GUARD_MIN_MS", 20)
    monkeypatch.setattr(budget, "GUARD_FACTOR", 0)
    s = budget.solver(budget.FULL)
    _hard(s, "guard")
    assert budget.check(s) == z3.unknown
    reason = budget.unknown_reason(s)
    assert reason.startswith("stopped by the wall-clock guard") and f"{budget.FULL:,}" in reason, reason


def test_a_query_without_a_budget_or_with_a_bad_one_is_refused():
    with pytest.raises(ValueError, match="without a budget"):
        budget.check(z3.Solver())
    for bad in (0, -1, 1.5, True, None):
        with pytest.raises(ValueError, match="positive int"):
            budget.solver(bad)  # type: ignore[arg-type]


def test_an_easy_query_answers_within_its_budget():
    x = z3.Int("easy")
    s = budget.solver(budget.QUICK)
    s.add(x > 3, x < 2)
    assert budget.check(s) == z3.unsat
    assert 0 < budget.stats(s)["rlimit_used"] < budget.QUICK


_FRESH = itertools.count()
# The z3 context of the test's tasks, made by the parent before it forks (the tests that ran before in
# the same process made other terms in z3's main context; this one holds only what this test makes)
_CTX: list[z3.Context] = []


def _work_of_a_query(_i: int) -> tuple[str, int]:
    """A task as the provers run them: terms of the parent plus fresh ones, and a nonlinear query that
    z3 answers after some work (about a million units: factoring 100003 * 100019)."""
    ctx = _CTX[0]
    n = next(_FRESH)  # fresh names, as the provers' symbolic values have: new terms, new ids
    x, y = z3.Ints(f"p{n} q{n}", ctx=ctx)
    z3.Ints(" ".join(f"pad{n}_{k}" for k in range(n % 7)), ctx=ctx)  # and a history that differs with it
    s = budget.solver(budget.FULL, ctx=ctx)
    s.add(x * y == 100003 * 100019, x > 1, y > 1, x <= y)
    r = budget.check(s)
    return str(r), budget.stats(s)["rlimit_used"]


def _busy(stop: float) -> None:
    while time.time() < stop:
        pass


def test_a_task_sends_the_same_work_however_it_is_scheduled_and_however_loaded_the_machine_is():
    """One forked process per task (invariants/parallel.py): the same task starts from the same z3
    state, so its queries take the same work, alone, side by side, or beside processes that keep
    every core busy; a wall-clock limit would not give that."""
    _CTX[:] = [z3.Context()]
    _hard(budget.solver(budget.QUICK, ctx=_CTX[0]), "parent")  # terms the parent made before forking
    alone = fork_map(_work_of_a_query, [0], 1)[0]
    side_by_side = fork_map(_work_of_a_query, [0, 1, 2, 3], 2)
    ctx = mp.get_context("fork")
    hogs = [ctx.Process(target=_busy, args=(time.time() + 60,), daemon=True) for _ in range(os.cpu_count() or 2)]
    for h in hogs:
        h.start()
    try:
        loaded = fork_map(_work_of_a_query, [0, 1], 2)
    finally:
        for h in hogs:
            h.kill()
            h.join()
    assert alone[0] == "sat" and alone[1] > 100_000
    assert set(side_by_side) == {alone} and set(loaded) == {alone}, (alone, side_by_side, loaded)


def test_an_obligation_whose_budget_is_spent_is_inconclusive_and_says_so_never_proved():
    """The prover on a small payable Vault (tests/kernel/contracts/Vault.sol) with a budget of one unit
    per query: what the solver cannot settle within it is INCONCLUSIVE with the budget named, nothing is
    VIOLATED; with the default budget the same obligations are PROVED (tests/kernel/test_eth.py)."""
    from invariants.prover import INCONCLUSIVE, PROVED, UNSUPPORTED, Prover
    from tests.kernel.evm_pair import model_system
    from tests.kernel.test_eth import SOLVENT, TOTAL, VAULT
    from tests.kernel.vault_model import VaultModel

    results = Prover(model_system("Vault", VAULT, VaultModel), [TOTAL, SOLVENT], environment=(), step_invariants=[],
                     rlimit=1).run()
    statuses = {r.status for r in results}
    assert statuses <= {PROVED, INCONCLUSIVE, UNSUPPORTED}, statuses  # UNSUPPORTED: withdrawAll, as always
    spent = [r for r in results if r.status == INCONCLUSIVE]
    assert any(r.id == "KERNEL-ETH-002/Vault.withdraw" for r in spent), [(r.id, r.status) for r in results]
    for r in spent:
        assert "work budget of 1 rlimit units was spent" in r.details.get("message", ""), (r.id, r.details)
        assert r.details.get("solver_stats", {}).get("rlimit_budget", 1) <= 1


@pytest.mark.parametrize("bad", ["0", "-5", "lots", "1.5"])
def test_a_bad_budget_option_is_one_line_and_exit_3_before_any_proof(bad, capsys):
    """`python -m invariants.suite --rlimit` and `verify --prover-rlimit` take a positive number of rlimit
    units; anything else is the parser's one-line error with the tool-error exit code."""
    from harness import cli
    from invariants import suite
    from specs.errors import EXIT_TOOL_ERROR
    from tests.one_line import one_line

    for run in (lambda: suite.main(["--rlimit", bad]), lambda: cli.main(["verify", "--prover-rlimit", bad])):
        with pytest.raises(SystemExit) as e:
            run()
        assert e.value.code == EXIT_TOOL_ERROR
        line = one_line(capsys.readouterr().err)
        assert "not a positive number of rlimit units" in line and repr(bad) in line, line
