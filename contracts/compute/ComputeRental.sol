// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IComputeRental} from "./interfaces/IComputeRental.sol";
import {IComputeStaking} from "./interfaces/IComputeStaking.sol";
import {ComputeRegistry} from "./ComputeRegistry.sol";

/// @title ComputeRental: prepaid rental sessions held in escrow and split once, at termination.
/// @notice Semantics: specs/compute/PROTOCOL.md section 4.
///  - Price fixed at creation (sessionPrice); msg.value must equal hours * sessionPrice exactly, for
///    creation and extension (R-4.1, R-4.3, R-4.4, R-4.5).
///  - Termination: renter or provider owner before endTime, anyone at or after it (R-4.6). The provider
///    gets deposit * served / duration rounded down, the renter the rest (R-4.7).
///  - Both shares are credited to withdrawable balances and pulled with withdraw (R-4.9, R-1.5).
contract ComputeRental is IComputeRental, ReentrancyGuard {
    uint256 public constant MAX_SESSION_HOURS = 8760;
    uint256 public constant MAX_SSH_KEY_LENGTH = 4096;
    uint256 public constant HOUR = 3600;

    mapping(uint256 => Session) internal sessions;
    uint256 public sessionCount;
    mapping(uint256 => uint256) public sessionPrice;
    mapping(uint256 => uint256) public terminatedAt;
    mapping(uint256 => uint256) public providerPaymentOf;
    mapping(uint256 => uint256) public refundOf;
    mapping(address => uint256) public withdrawable;

    ComputeRegistry public immutable registry;
    IComputeStaking public immutable staking;

    event SessionCreated(uint256 indexed sessionId, address indexed renter, uint256 indexed providerId, uint256 startTime, uint256 endTime, uint256 deposit);
    event SessionExtended(uint256 indexed sessionId, uint256 additionalHours, uint256 newEndTime, uint256 payment);
    event SessionTerminated(uint256 indexed sessionId, address indexed caller, uint256 providerPayment, uint256 refund);
    event Withdrawn(address indexed account, uint256 amount);

    error ZeroAddress();
    error UnknownProvider(uint256 providerId);
    error UnknownSession(uint256 sessionId);
    error ProviderUnavailable(uint256 providerId);
    error NotStaked(address account, IComputeStaking.StakeRole role);
    error InvalidDuration(uint256 hoursRequested);
    error InvalidLength(uint256 length, uint256 minimum, uint256 maximum);
    error IncorrectPayment(uint256 expected, uint256 sent);
    error NotRenter(address caller);
    error NotRenterOrProvider(address caller);
    error SessionNotActive(uint256 sessionId);
    error SessionExpired(uint256 sessionId, uint256 endTime);
    error NothingToWithdraw(address account);

    constructor(ComputeRegistry registry_, IComputeStaking staking_) {
        if (address(registry_) == address(0) || address(staking_) == address(0)) revert ZeroAddress();
        registry = registry_;
        staking = staking_;
    }

    /// @notice Open a session of `durationHours` at the provider's current price, paid exactly (R-4.1).
    function createSession(uint256 providerId, uint256 durationHours, string memory sshPublicKey)
        external
        payable
        returns (uint256 sessionId)
    {
        if (providerId == 0 || providerId > registry.providerCount()) revert UnknownProvider(providerId);
        if (!registry.isAvailable(providerId)) revert ProviderUnavailable(providerId);
        if (!staking.isStaked(msg.sender, IComputeStaking.StakeRole.User)) {
            revert NotStaked(msg.sender, IComputeStaking.StakeRole.User);
        }
        if (durationHours == 0 || durationHours > MAX_SESSION_HOURS) revert InvalidDuration(durationHours);
        uint256 keyLength = bytes(sshPublicKey).length;
        if (keyLength == 0 || keyLength > MAX_SSH_KEY_LENGTH) revert InvalidLength(keyLength, 1, MAX_SSH_KEY_LENGTH);
        uint256 price = registry.pricePerHourOf(providerId);
        uint256 cost = durationHours * price;
        if (msg.value != cost) revert IncorrectPayment(cost, msg.value);

        sessionId = ++sessionCount;
        uint256 endTime = block.timestamp + durationHours * HOUR;
        sessions[sessionId] = Session({
            renter: msg.sender,
            providerId: providerId,
            startTime: block.timestamp,
            endTime: endTime,
            deposit: msg.value,
            sshPublicKey: sshPublicKey,
            active: true
        });
        sessionPrice[sessionId] = price;
        emit SessionCreated(sessionId, msg.sender, providerId, block.timestamp, endTime, msg.value);
    }

    /// @notice Extend a live session at its own price, paid exactly. Renter only (R-4.5).
    function extendSession(uint256 sessionId, uint256 additionalHours) external payable {
        Session storage s = _session(sessionId);
        if (msg.sender != s.renter) revert NotRenter(msg.sender);
        if (!s.active) revert SessionNotActive(sessionId);
        if (block.timestamp >= s.endTime) revert SessionExpired(sessionId, s.endTime);
        if (!registry.isAvailable(s.providerId)) revert ProviderUnavailable(s.providerId);
        if (additionalHours == 0 || additionalHours > MAX_SESSION_HOURS - (s.endTime - s.startTime) / HOUR) {
            revert InvalidDuration(additionalHours);
        }
        uint256 cost = additionalHours * sessionPrice[sessionId];
        if (msg.value != cost) revert IncorrectPayment(cost, msg.value);

        uint256 newEndTime = s.endTime + additionalHours * HOUR;
        s.endTime = newEndTime;
        s.deposit += msg.value;
        emit SessionExtended(sessionId, additionalHours, newEndTime, msg.value);
    }

    /// @notice End a session and split its deposit (R-4.6, R-4.7, R-4.8).
    function terminateSession(uint256 sessionId) external {
        Session storage s = _session(sessionId);
        if (!s.active) revert SessionNotActive(sessionId);
        address providerOwner = registry.providerOwner(s.providerId);
        if (block.timestamp < s.endTime && msg.sender != s.renter && msg.sender != providerOwner) {
            revert NotRenterOrProvider(msg.sender);
        }
        uint256 end = block.timestamp < s.endTime ? block.timestamp : s.endTime;
        uint256 served = end - s.startTime;
        uint256 duration = s.endTime - s.startTime;
        uint256 providerPayment = s.deposit * served / duration;
        uint256 refund = s.deposit - providerPayment;

        s.active = false;
        terminatedAt[sessionId] = block.timestamp;
        providerPaymentOf[sessionId] = providerPayment;
        refundOf[sessionId] = refund;
        withdrawable[providerOwner] += providerPayment;
        withdrawable[s.renter] += refund;
        emit SessionTerminated(sessionId, msg.sender, providerPayment, refund);
    }

    /// @notice Send the caller everything credited to it (R-4.9).
    function withdraw() external nonReentrant {
        uint256 amount = withdrawable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        withdrawable[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    function getSession(uint256 sessionId) external view returns (Session memory) {
        return _session(sessionId);
    }

    /// @notice Not terminated and before endTime (R-4.8). False for unknown ids.
    function isLive(uint256 sessionId) external view returns (bool) {
        Session storage s = sessions[sessionId];
        return s.active && block.timestamp < s.endTime;
    }

    function _session(uint256 sessionId) internal view returns (Session storage s) {
        if (sessionId == 0 || sessionId > sessionCount) revert UnknownSession(sessionId);
        s = sessions[sessionId];
    }
}
