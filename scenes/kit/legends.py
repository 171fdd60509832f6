"""Legends: a still must explain its own colours and marks."""

from __future__ import annotations

from typing import Sequence

from manim import DOWN, LEFT, ORIGIN, RIGHT, DashedVMobject, Line, VGroup, VMobject

from scenes.kit.palette import PALETTE
from scenes.kit.text import LABEL_SIZE, cjk

__all__ = ["swatch", "legend_row", "legend_column"]

Item = tuple["str | VMobject", str]  # (colour or a mark, label)


def swatch(color: str, dashed: bool = False, width: float = 6, length: float = 0.5) -> VMobject:
    """A short stroke in ``color`` (dashed for a reference or a prediction)."""
    line = Line(ORIGIN, length * RIGHT, color=color, stroke_width=width)
    return DashedVMobject(line, num_dashes=3) if dashed else line


def _entry(item: Item, size: float, color: str) -> VGroup:
    mark, text = item
    mark = swatch(mark) if isinstance(mark, str) else mark
    return VGroup(mark, cjk(text, size, color)).arrange(RIGHT, buff=0.15)


def legend_row(items: Sequence[Item], size: float = LABEL_SIZE, color: str | None = None) -> VGroup:
    """``[(colour or mark, text), …]`` in one row."""
    return VGroup(*(_entry(i, size, color or PALETTE.muted) for i in items)).arrange(RIGHT, buff=0.45)


def legend_column(items: Sequence[Item], size: float = LABEL_SIZE, color: str | None = None) -> VGroup:
    """``[(colour or mark, text), …]`` stacked, marks aligned on the left."""
    return VGroup(*(_entry(i, size, color or PALETTE.text) for i in items)).arrange(DOWN, aligned_edge=LEFT,
                                                                                     buff=0.14)
