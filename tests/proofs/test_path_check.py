"""invariants.prover.check_success_paths and paths_satisfiable: the one place that turns per-path solver
answers into PROVED / VIOLATED / INCONCLUSIVE, with vacuity fail-closed (a solver `unknown` on whether
the assumptions are satisfiable is never read as "satisfiable")."""

from __future__ import annotations

import pytest
import z3

from invariants.prover import check_success_paths, paths_satisfiable
from specs.kernel import Panic, Path

x, y, z = z3.Ints("pc.x pc.y pc.z")
HARD = x * x * x + y * y * y + z * z * z == 33  # sat, but only with 17-digit numbers: unknown within 300 ms


def test_every_success_path_meeting_its_goal_is_proved():
    paths = [Path([x > 5], [], result=x > 0), Path([x <= 5], [], result=x > -10),
             Path([x == 0], [], reverted=Panic(0x11))]  # a reverting path is no counterexample
    chk = check_success_paths([x > -3], paths, 2_000)
    assert chk.status == "PROVED" and chk.satisfiable == z3.sat and chk.model is None


@pytest.mark.catches("path-check")
def test_a_success_path_breaking_its_goal_is_violated_with_a_model():
    chk = check_success_paths([x > -3], [Path([x > 5], [], result=x > 6)], 2_000)
    assert chk.status == "VIOLATED" and chk.model is not None and chk.model.eval(x).as_long() == 6


def test_assumptions_contradicting_every_success_path_are_vacuous_not_proved():
    chk = check_success_paths([x > 10], [Path([x < 0], [], result=z3.BoolVal(False))], 2_000)
    assert chk.status == "INCONCLUSIVE" and chk.vacuous and chk.message.startswith("VACUOUS")
    assert paths_satisfiable([x > 10], [Path([x < 0], [])], 2_000) == z3.unsat


def test_unknown_satisfiability_is_inconclusive_never_proved():
    chk = check_success_paths([HARD], [Path([], [], result=z3.BoolVal(True))], 300)
    assert chk.status == "INCONCLUSIVE" and not chk.vacuous and chk.satisfiable == z3.unknown
    assert "vacuity unknown" in chk.message
    assert paths_satisfiable([HARD], [Path([], [])], 300) == z3.unknown
    assert paths_satisfiable([x > 1], [], 300) == z3.sat  # no path: the assumptions alone
