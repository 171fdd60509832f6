"""The house helpers every scene module starts from (``from scenes.common import *``).

``BookScene`` gives a scene its background, title, caption band, counters and
access to traces. Traces are handed over by the pipeline as a JSON map in
``REEL_TRACES`` (``{"perceptron.and": "/abs/path.npz"}``); a scene only reads
them - it never computes one.
"""

from __future__ import annotations

import json
import os
from typing import Any, Sequence

from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UL,
    UP,
    UR,
    FadeIn,
    FadeOut,
    MathTex,
    Scene,
    Text,
    VGroup,
    config,
)

from scenes.style import FONT, MONO, PALETTE
from sims.trace import Trace

__all__ = [
    "BookScene", "PALETTE", "FONT", "MONO", "cjk", "mono", "math", "signed", "SAFE",
]

SAFE = 0.4  # safe margin, manim units
CAPTION_SIZE = 30
TITLE_SIZE = 26


def cjk(text: str, size: float = CAPTION_SIZE, color: str | None = None, **kwargs: Any) -> Text:
    """Chinese (or mixed) text in Noto Sans CJK."""
    return Text(text, font=FONT, font_size=size, color=color or PALETTE.text, **kwargs)


def mono(text: str, size: float = 26, color: str | None = None, **kwargs: Any) -> Text:
    """Monospaced text for counters and numbers that change."""
    return Text(text, font=MONO, font_size=size, color=color or PALETTE.text, **kwargs)


def math(tex: str, size: float = 36, color: str | None = None, **kwargs: Any) -> MathTex:
    return MathTex(tex, font_size=size, color=color or PALETTE.text, **kwargs)


def signed(value: float, digits: int = 2) -> str:
    """``+0.59`` / ``-3`` - numbers formatted like the book prints them."""
    if float(value).is_integer() and digits == 0:
        return f"{int(value):+d}"
    return f"{value:+.{digits}f}"


class BookScene(Scene):
    """A scene of the book: dark canvas, title top-left, captions at the bottom."""

    TRACES: Sequence[str] = ()
    TITLE = ""

    def setup(self) -> None:
        self.camera.background_color = PALETTE.background
        self._caption: Text | None = None
        self._traces: dict[str, Trace] = {}
        self._trace_paths: dict[str, str] = json.loads(os.environ.get("REEL_TRACES", "{}"))
        if self.TITLE:
            self.title_mob = cjk(self.TITLE, TITLE_SIZE, PALETTE.muted).to_corner(UL, buff=SAFE)
            self.add(self.title_mob)

    # --- data -----------------------------------------------------------------
    def trace(self, name: str) -> Trace:
        """The stored trace ``sim.variant`` the pipeline computed for this scene."""
        if name not in self.TRACES:
            raise KeyError(f"{type(self).__name__} reads {name!r} but does not declare it in TRACES")
        if name not in self._traces:
            path = self._trace_paths.get(name)
            if path is None:
                raise RuntimeError(f"trace {name!r} was not provided; render scenes with `reel render`")
            self._traces[name] = Trace.load(path)
        return self._traces[name]

    # --- furniture --------------------------------------------------------------
    def caption(self, text: str, run_time: float = 0.6) -> None:
        """Replace the caption in the bottom band (two lines at most)."""
        new = cjk(text, CAPTION_SIZE, line_spacing=0.9).to_edge(DOWN, buff=SAFE)
        if new.width > config.frame_width - 2 * SAFE:
            new.scale_to_fit_width(config.frame_width - 2 * SAFE)
        anims = [FadeIn(new, shift=0.1 * UP)]
        if self._caption is not None:
            anims.append(FadeOut(self._caption))
        self.play(*anims, run_time=run_time)
        self._caption = new

    def corner_panel(self, lines: Sequence[Text], corner=UR) -> VGroup:
        """Stack monospaced lines in a corner (counters)."""
        group = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        return group.to_corner(corner, buff=SAFE)

    def hold(self, seconds: float = 2.0) -> None:
        """Hold the frame (the last hold is the still figure: at least 1.5 s)."""
        self.wait(seconds)


def speed_badge(text: str) -> Text:
    """A small note that a replay is sped up, e.g. ``×50``."""
    return mono(text, 22, PALETTE.muted)


__all__ += ["speed_badge", "LEFT", "RIGHT"]


# =============================================================================
# Grids, heat maps, legends (added with chapters 2–3). Self-contained: nothing
# above depends on it. Another chapter may append its own section below.
# =============================================================================
import numpy as np  # noqa: E402
from manim import DR, ORIGIN, Arrow, Line, Rectangle, Square, interpolate_color  # noqa: E402
from manim.utils.color import ManimColor  # noqa: E402

from scenes.style import VIRIDIS  # noqa: E402


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

    def __init__(self, values, cell: float = 0.55, fill=None, fmt=None, size: float = 24,
                 stroke: str | None = None, stroke_width: float = 1.5) -> None:
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

    def recolor(self, i: int, j: int, value, fill, fmt=None, size: float = 24) -> VGroup:
        """A fresh (cell, label) for cell (i, j) showing ``value``, for a FadeIn/Transform onto it."""
        color = fill(value)
        sq = self.cells[i][j].copy().set_fill(color, 1.0)
        group = VGroup(sq)
        if fmt is not None:
            group.add(mono(fmt(value), size, ink_on(color)).move_to(sq))
        return group


