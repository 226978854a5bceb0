"""Helpers shared by the custom detectors: name matching, reachable functions, external calls, state
writes. No detector class lives here (one detector a file, STYLE.md)."""

from __future__ import annotations

import json
import re
from typing import Iterable

from slither.core.cfg.node import Node
from slither.core.declarations import Function, Modifier
from slither.core.declarations.solidity_variables import SolidityVariableComposed
from slither.core.variables.state_variable import StateVariable
from slither.core.variables.variable import Variable
from slither.slithir.operations import (
    HighLevelCall,
    Index,
    InternalCall,
    LibraryCall,
    LowLevelCall,
    Member,
    Operation,
    OperationWithLValue,
    Send,
    SolidityCall,
    Transfer,
)
from slither.slithir.variables import ReferenceVariable

MSG_SENDER = SolidityVariableComposed("msg.sender")

# Yul builtins that transfer control to another account (staticcall cannot change state, so it cannot
# re-enter a state-changing function)
_ASM_CALL_NAMES = ("call", "callcode", "delegatecall")
_ASM_CALL_JSON = re.compile(r'"name":\s*"(?:%s)"' % "|".join(_ASM_CALL_NAMES))
_ASM_CALL_TEXT = re.compile(r"\b(?:%s)\s*\(" % "|".join(_ASM_CALL_NAMES))


def bare_name(name: str) -> str:
    """`name` without leading underscores, case-folded: `_reclamp` and `Reclamp` both give `reclamp`."""
    return name.lstrip("_").casefold()


def name_in(name: str, names: Iterable[str]) -> bool:
    """Whether `name` is one of `names`, ignoring case and leading underscores."""
    return bare_name(name) in {bare_name(n) for n in names}


def prefix_pattern(prefixes: Iterable[str]) -> re.Pattern:
    """A pattern for names that start (after leading underscores) with one of `prefixes` followed by an
    uppercase letter, a digit, an underscore or the end: `setFee`, `set_fee`, `set`, but not `settle`."""
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"^_*(?:{alternatives})(?=[A-Z0-9_]|$)")


def reachable_functions(function: Function) -> list[Function]:
    """`function` and every function or modifier it reaches through internal calls, library calls and
    modifiers (not through external calls), in a deterministic order."""
    seen: dict[Function, None] = {function: None}
    todo = [function]
    while todo:
        current = todo.pop()
        callees: list = [ir.function for ir in current.internal_calls]
        callees += [ir.function for ir in current.library_calls]
        callees += list(current.modifiers)
        for callee in callees:
            if isinstance(callee, Function) and callee not in seen:
                seen[callee] = None
                todo.append(callee)
    return sorted(seen, key=lambda f: (f is not function, f.canonical_name))


def callee(ir: Operation) -> Function | None:
    """The function an internal or library call reaches, when slither resolved it."""
    target = getattr(ir, "function", None)
    return target if isinstance(target, Function) else None


def is_read_only(function: object) -> bool:
    """A view or pure function, or a public state variable's getter: a call to it is a STATICCALL and
    cannot change state."""
    if isinstance(function, Function):
        return function.view or function.pure
    return isinstance(function, Variable)


def asm_calls_out(node: Node) -> bool:
    """Whether an inline-assembly node whose Yul slither kept as source (not parsed into IR) contains
    call, callcode or delegatecall."""
    asm = node.inline_asm
    if not asm:
        return False
    if isinstance(asm, str):
        return bool(_ASM_CALL_TEXT.search(asm))
    return bool(_ASM_CALL_JSON.search(json.dumps(asm)))


def may_call_out(function: Function, _stack: tuple = ()) -> bool:
    """Whether `function` (or anything it reaches internally) makes a state-changing external call:
    a high-level call to a non-view function, a low-level call other than staticcall, transfer, send,
    or inline assembly with call/callcode/delegatecall (as OpenZeppelin 5's SafeERC20 does)."""
    if function in _stack:
        return False
    stack = _stack + (function,)
    for node in function.nodes:
        if asm_calls_out(node):
            return True
        for ir in node.irs:
            if ir_calls_out(ir, stack):
                return True
    return any(may_call_out(m, stack) for m in function.modifiers if isinstance(m, Modifier))


def ir_calls_out(ir: Operation, _stack: tuple = ()) -> bool:
    """Whether one IR operation makes (or leads, through an internal or library call, to) a
    state-changing external call. See `may_call_out`."""
    if isinstance(ir, LibraryCall) or isinstance(ir, InternalCall):
        target = callee(ir)
        return target is not None and may_call_out(target, _stack)
    if isinstance(ir, HighLevelCall):
        return not is_read_only(ir.function)
    if isinstance(ir, LowLevelCall):
        return str(ir.function_name) != "staticcall"
    if isinstance(ir, SolidityCall):  # slither turns Yul's call(...) into SolidityCall "call(uint256,...)"
        return ir.function.name.partition("(")[0] in _ASM_CALL_NAMES
    return isinstance(ir, (Transfer, Send))


def written_state_variable(ir: Operation) -> StateVariable | None:
    """The state variable an IR operation writes (directly or through an index or member reference).
    Index and Member operations only form a reference (`REF -> stakes[a]`): they write nothing."""
    if not isinstance(ir, OperationWithLValue) or isinstance(ir, (Index, Member)):  # Delete is one
        return None
    target = ir.lvalue
    if isinstance(target, ReferenceVariable):
        target = target.points_to_origin
    return target if isinstance(target, StateVariable) else None


def ir_writes_state(ir: Operation) -> list[StateVariable]:
    """State variables an IR operation writes: directly, or in the function an internal or library call
    reaches (and what that one reaches)."""
    written = written_state_variable(ir)
    if written is not None:
        return [written]
    if isinstance(ir, (InternalCall, LibraryCall)):
        target = callee(ir)
        if target is not None:
            return sorted(target.all_state_variables_written(), key=lambda v: v.canonical_name)
    return []


def node_label(node: Node) -> str:
    """The node's source text as slither prints it (`stakes[msg.sender] = remaining`)."""
    return str(node.expression) if node.expression is not None else str(node)
