"""Obligations not proved yet (configuration "not_proved") are listed in REPORT.md and report.html, so no
reader takes the proof results for the whole suite."""

from __future__ import annotations

from harness.report.html import render_html
from harness.report.markdown import render_markdown
from tests.report.shapes import real_shaped_results

ROW = {"id": "BPE-FLOW-002/*", "contract": "EscrowBuffer", "statement": "Invariant: no call creates tokens.",
       "why": "not proved: per-pool sums are not built", "checked_by": "the fuzzer on every state"}


def test_not_proved_rows_are_listed_in_markdown_and_html():
    results = real_shaped_results()
    results.config["not_proved"] = [ROW]
    md, page = render_markdown(results), render_html(results)
    assert "## Not proved yet" in md and "`BPE-FLOW-002` (every obligation)" in md and "per-pool sums" in md
    # the invariant's row in the table says so too
    assert "| `BPE-FLOW-002` | not proved yet | 0 (+1 not proved yet) |" in md
    assert 'id="not-proved"' in page and "<code>BPE-FLOW-002/*</code>" in page and "the fuzzer on every state" in page


def test_nothing_is_listed_when_everything_is_proved():
    results = real_shaped_results()
    results.config.pop("not_proved", None)
    assert "Not proved yet" not in render_markdown(results) and 'id="not-proved"' not in render_html(results)
