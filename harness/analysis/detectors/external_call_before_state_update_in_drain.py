"""Detector `external-call-before-state-update-in-drain`: a function that pays out calls out before it
writes its bookkeeping (checks-effects-interactions broken where it matters most).

Why: the functions that move value out of the BPE contracts (unstake, drain a buffer, claim, withdraw,
release an escrow) are where re-entrancy pays. Slither's own reentrancy detectors do not see through
OpenZeppelin 5's SafeERC20, whose call is inline assembly, so `token.safeTransfer(...)` followed by a
state write goes unreported there; this detector counts it.

What it flags: in a function whose name starts with one of `DRAIN_PREFIXES` (`drain`, `withdraw`,
`claim`, `unstake`, `release`; leading underscores ignored, the prefix followed by an uppercase letter,
a digit, an underscore or the end), a node that makes an external call from which a path in the
function's control flow leads to a state-variable write. One finding per such call.

An external call is: a high-level call to a function that is not view or pure, a library call or
internal call to a function that (transitively) makes one, a low-level call other than `staticcall`,
`transfer`, `send`, or inline assembly with `call`, `callcode` or `delegatecall`. Calls to view or pure
functions compile to STATICCALL and cannot re-enter a state-changing function, so they are left out.

A state write is a write to a state variable in a node of the function, or an internal or library call
whose callee (transitively) writes state. Writes in the call node itself count when they come after the
call. Modifiers are not followed: the write a reentrancy guard makes after `_` is not a finding, and a
guard does not silence one either (triage it with that justification).

Configuration: subclass, or `configured(ExternalCallBeforeStateUpdateInDrain, DRAIN_PREFIXES=(...))`.
"""

from __future__ import annotations

from slither.core.cfg.node import Node
from slither.core.declarations import Function
from slither.core.variables.state_variable import StateVariable
from slither.detectors.abstract_detector import AbstractDetector, DetectorClassification
from slither.utils.output import Output

from harness.analysis.detectors._common import asm_calls_out, ir_calls_out, ir_writes_state, prefix_pattern


class ExternalCallBeforeStateUpdateInDrain(AbstractDetector):
    ARGUMENT = "external-call-before-state-update-in-drain"
    HELP = "A drain/withdraw/claim/unstake/release function calls out before it writes state"
    IMPACT = DetectorClassification.HIGH
    CONFIDENCE = DetectorClassification.MEDIUM

    WIKI = "harness/analysis/detectors/external_call_before_state_update_in_drain.py"
    WIKI_TITLE = "External call before a state update in a function that pays out"
    WIKI_DESCRIPTION = (
        "A function that moves value out (drain, withdraw, claim, unstake, release) makes an external "
        "call and writes state afterwards, so the callee can re-enter while the bookkeeping is stale."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "withdraw() sends a sink's balance with a call and zeroes the balance afterwards; the sink's "
        "contract re-enters withdraw() from its receive hook and is paid its balance again and again."
    )
    WIKI_RECOMMENDATION = (
        "Write every state variable before the external call (checks-effects-interactions); if that is "
        "impossible, add a reentrancy guard and triage the finding with that justification."
    )

    DRAIN_PREFIXES: tuple[str, ...] = ("drain", "withdraw", "claim", "unstake", "release")

    def _detect(self) -> list[Output]:
        pattern = prefix_pattern(self.DRAIN_PREFIXES)
        results = []
        for contract in sorted(self.contracts, key=lambda c: c.name):
            if contract.is_interface:
                continue
            for function in sorted(contract.functions_declared, key=lambda f: f.full_name):
                if not function.is_implemented or not pattern.match(function.name):
                    continue
                for call_node, writes in self.calls_before_writes(function):
                    info: list = [function, " makes an external call before writing state:\n",
                                  "\t- External call: ", call_node, "\n", "\t- State written after it:\n"]
                    for node, variables in writes:
                        shown = ", ".join(sorted({v.canonical_name for v in variables}))
                        info += ["\t\t- ", node, f" writes {shown}\n"]
                    results.append(self.generate_result(info))
        return results

    def calls_before_writes(self, function: Function) -> list[tuple[Node, list[tuple[Node, list[StateVariable]]]]]:
        """(external-call node, [(writing node, variables written)]) for each call node in `function`
        from which a path leads to a state write."""
        found = []
        for node in sorted(function.nodes, key=lambda n: n.node_id):
            call_index = _first_call_index(node)
            if call_index is None:
                continue
            writes = []
            after_in_node = [v for ir in node.irs[call_index + 1:] for v in ir_writes_state(ir)]
            if after_in_node:
                writes.append((node, after_in_node))
            for later in _successors(node):
                written = [v for ir in later.irs for v in ir_writes_state(ir)]
                if written:
                    writes.append((later, written))
            if writes:
                found.append((node, sorted(writes, key=lambda w: w[0].node_id)))
        return found


def _first_call_index(node: Node) -> int | None:
    """Index in node.irs of the first IR that calls out (len(irs) for an inline-assembly call), or None."""
    for i, ir in enumerate(node.irs):
        if ir_calls_out(ir):
            return i
    if asm_calls_out(node):
        return len(node.irs)
    return None


def _successors(node: Node) -> list[Node]:
    """Every node reachable from `node` by one or more control-flow edges (itself only through a loop)."""
    seen: dict[Node, None] = {}
    todo = list(node.sons)
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen[current] = None
        todo.extend(current.sons)
    return list(seen)
