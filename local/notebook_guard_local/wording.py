"""Small helpers for the words the command line prints."""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 notebook``, ``0 notebooks``, ``2 notebooks``."""
    return f"{count} {word}" if count == 1 else f"{count} {words or word + 's'}"
