// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title AgentIdentityMock: the part of an ERC-8004 identity registry (an ERC-721) that
///        ComputeRegistry.linkAgent reads: ownerOf, which reverts ERC721NonexistentToken for an unknown
///        token, as OpenZeppelin's ERC721 does. Agents are minted and moved freely. Test mock (R-3.7).
contract AgentIdentityMock {
    mapping(uint256 => address) internal owners;

    error ERC721NonexistentToken(uint256 tokenId);

    function mint(address to, uint256 agentId) external {
        owners[agentId] = to;
    }

    function ownerOf(uint256 agentId) external view returns (address) {
        address owner = owners[agentId];
        if (owner == address(0)) revert ERC721NonexistentToken(agentId);
        return owner;
    }
}
