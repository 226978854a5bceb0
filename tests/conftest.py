"""Shared fixtures: one compile of the suite and one deployed fixture per engine per session."""

from __future__ import annotations

import pytest

# helper modules whose asserts count as the calling test's assertions (tests/assertion_guard.py)
pytest.register_assert_rewrite("tests.fixtures", "tests.report.shapes")

pytest_plugins = ["tests.assertion_guard", "pytester"]

from harness.evm.fixture import deploy_suite, suite_artifacts


@pytest.fixture(scope="session")
def artifacts():
    return suite_artifacts()


@pytest.fixture(scope="session")
def pyrevm_suite(artifacts):
    return deploy_suite("pyrevm", artifacts)


@pytest.fixture(scope="session")
def pyevm_suite(artifacts):
    return deploy_suite("py-evm", artifacts)
