// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Kernel construct test contract: structs in a mapping (with a nested struct), packed slots (packed
/// scalars, packed struct members, a packed struct state variable) and an enum.
contract Providers {
    enum Status { None, Active, Paused, Slashed }

    struct Terms {
        uint64 fee;     // slot +0, offset 0
        uint32 since;   // slot +0, offset 8
        bool open;      // slot +0, offset 12
    }

    struct Provider {
        uint128 stake;  // slot +0, offset 0
        uint128 locked; // slot +0, offset 16
        Status status;  // slot +1, offset 0
        address owner;  // slot +1, offset 1
        Terms terms;    // slot +2
    }

    struct Config {
        uint32 minStake;
        uint16 maxProviders;
        Status defaultStatus;
        address admin;
    }

    mapping(address => Provider) providers;
    uint16 count;
    bool paused;
    uint64 epoch;
    Config config;
    uint256 totalStaked;
    int96 delta;    // packed with stamp: a signed value in the low bytes of slot 4
    uint64 stamp;

    constructor() {
        config = Config(10, 3, Status.Active, msg.sender);
    }

    function join(uint128 amount, uint64 fee) external {
        Provider storage p = providers[msg.sender];
        require(p.status == Status.None, "joined");
        require(amount >= config.minStake, "small");
        p.stake = amount;
        p.status = config.defaultStatus;
        p.owner = msg.sender;
        p.terms = Terms(fee, uint32(block.timestamp), true);
        count += 1;
        require(count <= config.maxProviders, "full");
        totalStaked += amount;
    }

    function lock(uint128 amount) external {
        Provider storage p = providers[msg.sender];
        require(p.status == Status.Active, "inactive");
        p.locked += amount;
        require(p.locked <= p.stake, "over");
    }

    function unlock(uint128 amount) external {
        providers[msg.sender].locked -= amount;
    }

    function slash(address who, uint128 amount) external {
        require(msg.sender == config.admin, "admin");
        Provider storage p = providers[who];
        p.stake -= amount;
        if (p.locked > p.stake) {
            p.locked = p.stake;
        }
        p.status = Status.Slashed;
        totalStaked -= amount;
    }

    function setStatus(address who, uint8 s) external {
        require(msg.sender == config.admin, "admin");
        require(providers[who].owner != address(0), "unknown");
        Status status = Status(s);
        require(status != Status.None, "none");
        providers[who].status = status;
    }

    function setFee(uint64 fee) external {
        providers[msg.sender].terms.fee = fee;
    }

    function leave() external {
        Provider storage p = providers[msg.sender];
        require(p.locked == 0, "locked");
        totalStaked -= p.stake;
        delete providers[msg.sender];
        count -= 1;
    }

    function nudge(int96 by) external {
        delta += by;
        stamp = uint64(block.number);
    }

    function bump(uint64 by) external {
        epoch += by;
        paused = !paused;
    }
}
