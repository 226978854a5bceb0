"""The Foundry project and the export of counterexamples as Foundry tests (harness/forge/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.forge import export_forge, export_violations
from harness.forge.export import Unsupported
from harness.forge.project import bytecode_differences, run_forge, scratch_project
from specs.errors import InputError

ETH = 10**18
P, A = 0x9001, 0xA1  # a provider and a user of the compute suite (tests/compute/pair.py)
MODEL = "llama-70b"
BROKEN_VARIANT = "InferenceServing_usage_without_allowance"

# register a provider, price a model, a user deposits and approves 99: usage costing 300 must revert
# (AllowanceExceeded); the broken variant accepts it
STEPS = [
    {"op": "call", "contract": "ComputeRegistry", "function": "register", "sender": P,
     "args": ["https://p.example", "quote-1", 10**15], "value": ETH // 10},
    {"op": "call", "contract": "InferenceServing", "function": "setModelPrice", "sender": P, "args": [MODEL, 3, 11]},
    {"op": "call", "contract": "InferenceServing", "function": "deposit", "sender": A, "args": [], "value": ETH},
    {"op": "call", "contract": "InferenceServing", "function": "approveProvider", "sender": A, "args": [P, 99]},
    {"op": "call", "contract": "InferenceServing", "function": "recordUsage", "sender": P, "args": [A, 100, 0, MODEL]},
]


def broken_replay(tmp_path: Path) -> Path:
    """A replay file of the broken InferenceServing, as the fuzzer writes one."""
    from harness.fuzz.runner import save_replay
    from tests.compute.fixtures.broken_contracts import BROKEN

    src = (BROKEN / f"{BROKEN_VARIANT}.sol").resolve().relative_to(Path.cwd().resolve())
    return save_replay(STEPS, "pyrevm", "recordUsage beyond the allowance", {"InferenceServing": str(src)}, [],
                       tmp_path / "replays", "compute")


@pytest.mark.slow
def test_forge_build_gives_the_workbench_bytecode():
    proc = run_forge(["build"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    compared, bad = bytecode_differences()
    assert compared >= 20 and not bad, bad


@pytest.mark.slow
def test_an_exported_mismatch_fails_on_the_broken_contract_and_passes_on_the_fixed_one(tmp_path):
    from tests.compute.fixtures.broken_contracts import source

    replay = broken_replay(tmp_path)
    project = scratch_project(tmp_path / "project")
    (out,) = export_forge(replay, project / "reports" / "forge")
    text = out.read_text()
    assert "function test_replay()" in text and "step 5: the call's outcome" in text

    fixed = project / "contracts" / "compute" / "InferenceServing.sol"
    original = fixed.read_text()
    fixed.write_text(source(BROKEN_VARIANT))
    broken = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert broken.returncode != 0, broken.stdout[-2000:]
    assert "[FAIL: step 5: InferenceServing.recordUsage" in broken.stdout
    assert "expected a revert" in broken.stdout

    fixed.write_text(original)
    ok = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    assert "[PASS] test_replay()" in ok.stdout


def test_an_export_states_the_model_outcome_of_every_step(tmp_path):
    (out,) = export_forge(broken_replay(tmp_path), tmp_path / "out")
    text = out.read_text()
    # the deployments come from the project's build of the canonical sources, not the broken copy
    assert 'vm.getCode("contracts/compute/InferenceServing.sol:InferenceServing")' in text
    assert ".cache/broken" not in text.split("import")[1]
    assert text.count("_expectCall(\"step ") == 5
    # the last call must revert with AllowanceExceeded(99, 300)
    last = [ln for ln in text.splitlines() if ln.strip().startswith('_expectCall("step 5')][0]
    assert ", false, true, hex\"" in last and last.rstrip().endswith(f'{(99).to_bytes(32, "big").hex()}'
                                                                       f'{(300).to_bytes(32, "big").hex()}");')


def test_bad_targets_are_one_line_input_errors(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(InputError, match=f"{missing}: no such replay file"):
        export_forge(missing, tmp_path / "out")
    bad = tmp_path / "bad.json"
    bad.write_text("{\"schema\": ")
    with pytest.raises(InputError, match=f"{bad}: not valid JSON"):
        export_forge(bad, tmp_path / "out")
    verify = tmp_path / "verify.json"
    verify.write_text(json.dumps({"checks": [{"id": "COMP-X-001", "kind": "proof", "status": "VIOLATED",
                                               "details": {"evm_replay": []}}]}))
    with pytest.raises(InputError, match="no check with id 'NOPE-1'"):
        export_forge("NOPE-1", tmp_path / "out", verify_json=verify)
    with pytest.raises(InputError, match=f"{tmp_path / 'none.json'}: no such file"):
        export_forge("NOPE-1", tmp_path / "out", verify_json=tmp_path / "none.json")
    with pytest.raises(Unsupported, match="COMP-X-001: a prover counterexample"):
        export_forge("COMP-X-001", tmp_path / "out", verify_json=verify)
    assert not (tmp_path / "out").exists()


def test_a_violated_run_exports_its_replays_and_lists_what_it_cannot(tmp_path):
    replay = broken_replay(tmp_path)
    verify = tmp_path / "verify.json"
    verify.write_text(json.dumps({"checks": [
        {"id": "FUZZ-COMPUTE-pyrevm", "kind": "fuzz", "status": "VIOLATED", "details": {"replay_file": str(replay)}},
        {"id": "COMP-X-001", "kind": "proof", "status": "VIOLATED", "details": {"evm_replay": []}},
        {"id": "SLITHER", "kind": "static", "status": "VIOLATED", "details": {}},
        {"id": "FUZZ-COMPUTE-py-evm", "kind": "fuzz", "status": "PASSED", "details": {}},
    ]}))
    out = tmp_path / "forge"
    paths = export_violations(verify, out)
    assert [p.name for p in paths] == [f"Replay_compute_{replay.stem.replace('-', '_')}.t.sol"]
    note = (out / "NOT-EXPORTED.txt").read_text().splitlines()
    assert len(note) == 1 and note[0].startswith("COMP-X-001: ") and "prover counterexample" in note[0]


@pytest.mark.slow
def test_a_bpe_export_deploys_the_superfluid_framework_from_its_artifacts(tmp_path):
    from harness.fuzz.runner import save_replay

    steps = [{"op": "prepare", "setup": "system/1"}, {"op": "advance", "blocks": 1, "seconds": 12},
             {"op": "call", "contract": "StakeManager", "function": "stake", "sender": 0xA1, "args": [10**18]}]
    replay = save_replay(steps, "pyrevm", "none", {}, [], tmp_path / "replays", "bpe")
    project = scratch_project(tmp_path / "project")
    (out,) = export_forge(replay, project / "reports" / "forge")
    text = out.read_text()
    assert '_artifactCode(".cache/superfluid/package/build/hardhat/' in text
    assert "the mismatch did not reproduce" in text  # a passing sequence: a regression test
    proc = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "[PASS] test_replay()" in proc.stdout
