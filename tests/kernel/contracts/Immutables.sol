// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// State view test contract: immutables of every value type the view reads (one declared in a base
/// contract, one the runtime code never reads), beside ordinary storage and a string the contract
/// never changes. ImmutablesUnset is the same contract whose constructor forgets one immutable.

interface IThing {
    function f() external view returns (uint256);
}

contract ImmutablesBase {
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }
}

contract Immutables is ImmutablesBase {
    enum Mode { Off, On, Auto }

    uint64 public immutable limit;
    int16 public immutable offset;
    bool public immutable open;
    bytes32 public immutable tag;
    Mode public immutable mode;
    IThing public immutable thing;
    uint256 internal immutable unread;
    string public name;
    uint256 public counter;

    constructor(address owner_, uint64 limit_, int16 offset_, bytes32 tag_, IThing thing_)
        ImmutablesBase(owner_)
    {
        limit = limit_;
        offset = offset_;
        open = true;
        tag = tag_;
        mode = Mode.Auto;
        thing = thing_;
        unread = 42;
        name = "immutables";
    }

    function bump() external {
        counter += 1;
    }
}

contract ImmutablesUnset is ImmutablesBase {
    enum Mode { Off, On, Auto }

    uint64 public immutable limit;
    int16 public immutable offset;
    bool public immutable open;
    bytes32 public immutable tag;
    Mode public immutable mode;
    IThing public immutable thing;
    uint256 internal immutable unread;
    string public name;
    uint256 public counter;

    constructor(address owner_, uint64 limit_, int16 offset_, bytes32 tag_, IThing thing_)
        ImmutablesBase(owner_)
    {
        offset = offset_;
        open = true;
        tag = tag_;
        mode = Mode.Auto;
        thing = thing_;
        unread = 42;
        name = "immutables";
        limit_; // forgotten: limit keeps its zero
    }

    function bump() external {
        counter += 1;
    }
}
