"""Detector `stake-lowered-without-reclamp`: a stake goes down and the capacity it caps is not re-clamped.

Why: in BPE a sink's stake caps the capacity it may signal (`getCapacityCap = floor(sqrt(stake /
STAKE_UNIT))`). The capacity registry of the later suite keeps a smoothed capacity per sink and clamps it
to that cap. When a stake is lowered (unstake, slash, ejection), the stored capacity must be clamped
again in the same transaction, or the sink keeps routing flow that its stake no longer backs until
something else touches its capacity.

What it flags: an entry point (public or external function) that, in its own body or in any function or
modifier it reaches through internal or library calls, writes a decrease to a state variable named in
`STAKE_VARIABLES` (by default `stakes` and `stake`, ignoring case and leading underscores), and that
reaches no function or modifier named in `RECLAMP_HOOKS`, neither internally nor as the target of an
external call (`registry.onStakeChanged(sink)`).

A write is a decrease when it is `delete`, `-=`, an assignment of the constant 0, or an assignment of a
value computed (through locals and temporaries) from a subtraction: `stakes[s] = current - amount`, or
`remaining = current - amount; ...; stakes[s] = remaining`.

Scope (a deliberate choice): the detector applies only to contracts that can see a re-clamp hook: the
contract (with what it inherits) declares a function or modifier named in `RECLAMP_HOOKS`, or a contract
it holds in a state variable or calls declares one. Today's StakeManager has no capacity registry to
re-clamp, so it is out of scope and produces no finding to triage away; as soon as the registry's hook
is visible to it, every stake-lowering path must reach the hook. The cost: a contract that lowers stakes
and never names a hook at all is not flagged, so the hook names in the suite must be in `RECLAMP_HOOKS`.

Limits: the hook only has to be reached somewhere in the call tree, not after the write; writes through
local storage pointers (`Stake storage s = stakes[a]; s.amount -= x`) are not seen.

Configuration: subclass, or `harness.analysis.detectors.configured(StakeLoweredWithoutReclamp,
STAKE_VARIABLES=(...), RECLAMP_HOOKS=(...))`.
"""

from __future__ import annotations

from slither.core.cfg.node import Node
from slither.core.declarations import Contract, Function
from slither.core.solidity_types import UserDefinedType
from slither.core.variables.state_variable import StateVariable
from slither.detectors.abstract_detector import AbstractDetector, DetectorClassification
from slither.slithir.operations import (
    Assignment,
    Binary,
    BinaryType,
    Delete,
    OperationWithLValue,
    TypeConversion,
    Unary,
)
from slither.slithir.variables import Constant
from slither.utils.output import Output

from harness.analysis.detectors._common import name_in, reachable_functions, written_state_variable


