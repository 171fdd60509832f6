"""Charts: small linear panels and log-scale axes with the book's ticks."""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Axes, Line, VGroup, VMobject

from scenes.kit.palette import PALETTE
from scenes.kit.text import LABEL_SIZE, SMALL_SIZE, cjk, tex

__all__ = ["panel_axes", "polyline", "nice_step", "decade_span", "decade_step", "labelled_decades", "LogAxes"]


def panel_axes(x_range: Sequence[float], y_range: Sequence[float], x_length: float, y_length: float,
               x_label: str = "", y_label: str = "", numbers: bool = True, font_size: float = SMALL_SIZE) -> Axes:
    """Linear axes in the palette with numbered ticks; ``x_label`` right of the x axis, ``y_label`` above y."""
    axes = Axes(x_range=list(x_range), y_range=list(y_range), x_length=x_length, y_length=y_length, tips=False,
                axis_config={"color": PALETTE.muted, "include_numbers": numbers, "font_size": font_size})
    if x_label:
        axes.add(cjk(x_label, LABEL_SIZE, PALETTE.muted).next_to(axes.x_axis, RIGHT, buff=0.15).shift(0.25 * DOWN))
    if y_label:
        axes.add(cjk(y_label, LABEL_SIZE, PALETTE.muted).next_to(axes.y_axis, UP, buff=0.12).align_to(axes, LEFT))
    return axes


def polyline(axes: Axes, xs: Sequence[float], ys: Sequence[float], color: str, stroke_width: float = 4,
             **kwargs: Any) -> VMobject:
    """The line through (x, y) in ``axes``' coordinates: ``plot_line_graph(...)["line_graph"]`` with the points
    mapped in one call rather than one by one (replays redraw curves of hundreds of points every frame)."""
    points = np.asarray(axes.coords_to_point(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))).T
    return VMobject(color=color, stroke_width=stroke_width, **kwargs).set_points_as_corners(points)


def decade_span(*arrays: Any) -> tuple[int, int]:
    """The whole decades ``(lo, hi)`` that cover every positive value of ``arrays`` (for a log axis)."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    values = values[values > 0]
    return math.floor(np.log10(values.min())), math.ceil(np.log10(values.max()))


def nice_step(span: float, max_steps: int = 5) -> float:
    """The smallest 1-2-5 step (…, 0.5, 1, 2, 5, 10, …) that cuts ``span`` into at most ``max_steps`` intervals."""
    base = 10 ** math.floor(math.log10(max(span, 1e-12) / max_steps))
    for factor in (1, 2, 5, 10):
        if span / (factor * base) <= max_steps:
            return factor * base
    return 10 * base


def labelled_decades(lo: int, hi: int, max_labels: int = 6) -> tuple[int, int]:
    """``(lo', hi)`` with lo' ≤ lo such that LogAxes' automatic step labels 10^0 (the "= 1" line)."""
    while lo % decade_step(hi - lo, max_labels) != 0:
        lo -= 1
    return lo, hi


def decade_step(decades: int, max_labels: int = 6) -> int:
    """Label every 1st, 2nd, 4th, 8th … decade so that at most ``max_labels`` labels show."""
    step = 1
    while decades // step + 1 > max_labels:
        step *= 2
    return step


class LogAxes(Axes):
    """Axes whose y axis is log₁₀ of the value, decades labelled ``10^n`` with faint guide lines.

    ``decades=(lo, hi)`` spans 10^lo … 10^hi; every ``label_every``-th decade is labelled (default: as
    many as keep ``max_labels`` or fewer, see ``decade_step``), the others get a guide line only. Place
    things with ``lp(x, value)`` and draw curves with ``log_graph(xs, values, color)`` (values > 0).
    The x axis sits at the bottom (10^lo) whatever the range.
    """

    def __init__(self, x_range: Sequence[float], decades: tuple[int, int], x_length: float = 10.0,
                 y_length: float = 3.5, label_every: int | None = None, max_labels: int = 6,
                 font_size: float = SMALL_SIZE, x_numbers: bool = True, **kwargs: Any) -> None:
        self.lo, self.hi = int(decades[0]), int(decades[1])
        every = label_every or decade_step(self.hi - self.lo, max_labels)
        super().__init__(
            x_range=list(x_range), y_range=[0, self.hi - self.lo, 1], x_length=x_length, y_length=y_length,
            tips=False, axis_config={"color": PALETTE.muted, "stroke_width": 2},
            x_axis_config={"include_numbers": x_numbers, "font_size": font_size},
            y_axis_config={"include_ticks": True}, **kwargs,
        )
        x0, x1 = x_range[0], x_range[1]
        self.guides = VGroup()
        self.decade_labels = VGroup()
        for n in range(self.lo, self.hi + 1):
            if n > self.lo:
                self.guides.add(Line(self.c2p(x0, n - self.lo), self.c2p(x1, n - self.lo),
                                     color=PALETTE.grid, stroke_width=1))
            if (n - self.lo) % every == 0:
                self.decade_labels.add(tex(f"10^{{{n}}}", font_size, PALETTE.muted)
                                       .next_to(self.c2p(x0, n - self.lo), LEFT, buff=0.12))
        self.add_to_back(self.guides)
        self.add(self.decade_labels)

    def lp(self, x: float, value: float) -> np.ndarray:
        """The point of (x, value), value on the log axis."""
        return self.c2p(x, float(np.log10(value)) - self.lo)

    def log_graph(self, xs: Sequence[float], values: Sequence[float], color: str, stroke_width: float = 4,
                  **kwargs: Any) -> VMobject:
        """A polyline (one VMobject) through (x, log₁₀ value)."""
        return polyline(self, xs, np.log10(np.asarray(values, dtype=float)) - self.lo, color, stroke_width, **kwargs)
