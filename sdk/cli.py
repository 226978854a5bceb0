"""Command line: deploy, deploy-suite, sink, source, keeper, anvil.

    python -m sdk.cli anvil [--port 8545]                      # a local node (anvil from node_modules or $BPE_ANVIL)
    python -m sdk.cli deploy --rpc URL --out deployment.json [--task-type summarize:1000e18:1e15 ...]
                             [--pipeline summarize,translate:6000,4000]
    python -m sdk.cli deploy-suite --suite compute --rpc URL --out compute.json [--role owner=0x...]
    python -m sdk.cli sink --deployment deployment.json --account 2 --task summarize --stake 400e18 --capacity 12e18
    python -m sdk.cli source --deployment deployment.json --account 5 --fund 1000e18 --deposit summarize:100e18
                             [--pipeline-deposit 1:50e18] [--stream summarize:1e12 [--wait SECONDS] [--poll 1]]
    python -m sdk.cli keeper --deployment deployment.json --account 1 --state keeper.json [--poll 1]
                             [--task summarize ...] [--pipeline 1 ...] [--ticks N]

A stream into a pool without units flows at 0/s (the GDA fixes the rate when `distributeFlow` is
called): `source` then says so, waits for the pool's units (checking every --poll seconds, for at most
--wait seconds; no limit by default), re-issues `distributeFlow` and exits once every stream flows.
`keeper` watches every task type and pipeline of the deployment file, or exactly those --task and
--pipeline name, and runs until SIGTERM/SIGINT or --ticks N.

Keys: `--key 0x...` (or $BPE_KEY), or `--account N` for anvil's N-th funded dev account (demo only).
The RPC URL defaults to the one recorded in the deployment file. Amounts accept exponents (400e18).
Exit codes: 0 done; 1 a transaction reverted (the decoded error is printed); 2 bad usage or bad input
(an argument, a deployment file or a state file that is missing, truncated or of another kind); 3 the
node is unavailable or a tool failed (anvil missing, its port busy, a crash of the SDK); 4 a stream of
`source` still at 0/s when it stopped waiting (--wait elapsed, or SIGTERM/SIGINT). Every error is one
line on stderr naming the file or argument and the cause; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from decimal import Decimal
from pathlib import Path

from sdk.chain import Chain, Revert, SDKError, TransientError

EXIT_REVERTED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_NOT_FLOWING = 1, 2, 3, 4


class UsageError(Exception):
    """A bad argument value found after parsing (a malformed --task-type, no key, no RPC URL)."""

LOG = logging.getLogger("sdk.cli")


def amount(text: str) -> int:
    """"400e18", "1.5e18", "1000" -> int (exactly; a fractional result is an error)."""
    try:
        d = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not d.is_finite() or d < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a non-negative amount of wei")
    if d != d.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of wei")
    return int(d)


def seconds(text: str) -> float:
    """"0.5", "30" -> float seconds (a non-negative finite number)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= v < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a non-negative number of seconds")
    return v


def _key(args: argparse.Namespace) -> str:
    from sdk.anvil import DEV_KEYS

    if args.key:
        return args.key
    if os.environ.get("BPE_KEY"):
        return os.environ["BPE_KEY"]
    if args.account is not None:
        if not 0 <= args.account < len(DEV_KEYS):
            raise UsageError(f"--account {args.account}: anvil has dev accounts 0..{len(DEV_KEYS) - 1}")
        return DEV_KEYS[args.account]
    raise UsageError("no key: pass --key 0x..., set BPE_KEY, or --account N for an anvil dev account")


def _add_common(p: argparse.ArgumentParser, deployment: bool = True) -> None:
    p.add_argument("--rpc", help="JSON-RPC URL (default: the deployment file's)")
    if deployment:
        p.add_argument("--deployment", required=True, type=Path, help="deployment file written by `deploy`")
    p.add_argument("--key", help="private key (0x...), or $BPE_KEY")
    p.add_argument("--account", type=int, help="anvil dev account index (demo)")
    p.add_argument("-v", "--verbose", action="store_true")


