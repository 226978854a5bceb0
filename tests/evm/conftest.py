"""Fixtures for the engine tests: the Solidity fixtures of tests/evm/fixtures compiled once (through
harness.evm.compile, cached), and one engine per engine name."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

import harness.evm.pyevm_engine  # noqa: F401  (py-evm raises the recursion limit on import: do it before any test)
from harness.evm.compile import Artifact, compile_contracts
from harness.evm.engine import ENGINE_NAMES, make_engine

FIXTURES = Path(__file__).resolve().parent / "fixtures"

DEPLOYER = 0xD0
ALICE = 0xA11CE
BOB = 0xB0B


@lru_cache(maxsize=None)
def fixture_artifacts() -> dict[str, Artifact]:
    """Contract name -> Artifact for every contract of tests/evm/fixtures/*.sol."""
    sources = tuple(str(p) for p in sorted(FIXTURES.glob("*.sol")))
    return compile_contracts(sources).artifacts


@pytest.fixture(scope="session")
def artifacts() -> dict[str, Artifact]:
    return fixture_artifacts()


@pytest.fixture(params=ENGINE_NAMES)
def engine(request):
    return make_engine(request.param)
