"""Model of contracts/compute/test/AgentIdentityMock.sol: the ownerOf of an ERC-8004 identity registry
(an ERC-721) that ComputeRegistry.linkAgent reads (R-3.7). A test mock, not part of the protocol."""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import U256, Address, Contract, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS, external, storage, view


@dataclass(frozen=True)
class ERC721NonexistentToken(SolidityError):
    tokenId: U256


@dataclass
class AgentIdentityMock(Contract):
    owners: Mapping = storage(lambda: Mapping(U256, Address))

    @external
    def mint(self, msg: Msg, to: Address, agentId: U256) -> None:
        self.owners[agentId] = to

    @view
    def ownerOf(self, msg: Msg, agentId: U256) -> Address:
        owner = self.owners[agentId]
        if owner == ZERO_ADDRESS:
            raise Revert(ERC721NonexistentToken(agentId))
        return owner
