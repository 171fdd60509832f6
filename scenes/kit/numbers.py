"""Numbers as the book prints them. Plain Python, no manim: tests format with the same functions.

One name per job:

* ``plain(2.0) == "2"``, ``plain(-0.0) == "0"``, ``plain(0.5) == "0.5"`` - integers as integers;
* ``signed(0.59) == "+0.59"`` - a change or a value whose sign matters;
* ``fixed(0.2799, 5) == "0.27990"`` - a fixed number of decimals;
* ``sig(0.02994) == "0.0299"`` - a fixed number of significant digits;
* ``sci(3.7e-5) == "3.7e-05"`` - scientific notation;
* ``vector([2, 1]) == "[2, 1]"`` - a vector in text.
"""

from __future__ import annotations

import math
from typing import Iterable

__all__ = ["plain", "signed", "fixed", "sig", "sci", "vector"]


def plain(value: float) -> str:
    """Shortest form: integers without a point, ``-0`` as ``0``."""
    return f"{float(value) + 0.0:g}"


def signed(value: float, digits: int = 2) -> str:
    """``+0.59`` / ``-3``: always with its sign (``digits=0`` for integers)."""
    value = float(value) + 0.0
    if digits == 0:
        return f"{round(value):+d}"
    return f"{value:+.{digits}f}"


def fixed(value: float, digits: int = 2) -> str:
    """``digits`` decimals, ``-0.00`` written ``0.00``."""
    text = f"{float(value):.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def sig(value: float, digits: int = 3) -> str:
    """``digits`` significant digits in fixed notation: ``0.684``, ``0.0299``, ``12.3``."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return fixed(value, digits)
    decimals = max(0, digits - 1 - int(math.floor(math.log10(abs(value)))))
    return fixed(value, decimals)


def sci(value: float, digits: int = 1) -> str:
    """``3.7e-05`` / ``5.0e+05``: scientific notation."""
    return f"{float(value):.{digits}e}"


def vector(values: Iterable[float], fmt=plain) -> str:
    """``[2, 1]``: a vector in text (for TeX use ``scenes.kit.text.tex_vector``)."""
    return "[" + ", ".join(fmt(v) for v in values) + "]"
