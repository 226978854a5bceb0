"""Model of contracts/compute/InferenceServing.sol: prepaid ETH balances billed per token by providers,
within allowances the users grant (specs/compute/PROTOCOL.md section 5).

A registered provider prices its own models per input and output token (R-5.2). It records usage for
a user only while available, never against itself, for a model it priced, within the allowance the
user granted it and the user's balance (R-5.3 to R-5.6). The exact cost moves from the user's balance
to the provider's earnings, pulled with withdrawEarnings (R-5.7); getUsage accumulates (R-5.8).
"""

from __future__ import annotations

from dataclasses import dataclass


from specs.compute.common import (
    InsufficientBalance, InvalidLength, NothingToWithdraw, ReentrancyGuard, ZeroAddress, ZeroAmount,
)
from specs.kernel import (
    U256, Address, Bytes32, Event, Mapping, Msg, Revert, SolidityError, String, Struct, ZERO_ADDRESS,
    external, immutable, payable, storage, view,
)

MAX_MODEL_LENGTH = U256(64)
MAX_PRICE_PER_TOKEN = U256(10**18)
MAX_TOKENS_PER_RECORD = U256(10**12)


class ModelPrice(Struct):
    inputPricePerToken: U256
    outputPricePerToken: U256


def model_key(model: String) -> Bytes32:
    return model.keccak()


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NotProvider(SolidityError):
    caller: Address


@dataclass(frozen=True)
class ProviderUnavailable(SolidityError):
    providerId: U256


@dataclass(frozen=True)
class InvalidPrice(SolidityError):
    inputPricePerToken: U256
    outputPricePerToken: U256


@dataclass(frozen=True)
class UnknownModel(SolidityError):
    provider: Address
    model: String


@dataclass(frozen=True)
class ZeroUsage(SolidityError):
    pass


@dataclass(frozen=True)
class TooManyTokens(SolidityError):
    inputTokens: U256
    outputTokens: U256


@dataclass(frozen=True)
class SelfBilling(SolidityError):
    provider: Address


@dataclass(frozen=True)
class AllowanceExceeded(SolidityError):
    allowance: U256
    cost: U256


# -- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Deposited(Event):
    user: Address
    amount: U256


@dataclass(frozen=True)
class Withdrawn(Event):
    user: Address
    amount: U256


@dataclass(frozen=True)
class ModelPriceSet(Event):
    provider: Address
    model: String
    inputPricePerToken: U256
    outputPricePerToken: U256


@dataclass(frozen=True)
class ProviderApproved(Event):
    user: Address
    provider: Address
    amount: U256


@dataclass(frozen=True)
class UsageRecorded(Event):
    user: Address
    provider: Address
    model: String
    inputTokens: U256
    outputTokens: U256
    cost: U256


@dataclass(frozen=True)
class EarningsWithdrawn(Event):
    provider: Address
    amount: U256


