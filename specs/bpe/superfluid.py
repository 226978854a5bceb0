"""Model of the parts of Superfluid 1.15.2 the suite uses: a wrapper SuperToken, the General
Distribution Agreement (GDAv1), its pools (SuperfluidPool), the GDAv1Forwarder and the
underlying TestToken.

Sources: GeneralDistributionAgreementV1.sol, GDAv1StorageLayout.sol, SuperfluidPool.sol,
solidity-semantic-money's SemanticMoney.sol and TokenMonad.sol, SuperfluidToken.sol, SuperToken.sol,
GDAv1Forwarder.sol and utils/TestToken.sol of the protocol monorepo. Where the public sources
differ from the 1.15.2 bytecode, the bytecode (probed on pyrevm, then fuzzed differentially by
`harness/fuzz/bpe/gda.py`) decided; these points are marked "1.15.2:" below. Framework constants are the
test framework deployer's governance defaults, probed: liquidation period 4 h (14400 s), patrician
period 30 min, minimum deposit 0, chain id 1.

What is modelled, exactly to the wei, as a function of `world.block.timestamp`:
- the SuperToken's settled balances, total supply, allowances; `upgrade`, `downgrade`, `transfer`,
  `transferFrom`, `approve`; `balanceOf` (available balance clipped at 0), `realtimeBalanceOf`,
  `realtimeBalanceOfNow` (available = settled + GDA dynamic balance - GDA buffer);
- the GDA's agreement data, kept by the token as the real token keeps it: each account's universal
  index (a semantic-money basic particle: settledAt, flowRate, settledValue), total buffer and pool
  flag; each distribution flow's (flowRate, buffer, lastUpdated); each pool's adjustment flow to
  its admin; which pools each member is connected to;
- each pool's index (total units, per-unit particle), members (units, synced particle, settled and
  claimed value) and the disconnected pseudo-member;
- the arithmetic of semantic money statement by statement: per-unit rates and amounts truncated
  (`floor(r / U) * U`, the remainder stays with the distributor), the adjustment flow (the
  remainder `r*U_old mod U_new` of a units change, or the whole flow when the units drop to 0, goes
  to the pool admin; a later distributeFlow first re-absorbs it), checked int96/int128/int256
  arithmetic (Panic 0x11) and OpenZeppelin SafeCast errors where the contracts narrow.

Pools are created by the GDA proxy with CREATE: pool k of the world is at
`create_address(gda, gda_nonce)`, the GDA's nonce starting at the value passed to
`build_superfluid_world` (1 for a freshly deployed framework) and incremented per pool.

Events compared (emitter, name, arguments, order): SuperToken Minted, Sent, Burned, Transfer,
Approval, TokenUpgraded, TokenDowngraded; TestToken Transfer, Approval; GDA PoolCreated,
PoolConnectionUpdated, BufferAdjusted, FlowDistributionUpdated, InstantDistributionUpdated;
SuperfluidPool MemberUnitsUpdated, Transfer (units minted/burnt), DistributionClaimed.
Deliberately left out (the comparison filters them from the EVM's logs):
- the token's AgreementCreated / AgreementUpdated / AgreementStateUpdated / AgreementTerminated: the
  agreement framework's raw storage bookkeeping (packed storage words); the same state is compared
  through the views instead;
- at pool creation the pool proxy's BeaconUpgraded and Initialized and the PoolAdminNFT's ERC721
  Transfer (proxy and NFT plumbing, no balance or flow meaning).

Not modelled (the differential machine does not generate these calls): liquidations
(`distributeFlow(from != sender, 0)` on a critical sender raises `NotModelled`), pool-unit ERC20
transfers and allowances, auto-connect (`tryConnectPoolFor`), ACL operators, ERC777 send/operators,
ERC1820 hooks (no account registers one), CFA/IDA (their balances are 0), the 256-slot limit of a
member's connection bitmap, yield backends, permits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from specs.kernel import (
    I96, I128, I256, U8, U32, U96, U128, U256, Address, Bool, Bytes32, Contract, Error, Event, Mapping,
    CHAIN_ID, ModelBug, Msg, Panic, Revert, SolidityError, Uint, ZERO_ADDRESS, external, immutable, storage, truth, view,
)
from specs.deploy import create_address
from specs.bpe.test_token import Approval, TestToken, Transfer

LIQUIDATION_PERIOD = 14_400  # governance default of the test framework (probed)
PATRICIAN_PERIOD = 1_800
MINIMUM_DEPOSIT = 0


class NotModelled(ModelBug):
    """A call the model deliberately does not cover (see the module docstring)."""


# -- errors ---------------------------------------------------------------------------------------
def _err(name: str, *fields: tuple[str, type]) -> type:
    cls = dataclass(frozen=True)(type(name, (SolidityError,), {"__annotations__": dict(fields)}))
    return cls


GDA_ADMIN_CANNOT_BE_POOL = _err("GDA_ADMIN_CANNOT_BE_POOL")
GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED = _err("GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED")
GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED = _err("GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED")
GDA_INSUFFICIENT_BALANCE = _err("GDA_INSUFFICIENT_BALANCE")
GDA_NON_CRITICAL_SENDER = _err("GDA_NON_CRITICAL_SENDER")
GDA_NOT_POOL_ADMIN = _err("GDA_NOT_POOL_ADMIN")
GDA_NO_NEGATIVE_FLOW_RATE = _err("GDA_NO_NEGATIVE_FLOW_RATE")
GDA_NO_ZERO_ADDRESS_ADMIN = _err("GDA_NO_ZERO_ADDRESS_ADMIN")
GDA_ONLY_SUPER_TOKEN_POOL = _err("GDA_ONLY_SUPER_TOKEN_POOL")
SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA = _err("SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA")
SUPERFLUID_POOL_NOT_GDA = _err("SUPERFLUID_POOL_NOT_GDA")
SUPERFLUID_POOL_NO_POOL_MEMBERS = _err("SUPERFLUID_POOL_NO_POOL_MEMBERS")
SUPERFLUID_POOL_NO_ZERO_ADDRESS = _err("SUPERFLUID_POOL_NO_ZERO_ADDRESS")
SF_TOKEN_BURN_INSUFFICIENT_BALANCE = _err("SF_TOKEN_BURN_INSUFFICIENT_BALANCE")
SF_TOKEN_MOVE_INSUFFICIENT_BALANCE = _err("SF_TOKEN_MOVE_INSUFFICIENT_BALANCE")
SUPER_TOKEN_APPROVE_FROM_ZERO_ADDRESS = _err("SUPER_TOKEN_APPROVE_FROM_ZERO_ADDRESS")
SUPER_TOKEN_APPROVE_TO_ZERO_ADDRESS = _err("SUPER_TOKEN_APPROVE_TO_ZERO_ADDRESS")
SUPER_TOKEN_BURN_FROM_ZERO_ADDRESS = _err("SUPER_TOKEN_BURN_FROM_ZERO_ADDRESS")
SUPER_TOKEN_MINT_TO_ZERO_ADDRESS = _err("SUPER_TOKEN_MINT_TO_ZERO_ADDRESS")
SUPER_TOKEN_TRANSFER_FROM_ZERO_ADDRESS = _err("SUPER_TOKEN_TRANSFER_FROM_ZERO_ADDRESS")
SUPER_TOKEN_TRANSFER_TO_ZERO_ADDRESS = _err("SUPER_TOKEN_TRANSFER_TO_ZERO_ADDRESS")
SafeCastOverflowedIntDowncast = _err("SafeCastOverflowedIntDowncast", ("bits", U8), ("value", I256))
SafeCastOverflowedIntToUint = _err("SafeCastOverflowedIntToUint", ("value", I256))
SafeCastOverflowedUintDowncast = _err("SafeCastOverflowedUintDowncast", ("bits", U8), ("value", U256))
SafeCastOverflowedUintToInt = _err("SafeCastOverflowedUintToInt", ("value", U256))
ALLOWANCE_EXCEEDED = Error("SuperToken: transfer amount exceeds allowance")
CALL_TARGET_REVERT = Error("CallUtils: target revert()")  # the host's wrapping of a data-less revert


# -- events ---------------------------------------------------------------------------------------
def _event(name: str, *fields: tuple[str, Any], abi: str | None = None) -> type:
    ns: dict[str, Any] = {"__annotations__": dict(fields)}
    if abi:
        ns["abi_name"] = classmethod(lambda cls: abi)
    return dataclass(frozen=True)(type(name, (Event,), ns))


Minted = _event("Minted", ("operator", Address), ("to", Address), ("amount", U256), ("data", bytes),
                ("operatorData", bytes))
Burned = _event("Burned", ("operator", Address), ("from_", Address), ("amount", U256), ("data", bytes),
                ("operatorData", bytes))
Sent = _event("Sent", ("operator", Address), ("from_", Address), ("to", Address), ("amount", U256),
              ("data", bytes), ("operatorData", bytes))
TokenUpgraded = _event("TokenUpgraded", ("account", Address), ("amount", U256))
TokenDowngraded = _event("TokenDowngraded", ("account", Address), ("amount", U256))
PoolCreated = _event("PoolCreated", ("token", Address), ("admin", Address), ("pool", Address))
PoolConnectionUpdated = _event("PoolConnectionUpdated", ("token", Address), ("pool", Address),
                               ("account", Address), ("connected", Bool), ("userData", bytes))
BufferAdjusted = _event("BufferAdjusted", ("token", Address), ("pool", Address), ("from_", Address),
                        ("bufferDelta", I256), ("newBufferAmount", U256), ("totalBufferAmount", U256))
FlowDistributionUpdated = _event(
    "FlowDistributionUpdated", ("token", Address), ("pool", Address), ("distributor", Address),
    ("operator", Address), ("oldFlowRate", I96), ("newDistributorToPoolFlowRate", I96),
    ("newTotalDistributionFlowRate", I96), ("adjustmentFlowRecipient", Address), ("adjustmentFlowRate", I96),
    ("userData", bytes))
InstantDistributionUpdated = _event(
    "InstantDistributionUpdated", ("token", Address), ("pool", Address), ("distributor", Address),
    ("operator", Address), ("requestedAmount", U256), ("actualAmount", U256), ("userData", bytes))
MemberUnitsUpdated = _event("MemberUnitsUpdated", ("token", Address), ("member", Address), ("oldUnits", U128),
                            ("newUnits", U128))
PoolUnitsTransfer = _event("PoolUnitsTransfer", ("from_", Address), ("to", Address), ("value", U256),
                           abi="Transfer")
DistributionClaimed = _event("DistributionClaimed", ("token", Address), ("member", Address),
                             ("claimedAmount", I256), ("totalClaimed", I256))


# -- SafeCast (OpenZeppelin) ----------------------------------------------------------------------
def to_int96(x: Any) -> I96:
    """SafeCast.toInt96 of an int256/int128. Reverts: SafeCastOverflowedIntDowncast(96, x)."""
    if not x.fits(I96):
        raise Revert(SafeCastOverflowedIntDowncast(U8(96), x.to(I256)))
    return x.to(I96)


def to_int128(x: I256) -> I128:
    """SafeCast.toInt128. Reverts: SafeCastOverflowedIntDowncast(128, x)."""
    if not x.fits(I128):
        raise Revert(SafeCastOverflowedIntDowncast(U8(128), x))
    return x.to(I128)


def uint_to_int256(x: Uint) -> I256:
    """SafeCast.toInt256. Reverts: SafeCastOverflowedUintToInt(x)."""
    if truth(x.v > I256.MAX):  # truth(): a plain bool when concrete, a path decision when symbolic
        raise Revert(SafeCastOverflowedUintToInt(U256(x.v)))
    return I256(x.v)


def int_to_uint256(x: I256) -> U256:
    """SafeCast.toUint256. Reverts: SafeCastOverflowedIntToUint(x)."""
    if x < 0:
        raise Revert(SafeCastOverflowedIntToUint(x))
    return U256(x.v)


def to_uint96(x: U256) -> U256:
    """SafeCast.toUint96 (value kept as U256). Reverts: SafeCastOverflowedUintDowncast(96, x)."""
    if x > U96.MAX:
        raise Revert(SafeCastOverflowedUintDowncast(U8(96), x))
    return x


def to_uint128(x: U256) -> U128:
    """SafeCast.toUint128. Reverts: SafeCastOverflowedUintDowncast(128, x)."""
    if x > U128.MAX:
        raise Revert(SafeCastOverflowedUintDowncast(U8(128), x))
    return U128(x.v)


def units_of(u: U128) -> I128:
    """toSemanticMoneyUnit: uint128 -> int256 -> SafeCast.toInt128."""
    return to_int128(I256(u.v))


def units_to_uint128(u: I128) -> U128:
    """int256(units).toUint256().toUint128() (pool storage of units)."""
    return to_uint128(int_to_uint256(u.to(I256)))


# -- semantic money (SemanticMoney.sol) -----------------------------------------------------------
@dataclass(frozen=True)
class Particle:
    """BasicParticle: settled_at (uint32), flow_rate (FlowRate = int128), settled_value (Value = int256)."""

    settled_at: U32
    flow_rate: I128
    settled_value: I256

    @staticmethod
    def empty() -> "Particle":
        return Particle(U32(0), I128(0), I256(0))

    def rtb(self, t: U32) -> I256:
        """flow_rate * (t - settled_at) + settled_value; `t - settled_at` is a checked uint32."""
        return self.flow_rate.to(I256) * I256((t - self.settled_at).v) + self.settled_value

    def settle(self, t: U32) -> "Particle":
        return Particle(t, self.flow_rate, self.rtb(t))

    def shift1(self, x: I256) -> "Particle":
        return Particle(self.settled_at, self.flow_rate, self.settled_value + x)

    def flow1(self, r: I128) -> "Particle":
        return Particle(self.settled_at, r, self.settled_value)

    def mappend(self, b: "Particle") -> "Particle":
        t = self.settled_at if self.settled_at > b.settled_at else b.settled_at
        a1, b1 = self.settle(t), b.settle(t)
        return Particle(t, a1.flow_rate + b1.flow_rate, a1.settled_value + b1.settled_value)


@dataclass(frozen=True)
class PoolIndex:
    """PDPoolIndex: total units (Unit = int128) and the per-unit wrapped particle."""

    total_units: I128
    wp: Particle

    def flow_rate(self) -> I128:
        return self.wp.flow_rate * self.total_units

    def settle(self, t: U32) -> "PoolIndex":
        return PoolIndex(self.total_units, self.wp.settle(t))

    def shift1(self, x: I256) -> tuple["PoolIndex", I256]:
        """The amount actually distributed is floor-towards-zero(x / U) * U."""
        if self.total_units != 0:
            u = self.total_units.to(I256)
            x1 = (x // u) * u
            return PoolIndex(self.total_units, self.wp.shift1(x1 // u)), x1
        return self, I256(0)

    def flow1(self, r: I128) -> tuple["PoolIndex", I128]:
        """The rate actually distributed is trunc(r / U) * U; the per-unit rate is trunc(r / U)."""
        if self.total_units != 0:
            r1 = (r // self.total_units) * self.total_units
            return PoolIndex(self.total_units, self.wp.flow1(r1 // self.total_units)), r1
        return self, I128(0)


@dataclass(frozen=True)
class PoolMember:
    """PDPoolMember: owned units, settled value, synced copy of the index's wrapped particle."""

    owned_units: I128
    settled_value: I256
    synced: Particle


