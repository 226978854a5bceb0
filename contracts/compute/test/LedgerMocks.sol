// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeOnTransferToken: an ERC20 that burns feePercent of every transfer (not of mints), so a
///        recipient receives less than the amount sent. Test mock for LedgerManager (R-6.3, R-6.4).
contract FeeOnTransferToken is ERC20 {
    uint256 public feePercent = 1;

    constructor() ERC20("Fee Token", "FEE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice 0 to 100; 100 burns everything sent.
    function setFeePercent(uint256 percent) external {
        require(percent <= 100, "fee");
        feePercent = percent;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value * feePercent / 100;
            super._update(from, address(0), fee);
            super._update(from, to, value - fee);
        } else {
            super._update(from, to, value);
        }
    }
}

/// @title FalseReturnToken: an ERC20 whose transfer and transferFrom return false, moving nothing, while
///        `failing` is set. Test mock for LedgerManager's SafeERC20 use (R-6.3, R-6.4).
contract FalseReturnToken is ERC20 {
    bool public failing;

    constructor() ERC20("False Token", "FALSE") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setFailing(bool failing_) external {
        failing = failing_;
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, value);
    }
}

interface IEthWallet {
    function deposit() external payable;
    function withdraw(uint256 amount) external;
}

/// @title ReenteringWallet: holds a LedgerManager balance and calls back into it from its receive:
///        `reenter` 1 withdraws again, 2 deposits what it received (R-1.6, R-6.5: the guard makes the
///        inner call revert, the send fails, the outer withdraw reverts and the balance stays).
contract ReenteringWallet {
    IEthWallet public immutable target;
    uint8 public reenter;
    uint256 public received;

    constructor(IEthWallet target_) {
        target = target_;
    }

    function setReenter(uint8 reenter_) external {
        reenter = reenter_;
    }

    function depositAll() external payable {
        target.deposit{value: msg.value}();
    }

    function withdraw(uint256 amount) external {
        target.withdraw(amount);
    }

    receive() external payable {
        received += msg.value;
        if (reenter == 1) target.withdraw(msg.value);
        if (reenter == 2) target.deposit{value: msg.value}();
    }
}

interface ITokenLedger {
    function depositToken(address token, uint256 amount) external;
    function withdrawToken(address token, uint256 amount) external;
}

/// @title CallbackToken: an ERC20 whose transfers call back into the ledger, as a token with transfer
///        hooks does (ERC777-style): after every transfer between two accounts, while `hook` is 1 the
///        token deposits `hookAmount` of its own balance into the ledger, while 2 it withdraws that much.
///        The callback is a try/catch: one the ledger refuses (its guard, inside a ledger call) is
///        counted in `hookFailures` and the transfer goes on. Test mock for LedgerManager (R-6.5).
contract CallbackToken is ERC20 {
    ITokenLedger public immutable ledger;
    uint8 public hook;
    uint256 public hookAmount;
    uint256 public hookFailures;
    bool private inHook;

    constructor(ITokenLedger ledger_) ERC20("Callback Token", "CALL") {
        ledger = ledger_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setHook(uint8 hook_, uint256 amount) external {
        hook = hook_;
        hookAmount = amount;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hook == 0 || inHook || from == address(0) || to == address(0)) return;
        inHook = true;
        if (hook == 1) {
            _approve(address(this), address(ledger), hookAmount, false);
            try ledger.depositToken(address(this), hookAmount) {} catch { hookFailures += 1; }
        } else {
            try ledger.withdrawToken(address(this), hookAmount) {} catch { hookFailures += 1; }
        }
        inHook = false;
    }
}
