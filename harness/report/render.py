"""Write every report of a run from its one `Results`: verify.json (the source), REPORT.md (the
summary) and OBLIGATIONS.md (every check, one row each), report.html, report.sarif and junit.xml, all in one directory.

`write_all` validates and writes verify.json first (`Results.write_json`, which refuses results that
break the schema), then the renderings; each file is written atomically (a reader never sees half a
file). The renderers read only the results object, so `write_all(Results.read_json(path), out_dir)`
re-renders the reports of an earlier run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.files import write_text_atomic
from harness.report.html import render_html
from harness.report.junit import render_junit
from harness.report.markdown import OBLIGATIONS_FILE, render_markdown, render_obligations
from harness.report.results import Results
from harness.report.sarif import render_sarif

# format -> file name in the output directory, in the order they are written
FILE_NAMES = {
    "json": "verify.json",
    "markdown": "REPORT.md",
    "obligations": OBLIGATIONS_FILE,
    "html": "report.html",
    "sarif": "report.sarif",
    "junit": "junit.xml",
}


def write_all(results: Results, out_dir: str | os.PathLike, extra_html: tuple[str, ...] = (),
              write_json: bool = True) -> dict[str, Path]:
    """Write the six reports into `out_dir` (created if missing); return format -> path, with the
    keys of `FILE_NAMES` ("json", "markdown", "obligations", "html", "sarif", "junit"). `extra_html`: sections the
    HTML page adds (the simulation's). `write_json=False` renders the other five from results read
    out of verify.json, which is left as it is (and left out of the returned paths)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out / name for fmt, name in FILE_NAMES.items()}
    if write_json:
        results.write_json(paths["json"])
    else:
        del paths["json"]
    _write(paths["markdown"], render_markdown(results))
    _write(paths["obligations"], render_obligations(results))
    _write(paths["html"], render_html(results, extra_html))
    _write(paths["sarif"], json.dumps(render_sarif(results), indent=2, ensure_ascii=False) + "\n")
    _write(paths["junit"], render_junit(results))
    return paths


def _write(path: Path, text: str) -> None:
    write_text_atomic(path, text)
