"""The guard of tests/assertion_guard.py fails a test that asserts nothing, and only such a test."""

from __future__ import annotations


def test_a_test_that_asserts_nothing_fails_and_one_that_asserts_passes(pytester):
    pytester.makepyfile(test_inner='''
import pytest

def test_loops_over_nothing():
    for x in ():
        assert x

def test_asserts():
    assert 1 + 1 == 2

def test_checks_an_exception():
    with pytest.raises(ZeroDivisionError):
        1 / 0
''')
    result = pytester.runpytest("-p", "tests.assertion_guard", "-o", "enable_assertion_pass_hook=true",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_loops_over_nothing ran no assertion*"])
