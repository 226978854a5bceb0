// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ILedgerManager} from "./interfaces/ILedgerManager.sol";

/// @title LedgerManager: a per-user wallet of ETH and ERC20 balances for compute services.
/// @notice Semantics: specs/compute/PROTOCOL.md section 6.
///  - Only the user moves its balances; no service or role can debit them (R-6.1). Automatic top-up is
///    not implemented.
///  - Token deposits credit the balance difference (fee-on-transfer tokens) and use SafeERC20 (tokens
///    returning false or nothing) (R-6.3, R-6.4). Rebasing tokens are not supported (R-6.5).
contract LedgerManager is ILedgerManager, ReentrancyGuard {
    using SafeERC20 for IERC20;

    mapping(address => uint256) internal ethBalances;
    mapping(address => mapping(address => uint256)) internal tokenBalances;

    event Deposited(address indexed user, uint256 amount);
    event Withdrawn(address indexed user, uint256 amount);
    event TokenDeposited(address indexed user, address indexed token, uint256 requested, uint256 credited);
    event TokenWithdrawn(address indexed user, address indexed token, uint256 amount);

    error ZeroAddress();
    error ZeroAmount();
    error InsufficientBalance(uint256 balance, uint256 requested);

    /// @notice Credit msg.value to the caller (R-6.2).
    function deposit() external payable nonReentrant {
        if (msg.value == 0) revert ZeroAmount();
        ethBalances[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Pull `amount` of `token` (approve first) and credit what arrived (R-6.3).
    function depositToken(address token, uint256 amount) external nonReentrant {
        if (token == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 afterBalance = IERC20(token).balanceOf(address(this));
        if (afterBalance <= before) revert ZeroAmount();
        uint256 credited = afterBalance - before;
        tokenBalances[msg.sender][token] += credited;
        emit TokenDeposited(msg.sender, token, amount, credited);
    }

    /// @notice Withdraw `amount` of the caller's ETH (R-6.2).
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = ethBalances[msg.sender];
        if (amount > balance) revert InsufficientBalance(balance, amount);
        ethBalances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Withdraw `amount` of the caller's `token` balance (R-6.4).
    function withdrawToken(address token, uint256 amount) external nonReentrant {
        if (token == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        uint256 balance = tokenBalances[msg.sender][token];
        if (amount > balance) revert InsufficientBalance(balance, amount);
        tokenBalances[msg.sender][token] = balance - amount;
        emit TokenWithdrawn(msg.sender, token, amount);
        IERC20(token).safeTransfer(msg.sender, amount);
    }

    function getBalance(address user) external view returns (uint256 ethBalance) {
        return ethBalances[user];
    }

    function getTokenBalance(address user, address token) external view returns (uint256) {
        return tokenBalances[user][token];
    }
}
