"""Crash-safe state files: JSON written to a temporary file in the same directory, fsync'd, renamed
over the old file (atomic on POSIX), then the directory fsync'd so the rename itself is durable.

After a crash at any point, the file holds either the old content or the new one, never a mix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.files import write_text_atomic


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


class StateFileError(ValueError):
    """A state file exists but cannot be read back (truncated, corrupt, not JSON): never silently reset,
    since it may hold the only record of a transaction in flight."""


def read_json(path: Path, default: Any = None) -> Any:
    """The JSON in `path`, `default` when there is no such file; StateFileError naming the file if it
    cannot be read or parsed."""
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return default
    except (OSError, UnicodeDecodeError) as exc:
        raise StateFileError(f"{path}: cannot read the state file ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateFileError(f"{path}: the state file is not JSON (truncated or corrupt?): {exc}; "
                             "move it aside to start afresh") from exc


class JsonState:
    """A dict persisted to one file; `save()` after every change that must survive a crash."""

    def __init__(self, path: str | Path, default: dict | None = None):
        self.path = Path(path)
        data = read_json(self.path, None)
        if data is not None and not isinstance(data, dict):
            raise StateFileError(f"{self.path}: the state file holds a JSON {type(data).__name__}, not an object")
        self.data: dict = data or dict(default or {})

    def save(self) -> None:
        write_json_atomic(self.path, self.data)
