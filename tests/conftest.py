"""Shared fixtures: one compile of the suite and one deployed fixture per engine per session."""

from __future__ import annotations

import pytest

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
