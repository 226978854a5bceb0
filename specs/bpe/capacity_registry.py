"""Model of contracts/bpe/CapacityRegistry.sol: task types, sink registration, commit-reveal, EWMA.

PROTOCOL.md sections 1, 3, 4, 5, 7 and the CapacityRegistry row of section 10 decide the semantics.
Decisions beyond that text (each one is in the contract's NatSpec too):

- Getter names vs storage names. Storage is `_`-prefixed (`_sinkCount`, `_sinkAt`, ...) with explicit
  view functions of the section-10 names (`sinkCount`, `sinkAt`, ...), as TestToken does with
  `_balances`/`balanceOf`: a Python class cannot hold a storage field and a method of the same name.
- MIN_SINK_STAKE is the registry's own constant, 100e18, equal to StakeManager's: IStakeManager (the
  blueprint's interface, kept exactly) does not expose it, and section 7 makes it a deployment constant.
- Errors carry the parameters section 4 writes (`BelowMinStake(stake, minimum)`, `CommitPending(commitBlock)`,
  `CommitExpired(commitBlock)`); those written bare are bare; `NotGovernance(caller)` has StakeManager's shape.
- deregisterSink checks registration (NotRegistered) before authorization (NotSinkOrUnderstaked); the
  stake is read only when the caller is not the sink itself.
- A reveal before or in the commit's block is RevealTooEarly (`block.number <= commitBlock`).
- A commit is blocked while `block.number <= commitBlock + COMMIT_TIMEOUT` (the reveal window is still
  open) and replaces the old one afterwards. A commit hash of 0 is accepted (commitBlock marks pending).
- commitHashOf is `view`, not `pure`: it reads block.chainid and address(this).
- sinkAt(taskTypeId, i) returns address(0) at or past sinkCount (a plain mapping read); swap-and-pop
  deletes the vacated last slot.

Chain id is the kernel's CHAIN_ID (1, the workbench engines' chain). The commit hash is the kernel's
`keccak256_abi` over the preimage (sink, taskTypeId, capacity, nonce, CHAIN_ID, registry): the real
keccak on concrete values; on symbolic ones the kernel's uninterpreted function of that type
signature, applied to all six fields and range-constrained to 256 bits. It is not injective: a proof
that needs "another sink cannot reveal my commitment" must add that axiom.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    CHAIN_ID, U256, Address, Bool, Bytes32, Contract, Event, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS,
    external, immutable, keccak256_abi, storage, view,
)

COMMIT_TIMEOUT = U256(20)
UNIT_SCALE = U256(10**18)
MAX_SINKS_PER_TASK_TYPE = U256(32)
MIN_SINK_STAKE = U256(100 * 10**18)
BPS = U256(10_000)
INITIAL_EWMA_ALPHA_BPS = U256(3000)

COMMIT_PREIMAGE = ("address", "bytes32", "uint256", "bytes32", "uint256", "address")


def commit_hash(sink: Address, taskTypeId: Bytes32, capacity: U256, nonce: Bytes32, registry: Address) -> Bytes32:
    """keccak256(abi.encode(sink, taskTypeId, capacity, nonce, block.chainid, registry))."""
    return keccak256_abi(COMMIT_PREIMAGE, (sink, taskTypeId, capacity, nonce, U256(CHAIN_ID), registry))


# -- errors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroAddress(SolidityError):
    pass


@dataclass(frozen=True)
class NotGovernance(SolidityError):
    caller: Address


@dataclass(frozen=True)
class ZeroTaskType(SolidityError):
    pass


@dataclass(frozen=True)
class TaskTypeExists(SolidityError):
    pass


@dataclass(frozen=True)
class UnknownTaskType(SolidityError):
    pass


@dataclass(frozen=True)
class AlreadyRegistered(SolidityError):
    pass


@dataclass(frozen=True)
class NotRegistered(SolidityError):
    pass


@dataclass(frozen=True)
class BelowMinStake(SolidityError):
    stake: U256
    minimum: U256


@dataclass(frozen=True)
class TooManySinks(SolidityError):
    pass


@dataclass(frozen=True)
class NotSinkOrUnderstaked(SolidityError):
    pass


@dataclass(frozen=True)
class CommitPending(SolidityError):
    commitBlock: U256


@dataclass(frozen=True)
class NoCommit(SolidityError):
    pass


@dataclass(frozen=True)
class RevealTooEarly(SolidityError):
    pass


@dataclass(frozen=True)
class CommitExpired(SolidityError):
    commitBlock: U256


@dataclass(frozen=True)
class CommitMismatch(SolidityError):
    pass


@dataclass(frozen=True)
class InvalidAlpha(SolidityError):
    pass


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CapacityCommitted(Event):
    taskTypeId: Bytes32
    sink: Address
    commitHash: Bytes32


@dataclass(frozen=True)
class CapacityRevealed(Event):
    taskTypeId: Bytes32
    sink: Address
    raw: U256
    smoothed: U256


@dataclass(frozen=True)
class TaskTypeRegistered(Event):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class SinkRegistered(Event):
    taskTypeId: Bytes32
    sink: Address


@dataclass(frozen=True)
class SinkDeregistered(Event):
    taskTypeId: Bytes32
    sink: Address


@dataclass(frozen=True)
class EwmaAlphaSet(Event):
    alphaBps: U256


@dataclass
class CapacityRegistry(Contract):
    # storage, in CapacityRegistry.sol declaration order
    _isTaskType: Mapping = storage(lambda: Mapping(Bytes32, Bool))
    _sinkCount: Mapping = storage(lambda: Mapping(Bytes32, U256))
    _sinkAt: Mapping = storage(lambda: Mapping(Bytes32, Mapping(U256, Address)))
    _sinkIndex: Mapping = storage(lambda: Mapping(Bytes32, Mapping(Address, U256)))  # 1-based
    _sinkSetVersion: Mapping = storage(lambda: Mapping(Bytes32, U256))
    _smoothed: Mapping = storage(lambda: Mapping(Bytes32, Mapping(Address, U256)))
    _hasRevealed: Mapping = storage(lambda: Mapping(Bytes32, Mapping(Address, Bool)))
    _commitHash: Mapping = storage(lambda: Mapping(Bytes32, Mapping(Address, Bytes32)))
    _commitBlock: Mapping = storage(lambda: Mapping(Bytes32, Mapping(Address, U256)))  # 0 = none
    _ewmaAlphaBps: U256 = storage(lambda: U256(0))
    # immutables
    stakeManager: Address = immutable(default=ZERO_ADDRESS)
    governance: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, stakeManager: Address, governance: Address) -> "CapacityRegistry":
        """The constructor.  Reverts: ZeroAddress.  # Solidity: CapacityRegistry.sol#L74-79"""
        if stakeManager == ZERO_ADDRESS or governance == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(stakeManager=stakeManager, governance=governance, _ewmaAlphaBps=INITIAL_EWMA_ALPHA_BPS)

    def _stakes(self):  # the StakeManager model (an external call target)
        return self.world.at(self.stakeManager)

    # -- governance --------------------------------------------------------------------------------
    @external
    def registerTaskType(self, msg: Msg, taskTypeId: Bytes32) -> None:
        """Reverts: NotGovernance, ZeroTaskType, TaskTypeExists.  # Solidity: CapacityRegistry.sol#L85-91"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        if taskTypeId == 0:
            raise Revert(ZeroTaskType())
        if self._isTaskType[taskTypeId]:
            raise Revert(TaskTypeExists())
        self._isTaskType[taskTypeId] = Bool(True)
        self.emit(TaskTypeRegistered(taskTypeId))

    @external
    def setEwmaAlpha(self, msg: Msg, alphaBps: U256) -> None:
        """Reverts: NotGovernance, InvalidAlpha (0 or above 10000).  # Solidity: CapacityRegistry.sol#L94-99"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        if alphaBps == 0 or alphaBps > BPS:
            raise Revert(InvalidAlpha())
        self._ewmaAlphaBps = alphaBps
        self.emit(EwmaAlphaSet(alphaBps))

    # -- registration --------------------------------------------------------------------------------
    @external
    def registerSink(self, msg: Msg, taskTypeId: Bytes32) -> None:
        """Reverts: UnknownTaskType, AlreadyRegistered, BelowMinStake(stake, minimum), TooManySinks.
        # Solidity: CapacityRegistry.sol#L105-117"""
        if not self._isTaskType[taskTypeId]:
            raise Revert(UnknownTaskType())
        if self._sinkIndex[taskTypeId][msg.sender] != 0:
            raise Revert(AlreadyRegistered())
        stake = self._stakes().getStake(self.this_msg(), msg.sender)
        if stake < MIN_SINK_STAKE:
            raise Revert(BelowMinStake(stake, MIN_SINK_STAKE))
        count = self._sinkCount[taskTypeId]
        if count >= MAX_SINKS_PER_TASK_TYPE:
            raise Revert(TooManySinks())
        self._sinkAt[taskTypeId][count] = msg.sender
        self._sinkIndex[taskTypeId][msg.sender] = count + 1
        self._sinkCount[taskTypeId] = count + 1
        self._sinkSetVersion[taskTypeId] = self._sinkSetVersion[taskTypeId] + 1
        self.emit(SinkRegistered(taskTypeId, msg.sender))

    @external
    def deregisterSink(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> None:
        """Reverts: NotRegistered, NotSinkOrUnderstaked (a caller other than the sink while the sink's
        stake is at least MIN_SINK_STAKE).  # Solidity: CapacityRegistry.sol#L122-139"""
        index = self._sinkIndex[taskTypeId][sink]
        if index == 0:
            raise Revert(NotRegistered())
        if msg.sender != sink and self._stakes().getStake(self.this_msg(), sink) >= MIN_SINK_STAKE:
            raise Revert(NotSinkOrUnderstaked())
        last = self._sinkCount[taskTypeId] - 1
        if index - 1 != last:
            moved = self._sinkAt[taskTypeId][last]
            self._sinkAt[taskTypeId][index - 1] = moved
            self._sinkIndex[taskTypeId][moved] = index
        self._sinkAt[taskTypeId][last] = ZERO_ADDRESS
        self._sinkIndex[taskTypeId][sink] = U256(0)
        self._sinkCount[taskTypeId] = last
        self._commitHash[taskTypeId][sink] = Bytes32(0)
        self._commitBlock[taskTypeId][sink] = U256(0)
        self._sinkSetVersion[taskTypeId] = self._sinkSetVersion[taskTypeId] + 1
        self.emit(SinkDeregistered(taskTypeId, sink))

    # -- commit-reveal -------------------------------------------------------------------------------
    @external
    def commitCapacity(self, msg: Msg, taskTypeId: Bytes32, commitHash: Bytes32) -> None:
        """Reverts: NotRegistered, CommitPending(commitBlock) (pending and unexpired).
        # Solidity: CapacityRegistry.sol#L146-153"""
        if self._sinkIndex[taskTypeId][msg.sender] == 0:
            raise Revert(NotRegistered())
        pending = self._commitBlock[taskTypeId][msg.sender]
        if pending != 0 and U256(self.world.block.number) <= pending + COMMIT_TIMEOUT:
            raise Revert(CommitPending(pending))
        self._commitHash[taskTypeId][msg.sender] = commitHash
        self._commitBlock[taskTypeId][msg.sender] = U256(self.world.block.number)
        self.emit(CapacityCommitted(taskTypeId, msg.sender, commitHash))

    @external
    def revealCapacity(self, msg: Msg, taskTypeId: Bytes32, capacity: U256, nonce: Bytes32) -> None:
        """Reverts, in this order: NoCommit, RevealTooEarly, CommitExpired(commitBlock), CommitMismatch.
        # Solidity: CapacityRegistry.sol#L158-180"""
        number = U256(self.world.block.number)
        commitBlock = self._commitBlock[taskTypeId][msg.sender]
        if commitBlock == 0:
            raise Revert(NoCommit())
        if number <= commitBlock:
            raise Revert(RevealTooEarly())
        if number > commitBlock + COMMIT_TIMEOUT:
            raise Revert(CommitExpired(commitBlock))
        if not (self._commitHashOf(msg.sender, taskTypeId, capacity, nonce) == self._commitHash[taskTypeId][msg.sender]):
            raise Revert(CommitMismatch())
        self._commitHash[taskTypeId][msg.sender] = Bytes32(0)
        self._commitBlock[taskTypeId][msg.sender] = U256(0)
        capScaled = self._stakes().getCapacityCap(self.this_msg(), msg.sender) * UNIT_SCALE
        clamped = capacity if capacity < capScaled else capScaled
        if self._hasRevealed[taskTypeId][msg.sender]:
            alpha = self._ewmaAlphaBps
            smoothed = (alpha * clamped + (BPS - alpha) * self._smoothed[taskTypeId][msg.sender]) // BPS
        else:
            smoothed = clamped
            self._hasRevealed[taskTypeId][msg.sender] = Bool(True)
        self._smoothed[taskTypeId][msg.sender] = smoothed
        self.emit(CapacityRevealed(taskTypeId, msg.sender, capacity, smoothed))

    # -- views ---------------------------------------------------------------------------------------
    @view
    def getSmoothedCapacity(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> U256:
        """min(smoothed, current cap * UNIT_SCALE); 0 when not registered. Never reverts.
        # Solidity: CapacityRegistry.sol#L188-193"""
        if self._sinkIndex[taskTypeId][sink] == 0:
            return U256(0)
        capScaled = self._stakes().getCapacityCap(self.this_msg(), sink) * UNIT_SCALE
        stored = self._smoothed[taskTypeId][sink]
        return stored if stored < capScaled else capScaled

    def _commitHashOf(self, sink: Address, taskTypeId: Bytes32, capacity: U256, nonce: Bytes32) -> Bytes32:
        return commit_hash(sink, taskTypeId, capacity, nonce, self.address)

    @view
    def commitHashOf(self, msg: Msg, sink: Address, taskTypeId: Bytes32, capacity: U256, nonce: Bytes32) -> Bytes32:
        """# Solidity: CapacityRegistry.sol#L196-202"""
        return self._commitHashOf(sink, taskTypeId, capacity, nonce)

    @view
    def getCommit(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> tuple[Bytes32, U256]:
        """(hash, commitBlock).  # Solidity: CapacityRegistry.sol#L204-206"""
        return (self._commitHash[taskTypeId][sink], self._commitBlock[taskTypeId][sink])

    @view
    def isTaskType(self, msg: Msg, taskTypeId: Bytes32) -> Bool:
        """# Solidity: CapacityRegistry.sol#L208-210"""
        return self._isTaskType[taskTypeId]

    @view
    def isSink(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> Bool:
        """# Solidity: CapacityRegistry.sol#L212-214"""
        r = self._sinkIndex[taskTypeId][sink] != 0
        return r if isinstance(r, Bool) else Bool(r)

    @view
    def sinkCount(self, msg: Msg, taskTypeId: Bytes32) -> U256:
        """# Solidity: CapacityRegistry.sol#L216-218"""
        return self._sinkCount[taskTypeId]

    @view
    def sinkAt(self, msg: Msg, taskTypeId: Bytes32, index: U256) -> Address:
        """address(0) at or past sinkCount.  # Solidity: CapacityRegistry.sol#L221-223"""
        return self._sinkAt[taskTypeId][index]

    @view
    def sinkSetVersion(self, msg: Msg, taskTypeId: Bytes32) -> U256:
        """# Solidity: CapacityRegistry.sol#L225-227"""
        return self._sinkSetVersion[taskTypeId]

    @view
    def smoothedOf(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> U256:
        """The stored value, not re-clamped.  # Solidity: CapacityRegistry.sol#L230-232"""
        return self._smoothed[taskTypeId][sink]

    @view
    def hasRevealed(self, msg: Msg, taskTypeId: Bytes32, sink: Address) -> Bool:
        """# Solidity: CapacityRegistry.sol#L234-236"""
        return self._hasRevealed[taskTypeId][sink]

    @view
    def ewmaAlphaBps(self, msg: Msg) -> U256:
        """# Solidity: CapacityRegistry.sol#L238-240"""
        return self._ewmaAlphaBps

    # public constants (their getters)
    @view
    def COMMIT_TIMEOUT(self, msg: Msg) -> U256:
        return COMMIT_TIMEOUT

    @view
    def UNIT_SCALE(self, msg: Msg) -> U256:
        return UNIT_SCALE

    @view
    def MAX_SINKS_PER_TASK_TYPE(self, msg: Msg) -> U256:
        return MAX_SINKS_PER_TASK_TYPE

    @view
    def MIN_SINK_STAKE(self, msg: Msg) -> U256:
        return MIN_SINK_STAKE

    @view
    def BPS(self, msg: Msg) -> U256:
        return BPS

    @view
    def INITIAL_EWMA_ALPHA_BPS(self, msg: Msg) -> U256:
        return INITIAL_EWMA_ALPHA_BPS
