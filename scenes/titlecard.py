"""The card that opens each chapter video: 第N章 and the chapter's title.

The pipeline passes the chapter as JSON in ``REEL_TITLECARD``.
"""

from __future__ import annotations

import json
import os

from manim import DOWN, LEFT, RIGHT, UP, FadeIn, Line, Write

from scenes.kit.base import BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.text import cjk

CHINESE_DIGITS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 16 → 十六 (chapters stop at 16)."""
    if n <= 10:
        return CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")


class TitleCard(BookScene):
    def construct(self) -> None:
        card = json.loads(os.environ.get("REEL_TITLECARD", '{"number": 1, "title": "标题"}'))
        main, _, sub = card["title"].partition("：")
        title = cjk(main, 64)
        number = cjk(f"第{chinese_number(card['number'])}章", 40, PALETTE.muted).next_to(title, UP, buff=0.5)
        rule = Line(2.5 * LEFT, 2.5 * RIGHT, color=PALETTE.learned, stroke_width=3).next_to(title, DOWN, buff=0.35)
        self.play(FadeIn(number, shift=0.2 * DOWN), Write(title), run_time=1.2)
        self.play(FadeIn(rule), run_time=0.5)
        if sub:
            self.play(FadeIn(cjk(sub, 32, PALETTE.muted).next_to(rule, DOWN, buff=0.35)), run_time=0.6)
        self.wait(1.5)
