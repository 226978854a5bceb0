// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The cheatcodes the workbench's Foundry tests use (forge serves them at the HEVM address; there is
/// no forge-std in this repository: npm carries only an unofficial, outdated copy of it).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory logs);
    function prank(address msgSender, address txOrigin) external;
    function startPrank(address msgSender, address txOrigin) external;
    function stopPrank() external;
    function deal(address account, uint256 newBalance) external;
    function warp(uint256 newTimestamp) external;
    function roll(uint256 newHeight) external;
    function etch(address target, bytes calldata newRuntimeBytecode) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    function setNonceUnsafe(address account, uint64 newNonce) external;
    function getNonce(address account) external view returns (uint64 nonce);
    function getCode(string calldata artifactPath) external view returns (bytes memory creationBytecode);
    function readFile(string calldata path) external view returns (string memory data);
    function parseJsonBytes(string calldata json, string calldata key) external pure returns (bytes memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function projectRoot() external view returns (string memory path);
    function expectRevert(bytes calldata revertData) external;
    function expectRevert() external;
    function chainId(uint256 newChainId) external;
    function fee(uint256 newBasefee) external;
    function toString(address value) external pure returns (string memory);
    function toString(bytes calldata value) external pure returns (string memory);
    function toString(uint256 value) external pure returns (string memory);
}

