"""Grids of numbered cells and heat maps: images, kernels, feature maps, value tables.

Heat maps use one perceptual colormap (viridis) with a labelled scale.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from manim import DR, RIGHT, UL, UP, Line, Rectangle, Square, VGroup, interpolate_color
from manim.utils.color import ManimColor

from scenes.kit.numbers import plain
from scenes.kit.palette import PALETTE, VIRIDIS
from scenes.kit.text import LABEL_SIZE, SMALL_SIZE, cjk, mono

__all__ = ["viridis", "ink_on", "CellGrid", "heat_scale"]


def viridis(t: float) -> ManimColor:
    """The book's heat-map colour at ``t`` in [0, 1] (clipped), interpolated between VIRIDIS stops."""
    t = min(max(float(t), 0.0), 1.0) * (len(VIRIDIS) - 1)
    k = min(int(t), len(VIRIDIS) - 2)
    return interpolate_color(ManimColor(VIRIDIS[k]), ManimColor(VIRIDIS[k + 1]), t - k)


def ink_on(fill: str | ManimColor) -> str:
    """Text colour that reads on ``fill``: the background colour on light fills, else body text."""
    r, g, b = ManimColor(fill).to_rgb()
    return PALETTE.background if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.5 else PALETTE.text


class CellGrid(VGroup):
    """A rows×cols grid of square cells, optionally filled and numbered (images, feature maps, kernels).

    ``fill(value) -> colour`` colours each cell; ``fmt(value) -> str`` writes its number (``None``: no
    numbers). ``cells[i][j]`` / ``labels[i][j]`` address one cell; ``block(...)`` frames a window.
    """

    def __init__(self, values, cell: float = 0.55, fill: Callable | None = None, fmt: Callable | None = None,
                 size: float = 24, stroke: str | None = None, stroke_width: float = 1.5) -> None:
        super().__init__()
        self.rows, self.cols = len(values), len(values[0])
        self.cell_size = cell
        self.cells = VGroup()
        self.labels = VGroup()
        for i in range(self.rows):
            row, row_labels = VGroup(), VGroup()
            for j in range(self.cols):
                v = values[i][j]
                color = fill(v) if fill else PALETTE.background
                sq = Square(cell, stroke_color=stroke or PALETTE.muted, stroke_width=stroke_width,
                            fill_color=color, fill_opacity=1.0)
                sq.move_to(np.array([j * cell, -i * cell, 0.0]))
                row.add(sq)
                if fmt is not None:
                    row_labels.add(mono(fmt(v), size, ink_on(color)).move_to(sq))
            self.cells.add(row)
            self.labels.add(row_labels)
        self.add(self.cells, self.labels)
        self.move_to(np.zeros(3))

    def cell(self, i: int, j: int) -> Square:
        return self.cells[i][j]

    def block(self, i: int, j: int, h: int, w: int, color: str | None = None, stroke_width: float = 5,
              pad: float = 0.0) -> Rectangle:
        """A frame around cells [i, i+h) × [j, j+w)."""
        corner_a = self.cells[i][j].get_corner(UL)
        corner_b = self.cells[i + h - 1][j + w - 1].get_corner(DR)
        rect = Rectangle(width=abs(corner_b[0] - corner_a[0]) + 2 * pad,
                         height=abs(corner_a[1] - corner_b[1]) + 2 * pad,
                         color=color or PALETTE.highlight, stroke_width=stroke_width)
        return rect.move_to((corner_a + corner_b) / 2)

    def recolor(self, i: int, j: int, value, fill: Callable, fmt: Callable | None = None,
                size: float = 24) -> VGroup:
        """A fresh (cell, label) for cell (i, j) showing ``value``, for a FadeIn/Transform onto it."""
        color = fill(value)
        sq = self.cells[i][j].copy().set_fill(color, 1.0)
        group = VGroup(sq)
        if fmt is not None:
            group.add(mono(fmt(value), size, ink_on(color)).move_to(sq))
        return group


def heat_scale(lo: float, hi: float, height: float = 2.0, width: float = 0.22, label: str = "",
               ticks: Sequence[float] | None = None, fmt: Callable[[float], str] = plain) -> VGroup:
    """A vertical viridis colour bar from ``lo`` (bottom) to ``hi`` (top), ticked and labelled."""
    steps = 24
    bar = VGroup(*(Rectangle(width=width, height=height / steps, stroke_width=0,
                             fill_color=viridis((k + 0.5) / steps), fill_opacity=1.0)
                   for k in range(steps))).arrange(UP, buff=0)
    frame = Rectangle(width=width, height=height, stroke_color=PALETTE.muted, stroke_width=1).move_to(bar)
    marks = VGroup()
    for v in (ticks if ticks is not None else (lo, hi)):
        y = bar.get_bottom()[1] + ((v - lo) / (hi - lo) if hi > lo else 0.5) * height
        at = np.array([bar.get_right()[0], y, 0.0])
        marks.add(Line(at, at + 0.08 * RIGHT, color=PALETTE.muted, stroke_width=2),
                  mono(fmt(v), SMALL_SIZE, PALETTE.muted).next_to(at, RIGHT, buff=0.14))
    group = VGroup(bar, frame, marks)
    if label:
        group.add(cjk(label, LABEL_SIZE, PALETTE.muted).next_to(frame, UP, buff=0.15))
    return group
