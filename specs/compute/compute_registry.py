"""Model of contracts/compute/ComputeRegistry.sol: provider identities, prices, availability and
attester-recorded attestations (specs/compute/PROTOCOL.md section 3).

One provider per address, ids from 1, permanent (R-3.1, R-3.4). The registration value is forwarded
to ComputeStaking.stakeFor(caller, Provider) and the resulting provider stake must be at least the
staking contract's minimum (R-3.1). Available = exists, active, and staked, read from ComputeStaking at
use time (R-3.3). No TEE quote is verified; an attester records the hash of the bytes it checked, and
the record counts while the hash matches the current bytes, it has not expired and its attester is
still appointed (R-3.6). linkAgent needs an ERC-721 identity registry (R-3.7).
"""

from __future__ import annotations

from dataclasses import dataclass

from specs.compute.common import Ownable2Step, ZeroAddress, check_length
from specs.compute.compute_staking import StakeRole
from specs.kernel import (
    U64, U256, Address, Bool, Bytes32, Enum, Event, Mapping, Msg, Revert, SolidityError, String, Struct,
    StructRef, ZERO_ADDRESS, external, immutable, payable, storage, view,
)

MAX_ENDPOINT_LENGTH = 256
MAX_ATTESTATION_LENGTH = 4096
MAX_GPU_MODEL_LENGTH = 64
MAX_GPU_COUNT = U256(1024)
MAX_PRICE_PER_HOUR = U256(10**24)
MAX_ATTESTATION_TTL = 30 * 86400


class TeeType(Enum):
    MEMBERS = ("None_", "IntelSGX", "IntelTDX", "AmdSevSnp", "NvidiaCC")


class Attestation(Struct):
    attestationHash: Bytes32
    teeType: TeeType
    attester: Address
    attestedAt: U64
    expiresAt: U64


class Provider(Struct):
    """IComputeRegistry.Provider, as stored."""

    owner: Address
    endpoint: String
    hardwareAttestation: String
    gpuCount: U256
    gpuModel: String
    pricePerHour: U256
    active: Bool


def keccak_bytes(data: String) -> Bytes32:
    return data.keccak()


# -- errors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlreadyRegistered(SolidityError):
    account: Address


@dataclass(frozen=True)
class NotProvider(SolidityError):
    account: Address


@dataclass(frozen=True)
class UnknownProvider(SolidityError):
    providerId: U256


@dataclass(frozen=True)
class InvalidPrice(SolidityError):
    price: U256


@dataclass(frozen=True)
class InvalidGpuCount(SolidityError):
    gpuCount: U256


@dataclass(frozen=True)
class BelowMinStake(SolidityError):
    stake: U256
    minimum: U256


@dataclass(frozen=True)
class NotAttester(SolidityError):
    caller: Address


@dataclass(frozen=True)
class AttestationMismatch(SolidityError):
    given: Bytes32
    current: Bytes32


@dataclass(frozen=True)
class InvalidTeeType(SolidityError):
    pass


@dataclass(frozen=True)
class InvalidExpiry(SolidityError):
    expiresAt: U256


@dataclass(frozen=True)
class IdentityRegistryUnset(SolidityError):
    pass


@dataclass(frozen=True)
class NotAgentOwner(SolidityError):
    agentId: U256
    caller: Address


# -- events -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProviderRegistered(Event):
    providerId: U256
    owner: Address
    endpoint: String
    pricePerHour: U256
    stakeAdded: U256


@dataclass(frozen=True)
class PricingUpdated(Event):
    providerId: U256
    oldPrice: U256
    newPrice: U256


@dataclass(frozen=True)
class ActiveSet(Event):
    providerId: U256
    active: Bool


@dataclass(frozen=True)
class EndpointUpdated(Event):
    providerId: U256
    endpoint: String


@dataclass(frozen=True)
class AttestationUpdated(Event):
    providerId: U256
    attestationHash: Bytes32


@dataclass(frozen=True)
class HardwareSet(Event):
    providerId: U256
    gpuCount: U256
    gpuModel: String


@dataclass(frozen=True)
class AttesterSet(Event):
    attester: Address
    enabled: Bool


@dataclass(frozen=True)
class Attested(Event):
    providerId: U256
    attester: Address
    attestationHash: Bytes32
    teeType: TeeType
    expiresAt: U64


@dataclass(frozen=True)
class AttestationRevoked(Event):
    providerId: U256
    attester: Address


@dataclass(frozen=True)
class AgentLinked(Event):
    providerId: U256
    agentId: U256