def member_rtb(i: PoolIndex, m: PoolMember, t: U32) -> I256:
    """PDPoolMemberMU.rtb."""
    return m.settled_value + (i.wp.rtb(t) - m.synced.rtb(m.synced.settled_at)) * m.owned_units.to(I256)


def member_settle(i: PoolIndex, m: PoolMember, t: U32) -> tuple[PoolIndex, PoolMember]:
    i1 = i.settle(t)
    return i1, PoolMember(m.owned_units, member_rtb(i, m, t), i1.wp)


def pool_member_update(i: PoolIndex, m: PoolMember, a: Particle, u: I128, t: U32
                       ) -> tuple[PoolIndex, PoolMember, Particle]:
    """SemanticMoney.pool_member_update: the per-unit rate is re-aligned to the new total units; the
    remainder `er` (or the whole rate when the new total is 0) becomes particle `b`'s extra flow."""
    old_total = i.total_units
    new_total = old_total + u - m.owned_units
    i1, m1 = member_settle(i, m, t)
    nr = i1.wp.flow_rate
    if new_total != 0:
        prod = nr * old_total
        q = prod // new_total
        er = prod - q * new_total
        nr = q
    else:
        er = nr * old_total
        nr = I128(0)
    i2 = PoolIndex(new_total, i1.wp.flow1(nr))
    b = a.settle(t).flow1(a.flow_rate + er)
    return i2, PoolMember(u, m1.settled_value, i2.wp), b


