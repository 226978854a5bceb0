"""Every view, public getter and public constant of the suite on both engines against the models, at a
few arguments each (tests/compute/pair.py check_views), after a scenario that touches every contract:
unknown ids revert with their named errors, yes/no views answer false (R-1.2)."""

from __future__ import annotations

from eth_utils import keccak

from specs.compute.compute_registry import TeeType
from specs.compute.compute_staking import StakeRole
from specs.compute.system import OWNER
from specs.compute.trigger_registry import TriggerType
from specs.kernel import U64, U256, Address, Bool, Bytes32, DynBytes, String
from tests.compute.pair import A, ETH, G, P, T, X, check_views
from tests.compute.test_inference_ledger_triggers import M, cron
from tests.compute.test_rental import create, setup


def test_every_view_agrees_after_a_scenario_over_every_contract(suite):
    s = suite
    assert check_views(s) > 300  # fresh deployment: every id unknown
    setup(s)
    create(s, 2)
    s.ok("ComputeRegistry", "setAttester", OWNER, Address(T), Bool(True))
    s.ok("ComputeRegistry", "attest", T, U256(1), Bytes32(keccak(b"quote-1")), TeeType.IntelTDX, U64(s.now + 3600))
    s.ok("ComputeStaking", "setGuardian", OWNER, Address(G), Bool(True))
    s.ok("ComputeStaking", "stake", G, StakeRole.Guardian, value=ETH)
    s.ok("ComputeStaking", "requestUnstake", A, StakeRole.User, U256(ETH // 100))
    s.ok("InferenceServing", "setModelPrice", P, M, U256(2), U256(5))
    s.ok("InferenceServing", "deposit", A, value=ETH)
    s.ok("InferenceServing", "approveProvider", A, Address(P), U256(10**6))
    s.ok("InferenceServing", "recordUsage", P, Address(A), U256(10), U256(20), M)
    s.ok("TriggerRegistry", "setExecutor", OWNER, Address(X), Bool(True))
    s.ok("TriggerRegistry", "createTrigger", A, TriggerType.Cron, cron(120))
    s.ok("TriggerRegistry", "createTrigger", A, TriggerType.Event, DynBytes(b"topic"))
    s.ok("TriggerRegistry", "executeTrigger", X, U256(2), DynBytes(b""))
    s.ok("LedgerManager", "deposit", A, value=ETH)
    s.skip(1800)
    assert check_views(s) > 300
