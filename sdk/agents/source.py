"""The source agent: pays for work in the payment SuperToken.

- `fund(amount)`: mint the SuperToken's underlying (the test deployment's open faucet), approve the
  SuperToken and upgrade (wrap) it;
- `deposit(task_type, amount)`: a lump payment queued in the EscrowBuffer (approves the buffer as
  needed); `deposit_pipeline(pipeline_id, amount)` the same through a Pipeline;
- `stream(task_type, flow_rate)`: a GDA flow distribution straight into the task type's pool through
  the GDAv1Forwarder (`distributeFlow`; rate 0 stops it). The GDA locks a buffer of four hours of
  the flow from the source's balance while it runs.
"""

from __future__ import annotations

import logging

from eth_account.signers.local import LocalAccount

from sdk.chain import Receipt
from sdk.clients import Clients

LOG = logging.getLogger("sdk.source")
MAX_UINT256 = 2**256 - 1


class SourceAgent:
    def __init__(self, clients: Clients, account: LocalAccount):
        self.c, self.account = clients, account

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

    def stream(self, task_type: bytes, flow_rate: int) -> Receipt:
        pool = self.c.gda_pool(task_type).address
        rec = self.c.forwarder.distribute_flow(self.account, self.c.super_token.address, pool, flow_rate)
        actual = self.c.forwarder.flow_distribution_flow_rate(self.c.super_token.address, self.address, pool)
        LOG.info("source %s streams %d/s (requested %d/s) into pool %s of 0x%s from block %d", self.address, actual,
                 flow_rate, pool, task_type.hex(), rec.block_number)
        return rec

    def stop_stream(self, task_type: bytes) -> Receipt:
        return self.stream(task_type, 0)
