// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Kernel construct test contract: string parameters, their length and their hash as a mapping key,
/// and an event carrying one.
contract Tags {
    mapping(bytes32 => uint256) counts;
    uint256 total;

    event Tagged(string name, uint256 weight);

    function tag(string calldata name, uint256 weight) external {
        require(bytes(name).length > 0 && bytes(name).length <= 32, "length");
        counts[keccak256(bytes(name))] += weight;
        total += weight;
        emit Tagged(name, weight);
    }

    function untag(string calldata name, uint256 weight) external {
        counts[keccak256(bytes(name))] -= weight;
        total -= weight;
    }

    function countOf(string calldata name) external view returns (uint256) {
        return counts[keccak256(bytes(name))];
    }
}
