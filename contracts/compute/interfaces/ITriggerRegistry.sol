// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ITriggerRegistry, exactly as in the compute marketplace seed.
interface ITriggerRegistry {
    enum TriggerType { Cron, Webhook, Event }

    struct Trigger {
        address agent;
        TriggerType triggerType;
        bytes config;
        bool active;
    }

    function createTrigger(
        TriggerType triggerType,
        bytes memory config
    ) external returns (uint256 triggerId);

    function executeTrigger(uint256 triggerId, bytes memory input) external;
    function deactivateTrigger(uint256 triggerId) external;
}
