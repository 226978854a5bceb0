// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IComputeStaking} from "../interfaces/IComputeStaking.sol";

interface ITreasurySweep {
    function sweepToTreasury() external;
}

/// @title ReenteringStaker: a contract that stakes in ComputeStaking and calls back into it from its
///        receive while its unstaked ETH arrives: `reenter` 1 withdraws `role` again, 2 sweeps the
///        treasury. The callback is a try/catch, so the withdrawal that pays it goes on whatever the
///        callback does: a refusal by the staking's guard is counted in `guarded`, any other failure
///        in `failed`, a callback that succeeds in `entered` (R-1.6: every ETH-sending function of
///        ComputeStaking is guarded, so only `guarded` ever grows). Test mock for ComputeStaking.
contract ReenteringStaker {
    IComputeStaking public immutable target;
    uint8 public reenter;
    IComputeStaking.StakeRole public role;
    uint256 public received;
    uint256 public guarded;
    uint256 public failed;
    uint256 public entered;

    constructor(IComputeStaking target_) {
        target = target_;
    }

    function setReenter(uint8 reenter_, IComputeStaking.StakeRole role_) external {
        reenter = reenter_;
        role = role_;
    }

    function stake(IComputeStaking.StakeRole role_) external payable {
        target.stake{value: msg.value}(role_);
    }

    function requestUnstake(IComputeStaking.StakeRole role_, uint256 amount) external {
        target.requestUnstake(role_, amount);
    }

    function withdrawUnstaked(IComputeStaking.StakeRole role_) external {
        target.withdrawUnstaked(role_);
    }

    receive() external payable {
        received += msg.value;
        if (reenter == 1) {
            try target.withdrawUnstaked(role) {
                entered += 1;
            } catch (bytes memory reason) {
                _failed(reason);
            }
        } else if (reenter == 2) {
            try ITreasurySweep(address(target)).sweepToTreasury() {
                entered += 1;
            } catch (bytes memory reason) {
                _failed(reason);
            }
        }
    }

    function _failed(bytes memory reason) internal {
        if (bytes4(reason) == ReentrancyGuard.ReentrancyGuardReentrantCall.selector) guarded += 1;
        else failed += 1;
    }
}
