"""State invariants of ComputeRegistry (PROTOCOL.md section 10, Registry), over provider ids."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import U256, Address, Int, Msg, ZERO_ADDRESS

MIN_PROVIDER_STAKE = U256(10**18 // 10)
PROVIDER_ROLE = 1  # StakeRole.Provider
MAX_PRICE_PER_HOUR = U256(10**24)
MAX_TTL = 30 * 86400


def _known(reg, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    return providerId != 0 and providerId <= reg.providerCount


@invariant(
    "COMP-REG-002", contract="ComputeRegistry",
    statement="Invariant: provider ids are exactly 1..providerCount: providerIdOf(owner) == id for every "
              "provider, and the record of any other id is empty.",
    why="One provider per address, ids never reused (R-3.1, R-1.1); sessions and usage pay the owner an id "
        "names.",
    exploit="Two records for one owner, or an owner mapped to another's id, would route payments and "
            "attestations to the wrong provider.",
)
def ids_and_owners(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    reg = s.registry
    p = reg.providers[providerId]
    if not _known(reg, providerId):
        return (p.owner == ZERO_ADDRESS and p.pricePerHour == 0 and not p.active
                and p.endpoint.length() == 0 and p.hardwareAttestation.length() == 0)
    return reg.providerIdOf[p.owner] == providerId


@invariant(
    "COMP-REG-003", contract="ComputeRegistry",
    statement="Invariant: every stored price is in [1, MAX_PRICE_PER_HOUR] and every stored string within "
              "its length bounds.",
    why="The bounds make every product of the protocol overflow-free and every string cheap to copy "
        "(R-1.3, R-1.4).",
    exploit="An out-of-range price overflows session costs; an unbounded string griefs readers.",
)
def bounded_records(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    reg = s.registry
    if not _known(reg, providerId):
        return True
    p = reg.providers[providerId]
    return (1 <= p.pricePerHour and p.pricePerHour <= MAX_PRICE_PER_HOUR
            and 1 <= p.endpoint.length() and p.endpoint.length() <= 256
            and p.hardwareAttestation.length() <= 4096 and p.gpuModel.length() <= 64 and p.gpuCount <= 1024)


@invariant(
    "COMP-REG-004", contract="ComputeRegistry",
    statement="Invariant: isAvailable(id) implies the provider is active and its provider stake is at least "
              "MIN_PROVIDER_STAKE.",
    why="Sessions, extensions and usage need an available provider (R-3.3); the stake is what answers for it.",
    exploit="An unstaked provider taking sessions or billing usage has nothing at risk.",
)
def available_is_active_and_staked(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    if not s.registry.isAvailable(Msg(Address(0)), providerId):
        return True
    p = s.registry.providers[providerId]
    return bool(p.active) and s.staking.stakes[p.owner][PROVIDER_ROLE] >= MIN_PROVIDER_STAKE


@invariant(
    "COMP-REG-005", contract="ComputeRegistry",
    statement="Invariant: a recorded attestation expires after it was made and at most 30 days after; "
              "isAttested(id) implies the recorded hash is keccak256 of the current attestation bytes, now < "
              "expiresAt, and the attester is still appointed.",
    why="What the chain guarantees of an attestation: the bytes attested are the bytes published, it is "
        "fresh, and a removed attester's word no longer counts (R-3.6).",
    exploit="A stale, replaced or revoked attestation counting would let a provider claim a TEE it no "
            "longer runs.",
)
def attested_is_current(s, providerId: U256) -> bool:  # type: ignore[no-untyped-def]
    reg = s.registry
    a = reg.attestations[providerId]
    if a.attester != ZERO_ADDRESS and not (Int(a.attestedAt) < Int(a.expiresAt)
                                           and Int(a.expiresAt) <= Int(a.attestedAt) + MAX_TTL):
        return False
    if not reg.isAttested(Msg(Address(0)), providerId):
        return True
    p = reg.providers[providerId]
    return (a.attestationHash == p.hardwareAttestation.keccak()
            and Int(s.world.block.timestamp) < Int(a.expiresAt) and bool(reg.isAttester[a.attester]))


@invariant(
    "COMP-REG-006", contract="ComputeRegistry",
    statement="Invariant: providerIdOf(a) is 0 or an id in 1..providerCount whose provider is owned by a.",
    why="The id a provider's own calls act on is its own, registered record (R-3.1, R-3.4).",
    exploit="An address mapped to an id past providerCount, or to another's record, would edit a record "
            "it does not own or one registration has yet to create.",
)
def owner_ids_are_registered(s, a: Address) -> bool:  # type: ignore[no-untyped-def]
    reg = s.registry
    providerId = reg.providerIdOf[a]
    return providerId == 0 or (providerId <= reg.providerCount and reg.providers[providerId].owner == a)
