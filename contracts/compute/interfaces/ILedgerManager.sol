// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ILedgerManager, exactly as in the compute marketplace seed.
interface ILedgerManager {
    function deposit() external payable;
    function depositToken(address token, uint256 amount) external;
    function withdraw(uint256 amount) external;
    function withdrawToken(address token, uint256 amount) external;

    function getBalance(address user) external view returns (uint256 ethBalance);
    function getTokenBalance(address user, address token) external view returns (uint256);
}
