"""Proof coverage from the registry (invariants/suite.py `coverage`), failing closed: an invariant registered
for a suite that no proof part covers becomes an UNSUPPORTED row naming it, and one covered otherwise
than its `proved_by` declares becomes an ERROR row. A tiny fake suite with stubbed part runners: no
solver runs here."""

from __future__ import annotations

import pytest

import invariants.suite as suite_mod
from invariants.prover import ObligationResult
from invariants.registry import Invariant, Registry, StepInvariant, StepRegistry
from invariants.suite import coverage, declared_parts, prove_suite, suite_invariants
from specs.deploy import Deployment
from specs.suite import ProofPart, Suite, get_suite, suite_names

DEPLOYMENTS = (Deployment("Fake", object), Deployment("Other", object))  # type: ignore[arg-type]
RAN: list[str] = []


def _proved(id: str, contract: str = "Fake") -> ObligationResult:
    return ObligationResult(id, "proof", contract, "PROVED", 0.0, "Invariant: proved.")


def run_alpha(*, jobs: int, rlimit: int) -> list[ObligationResult]:
    RAN.append("alpha")
    return [_proved("FAKE-A-001/init"), _proved("FAKE-A-001/Fake.f"), _proved("VACUITY/Fake.f"),
            _proved("FAKE-MOVED-001/init")]


def run_beta(*, jobs: int, rlimit: int) -> list[ObligationResult]:
    RAN.append("beta")
    return [_proved("FAKE-B-001/Fake.f"), _proved("FAKE-S-001/Fake.f"), _proved("FAKE-LOCAL-001/init")]


def not_proved_yet() -> list[ObligationResult]:
    return [ObligationResult("FAKE-LISTED-001/*", "proof", "Fake", "UNSUPPORTED", 0.0, "Invariant: later.",
                             {"message": "not proved: needs a new encoding"})]


FAKE = Suite(name="fake", title="fake", deployments="tests.invariants.test_coverage:DEPLOYMENTS",
             proved_deployments="tests.invariants.test_coverage:DEPLOYMENTS", build_system="",
             proof_parts=(ProofPart("alpha", "tests.invariants.test_coverage:run_alpha"),
                          ProofPart("beta", "tests.invariants.test_coverage:run_beta")),
             default_proof_part="alpha", unproved="tests.invariants.test_coverage:not_proved_yet")


def _inv(id: str, contract: str = "Fake", **kw) -> Invariant:  # type: ignore[no-untyped-def]
    return Invariant(id, contract, "Invariant: something.", "why", "exploit", lambda s: True, **kw)


@pytest.fixture
def registries(monkeypatch):
    """Fresh registries in place of the global ones, so the fake invariants meet no real one."""
    reg, steps = Registry(), StepRegistry()
    monkeypatch.setattr(suite_mod, "REGISTRY", reg)
    monkeypatch.setattr(suite_mod, "STEP_REGISTRY", steps)
    RAN.clear()
    return reg, steps


def test_an_invariant_no_strategy_covers_is_an_unsupported_row_naming_it(registries):
    reg, steps = registries
    reg.add(_inv("FAKE-A-001"))  # default part alpha: covered by alpha
    steps.add(StepInvariant("FAKE-S-001", "Fake", "Invariant: a step.", "why", "exploit", lambda *a: True,
                            proved_by=("beta",)))
    reg.add(_inv("FAKE-GAP-001", proved_by=("beta",)))  # registered, but beta never touches it
    reg.add(_inv("FAKE-LISTED-001"))  # covered by the suite's own not-proved row
    reg.add(_inv("ELSEWHERE-001", contract="NotInTheSuite"))  # another suite's contract: not this one's
    results = prove_suite(FAKE)
    assert RAN == ["alpha", "beta"]
    gap = [r for r in results if r.id.startswith("FAKE-GAP-001")]
    assert [(r.id, r.status, r.contract) for r in gap] == [("FAKE-GAP-001/*", "UNSUPPORTED", "Fake")]
    assert gap[0].details["message"] == ("not covered by any proof strategy: it declares proved_by beta; "
                                         "beta produced no obligation of it")
    # nothing else is flagged: the covered ones, the listed one (its own row, once) and the foreign one
    flagged = [r.id for r in results if r.status in ("UNSUPPORTED", "ERROR")]
    assert flagged == ["FAKE-GAP-001/*", "FAKE-LISTED-001/*"]
    # the parts' obligations of invariants the registry does not hold (a strategy's own strengthening)
    # are reported as they came
    assert "FAKE-LOCAL-001/init" in {r.id for r in results}


def test_an_invariant_without_any_obligation_or_declared_part_is_unsupported(registries):
    reg, _ = registries
    reg.add(_inv("FAKE-NOWHERE-001", proved_by=("gamma",)))  # a part the suite does not have
    (row,) = coverage(FAKE, {"alpha": [], "beta": []}, [])
    assert (row.id, row.status) == ("FAKE-NOWHERE-001/*", "UNSUPPORTED")
    assert "gamma: no proof part of suite fake (its parts: alpha, beta)" in row.details["message"]


@pytest.mark.parametrize("proved_by, problem", [
    # obligations of it come from alpha; it says beta, which produced none
    (("beta",), "obligations of it come from alpha, which it does not declare (proved_by: beta); "
                "beta, which it declares, produced no obligation of it"),
    # alpha covers it, but it also claims beta, which produced none
    (("alpha", "beta"), "beta, which it declares, produced no obligation of it"),
    # alpha covers it, and it names a part the suite does not have
    (("alpha", "gamma"), "proved_by names gamma, no proof part of suite fake (its parts: alpha, beta)"),
])
def test_a_proved_by_that_does_not_match_the_results_is_an_error_row(registries, proved_by, problem):
    reg, _ = registries
    reg.add(_inv("FAKE-MOVED-001", proved_by=proved_by))
    parts = {"alpha": run_alpha(jobs=1, rlimit=1), "beta": run_beta(jobs=1, rlimit=1)}
    (row,) = coverage(FAKE, parts, [])
    assert (row.id, row.status, row.kind) == ("FAKE-MOVED-001/proved-by", "ERROR", "proof")
    assert row.details["message"] == "proved_by does not match the proof results: " + problem
    assert row.details["obligations_from"] == ["alpha"]


def test_a_suite_without_a_default_part_and_an_invariant_without_proved_by_is_refused(registries):
    import dataclasses

    reg, _ = registries
    reg.add(_inv("FAKE-MOVED-001"))
    bare = dataclasses.replace(FAKE, default_proof_part="")
    (row,) = coverage(bare, {"alpha": run_alpha(jobs=1, rlimit=1)}, [])
    assert row.status == "ERROR" and "it declares no proof part" in row.details["message"]


def test_proved_by_is_a_tuple_of_part_names():
    with pytest.raises(ValueError, match="proved_by must be a tuple of proof part names"):
        _inv("FAKE-BAD-001", proved_by="alpha")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="proved_by"):
        _inv("FAKE-BAD-002", proved_by=("",))


@pytest.mark.parametrize("name", suite_names())
def test_every_invariant_of_a_registered_suite_declares_one_of_its_proof_parts(name):
    suite = get_suite(name)
    parts = set(suite.part_names())
    invs = suite_invariants(suite)
    assert invs
    for inv in invs:
        declared = declared_parts(suite, inv)
        assert declared and set(declared) <= parts, (inv.id, declared, sorted(parts))
    # the default part is one of the suite's parts (or there is none)
    assert not suite.default_proof_part or suite.default_proof_part in parts
