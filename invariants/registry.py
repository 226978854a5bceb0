"""Invariants are written once: a registered predicate over the system state, with its metadata.

A predicate takes a suite's `System` (`specs.deploy.System`; BPE's is `specs.bpe.system.System`) and,
optionally, quantified keys (`sink: Address`):
`def p(s, sink)` states "for every sink, p". The fuzzer evaluates it on concrete states (model and
EVM, for every known actor), the prover on symbolic ones (for an arbitrary key). The registry
refuses an invariant with missing metadata (crytic/properties' PROPERTY_STANDARDS; slither's
detector metadata checked at construction).

`proved_by` names the proof parts of the suite (`specs.suite.ProofPart.name`) whose results prove the
invariant; empty, the suite's `default_proof_part` (its run of the generic prover). The proof runner
checks it against the results (`invariants.suite.coverage`): an invariant no part covers is an
UNSUPPORTED row, an obligation from a part it does not declare (or a declared part that produced none)
an ERROR row.
"""

from __future__ import annotations

import inspect
import re
import typing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import z3

ID_PATTERN = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*-\d{3}(\.[a-z][a-z-]*)?$")  # BPE-FLOW-002.gda: a part of one


@dataclass(frozen=True)
class Invariant:
    id: str  # e.g. BPE-STAKE-001
    contract: str  # Solidity contract the invariant is about
    statement: str  # one line, starting "Invariant:"
    why: str  # why it matters
    exploit: str  # what breaking it would allow
    predicate: Callable[..., Any]
    keys: tuple[tuple[str, type], ...] = ()  # quantified parameters (name, type)
    strengthening: bool = False  # true for auxiliary invariants needed to make others inductive
    depends_on: tuple[str, ...] = ()  # lemma ids the proof relies on
    # "inductive": the generic prover (invariants/prover.py) takes it, as hypothesis and goal, whenever its
    # contract is in the prover's system; "concrete": the generic prover leaves it alone (no encoding over
    # the systems it runs on). Either way `proved_by` says which proof parts prove it; the fuzzer evaluates
    # every invariant after every step
    proof: str = "inductive"
    # the suite's proof parts that prove it (empty: the suite's default_proof_part)
    proved_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.proof not in ("inductive", "concrete"):
            raise ValueError(f"invariant {self.id}: proof must be 'inductive' or 'concrete'")
        if isinstance(self.proved_by, str) or not all(isinstance(p, str) and p for p in self.proved_by):
            raise ValueError(f"invariant {self.id}: proved_by must be a tuple of proof part names")
        missing = [n for n in ("id", "contract", "statement", "why", "exploit") if not getattr(self, n).strip()]
        if missing:
            raise ValueError(f"invariant {self.id or '?'}: missing metadata {missing}")
        if not ID_PATTERN.match(self.id):
            raise ValueError(f"invariant id {self.id!r} does not look like BPE-FAMILY-001")
        if not self.statement.startswith("Invariant:"):
            raise ValueError(f"invariant {self.id}: statement must start with 'Invariant:'")

    def holds(self, system: Any, *keys: Any) -> Any:
        return self.predicate(system, *keys)


@dataclass
class Registry:
    invariants: dict[str, Invariant] = field(default_factory=dict)

    def add(self, inv: Invariant) -> Invariant:
        if inv.id in self.invariants:
            raise ValueError(f"duplicate invariant id {inv.id}")
        self.invariants[inv.id] = inv
        return inv

    def for_contracts(self, names: set[str]) -> list[Invariant]:
        return [i for i in self.invariants.values() if i.contract in names]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.invariants.values())


REGISTRY = Registry()


def _parts(proved_by: str | tuple[str, ...]) -> tuple[str, ...]:
    """One part name or several, as a tuple."""
    return (proved_by,) if isinstance(proved_by, str) else tuple(proved_by)


def invariant(id: str, *, contract: str, statement: str, why: str, exploit: str,
              strengthening: bool = False, depends_on: tuple[str, ...] = (), proof: str = "inductive",
              proved_by: str | tuple[str, ...] = ()) -> Callable:
    """Register the decorated predicate. Parameters after the first are quantified keys; their
    annotations give their types. `proved_by`: a proof part name or several (default: the suite's
    default_proof_part)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters)[1:]
        keys = tuple((p, hints[p]) for p in params)
        REGISTRY.add(Invariant(id, contract, statement, why, exploit, fn, keys, strengthening, depends_on, proof,
                               _parts(proved_by)))
        return fn

    return deco


# ---------------------------------------------------------------------------------------------
# Step (two-state) invariants: properties of every single call, stated over the states before and
# after it and the call itself. BPE-EWMA ("the new smoothed value lies between the old one and the
# clamped raw value") and BPE-COMMIT ("a reveal succeeds only with a matching, unexpired, unused
# commit") are of this kind: no predicate of one state can say them.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One external call: contract (suite name), function, sender, arguments by parameter name."""

    contract: str
    function: str
    sender: Any  # specs.kernel.Address
    args: dict[str, Any]

    def is_(self, contract: str, function: str) -> bool:
        return self.contract == contract and self.function == function


