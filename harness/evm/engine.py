"""One interface over the two in-process EVMs (py-evm and pyrevm), and a contract layer on top.

Conventions shared by both engines (they are what makes the two comparable):
- hard fork Cancun; chain id 1; coinbase 0x0; prevrandao 0; block gas limit `BLOCK_GAS_LIMIT`;
  BLOCKHASH(n) for the 256 blocks below the current one is keccak(str(n)) (revm's in-memory
  convention, mirrored on py-evm), 0 otherwise; defaults: block number 1, timestamp 1_700_000_000.
- every `call`/`deploy` is a transaction of its own: the sender's nonce is incremented (so CREATE
  addresses are keccak(rlp([sender, nonce]))[12:] on both engines), intrinsic gas (21000 +
  calldata, + 32000 and initcode words for a deployment) is charged, transient storage is cleared
  at its end. Gas price and base fee are 0: senders need no ether for gas, only for `value`,
  which is transferred normally. A transaction that could not be sent (value above the sender's
  balance, gas below the intrinsic gas or above the block gas limit) raises EngineError and
  changes nothing; so does initcode above twice the code size limit (EIP-3860).
- `static_call` is an `eth_call`: the code runs as a call would (it may write, create, emit), then
  every change is discarded, the sender's nonce included.
- `snapshot()` captures state and block number/timestamp; `revert(snap)` returns to it and can be
  repeated; reverting to a snapshot invalidates the snapshots taken after it (reusing one raises
  EngineError), the reverted-to snapshot and older ones stay valid.
- `gas_used` is what the transaction would be charged (after refunds). It is exact per transaction
  on py-evm; pyrevm keeps accounts and slots warm from one call to the next, so its figures are
  lower after the first touch (see pyrevm_engine.py): gas is not comparable across engines.
"""

from __future__ import annotations

import abc
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from specs.errors import EngineError
from harness.evm.abi import ABIRegistry, ContractABI, DecodedError, DecodedEvent
from specs.kernel import CHAIN_ID  # noqa: F401  (the engines' chain id is the models')

BLOCK_GAS_LIMIT = 30_000_000
DEFAULT_BLOCK_NUMBER = 1
DEFAULT_TIMESTAMP = 1_700_000_000
EIP170_CODE_SIZE_LIMIT = 24_576

TX_GAS = 21_000
TX_CREATE_GAS = 32_000
TX_DATA_ZERO_GAS = 4
TX_DATA_NONZERO_GAS = 16
INITCODE_WORD_GAS = 2


@dataclass(frozen=True)
class RawLog:
    address: int
    topics: tuple[int, ...]
    data: bytes


@dataclass(frozen=True)
class CallResult:
    success: bool
    output: bytes  # return data, revert data, or the runtime code of a deployment
    logs: tuple[RawLog, ...]  # empty on failure
    gas_used: int
    created: int | None = None  # address of a successful deployment


