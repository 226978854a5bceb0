"""Deployment (PROTOCOL.md section 9) and the ERC-8004 identity link (R-3.7), on both engines against
the models: constructors refuse zero addresses as the models do; linkAgent checks ownership on the
identity registry at link time only."""

from __future__ import annotations

import pytest

from harness.evm.engine import EngineError, deploy_contract, make_engine
from specs.compute.system import DEPLOYMENTS, with_identity_registry
from specs.kernel import U256, Address, Revert
from specs.deploy import DEPLOYER
from tests.compute.pair import A, ENGINES, P, Suite, artifacts, plain
from tests.compute.test_staking_registry import register

R = "ComputeRegistry"
MODELS = {d.name: d.model for d in DEPLOYMENTS}
# contract -> constructor arguments with one zero address, and the error both sides must give
ZERO_CASES = [
    ("ComputeStaking", (0xA1, 0), "ZeroAddress"),
    ("ComputeStaking", (0, 0xA1), "OwnableInvalidOwner"),
    ("ComputeRegistry", (0xA1, 0, 0), "ZeroAddress"),
    ("ComputeRegistry", (0, 0xA1, 0), "OwnableInvalidOwner"),
    ("ComputeRental", (0, 0xA1), "ZeroAddress"),
    ("ComputeRental", (0xA1, 0), "ZeroAddress"),
    ("InferenceServing", (0,), "ZeroAddress"),
    ("TriggerRegistry", (0,), "OwnableInvalidOwner"),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_constructors_refuse_zero_addresses_like_the_models(engine):
    arts = artifacts()
    eng = make_engine(engine)
    seen = []
    for name, args, error in ZERO_CASES:
        with pytest.raises(Revert) as m:
            MODELS[name].construct(*(Address(a) for a in args))
        with pytest.raises(EngineError) as e:
            deploy_contract(eng, arts[name].abi, arts[name].bytecode, args, sender=DEPLOYER)
        assert (e.value.error.name, tuple(e.value.error.args)) == (m.value.error.abi_name(), plain(m.value.error.args()))
        seen.append(m.value.error.abi_name() == error)
    assert seen and all(seen)


@pytest.fixture(params=ENGINES)
def s(request):
    return Suite(request.param, deployments=with_identity_registry())


def test_link_agent_checks_ownership_at_link_time(s):
    register(s, P)
    ident = "AgentIdentityMock"
    s.expect("ERC721NonexistentToken", R, "linkAgent", P, U256(42))
    s.ok(ident, "mint", A, Address(A), U256(42))
    assert s.expect("NotAgentOwner", R, "linkAgent", P, U256(42)) == (42, P)
    s.expect("NotProvider", R, "linkAgent", A, U256(42))
    s.ok(ident, "mint", A, Address(P), U256(42))
    s.ok(R, "linkAgent", P, U256(42))
    assert s.view(R, "agentIdOf", U256(1)) == 42
    # a later transfer of the agent token does not touch the link
    s.ok(ident, "mint", A, Address(A), U256(42))
    assert s.view(R, "agentIdOf", U256(1)) == 42
