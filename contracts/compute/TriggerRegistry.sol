// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {ITriggerRegistry} from "./interfaces/ITriggerRegistry.sol";

/// @title TriggerRegistry: agents' cron, webhook and event triggers, executed by the agent or an appointed
///        executor, with prepaid gas sponsorship paid as a fixed fee per execution.
/// @notice Semantics: specs/compute/PROTOCOL.md section 8.
///  - Execution makes no external call: it checks the trigger may run, records it and emits its input
///    for the agent's runtime (R-8.1).
///  - Cron: config is abi.encode(uint256 interval); due at createdAt + interval, then lastExecuted +
///    interval; missed slots are not caught up (R-8.4). Any trigger runs at most once per timestamp (R-8.5).
///  - An appointed executor other than the agent is paid EXECUTION_FEE from the trigger's sponsorship
///    when it covers the fee; fees and the agent's refund at deactivation are pulled (R-8.6 to R-8.8).
contract TriggerRegistry is ITriggerRegistry, Ownable2Step, ReentrancyGuard {
    uint256 public constant MAX_CONFIG_LENGTH = 1024;
    uint256 public constant MAX_INPUT_LENGTH = 1024;
    uint256 public constant MIN_CRON_INTERVAL = 60;
    uint256 public constant MAX_CRON_INTERVAL = 365 days;
    uint256 public constant EXECUTION_FEE = 0.0005 ether;

    mapping(uint256 => Trigger) internal triggers;
    uint256 public triggerCount;
    mapping(uint256 => uint256) public createdAtOf;
    mapping(uint256 => uint256) public cronIntervalOf;
    mapping(uint256 => uint256) public lastExecutedOf;
    mapping(uint256 => uint256) public executionCountOf;
    mapping(uint256 => uint256) public sponsorshipOf;
    mapping(address => uint256) public withdrawable;
    mapping(address => bool) public isExecutor;

    event TriggerCreated(uint256 indexed triggerId, address indexed agent, TriggerType triggerType, bytes config);
    event TriggerFunded(uint256 indexed triggerId, address indexed funder, uint256 amount, uint256 sponsorship);
    event TriggerExecuted(uint256 indexed triggerId, address indexed executor, uint256 executionCount, uint256 fee, bytes input);
    event TriggerDeactivated(uint256 indexed triggerId, uint256 refund);
    event ExecutorSet(address indexed executor, bool enabled);
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroAddress();
    error ZeroAmount();
    error RenounceDisabled();
    error InvalidLength(uint256 length, uint256 minimum, uint256 maximum);
    error InvalidConfig();
    error UnknownTrigger(uint256 triggerId);
    error TriggerInactive(uint256 triggerId);
    error NotAgent(address caller);
    error NotAuthorizedExecutor(address caller);
    error NotDue(uint256 nextDueAt);
    error NothingToWithdraw(address account);

    constructor(address owner_) Ownable(owner_) {}

    /// @notice Ownership cannot be renounced: appointing executors is needed for liveness (R-1.8).
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @notice Appoint or remove an executor (R-8.9). Only the owner.
    function setExecutor(address executor, bool enabled) external onlyOwner {
        if (executor == address(0)) revert ZeroAddress();
        isExecutor[executor] = enabled;
        emit ExecutorSet(executor, enabled);
    }

    /// @notice Create a trigger; the caller is its agent (R-8.2).
    function createTrigger(TriggerType triggerType, bytes memory config) external returns (uint256 triggerId) {
        uint256 length = config.length;
        if (length == 0 || length > MAX_CONFIG_LENGTH) revert InvalidLength(length, 1, MAX_CONFIG_LENGTH);
        uint256 interval = 0;
        if (triggerType == TriggerType.Cron) {
            if (length != 32) revert InvalidConfig();
            interval = abi.decode(config, (uint256));
            if (interval < MIN_CRON_INTERVAL || interval > MAX_CRON_INTERVAL) revert InvalidConfig();
        }
        triggerId = ++triggerCount;
        triggers[triggerId] = Trigger({agent: msg.sender, triggerType: triggerType, config: config, active: true});
        createdAtOf[triggerId] = block.timestamp;
        cronIntervalOf[triggerId] = interval;
        emit TriggerCreated(triggerId, msg.sender, triggerType, config);
    }

    /// @notice Add msg.value to an active trigger's sponsorship. Anyone; the funder keeps no claim (R-8.6).
    function fundTrigger(uint256 triggerId) external payable {
        Trigger storage t = _trigger(triggerId);
        if (!t.active) revert TriggerInactive(triggerId);
        if (msg.value == 0) revert ZeroAmount();
        uint256 sponsorship = sponsorshipOf[triggerId] + msg.value;
        sponsorshipOf[triggerId] = sponsorship;
        emit TriggerFunded(triggerId, msg.sender, msg.value, sponsorship);
    }

    /// @notice Record an execution and pay the executor's fee from sponsorship (R-8.3 to R-8.6).
    function executeTrigger(uint256 triggerId, bytes memory input) external {
        Trigger storage t = _trigger(triggerId);
        if (!t.active) revert TriggerInactive(triggerId);
        bool isAgent = msg.sender == t.agent;
        if (!isAgent && !isExecutor[msg.sender]) revert NotAuthorizedExecutor(msg.sender);
        if (input.length > MAX_INPUT_LENGTH) revert InvalidLength(input.length, 0, MAX_INPUT_LENGTH);
        uint256 due = nextDueAt(triggerId);
        if (block.timestamp < due) revert NotDue(due);

        uint256 count = executionCountOf[triggerId] + 1;
        executionCountOf[triggerId] = count;
        lastExecutedOf[triggerId] = block.timestamp;
        uint256 fee = 0;
        if (!isAgent && sponsorshipOf[triggerId] >= EXECUTION_FEE) {
            fee = EXECUTION_FEE;
            sponsorshipOf[triggerId] -= fee;
            withdrawable[msg.sender] += fee;
        }
        emit TriggerExecuted(triggerId, msg.sender, count, fee, input);
    }

    /// @notice Deactivate for good; the remaining sponsorship becomes the agent's to withdraw (R-8.7).
    function deactivateTrigger(uint256 triggerId) external {
        Trigger storage t = _trigger(triggerId);
        if (msg.sender != t.agent) revert NotAgent(msg.sender);
        if (!t.active) revert TriggerInactive(triggerId);
        t.active = false;
        uint256 refund = sponsorshipOf[triggerId];
        sponsorshipOf[triggerId] = 0;
        withdrawable[msg.sender] += refund;
        emit TriggerDeactivated(triggerId, refund);
    }

    /// @notice Send the caller its fees and refunds (R-8.8).
    function withdraw() external nonReentrant {
        uint256 amount = withdrawable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        withdrawable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    function getTrigger(uint256 triggerId) external view returns (Trigger memory) {
        return _trigger(triggerId);
    }

    /// @notice The earliest timestamp of the next execution (R-8.4, R-8.5). Reverts UnknownTrigger.
    function nextDueAt(uint256 triggerId) public view returns (uint256) {
        Trigger storage t = _trigger(triggerId);
        bool never = executionCountOf[triggerId] == 0;
        if (t.triggerType == TriggerType.Cron) {
            return (never ? createdAtOf[triggerId] : lastExecutedOf[triggerId]) + cronIntervalOf[triggerId];
        }
        return never ? createdAtOf[triggerId] : lastExecutedOf[triggerId] + 1;
    }

    function _trigger(uint256 triggerId) internal view returns (Trigger storage) {
        if (triggerId == 0 || triggerId > triggerCount) revert UnknownTrigger(triggerId);
        return triggers[triggerId];
    }
}
