"""Model of contracts/compute/LedgerManager.sol: a per-user wallet of ETH and ERC20 balances
(specs/compute/PROTOCOL.md section 6).

Only the user moves its balances (R-6.1). A token deposit credits the ledger's balance difference
(fee-on-transfer tokens), a deposit that brings nothing reverts ZeroAmount; transfers go through
SafeERC20 (a `false` return reverts SafeERC20FailedOperation) (R-6.3, R-6.4). Rebasing tokens are not
supported (R-6.5).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.common import InsufficientBalance, ReentrancyGuard, ZeroAddress, ZeroAmount
from specs.kernel import (
    U256, Address, EmptyRevert, Event, Mapping, Msg, Revert, SolidityError, SumBy, ZERO_ADDRESS, external, is_sym,
    payable, storage, view,
)


@dataclass(frozen=True)
class SafeERC20FailedOperation(SolidityError):
    token: Address


@dataclass(frozen=True)
class Deposited(Event):
    user: Address
    amount: U256


@dataclass(frozen=True)
class Withdrawn(Event):
    user: Address
    amount: U256


@dataclass(frozen=True)
class TokenDeposited(Event):
    user: Address
    token: Address
    requested: U256
    credited: U256


@dataclass(frozen=True)
class TokenWithdrawn(Event):
    user: Address
    token: Address
    amount: U256


@dataclass
class LedgerManager(ReentrancyGuard):
    ethBalances: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    # ghost sums per token (the key at position 1): what the ledger owes all its users of each token
    tokenBalances: Mapping = storage(lambda: Mapping(Address, Mapping(Address, U256), summed=SumBy(1)))

    @payable
    def deposit(self, msg: Msg) -> None:
        """nonReentrant like every ledger function (R-6.5): no deposit from inside a withdrawal's send
        or a token's transfer."""
        self._enter()
        if msg.value == 0:
            raise Revert(ZeroAmount())
        self.ethBalances[msg.sender] = self.ethBalances[msg.sender] + msg.value
        self.emit(Deposited(msg.sender, msg.value))
        self._exit()

    @external
    def depositToken(self, msg: Msg, token: Address, amount: U256) -> None:
        self._enter()
        if token == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        if amount == 0:
            raise Revert(ZeroAmount())
        if not is_sym(token.v) and not callable(getattr(self.world.contracts.get(token.v), "balanceOf", None)):
            # IERC20(token).balanceOf on an address without code succeeds with no return data, which
            # the ABI decoder rejects (a revert without data); a contract without balanceOf reverts
            # without data too (no function matches the selector, no fallback)
            raise Revert(EmptyRevert())
        t = self.world.at(token)  # a symbolic token: Unsupported (the prover names the construct)
        before = t.balanceOf(self.this_msg(), self.address)
        if not t.transferFrom(self.this_msg(), msg.sender, self.address, amount):
            raise Revert(SafeERC20FailedOperation(token))
        afterBalance = t.balanceOf(self.this_msg(), self.address)
        if afterBalance <= before:
            raise Revert(ZeroAmount())
        credited = afterBalance - before
        self.tokenBalances[msg.sender][token] = self.tokenBalances[msg.sender][token] + credited
        self.emit(TokenDeposited(msg.sender, token, amount, credited))
        self._exit()

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self._enter()
        if amount == 0:
            raise Revert(ZeroAmount())
        balance = self.ethBalances[msg.sender]
        if amount > balance:
            raise Revert(InsufficientBalance(balance, amount))
        self.ethBalances[msg.sender] = balance - amount
        self.emit(Withdrawn(msg.sender, amount))
        self._sendValue(msg.sender, amount)
        self._exit()

    @external
    def withdrawToken(self, msg: Msg, token: Address, amount: U256) -> None:
        self._enter()
        if token == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        if amount == 0:
            raise Revert(ZeroAmount())
        balance = self.tokenBalances[msg.sender][token]
        if amount > balance:
            raise Revert(InsufficientBalance(balance, amount))
        self.tokenBalances[msg.sender][token] = balance - amount
        self.emit(TokenWithdrawn(msg.sender, token, amount))
        if not self.world.at(token).transfer(self.this_msg(), msg.sender, amount):
            raise Revert(SafeERC20FailedOperation(token))
        self._exit()

    @view
    def getBalance(self, msg: Msg, user: Address) -> U256:
        return self.ethBalances[user]

    @view
    def getTokenBalance(self, msg: Msg, user: Address, token: Address) -> U256:
        return self.tokenBalances[user][token]
