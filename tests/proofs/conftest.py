"""The proof suite runs once per test session: every module reads its part of the same results
(invariants.suite.proof_parts), instead of proving the same obligations again."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def proof_parts():
    from invariants.suite import proof_parts as run

    return run(jobs=2)  # the first registered suite, BPE
