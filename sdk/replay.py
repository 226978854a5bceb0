"""What the reference models predict for a deployment: replay the node's transactions on them.

`build_model(dep, chain)` builds the model world (`specs/`) with the deployment's addresses: the
Superfluid models at the framework's addresses (`specs.bpe.superfluid.build_superfluid_world`, with the
GDA's account nonce read from the node, since pool addresses derive from it), then the suite's models
constructed with the same arguments as on chain, starting at the deployment's last block.

`replay(chain, dep, model, from_block, to_block)` decodes every transaction of those blocks, runs it
on the models (`world.transact`) with the block's number and timestamp, and compares success or
failure and the suite's events with the receipt. Transactions to contracts without a model are
reported in `unmodelled` (a test decides whether that is acceptable).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from harness.evm.abi import ContractABI, decode_values
from harness.fuzz.differential import model_value, params_of, plain
from sdk.chain import Chain, checksum, to_int_address
from sdk.deploy import SUITE, Deployment
from specs.bpe import superfluid as sf
from specs.kernel import Address, Block, Msg, World
from specs.bpe.system import DEPLOYMENTS, SUPERFLUID_CALLABLE, System

MODELLED = ("TestToken",) + SUITE + SUPERFLUID_CALLABLE  # callable by name in a replay


def build_model(dep: Deployment, chain: Chain) -> System:
    """The model world at the state right after `deploy` (block `dep.block`)."""
    block = chain.block(dep.block)
    world = World()
    world.block = Block(block["number"], block["timestamp"])
    c = {k: to_int_address(v) for k, v in dep.contracts.items()}
    gda_nonce = chain.retry(lambda: chain.w3.eth.get_transaction_count(checksum(c["GDA"]), dep.block),
                            "eth_getTransactionCount")
    sf.build_superfluid_world(sf.SuperfluidAddresses(gda=c["GDA"], forwarder=c["GDAv1Forwarder"],
                                                     super_token=c["SuperToken"], underlying=c["SuperTokenUnderlying"],
                                                     gda_nonce=gda_nonce), world)
    models: dict[str, type] = {}
    externals: dict[str, int] = {}
    for name in SUPERFLUID_CALLABLE:
        externals[name] = c[name]
        models[name] = type(world.contracts[c[name]])
    gov, treas = to_int_address(dep.governance), to_int_address(dep.treasury)
    ctor = {
        "TestToken": (),
        "StakeManager": (c["TestToken"], gov, treas),
        "CapacityRegistry": (c["StakeManager"], gov),
        "BackpressurePool": (c["CapacityRegistry"], c["GDAv1Forwarder"], c["SuperToken"], gov),
        "EscrowBuffer": (c["BackpressurePool"], c["GDAv1Forwarder"], c["SuperToken"], gov),
        "Pipeline": (c["EscrowBuffer"], c["SuperToken"], gov),
    }
    addrs: dict[str, int] = {}
    for d in DEPLOYMENTS:
        args = tuple(Address(a) for a in ctor[d.name])
        instance: Any = d.model.construct(*args) if hasattr(d.model, "construct") else d.model()
        world.deploy(c[d.name], instance)
        addrs[d.name] = c[d.name]
        models[d.name] = d.model
    return System(world, addrs, models, externals)


@dataclass
class ReplayedTx:
    block: int
    timestamp: int
    tx_hash: str
    sender: int
    contract: str
    function: str
    args: tuple
    chain_ok: bool
    model_ok: bool
    model_error: str | None
    chain_events: list[tuple]  # (address, name, args) of suite contracts
    model_events: list[tuple]


@dataclass
class ReplayResult:
    txs: list[ReplayedTx] = field(default_factory=list)
    unmodelled: list[dict] = field(default_factory=list)  # transactions to unknown addresses
    mismatches: list[str] = field(default_factory=list)
    last_block: int = 0
    last_timestamp: int = 0


def _decode_call(abi: ContractABI, data: bytes) -> tuple[str, tuple]:
    sel = data[:4]
    for fn in abi.functions.values():
        if fn.selector == sel:
            return fn.name, decode_values(fn.inputs, data[4:])
    raise KeyError(f"unknown selector 0x{sel.hex()}")


def _norm(v: Any) -> Any:
    """Event values in one form on both sides: bytes as ints, sequences as tuples."""
    if isinstance(v, (bytes, bytearray)):
        return int.from_bytes(v, "big")
    if isinstance(v, (tuple, list)):
        return tuple(_norm(x) for x in v)
    return v


def _suite_events(chain: Chain, receipt: Any, suite: set[int]) -> list[tuple]:
    out = []
    for log in receipt["logs"]:
        a = int(log["address"], 16)
        if a not in suite:
            continue
        ev = chain.registry.decode_log(a, [int.from_bytes(bytes(t), "big") for t in log["topics"]], bytes(log["data"]))
        if ev is not None:
            out.append((a, ev.name, _norm(tuple(ev.args))))
    return out


@contextmanager
def model_chain_id(chain_id: int) -> Iterator[None]:
    """Run the models with block.chainid = chain_id. specs/bpe/capacity_registry.py reads the module
    constant CHAIN_ID (1, the workbench engines' chain) when it computes a commit hash; a node's chain
    (anvil: 31337) needs its own. Restored afterwards."""
    from specs.bpe import capacity_registry

    old = capacity_registry.CHAIN_ID
    capacity_registry.CHAIN_ID = chain_id
    try:
        yield
    finally:
        capacity_registry.CHAIN_ID = old


def replay(chain: Chain, dep: Deployment, model: System, from_block: int, to_block: int,
           before: Callable[[System, dict], None] | None = None) -> ReplayResult:
    """Replay blocks from_block..to_block (inclusive) on `model` (updated in place). `before(model,
    info)` is called before each modelled transaction, with the model's block already set; `info`
    has block, timestamp, tx, sender, contract, function, args."""
    with model_chain_id(chain.chain_id):
        return _replay(chain, dep, model, from_block, to_block, before)


def _replay(chain: Chain, dep: Deployment, model: System, from_block: int, to_block: int,
            before: Callable[[System, dict], None] | None) -> ReplayResult:
    by_addr = {model.address_of(n): n for n in MODELLED}
    abis = {n: ContractABI(dep.abis[n]) for n in MODELLED}
    suite = set(model.addrs.values())
    res = ReplayResult()
    world = model.world
    for number in range(from_block, to_block + 1):
        blk = chain.block(number, full=True)
        res.last_block, res.last_timestamp = number, blk["timestamp"]
        for tx in blk["transactions"]:
            h = "0x" + bytes(tx["hash"]).hex()
            to = tx.get("to")
            if to is None or int(to, 16) not in by_addr:
                res.unmodelled.append({"block": number, "tx": h, "to": to, "from": tx["from"]})
                continue
            name = by_addr[int(to, 16)]
            fn_name, raw_args = _decode_call(abis[name], bytes(tx["input"]))
            fn = getattr(model.models[name], fn_name, None)
            if fn is None:
                res.unmodelled.append({"block": number, "tx": h, "to": to, "function": fn_name})
                continue
            margs = tuple(model_value(t, a) for (_, t), a in zip(params_of(fn), raw_args))
            world.block = Block(number, blk["timestamp"])
            if before is not None:
                before(model, {"block": number, "timestamp": blk["timestamp"], "tx": h, "sender": int(tx["from"], 16),
                               "contract": name, "function": fn_name, "args": tuple(raw_args)})
            out = world.transact(model.address_of(name), fn_name, Msg(Address(int(tx["from"], 16))), *margs)
            rec = chain.retry(lambda h=h: chain.w3.eth.get_transaction_receipt(h), "eth_getTransactionReceipt")
            chain_events = _suite_events(chain, rec, suite)
            model_events = [(e.address, e.event.abi_name(), _norm(tuple(plain(a) for a in e.event.concrete_args())))
                            for e in out.events if e.address in suite]
            r = ReplayedTx(number, blk["timestamp"], h, int(tx["from"], 16), name, fn_name, tuple(raw_args),
                           rec["status"] == 1, out.ok, None if out.ok else str(out.error), chain_events, model_events)
            res.txs.append(r)
            what = f"block {number} {h} {name}.{fn_name}{tuple(raw_args)!r}"
            if r.chain_ok != r.model_ok:
                res.mismatches.append(f"{what}: chain {'ok' if r.chain_ok else 'failed'}, model "
                                      f"{'ok' if r.model_ok else 'reverted ' + str(r.model_error)}")
            elif r.chain_ok and chain_events != model_events:
                res.mismatches.append(f"{what}: events differ: chain {chain_events}, model {model_events}")
    return res
