import pytest

from invariants.registry import Invariant


@pytest.mark.parametrize("missing", ["statement", "why", "exploit"])
def test_registry_refuses_an_invariant_with_missing_metadata(missing):
    fields = dict(id="BPE-TEST-001", contract="X", statement="Invariant: x", why="w", exploit="e")
    fields[missing] = ""
    with pytest.raises(ValueError):
        Invariant(predicate=lambda s: True, **fields)


def test_registry_refuses_a_statement_without_the_invariant_prefix():
    with pytest.raises(ValueError):
        Invariant("BPE-TEST-001", "X", "x holds", "w", "e", lambda s: True)
