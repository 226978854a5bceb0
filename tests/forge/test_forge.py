"""The Foundry project and the export of counterexamples as Foundry tests (harness/forge/)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.forge import export_forge, export_violations
from harness.forge.export import Unsupported
from harness.forge.project import bytecode_differences, run_forge, scratch_project
from specs.budget import work
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
    with pytest.raises(Unsupported, match="COMP-X-001: a prover counterexample without a recorded EVM replay"):
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


# ---------------------------------------------------------------------------------------------------
# Prover counterexamples: the broken model WithdrawKeepsBalance (withdraw pays without zeroing the
# balance) breaks COMP-RENT-001 at ComputeRental.withdraw; its twin contract does the same on the EVM.

CEX_CHECK = "COMP-RENT-001/ComputeRental.withdraw"
CEX_VARIANT = "ComputeRental_withdraw_keeps_balance"


def prover_counterexample():
    from invariants.compute import proofs
    from invariants.prover import Prover
    from invariants.registry import REGISTRY, STEP_REGISTRY
    from specs.compute.system import build_system
    from tests.compute.fixtures import broken_models

    proofs.SUITE.register_invariants()
    p = Prover(build_system({"ComputeRental": broken_models.WithdrawKeepsBalance}, deployments=proofs.PROVED_DEPLOYMENTS),
               list(REGISTRY.for_contracts({"ComputeRental"})), environment=proofs.SUITE.proof_environment,
               step_invariants=list(STEP_REGISTRY.for_contracts({"ComputeRental"})), rlimit=work(20_000))
    row = {r.id: r for r in p.run(only=lambda tr: tr.name == "ComputeRental.withdraw")}[CEX_CHECK]
    assert row.status == "VIOLATED" and row.counterexample is not None, row.details
    return row


def recorded_counterexample(tmp_path: Path) -> Path:
    """The prover's counterexample, replayed on the broken contract and recorded at the EVM level."""
    from harness.forge.counterexample import record_counterexample
    from invariants.compute import proofs
    from tests.compute.fixtures.broken_contracts import BROKEN

    row = prover_counterexample()
    return record_counterexample(row.counterexample, proofs.SUITE, check_id=row.id, statement=row.title,
                                 overrides={"ComputeRental": BROKEN / f"{CEX_VARIANT}.sol"}, out_dir=tmp_path / "replays")


def test_a_prover_counterexample_is_recorded_and_exported_with_its_failing_post_state(tmp_path):
    from harness.forge.counterexample import read_counterexample_file

    path = recorded_counterexample(tmp_path)
    doc = read_counterexample_file(path)
    assert doc["invariant"] == "COMP-RENT-001" and doc["call"] == "ComputeRental.withdraw"
    assert doc["ops"][-1]["kind"] == "call" and doc["post_state"], doc["replay"]
    assert "holds before and fails after the call on pyrevm" in doc["replay"]
    # verify.json points at it, and export-forge CHECK_ID writes the test from it
    verify = tmp_path / "verify.json"
    verify.write_text(json.dumps({"checks": [{"id": CEX_CHECK, "kind": "proof", "status": "VIOLATED",
                                               "details": {"evm_replay": [], "evm_counterexample": str(path)}}]}))
    (out,) = export_forge(CEX_CHECK, tmp_path / "out", verify_json=verify)
    text = out.read_text()
    assert "function test_counterexample()" in text and "_sameState(hex\"" in text
    assert 'vm.getCode("contracts/compute/ComputeRental.sol:ComputeRental")' in text
    assert "if (!ok) return;" in text and "require(!same" in text
    assert export_violations(verify, tmp_path / "out2")[0].name == out.name


