"""Model of contracts/compute/test/ComputeTestToken.sol: OpenZeppelin 5.1 ERC20 (specs/erc20.py) with an
open `mint` faucet, the token the ledger's tests deposit; the ledger's adversarial tokens
(specs/compute/ledger_mocks.py) build on it."""

from __future__ import annotations

from dataclasses import dataclass

from specs.erc20 import ERC20
from specs.kernel import U256, Address, Msg, external, immutable


@dataclass
class ComputeTestToken(ERC20):
    _name: str = immutable(default="Compute Test Token")
    _symbol: str = immutable(default="CTT")

    @external
    def mint(self, msg: Msg, to: Address, amount: U256) -> None:
        """The faucet. Reverts: ERC20InvalidReceiver (to == 0), Panic 0x11 (supply overflow)."""
        self._mint(to, amount)