@dataclass
class ComputeRegistry(Ownable2Step):
    providers: Mapping = storage(lambda: Mapping(U256, Provider))
    providerIdOf: Mapping = storage(lambda: Mapping(Address, U256))
    providerCount: U256 = storage(lambda: U256(0))
    attestations: Mapping = storage(lambda: Mapping(U256, Attestation))
    agentIdOf: Mapping = storage(lambda: Mapping(U256, U256))
    isAttester: Mapping = storage(lambda: Mapping(Address, Bool))
    staking: Address = immutable(default=ZERO_ADDRESS)
    identityRegistry: Address = immutable(default=ZERO_ADDRESS)

    @classmethod
    def construct(cls, owner: Address, staking: Address, identityRegistry: Address) -> "ComputeRegistry":
        c = cls()
        c._init_owner(owner)
        if staking == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        c.staking = staking
        c.identityRegistry = identityRegistry
        return c

    def _onlyProvider(self, msg: Msg) -> U256:
        providerId = self.providerIdOf[msg.sender]
        if providerId == 0:
            raise Revert(NotProvider(msg.sender))
        return providerId

    # -- providers ------------------------------------------------------------------------------
    @payable
    def register(self, msg: Msg, endpoint: String, hardwareAttestation: String, pricePerHour: U256) -> U256:
        if self.providerIdOf[msg.sender] != 0:
            raise Revert(AlreadyRegistered(msg.sender))
        check_length(endpoint, 1, MAX_ENDPOINT_LENGTH)
        check_length(hardwareAttestation, 0, MAX_ATTESTATION_LENGTH)
        self._checkPrice(pricePerHour)
        providerId = self.providerCount + 1
        self.providerCount = providerId
        self.providerIdOf[msg.sender] = providerId
        self.providers[providerId] = Provider(
            owner=msg.sender, endpoint=endpoint, hardwareAttestation=hardwareAttestation, gpuCount=U256(0),
            gpuModel=String(""), pricePerHour=pricePerHour, active=Bool(True))
        self.emit(ProviderRegistered(providerId, msg.sender, endpoint, pricePerHour, msg.value))
        if msg.value > 0:
            self.world.call(self.address, self.staking, "stakeFor", msg.sender, StakeRole.Provider, value=msg.value)
        self._checkProviderStake(msg.sender)
        return providerId

    @external
    def updatePricing(self, msg: Msg, pricePerHour: U256) -> None:
        providerId = self._onlyProvider(msg)
        self._checkPrice(pricePerHour)
        oldPrice = self.providers[providerId].pricePerHour
        self.providers[providerId].pricePerHour = pricePerHour
        self.emit(PricingUpdated(providerId, oldPrice, pricePerHour))

    @external
    def setActive(self, msg: Msg, active: Bool) -> None:
        providerId = self._onlyProvider(msg)
        if active:
            self._checkProviderStake(msg.sender)
        self.providers[providerId].active = active
        self.emit(ActiveSet(providerId, active))

    @external
    def updateEndpoint(self, msg: Msg, endpoint: String) -> None:
        providerId = self._onlyProvider(msg)
        check_length(endpoint, 1, MAX_ENDPOINT_LENGTH)
        self.providers[providerId].endpoint = endpoint
        self.emit(EndpointUpdated(providerId, endpoint))

    @external
    def updateAttestation(self, msg: Msg, hardwareAttestation: String) -> None:
        providerId = self._onlyProvider(msg)
        check_length(hardwareAttestation, 0, MAX_ATTESTATION_LENGTH)
        self.providers[providerId].hardwareAttestation = hardwareAttestation
        self.emit(AttestationUpdated(providerId, keccak_bytes(hardwareAttestation)))

    @external
    def setHardware(self, msg: Msg, gpuCount: U256, gpuModel: String) -> None:
        providerId = self._onlyProvider(msg)
        if gpuCount > MAX_GPU_COUNT:
            raise Revert(InvalidGpuCount(gpuCount))
        check_length(gpuModel, 0, MAX_GPU_MODEL_LENGTH)
        p = self.providers[providerId]
        p.gpuCount = gpuCount
        p.gpuModel = gpuModel
        self.emit(HardwareSet(providerId, gpuCount, gpuModel))

    @external
    def linkAgent(self, msg: Msg, agentId: U256) -> None:
        providerId = self._onlyProvider(msg)
        if self.identityRegistry == ZERO_ADDRESS:
            raise Revert(IdentityRegistryUnset())
        if self.world.at(self.identityRegistry).ownerOf(self.this_msg(), agentId) != msg.sender:
            raise Revert(NotAgentOwner(agentId, msg.sender))
        self.agentIdOf[providerId] = agentId
        self.emit(AgentLinked(providerId, agentId))

    # -- attestation ----------------------------------------------------------------------------
    @external
    def setAttester(self, msg: Msg, attester: Address, enabled: Bool) -> None:
        self._checkOwner(msg)
        if attester == ZERO_ADDRESS:
            raise Revert(ZeroAddress())
        self.isAttester[attester] = enabled
        self.emit(AttesterSet(attester, enabled))

    @external
    def attest(self, msg: Msg, providerId: U256, attestationHash: Bytes32, teeType: TeeType, expiresAt: U64) -> None:
        if not self.isAttester[msg.sender]:
            raise Revert(NotAttester(msg.sender))
        p = self._provider(providerId)
        current = keccak_bytes(p.hardwareAttestation)
        if attestationHash != current:
            raise Revert(AttestationMismatch(attestationHash, current))
        if teeType == TeeType.None_:
            raise Revert(InvalidTeeType())
        now = U256(self.world.block.timestamp)
        expires = U256(expiresAt.v)  # uint64 widened to uint256, as Solidity compares them
        if expires <= now or expires > now + MAX_ATTESTATION_TTL:
            raise Revert(InvalidExpiry(expires))
        self.attestations[providerId] = Attestation(attestationHash=attestationHash, teeType=teeType,
                                                    attester=msg.sender, attestedAt=U64(now.v), expiresAt=expiresAt)
        self.emit(Attested(providerId, msg.sender, attestationHash, teeType, expiresAt))

    @external
    def revokeAttestation(self, msg: Msg, providerId: U256) -> None:
        if not self.isAttester[msg.sender]:
            raise Revert(NotAttester(msg.sender))
        self._provider(providerId)
        del self.attestations[providerId]
        self.emit(AttestationRevoked(providerId, msg.sender))

    # -- views ----------------------------------------------------------------------------------
    @view
    def getProvider(self, msg: Msg, providerId: U256) -> tuple:
        return self._provider(providerId).as_tuple()

    @view
    def getProviderByAddress(self, msg: Msg, owner: Address) -> tuple:
        providerId = self.providerIdOf[owner]
        if providerId == 0:
            raise Revert(NotProvider(owner))
        return self.providers[providerId].as_tuple()

    @view
    def providerOwner(self, msg: Msg, providerId: U256) -> Address:
        return self._provider(providerId).owner

    @view
    def pricePerHourOf(self, msg: Msg, providerId: U256) -> U256:
        return self._provider(providerId).pricePerHour

    @view
    def isAvailable(self, msg: Msg, providerId: U256) -> Bool:
        if providerId == 0 or providerId > self.providerCount:
            return Bool(False)
        p = self.providers[providerId]
        return Bool(bool(p.active) and bool(self._staking().isStaked(self.this_msg(), p.owner, StakeRole.Provider)))

    @view
    def isAttested(self, msg: Msg, providerId: U256) -> Bool:
        if providerId == 0 or providerId > self.providerCount:
            return Bool(False)
        a = self.attestations[providerId]
        return Bool(a.attester != ZERO_ADDRESS and bool(self.isAttester[a.attester])
                    and U256(self.world.block.timestamp) < U256(a.expiresAt.v)
                    and a.attestationHash == keccak_bytes(self.providers[providerId].hardwareAttestation))

    @view
    def attestationOf(self, msg: Msg, providerId: U256) -> tuple:
        self._provider(providerId)
        a = self.attestations[providerId].load()
        return tuple(getattr(a, n) for n, _ in Attestation.FIELDS)

    # -- internal -------------------------------------------------------------------------------
    def _staking(self):  # noqa: ANN202
        return self.world.at(self.staking)

    def _provider(self, providerId: U256) -> StructRef:
        if providerId == 0 or providerId > self.providerCount:
            raise Revert(UnknownProvider(providerId))
        return self.providers[providerId]

    def _checkProviderStake(self, account: Address) -> None:
        s = self._staking()
        if not s.isStaked(self.this_msg(), account, StakeRole.Provider):
            raise Revert(BelowMinStake(s.stakeOf(self.this_msg(), account, StakeRole.Provider),
                                       s.minimumStake(self.this_msg(), StakeRole.Provider)))

    @staticmethod
    def _checkPrice(price: U256) -> None:
        if price == 0 or price > MAX_PRICE_PER_HOUR:
            raise Revert(InvalidPrice(price))
