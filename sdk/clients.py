"""Typed clients for the suite's contracts and the Superfluid contracts the agents use.

Conventions:
- addresses are accepted as hex strings, ints or 20 bytes, and returned as checksum strings;
- task type ids are 32 bytes (`sdk.deploy.task_type_id` makes one from a name or a hex string);
- amounts are ints in the token's smallest unit, flow rates in wei per second;
- a view returns a Python value; a state-changing method takes the sending `LocalAccount` first and
  returns the mined `Receipt` with decoded events; a revert raises `sdk.chain.Revert` whose `.name`
  and `.error.args` are the decoded custom error (e.g. `NothingToDrain`, `CommitPending(commitBlock)`).
  Every state-changing method runs the call (gas estimation) before signing, so a call that would
  revert now is never sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from harness.evm.abi import ContractABI, DecodedEvent
from sdk.chain import AddressLike, Chain, Receipt, checksum, to_int_address
from sdk.deploy import Deployment

OnSigned = Callable[[str, bytes], None] | None


@dataclass(frozen=True)
class LogEntry:
    block_number: int
    tx_hash: str
    log_index: int
    event: DecodedEvent


class ContractClient:
    """Calls and transactions on one contract through its ABI."""

    def __init__(self, chain: Chain, address: AddressLike, abi: ContractABI | list):
        self.chain = chain
        self.address = checksum(address)
        self.abi = abi if isinstance(abi, ContractABI) else ContractABI(abi)
        chain.registry.register(to_int_address(address), self.abi)

    def calldata(self, fn: str, *args: Any) -> bytes:
        return self.abi.encode_call(fn, args)

    def call(self, fn: str, *args: Any, block: int | str = "latest", sender: AddressLike | None = None) -> tuple:
        out = self.chain.call(self.address, self.calldata(fn, *args), abi=self.abi, block=block, sender=sender,
                              what=f"{type(self).__name__}.{fn}")
        return self.abi.decode_output(fn, out)

    def one(self, fn: str, *args: Any, block: int | str = "latest") -> Any:
        return self.call(fn, *args, block=block)[0]

    def send(self, account: LocalAccount, fn: str, *args: Any, gas: int | None = None, on_signed: OnSigned = None,
             check: bool = True) -> Receipt:
        return self.chain.transact(account, self.address, self.calldata(fn, *args), abi=self.abi,
                                   what=f"{type(self).__name__}.{fn}", gas=gas, on_signed=on_signed, check=check)

    def logs(self, event: str | None = None, from_block: int = 0, to_block: int | str = "latest") -> list[LogEntry]:
        """This contract's decoded logs in a block range (optionally one event name)."""
        def go() -> list:
            return self.chain.w3.eth.get_logs({"address": self.address, "fromBlock": from_block,
                                               "toBlock": to_block})  # type: ignore[typeddict-item]
        raw = self.chain.retry(go, "eth_getLogs")
        out = []
        for log in raw:
            topics = [int.from_bytes(bytes(t), "big") for t in log["topics"]]
            ev = self.abi.decode_log(topics, bytes(log["data"]), to_int_address(log["address"]))
            if ev is None or (event is not None and ev.name != event):
                continue
            out.append(LogEntry(log["blockNumber"], "0x" + bytes(log["transactionHash"]).hex(), log["logIndex"], ev))
        return out


def _addr(x: Any) -> str:
    return checksum(x)


class ERC20Client(ContractClient):
    def name(self) -> str:
        return self.one("name")

    def symbol(self) -> str:
        return self.one("symbol")

    def decimals(self) -> int:
        return self.one("decimals")

    def total_supply(self) -> int:
        return self.one("totalSupply")

    def balance_of(self, account: AddressLike) -> int:
        return self.one("balanceOf", account)

    def allowance(self, owner: AddressLike, spender: AddressLike) -> int:
        return self.one("allowance", owner, spender)

    def approve(self, account: LocalAccount, spender: AddressLike, amount: int) -> Receipt:
        return self.send(account, "approve", spender, amount)

    def transfer(self, account: LocalAccount, to: AddressLike, amount: int) -> Receipt:
        return self.send(account, "transfer", to, amount)


class TestTokenClient(ERC20Client):
    """The stake token (and the SuperToken's underlying): ERC20 with an open faucet."""

    __test__ = False  # not a pytest class

    def mint(self, account: LocalAccount, to: AddressLike, amount: int) -> Receipt:
        return self.send(account, "mint", to, amount)


