"""The keeper service: rebalances pools and drains escrow buffers (PROTOCOL.md sections 6 and 8).

Each tick, in this order:
1. for every watched task type t, `BackpressurePool.needsRebalance(t)` true -> `rebalance(t)`;
2. for every watched pipeline p, `Pipeline.drain(p)` when one of its stages is worth draining (below):
   the pipeline drains its stages together, downstream first (PROTOCOL.md section 9);
3. for every watched task type t worth draining (still, after the pipeline drains) -> `drain(t)`.
A task type is worth draining when `EscrowBuffer.drainable(t) >= min_drain` and at least
`min_drain_interval` seconds passed since the buffer's `lastDrain`. The command line watches every
task type and pipeline of the deployment file, or exactly those `--task`/`--pipeline` name; `run()`
logs which.

Never twice for the same condition. Every action is keyed by the on-chain epoch that the action
itself ends, so a second action for the same key would act on a condition that was already handled:
- rebalance: the task type and the block of the latest `Rebalanced` event for it (any rebalance, by
  anyone, starts a new epoch; within an epoch the keeper sends at most one rebalance);
- drain: the task type and the buffer's `lastDrain` (every successful drain moves it to its block's
  timestamp);
- pipeline drain: the pipeline and the `lastDrain` of each of its stages.
The state file (`sdk.state`: atomic, fsync'd) maps each key to what was done. The entry is written
when the transaction is signed, BEFORE it is sent, with the signed bytes; then updated with the
receipt. After a kill and restart, `recover()` settles every entry still marked "sent": a receipt
closes it; a transaction the node still has is waited for; one the node lost is broadcast again
from the stored signed bytes (the same hash and nonce, so it can be mined at most once); one whose
nonce was used by another transaction is dropped (nothing was done, the condition is evaluated anew).

Every call is run first (gas estimation on the pending block): a condition that vanished between the
check and the send (another keeper was faster) is logged and nothing is sent, so the keeper never
sends a drain that reverts `NothingToDrain`. Transient node errors are retried with exponential
backoff (`sdk.chain.with_retry`); a tick that still fails is logged and the loop backs off. Reverts
are not retried.

Logging: one line at the start naming what is watched (`keeper 0x... starting: watching task types
summarize (0x3160d148..); pipelines 1 (summarize,translate); ...`), one line per action (`keeper
rebalance ...`, `keeper drain ...`, `keeper pipeline-drain ...`) on the `sdk.keeper` logger.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from eth_account.signers.local import LocalAccount

from web3.exceptions import Web3RPCError

from sdk.chain import Receipt, Revert, TransientError, checksum
from sdk.clients import Clients
from sdk.state import JsonState, StateFileError

LOG = logging.getLogger("sdk.keeper")
# Fault injection for tests: "after-send:N" SIGKILLs the keeper right after its N-th broadcast (before the
# receipt is recorded); "after-persist:N" right after its N-th signed transaction was written to the
# state file, before it is broadcast.
CRASH_ENV = "BPE_KEEPER_CRASH"


@dataclass
class KeeperConfig:
    task_types: list[bytes]
    pipelines: list[int] = field(default_factory=list)
    min_drain: int = 1  # smallest drainable amount worth a transaction
    min_drain_interval: int = 0  # seconds since lastDrain before draining again
    poll: float = 1.0  # seconds between ticks
    max_actions_kept: int = 2000


def _show_event(ev: Any) -> str:
    def show(v: Any) -> str:
        if isinstance(v, bytes):
            return "0x" + v.hex()[:8] + ".."
        if isinstance(v, int) and 2**100 < v < 2**160:  # an address
            return checksum(v)
        return str(v)
    return f"{ev.name}({', '.join(show(a) for a in ev.args)})"


class Keeper:
    def __init__(self, clients: Clients, account: LocalAccount, state_path: str | Path, config: KeeperConfig):
        self.c, self.account, self.cfg = clients, account, config
        self.chain = clients.chain
        self.state = JsonState(state_path, {"version": 1, "chainId": clients.dep.chain_id, "keeper": account.address,
                                            "actions": {}, "rebalanceScan": {}})
        if self.state.data.get("keeper") != account.address:
            raise StateFileError(f"state file {state_path} belongs to keeper {self.state.data.get('keeper')}")
        self.sends = 0
        self.persisted = 0
        self._crash = self._parse_crash(os.environ.get(CRASH_ENV, ""))
        self._stop = False

    @staticmethod
    def _parse_crash(spec: str) -> tuple[str, int] | None:
        if not spec:
            return None
        point, _, n = spec.partition(":")
        if point not in ("after-send", "after-persist") or not n.isdigit():
            raise ValueError(f"{CRASH_ENV}={spec!r}: expected after-send:N or after-persist:N")
        return point, int(n)

    def _maybe_crash(self, point: str, count: int, tx_hash: str) -> None:
        if self._crash is not None and self._crash[0] == point and count >= self._crash[1]:
            LOG.warning("keeper fault injection: SIGKILL %s %d (%s)", point, count, tx_hash)
            logging.shutdown()
            os.kill(os.getpid(), signal.SIGKILL)

    @property
    def actions(self) -> dict[str, dict]:
        return self.state.data["actions"]

    # -- conditions ------------------------------------------------------------------------------
    def last_rebalance_block(self, task_type: bytes) -> int:
        """The block of the latest Rebalanced event of the task type (0: never), scanned incrementally."""
        key = "0x" + task_type.hex()
        scan = self.state.data["rebalanceScan"].setdefault(key, {"to": self.c.dep.block, "last": 0})
        head = self.chain.block_number()
        if head > scan["to"]:
            for log in self.c.pool.logs("Rebalanced", from_block=scan["to"] + 1, to_block=head):
                if log.event.args[0] == task_type:
                    scan["last"] = max(scan["last"], log.block_number)
            scan["to"] = head
        return scan["last"]

    def rebalance_key(self, task_type: bytes) -> str:
        return f"rebalance:0x{task_type.hex()}:{self.last_rebalance_block(task_type)}"

    def drain_key(self, task_type: bytes) -> str:
        return f"drain:0x{task_type.hex()}:{self.c.buffer.last_drain(task_type)}"

    def pipeline_key(self, pid: int) -> str:
        stages = self.c.pipeline.stages(pid)
        return f"pipeline-drain:{pid}:" + ",".join(str(self.c.buffer.last_drain(s)) for s in stages)

    # -- acting ----------------------------------------------------------------------------------
    def _act(self, key: str, kind: str, label: str, client: Any, fn: str, *args: Any) -> Receipt | None:
        """Sign, persist (key -> signed tx), send, wait, record: the one path every action takes."""
        if key in self.actions:
            return None
        data = client.calldata(fn, *args)
        try:
            tx_hash, raw, tx = self.chain.sign(self.account, client.address, data, abi=client.abi,
                                               what=f"{type(client).__name__}.{fn}")
        except Revert as exc:
            LOG.info("keeper skip %s %s: would revert %s (condition gone)", kind, label, exc.error)
            return None
        self.actions[key] = {"kind": kind, "label": label, "status": "sent", "txHash": tx_hash, "raw": "0x" + raw.hex(),
                             "nonce": tx["nonce"], "to": client.address, "fn": fn, "signedAt": time.time()}
        self.state.save()  # before the transaction leaves the process
        self.persisted += 1
        self._maybe_crash("after-persist", self.persisted, tx_hash)
        self.chain.broadcast(raw, tx_hash, f"{kind} {label}")
        self.sends += 1
        self._maybe_crash("after-send", self.sends, tx_hash)
        rec = self.chain.wait(tx_hash, f"{kind} {label}")
        self._record(key, rec, "sent")
        return rec

    def _record(self, key: str, rec: Receipt, how: str) -> None:
        entry = self.actions[key]
        evs = "; ".join(_show_event(e) for e in rec.events if e.name in ("Rebalanced", "Drained"))
        # Logged before the state is saved: a kill in between logs the action again after the restart
        # (at least once in the log; the state file is the record of what was done).
        LOG.info("keeper %s %s: %s tx %s block %d (%s)%s", entry["kind"], entry["label"],
                 "ok" if rec.status == 1 else "FAILED", rec.tx_hash, rec.block_number, how,
                 f" events {evs}" if evs else "")
        entry.update(status="mined" if rec.status == 1 else "failed", block=rec.block_number, gasUsed=rec.gas_used)
        entry.pop("raw", None)
        self.state.save()

    def recover(self) -> None:
        """Settle the actions a previous run left in flight (module docstring)."""
        for key, entry in list(self.actions.items()):
            if entry["status"] != "sent":
                continue
            rec = self.chain.receipt(entry["txHash"])
            if rec is None and not self.chain.known(entry["txHash"]):
                try:
                    self.chain.broadcast(bytes.fromhex(entry["raw"][2:]), entry["txHash"], f"rebroadcast {key}")
                except Web3RPCError as exc:  # its nonce was used by another transaction: it was never mined
                    if "nonce too low" in str(exc).lower():
                        LOG.info("keeper %s %s: dropped (%s): evaluating the condition again", entry["kind"],
                                 entry["label"], exc)
                        del self.actions[key]
                        self.state.save()
                        continue
                    raise
                LOG.info("keeper %s %s: re-sent the stored transaction %s", entry["kind"], entry["label"],
                         entry["txHash"])
            if rec is None:
                rec = self.chain.wait(entry["txHash"], f"recover {key}")
            self._record(key, rec, "recovered after restart")

    def _worth_draining(self, task_type: bytes) -> bool:
        """drainable >= min_drain, and min_drain_interval seconds passed since the buffer's lastDrain."""
        if self.c.buffer.drainable(task_type) < max(self.cfg.min_drain, 1):
            return False
        if self.cfg.min_drain_interval:
            now = self.chain.block("latest")["timestamp"]
            return now - self.c.buffer.last_drain(task_type) >= self.cfg.min_drain_interval
        return True

    def watching(self) -> str:
        """The watched task types (by name where the deployment file has one) and pipelines, for the log."""
        def name(t: bytes | str) -> str:
            key = t if isinstance(t, str) else "0x" + t.hex()
            info = self.c.dep.task_types.get(key)
            return info["name"] if info else key[:10] + ".."

        tts = ", ".join(f"{name(t)} (0x{t.hex()[:8]}..)" for t in self.cfg.task_types) or "none"
        pipes = []
        for pid in self.cfg.pipelines:
            info = self.c.dep.pipelines.get(str(pid))
            pipes.append(f"{pid} ({','.join(name(x) for x in info['stages'])})" if info else str(pid))
        return f"task types {tts}; pipelines {', '.join(pipes) or 'none'}"

    def tick(self) -> list[Receipt]:
        """One pass over every watched condition; the receipts of what was done."""
        done: list[Receipt] = []
        for t in self.cfg.task_types:  # units first: a drain pays the members the pool has now
            if self.c.pool.needs_rebalance(t):
                rec = self._act(self.rebalance_key(t), "rebalance", f"0x{t.hex()}", self.c.pool, "rebalance", t)
                if rec is not None:
                    done.append(rec)
        for pid in self.cfg.pipelines:
            if any(self._worth_draining(s) for s in self.c.pipeline.stages(pid)):
                rec = self._act(self.pipeline_key(pid), "pipeline-drain", str(pid), self.c.pipeline, "drain", pid)
                if rec is not None:
                    done.append(rec)
        for t in self.cfg.task_types:
            if self._worth_draining(t):
                rec = self._act(self.drain_key(t), "drain", f"0x{t.hex()}", self.c.buffer, "drain", t)
                if rec is not None:
                    done.append(rec)
        self._prune()
        return done

    def _prune(self) -> None:
        keys = [k for k, v in self.actions.items() if v["status"] != "sent"]
        extra = len(keys) - self.cfg.max_actions_kept
        if extra > 0:
            for k in keys[:extra]:
                del self.actions[k]
            self.state.save()

    def stop(self, *_: Any) -> None:
        self._stop = True

    def run(self, *, max_ticks: int | None = None, until: Callable[[], bool] | None = None) -> None:
        """recover(), then tick every `poll` seconds until stopped (SIGTERM/SIGINT, max_ticks, until())."""
        LOG.info("keeper %s starting: watching %s; %d action(s) on record", self.account.address, self.watching(),
                 len(self.actions))
        self.recover()
        ticks, failures = 0, 0
        while not self._stop:
            try:
                self.tick()
                failures = 0
            except (TransientError, OSError) as exc:
                failures += 1
                wait = min(30.0, self.cfg.poll * 2**failures)
                LOG.warning("keeper tick failed (node unavailable: %s), backing off %.1fs", exc, wait)
                time.sleep(wait)
            except Revert as exc:  # a read reverted: log, do not retry the same thing blindly in a hot loop
                LOG.error("keeper tick: %s", exc)
                time.sleep(self.cfg.poll)
            ticks += 1
            if (max_ticks is not None and ticks >= max_ticks) or (until is not None and until()):
                break
            time.sleep(self.cfg.poll)
        LOG.info("keeper %s stopped after %d tick(s)", self.account.address, ticks)
