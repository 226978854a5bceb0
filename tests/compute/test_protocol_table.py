"""PROTOCOL.md section 10 and the invariant registry name the same guarantees: every id of the section's
tables is a registered compute invariant (state or step) and every registered compute invariant has a
row, so neither can drift from the other; a row of kind "state" is a state invariant and one of kind
"step" a step invariant (a row of both kinds may be either)."""

from __future__ import annotations

import re
from pathlib import Path

from invariants.registry import REGISTRY, STEP_REGISTRY
from specs.suite import get_suite

SUITE = get_suite("compute")
PROTOCOL = Path(__file__).resolve().parents[2] / "specs" / "compute" / "PROTOCOL.md"
ROW = re.compile(r"^\|\s*(COMP-[A-Z0-9]+-\d{3})\s*\|\s*([^|]*?)\s*\|")


def section_10(text: str) -> str:
    """The text of section 10 ("Guarantees"), up to the next section."""
    start = text.index("\n## 10. ")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def protocol_rows(text: str) -> dict[str, str]:
    """The id and kind of every row of section 10's tables; an id listed twice raises."""
    rows: dict[str, str] = {}
    for line in section_10(text).splitlines():
        m = ROW.match(line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} has two rows in PROTOCOL.md section 10"
            rows[m.group(1)] = m.group(2)
    return rows


def registered() -> tuple[set[str], set[str]]:
    """The ids of the compute state invariants and of the compute step invariants."""
    SUITE.register_invariants()
    names = set(SUITE.contract_names())
    return {i.id for i in REGISTRY.for_contracts(names)}, {i.id for i in STEP_REGISTRY.for_contracts(names)}


def drift(rows: dict[str, str], state: set[str], step: set[str]) -> list[str]:
    """What the table and the registry disagree on, one line each (empty: they agree)."""
    out = [f"{i}: in PROTOCOL.md section 10, not registered" for i in sorted(set(rows) - state - step)]
    out += [f"{i}: registered, not in PROTOCOL.md section 10" for i in sorted((state | step) - set(rows))]
    for i, kind in sorted(rows.items()):
        if kind == "state" and i in step:
            out.append(f"{i}: a state row, registered as a step invariant")
        if kind == "step" and i in state:
            out.append(f"{i}: a step row, registered as a state invariant")
    return out


def test_the_guarantees_table_and_the_registry_name_the_same_invariants():
    rows = protocol_rows(PROTOCOL.read_text())
    state, step = registered()
    assert len(rows) >= 30 and state and step  # the tables were read, the invariants registered
    assert drift(rows, state, step) == []


def test_an_id_missing_on_either_side_is_drift():
    text = PROTOCOL.read_text()
    rows, (state, step) = protocol_rows(text), registered()
    # a row removed from the table
    without_row = "\n".join(line for line in text.splitlines() if not line.startswith("| COMP-ETH-001 "))
    assert drift(protocol_rows(without_row), state, step) == ["COMP-ETH-001: registered, not in PROTOCOL.md section 10"]
    # an invariant removed from the registry, state or step
    assert drift(rows, state - {"COMP-REG-002"}, step) == ["COMP-REG-002: in PROTOCOL.md section 10, not registered"]
    assert drift(rows, state, step - {"COMP-TRIG-003"}) == ["COMP-TRIG-003: in PROTOCOL.md section 10, not registered"]
    # a row counts at the end of section 10, not in the section after it
    at_end = text.replace("\n## 11. ", "\n| COMP-NEW-001 | step | new |\n\n## 11. ")
    assert set(protocol_rows(at_end)) == set(rows) | {"COMP-NEW-001"}
    after = text.replace("\n## 12. ", "\n| COMP-NEW-001 | step | new |\n\n## 12. ")
    assert set(protocol_rows(after)) == set(rows)
