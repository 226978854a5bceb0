"""State invariants of ComputeRental (PROTOCOL.md section 10, Rental), over session ids."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import U256, Int

HOUR = 3600
MAX_SESSION_HOURS = 8760


@invariant(
    "COMP-RENT-001", contract="ComputeRental", proof="concrete",
    statement="Invariant: the ETH balance of ComputeRental is at least the sum of the deposits of active "
              "sessions plus the sum of withdrawable balances.",
    why="Every escrow must be payable at termination and every credited share withdrawable (R-4.7, R-4.9).",
    exploit="An insolvent rental pays early withdrawers out of other renters' escrows.",
)
def rental_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    escrow = sum(x.deposit.v for x in r.sessions.values() if x.active)
    return Int(s.world.balance(r.address)) >= Int(escrow) + Int(r.withdrawable.sum())


@invariant(
    "COMP-RENT-002", contract="ComputeRental", proof="concrete",
    statement="Invariant: providerPaymentOf + refundOf == deposit for every terminated session, both 0 for "
              "an active one.",
    why="Each deposit is split exactly once, at termination, and nothing is lost or created (R-4.7).",
    exploit="A split that does not add up to the deposit pays out escrow twice or strands it.",
)
def split_once(s, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    x = r.sessions.get(sessionId.v)
    if x is None:
        return True
    pay, refund = r.providerPaymentOf[sessionId].v, r.refundOf[sessionId].v
    return (pay == 0 and refund == 0) if x.active else pay + refund == x.deposit.v


@invariant(
    "COMP-RENT-004", contract="ComputeRental", proof="concrete",
    statement="Invariant: deposit == sessionPrice * (endTime - startTime) / 3600 exactly, and endTime - "
              "startTime is a positive multiple of 3600 of at most MAX_SESSION_HOURS hours.",
    why="A session is paid exactly, at its own price, for its whole length (R-4.1, R-4.3 to R-4.5).",
    exploit="A deposit not matching the time bought lets a renter rent unpaid hours or a provider be paid "
            "for hours never bought.",
)
def deposit_matches_time(s, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    x = s.rental.sessions.get(sessionId.v)
    if x is None:
        return True
    length = x.endTime.v - x.startTime.v
    return (length > 0 and length % HOUR == 0 and length <= MAX_SESSION_HOURS * HOUR
            and x.deposit.v * HOUR == s.rental.sessionPrice[sessionId].v * length)


@invariant(
    "COMP-RENT-005", contract="ComputeRental", proof="concrete",
    statement="Invariant: for a terminated session, providerPaymentOf == deposit * served / duration rounded "
              "down, served = min(terminatedAt, endTime) - startTime.",
    why="The provider is paid for the time served, never more, in full for an expired session (R-4.7).",
    exploit="Rounding up or counting time after endTime pays the provider with the renter's refund.",
)
def prorated_payment(s, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    x = r.sessions.get(sessionId.v)
    if x is None or x.active:
        return True
    served = min(r.terminatedAt[sessionId].v, x.endTime.v) - x.startTime.v
    return r.providerPaymentOf[sessionId].v == x.deposit.v * served // (x.endTime.v - x.startTime.v)
