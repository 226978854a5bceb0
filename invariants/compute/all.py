"""Every compute invariant module: importing this registers them (specs/compute/PROTOCOL.md section 10)."""

from invariants.compute import inference, ledger, registry, rental, staking, steps, test_token, triggers  # noqa: F401
