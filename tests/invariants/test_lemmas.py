"""The sqrt lemmas hold, and fail for a broken loop; the symbolic sqrt matches the concrete one."""

import math
import random

import pytest

from invariants.bpe.bpe_math import LEMMAS
from invariants.bpe.proofs import system_prover
from specs.bpe import bpe_math
from specs.kernel import U256


def test_every_sqrt_lemma_is_proved():
    assert LEMMAS
    for lemma in LEMMAS:
        r = system_prover().prove_lemma(lemma)
        assert r.status == "PROVED", (lemma.id, r.details)


@pytest.mark.catches("prover-loops")
def test_a_broken_loop_step_violates_a_lemma(monkeypatch):
    def step_rounding_up(y, z, x):
        z = x
        x = (y // x + x + 1) // 2  # rounds the Newton step up: may never decrease below s + 1
        return z, x

    monkeypatch.setattr(bpe_math, "sqrt_step", step_rounding_up)
    statuses = {lm.id: system_prover().prove_lemma(lm).status for lm in LEMMAS}
    assert statuses["LEMMA-SQRT-002"] == "VIOLATED"


def test_a_broken_initialisation_violates_a_lemma(monkeypatch):
    monkeypatch.setattr(bpe_math, "sqrt_init", lambda y: (y, y // 4))
    assert system_prover().prove_lemma(LEMMAS[0]).status == "VIOLATED"


def test_concrete_sqrt_is_floor_sqrt():
    rng = random.Random(7)
    for y in list(range(300)) + [rng.getrandbits(rng.randint(1, 256)) for _ in range(2000)] + [2**256 - 1]:
        assert bpe_math.sqrt(U256(y)).v == math.isqrt(y)


def test_the_generic_prover_has_no_default_system_or_environment():
    """A suite's strategy says what it proves and what the proof rests on: neither is implied."""
    from invariants.prover import ASSUMPTIONS, Prover
    from specs.bpe.suite import PROVED_DEPLOYMENTS, SUITE
    from specs.bpe.system import build_system

    with pytest.raises(TypeError):
        Prover()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Prover(build_system(deployments=PROVED_DEPLOYMENTS))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="specs.deploy.System"):
        Prover(None, environment=())  # type: ignore[arg-type]
    p = system_prover()
    assert p.environment == [*ASSUMPTIONS, *SUITE.proof_environment] and set(p.system.addrs) == {
        d.name for d in PROVED_DEPLOYMENTS}
