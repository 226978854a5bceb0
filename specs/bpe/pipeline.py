"""Model of contracts/bpe/Pipeline.sol: chains of task types paid together (PROTOCOL.md section 9).

- `createPipeline(stages, weightsBps)` (governance): 2..MAX_STAGES distinct task types with pools,
  nonzero weights summing to 10000; ids count from 1.
- `deposit(pipelineId, amount)`: pulls `amount`, gives stage i > 0 floor(amount * w_i / 10000) and the
  first stage the rest, and deposits each nonzero share into the stage's EscrowBuffer, last stage first.
  All or nothing: a stage whose buffer cannot take its share reverts everything (upstream propagation
  as admission control).
- `drain(pipelineId)` (anyone): drains every stage with something drainable, last stage first;
  NothingToDrain if none had anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U256, Address, Bytes32, Contract, Event, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS,
    external, immutable, storage,
)

MAX_STAGES = U256(8)
BPS = U256(10_000)


# -- errors --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ZeroAddress(SolidityError):
    pass


@dataclass(frozen=True)
class NotGovernance(SolidityError):
    caller: Address


@dataclass(frozen=True)
class InvalidPipeline(SolidityError):
    pass


@dataclass(frozen=True)
class NoPool(SolidityError):
    taskTypeId: Bytes32


@dataclass(frozen=True)
class UnknownPipeline(SolidityError):
    pipelineId: U256


@dataclass(frozen=True)
class ZeroAmount(SolidityError):
    pass


@dataclass(frozen=True)
class NothingToDrain(SolidityError):
    pipelineId: U256


@dataclass(frozen=True)
class TransferFailed(SolidityError):
    pass


# -- events --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineCreated(Event):
    pipelineId: U256
    stages: tuple
    weightsBps: tuple


@dataclass(frozen=True)
class PipelineDeposited(Event):
    pipelineId: U256
    source: Address
    amount: U256


@dataclass
class Pipeline(Contract):
    # storage, in Pipeline.sol declaration order
    pipelineCount: U256 = storage(lambda: U256(0))
    stageCount: Mapping = storage(lambda: Mapping(U256, U256))
    stageAt: Mapping = storage(lambda: Mapping(U256, Mapping(U256, Bytes32)))
    weightAt: Mapping = storage(lambda: Mapping(U256, Mapping(U256, U256)))
    # immutables
    escrowBuffer: Address = immutable(default=ZERO_ADDRESS)
    token: Address = immutable(default=ZERO_ADDRESS)
    governance: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, escrowBuffer: Address, token: Address, governance: Address) -> "Pipeline":
        """Reverts: ZeroAddress.  # Solidity: Pipeline.sol#L51-58"""
        if escrowBuffer == ZERO_ADDRESS or token == ZERO_ADDRESS or governance == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(escrowBuffer=escrowBuffer, token=token, governance=governance)

    @external
    def createPipeline(self, msg: Msg, stages: list[Bytes32], weightsBps: list[U256]) -> U256:
        """Reverts: NotGovernance, InvalidPipeline, NoPool.  # Solidity: Pipeline.sol#L61-84"""
        if msg.sender != self.governance:
            raise Revert(NotGovernance(msg.sender))
        n = U256(len(stages))
        if n != len(weightsBps) or n < 2 or n > MAX_STAGES:
            raise Revert(InvalidPipeline())
        total = U256(0)
        pools = self.world.at(self.world.at(self.escrowBuffer).backpressurePool)  # public getter
        for i in range(len(stages)):
            if weightsBps[i] == 0 or weightsBps[i] > BPS:
                raise Revert(InvalidPipeline())
            total = total + weightsBps[i]
            for j in range(i):
                if stages[j] == stages[i]:
                    raise Revert(InvalidPipeline())
            if pools.getPool(self.this_msg(), stages[i]) == ZERO_ADDRESS:
                raise Revert(NoPool(stages[i]))
        if total != BPS:
            raise Revert(InvalidPipeline())
        pipelineId = self.pipelineCount + 1
        self.pipelineCount = pipelineId
        self.stageCount[pipelineId] = n
        for i in range(len(stages)):
            self.stageAt[pipelineId][U256(i)] = stages[i]
            self.weightAt[pipelineId][U256(i)] = weightsBps[i]
        self.emit(PipelineCreated(pipelineId, tuple(stages), tuple(weightsBps)))
        return pipelineId

    @external
    def deposit(self, msg: Msg, pipelineId: U256, amount: U256) -> None:
        """Reverts: UnknownPipeline, ZeroAmount, the SuperToken's transferFrom errors, and every
        EscrowBuffer.deposit error of a stage (BufferOverflow).  # Solidity: Pipeline.sol#L88-101"""
        n = self.stageCount[pipelineId]
        if n == 0:
            raise Revert(UnknownPipeline(pipelineId))
        if amount == 0:
            raise Revert(ZeroAmount())
        if not self.world.at(self.token).transferFrom(self.this_msg(), msg.sender, self.address, amount):
            raise Revert(TransferFailed())
        rest = amount
        i = n - 1
        while i > 0:
            share = amount * self.weightAt[pipelineId][i] // BPS
            rest = rest - share
            self._depositStage(pipelineId, i, share)
            i = i - 1
        self._depositStage(pipelineId, U256(0), rest)
        self.emit(PipelineDeposited(pipelineId, msg.sender, amount))

    @external
    def drain(self, msg: Msg, pipelineId: U256) -> None:
        """Reverts: UnknownPipeline, NothingToDrain.  # Solidity: Pipeline.sol#L104-116"""
        n = self.stageCount[pipelineId]
        if n == 0:
            raise Revert(UnknownPipeline(pipelineId))
        drained = False
        i = n
        while i > 0:
            if self._drainStage(pipelineId, i - 1):
                drained = True
            i = i - 1
        if not drained:
            raise Revert(NothingToDrain(pipelineId))

    # -- the loop bodies of deposit and drain, as methods of their own (statement for statement the
    # Solidity's), so the prover can run one iteration on its own (invariants/bpe/pipeline.py)
    def _depositStage(self, pipelineId: U256, i: U256, share: U256) -> None:
        """One stage of deposit: stage i's share into its buffer (the loop's iterations i = n-1..1 with
        the weighted share, then stage 0 with the rest).  # Solidity: Pipeline.sol#L97
        (`_depositShare(stageAt[pipelineId][i], share);`; stage 0: Pipeline.sol line 99)"""
        self._depositShare(self.stageAt[pipelineId][i], share)

    def _drainStage(self, pipelineId: U256, j: U256) -> bool:
        """One iteration of drain's loop, stage j = i - 1; true if the stage was drained.
        # Solidity: Pipeline.sol#L109-113 (`bytes32 stage = stageAt[pipelineId][i - 1];`)"""
        buffer = self.world.at(self.escrowBuffer)
        stage = self.stageAt[pipelineId][j]
        if buffer.drainable(self.this_msg(), stage) != 0:
            buffer.drain(self.this_msg(), stage)
            return True
        return False

    def _depositShare(self, stage: Bytes32, share: U256) -> None:
        """# Solidity: Pipeline.sol#L118-122"""
        if share == 0:
            return
        if not self.world.at(self.token).approve(self.this_msg(), self.escrowBuffer, share):
            raise Revert(TransferFailed())
        self.world.at(self.escrowBuffer).deposit(self.this_msg(), stage, share)
