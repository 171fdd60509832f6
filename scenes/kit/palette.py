"""The book's palette and type: one meaning per colour, one place to change it.

Scenes take every colour from ``PALETTE`` (never literals), so the light
print theme is a second palette, chosen with ``REEL_THEME``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Palette", "PALETTE", "THEME", "FONT", "MONO", "VIRIDIS"]

FONT = "Noto Sans CJK SC"
MONO = "Noto Sans Mono CJK SC"


@dataclass(frozen=True)
class Palette:
    background: str
    text: str  # body text, labels
    muted: str  # secondary text, axes, neutral structure
    grid: str  # faint guides
    positive: str  # class 1 / positive / reward: warm
    negative: str  # class 0 / negative / penalty: cool
    forward: str  # forward pass
    backward: str  # backward pass / gradient
    learned: str  # the learned thing: boundary, policy, value
    highlight: str  # a flash on the element being talked about
    error: str  # a mistake


DARK = Palette(
    background="#0f1115",
    text="#e8e6e3",
    muted="#8a9099",
    grid="#2a2f38",
    positive="#f2a33a",
    negative="#4f9de0",
    forward="#5aa9f0",
    backward="#f0643c",
    learned="#5ccf7a",
    highlight="#fff3b0",
    error="#ff5c5c",
)

# Every text colour is ≥ 4.5:1 on the background (WCAG AA; tests/test_theme.py checks both themes).
LIGHT = Palette(
    background="#ffffff",
    text="#1d1f23",
    muted="#6b717a",
    grid="#d9dde3",
    positive="#a9631e",
    negative="#2f6fb3",
    forward="#2f6fb3",
    backward="#cc4729",
    learned="#278443",
    highlight="#966d09",
    error="#c62828",
)

THEMES = {"dark": DARK, "light": LIGHT}
THEME = os.environ.get("REEL_THEME", "dark")
PALETTE = THEMES.get(THEME, DARK)

# viridis at 9 stops: the one colormap for every heat map in the book
VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725")
