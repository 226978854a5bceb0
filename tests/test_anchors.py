"""Every `# Solidity: File.sol#Lx-y` anchor in the models points at the code it annotates.

A model function named like a Solidity function (`construct` for the constructor) must anchor exactly
that function: from the line of its `function name(` / `constructor(` header to its closing brace. A
helper of the model without a Solidity namesake (a loop, a loop body, the tail of a function) must anchor
lines inside one Solidity function and quote, in backticks in its docstring, the code its first anchored
line holds. An anchor that drifted (the contract moved on, the anchor did not) fails with the file, the
function and where the Solidity code is now. The file is looked up in the model's suite: a model under
specs/<suite>/ anchors contracts/<suite>/ (BPE's: specs/bpe/ -> contracts/bpe/).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ANCHOR = re.compile(r"Solidity: ([A-Za-z0-9_]+\.sol)#L(\d+)(?:-L?(\d+))?")
SNIPPET = re.compile(r"`([^`]+)`")
HEADER = re.compile(r"^\s*(?:function\s+([A-Za-z0-9_]+)\s*\(|(constructor)\s*\()")


def solidity_functions(path: Path) -> dict[str, list[tuple[int, int]]]:
    """name -> [(first line, last line)] of every function (and the constructor) of a Solidity file,
    by brace matching from its header (comments and strings in these contracts hold no braces)."""
    lines = path.read_text().splitlines()
    out: dict[str, list[tuple[int, int]]] = {}
    for i, line in enumerate(lines):
        m = HEADER.match(line)
        if not m:
            continue
        name = m.group(1) or "constructor"
        depth, opened, end = 0, False, None
        for j in range(i, len(lines)):
            code = lines[j].split("//")[0]
            depth += code.count("{") - code.count("}")
            opened = opened or "{" in code
            if opened and depth == 0:
                end = j + 1
                break
            if not opened and ";" in code:  # an interface declaration: no body
                break
        if end is not None:
            out.setdefault(name, []).append((i + 1, end))
    return out


def contracts_of(model: str) -> str:
    """The folder a model's anchors point into: a suite's models (specs/<suite>/...) anchor its own
    Solidity (contracts/<suite>/), a model directly under specs/ anything under contracts/."""
    parts = Path(model).parts
    return f"contracts/{parts[1]}" if len(parts) > 2 and parts[0] == "specs" else "contracts"


def contract_file(name: str, folder: str = "contracts") -> Path | None:
    hits = [p for p in (REPO / folder).rglob(name)]
    return hits[0] if len(hits) == 1 else None


def anchors() -> list[tuple[str, int, str, str, int, int, tuple[str, ...]]]:
    """(model file, line, python function, Solidity file, first, last, quoted code) of every anchor in
    specs/."""
    out = []
    for path in sorted((REPO / "specs").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body_start = node.body[0].lineno if node.body else node.lineno
            doc = ast.get_docstring(node, clean=False) or ""
            for m in ANCHOR.finditer(doc):
                first = int(m.group(2))
                out.append((str(path.relative_to(REPO)), body_start, node.name, m.group(1), first,
                            int(m.group(3) or first), tuple(SNIPPET.findall(doc))))
    return out


def _bare(code: str) -> str:
    return re.sub(r"\s+", "", code)


def anchor_problems(items: list[tuple[str, int, str, str, int, int, tuple[str, ...]]]) -> list[str]:
    problems = []
    cache: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for model, line, fn, sol, first, last, quoted in items:
        where = f"{model}:{line} {fn}: Solidity: {sol}#L{first}-{last}"
        folder = contracts_of(model)
        path = contract_file(sol, folder)
        if path is None:
            problems.append(f"{where}: no (single) {folder}/**/{sol}")
            continue
        funcs = cache.setdefault(str(path), solidity_functions(path))
        name = "constructor" if fn in ("construct", "constructor") else fn
        if name in funcs:
            if (first, last) not in funcs[name]:
                now = ", ".join(f"L{a}-{b}" for a, b in funcs[name])
                problems.append(f"{where}: {sol}'s {name} is at {now}")
        elif not any(a <= first <= last <= b for spans in funcs.values() for a, b in spans):
            problems.append(f"{where}: not inside one function of {sol}")
        else:
            head = _bare(path.read_text().splitlines()[first - 1].split("//")[0].rstrip("{ \n"))
            if not any(head and (head in _bare(q) or _bare(q) in head) for q in quoted):
                problems.append(f"{where}: quotes none of the code of line {first} ({head!r})")
    return problems


def test_every_anchor_points_at_the_function_it_annotates():
    items = anchors()
    assert len(items) >= 50  # the models are anchored, and the scan finds them
    problems = anchor_problems(items)
    assert not problems, "stale Solidity anchors:\n" + "\n".join(problems)


@pytest.mark.catches("anchors")
def test_a_drifted_anchor_is_reported():
    """The check itself: an anchor a few lines off, one past the end of the file, one in no function and
    one into another suite's folder (a suite's models anchor its own Solidity only)."""
    funcs = solidity_functions(REPO / "contracts" / "bpe" / "StakeManager.sol")
    (a, b), = funcs["stake"]
    items = [("specs/bpe/x.py", 1, "stake", "StakeManager.sol", a + 3, b + 3, ()),
             ("specs/bpe/x.py", 2, "_helper", "StakeManager.sol", 10_000, 10_001, ()),
             ("specs/bpe/x.py", 3, "_step", "StakeManager.sol", a + 1, a + 2, ("no such code",)),
             ("specs/other/x.py", 4, "stake", "StakeManager.sol", a, b, ()),
             ("specs/bpe/x.py", 5, "stake", "StakeManager.sol", a, b, ()),
             ("specs/x.py", 6, "stake", "StakeManager.sol", a, b, ())]
    problems = anchor_problems(items)
    assert len(problems) == 4, problems
    assert "stake is at" in problems[0] and "not inside one function" in problems[1]
    assert "quotes none of the code" in problems[2]
    assert "no (single) contracts/other/**/StakeManager.sol" in problems[3]
