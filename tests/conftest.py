"""Shared fixtures: one compile of the suite and one deployed fixture per engine per session."""

from __future__ import annotations

import pytest

from tests.bpe import bpe_artifacts, deploy_bpe


@pytest.fixture(scope="session")
def artifacts():
    return bpe_artifacts()


@pytest.fixture(scope="session")
def pyrevm_suite(artifacts):
    return deploy_bpe("pyrevm", artifacts)


@pytest.fixture(scope="session")
def pyevm_suite(artifacts):
    return deploy_bpe("py-evm", artifacts)
