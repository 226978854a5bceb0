"""Mutation operators over the solc AST, applied as source edits at the AST's byte offsets.

Every mutant is the whole source file with exactly one edit (`start`, `end`, `replacement`), found by
walking the compact AST of the original build (`Build.solc_output["sources"][path]["ast"]`): the
AST says *what* a node is (its type, operator, literal value, the types of its arguments) and `src`
says *where* it is, so an edit never lands in a comment or a string and the operator of a binary
expression is located between its two operands.

Operators (the `op` of a mutant):

  arith          + <-> -, * <-> /, % -> /                                  (BinaryOperation)
  compound       += <-> -=                                                 (Assignment)
  compare        < -> <= and >=, <= -> < and >, > -> >= and <=, >= -> > and <, == <-> !=
  logic          && <-> ||
  const          a number literal n -> n + 1 and n - 1; true <-> false
  revert-removed `if (cond) revert E(...)` removed (also `require(cond)`)
  revert-negated `if (cond) revert E(...)` -> `if (!(cond)) revert E(...)`
  access-removed / access-negated   the same two for a check whose condition reads msg.sender
  guard-negated  any other `if` without else: condition negated
  guard-removed  `if (cond) return ...;` removed
  assign-deleted an assignment, `delete x`, `++x`/`--x` statement deleted
  call-deleted   a statement that is only a call deleted (transfers, distribute, updateMemberUnits)
  emit-deleted   an `emit` deleted
  emit-arg       one event argument changed: uint -> arg + 1, address -> another address, bool -> !arg,
                 bytes32 -> bytes32(0) (or bytes32(uint256(1)) when the argument is already zero)
  modifier-removed  a modifier invocation removed from a function (none in the suite today)

Loop headers (`for (...; ...; ++i)`) are not mutated: removing the increment only burns gas.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from specs.errors import WorkbenchError


# Contracts under contracts/<suite>/ that are mutated, by name: every registered suite's `mutation_sources`
# (specs/suite.py), and the ones that are not (with the reason).
def _mutated_sources() -> dict[str, str]:
    from specs.suite import suites

    out: dict[str, str] = {}
    for suite in suites():
        for name, path in suite.mutation_sources.items():
            if name in out:
                raise WorkbenchError(f"suite {suite.name}: contract {name} is already mutated by another suite")
            out[name] = path
    return out


MUTATED_SOURCES: dict[str, str] = _mutated_sources()


def _not_mutated() -> dict[str, str]:
    """Every registered suite's Solidity files (paths or globs) that are not mutated, with the reason."""
    from specs.suite import suites

    return {path: why for suite in suites() for path, why in suite.not_mutated.items()}


NOT_MUTATED: dict[str, str] = _not_mutated()

ARITH = {"+": ["-"], "-": ["+"], "*": ["/"], "/": ["*"], "%": ["/"]}
COMPARE = {"<": ["<=", ">="], "<=": ["<", ">"], ">": [">=", "<="], ">=": [">", "<"], "==": ["!="], "!=": ["=="]}
LOGIC = {"&&": ["||"], "||": ["&&"]}
COMPOUND = {"+=": ["-="], "-=": ["+="]}


@dataclass(frozen=True)
class Mutant:
    id: str  # "<Contract>.<op>.L<line>C<col>[.n]": stable while the contract's source is unchanged
    contract: str  # the mutated contract (or library)
    path: str  # repo-relative source path
    op: str
    line: int
    col: int
    start: int  # byte offsets of the edit in the original source
    end: int
    original: str  # the replaced text
    replacement: str
    function: str = ""  # enclosing function ("" at contract level)

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end:]

    def diff(self, source: bytes) -> str:
        a = source.decode().splitlines(keepends=True)
        b = self.apply(source).decode().splitlines(keepends=True)
        return "".join(difflib.unified_diff(a, b, f"a/{self.path}", f"b/{self.path}", n=1))

    def digest(self, source: bytes) -> str:
        return hashlib.sha256(self.apply(source)).hexdigest()[:16]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Mutant":
        return cls(**d)


@dataclass
class _Ctx:
    source: bytes
    path: str
    contract: str
    out: list = field(default_factory=list)
    function: str = ""


def _span(node: dict) -> tuple[int, int]:
    s, length, _ = node["src"].split(":")
    return int(s), int(s) + int(length)


def _text(ctx: _Ctx, node: dict) -> str:
    s, e = _span(node)
    return ctx.source[s:e].decode()


def _line_col(source: bytes, offset: int) -> tuple[int, int]:
    return source.count(b"\n", 0, offset) + 1, offset - (source.rfind(b"\n", 0, offset) + 1) + 1


def _add(ctx: _Ctx, op: str, start: int, end: int, replacement: str) -> None:
    original = ctx.source[start:end].decode()
    if original == replacement:
        return
    line, col = _line_col(ctx.source, start)
    ctx.out.append(Mutant("", ctx.contract, ctx.path, op, line, col, start, end, original, replacement, ctx.function))


