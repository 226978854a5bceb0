"""The agents of a run: sinks, sources and the keeper. Each acts on the chain only through
transactions on the models (`Chain.call`); what is not on chain is the agents' own state:

- a sink's true capacity (given per block by `processes.capacity_path`) and its backlog of
  paid-but-unserved work (work units = capacity-unit-seconds; a payment of `a` wei drained to it at
  unit price `p` is `a / p` work units), which it serves at its true capacity;
- its report: an honest sink reveals its current capacity `c` (report "capacity", the default) or
  the capacity it has free for new work, `c - backlog / horizon` with horizon = one commit period
  (report "backlog": shorter sink queues, but the buffer drains slower); a misreporting sink
  multiplies its report by `misreport` (inf: reveals 2**256-1, which the registry clamps to its cap);
- a source's payments (given per block by `processes.generate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from harness.sim.bpe.chain import MAX, Chain, task_id

E18 = 10**18


def to_fixed(units: float) -> int:
    """Capacity units as the registry's 18-decimal fixed point (1e-6 unit resolution)."""
    if math.isinf(units):
        return MAX
    return max(0, int(units * 1e6)) * 10**12


@dataclass
class SinkAgent:
    name: str
    index: int
    address: int
    task: str  # task type id (0x...)
    price: int  # wei per unit per second of its task type
    capacity: list[float]
    report: str
    misreport: float
    stake_wei: int
    backlog: float = 0.0  # work units paid for and not yet served
    paid_wei: int = 0
    served_work: float = 0.0
    commits: int = 0
    reveals: int = 0
    pending: tuple[int, int, bytes] | None = None  # (reveal block index, fixed value, nonce)
    rounds: int = 0

    def report_units(self, t: int, horizon_s: float) -> float:
        c = self.capacity[t]
        honest = max(0.0, c - self.backlog / horizon_s) if self.report == "backlog" else c
        return honest * self.misreport if not math.isinf(self.misreport) else math.inf

    def commit(self, chain: Chain, t: int, value_units: float, reveal_at: int) -> None:
        value = to_fixed(value_units)
        self.rounds += 1
        nonce = self.address.to_bytes(20, "big") + self.rounds.to_bytes(12, "big")
        out = chain.call("CapacityRegistry", "commitCapacity", self.address, self.task,
                         chain.commit_hash(self.address, self.task, value, nonce))
        if out.ok:
            self.commits += 1
            self.pending = (reveal_at, value, nonce)

    def reveal(self, chain: Chain) -> None:
        assert self.pending is not None
        _at, value, nonce = self.pending
        out = chain.call("CapacityRegistry", "revealCapacity", self.address, self.task, value, "0x" + nonce.hex())
        if out.ok:
            self.reveals += 1
        self.pending = None

    def assign(self, wei: int) -> None:
        self.paid_wei += wei
        self.backlog += wei / self.price

    def serve(self, t: int, seconds: float) -> float:
        done = min(self.backlog, self.capacity[t] * seconds)
        self.backlog -= done
        self.served_work += done
        return done


@dataclass
class SourceAgent:
    name: str
    index: int
    address: int
    target: str  # task type id or pipeline id (as int)
    is_pipeline: bool
    accepted_wei: int = 0
    rejected_wei: int = 0
    accepted: int = 0
    rejected: int = 0

    def pay(self, chain: Chain, amount: int) -> bool:
        if self.is_pipeline:
            out = chain.call("Pipeline", "deposit", self.address, int(self.target), amount)
        else:
            out = chain.call("EscrowBuffer", "deposit", self.address, self.target, amount)
        if out.ok:
            self.accepted += 1
            self.accepted_wei += amount
        else:
            self.rejected += 1
            self.rejected_wei += amount
            if out.error.abi_name() != "BufferOverflow":
                raise RuntimeError(f"deposit of {amount} by {self.name} reverted with {out.error}, not BufferOverflow")
        return out.ok


@dataclass
class Keeper:
    address: int
    policy: str  # threshold | periodic | never
    every: int
    drain_every: int
    tasks: list[str]  # task type ids
    pipelines: list[int]  # pipeline ids
    pipeline_stages: dict[int, list[str]]
    rebalances: int = 0
    drains: int = 0
    rebalance_log: list[int] = field(default_factory=list)  # block indices of rebalances

    def rebalance(self, chain: Chain, t: int, adaptive: bool) -> None:
        if not adaptive or self.policy == "never" or t % self.every:
            return
        for task in self.tasks:
            if self.policy == "periodic" or chain.needs_rebalance(task):
                out = chain.call("BackpressurePool", "rebalance", self.address, task)
                if out.ok:
                    self.rebalances += 1
                    self.rebalance_log.append(t)

    def drain(self, chain: Chain, t: int, eb_address: int) -> list[tuple[int, int]]:
        """Drain what is due; returns (sink address, wei) of every Drained event."""
        if t % self.drain_every:
            return []
        outs = []
        covered = set()
        for pid in self.pipelines:
            stages = self.pipeline_stages[pid]
            covered.update(stages)
            if any(chain.drainable(s) for s in stages):
                outs.append(chain.call("Pipeline", "drain", self.address, pid))
        for task in self.tasks:
            if task not in covered and chain.drainable(task):
                outs.append(chain.call("EscrowBuffer", "drain", self.address, task))
        paid = []
        for out in outs:
            if not out.ok:
                raise RuntimeError(f"drain reverted with {out.error} although drainable was nonzero")
            self.drains += 1
            for rec in out.events:
                if rec.address == eb_address and rec.event.abi_name() == "Drained":
                    paid.append((rec.event.sink.v, rec.event.amount.v))
        return paid


__all__ = ["SinkAgent", "SourceAgent", "Keeper", "to_fixed", "task_id"]
