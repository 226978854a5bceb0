// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICapacitySignal} from "./interfaces/ICapacitySignal.sol";
import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title CapacityRegistry: task types, sink registration, commit-reveal capacity signals, EWMA.
/// @notice Semantics (model and rationale: specs/capacity_registry.py):
///  - Roles (PROTOCOL.md section 1): governance registers task types and sets the EWMA alpha; a sink
///    registers and deregisters itself, commits and reveals; anyone may deregister a sink whose stake
///    fell below MIN_SINK_STAKE.
///  - Registration and commit-reveal (section 4): at most MAX_SINKS_PER_TASK_TYPE sinks per task type,
///    kept by swap-and-pop; commitHash = keccak256(abi.encode(sink, taskTypeId, capacity, nonce,
///    block.chainid, address(this))); a reveal is valid in blocks commitBlock+1 .. commitBlock+COMMIT_TIMEOUT.
///  - Smoothing and clamping (sections 3 and 5): the revealed value is clamped to the stake cap times
///    UNIT_SCALE, then smoothed by an EWMA rounded down (the first reveal is taken as is); routing reads
///    min(smoothed, current cap * UNIT_SCALE), so a slash or unstake lowers it at once.
///  - Constants and governable parameters (section 7); functions, events and errors (section 10).
/// @dev Storage is mappings and scalars only (the differential state view reads it through the
///  storage layout). Public getters are explicit functions over `_`-prefixed storage, so the model
///  can keep the storage names and the getter names side by side.
contract CapacityRegistry is ICapacityRegistry {
    /// @notice Reveal window length in blocks (section 4).
    uint256 public constant COMMIT_TIMEOUT = 20;
    /// @notice One capacity unit in 18-decimal fixed point (section 3).
    uint256 public constant UNIT_SCALE = 1e18;
    /// @notice Loop bound of the pool's rebalance and the buffer's drain (section 4).
    uint256 public constant MAX_SINKS_PER_TASK_TYPE = 32;
    /// @notice Same value as StakeManager.MIN_SINK_STAKE (IStakeManager does not expose it; section 7
    ///  makes it a constant of the deployment).
    uint256 public constant MIN_SINK_STAKE = 100e18;
    /// @notice Denominator of ewmaAlphaBps (section 5).
    uint256 public constant BPS = 10_000;
    /// @notice ewmaAlphaBps at deployment (section 5).
    uint256 public constant INITIAL_EWMA_ALPHA_BPS = 3000;

    mapping(bytes32 => bool) internal _isTaskType;
    mapping(bytes32 => uint256) internal _sinkCount;
    mapping(bytes32 => mapping(uint256 => address)) internal _sinkAt;
    mapping(bytes32 => mapping(address => uint256)) internal _sinkIndex; // 1-based; 0 = not registered
    mapping(bytes32 => uint256) internal _sinkSetVersion;
    mapping(bytes32 => mapping(address => uint256)) internal _smoothed;
    mapping(bytes32 => mapping(address => bool)) internal _hasRevealed;
    mapping(bytes32 => mapping(address => bytes32)) internal _commitHash;
    mapping(bytes32 => mapping(address => uint256)) internal _commitBlock; // 0 = no pending commit
    uint256 internal _ewmaAlphaBps;

    IStakeManager public immutable stakeManager;
    address public immutable governance;

    event TaskTypeRegistered(bytes32 indexed taskTypeId);
    event SinkRegistered(bytes32 indexed taskTypeId, address indexed sink);
    event SinkDeregistered(bytes32 indexed taskTypeId, address indexed sink);
    event EwmaAlphaSet(uint256 alphaBps);

    error ZeroAddress();
    error NotGovernance(address caller);
    error ZeroTaskType();
    error TaskTypeExists();
    error UnknownTaskType();
    error AlreadyRegistered();
    error NotRegistered();
    error BelowMinStake(uint256 stake, uint256 minimum);
    error TooManySinks();
    error NotSinkOrUnderstaked();
    error CommitPending(uint256 commitBlock);
    error NoCommit();
    error RevealTooEarly();
    error CommitExpired(uint256 commitBlock);
    error CommitMismatch();
    error InvalidAlpha();

    constructor(IStakeManager stakeManager_, address governance_) {
        if (address(stakeManager_) == address(0) || governance_ == address(0)) revert ZeroAddress();
        stakeManager = stakeManager_;
        governance = governance_;
        _ewmaAlphaBps = INITIAL_EWMA_ALPHA_BPS;
    }

    // ---------------------------------------------------------------------------------------------
    // Governance (sections 1, 4, 5, 7)

    /// @notice Register a task type. Only governance; the id is nonzero and new (section 4).
    function registerTaskType(bytes32 taskTypeId) external {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        if (taskTypeId == bytes32(0)) revert ZeroTaskType();
        if (_isTaskType[taskTypeId]) revert TaskTypeExists();
        _isTaskType[taskTypeId] = true;
        emit TaskTypeRegistered(taskTypeId);
    }

    /// @notice Set the EWMA weight of a new reveal, 0 < alphaBps <= 10000. Only governance (section 5).
    function setEwmaAlpha(uint256 alphaBps) external {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        if (alphaBps == 0 || alphaBps > BPS) revert InvalidAlpha();
        _ewmaAlphaBps = alphaBps;
        emit EwmaAlphaSet(alphaBps);
    }

    // ---------------------------------------------------------------------------------------------
    // Registration (section 4)

    /// @notice The caller registers as a sink of `taskTypeId`. Checks in the order of section 4.
    function registerSink(bytes32 taskTypeId) external {
        if (!_isTaskType[taskTypeId]) revert UnknownTaskType();
        if (_sinkIndex[taskTypeId][msg.sender] != 0) revert AlreadyRegistered();
        uint256 stake = stakeManager.getStake(msg.sender);
        if (stake < MIN_SINK_STAKE) revert BelowMinStake(stake, MIN_SINK_STAKE);
        uint256 count = _sinkCount[taskTypeId];
        if (count >= MAX_SINKS_PER_TASK_TYPE) revert TooManySinks();
        _sinkAt[taskTypeId][count] = msg.sender;
        _sinkIndex[taskTypeId][msg.sender] = count + 1;
        _sinkCount[taskTypeId] = count + 1;
        _sinkSetVersion[taskTypeId] += 1;
        emit SinkRegistered(taskTypeId, msg.sender);
    }

    /// @notice Remove `sink` from `taskTypeId`: by the sink itself, or by anyone once its stake is below
    ///  MIN_SINK_STAKE (section 4). Swap-and-pop; a pending commit is deleted; the smoothed value and
    ///  the has-revealed flag are kept (so re-registering does not skip smoothing).
    function deregisterSink(bytes32 taskTypeId, address sink) external {
        uint256 index = _sinkIndex[taskTypeId][sink];
        if (index == 0) revert NotRegistered();
        if (msg.sender != sink && stakeManager.getStake(sink) >= MIN_SINK_STAKE) revert NotSinkOrUnderstaked();
        uint256 last = _sinkCount[taskTypeId] - 1;
        if (index - 1 != last) {
            address moved = _sinkAt[taskTypeId][last];
            _sinkAt[taskTypeId][index - 1] = moved;
            _sinkIndex[taskTypeId][moved] = index;
        }
        delete _sinkAt[taskTypeId][last];
        delete _sinkIndex[taskTypeId][sink];
        _sinkCount[taskTypeId] = last;
        delete _commitHash[taskTypeId][sink];
        delete _commitBlock[taskTypeId][sink];
        _sinkSetVersion[taskTypeId] += 1;
        emit SinkDeregistered(taskTypeId, sink);
    }

    // ---------------------------------------------------------------------------------------------
    // Commit-reveal (sections 4 and 5)

    /// @inheritdoc ICapacitySignal
    /// @dev A registered sink only; a pending, unexpired commit blocks a new one (section 4).
    function commitCapacity(bytes32 taskTypeId, bytes32 commitHash) external {
        if (_sinkIndex[taskTypeId][msg.sender] == 0) revert NotRegistered();
        uint256 pending = _commitBlock[taskTypeId][msg.sender];
        if (pending != 0 && block.number <= pending + COMMIT_TIMEOUT) revert CommitPending(pending);
        _commitHash[taskTypeId][msg.sender] = commitHash;
        _commitBlock[taskTypeId][msg.sender] = block.number;
        emit CapacityCommitted(taskTypeId, msg.sender, commitHash);
    }

    /// @inheritdoc ICapacitySignal
    /// @dev Checks in the order of section 4 (NoCommit, RevealTooEarly, CommitExpired, CommitMismatch);
    ///  clamp, then EWMA rounded down, first reveal taken as is (section 5).
    function revealCapacity(bytes32 taskTypeId, uint256 capacity, bytes32 nonce) external {
        uint256 commitBlock = _commitBlock[taskTypeId][msg.sender];
        if (commitBlock == 0) revert NoCommit();
        if (block.number <= commitBlock) revert RevealTooEarly();
        if (block.number > commitBlock + COMMIT_TIMEOUT) revert CommitExpired(commitBlock);
        if (commitHashOf(msg.sender, taskTypeId, capacity, nonce) != _commitHash[taskTypeId][msg.sender]) {
            revert CommitMismatch();
        }
        delete _commitHash[taskTypeId][msg.sender];
        delete _commitBlock[taskTypeId][msg.sender];
        uint256 capScaled = stakeManager.getCapacityCap(msg.sender) * UNIT_SCALE;
        uint256 clamped = capacity < capScaled ? capacity : capScaled;
        uint256 smoothed;
        if (_hasRevealed[taskTypeId][msg.sender]) {
            uint256 alpha = _ewmaAlphaBps;
            smoothed = (alpha * clamped + (BPS - alpha) * _smoothed[taskTypeId][msg.sender]) / BPS;
        } else {
            smoothed = clamped;
            _hasRevealed[taskTypeId][msg.sender] = true;
        }
        _smoothed[taskTypeId][msg.sender] = smoothed;
        emit CapacityRevealed(taskTypeId, msg.sender, capacity, smoothed);
    }

    // ---------------------------------------------------------------------------------------------
    // Views (sections 4, 5 and 10)

    /// @inheritdoc ICapacitySignal
    /// @dev The effective capacity min(smoothed, current cap * UNIT_SCALE); 0 for an unknown task type
    ///  or an unregistered sink, never a revert (section 5).
    function getSmoothedCapacity(bytes32 taskTypeId, address sink) external view returns (uint256) {
        if (_sinkIndex[taskTypeId][sink] == 0) return 0;
        uint256 capScaled = stakeManager.getCapacityCap(sink) * UNIT_SCALE;
        uint256 stored = _smoothed[taskTypeId][sink];
        return stored < capScaled ? stored : capScaled;
    }

    /// @notice The preimage rule of section 4 (a view, not pure: it reads block.chainid and address(this)).
    function commitHashOf(address sink, bytes32 taskTypeId, uint256 capacity, bytes32 nonce)
        public
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(sink, taskTypeId, capacity, nonce, block.chainid, address(this)));
    }

    function getCommit(bytes32 taskTypeId, address sink) external view returns (bytes32 hash, uint256 commitBlock) {
        return (_commitHash[taskTypeId][sink], _commitBlock[taskTypeId][sink]);
    }

    function isTaskType(bytes32 taskTypeId) external view returns (bool) {
        return _isTaskType[taskTypeId];
    }

    function isSink(bytes32 taskTypeId, address sink) external view returns (bool) {
        return _sinkIndex[taskTypeId][sink] != 0;
    }

    function sinkCount(bytes32 taskTypeId) external view returns (uint256) {
        return _sinkCount[taskTypeId];
    }

    /// @notice The sink at `index` (0-based) of the task type's list; address(0) at or past sinkCount.
    function sinkAt(bytes32 taskTypeId, uint256 index) external view returns (address) {
        return _sinkAt[taskTypeId][index];
    }

    function sinkSetVersion(bytes32 taskTypeId) external view returns (uint256) {
        return _sinkSetVersion[taskTypeId];
    }

    /// @notice The stored smoothed value (not re-clamped to the current cap; see getSmoothedCapacity).
    function smoothedOf(bytes32 taskTypeId, address sink) external view returns (uint256) {
        return _smoothed[taskTypeId][sink];
    }

    function hasRevealed(bytes32 taskTypeId, address sink) external view returns (bool) {
        return _hasRevealed[taskTypeId][sink];
    }

    function ewmaAlphaBps() external view returns (uint256) {
        return _ewmaAlphaBps;
    }
}
