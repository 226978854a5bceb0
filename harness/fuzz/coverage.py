"""Which functions and branches of each contract a (py-evm) run reached.

Recording: `record(engine)` is a context manager that sets the py-evm engine's `tracer` hook
(`harness/evm/pyevm_engine.py`) to a `Recorder` for its duration; outside it the engine runs py-evm's
own opcode table, untouched. The recorder counts every (code address, pc) executed and, for every
JUMPI, how often it jumped and how often it fell through (read off the stack before it runs).

Mapping: a pc is turned into an instruction index (PUSH data bytes skipped), the index into an entry
of solc's runtime source map (`s:l:f:j:m`, decompressed), the entry into (file, byte offset, length),
and that into a line and into the innermost FunctionDefinition / ModifierDefinition of the AST whose
source range contains it; instructions mapped to a function's whole definition (ABI decoding, the
return jump, the shared STOP the optimizer deduplicates across functions) do not count, so a function
is reached when an instruction of its body ran. Constructors are left out (they never run in the
runtime code). Only our own sources count (`contracts/**`, every suite's folder; not node_modules),
and only entries with a file index >= 0.

Branches (an approximation): every JUMPI whose location is in our source and inside a function body,
deduplicated by source location. Its "true"/"false" are the condition's truth where the AST says what
the condition is (`if`, ternary, loop: the side whose next instructions map into the true body/
expression or the loop body is "true"); otherwise (`require`, checked arithmetic, ...) "true" is the
jump. Note: the differential step reads views and storage through the same engine, so view functions
are reached by the comparison as well as by the fuzzed calls.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OWN_PREFIX = "contracts/"
JUMPI = 0x57
_FN_NODES = ("FunctionDefinition", "ModifierDefinition")
_SCOPE_NODES = ("ContractDefinition", "FunctionDefinition", "ModifierDefinition", "ParameterList",
                "VariableDeclaration", "SourceUnit")


# -- recording -----------------------------------------------------------------


@dataclass
class Recorder:
    """The engine tracer: pcs executed per code address, JUMPI outcomes as [jumped, fell through]."""

    pcs: dict[bytes, Counter] = field(default_factory=dict)
    jumpi: dict[tuple[bytes, int], list[int]] = field(default_factory=dict)
    paused: bool = False  # set by the differential step while it compares state (its own view calls)

    def __call__(self, address: bytes, pc: int, opcode: int, computation: Any) -> None:
        if self.paused:
            return
        c = self.pcs.get(address)
        if c is None:
            c = self.pcs[address] = Counter()
        c[pc] += 1
        if opcode == JUMPI:
            values = computation._stack.values
            if len(values) < 2:
                return  # stack underflow: the opcode fails, no direction
            cond = values[-2]
            if isinstance(cond, tuple):  # some py-evm versions store (type, value)
                cond = cond[1]
            taken = bool(int.from_bytes(cond, "big") if isinstance(cond, bytes) else cond)
            d = self.jumpi.get((address, pc))
            if d is None:
                d = self.jumpi[(address, pc)] = [0, 0]
            d[0 if taken else 1] += 1

    def hits(self, addrs: dict[str, int]) -> dict[str, dict]:
        """Per contract name (`addrs`: name -> address): {"pcs": {pc: n}, "jumpi": {pc: [jumped, fell]}}."""
        out = {}
        for name, a in addrs.items():
            key = a.to_bytes(20, "big")
            out[name] = {"pcs": dict(self.pcs.get(key, {})),
                         "jumpi": {pc: list(d) for (ad, pc), d in self.jumpi.items() if ad == key}}
        return out


@contextlib.contextmanager
def record(engine: Any, recorder: Recorder | None = None) -> Iterator[Recorder]:
    """Record coverage on a py-evm engine for the duration of the block (ValueError on another engine)."""
    if not hasattr(type(engine), "tracer"):
        raise ValueError(f"coverage is recorded on py-evm only, not on {getattr(engine, 'name', engine)!r}")
    rec = recorder if recorder is not None else Recorder()
    old = engine.tracer
    engine.tracer = rec
    try:
        yield rec
    finally:
        engine.tracer = old


# -- static mapping --------------------------------------------------------------


def instruction_offsets(code: bytes) -> list[int]:
    """The pc of every instruction, in order (PUSH1..PUSH32 data bytes skipped)."""
    out, pc, n = [], 0, len(code)
    while pc < n:
        out.append(pc)
        op = code[pc]
        pc += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return out


def decompress_srcmap(srcmap: str) -> list[tuple[int, int, int, str]]:
    """solc's compressed source map -> one (start, length, file, jump) per instruction."""
    out: list[tuple[int, int, int, str]] = []
    s, l, f, j = 0, 0, -1, "-"
    for entry in srcmap.split(";") if srcmap else []:
        parts = entry.split(":")
        if len(parts) > 0 and parts[0]:
            s = int(parts[0])
        if len(parts) > 1 and parts[1]:
            l = int(parts[1])
        if len(parts) > 2 and parts[2]:
            f = int(parts[2])
        if len(parts) > 3 and parts[3]:
            j = parts[3]
        out.append((s, l, f, j))
    return out