def shift_flow2b_uu(a: Particle, b: Particle, dr: I128, t: U32) -> tuple[Particle, Particle]:
    """shift_flow2b(BasicParticle, BasicParticle): b's flow rate changes by dr, a pays it."""
    r = b.flow_rate
    a1 = Particle.empty().settle(t).flow1(-(-r))  # flow2(mempty, b, -r).m: flow1(r.inv().inv())
    n = b.settle(t).flow1(r + dr)
    a2 = Particle.empty().settle(t).flow1(-(r + dr))
    return a.mappend(a1).mappend(a2), n


def shift_flow2b_up(a: Particle, b: PoolIndex, dr: I128, t: U32) -> tuple[Particle, PoolIndex, I128]:
    """shift_flow2b(BasicParticle, PDPoolIndex): returns (a', index', new distribution rate)."""
    r = b.flow_rate()
    _n0, r0 = b.settle(t).flow1(-r)
    a1 = Particle.empty().settle(t).flow1(-r0)
    n, r1 = b.settle(t).flow1(r + dr)
    a2 = Particle.empty().settle(t).flow1(-r1)
    return a.mappend(a1).mappend(a2), n, r1


def shift2b(a: Particle, b: PoolIndex, x: I256) -> tuple[Particle, PoolIndex, I256]:
    n, x1 = b.shift1(x)
    return a.shift1(-x1), n, x1


def flow_hash(tag: str, a: Address, b: Address) -> Bytes32:
    """keccak256(abi.encode(block.chainid, tag, a, b)) (GDAv1StorageLib flow hashes)."""
    return Bytes32(keccak(abi_encode(["uint256", "string", "address", "address"],
                                     [CHAIN_ID, tag, "0x%040x" % a.v, "0x%040x" % b.v])))


# -- the underlying ERC20 ---------------------------------------------------------------------------
@dataclass
class SuperfluidTestToken(TestToken):
    """Superfluid's utils/TestToken.sol: OpenZeppelin 5 ERC20 (+permit) with an open `mint`, capped
    per call by the immutable mint limit. Same ERC20 semantics as specs/bpe/test_token.py."""

    _decimals: int = immutable(default=18)
    _mintLimit: U256 = immutable(default=U256(U256.MAX))

    @view
    def decimals(self, msg: Msg) -> int:
        return self._decimals

    @external
    def mint(self, msg: Msg, to: Address, amount: U256) -> Bool:  # type: ignore[override]
        """Reverts: Panic 0x01 (amount above the mint limit: an assert), ERC20InvalidReceiver (to == 0),
        Panic 0x11 (supply overflow)."""
        if amount > self._mintLimit:
            raise Revert(Panic(0x01))
        self._mint(to, amount)
        return Bool(True)


