// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Kernel construct test contract: a fixed array of packed scalars, a dynamic array of scalars and a
/// dynamic array of (packed) structs.
contract Entries {
    struct Entry {
        address who;    // slot +0, offset 0
        uint96 amount;  // slot +0, offset 20
        bool done;      // slot +1
    }

    uint256 constant MAX_AMOUNT = 1000;

    uint64[3] limits;
    uint256[] values;
    Entry[] entries;

    function setLimit(uint256 i, uint64 v) external {
        limits[i] = v;
    }

    function pushValue(uint256 v) external {
        values.push(v);
    }

    function popValue() external {
        values.pop();
    }

    function setValue(uint256 i, uint256 v) external {
        values[i] = v;
    }

    function add(uint96 amount) external {
        require(amount <= MAX_AMOUNT, "amount");
        entries.push(Entry(msg.sender, amount, false));
    }

    function finish(uint256 i) external {
        Entry storage e = entries[i];
        require(e.who == msg.sender, "who");
        e.done = true;
    }

    function increase(uint256 i, uint96 by) external {
        Entry storage e = entries[i];
        require(!e.done, "done");
        e.amount += by;
        require(e.amount <= MAX_AMOUNT, "amount");
    }

    function removeLast() external {
        require(entries[entries.length - 1].done, "open");
        entries.pop();
    }
}
