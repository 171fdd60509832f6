"""Shapes the book's diagrams share."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Arrow, Polygon, Rectangle, VGroup, interpolate_color
from manim.utils.color import ManimColor

from scenes.kit.palette import PALETTE

__all__ = ["arrow_between", "cuboid", "CUBOID_SLANT"]

CUBOID_SLANT = np.array([0.55, 0.32, 0.0])  # a cuboid's oblique offset per unit of depth


def arrow_between(start: np.ndarray, end: np.ndarray, color: str, tip: float = 0.2, stroke_width: float = 4,
                  buff: float = 0.08) -> Arrow:
    """An arrow whose tip keeps the same size whatever its length (manim scales tips of short arrows)."""
    length = float(np.linalg.norm(np.asarray(end) - np.asarray(start))) - 2 * buff
    return Arrow(start, end, buff=buff, color=color, stroke_width=stroke_width, tip_length=tip,
                 max_tip_length_to_length_ratio=min(1.0, tip / max(length, 1e-3)),
                 max_stroke_width_to_length_ratio=1000)


def cuboid(side: float, depth: float, color: str) -> VGroup:
    """A feature-map block: a side×side front face, ``depth`` (channels) drawn as an oblique extrusion."""
    off = depth * CUBOID_SLANT
    front = Rectangle(width=side, height=side, stroke_color=color, stroke_width=2,
                      fill_color=PALETTE.grid, fill_opacity=1.0)
    ul, ur, dr = front.get_corner(UP + LEFT), front.get_corner(UP + RIGHT), front.get_corner(DOWN + RIGHT)
    top = Polygon(ul, ur, ur + off, ul + off, stroke_color=color, stroke_width=2,
                  fill_color=interpolate_color(ManimColor(PALETTE.grid), ManimColor(PALETTE.muted), 0.45),
                  fill_opacity=1.0)
    right = Polygon(ur, dr, dr + off, ur + off, stroke_color=color, stroke_width=2,
                    fill_color=interpolate_color(ManimColor(PALETTE.grid), ManimColor(PALETTE.background), 0.4),
                    fill_opacity=1.0)
    return VGroup(right, top, front)
