"""A differential campaign in shards: the budget split into `shards` independent hypothesis runs, each
with its own recorded seed, run side by side in worker processes, their results merged.

A shard is a whole campaign of its own on fresh engines: it deploys the suite on every engine, fuzzes
on the first (hypothesis; under a derandomized profile the seed is the shard's index, so the campaign
is the same on any machine whatever its number of cores; otherwise a random seed, recorded), shrinks
and saves its own failure, then replays every `share`-th of its own sequences on the other engines
(py-evm with coverage recorded). The number of shards is part
of the budget, not of the machine: the same budget gives the same sequences with one worker or eight;
only the wall time changes.

Merged: steps, sequences, calls, reverts and invariant evaluations add up; the status is the worst
shard's (ERROR > VIOLATED > INCONCLUSIVE > PASSED); a failure reported is the first failing shard's
(by index), with its shrunk sequence and replay file; every shard's figures stay in `shards`.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.fuzz.campaign import add_evaluations
from harness.fuzz.runner import REPLAY_DIR, FuzzResult

STATUS_ORDER = ("PASSED", "INCONCLUSIVE", "VIOLATED", "ERROR")


@dataclass
class Campaign:
    """A sharded campaign's merged results: one FuzzResult per engine (the first engine's is the
    hypothesis campaign, the others' the replays), py-evm's coverage hits merged over the shards
    (Recorder.hits form, empty without py-evm) and every shard's own figures."""

    results: dict[str, FuzzResult]
    hits: dict[str, dict] = field(default_factory=dict)
    shards: list[dict] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole campaign, every engine


