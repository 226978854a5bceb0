"""Scenario files (TOML, read with Python's tomllib): what a simulation run is made of.

A scenario names task types (unit price, B_max), sinks (stake, a stochastic service capacity process,
how they report it, an optional misreport), sources (payment arrivals per task type or pipeline),
pipelines, the protocol parameters (EWMA alpha, rebalance threshold, commit-reveal cadence), the
keeper (rebalance policy and cadence, drain cadence), and the experiments to run (policy comparison,
threshold sweep, load sweep). Money is in tokens (18 decimals on chain), capacity in capacity units
(1 unit = 1e18 on chain), time in blocks of `block_seconds`. Every field is documented in
`harness/sim/bpe/README.md`; `load()` rejects unknown keys so a typo never silently changes a run.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INF = math.inf
POLICIES = ("protocol", "no_ewma", "static_equal", "static_stake", "static_oracle")


class ScenarioError(ValueError):
    """A scenario file that cannot be run (named field, value and reason)."""


@dataclass(frozen=True)
class CapacityProcess:
    """A sink's true service capacity per block (capacity units: work per second), agent-side.

    constant: `mean`. noisy: mean * max(0, 1 + cv * x_t), x an AR(1) N(0,1) process with lag-1
    correlation `corr`. markov: a Markov chain over `levels`; each block it stays with probability
    `stay[k]` in level k, otherwise jumps to a uniformly chosen other level."""

    kind: str = "constant"
    mean: float = 0.0
    cv: float = 0.0
    corr: float = 0.0
    levels: tuple[float, ...] = ()
    stay: tuple[float, ...] = ()


@dataclass(frozen=True)
class TaskType:
    name: str
    unit_price: int  # wei per capacity unit per second (EscrowBuffer.setUnitPrice)
    buffer_max: float  # tokens (INF: 2**255 wei, i.e. no bound)


@dataclass(frozen=True)
class Sink:
    name: str
    task_type: str
    stake: float  # tokens staked (cap = floor(sqrt(stake)) units)
    capacity: CapacityProcess
    report: str = "capacity"  # honest report: "capacity" (its current capacity) or "backlog" (minus backlog/horizon)
    misreport: float = 1.0  # factor on the honest report (1.0: honest); math.inf: reveal the maximum


@dataclass(frozen=True)
class Source:
    name: str
    target: str  # a task type or a pipeline name
    is_pipeline: bool
    share: float  # share of the scenario's load
    size_mean: float  # tokens per payment
    size_kind: str = "exp"  # exp | fixed


@dataclass(frozen=True)
class PipelineDef:
    name: str
    stages: tuple[str, ...]
    weights_bps: tuple[int, ...]


@dataclass(frozen=True)
class Protocol:
    ewma_alpha_bps: int = 3000
    rebalance_threshold_bps: int = 500
    commit_every: int = 10  # blocks between a sink's commits
    reveal_delay: int = 1  # blocks from commit to reveal (1..20)


@dataclass(frozen=True)
class Keeper:
    policy: str = "threshold"  # threshold (rebalance when needsRebalance) | periodic | never
    every: int = 1  # blocks between keeper checks (rebalance)
    drain_every: int = 1  # blocks between drains


@dataclass(frozen=True)
class Compare:
    policies: tuple[str, ...] = ("protocol", "no_ewma", "static_equal", "static_stake")
    thresholds_bps: tuple[int, ...] = ()


@dataclass(frozen=True)
class Sweep:
    loads: tuple[float, ...] = ()
    policies: tuple[str, ...] = ("protocol", "static_equal", "static_stake")
    steps: int = 0  # 0: the scenario's steps
    buffer_max: float = INF  # the sweep measures stability on unbounded buffers (see README)
    growth_tolerance: float = 0.02  # backlog growth per unit of arrival rate that counts as unstable


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    seed: int
    steps: int
    block_seconds: int
    load: float
    task_types: tuple[TaskType, ...]
    sinks: tuple[Sink, ...]
    sources: tuple[Source, ...]
    pipelines: tuple[PipelineDef, ...] = ()
    protocol: Protocol = field(default_factory=Protocol)
    keeper: Keeper = field(default_factory=Keeper)
    compare: Compare = field(default_factory=Compare)
    sweep: Sweep = field(default_factory=Sweep)
    gas_sample_blocks: int = 120  # blocks of the protocol run replayed on the EVM for gas figures
    path: str = ""

    def replace(self, **kw: Any) -> "Scenario":
        return dataclasses.replace(self, **kw)

    def task_type(self, name: str) -> TaskType:
        for t in self.task_types:
            if t.name == name:
                return t
        raise KeyError(name)

    def pipeline(self, name: str) -> PipelineDef:
        for p in self.pipelines:
            if p.name == name:
                return p
        raise KeyError(name)

    def sinks_of(self, task_type: str) -> list[Sink]:
        return [s for s in self.sinks if s.task_type == task_type]


# -- loading ---------------------------------------------------------------------------------------


def _take(d: dict, where: str, allowed: set[str]) -> dict:
    if not isinstance(d, dict):
        raise ScenarioError(f"{where}: expected a table, got {d!r}")
    unknown = set(d) - allowed
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})")
    return d


def _num(v: Any, where: str, *, lo: float | None = None, hi: float | None = None, inf_ok: bool = False) -> float:
    if inf_ok and v == "inf":
        return INF
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(f"{where}: expected a number, got {v!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ScenarioError(f"{where}: {v} outside [{lo}, {hi}]")
    return v


def _capacity(d: dict, where: str) -> CapacityProcess:
    _take(d, where, {"kind", "mean", "cv", "corr", "levels", "stay"})
    kind = d.get("kind", "constant")
    if kind == "constant":
        return CapacityProcess("constant", mean=_num(d.get("mean"), f"{where}.mean", lo=0))
    if kind == "noisy":
        return CapacityProcess("noisy", mean=_num(d.get("mean"), f"{where}.mean", lo=0),
                               cv=_num(d.get("cv", 0.2), f"{where}.cv", lo=0),
                               corr=_num(d.get("corr", 0.0), f"{where}.corr", lo=0, hi=0.999))
    if kind == "markov":
        levels = tuple(_num(x, f"{where}.levels", lo=0) for x in d.get("levels", ()))
        stay = tuple(_num(x, f"{where}.stay", lo=0, hi=1) for x in d.get("stay", ()))
        if len(levels) < 2 or len(stay) != len(levels):
            raise ScenarioError(f"{where}: markov needs >= 2 levels and one stay probability per level")
        return CapacityProcess("markov", levels=levels, stay=stay)
    raise ScenarioError(f"{where}.kind: {kind!r} is not constant, noisy or markov")


def parse(doc: dict, path: str = "") -> Scenario:
    top = _take(doc, path or "scenario", {"name", "description", "seed", "steps", "block_seconds", "load",
                                          "task_types", "sinks", "sources", "pipelines", "protocol", "keeper",
                                          "compare", "sweep", "gas_sample_blocks"})
    name = str(top.get("name") or Path(path).stem)
    tts = []
    for i, t in enumerate(top.get("task_types", [])):
        w = f"task_types[{i}]"
        _take(t, w, {"name", "unit_price", "buffer_max"})
        price = t.get("unit_price", 10**15)
        if isinstance(price, float):
            price = int(price)
        if not isinstance(price, int) or price <= 0:
            raise ScenarioError(f"{w}.unit_price: a positive integer (wei per unit per second), got {price!r}")
        tts.append(TaskType(str(t["name"]), price, _num(t.get("buffer_max", "inf"), f"{w}.buffer_max", lo=0, inf_ok=True)))
    if not tts:
        raise ScenarioError("a scenario needs at least one [[task_types]]")
    names = {t.name for t in tts}
    pipes = []
    for i, p in enumerate(top.get("pipelines", [])):
        w = f"pipelines[{i}]"
        _take(p, w, {"name", "stages", "weights_bps"})
        stages = tuple(p["stages"])
        weights = tuple(int(x) for x in p["weights_bps"])
        if any(s not in names for s in stages):
            raise ScenarioError(f"{w}.stages: unknown task type in {stages}")
        if len(stages) != len(weights) or sum(weights) != 10_000 or len(stages) < 2:
            raise ScenarioError(f"{w}: 2..8 stages with weights summing to 10000")
        pipes.append(PipelineDef(str(p["name"]), stages, weights))
    pnames = {p.name for p in pipes}
    sinks = []
    for i, s in enumerate(top.get("sinks", [])):
        w = f"sinks[{i}]"
        _take(s, w, {"name", "task_type", "stake", "capacity", "report", "misreport"})
        if s.get("task_type") not in names:
            raise ScenarioError(f"{w}.task_type: {s.get('task_type')!r} is not a task type")
        report = s.get("report", "capacity")
        if report not in ("backlog", "capacity"):
            raise ScenarioError(f"{w}.report: 'backlog' or 'capacity', got {report!r}")
        mis = s.get("misreport", 1.0)
        mis = INF if mis == "max" else _num(mis, f"{w}.misreport", lo=0)
        sinks.append(Sink(str(s["name"]), s["task_type"], _num(s.get("stake"), f"{w}.stake", lo=100),
                          _capacity(s.get("capacity", {}), f"{w}.capacity"), report, mis))
    if len({s.name for s in sinks}) != len(sinks):
        raise ScenarioError("sink names must be distinct")
    for t in names:
        if not any(s.task_type == t for s in sinks):
            raise ScenarioError(f"task type {t!r} has no sink")
        if sum(1 for s in sinks if s.task_type == t) > 32:
            raise ScenarioError(f"task type {t!r}: at most 32 sinks (MAX_SINKS_PER_TASK_TYPE)")
    sources = []
    for i, s in enumerate(top.get("sources", [])):
        w = f"sources[{i}]"
        _take(s, w, {"name", "task_type", "pipeline", "share", "size_mean", "size"})
        if ("task_type" in s) == ("pipeline" in s):
            raise ScenarioError(f"{w}: exactly one of task_type or pipeline")
        target = s.get("task_type") or s.get("pipeline")
        if target not in (pnames if "pipeline" in s else names):
            raise ScenarioError(f"{w}: unknown target {target!r}")
        kind = s.get("size", "exp")
        if kind not in ("exp", "fixed"):
            raise ScenarioError(f"{w}.size: 'exp' or 'fixed'")
        sources.append(Source(str(s["name"]), target, "pipeline" in s, _num(s.get("share", 1.0), f"{w}.share", lo=0),
                              _num(s.get("size_mean", 1.0), f"{w}.size_mean", lo=1e-9), kind))
    if not sources:
        raise ScenarioError("a scenario needs at least one [[sources]]")
    pr = _take(top.get("protocol", {}), "protocol", {"ewma_alpha_bps", "rebalance_threshold_bps", "commit_every", "reveal_delay"})
    protocol = Protocol(int(_num(pr.get("ewma_alpha_bps", 3000), "protocol.ewma_alpha_bps", lo=1, hi=10_000)),
                        int(_num(pr.get("rebalance_threshold_bps", 500), "protocol.rebalance_threshold_bps", lo=0, hi=10_000)),
                        int(_num(pr.get("commit_every", 10), "protocol.commit_every", lo=1)),
                        int(_num(pr.get("reveal_delay", 1), "protocol.reveal_delay", lo=1, hi=20)))
    if protocol.commit_every <= protocol.reveal_delay:
        raise ScenarioError("protocol.commit_every must exceed protocol.reveal_delay (one pending commit per sink)")
    kp = _take(top.get("keeper", {}), "keeper", {"policy", "every", "drain_every"})
    keeper = Keeper(kp.get("policy", "threshold"), int(_num(kp.get("every", 1), "keeper.every", lo=1)),
                    int(_num(kp.get("drain_every", 1), "keeper.drain_every", lo=1)))
    if keeper.policy not in ("threshold", "periodic", "never"):
        raise ScenarioError(f"keeper.policy: threshold, periodic or never, got {keeper.policy!r}")
    cp = _take(top.get("compare", {}), "compare", {"policies", "thresholds_bps"})
    compare = Compare(tuple(cp.get("policies", Compare.policies)), tuple(int(x) for x in cp.get("thresholds_bps", ())))
    sw = _take(top.get("sweep", {}), "sweep", {"loads", "policies", "steps", "buffer_max", "growth_tolerance"})
    sweep = Sweep(tuple(float(x) for x in sw.get("loads", ())), tuple(sw.get("policies", Sweep.policies)),
                  int(sw.get("steps", 0)), _num(sw.get("buffer_max", "inf"), "sweep.buffer_max", lo=0, inf_ok=True),
                  float(sw.get("growth_tolerance", 0.02)))
    for p in compare.policies + sweep.policies:
        if p not in POLICIES:
            raise ScenarioError(f"unknown policy {p!r} (known: {', '.join(POLICIES)})")
    for b in compare.thresholds_bps:
        if not 0 <= b <= 10_000:
            raise ScenarioError(f"compare.thresholds_bps: {b} outside [0, 10000]")
    return Scenario(name=name, description=str(top.get("description", "")).strip(),
                    seed=int(top.get("seed", 1)), steps=int(_num(top.get("steps", 1000), "steps", lo=10)),
                    block_seconds=int(_num(top.get("block_seconds", 12), "block_seconds", lo=1)),
                    load=_num(top.get("load", 0.8), "load", lo=0), task_types=tuple(tts), sinks=tuple(sinks),
                    sources=tuple(sources), pipelines=tuple(pipes), protocol=protocol, keeper=keeper,
                    compare=compare, sweep=sweep,
                    gas_sample_blocks=int(top.get("gas_sample_blocks", 120)), path=path)


def load(path: str | Path) -> Scenario:
    """The scenario in the TOML file `path`. ScenarioError, one line naming the file and the field or
    the cause, if it is missing, unreadable, not TOML, or not a valid scenario."""
    p = Path(path)
    try:
        doc = tomllib.loads(p.read_text())
    except FileNotFoundError:
        raise ScenarioError(f"{p}: no such scenario file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(f"{p}: cannot read the scenario file ({e})") from None
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{p}: not TOML (truncated or corrupt?): {e}") from None
    try:
        return parse(doc, str(p))
    except ScenarioError as e:
        raise ScenarioError(str(e) if str(e).startswith(f"{p}:") else f"{p}: {e}") from None
    except KeyError as e:  # a required key of a table (sinks and sources need a name)
        raise ScenarioError(f"{p}: a required key {e} is missing") from None
    except (TypeError, ValueError) as e:
        raise ScenarioError(f"{p}: a value of the wrong type ({e})") from None
