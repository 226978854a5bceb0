"""Proof workers: a worker killed before it answers is a tool error (exit code 3), never a hang and
never a missing row."""

from __future__ import annotations

import os
import signal

import pytest

from specs.errors import EXIT_TOOL_ERROR
from invariants.parallel import SolverCrashed, fork_map


def _square_or_die(x: int) -> int:
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # as the OOM killer or a `kill -9` would
    return x * x


def test_results_come_back_in_the_order_of_the_tasks():
    assert fork_map(_square_or_die, [5, 4, 2, 1], jobs=2) == [25, 16, 4, 1]


def test_a_killed_worker_is_a_tool_error_in_one_line():
    with pytest.raises(SolverCrashed) as e:
        fork_map(_square_or_die, [1, 2, 3, 4], jobs=2)
    assert e.value.exit_code == EXIT_TOOL_ERROR
    message = str(e.value)
    assert "\n" not in message and "died before answering" in message and "incomplete" in message


def test_a_killed_solver_stops_the_prover_with_the_tool_error(monkeypatch):
    """Prover.run with workers raises it (verify's proof step records any exception of the provers as
    an ERROR check, exit code 3)."""
    from invariants import prover

    def killed(self, task, lemmas=()):  # noqa: ARG001
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(prover.Prover, "run_task", killed)
    p = prover.Prover.__new__(prover.Prover)
    p.task_weights = {}
    monkeypatch.setattr(p, "tasks", lambda **_k: [("init", "A"), ("init", "B")], raising=False)
    with pytest.raises(SolverCrashed, match="died before answering"):
        p.run(jobs=2)


def test_a_crash_of_the_proof_suite_is_one_line_and_exit_3_not_violated(monkeypatch, capsys):
    """A model bug inside a prover (a model mutant reading a concrete mapping with a symbolic key) must
    not read as VIOLATED (exit 1)."""
    from invariants import suite
    from specs.kernel import ModelBug
    from tests.one_line import one_line

    def crash(*_a, **_k):
        raise ModelBug("symbolic key into a concrete mapping")

    monkeypatch.setattr(suite, "prove_suite", crash)
    assert suite.main(["--jobs", "1"]) == EXIT_TOOL_ERROR
    line = one_line(capsys.readouterr().err)
    assert "ModelBug: symbolic key into a concrete mapping" in line, line
    with pytest.raises(ModelBug):
        suite.main(["--jobs", "1", "--debug"])
