"""One run of a scenario under a policy, on the models, and the experiments built from runs.

`run()` sets the system up (task types, pools, B_max and prices, pipelines, staked and registered sinks,
funded sources, one commit-reveal round and a rebalance), then steps block by block:
  1. the block advances (`block_seconds`);
  2. sinks reveal due commitments and, every `commit_every` blocks, commit their next report
     (adaptive policies only);
  3. sources deposit the payments that arrived in the block (EscrowBuffer.deposit or Pipeline.deposit;
     a BufferOverflow is a rejected payment);
  4. the keeper rebalances (by its policy and cadence) and drains (Pipeline.drain for pipelines,
     EscrowBuffer.drain for the other task types); each Drained event assigns work to a sink;
  5. sinks serve their backlog at their true capacity.
Every chain action is a transaction on the models (`harness/sim/bpe/chain.py`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from harness.sim.bpe import metrics
from harness.sim.bpe.agents import Keeper, SinkAgent, SourceAgent, to_fixed
from harness.sim.bpe.chain import KEEPER, MAX, UNBOUNDED, Chain, sink_address, source_address, task_id
from harness.sim.bpe.policies import Policy, policy as make_policy, static_reveals
from harness.sim.bpe.processes import E18, Exogenous, generate
from harness.sim.bpe.scenario import Scenario
from specs.bpe.system import GOVERNANCE, SUPERFLUID


def wei(tokens: float) -> int:
    return int(round(tokens * 1e6)) * 10**12


@dataclass
class RunResult:
    scenario: str
    policy: str
    load: float
    steps: int
    block_seconds: int
    summary: dict[str, Any]
    per_sink: dict[str, dict[str, float]]
    series: dict[str, Any]  # time series (per block): buffer[task], backlog[sink], units[sink]
    log: list[dict] = field(default_factory=list)
    oks: list[bool] = field(default_factory=list)
    wall_s: float = 0.0
    agent_steps: int = 0
    transactions: int = 0


class Run:
    """A run in progress: the chain, the agents, and the step loop (one block per `step()`)."""

    def __init__(self, sc: Scenario, pol: Policy, exo: Exogenous, *, buffer_max: float | None = None,
                 record_log: bool = True):
        self.sc, self.pol, self.exo = sc, pol, exo
        self.chain = Chain(record=record_log)
        self.bs = sc.block_seconds
        self.t = 0
        self.tasks = {tt.name: task_id(tt.name) for tt in sc.task_types}
        self.sinks = [SinkAgent(s.name, i, sink_address(i), self.tasks[s.task_type], sc.task_type(s.task_type).unit_price,
                                exo.capacities[s.name], s.report, s.misreport, wei(s.stake))
                      for i, s in enumerate(sc.sinks)]
        self.by_address = {s.address: s for s in self.sinks}
        pids = {p.name: i + 1 for i, p in enumerate(sc.pipelines)}
        self.sources = [SourceAgent(s.name, i, source_address(i), str(pids[s.target]) if s.is_pipeline else self.tasks[s.target],
                                    s.is_pipeline) for i, s in enumerate(sc.sources)]
        self.keeper = Keeper(KEEPER, sc.keeper.policy, sc.keeper.every, sc.keeper.drain_every, list(self.tasks.values()),
                             list(pids.values()), {pids[p.name]: [self.tasks[s] for s in p.stages] for p in sc.pipelines})
        self.buffer_max = {tt.name: tt.buffer_max if buffer_max is None else buffer_max for tt in sc.task_types}
        self.clamped: list[str] = []
        self.series: dict[str, Any] = {"buffer": {n: [] for n in self.tasks}, "backlog": {s.name: [] for s in self.sinks},
                                       "units": {s.name: [] for s in self.sinks}}
        self.horizon_s = sc.protocol.commit_every * self.bs
        self.setup()

    # -- set-up ------------------------------------------------------------------------------------
    def setup(self) -> None:
        sc, pol, ch = self.sc, self.pol, self.chain
        for tt in sc.task_types:
            tid = self.tasks[tt.name]
            bmax = self.buffer_max[tt.name]
            ch.must("CapacityRegistry", "registerTaskType", GOVERNANCE, tid)
            ch.must("BackpressurePool", "createPool", KEEPER, tid)
            ch.must("EscrowBuffer", "setBufferMax", GOVERNANCE, tid, UNBOUNDED if math.isinf(bmax) else wei(bmax))
            ch.must("EscrowBuffer", "setUnitPrice", GOVERNANCE, tid, tt.unit_price)
        alpha = pol.alpha_bps or sc.protocol.ewma_alpha_bps
        if alpha != 3000:
            ch.must("CapacityRegistry", "setEwmaAlpha", GOVERNANCE, alpha)
        thr = sc.protocol.rebalance_threshold_bps if pol.threshold_bps is None else pol.threshold_bps
        if thr != 500:
            ch.must("BackpressurePool", "setRebalanceThreshold", GOVERNANCE, thr)
        for p in sc.pipelines:
            ch.must("Pipeline", "createPipeline", GOVERNANCE, [self.tasks[s] for s in p.stages], list(p.weights_bps))
        for s in self.sinks:
            ch.must("TestToken", "mint", s.address, s.address, s.stake_wei)
            ch.must("TestToken", "approve", s.address, ch.sm, MAX)
            ch.must("StakeManager", "stake", s.address, s.stake_wei)
            ch.must("CapacityRegistry", "registerSink", s.address, s.task)
        need = [0] * len(self.sources)
        for block in self.exo.payments:
            for i, amount in block:
                need[i] += amount
        for src, n in zip(self.sources, need):
            funds = n + 10 * E18
            ch.must("SuperTokenUnderlying", "mint", src.address, src.address, funds)
            ch.must("SuperTokenUnderlying", "approve", src.address, SUPERFLUID["SuperToken"], MAX)
            ch.must("SuperToken", "upgrade", src.address, funds)
            ch.must("SuperToken", "approve", src.address, ch.eb, MAX)
            ch.must("SuperToken", "approve", src.address, ch.pl, MAX)
        # the first round of commit-reveal and the first units
        if pol.adaptive:
            first = {s.name: s.report_units(0, self.horizon_s) for s in self.sinks}
        else:
            first = static_reveals(sc, pol, self.exo.mean_capacity)
        for s in self.sinks:
            v = first[s.name]
            if not math.isinf(v) and to_fixed(v) > ch.cap_of(s.address) * E18:
                self.clamped.append(s.name)
            s.commit(ch, -1, v, -1)
        ch.advance(1, self.bs)
        for s in self.sinks:
            s.reveal(ch)
        for tid in self.tasks.values():
            ch.must("BackpressurePool", "rebalance", KEEPER, tid)
        ch.advance(1, self.bs)
        self.setup_steps = len(ch.log)

    # -- one block -----------------------------------------------------------------------------------
    def step(self) -> None:
        t, ch, sc = self.t, self.chain, self.sc
        if t:
            ch.advance(1, self.bs)
        if self.pol.adaptive:
            every, delay = sc.protocol.commit_every, sc.protocol.reveal_delay
            for s in self.sinks:
                if s.pending is not None and s.pending[0] == t:
                    s.reveal(ch)
            if t % every == 0:
                for s in self.sinks:
                    if s.pending is None:
                        s.commit(ch, t, s.report_units(t, self.horizon_s), t + delay)
        for i, amount in self.exo.payments[t]:
            self.sources[i].pay(ch, amount)
        self.keeper.rebalance(ch, t, self.pol.adaptive)
        for addr, amount in self.keeper.drain(ch, t, ch.eb):
            self.by_address[addr].assign(amount)
        for s in self.sinks:
            s.serve(t, self.bs)
        for name, tid in self.tasks.items():
            self.series["buffer"][name].append(ch.buffer_level(tid) / E18)
        for s in self.sinks:
            self.series["backlog"][s.name].append(s.backlog * s.price / E18)
            self.series["units"][s.name].append(ch.units(s.task, s.address))
        self.t += 1

    # -- results -------------------------------------------------------------------------------------
    def result(self, load: float, wall_s: float) -> RunResult:
        sc, steps, bs = self.sc, self.t, self.bs
        buf_total = [sum(v[i] for v in self.series["buffer"].values()) for i in range(steps)]
        sink_total = [sum(v[i] for v in self.series["backlog"].values()) for i in range(steps)]
        total = [a + b for a, b in zip(buf_total, sink_total)]
        offered = sum(s.accepted_wei + s.rejected_wei for s in self.sources) / E18
        rejected = sum(s.rejected_wei for s in self.sources) / E18
        rejected_n = sum(s.rejected for s in self.sources)
        payments = sum(s.accepted + s.rejected for s in self.sources)
        served = sum(s.served_work * s.price for s in self.sinks) / E18
        paid = sum(s.paid_wei for s in self.sinks) / E18
        horizon = steps * bs
        rate = offered / horizon if horizon else 0.0
        per_sink = {}
        xs = []
        for s in self.sinks:
            mu = self.exo.mean_capacity[s.name]
            cap_tokens = mu * s.price * horizon / E18
            per_sink[s.name] = {
                "mean_capacity": mu, "paid": s.paid_wei / E18, "served": s.served_work * s.price / E18,
                "final_backlog": s.backlog * s.price / E18, "max_backlog": max(self.series["backlog"][s.name], default=0.0),
                "mean_units": metrics.mean(self.series["units"][s.name]),
                "pay_per_capacity": (s.paid_wei / E18) / cap_tokens if cap_tokens else 0.0,
                "commits": s.commits, "reveals": s.reveals,
            }
            xs.append(per_sink[s.name]["pay_per_capacity"])
        g = metrics.growth(total, bs, rate)
        capacity_tokens = sum(self.exo.mean_capacity[s.name] * s.price for s in self.sinks) * horizon / E18
        summary = {
            "offered": offered, "rejected": rejected, "rejected_payments": rejected_n, "payments": payments,
            "overflow_fraction": rejected / offered if offered else 0.0,
            "paid": paid, "served": served, "throughput": served / offered if offered else 0.0,
            # realised loads: what arrived, and what was served, over what the sinks could serve
            "offered_load": offered / capacity_tokens if capacity_tokens else 0.0,
            "carried_load": served / capacity_tokens if capacity_tokens else 0.0,
            "served_rate": served / horizon if horizon else 0.0,
            "mean_buffer": metrics.mean(buf_total), "max_buffer": max(buf_total, default=0.0),
            "mean_sink_backlog": metrics.mean(sink_total), "max_sink_backlog": max(sink_total, default=0.0),
            "final_backlog": total[-1] if total else 0.0, "growth": g,
            "growth_slope": metrics.growth_slope(total, bs, rate),
            "jain": metrics.jain(xs), "rebalances": self.keeper.rebalances, "drains": self.keeper.drains,
            "transactions": self.chain.transactions, "reverts": dict(sorted(self.chain.reverts.items())),
            "clamped_at_setup": self.clamped,
        }
        return RunResult(sc.name, self.pol.name, load, steps, bs, summary, per_sink, self.series,
                         self.chain.log, self.chain.oks, wall_s, steps * (len(self.sinks) + len(self.sources) + 1),
                         self.chain.transactions)


def run(sc: Scenario, pol: Policy | str, *, exo: Exogenous | None = None, steps: int | None = None,
        load: float | None = None, buffer_max: float | None = None, record_log: bool = False,
        tick: Callable[[int], None] | None = None) -> RunResult:
    """Run `sc` under `pol` (same seed: same capacities and arrivals for every policy)."""
    pol = make_policy(pol) if isinstance(pol, str) else pol
    steps = steps or sc.steps
    load = sc.load if load is None else load
    exo = exo or generate(sc, steps, load)
    start = time.perf_counter()
    r = Run(sc, pol, exo, buffer_max=buffer_max, record_log=record_log)
    every = max(1, steps // 50)
    for i in range(steps):
        r.step()
        if tick and (i + 1) % every == 0:
            tick(every)
    if tick and steps % every:
        tick(steps % every)
    return r.result(load, time.perf_counter() - start)
