"""Model of OpenZeppelin 5.1's ERC20 (node_modules/@openzeppelin/contracts/token/ERC20/ERC20.sol), for
the test tokens of any suite: each suite's token subclasses it with its name, symbol and faucet.

The model follows `ERC20.sol` statement by statement, including the order of its checks (allowance
before balance in `transferFrom`) and its `unchecked` blocks, which are written as wrapping
operations: their safety rests on totalSupply == sum of balances.
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.kernel import (
    U256, Address, Bool, Contract, Event, Mapping, Msg, Revert, SolidityError, ZERO_ADDRESS,
    external, immutable, storage, view,
)


# -- errors (IERC20Errors, draft-IERC6093.sol) ---------------------------------------------------
@dataclass(frozen=True)
class ERC20InsufficientBalance(SolidityError):
    sender: Address
    balance: U256
    needed: U256


@dataclass(frozen=True)
class ERC20InvalidSender(SolidityError):
    sender: Address


@dataclass(frozen=True)
class ERC20InvalidReceiver(SolidityError):
    receiver: Address


@dataclass(frozen=True)
class ERC20InsufficientAllowance(SolidityError):
    spender: Address
    allowance: U256
    needed: U256


@dataclass(frozen=True)
class ERC20InvalidApprover(SolidityError):
    approver: Address


@dataclass(frozen=True)
class ERC20InvalidSpender(SolidityError):
    spender: Address


# -- events (IERC20) -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Transfer(Event):
    from_: Address
    to: Address
    value: U256

    @classmethod
    def abi_name(cls) -> str:
        return "Transfer"


@dataclass(frozen=True)
class Approval(Event):
    owner: Address
    spender: Address
    value: U256


@dataclass
class ERC20(Contract):
    # storage, in ERC20.sol declaration order
    _balances: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    _allowances: Mapping = storage(lambda: Mapping(Address, Mapping(Address, U256)))
    _totalSupply: U256 = storage(lambda: U256(0))
    _name: str = immutable(default="")  # a subclass names its token
    _symbol: str = immutable(default="")

    # -- views -----------------------------------------------------------------------------------
    @view
    def name(self, msg: Msg) -> str:
        return self._name

    @view
    def symbol(self, msg: Msg) -> str:
        return self._symbol

    @view
    def decimals(self, msg: Msg) -> int:
        return 18

    @view
    def totalSupply(self, msg: Msg) -> U256:
        return self._totalSupply

    @view
    def balanceOf(self, msg: Msg, account: Address) -> U256:
        return self._balances[account]

    @view
    def allowance(self, msg: Msg, owner: Address, spender: Address) -> U256:
        return self._allowances[owner][spender]

    # -- external --------------------------------------------------------------------------------
    @external
    def transfer(self, msg: Msg, to: Address, value: U256) -> Bool:
        """Reverts: ERC20InvalidReceiver (to == 0), ERC20InsufficientBalance."""
        owner = msg.sender
        self._transfer(owner, to, value)
        return Bool(True)

    @external
    def approve(self, msg: Msg, spender: Address, value: U256) -> Bool:
        """Reverts: ERC20InvalidSpender (spender == 0)."""
        owner = msg.sender
        self._approve(owner, spender, value, True)
        return Bool(True)

    @external
    def transferFrom(self, msg: Msg, from_: Address, to: Address, value: U256) -> Bool:
        """Reverts: ERC20InsufficientAllowance (checked first), ERC20InvalidSender,
        ERC20InvalidReceiver, ERC20InsufficientBalance."""
        spender = msg.sender
        self._spendAllowance(from_, spender, value)
        self._transfer(from_, to, value)
        return Bool(True)

    # -- internal --------------------------------------------------------------------------------
    def _transfer(self, from_: Address, to: Address, value: U256) -> None:
        if from_ == ZERO_ADDRESS:
            raise Revert(ERC20InvalidSender(ZERO_ADDRESS))
        if to == ZERO_ADDRESS:
            raise Revert(ERC20InvalidReceiver(ZERO_ADDRESS))
        self._update(from_, to, value)

    def _update(self, from_: Address, to: Address, value: U256) -> None:
        if from_ == ZERO_ADDRESS:
            self._totalSupply = self._totalSupply + value
        else:
            fromBalance = self._balances[from_]
            if fromBalance < value:
                raise Revert(ERC20InsufficientBalance(from_, fromBalance, value))
            self._balances[from_] = fromBalance.wrapping_sub(value)  # unchecked
        if to == ZERO_ADDRESS:
            self._totalSupply = self._totalSupply.wrapping_sub(value)  # unchecked
        else:
            self._balances[to] = self._balances[to].wrapping_add(value)  # unchecked
        self.emit(Transfer(from_, to, value))

    def _mint(self, account: Address, value: U256) -> None:
        if account == ZERO_ADDRESS:
            raise Revert(ERC20InvalidReceiver(ZERO_ADDRESS))
        self._update(ZERO_ADDRESS, account, value)

    def _approve(self, owner: Address, spender: Address, value: U256, emitEvent: bool) -> None:
        if owner == ZERO_ADDRESS:
            raise Revert(ERC20InvalidApprover(ZERO_ADDRESS))
        if spender == ZERO_ADDRESS:
            raise Revert(ERC20InvalidSpender(ZERO_ADDRESS))
        self._allowances[owner][spender] = value
        if emitEvent:
            self.emit(Approval(owner, spender, value))

    def _spendAllowance(self, owner: Address, spender: Address, value: U256) -> None:
        currentAllowance = self._allowances[owner][spender]
        if currentAllowance != U256.MAX:
            if currentAllowance < value:
                raise Revert(ERC20InsufficientAllowance(spender, currentAllowance, value))
            self._approve(owner, spender, currentAllowance.wrapping_sub(value), False)
