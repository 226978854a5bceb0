"""Model of contracts/bpe/test/TestToken.sol: OpenZeppelin 5.1 ERC20 (specs/erc20.py) plus an open `mint`
faucet. The staking token of the suite; its `unchecked` blocks rest on ERC20-SUPPLY-001
(totalSupply == sum of balances).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.erc20 import (
    ERC20, Approval, ERC20InsufficientAllowance, ERC20InsufficientBalance, ERC20InvalidApprover,
    ERC20InvalidReceiver, ERC20InvalidSender, ERC20InvalidSpender, Transfer,
)
from specs.kernel import U256, Address, Msg, external, immutable

__all__ = ["TestToken", "Approval", "Transfer", "ERC20InsufficientAllowance", "ERC20InsufficientBalance",
           "ERC20InvalidApprover", "ERC20InvalidReceiver", "ERC20InvalidSender", "ERC20InvalidSpender"]


@dataclass
class TestToken(ERC20):
    _name: str = immutable(default="BPE Test Token")
    _symbol: str = immutable(default="BPET")

    @external
    def mint(self, msg: Msg, to: Address, amount: U256) -> None:
        """TestToken's faucet. Reverts: ERC20InvalidReceiver (to == 0), Panic 0x11 (supply overflow)."""
        self._mint(to, amount)

