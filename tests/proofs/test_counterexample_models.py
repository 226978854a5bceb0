"""Prover._counterexample tries z3 models in order of preference and returns the first whose concrete
pre-state satisfies every state invariant and whose replay confirms the violation; when none does, the
counterexample stays unconfirmed and its note lists every attempt. (Which model z3 returns depends on
the process's term order, so a single try made "confirmed" depend on what ran before: a CI run saw
drain_consumes_too_little's first model break BPE-BUFFER-002 in its own pre-state.)"""

from __future__ import annotations

import pytest

import invariants.bpe.all  # noqa: F401
from invariants.bpe.proofs import system_prover
from invariants.prover import OTHER_MODELS, Prover
from tests.bpe.fixtures.broken_invariant_models import TWINS

TWIN = "capacity_registry_window_off_by_one"


def _violation(prover: Prover):  # type: ignore[no-untyped-def]
    contract, model, _, invariant, function = TWINS[TWIN]
    results = prover.run(only=lambda tr: tr.name == function)
    return next(r for r in results if r.id == f"{invariant}/{function}")


def _prover() -> Prover:
    contract, model, *_ = TWINS[TWIN]
    return system_prover({contract: model})


def _unrealisable(cex):  # type: ignore[no-untyped-def]
    cex.confirmed_on_model = False
    cex.broken_before = ["X"]
    return cex


@pytest.mark.slow
def test_an_unrealisable_first_model_falls_back_to_another_model(monkeypatch):
    real = Prover._concretise
    seen: list[tuple[str, object]] = []

    def first_unrealisable(self, model, label, *a, **k):  # type: ignore[no-untyped-def]
        cex = real(self, model, label, *a, **k)
        seen.append((label, cex))
        return _unrealisable(cex) if len(seen) == 1 else cex

    monkeypatch.setattr(Prover, "_concretise", first_unrealisable)
    hit = _violation(_prover())
    assert hit.status == "VIOLATED"
    assert [label for label, _ in seen] == ["preferred", "preferred, model 2"]
    cex = hit.counterexample
    assert cex.confirmed_on_model and cex.model_label == "preferred, model 2"
    first = seen[0][1].to_json()
    second = cex.to_json()
    assert (first["pre_state"], first["call"], first["keys"]) != (second["pre_state"], second["call"], second["keys"])


@pytest.mark.slow
def test_a_counterexample_no_model_confirms_stays_unconfirmed_and_says_what_was_tried(monkeypatch):
    real = Prover._concretise
    labels: list[str] = []

    def never_confirmed(self, model, label, *a, **k):  # type: ignore[no-untyped-def]
        labels.append(label)
        return _unrealisable(real(self, model, label, *a, **k))

    monkeypatch.setattr(Prover, "_concretise", never_confirmed)
    hit = _violation(_prover())
    cex = hit.counterexample
    assert hit.status == "VIOLATED" and not cex.confirmed_on_model
    assert cex.model_label == "preferred"
    assert labels[0] == "preferred" and labels[-1] == "the violation's own model"
    assert labels[:OTHER_MODELS + 1] == ["preferred"] + [f"preferred, model {i + 2}" for i in range(OTHER_MODELS)]
    assert "not confirmed with any model tried (preferred: succeeded from a pre-state breaking invariants" in cex.note
    assert "the violation's own model: succeeded from a pre-state breaking invariants)" in cex.note


def test_a_preferred_model_the_solver_stalls_on_is_retried_with_other_seeds_and_then_given_up(monkeypatch):
    import z3

    import invariants.prover as prover
    from specs import budget

    x, y, z = z3.Ints("x y z")
    monkeypatch.setattr(budget, "CEX_ATTEMPT", 400_000)  # a fraction of a second of solver work per try
    seeds: list[int] = []
    real_set = z3.Solver.set

    def record(self, *a, **k):  # type: ignore[no-untyped-def]
        if a and a[0] == "random_seed":
            seeds.append(a[1])
        return real_set(self, *a, **k)

    monkeypatch.setattr(z3.Solver, "set", record)
    s = z3.Solver()
    s.add(x > 0)
    hard = x * x * x + y * y * y + z * z * z == 33  # sat, but only with 17-digit numbers: unknown within 400,000 units
    assert prover._preferred_model(s, [hard]) is None
    assert seeds == [*range(prover.CEX_SEEDS), 0]  # every seed tried, then reset to 0
    assert len(s.assertions()) == 1  # the preferences' scope is gone
    seeds.clear()
    model = prover._preferred_model(s, [x == 5])
    assert model is not None and model.eval(x).as_long() == 5
    seeds.clear()
    assert prover._preferred_model(s, [x < 0]) is None
    assert seeds == [0, 0]  # unsat: one try (seed 0), no other seed; then the seed is reset to 0
