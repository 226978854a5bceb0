"""The custom slither detectors: each flags its positive fixture exactly, and nothing in its negative
fixture or in the current suite."""

from __future__ import annotations

import pytest
from slither.detectors.abstract_detector import DetectorClassification

from harness.analysis.detectors import (
    CUSTOM_DETECTORS,
    ExternalCallBeforeStateUpdateInDrain,
    StakeLoweredWithoutReclamp,
    UnprotectedGovernanceSetter,
    configured,
)
from harness.analysis.slither_run import builtin_detectors, default_detectors, run_slither
from tests.analysis.conftest import fixture_build

STAKE = StakeLoweredWithoutReclamp.ARGUMENT
DRAIN = ExternalCallBeforeStateUpdateInDrain.ARGUMENT
SETTER = UnprotectedGovernanceSetter.ARGUMENT

POSITIVES = {
    STAKE: ("StakeReclampPositive", {
        ("StakeReclampPositive", "unstake(uint256)"),
        ("StakeReclampPositive", "slash(address,uint256)"),
        ("StakeReclampPositive", "eject(address)"),
        ("StakeWithRegistryPositive", "unstake(uint256)"),
    }),
    DRAIN: ("DrainPositive", {
        ("DrainPositive", "withdraw()"),
        ("DrainPositive", "claimRewards(uint256)"),
        ("DrainPositive", "drainTo(address)"),
        ("DrainSafeERC20Positive", "unstake(uint256)"),
    }),
    SETTER: ("SetterPositive", {
        ("SetterPositive", "setFee(uint256)"),
        ("SetterPositive", "updateOracle(address)"),
        ("SetterPositive", "configure(uint256)"),
    }),
}
NEGATIVES = {STAKE: "StakeReclampNegative", DRAIN: "DrainNegative", SETTER: "SetterNegative"}
DETECTOR = {cls.ARGUMENT: cls for cls in CUSTOM_DETECTORS}


def flagged(build, detector) -> set[tuple[str, str]]:
    run = run_slither(build, detectors=[detector])
    assert not run.failed_detectors
    return {(f["contract"], f["function"]) for f in run.findings if f["detector"] == detector.ARGUMENT}


@pytest.mark.parametrize("argument", sorted(POSITIVES))
@pytest.mark.catches("slither")
def test_detector_flags_every_function_of_its_positive_fixture(argument):
    fixture, expected = POSITIVES[argument]
    assert flagged(fixture_build(fixture), DETECTOR[argument]) == expected


@pytest.mark.parametrize("argument", sorted(NEGATIVES))
def test_detector_flags_nothing_in_its_negative_fixture(argument):
    assert flagged(fixture_build(NEGATIVES[argument]), DETECTOR[argument]) == set()


def test_custom_detectors_flag_nothing_in_the_current_suite(suite_run):
    """Nothing in the suites' protocol contracts; in their test doubles (contracts/<suite>/test/: the
    compute ledger's mocks have open setters on purpose) only what the triage file accepts."""
    from harness.analysis.slither_run import load_triage

    custom = {cls.ARGUMENT for cls in CUSTOM_DETECTORS}
    flagged = [f for f in suite_run.findings if f["detector"] in custom]
    assert [f["id"] for f in flagged if "/test/" not in f["file"]] == []
    accepted = {e.id for e in load_triage()}
    assert [f["id"] for f in flagged if f["id"] not in accepted] == []
    assert set(suite_run.custom_detectors) == custom


def test_stake_detector_is_scoped_to_contracts_that_see_a_reclamp_hook(suite_build):
    # StakeManager lowers stakes in unstake and slash but sees no hook today. Once a function it can
    # see counts as a hook (here, for the test, its own getCapacityCap), both are flagged.
    assert flagged(suite_build, StakeLoweredWithoutReclamp) == set()
    with_hook = configured(StakeLoweredWithoutReclamp, RECLAMP_HOOKS=("getCapacityCap",))
    assert flagged(suite_build, with_hook) == {
        ("StakeManager", "unstake(uint256)"),
        ("StakeManager", "slash(address,uint256,bytes32)"),
    }


def test_stake_detector_variable_names_are_configurable():
    build = fixture_build("StakeReclampPositive")
    assert flagged(build, configured(StakeLoweredWithoutReclamp, STAKE_VARIABLES=("bonds",))) == set()


def test_drain_detector_prefixes_are_configurable():
    detector = configured(ExternalCallBeforeStateUpdateInDrain, DRAIN_PREFIXES=("deposit",))
    assert flagged(fixture_build("DrainNegative"), detector) == {("DrainNegative", "deposit(uint256)")}


def test_setter_detector_prefixes_are_configurable():
    detector = configured(UnprotectedGovernanceSetter, SETTER_PREFIXES=("settle",))
    assert flagged(fixture_build("SetterNegative"), detector) == {("SetterNegative", "settle()")}


def test_configured_refuses_an_unknown_setting_or_a_bare_string():
    with pytest.raises(ValueError, match="no setting"):
        configured(UnprotectedGovernanceSetter, DRAIN_PREFIXES=("x",))
    with pytest.raises(ValueError, match="list of non-empty names"):
        configured(UnprotectedGovernanceSetter, SETTER_PREFIXES="set")


@pytest.mark.parametrize("detector", CUSTOM_DETECTORS, ids=lambda d: d.ARGUMENT)
def test_custom_detector_metadata_is_complete(detector):
    for name in ("ARGUMENT", "HELP", "WIKI", "WIKI_TITLE", "WIKI_DESCRIPTION", "WIKI_EXPLOIT_SCENARIO",
                 "WIKI_RECOMMENDATION"):
        assert getattr(detector, name).strip(), f"{detector.__name__}.{name} is empty"
    assert detector.IMPACT != DetectorClassification.UNIMPLEMENTED
    assert detector.CONFIDENCE != DetectorClassification.UNIMPLEMENTED
    assert __import__(detector.__module__, fromlist=["_"]).__doc__  # what it flags, why, its limits


def test_every_builtin_detector_is_registered_and_arguments_are_unique():
    from slither.detectors import all_detectors

    builtin = builtin_detectors()
    assert len(builtin) >= 90
    assert all_detectors.ReentrancyEth in builtin and all_detectors.ConstantPragma in builtin
    arguments = [cls.ARGUMENT for cls in default_detectors()]
    assert len(arguments) == len(set(arguments)) == len(builtin) + len(CUSTOM_DETECTORS)
