// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken: the OpenZeppelin ERC20 with an open faucet, used as the staking token in tests,
///        fuzzing and proofs. Model: specs/test_token.py.
contract TestToken is ERC20 {
    constructor() ERC20("BPE Test Token", "BPET") {}

    /// @notice Anyone may mint: a test faucet. Reverts like ERC20._mint (ERC20InvalidReceiver for the
    ///         zero address, Panic 0x11 if totalSupply would overflow).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
