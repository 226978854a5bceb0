"""Builds shared by the slither tests: the suite and each detector fixture, compiled once a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.evm.compile import compile_contracts

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def fixture_build(name: str):
    return compile_contracts(sources=[FIXTURES / f"{name}.sol"])


@pytest.fixture(scope="session")
def suite_build():
    return compile_contracts()


@pytest.fixture(scope="session")
def suite_run(suite_build):
    from harness.analysis.slither_run import run_slither

    return run_slither(suite_build)
