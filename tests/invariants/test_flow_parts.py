"""The inductive parts of BPE-FLOW-002 as the fuzzer evaluates them (invariants/bpe/backpressure_pool.py): they
hold along a scripted Superfluid sequence on the model, and each catches a broken model that breaks it
while BPE-FLOW-002.gda (zero-sum GDA money) still holds."""

from __future__ import annotations

import invariants.bpe.all  # noqa: F401  (registers every invariant)
from invariants.registry import REGISTRY
from specs.kernel import I96, Address, Bool, Msg, U128, U256
from specs.bpe.superfluid import SuperfluidPool
from specs.bpe.system import SUPERFLUID, build_system
from tests.bpe.fixtures.broken_flow_models import DisconnectedKeepsClaimGDA

ADMIN, MEMBER, OTHER = Address(0xAD01), Address(0x3E01), Address(0x3E02)
RATE = I96(1000)
PARTS = ("BPE-FLOW-002.settled", "BPE-FLOW-002.gda", "BPE-FLOW-002.pools", "BPE-FLOW-002")


def scripted(overrides: dict | None = None) -> list[dict[str, bool]]:
    """The parts' verdicts after each step of a sequence with a pool, a connected and a disconnected
    member, a stream, an instant distribution, time passing and claims."""
    s = build_system(overrides)
    w, fwd, tok, und = s.world, SUPERFLUID["GDAv1Forwarder"], SUPERFLUID["SuperToken"], SUPERFLUID["SuperTokenUnderlying"]
    verdicts = []

    def call(addr: int, fn: str, sender: Address, *args) -> None:  # type: ignore[no-untyped-def]
        out = w.transact(addr, fn, Msg(sender), *args)
        assert out.ok, (fn, out.error)
        verdicts.append({i: bool(REGISTRY.invariants[i].holds(s)) for i in PARTS})

    call(und, "mint", ADMIN, ADMIN, U256(10**21))
    call(und, "approve", ADMIN, Address(tok), U256(10**21))
    call(tok, "upgrade", ADMIN, U256(10**21))
    call(fwd, "createPool", ADMIN, Address(tok), ADMIN, (Bool(False), Bool(True)))
    (pool,) = [a for a, c in w.contracts.items() if isinstance(c, SuperfluidPool)]  # the one just created
    call(fwd, "updateMemberUnits", ADMIN, Address(pool), MEMBER, U128(3), b"")
    call(fwd, "updateMemberUnits", ADMIN, Address(pool), OTHER, U128(4), b"")
    call(fwd, "connectPool", MEMBER, Address(pool), b"")
    call(fwd, "distribute", ADMIN, Address(tok), ADMIN, Address(pool), U256(7000), b"")
    call(fwd, "distributeFlow", ADMIN, Address(tok), ADMIN, Address(pool), RATE, b"")
    w.block.timestamp += 100
    call(fwd, "claimAll", MEMBER, Address(pool), OTHER, b"")
    call(fwd, "updateMemberUnits", ADMIN, Address(pool), OTHER, U128(1), b"")
    w.block.timestamp += 50
    call(fwd, "disconnectPool", MEMBER, Address(pool), b"")
    call(fwd, "claimAll", OTHER, Address(pool), MEMBER, b"")
    return verdicts


def test_every_part_holds_along_the_model_run():
    for k, v in enumerate(scripted()):
        assert all(v.values()), (k, v)


def test_the_pool_books_catch_a_disconnected_member_keeping_its_claim():
    last = scripted({"GeneralDistributionAgreementV1": DisconnectedKeepsClaimGDA})[-1]
    assert last["BPE-FLOW-002.gda"] and last["BPE-FLOW-002.settled"]  # GDA money is still zero-sum
    assert not last["BPE-FLOW-002.pools"] and not last["BPE-FLOW-002"]  # the pool's balance counts the claim twice
