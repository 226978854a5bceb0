"""A progress bar on the terminal (rewritten in place), a line per 10% in logs (no terminal)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str = "simulate", stream=None, width: int = 30):
        self.total = max(1, total)
        self.done = 0
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.width = width
        self.start = time.perf_counter()
        self.what = ""
        self._last_decile = -1
        self._last_draw = 0.0

    def set(self, what: str) -> None:
        self.what = what
        self._draw(force=True)

    def tick(self, n: int = 1) -> None:
        self.done = min(self.total, self.done + n)
        self._draw()

    def _draw(self, force: bool = False) -> None:
        frac = self.done / self.total
        elapsed = time.perf_counter() - self.start
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        if self.tty:
            now = time.perf_counter()
            if not force and now - self._last_draw < 0.1 and self.done < self.total:
                return
            self._last_draw = now
            bar = "#" * int(frac * self.width)
            line = (f"\r{self.label} [{bar:<{self.width}}] {frac * 100:5.1f}% {self.done}/{self.total} blocks "
                    f"{elapsed:5.0f}s eta {eta:4.0f}s  {self.what[:40]:<40}")
            print(line, end="", file=self.stream, flush=True)
        else:
            decile = int(frac * 10)
            if decile > self._last_decile:
                self._last_decile = decile
                print(f"{self.label}: {frac * 100:3.0f}% ({self.done}/{self.total} blocks, {elapsed:.0f}s) {self.what}",
                      file=self.stream, flush=True)

    def close(self) -> None:
        if self.tty:
            self._draw(force=True)
            print(file=self.stream, flush=True)
