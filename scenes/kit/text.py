"""Text at the house sizes: Chinese in Noto Sans CJK, counters monospaced, formulas in MathTex.

Text sits at one of a few sizes and is never scaled down to fit; pick the size by role.
"""

from __future__ import annotations

from typing import Any, Iterable

from manim import MathTex, Mobject, Text

from scenes.kit.numbers import plain
from scenes.kit.palette import FONT, MONO, PALETTE

__all__ = ["TITLE_SIZE", "CAPTION_SIZE", "BODY_SIZE", "LABEL_SIZE", "SMALL_SIZE", "COUNTER_SIZE", "TEX_SIZE",
           "cjk", "mono", "tex", "tex_vector", "speed_badge"]

TITLE_SIZE = 26  # the scene title, top-left
CAPTION_SIZE = 30  # the caption band at the bottom
BODY_SIZE = 26  # notes and explanations inside the picture
LABEL_SIZE = 22  # axis names, legends, panel headings
SMALL_SIZE = 20  # tick labels
COUNTER_SIZE = 24  # monospaced counters in a corner
TEX_SIZE = 30  # formulas


_MADE: dict[tuple, Mobject] = {}


def _made_once(cls: type, *args: Any, **kwargs: Any) -> Mobject:
    """A fresh copy of ``cls(*args, **kwargs)``, built once per process.

    Building a Text or MathTex lays it out and parses its SVG (tens of ms); copying a built one is
    several times cheaper, and scenes show the same labels, digits and counters again and again.
    """
    key = (cls, args, repr(sorted(kwargs.items())))
    made = _MADE.get(key)
    if made is None:
        made = _MADE[key] = cls(*args, **kwargs)
    return made.copy()


def cjk(text: str, size: float = CAPTION_SIZE, color: str | None = None, **kwargs: Any) -> Text:
    """Chinese (or mixed) text in Noto Sans CJK."""
    return _made_once(Text, text, font=FONT, font_size=size, color=color or PALETTE.text, **kwargs)


def mono(text: str, size: float = COUNTER_SIZE, color: str | None = None, **kwargs: Any) -> Text:
    """Monospaced text for counters and numbers that change."""
    return _made_once(Text, text, font=MONO, font_size=size, color=color or PALETTE.text, **kwargs)


def tex(source: str, size: float = TEX_SIZE, color: str | None = None, **kwargs: Any) -> MathTex:
    """A formula (MathTex) in the palette's text colour."""
    return _made_once(MathTex, source, font_size=size, color=color or PALETTE.text, **kwargs)


def tex_vector(values: Iterable[float], fmt=plain) -> str:
    r"""``[2,\ 1]``: a vector written for MathTex."""
    return "[" + r",\ ".join(fmt(v) for v in values) + "]"


def speed_badge(text: str) -> Text:
    """A small note that a replay is sped up, e.g. ``×50``."""
    return mono(text, LABEL_SIZE, PALETTE.muted)
