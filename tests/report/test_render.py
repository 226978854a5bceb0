"""write_all: the five reports of one run, and the same finding under the same id in every format."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import render_markdown, render_obligations
from harness.report.render import FILE_NAMES, write_all
from harness.report.results import Check, Kind, Results, Status
from harness.report.sarif import render_sarif

SEEDED_ID = "BPE-SEEDED-042/StakeManager.unstake"


def _seeded(results: Results) -> Results:
    results.add(Check(SEEDED_ID, Kind.PROOF, "StakeManager", Status.VIOLATED, 0.25,
                      "Invariant: a seeded invariant only the tests know.",
                      {"message": "seededSlot (1) != 2 after unstake",
                       "counterexample": {"pre_state": {"seededSlot": 2},
                                          "call": {"function": "unstake", "args": [1], "sender": "0xA11CE"},
                                          "post_state": {"seededSlot": 1}},
                       "confirmed": True}))
    return results


def test_write_all_writes_the_six_reports_and_returns_their_paths(sample_results, tmp_path):
    paths = write_all(sample_results, tmp_path / "out")
    assert list(paths) == ["json", "markdown", "obligations", "html", "sarif", "junit"]
    assert {p.name for p in paths.values()} == set(FILE_NAMES.values())
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    assert not list((tmp_path / "out").glob("*.tmp"))
    again = Results.read_json(paths["json"])
    assert again.to_dict() == sample_results.to_dict()
    assert paths["markdown"].read_text(encoding="utf-8") == render_markdown(sample_results)
    assert paths["obligations"].read_text(encoding="utf-8") == render_obligations(sample_results)
    assert paths["html"].read_text(encoding="utf-8") == render_html(sample_results)
    assert json.loads(paths["sarif"].read_text(encoding="utf-8")) == render_sarif(sample_results)
    assert paths["junit"].read_text(encoding="utf-8") == render_junit(sample_results)


def test_reports_rendered_again_from_the_file_are_identical(sample_results, tmp_path):
    first = write_all(sample_results, tmp_path / "a")
    second = write_all(Results.read_json(first["json"]), tmp_path / "b")
    assert set(first) == set(second) == set(FILE_NAMES)
    for fmt in FILE_NAMES:
        assert first[fmt].read_bytes() == second[fmt].read_bytes(), fmt


@pytest.mark.catches("reports")
def test_a_seeded_violation_appears_in_every_format_under_the_same_id(sample_results, tmp_path):
    paths = write_all(_seeded(sample_results), tmp_path)
    assert any(c["id"] == SEEDED_ID and c["status"] == "VIOLATED"
               for c in json.loads(paths["json"].read_text())["checks"])

    markdown = paths["markdown"].read_text(encoding="utf-8")
    assert f"### `{SEEDED_ID}` (proof, StakeManager)" in markdown
    assert f"| `{SEEDED_ID}` | proof | StakeManager | VIOLATED |" in paths["obligations"].read_text(encoding="utf-8")

    page = paths["html"].read_text(encoding="utf-8")
    root = ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))
    article = next(el for el in root.iter() if el.get("id") == f"cex-{SEEDED_ID}")
    assert SEEDED_ID in "".join(article.itertext())

    sarif = json.loads(paths["sarif"].read_text(encoding="utf-8"))
    hits = [r for r in sarif["runs"][0]["results"] if r["properties"]["checkId"] == SEEDED_ID]
    assert len(hits) == 1 and hits[0]["level"] == "error" and hits[0]["ruleId"] == "BPE-SEEDED-042"

    junit = ET.fromstring(paths["junit"].read_bytes())
    cases = [c for c in junit.iter("testcase") if c.get("name") == SEEDED_ID]
    assert len(cases) == 1 and cases[0].find("failure") is not None
