"""`string` parameters: concretely, on both EVMs against the model (a string's hash as a mapping key,
an event carrying it), and in the prover, where a string argument is an unknown content of unknown
length whose hash is an uninterpreted function: the invariant is proved across every call, and a
model broken for long names gives a counterexample whose string, made concrete, hashes to the key
the violation used and confirms on the model.
Contract: tests/kernel/contracts/Tags.sol; model: tests/kernel/tags_model.py."""

from __future__ import annotations

import pytest

from invariants.prover import Prover
from invariants.registry import Invariant
from specs.kernel import U256, DynBytes, String, Unsupported
from tests.kernel.evm_pair import Pair, error_of, model_system
from tests.kernel.tags_model import TagsModel, UntagLongForgetsTotal

A = 0xA1
ENGINES = ("pyrevm", "py-evm")


def total_is_sum_of_counts(s):
    t = s.world.contracts[s.addrs["Tags"]]
    return t.counts.sum() == t.total


TOTAL = Invariant("KERNEL-STR-001", "Tags", "Invariant: total is the sum of the counts.", "w", "e",
                  total_is_sum_of_counts)


@pytest.mark.parametrize("engine", ENGINES)
def test_model_and_evm_agree_on_string_arguments_and_their_hashes(engine):
    pair = Pair(engine, "Tags", TagsModel)
    names = ["a", "ü" * 16, "x" * 33, ""]
    outcomes = []
    for fn, name, w in [("tag", names[0], 5), ("tag", names[1], 7), ("tag", names[2], 1), ("tag", names[3], 1),
                        ("untag", names[1], 3), ("untag", names[0], 6)]:
        m, e = pair.call(fn, A, String(name), U256(w))
        outcomes.append((error_of(m), error_of(e)))
        if m.ok:  # tag emits Tagged(name, weight) on both sides; untag nothing
            assert len(m.events) == len(e.events) == (1 if fn == "tag" else 0)
            if fn == "tag":
                assert m.events[0].event.name == String(name) and m.events[0].event.weight == U256(w)
    assert [m for m, _ in outcomes] == [e for _, e in outcomes]
    assert outcomes[2][0] == ("Error", ("length",)) and outcomes[3][0] == ("Error", ("length",))
    assert outcomes[5][0] is not None  # an underflow: Panic(0x11) on both
    keys = {type(String("a").keccak()): [String(n).keccak().v for n in names]}
    assert pair.diff(keys) == []
    evm = pair.evm_state(keys).world.contracts[pair.address]
    assert evm.counts[String(names[1]).keccak()].v == 4 and evm.total.v == 9


def test_symbolic_strings_have_a_length_and_a_hash_and_nothing_else():
    s = String.symbolic("s")
    assert s.is_symbolic and len(s.range_constraints()) == 5
    for op in (lambda: s == String("a"), lambda: s + String("a"), lambda: len(s), lambda: hash(s)):
        with pytest.raises(Unsupported):
            op()
    assert DynBytes(b"ab").keccak() == String("ab").keccak()


def test_prover_proves_the_invariant_across_string_arguments():
    r = {x.id: x for x in Prover(model_system("Tags", 0xC0FFEE, TagsModel), [TOTAL], environment=(),
                                 step_invariants=[]).run()}
    for ob in ("init", "Tags.tag", "Tags.untag"):
        assert r[f"KERNEL-STR-001/{ob}"].status == "PROVED", r[f"KERNEL-STR-001/{ob}"].details
    assert r["VACUITY/Tags.tag"].status == "PROVED"


def test_prover_counterexample_builds_a_long_string_whose_hash_is_the_key():
    r = {x.id: x for x in Prover(model_system("Tags", 0xC0FFEE, UntagLongForgetsTotal), [TOTAL], environment=(),
                                 step_invariants=[]).run()}
    bad = r["KERNEL-STR-001/Tags.untag"]
    assert bad.status == "VIOLATED"
    cex = bad.counterexample
    name, weight = cex.args
    assert isinstance(name, String) and name.length().v > 16 and weight.v > 0
    assert cex.confirmed_on_model, cex.note
    # the pre-state holds the count at the real hash of the concrete name
    pre = cex.pre.world.contracts[0xC0FFEE]
    assert pre.counts[name.keccak()].v >= weight.v
    assert r["KERNEL-STR-001/Tags.tag"].status == "PROVED"
