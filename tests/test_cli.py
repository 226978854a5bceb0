"""The command line: a compiler error is reported with file and line and exit code 3, and still
writes a report saying so."""

import json

from harness import cli
from specs.errors import CompileError
from tests.one_line import one_line


def test_verify_exits_3_on_a_compiler_error_and_reports_it(monkeypatch, tmp_path, capsys):
    import harness.evm.compile as compile_mod

    def broken_compile(*a, **k):
        raise CompileError("contracts/bpe/StakeManager.sol:12:5: ParserError: Expected ';' but got '}'",
                           [{"file": "contracts/bpe/StakeManager.sol", "line": 12, "column": 5,
                             "severity": "error", "type": "ParserError", "message": "Expected ';' but got '}'"}])

    monkeypatch.setattr(compile_mod, "compile_contracts", broken_compile)
    assert cli.main(["verify", "--out", str(tmp_path)]) == 3
    assert "contracts/bpe/StakeManager.sol:12:5" in capsys.readouterr().err
    doc = json.loads((tmp_path / "verify.json").read_text())
    assert doc["exit_code"] == 3 and doc["checks"][0]["status"] == "ERROR"
    assert "ERROR" in (tmp_path / "REPORT.md").read_text()


def test_help_lists_every_subcommand(capsys):
    try:
        cli.main(["--help"])
    except SystemExit as e:
        assert e.code == 0
    out = capsys.readouterr().out
    for cmd in ("verify", "replay", "report", "bench", "simulate", "export-forge", "mutate", "completion"):
        assert cmd in out


def test_progress_prints_a_line_per_quarter_in_ci_logs(capsys):
    tick = cli.progress("sequences", 8)
    for i in range(1, 9):
        tick(i)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert lines == [f"  sequences: {n}/8" for n in (2, 4, 6, 8)]


def test_every_subcommand_has_help(capsys):
    for cmd in ("verify", "replay", "report", "bench", "simulate", "export-forge", "mutate", "completion"):
        try:
            cli.main([cmd, "--help"])
        except SystemExit as e:
            assert e.code == 0
        assert "usage:" in capsys.readouterr().out


def test_a_violation_message_names_only_replays_that_happened():
    replayed = {"evm_replay": [{"engine": "pyrevm", "confirmed": True}, {"engine": "py-evm", "confirmed": True}]}
    assert cli.violation_message(replayed) == "counterexample replayed on the model and on pyrevm, py-evm"
    assert cli.violation_message({}) == "counterexample confirmed on the model only, not replayed on an EVM"
    flow = {"evm_replay": "not replayed: an arbitrary framework state"}  # invariants/bpe/flow.py's counterexamples
    assert cli.violation_message(flow).startswith("counterexample confirmed on the model only")
    assert "pyrevm" not in cli.violation_message(flow)


# -- bad input: one line naming the file and the cause, exit code 3, no traceback ----------------------

GOOD_STEPS = [{"op": "prepare", "setup": "system/1"},
              {"op": "call", "contract": "StakeManager", "function": "stake", "sender": 1, "args": [1]}]


def _replay_doc(**fields):
    doc = {"schema": "workbench-replay/2", "suite": "bpe", "engine": "pyrevm", "source_overrides": {}, "model_overrides": [],
           "mismatch": "", "steps": GOOD_STEPS}
    doc.update(fields)
    return json.dumps(doc)


BAD_REPLAYS = {
    "missing": (None, "no such replay file"),
    "truncated": (_replay_doc()[:40], "not valid JSON (line 1"),
    "not a replay": (json.dumps({"checks": []}), 'not a replay file (no "schema" field'),
    "another schema version": (_replay_doc(schema="bpe-replay/1"), "schema 'bpe-replay/1'"),
    "an unregistered suite": (_replay_doc(suite="nope"), "suite 'nope': not a registered suite"),
    "no suite": (_replay_doc(suite=None), "suite None: not a registered suite"),
    "another machine": (_replay_doc(machine="CapacityRegistry"), "machine 'CapacityRegistry'"),
    "unknown contract": (_replay_doc(steps=[GOOD_STEPS[0], {**GOOD_STEPS[1], "contract": "Nope"}]),
                         "steps[1].contract: unknown contract 'Nope'"),
    "unknown function": (_replay_doc(steps=[GOOD_STEPS[0], {**GOOD_STEPS[1], "function": "steal"}]),
                         "steps[1].function: StakeManager has no function 'steal'"),
    "unknown op": (_replay_doc(steps=[{"op": "teleport"}]), "steps[0]: unknown step 'teleport'"),
    "an unknown difference kind": (_replay_doc(schema="workbench-replay/3", differences=[
        {"kind": "vibes", "path": "StakeManager.stakes[0x1]", "model": "1", "evm": "2", "step": 1, "text": ""}]),
        "differences[0]: unknown difference kind 'vibes'"),
    "differences not a list": (_replay_doc(schema="workbench-replay/3", differences="success differs"),
                               "differences: expected a list of difference records"),
    "missing source override": (_replay_doc(source_overrides={"StakeManager": "nowhere/StakeManager.sol"}),
                                "source_overrides.StakeManager: no such source file"),
}