def split(total: int, shards: int) -> list[int]:
    """`total` sequences over `shards` shards, the first ones taking the remainder: [41, 40, 40]."""
    if shards < 1:
        raise ValueError(f"a campaign runs in at least one shard, not {shards}")
    return [total // shards + (1 if k < total % shards else 0) for k in range(shards)]


def workers_for(shards: int, cpus: int | None = None) -> int:
    """The worker processes a campaign of `shards` uses: one per shard, at most one per core."""
    return max(1, min(shards, cpus if cpus is not None else (os.cpu_count() or 1)))


def shard_seeds(profile_name: str, shards: int, rng: random.Random | None = None) -> list[int]:
    """Each shard's hypothesis seed: its index under a derandomized profile (`ci`: the same campaign on
    every run), else fresh random ones (recorded with the shard's figures, so a run can be repeated)."""
    from harness.fuzz.profiles import profile

    if profile(profile_name).derandomize:
        return list(range(shards))
    rng = rng or random.SystemRandom()
    return [rng.getrandbits(64) for _ in range(shards)]


def run_shard(suite_name: str, shard: int, engines: tuple[str, ...], artifacts: dict, *, profile_name: str,
              max_examples: int, step_count: int, share: int, log_progress: bool = True,
              replay_dir: Path = REPLAY_DIR, shrink_seconds: int = 60, seed: int | None = None,
              fail_fast: bool = False) -> dict:
    """One shard, in its own process (or in this one): deploy, fuzz on engines[0] with `seed` (default:
    the shard's index), replay every `share`-th sequence on the others. A violation on engines[0] is
    said at once (its time and steps until found, its replay file) and its shrunk sequence is replayed
    on every other engine first: when it reproduces there, that engine's result is that finding and
    the share is not replayed (nothing it finds would change the verdict); when it does not, the engines
    disagree on it (an engine difference) and the share follows. `fail_fast` skips the share in both
    cases. Returns {"results": {engine: FuzzResult}, "hits"}."""
    from harness.evm.fixture import deploy
    from harness.fuzz.coverage import record
    from harness.fuzz.runner import replay_sequences, run_fuzz
    from specs.suite import get_suite

    suite = get_suite(suite_name)
    tag = f"shard {shard}"

    def progress(label: str, total: int) -> Any:
        if not log_progress:
            return None
        step = max(1, total // 2)

        def tick(done: int) -> None:
            if done % step == 0 or done == total:
                print(f"  {tag}: {label}: {done}/{total}", file=sys.stderr, flush=True)
        return tick

    fixtures = {eng: deploy(eng, suite, artifacts=artifacts) for eng in engines}
    machine = suite.resolve(suite.fuzz_machine)
    first = engines[0]
    r = run_fuzz(fixtures[first], profile_name=profile_name, max_examples=max_examples, step_count=step_count,
                 machine=machine, seed=shard if seed is None else seed, progress=progress("sequences", max_examples),
                 require_every_invariant=False, replay_dir=replay_dir, shrink_seconds=shrink_seconds)
    results = {first: r}
    hits: dict[str, dict] = {}
    share_seqs, share_traces = r.all_sequences[::share], r.all_traces[::share]
    if r.status == "VIOLATED" and log_progress:
        found = r.first_failure
        print(f"  {tag}: VIOLATED on {first}" + (f" after {found['seconds']} s and {found['steps']} steps" if found
                                               else "") + f", shrunk to {len(r.shrunk_steps)} step(s): {r.replay_file}",
              file=sys.stderr, flush=True)
    for eng in engines[1:]:
        fx = fixtures[eng]
        if r.status == "VIOLATED" and r.shrunk_steps:
            confirm = replay_sequences(fx, [r.shrunk_steps], require_every_invariant=False, replay_dir=replay_dir)
            if log_progress:
                print(f"  {tag}: the shrunk sequence on {eng}: {confirm.status}", file=sys.stderr, flush=True)
            if confirm.status == "VIOLATED" or fail_fast:
                confirm.message = (f"the shrunk failing sequence of {first} replayed first: {confirm.status}"
                                   + ("; the share was not replayed (fail-fast)" if fail_fast else
                                      "; the share was not replayed (the finding stands)"))
                if confirm.status != "VIOLATED":
                    confirm.engine_differences.append(_unreproduced(r, first, eng))
                results[eng] = confirm
                continue
            disagreement = _unreproduced(r, first, eng)
        else:
            disagreement = None
        if eng == "py-evm":  # coverage from py-evm's opcode trace (the source maps are applied once merged)
            with record(fx.engine) as rec:
                results[eng] = replay_sequences(fx, share_seqs, progress=progress(f"{eng} replay", len(share_seqs)),
                                                observe_each_step=False, reference_traces=share_traces,
                                                reference_engine=first, require_every_invariant=False,
                                                replay_dir=replay_dir)
            hits = rec.hits(fx.addrs)
        else:
            results[eng] = replay_sequences(fx, share_seqs, progress=progress(f"{eng} replay", len(share_seqs)),
                                            reference_traces=share_traces, reference_engine=first,
                                            require_every_invariant=False, replay_dir=replay_dir)
        if disagreement:
            results[eng].engine_differences.insert(0, disagreement)
    return {"results": results, "hits": hits}


def _unreproduced(r: FuzzResult, first: str, eng: str) -> dict:
    """The engine difference of a shrunk failing sequence of `first` that does not fail on `eng`."""
    return {"sequence": "shrunk failing sequence", "step": len(r.shrunk_steps),
            "call": f"the mismatch of {first} does not reproduce (replay file {r.replay_file})",
            first: "VIOLATED", eng: "PASSED"}


def merge_hits(into: dict[str, dict], hits: dict[str, dict]) -> None:
    """Add one shard's coverage hits (Recorder.hits form) to `into`."""
    for name, h in hits.items():
        mine = into.setdefault(name, {"pcs": {}, "jumpi": {}})
        for pc, n in h["pcs"].items():
            mine["pcs"][pc] = mine["pcs"].get(pc, 0) + n
        for pc, (jumped, fell) in h["jumpi"].items():
            j = mine["jumpi"].setdefault(pc, [0, 0])
            j[0] += jumped
            j[1] += fell


def merge(parts: list[FuzzResult], parallel: bool) -> FuzzResult:
    """One engine's results over the shards, in shard order (see the module docstring). Its time is
    the longest shard's when they ran side by side, their sum when one after the other. Every
    registered invariant must have been evaluated by some shard (FuzzResult.fail_if_unevaluated)."""
    head = parts[0]
    seconds = max(p.seconds for p in parts) if parallel else sum(p.seconds for p in parts)
    out = FuzzResult("PASSED", head.engine, 0, 0, seconds, head.profile)
    offset = 0
    for p in parts:
        out.steps += p.steps
        out.budget += p.budget
        out.sequences += p.sequences
        for k, v in p.calls.items():
            out.calls[k] = out.calls.get(k, 0) + v
        for k, v in p.reverts.items():
            out.reverts[k] = out.reverts.get(k, 0) + v
        for k, v in p.coverage.items():
            out.coverage[k] = out.coverage.get(k, 0) + v
        add_evaluations(out.evaluations, p.evaluations)
        out.all_sequences += p.all_sequences
        out.all_traces += p.all_traces
        out.engine_differences += [{**d, "sequence": d["sequence"] + offset} if isinstance(d["sequence"], int)
                                   else d for d in p.engine_differences]
        offset += p.sequences
        if STATUS_ORDER.index(p.status) > STATUS_ORDER.index(out.status):
            out.status = p.status
        if p.status != "PASSED" and not (out.mismatch or out.message):
            out.mismatch, out.differences, out.replay_file = p.mismatch, p.differences, p.replay_file
            out.shrunk_steps, out.trace, out.message = p.shrunk_steps, p.trace, p.message
            out.first_failure = dict(p.first_failure)
    if out.status == "ERROR" and not out.message:
        out.message = next((p.message for p in parts if p.message), "")
    out.fail_if_unevaluated()
    return out


def run_campaign(suite_name: str, engines: tuple[str, ...], artifacts: dict, *, profile_name: str,
                 max_examples: int, step_count: int, share: int, shards: int,
                 workers: int | None = None, replay_dir: Path = REPLAY_DIR, log_progress: bool = True,
                 shrink_seconds: int = 60, fail_fast: bool = False, scheduler: str | None = None) -> Campaign:
    """The campaign of `max_examples` sequences in `shards` shards on `workers` processes (default:
    one per shard, at most one per core; one worker runs the shards in this process, one after the
    other), or with `scheduler` (a Dask scheduler's address) one task per shard on that cluster
    (harness/cluster.py; `workers` is then unused). A shard whose process fails is an ERROR of every
    engine, never a pass."""
    sizes = split(max_examples, shards)
    seeds = shard_seeds(profile_name, shards)
    workers = workers_for(shards) if workers is None else max(1, workers)
    t0 = time.perf_counter()
    kwargs = [dict(profile_name=profile_name, max_examples=n, step_count=step_count, share=share,
                   replay_dir=replay_dir, log_progress=log_progress, shrink_seconds=shrink_seconds, seed=seed,
                   fail_fast=fail_fast)
              for n, seed in zip(sizes, seeds)]
    outcomes: list[dict | BaseException] = []
    if scheduler:
        from harness.cluster import run_tasks

        outcomes = run_tasks(scheduler, run_shard, [((suite_name, k, engines, artifacts), kwargs[k]) for k in range(shards)])
        workers = shards  # side by side: a shard's time is its own
    elif workers == 1:
        for k in range(shards):
            try:
                outcomes.append(run_shard(suite_name, k, engines, artifacts, **kwargs[k]))
            except Exception as e:  # noqa: BLE001  (reported as the shard's ERROR below)
                outcomes.append(e)
    else:
        # spawn, not fork: a forked child would inherit the parent's engines, solver and threads
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(run_shard, suite_name, k, engines, artifacts, **kwargs[k]) for k in range(shards)]
            for f in futures:
                try:
                    outcomes.append(f.result())
                except BaseException as e:  # noqa: BLE001  (a crashed worker included: BrokenProcessPool)
                    outcomes.append(e)
    seconds = time.perf_counter() - t0
    per_engine: dict[str, list[FuzzResult]] = {eng: [] for eng in engines}
    hits: dict[str, dict] = {}
    figures = []
    for k, (n, o) in enumerate(zip(sizes, outcomes)):
        if isinstance(o, BaseException):
            for eng in engines:
                failed = FuzzResult("ERROR", eng, 0, n, 0.0, profile_name)
                failed.message = f"shard {k}: {type(o).__name__}: {o}"
                per_engine[eng].append(failed)
            figures.append({"shard": k, "seed": seeds[k], "budget": n, "status": "ERROR"})
            continue
        for eng in engines:
            per_engine[eng].append(o["results"][eng])
        merge_hits(hits, o["hits"])
        first = o["results"][engines[0]]
        figures.append({"shard": k, "seed": seeds[k], "budget": n, "status": first.status, "sequences": first.sequences,
                        "steps": first.steps, "seconds": round(first.seconds, 1),
                        **{f"{eng}_steps": o["results"][eng].steps for eng in engines[1:]}})
    return Campaign({eng: merge(parts, workers > 1) for eng, parts in per_engine.items()}, hits, figures,
                    round(seconds, 1))
