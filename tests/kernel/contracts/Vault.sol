// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Kernel construct test contract: payable functions, msg.value, ETH sent to accounts and contracts.
/// withdrawAll pays before it books (a reentrancy bug, kept on purpose: the model must reproduce it).
contract Vault {
    mapping(address => uint256) deposits;
    uint256 total;

    function deposit() external payable {
        require(msg.value > 0, "zero");
        deposits[msg.sender] += msg.value;
        total += msg.value;
    }

    function withdraw(uint256 amount) external {
        deposits[msg.sender] -= amount;
        total -= amount;
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "send");
    }

    function withdrawAll() external {
        uint256 amount = deposits[msg.sender];
        (bool ok, ) = msg.sender.call{value: amount}("");
        require(ok, "send");
        deposits[msg.sender] = 0;
        total -= amount;
    }

    function ping() external {}
}

/// Deposits, then withdraws all and reenters withdrawAll once from its receive.
contract Reenterer {
    Vault vault;
    uint256 hits;

    constructor(Vault v) {
        vault = v;
    }

    function attack() external payable {
        vault.deposit{value: msg.value}();
        vault.withdrawAll();
    }

    receive() external payable {
        hits += 1;
        if (hits < 2) {
            vault.withdrawAll();
        }
    }
}

/// Accepts no ETH.
contract Rejecter {
    function pull(Vault v, uint256 amount) external payable {
        v.deposit{value: msg.value}();
        v.withdraw(amount);
    }
}