/// A minimal test base: the cheatcodes, creation and calls from a given sender (msg.sender and
/// tx.origin), and failures that say which step broke and what was expected.
abstract contract WorkbenchTest {
    bool public IS_TEST = true;
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// Deploys `initcode` from `sender` at its nonce `nonce` (the nonce it had on the workbench's
    /// engine) and checks that the contract lands at `expected`.
    function _create(address sender, uint64 nonce, uint256 value, bytes memory initcode, address expected)
        internal
        returns (address created)
    {
        vm.setNonceUnsafe(sender, nonce);
        vm.prank(sender, sender);
        assembly {
            created := create(value, add(initcode, 0x20), mload(initcode))
        }
        require(created != address(0), string.concat("deployment from ", vm.toString(sender), " failed"));
        require(
            created == expected,
            string.concat("deployed at ", vm.toString(created), ", the workbench's address is ", vm.toString(expected))
        );
    }

    /// A transaction-like call: msg.sender and tx.origin are `sender`, the gas is the transaction's.
    function _call(address sender, address to, uint256 value, uint256 gas_, bytes memory data)
        internal
        returns (bool ok, bytes memory ret)
    {
        vm.prank(sender, sender);
        (ok, ret) = to.call{value: value, gas: gas_}(data);
    }

    /// `_call`, required to succeed (a set-up step).
    function _mustCall(string memory what, address sender, address to, uint256 value, uint256 gas_, bytes memory data)
        internal
        returns (bytes memory ret)
    {
        bool ok;
        (ok, ret) = _call(sender, to, value, gas_, data);
        require(ok, string.concat(what, ": reverted with ", vm.toString(ret)));
    }

    /// `_call`, its outcome checked against the expected one: success or revert and, with
    /// `checkData`, the return or revert data.
    function _expectCall(
        string memory what,
        address sender,
        address to,
        uint256 value,
        uint256 gas_,
        bytes memory data,
        bool expectOk,
        bool checkData,
        bytes memory expectData
    ) internal returns (bytes memory ret) {
        bool ok;
        (ok, ret) = _call(sender, to, value, gas_, data);
        if (ok != expectOk) {
            revert(
                string.concat(
                    what,
                    expectOk ? ": expected success, reverted with " : ": expected a revert, succeeded returning ",
                    vm.toString(ret)
                )
            );
        }
        if (checkData && keccak256(ret) != keccak256(expectData)) {
            revert(
                string.concat(
                    what,
                    ok ? ": returned " : ": reverted with ",
                    vm.toString(ret),
                    ", expected ",
                    vm.toString(expectData)
                )
            );
        }
    }

    /// A view's return data (a static call from address 0, as the workbench reads views) against the
    /// expected data.
    function _expectView(string memory what, address to, bytes memory data, bytes memory expectData) internal view {
        (bool ok, bytes memory ret) = to.staticcall(data);
        require(ok, string.concat(what, ": the view reverted with ", vm.toString(ret)));
        if (keccak256(ret) != keccak256(expectData)) {
            revert(string.concat(what, ": ", vm.toString(ret), ", expected ", vm.toString(expectData)));
        }
    }

    /// A storage word against its expected value.
    function _expectWord(string memory what, address a, bytes32 slot, bytes32 expected) internal view {
        bytes32 word = vm.load(a, slot);
        if (word != expected) {
            revert(string.concat(what, ": ", vm.toString(uint256(word)), ", expected ", vm.toString(uint256(expected))));
        }
    }

    /// An ETH balance against its expected value.
    function _expectBalance(string memory what, address a, uint256 expected) internal view {
        if (a.balance != expected) {
            revert(string.concat(what, ": ", vm.toString(a.balance), ", expected ", vm.toString(expected)));
        }
    }

    /// The logs recorded since `vm.recordLogs()` that `emitters` emitted, in order, against the digest of
    /// the expected ones: a keccak chain over (digest, emitter, topics, data), starting from zero.
    function _expectLogs(string memory what, address[] memory emitters, bytes32 expected) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 digest;
        for (uint256 i = 0; i < logs.length; i++) {
            for (uint256 j = 0; j < emitters.length; j++) {
                if (logs[i].emitter == emitters[j]) {
                    digest = keccak256(abi.encode(digest, logs[i].emitter, logs[i].topics, logs[i].data));
                    break;
                }
            }
        }
        require(digest == expected, string.concat(what, ": the contracts' events differ from the model's"));
    }

    /// `vm.store` of every record of `packed`: 84-byte records of an address (20 bytes), a slot (32) and
    /// the word to store there (32).
    function _storeAll(bytes memory packed) internal {
        require(packed.length % 84 == 0, "_storeAll: not a run of 84-byte records");
        for (uint256 at = 0; at < packed.length; at += 84) {
            address a;
            bytes32 slot;
            bytes32 word;
            assembly {
                let p := add(add(packed, 0x20), at)
                a := shr(96, mload(p))
                slot := mload(add(p, 20))
                word := mload(add(p, 52))
            }
            vm.store(a, slot, word);
        }
    }

    /// Whether every recorded storage word and ETH balance still has its recorded value. `packed` is a
    /// run of 85-byte records: a kind (0: a storage word, 1: an ETH balance), an address (20 bytes), a
    /// slot (32; zero for a balance) and the value (32).
    function _sameState(bytes memory packed) internal view returns (bool) {
        require(packed.length % 85 == 0, "_sameState: not a run of 85-byte records");
        for (uint256 at = 0; at < packed.length; at += 85) {
            uint8 kind = uint8(packed[at]);
            address a;
            bytes32 slot;
            bytes32 value;
            assembly {
                let p := add(add(packed, 0x20), at)
                a := shr(96, mload(add(p, 1)))
                slot := mload(add(p, 21))
                value := mload(add(p, 53))
            }
            if (kind == 0 ? vm.load(a, slot) != value : a.balance != uint256(value)) return false;
        }
        return true;
    }

    /// The block the next calls run in.
    function _block(uint256 number, uint256 timestamp) internal {
        vm.roll(number);
        vm.warp(timestamp);
    }

    /// Creation code of a prebuilt (hardhat) artifact read from its JSON file under the project root,
    /// with its library placeholders patched: `offsets[i]` (a byte offset into the code) gets the
    /// address `libs[i]`.
    function _artifactCode(string memory path, string memory key, uint256[] memory offsets, address[] memory libs)
        internal
        view
        returns (bytes memory code)
    {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/", path));
        code = _hexBytes(vm.parseJsonString(json, key));
        for (uint256 i = 0; i < offsets.length; i++) {
            uint256 at = offsets[i];
            bytes20 lib = bytes20(libs[i]);
            for (uint256 j = 0; j < 20; j++) {
                code[at + j] = lib[j];
            }
        }
    }

    /// Hex text (with or without 0x, library placeholders "__$...$__" allowed: they become zero bytes,
    /// to be patched) as bytes.
    function _hexBytes(string memory text) internal pure returns (bytes memory out) {
        bytes memory s = bytes(text);
        uint256 start = (s.length >= 2 && s[0] == "0" && (s[1] == "x" || s[1] == "X")) ? 2 : 0;
        require((s.length - start) % 2 == 0, "odd hex length");
        out = new bytes((s.length - start) / 2);
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = bytes1(uint8(_nibble(s[start + 2 * i]) * 16 + _nibble(s[start + 2 * i + 1])));
        }
    }

    function _nibble(bytes1 c) private pure returns (uint8) {
        uint8 b = uint8(c);
        if (b >= 48 && b <= 57) return b - 48;
        if (b >= 97 && b <= 102) return b - 87;
        if (b >= 65 && b <= 70) return b - 55;
        return 0; // a placeholder character: patched afterwards
    }
}
