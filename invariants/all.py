"""Every invariant and lemma module: importing this registers them. One line per contract."""

from invariants import bpe_math, capacity_registry, escrow_buffer, stake_manager, superfluid, test_token  # noqa: F401

LEMMAS = bpe_math.LEMMAS + superfluid.LEMMAS
