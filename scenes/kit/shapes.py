"""Shapes the book's diagrams share."""

from __future__ import annotations

import numpy as np
from manim import Arrow

__all__ = ["arrow_between"]


def arrow_between(start: np.ndarray, end: np.ndarray, color: str, tip: float = 0.2, stroke_width: float = 4,
                  buff: float = 0.08) -> Arrow:
    """An arrow whose tip keeps the same size whatever its length (manim scales tips of short arrows)."""
    length = float(np.linalg.norm(np.asarray(end) - np.asarray(start))) - 2 * buff
    return Arrow(start, end, buff=buff, color=color, stroke_width=stroke_width, tip_length=tip,
                 max_tip_length_to_length_ratio=min(1.0, tip / max(length, 1e-3)),
                 max_stroke_width_to_length_ratio=1000)
