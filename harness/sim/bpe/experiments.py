"""The experiments of a scenario, each a set of runs on the models with the same seed:

- compare:    the scenario's policies on the same arrivals and capacities;
- thresholds: the protocol at each rebalance threshold;
- misreport:  when a sink misreports, the same run with every sink honest (what the misreport gains);
- sweep:      the load sweep (stability of each policy, with unbounded buffers by default);
- gas:        a sample of the protocol run replayed on an EVM (gas per call, and a model/EVM check).
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

from harness.sim.bpe import gas as gasmod
from harness.sim.bpe.policies import policy as make_policy
from harness.sim.bpe.processes import generate
from harness.sim.bpe.progress import Progress
from harness.sim.bpe.runner import Run, RunResult, run
from harness.sim.bpe.scenario import Scenario

E18 = 10**18


def plan_blocks(sc: Scenario, quick: bool = False) -> int:
    """Blocks simulated by `run_scenario` (for the progress bar)."""
    steps, sweep_steps = scaled(sc, quick)
    n = len(sc.compare.policies) + len(sc.compare.thresholds_bps)
    if any(s.misreport != 1.0 for s in sc.sinks):
        n += 1
    return n * steps + len(sweep_loads(sc, quick)) * len(sc.sweep.policies) * sweep_steps


def scaled(sc: Scenario, quick: bool) -> tuple[int, int]:
    steps = sc.steps
    sweep_steps = sc.sweep.steps or sc.steps
    if quick:
        steps, sweep_steps = max(100, steps // 4), max(100, sweep_steps // 4)
    return steps, sweep_steps


def sweep_loads(sc: Scenario, quick: bool) -> tuple[float, ...]:
    loads = sc.sweep.loads
    if quick and len(loads) > 6:
        loads = tuple(sorted(set(loads[::2]) | {loads[-1]}))
    return loads


def brief(r: RunResult) -> dict:
    return {"policy": r.policy, "load": r.load, **{k: v for k, v in r.summary.items()}, "per_sink": r.per_sink,
            "wall_s": r.wall_s, "agent_steps": r.agent_steps}


def static_boundary(r: RunResult, sc: Scenario) -> float:
    """The load at which a fixed split (the run's units) becomes unstable, as a fraction of the
    capacity region: min(sum u / sum mu, min_i mu_i * sum u / (u_i * sum mu)) over task types."""
    out = math.inf
    for tt in sc.task_types:
        names = [s.name for s in sc.sinks_of(tt.name)]
        mu = {n: r.per_sink[n]["mean_capacity"] for n in names}
        u = {n: r.per_sink[n]["mean_units"] for n in names}
        su, smu = sum(u.values()), sum(mu.values())
        b = su / smu
        for n in names:
            if u[n] > 0:
                b = min(b, mu[n] * su / (u[n] * smu))
        out = min(out, b)
    return out


def run_sweep(sc: Scenario, quick: bool, prog: Progress | None) -> dict:
    _steps, steps = scaled(sc, quick)
    loads = sweep_loads(sc, quick)
    tol = sc.sweep.growth_tolerance
    out: dict[str, Any] = {"loads": list(loads), "steps": steps, "tolerance": tol,
                           "buffer_max": "inf" if math.isinf(sc.sweep.buffer_max) else sc.sweep.buffer_max, "policies": {}}
    for pol in sc.sweep.policies:
        out["policies"][pol] = {"growth": [], "stable": [], "mean_backlog": [], "max_buffer": [], "throughput": [],
                                "overflow_fraction": [], "carried_load": []}
    out["offered_load"] = []
    for load in loads:
        exo = generate(sc, steps, load)
        offered = None
        for pol in sc.sweep.policies:
            if prog:
                prog.set(f"{sc.name} sweep {pol} @ {load:g}")
            r = run(sc, pol, exo=exo, steps=steps, load=load, buffer_max=sc.sweep.buffer_max,
                    tick=prog.tick if prog else None)
            s = r.summary
            row = out["policies"][pol]
            row["growth"].append(s["growth"])
            row["stable"].append(s["growth"] < tol and s["overflow_fraction"] < tol)
            row["mean_backlog"].append(s["mean_buffer"] + s["mean_sink_backlog"])
            row["max_buffer"].append(s["max_buffer"])
            row["throughput"].append(s["throughput"])
            row["overflow_fraction"].append(s["overflow_fraction"])
            row["carried_load"].append(s["carried_load"])
            offered = s["offered_load"]  # the same arrivals for every policy
            if "theory" not in row:
                row["theory"] = 1.0 if make_policy(pol).adaptive else static_boundary(r, sc)
        out["offered_load"].append(offered)
    # stability in realised offered load (arrivals are random: a nominal load of 1.0 offers a little more
    # or less than the capacity; every policy at one nominal load sees the same arrivals)
    realised = out["offered_load"]
    for pol, row in out["policies"].items():
        first_unstable = next((l for l, st in zip(realised, row["stable"]) if not st), None)
        stable_below = [l for l, st in zip(realised, row["stable"]) if st and (first_unstable is None or l < first_unstable)]
        row["max_stable"] = max(stable_below) if stable_below else None
        row["first_unstable"] = first_unstable
        row["max_carried"] = max(row["carried_load"])
    return out


def run_gas(sc: Scenario, engine: str, blocks: int) -> dict:
    """The protocol run's first `blocks` blocks replayed on `engine`."""
    exo = generate(sc, blocks)
    r = Run(sc, make_policy("protocol"), exo, record_log=True)
    setup_advances = sum(1 for s in r.chain.log if s["op"] == "advance")
    for _ in range(blocks):
        r.step()
    check = gasmod.state_check(r.chain, list(r.tasks.values()), [s.address for s in r.sinks])
    g = gasmod.replay(r.chain.log, r.chain.oks, r.chain.system.models, engine=engine, skip_blocks=setup_advances,
                      check=check)
    return {**g.to_json(), "wall_s": g.wall_s, "replayed_calls_agree": True}


def run_scenario(sc: Scenario, *, quick: bool = False, gas_engine: str | None = "py-evm",
                 prog: Progress | None = None) -> dict:
    start = time.perf_counter()
    steps, _ = scaled(sc, quick)
    exo = generate(sc, steps)
    res: dict[str, Any] = {
        "name": sc.name, "description": sc.description, "path": sc.path, "seed": sc.seed, "steps": steps,
        "block_seconds": sc.block_seconds, "load": sc.load,
        "capacity": {"mean_per_sink": exo.mean_capacity,
                     "per_task_type": {tt.name: sum(exo.mean_capacity[s.name] for s in sc.sinks_of(tt.name))
                                       for tt in sc.task_types}},
        "compare": [], "thresholds": [], "series": {},
    }
    for pol in sc.compare.policies:
        if prog:
            prog.set(f"{sc.name} {pol}")
        r = run(sc, pol, exo=exo, steps=steps, tick=prog.tick if prog else None)
        res["compare"].append(brief(r))
        res["series"][pol] = r.series
    for bps in sc.compare.thresholds_bps:
        name = f"protocol@{bps}bps"
        if prog:
            prog.set(f"{sc.name} {name}")
        r = run(sc, name, exo=exo, steps=steps, tick=prog.tick if prog else None)
        res["thresholds"].append({"threshold_bps": bps, **brief(r)})
    liars = [s for s in sc.sinks if s.misreport != 1.0]
    if liars:
        if prog:
            prog.set(f"{sc.name} honest counterfactual")
        honest_sc = sc.replace(sinks=tuple(dataclasses.replace(s, misreport=1.0) for s in sc.sinks))
        h = run(honest_sc, "protocol", exo=exo, steps=steps, tick=prog.tick if prog else None)
        m = next(c for c in res["compare"] if c["policy"] == "protocol")
        res["misreport"] = {
            "sinks": {s.name: ("max" if math.isinf(s.misreport) else s.misreport) for s in liars},
            "per_sink": {n: {"paid_honest": h.per_sink[n]["paid"], "paid_misreport": m["per_sink"][n]["paid"],
                             "gain": m["per_sink"][n]["paid"] - h.per_sink[n]["paid"],
                             "gain_fraction": (m["per_sink"][n]["paid"] / h.per_sink[n]["paid"] - 1.0) if h.per_sink[n]["paid"] else 0.0,
                             "final_backlog_honest": h.per_sink[n]["final_backlog"],
                             "final_backlog_misreport": m["per_sink"][n]["final_backlog"]}
                         for n in h.per_sink},
            "throughput_honest": h.summary["throughput"], "throughput_misreport": m["throughput"],
            "mean_buffer_honest": h.summary["mean_buffer"], "mean_buffer_misreport": m["mean_buffer"],
        }
        res["series"]["protocol (all honest)"] = h.series
    if sc.sweep.loads:
        res["sweep"] = run_sweep(sc, quick, prog)
    if gas_engine and sc.gas_sample_blocks:
        if prog:
            prog.set(f"{sc.name} gas sample on {gas_engine}")
        blocks = sc.gas_sample_blocks if not quick else max(20, sc.gas_sample_blocks // 4)
        res["gas"] = run_gas(sc, gas_engine, blocks)
        per = res["gas"]["by_function"].get("BackpressurePool.rebalance")
        for row in res["compare"] + res["thresholds"]:
            row["rebalance_gas_mean"] = per["mean"] if per else None
            row["rebalance_gas_total"] = per["mean"] * row["rebalances"] if per else None
    res["wall_s"] = time.perf_counter() - start
    return res
