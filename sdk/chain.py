"""The JSON-RPC layer: a web3.py connection, locally signed transactions, decoded reverts and events,
and retries of transient node errors with exponential backoff.

Errors are split in two:
- `Revert` (a subclass of `SDKError`): the node executed the call and it reverted. It carries the
  decoded custom error (`harness.evm.abi.DecodedError`: `.name`, `.args`). A revert is a fact about
  the chain state, so it is never retried blindly.
- `TransientError`: the node could not be reached or answered with a server error (connection
  refused or reset, timeout, HTTP 429/5xx). `with_retry` retries these with exponential backoff and
  raises `TransientError` once the attempts are used up.

Transactions are signed locally (`eth_account`), so any node works (anvil, geth, a provider). The
signed transaction's hash is known before it is sent: `Chain.transact(on_signed=...)` hands it to
the caller first (the keeper writes it to its state file then), and a second broadcast of the same
signed bytes can never be mined twice.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from web3 import HTTPProvider, Web3
from web3.exceptions import ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError

from harness.evm.abi import ABIRegistry, ContractABI, DecodedError, DecodedEvent

LOG = logging.getLogger("sdk.chain")
T = TypeVar("T")
AddressLike = Union[str, int, bytes]


def to_int_address(a: AddressLike) -> int:
    if isinstance(a, int) and not isinstance(a, bool):
        return a
    if isinstance(a, (bytes, bytearray)):
        return int.from_bytes(a, "big")
    if isinstance(a, str):
        return int(a, 16)
    raise TypeError(f"not an address: {a!r}")


def checksum(a: AddressLike) -> str:
    return to_checksum_address(f"0x{to_int_address(a):040x}")


class SDKError(Exception):
    pass


class Revert(SDKError):
    """The call or transaction reverted; `error` is the decoded revert (name None: bare revert)."""

    def __init__(self, what: str, error: DecodedError, receipt: Any = None):
        self.what, self.error, self.receipt = what, error, receipt
        super().__init__(f"{what} reverted with {error}")

    @property
    def name(self) -> str | None:
        return self.error.name


class TransientError(SDKError):
    """The node could not answer (after all retries)."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: `attempts` tries, waiting base * factor**i (capped, with jitter) between."""

    attempts: int = 6
    base: float = 0.2
    factor: float = 2.0
    cap: float = 5.0
    jitter: float = 0.1

    def delays(self) -> list[float]:
        return [min(self.cap, self.base * self.factor**i) * (1 + random.uniform(0, self.jitter))
                for i in range(self.attempts - 1)]


def is_transient(exc: BaseException) -> bool:
    """Connection problems, timeouts and server-side HTTP errors; not reverts, not RPC errors that
    describe the request (nonce too low, insufficient funds, ...)."""
    if isinstance(exc, (ContractLogicError, Revert)):
        return False
    if isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError, TransientError)):
        return True
    if isinstance(exc, requests.HTTPError):
        code = exc.response.status_code if exc.response is not None else 0
        return code == 429 or code >= 500
    if isinstance(exc, OSError):
        return True
    return False


def with_retry(fn: Callable[[], T], what: str, backoff: Backoff | None = None) -> T:
    """Call fn(); retry transient errors with exponential backoff; re-raise anything else at once."""
    backoff = backoff or Backoff()
    delays = backoff.delays()
    for i in range(backoff.attempts):
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 (classified below)
            if not is_transient(exc):
                raise
            if i >= len(delays):
                raise TransientError(f"{what}: node unavailable after {backoff.attempts} attempts: {exc}") from exc
            LOG.warning("%s: transient node error (%s: %s), retry %d/%d in %.2fs", what, type(exc).__name__, exc,
                        i + 1, backoff.attempts - 1, delays[i])
            time.sleep(delays[i])
    raise AssertionError("unreachable")


@dataclass
class Receipt:
    """A mined transaction: status, block, gas, decoded events (in log order)."""

    tx_hash: str
    block_number: int
    status: int
    gas_used: int
    events: tuple[DecodedEvent, ...]
    raw: Any = field(repr=False, default=None)

    def events_named(self, name: str) -> list[DecodedEvent]:
        return [e for e in self.events if e.name == name]


def revert_data(exc: BaseException) -> bytes | None:
    """The revert data carried by a web3 exception (None when there is none)."""
    data = getattr(exc, "data", None)
    if isinstance(data, dict):  # some nodes nest it
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(exc, ContractLogicError):
        return b""
    return None


