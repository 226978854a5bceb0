"""The console command: `make setup` installs the checkout editable, which puts `workbench` in .venv/bin;
it is `python -m harness.cli` under another name, with `--version`, the mutation runner as a subcommand
and a bash completion script generated from the parser."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from harness import cli

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def workbench() -> str:
    found = shutil.which(cli.COMMAND, path=str(BIN))
    assert found, f"no {cli.COMMAND} in {BIN}: `make setup` installs the checkout editable (pip install -e .)"
    return found


def run(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=REPO)


def test_pyproject_declares_the_console_command():
    meta = pyproject()["project"]
    assert meta["name"] == cli.DISTRIBUTION
    assert meta["scripts"] == {cli.COMMAND: "harness.cli:console"}


def test_the_installed_command_runs_verify_help_and_says_its_version():
    p = run(workbench(), "verify", "--help")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"usage: {cli.COMMAND} verify")
    p = run(workbench(), "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"{cli.COMMAND} {pyproject()['project']['version']}"


def test_python_m_harness_cli_keeps_working():
    p = run(sys.executable, "-m", "harness.cli", "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"python -m harness.cli {pyproject()['project']['version']}"


def test_a_bad_argument_to_the_command_is_one_line_and_exit_3():
    p = run(workbench(), "verify", "--no-such-flag")
    assert p.returncode == 3 and p.stderr.count("\n") == 1 and "--no-such-flag" in p.stderr


def test_mutate_is_the_mutation_runner_with_its_own_arguments(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["mutate", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    assert "usage: python -m harness.mutate" in out and "{list,run,bench,report}" in out
    # a bad argument of its own is its one line and exit 3
    with pytest.raises(SystemExit) as e:
        cli.main(["mutate", "run", "--suite", "no-such-suite"])
    assert e.value.code == 3 and "invalid choice: 'no-such-suite'" in capsys.readouterr().err


def complete(script: str, *words: str) -> list[str]:
    """What bash completes for the command line `words` (the last one being typed)."""
    line = " ".join(f"'{w}'" for w in words)
    probe = f'{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _workbench; printf "%s\\n" "${{COMPREPLY[@]}}"'
    p = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30, cwd=REPO)
    assert p.returncode == 0, p.stderr
    return p.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_bash_completion_completes_subcommands_options_and_choices(capsys):
    assert cli.main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert script.rstrip().endswith(f"complete -F _workbench {cli.COMMAND}")
    assert complete(script, "workbench", "ver") == ["verify"]
    assert complete(script, "workbench", "verify", "--su") == ["--suite"]
    assert complete(script, "workbench", "completion", "") == ["-h", "--help", "bash"]
    assert set(complete(script, "workbench", "")) >= {"verify", "replay", "report", "bench", "simulate", "mutate",
                                                     "--version"}