# -- the SuperToken (with the GDA agreement data it stores) ----------------------------------------
@dataclass
class SuperToken(Contract):
    """A SEMI_UPGRADABLE wrapper SuperToken (1:1 with an 18-decimals underlying). Storage: the ERC20
    part and, as the real token does for its agreements, the GDA's agreement data."""

    _sharedSettledBalance: Mapping = storage(lambda: Mapping(Address, I256))
    _totalSupply: U256 = storage(lambda: U256(0))
    _allowances: Mapping = storage(lambda: Mapping(Address, Mapping(Address, U256)))
    # GDA account data (agreement state slot 0): universal index, total buffer, pool flag
    uFlowRate: Mapping = storage(lambda: Mapping(Address, I96))
    uSettledAt: Mapping = storage(lambda: Mapping(Address, U32))
    uSettledValue: Mapping = storage(lambda: Mapping(Address, I256))
    totalBuffer: Mapping = storage(lambda: Mapping(Address, U256))
    isPoolFlag: Mapping = storage(lambda: Mapping(Address, Bool))
    # GDA agreement data: distribution flows [from][pool], adjustment flows [pool] (to its admin)
    flowRate: Mapping = storage(lambda: Mapping(Address, Mapping(Address, I96)))
    flowBuffer: Mapping = storage(lambda: Mapping(Address, Mapping(Address, U256)))
    flowLastUpdated: Mapping = storage(lambda: Mapping(Address, Mapping(Address, U32)))
    adjFlowRate: Mapping = storage(lambda: Mapping(Address, I96))
    adjLastUpdated: Mapping = storage(lambda: Mapping(Address, U32))
    # pool connectivity [member][pool]; the pools of this token in creation order (the model's
    # stand-in for a member's connection bitmap: sums run over the connected ones)
    connected: Mapping = storage(lambda: Mapping(Address, Mapping(Address, Bool)))
    poolCount: U256 = storage(lambda: U256(0))
    poolAt: Mapping = storage(lambda: Mapping(U256, Address))
    # immutables
    underlying: Address = immutable(default=ZERO_ADDRESS)
    gda: Address = immutable(default=ZERO_ADDRESS)
    _name: str = immutable(default="Super TT")
    _symbol: str = immutable(default="TTx")

    # -- helpers used by the GDA ---------------------------------------------------------------
    def now(self) -> U32:
        return U32(self.world.block.timestamp)

    def uindex(self, account: Address) -> Particle:
        return Particle(self.uSettledAt[account], self.uFlowRate[account].to(I128), self.uSettledValue[account])

    def set_uindex(self, account: Address, p: Particle) -> None:
        """GDAv1StorageWriter.setUniversalIndex. Reverts: SafeCastOverflowedIntDowncast(96, rate)."""
        rate = to_int96(p.flow_rate)
        to_uint96(self.totalBuffer[account])
        self.uFlowRate[account] = rate
        self.uSettledAt[account] = p.settled_at
        self.uSettledValue[account] = p.settled_value

    def pools(self) -> list[Address]:
        return [self.poolAt[U256(i)] for i in range(int(self.poolCount))]

    def connected_pools(self, member: Address) -> list[Address]:
        return [p for p in self.pools() if self.connected[member][p]]

    # -- ERC20 views -------------------------------------------------------------------------------
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
    def getUnderlyingToken(self, msg: Msg) -> Address:
        return self.underlying

    @view
    def totalSupply(self, msg: Msg) -> U256:
        return self._totalSupply

    @view
    def allowance(self, msg: Msg, account: Address, spender: Address) -> U256:
        return self._allowances[account][spender]

    @view
    def realtimeBalanceOf(self, msg: Msg, account: Address, timestamp: U256) -> tuple[I256, U256, U256]:
        """settled + GDA dynamic balance - max(0, deposit - owedDeposit) (CFA/IDA contribute 0)."""
        dyn, deposit, owed = self.world.at(self.gda).realtimeBalanceOf(msg, self.address, account, timestamp)
        available = self._sharedSettledBalance[account] + dyn
        if deposit > owed:
            available = available - uint_to_int256(deposit - owed)
        return available, deposit, owed

    @view
    def realtimeBalanceOfNow(self, msg: Msg, account: Address) -> tuple[I256, U256, U256, U256]:
        t = U256(self.world.block.timestamp)
        a, d, o = self.realtimeBalanceOf(msg, account, t)
        return a, d, o, t

    @view
    def balanceOf(self, msg: Msg, account: Address) -> U256:
        """The available balance now, clipped at 0."""
        a, _d, _o = self.realtimeBalanceOf(msg, account, U256(self.world.block.timestamp))
        return U256(0) if a < 0 else a.to_uint(U256)

    @view
    def isAccountCriticalNow(self, msg: Msg, account: Address) -> Bool:
        a, _d, _o = self.realtimeBalanceOf(msg, account, U256(self.world.block.timestamp))
        return Bool(a < 0)

    def available_now(self, account: Address) -> I256:
        return self.realtimeBalanceOf(self.this_msg(), account, U256(self.world.block.timestamp))[0]

    # -- ERC20 / ERC777 operations -----------------------------------------------------------------
    @external
    def upgrade(self, msg: Msg, amount: U256) -> None:
        """Wrap `amount` of the underlying (1:1). Reverts: the underlying's ERC20InsufficientAllowance /
        ERC20InsufficientBalance (transferFrom runs first), SafeCastOverflowedUintToInt (amount >= 2**255),
        Panic 0x11 (supply overflow)."""
        self._upgrade(msg.sender, msg.sender, amount)

    @external
    def upgradeTo(self, msg: Msg, to: Address, amount: U256, userData: bytes) -> None:
        """Reverts: as upgrade, and SUPER_TOKEN_MINT_TO_ZERO_ADDRESS."""
        self._upgrade(msg.sender, to, amount, userData)

    def _upgrade(self, account: Address, to: Address, amount: U256, userData: bytes = b"") -> None:
        under = self.world.at(self.underlying)
        before = under._balances[self.address]
        under.transferFrom(self.this_msg(), account, self.address, amount)
        after = under._balances[self.address]
        if after - before != amount:  # SUPER_TOKEN_INFLATIONARY_DEFLATIONARY_NOT_SUPPORTED: never here
            raise ModelBug("underlying moved an unexpected amount")
        self._mint(account, to, amount, userData, b"")
        self.emit(TokenUpgraded(to, amount))

    def _mint(self, operator: Address, account: Address, amount: U256, userData: bytes, operatorData: bytes) -> None:
        if account == ZERO_ADDRESS:
            raise Revert(SUPER_TOKEN_MINT_TO_ZERO_ADDRESS())
        signed = uint_to_int256(amount)
        self._sharedSettledBalance[account] = self._sharedSettledBalance[account] + signed
        self._totalSupply = self._totalSupply + amount
        self.emit(Minted(operator, account, amount, userData, operatorData))
        self.emit(Transfer(ZERO_ADDRESS, account, amount))

    @external
    def downgrade(self, msg: Msg, amount: U256) -> None:
        """Unwrap `amount`. Reverts: SafeCastOverflowedUintToInt (amount >= 2**255),
        SF_TOKEN_BURN_INSUFFICIENT_BALANCE (available balance now below amount)."""
        account = msg.sender
        if account == ZERO_ADDRESS:
            raise Revert(SUPER_TOKEN_BURN_FROM_ZERO_ADDRESS())
        signed = uint_to_int256(amount)
        if self.available_now(account) < signed:
            raise Revert(SF_TOKEN_BURN_INSUFFICIENT_BALANCE())
        self._sharedSettledBalance[account] = self._sharedSettledBalance[account] - signed
        self._totalSupply = self._totalSupply - amount
        self.emit(Burned(account, account, amount, b"", b""))
        self.emit(Transfer(account, ZERO_ADDRESS, amount))
        self.world.at(self.underlying).transfer(self.this_msg(), account, amount)
        self.emit(TokenDowngraded(account, amount))

    @external
    def approve(self, msg: Msg, spender: Address, amount: U256) -> Bool:
        """Reverts: SUPER_TOKEN_APPROVE_FROM_ZERO_ADDRESS, SUPER_TOKEN_APPROVE_TO_ZERO_ADDRESS."""
        if msg.sender == ZERO_ADDRESS:
            raise Revert(SUPER_TOKEN_APPROVE_FROM_ZERO_ADDRESS())
        if spender == ZERO_ADDRESS:
            raise Revert(SUPER_TOKEN_APPROVE_TO_ZERO_ADDRESS())
        self._allowances[msg.sender][spender] = amount
        self.emit(Approval(msg.sender, spender, amount))
        return Bool(True)

    @external
    def transfer(self, msg: Msg, recipient: Address, amount: U256) -> Bool:
        """Reverts: SUPER_TOKEN_TRANSFER_TO_ZERO_ADDRESS, SafeCastOverflowedUintToInt,
        SF_TOKEN_MOVE_INSUFFICIENT_BALANCE."""
        return self._transferFrom(msg.sender, msg.sender, recipient, amount)

    @external
    def transferFrom(self, msg: Msg, holder: Address, recipient: Address, amount: U256) -> Bool:
        """Reverts: SUPER_TOKEN_TRANSFER_FROM_ZERO_ADDRESS, SUPER_TOKEN_TRANSFER_TO_ZERO_ADDRESS,
        SafeCastOverflowedUintToInt, SF_TOKEN_MOVE_INSUFFICIENT_BALANCE (the move runs before the
        allowance check), Error("SuperToken: transfer amount exceeds allowance"). The allowance is
        decreased even when it is 2**256-1, and without an Approval event (1.15.2)."""
        return self._transferFrom(msg.sender, holder, recipient, amount)

    def _transferFrom(self, spender: Address, holder: Address, recipient: Address, amount: U256) -> Bool:
        if holder == ZERO_ADDRESS:
            raise Revert(SUPER_TOKEN_TRANSFER_FROM_ZERO_ADDRESS())
        if recipient == ZERO_ADDRESS:
            raise Revert(SUPER_TOKEN_TRANSFER_TO_ZERO_ADDRESS())
        self._move(spender, holder, recipient, amount)
        if spender != holder:
            allowed = self._allowances[holder][spender]
            if allowed < amount:
                raise Revert(ALLOWANCE_EXCEEDED)
            self._allowances[holder][spender] = allowed - amount
        return Bool(True)

    def _move(self, operator: Address, from_: Address, to: Address, amount: U256) -> None:
        signed = uint_to_int256(amount)
        if self.available_now(from_) < signed:
            raise Revert(SF_TOKEN_MOVE_INSUFFICIENT_BALANCE())
        self._sharedSettledBalance[from_] = self._sharedSettledBalance[from_] - signed
        self._sharedSettledBalance[to] = self._sharedSettledBalance[to] + signed
        self.emit(Sent(operator, from_, to, amount, b"", b""))
        self.emit(Transfer(from_, to, amount))


