"""Fixtures for the Superfluid tests: the pinned package (fetched once per session, or the tests are
skipped when it is absent and cannot be fetched), and one deployed framework with a wrapper
SuperToken per engine, handed out at its post-deployment snapshot."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import harness.evm.pyevm_engine  # noqa: F401  (py-evm raises the recursion limit on import: do it before any test)
from harness.evm import superfluid as sf
from harness.evm.engine import Snapshot
from harness.evm.fetch_superfluid import FetchError, IntegrityError, ensure_package, package_dir


@pytest.fixture(scope="session")
def superfluid_package():
    try:
        return ensure_package()
    except IntegrityError:
        raise  # a tarball that is not the pinned one is an error, never a skip
    except FetchError as exc:
        if not package_dir().is_dir():
            pytest.skip(f"Superfluid package not in {package_dir()} and the fetch failed: {exc}")
        raise


@dataclass
class World:
    fw: sf.Framework
    token: sf.WrapperSuperToken
    snapshot: Snapshot

    @property
    def engine(self):
        return self.fw.engine

    def reset(self) -> None:
        self.engine.revert(self.snapshot)


def deploy_world(engine_name: str) -> World:
    fw = sf.deploy_framework(sf.make_superfluid_engine(engine_name))
    token = sf.deploy_wrapper_supertoken(fw, "Test Token", "TT", 18)
    return World(fw, token, fw.engine.snapshot())


@pytest.fixture(scope="session")
def worlds(superfluid_package) -> dict[str, World]:
    """Engine name -> World (framework + token) at its snapshot. Tests that change state reset it."""
    return {name: deploy_world(name) for name in ("pyrevm", "py-evm")}
