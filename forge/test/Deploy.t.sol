// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {WorkbenchTest} from "forge/src/WorkbenchTest.sol";
import {ComputeTestToken} from "contracts/compute/test/ComputeTestToken.sol";

/// A smoke test of the Foundry project: the workbench's test base and one of the suite's contracts.
contract DeployTest is WorkbenchTest {
    function test_token_deploys_and_transfers() public {
        address alice = address(0xA11CE);
        ComputeTestToken token = ComputeTestToken(
            _create(address(0xD1), 0, 0, vm.getCode("contracts/compute/test/ComputeTestToken.sol:ComputeTestToken"),
                    _addressOf(address(0xD1), 0))
        );
        require(token.balanceOf(alice) == 0, "fresh balance");
        vm.prank(alice, alice);
        token.mint(alice, 5);
        vm.prank(alice, alice);
        require(token.transfer(address(0xB0B), 2), "transfer");
        require(token.balanceOf(alice) == 3 && token.balanceOf(address(0xB0B)) == 2, "balances after the transfer");
    }

    function _addressOf(address sender, uint8 nonce) private pure returns (address) {
        require(nonce < 0x80, "small nonces only");
        bytes memory rlp = nonce == 0
            ? abi.encodePacked(bytes1(0xd6), bytes1(0x94), sender, bytes1(0x80))
            : abi.encodePacked(bytes1(0xd6), bytes1(0x94), sender, bytes1(nonce));
        return address(uint160(uint256(keccak256(rlp))));
    }
}
