"""State invariants of TriggerRegistry (PROTOCOL.md section 10, Triggers), over trigger ids."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import U256, Int


@invariant(
    "COMP-TRIG-001", contract="TriggerRegistry", proof="concrete",
    statement="Invariant: the ETH balance of TriggerRegistry is at least the sum of the sponsorships of "
              "active triggers plus the sum of withdrawable balances.",
    why="Sponsorship pays fees and refunds, and every credited fee or refund is withdrawable (R-8.6 to R-8.8).",
    exploit="An insolvent registry pays executors with other agents' sponsorship.",
)
def triggers_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    t = s.triggers
    funded = sum(t.sponsorshipOf[U256(i)].v for i, x in t.triggers.items() if x.active)
    return Int(s.world.balance(t.address)) >= Int(funded) + Int(t.withdrawable.sum())


@invariant(
    "COMP-TRIG-002", contract="TriggerRegistry", proof="concrete",
    statement="Invariant: an inactive trigger holds sponsorship 0.",
    why="Deactivation moves the remaining sponsorship to the agent (R-8.7); an inactive trigger is never "
        "funded again (R-8.6).",
    exploit="Sponsorship left on an inactive trigger is stranded, or funded after deactivation and lost.",
)
def inactive_holds_nothing(s, triggerId: U256) -> bool:  # type: ignore[no-untyped-def]
    x = s.triggers.triggers.get(triggerId.v)
    return x is None or bool(x.active) or s.triggers.sponsorshipOf[triggerId] == 0