# -- the GDA -----------------------------------------------------------------------------------------
@dataclass
class GeneralDistributionAgreementV1(Contract):
    """The GDA proxy. Its state lives in the token (agreement data); the model's own field is the
    account nonce, which fixes the CREATE address of the next pool."""

    nonce: U256 = storage(lambda: U256(1))

    def token(self, token: Address) -> SuperToken:
        c = self.world.contracts.get(token.v)
        if not isinstance(c, SuperToken):
            raise NotModelled(f"GDA call with token {token!r}, which is not a modelled SuperToken")
        return c

    def pool(self, pool: Address) -> "SuperfluidPool":
        """A call to `pool`: a data-less revert (wrapped by the host) when it is not a pool."""
        c = self.world.contracts.get(pool.v)
        if not isinstance(c, SuperfluidPool):
            raise Revert(CALL_TARGET_REVERT)
        return c

    def is_pool(self, token: Address, account: Address) -> bool:
        return bool(self.token(token).isPoolFlag[account])

    def _require_token_pool(self, token: Address, pool: Address) -> "SuperfluidPool":
        """`token.isPool(pool) && pool.superToken() == token`. Reverts: GDA_ONLY_SUPER_TOKEN_POOL."""
        if not self.is_pool(token, pool):
            raise Revert(GDA_ONLY_SUPER_TOKEN_POOL())
        p = self.pool(pool)
        if p.superToken_ != token:
            raise Revert(GDA_ONLY_SUPER_TOKEN_POOL())
        return p

    # -- ISuperAgreement -------------------------------------------------------------------------
    @view
    def realtimeBalanceOf(self, msg: Msg, token: Address, account: Address, time: U256) -> tuple[I256, U256, U256]:
        """A pool's own balance is its disconnected members' balance; a member's includes the
        unsettled value of every connected pool. Reverts: SafeCastOverflowedUintDowncast(32, time)."""
        if time > U32.MAX:
            raise Revert(SafeCastOverflowedUintDowncast(U8(32), time))
        t = U32(time.v)
        tok = self.token(token)
        if tok.isPoolFlag[account]:
            rtb = self.pool(account).getDisconnectedBalance(msg, t)
        else:
            rtb = tok.uindex(account).rtb(t)
        for p in tok.connected_pools(account):
            rtb = rtb + self.pool(p).getUnsettledValue(msg, account, t)
        return rtb, tok.totalBuffer[account], U256(0)

    # -- views -----------------------------------------------------------------------------------
    @view
    def getNetFlow(self, msg: Msg, token: Address, account: Address) -> I96:
        tok = self.token(token)
        net = to_int96(tok.uindex(account).flow_rate)
        if tok.isPoolFlag[account]:
            net = net + self.pool(account).getTotalDisconnectedFlowRate(msg)
        for p in tok.connected_pools(account):
            net = net + self.pool(p).getMemberFlowRate(msg, account)
        return net

    @view
    def getFlowRate(self, msg: Msg, token: Address, from_: Address, to: Address) -> I96:
        return self.token(token).flowRate[from_][to]

    @view
    def getFlow(self, msg: Msg, token: Address, from_: Address, to: Address) -> tuple[U256, I96, U256]:
        tok = self.token(token)
        return U256(tok.flowLastUpdated[from_][to].v), tok.flowRate[from_][to], tok.flowBuffer[from_][to]

    @view
    def getAccountFlowInfo(self, msg: Msg, token: Address, account: Address) -> tuple[U256, I96, U256]:
        tok = self.token(token)
        return U256(tok.uSettledAt[account].v), tok.uFlowRate[account], tok.totalBuffer[account]

    @view
    def estimateFlowDistributionActualFlowRate(self, msg: Msg, token: Address, from_: Address, to: Address,
                                               requestedFlowRate: I96) -> tuple[I96, I96]:
        """The rate distributeFlow would set (clipped at 0) and the pool's resulting total rate."""
        tok = self.token(token)
        p = self.pool(to)
        old = tok.flowRate[from_][to].to(I128)
        idx = p.index()
        old_dist = idx.flow_rate()
        delta = requestedFlowRate.to(I128) - old
        adj = tok.adjFlowRate[to].to(I128)
        _a, _idx, new_dist = shift_flow2b_up(tok.uindex(from_), idx, delta + adj, tok.now())
        actual = to_int96(old + (new_dist - old_dist) - adj)
        total = to_int96(new_dist)
        return (I96(0) if actual < 0 else actual), total

    @view
    def estimateDistributionActualAmount(self, msg: Msg, token: Address, from_: Address, to: Address,
                                         requestedAmount: U256) -> U256:
        tok = self.token(token)
        _a, _i, x1 = shift2b(tok.uindex(from_), self.pool(to).index(), uint_to_int256(requestedAmount))
        return U256(x1.v)

    @view
    def isMemberConnected(self, msg: Msg, pool: Address, member: Address) -> Bool:
        return self.token(self.pool(pool).superToken_).connected[member][pool]

    @view
    def isPool(self, msg: Msg, token: Address, account: Address) -> Bool:
        return self.token(token).isPoolFlag[account]

    @view
    def getPoolAdjustmentFlowInfo(self, msg: Msg, pool: Address) -> tuple[Address, Bytes32, I96]:
        p = self.pool(pool)
        return p.admin_, flow_hash("poolAdjustmentFlow", pool, p.admin_), self.token(p.superToken_).adjFlowRate[pool]

    @view
    def getPoolAdjustmentFlowRate(self, msg: Msg, pool: Address) -> I96:
        p = self.pool(pool)
        return self.token(p.superToken_).adjFlowRate[pool]

    # -- pool creation ---------------------------------------------------------------------------
    @external
    def createPool(self, msg: Msg, token: Address, admin: Address, transferabilityForUnitsOwner: Bool,
                   distributionFromAnyAddress: Bool) -> Address:
        """Deploy a pool (CREATE from the GDA, its nonce) and flag it in the token.
        Reverts: GDA_NO_ZERO_ADDRESS_ADMIN, GDA_ADMIN_CANNOT_BE_POOL."""
        if admin == ZERO_ADDRESS:
            raise Revert(GDA_NO_ZERO_ADDRESS_ADMIN())
        tok = self.token(token)
        if tok.isPoolFlag[admin]:
            raise Revert(GDA_ADMIN_CANNOT_BE_POOL())
        addr = create_address(self.address.v, int(self.nonce))
        self.nonce = self.nonce + 1
        pool = self.POOL_CLASS(superToken_=token, admin_=admin, transferabilityForUnitsOwner_=transferabilityForUnitsOwner,
                              distributionFromAnyAddress_=distributionFromAnyAddress, GDA=self.address)
        self.world.deploy(addr, pool)
        # setIsPoolFlag writes the whole first word of the account data: rate, settledAt, buffer = 0
        tok.isPoolFlag[Address(addr)] = Bool(True)
        tok.uFlowRate[Address(addr)] = I96(0)
        tok.uSettledAt[Address(addr)] = U32(0)
        tok.totalBuffer[Address(addr)] = U256(0)
        tok.poolAt[tok.poolCount] = Address(addr)
        tok.poolCount = tok.poolCount + 1
        self.emit(PoolCreated(token, admin, Address(addr)))
        return Address(addr)

    # -- agreement operations (ctx: the host's msgSender and userData) ----------------------------
    def updateMemberUnits(self, sender: Address, pool: Address, member: Address, newUnits: U128) -> None:
        """Reverts: GDA_NOT_POOL_ADMIN, and the pool's updateMemberUnits reverts."""
        p = self.pool(pool)
        self.token(p.superToken_)
        if sender != p.admin_:
            raise Revert(GDA_NOT_POOL_ADMIN())
        p.updateMemberUnits(self.this_msg(), member, newUnits)

    def claimAll(self, sender: Address, pool: Address, member: Address) -> None:
        p = self.pool(pool)
        self.token(p.superToken_)
        p.claimAll(self.this_msg(), member)

    def setPoolConnection(self, sender: Address, pool: Address, doConnect: bool, userData: bytes) -> None:
        """connectPool / disconnectPool (_setPoolConnectionFor). Reverts: CallUtils error (not a
        contract), GDA_ONLY_SUPER_TOKEN_POOL. A no-op (no event) when already in that state."""
        p = self.pool(pool)
        token = p.superToken_
        tok = self.token(token)
        if not tok.isPoolFlag[pool]:
            raise Revert(GDA_ONLY_SUPER_TOKEN_POOL())
        member = sender
        if bool(tok.connected[member][pool]) != doConnect:
            tok.connected[member][pool] = Bool(doConnect)
            p.operatorConnectMember(self.this_msg(), member, Bool(doConnect), tok.now())
            self.emit(PoolConnectionUpdated(token, pool, member, Bool(doConnect), userData))

    def distribute(self, sender: Address, token: Address, from_: Address, pool: Address, requestedAmount: U256,
                   userData: bytes) -> None:
        """Instant distribution of floor(requested / U) * U (0 when U == 0).
        Reverts: GDA_ONLY_SUPER_TOKEN_POOL, GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED (not the admin of
        a pool without distributionFromAnyAddress), GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED (from != sender),
        SafeCastOverflowedUintToInt (requested >= 2**255), GDA_INSUFFICIENT_BALANCE (sender critical after)."""
        tok = self.token(token)
        p = self._require_token_pool(token, pool)
        if not p.distributionFromAnyAddress_ and p.admin_ != sender:
            raise Revert(GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED())
        if from_ != sender:
            raise Revert(GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED())
        req = uint_to_int256(requestedAmount)
        if from_ == pool:
            raise Revert(Panic(0x01))
        a, c, actual = shift2b(tok.uindex(sender), p.index(), req)
        tok.set_uindex(sender, a)
        p.operatorSetIndex(self.this_msg(), c)
        if tok.available_now(from_) < 0:
            raise Revert(GDA_INSUFFICIENT_BALANCE())
        self.emit(InstantDistributionUpdated(token, pool, from_, sender, requestedAmount, U256(actual.v), userData))

    def distributeFlow(self, sender: Address, token: Address, from_: Address, pool: Address, requestedFlowRate: I96,
                       userData: bytes) -> None:
        """Set the distributor's flow to the pool; the pool's per-unit rate is trunc(R / U) where R is
        the requested change plus the pending adjustment flow; the remainder is never taken from the
        distributor (a negative actual rate is clipped to 0 and the rest kept as adjustment flow).
        Reverts: GDA_ONLY_SUPER_TOKEN_POOL, GDA_NO_NEGATIVE_FLOW_RATE,
        GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED (rate > 0 by a non-admin), Panic 0x11 / SafeCast
        errors on overflowing rates, GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED (from != sender, rate > 0),
        GDA_NON_CRITICAL_SENDER (from != sender, rate 0, from solvent), SafeCastOverflowedUintDowncast(96,
        total buffer), GDA_INSUFFICIENT_BALANCE (rate > 0 and the sender critical afterwards)."""
        tok = self.token(token)
        p = self._require_token_pool(token, pool)
        if requestedFlowRate < 0:
            raise Revert(GDA_NO_NEGATIVE_FLOW_RATE())
        t = tok.now()
        old = tok.flowRate[from_][pool].to(I128)
        if requestedFlowRate > 0 and not p.distributionFromAnyAddress_ and p.admin_ != sender:
            raise Revert(GDA_DISTRIBUTE_FROM_ANY_ADDRESS_NOT_ALLOWED())
        actual, new_dist = self._doDistributeFlowViaPool(tok, p, from_, pool, requestedFlowRate.to(I128), t)
        if from_ != sender:
            if requestedFlowRate > 0:
                raise Revert(GDA_DISTRIBUTE_FOR_OTHERS_NOT_ALLOWED())
            if tok.available_now(from_) < 0:
                raise NotModelled("liquidation of a critical distributor")
            raise Revert(GDA_NON_CRITICAL_SENDER())
        self._adjustBuffer(tok, pool, from_, actual)
        if requestedFlowRate > 0 and tok.available_now(from_) < 0:
            raise Revert(GDA_INSUFFICIENT_BALANCE())
        self.emit(FlowDistributionUpdated(token, pool, from_, sender, to_int96(old), to_int96(actual),
                                          to_int96(new_dist), p.admin_, tok.adjFlowRate[pool], userData))

    def _doDistributeFlowViaPool(self, tok: SuperToken, p: "SuperfluidPool", from_: Address, pool: Address,
                                 req: I128, t: U32) -> tuple[I128, I128]:
        """TokenMonad._doDistributeFlowViaPool. Reverts: Panic 0x01 (from == pool)."""
        if from_ == pool:
            raise Revert(Panic(0x01))
        a = tok.uindex(from_)
        b = tok.uindex(pool)
        c = p.index()
        cur_adj = tok.adjFlowRate[pool].to(I128)
        old = tok.flowRate[from_][pool].to(I128)
        old_dist = c.flow_rate()
        shift = req - old
        b, c, new_dist = shift_flow2b_up(b, c, shift + cur_adj, t)
        if new_dist < 0:
            raise Revert(Panic(0x01))
        new_actual = old + (new_dist - old_dist) - cur_adj
        if new_actual >= 0:
            new_adj = I128(0)
        else:
            new_adj = -new_actual
            new_actual = I128(0)
        delta = new_actual - old
        a, b = shift_flow2b_uu(a, b, delta, t)
        tok.set_uindex(from_, a)
        tok.set_uindex(pool, b)
        p.operatorSetIndex(self.this_msg(), c)
        self._setFlowInfo(tok, from_, pool, new_actual)
        self._setPoolAdjustmentFlowRate(tok, pool, False, new_adj, t)
        return new_actual, new_dist

    def _setFlowInfo(self, tok: SuperToken, from_: Address, pool: Address, rate: I128) -> None:
        tok.flowRate[from_][pool] = to_int96(rate)
        tok.flowLastUpdated[from_][pool] = tok.now()

    def _setPoolAdjustmentFlowRate(self, tok: SuperToken, pool: Address, doShift: bool, rate: I128, t: U32) -> None:
        """The pool -> admin adjustment flow (_doFlow): its rate becomes `rate` (+ the current one if
        doShift)."""
        admin = self.pool(pool).admin_
        if doShift:
            rate = rate + tok.adjFlowRate[pool].to(I128)
        if pool == admin:
            return
        delta = rate - tok.adjFlowRate[pool].to(I128)
        a, b = shift_flow2b_uu(tok.uindex(pool), tok.uindex(admin), delta, t)
        tok.set_uindex(pool, a)
        tok.set_uindex(admin, b)
        tok.adjFlowRate[pool] = to_int96(rate)
        tok.adjLastUpdated[pool] = tok.now()

    def _adjustBuffer(self, tok: SuperToken, pool: Address, from_: Address, newFlowRate: I128) -> None:
        """buffer = rate * liquidation period (minimum deposit 0). Reverts: SafeCastOverflowedUintDowncast
        (96, new total buffer)."""
        new_buffer = newFlowRate.to(I256) * I256(LIQUIDATION_PERIOD)
        if int_to_uint256(new_buffer) < MINIMUM_DEPOSIT and newFlowRate > 0:
            new_buffer = I256(MINIMUM_DEPOSIT)
        old_buffer = tok.flowBuffer[from_][pool]
        delta = new_buffer - I256(old_buffer.v)
        tok.flowRate[from_][pool] = to_int96(newFlowRate)
        tok.flowLastUpdated[from_][pool] = tok.now()
        tok.flowBuffer[from_][pool] = U256(new_buffer.v)
        total = int_to_uint256(uint_to_int256(tok.totalBuffer[from_]) + delta)
        to_uint96(total)
        tok.totalBuffer[from_] = total
        self.emit(BufferAdjusted(tok.address, pool, from_, delta, int_to_uint256(new_buffer), total))

    # -- pool-only operations ----------------------------------------------------------------------
    def _only_token_pool(self, msg: Msg, token: Address) -> SuperToken:
        tok = self.token(token)
        if not tok.isPoolFlag[msg.sender] or self.pool(msg.sender).superToken_ != token:
            raise Revert(GDA_ONLY_SUPER_TOKEN_POOL())
        return tok

    @external
    def appendIndexUpdateByPool(self, msg: Msg, token: Address, p: Particle, t: U32) -> Bool:
        """Reverts: GDA_ONLY_SUPER_TOKEN_POOL."""
        tok = self._only_token_pool(msg, token)
        pool = msg.sender
        tok.set_uindex(pool, tok.uindex(pool).mappend(p))
        self._setPoolAdjustmentFlowRate(tok, pool, True, p.flow_rate, t)
        return Bool(True)

    @external
    def poolSettleClaim(self, msg: Msg, token: Address, claimRecipient: Address, amount: I256) -> Bool:
        """Shift `amount` from the pool's universal index to the recipient's. Reverts:
        GDA_ONLY_SUPER_TOKEN_POOL."""
        tok = self._only_token_pool(msg, token)
        pool = msg.sender
        if pool != claimRecipient:
            a, b = tok.uindex(pool), tok.uindex(claimRecipient)
            tok.set_uindex(pool, a.shift1(-amount))
            tok.set_uindex(claimRecipient, b.shift1(amount))
        return Bool(True)


