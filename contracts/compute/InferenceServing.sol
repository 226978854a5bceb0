// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IInferenceServing} from "./interfaces/IInferenceServing.sol";
import {ComputeRegistry} from "./ComputeRegistry.sol";

/// @title InferenceServing: prepaid ETH balances billed per token by providers, within user allowances.
/// @notice Semantics: specs/compute/PROTOCOL.md section 5.
///  - Balances are this contract's own, separate from LedgerManager (R-5.1).
///  - A provider prices its own models per input and output token (R-5.2) and records usage for a user
///    only while available and only within the allowance the user granted it (R-5.3, R-5.4).
///  - The cost is exact; a short balance reverts, nothing is charged (R-5.5, R-5.6). The cost moves to
///    the provider's earnings, pulled with withdrawEarnings (R-5.7).
contract InferenceServing is IInferenceServing, ReentrancyGuard {
    struct ModelPrice {
        uint256 inputPricePerToken;
        uint256 outputPricePerToken;
    }

    uint256 public constant MAX_MODEL_LENGTH = 64;
    uint256 public constant MAX_PRICE_PER_TOKEN = 1e18;
    uint256 public constant MAX_TOKENS_PER_RECORD = 1e12;

    mapping(address => uint256) internal balances;
    mapping(address => uint256) internal usageTokens;
    mapping(address => uint256) internal usageCost;
    mapping(address => mapping(bytes32 => ModelPrice)) internal prices;
    mapping(address => mapping(address => uint256)) public allowance;
    mapping(address => uint256) public earnings;

    ComputeRegistry public immutable registry;

    event Deposited(address indexed user, uint256 amount);
    event Withdrawn(address indexed user, uint256 amount);
    event ModelPriceSet(address indexed provider, string model, uint256 inputPricePerToken, uint256 outputPricePerToken);
    event ProviderApproved(address indexed user, address indexed provider, uint256 amount);
    event UsageRecorded(address indexed user, address indexed provider, string model, uint256 inputTokens, uint256 outputTokens, uint256 cost);
    event EarningsWithdrawn(address indexed provider, uint256 amount);

    error ZeroAddress();
    error ZeroAmount();
    error InsufficientBalance(uint256 balance, uint256 requested);
    error NotProvider(address caller);
    error ProviderUnavailable(uint256 providerId);
    error InvalidLength(uint256 length, uint256 minimum, uint256 maximum);
    error InvalidPrice(uint256 inputPricePerToken, uint256 outputPricePerToken);
    error UnknownModel(address provider, string model);
    error ZeroUsage();
    error TooManyTokens(uint256 inputTokens, uint256 outputTokens);
    error SelfBilling(address provider);
    error AllowanceExceeded(uint256 allowance, uint256 cost);
    error NothingToWithdraw(address account);

    constructor(ComputeRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroAddress();
        registry = registry_;
    }

    /// @notice Credit msg.value to the caller's balance (R-5.9).
    function deposit() external payable {
        if (msg.value == 0) revert ZeroAmount();
        balances[msg.sender] += msg.value;
        emit Deposited(msg.sender, msg.value);
    }

    /// @notice Withdraw `amount` of the caller's balance (R-5.9).
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 balance = balances[msg.sender];
        if (amount > balance) revert InsufficientBalance(balance, amount);
        balances[msg.sender] = balance - amount;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Set how much `provider` may still bill the caller; replaces the previous value (R-5.4).
    function approveProvider(address provider, uint256 amount) external {
        if (provider == address(0)) revert ZeroAddress();
        allowance[msg.sender][provider] = amount;
        emit ProviderApproved(msg.sender, provider, amount);
    }

    /// @notice Price one of the caller's models per input and output token (R-5.2).
    function setModelPrice(string memory model, uint256 inputPricePerToken, uint256 outputPricePerToken) external {
        if (registry.providerIdOf(msg.sender) == 0) revert NotProvider(msg.sender);
        _checkModel(model);
        if (
            inputPricePerToken > MAX_PRICE_PER_TOKEN || outputPricePerToken > MAX_PRICE_PER_TOKEN
                || (inputPricePerToken == 0 && outputPricePerToken == 0)
        ) {
            revert InvalidPrice(inputPricePerToken, outputPricePerToken);
        }
        prices[msg.sender][keccak256(bytes(model))] = ModelPrice(inputPricePerToken, outputPricePerToken);
        emit ModelPriceSet(msg.sender, model, inputPricePerToken, outputPricePerToken);
    }

    /// @notice Bill `user` for tokens the caller served with `model` (R-5.3 to R-5.7).
    function recordUsage(address user, uint256 inputTokens, uint256 outputTokens, string memory model) external {
        uint256 providerId = registry.providerIdOf(msg.sender);
        if (providerId == 0) revert NotProvider(msg.sender);
        if (!registry.isAvailable(providerId)) revert ProviderUnavailable(providerId);
        if (user == address(0)) revert ZeroAddress();
        if (user == msg.sender) revert SelfBilling(msg.sender);
        _checkModel(model);
        ModelPrice memory price = prices[msg.sender][keccak256(bytes(model))];
        if (price.inputPricePerToken == 0 && price.outputPricePerToken == 0) revert UnknownModel(msg.sender, model);
        if (inputTokens == 0 && outputTokens == 0) revert ZeroUsage();
        if (inputTokens > MAX_TOKENS_PER_RECORD || outputTokens > MAX_TOKENS_PER_RECORD) {
            revert TooManyTokens(inputTokens, outputTokens);
        }
        uint256 cost = inputTokens * price.inputPricePerToken + outputTokens * price.outputPricePerToken;
        uint256 allowed = allowance[user][msg.sender];
        if (cost > allowed) revert AllowanceExceeded(allowed, cost);
        uint256 balance = balances[user];
        if (cost > balance) revert InsufficientBalance(balance, cost);

        allowance[user][msg.sender] = allowed - cost;
        balances[user] = balance - cost;
        earnings[msg.sender] += cost;
        usageTokens[user] += inputTokens + outputTokens;
        usageCost[user] += cost;
        emit UsageRecorded(user, msg.sender, model, inputTokens, outputTokens, cost);
    }

    /// @notice Send the caller its whole earnings (R-5.7).
    function withdrawEarnings() external nonReentrant {
        uint256 amount = earnings[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        earnings[msg.sender] = 0;
        emit EarningsWithdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    function getBalance(address user) external view returns (uint256) {
        return balances[user];
    }

    /// @notice Cumulative tokens and cost billed to `user`, over all providers and models (R-5.8).
    function getUsage(address user) external view returns (uint256 totalTokens, uint256 totalCost) {
        return (usageTokens[user], usageCost[user]);
    }

    function modelPrice(address provider, string memory model)
        external
        view
        returns (uint256 inputPricePerToken, uint256 outputPricePerToken)
    {
        ModelPrice memory price = prices[provider][keccak256(bytes(model))];
        return (price.inputPricePerToken, price.outputPricePerToken);
    }

    function _checkModel(string memory model) internal pure {
        uint256 length = bytes(model).length;
        if (length == 0 || length > MAX_MODEL_LENGTH) revert InvalidLength(length, 1, MAX_MODEL_LENGTH);
    }
}
