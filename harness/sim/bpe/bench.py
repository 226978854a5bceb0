"""Speed of the simulator: agent-steps per second on the models, and where the time goes.

An agent-step is one agent (sink, source or keeper) acting in one block; a block of a scenario with N
sinks and M sources is N + M + 1 agent-steps. `World.transact` clones the whole world per transaction
(rollback semantics); `clone_share` is the fraction of the run spent in `World.clone`.
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.sim.bpe import scenario as scenario_mod
from harness.sim.bpe.policies import policy
from harness.sim.bpe.processes import generate
from harness.sim.bpe.runner import Run
from specs.kernel import World

DEFAULT = Path(__file__).resolve().parents[3] / "scenarios" / "bpe" / "heterogeneous.toml"


def bench(path: str | Path = DEFAULT, blocks: int = 500, pol: str = "protocol") -> dict:
    sc = scenario_mod.load(path)
    exo = generate(sc, blocks)
    r = Run(sc, policy(pol), exo, record_log=False)
    clone_time = [0.0]
    original = World.clone

    def timed(self: World) -> World:
        t0 = time.perf_counter()
        try:
            return original(self)
        finally:
            clone_time[0] += time.perf_counter() - t0

    tx0 = r.chain.transactions
    start = time.perf_counter()
    World.clone = timed  # type: ignore[method-assign]
    try:
        for _ in range(blocks):
            r.step()
    finally:
        World.clone = original  # type: ignore[method-assign]
    wall = time.perf_counter() - start
    agents = len(sc.sinks) + len(sc.sources) + 1
    tx = r.chain.transactions - tx0
    return {"scenario": sc.name, "policy": pol, "blocks": blocks, "agents": agents, "wall_s": wall,
            "agent_steps_per_s": blocks * agents / wall, "blocks_per_s": blocks / wall,
            "transactions_per_s": tx / wall, "transactions_per_block": tx / blocks, "clone_share": clone_time[0] / wall}


def format_bench(b: dict) -> str:
    return (f"simulation ({b['scenario']}, {b['policy']}, {b['blocks']} blocks, {b['agents']} agents): "
            f"{b['agent_steps_per_s']:,.0f} agent-steps/s, {b['blocks_per_s']:,.0f} blocks/s, "
            f"{b['transactions_per_s']:,.0f} model transactions/s ({b['transactions_per_block']:.1f} per block); "
            f"World.clone {b['clone_share'] * 100:.0f}% of the time")
