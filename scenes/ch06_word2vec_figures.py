"""Chapter 6's diagram figure: D06.1, the word-vector parallelogram, with the capital pair as an inset.

A diagram of the book's idea, not a measurement: it reads no trace (the trained vectors are in
``ch06_word2vec.py``), and its labels are the book's own text. Arrowheads sit on all four sides so both
parallel pairs show; the capital pair the book gives in words is drawn as a second, smaller parallelogram.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Dot, VGroup

from scenes.kit.base import BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, tex

__all__ = ["Fig_WordParallelogram", "parallelogram"]

UP_COLOR = PALETTE.positive  # royalty, "capital": the vertical sides (as in the Parallelogram scene)
ACROSS_COLOR = PALETTE.forward  # gender, nation: the horizontal sides


def parallelogram(names: Sequence[str], corner: Sequence[float], width: float, height: float, slant: float,
                  size: float) -> VGroup:
    """Four labelled points — top-left, top-right, bottom-left, bottom-right — with arrows left→right on the
    horizontal sides and bottom→top on the vertical ones."""
    x, y = corner  # bottom-left
    tl, tr, bl, br = (np.array(p, dtype=float) for p in ([x + slant, y + height, 0], [x + slant + width, y + height, 0],
                                                         [x, y, 0], [x + width, y, 0]))
    arrows = VGroup(arrow_between(bl, tl, UP_COLOR), arrow_between(br, tr, UP_COLOR),
                    arrow_between(bl, br, ACROSS_COLOR), arrow_between(tl, tr, ACROSS_COLOR))
    dots = VGroup(*(Dot(p, radius=0.09, color=PALETTE.text) for p in (tl, tr, bl, br)))
    sides = (LEFT, RIGHT, LEFT, RIGHT)
    labels = VGroup(*(cjk(n, size).next_to(d, s, buff=0.15) for n, d, s in zip(names, dots, sides)))
    return VGroup(arrows, dots, labels)


class Fig_WordParallelogram(BookScene):
    """D06.1: queen/king over woman/man, gender across and royalty up; Rome/Paris over Italy/France beside it."""

    TITLE = "图 6-1 · 词向量的平行四边形"

    def construct(self) -> None:
        head = cjk("语义空间（降到 2 维示意，真实是 200~300 维）", BODY_SIZE, PALETTE.muted).move_to([0, 2.9, 0])
        main = parallelogram(("queen", "king", "woman", "man"), (-5.3, -0.9), 4.0, 2.9, 0.7, BODY_SIZE)
        arrows = main[0]
        royal = cjk("“皇室”方向 ↑", LABEL_SIZE, UP_COLOR).next_to(arrows[1].get_center(), RIGHT, buff=0.3)
        gender = cjk("（性别方向 →）", LABEL_SIZE, ACROSS_COLOR).move_to(
            (arrows[2].get_center() + arrows[3].get_center()) / 2)
        inset = parallelogram(("Rome", "Paris", "Italy", "France"), (2.9, -0.55), 2.3, 1.9, 0.45, LABEL_SIZE)
        capital = cjk("“首都”方向 ↑", SMALL_SIZE, UP_COLOR).next_to(inset, DOWN, buff=0.25)
        frame_note = cjk("另一组", LABEL_SIZE, PALETTE.muted).next_to(inset, UP, buff=0.3)
        identity = VGroup(
            VGroup(cjk("平行四边形：", LABEL_SIZE, PALETTE.muted),
                   tex(r"\mathrm{king}-\mathrm{man}\approx\mathrm{queen}-\mathrm{woman}"
                       r"\;\Rightarrow\;\mathrm{king}-\mathrm{man}+\mathrm{woman}\approx\mathrm{queen}", TEX_SIZE)
                   ).arrange(RIGHT, buff=0.15),
            VGroup(cjk("另一组：", LABEL_SIZE, PALETTE.muted),
                   tex(r"\mathrm{Rome}-\mathrm{Italy}\approx\mathrm{Paris}-\mathrm{France}", TEX_SIZE),
                   cjk("（“首都”方向）", LABEL_SIZE, UP_COLOR)).arrange(RIGHT, buff=0.15),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.3).move_to([0, -2.55, 0])
        self.add(head, main, royal, gender, inset, capital, frame_note, identity)
        self.wait(0.1)