# -- a pool ------------------------------------------------------------------------------------------
@dataclass
class SuperfluidPool(Contract):
    """One SuperfluidPool (beacon proxy) created by the GDA."""

    # the pool index
    totalUnits: U128 = storage(lambda: U128(0))
    wrappedSettledAt: U32 = storage(lambda: U32(0))
    wrappedFlowRate: I96 = storage(lambda: I96(0))
    wrappedSettledValue: I256 = storage(lambda: I256(0))
    # members
    mUnits: Mapping = storage(lambda: Mapping(Address, U128))
    mSyncedAt: Mapping = storage(lambda: Mapping(Address, U32))
    mSyncedRate: Mapping = storage(lambda: Mapping(Address, I96))
    mSyncedValue: Mapping = storage(lambda: Mapping(Address, I256))
    mSettledValue: Mapping = storage(lambda: Mapping(Address, I256))
    mClaimedValue: Mapping = storage(lambda: Mapping(Address, I256))
    # the disconnected pseudo-member
    dUnits: U128 = storage(lambda: U128(0))
    dSyncedAt: U32 = storage(lambda: U32(0))
    dSyncedRate: I96 = storage(lambda: I96(0))
    dSyncedValue: I256 = storage(lambda: I256(0))
    dSettledValue: I256 = storage(lambda: I256(0))
    # set once at creation
    superToken_: Address = immutable(default=ZERO_ADDRESS)
    admin_: Address = immutable(default=ZERO_ADDRESS)
    transferabilityForUnitsOwner_: Bool = immutable(default=Bool(False))
    distributionFromAnyAddress_: Bool = immutable(default=Bool(False))
    GDA: Address = immutable(default=ZERO_ADDRESS)

    # -- conversions between storage and semantic money --------------------------------------
    def index(self) -> PoolIndex:
        return PoolIndex(units_of(self.totalUnits),
                         Particle(self.wrappedSettledAt, self.wrappedFlowRate.to(I128), self.wrappedSettledValue))

    def _set_index(self, i: PoolIndex) -> None:
        """_pdPoolIndexToPoolIndexData. Reverts: SafeCast errors (negative or oversized units, per-unit
        rate beyond int96)."""
        self.totalUnits = units_to_uint128(i.total_units)
        self.wrappedSettledAt = i.wp.settled_at
        self.wrappedFlowRate = to_int96(i.wp.flow_rate)
        self.wrappedSettledValue = i.wp.settled_value

    def member(self, m: Address) -> PoolMember:
        return PoolMember(units_of(self.mUnits[m]), self.mSettledValue[m],
                          Particle(self.mSyncedAt[m], self.mSyncedRate[m].to(I128), self.mSyncedValue[m]))

    def _set_member(self, a: Address, m: PoolMember) -> None:
        self.mUnits[a] = units_to_uint128(m.owned_units)
        self.mSyncedAt[a] = m.synced.settled_at
        self.mSyncedRate[a] = to_int96(m.synced.flow_rate)
        self.mSyncedValue[a] = m.synced.settled_value
        self.mSettledValue[a] = m.settled_value

    def disconnected(self) -> PoolMember:
        return PoolMember(units_of(self.dUnits), self.dSettledValue,
                          Particle(self.dSyncedAt, self.dSyncedRate.to(I128), self.dSyncedValue))

    def gda(self) -> GeneralDistributionAgreementV1:
        return self.world.at(self.GDA)  # type: ignore[return-value]

    def token(self) -> SuperToken:
        return self.world.at(self.superToken_)  # type: ignore[return-value]

    def now(self) -> U32:
        return U32(self.world.block.timestamp)

    def is_connected(self, member: Address) -> bool:
        return bool(self.token().connected[member][self.address])

    # -- views -------------------------------------------------------------------------------
    @view
    def superToken(self, msg: Msg) -> Address:
        return self.superToken_

    @view
    def admin(self, msg: Msg) -> Address:
        return self.admin_

    @view
    def distributionFromAnyAddress(self, msg: Msg) -> Bool:
        return self.distributionFromAnyAddress_

    @view
    def transferabilityForUnitsOwner(self, msg: Msg) -> Bool:
        return self.transferabilityForUnitsOwner_

    @view
    def getTotalUnits(self, msg: Msg) -> U128:
        return self.totalUnits

    @view
    def totalSupply(self, msg: Msg) -> U256:
        return U256(self.totalUnits.v)

    @view
    def getTotalConnectedUnits(self, msg: Msg) -> U128:
        """Reverts: Panic 0x11 if the disconnected units exceed the total (never)."""
        return self.totalUnits - self.dUnits

    @view
    def getTotalDisconnectedUnits(self, msg: Msg) -> U128:
        return self.dUnits

    @view
    def getUnits(self, msg: Msg, memberAddr: Address) -> U128:
        return self.mUnits[memberAddr]

    @view
    def balanceOf(self, msg: Msg, account: Address) -> U256:
        return U256(self.mUnits[account].v)

    @view
    def getTotalFlowRate(self, msg: Msg) -> I96:
        """(int96 per-unit rate * int256(total units)).toInt96()."""
        return to_int96(self.wrappedFlowRate.to(I256) * I256(self.totalUnits.v))

    @view
    def getTotalDisconnectedFlowRate(self, msg: Msg) -> I96:
        """FlowRate(int128) * Unit(int128), checked in int128, then toInt96."""
        return to_int96(self.wrappedFlowRate.to(I128) * units_of(self.dUnits))

    @view
    def getTotalConnectedFlowRate(self, msg: Msg) -> I96:
        return self.getTotalFlowRate(msg) - self.getTotalDisconnectedFlowRate(msg)

    @view
    def getMemberFlowRate(self, msg: Msg, memberAddr: Address) -> I96:
        units = self.mUnits[memberAddr]
        if units == 0:
            return I96(0)
        return to_int96(self.wrappedFlowRate.to(I256) * I256(units.v))

    @view
    def getDisconnectedBalance(self, msg: Msg, time: U32) -> I256:
        return member_rtb(self.index(), self.disconnected(), time)

    @view
    def getUnsettledValue(self, msg: Msg, memberAddr: Address, time: U32) -> I256:
        """The member's pool balance not yet settled to its universal index: rtb - claimed."""
        return member_rtb(self.index(), self.member(memberAddr), time) - self.mClaimedValue[memberAddr]

    @view
    def getClaimable(self, msg: Msg, memberAddr: Address, time: U32) -> I256:
        """1.15.2: 0 for a connected member (its pool balance is part of its token balance already),
        the unsettled value otherwise. Reverts: Panic 0x11 when `time` is before the index's
        settlement time."""
        value = self.getUnsettledValue(msg, memberAddr, time)
        return I256(0) if self.is_connected(memberAddr) else value

    @view
    def getClaimableNow(self, msg: Msg, memberAddr: Address) -> tuple[I256, U256]:
        t = self.now()
        return self.getClaimable(msg, memberAddr, t), U256(t.v)

    @view
    def getTotalAmountReceivedByMember(self, msg: Msg, memberAddr: Address) -> U256:
        """uint256(settled value of the member settled now) (an explicit, wrapping conversion)."""
        _i, m = member_settle(self.index(), self.member(memberAddr), self.now())
        return m.settled_value.cast(U256)

    # -- units ---------------------------------------------------------------------------------
    @external
    def updateMemberUnits(self, msg: Msg, memberAddr: Address, newUnits: U128) -> Bool:
        """Reverts: SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA, SUPERFLUID_POOL_NO_POOL_MEMBERS (member is a
        pool), SUPERFLUID_POOL_NO_ZERO_ADDRESS, SafeCastOverflowedIntDowncast(128, units) (units >= 2**127),
        Panic 0x11 / SafeCast errors of the rate re-alignment."""
        if msg.sender != self.admin_ and msg.sender != self.GDA:
            raise Revert(SUPERFLUID_POOL_NOT_POOL_ADMIN_OR_GDA())
        oldUnits = self._updateMemberUnits(memberAddr, newUnits)
        if oldUnits < newUnits:
            self.emit(PoolUnitsTransfer(ZERO_ADDRESS, memberAddr, U256((newUnits - oldUnits).v)))
        elif oldUnits > newUnits:
            self.emit(PoolUnitsTransfer(memberAddr, ZERO_ADDRESS, U256((oldUnits - newUnits).v)))
        return Bool(True)

    def _updateMemberUnits(self, memberAddr: Address, newUnits: U128) -> U128:
        if self.token().isPoolFlag[memberAddr]:
            raise Revert(SUPERFLUID_POOL_NO_POOL_MEMBERS())
        if memberAddr == ZERO_ADDRESS:
            raise Revert(SUPERFLUID_POOL_NO_ZERO_ADDRESS())
        t = self.now()
        wrapped = units_of(newUnits)
        idx = self.index()
        mem = self.member(memberAddr)
        oldUnits = self.mUnits[memberAddr]
        if not self.is_connected(memberAddr):
            self._shiftDisconnectedUnits(wrapped - mem.owned_units, I256(0), t)
        idx2, mem2, p = pool_member_update(idx, mem, Particle.empty(), wrapped, t)
        self._set_index(idx2)
        self._set_member(memberAddr, mem2)
        self.gda().appendIndexUpdateByPool(self.this_msg(), self.superToken_, p, t)
        self.emit(MemberUnitsUpdated(self.superToken_, memberAddr, oldUnits, newUnits))
        return oldUnits

    # -- claims and connections ------------------------------------------------------------------
    def _claim(self, memberAddr: Address, amount: I256) -> None:
        self.gda().poolSettleClaim(self.this_msg(), self.superToken_, memberAddr, amount)
        self.mClaimedValue[memberAddr] = self.mClaimedValue[memberAddr] + amount

    @external
    def claimAll(self, msg: Msg, memberAddr: Address | None = None) -> Bool:
        """claimAll() / claimAll(member): settle the claimable value (0 for a connected member) to the
        member's universal index. Anyone may call it for anyone. Never reverts in practice."""
        if memberAddr is None:
            memberAddr = msg.sender
        isConnected = self.is_connected(memberAddr)
        t = self.now()
        amount = self.getClaimable(msg, memberAddr, t)
        self._claim(memberAddr, amount)
        self.emit(DistributionClaimed(self.superToken_, memberAddr, amount, self.mClaimedValue[memberAddr]))
        if not isConnected:
            self._shiftDisconnectedUnits(I128(0), amount, t)
        return Bool(True)

    @external
    def operatorSetIndex(self, msg: Msg, index: PoolIndex) -> Bool:
        """Reverts: SUPERFLUID_POOL_NOT_GDA."""
        if msg.sender != self.GDA:
            raise Revert(SUPERFLUID_POOL_NOT_GDA())
        self._set_index(index)
        return Bool(True)

    @external
    def operatorConnectMember(self, msg: Msg, memberAddr: Address, doConnect: Bool, time: U32) -> Bool:
        """1.15.2: settles the member's whole unsettled value (without a DistributionClaimed event),
        then moves its units out of (connect) or into (disconnect) the disconnected pseudo-member.
        Reverts: SUPERFLUID_POOL_NOT_GDA."""
        if msg.sender != self.GDA:
            raise Revert(SUPERFLUID_POOL_NOT_GDA())
        amount = self.getUnsettledValue(msg, memberAddr, time)
        self._claim(memberAddr, amount)
        units = units_of(self.mUnits[memberAddr])
        if doConnect:
            self._shiftDisconnectedUnits(-units, amount, time)
        else:
            self._shiftDisconnectedUnits(units, I256(0), time)
        return Bool(True)

    def _shiftDisconnectedUnits(self, shiftUnits: I128, claimedAmount: I256, t: U32) -> None:
        _i, m = member_settle(self.index(), self.disconnected(), t)
        units = m.owned_units + shiftUnits
        self.dUnits = units_to_uint128(units)
        self.dSyncedAt = m.synced.settled_at
        self.dSyncedRate = to_int96(m.synced.flow_rate)
        self.dSyncedValue = m.synced.settled_value
        self.dSettledValue = m.settled_value - claimedAmount


