"""py-evm driven through its state/computation API, one transaction per call, no blocks mined.

How a call runs (the steps of py-evm's own Cancun transaction executor, minus signature and
balance-for-gas validation):
1. `state.lock_changes()`: a new transaction starts; warm address/slot sets and EIP-2200 original
   storage values are reset (so gas and refunds are exact per transaction);
2. `build_evm_message`: the sender's nonce is incremented, the CREATE address derived from it;
3. `build_computation`: sender, recipient, precompiles and coinbase are warm (EIP-2929/3651);
4. `finalize_computation`: refund capped at gas_used // 5 (EIP-3529), EIP-161 touched-empty
   accounts cleared; then transient storage is cleared (EIP-1153).
Gas price, max fee and priority fee are 0 and the base fee is 0, so nothing is bought or paid.

Snapshots: account-db journal checkpoints cannot cross `lock_changes()`, so an engine snapshot
persists the state to the in-memory trie database and keeps the state root (plus block number and
timestamp); reverting builds a fresh state object on that root. Trie nodes are never deleted from
the in-memory database, so every root taken stays revertible. `static_call` uses a journal
checkpoint instead (no lock in between).

EIP-170/EIP-3860: with `code_size_limit` set, a computation subclass replaces the runtime size
check (and the initcode check, at twice the limit, as revm does); the EIP-3541 0xEF check is kept.

Tracing (coverage, `harness/fuzz/coverage.py`): `engine.tracer = fn` installs a computation subclass
whose opcode table wraps every opcode so that `fn(code_address: bytes, pc: int, opcode: int,
computation)` is called before the opcode runs; `engine.tracer = None` (the default) puts the plain
computation class back, so an engine that is not tracing runs py-evm's own opcode table, untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from eth.constants import BLANK_ROOT_HASH, CREATE_CONTRACT_ADDRESS, ZERO_ADDRESS, ZERO_HASH32
from eth.db.atomic import AtomicDB
from eth.exceptions import OutOfGas, ReservedBytesInCode, Revert
from eth.vm.execution_context import ExecutionContext
from eth.vm.forks.cancun.computation import CancunComputation
from eth.vm.forks.cancun.state import CancunState
from eth.vm.forks.london.constants import EIP3541_RESERVED_STARTING_BYTE
from eth_utils import keccak

from harness.evm.engine import (
    BLOCK_GAS_LIMIT,
    CHAIN_ID,
    CallResult,
    Engine,
    RawLog,
    Snapshot,
    check_address,
    check_word,
    intrinsic_gas,
)

_BLOB_TX_TYPE = 3
_DYNAMIC_FEE_TX_TYPE = 2


class _Tx:
    """The fields of a signed transaction that py-evm's executor reads, for a fee-less transaction
    (type 2, all prices 0, empty access list)."""

    __slots__ = ("sender", "to", "value", "data", "gas", "intrinsic_gas")
    gas_price = 0
    max_fee_per_gas = 0
    max_priority_fee_per_gas = 0
    access_list = ()
    type_id = _DYNAMIC_FEE_TX_TYPE
    blob_versioned_hashes = ()

    def __init__(self, sender: bytes, to: bytes, value: int, data: bytes, gas: int):
        self.sender = sender
        self.to = to
        self.value = value
        self.data = data
        self.gas = gas
        self.intrinsic_gas = intrinsic_gas(data, to == CREATE_CONTRACT_ADDRESS) - (
            # the EIP-3860 initcode word cost is charged by py-evm's computation, not upfront
            2 * ((len(data) + 31) // 32) if to == CREATE_CONTRACT_ADDRESS else 0
        )


def _computation_class(limit: int | None) -> type:
    if limit is None:
        return CancunComputation

    class LiftedCodeSizeComputation(CancunComputation):
        @classmethod
        def validate_contract_code(cls, contract_code: bytes) -> None:
            if len(contract_code) > limit:
                raise OutOfGas(f"Contract code size exceeds the limit of {limit}: {len(contract_code)}")
            if contract_code[:1] == EIP3541_RESERVED_STARTING_BYTE:
                raise ReservedBytesInCode("Contract code begins with EIP3541 reserved byte '0xEF'.")

        @classmethod
        def validate_create_message(cls, message: Any) -> None:
            if len(message.code) > 2 * limit:
                raise OutOfGas(f"Initcode size exceeds the limit of {2 * limit}: {len(message.code)}")

    return LiftedCodeSizeComputation


def _traced_computation_class(base: type, engine: "PyEvmEngine") -> type:
    """`base` with every opcode wrapped to call `engine.tracer` first (read at call time)."""

    def wrap(op: int, fn: Any) -> Any:
        def traced(computation: Any) -> Any:
            engine._tracer(computation.msg.code_address, computation.code.program_counter - 1, op, computation)
            return fn(computation=computation)

        traced.mnemonic = getattr(fn, "mnemonic", hex(op))  # type: ignore[attr-defined]
        return traced

    return type(f"Traced{base.__name__}", (base,), {"opcodes": {op: wrap(op, fn) for op, fn in base.opcodes.items()}})


def _prev_hashes(number: int) -> Iterator[bytes]:
    """Hashes of blocks number-1, number-2, ... (256 of them at most), revm's EmptyDB convention."""
    for n in range(number - 1, max(number - 257, -1), -1):
        yield keccak(text=str(n))


