"""Replay a prover counterexample on an EVM: write its pre-state into storage, make the call, and
evaluate the invariant on the EVM state afterwards (invariants/prover.py replays it on the model)."""

from __future__ import annotations

from dataclasses import dataclass

from harness.evm.fixture import Fixture
from harness.fuzz.differential import plain
from harness.fuzz.stateview import read_system, write_system
from invariants.prover import Counterexample
from invariants.registry import REGISTRY
from specs.kernel import Address


@dataclass(frozen=True)
class EvmReplay:
    engine: str
    confirmed: bool
    detail: str


def replay_on_evm(cex: Counterexample, fixture: Fixture) -> EvmReplay:
    fixture.reset()
    write_system(fixture, cex.pre)
    inv = REGISTRY.invariants[cex.invariant]
    known = [a.v for a in cex.known()]
    before = read_system(fixture, cex.pre, known)
    out = fixture.contracts[cex.contract].transact(cex.function, *(plain(a) for a in cex.args), sender=cex.sender)
    if not out.ok:
        detail = f"the call reverted on {fixture.engine.name} with {out.error}"
        fixture.reset()
        return EvmReplay(fixture.engine.name, False, detail)
    after = read_system(fixture, cex.pre, known)
    keys = [Address(k.v) for k in cex.keys]
    held_before = inv.holds(before.clone(), *keys)
    holds_after = inv.holds(after.clone(), *keys)
    fixture.reset()
    events = "; ".join(str(e) for e in out.events) or "no events"
    if held_before and not holds_after:
        return EvmReplay(fixture.engine.name, True,
                         f"{inv.id} holds before and fails after the call on {fixture.engine.name} "
                         f"(call ok, events: {events})")
    return EvmReplay(fixture.engine.name, False,
                     f"on {fixture.engine.name}: invariant before {bool(held_before)}, after {bool(holds_after)}")
