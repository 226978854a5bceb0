"""State invariants of TriggerRegistry (PROTOCOL.md section 10, Triggers), over trigger ids."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import U256, Int
from specs.compute.trigger_registry import MAX_CRON_INTERVAL, MIN_CRON_INTERVAL, TriggerType


@invariant(
    "COMP-TRIG-001", contract="TriggerRegistry",
    statement="Invariant: the ETH balance of TriggerRegistry is at least the sum of the triggers' "
              "sponsorships (only active triggers hold any, COMP-TRIG-002) plus the sum of withdrawable "
              "balances.",
    why="Sponsorship pays fees and refunds, and every credited fee or refund is withdrawable (R-8.6 to R-8.8).",
    exploit="An insolvent registry pays executors with other agents' sponsorship.",
)
def triggers_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    t = s.triggers
    return Int(s.world.balance(t.address)) >= Int(t.sponsorshipOf.sum()) + Int(t.withdrawable.sum())


@invariant(
    "COMP-TRIG-002", contract="TriggerRegistry",
    statement="Invariant: an inactive trigger, and an id no trigger has, holds sponsorship 0.",
    why="Deactivation moves the remaining sponsorship to the agent (R-8.7); an inactive trigger is never "
        "funded again (R-8.6).",
    exploit="Sponsorship left on an inactive trigger is stranded, or funded after deactivation and lost.",
)
def inactive_holds_nothing(s, triggerId: U256) -> bool:  # type: ignore[no-untyped-def]
    t = s.triggers
    known = triggerId != 0 and triggerId <= t.triggerCount
    return (known and bool(t.triggers[triggerId].active)) or t.sponsorshipOf[triggerId] == 0


@invariant(
    "COMP-TRIG-006", contract="TriggerRegistry",
    statement="Invariant: a cron trigger's interval is in [MIN_CRON_INTERVAL, MAX_CRON_INTERVAL]; any other "
              "trigger's is 0.",
    why="The interval is fixed at creation from a checked config (R-8.4); it is what spaces a cron "
        "trigger's executions.",
    exploit="A cron trigger with interval 0 could be executed again at once, collecting a sponsored fee each "
            "time.",
)
def cron_interval_bounded(s, triggerId: U256) -> bool:  # type: ignore[no-untyped-def]
    t = s.triggers
    if triggerId == 0 or triggerId > t.triggerCount:
        return True
    interval = t.cronIntervalOf[triggerId]
    if t.triggers[triggerId].triggerType == TriggerType.Cron:
        return MIN_CRON_INTERVAL <= interval and interval <= MAX_CRON_INTERVAL
    return interval == 0
