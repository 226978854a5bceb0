"""Hypothesis settings profiles: `dev` (quick, local database), `ci` (derandomized, no database,
prints the reproduction blob), `nightly` (long). Selected with BPE_PROFILE or --profile."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

COMMON = dict(deadline=None, suppress_health_check=list(HealthCheck), report_multiple_bugs=False)

PROFILES = {
    "dev": settings(max_examples=20, stateful_step_count=30, **COMMON),
    "ci": settings(max_examples=30, stateful_step_count=40, derandomize=True, database=None, print_blob=True,
                   **COMMON),
    "nightly": settings(max_examples=2000, stateful_step_count=80, derandomize=False, database=None,
                        print_blob=True, **COMMON),
}


def profile(name: str, **overrides: object) -> settings:
    if name not in PROFILES:
        raise ValueError(f"unknown hypothesis profile {name!r} (known: {', '.join(PROFILES)})")
    return settings(PROFILES[name], **overrides)  # type: ignore[arg-type]
