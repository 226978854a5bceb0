"""Every invariant and lemma module: importing this registers them. One line per contract."""

from invariants.bpe import (  # noqa: F401
    backpressure_pool, bpe_math, capacity_registry, escrow_buffer, stake_manager, superfluid, test_token,
)

LEMMAS = bpe_math.LEMMAS + superfluid.LEMMAS
