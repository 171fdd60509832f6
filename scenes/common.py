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
    DOWN, LEFT, RIGHT, UL, UP, UR, FadeIn, FadeOut, MathTex, Scene, Text, VGroup, config,
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