class StakeLoweredWithoutReclamp(AbstractDetector):
    ARGUMENT = "stake-lowered-without-reclamp"
    HELP = "A stake is lowered but the capacity it caps is not re-clamped"
    IMPACT = DetectorClassification.MEDIUM
    CONFIDENCE = DetectorClassification.MEDIUM

    WIKI = "harness/analysis/detectors/stake_lowered_without_reclamp.py"
    WIKI_TITLE = "Stake lowered without re-clamping capacity"
    WIKI_DESCRIPTION = (
        "A function lowers a stake (unstake, slash, ejection) but neither it nor its callees call a "
        "re-clamp hook, so the capacity stored for the sink may exceed its new stake cap."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "A sink stakes 10,000 tokens (capacity cap 100) and signals capacity 100. It unstakes down to "
        "100 tokens (cap 10); unstake does not call the registry's re-clamp, so the router keeps sending "
        "it flow for capacity 100, backed by a tenth of the stake that should secure it."
    )
    WIKI_RECOMMENDATION = (
        "Call the re-clamp hook (e.g. `registry.onStakeChanged(sink)` or `_reclamp(sink)`) on every path "
        "that lowers a stake, after the stake is written."
    )

    STAKE_VARIABLES: tuple[str, ...] = ("stakes", "stake")
    RECLAMP_HOOKS: tuple[str, ...] = ("_reclamp", "reclampCapacity", "_syncCapacity", "onStakeChanged")

    def _detect(self) -> list[Output]:
        results = []
        for contract in sorted(self.contracts, key=lambda c: c.name):
            if contract.is_interface or contract.is_library:
                continue
            hooks = self.visible_hooks(contract)
            if not hooks:
                continue
            for function in sorted(contract.functions_entry_points, key=lambda f: f.full_name):
                if function.view or function.pure:
                    continue
                writes = self.lowering_writes(function)
                if not writes or self.reaches_hook(function):
                    continue
                variables = sorted({var for _, var in writes}, key=lambda v: v.canonical_name)
                info: list = [function, " lowers "]
                for i, var in enumerate(variables):
                    info += [", " if i else "", var]
                info += [" without re-clamping capacity:\n"]
                for node, _ in writes:
                    info += ["\t- ", node, "\n"]
                info += [f"\tRe-clamp hooks visible to {contract.name}: {', '.join(hooks)}; "
                         f"none is reached from {function.name}.\n"]
                results.append(self.generate_result(info))
        return results

    # --- scope ----------------------------------------------------------------------------------

    def visible_hooks(self, contract: Contract) -> list[str]:
        """Canonical names of the re-clamp hooks `contract` can see: its own (inherited included), and
        those of the contracts it holds in state variables or calls."""
        hooks = {f.canonical_name for f in self._hook_functions(contract)}
        for other in self._related_contracts(contract):
            hooks |= {f.canonical_name for f in self._hook_functions(other)}
        return sorted(hooks)

    def _hook_functions(self, contract: Contract) -> list[Function]:
        return [f for f in [*contract.functions, *contract.modifiers] if name_in(f.name, self.RECLAMP_HOOKS)]

    @staticmethod
    def _related_contracts(contract: Contract) -> set[Contract]:
        related: set[Contract] = set()
        for var in contract.state_variables:
            if isinstance(var.type, UserDefinedType) and isinstance(var.type.type, Contract):
                related.add(var.type.type)
        for function in [*contract.functions, *contract.modifiers]:
            for destination, _ in function.high_level_calls:
                if isinstance(destination, Contract):
                    related.add(destination)
        related.discard(contract)
        return related

    # --- what the entry point does --------------------------------------------------------------

    def reaches_hook(self, function: Function) -> bool:
        """Whether `function` reaches a hook: itself, an internal or library callee, a modifier, or the
        target of an external call made by any of those."""
        for reached in reachable_functions(function):
            if name_in(reached.name, self.RECLAMP_HOOKS):
                return True
            for _, call in reached.high_level_calls:
                if name_in(str(call.function_name), self.RECLAMP_HOOKS):
                    return True
        return False

    def lowering_writes(self, function: Function) -> list[tuple[Node, StateVariable]]:
        """(node, stake variable) for each write that lowers a stake, in `function` and its callees."""
        writes = []
        for reached in reachable_functions(function):
            writes += self._lowering_writes_in(reached)
        return sorted(set(writes), key=lambda w: (w[0].source_mapping.filename.relative,
                                                  w[0].source_mapping.start))

    def _lowering_writes_in(self, function: Function) -> list[tuple[Node, StateVariable]]:
        derived = _subtraction_derived(function)
        writes = []
        for node in function.nodes:
            for ir in node.irs:
                var = written_state_variable(ir)
                if var is None or not name_in(var.name, self.STAKE_VARIABLES):
                    continue
                if _is_lowering(ir, derived):
                    writes.append((node, var))
        return writes


def _is_subtraction(ir) -> bool:
    return isinstance(ir, Binary) and ir.type == BinaryType.SUBTRACTION


def _subtraction_derived(function: Function) -> set:
    """Local and temporary variables of `function` that hold a value computed from a subtraction."""
    derived: set = set()
    changed = True
    while changed:
        changed = False
        for node in function.nodes:
            for ir in node.irs:
                if not isinstance(ir, (Assignment, Binary, TypeConversion, Unary)) or ir.lvalue is None:
                    continue
                if ir.lvalue in derived:
                    continue
                if _is_subtraction(ir) or any(v in derived for v in ir.read):
                    derived.add(ir.lvalue)
                    changed = True
    return derived


def _is_lowering(ir: OperationWithLValue, derived: set) -> bool:
    if isinstance(ir, Delete) or _is_subtraction(ir):
        return True
    if isinstance(ir, Assignment) and isinstance(ir.rvalue, Constant) and ir.rvalue.value == 0:
        return True
    return any(v in derived for v in ir.read if v is not ir.lvalue)
