"""ComputeStaking and ComputeRegistry on both engines against their models: every function's success
and each documented revert, state compared after every step (tests/compute/pair.py)."""

from __future__ import annotations

from eth_utils import keccak

from specs.compute.compute_registry import TeeType
from specs.compute.compute_staking import StakeRole
from specs.compute.system import OWNER, TREASURY
from specs.kernel import U64, U256, Address, Bool, Bytes32, String
from tests.compute.pair import A, B, ETH, G, P, Q, T

S, R = "ComputeStaking", "ComputeRegistry"
User, Prov, Guard = StakeRole.User, StakeRole.Provider, StakeRole.Guardian
DAY = 86400


def register(s, who, price=10**15, value=ETH // 10, endpoint="https://p.example", att="quote-1"):
    return s.ok(R, "register", who, String(endpoint), String(att), U256(price), value=value)


def test_stake_unstake_delay_and_withdraw(suite):
    s = suite
    s.expect("ZeroAmount", S, "stake", A, User)
    assert s.expect("BelowMinStake", S, "stake", A, User, value=ETH // 100 - 1) == (ETH // 100 - 1, ETH // 100)
    s.ok(S, "stake", A, User, value=ETH // 100)
    s.ok(S, "stake", A, User, value=1)  # above the minimum, any top-up
    s.expect("ZeroAddress", S, "stakeFor", B, Address(0), User, value=ETH)
    s.ok(S, "stakeFor", B, Address(A), Prov, value=ETH // 10)  # payer B, account A
    assert s.view(S, "isStaked", Address(A), Prov) and not s.view(S, "isStaked", Address(B), Prov)
    s.expect("ZeroAmount", S, "requestUnstake", A, User, U256(0))
    s.expect("InsufficientStake", S, "requestUnstake", A, User, U256(ETH))
    assert s.expect("BelowMinStake", S, "requestUnstake", A, User, U256(2)) == (ETH // 100 - 1, ETH // 100)
    s.ok(S, "requestUnstake", A, User, U256(1))
    first_unlock = s.now + 7 * DAY
    s.skip(DAY)
    s.ok(S, "requestUnstake", A, User, U256(ETH // 100))  # all of it; the delay restarts
    unlock = s.view(S, "unlockAt", Address(A), User)
    assert unlock.v == s.now + 7 * DAY > first_unlock
    s.expect("NothingPending", S, "withdrawUnstaked", A, Prov)
    s.warp(unlock.v - 1)
    assert s.expect("UnstakeLocked", S, "withdrawUnstaked", A, User) == (unlock.v,)
    s.warp(unlock.v)
    s.ok(S, "withdrawUnstaked", A, User)
    assert s.view(S, "pendingOf", Address(A), User) == 0 and s.view(S, "unlockAt", Address(A), User) == 0
    s.expect("NothingPending", S, "withdrawUnstaked", A, User)


def test_slash_by_guardian_owner_slashes_guardians_and_sweep(suite):
    s = suite
    s.ok(S, "stake", P, Prov, value=ETH)
    s.ok(S, "requestUnstake", P, Prov, U256(ETH // 2))
    s.expect("OwnableUnauthorizedAccount", S, "setGuardian", G, Address(G), Bool(True))
    s.expect("ZeroAddress", S, "setGuardian", OWNER, Address(0), Bool(True))
    # appointed without a guardian stake: not a guardian yet
    s.ok(S, "setGuardian", OWNER, Address(G), Bool(True))
    s.expect("NotGuardian", S, "slash", G, Address(P), Prov, U256(1), String(""))
    s.ok(S, "stake", G, Guard, value=ETH)
    assert s.view(S, "isActiveGuardian", Address(G))
    s.expect("SelfSlash", S, "slash", G, Address(G), Prov, U256(1), String(""))
    s.expect("InvalidLength", S, "slash", G, Address(P), Prov, U256(1), String("x" * 257))
    s.expect("ZeroAmount", S, "slash", G, Address(P), Prov, U256(0), String("r"))
    s.expect("NothingToSlash", S, "slash", G, Address(B), User, U256(1), String("r"))
    # more than active: the rest from pending
    s.ok(S, "slash", G, Address(P), Prov, U256(ETH // 2 + 7), String("x" * 256))
    assert s.view(S, "stakeOf", Address(P), Prov) == 0 and s.view(S, "pendingOf", Address(P), Prov) == ETH // 2 - 7
    # more than everything: takes what there is
    s.ok(S, "slash", G, Address(P), Prov, U256(10 * ETH), String("all"))
    assert s.view(S, "treasuryBalance") == ETH
    # guardians: only the owner
    s.expect("OwnableUnauthorizedAccount", S, "slash", G, Address(G), Guard, U256(1), String(""))
    s.ok(S, "slash", OWNER, Address(G), Guard, U256(1), String("guardian"))
    assert not s.view(S, "isActiveGuardian", Address(G))
    s.expect("NotGuardian", S, "slash", G, Address(P), Prov, U256(1), String(""))
    s.ok(S, "sweepToTreasury", B)
    assert s.world.balance(TREASURY) == 1000 * ETH + ETH + 1
    s.expect("ZeroAmount", S, "sweepToTreasury", B)


def test_ownership_two_steps_and_no_renounce(suite):
    s = suite
    for c in (S, R, "TriggerRegistry"):
        s.expect("OwnableUnauthorizedAccount", c, "renounceOwnership", A)
        s.expect("RenounceDisabled", c, "renounceOwnership", OWNER)
        s.expect("OwnableUnauthorizedAccount", c, "transferOwnership", A, Address(A))
        s.ok(c, "transferOwnership", OWNER, Address(B))
        s.expect("OwnableUnauthorizedAccount", c, "acceptOwnership", A)
        s.ok(c, "acceptOwnership", B)
        assert s.view(c, "owner") == Address(B) and s.view(c, "pendingOwner") == Address(0)


def test_register_with_and_without_stake(suite):
    s = suite
    assert s.expect("InvalidLength", R, "register", P, String(""), String(""), U256(1)) == (0, 1, 256)
    s.expect("InvalidLength", R, "register", P, String("e" * 257), String(""), U256(1))
    s.expect("InvalidLength", R, "register", P, String("e"), String("a" * 4097), U256(1))
    s.expect("InvalidPrice", R, "register", P, String("e"), String(""), U256(0))
    s.expect("InvalidPrice", R, "register", P, String("e"), String(""), U256(10**24 + 1))
    # a value leaving the stake short reverts inside stakeFor, no value and no stake in the registry
    assert s.expect("BelowMinStake", R, "register", P, String("e"), String(""), U256(1), value=ETH // 10 - 1) == (
        ETH // 10 - 1, ETH // 10)
    assert s.expect("BelowMinStake", R, "register", P, String("e"), String(""), U256(1)) == (0, ETH // 10)
    assert register(s, P, price=10**24, endpoint="e" * 256, att="a" * 4096) == 1
    s.expect("AlreadyRegistered", R, "register", P, String("e"), String(""), U256(1), value=ETH // 10)
    # staked directly beforehand: registers with no value
    s.ok(S, "stake", Q, Prov, value=ETH // 10)
    assert s.ok(R, "register", Q, String("q"), String(""), U256(1)) == 2
    assert s.view(R, "isAvailable", U256(1)) and s.view(R, "isAvailable", U256(2))
    assert not s.view(R, "isAvailable", U256(0)) and not s.view(R, "isAvailable", U256(3))
    s.expect("UnknownProvider", R, "getProvider", A, U256(3))
    s.expect("NotProvider", R, "getProviderByAddress", A, Address(A))
    assert s.view(R, "getProviderByAddress", Address(Q))[0] == Address(Q)


def test_provider_updates_and_availability(suite):
    s = suite
    register(s, P)
    for fn, args in (("updatePricing", (U256(5),)), ("setActive", (Bool(False),)),
                     ("updateEndpoint", (String("x"),)), ("updateAttestation", (String("y"),)),
                     ("setHardware", (U256(1), String("H100"))), ("linkAgent", (U256(1),))):
        s.expect("NotProvider", R, fn, A, *args)
    s.expect("InvalidPrice", R, "updatePricing", P, U256(0))
    s.ok(R, "updatePricing", P, U256(7))
    s.expect("InvalidLength", R, "updateEndpoint", P, String(""))
    s.ok(R, "updateEndpoint", P, String("https://new"))
    s.expect("InvalidGpuCount", R, "setHardware", P, U256(1025), String("H100"))
    s.expect("InvalidLength", R, "setHardware", P, U256(8), String("g" * 65))
    s.ok(R, "setHardware", P, U256(1024), String("g" * 64))
    s.expect("InvalidLength", R, "updateAttestation", P, String("a" * 4097))
    s.ok(R, "updateAttestation", P, String(""))
    s.expect("IdentityRegistryUnset", R, "linkAgent", P, U256(1))
    s.ok(R, "setActive", P, Bool(False))
    assert not s.view(R, "isAvailable", U256(1))
    s.ok(R, "setActive", P, Bool(True))
    # the stake requested out: unavailable at once, and cannot switch on again
    s.ok(S, "requestUnstake", P, Prov, U256(ETH // 10))
    assert not s.view(R, "isAvailable", U256(1))
    s.ok(R, "setActive", P, Bool(False))
    assert s.expect("BelowMinStake", R, "setActive", P, Bool(True)) == (0, ETH // 10)


def test_attestation_lifecycle(suite):
    s = suite
    register(s, P, att="quote-1")
    h = Bytes32(keccak(b"quote-1"))
    exp = U64(s.now + DAY)
    s.expect("OwnableUnauthorizedAccount", R, "setAttester", T, Address(T), Bool(True))
    s.expect("ZeroAddress", R, "setAttester", OWNER, Address(0), Bool(True))
    s.expect("NotAttester", R, "attest", T, U256(1), h, TeeType.IntelTDX, exp)
    s.ok(R, "setAttester", OWNER, Address(T), Bool(True))
    s.expect("UnknownProvider", R, "attest", T, U256(2), h, TeeType.IntelTDX, exp)
    s.expect("AttestationMismatch", R, "attest", T, U256(1), Bytes32(keccak(b"other")), TeeType.IntelTDX, exp)
    s.expect("InvalidTeeType", R, "attest", T, U256(1), h, TeeType.None_, exp)
    s.expect("InvalidExpiry", R, "attest", T, U256(1), h, TeeType.IntelTDX, U64(s.now))
    s.expect("InvalidExpiry", R, "attest", T, U256(1), h, TeeType.IntelTDX, U64(s.now + 30 * DAY + 1))
    s.ok(R, "attest", T, U256(1), h, TeeType.NvidiaCC, U64(s.now + 30 * DAY))
    assert s.view(R, "isAttested", U256(1)) and not s.view(R, "isAttested", U256(2))
    s.view(R, "attestationOf", U256(1))
    # new bytes: no longer attested
    s.ok(R, "updateAttestation", P, String("quote-2"))
    assert not s.view(R, "isAttested", U256(1))
    s.ok(R, "updateAttestation", P, String("quote-1"))
    assert s.view(R, "isAttested", U256(1))
    # expiry
    s.warp(s.now + 30 * DAY)
    assert not s.view(R, "isAttested", U256(1))
    s.ok(R, "attest", T, U256(1), h, TeeType.IntelSGX, U64(s.now + DAY))
    # removing the attester voids its word; revoke deletes the record
    s.ok(R, "setAttester", OWNER, Address(T), Bool(False))
    assert not s.view(R, "isAttested", U256(1))
    s.expect("NotAttester", R, "revokeAttestation", T, U256(1))
    s.ok(R, "setAttester", OWNER, Address(T), Bool(True))
    assert s.view(R, "isAttested", U256(1))
    s.expect("UnknownProvider", R, "revokeAttestation", T, U256(9))
    s.ok(R, "revokeAttestation", T, U256(1))
    assert not s.view(R, "isAttested", U256(1))
