"""State invariants of ComputeRental (PROTOCOL.md section 10, Rental), over session ids."""

from __future__ import annotations

from invariants.registry import invariant
from specs.kernel import U256, Int

HOUR = U256(3600)
MAX_SESSION_HOURS = 8760


def _known(r, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    return sessionId != 0 and sessionId <= r.sessionCount


@invariant(
    "COMP-RENT-001", contract="ComputeRental",
    statement="Invariant: the ETH balance of ComputeRental is at least what it owes: the deposits not yet "
              "split (the sum of all deposits minus the provider payments and refunds credited at "
              "termination) plus the sum of withdrawable balances.",
    why="Every escrow must be payable at termination and every credited share withdrawable (R-4.7, R-4.9).",
    exploit="An insolvent rental pays early withdrawers out of other renters' escrows.",
)
def rental_solvent(s) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    escrow = Int(r.sessions.sum("deposit")) - Int(r.providerPaymentOf.sum()) - Int(r.refundOf.sum())
    return Int(s.world.balance(r.address)) >= escrow + Int(r.withdrawable.sum())


@invariant(
    "COMP-RENT-002", contract="ComputeRental",
    statement="Invariant: providerPaymentOf + refundOf == deposit for every terminated session, both 0 for "
              "an active one and for an id no session has.",
    why="Each deposit is split exactly once, at termination, and nothing is lost or created (R-4.7).",
    exploit="A split that does not add up to the deposit pays out escrow twice or strands it.",
)
def split_once(s, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    x = r.sessions[sessionId]
    pay, refund = r.providerPaymentOf[sessionId], r.refundOf[sessionId]
    if not _known(r, sessionId):
        return pay == 0 and refund == 0 and x.deposit == 0 and not x.active
    if x.active:
        return pay == 0 and refund == 0
    return Int(pay) + Int(refund) == Int(x.deposit)


@invariant(
    "COMP-RENT-004", contract="ComputeRental",
    statement="Invariant: deposit == sessionPrice * (endTime - startTime) / 3600 exactly, and endTime - "
              "startTime is a positive multiple of 3600 of at most MAX_SESSION_HOURS hours.",
    why="A session is paid exactly, at its own price, for its whole length (R-4.1, R-4.3 to R-4.5).",
    exploit="A deposit not matching the time bought lets a renter rent unpaid hours or a provider be paid "
            "for hours never bought.",
)
def deposit_matches_time(s, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    if not _known(r, sessionId):
        return True
    x = r.sessions[sessionId]
    if x.endTime <= x.startTime:
        return False
    length = x.endTime - x.startTime
    return (length % HOUR == 0 and Int(length) <= MAX_SESSION_HOURS * 3600
            and Int(x.deposit) * 3600 == Int(r.sessionPrice[sessionId]) * Int(length))


@invariant(
    "COMP-RENT-005", contract="ComputeRental",
    statement="Invariant: for a terminated session, providerPaymentOf == deposit * served / duration rounded "
              "down, served = min(terminatedAt, endTime) - startTime.",
    why="The provider is paid for the time served, never more, in full for an expired session (R-4.7).",
    exploit="Rounding up or counting time after endTime pays the provider with the renter's refund.",
)
def prorated_payment(s, sessionId: U256) -> bool:  # type: ignore[no-untyped-def]
    r = s.rental
    if not _known(r, sessionId):
        return True
    x = r.sessions[sessionId]
    if x.active:
        return True
    end = x.endTime if r.terminatedAt[sessionId] >= x.endTime else r.terminatedAt[sessionId]
    served, duration = Int(end) - Int(x.startTime), Int(x.endTime) - Int(x.startTime)
    pay = Int(r.providerPaymentOf[sessionId])
    # pay == deposit * served // duration, as floor division's defining inequalities
    return pay * duration <= Int(x.deposit) * served and Int(x.deposit) * served < (pay + 1) * duration
