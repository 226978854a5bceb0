"""Edge values around a suite's bounds (harness/fuzz/edges.py)."""

from __future__ import annotations

import pytest

from harness.fuzz.edges import WORD_MAX, around, as_int
from specs.kernel import U8, U256


def test_each_bound_then_one_below_and_one_above_each_value_once():
    assert around(256) == [256, 255, 257]
    assert around(U256(1024), 1025) == [1024, 1023, 1025, 1026]


def test_edges_stay_within_the_range():
    assert around(0) == [0, 1]
    assert around(U256(WORD_MAX)) == [WORD_MAX, WORD_MAX - 1]
    assert around(U8(255), high=255) == [255, 254]
    assert around(5, low=5) == [5, 6]


def test_a_constant_that_is_no_integer_is_refused():
    for bad in ("256", 2.5, True, None):
        with pytest.raises(TypeError, match="not an integer constant"):
            as_int(bad)
