"""Small scenarios for the simulator's tests (constant or mildly noisy capacities, short runs)."""

from __future__ import annotations

import pytest

from harness.sim.bpe.scenario import parse

SMALL = {
    "name": "small", "seed": 42, "steps": 60, "block_seconds": 12, "load": 0.8,
    "protocol": {"commit_every": 4, "reveal_delay": 1},
    "task_types": [{"name": "t", "unit_price": 10**15, "buffer_max": 50.0}],
    "sinks": [
        {"name": "slow", "task_type": "t", "stake": 10_000, "capacity": {"kind": "constant", "mean": 10}},
        {"name": "fast", "task_type": "t", "stake": 2_500, "capacity": {"kind": "noisy", "mean": 30, "cv": 0.2, "corr": 0.5}},
    ],
    "sources": [{"name": "src", "task_type": "t", "share": 1.0, "size_mean": 0.2}],
}

# Heterogeneous constant capacities (10 and 40 units): the static equal split is stable only below
# load 2 * 10 / 50 = 0.4; the capacity region ends at load 1.
STABILITY = {
    "name": "stability", "seed": 1, "steps": 500, "block_seconds": 12, "load": 0.8,
    "protocol": {"commit_every": 5, "reveal_delay": 1},
    "task_types": [{"name": "t", "unit_price": 10**15, "buffer_max": "inf"}],
    "sinks": [
        {"name": "slow", "task_type": "t", "stake": 10_000, "capacity": {"kind": "constant", "mean": 10}},
        {"name": "fast", "task_type": "t", "stake": 10_000, "capacity": {"kind": "constant", "mean": 40}},
    ],
    "sources": [{"name": "src", "task_type": "t", "share": 1.0, "size_mean": 0.3}],
    "sweep": {"loads": [0.3, 0.6, 0.85, 1.25], "policies": ["protocol", "static_equal"], "steps": 500},
}

PIPELINE = {
    "name": "pipe", "seed": 9, "steps": 40, "block_seconds": 12, "load": 1.2,
    "protocol": {"commit_every": 3, "reveal_delay": 2},
    "task_types": [{"name": "a", "unit_price": 10**15, "buffer_max": 5.0},
                   {"name": "b", "unit_price": 2 * 10**15, "buffer_max": 2.0}],
    "pipelines": [{"name": "p", "stages": ["a", "b"], "weights_bps": [3000, 7000]}],
    "sinks": [{"name": "a1", "task_type": "a", "stake": 400, "capacity": {"kind": "constant", "mean": 15}},
              {"name": "b1", "task_type": "b", "stake": 900, "capacity": {"kind": "markov", "levels": [20, 4], "stay": [0.8, 0.8]}}],
    "sources": [{"name": "s", "pipeline": "p", "share": 1.0, "size_mean": 0.5}],
}


@pytest.fixture
def small():
    return parse(SMALL, "small")


@pytest.fixture
def stability():
    return parse(STABILITY, "stability")


@pytest.fixture
def pipeline():
    return parse(PIPELINE, "pipe")
