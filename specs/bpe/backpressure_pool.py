"""Model of contracts/bpe/BackpressurePool.sol: one Superfluid GDA pool per task type, member units from
the sinks' effective capacities (PROTOCOL.md section 6).

- `createPool(taskTypeId)`: anyone, once, for a registered task type. The pool is created through the
  GDAv1Forwarder with this contract as admin, units not transferable, distribution from any address.
- `rebalance(taskTypeId)`: members of the last rebalance that left the registry get units 0; every
  registered sink, in registry order, gets floor(effective / UNIT_SCALE) units (the GDA is called only
  where the units change); the registry's list becomes the member list with snapshots of the effective
  capacities; `Rebalanced(taskTypeId, sinkCount, totalCapacity)` with the sum of the units set.
- `needsRebalance(taskTypeId)`: false without a pool; true when the registry's sinkSetVersion moved, or
  some sink's |effective - snapshot| * 10000 > rebalanceThresholdBps * snapshot.
- Governance sets rebalanceThresholdBps (<= 10000; 500 at deployment).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U128, U256, Address, Bool, Bytes32, Contract, Event, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS,
    external, immutable, storage, view,
)

UNIT_SCALE = U256(10**18)
BPS = U256(10_000)


def uint128(x: U256) -> U128:
    """Solidity's explicit `uint128(x)`: truncation, no check."""
    v = x.v
    return U128(v % U128.MOD)


# -- errors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroAddress(SolidityError):
    pass


@dataclass(frozen=True)
class NotGovernance(SolidityError):
    caller: Address


@dataclass(frozen=True)
class UnknownTaskType(SolidityError):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class PoolExists(SolidityError):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class NoPool(SolidityError):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class InvalidThreshold(SolidityError):
    thresholdBps: U256


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rebalanced(Event):
    taskTypeId: Bytes32
    sinkCount: U256
    totalCapacity: U256


@dataclass(frozen=True)
class PoolCreated(Event):
    taskTypeId: Bytes32
    pool: Address


@dataclass(frozen=True)
class RebalanceThresholdSet(Event):
    thresholdBps: U256


