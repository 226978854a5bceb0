"""Crash-safe state files: JSON written to a temporary file in the same directory, fsync'd, renamed
over the old file (atomic on POSIX), then the directory fsync'd so the rename itself is durable.

After a crash at any point, the file holds either the old content or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json_atomic(path: Path, data: Any) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def read_json(path: Path, default: Any = None) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        return default


class JsonState:
    """A dict persisted to one file; `save()` after every change that must survive a crash."""

    def __init__(self, path: str | Path, default: dict | None = None):
        self.path = Path(path)
        self.data: dict = read_json(self.path, None) or dict(default or {})

    def save(self) -> None:
        write_json_atomic(self.path, self.data)
