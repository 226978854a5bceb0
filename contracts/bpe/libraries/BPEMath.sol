// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title BPEMath: integer math shared by the BPE contracts.
/// @notice Model: specs/bpe_math.py. Proof of exactness: invariants/bpe_math.py (LEMMA-SQRT-*).
library BPEMath {
    /// @notice floor(sqrt(y)) for every uint256 y (Babylonian method, as Uniswap V2's Math.sqrt).
    /// @dev Loop invariant (proved in invariants/bpe_math.py): s <= z, s <= x, and z > s implies x < z,
    ///      where s = floor(sqrt(y)). The loop stops when x >= z, hence z == s. No operation overflows.
    function sqrt(uint256 y) internal pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}