def heat_scale(lo: float, hi: float, height: float = 2.0, width: float = 0.22, label: str = "",
               ticks: Sequence[float] | None = None, fmt=lambda v: f"{v:g}") -> VGroup:
    """A vertical viridis colour bar from ``lo`` (bottom) to ``hi`` (top), ticked and labelled."""
    steps = 24
    bar = VGroup(*(Rectangle(width=width, height=height / steps, stroke_width=0,
                             fill_color=viridis((k + 0.5) / steps), fill_opacity=1.0)
                   for k in range(steps))).arrange(UP, buff=0)
    frame = Rectangle(width=width, height=height, stroke_color=PALETTE.muted, stroke_width=1).move_to(bar)
    marks = VGroup()
    for v in (ticks if ticks is not None else (lo, hi)):
        y = bar.get_bottom()[1] + (v - lo) / (hi - lo) * height
        at = np.array([bar.get_right()[0], y, 0.0])
        marks.add(Line(at, at + 0.08 * RIGHT, color=PALETTE.muted, stroke_width=2),
                  mono(fmt(v), 20, PALETTE.muted).next_to(at, RIGHT, buff=0.14))
    group = VGroup(bar, frame, marks)
    if label:
        group.add(cjk(label, 20, PALETTE.muted).next_to(frame, UP, buff=0.15))
    return group


def line_legend(items: Sequence[tuple[str, str]], size: float = 22, length: float = 0.5) -> VGroup:
    """``[(colour, text), …]`` as short coloured strokes with labels, in one row."""
    return VGroup(*(VGroup(Line(ORIGIN, length * RIGHT, color=color, stroke_width=6),
                           cjk(text, size, PALETTE.muted)).arrange(RIGHT, buff=0.15)
                    for color, text in items)).arrange(RIGHT, buff=0.45)


def arrow_between(start: np.ndarray, end: np.ndarray, color: str, tip: float = 0.2, stroke_width: float = 4,
                  buff: float = 0.08) -> Arrow:
    """An arrow whose tip keeps the same size whatever its length (manim scales tips of short arrows)."""
    length = float(np.linalg.norm(np.asarray(end) - np.asarray(start))) - 2 * buff
    return Arrow(start, end, buff=buff, color=color, stroke_width=stroke_width, tip_length=tip,
                 max_tip_length_to_length_ratio=min(1.0, tip / max(length, 1e-3)),
                 max_stroke_width_to_length_ratio=1000)


__all__ += ["viridis", "ink_on", "CellGrid", "heat_scale", "line_legend", "arrow_between"]


# =============================================================================
# Log-scale charts and the book's scientific notation (added with chapter 4).
# Self-contained: nothing above depends on it.
# =============================================================================
import math as _math  # noqa: E402

import numpy as _np  # noqa: E402
from manim import Axes as _Axes  # noqa: E402
from manim import Line as _Line  # noqa: E402


def sci(value: float, digits: int = 1) -> str:
    """``3.7e-05`` / ``5.0e+05``: a number in the book's scientific notation."""
    return f"{float(value):.{digits}e}"


def decade_span(*arrays: Any) -> tuple[int, int]:
    """The whole decades ``(lo, hi)`` that cover every positive value of ``arrays`` (for a log axis)."""
    values = _np.concatenate([_np.ravel(_np.asarray(a, dtype=float)) for a in arrays])
    values = values[values > 0]
    return _math.floor(_np.log10(values.min())), _math.ceil(_np.log10(values.max()))


class LogAxes(_Axes):
    """Axes whose y axis is log₁₀ of the value, decades labelled ``10^n`` with faint guide lines.

    ``decades=(lo, hi)`` spans 10^lo … 10^hi; every ``label_every``-th decade is labelled. Place
    things with ``lp(x, value)`` and draw curves with ``log_graph(xs, values, color)`` (values > 0).
    The x axis sits at the bottom (10^lo) whatever the range.
    """

    def __init__(self, x_range: Sequence[float], decades: tuple[int, int], x_length: float = 10.0,
                 y_length: float = 3.5, label_every: int = 1, font_size: float = 20,
                 x_numbers: bool = True, **kwargs: Any) -> None:
        self.lo, self.hi = int(decades[0]), int(decades[1])
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
                self.guides.add(_Line(self.c2p(x0, n - self.lo), self.c2p(x1, n - self.lo),
                                      color=PALETTE.grid, stroke_width=1))
            if (n - self.lo) % label_every == 0:
                self.decade_labels.add(math(f"10^{{{n}}}", font_size, PALETTE.muted)
                                       .next_to(self.c2p(x0, n - self.lo), LEFT, buff=0.12))
        self.add_to_back(self.guides)
        self.add(self.decade_labels)

    def lp(self, x: float, value: float) -> Any:
        """The point of (x, value), value on the log axis."""
        return self.c2p(x, float(_np.log10(value)) - self.lo)

    def log_graph(self, xs: Sequence[float], values: Sequence[float], color: str, stroke_width: float = 4,
                  **kwargs: Any) -> Any:
        """A polyline (one VMobject) through (x, log₁₀ value)."""
        ys = _np.log10(_np.asarray(values, dtype=float)) - self.lo
        return self.plot_line_graph(list(xs), list(ys), add_vertex_dots=False, line_color=color,
                                    stroke_width=stroke_width, **kwargs)["line_graph"]


__all__ += ["LogAxes", "decade_span", "sci"]
