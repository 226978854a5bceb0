"""PNG figures of a scenario's results (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"protocol": "#1f77b4", "no_ewma": "#17becf", "static_equal": "#d62728", "static_stake": "#ff7f0e",
          "static_oracle": "#7f7f7f", "protocol (all honest)": "#2ca02c"}


def _color(name: str) -> str | None:
    return COLORS.get(name)


def _save(fig: Any, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": None})  # no version/timestamp in the file
    plt.close(fig)
    return str(path)


def occupancy(res: dict, out: Path) -> str:
    """Buffer occupancy and sinks' paid-but-unserved backlog over time, per policy."""
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    bs = res["block_seconds"]
    for pol, s in res["series"].items():
        n = len(next(iter(s["buffer"].values())))
        x = [i * bs / 60 for i in range(n)]
        buf = [sum(v[i] for v in s["buffer"].values()) for i in range(n)]
        back = [sum(v[i] for v in s["backlog"].values()) for i in range(n)]
        a1.plot(x, buf, label=pol, color=_color(pol), lw=1)
        a2.plot(x, back, label=pol, color=_color(pol), lw=1)
    a1.set_ylabel("escrow buffer (tokens)")
    a1.set_title(f"{res['name']}: buffer occupancy at load {res['load']:g}")
    a2.set_ylabel("sinks' paid-unserved work (tokens)")
    a2.set_xlabel("time (minutes)")
    a1.legend(fontsize=8, ncol=3)
    return _save(fig, out / "occupancy.png")


def units(res: dict, out: Path) -> str | None:
    """Pool units of each sink under the protocol against its true capacity."""
    s = res["series"].get("protocol")
    caps = res.get("capacity_paths")
    if not s:
        return None
    fig, ax = plt.subplots(figsize=(9, 3.8))
    bs = res["block_seconds"]
    for i, (name, u) in enumerate(s["units"].items()):
        x = [k * bs / 60 for k in range(len(u))]
        line, = ax.plot(x, u, lw=1.2, label=f"{name} units")
        if caps and name in caps:
            ax.plot(x, caps[name][:len(u)], lw=0.6, alpha=0.5, color=line.get_color(), label=f"{name} capacity")
    ax.set_xlabel("time (minutes)")
    ax.set_ylabel("capacity units")
    ax.set_title(f"{res['name']}: pool units (protocol) vs true capacity")
    ax.legend(fontsize=7, ncol=3)
    return _save(fig, out / "units.png")


def compare_bars(res: dict, out: Path) -> str:
    rows = res["compare"]
    names = [r["policy"] for r in rows]
    metrics = [("throughput", "throughput (served / offered)"), ("overflow_fraction", "overflow (rejected / offered)"),
               ("jain", "Jain's index (pay per unit of capacity)"), ("mean_sink_backlog", "mean paid-unserved (tokens)")]
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4))
    for ax, (key, label) in zip(axes, metrics):
        vals = [r[key] for r in rows]
        ax.bar(range(len(names)), vals, color=[_color(n) or "#999" for n in names])
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
        ax.set_title(label, fontsize=9)
    fig.suptitle(f"{res['name']}: policies on the same arrivals and capacities (load {res['load']:g})", fontsize=10)
    return _save(fig, out / "compare.png")


def thresholds(res: dict, out: Path) -> str | None:
    rows = res.get("thresholds") or []
    if not rows:
        return None
    x = [r["threshold_bps"] for r in rows]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.4))
    a1.plot(x, [r["rebalances"] for r in rows], "o-")
    a1.set_xlabel("rebalance threshold (bps)")
    a1.set_ylabel("rebalances")
    g = [r.get("rebalance_gas_total") for r in rows]
    if all(v is not None for v in g):
        a1b = a1.twinx()
        a1b.plot(x, [v / 1e6 for v in g], "s--", color="#ff7f0e")
        a1b.set_ylabel("rebalance gas (Mgas, estimated)", color="#ff7f0e")
    a2.plot(x, [r["mean_sink_backlog"] for r in rows], "o-", label="sinks' paid-unserved")
    a2.plot(x, [r["mean_buffer"] for r in rows], "s-", label="buffer")
    a2.set_xlabel("rebalance threshold (bps)")
    a2.set_ylabel("mean tokens")
    a2.legend(fontsize=8)
    fig.suptitle(f"{res['name']}: threshold sweep (protocol)", fontsize=10)
    return _save(fig, out / "thresholds.png")


def sweep(res: dict, out: Path) -> str | None:
    sw = res.get("sweep")
    if not sw:
        return None
    loads = sw.get("offered_load") or sw["loads"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4))
    for pol, row in sw["policies"].items():
        c = _color(pol)
        a1.plot(loads, row["growth"], "o-", label=pol, color=c, ms=4)
        a2.plot(loads, [max(v, 1e-3) for v in row["mean_backlog"]], "o-", label=pol, color=c, ms=4)
        if row.get("theory") is not None and row["theory"] < 1.0:
            a1.axvline(row["theory"], color=c, ls=":", lw=1)
    a1.axhline(sw["tolerance"], color="k", lw=0.8, ls="--", label="instability threshold")
    a1.axvline(1.0, color="k", lw=1, label="capacity region boundary")
    a1.set_xlabel("offered load (arrivals / total mean capacity)")
    a1.set_ylabel("backlog at the end / arrivals")
    a1.set_title("stability: unserved backlog B(T) / arrivals (dotted: static splits' theory)", fontsize=9)
    a1.legend(fontsize=7)
    a2.set_yscale("log")
    a2.axvline(1.0, color="k", lw=1)
    a2.set_xlabel("load")
    a2.set_ylabel("mean backlog, buffer + sinks (tokens)")
    a2.set_title("mean backlog", fontsize=9)
    fig.suptitle(f"{res['name']}: load sweep ({sw['steps']} blocks per run)", fontsize=10)
    return _save(fig, out / "sweep.png")


def misreport(res: dict, out: Path) -> str | None:
    m = res.get("misreport")
    if not m:
        return None
    names = list(m["per_sink"])
    fig, ax = plt.subplots(figsize=(7, 3.4))
    w = 0.38
    ax.bar([i - w / 2 for i in range(len(names))], [m["per_sink"][n]["paid_honest"] for n in names], w, label="all honest",
           color="#2ca02c")
    ax.bar([i + w / 2 for i in range(len(names))], [m["per_sink"][n]["paid_misreport"] for n in names], w,
           label="with misreport", color="#d62728")
    ax.set_xticks(range(len(names)), [n + (" (misreports)" if n in m["sinks"] else "") for n in names], fontsize=8)
    ax.set_ylabel("tokens paid to the sink")
    ax.set_title(f"{res['name']}: what a misreporting sink gains", fontsize=10)
    ax.legend(fontsize=8)
    return _save(fig, out / "misreport.png")


def all_plots(res: dict, out: Path) -> list[str]:
    paths = [occupancy(res, out), units(res, out), compare_bars(res, out), thresholds(res, out), sweep(res, out),
             misreport(res, out)]
    return [p for p in paths if p]
