// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ComputeTestToken: the OpenZeppelin ERC20 with an open faucet, the token LedgerManager's tests
///        deposit. Model: specs/compute/test_token.py.
contract ComputeTestToken is ERC20 {
    constructor() ERC20("Compute Test Token", "CTT") {}

    /// @notice Anyone may mint: a test faucet.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
