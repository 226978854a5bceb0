"""REPORT.md fits a pull-request comment (GitHub takes 65,536 characters; the report stays under 60,000)
for the suites as registered now: results shaped like a `make verify` run of every registered suite,
one obligation per invariant and transition (the initial state, every transition of the suite's proved
deployment, a vacuity check per transition), the lemmas, the step invariants not proved across ETH
sends, the campaigns and the provenance of every Solidity source. Each obligation id is spelled out
where its status asks for it (VIOLATED, UNSUPPORTED), and the per-obligation table is OBLIGATIONS.md."""

from __future__ import annotations

import hashlib
from pathlib import Path

from harness.report.markdown import render_markdown, render_obligations
from harness.report.results import Check, Kind, Results, Status
from invariants.prover import transitions
from invariants.registry import STEP_REGISTRY
from invariants.suite import suite_invariants, unproved
from specs.suite import suites

REPO = Path(__file__).resolve().parents[2]
LIMIT = 60_000
# More lemmas than any suite registers now (BPE: 41), with statements as long as the longest.
LEMMAS_PER_SUITE = 60
# How many transitions of each step invariant of a suite are shaped UNSUPPORTED: those that send ETH to an
# account outside the system, where the prover leaves a step invariant UNSUPPORTED if the call changes or reads
# storage after the send (the compute suite's withdrawals and sweep: 7; BPE's models send no ETH).
UNSUPPORTED_STEPS = {"compute": 7}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def suites_shaped_results(status_of=lambda inv_id, where: Status.PROVED) -> Results:
    results = Results(tool_versions={"python": "3.11.7", "z3": "5.4.1.0", "solc-js": "0.8.28"},
                      compiler={"version": "0.8.28", "evm_version": "cancun"},
                      config={"suites": [s.name for s in suites()], "not_proved": []})
    sols = sorted(REPO.glob("contracts/**/*.sol"))
    results.sources = {str(p.relative_to(REPO)): _sha(str(p)) for p in sols}
    results.bytecode = {p.stem: {"creation_sha256": _sha(p.stem + "c"), "runtime_sha256": _sha(p.stem + "r"),
                                 "runtime_size": 12345} for p in sols}
    results.add(Check("COMPILE", Kind.COMPILE, "*", Status.PASSED, 0.5, "The Solidity suite compiles."))
    for suite in suites():  # every suite's step invariants registered before any is shaped, whatever ran before
        suite.register_invariants()
    step_ids = {i.id for i in STEP_REGISTRY.invariants.values()}
    for suite in suites():
        system = suite.resolve(suite.build_system)(deployments=suite.resolve(suite.proved_deployments))
        names = [tr.name for tr in transitions(system)]
        for i in range(LEMMAS_PER_SUITE):
            results.add(Check(f"LEMMA-{suite.name.upper()}-{i:03}", Kind.LEMMA, "*", Status.PROVED, 0.3,
                              "Lemma: " + "a long statement of a helper fact " * 6, suite=suite.name))
        for inv in suite_invariants(suite):
            wheres = names if inv.id in step_ids else ["init", *names]
            for k, where in enumerate(wheres):
                status = status_of(inv.id, where)
                details = {"message": "a step across ETH sent to an account outside the system: the receiver's "
                                      "code may call back, and its calls are part of the step (no encoding)"}
                if inv.id in step_ids and k < UNSUPPORTED_STEPS.get(suite.name, 0):
                    status = Status.UNSUPPORTED
                results.add(Check(f"{inv.id}/{where}", Kind.PROOF, inv.contract, status, 0.2, inv.statement,
                                  details if status is not Status.PROVED else {}, suite=suite.name))
        for name in names:
            results.add(Check(f"VACUITY/{name}", Kind.VACUITY, name.split(".")[0], Status.PROVED, 0.1,
                              f"The inductive step across {name} is not vacuous.", suite=suite.name))
        for row in unproved(suite):
            results.config["not_proved"].append({"id": row.id, "contract": row.contract, "statement": row.title,
                                                 "why": row.details["message"], "suite": suite.name,
                                                 "checked_by": "the fuzzer (state evaluated every step)"})
        for check in ("FUZZ-{}-pyrevm", "FUZZ-{}-py-evm", "ENGINES-{}-pyrevm-py-evm", "MUTATION-SAMPLE-{}"):
            results.add(Check(check.format(suite.name.upper()), Kind.FUZZ, "*", Status.PASSED, 200.0,
                              "The whole suite agrees with its models on every step.",
                              {"engine": "pyrevm", "steps": 12000, "steps_per_second": 60.0}, suite=suite.name))
    return results


def test_the_report_of_every_registered_suite_fits_a_pull_request_comment():
    results = suites_shaped_results()
    obligations = sum(c.kind in (Kind.PROOF, Kind.VACUITY, Kind.LEMMA) for c in results.checks)
    assert obligations > 1000  # the shape of the suites now, not a toy
    text = render_markdown(results)
    assert len(text) < LIMIT, len(text)
    # every UNSUPPORTED obligation is still named in the summary, and every check is in OBLIGATIONS.md
    table = render_obligations(results)
    for c in results.checks:
        if c.status is Status.UNSUPPORTED:
            # named in full, or on the line that names its invariant's obligations as `INV/` `where`, ...
            prefix, _, where = c.id.partition("/")
            assert any(f"`{c.id}`" in line or (f"`{prefix}/`" in line and f"`{where}`" in line)
                       for line in text.splitlines()), c.id
        assert f"`{c.id}`" in table, c.id


def test_violations_in_the_suites_are_spelled_out_each():
    results = suites_shaped_results(lambda inv_id, where: Status.VIOLATED if where == "init" else Status.PROVED)
    for c in results.checks:
        if c.status is Status.VIOLATED:
            c.details = {"counterexample": {"pre_state": {"x": 1}, "call": "f()", "post_state": {"x": 2}},
                         "confirmed": True}
            break
    text = render_markdown(results)
    violated = [c for c in results.checks if c.status is Status.VIOLATED]
    assert text.startswith("# Verification: VIOLATED")
    assert all(f"### `{c.id}`" in text for c in violated)
    # every invariant's row shows its worst status
    assert all(f"| `{c.id.split('/')[0]}` | VIOLATED |" in text for c in violated)
