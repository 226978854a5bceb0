"""A test that cannot fail is a defect: a lint over the test suite's own source.

Flags, in every test function of tests/:
- no assertion at all: no `assert`, no `raises(` and no call of a helper of its module that asserts;
- a loop over an empty literal (`for x in ()`), or over a module constant bound to one;
- every assertion inside loops none of which is known to iterate (a literal with elements, `range` of a
  positive constant, a module constant bound to such a literal): if the collection comes back empty the
  test passes having checked nothing; assert that it is not empty (`assert results`) outside the loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def _non_empty_literal(node: ast.AST, constants: dict[str, ast.AST]) -> bool | None:
    """True: a literal (or constant) with elements; False: an empty one; None: not known statically."""
    if isinstance(node, ast.Name) and node.id in constants:
        return _non_empty_literal(constants[node.id], {})
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.keys)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        sides = [_non_empty_literal(node.left, constants), _non_empty_literal(node.right, constants)]
        return True if True in sides else (False if sides == [False, False] else None)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("sorted", "list", "tuple",
                                                                                           "enumerate", "zip"):
        known = [_non_empty_literal(a, constants) for a in node.args]
        return (all(known) if known else None) if None not in known else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        if len(node.args) == 1 and isinstance(node.args[0], ast.Constant):
            return node.args[0].value > 0
        if len(node.args) >= 2 and all(isinstance(a, ast.Constant) for a in node.args[:2]):
            return node.args[1].value > node.args[0].value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("items", "keys", "values"):
        return _non_empty_literal(node.func.value, constants)
    return None


def lint(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    constants = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)}
    functions = {n.name: n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}

    def asserting(fn: ast.AST, seen: set[str]) -> bool:
        text = ast.get_source_segment(source, fn) or ""
        if any(isinstance(n, ast.Assert) for n in ast.walk(fn)) or "raises(" in text or ".assert_" in text:
            return True
        for n in ast.walk(fn):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions \
                    and n.func.id not in seen:
                if asserting(functions[n.func.id], seen | {n.func.id}):
                    return True
        return False

    out = []
    for fn in tree.body:
        if not (isinstance(fn, ast.FunctionDef) and fn.name.startswith("test")):
            continue
        where = f"{name}::{fn.name}"
        for loop in (n for n in ast.walk(fn) if isinstance(n, (ast.For, ast.comprehension))):
            if _non_empty_literal(loop.iter, constants) is False:
                out.append(f"{where}: loops over an empty collection (line {loop.iter.lineno})")
        if not asserting(fn, {fn.name}):
            out.append(f"{where}: asserts nothing")
            continue
        outside: list[bool] = []

        def walk(node: ast.AST, loops: list[ast.AST]) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.Assert):
                    outside.append(not loops or any(_non_empty_literal(l, constants) for l in loops))
                inner = loops + [child.iter] if isinstance(child, (ast.For, ast.comprehension)) else loops
                if isinstance(child, ast.While):
                    inner = loops + [ast.Constant(None)]
                walk(child, inner)

        walk(fn, [])
        calls_helpers = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in functions
                            for n in ast.walk(fn))
        text = ast.get_source_segment(source, fn) or ""
        if outside and not any(outside) and "raises(" not in text and "pytest.fail(" not in text \
                and not calls_helpers:
            out.append(f"{where}: every assertion is inside a loop that may run zero times")
    return out


def test_no_test_can_pass_without_checking_anything():
    problems = []
    files = sorted(TESTS.rglob("test_*.py"))
    assert len(files) > 50
    for path in files:
        problems += lint(path.read_text(), str(path.relative_to(TESTS.parent)))
    assert not problems, "tests that cannot fail:\n" + "\n".join(problems)


@pytest.mark.catches("test-lint")
def test_the_lint_catches_tests_that_check_nothing():
    bad = '''
import pytest
EMPTY = ()

def helper(x):
    assert x

def test_loop_over_nothing():
    for r in EMPTY:
        assert r

def test_only_in_a_loop(results):
    for r in results():
        assert r.ok

def test_nothing():
    x = 1 + 1

def test_fine(results):
    rs = results()
    assert rs
    for r in rs:
        assert r.ok

def test_fine_by_helper():
    helper(1)

def test_fine_by_raises():
    with pytest.raises(ValueError):
        int("x")
'''
    problems = lint(bad, "t.py")
    assert problems == ["t.py::test_loop_over_nothing: loops over an empty collection (line 9)",
                        "t.py::test_loop_over_nothing: every assertion is inside a loop that may run zero times",
                        "t.py::test_only_in_a_loop: every assertion is inside a loop that may run zero times",
                        "t.py::test_nothing: asserts nothing"], problems
