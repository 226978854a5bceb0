// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Kernel construct test contract: a struct with `string` and `bytes` members, in a mapping keyed by
/// uint256 and in a dynamic storage array (each string member in its own slot, short or long form).
contract Records {
    struct Record {
        address owner;  // slot +0
        string name;    // slot +1
        uint64 price;   // slot +2
        bytes data;     // slot +3
        bool active;    // slot +4
    }

    error BadName(uint256 length);
    error NotOwner(uint256 id, address caller);
    error Unknown(uint256 id);

    mapping(uint256 => Record) records;
    uint256 count;
    Record[] history;  // a copy of every record as it was added

    function add(string calldata name, uint64 price) external {
        uint256 n = bytes(name).length;
        if (n < 1 || n > 64) revert BadName(n);
        count += 1;
        Record memory r = Record(msg.sender, name, price, "", true);
        records[count] = r;
        history.push(r);
    }

    function _own(uint256 id) internal view returns (Record storage r) {
        r = records[id];
        if (r.owner == address(0)) revert Unknown(id);
        if (r.owner != msg.sender) revert NotOwner(id, msg.sender);
    }

    function rename(uint256 id, string calldata name) external {
        Record storage r = _own(id);
        uint256 n = bytes(name).length;
        if (n < 1 || n > 64) revert BadName(n);
        r.name = name;
    }

    function setData(uint256 id, bytes calldata data) external {
        _own(id).data = data;
    }

    function deactivate(uint256 id) external {
        _own(id).active = false;
    }

    function remove(uint256 id) external {
        _own(id);
        delete records[id];
    }

    function get(uint256 id) external view returns (Record memory) {
        Record memory r = records[id];
        if (r.owner == address(0)) revert Unknown(id);
        return r;
    }
}