def test_a_counterexample_the_contract_does_not_reproduce_is_not_recorded(tmp_path):
    from harness.forge.counterexample import record_counterexample
    from invariants.compute import proofs

    row = prover_counterexample()  # the correct ComputeRental zeroes the balance: nothing fails on pyrevm
    with pytest.raises(Unsupported, match=f"check {CEX_CHECK}: the counterexample does not replay on pyrevm"):
        record_counterexample(row.counterexample, proofs.SUITE, check_id=row.id, out_dir=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_bad_counterexample_file_is_a_one_line_input_error(tmp_path):
    path = recorded_counterexample(tmp_path)
    doc = json.loads(path.read_text())
    for mutate, message in [
        (lambda d: d.update(schema="x"), "not an EVM counterexample file"),
        (lambda d: d.pop("post_state"), "post_state: missing"),
        (lambda d: d["ops"].append({"kind": "block"}), "ops: the last operation must be the counterexample's call"),
        (lambda d: d["ops"][0].update(kind="selfdestruct"), "ops\\[0\\]: not an operation"),
        (lambda d: d.update(deployment_sha256="0" * 64), "no longer deploys as it did"),
    ]:
        bad = json.loads(json.dumps(doc))
        mutate(bad)
        f = tmp_path / "bad.evm.json"
        f.write_text(json.dumps(bad))
        with pytest.raises(InputError, match=message):
            export_forge(f, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_an_exported_prover_counterexample_fails_on_the_broken_contract_and_passes_on_the_fixed_one(tmp_path):
    from tests.compute.fixtures.broken_contracts import source

    project = scratch_project(tmp_path / "project")
    (out,) = export_forge(recorded_counterexample(tmp_path), project / "reports" / "forge")
    fixed = project / "contracts" / "compute" / "ComputeRental.sol"
    original = fixed.read_text()
    fixed.write_text(source(CEX_VARIANT))
    broken = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert broken.returncode != 0, broken.stdout[-2000:]
    assert "[FAIL: COMP-RENT-001 fails after ComputeRental.withdraw" in broken.stdout

    fixed.write_text(original)
    ok = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert ok.returncode == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    assert "[PASS] test_counterexample()" in ok.stdout


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


def test_verify_records_a_violated_proof_at_the_evm_level(tmp_path, monkeypatch):
    import harness.fuzz.runner as runner
    import invariants.suite as proof_suite
    from harness.cli import prove_into
    from harness.evm.fixture import deploy, suite_artifacts
    from harness.report.results import Results
    from invariants.compute import proofs
    from tests.compute.fixtures.broken_contracts import BROKEN

    row = prover_counterexample()
    monkeypatch.setattr(proof_suite, "proof_results", lambda suite, **kw: [row])
    monkeypatch.setattr(runner, "REPLAY_DIR", tmp_path / "replays")
    suite = proofs.SUITE
    artifacts = suite_artifacts(overrides={"ComputeRental": BROKEN / f"{CEX_VARIANT}.sol"},
                                deployments=suite.resolve(suite.deployments))
    results = Results()
    prove_into(results, {"pyrevm": deploy("pyrevm", suite, artifacts=artifacts)}, 10_000, suite=suite)
    (check,) = [c for c in results.checks if c.id == CEX_CHECK]
    assert check.status == "VIOLATED" and check.details["confirmed"], check.details
    recorded = Path(check.details["evm_counterexample"])
    assert recorded.is_file() and recorded.name == "COMP-RENT-001_ComputeRental.withdraw.evm.json"
    written = export_violations(results, tmp_path / "forge")
    assert len(written) == 1, (tmp_path / "forge" / "NOT-EXPORTED.txt").read_text()
    out = written[0]
    assert "function test_counterexample()" in out.read_text()


# ---------------------------------------------------------------------------------------------------
# Mismatches beyond a call's outcome and the views: the events, storage words, malformed calldata


def variant(name: str, contract: str, old: str, new: str) -> str:
    """A broken copy of a compute contract beside the suite's broken fixtures; its repo-relative path."""
    import os

    from harness.files import write_text_atomic
    from tests.compute.fixtures.broken_contracts import CONTRACTS, OUT

    text = (CONTRACTS / f"{contract}.sol").read_text()
    assert text.count(old) == 1, old
    out = OUT / "forge-tests"
    out.mkdir(parents=True, exist_ok=True)
    text = text.replace(old, new).replace('"./', f'"{os.path.relpath(CONTRACTS, out)}/')
    path = write_text_atomic(out / f"{name}.sol", text)
    return path.resolve().relative_to(Path.cwd().resolve()).as_posix()


DEPOSIT = [{"op": "call", "contract": "LedgerManager", "function": "deposit", "sender": A, "args": [], "value": ETH}]


def ledger_replay(tmp_path: Path, name: str, old: str, new: str, steps=DEPOSIT) -> Path:  # noqa: ANN001
    from harness.fuzz.runner import save_replay

    src = variant(name, "LedgerManager", old, new)
    return save_replay(list(steps), "pyrevm", name, {"LedgerManager": src}, [], tmp_path / "replays", "compute")


WRONG_EVENT = ("        emit Deposited(msg.sender, msg.value);\n", "        emit Deposited(msg.sender, msg.value + 1);\n")
KEEPS_A_WEI = ("        ethBalances[msg.sender] += msg.value;\n", "        ethBalances[msg.sender] += msg.value - 1;\n")


def test_an_event_only_mismatch_is_exported_with_the_model_events(tmp_path):
    (out,) = export_forge(ledger_replay(tmp_path, "LedgerManager_wrong_event", *WRONG_EVENT), tmp_path / "out")
    text = out.read_text()
    assert "vm.recordLogs();" in text and '_expectLogs("step 1: the events"' in text
    assert "it fails at: step 1: the events" in text


def test_a_storage_mismatch_is_asserted_word_by_word_before_the_views(tmp_path):
    (out,) = export_forge(ledger_replay(tmp_path, "LedgerManager_keeps_a_wei", *KEEPS_A_WEI), tmp_path / "out")
    body = out.read_text().split("function test_replay()")[1]
    word = body.index("_expectWord(")
    assert word < body.index("_expectView(")
    # the model credits the whole ether: the word it expects is 1e18
    assert f"bytes32(uint256({ETH:#x})));" in body[word:].splitlines()[0]


def test_a_malformed_calldata_step_is_exported_as_a_revert_without_data(tmp_path):
    from harness.fuzz.runner import save_replay

    steps = [{"op": "raw", "contract": "LedgerManager", "sender": A, "data": "0x2e1a7d4d0000"}]  # withdraw, truncated
    (out,) = export_forge(save_replay(steps, "pyrevm", "none", {}, [], tmp_path / "replays", "compute"), tmp_path / "out")
    line = [ln for ln in out.read_text().splitlines() if ln.strip().startswith('_expectCall("step 1')][0]
    assert 'hex"2e1a7d4d0000", false, true, hex"");' in line


@pytest.mark.slow
@pytest.mark.parametrize("name, edit, failure", [
    ("LedgerManager_wrong_event", WRONG_EVENT, "step 1: the events: the contracts' events differ from the model's"),
    ("LedgerManager_keeps_a_wei", KEEPS_A_WEI, "storage 0x"),
], ids=["events", "storage"])
def test_exported_event_and_storage_mismatches_fail_on_the_broken_contract_and_pass_on_the_fixed_one(
        tmp_path, name, edit, failure):
    project = scratch_project(tmp_path / "project")
    export_forge(ledger_replay(tmp_path, name, *edit), project / "reports" / "forge")
    fixed = project / "contracts" / "compute" / "LedgerManager.sol"
    original = fixed.read_text()
    fixed.write_text(original.replace(*edit))
    broken = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert broken.returncode != 0 and f"[FAIL: {failure}" in broken.stdout, broken.stdout[-2000:]
    fixed.write_text(original)
    ok = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert ok.returncode == 0 and "[PASS] test_replay()" in ok.stdout, ok.stdout[-2000:] + ok.stderr[-2000:]


def under_one_ether(s, user) -> bool:  # type: ignore[no-untyped-def]
    """A stricter-than-true statement (no user holds a whole ether in the ledger): both the model and
    the contract break it alike, as a design mistake shared by both would."""
    return s.ledger.ethBalances[user] < 10**18


@pytest.fixture
def shared_flaw(monkeypatch):
    """The ledger's invariants plus `under_one_ether`, for the export's differential."""
    from invariants.registry import REGISTRY, Invariant
    from specs.kernel import Address

    inv = Invariant("TEST-LEDGER-001", "LedgerManager", "Invariant: no user holds a whole ether in the ledger.",
                    "a test", "a test", under_one_ether, keys=(("user", Address),))
    real = REGISTRY.for_contracts
    monkeypatch.setattr(REGISTRY, "for_contracts", lambda names: real(names) + [inv])
    monkeypatch.setitem(REGISTRY.invariants, inv.id, inv)
    return inv


def test_an_invariant_both_sides_break_is_exported_as_its_failing_post_state(tmp_path, shared_flaw):
    from harness.fuzz.runner import save_replay

    replay = save_replay(DEPOSIT, "pyrevm", "TEST-LEDGER-001", {}, [], tmp_path / "replays", "compute")
    (out,) = export_forge(replay, tmp_path / "out")
    text = out.read_text()
    assert "require(!_sameState(hex\"" in text and "TEST-LEDGER-001 fails after step 1" in text
    assert "_expectWord(" not in text and "_expectView(" not in text  # model and contract agree


@pytest.mark.slow
def test_an_exported_invariant_failure_fails_where_the_post_state_recurs_and_passes_where_the_invariant_holds(
        tmp_path, shared_flaw):
    from harness.fuzz.runner import save_replay

    project = scratch_project(tmp_path / "project")
    replay = save_replay(DEPOSIT, "pyrevm", "TEST-LEDGER-001", {}, [], tmp_path / "replays", "compute")
    export_forge(replay, project / "reports" / "forge")
    flawed = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert flawed.returncode != 0 and "[FAIL: TEST-LEDGER-001 fails after step 1" in flawed.stdout, flawed.stdout[-2000:]
    # a ledger that credits a wei less keeps every user under one ether: the invariant holds after the call
    ledger = project / "contracts" / "compute" / "LedgerManager.sol"
    ledger.write_text(ledger.read_text().replace(*KEEPS_A_WEI))
    ok = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert ok.returncode == 0 and "[PASS] test_replay()" in ok.stdout, ok.stdout[-2000:] + ok.stderr[-2000:]


# a mismatch while the prepared state is built: its set-up steps become the test's first steps
SERVING_KEEPS_A_WEI = ("        balances[msg.sender] += msg.value;\n", "        balances[msg.sender] += msg.value - 1;\n")


def prepared_state_replay(tmp_path: Path) -> Path:
    from harness.fuzz.compute.machine import PREPARE
    from harness.fuzz.runner import save_replay

    src = variant("InferenceServing_deposit_keeps_a_wei", "InferenceServing", *SERVING_KEEPS_A_WEI)
    return save_replay([dict(PREPARE)], "pyrevm", "prepared state", {"InferenceServing": src}, [],
                       tmp_path / "replays", "compute")


def test_a_mismatch_in_the_prepared_state_is_exported_with_its_set_up_steps(tmp_path):
    from harness.fuzz.compute.machine import setup_steps
    from harness.evm.fixture import deploy
    from specs.suite import get_suite

    (out,) = export_forge(prepared_state_replay(tmp_path), tmp_path / "out")
    text = out.read_text()
    deposit = 1 + [s["function"] for s in setup_steps(deploy("pyrevm", get_suite("compute")).addrs)].index("deposit")
    assert f"// step {deposit}: InferenceServing.deposit()" in text and f"// step {deposit + 1}:" not in text
    assert "_expectWord(" in text.split(f"// step {deposit}:")[1]


@pytest.mark.slow
def test_an_exported_prepared_state_mismatch_fails_on_the_broken_contract_and_passes_on_the_fixed_one(tmp_path):
    project = scratch_project(tmp_path / "project")
    export_forge(prepared_state_replay(tmp_path), project / "reports" / "forge")
    serving = project / "contracts" / "compute" / "InferenceServing.sol"
    original = serving.read_text()
    serving.write_text(original.replace(*SERVING_KEEPS_A_WEI))
    broken = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert broken.returncode != 0 and "[FAIL: storage 0x" in broken.stdout, broken.stdout[-2000:]
    serving.write_text(original)
    ok = run_forge(["test"], root=project, test_dir=Path("reports/forge"))
    assert ok.returncode == 0 and "[PASS] test_replay()" in ok.stdout, ok.stdout[-2000:] + ok.stderr[-2000:]


def test_a_bpe_prepared_state_mismatch_is_exported_with_its_set_up_steps(tmp_path):
    from harness.fuzz.bpe.system import PREPARE
    from harness.fuzz.runner import save_replay
    from tests.bpe.fixtures.broken_contracts import BROKEN

    src = (BROKEN / "StakeManager_cap_rounded_up.sol").resolve().relative_to(Path.cwd().resolve()).as_posix()
    replay = save_replay([dict(PREPARE)], "pyrevm", "prepared state", {"StakeManager": src}, [], tmp_path / "replays", "bpe")
    (out,) = export_forge(replay, tmp_path / "out")
    text = out.read_text()
    assert "it fails at: view StakeManager.getCapacityCap(" in text
    assert "StakeManager.stake(" in text.split("function test_replay()")[1]  # a set-up step, in the test
