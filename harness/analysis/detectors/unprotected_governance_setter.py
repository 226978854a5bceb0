"""Detector `unprotected-governance-setter`: a parameter setter that anyone may call.

Why: the BPE contracts are tuned by governance (slashers, smoothing factors, fees, the registry a
contract reports to). A setter without an access check lets any account retune the protocol.

What it flags: a public or external function, not view or pure and not a constructor, whose name starts
with one of `SETTER_PREFIXES` (`set`, `update`, `configure`; leading underscores ignored, the prefix
followed by an uppercase letter, a digit, an underscore or the end, so `settle` is not a setter), that
writes state (itself or through its callees), and that has no access check. An access check is any of:
- a modifier whose name starts with `only` (`onlyOwner`, `onlyRole`, `only_governance`) or is in
  `ACCESS_MODIFIERS` (`auth`, `requiresAuth`);
- a modifier that reads `msg.sender`, itself or through what it calls;
- a condition (an `if`, `require` or `assert`, or a boolean `return` used as one) in the function, its
  modifiers or its internal callees that reads `msg.sender`, directly or through an internal call that
  reads it (`_msgSender()`, `_checkOwner()`, `hasRole(role, _msgSender())`).

Limits: a condition that reads msg.sender for another purpose (`require(msg.sender != to)`) counts as a
check; a check made by another contract (an external authority) is not seen and needs a triage entry.

Configuration: subclass, or `configured(UnprotectedGovernanceSetter, SETTER_PREFIXES=(...),
ACCESS_MODIFIERS=(...))`.
"""

from __future__ import annotations

import re

from slither.core.cfg.node import Node
from slither.core.declarations import Function, Modifier
from slither.detectors.abstract_detector import AbstractDetector, DetectorClassification
from slither.utils.output import Output

from harness.analysis.detectors._common import MSG_SENDER, callee, name_in, prefix_pattern, reachable_functions

_ONLY = re.compile(r"^_*only(?=[A-Z0-9_]|$)", re.IGNORECASE)


class UnprotectedGovernanceSetter(AbstractDetector):
    ARGUMENT = "unprotected-governance-setter"
    HELP = "A public set/update/configure function writes state without an access check"
    IMPACT = DetectorClassification.HIGH
    CONFIDENCE = DetectorClassification.MEDIUM

    WIKI = "harness/analysis/detectors/unprotected_governance_setter.py"
    WIKI_TITLE = "Unprotected governance setter"
    WIKI_DESCRIPTION = (
        "A public or external setter (set*, update*, configure*) writes state and checks neither "
        "msg.sender nor a role, so any account can change the parameter."
    )
    WIKI_EXPLOIT_SCENARIO = (
        "setSlasher(address,bool) lacks its governance check: an attacker makes itself a slasher and "
        "slashes every sink's stake to the treasury, or sets a fee to 100%."
    )
    WIKI_RECOMMENDATION = (
        "Guard the setter with the governance check the contract uses elsewhere (a modifier such as "
        "onlyGovernance, or `if (msg.sender != governance) revert NotGovernance(msg.sender)`)."
    )

    SETTER_PREFIXES: tuple[str, ...] = ("set", "update", "configure")
    ACCESS_MODIFIERS: tuple[str, ...] = ("auth", "requiresAuth")

    def _detect(self) -> list[Output]:
        pattern = prefix_pattern(self.SETTER_PREFIXES)
        results = []
        for contract in sorted(self.contracts, key=lambda c: c.name):
            if contract.is_interface or contract.is_library:
                continue
            for function in sorted(contract.functions_declared, key=lambda f: f.full_name):
                if (
                    function.visibility not in ("public", "external")
                    or not function.is_implemented
                    or function.is_constructor
                    or function.view
                    or function.pure
                    or not pattern.match(function.name)
                ):
                    continue
                written = sorted({v.canonical_name for v in function.all_state_variables_written()})
                if not written or self.has_access_check(function):
                    continue
                info: list = [function, f" writes {', '.join(written)} and has no access check "
                              "(no msg.sender condition, no only* or auth modifier)\n"]
                results.append(self.generate_result(info))
        return results

    def has_access_check(self, function: Function) -> bool:
        for modifier in function.modifiers:
            if not isinstance(modifier, Modifier):
                continue
            if _ONLY.match(modifier.name) or name_in(modifier.name, self.ACCESS_MODIFIERS):
                return True
            if MSG_SENDER in modifier.all_solidity_variables_read():
                return True
        return any(
            _condition_reads_sender(node)
            for reached in reachable_functions(function)
            for node in reached.nodes
        )


def _condition_reads_sender(node: Node) -> bool:
    if not node.is_conditional(include_loop=False):
        return False
    if MSG_SENDER in node.solidity_variables_read:
        return True
    for ir in node.internal_calls:
        target = callee(ir)
        if target is not None and MSG_SENDER in target.all_solidity_variables_read():
            return True
    return False
