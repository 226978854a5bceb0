"""The Markdown report, compared against a golden file.

The golden file tests/report/expected/REPORT.md changes only on purpose. To regenerate it after a
deliberate change of the layout, run
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/report -q
and review the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.report.markdown import render_markdown
from harness.report.results import Check, Kind, Results, Status

EXPECTED = Path(__file__).parent / "expected" / "REPORT.md"


def test_markdown_matches_the_golden_file(sample_results):
    text = render_markdown(sample_results)
    if os.environ.get("UPDATE_GOLDEN"):
        EXPECTED.write_text(text, encoding="utf-8")
        pytest.skip("golden file regenerated: review the diff")
    assert text == EXPECTED.read_text(encoding="utf-8")


def test_markdown_has_no_timestamp(sample_results):
    text = render_markdown(sample_results)
    assert sample_results.generated_at
    assert sample_results.generated_at not in text and "2024-06-01" not in text


def test_markdown_does_not_depend_on_generated_at(sample_results):
    before = render_markdown(sample_results)
    sample_results.generated_at = "2030-01-01T00:00:00+00:00"
    assert render_markdown(sample_results) == before


def test_markdown_of_an_empty_run_says_nothing_was_checked():
    text = render_markdown(Results())
    assert text.startswith("# Verification: ERROR\n")
    assert "Exit code **3**" in text and "nothing was checked" in text
    assert "No checks were run." in text


def test_markdown_of_a_clean_run_has_no_problem_sections():
    results = Results(checks=[Check("A/init", Kind.PROOF, "A", Status.PROVED, 0.1, "a holds")])
    text = render_markdown(results)
    assert text.startswith("# Verification: PASSED\n")
    assert "## Violations" not in text and "## Inconclusive" not in text


def test_counterexample_without_the_structured_shape_is_json():
    check = Check("A/x", Kind.PROOF, "A", Status.VIOLATED, 0.1, "t", {"counterexample": {"x": 1}})
    text = render_markdown(Results(checks=[check]))
    assert '```json\n{\n  "x": 1\n}\n```' in text
    assert "Replay:" not in text


def test_table_cells_escape_pipes_and_newlines():
    check = Check("A/x", Kind.PROOF, "A", Status.PROVED, 0.1, "a | b\nc")
    assert "| a \\| b c |" in render_markdown(Results(checks=[check]))


def test_markdown_is_the_same_after_a_json_round_trip(sample_results, tmp_path):
    path = tmp_path / "verify.json"
    sample_results.write_json(path)
    assert render_markdown(Results.read_json(path)) == render_markdown(sample_results)


def test_structured_counterexample_renders_as_solidity():
    cx = {
        "pre_state": {"bufferLevel": 10, "balances": {"0xA11CE": 3}},
        "call": {"contract": "EscrowBuffer", "function": "deposit", "args": [5, "0xB0B"],
                 "sender": "0xA11CE", "value": 7},
        "post_state": {"bufferLevel": 15},
    }
    check = Check("X/deposit", Kind.PROOF, "EscrowBuffer", Status.VIOLATED, 0.1, "t",
                  {"counterexample": cx, "confirmed": False})
    text = render_markdown(Results(checks=[check]))
    assert (
        "```solidity\n// state before the call\nbalances[0xA11CE] = 3;\nbufferLevel = 10;\n// the call\n"
        "// msg.sender = 0xA11CE\nEscrowBuffer.deposit{value: 7}(5, 0xB0B);\n"
        "// state after the call\nbufferLevel = 15;\n```"
    ) in text
    assert "**Unconfirmed**" in text