def _src(node: dict) -> tuple[int, int, int]:
    s, l, f = (int(x) for x in node["src"].split(":"))
    return s, l, f


def _walk(node: Any, parents: tuple = ()) -> Iterator[tuple[dict, tuple]]:
    if isinstance(node, dict):
        if "nodeType" in node and "src" in node:
            yield node, parents
            parents = parents + (node,)
        for v in node.values():
            if isinstance(v, (dict, list)):
                yield from _walk(v, parents)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v, parents)


def _contains(outer: tuple[int, int, int], s: int, l: int, f: int) -> bool:
    return outer[2] == f and outer[0] <= s and s + l <= outer[0] + outer[1]


@dataclass
class _Source:
    path: str
    file_id: int
    text: bytes
    functions: list[tuple[str, tuple[int, int, int], int]]  # (key, src, line)
    nodes: list[tuple[dict, tuple[int, int, int]]]  # every node with its src

    def line(self, offset: int) -> int:
        return self.text.count(b"\n", 0, offset) + 1


def _load_sources(solc_output: dict, root: Path, own_prefix: str) -> dict[int, _Source]:
    out: dict[int, _Source] = {}
    for path, unit in solc_output.get("sources", {}).items():
        if not path.startswith(own_prefix):
            continue
        try:
            text = (root / path).read_bytes()
        except OSError:
            text = b""
        src = _Source(path, int(unit["id"]), text, [], [])
        for node, parents in _walk(unit["ast"]):
            src.nodes.append((node, _src(node)))
            if node["nodeType"] in _FN_NODES and node.get("body") is not None and node.get("kind") != "constructor":
                contract = next((p["name"] for p in reversed(parents) if p["nodeType"] == "ContractDefinition"), "")
                name = node.get("name") or node.get("kind", "?")
                src.functions.append((f"{contract}.{name}", _src(node), 0))
        src.functions = [(k, r, src.line(r[0])) for k, r, _ in src.functions]
        out[src.file_id] = src
    return out


def _condition_of(src: _Source, s: int, l: int, f: int) -> tuple[str, tuple[int, int, int] | None]:
    """(kind, true-side range) for a JUMPI location: the innermost if/ternary/loop whose condition
    contains it; else ("require", None) inside a require/assert call, else ("other", None)."""
    best: tuple[int, str, tuple[int, int, int] | None] | None = None
    for node, r in src.nodes:
        t = node["nodeType"]
        cond = node.get("condition")
        if t in ("IfStatement", "Conditional", "WhileStatement", "ForStatement", "DoWhileStatement") and cond:
            if _contains(_src(cond), s, l, f) or (s, l, f) == r:
                true_side = {"IfStatement": "trueBody", "Conditional": "trueExpression"}.get(t, "body")
                kind = {"IfStatement": "if", "Conditional": "ternary"}.get(t, "loop")
                side = node.get(true_side)
                cand = (r[1], kind, _src(side) if side else None)
                if best is None or cand[0] < best[0]:
                    best = cand
        elif t == "FunctionCall" and node.get("expression", {}).get("name") in ("require", "assert") \
                and _contains(r, s, l, f):
            cand = (r[1], "require", None)
            if best is None or cand[0] < best[0]:
                best = cand
    return (best[1], best[2]) if best else ("other", None)


def _lands_in(entries: list, start_index: int, cond_loc: tuple[int, int, int], side: tuple[int, int, int],
              limit: int = 12) -> bool | None:
    """Do the instructions from `start_index` reach the `side` range before leaving the condition?"""
    for k in range(start_index, min(start_index + limit, len(entries))):
        s, l, f, _ = entries[k]
        if _contains(side, s, l, f):
            return True
        if f >= 0 and not _contains(cond_loc, s, l, f):
            return False
    return None