class SuperTokenClient(ERC20Client):
    def upgrade(self, account: LocalAccount, amount: int) -> Receipt:
        return self.send(account, "upgrade", amount)

    def downgrade(self, account: LocalAccount, amount: int) -> Receipt:
        return self.send(account, "downgrade", amount)

    def underlying(self) -> str:
        return _addr(self.one("getUnderlyingToken"))

    def realtime_balance_of(self, account: AddressLike, timestamp: int) -> tuple[int, int, int]:
        """(availableBalance, deposit, owedDeposit) at `timestamp`."""
        return tuple(self.call("realtimeBalanceOf", account, timestamp))  # type: ignore[return-value]

    def realtime_balance_of_now(self, account: AddressLike, block: int | str = "latest") -> tuple[int, int, int, int]:
        return tuple(self.call("realtimeBalanceOfNow", account, block=block))  # type: ignore[return-value]


class StakeManagerClient(ContractClient):
    def min_sink_stake(self) -> int:
        return self.one("MIN_SINK_STAKE")

    def stake_unit(self) -> int:
        return self.one("STAKE_UNIT")

    def token(self) -> str:
        return _addr(self.one("token"))

    def get_stake(self, sink: AddressLike) -> int:
        return self.one("getStake", sink)

    def get_capacity_cap(self, sink: AddressLike) -> int:
        return self.one("getCapacityCap", sink)

    def total_staked(self) -> int:
        return self.one("totalStaked")

    def is_slasher(self, account: AddressLike) -> bool:
        return self.one("isSlasher", account)

    def stake(self, account: LocalAccount, amount: int) -> Receipt:
        return self.send(account, "stake", amount)

    def unstake(self, account: LocalAccount, amount: int) -> Receipt:
        return self.send(account, "unstake", amount)

    def slash(self, account: LocalAccount, sink: AddressLike, amount: int, reason: bytes) -> Receipt:
        return self.send(account, "slash", sink, amount, reason)

    def set_slasher(self, account: LocalAccount, slasher: AddressLike, enabled: bool) -> Receipt:
        return self.send(account, "setSlasher", slasher, enabled)


