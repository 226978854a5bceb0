// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Kernel construct test contract: string and bytes state variables, short (in the slot) and long
/// (data from keccak(slot)) forms, with a packed scalar after them.
contract Names {
    string name;
    bytes data;
    uint8 version;

    function setName(string calldata n) external {
        require(bytes(n).length <= 100, "long");
        name = n;
        version += 1;
    }

    function appendData(bytes calldata d) external {
        data = bytes.concat(data, d);
    }

    function clearData() external {
        delete data;
    }
}
