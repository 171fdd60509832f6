"""Chapter 1's diagram figures (D01.1, D01.2): the XOR and AND layouts, drawn from the traces."""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, DashedLine, VGroup

from scenes.ch01_perceptron import (
    RULES_LEFT,
    InputPlane,
    boundary,
    epoch_span,
    grazes,
    last_distinct_lines,
    legend,
    linear_tex,
    point_text,
    sample_glyphs,
    ties,
    visible_segment,
)
from scenes.kit.base import BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, TEX_SIZE, cjk, tex


class Fig_XORLayout(BookScene):
    """D01.1: the XOR layout, with lines the perceptron actually tried, each wrong somewhere."""

    TRACES = ("perceptron.xor",)
    TITLE = "图 1-1 · XOR 的四个点"
    LINES = 2  # how many of the last lines tried to draw

    def construct(self) -> None:
        t = self.trace("perceptron.xor")
        inputs, labels = t["inputs"], t["labels"]
        plane = InputPlane()
        self.add(plane, legend(shading=False), sample_glyphs(plane, inputs, labels))
        found = last_distinct_lines(t, self.LINES)
        drawn, notes = VGroup(), VGroup()
        for n, k in enumerate(found, start=1):
            w, b = t["update_w"][k], float(t["update_b"][k])
            low, high = sorted(visible_segment(w, b), key=lambda end: end[1])
            wrong = int(np.sum((inputs @ w + b >= 0).astype(int) != labels))
            drawn.add(DashedLine(plane.c2p(*low), plane.c2p(*high), color=PALETTE.muted, stroke_width=4),
                      cjk(f"线{n}", LABEL_SIZE, PALETTE.muted).next_to(plane.c2p(*high), UP, buff=0.1))
            notes.add(VGroup(cjk(f"线{n}", BODY_SIZE, PALETTE.muted), tex(linear_tex(w, b), TEX_SIZE, PALETTE.muted),
                             cjk(f"错 {wrong} 个", BODY_SIZE, PALETTE.error)).arrange(RIGHT, buff=0.2))
        notes.arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        when = epoch_span([int(t["update_epoch"][k]) for k in found])
        heading = cjk(f"感知机{when}里试过的 {len(found)} 条线：", BODY_SIZE)
        block = VGroup(heading, notes).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        block.align_to(RULES_LEFT, LEFT).to_edge(UP, buff=1.4)
        self.add(drawn, block)
        self.caption("任何一条直线都没法把 × 和 ○\n分到两侧")
        self.hold(1.5)


class Fig_ANDLayout(BookScene):
    """D01.2: the AND layout with the learned boundary, drawn where it really is."""

    TRACES = ("perceptron.and",)
    TITLE = "图 1-2 · AND 与学到的边界"

    def construct(self) -> None:
        t = self.trace("perceptron.and")
        inputs, labels = t["inputs"], t["labels"]
        w, b = t["final_w"], float(t["final_b"])
        plane = InputPlane()
        self.add(plane, legend(), boundary(plane, w, b), sample_glyphs(plane, inputs, labels))
        on_line = ties(inputs, w, b)
        equation = VGroup(cjk("边界", BODY_SIZE, PALETTE.muted), tex(linear_tex(w, b), TEX_SIZE, PALETTE.learned))
        notes = VGroup(equation.arrange(RIGHT))
        for i in on_line:
            notes.add(cjk(f"{point_text(inputs[i])} 恰好落在线上", BODY_SIZE))
        notes.add(cjk("按 w·x + b ≥ 0 判为类别 1", BODY_SIZE, PALETTE.muted))
        notes.arrange(DOWN, aligned_edge=LEFT, buff=0.3).align_to(RULES_LEFT, LEFT).to_edge(UP, buff=1.4)
        self.add(notes)
        self.caption(self.verdict(t, on_line))
        self.hold(1.5)

    @staticmethod
    def verdict(t, on_line: list[int]) -> str:
        """True for this run: a point kept in class 1 by the tie, a strict separation, or not learned."""
        if not t.metrics["converged"]:
            wrong = int(np.sum(t["final_pred"] != t["labels"]))
            return f"{int(t.metrics['epochs'])} 轮内没学完，\n仍有 {wrong} 个点判错"
        if on_line:
            points = "、".join(point_text(t["inputs"][i]) for i in on_line)
            return f"{points} 压在线上，\n靠等号那一侧划进正类"
        if grazes(t["inputs"], t["final_w"], float(t["final_b"])):
            return f"学到的线把 {len(t['inputs'])} 个样本全部判对"
        return "学到的线严格分开两类"
