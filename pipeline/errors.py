"""Errors the CLI turns into a one-line message instead of a traceback."""

from __future__ import annotations

import difflib
from typing import Iterable

__all__ = ["UsageError", "ComputeError", "closest"]


class UsageError(Exception):
    """The user asked for something that does not exist or is malformed (exit 2)."""


class ComputeError(Exception):
    """A sim, render or assembly step failed (exit 1)."""


def closest(word: str, choices: Iterable[str], n: int = 3) -> str:
    """``"did you mean: a, b"`` for the nearest valid choices, or all of them if few."""
    choices = list(choices)
    matches = difflib.get_close_matches(word, choices, n=n, cutoff=0.4)
    if not matches:
        lowered = word.lower()
        matches = [c for c in choices if lowered in c.lower() or c.lower() in lowered][:n]
    if matches:
        return "did you mean: " + ", ".join(matches)
    shown = ", ".join(choices[:8]) + (", …" if len(choices) > 8 else "")
    return f"valid choices: {shown}"
