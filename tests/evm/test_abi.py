"""ContractABI and ABIRegistry on hand-written ABIs (no engine, no compiler)."""

from __future__ import annotations

import eth_abi
import pytest
from eth_utils import keccak

from specs.errors import EngineError
from harness.evm.abi import ABIRegistry, ContractABI, DecodedError, DecodedEvent
from harness.evm.engine import RawLog

ABI = [
    {"type": "constructor", "inputs": [{"name": "start", "type": "uint256"}, {"name": "owner", "type": "address"}]},
    {
        "type": "function", "name": "add", "stateMutability": "nonpayable",
        "inputs": [{"name": "x", "type": "uint256"}], "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function", "name": "add", "stateMutability": "nonpayable",
        "inputs": [{"name": "x", "type": "uint256"}, {"name": "y", "type": "uint256"}],
        "outputs": [{"name": "", "type": "uint256"}],
    },
    {
        "type": "function", "name": "owner", "stateMutability": "view", "inputs": [],
        "outputs": [{"name": "", "type": "address"}],
    },
    {
        "type": "function", "name": "pairs", "stateMutability": "view",
        "inputs": [{"name": "who", "type": "address[]"}],
        "outputs": [{
            "name": "", "type": "tuple[]",
            "components": [{"name": "a", "type": "address"}, {"name": "v", "type": "int128"}],
        }],
    },
    {
        "type": "error", "name": "TooLarge",
        "inputs": [{"name": "value", "type": "uint256"}, {"name": "caller", "type": "address"}],
    },
    {
        "type": "event", "name": "Noted", "anonymous": False,
        "inputs": [
            {"name": "tag", "type": "string", "indexed": True},
            {"name": "id", "type": "bytes32", "indexed": True},
            {"name": "who", "type": "address", "indexed": False},
            {"name": "values", "type": "uint256[]", "indexed": False},
            {"name": "from", "type": "address", "indexed": True},
        ],
    },
]

TOKEN_ABI = [
    {
        "type": "event", "name": "Transfer", "anonymous": False,
        "inputs": [
            {"name": "from", "type": "address", "indexed": True},
            {"name": "to", "type": "address", "indexed": True},
            {"name": "value", "type": "uint256", "indexed": False},
        ],
    },
    {"type": "error", "name": "Empty", "inputs": []},
]

ALICE = 0xA11CE


def word(v: int) -> bytes:
    return v.to_bytes(32, "big")


def test_encode_call_with_selector_and_int_addresses():
    abi = ContractABI(ABI)
    data = abi.encode_call("pairs", [[ALICE, 2]])
    assert data[:4] == keccak(text="pairs(address[])")[:4]
    assert eth_abi.decode(["address[]"], data[4:]) == ((f"0x{ALICE:040x}", "0x" + "00" * 19 + "02"),)


def test_overloads_resolve_by_signature_or_argument_count():
    abi = ContractABI(ABI)
    assert abi.encode_call("add(uint256,uint256)", [1, 2])[:4] == keccak(text="add(uint256,uint256)")[:4]
    assert abi.encode_call("add", [1])[:4] == keccak(text="add(uint256)")[:4]
    assert abi.encode_call("add", [1, 2]) == abi.encode_call("add(uint256,uint256)", [1, 2])


def test_unknown_function_and_bad_arguments_raise_engine_error():
    abi = ContractABI(ABI)
    with pytest.raises(EngineError):
        abi.encode_call("nope", [])
    with pytest.raises(EngineError):
        abi.encode_call("add(uint256)", [-1])
    with pytest.raises(EngineError):
        abi.encode_call("owner", [1])


def test_encode_constructor_and_decode_outputs():
    abi = ContractABI(ABI)
    assert abi.encode_constructor([5, ALICE]) == word(5) + word(ALICE)
    assert abi.decode_output("owner", word(ALICE)) == (ALICE,)
    encoded = eth_abi.encode(["(address,int128)[]"], [[(f"0x{ALICE:040x}", -3)]])
    assert abi.decode_output("pairs", encoded) == (((ALICE, -3),),)


def test_decode_error_custom_string_panic_bare_and_unknown():
    abi = ContractABI(ABI)
    custom = keccak(text="TooLarge(uint256,address)")[:4] + word(7) + word(ALICE)
    assert abi.decode_error(custom) == DecodedError("TooLarge", (7, ALICE))
    string = keccak(text="Error(string)")[:4] + eth_abi.encode(["string"], ["nope"])
    assert abi.decode_error(string) == DecodedError("Error", ("nope",))
    panic = keccak(text="Panic(uint256)")[:4] + word(0x11)
    assert abi.decode_error(panic) == DecodedError("Panic", (0x11,))
    assert abi.decode_error(b"") == DecodedError(None, ())
    assert abi.decode_error(b"\xde\xad\xbe\xef\x01") == DecodedError("<unknown 0xdeadbeef>", ("0xdeadbeef01",))


def test_decode_log_merges_indexed_and_plain_args_in_abi_order():
    abi = ContractABI(ABI)
    topic0 = keccak(text="Noted(string,bytes32,address,uint256[],address)")
    tag_hash = keccak(text="hello")
    topics = [topic0, tag_hash, b"\x01" * 32, int.from_bytes(word(0xB0B), "big")]
    data = eth_abi.encode(["address", "uint256[]"], [f"0x{ALICE:040x}", [1, 2]])
    ev = abi.decode_log(topics, data, address=0xC0)
    assert ev == DecodedEvent(0xC0, "Noted", (tag_hash, b"\x01" * 32, ALICE, (1, 2), 0xB0B))
    assert ev.names == ("tag", "id", "who", "values", "from")


def test_decode_log_returns_none_for_unknown_event():
    abi = ContractABI(ABI)
    assert abi.decode_log([keccak(text="Other()")], b"") is None
    assert abi.decode_log([], b"") is None


def test_registry_decodes_each_log_by_emitting_address_and_bubbled_errors():
    counter, token = ContractABI(ABI), ContractABI(TOKEN_ABI)
    reg = ABIRegistry()
    reg.register(0xC0, counter)
    reg.register(0x70, token)
    transfer = RawLog(0x70, (int.from_bytes(keccak(text="Transfer(address,address,uint256)"), "big"), 0, ALICE), word(9))
    stray = RawLog(0x99, (1,), b"")
    events = reg.decode_logs([transfer, stray])
    assert events[0] == DecodedEvent(0x70, "Transfer", (0, ALICE, 9))
    assert events[1].name.startswith("<unknown 0x")
    empty = keccak(text="Empty()")[:4]
    assert reg.decode_error(empty, preferred=counter) == DecodedError("Empty", ())


def test_merge_keeps_entries_of_all_abis():
    merged = ContractABI.merge(ContractABI(ABI), TOKEN_ABI)
    assert merged.constructor_inputs == ("uint256", "address")
    topic0 = keccak(text="Transfer(address,address,uint256)")
    assert merged.decode_log([topic0, word(1), word(2)], word(3)).args == (1, 2, 3)
    assert merged.decode_error(keccak(text="Empty()")[:4]) == DecodedError("Empty", ())
