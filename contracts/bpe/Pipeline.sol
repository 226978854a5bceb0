// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ISuperfluidToken} from "./interfaces/ISuperfluidGDA.sol";

/// @notice What the Pipeline calls on the EscrowBuffer.
interface IEscrowBufferForPipeline {
    function deposit(bytes32 taskTypeId, uint256 amount) external;
    function drain(bytes32 taskTypeId) external;
    function drainable(bytes32 taskTypeId) external view returns (uint256);
    function backpressurePool() external view returns (address);
}

interface IPoolLookup {
    function getPool(bytes32 taskTypeId) external view returns (address);
}

/// @title Pipeline: chains of task types paid together; congestion anywhere in the chain pushes back
///        on the source at the top (PROTOCOL.md section 9).
/// @notice
///  - `deposit` splits a payment across the stages by weight (the first stage takes the rounding rest)
///    and deposits every share into the stage's EscrowBuffer, all or nothing.
///  - `drain` drains every stage with something drainable, last stage first.
/// Model: specs/pipeline.py.
contract Pipeline {
    uint256 public constant MAX_STAGES = 8;
    uint256 public constant BPS = 10_000;

    uint256 public pipelineCount;
    mapping(uint256 => uint256) public stageCount;
    mapping(uint256 => mapping(uint256 => bytes32)) public stageAt;
    mapping(uint256 => mapping(uint256 => uint256)) public weightAt;

    IEscrowBufferForPipeline public immutable escrowBuffer;
    ISuperfluidToken public immutable token;
    address public immutable governance;

    event PipelineCreated(uint256 indexed pipelineId, bytes32[] stages, uint256[] weightsBps);
    event PipelineDeposited(uint256 indexed pipelineId, address indexed source, uint256 amount);

    error ZeroAddress();
    error NotGovernance(address caller);
    error InvalidPipeline();
    error NoPool(bytes32 taskTypeId);
    error UnknownPipeline(uint256 pipelineId);
    error ZeroAmount();
    error NothingToDrain(uint256 pipelineId);
    error TransferFailed();

    constructor(IEscrowBufferForPipeline escrowBuffer_, ISuperfluidToken token_, address governance_) {
        if (address(escrowBuffer_) == address(0) || address(token_) == address(0) || governance_ == address(0)) {
            revert ZeroAddress();
        }
        escrowBuffer = escrowBuffer_;
        token = token_;
        governance = governance_;
    }

    /// @notice Create a pipeline of 2..MAX_STAGES distinct task types with pools; weights sum to 10000.
    function createPipeline(bytes32[] calldata stages, uint256[] calldata weightsBps) external returns (uint256 pipelineId) {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        uint256 n = stages.length;
        if (n != weightsBps.length || n < 2 || n > MAX_STAGES) revert InvalidPipeline();
        uint256 sum = 0;
        IPoolLookup pools = IPoolLookup(escrowBuffer.backpressurePool());
        for (uint256 i = 0; i < n; ++i) {
            if (weightsBps[i] == 0 || weightsBps[i] > BPS) revert InvalidPipeline();
            sum += weightsBps[i];
            for (uint256 j = 0; j < i; ++j) {
                if (stages[j] == stages[i]) revert InvalidPipeline();
            }
            if (pools.getPool(stages[i]) == address(0)) revert NoPool(stages[i]);
        }
        if (sum != BPS) revert InvalidPipeline();
        pipelineId = pipelineCount + 1;
        pipelineCount = pipelineId;
        stageCount[pipelineId] = n;
        for (uint256 i = 0; i < n; ++i) {
            stageAt[pipelineId][i] = stages[i];
            weightAt[pipelineId][i] = weightsBps[i];
        }
        emit PipelineCreated(pipelineId, stages, weightsBps);
    }

    /// @notice Pay `amount` of the caller's tokens into every stage's buffer by weight (approve first).
    ///         All or nothing: a stage whose buffer cannot take its share reverts the whole deposit.
    function deposit(uint256 pipelineId, uint256 amount) external {
        uint256 n = stageCount[pipelineId];
        if (n == 0) revert UnknownPipeline(pipelineId);
        if (amount == 0) revert ZeroAmount();
        if (!IERC20(address(token)).transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        uint256 rest = amount;
        for (uint256 i = n - 1; i > 0; --i) {
            uint256 share = amount * weightAt[pipelineId][i] / BPS;
            rest -= share;
            _depositShare(stageAt[pipelineId][i], share);
        }
        _depositShare(stageAt[pipelineId][0], rest);
        emit PipelineDeposited(pipelineId, msg.sender, amount);
    }

    /// @notice Drain every stage that has something drainable, last stage first. Anyone.
    function drain(uint256 pipelineId) external {
        uint256 n = stageCount[pipelineId];
        if (n == 0) revert UnknownPipeline(pipelineId);
        bool drained = false;
        for (uint256 i = n; i > 0; --i) {
            bytes32 stage = stageAt[pipelineId][i - 1];
            if (escrowBuffer.drainable(stage) != 0) {
                escrowBuffer.drain(stage);
                drained = true;
            }
        }
        if (!drained) revert NothingToDrain(pipelineId);
    }

    function _depositShare(bytes32 stage, uint256 share) internal {
        if (share == 0) return;
        if (!IERC20(address(token)).approve(address(escrowBuffer), share)) revert TransferFailed();
        escrowBuffer.deposit(stage, share);
    }
}