def intrinsic_gas(data: bytes, is_create: bool) -> int:
    zeros = data.count(0)
    gas = TX_GAS + zeros * TX_DATA_ZERO_GAS + (len(data) - zeros) * TX_DATA_NONZERO_GAS
    if is_create:
        gas += TX_CREATE_GAS + INITCODE_WORD_GAS * ((len(data) + 31) // 32)
    return gas


def check_address(a: int, what: str = "address") -> int:
    if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < 2**160:
        raise EngineError(f"{what} must be an int in [0, 2**160), got {a!r}")
    return a


def check_word(v: int, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**256:
        raise EngineError(f"{what} must be an int in [0, 2**256), got {v!r}")
    return v


class Snapshot:
    """Handle returned by `Engine.snapshot()`; opaque to callers."""

    __slots__ = ("engine_id", "serial", "token", "number", "timestamp")

    def __init__(self, engine_id: int, serial: int, token: Any, number: int, timestamp: int):
        self.engine_id = engine_id
        self.serial = serial
        self.token = token  # engine-specific
        self.number = number
        self.timestamp = timestamp

    def __repr__(self) -> str:
        return f"Snapshot(#{self.serial}, block {self.number})"


class Engine(abc.ABC):
    """An in-process EVM. Addresses are ints, code and data are bytes. See the module docstring for
    the conventions every engine follows."""

    name: str = "?"

    def __init__(self, *, code_size_limit: int | None = None):
        if code_size_limit is not None and (not isinstance(code_size_limit, int) or code_size_limit <= 0):
            raise EngineError(f"code_size_limit must be a positive int or None, got {code_size_limit!r}")
        self.code_size_limit = code_size_limit
        self._number = DEFAULT_BLOCK_NUMBER
        self._timestamp = DEFAULT_TIMESTAMP
        self._live: list[Snapshot] = []  # valid snapshots, oldest first
        self._serials = itertools.count(1)

    # -- transactions --------------------------------------------------------

    def deploy(
        self, bytecode: bytes, ctor_args_encoded: bytes = b"", *, sender: int, value: int = 0, gas: int = 30_000_000
    ) -> CallResult:
        """Run a contract-creation transaction (initcode = bytecode + encoded constructor args)."""
        initcode = bytes(bytecode) + bytes(ctor_args_encoded)
        self._check_tx(sender, value, gas, initcode, is_create=True)
        return self._deploy(initcode, sender, value, gas)

    def call(self, to: int, data: bytes, *, sender: int, value: int = 0, gas: int = 30_000_000) -> CallResult:
        """Run a message-call transaction; its state changes are kept."""
        check_address(to, "to")
        data = bytes(data)
        self._check_tx(sender, value, gas, data, is_create=False)
        return self._call(to, data, sender, value, gas)

    def static_call(self, to: int, data: bytes, *, sender: int = 0) -> CallResult:
        """Run the code as `eth_call` does and discard every change (nonce included)."""
        check_address(to, "to")
        check_address(sender, "sender")
        return self._static_call(to, bytes(data), sender)

    def _check_tx(self, sender: int, value: int, gas: int, data: bytes, is_create: bool) -> None:
        check_address(sender, "sender")
        check_word(value, "value")
        if not isinstance(gas, int) or gas > BLOCK_GAS_LIMIT:
            raise EngineError(f"gas {gas!r} above the block gas limit {BLOCK_GAS_LIMIT}")
        max_initcode = 2 * (self.code_size_limit or EIP170_CODE_SIZE_LIMIT)
        if is_create and len(data) > max_initcode:
            raise EngineError(f"initcode of {len(data)} bytes above the limit of {max_initcode} (EIP-3860)")
        need = intrinsic_gas(data, is_create)
        if gas < need:
            raise EngineError(f"gas {gas} below the intrinsic gas {need} of the transaction")
        if value and self.get_balance(sender) < value:
            raise EngineError(
                f"sender 0x{sender:040x} cannot send {value} wei: balance {self.get_balance(sender)}"
            )

    @abc.abstractmethod
    def _deploy(self, initcode: bytes, sender: int, value: int, gas: int) -> CallResult: ...

    @abc.abstractmethod
    def _call(self, to: int, data: bytes, sender: int, value: int, gas: int) -> CallResult: ...

    @abc.abstractmethod
    def _static_call(self, to: int, data: bytes, sender: int) -> CallResult: ...

    # -- block -------------------------------------------------------------

    def set_block(self, *, number: int | None = None, timestamp: int | None = None) -> None:
        if number is not None:
            self._number = check_word(number, "block number")
        if timestamp is not None:
            self._timestamp = check_word(timestamp, "timestamp")
        self._apply_block()

    @property
    def block_number(self) -> int:
        return self._number

    @property
    def timestamp(self) -> int:
        return self._timestamp

    @abc.abstractmethod
    def _apply_block(self) -> None: ...

    # -- snapshots -----------------------------------------------------------

    def snapshot(self) -> Snapshot:
        snap = Snapshot(id(self), next(self._serials), self._take_snapshot(), self._number, self._timestamp)
        self._live.append(snap)
        return snap

    def revert(self, snap: Snapshot) -> None:
        if not isinstance(snap, Snapshot) or snap.engine_id != id(self) or snap not in self._live:
            raise EngineError(f"{snap!r} is not a live snapshot of this {self.name} engine")
        del self._live[self._live.index(snap) + 1 :]
        self._revert_snapshot(snap)
        self._number, self._timestamp = snap.number, snap.timestamp
        self._apply_block()

    @abc.abstractmethod
    def _take_snapshot(self) -> Any: ...

    @abc.abstractmethod
    def _revert_snapshot(self, snap: Snapshot) -> None:
        """Return the state to `snap` (which stays valid: update snap.token if needed)."""

    # -- accounts --------------------------------------------------------------

    @abc.abstractmethod
    def get_balance(self, a: int) -> int: ...

    @abc.abstractmethod
    def set_balance(self, a: int, wei: int) -> None: ...

    @abc.abstractmethod
    def get_code(self, a: int) -> bytes: ...

    @abc.abstractmethod
    def set_code(self, a: int, code: bytes) -> None:
        """Place runtime code at an address (nonce and balance unchanged)."""

    @abc.abstractmethod
    def get_storage(self, a: int, slot: int) -> int: ...

    @abc.abstractmethod
    def set_storage(self, a: int, slot: int, value: int) -> None: ...

    @abc.abstractmethod
    def get_nonce(self, a: int) -> int: ...


def make_engine(name: str, **opts: Any) -> Engine:
    """"py-evm" or "pyrevm". Options: code_size_limit (int | None; None = EIP-170's 24576 bytes,
    the initcode limit is twice it on both engines)."""
    unknown = set(opts) - {"code_size_limit"}
    if unknown:
        raise EngineError(f"unknown engine option(s): {', '.join(sorted(unknown))}")
    if name == "py-evm":
        from harness.evm.pyevm_engine import PyEvmEngine

        return PyEvmEngine(**opts)
    if name == "pyrevm":
        from harness.evm.pyrevm_engine import PyRevmEngine

        return PyRevmEngine(**opts)
    raise EngineError(f"unknown engine {name!r} (known: py-evm, pyrevm)")


ENGINE_NAMES = ("py-evm", "pyrevm")


# ---------------------------------------------------------------------------
# Contract layer
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one call did, decoded: `returned` on success, `error` on revert (None for both fields'
    counterpart), events of every emitting contract (decoded through the registry)."""

    ok: bool
    returned: tuple | None
    error: DecodedError | None
    events: tuple[DecodedEvent, ...]
    gas_used: int

    def __str__(self) -> str:
        if self.ok:
            evs = "; ".join(str(e) for e in self.events)
            return f"ok {self.returned!r}" + (f" events [{evs}]" if evs else "")
        return f"reverted {self.error}"


class Contract:
    """A deployed contract bound to an engine, its ABI and the registry used to decode events."""

    def __init__(self, engine: Engine, address: int, abi: ContractABI, registry: ABIRegistry | None = None):
        self.engine = engine
        self.address = check_address(address)
        self.abi = abi
        self.registry = registry if registry is not None else ABIRegistry()
        if address not in self.registry:
            self.registry.register(address, abi)

    def __repr__(self) -> str:
        return f"Contract(0x{self.address:040x} on {self.engine.name})"

    def transact(self, fn: str, *args: Any, sender: int, value: int = 0, gas: int = 30_000_000) -> Outcome:
        data = self.abi.encode_call(fn, args)
        return self._outcome(fn, len(args), self.engine.call(self.address, data, sender=sender, value=value, gas=gas))

    def view(self, fn: str, *args: Any, sender: int = 0) -> Outcome:
        data = self.abi.encode_call(fn, args)
        return self._outcome(fn, len(args), self.engine.static_call(self.address, data, sender=sender))

    def _outcome(self, fn: str, n_args: int, res: CallResult) -> Outcome:
        if res.success:
            sig = self.abi.function(fn, n_args).signature
            return Outcome(True, self.abi.decode_output(sig, res.output), None, self.registry.decode_logs(res.logs), res.gas_used)
        return Outcome(False, None, self.registry.decode_error(res.output, self.abi), (), res.gas_used)


def deploy_contract(
    engine: Engine,
    abi_list: Sequence[dict] | ContractABI,
    bytecode: bytes | str,
    ctor_args: Sequence[Any] = (),
    sender: int = 0,
    registry: ABIRegistry | None = None,
    *,
    value: int = 0,
    gas: int = 30_000_000,
) -> Contract:
    """Deploy and bind. Raises EngineError (message holding the decoded revert) if the constructor
    fails."""
    abi = abi_list if isinstance(abi_list, ContractABI) else ContractABI(abi_list)
    if isinstance(bytecode, str):
        text = bytecode[2:] if bytecode.startswith("0x") else bytecode
        if "__" in text:
            raise EngineError("bytecode has unlinked library placeholders")
        bytecode = bytes.fromhex(text)
    res = engine.deploy(bytecode, abi.encode_constructor(ctor_args), sender=sender, value=value, gas=gas)
    if not res.success or res.created is None:
        err = (registry or ABIRegistry()).decode_error(res.output, abi)
        why = f"reverted with {err}" if res.output else "failed without revert data (revert(), out of gas, code size limit)"
        exc = EngineError(f"constructor {why} on {engine.name}")
        exc.error = err  # the decoded revert, for callers that check it
        raise exc
    return Contract(engine, res.created, abi, registry)


# ---------------------------------------------------------------------------
# Throughput
# ---------------------------------------------------------------------------

# Runtime of a counter without a compiler: slot0 += 1 (PUSH0 SLOAD PUSH1 1 ADD PUSH0 SSTORE STOP).
COUNTER_RUNTIME = bytes.fromhex("5f546001015f5500")


def measure_call_rate(name: str, calls: int = 2_000, **opts: Any) -> float:
    """Raw `Engine.call` throughput (calls per second) of a counter increment on engine `name`."""
    import time

    engine = make_engine(name, **opts)
    counter, sender = 0xC0C0, 0xA11CE
    engine.set_code(counter, COUNTER_RUNTIME)
    engine.call(counter, b"", sender=sender)  # warm-up (imports, caches)
    start = time.perf_counter()
    for _ in range(calls):
        engine.call(counter, b"", sender=sender)
    elapsed = time.perf_counter() - start
    if engine.get_storage(counter, 0) != calls + 1:
        raise EngineError(f"{name}: counter at {engine.get_storage(counter, 0)} after {calls + 1} increments")
    return calls / elapsed
