"""Replay a prover counterexample on an EVM: write its pre-state into storage, move the block to the
call's (number, timestamp), make the call, read the state back through the storage layout at every
key the counterexample mentions (addresses, task type ids, indices), and evaluate the invariant (a
state invariant on the post-state, a step invariant across the call).

The one replayer of prover counterexamples (fuzz counterexamples replay through harness/fuzz/runner.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from harness.fuzz.differential import plain
from harness.fuzz.stateview import read_system, write_system
from invariants.prover import Counterexample
from invariants.registry import REGISTRY, STEP_REGISTRY, step_failures


@dataclass(frozen=True)
class EvmReplay:
    engine: str
    confirmed: bool
    detail: str


def replay_on_evm(cex: Counterexample, fixture: Any, *, observe: Callable[[Any], None] | None = None) -> EvmReplay:
    """The counterexample replayed on `fixture` (reset before and after). `observe(fixture)`, when given,
    runs once the replay has confirmed the counterexample, on the post-state, before the reset (the
    Foundry export records that state there)."""
    name = fixture.engine.name
    fixture.reset()
    try:
        write_system(fixture, cex.pre)
        if cex.block is not None:
            fixture.engine.set_block(number=cex.block[0], timestamp=cex.block[1])
        _establish_stub_guarantees(cex, fixture)
        known = cex.known_keys()
        before = read_system(fixture, cex.pre, known)
        out = fixture.contracts[cex.contract].transact(cex.function, *(plain(a) for a in cex.args), sender=cex.sender,
                                                       value=cex.value)
        if not out.ok:
            return EvmReplay(name, False, f"the call reverted on {name} with {out.error}")
        after = read_system(fixture, cex.pre, known)
        events = "; ".join(str(e) for e in out.events) or "no events"
        if cex.step:
            inv = STEP_REGISTRY.invariants[cex.invariant]
            fails = step_failures([inv], before, after, cex.call(), known)
            if fails:
                if observe is not None:
                    observe(fixture)
                return EvmReplay(name, True, f"{fails[0]} on {name} (call ok, events: {events})")
            return EvmReplay(name, False, f"on {name}: {inv.id} holds across the call")
        sinv = REGISTRY.invariants[cex.invariant]
        keys = list(cex.keys)
        held_before = sinv.holds(before.clone(), *keys)
        holds_after = sinv.holds(after.clone(), *keys)
        if held_before and not holds_after:
            if observe is not None:
                observe(fixture)
            return EvmReplay(name, True, f"{sinv.id} holds before and fails after the call on {name} "
                                         f"(call ok, events: {events})")
        return EvmReplay(name, False, f"on {name}: invariant before {bool(held_before)}, after {bool(holds_after)}")
    finally:
        fixture.reset()


def _establish_stub_guarantees(cex: Counterexample, fixture: Any) -> None:
    """A counterexample of an assume-guarantee proof took the success path of every stubbed callee; on
    the EVM the real callee must succeed too. The counterexample's suite declares, per transition
    ("Contract.function"), the set-up that makes it so (`Suite.counterexample_setups`), run here before
    the call; a transition without one needs none."""
    from specs.suite import suite_of_contract

    suite = suite_of_contract(cex.contract)
    ref = suite.counterexample_setups.get(f"{cex.contract}.{cex.function}")
    if ref:
        suite.resolve(ref)(cex, fixture)