class Chain:
    """One JSON-RPC node, an ABI registry for decoding, and local accounts."""

    def __init__(self, rpc_url: str, *, registry: ABIRegistry | None = None, backoff: Backoff | None = None,
                 request_timeout: float = 30.0, receipt_timeout: float = 120.0, poll: float = 0.05):
        self.url = rpc_url
        # web3's own retry middleware is off: `with_retry` decides what is transient.
        self.w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": request_timeout},
                                    exception_retry_configuration=None))
        self.registry = registry or ABIRegistry()
        self.backoff = backoff or Backoff()
        self.receipt_timeout = receipt_timeout
        self.poll = poll
        self._chain_id: int | None = None

    # -- node ------------------------------------------------------------------------------------
    def retry(self, fn: Callable[[], T], what: str) -> T:
        return with_retry(fn, what, self.backoff)

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = self.retry(lambda: self.w3.eth.chain_id, "eth_chainId")
        return self._chain_id

    def block_number(self) -> int:
        return self.retry(lambda: self.w3.eth.block_number, "eth_blockNumber")

    def block(self, number: int | str = "latest", full: bool = False) -> Any:
        return self.retry(lambda: self.w3.eth.get_block(number, full_transactions=full), f"eth_getBlock({number})")

    def rpc(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC request (anvil_*/evm_* helpers); raises SDKError on an RPC error."""
        resp = self.retry(lambda: self.w3.provider.make_request(method, list(params)), method)  # type: ignore[arg-type]
        if "error" in resp:
            raise SDKError(f"{method}: {resp['error']}")
        return resp.get("result")

    def code(self, address: AddressLike) -> bytes:
        return bytes(self.retry(lambda: self.w3.eth.get_code(checksum(address)), "eth_getCode"))

    def eth_balance(self, address: AddressLike) -> int:
        return self.retry(lambda: self.w3.eth.get_balance(checksum(address)), "eth_getBalance")

    @staticmethod
    def account(key: str | LocalAccount) -> LocalAccount:
        return key if isinstance(key, LocalAccount) else Account.from_key(key)

    # -- calls -----------------------------------------------------------------------------------
    def call(self, to: AddressLike, data: bytes, *, abi: ContractABI | None = None, sender: AddressLike | None = None,
             block: int | str = "latest", what: str = "eth_call") -> bytes:
        tx: dict[str, Any] = {"to": checksum(to), "data": "0x" + data.hex()}
        if sender is not None:
            tx["from"] = checksum(sender)

        def go() -> bytes:
            try:
                return bytes(self.w3.eth.call(tx, block))  # type: ignore[arg-type]
            except ContractLogicError as exc:
                raise Revert(what, self.registry.decode_error(revert_data(exc) or b"", abi)) from exc
        return self.retry(go, what)

    def estimate_gas(self, tx: dict, *, abi: ContractABI | None, what: str) -> int:
        def go() -> int:
            try:
                # against the pending block: the context the transaction will run in (anvil's
                # default is the latest block, where e.g. a reveal right after its commit is too early)
                return int(self.w3.eth.estimate_gas(tx, "pending"))  # type: ignore[arg-type]
            except ContractLogicError as exc:
                raise Revert(what, self.registry.decode_error(revert_data(exc) or b"", abi)) from exc
        return self.retry(go, f"estimateGas {what}")

    # -- transactions ----------------------------------------------------------------------------
    def nonce(self, address: AddressLike) -> int:
        return self.retry(lambda: self.w3.eth.get_transaction_count(checksum(address), "pending"),
                          "eth_getTransactionCount")

    def sign(self, account: LocalAccount, to: AddressLike | None, data: bytes, *, gas: int | None = None,
             value: int = 0, nonce: int | None = None, abi: ContractABI | None = None, what: str = "transaction",
             gas_margin: float = 1.25) -> tuple[str, bytes, dict]:
        """Build and sign a transaction: returns (tx hash, raw signed bytes, the tx dict). Estimating
        the gas runs the call first: a revert raises `Revert` here and nothing is signed."""
        tx: dict[str, Any] = {"from": account.address, "data": "0x" + data.hex(), "value": value,
                              "chainId": self.chain_id}
        if to is not None:
            tx["to"] = checksum(to)
        if gas is None:
            gas = int(self.estimate_gas(tx, abi=abi, what=what) * gas_margin) + 10_000
        tx["gas"] = gas
        tx.update(self.fees())
        tx["nonce"] = self.nonce(account.address) if nonce is None else nonce
        signed = account.sign_transaction(tx)
        return "0x" + bytes(signed.hash).hex(), bytes(signed.raw_transaction), tx

    def fees(self) -> dict[str, int]:
        """EIP-1559 fees: the node's suggested tip, and a fee cap of twice the latest base fee plus
        the tip (what web3 does; paying exactly the suggestion keeps the node's oracle stable)."""
        def go() -> dict[str, int]:
            base = self.w3.eth.get_block("latest").get("baseFeePerGas")
            if base is None:  # a pre-London node
                return {"gasPrice": int(self.w3.eth.gas_price)}
            try:
                tip = int(self.w3.eth.max_priority_fee)
            except Web3RPCError:
                tip = 10**9
            return {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * int(base) + tip}
        return self.retry(go, "fees")

    def broadcast(self, raw: bytes, tx_hash: str, what: str = "transaction") -> None:
        """Send signed bytes. A node that already has the transaction ("already known") or has mined it
        (nonce too low, and a receipt for this hash exists) counts as sent."""
        def go() -> None:
            try:
                self.w3.eth.send_raw_transaction(raw)
            except Web3RPCError as exc:
                msg = str(exc).lower()
                if "already known" in msg or "already imported" in msg:
                    return
                if "nonce too low" in msg and self.receipt(tx_hash) is not None:
                    return
                raise
        self.retry(go, f"send {what}")

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a mined transaction, None while it is pending or unknown."""
        def go() -> Any:
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None
        r = self.retry(go, "eth_getTransactionReceipt")
        if r is None:
            return None
        events = self.registry.decode_logs(_RawLog.of(log) for log in r["logs"])
        return Receipt("0x" + bytes(r["transactionHash"]).hex(), r["blockNumber"], r["status"], r["gasUsed"], events, r)

    def known(self, tx_hash: str) -> bool:
        """Whether the node knows the transaction (pending or mined)."""
        def go() -> bool:
            try:
                self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
                return True
            except TransactionNotFound:
                return False
        return self.retry(go, "eth_getTransactionByHash")

    def wait(self, tx_hash: str, what: str = "transaction", timeout: float | None = None) -> Receipt:
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        while True:
            r = self.receipt(tx_hash)
            if r is not None:
                return r
            if time.monotonic() > deadline:
                raise TimeExhausted(f"{what} {tx_hash} not mined within the timeout")
            time.sleep(self.poll)

    def transact(self, account: LocalAccount, to: AddressLike | None, data: bytes, *, abi: ContractABI | None = None,
                 what: str = "transaction", gas: int | None = None, value: int = 0,
                 on_signed: Callable[[str, bytes], None] | None = None, check: bool = True) -> Receipt:
        """Sign, (let `on_signed(hash, raw)` persist it), send, wait for the receipt. A failed receipt
        raises `Revert` (decoded by re-running the call at the parent block) unless check=False."""
        tx_hash, raw, tx = self.sign(account, to, data, gas=gas, value=value, abi=abi, what=what)
        if on_signed is not None:
            on_signed(tx_hash, raw)
        self.broadcast(raw, tx_hash, what)
        rec = self.wait(tx_hash, what)
        if check and rec.status != 1:
            raise Revert(what, self.failure_reason(tx, rec, abi), rec)
        return rec

    def failure_reason(self, tx: dict, rec: Receipt, abi: ContractABI | None) -> DecodedError:
        """Why a mined transaction failed: the same call replayed on the parent block's state."""
        call = {k: tx[k] for k in ("from", "to", "data", "value") if k in tx}
        try:
            self.w3.eth.call(call, rec.block_number - 1)  # type: ignore[arg-type]
        except ContractLogicError as exc:
            return self.registry.decode_error(revert_data(exc) or b"", abi)
        except Exception:  # noqa: BLE001
            pass
        return DecodedError(None, ())

    def deploy(self, account: LocalAccount, bytecode: bytes, *, abi: ContractABI | None = None,
               what: str = "deployment", gas: int | None = None) -> tuple[int, Receipt]:
        rec = self.transact(account, None, bytecode, abi=abi, what=what, gas=gas)
        addr = rec.raw["contractAddress"]
        if not addr:
            raise SDKError(f"{what}: no contract address in the receipt")
        return int(addr, 16), rec


@dataclass(frozen=True)
class _RawLog:
    address: int
    topics: tuple[int, ...]
    data: bytes

    @classmethod
    def of(cls, log: Any) -> "_RawLog":
        return cls(int(log["address"], 16), tuple(int.from_bytes(bytes(t), "big") for t in log["topics"]),
                   bytes(log["data"]))
