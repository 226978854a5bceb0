// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceServing, exactly as in the compute marketplace seed.
interface IInferenceServing {
    function deposit() external payable;
    function withdraw(uint256 amount) external;

    function recordUsage(
        address user,
        uint256 inputTokens,
        uint256 outputTokens,
        string memory model
    ) external;

    function getBalance(address user) external view returns (uint256);
    function getUsage(address user) external view returns (uint256 totalTokens, uint256 totalCost);
}