def _one_line_error(capsys) -> str:
    return one_line(capsys.readouterr().err)


import pytest  # noqa: E402


@pytest.mark.parametrize("case", sorted(BAD_REPLAYS))
def test_replay_of_a_bad_file_is_one_line_naming_the_file_and_exit_3(case, tmp_path, capsys):
    text, expected = BAD_REPLAYS[case]
    path = tmp_path / "replay.json"
    if text is not None:
        path.write_text(text)
    assert cli.main(["replay", str(path)]) == 3
    line = _one_line_error(capsys)
    assert str(path) in line and expected in line, line


@pytest.mark.parametrize("case", ["missing", "truncated", "not results"])
def test_report_from_a_bad_verify_json_is_one_line_and_exit_3(case, tmp_path, capsys):
    if case != "missing":
        (tmp_path / "verify.json").write_text('{"schema_version": "1.0", "che' if case == "truncated" else "[1, 2]")
    assert cli.main(["report", "--out", str(tmp_path)]) == 3
    line = _one_line_error(capsys)
    assert str(tmp_path / "verify.json") in line, line
    assert not (tmp_path / "REPORT.md").exists()  # nothing written


@pytest.mark.parametrize("argv", [["replay", "x.json", "--engine", "geth"], ["verify", "--engines", "pyrevm,geth"],
                                  ["frobnicate"], ["verify", "--mutation-sample", "many"]])
def test_bad_arguments_are_a_tool_error_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 3
    assert "error:" in _one_line_error(capsys)


def test_an_internal_error_is_one_line_and_debug_shows_the_traceback(monkeypatch, tmp_path, capsys):
    def crash(*_a, **_k):
        raise KeyError("boom")

    monkeypatch.setattr(cli, "report_cmd", crash)
    assert cli.main(["report", "--out", str(tmp_path)]) == 3
    assert "internal error: KeyError" in _one_line_error(capsys)
    with pytest.raises(KeyError):
        cli.main(["--debug", "report", "--out", str(tmp_path)])


@pytest.mark.parametrize("module, argv", [
    ("harness.sim.bpe.__main__", ["run", "x.toml", "--gas-engine", "geth"]),
    ("harness.mutate.__main__", ["frobnicate"]),
    ("harness.evm.compile", ["--bogus"]),
    ("harness.analysis.slither_run", ["--bogus"]),
    ("harness.evm.fetch_superfluid", ["--bogus"]),
])
def test_every_workbench_command_answers_a_bad_argument_with_one_line_and_exit_3(module, argv, capsys):
    import importlib

    with pytest.raises(SystemExit) as e:
        importlib.import_module(module).main(argv)
    assert e.value.code == 3
    assert "error:" in _one_line_error(capsys)


def _results_of_two_suites(path):
    from harness.report.results import Check, Results

    r = Results(config={"suites": ["bpe", "other"], "not_proved": [
        {"suite": "bpe", "id": "A/*"}, {"suite": "other", "id": "B/*"}]})
    r.add(Check("COMPILE", "compile", "*", "PASSED", 0.1, "compiles"))
    r.add(Check("A-001/init", "proof", "StakeManager", "PROVED", 0.1, "a", suite="bpe"))
    r.add(Check("B-001/init", "proof", "Other", "VIOLATED", 0.1, "b", {"message": "cex"}, suite="other"))
    r.write_json(path / "verify.json")
    return (path / "verify.json").read_text()


def test_report_renders_one_suite_and_leaves_verify_json_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "simulation_sections", lambda selected: ())
    before = _results_of_two_suites(tmp_path)
    assert cli.main(["report", "--out", str(tmp_path), "--suite", "bpe"]) == 0
    md, table = (tmp_path / "REPORT.md").read_text(), (tmp_path / "OBLIGATIONS.md").read_text()
    assert "`A-001`" in md and "B-001" not in md and "COMPILE" in md
    assert "A-001/init" in table and "B-001/init" not in table
    assert (tmp_path / "verify.json").read_text() == before  # the input is never rewritten
    assert cli.main(["report", "--out", str(tmp_path)]) == 0
    assert "`B-001`" in (tmp_path / "REPORT.md").read_text() and "B-001/init" in (tmp_path / "OBLIGATIONS.md").read_text()


def test_report_of_a_suite_absent_from_the_file_is_one_line_and_exit_3(tmp_path, capsys, monkeypatch):
    from harness.report.results import Check, Results

    r = Results()
    r.add(Check("COMPILE", "compile", "*", "PASSED", 0.1, "compiles"))
    r.write_json(tmp_path / "verify.json")
    assert cli.main(["report", "--out", str(tmp_path), "--suite", "bpe"]) == 3
    line = _one_line_error(capsys)
    assert "no check of suite bpe" in line and str(tmp_path / "verify.json") in line, line
    assert not (tmp_path / "REPORT.md").exists()


