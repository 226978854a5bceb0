"""pyrevm 0.3.7 (revm in Rust) behind the Engine interface.

What pyrevm 0.3.7 does, and what this module adds so that outcomes and state match py-evm:
- All calls run in one journaled state that is never finalized (no per-transaction commit).
  Hence accounts and storage slots stay warm from one call to the next, and EIP-2200 "original"
  storage values are those of the first load: `gas_used` is lower than a real transaction's after
  the first touch of an account or slot. Nothing here corrects it (pyrevm exposes no way to end a
  transaction); gas is documented as not comparable across engines. Consequence to keep in mind:
  code whose behaviour depends on the gas left (a call with a fixed gas stipend that a cold access
  would exhaust) can succeed here and fail on py-evm.
- `message_call` does not increment the caller's nonce (deployments do): this engine increments it
  before each call, like a transaction. Transient storage is not cleared between calls: this engine
  clears it after each one.
- Gas price and base fee are 0 (pyrevm forces base fee 0); block gas limit, chain id, block number
  and timestamp are set to the shared conventions of engine.py. revm's in-memory database gives
  BLOCKHASH(n) = keccak(str(n)), which py-evm mirrors.
- A failed call raises RuntimeError whose text is revm's `Revert { gas_used, output: 0x.. }` or
  `Halt { reason, gas_used }`; this module parses it back into a CallResult (no other way to get
  revert data in 0.3.7).
- Snapshots are revm journal checkpoints, but (1) pyrevm forgets a checkpoint once reverted to and
  (2) every checkpoint raises the journal depth, which revm also uses as the call-depth counter.
  So a checkpoint is taken and its depth released at once (`snapshot(); commit()`), a revert first
  takes a throw-away checkpoint (revert needs depth > 0), and after a revert the snapshot is
  retaken at the same journal position (same key), so it can be reverted to again.
- Balance, nonce and code writes (`insert_account_info`, and the per-call nonce increment) are not
  journaled by pyrevm. While snapshots are live, each such write is logged with the old account
  info and a checkpoint taken just before it; a revert walks the log backwards, rewinding the
  journal to each write's checkpoint and restoring the old info, so journaled and non-journaled
  changes are undone in their true order. Storage writes (`insert_account_storage`) are journaled.
- SELFDESTRUCT: revm decides "created in the same transaction" (EIP-6780) from account flags that
  only a finalized transaction clears, and applies deletions only at finalization: contracts
  that self-destruct are not handled alike on both engines (none of the workbench's contracts do).
- The journal is never cleared: memory grows with the number of calls (a few hundred bytes per
  call). For very long campaigns, make a new engine from time to time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from pyrevm import EVM, AccountInfo, BlockEnv, CfgEnv, Env

from specs.errors import EngineError
from harness.evm.engine import (
    BLOCK_GAS_LIMIT,
    CHAIN_ID,
    CallResult,
    Engine,
    RawLog,
    Snapshot,
    check_address,
    check_word,
)

_KECCAK_EMPTY = keccak(b"")
_REVERT_RE = re.compile(r"^Revert \{ gas_used: (\d+), output: 0x([0-9a-fA-F]*) \}$")
_HALT_RE = re.compile(r"^Halt \{ reason: (.*), gas_used: (\d+) \}$")


def _a(a: int) -> str:
    return f"0x{check_address(a):040x}"


def _original_code(code: bytes | None, code_hash: bytes) -> bytes:
    """revm hands out analysed bytecode: the original followed by 33 zero bytes of padding (and
    b"\x00" for no code). Recover the original with the code hash."""
    code = bytes(code or b"")
    code_hash = bytes(code_hash)
    if code_hash == _KECCAK_EMPTY:
        return b""
    if code.endswith(bytes(33)) and keccak(code[:-33]) == code_hash:
        return code[:-33]
    if keccak(code) == code_hash:
        return code
    raise EngineError(f"pyrevm returned code that does not match its hash 0x{code_hash.hex()}")


@dataclass
class _InfoWrite:
    """A non-journaled account write, with what is needed to undo it in order."""

    checkpoint: Any  # pyrevm JournalCheckpoint taken just before the write
    address: str
    old: tuple[int, int, bytes]  # balance, nonce, code


class PyRevmEngine(Engine):
    name = "pyrevm"

    def __init__(self, *, code_size_limit: int | None = None):
        super().__init__(code_size_limit=code_size_limit)
        cfg = CfgEnv(chain_id=CHAIN_ID, limit_contract_code_size=code_size_limit)
        self._evm = EVM(env=Env(cfg=cfg, block=self._block_env()), gas_limit=BLOCK_GAS_LIMIT, spec_id="CANCUN")
        self._writes: list[_InfoWrite] = []  # non-journaled writes since the oldest live snapshot

    def _block_env(self) -> BlockEnv:
        return BlockEnv(
            number=self._number,
            coinbase="0x" + "00" * 20,
            timestamp=self._timestamp,
            difficulty=0,
            prevrandao=bytes(32),
            basefee=0,
            gas_limit=BLOCK_GAS_LIMIT,
            excess_blob_gas=0,
        )

    def _apply_block(self) -> None:
        self._evm.set_block_env(self._block_env())

    # -- transactions --------------------------------------------------------

    @staticmethod
    def _logs(result: Any) -> tuple[RawLog, ...]:
        return tuple(
            RawLog(int(log.address, 16), tuple(int.from_bytes(t, "big") for t in log.data[0]), bytes(log.data[1]))
            for log in result.logs
        )

    @staticmethod
    def _failure(exc: RuntimeError) -> CallResult:
        text = str(exc)
        m = _REVERT_RE.match(text)
        if m:
            return CallResult(False, bytes.fromhex(m.group(2)), (), int(m.group(1)))
        m = _HALT_RE.match(text)
        if m:
            return CallResult(False, b"", (), int(m.group(2)))
        raise EngineError(f"pyrevm rejected the transaction: {text}") from exc

    def _deploy(self, initcode: bytes, sender: int, value: int, gas: int) -> CallResult:
        try:
            created = self._evm.deploy(_a(sender), initcode, value, gas)
        except RuntimeError as exc:
            return self._failure(exc)
        finally:
            self._end_transaction()
        result = self._evm.result
        address = int(created, 16)
        return CallResult(True, self.get_code(address), self._logs(result), result.gas_used, address)

    def _call(self, to: int, data: bytes, sender: int, value: int, gas: int) -> CallResult:
        caller = _a(sender)
        info = self._evm.basic(caller)
        self._write_info(caller, info, info.balance, info.nonce + 1, _original_code(info.code, info.code_hash))
        try:
            output = self._evm.message_call(caller, _a(to), data, value, gas)
        except RuntimeError as exc:
            return self._failure(exc)
        finally:
            self._end_transaction()
        result = self._evm.result
        return CallResult(True, bytes(output), self._logs(result), result.gas_used)

    def _static_call(self, to: int, data: bytes, sender: int) -> CallResult:
        checkpoint = self._checkpoint()
        try:
            output = self._evm.message_call(_a(sender), _a(to), data, 0, BLOCK_GAS_LIMIT)
            result = self._evm.result
            return CallResult(True, bytes(output), self._logs(result), result.gas_used)
        except RuntimeError as exc:
            return self._failure(exc)
        finally:
            self._rewind(checkpoint)
            self._end_transaction()

    def _end_transaction(self) -> None:
        """What revm's transaction finalization would do that this engine can: clear transient
        storage (EIP-1153)."""
        self._evm.reset_transient_storage()

    # -- journal checkpoints -------------------------------------------------

    def _checkpoint(self) -> Any:
        """A journal checkpoint that leaves the journal depth (the call-depth counter) unchanged."""
        checkpoint = self._evm.snapshot()
        self._evm.commit()
        return checkpoint

    def _rewind(self, checkpoint: Any) -> None:
        self._evm.snapshot()  # pyrevm refuses to revert at depth 0: a throw-away level
        self._evm.revert(checkpoint)

    def _take_snapshot(self) -> tuple[Any, int]:
        return self._checkpoint(), len(self._writes)

    def _revert_snapshot(self, snap: Snapshot) -> None:
        checkpoint, n_writes = snap.token
        for w in reversed(self._writes[n_writes:]):
            self._rewind(w.checkpoint)
            balance, nonce, code = w.old
            self._evm.insert_account_info(w.address, self._info(balance, nonce, code))
        del self._writes[n_writes:]
        self._rewind(checkpoint)
        snap.token = (self._checkpoint(), n_writes)
        self._end_transaction()

    # -- accounts --------------------------------------------------------------

    @staticmethod
    def _info(balance: int, nonce: int, code: bytes) -> AccountInfo:
        code = bytes(code)
        return AccountInfo(balance=balance, nonce=nonce, code_hash=keccak(code) if code else _KECCAK_EMPTY, code=code)

    def _write_info(self, address: str, old: Any, balance: int, nonce: int, code: bytes) -> None:
        """Replace an account's balance/nonce/code; `old` is its current info from `basic()` (which
        also loaded it into the journaled state, so the write lands there, not in the database)."""
        if self._live:
            old_code = _original_code(old.code, old.code_hash)
            self._writes.append(_InfoWrite(self._checkpoint(), address, (old.balance, old.nonce, old_code)))
        elif self._writes:
            self._writes.clear()
        self._evm.insert_account_info(address, self._info(balance, nonce, code))

    def get_balance(self, a: int) -> int:
        return self._evm.get_balance(_a(a))

    def set_balance(self, a: int, wei: int) -> None:
        address = _a(a)
        info = self._evm.basic(address)
        self._write_info(address, info, check_word(wei, "balance"), info.nonce, _original_code(info.code, info.code_hash))

    def get_code(self, a: int) -> bytes:
        info = self._evm.basic(_a(a))
        return _original_code(info.code, info.code_hash)

    def set_code(self, a: int, code: bytes) -> None:
        address = _a(a)
        info = self._evm.basic(address)
        self._write_info(address, info, info.balance, info.nonce, bytes(code))

    def get_storage(self, a: int, slot: int) -> int:
        return self._evm.storage(_a(a), check_word(slot, "slot"))

    def set_storage(self, a: int, slot: int, value: int) -> None:
        self._evm.insert_account_storage(_a(a), check_word(slot, "slot"), check_word(value, "value"))

    def get_nonce(self, a: int) -> int:
        return self._evm.basic(_a(a)).nonce
