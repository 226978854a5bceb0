"""The CI recipe for a team (.github/workflows/verify.yml) runs what .ci/run runs, in the same order, fails
on `make verify`'s exit code, and hands over the reports whatever the verdict: SARIF to code scanning, the
HTML report, REPORT.md, the replays and the Foundry exports as artifacts. The size check both run catches
a REPORT.md too long for a pull-request comment."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "verify.yml"
COMMAND_WORDS = ("make", "bash")  # what a CI step runs; echo, set, cd and head are narration


def commands(lines: list[str]) -> list[str]:
    out = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.split(" ", 1)[0] in COMMAND_WORDS:
            out.append(" ".join(line.split()))
    return out


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps() -> list[dict]:
    (job,) = workflow()["jobs"].values()
    return job["steps"]


def test_the_workflow_runs_the_commands_of_ci_run_in_order():
    ci = commands((REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines())
    assert "make test" in ci and "make verify" in ci  # the README's two commands
    wf = commands([line for s in steps() if "run" in s for line in s["run"].splitlines()])
    assert wf == ci


def test_the_workflow_fails_on_the_exit_code_and_uploads_whatever_the_verdict():
    doc = workflow()
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    assert doc["permissions"]["security-events"] == "write"
    verify = next(s for s in steps() if s.get("run") == "make verify")
    assert "if" not in verify and not any(s.get("continue-on-error") for s in steps())
    sarif = next(s for s in steps() if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif"))
    assert sarif["with"]["sarif_file"] == "reports/report.sarif" and "always()" in sarif["if"]
    artifacts = next(s for s in steps() if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert "always()" in artifacts["if"]
    paths = artifacts["with"]["path"].split()
    assert {"reports/report.html", "reports/REPORT.md", "reports/forge/", "reports/report.sarif"} <= set(paths)


def test_the_readme_shows_how_a_team_adds_the_workflow():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert ".github/workflows/verify.yml" in readme


@pytest.mark.catches("report-size")
@pytest.mark.parametrize("size, code", [(59_999, 0), (60_000, 1), (None, 3)])
def test_the_size_check_catches_a_report_too_long_for_a_comment(size, code, tmp_path):
    report = tmp_path / "REPORT.md"
    if size is not None:
        report.write_text("x" * size)
    p = subprocess.run(["bash", str(REPO / ".ci" / "report-size"), str(report)], capture_output=True, text=True)
    assert p.returncode == code, p.stderr
    if code:
        assert p.stderr.count("\n") == 1 and str(report) in p.stderr
