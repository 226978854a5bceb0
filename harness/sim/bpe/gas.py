"""Gas figures: a run's transaction log replayed on an EVM (the compiled suite on the real Superfluid
framework, `harness.evm.fixture.deploy`), for a sample of blocks.

The replay is also a check: every call must succeed or revert on the EVM exactly as it did on the
models, and at the end of the sample the buffer levels and pool units must agree. Gas is the
transaction's `gas_used` (intrinsic gas included, after refunds). py-evm charges each transaction as a
fresh one (exact); pyrevm keeps accounts and slots warm across calls (harness/evm/pyrevm_engine.py), so
its figures are lower bounds. The default engine is py-evm.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from harness.fuzz.differential import evm_args, plain
from specs.deploy import GENESIS_BLOCK, GENESIS_TIMESTAMP


class ReplayMismatch(AssertionError):
    pass


@dataclass
class GasSample:
    engine: str
    blocks: int
    calls: int
    by_function: dict[str, dict[str, float]] = field(default_factory=dict)  # "Contract.fn" -> n, mean, min, max
    wall_s: float = 0.0

    def mean(self, key: str) -> float | None:
        f = self.by_function.get(key)
        return f["mean"] if f else None

    def to_json(self) -> dict:
        return {"engine": self.engine, "blocks": self.blocks, "calls": self.calls, "by_function": self.by_function}


_FIXTURES: dict[str, Any] = {}


def fixture_for(engine: str) -> Any:
    """One deployed suite per engine and process, reset to its post-deployment snapshot per replay."""
    if engine not in _FIXTURES:
        from harness.evm.fixture import deploy
        from specs.suite import get_suite

        _FIXTURES[engine] = deploy(engine, get_suite("bpe"))
    fx = _FIXTURES[engine]
    fx.reset()
    return fx


def replay(log: list[dict], oks: list[bool | None], models: dict[str, type], *, engine: str = "py-evm",
           blocks: int | None = None, skip_blocks: int = 0, check: Any = None) -> GasSample:
    """Replay `log` from genesis on `engine`, up to `blocks` advances after the set-up (the set-up is
    the part before the first advance following the first reveal round: everything up to the
    `skip_blocks`-th advance). Gas is recorded for calls after the set-up."""
    start = time.perf_counter()
    fx = fixture_for(engine)
    number, ts = GENESIS_BLOCK, GENESIS_TIMESTAMP
    advances = 0
    gas: dict[str, list[int]] = {}
    calls = 0
    for i, (step, ok) in enumerate(zip(log, oks)):
        if step["op"] == "advance":
            advances += 1
            if blocks is not None and advances > skip_blocks + blocks:
                break
            number += step["blocks"]
            ts += step["seconds"]
            fx.engine.set_block(number=number, timestamp=ts)
            continue
        name, fn_name = step["contract"], step["function"]
        fn = getattr(models[name], fn_name)
        out = fx.contracts[name].transact(fn_name, *evm_args(fn, step["args"]), sender=step["sender"])
        if out.ok != ok:
            raise ReplayMismatch(f"step {i} {name}.{fn_name}{tuple(step['args'])}: model "
                                 f"{'ok' if ok else 'reverted'}, {engine} {out}")
        calls += 1
        if advances >= skip_blocks and out.ok:
            gas.setdefault(f"{name}.{fn_name}", []).append(out.gas_used)
    if check is not None:
        check(fx)
    by_fn = {k: {"n": len(v), "mean": sum(v) / len(v), "min": min(v), "max": max(v)} for k, v in sorted(gas.items())}
    return GasSample(engine, min(advances, (blocks or advances) + skip_blocks) - skip_blocks, calls, by_fn,
                     time.perf_counter() - start)


def state_check(chain: Any, tasks: list[str], sinks: list[int]) -> Any:
    """A check for `replay`: buffer levels and pool units on the EVM equal the models' at the point the
    replay stopped (pass the chain as it was at that point)."""
    want = {("level", t): chain.buffer_level(t) for t in tasks}
    want.update({("units", t, s): chain.units(t, s) for t in tasks for s in sinks})

    def check(fx: Any) -> None:
        eb = fx.contracts["EscrowBuffer"]
        diffs = []
        for key, v in want.items():
            if key[0] == "level":
                got = eb.view("bufferLevel", bytes.fromhex(key[1][2:])).returned[0]
            else:
                pool = fx.contracts["BackpressurePool"].view("getPool", bytes.fromhex(key[1][2:])).returned[0]
                got = fx.framework.contract(pool, "SuperfluidPool").view("getUnits", key[2]).returned[0]
            if got != v:
                diffs.append(f"{key}: model {v}, evm {got}")
        if diffs:
            raise ReplayMismatch("state after the replayed sample differs: " + "; ".join(diffs))

    return check


__all__ = ["GasSample", "ReplayMismatch", "replay", "state_check", "plain"]
