"""The HTML report: one self-contained, escaped page with the six sections auditors read."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from harness.report.html import SECTION_IDS, render_html
from harness.report.results import Check, Kind, Results, Status
from tests.report.shapes import FUZZ_ID, PROOF_ID, real_shaped_results

HOSTILE = '<script>alert("x")</script> see https://evil.example/a?b=1&c=<img src=x onerror=alert(1)>'


def _tree(page: str) -> ET.Element:
    assert page.startswith("<!DOCTYPE html>\n")
    return ET.fromstring(page.removeprefix("<!DOCTYPE html>\n"))


def _by_id(root: ET.Element, element_id: str) -> ET.Element:
    found = [el for el in root.iter() if el.get("id") == element_id]
    assert len(found) == 1, f"{len(found)} elements with id {element_id!r}"
    return found[0]


def _text(el: ET.Element) -> str:
    return "".join(el.itertext())


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.texts).append(data)


def _hostile_results(sample: Results) -> Results:
    sample.add(Check("HOSTILE/<b>x</b>", Kind.PROOF, '"><i>StakeManager', Status.VIOLATED, 0.5, HOSTILE,
                     {"message": HOSTILE, "counterexample": {"pre_state": {HOSTILE: HOSTILE}, "call": HOSTILE},
                      "anchors": [HOSTILE], "recommendation": HOSTILE}))
    sample.add(Check("STATIC-HOSTILE", Kind.STATIC, "*", Status.VIOLATED, 0.1, HOSTILE,
                     {"findings": [{"check": HOSTILE, "description": HOSTILE, "elements": [HOSTILE]}, HOSTILE]}))
    return sample


def test_every_section_is_present_once_and_in_order(sample_results):
    for results in (sample_results, real_shaped_results(), Results()):
        page = render_html(results)
        root = _tree(page)
        sections = [el.get("id") for el in root.iter("section")]
        assert sections == list(SECTION_IDS)


def test_the_page_is_well_formed_and_deterministic(sample_results):
    page = render_html(sample_results)
    _tree(page)  # raises on malformed markup
    assert page == render_html(sample_results)
    assert page.endswith("</html>\n")


def test_the_page_is_self_contained_with_no_network_reference(sample_results):
    page = render_html(_hostile_results(sample_results))
    c = _Collector()
    c.feed(page)
    tags = {t for t, _ in c.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base", "form", "svg", "audio",
                       "video", "source", "frame", "frameset", "applet"}
    for tag, attrs in c.tags:
        assert "src" not in attrs and "srcset" not in attrs, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert "://" not in (value or ""), (tag, name, value)
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs["href"]
    css = "".join(c.styles)
    assert "url(" not in css and "@import" not in css and "@font-face" not in css and "://" not in css
    # every "http://" or "https://" in the file is inside text (escaped data), never markup
    raw = page.count("://")
    assert raw == sum(t.count("://") for t in c.texts)
    assert "https://evil.example" in "".join(c.texts)


def test_text_from_the_results_is_escaped(sample_results):
    page = render_html(_hostile_results(sample_results))
    assert "<script" not in page and "<img" not in page and "<i>" not in page and "<b>x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    root = _tree(page)
    assert HOSTILE in _text(_by_id(root, "counterexamples"))
    assert HOSTILE in _text(_by_id(root, "static"))
    assert "HOSTILE/<b>x</b>" in _text(_by_id(root, "invariants"))


def test_every_check_id_appears_in_the_page(sample_results):
    root = _tree(render_html(sample_results))
    text = _text(root)
    for check in sample_results.checks:
        assert check.id in text


def test_invariants_group_proofs_lemmas_and_vacuity_checks_by_family(sample_results):
    root = _tree(render_html(sample_results))
    section = _by_id(root, "invariants")
    groups = {el.get("id"): el for el in section.iter("tbody") if el.get("id")}
    assert list(groups) == ["inv-BPE-CAP-001", "inv-BPE-BUFFER-001", "inv-BPE-BUFFER-002", "inv-BPE-BUFFER-003"]
    buffer2 = _text(groups["inv-BPE-BUFFER-002"])
    assert "BPE-BUFFER-002/deposit" in buffer2 and "BPE-BUFFER-002/vacuity" in buffer2
    assert "INCONCLUSIVE" in buffer2 and "z3 returned unknown (timeout after 30000 ms)" in buffer2
    assert "deposits are conserved" in buffer2 and "BPE-BUFFER-001/lemma-level" in buffer2
    cap = _text(groups["inv-BPE-CAP-001"])
    assert "totalStaked equals the sum of stakes" in cap and "1.875" in cap
    # fuzz, static and compile checks are not in this section
    text = _text(section)
    assert "FUZZ-EscrowBuffer-pyrevm" not in text and "SLITHER" not in text and "COMPILE" not in text


def test_summary_gives_verdict_exit_code_counts_and_what_needs_attention(sample_results):
    root = _tree(render_html(sample_results))
    text = " ".join(_text(_by_id(root, "summary")).split())
    assert "VIOLATED" in text and "exit code 1" in text
    assert "at least one check VIOLATED (a definite finding)" in text
    rows = [[_text(c) for c in tr if c.tag in ("td", "th")] for tr in _by_id(root, "summary").iter("tr")]
    assert ["Total", "10"] in rows and ["VIOLATED", "2"] in rows and ["ERROR", "1"] in rows
    for c in sample_results.checks:
        if c.status not in (Status.PROVED, Status.PASSED):
            assert c.id in text
    assert "COMPILE" in text  # compile checks are listed in the summary


def test_a_proof_counterexample_shows_slots_the_solidity_call_and_the_evm_replays():
    root = _tree(render_html(real_shaped_results()))
    article = _by_id(root, f"cex-{PROOF_ID}")
    cells = [_text(td) for td in article.iter("td")]
    assert "StakeManager.stakes[0x6a14ef316a343420d2e5feecf4507bfe1ded1bfa]" in cells
    assert "100000000000000000001" in cells
    assert "StakeManager.isSlasher[0x7ea5000000000000000000000000000000000003]" in cells
    call = "\n".join(_text(pre) for pre in article.iter("pre"))
    assert "// msg.sender = 0x7ea5000000000000000000000000000000000003" in call
    assert (f"StakeManager.slash({{amount: {2**256 - 1}, reason: 0x{'00' * 32}, "
            "sink: 0x6a14ef316a343420d2e5feecf4507bfe1ded1bfa});") in call
    rows = [[_text(td) for td in tr.iter("td")] for tr in article.iter("tr")]
    assert ["pyrevm", "reproduced", "BPE-STAKE-001 holds before and fails after the call on pyrevm"] in rows
    assert ["py-evm", "reproduced", "BPE-STAKE-001 holds before and fails after the call on py-evm"] in rows
    assert "Confirmed" in _text(article)


def test_a_fuzz_counterexample_is_a_numbered_list_of_calls_with_senders():
    root = _tree(render_html(real_shaped_results()))
    article = _by_id(root, f"cex-{FUZZ_ID}")
    lists = list(article.iter("ol"))
    assert len(lists) == 1
    items = [_text(li) for li in lists[0].iter("li")]
    assert items == [
        "StakeManager.setSlasher(0x51a5400000000000000000000000000000000004, true) "
        "from 0x6060000000000000000000000000000000000000",
        "advance 3 blocks, 36 seconds",
        "StakeManager.stake(100000000000000000000) from 0xa11ce00000000000000000000000000000000001",
        f"StakeManager.slash(0xa11ce00000000000000000000000000000000001, 100000000000000000000, 0x{'11' * 32}) "
        "from 0x51a5400000000000000000000000000000000004",
    ]
    assert "harness.cli replay reports/replays/pyrevm-0942e2963216.json" in _text(article)


def test_fuzzing_shows_throughput_and_calls_reverts_and_successes_per_function():
    root = _tree(render_html(real_shaped_results()))
    section = _by_id(root, "fuzzing")
    article = _by_id(root, f"fuzz-{FUZZ_ID}")
    text = " ".join(_text(article).split())
    for fact in ("4586", "239", "194.7", "derandomized", "pyrevm"):
        assert fact in text
    rows = [[_text(td) for td in tr.iter("td")] for tr in article.iter("tr")]
    slash = next(r for r in rows if r and r[0] == "StakeManager.slash")
    assert slash[1:4] == ["233", "21", "212"]
    assert slash[4] == "NotSlasher \u00d7127, NothingToSlash \u00d750, ZeroAmount \u00d735"
    assert next(r for r in rows if r and r[0] == "Total")[1:4] == ["820", "467", "353"]
    assert "FUZZ-StakeManager-py-evm" in _text(section)


def test_fuzzing_without_counts_and_empty_sections_say_so(sample_results):
    root = _tree(render_html(sample_results))
    assert "No per-function counts were recorded." in _text(_by_id(root, "fuzzing"))
    empty = _tree(render_html(Results()))
    assert "Nothing was checked" in _text(_by_id(empty, "summary"))
    assert "No check was VIOLATED." in _text(_by_id(empty, "counterexamples"))
    assert "No static-analysis check was run." in _text(_by_id(empty, "static"))
    assert "No fuzz campaign was run." in _text(_by_id(empty, "fuzzing"))


def test_static_section_lists_static_checks_with_their_reason(sample_results):
    root = _tree(render_html(sample_results))
    text = _text(_by_id(root, "static"))
    assert "SLITHER" in text and "ERROR" in text and "KeyError: 'ast'" in text


def test_provenance_has_versions_compiler_config_and_hashes(sample_results):
    root = _tree(render_html(sample_results))
    text = _text(_by_id(root, "provenance"))
    for value in [*sample_results.tool_versions.values(), *sample_results.sources.values(), "cancun",
                  "solver_timeout_ms", "4312"]:
        assert str(value) in text
    for b in sample_results.bytecode.values():
        assert b["creation_sha256"] in text and b["runtime_sha256"] in text


def test_the_only_timestamp_is_generated_at_in_the_footer(sample_results):
    page = render_html(sample_results)
    root = _tree(page)
    assert page.count(sample_results.generated_at) == 1
    footer = next(root.iter("footer"))
    assert sample_results.generated_at in _text(footer)
    outside = _text(root).replace(_text(footer), "")
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", outside)
    sample_results.generated_at = "2030-01-01T00:00:00+00:00"
    other = render_html(sample_results)
    assert page.split("<footer>")[0] == other.split("<footer>")[0]
