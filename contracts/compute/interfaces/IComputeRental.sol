// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IComputeRental, exactly as in the compute marketplace seed.
interface IComputeRental {
    struct Session {
        address renter;
        uint256 providerId;
        uint256 startTime;
        uint256 endTime;
        uint256 deposit;
        string sshPublicKey;
        bool active;
    }

    function createSession(
        uint256 providerId,
        uint256 durationHours,
        string memory sshPublicKey
    ) external payable returns (uint256 sessionId);

    function extendSession(uint256 sessionId, uint256 additionalHours) external payable;
    function terminateSession(uint256 sessionId) external;
    function getSession(uint256 sessionId) external view returns (Session memory);
}
