"""The checkers of the workbench, each of which the fast test tier must show catching a deliberately
broken contract, model, file or test (a checker that is never seen failing may not be able to).

A test shows it with `@pytest.mark.catches("<name>")`; tests/test_tiers.py checks that every checker
named here has such a test outside the slow tier, and that every name a test gives is listed here.
"""

CHECKERS = {
    "prover": "the generic prover: a broken model twin is VIOLATED with a counterexample that replays",
    "prover-loops": "loop summaries (drain): a broken loop body is caught by its step lemma",
    "prover-callees": "assume-guarantee over callees (escrow buffer, pipeline): a broken twin is VIOLATED",
    "prover-flow": "the GDA flow proofs (BPE-FLOW-002 and its lemmas): a broken GDA function is VIOLATED",
    "prover-rebalance": "the rebalance proofs: a broken rebalance is VIOLATED",
    "path-check": "the success-path goal check: a path breaking its goal is VIOLATED with a model",
    "differential": "differential fuzzing (model against EVM): a broken contract is VIOLATED with a replay",
    "differential-model": "differential fuzzing: a broken model is VIOLATED",
    "state-invariants": "state invariants evaluated in a campaign: a pair broken alike is VIOLATED",
    "step-invariants": "step invariants: a broken twin the differential cannot see is caught",
    "engine-semantics": "the engine comparison: an engine keeping state it must not is caught",
    "gda-reference": "the reference GDA model against Superfluid's bytecode: a broken GDA model is caught",
    "slither": "slither and the protocol's detectors: an untriaged finding is VIOLATED",
    "mutation": "the mutation runner: a mutant is killed, a survivor is VIOLATED",
    "independence": "invariants independent of the model they judge: a module using model helpers is caught",
    "anchors": "Solidity anchors: a drifted anchor is reported",
    "test-lint": "the lint of the tests: a test that cannot fail is flagged",
    "sim-replay": "the simulation's gas replay: a model/EVM disagreement is reported",
    "reports": "the reports: a seeded violation appears in every format",
    "report-size": "the size check of REPORT.md (.ci/run, the workflow): a report too long for a comment fails",
}


def tiered(names, *, fast):  # noqa: ANN001, ANN201
    """Parameters for a test over `names`: those in `fast` run in the fast tier, the others are marked
    slow (the same check on more broken variants, for `make test-slow`)."""
    import pytest

    names = list(names)
    unknown = set(fast) - set(names)
    if unknown:
        raise ValueError(f"not among the parameters: {sorted(unknown)}")
    return [pytest.param(n, id=str(n), marks=() if n in fast else pytest.mark.slow) for n in names]
