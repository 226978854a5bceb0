// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IBackpressurePool} from "./interfaces/IBackpressurePool.sol";
import {ICapacityRegistry} from "./interfaces/ICapacityRegistry.sol";
import {IGDAv1Forwarder, ISuperfluidPool, ISuperfluidToken, PoolConfig} from "./interfaces/ISuperfluidGDA.sol";

/// @title BackpressurePool: one Superfluid GDA pool per task type; member units follow the sinks'
///        effective capacities (PROTOCOL.md section 6).
/// @notice This contract is the admin of every pool it creates, and the only account that sets units.
///  - `createPool` (anyone, once per registered task type) creates the GDA pool through the forwarder,
///    with units not transferable and distribution from any address allowed.
///  - `rebalance` (anyone) zeroes members that left the registry, sets every registered sink's units to
///    floor(effective capacity / UNIT_SCALE) where they changed, records snapshots, emits Rebalanced.
///  - `needsRebalance` is true exactly when the sink set changed or some sink's effective capacity moved
///    by more than rebalanceThresholdBps of its snapshot.
/// Model: specs/backpressure_pool.py.
contract BackpressurePool is IBackpressurePool {
    uint256 public constant UNIT_SCALE = 1e18;
    uint256 public constant BPS = 10_000;

    mapping(bytes32 => address) internal pools;
    mapping(bytes32 => uint256) public memberCount;
    mapping(bytes32 => mapping(uint256 => address)) public memberAt;
    mapping(bytes32 => mapping(address => uint256)) public snapshotOf;
    mapping(bytes32 => uint256) public rebalancedVersion;
    uint256 public rebalanceThresholdBps;

    ICapacityRegistry public immutable registry;
    IGDAv1Forwarder public immutable gdaForwarder;
    ISuperfluidToken public immutable token;
    address public immutable governance;

    event PoolCreated(bytes32 indexed taskTypeId, address pool);
    event RebalanceThresholdSet(uint256 thresholdBps);

    error ZeroAddress();
    error NotGovernance(address caller);
    error UnknownTaskType(bytes32 taskTypeId);
    error PoolExists(bytes32 taskTypeId);
    error NoPool(bytes32 taskTypeId);
    error InvalidThreshold(uint256 thresholdBps);

    constructor(ICapacityRegistry registry_, IGDAv1Forwarder gdaForwarder_, ISuperfluidToken token_, address governance_) {
        if (
            address(registry_) == address(0) || address(gdaForwarder_) == address(0) || address(token_) == address(0)
                || governance_ == address(0)
        ) revert ZeroAddress();
        registry = registry_;
        gdaForwarder = gdaForwarder_;
        token = token_;
        governance = governance_;
        rebalanceThresholdBps = 500;
    }

    /// @notice Set the relative change that makes needsRebalance true. Only governance; at most 10000.
    function setRebalanceThreshold(uint256 thresholdBps) external {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        if (thresholdBps > BPS) revert InvalidThreshold(thresholdBps);
        rebalanceThresholdBps = thresholdBps;
        emit RebalanceThresholdSet(thresholdBps);
    }

    /// @notice Create the GDA pool of a registered task type. Anyone; once.
    function createPool(bytes32 taskTypeId) external {
        if (!registry.isTaskType(taskTypeId)) revert UnknownTaskType(taskTypeId);
        if (pools[taskTypeId] != address(0)) revert PoolExists(taskTypeId);
        (, ISuperfluidPool pool) = gdaForwarder.createPool(
            token, address(this), PoolConfig({transferabilityForUnitsOwner: false, distributionFromAnyAddress: true})
        );
        pools[taskTypeId] = address(pool);
        emit PoolCreated(taskTypeId, address(pool));
    }

    /// @notice Re-derive every member's units from the registry's effective capacities. Anyone.
    function rebalance(bytes32 taskTypeId) external {
        address poolAddress = pools[taskTypeId];
        if (poolAddress == address(0)) revert NoPool(taskTypeId);
        ISuperfluidPool pool = ISuperfluidPool(poolAddress);

        // 1. Members of the last rebalance that left the registry lose their units.
        uint256 oldCount = memberCount[taskTypeId];
        for (uint256 i = 0; i < oldCount; ++i) {
            address member = memberAt[taskTypeId][i];
            if (!registry.isSink(taskTypeId, member)) {
                if (pool.getUnits(member) != 0) pool.updateMemberUnits(member, 0);
                delete snapshotOf[taskTypeId][member];
            }
            delete memberAt[taskTypeId][i];
        }

        // 2. Every registered sink gets floor(effective / UNIT_SCALE) units; 3. it becomes a member.
        uint256 count = registry.sinkCount(taskTypeId);
        uint256 totalCapacity = 0;
        for (uint256 i = 0; i < count; ++i) {
            address sink = registry.sinkAt(taskTypeId, i);
            uint256 effective = registry.getSmoothedCapacity(taskTypeId, sink);
            uint128 units = uint128(effective / UNIT_SCALE);
            if (pool.getUnits(sink) != units) pool.updateMemberUnits(sink, units);
            snapshotOf[taskTypeId][sink] = effective;
            memberAt[taskTypeId][i] = sink;
            totalCapacity += units;
        }
        memberCount[taskTypeId] = count;
        rebalancedVersion[taskTypeId] = registry.sinkSetVersion(taskTypeId);
        emit Rebalanced(taskTypeId, count, totalCapacity);
    }

    /// @notice True exactly when the sink set changed since the last rebalance, or some sink's effective
    ///         capacity differs from its snapshot by more than rebalanceThresholdBps of the snapshot.
    function needsRebalance(bytes32 taskTypeId) external view returns (bool) {
        if (pools[taskTypeId] == address(0)) return false;
        if (registry.sinkSetVersion(taskTypeId) != rebalancedVersion[taskTypeId]) return true;
        uint256 count = registry.sinkCount(taskTypeId);
        for (uint256 i = 0; i < count; ++i) {
            address sink = registry.sinkAt(taskTypeId, i);
            uint256 effective = registry.getSmoothedCapacity(taskTypeId, sink);
            uint256 snapshot = snapshotOf[taskTypeId][sink];
            uint256 delta = effective > snapshot ? effective - snapshot : snapshot - effective;
            if (delta * BPS > rebalanceThresholdBps * snapshot) return true;
        }
        return false;
    }

    function getPool(bytes32 taskTypeId) external view returns (address) {
        return pools[taskTypeId];
    }
}
