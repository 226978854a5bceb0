"""BPE's tests. `bpe_artifacts` and `deploy_bpe` compile and deploy BPE's whole deployment (on the
Superfluid framework) for the tests of BPE and of the shared machinery that use BPE as their suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.evm import fixture as _fixture
from specs.suite import get_suite

BPE = get_suite("bpe")
DEPLOYMENTS = BPE.resolve(BPE.deployments)


def bpe_artifacts(build: Any = None, overrides: dict[str, Path] | None = None) -> dict:
    """The artifact of every contract BPE deploys; `overrides` swaps in other sources."""
    return _fixture.suite_artifacts(build, overrides, deployments=DEPLOYMENTS)


def deploy_bpe(engine_name: str, artifacts: dict | None = None) -> _fixture.Fixture:
    """BPE deployed on a fresh engine (default artifacts: BPE's own sources)."""
    return _fixture.deploy_suite(engine_name, artifacts or bpe_artifacts(), DEPLOYMENTS,
                                 environment_addresses=BPE.constants)
