// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {IComputeStaking} from "./interfaces/IComputeStaking.sol";

/// @title ComputeStaking: ETH stakes per (account, role) for users, providers and guardians.
/// @notice Semantics: specs/compute/PROTOCOL.md section 7.
///  - Minimums: user 0.01 ETH, provider 0.1 ETH, guardian 1.0 ETH (R-7.1). After stake, stakeFor and
///    requestUnstake an active stake is 0 or at least the minimum; only a slash leaves it between (R-7.3).
///  - Unstaking is a request that moves the amount to pending at once, then a withdrawal after
///    UNSTAKE_DELAY (R-7.4). Pending amounts stay slashable.
///  - Guardians (appointed by the owner and holding a guardian stake of at least 1 ETH) slash provider and
///    user stakes; only the owner slashes guardian stakes. A slash takes min(amount, stake + pending),
///    active stake first, and credits the treasury balance, swept by anyone to the immutable treasury
///    (R-7.5).
contract ComputeStaking is IComputeStaking, Ownable2Step, ReentrancyGuard {
    uint256 public constant MIN_USER_STAKE = 0.01 ether;
    uint256 public constant MIN_PROVIDER_STAKE = 0.1 ether;
    uint256 public constant MIN_GUARDIAN_STAKE = 1 ether;
    uint256 public constant UNSTAKE_DELAY = 7 days;
    uint256 public constant MAX_REASON_LENGTH = 256;

    mapping(address => mapping(StakeRole => uint256)) internal stakes;
    mapping(address => mapping(StakeRole => uint256)) internal pending;
    mapping(address => mapping(StakeRole => uint256)) internal unlockTimes;
    mapping(address => bool) public isGuardian;
    uint256 public treasuryBalance;

    address public immutable treasury;

    event Staked(address indexed account, StakeRole indexed role, address indexed payer, uint256 amount, uint256 newStake);
    event UnstakeRequested(address indexed account, StakeRole indexed role, uint256 amount, uint256 pendingAmount, uint256 unlockAt);
    event Unstaked(address indexed account, StakeRole indexed role, uint256 amount);
    event Slashed(address indexed account, StakeRole indexed role, uint256 amount, address indexed slasher, string reason);
    event GuardianSet(address indexed account, bool enabled);
    event TreasurySwept(address indexed treasury, uint256 amount);

    error ZeroAddress();
    error ZeroAmount();
    error RenounceDisabled();
    error BelowMinStake(uint256 resulting, uint256 minimum);
    error InsufficientStake(uint256 available, uint256 requested);
    error NothingPending(address account, StakeRole role);
    error UnstakeLocked(uint256 unlockAt);
    error NotGuardian(address caller);
    error SelfSlash(address account);
    error NothingToSlash(address account, StakeRole role);
    error InvalidLength(uint256 length, uint256 minimum, uint256 maximum);

    constructor(address owner_, address treasury_) Ownable(owner_) {
        if (treasury_ == address(0)) revert ZeroAddress();
        treasury = treasury_;
    }

    /// @notice Ownership cannot be renounced: appointing guardians is needed for liveness (R-1.8).
    function renounceOwnership() public view override onlyOwner {
        revert RenounceDisabled();
    }

    /// @notice Appoint or remove a guardian (R-7.6). Only the owner.
    function setGuardian(address account, bool enabled) external onlyOwner {
        if (account == address(0)) revert ZeroAddress();
        isGuardian[account] = enabled;
        emit GuardianSet(account, enabled);
    }

    /// @notice Add msg.value to the caller's stake for `role` (R-7.2).
    function stake(StakeRole role) external payable {
        _stake(msg.sender, role);
    }

    /// @notice Add msg.value to `account`'s stake for `role`; the payer gets no claim on it (R-7.2).
    function stakeFor(address account, StakeRole role) external payable {
        if (account == address(0)) revert ZeroAddress();
        _stake(account, role);
    }

    function _stake(address account, StakeRole role) internal {
        if (msg.value == 0) revert ZeroAmount();
        uint256 newStake = stakes[account][role] + msg.value;
        uint256 minimum = minimumStake(role);
        if (newStake < minimum) revert BelowMinStake(newStake, minimum);
        stakes[account][role] = newStake;
        emit Staked(account, role, msg.sender, msg.value, newStake);
    }

    /// @notice Move `amount` of the caller's active stake to pending; withdrawable UNSTAKE_DELAY later
    ///         (R-7.4). A second request adds to pending and restarts the delay.
    function requestUnstake(StakeRole role, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 current = stakes[msg.sender][role];
        if (amount > current) revert InsufficientStake(current, amount);
        uint256 remaining = current - amount;
        uint256 minimum = minimumStake(role);
        if (remaining != 0 && remaining < minimum) revert BelowMinStake(remaining, minimum);
        stakes[msg.sender][role] = remaining;
        uint256 newPending = pending[msg.sender][role] + amount;
        pending[msg.sender][role] = newPending;
        uint256 unlock = block.timestamp + UNSTAKE_DELAY;
        unlockTimes[msg.sender][role] = unlock;
        emit UnstakeRequested(msg.sender, role, amount, newPending, unlock);
    }

    /// @notice Withdraw the caller's whole pending amount for `role`, at or after its unlock time (R-7.4).
    function withdrawUnstaked(StakeRole role) external nonReentrant {
        uint256 amount = pending[msg.sender][role];
        if (amount == 0) revert NothingPending(msg.sender, role);
        uint256 unlock = unlockTimes[msg.sender][role];
        if (block.timestamp < unlock) revert UnstakeLocked(unlock);
        pending[msg.sender][role] = 0;
        unlockTimes[msg.sender][role] = 0;
        emit Unstaked(msg.sender, role, amount);
        Address.sendValue(payable(msg.sender), amount);
    }

    /// @notice Slash up to `amount` of `account`'s stake for `role`, active stake first, then pending
    ///         (R-7.5). Guardians slash users and providers; only the owner slashes guardians.
    function slash(address account, StakeRole role, uint256 amount, string calldata reason) external {
        if (role == StakeRole.Guardian) {
            _checkOwner();
        } else {
            if (!isActiveGuardian(msg.sender)) revert NotGuardian(msg.sender);
            if (account == msg.sender) revert SelfSlash(account);
        }
        if (bytes(reason).length > MAX_REASON_LENGTH) {
            revert InvalidLength(bytes(reason).length, 0, MAX_REASON_LENGTH);
        }
        if (amount == 0) revert ZeroAmount();
        uint256 active = stakes[account][role];
        uint256 pend = pending[account][role];
        if (active == 0 && pend == 0) revert NothingToSlash(account, role);
        uint256 fromActive = amount < active ? amount : active;
        uint256 rest = amount - fromActive;
        uint256 fromPending = rest < pend ? rest : pend;
        stakes[account][role] = active - fromActive;
        pending[account][role] = pend - fromPending;
        uint256 taken = fromActive + fromPending;
        treasuryBalance += taken;
        emit Slashed(account, role, taken, msg.sender, reason);
    }

    /// @notice Send the slashed funds to the immutable treasury. Anyone may call.
    function sweepToTreasury() external nonReentrant {
        uint256 amount = treasuryBalance;
        if (amount == 0) revert ZeroAmount();
        treasuryBalance = 0;
        emit TreasurySwept(treasury, amount);
        Address.sendValue(payable(treasury), amount);
    }

    function stakeOf(address account, StakeRole role) external view returns (uint256) {
        return stakes[account][role];
    }

    function pendingOf(address account, StakeRole role) external view returns (uint256) {
        return pending[account][role];
    }

    function unlockAt(address account, StakeRole role) external view returns (uint256) {
        return unlockTimes[account][role];
    }

    function isStaked(address account, StakeRole role) public view returns (bool) {
        return stakes[account][role] >= minimumStake(role);
    }

    /// @notice An appointed guardian holding at least MIN_GUARDIAN_STAKE (R-2.1).
    function isActiveGuardian(address account) public view returns (bool) {
        return isGuardian[account] && stakes[account][StakeRole.Guardian] >= MIN_GUARDIAN_STAKE;
    }

    function minimumStake(StakeRole role) public pure returns (uint256) {
        if (role == StakeRole.User) return MIN_USER_STAKE;
        if (role == StakeRole.Provider) return MIN_PROVIDER_STAKE;
        return MIN_GUARDIAN_STAKE;
    }
}
