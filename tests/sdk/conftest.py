"""A real anvil node per test module (127.0.0.1, a free port), killed on teardown.

The binary comes from node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil or $BPE_ANVIL; without
it these tests are skipped with a message saying how to install it.
"""

from __future__ import annotations

import pytest

from sdk.anvil import AnvilNotFound, find_anvil, start_anvil


def _binary_or_skip() -> None:
    try:
        find_anvil()
    except AnvilNotFound as exc:
        pytest.skip(f"anvil is not installed: {exc}")


@pytest.fixture(scope="module")
def anvil(tmp_path_factory):
    _binary_or_skip()
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    node = start_anvil(log_path=log)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def fresh_anvil(tmp_path):
    _binary_or_skip()
    node = start_anvil(log_path=tmp_path / "anvil.log")
    try:
        yield node
    finally:
        node.stop()
