"""The compute suite's proofs: the generic prover on the whole suite, and what it cannot prove, listed.

The one proof part, "system", runs `invariants.prover.Prover` on the six contracts and the test token
(specs/compute/suite.py PROVED_DEPLOYMENTS) with the suite's environment assumptions: every state and
step invariant across every transition, with the vacuity check of each. The records with string and
bytes members (providers, sessions, triggers) are kernel struct mappings, encoded like any other
(specs/compute/PROTOCOL.md section 10's sums over them are ghost sums). linkAgent, which cannot succeed
in the suite's own deployment, is proved in the suite deployed with an identity registry
(`OTHER_DEPLOYMENT`). The token the ledger's token functions call is taken to be the suite's test token
(`TOKEN_CALLEES`, stated in every result's environment). The step invariants across ETH sent to an
account that may call back are proved for the call's own effect (the prover's rule for steps across
sends). The ledger's token solvency is a ghost sum per token (`SumBy`). An evaluate-only invariant
(`proof="concrete"`; none today) would be evaluated by the fuzzer and the differential tests on the model
and the EVM after every step, and come back from `unsupported_obligations` as an UNSUPPORTED row with the
construct it needs, never left out.
"""

from __future__ import annotations

from dataclasses import replace

from specs.budget import FULL
from invariants.prover import UNSUPPORTED, ObligationResult, Prover
from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.compute.suite import PROVED_DEPLOYMENTS, SUITE
from specs.compute.system import build_system, with_identity_registry

# Per evaluate-only invariant: the constructs it reads that the prover has no encoding for, and what
# checks it instead. An evaluate-only compute invariant missing here is a workbench error (see below).
WHY_NOT_PROVED: dict[str, tuple[str, ...]] = {}
COVERED_BY = ("evaluated on the model and on both EVMs after every step of the fuzz campaign "
              "(harness/fuzz/compute/machine.py) and of the differential tests (tests/compute/)")


# The ledger's token functions call the token their caller names: the proofs take it to be the suite's test
# token (the proof environment, specs/compute/suite.py); the fee-on-transfer, false-returning and
# calling-back tokens are the fuzz campaign's and the differential tests' (harness/fuzz/compute/machine.py).
TOKEN_CALLEES = ("ComputeTestToken",)


def system_prover(*, rlimit: int = FULL) -> Prover:
    """The generic prover on the compute suite, with the suite's environment assumptions."""
    SUITE.register_invariants()  # the prover takes the registered invariants of the deployed contracts
    return Prover(build_system(deployments=PROVED_DEPLOYMENTS), environment=SUITE.proof_environment,
                  rlimit=rlimit, callees=TOKEN_CALLEES)


# Transitions proved in another deployment: linkAgent has no success path in the suite's own (the
# identity registry is unset, R-3.7: every call reverts IdentityRegistryUnset and changes nothing), so
# its inductive step is proved where it can succeed, with ComputeRegistry wired to an identity registry
# whose ownerOf answers from an unknown owner table (specs/compute/system.py with_identity_registry).
OTHER_DEPLOYMENT = {
    "ComputeRegistry.linkAgent": "proved in the suite deployed with an identity registry (specs/compute/"
                                 "system.py with_identity_registry: an ERC-721 ownerOf over an unknown owner "
                                 "table); in the suite's own deployment the registry is unset and every call "
                                 "reverts IdentityRegistryUnset (R-3.7)",
}


def identity_prover(*, rlimit: int = FULL) -> Prover:
    """The generic prover on the suite deployed after an identity registry (for linkAgent)."""
    SUITE.register_invariants()
    return Prover(build_system(deployments=with_identity_registry()), environment=SUITE.proof_environment,
                  rlimit=rlimit, callees=TOKEN_CALLEES)


def prove_system(*, jobs: int = 1, rlimit: int = FULL) -> list[ObligationResult]:
    out = system_prover(rlimit=rlimit).run(jobs=jobs, only=lambda tr: tr.name not in OTHER_DEPLOYMENT)
    other = identity_prover(rlimit=rlimit)
    for kind, tr in other.tasks(only=lambda tr: tr.name in OTHER_DEPLOYMENT):
        if kind != "transition":
            continue  # the initial state is the suite's own, proved above
        for r in other.run_task((kind, tr)):
            out.append(replace(r, details={**(r.details or {}), "deployment": OTHER_DEPLOYMENT[tr.name]}))
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