@dataclass(frozen=True)
class StepInvariant:
    """`predicate(pre, post, call, *keys)`: holds for every successful call (a reverted call changes
    nothing). The prover proves it for every external function of the system from the conjunction
    of the state invariants before the call; the fuzzer evaluates it on each step's pre- and
    post-state (`invariants.registry.step_failures`)."""

    id: str
    contract: str
    statement: str
    why: str
    exploit: str
    predicate: Callable[..., Any]
    keys: tuple[tuple[str, type], ...] = ()
    strengthening: bool = False
    depends_on: tuple[str, ...] = ()
    proof: str = "inductive"
    proved_by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        Invariant.__post_init__(self)  # type: ignore[arg-type]  # same metadata rules

    def holds(self, pre: Any, post: Any, call: Call, *keys: Any) -> Any:
        return self.predicate(pre, post, call, *keys)


@dataclass
class StepRegistry:
    invariants: dict[str, StepInvariant] = field(default_factory=dict)

    def add(self, inv: StepInvariant) -> StepInvariant:
        if inv.id in self.invariants or inv.id in REGISTRY.invariants:
            raise ValueError(f"duplicate invariant id {inv.id}")
        self.invariants[inv.id] = inv
        return inv

    def for_contracts(self, names: set[str]) -> list[StepInvariant]:
        return [i for i in self.invariants.values() if i.contract in names]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.invariants.values())


STEP_REGISTRY = StepRegistry()


def step_invariant(id: str, *, contract: str, statement: str, why: str, exploit: str,
                   strengthening: bool = False, depends_on: tuple[str, ...] = (), proof: str = "inductive",
                   proved_by: str | tuple[str, ...] = ()) -> Callable:
    """Register a step predicate `def p(pre, post, call, *keys)`; keys after `call` are quantified.
    `proved_by` as `invariant`'s."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        hints = typing.get_type_hints(fn)
        params = list(inspect.signature(fn).parameters)[3:]
        keys = tuple((p, hints[p]) for p in params)
        STEP_REGISTRY.add(StepInvariant(id, contract, statement, why, exploit, fn, keys, strengthening, depends_on,
                                        proof, _parts(proved_by)))
        return fn

    return deco


def step_failures(invariants: list[StepInvariant], pre: Any, post: Any, call: Call,
                  key_sets: dict[type, list[int]], count: Callable[[str], None] | None = None,
                  with_ids: bool = False) -> list[Any]:
    """Concrete check of step invariants after one successful call: every combination of known keys
    of each invariant's key types (the fuzzer's hook: `pre`/`post` are model or EVM states).
    `count(inv.id)`, when given, is called once per combination evaluated. One line per failing
    invariant; with `with_ids`, (invariant id, line) pairs."""
    import itertools

    out = []
    for inv in invariants:
        domains = [key_sets.get(t, ()) for _, t in inv.keys]
        for combo in itertools.product(*domains):
            if count is not None:
                count(inv.id)
            if not inv.holds(pre, post, call, *(t(k) for (_, t), k in zip(inv.keys, combo))):
                where = f" at {', '.join(hex(k) for k in combo)}" if combo else ""
                line = f"{inv.id} fails across {call.contract}.{call.function}{where}: {inv.statement}"
                out.append((inv.id, line) if with_ids else line)
                break
    return out


@dataclass(frozen=True)
class Lemma:
    """A fact about the models (a suite's, or the shared ones of invariants/loops.py) that the
    symbolic encoding needs and the prover proves on its own (`Prover.prove_lemma`)."""

    id: str
    contract: str
    statement: str
    build: Callable[[], tuple[list[z3.BoolRef], Callable[[], Any]]]
    # build() -> (assumptions, body); body runs the model on symbolic values and returns the goal
    # (a z3 Bool or Python bool); any revert of body on a feasible path is a violation.
    replay: Callable[[Any], tuple[bool, str]] | None = None
    # replay(z3 model of a counterexample) -> (the goal fails when the model functions run on those
    # concrete inputs, a description): the concrete replay of a lemma's counterexample.
