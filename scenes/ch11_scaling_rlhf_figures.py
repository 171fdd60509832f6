"""Chapter 11's diagram figure: D11.1, scale (smart) over alignment (useful), joined into ChatGPT.

The labels are the book's diagram text, except that Kaplan's 73/27 and Chinchilla's 50/50 are written as
the scaling exponents they are (BOOK_SPEC §11.4 ⚠2). The small log–log inset plots the C11 table's
reducible loss L − L∞ from ``scaling_table.default``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Axes, Dot, Line, RoundedRectangle, VGroup, VMobject

from pipeline.checks.ch11 import BOOK_FACTS
from scenes.kit.base import BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, tex

__all__ = ["Fig_ScaleAlignment"]


def box(width: float, height: float, color: str) -> RoundedRectangle:
    return RoundedRectangle(corner_radius=0.15, width=width, height=height, stroke_color=color, stroke_width=3)


def arrow_down(start: np.ndarray, end: np.ndarray) -> VGroup:
    return VGroup(Line(start, end, color=PALETTE.muted, stroke_width=3).add_tip(tip_length=0.18))


class Fig_ScaleAlignment(BookScene):
    """Diagram D11.1: the scaling tier with a log–log inset, the three-step RLHF tier, and their product."""

    TRACES = ("scaling_table.default",)
    TITLE = "图 11-1 · 规模与对齐"

    def construct(self) -> None:
        top, bottom = self.scale_tier(), self.align_tier()
        final = cjk("ChatGPT (2022) = 足够大 × 足够对齐", BODY_SIZE, PALETTE.highlight).move_to([0, -3.55, 0])
        self.add(top, arrow_down([0, 0.1, 0], [0, -0.35, 0]), bottom, arrow_down([0, -2.85, 0], [0, -3.25, 0]), final)
        self.wait(0.1)

    def scale_tier(self) -> VGroup:
        frame = box(13.4, 2.85, PALETTE.forward).move_to([0, 1.55, 0])
        head = cjk("【规模 (scaling) — 负责“聪明”】", BODY_SIZE, PALETTE.forward)
        head.move_to(frame.get_corner(UP + LEFT) + np.array([0.25, -0.3, 0]), aligned_edge=LEFT)
        kx, ky = BOOK_FACTS["kaplan_split"]
        cx, cy = BOOK_FACTS["chinchilla_split"]
        lines = VGroup(
            VGroup(cjk("预测下一个词 + 放大 (N, D, C) ──► 幂律下降", LABEL_SIZE),
                   tex(r"L(N)=(N_c/N)^{\alpha}+L_\infty", 26)).arrange(RIGHT, buff=0.15),
            cjk(f"Kaplan 2020：偏参数 ({kx}/{ky})，规划了 GPT-3", LABEL_SIZE),
            cjk(f"Chinchilla 2022：参数与数据同比 ({cx}/{cy})，多数模型“欠训练”", LABEL_SIZE),
            VGroup(cjk("注：这两组数是指数，", SMALL_SIZE, PALETTE.highlight),
                   tex(rf"N_{{opt}}\propto C^{{0.{kx}}},\ D_{{opt}}\propto C^{{0.{ky}}}", 22, PALETTE.highlight),
                   cjk("与", SMALL_SIZE, PALETTE.highlight),
                   tex(rf"N_{{opt}},D_{{opt}}\propto C^{{0.{cx}}}", 22, PALETTE.highlight),
                   cjk("，不是算力份额", SMALL_SIZE, PALETTE.highlight)).arrange(RIGHT, buff=0.1),
            cjk("=> 得到强大但不听话的“续写引擎”", LABEL_SIZE, PALETTE.muted),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.13)
        lines.next_to(head, DOWN, buff=0.18, aligned_edge=LEFT)
        return VGroup(frame, head, lines, self.inset().move_to([5.45, 1.4, 0]))

    def inset(self) -> VGroup:
        """L − L∞ of the C11 table on log–log axes: a straight line."""
        t = self.trace("scaling_table.default")
        n, red = np.asarray(t["table_n"], dtype=float), np.asarray(t["table_reducible"], dtype=float)
        dn, dl = np.asarray(t["dense_n"], dtype=float), np.asarray(t["dense_loss"], dtype=float)
        dred = dl - float(t.params["l_inf"])
        x0, x1 = int(np.floor(np.log10(dn.min()))), int(np.ceil(np.log10(dn.max())))
        y0, y1 = np.log10(dred.min()), np.log10(dred.max())
        axes = Axes(x_range=[x0, x1, 2], y_range=[y0, y1, 1], x_length=1.9, y_length=1.35, tips=False,
                    axis_config={"color": PALETTE.muted, "stroke_width": 2, "include_ticks": False})
        line = VMobject(stroke_color=PALETTE.learned, stroke_width=3)
        line.set_points_as_corners([axes.c2p(np.log10(a), np.log10(b)) for a, b in zip(dn, dred)])
        dots = VGroup(*(Dot(axes.c2p(np.log10(a), np.log10(b)), radius=0.05, color=PALETTE.forward)
                        for a, b in zip(n, red)))
        xl = cjk("log N", SMALL_SIZE, PALETTE.muted).next_to(axes, DOWN, buff=0.08)
        yl = tex(r"\log(L-L_\infty)", 20, PALETTE.muted).next_to(axes, UP, buff=0.08)
        return VGroup(axes, line, dots, xl, yl)

    def align_tier(self) -> VGroup:
        frame = box(13.4, 2.45, PALETTE.learned).move_to([0, -1.6, 0])
        head = cjk("【对齐 (RLHF) — 负责“有用”】", BODY_SIZE, PALETTE.learned)
        head.move_to(frame.get_corner(UP + LEFT) + np.array([0.25, -0.3, 0]), aligned_edge=LEFT)
        steps = VGroup(
            cjk("① SFT：人类示范 → 学会“回答指令”", LABEL_SIZE),
            VGroup(cjk("② RM：人类排序 → Bradley–Terry：", LABEL_SIZE),
                   tex(r"P(y_w\succ y_l)=\sigma(r_w-r_l)", 26),
                   cjk("→ 学出标量奖励", LABEL_SIZE)).arrange(RIGHT, buff=0.12),
            cjk("③ PPO：用奖励模型 + KL 约束做强化学习 → 优化到“人类偏好”", LABEL_SIZE),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        small, big = BOOK_FACTS["aligned_small"], BOOK_FACTS["gpt3"][0]
        result = cjk(f"=> {small / 1e9:g}B 对齐模型 被偏好 > {big / 1e9:g}B 未对齐 GPT-3", LABEL_SIZE,
                     PALETTE.muted)
        body = VGroup(steps, result).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        body.next_to(head, DOWN, buff=0.18, aligned_edge=LEFT)
        return VGroup(frame, head, body)