@dataclass
class BackpressurePool(Contract):
    # storage, in BackpressurePool.sol declaration order
    pools: Mapping = storage(lambda: Mapping(Bytes32, Address))
    memberCount: Mapping = storage(lambda: Mapping(Bytes32, U256))
    memberAt: Mapping = storage(lambda: Mapping(Bytes32, Mapping(U256, Address)))
    snapshotOf: Mapping = storage(lambda: Mapping(Bytes32, Mapping(Address, U256)))
    rebalancedVersion: Mapping = storage(lambda: Mapping(Bytes32, U256))
    rebalanceThresholdBps: U256 = storage(lambda: U256(0))
    # immutables
    registry: Address = immutable(default=ZERO_ADDRESS)
    gdaForwarder: Address = immutable(default=ZERO_ADDRESS)
    token: Address = immutable(default=ZERO_ADDRESS)
    governance: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, registry: Address, gdaForwarder: Address, token: Address,
                  governance: Address) -> "BackpressurePool":
        """Reverts: ZeroAddress.  # Solidity: BackpressurePool.sol#L44-54"""
        if registry == ZERO_ADDRESS or gdaForwarder == ZERO_ADDRESS or token == ZERO_ADDRESS \
                or governance == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(registry=registry, gdaForwarder=gdaForwarder, token=token, governance=governance,
                   rebalanceThresholdBps=U256(500))

    def _registry(self):
        return self.world.at(self.registry)

    @external
    def setRebalanceThreshold(self, msg: Msg, thresholdBps: U256) -> None:
        """Reverts: NotGovernance, InvalidThreshold (> 10000).  # Solidity: BackpressurePool.sol#L57-62"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        if thresholdBps > BPS:
            raise Revert(InvalidThreshold(thresholdBps))
        self.rebalanceThresholdBps = thresholdBps
        self.emit(RebalanceThresholdSet(thresholdBps))

    @external
    def createPool(self, msg: Msg, taskTypeId: Bytes32) -> None:
        """Reverts: UnknownTaskType, PoolExists, and whatever the GDA reverts with.
        # Solidity: BackpressurePool.sol#L65-73"""
        if not self._registry().isTaskType(self.this_msg(), taskTypeId):
            raise Revert(UnknownTaskType(taskTypeId))
        if self.pools[taskTypeId] != ZERO_ADDRESS:
            raise Revert(PoolExists(taskTypeId))
        _ok, pool = self.world.at(self.gdaForwarder).createPool(
            self.this_msg(), self.token, self.address, (Bool(False), Bool(True)))
        self.pools[taskTypeId] = pool
        self.emit(PoolCreated(taskTypeId, pool))

    @external
    def rebalance(self, msg: Msg, taskTypeId: Bytes32) -> None:
        """Reverts: NoPool.  # Solidity: BackpressurePool.sol#L76-107

        The loop bodies are the methods `_clearMember` and `_setMember` (the proofs of BPE-REBAL and
        BPE-FLOW-003 run them symbolically, one iteration at a time: invariants/bpe/rebalance.py)."""
        poolAddress = self.pools[taskTypeId]
        if poolAddress == ZERO_ADDRESS:
            raise Revert(NoPool(taskTypeId))
        pool = self.world.at(poolAddress)
        registry = self._registry()

        # 1. Members of the last rebalance that left the registry lose their units.
        oldCount = self.memberCount[taskTypeId]
        i = U256(0)
        while i < oldCount:
            self._clearMember(taskTypeId, pool, registry, i)
            i = i + 1

        # 2. Every registered sink gets floor(effective / UNIT_SCALE) units; 3. it becomes a member.
        count = registry.sinkCount(self.this_msg(), taskTypeId)
        totalCapacity = U256(0)
        i = U256(0)
        while i < count:
            units = self._setMember(taskTypeId, pool, registry, i)
            totalCapacity = totalCapacity + U256(units.v)
            i = i + 1
        self._recordRebalance(taskTypeId, registry, count, totalCapacity)

    def _recordRebalance(self, taskTypeId: Bytes32, registry, count: U256,  # type: ignore[no-untyped-def]
                         totalCapacity: U256) -> None:
        """rebalance, after the loops.  # Solidity: BackpressurePool.sol#L104-106 (`memberCount[taskTypeId] = count;`)"""
        self.memberCount[taskTypeId] = count
        self.rebalancedVersion[taskTypeId] = registry.sinkSetVersion(self.this_msg(), taskTypeId)
        self.emit(Rebalanced(taskTypeId, count, totalCapacity))

    def _clearMember(self, taskTypeId: Bytes32, pool, registry, i: U256) -> None:  # type: ignore[no-untyped-def]
        """rebalance, loop 1, iteration i.
        # Solidity: BackpressurePool.sol#L84-89 (`address member = memberAt[taskTypeId][i];`)"""
        member = self.memberAt[taskTypeId][i]
        if not registry.isSink(self.this_msg(), taskTypeId, member):
            if pool.getUnits(self.this_msg(), member) != 0:
                pool.updateMemberUnits(self.this_msg(), member, U128(0))
            self.snapshotOf[taskTypeId][member] = U256(0)
        self.memberAt[taskTypeId][i] = ZERO_ADDRESS

    def _setMember(self, taskTypeId: Bytes32, pool, registry, i: U256) -> U128:  # type: ignore[no-untyped-def]
        """rebalance, loop 2, iteration i: the units set.
        # Solidity: BackpressurePool.sol#L96-102 (`address sink = registry.sinkAt(taskTypeId, i);`)"""
        sink = registry.sinkAt(self.this_msg(), taskTypeId, i)
        effective = registry.getSmoothedCapacity(self.this_msg(), taskTypeId, sink)
        units = uint128(effective // UNIT_SCALE)
        if pool.getUnits(self.this_msg(), sink) != units:
            pool.updateMemberUnits(self.this_msg(), sink, units)
        self.snapshotOf[taskTypeId][sink] = effective
        self.memberAt[taskTypeId][i] = sink
        return units

    @view
    def needsRebalance(self, msg: Msg, taskTypeId: Bytes32) -> Bool:
        """Never reverts (unless the registry does).  # Solidity: BackpressurePool.sol#L111-123"""
        if self.pools[taskTypeId] == ZERO_ADDRESS:
            return Bool(False)
        registry = self._registry()
        if registry.sinkSetVersion(self.this_msg(), taskTypeId) != self.rebalancedVersion[taskTypeId]:
            return Bool(True)
        count = registry.sinkCount(self.this_msg(), taskTypeId)
        i = U256(0)
        while i < count:
            if self._sinkOff(taskTypeId, registry, i):
                return Bool(True)
            i = i + 1
        return Bool(False)

    def _sinkOff(self, taskTypeId: Bytes32, registry, i: U256) -> Bool:  # type: ignore[no-untyped-def]
        """needsRebalance, iteration i: the i-th registered sink moved beyond the threshold.
        # Solidity: BackpressurePool.sol#L116-120 (`address sink = registry.sinkAt(taskTypeId, i);`)"""
        sink = registry.sinkAt(self.this_msg(), taskTypeId, i)
        effective = registry.getSmoothedCapacity(self.this_msg(), taskTypeId, sink)
        snapshot = self.snapshotOf[taskTypeId][sink]
        delta = effective - snapshot if effective > snapshot else snapshot - effective
        off = delta * BPS > self.rebalanceThresholdBps * snapshot
        return off if isinstance(off, Bool) else Bool(off)

    @view
    def getPool(self, msg: Msg, taskTypeId: Bytes32) -> Address:
        """# Solidity: BackpressurePool.sol#L125-127"""
        return self.pools[taskTypeId]
