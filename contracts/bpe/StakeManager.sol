// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {BPEMath} from "./libraries/BPEMath.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";

/// @title StakeManager: sinks stake an ERC20 token; the stake caps the capacity a sink may signal.
/// @notice Semantics decided here (model and rationale: specs/stake_manager.py):
///  - A sink's stake is always 0 or at least MIN_SINK_STAKE (BPE-STAKE-002). `stake` reverts with
///    BelowMinStake if the resulting stake would be below the minimum; `unstake` may withdraw
///    everything, or leave at least MIN_SINK_STAKE, and otherwise reverts with BelowMinStake.
///  - `slash` takes min(amount, stake): slashing more than the stake takes the whole stake, so a sink
///    cannot make a slash revert by front-running it with a partial unstake. If what is left is
///    below MIN_SINK_STAKE the sink is ejected: the remainder is returned to it (Unstaked event).
///    Slashed tokens go to the immutable treasury.
///  - Only governance (immutable, set at deployment) grants and revokes the slasher role.
contract StakeManager is IStakeManager {
    using SafeERC20 for IERC20;

    uint256 public constant MIN_SINK_STAKE = 100e18;
    uint256 public constant STAKE_UNIT = 1e18;

    mapping(address => uint256) internal stakes;
    uint256 public totalStaked;
    mapping(address => bool) public isSlasher;

    IERC20 public immutable token;
    address public immutable governance;
    address public immutable treasury;

    event SlasherSet(address indexed slasher, bool enabled);

    error ZeroAddress();
    error ZeroAmount();
    error BelowMinStake(uint256 resulting, uint256 minimum);
    error InsufficientStake(uint256 available, uint256 requested);
    error NotGovernance(address caller);
    error NotSlasher(address caller);
    error NothingToSlash(address sink);

    constructor(IERC20 token_, address governance_, address treasury_) {
        if (address(token_) == address(0) || governance_ == address(0) || treasury_ == address(0)) {
            revert ZeroAddress();
        }
        token = token_;
        governance = governance_;
        treasury = treasury_;
    }

    /// @notice Grant or revoke the slasher role. Only governance.
    function setSlasher(address slasher, bool enabled) external {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        if (slasher == address(0)) revert ZeroAddress();
        isSlasher[slasher] = enabled;
        emit SlasherSet(slasher, enabled);
    }

    /// @notice Add `amount` to the caller's stake, pulling the tokens (approve first).
    function stake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 newStake = stakes[msg.sender] + amount;
        if (newStake < MIN_SINK_STAKE) revert BelowMinStake(newStake, MIN_SINK_STAKE);
        stakes[msg.sender] = newStake;
        totalStaked += amount;
        token.safeTransferFrom(msg.sender, address(this), amount);
        emit Staked(msg.sender, amount, newStake);
    }

    /// @notice Withdraw `amount` of the caller's stake: all of it, or leaving at least MIN_SINK_STAKE.
    function unstake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 current = stakes[msg.sender];
        if (amount > current) revert InsufficientStake(current, amount);
        uint256 remaining = current - amount;
        if (remaining != 0 && remaining < MIN_SINK_STAKE) revert BelowMinStake(remaining, MIN_SINK_STAKE);
        stakes[msg.sender] = remaining;
        totalStaked -= amount;
        token.safeTransfer(msg.sender, amount);
        emit Unstaked(msg.sender, amount);
    }

    /// @notice Slash up to `amount` of `sink`'s stake to the treasury. Only slashers.
    function slash(address sink, uint256 amount, bytes32 reason) external {
        if (!isSlasher[msg.sender]) revert NotSlasher(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 current = stakes[sink];
        if (current == 0) revert NothingToSlash(sink);
        uint256 slashed = amount < current ? amount : current;
        uint256 remaining = current - slashed;
        uint256 returned = remaining < MIN_SINK_STAKE ? remaining : 0;
        stakes[sink] = remaining - returned;
        totalStaked -= slashed + returned;
        token.safeTransfer(treasury, slashed);
        emit Slashed(sink, slashed, reason);
        if (returned != 0) {
            token.safeTransfer(sink, returned);
            emit Unstaked(sink, returned);
        }
    }

    /// @notice floor(sqrt(stake / STAKE_UNIT)): the largest capacity `sink` may signal.
    function getCapacityCap(address sink) external view returns (uint256) {
        return BPEMath.sqrt(stakes[sink] / STAKE_UNIT);
    }

    function getStake(address sink) external view returns (uint256) {
        return stakes[sink];
    }
}
