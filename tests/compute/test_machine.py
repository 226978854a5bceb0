"""The compute fuzz machine (harness/fuzz/compute/machine.py) under the shared runner: a short campaign on
the registered suite's deployment passes and evaluates every compute invariant on both sides; the
records holding strings are compared by the differential itself (its observer), so a model that stores
another endpoint than it emits is caught; bad inputs of the machine (ETH to a function that is not
payable, malformed calldata, a 10 kB string) are compared like any call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_utils import keccak

from harness.evm.fixture import deploy
from harness.fuzz.compute.observers import records_differences
from harness.fuzz.compute.machine import HOUR, LONG, PREPARE, PROVIDERS, ComputeMachine, DeployedComputeMachine
from harness.fuzz.differential import Mismatch
from harness.fuzz.runner import campaign_invariant_ids, run_fuzz, start_differential
from invariants.registry import REGISTRY
from specs.compute.compute_registry import ComputeRegistry, EndpointUpdated
from specs.compute.system import build_suite_system
from specs.kernel import Msg, String, external
from specs.suite import get_suite

SUITE = get_suite("compute")


@pytest.fixture(scope="module")
def fx():
    return deploy("pyrevm", SUITE)


def test_the_suite_declares_the_machines_and_deploys_the_mocks(fx):
    assert SUITE.resolve(SUITE.fuzz_machine) is ComputeMachine
    assert SUITE.resolve(SUITE.deployed_machine) is DeployedComputeMachine
    assert {"FeeOnTransferToken", "FalseReturnToken", "ReenteringWallet", "CallbackToken"} <= set(fx.addrs)


def test_a_short_campaign_passes_and_evaluates_every_invariant(fx, tmp_path):
    r = run_fuzz(fx, max_examples=10, step_count=20, replay_dir=tmp_path)
    assert r.status == "PASSED", r.mismatch or r.message
    assert r.steps > 30 and sum(r.calls.values()) > 15
    # the flows reach the protocol's deep paths, not only its first checks
    deep = ["ComputeRental.createSession", "ComputeRental.terminateSession", "InferenceServing.recordUsage",
            "ComputeStaking.withdrawUnstaked", "TriggerRegistry.executeTrigger", "LedgerManager.withdraw"]
    assert sum(r.successes.get(f, 0) > 0 for f in deep) >= 4, {f: r.successes.get(f, 0) for f in deep}
    ids = campaign_invariant_ids(fx)
    assert ids and all(r.evaluations[i]["model"] > 0 and r.evaluations[i]["evm"] > 0 for i in ids)


@pytest.fixture(scope="module")
def flow_fx():
    return deploy("pyrevm", SUITE)  # its own: a machine's prepared state takes the engine's snapshots over


@pytest.mark.parametrize("flow, kwargs", [
    ("rental_flow", dict(renter=0xB2, pid=1, hours=2, extend=1, served=HOUR + 1, by="provider")),
    ("rental_flow", dict(renter=0xA1, pid=2, hours=1, extend=0, served="past-end", by="anyone")),
    ("usage_flow", dict(provider=PROVIDERS[1], user=0xB2, model="gpt-x", price=(2, 3), tokens=(100, 50), deposit=10**18,
                        allowance="exact", payout="half")),
    ("ledger_flow", dict(who=0xB2, value=10**15 + 3, back="half")),
    ("token_flow", dict(who=0xB2, token=0, value=1000, back="all", fee=0, twice=True, probe="none")),
    ("token_flow", dict(who=0xA1, token=1, value=10**18 + 7, back="half", fee=10, twice=False,  # fee on transfer
                        probe="none")),
    ("callback_flow", dict(who=0xB2, hook_amount=100, withdraw=False)),
    ("callback_flow", dict(who=0xA1, hook_amount=1, withdraw=True)),
    ("unstake_flow", dict(who=0xB2, role=1, part="above-min", wait=7 * 86400, slashed=1)),
    ("trigger_flow", dict(agent=0xB2, interval=60, fund=10**15, waits=[60, HOUR], stop=True)),
])
def test_each_flow_walks_its_path_with_every_call_succeeding(flow_fx, flow, kwargs):
    """The flows' inputs are valid ones: from the prepared state, with the values that matter in range,
    every call of the flow succeeds on the model and on the EVM (and they agree: each is a step)."""
    fx = flow_fx
    ComputeMachine.configure(fx, SUITE.resolve(SUITE.build_system), REGISTRY.for_contracts(set(fx.addrs)))
    m = ComputeMachine()
    before = len(m.diff.trace)
    getattr(m, flow)(**kwargs)
    outcomes = [t["outcome"] for t in m.diff.trace[before:] if not t["outcome"].startswith("block ")]  # not time
    assert len(outcomes) >= 2 and all(o.startswith("ok") for o in outcomes), " | ".join(outcomes)


@dataclass
class StoresAnotherEndpoint(ComputeRegistry):
    """updateEndpoint stores the endpoint with a suffix but emits the one given: only the record differs."""

    @external
    def updateEndpoint(self, msg: Msg, endpoint: String) -> None:
        providerId = self._onlyProvider(msg)
        self.providers[providerId].endpoint = String(str(endpoint) + "!")
        self.emit(EndpointUpdated(providerId, endpoint))


def test_the_records_observer_catches_a_record_only_the_getter_shows(fx):
    factory = lambda: build_suite_system({"ComputeRegistry": StoresAnotherEndpoint})  # noqa: E731
    invariants = REGISTRY.for_contracts(set(fx.addrs))
    diff, _ = start_differential(fx, [dict(PREPARE)], factory, invariants)
    step = {"op": "call", "contract": "ComputeRegistry", "function": "updateEndpoint", "sender": PROVIDERS[0],
            "args": ["https://new.example"]}
    with pytest.raises(Mismatch) as e:
        diff.step(step)
    # the state view reads the string member from storage; the address view getProviderByAddress shows it
    # too; getProvider(1) is the observer's record
    found = {d.path: d for d in e.value.differences}
    assert set(found) == {"ComputeRegistry.providers[0x1].endpoint", "ComputeRegistry.getProvider(1)",
                          f"ComputeRegistry.getProviderByAddress({PROVIDERS[0]})"}
    assert "https://new.example!" in found["ComputeRegistry.providers[0x1].endpoint"].model
    assert "https://new.example!" in found["ComputeRegistry.getProvider(1)"].model
    # and the observer alone, on the state after the step
    assert [d.path for d in records_differences(diff.model, fx)] == ["ComputeRegistry.getProvider(1)"]


@pytest.mark.parametrize("step", [
    {"op": "call", "contract": "ComputeStaking", "function": "sweepToTreasury", "sender": PROVIDERS[0], "args": [],
     "value": 1},
    {"op": "call", "contract": "ComputeRegistry", "function": "updateEndpoint", "sender": PROVIDERS[0], "args": [LONG]},
    {"op": "raw", "contract": "ComputeStaking", "sender": PROVIDERS[0], "why": "role out of range",
     "data": "0x" + (keccak(b"stake(uint8)")[:4] + (3).to_bytes(32, "big")).hex()},
])
def test_bad_inputs_revert_alike(fx, step):
    diff, _ = start_differential(fx, [dict(PREPARE)], SUITE.resolve(SUITE.build_system),
                                 REGISTRY.for_contracts(set(fx.addrs)))
    diff.step(step)
    assert diff.trace[-1]["outcome"].startswith("reverted")


def test_a_replay_without_the_prepared_step_starts_from_the_deployed_state(fx):
    diff, steps = start_differential(fx, [{"op": "advance", "blocks": 1, "seconds": 1}],
                                     SUITE.resolve(SUITE.build_system), REGISTRY.for_contracts(set(fx.addrs)))
    assert diff.model.registry.providerCount.v == 0 and len(steps) == 1
    assert Path(SUITE.resolve(SUITE.deployed_machine).__module__.replace(".", "/") + ".py").exists()
