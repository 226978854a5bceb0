// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICapacitySignal} from "./ICapacitySignal.sol";

/// @title What the BackpressurePool reads from the CapacityRegistry (PROTOCOL.md sections 4-5).
interface ICapacityRegistry is ICapacitySignal {
    function isTaskType(bytes32 taskTypeId) external view returns (bool);
    function isSink(bytes32 taskTypeId, address sink) external view returns (bool);
    function sinkCount(bytes32 taskTypeId) external view returns (uint256);
    function sinkAt(bytes32 taskTypeId, uint256 index) external view returns (address);
    function sinkSetVersion(bytes32 taskTypeId) external view returns (uint256);
}
