"""ABI encoding and decoding for calls, return values, custom errors and events.

Values follow the workbench conventions in both directions:
- addresses are Python ints (0 <= a < 2**160); on input an address may also be given as a
  hex string or as 20 bytes;
- `bytesN` and `bytes` are `bytes`, `string` is `str`, integers are ints, `bool` is bool;
- arrays and structs are tuples (so decoded values are hashable and comparable).

`ContractABI` is built from one solc ABI list, or from several merged together
(`ContractABI.merge`). `ABIRegistry` maps emitting addresses to ABIs so that every log of a call
(which may come from other contracts than the one called) is decoded with the right ABI.

Errors in the use of an ABI (unknown function, wrong arguments) raise `EngineError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import eth_abi
from eth_abi.exceptions import DecodingError, EncodingError
from eth_abi.grammar import ABIType, TupleType, parse
from eth_utils import keccak

from specs.errors import EngineError

ERROR_STRING_SELECTOR = keccak(text="Error(string)")[:4]
PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]

# Solidity's Panic(uint256) codes, for readable reports.
PANIC_CODES = {
    0x00: "generic compiler panic",
    0x01: "assert(false)",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array encoding",
    0x31: "pop() on an empty array",
    0x32: "array index out of bounds",
    0x41: "too much memory allocated",
    0x51: "call to a zero-initialized internal function",
}


@dataclass(frozen=True)
class DecodedError:
    """Revert data, decoded. `name` is None for a bare revert (no data), "Error" for a require
    string, "Panic" for a panic code, the custom error's name, or "<unknown 0x12345678>" (then
    `args` is the raw revert data as one hex string)."""

    name: str | None
    args: tuple
    names: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        if self.name is None:
            return "revert()"
        return f"{self.name}({', '.join(_show(a) for a in self.args)})"


@dataclass(frozen=True)
class DecodedEvent:
    """One log, decoded: emitting address, event name and its parameters in ABI order (indexed
    dynamic parameters are only available as their 32-byte keccak hash)."""

    address: int
    name: str
    args: tuple
    names: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.name}({', '.join(_show(a) for a in self.args)}) @0x{self.address:040x}"


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value)


# ---------------------------------------------------------------------------
# Types: canonical strings and value normalization
# ---------------------------------------------------------------------------


def canonical_type(param: Mapping[str, Any]) -> str:
    """The canonical ABI type of one ABI parameter ("tuple[]" with components -> "(uint256,address)[]")."""
    typ = param["type"]
    if typ.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in param.get("components", []))
        return f"({inner}){typ[len('tuple'):]}"
    return typ


def _to_address_int(value: Any) -> int:
    if isinstance(value, bool):
        raise EngineError(f"expected an address, got {value!r}")
    if isinstance(value, int):
        a = value
    elif isinstance(value, (bytes, bytearray)):
        if len(value) != 20:
            raise EngineError(f"an address as bytes must have 20 bytes, got {len(value)}")
        a = int.from_bytes(value, "big")
    elif isinstance(value, str):
        text = value[2:] if value[:2].lower() == "0x" else value
        if len(text) != 40:
            raise EngineError(f"an address as hex must have 40 digits, got {value!r}")
        a = int(text, 16)
    else:
        raise EngineError(f"expected an address, got {value!r}")
    if not 0 <= a < 2**160:
        raise EngineError(f"address out of range: {a:#x}")
    return a


def _for_encoding(typ: ABIType, value: Any) -> Any:
    """Turn workbench values into what eth_abi encodes (addresses -> 20 bytes, tuples -> lists)."""
    if typ.is_array:
        item = typ.item_type
        return [_for_encoding(item, v) for v in value]
    if isinstance(typ, TupleType):
        if len(value) != len(typ.components):
            raise EngineError(f"tuple {typ.to_type_str()} needs {len(typ.components)} values, got {len(value)}")
        return tuple(_for_encoding(c, v) for c, v in zip(typ.components, value))
    if typ.base == "address":
        return _to_address_int(value).to_bytes(20, "big")
    if typ.base == "bytes" and typ.sub is None and isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return value


def _from_decoding(typ: ABIType, value: Any) -> Any:
    """Turn what eth_abi decodes into workbench values (addresses -> int, arrays -> tuples)."""
    if typ.is_array:
        item = typ.item_type
        return tuple(_from_decoding(item, v) for v in value)
    if isinstance(typ, TupleType):
        return tuple(_from_decoding(c, v) for c, v in zip(typ.components, value))
    if typ.base == "address":
        return int(value, 16)
    return value


@lru_cache(maxsize=None)
def _parse(typ: str) -> ABIType:
    return parse(typ)


@lru_cache(maxsize=None)
def _word_decoder(typ: str) -> Callable[[bytes], Any] | None:
    """A direct decoder for one 32-byte word of a static elementary type, or None. Each decoder
    returns None when the word is not canonically padded (eth_abi then reports the error)."""
    t = _parse(typ)
    if t.is_array or isinstance(t, TupleType):
        return None
    if t.base == "uint":
        limit = 1 << t.sub
        return lambda w: v if (v := int.from_bytes(w, "big")) < limit else None
    if t.base == "int":
        bits = t.sub
        def dec_int(w: bytes) -> int | None:
            v = int.from_bytes(w, "big", signed=True)
            return v if -(1 << (bits - 1)) <= v < (1 << (bits - 1)) else None
        return dec_int
    if t.base == "address":
        return lambda w: int.from_bytes(w, "big") if not any(w[:12]) else None
    if t.base == "bool":
        return lambda w: (w[31] == 1) if not any(w[:31]) and w[31] <= 1 else None
    if t.base == "bytes" and t.sub is not None:
        n = t.sub
        return lambda w: w[:n] if not any(w[n:]) else None
    return None


def encode_values(types: Sequence[str], values: Sequence[Any]) -> bytes:
    if len(types) != len(values):
        raise EngineError(f"expected {len(types)} argument(s) ({', '.join(types)}), got {len(values)}")
    parsed = [_parse(t) for t in types]
    try:
        return eth_abi.encode(list(types), [_for_encoding(p, v) for p, v in zip(parsed, values)])
    except (EncodingError, TypeError, ValueError, OverflowError) as exc:
        raise EngineError(f"cannot encode {tuple(values)!r} as ({', '.join(types)}): {exc}") from exc


def decode_values(types: Sequence[str], data: bytes) -> tuple:
    data = bytes(data)
    decoders = [_word_decoder(t) for t in types]
    if None not in decoders and len(data) == 32 * len(types):
        out = tuple(d(data[32 * i : 32 * i + 32]) for i, d in enumerate(decoders))
        if None not in out:
            return out
    parsed = [_parse(t) for t in types]
    raw = eth_abi.decode(list(types), data)
    return tuple(_from_decoding(p, v) for p, v in zip(parsed, raw))


# ---------------------------------------------------------------------------
# ABI entries
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionABI:
    name: str
    signature: str  # "transfer(address,uint256)"
    selector: bytes
    inputs: tuple[str, ...]
    input_names: tuple[str, ...]
    outputs: tuple[str, ...]
    output_names: tuple[str, ...]
    mutability: str


@dataclass(frozen=True)
class ErrorABI:
    name: str
    signature: str
    selector: bytes
    inputs: tuple[str, ...]
    input_names: tuple[str, ...]


@dataclass(frozen=True)
class EventABI:
    name: str
    signature: str
    topic0: bytes
    inputs: tuple[str, ...]
    input_names: tuple[str, ...]
    indexed: tuple[bool, ...]
    anonymous: bool


def _params(entry: Mapping[str, Any], key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    params = entry.get(key, [])
    return tuple(canonical_type(p) for p in params), tuple(p.get("name", "") for p in params)


class ContractABI:
    """Calls, constructor, errors and events of one contract (or of several merged ABIs)."""

    def __init__(self, abi: Iterable[Mapping[str, Any]]):
        self.entries: list[dict] = [dict(e) for e in abi]
        self.functions: dict[str, FunctionABI] = {}  # by signature
        self._by_name: dict[str, list[FunctionABI]] = {}
        self.errors: dict[bytes, ErrorABI] = {}  # by selector
        self.events: dict[bytes, EventABI] = {}  # by topic0 (anonymous events are not decodable)
        self.constructor_inputs: tuple[str, ...] = ()
        self._call_cache: dict[tuple, bytes] = {}  # (name, args) -> calldata; encoding is a pure function
        for entry in self.entries:
            kind = entry.get("type", "function")
            if kind == "function":
                ins, in_names = _params(entry, "inputs")
                outs, out_names = _params(entry, "outputs")
                sig = f"{entry['name']}({','.join(ins)})"
                fn = FunctionABI(
                    entry["name"], sig, keccak(text=sig)[:4], ins, in_names, outs, out_names,
                    entry.get("stateMutability", "nonpayable"),
                )
                if sig not in self.functions:
                    self.functions[sig] = fn
                    self._by_name.setdefault(fn.name, []).append(fn)
            elif kind == "constructor":
                self.constructor_inputs, _ = _params(entry, "inputs")
            elif kind == "error":
                ins, names = _params(entry, "inputs")
                sig = f"{entry['name']}({','.join(ins)})"
                self.errors.setdefault(keccak(text=sig)[:4], ErrorABI(entry["name"], sig, keccak(text=sig)[:4], ins, names))
            elif kind == "event":
                ins, names = _params(entry, "inputs")
                sig = f"{entry['name']}({','.join(ins)})"
                ev = EventABI(
                    entry["name"], sig, keccak(text=sig), ins, names,
                    tuple(bool(p.get("indexed")) for p in entry.get("inputs", [])),
                    bool(entry.get("anonymous")),
                )
                if not ev.anonymous:
                    self.events.setdefault(ev.topic0, ev)

    @classmethod
    def merge(cls, *abis: "ContractABI | Iterable[Mapping[str, Any]]") -> "ContractABI":
        """One ABI holding the entries of all given ABIs (first one wins on identical signatures;
        the constructor is the first one's)."""
        entries: list[dict] = []
        for abi in abis:
            entries.extend(abi.entries if isinstance(abi, ContractABI) else abi)
        ctors = [e for e in entries if e.get("type") == "constructor"]
        entries = [e for e in entries if e.get("type") != "constructor"] + ctors[:1]
        return cls(entries)

    # -- functions ---------------------------------------------------------

    def function(self, fn: str, n_args: int | None = None) -> FunctionABI:
        """Look up a function by full signature ("f(uint256)") or by name; an overloaded name is
        resolved by argument count when that is unambiguous."""
        if "(" in fn:
            sig = fn.replace(" ", "")
            if sig not in self.functions:
                raise EngineError(f"no function {sig} in ABI")
            return self.functions[sig]
        cands = self._by_name.get(fn, [])
        if not cands:
            raise EngineError(f"no function named {fn!r} in ABI")
        if len(cands) > 1 and n_args is not None:
            cands = [c for c in cands if len(c.inputs) == n_args] or cands
        if len(cands) > 1:
            raise EngineError(
                f"function {fn!r} is overloaded ({', '.join(c.signature for c in cands)}): "
                "call it by full signature"
            )
        return cands[0]

    def encode_call(self, fn_name: str, args: Sequence[Any] = ()) -> bytes:
        key = (fn_name, tuple(args), tuple(type(a) for a in args))  # True and 1 are equal, not the same argument
        try:
            hit = self._call_cache.get(key)
        except TypeError:  # unhashable arguments (lists): not cached
            key, hit = None, None
        if hit is not None:
            return hit
        fn = self.function(fn_name, len(args))
        data = fn.selector + encode_values(fn.inputs, args)
        if key is not None:
            if len(self._call_cache) >= 4096:  # the fuzzer's comparisons repeat a few thousand view calls
                self._call_cache.clear()
            self._call_cache[key] = data
        return data

    def encode_constructor(self, args: Sequence[Any] = ()) -> bytes:
        return encode_values(self.constructor_inputs, args)

    def decode_output(self, fn_name: str, data: bytes) -> tuple:
        fn = self.function(fn_name)
        try:
            return decode_values(fn.outputs, data)
        except DecodingError as exc:
            raise EngineError(f"cannot decode output of {fn.signature} from 0x{bytes(data).hex()}: {exc}") from exc

    # -- errors ------------------------------------------------------------

    def decode_error(self, data: bytes) -> DecodedError | None:
        """Decode revert data: bare revert, Error(string), Panic(uint256) or a declared custom error.
        Data with an unknown selector (or that does not decode) gives "<unknown 0x...>"."""
        data = bytes(data)
        if not data:
            return DecodedError(None, ())
        sel = data[:4]
        try:
            if sel == ERROR_STRING_SELECTOR:
                return DecodedError("Error", decode_values(["string"], data[4:]), ("message",))
            if sel == PANIC_SELECTOR:
                return DecodedError("Panic", decode_values(["uint256"], data[4:]), ("code",))
            err = self.errors.get(sel)
            if err is not None:
                return DecodedError(err.name, decode_values(err.inputs, data[4:]), err.input_names)
        except DecodingError:
            pass
        return unknown_error(data)

    def knows_error(self, data: bytes) -> bool:
        data = bytes(data)
        return len(data) < 4 or data[:4] in (ERROR_STRING_SELECTOR, PANIC_SELECTOR) or data[:4] in self.errors

    # -- events ------------------------------------------------------------

    def decode_log(self, topics: Sequence[bytes | int], data: bytes, address: int = 0) -> DecodedEvent | None:
        """Decode one log of an event declared in this ABI; None for an unknown event."""
        if not topics:
            return None
        topics_b = [t.to_bytes(32, "big") if isinstance(t, int) else bytes(t) for t in topics]
        ev = self.events.get(topics_b[0])
        if ev is None or len(topics_b) - 1 != sum(ev.indexed):
            return None
        data_types = [t for t, ix in zip(ev.inputs, ev.indexed) if not ix]
        try:
            plain = iter(decode_values(data_types, data))
            indexed = iter(topics_b[1:])
            args = []
            for typ, ix in zip(ev.inputs, ev.indexed):
                if not ix:
                    args.append(next(plain))
                    continue
                topic = next(indexed)
                parsed = _parse(typ)
                if parsed.is_dynamic or parsed.is_array or isinstance(parsed, TupleType):
                    args.append(topic)  # only the keccak hash of the value is logged
                else:
                    args.append(decode_values([typ], topic)[0])
        except DecodingError:
            return None
        return DecodedEvent(address, ev.name, tuple(args), ev.input_names)


def unknown_error(data: bytes) -> DecodedError:
    data = bytes(data)
    return DecodedError(f"<unknown 0x{data[:4].hex()}>", ("0x" + data.hex(),))


def unknown_event(address: int, topics: Sequence[int], data: bytes) -> DecodedEvent:
    """Placeholder for a log no registered ABI decodes, so that no log is silently dropped."""
    head = f"0x{topics[0]:064x}" if topics else "anonymous"
    return DecodedEvent(address, f"<unknown {head}>", tuple(f"0x{t:064x}" for t in topics) + ("0x" + bytes(data).hex(),))


class ABIRegistry:
    """Emitting address -> ContractABI, to decode every log of a call by the contract that emitted
    it, and to decode revert data that bubbled up from a callee."""

    def __init__(self, fallback: ContractABI | None = None):
        self._by_address: dict[int, ContractABI] = {}
        self.fallback = fallback

    def register(self, address: int, abi: ContractABI) -> None:
        self._by_address[_to_address_int(address)] = abi

    def get(self, address: int) -> ContractABI | None:
        return self._by_address.get(address, self.fallback)

    def __contains__(self, address: int) -> bool:
        return address in self._by_address

    def decode_log(self, address: int, topics: Sequence[bytes | int], data: bytes) -> DecodedEvent | None:
        abi = self.get(address)
        return abi.decode_log(topics, data, address) if abi is not None else None

    def decode_logs(self, logs: Iterable[Any]) -> tuple[DecodedEvent, ...]:
        """Decode RawLogs (objects with .address, .topics, .data); undecodable ones become
        `unknown_event` placeholders."""
        out = []
        for log in logs:
            ev = self.decode_log(log.address, log.topics, log.data)
            out.append(ev if ev is not None else unknown_event(log.address, log.topics, log.data))
        return tuple(out)

    def decode_error(self, data: bytes, preferred: ContractABI | None = None) -> DecodedError:
        """Decode revert data with `preferred` first, then with any registered ABI that declares the
        selector (a custom error of a callee bubbles up unchanged through its caller)."""
        for abi in ([preferred] if preferred is not None else []) + list(self._by_address.values()) + (
            [self.fallback] if self.fallback is not None else []
        ):
            if abi.knows_error(data):
                return abi.decode_error(data)
        return (preferred or ContractABI([])).decode_error(data)
