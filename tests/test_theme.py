"""Themes for print: every scene takes its colours from the palette module, and text is readable (WCAG AA).

Fast: nothing is rendered.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AA = 4.5  # WCAG 2 AA, normal-size text
NOT_TEXT = {"background", "grid"}  # faint guides are never text; every other palette colour may colour a label

def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb``."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_text_colours_meet_wcag_aa(theme):
    from scenes.kit.palette import THEMES

    palette = THEMES[theme]
    low = {field.name: round(contrast(getattr(palette, field.name), palette.background), 2)
           for field in dataclasses.fields(palette) if field.name not in NOT_TEXT}
    assert {name: ratio for name, ratio in low.items() if ratio < AA} == {}, f"{theme}: below {AA}:1"


LITERAL = re.compile(r"""["']#[0-9a-fA-F]{3,8}["']|\b(?:WHITE|BLACK|RED|BLUE|GREEN|YELLOW|GRAY|GREY|ORANGE|PURPLE|"""
                     r"""PINK|TEAL|GOLD|MAROON|LIGHT_GRAY|DARK_GRAY|LIGHT_GREY|DARK_GREY)(?:_[A-E])?\b""")


def test_scenes_take_colours_from_the_palette_only():
    """No hex colour or manim colour constant in a scene module or kit helper (the palette module aside)."""
    found = []
    for path in sorted((ROOT / "scenes").rglob("*.py")):
        if path.name == "palette.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0] if not re.search(r"""["']#""", line) else line
            if LITERAL.search(code):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "colour literals (use PALETTE):\n" + "\n".join(found)


def test_theme_option_sets_reel_theme(monkeypatch):
    from pipeline.cli import _use_theme
    from pipeline.errors import UsageError
    from pipeline.paths import output_dir, output_root

    monkeypatch.setenv("REEL_THEME", "dark")  # recorded, so the variable _use_theme sets is put back afterwards
    _use_theme("light")
    assert os.environ["REEL_THEME"] == "light" and output_dir() == output_root() / "light"
    with pytest.raises(UsageError, match="did you mean: dark"):
        _use_theme("drak")
