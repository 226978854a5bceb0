"""What a fuzz machine class runs with, and how often each invariant was evaluated.

A hypothesis `RuleBasedStateMachine` sets attributes of its own on every instance (`invariants`,
`bundles`, `names_counters`, ...) in its `__init__`; a class attribute of the same name set by the
workbench is hidden on every instance, and the check it carried silently stops running. So a machine
keeps its configuration in one class attribute, `campaign`, whose name hypothesis does not use
(tests/fuzz/test_campaign.py checks that no attribute of a machine class is shadowed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

SIDES = ("model", "evm")


@dataclass
class Campaign:
    fixture: Any  # harness.evm.fixture.Fixture
    model_factory: Callable[[], Any]  # () -> the suite's System (specs.deploy.System)
    state_invariants: list[Any]  # invariants.registry.Invariant: evaluated after every step
    progress: Callable[[int], None] | None = None  # called with the number of sequences started


def add_evaluations(into: dict[str, dict[str, int]], counts: dict[str, dict[str, int]]) -> None:
    """Add per-invariant, per-side evaluation counts into `into`."""
    for inv_id, sides in counts.items():
        mine = into.setdefault(inv_id, {s: 0 for s in SIDES})
        for side, n in sides.items():
            mine[side] = mine.get(side, 0) + n


def unevaluated(expected: list[str], evaluations: dict[str, dict[str, int]]) -> list[str]:
    """`id (side)` of every expected invariant evaluated zero times on a side."""
    out = []
    for inv_id in expected:
        sides = evaluations.get(inv_id, {})
        out += [f"{inv_id} ({side})" for side in SIDES if not sides.get(side)]
    return out