@dataclass
class InferenceServing(ReentrancyGuard):
    balances: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    usageTokens: Mapping = storage(lambda: Mapping(Address, U256))
    usageCost: Mapping = storage(lambda: Mapping(Address, U256))
    prices: Mapping = storage(lambda: Mapping(Address, Mapping(Bytes32, ModelPrice)))
    allowance: Mapping = storage(lambda: Mapping(Address, Mapping(Address, U256)))
    earnings: Mapping = storage(lambda: Mapping(Address, U256, summed=True))
    registry: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, registry: Address) -> "InferenceServing":
        if registry == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        return cls(registry=registry)

    @payable
    def deposit(self, msg: Msg) -> None:
        if msg.value == 0:
            raise Revert(ZeroAmount())
        self.balances[msg.sender] = self.balances[msg.sender] + msg.value
        self.emit(Deposited(msg.sender, msg.value))

    @external
    def withdraw(self, msg: Msg, amount: U256) -> None:
        self._enter()
        if amount == 0:
            raise Revert(ZeroAmount())
        balance = self.balances[msg.sender]
        if amount > balance:
            raise Revert(InsufficientBalance(balance, amount))
        self.balances[msg.sender] = balance - amount
        self.emit(Withdrawn(msg.sender, amount))
        self._sendValue(msg.sender, amount)
        self._exit()

    @external
    def approveProvider(self, msg: Msg, provider: Address, amount: U256) -> None:
        if provider == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        self.allowance[msg.sender][provider] = amount
        self.emit(ProviderApproved(msg.sender, provider, amount))

    @external
    def setModelPrice(self, msg: Msg, model: String, inputPricePerToken: U256, outputPricePerToken: U256) -> None:
        if self.world.at(self.registry).providerIdOf[msg.sender] == 0:
            raise Revert(NotProvider(msg.sender))
        self._checkModel(model)
        if (inputPricePerToken > MAX_PRICE_PER_TOKEN or outputPricePerToken > MAX_PRICE_PER_TOKEN
                or (inputPricePerToken == 0 and outputPricePerToken == 0)):
            raise Revert(InvalidPrice(inputPricePerToken, outputPricePerToken))
        self.prices[msg.sender][model_key(model)] = ModelPrice(inputPricePerToken=inputPricePerToken,
                                                               outputPricePerToken=outputPricePerToken)
        self.emit(ModelPriceSet(msg.sender, model, inputPricePerToken, outputPricePerToken))

    @external
    def recordUsage(self, msg: Msg, user: Address, inputTokens: U256, outputTokens: U256, model: String) -> None:
        reg = self.world.at(self.registry)
        providerId = reg.providerIdOf[msg.sender]
        if providerId == 0:
            raise Revert(NotProvider(msg.sender))
        if not reg.isAvailable(self.this_msg(), providerId):
            raise Revert(ProviderUnavailable(providerId))
        if user == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        if user == msg.sender:
            raise Revert(SelfBilling(msg.sender))
        self._checkModel(model)
        price = self.prices[msg.sender][model_key(model)]
        inPrice, outPrice = price.inputPricePerToken, price.outputPricePerToken
        if inPrice == 0 and outPrice == 0:
            raise Revert(UnknownModel(msg.sender, model))
        if inputTokens == 0 and outputTokens == 0:
            raise Revert(ZeroUsage())
        if inputTokens > MAX_TOKENS_PER_RECORD or outputTokens > MAX_TOKENS_PER_RECORD:
            raise Revert(TooManyTokens(inputTokens, outputTokens))
        cost = inputTokens * inPrice + outputTokens * outPrice
        allowed = self.allowance[user][msg.sender]
        if cost > allowed:
            raise Revert(AllowanceExceeded(allowed, cost))
        balance = self.balances[user]
        if cost > balance:
            raise Revert(InsufficientBalance(balance, cost))
        self.allowance[user][msg.sender] = allowed - cost
        self.balances[user] = balance - cost
        self.earnings[msg.sender] = self.earnings[msg.sender] + cost
        self.usageTokens[user] = self.usageTokens[user] + inputTokens + outputTokens
        self.usageCost[user] = self.usageCost[user] + cost
        self.emit(UsageRecorded(user, msg.sender, model, inputTokens, outputTokens, cost))

    @external
    def withdrawEarnings(self, msg: Msg) -> None:
        self._enter()
        amount = self.earnings[msg.sender]
        if amount == 0:
            raise Revert(NothingToWithdraw(msg.sender))
        self.earnings[msg.sender] = U256(0)
        self.emit(EarningsWithdrawn(msg.sender, amount))
        self._sendValue(msg.sender, amount)
        self._exit()

    @view
    def getBalance(self, msg: Msg, user: Address) -> U256:
        return self.balances[user]

    @view
    def getUsage(self, msg: Msg, user: Address) -> tuple:
        return (self.usageTokens[user], self.usageCost[user])

    @view
    def modelPrice(self, msg: Msg, provider: Address, model: String) -> tuple:
        p = self.prices[provider][model_key(model)]
        return (p.inputPricePerToken, p.outputPricePerToken)

    @staticmethod
    def _checkModel(model: String) -> None:
        n = model.length()
        if n == 0 or n > MAX_MODEL_LENGTH:
            raise Revert(InvalidLength(n, U256(1), MAX_MODEL_LENGTH))
