"""Model of contracts/bpe/EscrowBuffer.sol: lump payments per task type wait in a FIFO queue and are
released into the task type's GDA pool no faster than the sinks' priced capacity (PROTOCOL.md
section 8).

- `deposit(taskTypeId, amount)`: always queues, all or nothing against bufferMax (BufferOverflow);
  a deposit into an empty buffer starts the drain clock; BufferFull when the level reaches the bound.
- `drain(taskTypeId)` (anyone): perUnit = min(A / U, unitPrice * elapsed) with A the sum of the first
  MAX_DRAIN_ENTRIES entries and U the pool's total units; amount = perUnit * U is consumed from the
  head, distributed with the GDA's instant distribute, and reported per member with units (Drained).
  `unitPrice * elapsed` saturates at 2**256 - 1.
- Governance sets bufferMax (may be below the level) and unitPrice per task type.

drain's three loops (the sum of the first entries, the consume loop, the Drained-event loop) are written
as `while guard: state = self._<loop>Step(...)` in methods of their own (`_available`, `_consume`,
`_emitDrained`), statement for statement the Solidity's: the prover replaces each loop by a summary
and proves the summary from one run of the step method (invariants/bpe/drain.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U256, Address, Bytes32, Contract, Event, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS,
    external, immutable, storage, view,
)

MAX_DRAIN_ENTRIES = U256(32)


# -- errors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroAddress(SolidityError):
    pass


@dataclass(frozen=True)
class NotGovernance(SolidityError):
    caller: Address


@dataclass(frozen=True)
class ZeroAmount(SolidityError):
    pass


@dataclass(frozen=True)
class NoPool(SolidityError):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class BufferOverflow(SolidityError):
    level: U256
    amount: U256
    max: U256


@dataclass(frozen=True)
class NothingToDrain(SolidityError):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class TransferFailed(SolidityError):
    pass


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deposited(Event):
    taskTypeId: Bytes32
    source: Address
    amount: U256


@dataclass(frozen=True)
class Drained(Event):
    taskTypeId: Bytes32
    sink: Address
    amount: U256


@dataclass(frozen=True)
class BufferFull(Event):
    taskTypeId: Bytes32
    bufferLevel: U256


@dataclass(frozen=True)
class BufferMaxSet(Event):
    taskTypeId: Bytes32
    bufferMax: U256


@dataclass(frozen=True)
class UnitPriceSet(Event):
    taskTypeId: Bytes32
    unitPrice: U256


@dataclass
class EscrowBuffer(Contract):
    # storage, in EscrowBuffer.sol declaration order
    levels: Mapping = storage(lambda: Mapping(Bytes32, U256, summed=True))
    maxima: Mapping = storage(lambda: Mapping(Bytes32, U256))
    unitPrice: Mapping = storage(lambda: Mapping(Bytes32, U256))
    lastDrain: Mapping = storage(lambda: Mapping(Bytes32, U256))
    queueHead: Mapping = storage(lambda: Mapping(Bytes32, U256))
    queueTail: Mapping = storage(lambda: Mapping(Bytes32, U256))
    entrySource: Mapping = storage(lambda: Mapping(Bytes32, Mapping(U256, Address)))
    entryAmount: Mapping = storage(lambda: Mapping(Bytes32, Mapping(U256, U256)))
    # immutables
    backpressurePool: Address = immutable(default=ZERO_ADDRESS)
    gdaForwarder: Address = immutable(default=ZERO_ADDRESS)
    token: Address = immutable(default=ZERO_ADDRESS)
    governance: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, backpressurePool: Address, gdaForwarder: Address, token: Address,
                  governance: Address) -> "EscrowBuffer":
        """Reverts: ZeroAddress.  # Solidity: EscrowBuffer.sol#L52-61"""
        if backpressurePool == ZERO_ADDRESS or gdaForwarder == ZERO_ADDRESS or token == ZERO_ADDRESS \
                or governance == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(backpressurePool=backpressurePool, gdaForwarder=gdaForwarder, token=token,
                   governance=governance)

    @external
    def setBufferMax(self, msg: Msg, taskTypeId: Bytes32, max: U256) -> None:
        """Reverts: NotGovernance.  # Solidity: EscrowBuffer.sol#L64-68"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        self.maxima[taskTypeId] = max
        self.emit(BufferMaxSet(taskTypeId, max))

    @external
    def setUnitPrice(self, msg: Msg, taskTypeId: Bytes32, price: U256) -> None:
        """Reverts: NotGovernance.  # Solidity: EscrowBuffer.sol#L71-75"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        self.unitPrice[taskTypeId] = price
        self.emit(UnitPriceSet(taskTypeId, price))

    @external
    def deposit(self, msg: Msg, taskTypeId: Bytes32, amount: U256) -> None:
        """Reverts: ZeroAmount, NoPool, BufferOverflow(level, amount, max), and the SuperToken's
        transferFrom errors.  # Solidity: EscrowBuffer.sol#L78-94"""
        if amount == 0:
            raise Revert(ZeroAmount())
        if self.world.at(self.backpressurePool).getPool(self.this_msg(), taskTypeId) == ZERO_ADDRESS:
            raise Revert(NoPool(taskTypeId))
        level = self.levels[taskTypeId]
        max_ = self.maxima[taskTypeId]
        if amount > max_ or level > max_ - amount:
            raise Revert(BufferOverflow(level, amount, max_))
        if level == 0:
            self.lastDrain[taskTypeId] = U256(self.world.block.timestamp)
        tail = self.queueTail[taskTypeId]
        self.entrySource[taskTypeId][tail] = msg.sender
        self.entryAmount[taskTypeId][tail] = amount
        self.queueTail[taskTypeId] = tail + 1
        level = level + amount
        self.levels[taskTypeId] = level
        if not self.world.at(self.token).transferFrom(self.this_msg(), msg.sender, self.address, amount):
            raise Revert(TransferFailed())
        self.emit(Deposited(taskTypeId, msg.sender, amount))
        if level == max_:
            self.emit(BufferFull(taskTypeId, level))

    @external
    def drain(self, msg: Msg, taskTypeId: Bytes32) -> None:
        """Reverts: NothingToDrain (no pool, no units, or nothing due).  # Solidity: EscrowBuffer.sol#L97-127"""
        poolAddress, perUnit, amount = self._drainable(taskTypeId)
        if amount == 0:
            raise Revert(NothingToDrain(taskTypeId))

        head = self._consume(taskTypeId, self.queueHead[taskTypeId], amount)
        self.queueHead[taskTypeId] = head
        self.levels[taskTypeId] = self.levels[taskTypeId] - amount
        self.lastDrain[taskTypeId] = U256(self.world.block.timestamp)

        self.world.at(self.gdaForwarder).distribute(self.this_msg(), self.token, self.address, poolAddress,
                                                    amount, b"")
        self._emitDrained(taskTypeId, poolAddress, perUnit)

    # -- drain's loops: each loop is `while guard: state = step(state)` with the body a method of its own,
    # so the prover can replace the loop by a summary and prove the summary from one run of the body
    # (invariants/bpe/drain.py). The behaviour is the Solidity's, statement for statement.
    def _consume(self, taskTypeId: Bytes32, head: U256, left: U256) -> U256:
        """Consume `left` from the queue starting at `head`; returns the new head.
        # Solidity: EscrowBuffer.sol#L104-115 (`while (left != 0)`)"""
        while left != 0:
            head, left = self._consumeStep(taskTypeId, head, left)
        return head

    def _consumeStep(self, taskTypeId: Bytes32, head: U256, left: U256) -> tuple[U256, U256]:
        """One iteration of the consume loop.
        # Solidity: EscrowBuffer.sol#L105-114 (`uint256 entry = entryAmount[taskTypeId][head];`)"""
        entry = self.entryAmount[taskTypeId][head]
        if entry <= left:
            left = left - entry
            self.entryAmount[taskTypeId][head] = U256(0)
            self.entrySource[taskTypeId][head] = ZERO_ADDRESS
            head = head + 1
        else:
            self.entryAmount[taskTypeId][head] = entry - left
            left = U256(0)
        return head, left

    def _emitDrained(self, taskTypeId: Bytes32, poolAddress: Address, perUnit: U256) -> None:
        """Drained per pool member with units, in member order.
        # Solidity: EscrowBuffer.sol#L122-126 (`for (uint256 i = 0; i < count; ++i)`)"""
        count = self.world.at(self.backpressurePool).memberCount[taskTypeId]  # public getter
        i = U256(0)
        while i < count:
            i = self._emitDrainedStep(taskTypeId, poolAddress, perUnit, i)

    def _emitDrainedStep(self, taskTypeId: Bytes32, poolAddress: Address, perUnit: U256, i: U256) -> U256:
        """One iteration of the Drained-event loop; returns i + 1.
        # Solidity: EscrowBuffer.sol#L123-125 (`address sink = backpressurePool.memberAt(taskTypeId, i);`)"""
        sink = self.world.at(self.backpressurePool).memberAt[taskTypeId][i]  # public getter
        units = U256(self.world.at(poolAddress).getUnits(self.this_msg(), sink).v)
        if units != 0:
            self.emit(Drained(taskTypeId, sink, units * perUnit))
        return i + 1

    @view
    def drainable(self, msg: Msg, taskTypeId: Bytes32) -> U256:
        """# Solidity: EscrowBuffer.sol#L138-140"""
        return self._drainable(taskTypeId)[2]

    @view
    def entryAt(self, msg: Msg, taskTypeId: Bytes32, index: U256) -> tuple[Address, U256]:
        """# Solidity: EscrowBuffer.sol#L143-145"""
        return (self.entrySource[taskTypeId][index], self.entryAmount[taskTypeId][index])

    @view
    def bufferLevel(self, msg: Msg, taskTypeId: Bytes32) -> U256:
        return self.levels[taskTypeId]

    @view
    def bufferMax(self, msg: Msg, taskTypeId: Bytes32) -> U256:
        return self.maxima[taskTypeId]

    def _drainable(self, taskTypeId: Bytes32) -> tuple[Address, U256, U256]:
        """# Solidity: EscrowBuffer.sol#L147-166"""
        poolAddress = self.world.at(self.backpressurePool).getPool(self.this_msg(), taskTypeId)
        if poolAddress == ZERO_ADDRESS:
            return (poolAddress, U256(0), U256(0))
        totalUnits = U256(self.world.at(poolAddress).getTotalUnits(self.this_msg()).v)
        if totalUnits == 0:
            return (poolAddress, U256(0), U256(0))
        head = self.queueHead[taskTypeId]
        end = self.queueTail[taskTypeId]
        if end - head > MAX_DRAIN_ENTRIES:
            end = head + MAX_DRAIN_ENTRIES
        available = self._available(taskTypeId, head, end)
        elapsed = U256(self.world.block.timestamp) - self.lastDrain[taskTypeId]
        price = self.unitPrice[taskTypeId]
        if elapsed != 0 and price > U256(U256.MAX) // elapsed:
            allowance = U256(U256.MAX)
        else:
            allowance = price * elapsed
        perUnit = available // totalUnits
        if allowance < perUnit:
            perUnit = allowance
        return (poolAddress, perUnit, perUnit * totalUnits)

    def _available(self, taskTypeId: Bytes32, head: U256, end: U256) -> U256:
        """The sum of the entries head..end.  # Solidity: EscrowBuffer.sol#L156-158 (`for (uint256 i = head; i < end; ++i)`)"""
        available = U256(0)
        i = head
        while i < end:
            available, i = self._availableStep(taskTypeId, available, i)
        return available

    def _availableStep(self, taskTypeId: Bytes32, available: U256, i: U256) -> tuple[U256, U256]:
        """One iteration of the sum loop.  # Solidity: EscrowBuffer.sol#L157 (`available += entryAmount[taskTypeId][i];`)"""
        return available + self.entryAmount[taskTypeId][i], i + 1
