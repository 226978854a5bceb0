"""The workbench's own slither detectors, one class a file; adding one is one file plus one line in
`CUSTOM_DETECTORS` (as slither's `all_detectors.py`).

Each detector documents in its module docstring what it flags, why, and its limits. Their settings are
class attributes (name lists); `configured` makes a variant with other settings without editing the
class:

    configured(UnprotectedGovernanceSetter, SETTER_PREFIXES=("set", "tune"))
"""

from __future__ import annotations

from slither.detectors.abstract_detector import AbstractDetector

from harness.analysis.detectors.external_call_before_state_update_in_drain import (
    ExternalCallBeforeStateUpdateInDrain,
)
from harness.analysis.detectors.stake_lowered_without_reclamp import StakeLoweredWithoutReclamp
from harness.analysis.detectors.unprotected_governance_setter import UnprotectedGovernanceSetter

CUSTOM_DETECTORS: tuple[type[AbstractDetector], ...] = (
    StakeLoweredWithoutReclamp,
    ExternalCallBeforeStateUpdateInDrain,
    UnprotectedGovernanceSetter,
)

# detector class -> the class attributes that configure it
SETTINGS: dict[type[AbstractDetector], tuple[str, ...]] = {
    StakeLoweredWithoutReclamp: ("STAKE_VARIABLES", "RECLAMP_HOOKS"),
    ExternalCallBeforeStateUpdateInDrain: ("DRAIN_PREFIXES",),
    UnprotectedGovernanceSetter: ("SETTER_PREFIXES", "ACCESS_MODIFIERS"),
}


def configured(detector: type[AbstractDetector], **settings: tuple[str, ...]) -> type[AbstractDetector]:
    """A subclass of `detector` with other name lists (same ARGUMENT, so findings keep their ids).
    ValueError for a setting the detector does not have, or a value that is not a list of names."""
    base = next((d for d in SETTINGS if issubclass(detector, d)), None)
    if base is None:
        raise ValueError(f"{detector.__name__} is not one of the custom detectors")
    for key, value in settings.items():
        if key not in SETTINGS[base]:
            raise ValueError(f"{detector.__name__} has no setting {key}; its settings: {', '.join(SETTINGS[base])}")
        if isinstance(value, str) or not all(isinstance(v, str) and v for v in value):
            raise ValueError(f"{detector.__name__}.{key} must be a list of non-empty names, got {value!r}")
    frozen = {key: tuple(value) for key, value in settings.items()}
    return type(detector.__name__, (detector,), frozen)


__all__ = [
    "CUSTOM_DETECTORS",
    "ExternalCallBeforeStateUpdateInDrain",
    "StakeLoweredWithoutReclamp",
    "UnprotectedGovernanceSetter",
    "configured",
]
