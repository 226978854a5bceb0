"""The simulated chain: the reference models of `specs/` (the whole suite and the Superfluid GDA
models in one World, `specs.bpe.system.build_system`), driven only through `World.transact`.

Every state change of a run is a transaction on the models, recorded as a step in the fuzzer's JSON
format (`{"op": "call", "contract", "function", "sender", "args"}` / `{"op": "advance", ...}`), so a
run's log replays on the models (tests) and on an EVM (gas figures, `harness/sim/bpe/gas.py`) unchanged.
Reads for metrics are direct storage reads (no transaction, no clone).
"""

from __future__ import annotations

from typing import Any

from harness.fuzz.differential import model_args
from invariants.bpe.capacity_registry import protocol_commit_hash
from specs.kernel import U256, Address, Bytes32, Msg, Outcome
from specs.bpe.system import GOVERNANCE, SUPERFLUID, System, build_system

E18 = 10**18
MAX = 2**256 - 1
UNBOUNDED = 2**255  # "no B_max": far above anything a run deposits
KEEPER = 0x4EE9000000000000000000000000000000005100


def sink_address(i: int) -> int:
    return 0x51AC000000000000000000000000000000000000 + i + 1


def source_address(i: int) -> int:
    return 0x50CE000000000000000000000000000000000000 + i + 1


def task_id(name: str) -> str:
    """A task type id: the name's bytes, left-aligned in a bytes32 (nonzero for a nonempty name)."""
    raw = name.encode()
    if not 0 < len(raw) <= 32:
        raise ValueError(f"task type name {name!r}: 1 to 32 bytes")
    return "0x" + raw.ljust(32, b"\0").hex()


def nonce_for(sink: int, round_: int) -> bytes:
    return (sink.to_bytes(20, "big") + round_.to_bytes(12, "big"))


def call(contract: str, function: str, sender: int, *args: Any) -> dict:
    return {"op": "call", "contract": contract, "function": function, "sender": sender, "args": list(args)}


class Chain:
    """A System of models plus the run's transaction log."""

    def __init__(self, system: System | None = None, *, record: bool = True):
        self.system = system or build_system()
        self.world = self.system.world
        self.log: list[dict] = []
        self.oks: list[bool | None] = []  # per logged step: the model's outcome (None for an advance)
        self.record = record
        self.transactions = 0
        self.reverts: dict[str, int] = {}
        a = self.system.addrs
        self.reg = a["CapacityRegistry"]
        self.bp = a["BackpressurePool"]
        self.eb = a["EscrowBuffer"]
        self.pl = a["Pipeline"]
        self.sm = a["StakeManager"]

    # -- transactions --------------------------------------------------------------------------
    def do(self, step: dict) -> Outcome | None:
        if self.record:
            self.log.append(step)
        if step["op"] == "advance":
            if self.record:
                self.oks.append(None)
            self.world.block.number += step["blocks"]
            self.world.block.timestamp += step["seconds"]
            return None
        name, fn_name = step["contract"], step["function"]
        fn = getattr(self.system.models[name], fn_name)
        out = self.world.transact(self.system.address_of(name), fn_name, Msg(Address(step["sender"])),
                                  *model_args(fn, step["args"]))
        self.transactions += 1
        if self.record:
            self.oks.append(out.ok)
        if not out.ok:
            k = f"{name}.{fn_name}: {out.error.abi_name()}"
            self.reverts[k] = self.reverts.get(k, 0) + 1
        return out

    def call(self, contract: str, function: str, sender: int, *args: Any) -> Outcome:
        out = self.do(call(contract, function, sender, *args))
        assert out is not None
        return out

    def must(self, contract: str, function: str, sender: int, *args: Any) -> Outcome:
        out = self.call(contract, function, sender, *args)
        if not out.ok:
            raise RuntimeError(f"set-up call {contract}.{function}{tuple(args)} reverted: {out.error}")
        return out

    def advance(self, blocks: int, seconds: int) -> None:
        self.do({"op": "advance", "blocks": blocks, "seconds": seconds})

    # -- reads (no transaction) -------------------------------------------------------------------
    def c(self, addr: int) -> Any:
        return self.world.contracts[addr]

    def buffer_level(self, t: str) -> int:
        return self.c(self.eb).levels[Bytes32(bytes.fromhex(t[2:]))].v

    def pool_of(self, t: str) -> int:
        return self.c(self.bp).pools[Bytes32(bytes.fromhex(t[2:]))].v

    def units(self, t: str, sink: int) -> int:
        pool = self.pool_of(t)
        return self.c(pool).getUnits(None, Address(sink)).v if pool else 0

    def smoothed(self, t: str, sink: int) -> int:
        return self.c(self.reg)._smoothed[Bytes32(bytes.fromhex(t[2:]))][Address(sink)].v

    def needs_rebalance(self, t: str) -> bool:
        return bool(self.world.view(self.bp, "needsRebalance", Bytes32(bytes.fromhex(t[2:])), clone=False).returned)

    def drainable(self, t: str) -> int:
        return self.world.view(self.eb, "drainable", Bytes32(bytes.fromhex(t[2:])), clone=False).returned.v

    def cap_of(self, sink: int) -> int:
        return self.c(self.sm).getCapacityCap(None, Address(sink)).v

    def commit_hash(self, sink: int, t: str, capacity: int, nonce: bytes) -> str:
        """The hash an agent commits, by PROTOCOL.md section 4's rule (as the invariants state it)."""
        h = protocol_commit_hash(Address(sink), Bytes32(bytes.fromhex(t[2:])), U256(capacity), Bytes32(nonce),
                                 Address(self.reg))
        return "0x" + h.to_bytes().hex()

    def state(self) -> dict:
        """Every model's storage, as plain data (what the tests compare)."""
        out = {}
        for addr, c in sorted(self.world.contracts.items()):
            fields = {}
            for f in c.storage_fields():
                v = getattr(c, f.name)
                fields[f.name] = v.items() if hasattr(v, "items") and hasattr(v, "store") else repr(v)
            out[addr] = fields
        return {"block": (self.world.block.number, self.world.block.timestamp), "contracts": out}


GOV = GOVERNANCE
SUPER_TOKEN = SUPERFLUID["SuperToken"]
