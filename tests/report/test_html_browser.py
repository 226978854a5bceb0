"""The HTML report in a real browser: headless Chromium loads the file offline, its DOM has every
section, and it paints a non-blank screenshot. Skips (with the reason) when /usr/bin/chromium is
missing: install it with harness/report/install_chromium.sh."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from harness.report.html import SECTION_IDS, render_html
from tests.report.shapes import real_shaped_results

CHROMIUM = Path("/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 2000
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def chromium():
    if not CHROMIUM.exists():
        pytest.skip(f"chromium not installed: {CHROMIUM} is missing (run harness/report/install_chromium.sh)")
    return str(CHROMIUM)


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def _page(tmp_path: Path, sample_results) -> Path:
    for check in real_shaped_results().checks:
        if check.kind.value != "compile":
            sample_results.add(check)
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_results), encoding="utf-8")
    return page


def test_chromium_renders_every_section_of_the_report(chromium, tmp_path, sample_results):
    page = _page(tmp_path, sample_results)
    dom = _run(chromium, tmp_path / "profile-dom", "--dump-dom", page.as_uri()).stdout
    for section in SECTION_IDS:
        assert f'<section id="{section}">' in dom, section
    assert "<script" not in dom
    assert "BPE-CAP-001/unstake" in dom and "StakeManager.slash(0xa11ce" in dom
    assert "Verification report:" in dom


def test_chromium_paints_a_non_blank_screenshot(chromium, tmp_path, sample_results):
    page = _page(tmp_path, sample_results)
    shot = tmp_path / "shot.png"
    _run(chromium, tmp_path / "profile-shot", f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
         page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (WIDTH, HEIGHT)
    # a blank 1280x2000 page compresses to a few kilobytes; the report's text and tables do not
    assert len(data) > 20_000, f"screenshot is only {len(data)} bytes: the page looks blank"
