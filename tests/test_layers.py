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
