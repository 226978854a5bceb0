"""BPE-FLOW lemmas over the GDA model's own arithmetic (invariants/bpe/superfluid.py): proved for the model
as written; each broken twin of a SemanticMoney function makes its lemma VIOLATED, with a
counterexample that replays when the broken function runs on the concrete inputs."""

from __future__ import annotations

import pytest

from invariants.bpe.proofs import system_prover
from invariants.bpe.superfluid import LEMMAS
from specs.bpe import superfluid as sf
from tests.bpe.fixtures.broken_invariant_models import GDA_FUNCTION_TWINS


@pytest.mark.slow
def test_every_flow_lemma_is_proved_and_not_vacuous():
    assert LEMMAS
    for lemma in LEMMAS:
        r = system_prover().prove_lemma(lemma)
        assert r.status == "PROVED", (lemma.id, r.details)
        assert r.details["paths"] > 0


@pytest.mark.parametrize("twin", sorted(GDA_FUNCTION_TWINS))
@pytest.mark.catches("prover-flow")
def test_a_broken_gda_function_violates_its_lemma_with_a_replaying_counterexample(twin, monkeypatch):
    fn, broken, lemma_id = GDA_FUNCTION_TWINS[twin]
    monkeypatch.setattr(sf, fn, broken)
    r = system_prover().prove_lemma(next(lm for lm in LEMMAS if lm.id == lemma_id))
    assert r.status == "VIOLATED", r.details
    assert r.details.get("confirmed"), r.details


def test_a_lemma_counterexample_does_not_replay_on_the_correct_function(monkeypatch):
    fn, broken, lemma_id = GDA_FUNCTION_TWINS["pool_member_update_drops_remainder"]
    lemma = next(lm for lm in LEMMAS if lm.id == lemma_id)
    original = getattr(sf, fn)
    monkeypatch.setattr(sf, fn, broken)
    _, body = lemma.build()
    import z3

    from specs.kernel import Explorer

    assumptions, body = lemma.build()
    for p in Explorer(assumptions).explore(body):
        if isinstance(p.result, bool):
            continue
        s = z3.Solver()
        s.add(*assumptions, *p.definitions, *p.conditions, z3.Not(p.result))
        if s.check() == z3.sat:
            model = s.model()
            assert lemma.replay(model)[0]  # fails with the broken function
            monkeypatch.setattr(sf, fn, original)
            assert not lemma.replay(model)[0]  # and holds with the correct one
            return
    pytest.fail("no counterexample found")