def test_simulate_of_a_suite_without_a_simulation_is_one_line_and_exit_3(capsys, monkeypatch):
    import dataclasses

    import specs.suite as suite_mod

    bare = dataclasses.replace(suite_mod.get_suite("bpe"), simulation="")
    monkeypatch.setattr(suite_mod, "get_suite", lambda name: bare)
    assert cli.main(["simulate", "--suite", "bpe", "bench"]) == 3
    line = _one_line_error(capsys)
    assert "no simulation declared" in line, line


def test_bench_writes_the_figures_of_every_suite_and_nothing_when_the_mix_fails(tmp_path, monkeypatch, capsys):
    import json

    import invariants.suite as proofs
    from invariants.prover import ObligationResult

    figures = {"sequences_recorded": 1, "engines": {"pyrevm": {"raw_calls_per_s": 100.0, "ratio": 0.5}}}
    monkeypatch.setattr(cli, "bench_suite", lambda suite, engines, n: dict(figures))
    monkeypatch.setattr(proofs, "prove_suite", lambda suite, jobs: [
        ObligationResult("X-001/init", "proof", "StakeManager", "PROVED", 0.5, "x")])
    out = tmp_path / "bench.json"
    assert cli.main(["bench", "--suite", "bpe", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == cli.BENCH_SCHEMA and doc["tool_versions"]
    assert doc["suites"]["bpe"]["engines"] == figures["engines"]
    assert doc["suites"]["bpe"]["proofs"]["statuses"] == {"PROVED": 1}

    def failing(suite, engines, n):
        raise cli.BenchFailed("suite bpe on pyrevm: the benchmark mix did not pass: x", "VIOLATED")

    monkeypatch.setattr(cli, "bench_suite", failing)
    out.unlink()
    assert cli.main(["bench", "--suite", "bpe", "--out", str(out)]) == 1
    assert not out.exists()  # no figure from a mix that did not pass


def test_a_failing_foundry_export_leaves_the_verdict_and_says_why(monkeypatch, tmp_path, capsys):
    import harness.forge

    def broken(results, out):
        raise RuntimeError("no forge")

    monkeypatch.setattr(harness.forge, "export_violations", broken)
    cli.export_to_forge(object(), tmp_path / "forge")  # returns: the run's exit code is decided elsewhere
    assert "export-forge: not written: RuntimeError: no forge" in capsys.readouterr().err

    def two(results, out):
        out.mkdir(parents=True)
        (out / "NOT-EXPORTED.txt").write_text("X: a prover counterexample\n")
        return [out / "A.t.sol", out / "B.t.sol"]

    monkeypatch.setattr(harness.forge, "export_violations", two)
    cli.export_to_forge(object(), tmp_path / "forge")
    err = capsys.readouterr().err
    assert "Foundry tests of the counterexamples: 2 in" in err and "NOT-EXPORTED.txt" in err


def test_fail_fast_skips_the_rest_of_a_suite_once_a_check_is_violated_and_says_what(monkeypatch):
    import harness.evm.fixture as fixture
    from harness.report.results import Check, Results
    from specs.suite import get_suite

    monkeypatch.setattr(fixture, "suite_artifacts", lambda build, deployments: {})
    monkeypatch.setattr(fixture, "deploy", lambda eng, suite, artifacts: object())

    def proofs_find_a_violation(results, fixtures, rlimit, *, suite, jobs=2):
        results.add(Check("X-001/f", "proof", "X", "VIOLATED", 0.1, "x", {"message": "cex"}, suite=suite.name))

    def must_not_run(*a, **k):
        raise AssertionError("skipped by --fail-fast")

    monkeypatch.setattr(cli, "prove_into", proofs_find_a_violation)
    monkeypatch.setattr(cli, "fuzz_into", must_not_run)
    monkeypatch.setattr("harness.mutate.report.sample_checks", must_not_run)
    results = Results()
    cli.verify_suite(results, get_suite("compute"), object(), engines=("pyrevm",), profile_name="ci", budget={},
                     prover_rlimit=1000, mutation_sample={"n": 1, "seed": 6}, fail_fast=True)
    assert results.config["skipped_by_fail_fast"] == ["suite compute: fuzzing", "suite compute: mutation sample"]
    # without the flag both run (and here they are the stubs that fail)
    with pytest.raises(AssertionError, match="skipped by --fail-fast"):
        cli.verify_suite(Results(), get_suite("compute"), object(), engines=("pyrevm",), profile_name="ci",
                         budget={}, prover_rlimit=1000, mutation_sample={"n": 1, "seed": 6})
