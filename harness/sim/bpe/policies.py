"""Routing policies compared on the same arrivals and capacities. Each is realised on the models,
through the protocol's own entry points, never by a side channel:

- protocol:      sinks commit and reveal every `commit_every` blocks (EWMA at the scenario's alpha), the
                 keeper rebalances by its policy (by default whenever `needsRebalance`).
- no_ewma:       the protocol with `setEwmaAlpha(10000)`: units follow the latest reveal.
- protocol@Nbps: the protocol with `setRebalanceThreshold(N)` (the threshold sweep).
- static_equal:  one reveal per sink at set-up, all equal (the task type's total mean capacity / N),
                 one rebalance, then nothing: a fixed equal split of the buffer's drains.
- static_stake:  the same with shares proportional to stake.
- static_oracle: the same with shares proportional to the sinks' true mean capacities (a static split
                 that knows the rates in advance: the best a static split can do).
Static policies get the right *total* (drain rate = total mean capacity); only the split is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.sim.bpe.scenario import Scenario


@dataclass(frozen=True)
class Policy:
    name: str
    adaptive: bool = True
    alpha_bps: int | None = None  # None: the scenario's
    threshold_bps: int | None = None  # None: the scenario's
    static_shares: str | None = None  # equal | stake | oracle


def policy(name: str) -> Policy:
    if name == "protocol":
        return Policy("protocol")
    if name == "no_ewma":
        return Policy("no_ewma", alpha_bps=10_000)
    if name.startswith("protocol@") and name.endswith("bps"):
        return Policy(name, threshold_bps=int(name[len("protocol@"):-3]))
    if name in ("static_equal", "static_stake", "static_oracle"):
        return Policy(name, adaptive=False, static_shares=name.split("_", 1)[1])
    raise ValueError(f"unknown policy {name!r}")


def static_reveals(sc: Scenario, pol: Policy, mean_capacity: dict[str, float]) -> dict[str, float]:
    """Per sink, the capacity (units) it reveals once under a static policy."""
    out: dict[str, float] = {}
    for t in sc.task_types:
        sinks = sc.sinks_of(t.name)
        total = sum(mean_capacity[s.name] for s in sinks)
        if pol.static_shares == "equal":
            w = [1.0 for _ in sinks]
        elif pol.static_shares == "stake":
            w = [s.stake for s in sinks]
        else:
            w = [mean_capacity[s.name] for s in sinks]
        for s, wi in zip(sinks, w):
            out[s.name] = total * wi / sum(w)
    return out
