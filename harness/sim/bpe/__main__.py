"""`python -m harness.sim.bpe run scenarios/bpe/*.toml` runs scenarios on the models and writes reports/sim/;
`python -m harness.sim.bpe bench` prints the simulator's speed.

run     every experiment of each scenario (policy comparison, threshold sweep, misreport counterfactual,
        load sweep, EVM gas sample), then reports/sim/results.json, results.md and PNG plots per scenario.
        --quick: a quarter of the blocks and half the sweep loads (smoke runs, tests).
        --gas-engine py-evm|pyrevm|none (default py-evm: exact gas per transaction).
bench   agent-steps per second on one scenario (default scenarios/bpe/heterogeneous.toml).
Exit codes: 0 done; 3 a tool error (a scenario file missing, not TOML or invalid: one line naming the
file and the field; a model/EVM disagreement in the gas replay; an internal error, whose traceback
`--debug` shows).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from specs.errors import ArgumentParser
from harness.files import write_text_atomic
from harness.sim.bpe import experiments, plots, report
from harness.sim.bpe.bench import DEFAULT, bench, format_bench
from harness.sim.bpe.gas import ReplayMismatch
from harness.sim.bpe.processes import generate
from harness.sim.bpe.progress import Progress
from harness.sim.bpe.scenario import ScenarioError, load

EXIT_TOOL_ERROR = 3


def cmd_run(args: argparse.Namespace) -> int:
    try:
        scenarios = [load(p) for p in args.scenarios]
    except ScenarioError as e:
        print(f"scenario error: {e}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    out = Path(args.out)
    gas_engine = None if args.gas_engine == "none" else args.gas_engine
    total = sum(experiments.plan_blocks(sc, args.quick) for sc in scenarios)
    prog = Progress(total)
    results: dict = {"version": 1, "quick": args.quick, "scenarios": {}}
    timing = {}
    start = time.perf_counter()
    try:
        for sc in scenarios:
            res = experiments.run_scenario(sc, quick=args.quick, gas_engine=gas_engine, prog=prog)
            res["capacity_paths"] = generate(sc, res["steps"]).capacities
            res["plots"] = [] if args.no_plots else plots.all_plots(res, out / sc.name)
            res.pop("capacity_paths")
            res.pop("series")
            timing[sc.name] = res.pop("wall_s")
            results["scenarios"][sc.name] = res
    except ReplayMismatch as e:
        prog.close()
        print(f"model/EVM disagreement in the gas replay: {e}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    prog.close()
    agent_steps = sum(r["agent_steps"] for res in results["scenarios"].values() for r in res["compare"] + res["thresholds"])
    run_wall = sum(r["wall_s"] for res in results["scenarios"].values() for r in res["compare"] + res["thresholds"])
    # wall-clock figures vary from run to run: kept apart from the results proper
    results["timing"] = {"total_s": time.perf_counter() - start, "per_scenario_s": timing,
                         "agent_steps_per_s": agent_steps / run_wall if run_wall else None}
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "results.json", json.dumps(results, indent=1, sort_keys=True, default=str) + "\n")
    write_text_atomic(out / "results.md", report.markdown(results) + "\n")
    print(summary(results))
    print(f"wrote {out / 'results.json'}, {out / 'results.md'} and the plots in {out}/<scenario>/")
    return 0


def summary(results: dict) -> str:
    lines = []
    for res in results["scenarios"].values():
        lines.append(f"{res['name']}:")
        for r in res["compare"] + res["thresholds"]:
            name = r["policy"]
            lines.append(f"  {name:<22} throughput {r['throughput']:.3f}  overflow {r['overflow_fraction']:.3f}  "
                         f"buffer {r['mean_buffer']:8.2f}  paid-unserved {r['mean_sink_backlog']:8.2f}  "
                         f"Jain {r['jain']:.3f}  rebalances {r['rebalances']}")
        for row in report.stability_rows(res):
            lines.append(f"  stability {row[0]:<14} stable up to {row[1]}, unstable from {row[2]}, theory {row[3]}, "
                         f"reached {row[4]}")
        if res.get("misreport"):
            for n, v in res["misreport"]["per_sink"].items():
                if n in res["misreport"]["sinks"]:
                    lines.append(f"  misreport {n}: gains {v['gain']:.2f} tokens ({v['gain_fraction'] * 100:.1f}%)")
    t = results.get("timing", {})
    if t.get("agent_steps_per_s"):
        lines.append(f"speed: {t['agent_steps_per_s']:,.0f} agent-steps/s over the comparison runs; total {t['total_s']:.0f} s")
    return "\n".join(lines)


def cmd_bench(args: argparse.Namespace) -> int:
    print(format_bench(bench(args.scenario, args.blocks)))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = ArgumentParser(prog="python -m harness.sim.bpe", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run scenarios, write reports/sim/")
    r.add_argument("scenarios", nargs="+")
    r.add_argument("--out", default="reports/sim")
    r.add_argument("--quick", action="store_true")
    r.add_argument("--gas-engine", default="py-evm", choices=["py-evm", "pyrevm", "none"])
    r.add_argument("--no-plots", action="store_true")
    r.set_defaults(fn=cmd_run)
    b = sub.add_parser("bench", help="agent-steps per second")
    b.add_argument("--scenario", default=str(DEFAULT))
    b.add_argument("--blocks", type=int, default=500)
    b.set_defaults(fn=cmd_bench)
    args = ap.parse_args(argv)
    try:
        return args.fn(args)
    except ScenarioError as e:  # the bench's scenario
        print(f"scenario error: {e}", file=sys.stderr)
        return EXIT_TOOL_ERROR
    except Exception as e:  # a bug of the simulator: one line, the traceback with --debug
        if args.debug:
            raise
        print(f"internal error: {type(e).__name__}: {e} (run with --debug for the traceback)", file=sys.stderr)
        return EXIT_TOOL_ERROR


if __name__ == "__main__":
    sys.exit(main())
