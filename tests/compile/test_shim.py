"""bin/solc, the solc command-line shim over solc-js: the parts of native solc's CLI that crytic-compile uses."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from crytic_compile.platform.solc import get_version

from harness.evm.compile import SOLC_SHIM

VERSION_OUTPUT = re.compile(
    r"solc, the solidity compiler commandline interface\nVersion: 0\.8\.28\+commit\.[0-9a-f]{8}\.Emscripten\.clang\n"
)


def run_shim(args: list[str], stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(SOLC_SHIM), *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120)


def standard_json(sources: dict[str, str]) -> str:
    return json.dumps(
        {
            "language": "Solidity",
            "sources": {name: {"urls": [url]} for name, url in sources.items()},
            "settings": {"outputSelection": {"*": {"*": ["abi"]}}},
        }
    )


def error_messages(output: dict) -> list[str]:
    return [e["message"] for e in output.get("errors", []) if e["severity"] == "error"]


def test_version_prints_native_solc_format():
    proc = run_shim(["--version"])
    assert proc.returncode == 0, proc.stderr
    assert VERSION_OUTPUT.fullmatch(proc.stdout), proc.stdout


def test_crytic_compile_parses_the_version():
    assert get_version(str(SOLC_SHIM), None) == "0.8.28"


def test_unknown_argument_exits_2_with_message():
    proc = run_shim(["--bin", "x.sol"])
    assert proc.returncode == 2
    assert "unsupported argument: --bin" in proc.stderr
    assert proc.stdout == ""


def test_no_mode_exits_2():
    proc = run_shim([])
    assert proc.returncode == 2
    assert "--standard-json" in proc.stderr


def test_standard_json_reads_urls_under_the_base_path(tmp_path):
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "A.sol").write_text(
        'pragma solidity ^0.8.0; import "./B.sol"; contract A is B {}\n'
    )
    (project / "src" / "B.sol").write_text("pragma solidity ^0.8.0; contract B { uint256 public b; }\n")
    proc = run_shim(
        ["--standard-json", "--base-path", str(project), "--allow-paths", str(project)],
        stdin=standard_json({"src/A.sol": "src/A.sol"}),
        cwd=tmp_path,  # not the base path: names resolve under --base-path
    )
    assert proc.returncode == 0, proc.stderr
    output = json.loads(proc.stdout)
    assert error_messages(output) == []
    assert sorted(output["sources"]) == ["src/A.sol", "src/B.sol"]
    assert "A" in output["contracts"]["src/A.sol"]


def test_file_outside_allowed_paths_is_refused(tmp_path):
    project, outside = tmp_path / "project", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (outside / "Out.sol").write_text("pragma solidity ^0.8.0; contract Out {}\n")
    name = str(outside / "Out.sol")
    proc = run_shim(["--standard-json", "--allow-paths", str(project)], standard_json({name: name}), cwd=project)
    assert proc.returncode == 0, proc.stderr
    [message] = error_messages(json.loads(proc.stdout))
    assert "File outside of allowed directories" in message


def test_missing_file_is_reported_to_the_compiler(tmp_path):
    proc = run_shim(["--standard-json"], standard_json({"Nope.sol": "Nope.sol"}), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [message] = error_messages(json.loads(proc.stdout))
    assert "File not found" in message


def test_malformed_input_is_a_json_error_not_a_crash():
    proc = run_shim(["--standard-json"], "{not json")
    assert proc.returncode == 0, proc.stderr
    output = json.loads(proc.stdout)
    assert output["errors"][0]["severity"] == "error"


def test_a_missing_node_is_one_line_and_exit_3(tmp_path):
    """Without node on PATH the shim cannot start: the compile command says so in one line, exit 3."""
    import sys

    from harness.evm.compile import REPO
    from tests.one_line import one_line

    empty = tmp_path / "bin"
    empty.mkdir()
    proc = subprocess.run([sys.executable, "-m", "harness.evm.compile"], capture_output=True, text=True,
                          cwd=REPO, env={"PATH": str(empty), "PYTHONPATH": str(REPO)}, timeout=300)
    assert proc.returncode == 3, proc.stderr
    line = one_line(proc.stderr)
    assert "node is not on PATH" in line and str(SOLC_SHIM) in line, line
