"""A test that asserts nothing fails: a pytest plugin (loaded by tests/conftest.py).

Every passing `assert` in a rewritten module (test modules, conftest files and the helper packages
registered in tests/conftest.py) is counted for the test running it (pytest's `pytest_assertion_pass`
hook, enabled by `enable_assertion_pass_hook` in pyproject.toml). A test whose call phase passed with
no assertion, and whose source does not check an exception with `raises(`, fails with a message
saying so: a loop over an empty collection, or a checker's outcome never looked at, is a test that
cannot fail.
"""

from __future__ import annotations

import inspect

import pytest

_passed: dict[str, int] = {}


def pytest_assertion_pass(item: pytest.Item, lineno: int, orig: str, expl: str) -> None:
    _passed[item.nodeid] = _passed.get(item.nodeid, 0) + 1


def _checks_an_exception(item: pytest.Item) -> bool:
    fn = getattr(item, "function", None)
    try:
        return fn is not None and "raises(" in inspect.getsource(fn)
    except (OSError, TypeError):
        return False


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):  # type: ignore[no-untyped-def]
    _passed[item.nodeid] = 0
    outcome = yield
    if outcome.excinfo is None and not _passed.pop(item.nodeid, 0) and not _checks_an_exception(item):
        outcome.force_exception(pytest.fail.Exception(
            f"{item.nodeid} ran no assertion: a test that asserts nothing cannot fail", pytrace=False))
