"""The source agent: pays for work in the payment SuperToken.

- `fund(amount)`: mint the SuperToken's underlying (the test deployment's open faucet), approve the
  SuperToken and upgrade (wrap) it;
- `deposit(task_type, amount)`: a lump payment queued in the EscrowBuffer (approves the buffer as
  needed); `deposit_pipeline(pipeline_id, amount)` the same through a Pipeline;
- `stream(task_type, flow_rate)`: a GDA flow distribution straight into the task type's pool through
  the GDAv1Forwarder (`distributeFlow`; rate 0 stops it). The GDA locks a buffer of four hours of
  the flow from the source's balance while it runs.

A pool without units (no sink rebalanced in yet) takes a flow at 0/s: the GDA sets the distributor's
rate to `floor(requested / totalUnits) * totalUnits` when `distributeFlow` is called and keeps it when
the units change later, so a stream started before the first rebalance would stay at 0/s. `stream`
records every stream whose actual rate is 0 while a non-zero rate was requested (`dead()`) and says so
in one log line; `revive()` re-issues `distributeFlow` for such a stream once its pool's total units
differ from those it was issued against (one log line each), and `wait_flowing()` repeats `revive()`
until every stream flows. The same holds for a rate below the pool's units (0 per unit).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable

from eth_account.signers.local import LocalAccount

from sdk.chain import Receipt
from sdk.clients import Clients

LOG = logging.getLogger("sdk.source")
MAX_UINT256 = 2**256 - 1


class StreamNotFlowing(Exception):
    """A stream still at 0/s when the source stopped waiting for its pool's units."""


@dataclass
class Stream:
    """A flow distribution of this source into a task type's pool, as last issued."""

    task_type: bytes
    pool: str
    requested: int  # the rate asked of distributeFlow
    actual: int  # the rate the GDA set
    units: int  # the pool's total units when distributeFlow was issued
    block: int

    @property
    def dead(self) -> bool:
        return self.requested > 0 and self.actual == 0


