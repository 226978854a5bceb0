"""The sink agent: stake, register for task types, connect to their pools, and signal capacity by
commit-reveal (PROTOCOL.md section 4).

Crash safety of a round. The state file (one per sink and registry) is written atomically and
fsync'd (`sdk.state`):
1. the random nonce, the capacity and the commit hash are persisted (status "prepared") BEFORE the
   commit transaction is signed and sent;
2. the signed commit's hash is persisted as soon as it is known (before it is sent);
3. after the commit is mined, the commit block (status "committed");
4. after the reveal is mined the round moves to the history.

`resume()` (run at every start) looks at each unfinished round and the registry's pending commit:
- the persisted hash is on chain and the window is still open: reveal it;
- it is on chain but the window has closed (or closes before a reveal can be mined): commit again
  with a new nonce and reveal that;
- it is not on chain: if the commit transaction is still pending, wait for it; if it was mined and a
  `CapacityRevealed` of ours followed, the reveal happened (the crash was before step 4): record it;
  otherwise the commit never made it (crash before sending, dropped): start the round again.

Timing: a reveal is valid in blocks commitBlock+1 .. commitBlock+COMMIT_TIMEOUT. It is sent once the
node's head is at least the commit block (so it is mined in a later block) and only if the next
block is still inside the window; a reveal that is mined too late (`CommitExpired`) leads to a new
commit.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount

from sdk.chain import Receipt, Revert, checksum
from sdk.clients import Clients, commit_hash
from sdk.state import JsonState, StateFileError

LOG = logging.getLogger("sdk.sink")
E18 = 10**18


@dataclass
class RoundResult:
    task_type: str  # 0x hex
    capacity: int
    commit_block: int
    reveal_block: int
    smoothed: int
    # "revealed"; after a restart: "recovered" (revealed the persisted commit), "recommitted" (it had
    # expired), "restarted" (it never reached the chain), "found" (it was revealed before the crash)
    how: str


class SinkAgent:
    def __init__(self, clients: Clients, account: LocalAccount, state_path: str | Path | None = None, *,
                 reveal_delay_blocks: int = 0, wait_timeout: float = 120.0, poll: float = 0.1):
        self.c, self.account = clients, account
        self.chain = clients.chain
        reg = clients.registry.address
        if state_path is None:
            state_path = Path(".bpe") / f"sink-{clients.dep.chain_id}-{reg[2:10].lower()}-{account.address.lower()}.json"
        self.state = JsonState(state_path, {"version": 1, "chainId": clients.dep.chain_id, "registry": reg,
                                            "sink": account.address, "rounds": {}, "history": []})
        if self.state.data.get("registry") != reg or self.state.data.get("sink") != account.address:
            raise StateFileError(f"state file {state_path} belongs to sink {self.state.data.get('sink')} at registry "
                             f"{self.state.data.get('registry')}, not {account.address} at {reg}")
        self.reveal_delay_blocks = reveal_delay_blocks
        self.wait_timeout, self.poll = wait_timeout, poll
        self._timeout: int | None = None

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def commit_timeout(self) -> int:
        if self._timeout is None:
            self._timeout = self.c.registry.commit_timeout()
        return self._timeout

    # -- set-up ----------------------------------------------------------------------------------
    def ensure_stake(self, amount: int, *, mint: bool = True) -> None:
        """Stake up to `amount` in total (minting the missing stake tokens from the faucet if `mint`)."""
        have = self.c.stake_manager.get_stake(self.address)
        if have >= amount:
            return
        need = amount - have
        bal = self.c.stake_token.balance_of(self.address)
        if bal < need:
            if not mint:
                raise ValueError(f"{self.address} holds {bal} stake tokens, needs {need}")
            self.c.stake_token.mint(self.account, self.address, need - bal)
        if self.c.stake_token.allowance(self.address, self.c.stake_manager.address) < need:
            self.c.stake_token.approve(self.account, self.c.stake_manager.address, need)
        rec = self.c.stake_manager.stake(self.account, need)
        LOG.info("sink %s staked %d (total %d) in block %d", self.address, need, amount, rec.block_number)

    def ensure_registered(self, task_type: bytes, *, connect: bool = True) -> None:
        """Register for the task type and (connect) connect to its pool, so flows reach the balance."""
        if not self.c.registry.is_sink(task_type, self.address):
            rec = self.c.registry.register_sink(self.account, task_type)
            LOG.info("sink %s registered for 0x%s in block %d", self.address, task_type.hex(), rec.block_number)
        if connect:
            pool = self.c.gda_pool(task_type).address
            if not self.c.forwarder.is_member_connected(pool, self.address):
                rec = self.c.forwarder.connect_pool(self.account, pool)
                LOG.info("sink %s connected to pool %s in block %d", self.address, pool, rec.block_number)

    # -- commit-reveal ---------------------------------------------------------------------------
    def commit(self, task_type: bytes, capacity: int) -> int:
        """Commit `capacity` (1e18 = one unit) with a fresh nonce persisted first; the commit block."""
        key = "0x" + task_type.hex()
        nonce = secrets.token_bytes(32)
        h = commit_hash(self.address, task_type, capacity, nonce, self.chain.chain_id, self.c.registry.address)
        rnd = {"status": "prepared", "capacity": capacity, "nonce": "0x" + nonce.hex(), "commitHash": "0x" + h.hex(),
               "txHash": None, "commitBlock": None, "preparedAt": time.time()}
        self.state.data["rounds"][key] = rnd
        self.state.save()  # the nonce is on disk before anything is sent

        def on_signed(tx_hash: str, _raw: bytes) -> None:
            rnd["txHash"] = tx_hash
            self.state.save()

        rec = self.c.registry.commit_capacity(self.account, task_type, h, on_signed=on_signed)
        rnd.update(status="committed", commitBlock=rec.block_number)
        self.state.save()
        LOG.info("sink %s committed to 0x%s in block %d (tx %s)", self.address, task_type.hex(), rec.block_number,
                 rec.tx_hash)
        return rec.block_number

    def _wait_block(self, target: int) -> int:
        deadline = time.monotonic() + self.wait_timeout
        while (head := self.chain.block_number()) < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the node did not reach block {target} (head {head})")
            time.sleep(self.poll)
        return head

    def reveal(self, task_type: bytes, how: str = "revealed") -> RoundResult:
        """Reveal the persisted round of `task_type` inside its window; commits again if it expired."""
        key = "0x" + task_type.hex()
        rnd = self.state.data["rounds"][key]
        cb = rnd["commitBlock"]
        head = self._wait_block(cb + self.reveal_delay_blocks)
        if head + 1 > cb + self.commit_timeout:
            return self._recommit(task_type, rnd, f"window closed (head {head}, commit block {cb})")
        try:
            rec = self.c.registry.reveal_capacity(self.account, task_type, rnd["capacity"],
                                                  bytes.fromhex(rnd["nonce"][2:]))
        except Revert as exc:
            if exc.name == "CommitExpired":
                return self._recommit(task_type, rnd, "reveal mined after the window")
            raise
        return self._finish(task_type, rnd, rec, how)

    def _finish(self, task_type: bytes, rnd: dict, rec: Receipt | None, how: str, *,
                block: int | None = None, smoothed: int | None = None) -> RoundResult:
        key = "0x" + task_type.hex()
        if rec is not None:
            (ev,) = rec.events_named("CapacityRevealed")
            block, smoothed = rec.block_number, ev.args[3]
        res = RoundResult(key, rnd["capacity"], rnd["commitBlock"], block or 0, smoothed or 0, how)
        self.state.data["history"].append({**rnd, "status": "revealed", "revealBlock": block, "smoothed": smoothed,
                                           "how": how})
        self.state.data["history"] = self.state.data["history"][-100:]
        del self.state.data["rounds"][key]
        self.state.save()
        LOG.info("sink %s revealed %d for 0x%s in block %d (commit block %d, smoothed %d, %s)", self.address,
                 rnd["capacity"], task_type.hex(), block, rnd["commitBlock"], smoothed, how)
        return res

    def _recommit(self, task_type: bytes, rnd: dict, why: str) -> RoundResult:
        LOG.info("sink %s: commit of block %s for 0x%s expired (%s): committing again", self.address,
                 rnd["commitBlock"], task_type.hex(), why)
        self.commit(task_type, rnd["capacity"])
        res = self.reveal(task_type)
        res.how = "recommitted"
        return res

    def signal(self, task_type: bytes, capacity: int) -> RoundResult:
        """One whole round: finish an unfinished one first (see resume), then commit and reveal."""
        key = "0x" + task_type.hex()
        if key in self.state.data["rounds"]:
            self.resume_one(task_type)  # finishes (reveals) the unfinished round first
        self.commit(task_type, capacity)
        return self.reveal(task_type)

    def resume(self) -> list[RoundResult]:
        """Finish every round a previous run left unfinished (module docstring)."""
        out = []
        for key in list(self.state.data["rounds"]):
            r = self.resume_one(bytes.fromhex(key[2:]))
            if r is not None:
                out.append(r)
        return out

    def resume_one(self, task_type: bytes) -> RoundResult | None:
        key = "0x" + task_type.hex()
        rnd = self.state.data["rounds"].get(key)
        if rnd is None:
            return None
        if rnd.get("txHash"):  # the commit may still be pending: let it settle first
            if self.chain.receipt(rnd["txHash"]) is None and self.chain.known(rnd["txHash"]):
                self.chain.wait(rnd["txHash"], "pending commit")
        on_hash, on_block = self.c.registry.get_commit(task_type, self.address)
        if on_block and "0x" + on_hash.hex() == rnd["commitHash"]:
            rnd.update(status="committed", commitBlock=on_block)
            self.state.save()
            LOG.info("sink %s: resuming the commit of block %d for 0x%s", self.address, on_block, task_type.hex())
            res = self.reveal(task_type, how="recovered")
            return res
        # Not pending on chain. Was it mined and revealed before the crash?
        rec = self.chain.receipt(rnd["txHash"]) if rnd.get("txHash") else None
        if rec is not None and rec.status == 1:
            rnd["commitBlock"] = rec.block_number
            for log in self.c.registry.logs("CapacityRevealed", from_block=rec.block_number + 1):
                if log.event.args[0] == task_type and checksum(log.event.args[1]) == self.address:
                    LOG.info("sink %s: the round of 0x%s was revealed in block %d before the restart", self.address,
                             task_type.hex(), log.block_number)
                    return self._finish(task_type, rnd, None, "found", block=log.block_number,
                                        smoothed=log.event.args[3])
        LOG.info("sink %s: the prepared commit for 0x%s never reached the chain: committing %d again", self.address,
                 task_type.hex(), rnd["capacity"])
        del self.state.data["rounds"][key]
        self.state.save()
        self.commit(task_type, rnd["capacity"])
        res = self.reveal(task_type)
        res.how = "restarted"
        return res
