"""Dependencies point down: specs/ imports neither invariants/ nor harness/, and invariants/ does not
import harness/. Every import statement counts, the ones inside functions too, since a lazy import
upward ties the layers together just the same."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# layer -> the top-level packages it must not import
FORBIDDEN = {"specs": ("invariants", "harness", "sdk", "tests"), "invariants": ("harness", "sdk", "tests")}


def upward_imports(root: Path, forbidden: tuple[str, ...]) -> list[str]:
    """`file:line: module` for every import under `root` of a package in `forbidden`."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                if name.split(".")[0] in forbidden:
                    found.append(f"{path.relative_to(root.parent)}:{node.lineno}: {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_dependencies_point_down(layer):
    assert (REPO / layer).is_dir()
    assert upward_imports(REPO / layer, FORBIDDEN[layer]) == []


def test_an_upward_import_is_found(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "model.py").write_text(
        "import os\nfrom specs.kernel import U256\n\ndef f():\n    from harness.fuzz import runner\n    import invariants.bpe.all\n")
    found = upward_imports(tmp_path / "specs", FORBIDDEN["specs"])
    assert found == ["specs/model.py:5: harness.fuzz", "specs/model.py:6: invariants.bpe.all"]


# The shared prover core: no module here may import a suite's package (a suite's facts reach it as
# arguments: the system, the environment assumptions, the declaration)
SHARED_CORE = ("invariants/prover.py", "invariants/suite.py", "invariants/registry.py", "invariants/parallel.py")


def suite_imports(path: Path, suite_names: list[str]) -> list[str]:
    """`line: module` for every import in `path` of a module under `specs.<suite>` or `invariants.<suite>`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) > 1 and parts[0] in ("specs", "invariants") and parts[1] in suite_names:
                found.append(f"{node.lineno}: {name}")
                break  # one line per import statement
    return found


@pytest.mark.parametrize("module", SHARED_CORE)
def test_the_prover_core_imports_no_suite(module):
    from specs.suite import suite_names

    assert suite_imports(REPO / module, suite_names()) == []


def test_a_suite_import_in_the_core_is_found(tmp_path):
    (tmp_path / "core.py").write_text("from specs.deploy import System\nfrom specs.bpe.system import build_system\n"
                                      "def f():\n    from invariants import bpe\n")
    assert suite_imports(tmp_path / "core.py", ["bpe"]) == ["2: specs.bpe.system", "4: invariants.bpe"]
