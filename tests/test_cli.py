"""The command line: a compiler error is reported with file and line and exit code 3, and still
writes a report saying so."""

import json

from harness import cli
from harness.errors import CompileError


def test_verify_exits_3_on_a_compiler_error_and_reports_it(monkeypatch, tmp_path, capsys):
    import harness.evm.compile as compile_mod

    def broken_compile(*a, **k):
        raise CompileError("contracts/StakeManager.sol:12:5: ParserError: Expected ';' but got '}'",
                           [{"file": "contracts/StakeManager.sol", "line": 12, "column": 5,
                             "severity": "error", "type": "ParserError", "message": "Expected ';' but got '}'"}])

    monkeypatch.setattr(compile_mod, "compile_contracts", broken_compile)
    assert cli.main(["verify", "--out", str(tmp_path)]) == 3
    assert "contracts/StakeManager.sol:12:5" in capsys.readouterr().err
    doc = json.loads((tmp_path / "verify.json").read_text())
    assert doc["exit_code"] == 3 and doc["checks"][0]["status"] == "ERROR"
    assert "ERROR" in (tmp_path / "REPORT.md").read_text()


def test_help_lists_every_subcommand(capsys):
    try:
        cli.main(["--help"])
    except SystemExit as e:
        assert e.code == 0
    out = capsys.readouterr().out
    for cmd in ("verify", "replay", "report", "bench"):
        assert cmd in out


def test_progress_prints_a_line_per_quarter_in_ci_logs(capsys):
    tick = cli.progress("sequences", 8)
    for i in range(1, 9):
        tick(i)
    lines = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert lines == [f"  sequences: {n}/8" for n in (2, 4, 6, 8)]


def test_every_subcommand_has_help(capsys):
    for cmd in ("verify", "replay", "report", "bench"):
        try:
            cli.main([cmd, "--help"])
        except SystemExit as e:
            assert e.code == 0
        assert "usage:" in capsys.readouterr().out


def test_a_violation_message_names_only_replays_that_happened():
    replayed = {"evm_replay": [{"engine": "pyrevm", "confirmed": True}, {"engine": "py-evm", "confirmed": True}]}
    assert cli.violation_message(replayed) == "counterexample replayed on the model and on pyrevm, py-evm"
    assert cli.violation_message({}) == "counterexample confirmed on the model only, not replayed on an EVM"
    flow = {"evm_replay": "not replayed: an arbitrary framework state"}  # invariants/flow.py's counterexamples
    assert cli.violation_message(flow).startswith("counterexample confirmed on the model only")
    assert "pyrevm" not in cli.violation_message(flow)