class SourceAgent:
    def __init__(self, clients: Clients, account: LocalAccount):
        self.c, self.account = clients, account
        self.streams: dict[bytes, Stream] = {}

    @property
    def address(self) -> str:
        return self.account.address

    def balance(self) -> int:
        return self.c.super_token.balance_of(self.address)

    def fund(self, amount: int) -> None:
        """Wrap `amount` more of the underlying (minted from its faucet when short) into SuperTokens."""
        u, st = self.c.underlying, self.c.super_token
        have = u.balance_of(self.address)
        if have < amount:
            u.mint(self.account, self.address, amount - have)
        if u.allowance(self.address, st.address) < amount:
            u.approve(self.account, st.address, MAX_UINT256)
        rec = st.upgrade(self.account, amount)
        LOG.info("source %s wrapped %d into %s in block %d", self.address, amount, st.address, rec.block_number)

    def _allow(self, spender: str, amount: int) -> None:
        if self.c.super_token.allowance(self.address, spender) < amount:
            self.c.super_token.approve(self.account, spender, MAX_UINT256)

    def deposit(self, task_type: bytes, amount: int) -> Receipt:
        self._allow(self.c.buffer.address, amount)
        rec = self.c.buffer.deposit(self.account, task_type, amount)
        LOG.info("source %s deposited %d for 0x%s in block %d", self.address, amount, task_type.hex(),
                 rec.block_number)
        return rec

    def deposit_pipeline(self, pipeline_id: int, amount: int) -> Receipt:
        self._allow(self.c.pipeline.address, amount)
        rec = self.c.pipeline.deposit(self.account, pipeline_id, amount)
        LOG.info("source %s deposited %d into pipeline %d in block %d", self.address, amount, pipeline_id,
                 rec.block_number)
        return rec

    def name(self, task_type: bytes) -> str:
        """The task type's name in the deployment file (its 0x id when the file has none)."""
        info = self.c.dep.task_types.get("0x" + task_type.hex())
        return info["name"] if info else "0x" + task_type.hex()

    def _issue(self, task_type: bytes, flow_rate: int) -> tuple[Stream, Receipt]:
        pool = self.c.gda_pool(task_type)
        rec = self.c.forwarder.distribute_flow(self.account, self.c.super_token.address, pool.address, flow_rate)
        actual = self.c.forwarder.flow_distribution_flow_rate(self.c.super_token.address, self.address, pool.address)
        s = Stream(task_type, pool.address, flow_rate, actual, pool.total_units(block=rec.block_number),
                   rec.block_number)
        self.streams[task_type] = s
        return s, rec

    @staticmethod
    def _why_zero(s: Stream) -> str:
        if s.units == 0:
            return "the pool has no units yet (no sink rebalanced in)"
        return f"{s.requested}/s over the pool's {s.units} units is 0 per unit"

    def stream(self, task_type: bytes, flow_rate: int) -> Receipt:
        """distributeFlow at `flow_rate` into the task type's pool (0 stops the stream)."""
        s, rec = self._issue(task_type, flow_rate)
        if s.dead:
            LOG.warning("source %s streams 0/s (requested %d/s) into pool %s of %s from block %d: %s, and the GDA "
                        "keeps the rate distributeFlow set, so the stream stays at 0/s until distributeFlow is issued "
                        "again", self.address, flow_rate, s.pool, self.name(task_type), rec.block_number,
                        self._why_zero(s))
        else:
            LOG.info("source %s streams %d/s (requested %d/s) into pool %s of %s from block %d", self.address,
                     s.actual, flow_rate, s.pool, self.name(task_type), rec.block_number)
        return rec

    def dead(self) -> list[Stream]:
        """The streams at 0/s although a non-zero rate was requested."""
        return [s for s in self.streams.values() if s.dead]

    def revive(self) -> list[Receipt]:
        """Re-issue distributeFlow for every dead stream whose pool's total units changed since it was
        issued; the receipts of what was sent."""
        done = []
        for old in self.dead():
            units = self.c.gda_pool(old.task_type).total_units()
            if units == old.units:
                continue
            s, rec = self._issue(old.task_type, old.requested)
            done.append(rec)
            if s.dead:
                LOG.warning("source %s re-issued distributeFlow into pool %s of %s in block %d (units %d -> %d): "
                            "still 0/s: %s; waiting for the units to change again", self.address, s.pool,
                            self.name(s.task_type), rec.block_number, old.units, s.units, self._why_zero(s))
            else:
                LOG.info("source %s re-issued distributeFlow into pool %s of %s in block %d (units %d -> %d): "
                         "streams %d/s (requested %d/s)", self.address, s.pool, self.name(s.task_type),
                         rec.block_number, old.units, s.units, s.actual, s.requested)
        return done

    def wait_flowing(self, *, poll: float = 1.0, timeout: float | None = None,
                     stop: Callable[[], bool] = lambda: False) -> None:
        """revive() every `poll` seconds until no stream is dead; StreamNotFlowing naming the dead
        streams after `timeout` seconds (None: no limit) or when stop() says so."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if self.dead():
            LOG.info("source %s waiting: re-issues distributeFlow when the units of %s change (checking every %gs, %s)",
                     self.address, ", ".join(f"pool {s.pool} of {self.name(s.task_type)}" for s in self.dead()), poll,
                     "no time limit" if timeout is None else f"for at most {timeout:g}s")
        while True:
            self.revive()
            dead = self.dead()
            if not dead:
                return
            if stop() or (deadline is not None and time.monotonic() >= deadline):
                raise StreamNotFlowing("; ".join(
                    f"the stream into pool {s.pool} of {self.name(s.task_type)} is still 0/s (requested "
                    f"{s.requested}/s): {self._why_zero(s)}: "
                    + ("stream again once a sink has been rebalanced in" if s.units == 0 else
                       f"stream at least {s.units}/s") for s in dead))
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))

    def stop_stream(self, task_type: bytes) -> Receipt:
        return self.stream(task_type, 0)