def coverage_report(artifacts: dict[str, Any], solc_output: dict, hits: dict[str, dict], *,
                    root: Path = ROOT, own_prefix: str = OWN_PREFIX) -> dict:
    """Per contract: functions {name: {"reached", "hits"}}, branches [{"line", "true", "false", ...}],
    totals. `hits` is `Recorder.hits(fixture.addrs)`. JSON-serialisable, sorted."""
    sources = _load_sources(solc_output, root, own_prefix)
    report: dict[str, Any] = {}
    for name in sorted(artifacts):
        art = artifacts[name]
        h = hits.get(name, {"pcs": {}, "jumpi": {}})
        offsets = instruction_offsets(art.runtime)
        entries = decompress_srcmap(art.srcmap_runtime)
        pc_index = {pc: i for i, pc in enumerate(offsets)}
        own_file = next((fid for fid, s in sources.items() if s.path == art.source_path), None)

        # functions: those defined in the contract's own source, plus any of our other sources compiled in
        fn_hits: dict[tuple[int, str], int] = {}
        files_in_code = {e[2] for e in entries if e[2] in sources}
        for fid in sorted(files_in_code | ({own_file} if own_file is not None else set())):
            for key, _, _ in sources[fid].functions:
                fn_hits[(fid, key)] = 0

        def enclosing(s: int, l: int, f: int, *, body_only: bool = False) -> str | None:
            best = None
            for key, r, _ in sources[f].functions:
                if body_only and r == (s, l, f):
                    continue  # the whole definition: prologue/epilogue the optimizer shares between functions
                if _contains(r, s, l, f) and (best is None or r[1] < best[1]):
                    best = (key, r[1])
            return best[0] if best else None

        for pc, n in h["pcs"].items():
            i = pc_index.get(pc)
            if i is None or i >= len(entries):
                continue
            s, l, f, _ = entries[i]
            if f not in sources:
                continue
            key = enclosing(s, l, f, body_only=True)
            if key is not None:
                fn_hits[(f, key)] = fn_hits.get((f, key), 0) + n

        def display(fid: int, key: str) -> str:
            contract, fname = key.split(".", 1)
            return fname if (fid == own_file and contract == name) else key

        functions = {display(fid, key): {"reached": n > 0, "hits": n} for (fid, key), n in fn_hits.items()}

        # branches
        merged: dict[tuple[int, int, int], dict] = {}
        for i, pc in enumerate(offsets):
            if art.runtime[pc] != JUMPI or i >= len(entries):
                continue
            s, l, f, _ = entries[i]
            if f not in sources:
                continue
            src = sources[f]
            fn = enclosing(s, l, f)
            if fn is None or any(node["nodeType"] in _SCOPE_NODES and r == (s, l, f) for node, r in src.nodes):
                continue  # dispatcher, ABI decoding, parameter checks: not a condition in a body
            kind, side = _condition_of(src, s, l, f)
            jumped_is_true = True
            if side is not None:
                target = None
                if i > 0 and 0x60 <= art.runtime[offsets[i - 1]] <= 0x7F:
                    p = offsets[i - 1]
                    target = int.from_bytes(art.runtime[p + 1:p + 1 + art.runtime[p] - 0x5F], "big")
                t_idx = pc_index.get(target) if target is not None else None
                via_jump = _lands_in(entries, t_idx, (s, l, f), side) if t_idx is not None else None
                via_fall = _lands_in(entries, i + 1, (s, l, f), side)
                if via_fall and not via_jump:
                    jumped_is_true = False
            jumped, fell = h["jumpi"].get(pc, [0, 0])
            t_count, f_count = (jumped, fell) if jumped_is_true else (fell, jumped)
            b = merged.setdefault((f, s, l), {"file": src.path, "line": src.line(s), "kind": kind,
                                              "function": display(f, fn), "true": False, "false": False})
            b["true"] = b["true"] or t_count > 0
            b["false"] = b["false"] or f_count > 0
        branches = [merged[k] for k in sorted(merged, key=lambda k: (sources[k[0]].path, k[1], k[2]))]

        reached = sum(1 for v in functions.values() if v["reached"])
        taken = sum(int(b["true"]) + int(b["false"]) for b in branches)
        report[name] = {
            "source": art.source_path,
            "functions": dict(sorted(functions.items())),
            "branches": branches,
            "totals": {"functions_reached": reached, "functions_total": len(functions),
                       "branch_directions_taken": taken, "branch_directions_total": 2 * len(branches)},
        }
    return report
