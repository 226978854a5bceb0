"""State invariants of ComputeRegistry (PROTOCOL.md section 10, Registry), over provider ids."""

from __future__ import annotations

from eth_utils import keccak

from invariants.registry import invariant
from specs.kernel import U256, Address, Msg

ETHER = 10**18
MIN_PROVIDER_STAKE = ETHER // 10
PROVIDER_ROLE = 1  # StakeRole.Provider
MAX_PRICE_PER_HOUR = 10**24
MAX_TTL = 30 * 86400


def _record(s, providerId: U256):  # type: ignore[no-untyped-def]
    return s.registry.providers.get(providerId.v)


@invariant(
    "COMP-REG-002", contract="ComputeRegistry", proof="concrete",
    statement="Invariant: provider ids are exactly 1..providerCount, and providerIdOf(owner) == id for every "
              "provider.",
    why="One provider per address, ids never reused (R-3.1, R-1.1); sessions and usage pay the owner an id "
        "names.",
    exploit="Two records for one owner, or an owner mapped to another's id, would route payments and "
            "attestations to the wrong provider.",
)
def ids_and_owners(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    reg = s.registry
    p = _record(s, providerId)
    if providerId == 0 or providerId > reg.providerCount:
        return p is None
    return p is not None and reg.providerIdOf[p.owner] == providerId


@invariant(
    "COMP-REG-003", contract="ComputeRegistry", proof="concrete",
    statement="Invariant: every stored price is in [1, MAX_PRICE_PER_HOUR] and every stored string within "
              "its length bounds.",
    why="The bounds make every product of the protocol overflow-free and every string cheap to copy "
        "(R-1.3, R-1.4).",
    exploit="An out-of-range price overflows session costs; an unbounded string griefs readers.",
)
def bounded_records(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    p = _record(s, providerId)
    if p is None:
        return True
    return (1 <= p.pricePerHour.v <= MAX_PRICE_PER_HOUR and 1 <= len(p.endpoint.v) <= 256
            and len(p.hardwareAttestation.v) <= 4096 and len(p.gpuModel.v) <= 64 and p.gpuCount.v <= 1024)


@invariant(
    "COMP-REG-004", contract="ComputeRegistry", proof="concrete",
    statement="Invariant: isAvailable(id) implies the provider is active and its provider stake is at least "
              "MIN_PROVIDER_STAKE.",
    why="Sessions, extensions and usage need an available provider (R-3.3); the stake is what answers for it.",
    exploit="An unstaked provider taking sessions or billing usage has nothing at risk.",
)
def available_is_active_and_staked(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    if not s.registry.isAvailable(Msg(Address(0)), providerId):
        return True
    p = _record(s, providerId)
    return bool(p.active) and s.staking.stakes[p.owner][PROVIDER_ROLE].v >= MIN_PROVIDER_STAKE


@invariant(
    "COMP-REG-005", contract="ComputeRegistry", proof="concrete",
    statement="Invariant: isAttested(id) implies the recorded hash is keccak256 of the current attestation "
              "bytes, now < expiresAt <= attestedAt + 30 days, and the attester is still appointed.",
    why="What the chain guarantees of an attestation: the bytes attested are the bytes published, it is "
        "fresh, and a removed attester's word no longer counts (R-3.6).",
    exploit="A stale, replaced or revoked attestation counting would let a provider claim a TEE it no "
            "longer runs.",
)
def attested_is_current(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    reg = s.registry
    if not reg.isAttested(Msg(Address(0)), providerId):
        return True
    a = reg.attestations[providerId]
    p = _record(s, providerId)
    now = s.world.block.timestamp
    return (a.attestationHash.to_bytes() == keccak(p.hardwareAttestation.v)
            and now < a.expiresAt.v <= a.attestedAt.v + MAX_TTL and bool(reg.isAttester[a.attester]))