def _statement_span(ctx: _Ctx, node: dict) -> tuple[int, int]:
    """A statement's span including its trailing ';' (solc's src leaves it out of simple statements)."""
    s, e = _span(node)
    m = re.match(rb"\s*;", ctx.source[e:])
    return s, (e + m.end()) if m else e


def _operator_span(ctx: _Ctx, left: dict, right: dict, operator: str) -> tuple[int, int] | None:
    """Where `operator` sits between two operands (whitespace only around it), or None."""
    _, le = _span(left)
    rs, _ = _span(right)
    gap = ctx.source[le:rs]
    m = re.fullmatch(rb"(\s*)" + re.escape(operator.encode()) + rb"\s*", gap)
    if m is None:
        return None
    return le + len(m.group(1)), le + len(m.group(1)) + len(operator)


def _literal_int(value: str) -> int | None:
    v = value.replace("_", "")
    try:
        if v.lower().startswith("0x"):
            return int(v, 16)
        if "e" in v.lower():
            mant, exp = v.lower().split("e")
            if "." in mant:
                return None
            return int(mant) * 10 ** int(exp)
        return int(v)
    except ValueError:
        return None


def _is_revert_body(node: dict) -> bool:
    if node.get("nodeType") == "RevertStatement":
        return True
    if node.get("nodeType") == "ExpressionStatement":
        ex = node.get("expression", {})
        return ex.get("nodeType") == "FunctionCall" and ex.get("expression", {}).get("name") == "revert"
    if node.get("nodeType") == "Block":
        stmts = node.get("statements") or []
        return len(stmts) == 1 and _is_revert_body(stmts[0])
    return False


def _is_return_body(node: dict) -> bool:
    if node.get("nodeType") == "Return":
        return True
    if node.get("nodeType") == "Block":
        stmts = node.get("statements") or []
        return len(stmts) == 1 and stmts[0].get("nodeType") == "Return"
    return False


def _is_sender(node: Any) -> bool:
    return isinstance(node, dict) and node.get("nodeType") == "MemberAccess" and node.get("memberName") == "sender" \
        and node.get("expression", {}).get("name") == "msg"


