"""Prover._counterexample tries z3 models in order of preference and returns the first whose concrete
pre-state satisfies every state invariant and whose replay confirms the violation; when none does, the
counterexample stays unconfirmed and its note lists every attempt. (Which model z3 returns depends on
the process's term order, so a single try made "confirmed" depend on what ran before: a CI run saw
drain_consumes_too_little's first model break BPE-BUFFER-002 in its own pre-state.)"""

from __future__ import annotations

import invariants.all  # noqa: F401
from invariants.prover import PROVED_DEPLOYMENTS, Prover
from specs.system import build_system
from tests.fixtures.broken_invariant_models import TWINS

TWIN = "capacity_registry_window_off_by_one"


def _violation(prover: Prover):  # type: ignore[no-untyped-def]
    contract, model, _, invariant, function = TWINS[TWIN]
    results = prover.run(only=lambda tr: tr.name == function)
    return next(r for r in results if r.id == f"{invariant}/{function}")


def _prover() -> Prover:
    contract, model, *_ = TWINS[TWIN]
    return Prover(build_system({contract: model}, PROVED_DEPLOYMENTS))


def test_an_unrealisable_first_model_falls_back_to_the_next_one(monkeypatch):
    prover = _prover()
    real = Prover._concretise
    labels: list[str] = []

    def first_unrealisable(self, model, label, *a, **k):  # type: ignore[no-untyped-def]
        cex = real(self, model, label, *a, **k)
        labels.append(label)
        if len(labels) == 1:  # as if the first model's pre-state broke an invariant
            cex.confirmed_on_model = False
            cex.note += "; pre-state breaks ['X'] (not realisable)"
        return cex

    monkeypatch.setattr(Prover, "_concretise", first_unrealisable)
    hit = _violation(prover)
    assert hit.status == "VIOLATED"
    assert len(labels) == 2 and labels[0] == "preferred"
    assert hit.counterexample.confirmed_on_model and hit.counterexample.model_label == labels[1]


def test_a_counterexample_no_model_confirms_stays_unconfirmed_and_says_what_was_tried(monkeypatch):
    prover = _prover()
    real = Prover._concretise

    def never_confirmed(self, model, label, *a, **k):  # type: ignore[no-untyped-def]
        cex = real(self, model, label, *a, **k)
        cex.confirmed_on_model = False
        cex.note += "; pre-state breaks ['X'] (not realisable)"
        return cex

    monkeypatch.setattr(Prover, "_concretise", never_confirmed)
    hit = _violation(prover)
    cex = hit.counterexample
    assert hit.status == "VIOLATED" and not cex.confirmed_on_model
    assert cex.model_label == "preferred"
    assert "not confirmed with any model tried (preferred: succeeded from a pre-state breaking invariants, " \
           "the violation's own model: succeeded from a pre-state breaking invariants)" in cex.note

