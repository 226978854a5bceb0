"""harness.files.write_text_atomic: whole or not at all, no temporary file left behind."""

from __future__ import annotations

import os

import pytest

from harness import files


def test_a_write_replaces_the_content_whole(tmp_path):
    path = tmp_path / "sub" / "report.md"
    assert files.write_text_atomic(path, "old\n") == path
    files.write_text_atomic(path, "new\n")
    assert path.read_text() == "new\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["report.md"]


def test_a_failed_write_keeps_the_old_content_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "verify.json"
    files.write_text_atomic(path, '{"complete": true}\n')

    def interrupted(*_a, **_k):
        raise KeyboardInterrupt  # as a Ctrl-C between writing and renaming would

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_text_atomic(path, '{"complete": fa')
    assert path.read_text() == '{"complete": true}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["verify.json"]
