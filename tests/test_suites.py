"""The suite registry and declarations (specs/suite.py): every reference of every registered suite
resolves, a bad name or reference is a clean error, and verify tags each check with its suite."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from specs import suite as suite_mod
from specs.errors import InputError, WorkbenchError
from specs.suite import Suite, get_suite, resolve, suite_names, suite_of_contract, suites

REPO = Path(__file__).resolve().parents[1]


def test_the_registered_suites():
    assert suite_names() == ["bpe", "compute"]
    assert get_suite("bpe").title.startswith("BPE")
    assert get_suite("compute").title.startswith("Compute")


@pytest.mark.parametrize("name", suite_names())
def test_every_reference_of_a_registered_suite_resolves(name):
    s = get_suite(name)
    deployments = s.resolve(s.deployments)
    assert [d.name for d in deployments] == s.contract_names() and deployments
    proved = s.resolve(s.proved_deployments)
    assert proved and set(d.name for d in proved) <= set(s.contract_names())
    system = s.resolve(s.build_system)(deployments=deployments)
    assert set(system.addrs) == set(s.contract_names())
    assert isinstance(s.resolve(s.fuzz_machine), type)
    assert s.resolve(s.prepared_state)["op"] == "prepare"
    assert s.proof_parts and all(callable(s.part_runner(p)) for p in s.proof_parts)
    assert len({p.name for p in s.proof_parts}) == len(s.proof_parts)
    assert callable(s.resolve(s.unproved))
    assert s.mutation_sources and all((REPO / p).is_file() for p in s.mutation_sources.values())
    assert set(s.library_checks) <= set(s.mutation_sources)
    assert all(callable(s.resolve(ref)) for ref in s.library_checks.values())
    assert all(s.constants.get(env) for env in s.environment)  # the addresses the fixture checks
    for transition, ref in s.counterexample_setups.items():
        contract, _, function = transition.partition(".")
        assert contract in s.contract_names() and callable(s.resolve(ref)), transition
    s.register_invariants()
    for contract in s.contract_names():
        assert suite_of_contract(contract) is s


@pytest.mark.parametrize("name", suite_names())
def test_a_suites_solidity_lives_in_its_own_folder(name):
    """A suite is a package: its mutated sources and the source of every contract it deploys lie under
    contracts/<suite>/ (the compiler reads every suite's folder; nothing of a suite directly in contracts/)."""
    from harness.evm.compile import compile_contracts

    s = get_suite(name)
    folder = f"contracts/{name}/"
    assert all(p.startswith(folder) for p in s.mutation_sources.values()), s.mutation_sources
    build = compile_contracts()
    outside = {d.name: build.get(d.name).source_path for d in s.resolve(s.deployments)
               if not build.get(d.name).source_path.startswith(folder)}
    assert not outside, f"deployed by suite {name} but not under {folder}: {outside}"


def test_an_unknown_suite_is_an_input_error_naming_the_registered_ones():
    with pytest.raises(InputError, match=r"--suite nope: no such suite \(registered: bpe, compute\)"):
        get_suite("nope")
    with pytest.raises(InputError):
        suites(["bpe", "nope"])


@pytest.mark.parametrize("ref, cause", [("specs.bpe.system", "expected 'package.module:attribute'"),
                                        ("specs.nowhere:X", "cannot import specs.nowhere"),
                                        ("specs.bpe.system:NOPE", "specs.bpe.system has no NOPE")])
def test_a_reference_that_points_nowhere_is_a_workbench_error(ref, cause):
    with pytest.raises(WorkbenchError, match=cause):
        resolve(ref)


def test_a_registry_line_that_is_not_its_suites_declaration_is_refused(monkeypatch):
    monkeypatch.setitem(suite_mod.SUITES, "other", "specs.bpe.suite:SUITE")  # BPE's declaration, another name
    with pytest.raises(WorkbenchError, match="not the declaration of suite 'other'"):
        get_suite("other")


def test_a_contract_claimed_by_two_suites_is_refused(monkeypatch):
    twin = Suite(name="twin", title="twin", deployments="specs.bpe.system:DEPLOYMENTS",
                 proved_deployments="specs.bpe.suite:PROVED_DEPLOYMENTS", build_system="specs.bpe.system:build_system")
    monkeypatch.setattr(suite_mod, "TWIN", twin, raising=False)
    monkeypatch.setitem(suite_mod.SUITES, "twin", "specs.suite:TWIN")
    with pytest.raises(WorkbenchError, match="'StakeManager' belongs to 2 registered suites"):
        suite_of_contract("StakeManager")


def test_verify_tags_every_check_with_its_suite(monkeypatch, tmp_path):
    """verify over the registry: the compile check belongs to the whole run ("*"), a suite's proof
    results and its not-proved rows carry the suite's name (provers, slither and engines stubbed)."""
    import harness.analysis.slither_run as slither_run
    import harness.evm.compile as compile_mod
    import invariants.suite as proofs
    from harness import cli
    from invariants.prover import ObligationResult

    build = SimpleNamespace(compiler_version="0.8.28", cache_hit=True, source_hashes={}, artifacts={}, solc_output={})
    monkeypatch.setattr(compile_mod, "compile_contracts", lambda *a, **k: build)
    monkeypatch.setattr(slither_run, "results_checks", lambda b: [])
    monkeypatch.setattr(cli, "simulation_sections", lambda selected: ())
    monkeypatch.setattr("harness.evm.fixture.suite_artifacts", lambda *a, **k: {})
    ran = []

    def fake_results(suite, **k):
        ran.append(suite.name)
        return [ObligationResult("X-001/init", "proof", "StakeManager", "PROVED", 0.1, "X holds")]

    monkeypatch.setattr(proofs, "proof_results", fake_results)
    monkeypatch.setattr(proofs, "unproved", lambda suite: [
        ObligationResult("X-002/*", "proof", "StakeManager", "UNSUPPORTED", 0.0, "Y", {"message": "not proved: z"})])
    # the row not proved yet is listed apart, and the run is no proof of the suite: exit 2
    assert cli.verify(out_dir=tmp_path, suite_names=["bpe"], engines=(), mutation_sample={}) == 2
    doc = json.loads((tmp_path / "verify.json").read_text())
    assert ran == ["bpe"] and doc["config"]["suites"] == ["bpe"]
    assert [(c["id"], c["suite"]) for c in doc["checks"]] == [("COMPILE", "*"), ("X-001/init", "bpe")]
    assert [(r["id"], r["suite"]) for r in doc["config"]["not_proved"]] == [("X-002/*", "bpe")]
    assert "### Suite `bpe`" in (tmp_path / "REPORT.md").read_text()


def test_two_suites_checks_of_the_same_kind_get_distinct_ids():
    """A suite's fuzz, engine-comparison and mutation-sample checks carry its name in their ids, so one
    verify run holds both suites' checks (Results refuses a duplicate id)."""
    from harness import cli
    from harness.fuzz.runner import FuzzResult
    from harness.report.results import Results

    a = SimpleNamespace(name="bpe", environment=("superfluid",))
    b = SimpleNamespace(name="compute", environment=())
    results = Results()
    for s in (a, b):
        r = FuzzResult("PASSED", "pyrevm", 10, 1, 1.0, "ci", sequences=1)
        fuzz = cli.fuzz_check(r, "pyrevm", "hypothesis", "ci", s)
        engines = cli.engines_check(r, "pyrevm", "py-evm", s)
        fuzz.suite = engines.suite = s.name
        results.add(fuzz)
        results.add(engines)
    assert [c.id for c in results.checks] == ["FUZZ-BPE-pyrevm", "ENGINES-BPE-pyrevm-py-evm",
                                              "FUZZ-COMPUTE-pyrevm", "ENGINES-COMPUTE-pyrevm-py-evm"]
    assert "(superfluid)" in results.checks[0].title and "environment" not in results.checks[2].title
    assert cli.suite_check_id(b, "MUTATION-SAMPLE") == "MUTATION-SAMPLE-COMPUTE"
