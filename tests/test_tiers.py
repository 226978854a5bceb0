"""The test suite's tiers: `make test` runs everything not marked `slow` (the README's test command, a
few minutes), `make test-slow` the rest, `make test-all` both. The fast tier must still show every
checker catching a deliberately broken contract, model, file or test (tests/checkers.py).

The tiers are read the way pytest reads them: the modules that mark a test `catches(...)` are collected
(not run) in a subprocess with tests/tier_plugin.py, which records each test's marks, wherever they were
put (module, function or parameter).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.checkers import CHECKERS

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def collect(paths: list[Path], tmp_path: Path) -> list[dict]:
    """[{"id", "slow", "catches"}] for every test pytest collects from `paths`."""
    report = tmp_path / "tiers.json"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"), "--rootdir", str(REPO),
                           "--collect-only", "-q", "-p", "tests.tier_plugin",
                           *map(str, paths)], cwd=REPO, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "TIER_REPORT": str(report)})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(report.read_text())


def test_every_checker_is_shown_catching_a_broken_input_in_the_fast_tier(tmp_path):
    modules = [p for p in sorted(TESTS.rglob("test_*.py")) if "mark.catches(" in p.read_text()]
    assert len(modules) >= 10
    items = collect(modules, tmp_path)
    unknown = sorted({(i["id"], name) for i in items for name in i["catches"] if name not in CHECKERS})
    assert not unknown, f"catches(...) names a checker tests/checkers.py does not list: {unknown}"
    fast = {name for i in items if not i["slow"] for name in i["catches"]}
    missing = {name: about for name, about in CHECKERS.items() if name not in fast}
    assert not missing, f"no test outside the slow tier is marked catches(...) for: {missing}"


SAMPLE = '''
import pytest

pytestmark = pytest.mark.catches("prover")


@pytest.mark.slow
def test_slow_function():
    assert 1


@pytest.mark.catches("slither")
@pytest.mark.parametrize("v", [pytest.param(1, marks=pytest.mark.slow), 2])
def test_one_case_slow(v):
    assert v
'''


def test_the_tier_reader_sees_module_function_and_parameter_marks(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(SAMPLE)
    items = {i["id"].split("::")[-1]: i for i in collect([sample], tmp_path)}
    assert items["test_slow_function"] == {**items["test_slow_function"], "slow": True, "catches": ["prover"]}
    assert items["test_one_case_slow[1]"]["slow"] and not items["test_one_case_slow[2]"]["slow"]
    assert sorted(items["test_one_case_slow[2]"]["catches"]) == ["prover", "slither"]
