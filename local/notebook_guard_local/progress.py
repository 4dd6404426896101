"""A dependency-free progress bar for stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    """``\\r``-redrawn bar: silent when the stream is not a TTY, and for runs shorter than ``delay`` seconds."""

    def __init__(
        self,
        total: int,
        label: str = "notebooks",
        stream: TextIO | None = None,
        enabled: bool | None = None,
        delay: float = 0.5,
        width: int = 30,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self._is_tty(self.stream) if enabled is None else enabled
        self.done = 0
        self.width = width
        self._started = time.monotonic()
        self._delay = delay
        self._last_draw = 0.0
        self._drawn = False
        self._lock = threading.RLock()  # advanced from several threads (one per audited region)

    @staticmethod
    def _is_tty(stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def grow(self, count: int = 1) -> None:
        with self._lock:
            self.total += count

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            if not self.enabled:
                return
            now = time.monotonic()
            if now - self._started < self._delay:
                return
            if self._drawn and now - self._last_draw < 0.1 and self.done < self.total:
                return  # redraw at most ten times a second
            self._last_draw = now
            self._draw()

    def render(self) -> str:
        share = self.done / self.total if self.total else 1.0
        filled = round(share * self.width)
        return f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} {self.label}"

    def _draw(self) -> None:
        self.stream.write("\r" + self.render())
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar so the report that follows starts on a clean line."""
        with self._lock:
            if self._drawn:
                self.stream.write("\r" + " " * len(self.render()) + "\r")
                self.stream.flush()
                self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
