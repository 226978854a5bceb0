// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICapacitySignal, exactly as in the BPE contracts blueprint.
interface ICapacitySignal {
    event CapacityCommitted(bytes32 indexed taskTypeId, address indexed sink, bytes32 commitHash);
    event CapacityRevealed(bytes32 indexed taskTypeId, address indexed sink, uint256 raw, uint256 smoothed);

    function commitCapacity(bytes32 taskTypeId, bytes32 commitHash) external;
    function revealCapacity(bytes32 taskTypeId, uint256 capacity, bytes32 nonce) external;
    function getSmoothedCapacity(bytes32 taskTypeId, address sink) external view returns (uint256);
}
