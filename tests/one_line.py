"""The shape every command's error takes: one non-empty line on stderr, no traceback."""

from __future__ import annotations


def one_line(err: str) -> str:
    """The single non-empty line of `err`; fails the test if there are more, none, or a traceback."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]
