// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IComputeStaking: the seed describes ComputeStaking without an interface; this one is fixed by
///        specs/compute/PROTOCOL.md section 7 and is what ComputeRegistry and ComputeRental read.
interface IComputeStaking {
    enum StakeRole { User, Provider, Guardian }

    function stake(StakeRole role) external payable;
    function stakeFor(address account, StakeRole role) external payable;
    function requestUnstake(StakeRole role, uint256 amount) external;
    function withdrawUnstaked(StakeRole role) external;
    function slash(address account, StakeRole role, uint256 amount, string calldata reason) external;

    function stakeOf(address account, StakeRole role) external view returns (uint256);
    function isStaked(address account, StakeRole role) external view returns (bool);
    function minimumStake(StakeRole role) external pure returns (uint256);
}
