"""The Makefile's bootstrap stops with one line naming a tool that is not on PATH, before running anything."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("target, missing", [("node_modules/.installed", "node"),
                                             (".cache/superfluid/package/.fetched.json", "npm")])
def test_a_missing_node_or_npm_stops_make_with_one_line(target, missing, tmp_path):
    from tests.one_line import one_line

    make = shutil.which("make")
    assert make is not None, "make is needed to build the workbench"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").symlink_to(make)
    if missing == "npm":  # node present, npm not: the npm check itself must fire
        node = shutil.which("node")
        assert node is not None
        (bin_dir / "node").symlink_to(node)
    # -n: nothing is run; -W: the target's prerequisite counts as changed, so its recipe is expanded
    prereq = "package-lock.json" if missing == "node" else "harness/evm/fetch_superfluid.py"
    # -o: .venv counts as up to date whatever its stamp's age, so that only the tool under test is looked for
    proc = subprocess.run([str(bin_dir / "make"), "-n", "-W", prereq, "-o", ".venv/.installed", target], cwd=REPO,
                          capture_output=True,
                          text=True, env={"PATH": str(bin_dir)}, timeout=60)
    assert proc.returncode == 2, proc.stderr  # make's own exit code for a failed build
    line = one_line(proc.stderr)
    assert f"{missing} is not on PATH" in line and "Node.js" in line, line