def _a(a: int) -> bytes:
    return check_address(a).to_bytes(20, "big")


class PyEvmEngine(Engine):
    name = "py-evm"

    def __init__(self, *, code_size_limit: int | None = None):
        super().__init__(code_size_limit=code_size_limit)
        self._plain_computation = _computation_class(code_size_limit)
        self._state_class = self._plain_state_class = CancunState.configure(
            __name__="WorkbenchCancunState", computation_class=self._plain_computation
        )
        self._tracer: Any = None
        self._db = AtomicDB()
        self._state = self._state_class(self._db, self._context(), BLANK_ROOT_HASH)

    def _context(self) -> ExecutionContext:
        return ExecutionContext(
            coinbase=ZERO_ADDRESS,
            timestamp=self._timestamp,
            block_number=self._number,
            difficulty=0,
            mix_hash=ZERO_HASH32,
            gas_limit=BLOCK_GAS_LIMIT,
            prev_hashes=_prev_hashes(self._number),
            chain_id=CHAIN_ID,
            base_fee_per_gas=0,
            excess_blob_gas=0,
        )

    def _apply_block(self) -> None:
        self._state.execution_context = self._context()

    # -- tracing ---------------------------------------------------------------

    @property
    def tracer(self) -> Any:
        """None, or `fn(code_address, pc, opcode, computation)` called before every opcode."""
        return self._tracer

    @tracer.setter
    def tracer(self, fn: Any) -> None:
        self._tracer = fn
        if fn is None:
            self._state_class = self._plain_state_class
        else:
            comp = _traced_computation_class(self._plain_computation, self)
            self._state_class = self._plain_state_class.configure(
                __name__="TracedWorkbenchCancunState", computation_class=comp)
        # the live state keeps its journal: only the class it builds computations from changes
        self._state.computation_class = self._state_class.computation_class

    # -- transactions --------------------------------------------------------

    def _run(self, tx: _Tx) -> tuple[Any, int]:
        state = self._state
        executor = state.get_transaction_executor()
        message = executor.build_evm_message(tx)
        computation = executor.build_computation(message, tx)
        computation = executor.finalize_computation(tx, computation)
        state.clear_transient_storage()
        used = tx.gas - computation.get_gas_remaining()
        used -= executor.calculate_gas_refund(computation, used)
        return computation, used

    def _result(self, computation: Any, gas_used: int, created: int | None = None) -> CallResult:
        if computation.is_success:
            logs = tuple(
                RawLog(int.from_bytes(addr, "big"), tuple(topics), bytes(data))
                for addr, topics, data in computation.get_log_entries()
            )
            return CallResult(True, bytes(computation.output), logs, gas_used, created)
        output = bytes(computation.output) if isinstance(computation.error, Revert) else b""
        return CallResult(False, output, (), gas_used)

    def _deploy(self, initcode: bytes, sender: int, value: int, gas: int) -> CallResult:
        self._state.lock_changes()
        comp, used = self._run(_Tx(_a(sender), CREATE_CONTRACT_ADDRESS, value, initcode, gas))
        created = int.from_bytes(comp.msg.storage_address, "big") if comp.is_success else None
        return self._result(comp, used, created)

    def _call(self, to: int, data: bytes, sender: int, value: int, gas: int) -> CallResult:
        self._state.lock_changes()
        comp, used = self._run(_Tx(_a(sender), _a(to), value, data, gas))
        return self._result(comp, used)

    def _static_call(self, to: int, data: bytes, sender: int) -> CallResult:
        state = self._state
        state.lock_changes()
        checkpoint = state.snapshot()
        try:
            comp, used = self._run(_Tx(_a(sender), _a(to), 0, data, BLOCK_GAS_LIMIT))
            return self._result(comp, used)
        finally:
            state.revert(checkpoint)
            state.clear_transient_storage()

    # -- snapshots -----------------------------------------------------------

    def _take_snapshot(self) -> bytes:
        self._state.lock_changes()
        self._state.persist()
        return self._state.state_root

    def _revert_snapshot(self, snap: Snapshot) -> None:
        self._state = self._state_class(self._db, self._context(), snap.token)

    # -- accounts --------------------------------------------------------------

    def get_balance(self, a: int) -> int:
        return self._state.get_balance(_a(a))

    def set_balance(self, a: int, wei: int) -> None:
        self._state.set_balance(_a(a), check_word(wei, "balance"))

    def get_code(self, a: int) -> bytes:
        return bytes(self._state.get_code(_a(a)))

    def set_code(self, a: int, code: bytes) -> None:
        self._state.set_code(_a(a), bytes(code))

    def get_storage(self, a: int, slot: int) -> int:
        return self._state.get_storage(_a(a), check_word(slot, "slot"))

    def set_storage(self, a: int, slot: int, value: int) -> None:
        self._state.set_storage(_a(a), check_word(slot, "slot"), check_word(value, "value"))

    def get_nonce(self, a: int) -> int:
        return self._state.get_nonce(_a(a))
