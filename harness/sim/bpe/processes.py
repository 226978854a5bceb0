"""The exogenous processes of a run: each sink's true service capacity and each source's payments.

They are generated up front from the scenario's seed, each from its own random stream (keyed by the
seed, the process and the agent's name), so every policy of a comparison sees the same capacities and
the same arrivals, and adding an agent does not change the others' draws. Arrivals of one source are a
unit-rate Poisson process scaled by its rate: runs at different loads with the same seed see the same
payments, only closer together (coupled load sweeps).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from harness.sim.bpe.scenario import CapacityProcess, Scenario

E18 = 10**18


def stream(seed: int, *parts: str) -> random.Random:
    return random.Random("/".join([str(seed), *parts]))


def capacity_path(proc: CapacityProcess, steps: int, rng: random.Random) -> list[float]:
    """Capacity units available in each block (work per second during that block)."""
    if proc.kind == "constant":
        return [float(proc.mean)] * steps
    if proc.kind == "noisy":
        out, x = [], rng.gauss(0.0, 1.0)
        s = math.sqrt(1.0 - proc.corr**2)
        for _ in range(steps):
            out.append(max(0.0, proc.mean * (1.0 + proc.cv * x)))
            x = proc.corr * x + s * rng.gauss(0.0, 1.0)
        return out
    if proc.kind == "markov":
        n = len(proc.levels)
        # start in the stationary distribution of the chain (mean sojourn 1 / (1 - stay))
        weights = [1.0 / max(1e-12, 1.0 - p) for p in proc.stay]
        k = rng.choices(range(n), weights=weights)[0]
        out = []
        for _ in range(steps):
            out.append(float(proc.levels[k]))
            if rng.random() >= proc.stay[k]:
                k = rng.choice([j for j in range(n) if j != k])
        return out
    raise ValueError(proc.kind)


@dataclass
class Exogenous:
    """Everything outside the chain for one run: capacities[sink][block], payments[block] as a list of
    (source index, amount in wei), and the capacity figures the load is relative to."""

    capacities: dict[str, list[float]]
    payments: list[list[tuple[int, int]]]
    mean_capacity: dict[str, float]  # per sink: time average over the run (capacity units)
    offered_tokens: float  # tokens offered by the sources over the run


def target_capacity_rate(sc: Scenario, mean_capacity: dict[str, float], target: str, is_pipeline: bool) -> float:
    """Tokens per second the target can absorb at full capacity: a task type's sum of mean capacities
    times its unit price; for a pipeline, the bottleneck stage's rate divided by its weight."""
    def tt_rate(t: str) -> float:
        return sum(mean_capacity[s.name] for s in sc.sinks_of(t)) * sc.task_type(t).unit_price / E18
    if not is_pipeline:
        return tt_rate(target)
    p = sc.pipeline(target)
    return min(tt_rate(t) * 10_000 / w for t, w in zip(p.stages, p.weights_bps))


def generate(sc: Scenario, steps: int | None = None, load: float | None = None) -> Exogenous:
    steps = steps or sc.steps
    load = sc.load if load is None else load
    caps = {s.name: capacity_path(s.capacity, steps, stream(sc.seed, "capacity", s.name)) for s in sc.sinks}
    mean = {k: sum(v) / len(v) for k, v in caps.items()}
    horizon = steps * sc.block_seconds
    payments: list[list[tuple[int, int]]] = [[] for _ in range(steps)]
    offered = 0.0
    for i, src in enumerate(sc.sources):
        rate_tokens = load * src.share * target_capacity_rate(sc, mean, src.target, src.is_pipeline)
        if rate_tokens <= 0:
            continue
        per_second = rate_tokens / src.size_mean
        rng = stream(sc.seed, "arrivals", src.name)
        t = 0.0
        while True:
            e = rng.expovariate(1.0)
            u = rng.expovariate(1.0)
            t += e / per_second
            if t >= horizon:
                break
            size = src.size_mean * (u if src.size_kind == "exp" else 1.0)
            amount = max(1, int(size * 1e6)) * 10**12  # tokens to wei at 1e-6 token resolution
            payments[int(t // sc.block_seconds)].append((i, amount))
            offered += amount / E18
    return Exogenous(caps, payments, mean, offered)