GeneralDistributionAgreementV1.POOL_CLASS = SuperfluidPool  # the pool logic behind the beacon


# -- the forwarder ---------------------------------------------------------------------------------
@dataclass
class GDAv1Forwarder(Contract):
    """GDAv1Forwarder: every operation runs in the GDA with the caller as the context's msgSender
    (a trusted forwarder of the host); returns true (createPool: (true, pool))."""

    gda: Address = immutable(default=ZERO_ADDRESS)

    def _gda(self) -> GeneralDistributionAgreementV1:
        return self.world.at(self.gda)  # type: ignore[return-value]

    @external
    def createPool(self, msg: Msg, token: Address, admin: Address, config: tuple) -> tuple[Bool, Address]:
        """config = (transferabilityForUnitsOwner, distributionFromAnyAddress). Reverts: as GDA.createPool."""
        transferable, any_address = config
        pool = self._gda().createPool(self.this_msg(), token, admin, Bool(bool(transferable)), Bool(bool(any_address)))
        return Bool(True), pool

    @external
    def updateMemberUnits(self, msg: Msg, pool: Address, memberAddress: Address, newUnits: U128, userData: bytes) -> Bool:
        """Reverts: GDA_NOT_POOL_ADMIN (caller not the pool admin) and the pool's reverts."""
        self._gda().updateMemberUnits(msg.sender, pool, memberAddress, newUnits)
        return Bool(True)

    @external
    def connectPool(self, msg: Msg, pool: Address, userData: bytes) -> Bool:
        """Reverts: Error("CallUtils: target revert()") (not a contract), GDA_ONLY_SUPER_TOKEN_POOL."""
        self._gda().setPoolConnection(msg.sender, pool, True, userData)
        return Bool(True)

    @external
    def disconnectPool(self, msg: Msg, pool: Address, userData: bytes) -> Bool:
        """Reverts: as connectPool."""
        self._gda().setPoolConnection(msg.sender, pool, False, userData)
        return Bool(True)

    @external
    def claimAll(self, msg: Msg, pool: Address, memberAddress: Address, userData: bytes) -> Bool:
        """Reverts: Error("CallUtils: target revert()") (not a contract)."""
        self._gda().claimAll(msg.sender, pool, memberAddress)
        return Bool(True)

    @external
    def distribute(self, msg: Msg, token: Address, from_: Address, pool: Address, requestedAmount: U256,
                   userData: bytes) -> Bool:
        """Reverts: as GDA.distribute."""
        self._gda().distribute(msg.sender, token, from_, pool, requestedAmount, userData)
        return Bool(True)

    @external
    def distributeFlow(self, msg: Msg, token: Address, from_: Address, pool: Address, requestedFlowRate: I96,
                       userData: bytes) -> Bool:
        """Reverts: as GDA.distributeFlow."""
        self._gda().distributeFlow(msg.sender, token, from_, pool, requestedFlowRate, userData)
        return Bool(True)

    # -- views -------------------------------------------------------------------------------------
    @view
    def getFlowDistributionFlowRate(self, msg: Msg, token: Address, from_: Address, to: Address) -> I96:
        return self._gda().getFlowRate(msg, token, from_, to)

    @view
    def estimateFlowDistributionActualFlowRate(self, msg: Msg, token: Address, from_: Address, to: Address,
                                               requestedFlowRate: I96) -> tuple[I96, I96]:
        return self._gda().estimateFlowDistributionActualFlowRate(msg, token, from_, to, requestedFlowRate)

    @view
    def estimateDistributionActualAmount(self, msg: Msg, token: Address, from_: Address, to: Address,
                                         requestedAmount: U256) -> U256:
        return self._gda().estimateDistributionActualAmount(msg, token, from_, to, requestedAmount)

    @view
    def getNetFlow(self, msg: Msg, token: Address, account: Address) -> I96:
        return self._gda().getNetFlow(msg, token, account)

    @view
    def isMemberConnected(self, msg: Msg, pool: Address, member: Address) -> Bool:
        return self._gda().isMemberConnected(msg, pool, member)

    @view
    def isPool(self, msg: Msg, token: Address, account: Address) -> Bool:
        return self._gda().isPool(msg, token, account)

    @view
    def getPoolAdjustmentFlowInfo(self, msg: Msg, pool: Address) -> tuple[Address, Bytes32, I96]:
        return self._gda().getPoolAdjustmentFlowInfo(msg, pool)

    @view
    def getPoolAdjustmentFlowRate(self, msg: Msg, pool: Address) -> I96:
        return self._gda().getPoolAdjustmentFlowRate(msg, pool)


