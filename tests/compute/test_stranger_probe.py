"""The differential's stranger probe (harness/fuzz/differential.py): at the end of a sequence an address
without any role calls every state-changing function of every suite contract on both sides. On the
compute suite as built every such call agrees and nothing stays changed; an access check left out of
the contract (setGuardian without onlyOwner) or of the model is a mismatch naming the call, found in
the first sequence of a campaign."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from harness.evm.fixture import deploy, suite_artifacts
from harness.fuzz.compute.machine import funded_differential
from harness.fuzz.differential import PROBE_SENDER, Mismatch, probe_argument, state_changing
from harness.fuzz.runner import model_factory, run_fuzz
from harness.fuzz.stateview import read_system, state_differences
from harness.evm.compile import compile_contracts
from invariants.registry import REGISTRY
from specs.compute.compute_staking import ComputeStaking
from specs.kernel import U64, Address, Bool, Bytes32, Struct, String
from specs.suite import get_suite
from tests.compute.fixtures import broken_models as bm
from tests.compute.fixtures.broken_contracts import BROKEN

SUITE = get_suite("compute")


def differential(contract_overrides: dict[str, str] | None = None, model_overrides: dict | None = None):
    arts = suite_artifacts(None, deployments=SUITE.resolve(SUITE.deployments))
    for name, path in (contract_overrides or {}).items():
        arts[name] = compile_contracts([path]).get(name)
    fx = deploy("pyrevm", SUITE, artifacts=arts)
    model = model_factory(fx, model_overrides)()
    return funded_differential(fx, model, REGISTRY.for_contracts(set(fx.addrs)))


def test_every_state_changing_function_is_probed_and_nothing_stays_changed():
    diff = differential()
    before = read_system(diff.fixture, diff.model, diff.key_sets())
    diff.probe_strangers()
    probed = {k.split(" ")[0] for k in diff.calls if k.endswith("(stranger probe)")}
    want = {f"{n}.{f}" for n in diff.model.addrs for f in state_changing(diff.model.models[n])}
    assert probed == want and "ComputeStaking.setGuardian" in probed
    assert not [k for k in diff.calls if "skipped" in k]
    # the probe's calls were undone on both sides: the state is the one before, and still agrees
    after = read_system(diff.fixture, diff.model, diff.key_sets())
    assert state_differences(before, after) == [] and state_differences(diff.model, after) == []
    assert diff.fixture.engine.get_balance(PROBE_SENDER) == 0


def test_an_access_check_left_out_of_the_contract_is_a_mismatch():
    diff = differential(contract_overrides={"ComputeStaking": str(BROKEN / "ComputeStaking_open_set_guardian.sol")})
    with pytest.raises(Mismatch) as e:
        diff.probe_strangers()
    text = str(e.value)
    assert "ComputeStaking.setGuardian(" in text and "success: model False, evm True" in text
    assert "OwnableUnauthorizedAccount" in text


def test_an_access_check_left_out_of_the_model_is_a_mismatch():
    diff = differential(model_overrides={"ComputeStaking": bm.OpenSetGuardian})
    with pytest.raises(Mismatch, match="success: model True, evm False"):
        diff.probe_strangers()


def test_a_campaign_finds_the_open_function_in_its_first_sequence(tmp_path):
    arts = suite_artifacts(None, deployments=SUITE.resolve(SUITE.deployments))
    arts["ComputeStaking"] = compile_contracts([str(BROKEN / "ComputeStaking_open_set_guardian.sol")]).get(
        "ComputeStaking")
    fx = deploy("pyrevm", SUITE, artifacts=arts)
    r = run_fuzz(fx, max_examples=1, step_count=1, replay_dir=tmp_path, shrink_seconds=0)
    assert r.status == "VIOLATED" and "ComputeStaking.setGuardian(" in r.mismatch


def test_probe_arguments_by_type_and_none_for_what_it_cannot_make():
    @dataclass
    class Pair(Struct):
        a: U64 = U64(0)

    assert probe_argument(Address, 0xA1, 7) == 0xA1
    assert probe_argument(U64, 0xA1, 7) == 1 and probe_argument(Bool, 0xA1, 7) is True
    assert probe_argument(Bytes32, 0xA1, 7) == "0x" + (7).to_bytes(32, "big").hex()
    assert probe_argument(String, 0xA1, 7) == "probe" and probe_argument(list[U64], 0xA1, 7) == []
    assert probe_argument(Pair, 0xA1, 7) is None
    assert "setGuardian" in state_changing(ComputeStaking) and "isGuardian" not in state_changing(ComputeStaking)
