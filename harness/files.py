"""Files written whole or not at all.

`write_text_atomic` writes to a temporary file in the same directory, flushes it to disk, renames it
over the target (atomic on POSIX) and flushes the directory, so that the rename itself survives a
crash. A reader, or the next run after a crash at any point, sees the old content or the new one, never
a mix; a failed write leaves no temporary file behind. Reports, replay files, caches and state files
all go through it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Replace the content of `path` by `text` (UTF-8) atomically and durably; creates the parent."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
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
    return path
