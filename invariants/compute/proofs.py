"""The compute suite's proofs: the generic prover on the whole suite, and what it cannot prove, listed.

The one proof part, "system", runs `invariants.prover.Prover` on the six contracts and the test token
(specs/compute/suite.py PROVED_DEPLOYMENTS) with the suite's environment assumptions. It proves the ETH
solvency invariants of ComputeStaking, InferenceServing and LedgerManager and the step invariants of
staking and inference (msg.value, ETH balances, ETH sent to accounts whose code may call back and
string parameters have an encoding) across every transition it can run symbolically, with the vacuity
check of each. For every other transition it gives UNSUPPORTED rows naming the construct: a read of
the records with string or bytes members (invariants/prover.py Unencoded), a call to an address given
as an argument; a step invariant across ETH sent to an account that may call back is UNSUPPORTED too. The other invariants are
evaluate-only (`proof="concrete"`: the fuzzer and the differential tests evaluate them on the model and
the EVM after every step), because each reads a construct the encoding does not have: the records
(providers, sessions, triggers) or a quantification over a mapping's entries. They come back from
`unsupported_obligations` as UNSUPPORTED rows with the construct each one needs, never left out.
"""

from __future__ import annotations

from dataclasses import replace

from invariants.prover import INCONCLUSIVE, UNSUPPORTED, VIOLATED, ObligationResult, Prover
from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.compute.suite import PROVED_DEPLOYMENTS, SUITE
from specs.compute.system import build_system

RECORDS = "records with string or bytes members (no symbolic encoding: specs/compute/common.py records())"
ENTRIES = "a quantification over the entries of a mapping (sums grouped by key, models looked up by address)"

# Per evaluate-only invariant: the constructs it reads that the prover has no encoding for, and what
# checks it instead. An evaluate-only compute invariant missing here is a workbench error (see below).
WHY_NOT_PROVED: dict[str, tuple[str, ...]] = {
    "COMP-REG-002": (RECORDS,),
    "COMP-REG-003": (RECORDS,),
    "COMP-REG-004": (RECORDS,),
    "COMP-REG-005": (RECORDS,),
    "COMP-RENT-001": (RECORDS,),
    "COMP-RENT-002": (RECORDS,),
    "COMP-RENT-003": (RECORDS,),
    "COMP-RENT-004": (RECORDS,),
    "COMP-RENT-005": (RECORDS,),
    "COMP-LEDGER-002": (ENTRIES,),
    "COMP-TRIG-001": (RECORDS,),
    "COMP-TRIG-002": (RECORDS,),
    "COMP-TRIG-004": (RECORDS,),
}
COVERED_BY = ("evaluated on the model and on both EVMs after every step of the fuzz campaign "
              "(harness/fuzz/compute/machine.py) and of the differential tests (tests/compute/)")


def system_prover(*, timeout_ms: int = 30_000) -> Prover:
    """The generic prover on the compute suite, with the suite's environment assumptions."""
    return Prover(build_system(deployments=PROVED_DEPLOYMENTS), environment=SUITE.proof_environment,
                  timeout_ms=timeout_ms)


# Transitions that never succeed in the suite's deployment, by design: linkAgent reverts
# IdentityRegistryUnset while the identity registry is address 0 (PROTOCOL.md, specs/compute/system.py).
# Their vacuity check is run like any other; when it finds exactly that (no success path), the result is
# reported UNSUPPORTED with this reason instead of VIOLATED: no compute invariant is inductive, so there
# is no inductive step the missing success path could make vacuous. Any other result stands as it is.
NEVER_SUCCEEDS = {
    "ComputeRegistry.linkAgent": "linkAgent has no success path in this deployment: the identity registry is "
                                 "unset (R-3.7), so every call reverts IdentityRegistryUnset; checked with an "
                                 "identity registry by tests/compute/test_deployment_and_identity.py and "
                                 "reverting alike on model and EVM in every fuzz campaign",
}


def prove_system(*, jobs: int = 1, timeout_ms: int = 30_000) -> list[ObligationResult]:
    out = []
    for r in system_prover(timeout_ms=timeout_ms).run(jobs=jobs):
        transition = r.id.split("/", 1)[1] if "/" in r.id else ""
        message = (r.details or {}).get("message", "")
        # the vacuity check found exactly that (no success path), and the invariants' steps across the
        # transition rest on that vacuous check: reported UNSUPPORTED with the reason, anything else stands
        if transition in NEVER_SUCCEEDS and (
                (r.kind == "vacuity" and r.status == VIOLATED and "no success path" in message)
                or (r.kind == "proof" and r.status == INCONCLUSIVE and message.startswith("VACUOUS"))):
            r = replace(r, status=UNSUPPORTED, details={
                **r.details, "message": f"not checked: {NEVER_SUCCEEDS[transition]} (the prover found no "
                                        "success path, as expected)", "construct": "a transition that never succeeds"})
        out.append(r)
    return out


def unsupported_obligations() -> list[ObligationResult]:
    """Every evaluate-only compute invariant (state and step) as an UNSUPPORTED row naming what the
    prover cannot encode. An evaluate-only invariant without a recorded reason raises: a row must say
    why, and an invariant must not silently drop out of the proof report."""
    SUITE.register_invariants()
    names = {d.name for d in PROVED_DEPLOYMENTS}
    concrete = [i for i in [*REGISTRY.for_contracts(names), *STEP_REGISTRY.for_contracts(names)]
                if i.proof == "concrete"]
    missing = [i.id for i in concrete if i.id not in WHY_NOT_PROVED]
    if missing:
        raise ValueError(f"evaluate-only compute invariants without a reason in WHY_NOT_PROVED: {', '.join(missing)}")
    return [ObligationResult(f"{i.id}/*", "proof", i.contract, UNSUPPORTED, 0.0, i.statement,
                             {"message": "not proved: evaluate-only; the prover has no encoding for "
                                         + "; ".join(WHY_NOT_PROVED[i.id]),
                              "construct": "; ".join(WHY_NOT_PROVED[i.id]), "covered_by": COVERED_BY})
            for i in concrete]