def _clients(args: argparse.Namespace, dep=None):  # noqa: ANN001, ANN202
    """The clients of the deployment file's contracts (`dep`: the file, when already loaded). The
    deployment file and the state file (when one is named) are read first: bad input is answered
    before the node is asked anything."""
    from sdk.clients import Clients
    from sdk.deploy import Deployment
    from sdk.state import JsonState

    if dep is None:
        dep = Deployment.load(args.deployment)
    if getattr(args, "state", None) is not None:
        JsonState(args.state)
    rpc = args.rpc or dep.rpc
    if not rpc:
        raise UsageError(f"no RPC URL: pass --rpc ({args.deployment} records none)")
    return Clients(Chain(rpc), dep)


def _task_types(dep, names: list[str] | None) -> list[bytes]:  # noqa: ANN001
    from sdk.deploy import task_type_id

    if names:
        return [task_type_id(n) for n in names]
    return [bytes.fromhex(k[2:]) for k in dep.task_types]


def cmd_anvil(args: argparse.Namespace) -> int:
    from sdk.anvil import DEV_KEYS, start_anvil

    node = start_anvil(port=args.port, block_time=args.block_time)
    print(f"anvil listening on {node.url} (pid {node.process.pid}); dev account 0: {DEV_KEYS[0]}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: node.stop())
    try:
        node.process.wait()
    except KeyboardInterrupt:
        node.stop()
    return 0


def cmd_deploy_suite(args: argparse.Namespace) -> int:
    from sdk.deploy_suite import deploy_suite, describe

    roles = {}
    for spec in args.role or []:
        name, sep, addr = spec.partition("=")
        if not sep or not name or not addr:
            raise UsageError(f"--role {spec!r}: expected NAME=ADDRESS")
        roles[name] = addr
    if not args.rpc:
        raise UsageError("deploy-suite needs --rpc URL")
    chain = Chain(args.rpc)
    dep = deploy_suite(chain, chain.account(_key(args)), args.suite, roles)
    dep.save(args.out)
    print(f"deployment written to {args.out}")
    for line in describe(dep):
        print(line)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from sdk.deploy import TaskTypeConfig, configure, deploy

    tts = []
    for spec in args.task_type or []:
        try:
            name, bmax, price = spec.split(":")
            tts.append(TaskTypeConfig(name, amount(bmax), amount(price)))
        except (ValueError, ArithmeticError, argparse.ArgumentTypeError) as exc:
            raise UsageError(f"--task-type {spec!r}: expected NAME:BUFFER_MAX:UNIT_PRICE ({exc})") from None
    pipes = []
    for spec in args.pipeline or []:
        try:
            stages, weights = spec.split(":")
            pipes.append((stages.split(","), [int(w) for w in weights.split(",")]))
        except ValueError as exc:
            raise UsageError(f"--pipeline {spec!r}: expected A,B:WA,WB ({exc})") from None
    if not args.rpc:
        raise UsageError("deploy needs --rpc URL")
    chain = Chain(args.rpc)
    deployer = chain.account(_key(args))
    gov = chain.account(args.governance_key) if args.governance_key else deployer
    dep = deploy(chain, deployer, governance=gov.address, treasury=args.treasury)
    dep.save(args.out)  # the addresses are on disk even if the configuration fails
    if tts or pipes:
        configure(chain, dep, gov, tts, pipes)
        dep.save(args.out)
    print(f"deployment written to {args.out}")
    for name, addr in dep.contracts.items():
        print(f"  {name:22} {addr}")
    for tid, t in dep.task_types.items():
        print(f"  task type {t['name']} {tid} pool {t['pool']}")
    return 0


def cmd_sink(args: argparse.Namespace) -> int:
    from sdk.agents.sink import SinkAgent

    c = _clients(args)
    acct = c.chain.account(_key(args))
    agent = SinkAgent(c, acct, args.state)
    for r in agent.resume():
        print(f"resumed: {r}")
    tasks = _task_types(c.dep, args.task)
    if args.stake:
        agent.ensure_stake(args.stake, mint=not args.no_mint)
    for t in tasks:
        agent.ensure_registered(t, connect=not args.no_connect)
    if args.capacity is None:
        return 0
    for i in range(args.rounds):
        for t in tasks:
            r = agent.signal(t, args.capacity)
            print(f"round {i + 1}: 0x{t.hex()[:12]}.. capacity {r.capacity} committed in block {r.commit_block}, "
                  f"revealed in block {r.reveal_block}, smoothed {r.smoothed}")
        if i + 1 < args.rounds:
            time.sleep(args.interval)
    return 0


def cmd_source(args: argparse.Namespace) -> int:
    from sdk.agents.source import SourceAgent
    from sdk.deploy import task_type_id

    c = _clients(args)
    agent = SourceAgent(c, c.chain.account(_key(args)))
    if args.fund:
        agent.fund(args.fund)
    deposits = [_pair("--deposit", spec, task_type_id) for spec in args.deposit or []]
    pipeline_deposits = [_pair("--pipeline-deposit", spec, int) for spec in args.pipeline_deposit or []]
    streams = [_pair("--stream", spec, task_type_id) for spec in args.stream or []]
    for task, amt in deposits:
        agent.deposit(task, amt)
    for pid, amt in pipeline_deposits:
        agent.deposit_pipeline(pid, amt)
    for task, rate in streams:
        agent.stream(task, rate)
    if agent.dead():
        stopped: list[int] = []
        signal.signal(signal.SIGTERM, lambda *_: stopped.append(1))
        signal.signal(signal.SIGINT, lambda *_: stopped.append(1))
        agent.wait_flowing(poll=args.poll, timeout=args.wait, stop=lambda: bool(stopped))
    print(f"source {agent.address}: SuperToken balance {agent.balance()}")
    return 0


def _pair(option: str, spec: str, key):  # noqa: ANN001, ANN202
    """"KEY:AMOUNT" -> (key(KEY), amount(AMOUNT)); UsageError naming the option otherwise."""
    try:
        k, amt = spec.rsplit(":", 1)
        return key(k), amount(amt)
    except (ValueError, argparse.ArgumentTypeError) as exc:
        raise UsageError(f"{option} {spec!r}: expected KEY:AMOUNT ({exc})") from None


def _watched(dep, args: argparse.Namespace) -> tuple[list[bytes], list[int]]:  # noqa: ANN001
    """The keeper's task types and pipelines: exactly those --task/--pipeline name (each must be in the
    deployment file), or, when neither is given, every one the deployment file lists."""
    from sdk.deploy import task_type_id

    known = {bytes.fromhex(k[2:]): t.get("name", k) for k, t in dep.task_types.items()}
    tasks = []
    for name in args.task or []:
        try:
            t = task_type_id(name)
        except ValueError as exc:
            raise UsageError(f"--task {name!r}: {exc}") from None
        if t not in known:
            raise UsageError(f"--task {name!r}: not a task type of {args.deployment} "
                             f"(it lists: {', '.join(sorted(known.values())) or 'none'})")
        tasks.append(t)
    pipes = sorted(int(p) for p in dep.pipelines)
    for pid in args.pipeline or []:
        if pid not in pipes:
            raise UsageError(f"--pipeline {pid}: not a pipeline of {args.deployment} "
                             f"(it lists: {', '.join(map(str, pipes)) or 'none'})")
    if args.task or args.pipeline:
        return tasks, list(args.pipeline or [])
    return list(known), pipes


def cmd_keeper(args: argparse.Namespace) -> int:
    from sdk.deploy import Deployment
    from sdk.keeper import Keeper, KeeperConfig

    dep = Deployment.load(args.deployment)
    tasks, pipelines = _watched(dep, args)
    c = _clients(args, dep)
    cfg = KeeperConfig(task_types=tasks, pipelines=pipelines,
                       min_drain=args.min_drain, min_drain_interval=args.min_drain_interval, poll=args.poll)
    keeper = Keeper(c, c.chain.account(_key(args)), args.state, cfg)
    signal.signal(signal.SIGTERM, keeper.stop)
    signal.signal(signal.SIGINT, keeper.stop)
    keeper.run(max_ticks=args.ticks)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sdk.cli", description=__doc__.split("\n")[0])
    ap.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("anvil", help="run a local anvil node")
    p.add_argument("--port", type=int, default=8545)
    p.add_argument("--block-time", type=float)
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(fn=cmd_anvil)

    p = sub.add_parser("deploy", help="deploy the suite and the Superfluid framework")
    _add_common(p, deployment=False)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--governance-key", help="governance's key (default: the deployer)")
    p.add_argument("--treasury", help="slashing treasury (default: governance)")
    p.add_argument("--task-type", action="append", metavar="NAME:BUFFER_MAX:UNIT_PRICE",
                   help="register a task type, create its pool, set its bounds (repeatable)")
    p.add_argument("--pipeline", action="append", metavar="A,B:WA,WB", help="create a pipeline (repeatable)")
    p.set_defaults(fn=cmd_deploy)

    p = sub.add_parser("deploy-suite", help="deploy a registered suite without external environment (compute)")
    _add_common(p, deployment=False)
    p.add_argument("--suite", required=True, help="a registered suite (specs/suite.py)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--role", action="append", metavar="NAME=ADDRESS",
                   help="the account for one of the suite's roles (default: the deployer; repeatable)")
    p.set_defaults(fn=cmd_deploy_suite)

    p = sub.add_parser("sink", help="run a sink: stake, register, commit-reveal capacity")
    _add_common(p)
    p.add_argument("--task", action="append", help="task type name or 0x id (repeatable; default: all)")
    p.add_argument("--stake", type=amount, help="total stake to hold (e.g. 400e18)")
    p.add_argument("--capacity", type=amount, help="capacity to signal, 1e18 = one unit")
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
    p.add_argument("--state", type=Path, help="state file (default .bpe/sink-<chain>-<registry>-<address>.json)")
    p.add_argument("--no-connect", action="store_true", help="do not connect to the pools")
    p.add_argument("--no-mint", action="store_true", help="do not mint stake tokens from the faucet")
    p.set_defaults(fn=cmd_sink)

    p = sub.add_parser("source", help="fund, deposit, stream")
    _add_common(p)
    p.add_argument("--fund", type=amount, help="wrap this much underlying into SuperTokens first")
    p.add_argument("--deposit", action="append", metavar="TASK:AMOUNT")
    p.add_argument("--pipeline-deposit", action="append", metavar="ID:AMOUNT")
    p.add_argument("--stream", action="append", metavar="TASK:RATE", help="flow rate in wei/s (0 stops)")
    p.add_argument("--wait", type=seconds, metavar="SECONDS",
                   help="wait at most this long for a 0/s stream's pool to get units (default: no limit; "
                        "exit 4 if a stream is still 0/s)")
    p.add_argument("--poll", type=seconds, default=1.0, help="seconds between checks of the pools' units")
    p.set_defaults(fn=cmd_source)

    p = sub.add_parser("keeper", help="run the keeper service")
    _add_common(p)
    p.add_argument("--state", type=Path, required=True)
    p.add_argument("--task", action="append", help="task type to watch, name or 0x id (repeatable; without "
                   "--task and --pipeline: every task type and pipeline of the deployment file)")
    p.add_argument("--pipeline", action="append", type=int,
                   help="pipeline to drain (repeatable; see --task)")
    p.add_argument("--poll", type=float, default=1.0)
    p.add_argument("--min-drain", type=amount, default=1)
    p.add_argument("--min-drain-interval", type=int, default=0)
    p.add_argument("--ticks", type=int, help="stop after this many ticks")
    p.set_defaults(fn=cmd_keeper)

    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("web3").setLevel(logging.WARNING)
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    try:
        return args.fn(args)
    except Exception as exc:
        if args.debug:
            raise
        code = _exit_code(exc)
        text = " ".join(ln.strip() for ln in str(exc).splitlines() if ln.strip())
        if code is None:  # a bug of the SDK, not an answer of the node or a fault of the input
            print(f"internal error: {type(exc).__name__}: {text} (run with --debug for the traceback)",
                  file=sys.stderr)
            return EXIT_UNAVAILABLE
        print(f"error: {text}", file=sys.stderr)
        return code


def _exit_code(exc: Exception) -> int | None:
    """The exit code of an error the SDK anticipates; None for any other exception."""
    from sdk.agents.source import StreamNotFlowing
    from sdk.anvil import AnvilError
    from sdk.deploy import DeploymentError
    from sdk.state import StateFileError

    if isinstance(exc, Revert):
        return EXIT_REVERTED
    if isinstance(exc, StreamNotFlowing):
        return EXIT_NOT_FLOWING
    if isinstance(exc, (UsageError, DeploymentError, StateFileError)):
        return EXIT_USAGE
    if isinstance(exc, (TransientError, AnvilError, SDKError)):
        return EXIT_UNAVAILABLE
    return None


if __name__ == "__main__":
    sys.exit(main())