class CapacityRegistryClient(ContractClient):
    def commit_timeout(self) -> int:
        return self.one("COMMIT_TIMEOUT")

    def unit_scale(self) -> int:
        return self.one("UNIT_SCALE")

    def is_task_type(self, task_type: bytes) -> bool:
        return self.one("isTaskType", task_type)

    def is_sink(self, task_type: bytes, sink: AddressLike) -> bool:
        return self.one("isSink", task_type, sink)

    def sink_count(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("sinkCount", task_type, block=block)

    def sink_at(self, task_type: bytes, index: int, block: int | str = "latest") -> str:
        return _addr(self.one("sinkAt", task_type, index, block=block))

    def sinks(self, task_type: bytes, block: int | str = "latest") -> list[str]:
        return [self.sink_at(task_type, i, block) for i in range(self.sink_count(task_type, block))]

    def sink_set_version(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("sinkSetVersion", task_type, block=block)

    def get_smoothed_capacity(self, task_type: bytes, sink: AddressLike, block: int | str = "latest") -> int:
        """The effective capacity (min of the smoothed value and the current stake cap), 1e18 = 1 unit."""
        return self.one("getSmoothedCapacity", task_type, sink, block=block)

    def smoothed_of(self, task_type: bytes, sink: AddressLike) -> int:
        return self.one("smoothedOf", task_type, sink)

    def has_revealed(self, task_type: bytes, sink: AddressLike) -> bool:
        return self.one("hasRevealed", task_type, sink)

    def get_commit(self, task_type: bytes, sink: AddressLike, block: int | str = "latest") -> tuple[bytes, int]:
        """(commitHash, commitBlock); commitBlock 0: no pending commit."""
        h, b = self.call("getCommit", task_type, sink, block=block)
        return h, b

    def commit_hash_of(self, sink: AddressLike, task_type: bytes, capacity: int, nonce: bytes) -> bytes:
        return self.one("commitHashOf", sink, task_type, capacity, nonce)

    def ewma_alpha_bps(self) -> int:
        return self.one("ewmaAlphaBps")

    def register_task_type(self, account: LocalAccount, task_type: bytes) -> Receipt:
        return self.send(account, "registerTaskType", task_type)

    def set_ewma_alpha(self, account: LocalAccount, alpha_bps: int) -> Receipt:
        return self.send(account, "setEwmaAlpha", alpha_bps)

    def register_sink(self, account: LocalAccount, task_type: bytes) -> Receipt:
        return self.send(account, "registerSink", task_type)

    def deregister_sink(self, account: LocalAccount, task_type: bytes, sink: AddressLike) -> Receipt:
        return self.send(account, "deregisterSink", task_type, sink)

    def commit_capacity(self, account: LocalAccount, task_type: bytes, commit_hash: bytes,
                        on_signed: OnSigned = None) -> Receipt:
        return self.send(account, "commitCapacity", task_type, commit_hash, on_signed=on_signed)

    def reveal_capacity(self, account: LocalAccount, task_type: bytes, capacity: int, nonce: bytes,
                        gas: int | None = None) -> Receipt:
        return self.send(account, "revealCapacity", task_type, capacity, nonce, gas=gas)


def commit_hash(sink: AddressLike, task_type: bytes, capacity: int, nonce: bytes, chain_id: int,
                registry: AddressLike) -> bytes:
    """PROTOCOL.md section 4: keccak256(abi.encode(sink, taskTypeId, capacity, nonce, chainid, registry))."""
    return keccak(abi_encode(["address", "bytes32", "uint256", "bytes32", "uint256", "address"],
                             [checksum(sink), task_type, capacity, nonce, chain_id, checksum(registry)]))


class BackpressurePoolClient(ContractClient):
    def get_pool(self, task_type: bytes) -> str:
        return _addr(self.one("getPool", task_type))

    def needs_rebalance(self, task_type: bytes, block: int | str = "latest") -> bool:
        return self.one("needsRebalance", task_type, block=block)

    def member_count(self, task_type: bytes) -> int:
        return self.one("memberCount", task_type)

    def member_at(self, task_type: bytes, index: int) -> str:
        return _addr(self.one("memberAt", task_type, index))

    def members(self, task_type: bytes) -> list[str]:
        return [self.member_at(task_type, i) for i in range(self.member_count(task_type))]

    def snapshot_of(self, task_type: bytes, sink: AddressLike) -> int:
        return self.one("snapshotOf", task_type, sink)

    def rebalanced_version(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("rebalancedVersion", task_type, block=block)

    def rebalance_threshold_bps(self) -> int:
        return self.one("rebalanceThresholdBps")

    def create_pool(self, account: LocalAccount, task_type: bytes) -> Receipt:
        return self.send(account, "createPool", task_type)

    def rebalance(self, account: LocalAccount, task_type: bytes, on_signed: OnSigned = None) -> Receipt:
        return self.send(account, "rebalance", task_type, on_signed=on_signed)

    def set_rebalance_threshold(self, account: LocalAccount, bps: int) -> Receipt:
        return self.send(account, "setRebalanceThreshold", bps)


class EscrowBufferClient(ContractClient):
    def buffer_level(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("bufferLevel", task_type, block=block)

    def buffer_max(self, task_type: bytes) -> int:
        return self.one("bufferMax", task_type)

    def unit_price(self, task_type: bytes) -> int:
        return self.one("unitPrice", task_type)

    def last_drain(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("lastDrain", task_type, block=block)

    def queue_head(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("queueHead", task_type, block=block)

    def queue_tail(self, task_type: bytes, block: int | str = "latest") -> int:
        return self.one("queueTail", task_type, block=block)

    def entry_at(self, task_type: bytes, index: int, block: int | str = "latest") -> tuple[str, int]:
        src, amount = self.call("entryAt", task_type, index, block=block)
        return _addr(src), amount

    def entries(self, task_type: bytes, block: int | str = "latest") -> list[tuple[int, str, int]]:
        """(index, source, remaining) of every queued entry from head to tail."""
        head, tail = self.queue_head(task_type, block), self.queue_tail(task_type, block)
        return [(i, *self.entry_at(task_type, i, block)) for i in range(head, tail)]

    def drainable(self, task_type: bytes, block: int | str = "latest") -> int:
        """What a drain would move now (at the latest block's timestamp)."""
        return self.one("drainable", task_type, block=block)

    def set_buffer_max(self, account: LocalAccount, task_type: bytes, maximum: int) -> Receipt:
        return self.send(account, "setBufferMax", task_type, maximum)

    def set_unit_price(self, account: LocalAccount, task_type: bytes, price: int) -> Receipt:
        return self.send(account, "setUnitPrice", task_type, price)

    def deposit(self, account: LocalAccount, task_type: bytes, amount: int) -> Receipt:
        return self.send(account, "deposit", task_type, amount)

    def drain(self, account: LocalAccount, task_type: bytes, on_signed: OnSigned = None) -> Receipt:
        return self.send(account, "drain", task_type, on_signed=on_signed)


class PipelineClient(ContractClient):
    def pipeline_count(self) -> int:
        return self.one("pipelineCount")

    def stages(self, pipeline_id: int) -> list[bytes]:
        return [self.one("stageAt", pipeline_id, i) for i in range(self.one("stageCount", pipeline_id))]

    def weights(self, pipeline_id: int) -> list[int]:
        return [self.one("weightAt", pipeline_id, i) for i in range(self.one("stageCount", pipeline_id))]

    def create_pipeline(self, account: LocalAccount, stages: list[bytes], weights_bps: list[int]) -> int:
        rec = self.send(account, "createPipeline", stages, weights_bps)
        (ev,) = rec.events_named("PipelineCreated")
        return ev.args[0]

    def deposit(self, account: LocalAccount, pipeline_id: int, amount: int) -> Receipt:
        return self.send(account, "deposit", pipeline_id, amount)

    def drain(self, account: LocalAccount, pipeline_id: int, on_signed: OnSigned = None) -> Receipt:
        return self.send(account, "drain", pipeline_id, on_signed=on_signed)


class GDAv1ForwarderClient(ContractClient):
    """The GDA through its forwarder (what apps call)."""

    def connect_pool(self, account: LocalAccount, pool: AddressLike) -> Receipt:
        return self.send(account, "connectPool", pool, b"")

    def disconnect_pool(self, account: LocalAccount, pool: AddressLike) -> Receipt:
        return self.send(account, "disconnectPool", pool, b"")

    def claim_all(self, account: LocalAccount, pool: AddressLike, member: AddressLike) -> Receipt:
        return self.send(account, "claimAll", pool, member, b"")

    def distribute(self, account: LocalAccount, token: AddressLike, pool: AddressLike, amount: int) -> Receipt:
        return self.send(account, "distribute", token, account.address, pool, amount, b"")

    def distribute_flow(self, account: LocalAccount, token: AddressLike, pool: AddressLike, flow_rate: int) -> Receipt:
        """Start, change or (rate 0) stop a flow distribution from `account` into `pool`."""
        return self.send(account, "distributeFlow", token, account.address, pool, flow_rate, b"")

    def is_member_connected(self, pool: AddressLike, member: AddressLike) -> bool:
        return self.one("isMemberConnected", pool, member)

    def flow_distribution_flow_rate(self, token: AddressLike, sender: AddressLike, pool: AddressLike) -> int:
        return self.one("getFlowDistributionFlowRate", token, sender, pool)

    def net_flow(self, token: AddressLike, account: AddressLike) -> int:
        return self.one("getNetFlow", token, account)


class SuperfluidPoolClient(ContractClient):
    def total_units(self, block: int | str = "latest") -> int:
        return self.one("getTotalUnits", block=block)

    def units(self, member: AddressLike, block: int | str = "latest") -> int:
        return self.one("getUnits", member, block=block)

    def member_flow_rate(self, member: AddressLike) -> int:
        return self.one("getMemberFlowRate", member)

    def total_flow_rate(self) -> int:
        return self.one("getTotalFlowRate")

    def claimable_now(self, member: AddressLike) -> tuple[int, int]:
        return tuple(self.call("getClaimableNow", member))  # type: ignore[return-value]


class Clients:
    """Every client of one deployment on one chain."""

    def __init__(self, chain: Chain, dep: Deployment):
        if chain.chain_id != dep.chain_id:
            raise ValueError(f"the node's chain id is {chain.chain_id}, the deployment's {dep.chain_id}")
        self.chain, self.dep = chain, dep
        a = dep.address
        self.stake_token = TestTokenClient(chain, a("TestToken"), dep.abis["TestToken"])
        self.stake_manager = StakeManagerClient(chain, a("StakeManager"), dep.abis["StakeManager"])
        self.registry = CapacityRegistryClient(chain, a("CapacityRegistry"), dep.abis["CapacityRegistry"])
        self.pool = BackpressurePoolClient(chain, a("BackpressurePool"), dep.abis["BackpressurePool"])
        self.buffer = EscrowBufferClient(chain, a("EscrowBuffer"), dep.abis["EscrowBuffer"])
        self.pipeline = PipelineClient(chain, a("Pipeline"), dep.abis["Pipeline"])
        self.super_token = SuperTokenClient(chain, a("SuperToken"), dep.abis["SuperToken"])
        self.underlying = TestTokenClient(chain, a("SuperTokenUnderlying"), dep.abis["SuperTokenUnderlying"])
        self.forwarder = GDAv1ForwarderClient(chain, a("GDAv1Forwarder"), dep.abis["GDAv1Forwarder"])
        chain.registry.register(to_int_address(a("GDA")), ContractABI(dep.abis["GDA"]))
        self._pools: dict[str, SuperfluidPoolClient] = {}

    def gda_pool(self, task_type: bytes) -> SuperfluidPoolClient:
        """The Superfluid pool of a task type (registered for decoding)."""
        addr = self.pool.get_pool(task_type)
        if int(addr, 16) == 0:
            raise ValueError(f"no pool for task type 0x{task_type.hex()}")
        if addr not in self._pools:
            self._pools[addr] = SuperfluidPoolClient(self.chain, addr, self.dep.abis["SuperfluidPool"])
        return self._pools[addr]
