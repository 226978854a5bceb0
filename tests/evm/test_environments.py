"""A suite's environment: the external system its contracts are deployed onto (harness.evm.fixture
ENVIRONMENTS), its addresses checked against the ones the suite's models expect."""

from __future__ import annotations

import pytest

from harness.evm import fixture as fx_mod
from harness.evm.engine import make_engine
from harness.evm.abi import ABIRegistry
from specs.deploy import Deployment
from specs.errors import EngineError
from tests.evm.conftest import fixture_artifacts

ORACLE = 0x0E1

COUNTER = (Deployment("Counter", object, lambda a: (5, a["Oracle"]), environment="box"),)


def _box(engine_name: str) -> fx_mod.Environment:
    """An environment that deploys nothing and names one address."""
    return fx_mod.Environment(make_engine(engine_name), ABIRegistry(), {}, {"Oracle": ORACLE})


@pytest.fixture
def box(monkeypatch):
    monkeypatch.setitem(fx_mod.ENVIRONMENTS, "box", f"{__name__}:_box")


def test_constructor_arguments_name_the_environments_addresses(box):
    fx = fx_mod.deploy_suite("pyrevm", {"Counter": fixture_artifacts()["Counter"]}, COUNTER,
                             environment_addresses={"box": {"Oracle": ORACLE}})
    assert fx.contracts["Counter"].view("owner").returned == (ORACLE,)


@pytest.mark.parametrize("expected, cause", [
    ({"box": {"Oracle": ORACLE + 1}}, "the models expect"),
    ({"box": {}}, "the models name no address for it"),
    ({}, "declares no expected addresses"),
])
def test_an_environment_at_other_addresses_than_the_models_is_refused(box, expected, cause):
    with pytest.raises(EngineError, match=cause):
        fx_mod.deploy_suite("pyrevm", {"Counter": fixture_artifacts()["Counter"]}, COUNTER,
                            environment_addresses=expected)


def test_an_unknown_environment_is_refused_by_name():
    with pytest.raises(EngineError, match="unknown environment 'box'"):
        fx_mod.deploy_suite("pyrevm", {"Counter": fixture_artifacts()["Counter"]}, COUNTER,
                            environment_addresses={"box": {"Oracle": ORACLE}})