def _mentions_sender(node: Any) -> bool:
    """An access-control condition: msg.sender compared with an address (`msg.sender != governance`) or a
    role flag read at msg.sender and negated (`!isSlasher[msg.sender]`), anywhere in the condition."""
    if isinstance(node, dict):
        t = node.get("nodeType")
        if t == "BinaryOperation" and node.get("operator") in ("==", "!=") \
                and (_is_sender(node.get("leftExpression")) or _is_sender(node.get("rightExpression"))):
            return True
        if t == "UnaryOperation" and node.get("operator") == "!" \
                and node.get("subExpression", {}).get("nodeType") == "IndexAccess" \
                and _is_sender(node["subExpression"].get("indexExpression")):
            return True
        return any(_mentions_sender(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_sender(v) for v in node)
    return False


def _emit_arg_replacement(ctx: _Ctx, arg: dict) -> str | None:
    t = arg.get("typeDescriptions", {}).get("typeString", "")
    text = _text(ctx, arg)
    if "[" in t or "mapping" in t or "struct" in t:
        return None  # arrays and structs: no one-token change of the same type
    if t.startswith("uint") or t.startswith("int_const") or t.startswith("int"):
        return f"({text}) + 1"
    if t in ("address", "address payable") or t.startswith("contract "):
        return "address(this)" if text != "address(this)" else "msg.sender"
    if t == "bool":
        return f"!({text})"
    if t == "bytes32":
        return "bytes32(uint256(1))" if text in ("bytes32(0)",) else "bytes32(0)"
    return None


def _walk(ctx: _Ctx, node: Any, parent: dict | None = None, in_for_header: bool = False) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(ctx, item, parent, in_for_header)
        return
    if not isinstance(node, dict):
        return
    t = node.get("nodeType")
    if t in ("ContractDefinition",) and node.get("contractKind") == "interface":
        return
    if t == "FunctionDefinition":
        saved = ctx.function
        ctx.function = node.get("name") or node.get("kind", "")
        for mod in node.get("modifiers") or []:
            if mod.get("modifierName", {}).get("name") and mod.get("kind", "modifierInvocation") == "modifierInvocation":
                s, e = _span(mod)
                _add(ctx, "modifier-removed", s, e, "")
        _walk(ctx, node.get("body"), node)
        ctx.function = saved
        return
    if t == "ForStatement":
        _walk(ctx, node.get("initializationExpression"), node)
        _walk(ctx, node.get("condition"), node)
        _walk(ctx, node.get("loopExpression"), node, in_for_header=True)
        _walk(ctx, node.get("body"), node)
        return

    if t == "BinaryOperation":
        op = node["operator"]
        table = ARITH if op in ARITH else COMPARE if op in COMPARE else LOGIC if op in LOGIC else {}
        kind = "arith" if op in ARITH else "compare" if op in COMPARE else "logic"
        loc = _operator_span(ctx, node["leftExpression"], node["rightExpression"], op) if table else None
        if loc:
            for rep in table[op]:
                _add(ctx, kind, loc[0], loc[1], rep)
    elif t == "Assignment" and node.get("operator") in COMPOUND:
        loc = _operator_span(ctx, node["leftHandSide"], node["rightHandSide"], node["operator"])
        if loc:
            for rep in COMPOUND[node["operator"]]:
                _add(ctx, "compound", loc[0], loc[1], rep)
    elif t == "Literal" and not in_for_header:
        s, e = _span(node)
        if node.get("kind") == "number" and not node.get("subdenomination"):
            n = _literal_int(node.get("value", ""))
            text = ctx.source[s:e].decode()
            if n is not None:
                simple = re.fullmatch(r"[0-9]+", text) is not None and n < 10**9
                _add(ctx, "const", s, e, str(n + 1) if simple else f"({text} + 1)")
                if n > 0:
                    _add(ctx, "const", s, e, str(n - 1) if simple else f"({text} - 1)")
        elif node.get("kind") == "bool":
            _add(ctx, "const", s, e, "false" if node.get("value") == "true" else "true")
    elif t == "IfStatement":
        cond = node["condition"]
        cs, ce = _span(cond)
        ctext = ctx.source[cs:ce].decode()
        if _is_revert_body(node["trueBody"]) and not node.get("falseBody"):
            kind = "access" if _mentions_sender(cond) else "revert"
            s, e = _statement_span(ctx, node)
            _add(ctx, f"{kind}-removed", s, e, "{}")
            _add(ctx, f"{kind}-negated", cs, ce, f"!({ctext})")
        elif not node.get("falseBody"):
            _add(ctx, "guard-negated", cs, ce, f"!({ctext})")
            if _is_return_body(node["trueBody"]):
                s, e = _statement_span(ctx, node)
                _add(ctx, "guard-removed", s, e, "{}")
    elif t == "ExpressionStatement" and not in_for_header:
        ex = node.get("expression", {})
        et = ex.get("nodeType")
        s, e = _statement_span(ctx, node)
        if et == "FunctionCall" and ex.get("expression", {}).get("name") == "require":
            args = ex.get("arguments") or []
            _add(ctx, "access-removed" if _mentions_sender(args[:1]) else "revert-removed", s, e, "{}")
            if args:
                a0s, a0e = _span(args[0])
                _add(ctx, "revert-negated", a0s, a0e, f"!({ctx.source[a0s:a0e].decode()})")
        elif et == "Assignment" or (et == "UnaryOperation" and ex.get("operator") in ("delete", "++", "--")):
            _add(ctx, "assign-deleted", s, e, "{}")
        elif et == "FunctionCall" and ex.get("kind") == "functionCall" \
                and ex.get("expression", {}).get("name") not in ("revert",):
            _add(ctx, "call-deleted", s, e, "{}")
    elif t == "EmitStatement":
        s, e = _statement_span(ctx, node)
        _add(ctx, "emit-deleted", s, e, "{}")
        for arg in node.get("eventCall", {}).get("arguments") or []:
            rep = _emit_arg_replacement(ctx, arg)
            if rep is not None:
                a, b = _span(arg)
                _add(ctx, "emit-arg", a, b, rep)

    for key, value in node.items():
        if key in ("src", "typeDescriptions", "nodeType"):
            continue
        if isinstance(value, (dict, list)):
            _walk(ctx, value, node, in_for_header)


def generate(build: Any, contracts: list[str] | None = None, root: Path | None = None) -> list[Mutant]:
    """Every mutant of the named contracts (default: all of MUTATED_SOURCES), in source order, with ids."""
    from harness.evm.compile import REPO

    root = root or REPO
    names = contracts or list(MUTATED_SOURCES)
    unknown = [n for n in names if n not in MUTATED_SOURCES]
    if unknown:
        raise ValueError(f"unknown contract(s) {unknown}; known: {', '.join(MUTATED_SOURCES)}")
    out: list[Mutant] = []
    for name in names:
        path = MUTATED_SOURCES[name]
        source = (root / path).read_bytes()
        ast = build.solc_output["sources"][path]["ast"]
        ctx = _Ctx(source, path, name)
        _walk(ctx, ast)
        # dedupe identical edits (a node reached twice), keep source order, then name them
        seen: set[tuple[int, int, str]] = set()
        edits = []
        for m in sorted(ctx.out, key=lambda m: (m.start, m.end, m.op, m.replacement)):
            if (m.start, m.end, m.replacement) in seen:
                continue
            seen.add((m.start, m.end, m.replacement))
            edits.append(m)
        counts: dict[str, int] = {}
        for m in edits:
            base = f"{name}.{m.op}.L{m.line}C{m.col}"
            counts[base] = counts.get(base, 0) + 1
            mid = base if counts[base] == 1 else f"{base}.{counts[base]}"
            out.append(Mutant(mid, **{k: v for k, v in asdict(m).items() if k != "id"}))
    return out


def iter_by_contract(mutants: list[Mutant]) -> Iterator[tuple[str, list[Mutant]]]:
    by: dict[str, list[Mutant]] = {}
    for m in mutants:
        by.setdefault(m.contract, []).append(m)
    yield from by.items()
