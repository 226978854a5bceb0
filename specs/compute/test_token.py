"""Model of contracts/compute/test/ComputeTestToken.sol: the OpenZeppelin 5.1 ERC20 with an open `mint`
faucet (the model of specs/bpe/test_token.py under the compute token's name), the token the ledger's
tests deposit."""

from __future__ import annotations

from dataclasses import dataclass

from specs.bpe.test_token import TestToken
from specs.kernel import immutable


@dataclass
class ComputeTestToken(TestToken):
    _name: str = immutable(default="Compute Test Token")
    _symbol: str = immutable(default="CTT")
