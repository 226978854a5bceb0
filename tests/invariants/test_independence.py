"""Invariants are independent of the model they judge: a registered invariant restates its rule instead of
calling the reference model's own helpers, so that changing the model cannot silently change the invariant.

The check reads the source of every module that registers an invariant (the modules of the
`REGISTRY` and `STEP_REGISTRY` predicates) and flags:
(a) a function (not a class, not a constant) taken from a model module: `from specs.<model> import f`,
    or `specs.<model>.f` / `<alias>.f` after importing the module; specs.kernel and specs.bpe.system are
    allowed (the kernel's values and primitives, the system's names for the deployed contracts);
(b) a call `x.name(...)` where `name` is a method of a model class (a subclass of the kernel's Contract
    in specs/) that is not an ABI function (`@external` / `@view`), or is underscore-named. Storage reads
    are attribute reads, never calls, so they are not flagged. A name that is an ABI function on one model
    class and a helper on another is flagged: an invariant never needs a state-changing call either.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from functools import lru_cache
from pathlib import Path

import pytest

import invariants.bpe.all  # noqa: F401  (registers every invariant)
from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.kernel import Contract

SPECS = Path(__file__).resolve().parents[2] / "specs"
ALLOWED = frozenset({"specs.kernel", "specs.bpe.system"})


def _model_modules() -> list[str]:
    """Every module under specs/ (every suite's models), as dotted names; the kernel is not a model."""
    return [".".join(("specs",) + p.relative_to(SPECS).with_suffix("").parts) for p in sorted(SPECS.rglob("*.py"))
            if p.stem not in ("__init__", "kernel")]


@lru_cache(maxsize=1)
def model_helper_methods() -> dict[str, list[str]]:
    """Method name -> the model classes defining it as a helper (neither `@external` nor `@view`, or
    underscore-named). Dunder methods (the dataclass machinery) are Python's, not the model's."""
    out: dict[str, list[str]] = {}
    for name in _model_modules():
        module = importlib.import_module(name)
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and issubclass(cls, Contract) and cls.__module__ == name):
                continue
            for attr, value in vars(cls).items():
                fn = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
                if not inspect.isfunction(fn) or (attr.startswith("__") and attr.endswith("__")):
                    continue
                abi = getattr(fn, "is_external", False) or getattr(fn, "is_view", False)
                if attr.startswith("_") or not abi:
                    out.setdefault(attr, []).append(f"{name}.{cls.__name__}")
    return out


def _model_function(module: str, name: str) -> bool:
    """Whether `module.name` is a function of a specs model (a re-exported kernel or library function is
    not the model's)."""
    if module in ALLOWED or not module.startswith("specs.") or module not in _model_modules():
        return False
    obj = getattr(importlib.import_module(module), name, None)
    if not inspect.isfunction(obj):  # classes, constants (z3 declarations included) and submodules are not
        return False
    return obj.__module__.startswith("specs.") and obj.__module__ not in ALLOWED


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def violations(source: str, module: str) -> list[str]:
    """Every use of a model helper in one module's source, as "module:line: what"."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> imported module
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    aliases.setdefault(a.name.split(".")[0], a.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in _model_modules():
                    aliases[a.asname or a.name] = full
                elif _model_function(node.module, a.name):
                    out.append((node.lineno, f"imports the model function {full}"))
    helpers = model_helper_methods()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            dotted = _dotted(node)
            if dotted is not None:
                head, _, rest = dotted.partition(".")
                resolved = f"{aliases[head]}.{rest}" if head in aliases and rest else None
                if resolved is not None:
                    mod, _, fn = resolved.rpartition(".")
                    if _model_function(mod, fn):
                        out.append((node.lineno, f"uses the model function {resolved}"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in helpers:
            dotted = _dotted(node.func.value)
            if dotted is not None and dotted.split(".")[0] in aliases:
                continue  # a module attribute (handled above), not a method of a model object
            where = ", ".join(helpers[node.func.attr])
            out.append((node.lineno, f"calls the model helper method .{node.func.attr}() (defined on {where})"))
    return [f"{module}:{line}: {what}" for line, what in sorted(set(out))]


def invariant_modules() -> list[str]:
    return sorted({inv.predicate.__module__ for inv in list(REGISTRY) + list(STEP_REGISTRY)})


def test_no_invariant_module_uses_a_model_helper():
    modules = invariant_modules()
    assert "invariants.bpe.capacity_registry" in modules and "invariants.bpe.backpressure_pool" in modules
    found = []
    for name in modules:
        found += violations(Path(inspect.getsourcefile(sys.modules[name])).read_text(), name)
    assert not found, "invariants that use the model they judge:\n" + "\n".join(found)


BAD_MODULE = '''
from specs.bpe.capacity_registry import COMMIT_TIMEOUT, CapacityRegistry, commit_hash
from specs.kernel import Address, keccak256_abi
import specs.bpe.superfluid
from specs.bpe import superfluid as sf


def commit_ok(pre, post, call):
    expected = commit_hash(call.sender, call.args["taskTypeId"], call.args["capacity"], call.args["nonce"],
                           pre.registry.address)
    return pre.registry._commitHash[call.args["taskTypeId"]][call.sender] == expected


def money(s, pool):
    idx = pool.index()
    total = sf.member_rtb(idx, pool.member(Address(1)), 5)
    total += specs.bpe.superfluid.units_of(pool.totalUnits).v
    return s.registry._commitHashOf(Address(1), 0, 0, 0) == total and pool.getUnits(None, Address(1)) == 0
'''


@pytest.mark.catches("independence")
def test_the_check_catches_a_module_using_model_helpers():
    found = violations(BAD_MODULE, "bad")
    assert found == [
        "bad:2: imports the model function specs.bpe.capacity_registry.commit_hash",
        "bad:15: calls the model helper method .index() (defined on specs.bpe.superfluid.SuperfluidPool)",
        "bad:16: calls the model helper method .member() (defined on specs.bpe.superfluid.SuperfluidPool)",
        "bad:16: uses the model function specs.bpe.superfluid.member_rtb",
        "bad:17: uses the model function specs.bpe.superfluid.units_of",
        "bad:18: calls the model helper method ._commitHashOf() (defined on specs.bpe.capacity_registry.CapacityRegistry)",
    ], found