# -- deployment into a model world ------------------------------------------------------------------
@dataclass(frozen=True)
class SuperfluidAddresses:
    """Where the EVM framework put things (take them from a deployed harness Framework and
    WrapperSuperToken: `gda` = addresses["gda"], `forwarder` = addresses["gdaV1Forwarder"]), and
    the GDA proxy's account nonce (the CREATE nonce of the next pool; 1 after deployment)."""

    gda: int
    forwarder: int
    super_token: int
    underlying: int
    gda_nonce: int = 1


def build_superfluid_world(addrs: SuperfluidAddresses, world: Any = None, *, underlying_name: str = "Test Token",
                           underlying_symbol: str = "TT", mint_limit: int = U256.MAX,
                           classes: dict[str, type] | None = None) -> Any:
    """Deploy the models into `world` (a new kernel World by default) at the EVM addresses and return
    it. `classes` swaps a model class by name ("SuperToken", "GeneralDistributionAgreementV1",
    "SuperfluidPool" is fixed by the GDA, "GDAv1Forwarder", "SuperfluidTestToken"), for broken
    variants in tests."""
    from specs.kernel import World

    classes = classes or {}
    w = world if world is not None else World()
    w.deploy(addrs.underlying, classes.get("SuperfluidTestToken", SuperfluidTestToken)(
        _name=underlying_name, _symbol=underlying_symbol, _mintLimit=U256(mint_limit)))
    w.deploy(addrs.super_token, classes.get("SuperToken", SuperToken)(
        underlying=Address(addrs.underlying), gda=Address(addrs.gda), _name=f"Super {underlying_symbol}",
        _symbol=f"{underlying_symbol}x"))
    w.deploy(addrs.gda, classes.get("GeneralDistributionAgreementV1", GeneralDistributionAgreementV1)(
        nonce=U256(addrs.gda_nonce)))
    w.deploy(addrs.forwarder, classes.get("GDAv1Forwarder", GDAv1Forwarder)(gda=Address(addrs.gda)))
    return w


def pool_address(gda: int, nonce: int) -> int:
    """The address of the pool the GDA creates with account nonce `nonce`."""
    return create_address(gda, nonce)
