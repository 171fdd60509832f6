"""Text at the house sizes: Chinese in Noto Sans CJK, counters monospaced, formulas in MathTex.

Text sits at one of a few sizes and is never scaled down to fit; pick the size by role.
"""

from __future__ import annotations

from typing import Any, Iterable

from manim import ORIGIN, RIGHT, MathTex, Mobject, Text, VGroup

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
    color = color or PALETTE.text
    composed = None if kwargs else _mono_from_glyphs(text, size, color)
    if composed is not None:
        return composed
    return _made_once(Text, text, font=MONO, font_size=size, color=color, **kwargs)


# --- monospaced text from glyphs laid out once ----------------------------------------------------------------
# A counter shows a new string every frame, and a Text parses its whole SVG each time (most of what a replay
# costs). In the monospaced font a glyph's shape and advance do not depend on its neighbours (for the
# characters ``_context_free`` admits), so a string is its characters' glyphs side by side: each character is
# laid out once (between two zeros, which measure its advance), and a new string only copies and shifts
# glyphs. Equal to Pango's own layout (tests/test_kit).

_GLYPHS: dict[tuple, tuple[Any, float] | None] = {}
CONTEXT_FREE_SYMBOLS = "·θ°−′→←↑↓±×≥≤—（）：，%"


def _glyph(char: str, size: float, color: str) -> tuple[Any, float] | None:
    """``char``'s glyph (None for a blank) placed as if its cell began at x = 0, and its advance;
    None where Pango does not draw it as exactly one glyph."""
    key = (char, size, repr(color))
    if key not in _GLYPHS:
        probe = Text(f"0{char}0", font=MONO, font_size=size, color=color).submobjects
        zeros = Text("00", font=MONO, font_size=size, color=color).submobjects
        cell = zeros[1].points[0, 0] - zeros[0].points[0, 0]  # a digit's advance (the mono cell)
        if len(probe) not in (2, 3) or len(zeros) != 2:
            _GLYPHS[key] = None
        else:
            start = probe[0].points[0] + cell * RIGHT  # the first zero's outline starts where it starts in any cell
            glyph = probe[1].copy().shift(-start) if len(probe) == 3 else None
            _GLYPHS[key] = (glyph, probe[-1].points[0, 0] - probe[0].points[0, 0] - cell)
    return _GLYPHS[key]


def _context_free(char: str) -> bool:
    """Whether Pango draws ``char`` the same whatever its neighbours: printable ASCII, CJK ideographs and the
    symbols listed (checked in tests/test_kit; not '…', whose form Pango picks from the text around it)."""
    return " " <= char <= "~" or "\u4e00" <= char <= "\u9fff" or char in CONTEXT_FREE_SYMBOLS


def _mono_from_glyphs(text: str, size: float, color: str) -> Text | None:
    """``Text(text)`` in the monospaced font, composed from laid-out glyphs; None where that would not be
    exact (a character outside ``_context_free``, or one Pango does not draw as one glyph)."""
    if not text.strip() or not all(map(_context_free, text)):
        return None
    glyphs, cursor = [], 0.0
    for char in text:
        found = _glyph(char, size, color)
        if found is None:
            return None
        glyph, advance = found
        if glyph is not None:
            glyphs.append(glyph.copy().shift(cursor * RIGHT))
        cursor += advance
    shell = _made_once(Text, "0", font=MONO, font_size=size, color=color)
    shell.submobjects = glyphs
    shell.move_to(ORIGIN)  # a Text is centred on its outlines, as here
    shell.chars = VGroup(*glyphs)
    shell.original_text, shell.text = text, text.replace(" ", "")
    shell.initial_height = shell.height
    return shell


def tex(source: str, size: float = TEX_SIZE, color: str | None = None, **kwargs: Any) -> MathTex:
    """A formula (MathTex) in the palette's text colour."""
    return _made_once(MathTex, source, font_size=size, color=color or PALETTE.text, **kwargs)


def tex_vector(values: Iterable[float], fmt=plain) -> str:
    r"""``[2,\ 1]``: a vector written for MathTex."""
    return "[" + r",\ ".join(fmt(v) for v in values) + "]"


def speed_badge(text: str) -> Text:
    """A small note that a replay is sped up, e.g. ``×50``."""
    return mono(text, LABEL_SIZE, PALETTE.muted)
