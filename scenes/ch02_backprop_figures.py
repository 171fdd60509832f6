"""Chapter 2's diagram figures: D02.1, the forward lane over the backward lane."""

from __future__ import annotations

import numpy as np
from manim import LEFT, RIGHT, UP, UR, DashedLine, RoundedRectangle, VGroup, VMobject

from scenes.kit.base import SAFE, BookScene
from scenes.kit.legends import legend_row
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, TEX_SIZE, cjk, tex

LANE_X = (-5.0, -2.9, -0.8, 1.3, 3.4, 5.5)  # x, z1, a1, z2, ŷ, L(ŷ,y): each δ sits under its z


def box(source: str, color: str, width: float = 1.2) -> VGroup:
    frame = RoundedRectangle(corner_radius=0.12, width=width, height=0.72, color=color, stroke_width=3)
    frame.set_fill(PALETTE.background, 1.0)
    return VGroup(frame, tex(source, TEX_SIZE).move_to(frame))


def link(a: VMobject, b: VMobject, color: str, source: str = "") -> VGroup:
    """A horizontal arrow from box a to box b, labelled over its middle."""
    forward = a.get_x() < b.get_x()
    start, end = (a.get_right(), b.get_left()) if forward else (a.get_left(), b.get_right())
    group = VGroup(arrow_between(start, end, color))
    if source:
        group.add(tex(source, TEX_SIZE, color).next_to(group[0], UP, buff=0.1))
    return group


class Fig_ForwardBackward(BookScene):
    """D02.1: the forward lane (x → … → L) over the backward lane (∂L/∂ŷ → δ² → δ¹), with the weight gradients."""

    TITLE = "图 2-1 · 前向与反向"

    def construct(self) -> None:
        top_y, bottom_y, grad_y = 1.9, -0.1, -1.75
        forward = [box(source, PALETTE.forward, width) for source, width in
                   ((r"\mathbf x", 1.0), (r"\mathbf z^{(1)}", 1.2), (r"\mathbf a^{(1)}", 1.2),
                    (r"\mathbf z^{(2)}", 1.2), (r"\hat{\mathbf y}", 1.0), (r"L(\hat{\mathbf y},\mathbf y)", 1.75))]
        for mob, x in zip(forward, LANE_X):
            mob.move_to(np.array([x, top_y, 0]))
        f_links = VGroup(*(link(a, b, PALETTE.forward, source) for a, b, source in
                           zip(forward, forward[1:], ("W^{(1)}", r"\sigma", "W^{(2)}", r"\sigma", ""))))
        # backward lane: δ¹ under z¹, δ² under z², ∂L/∂ŷ under L
        d1 = box(r"\boldsymbol\delta^{(1)}", PALETTE.backward).move_to(np.array([LANE_X[1], bottom_y, 0]))
        d2 = box(r"\boldsymbol\delta^{(2)}", PALETTE.backward).move_to(np.array([LANE_X[3], bottom_y, 0]))
        dy = box(r"\partial L/\partial\hat{\mathbf y}", PALETTE.backward, 1.75)
        dy.move_to(np.array([LANE_X[5], bottom_y, 0]))
        drop = arrow_between(forward[5].get_bottom(), dy.get_top(), PALETTE.backward)
        b_links = VGroup(link(dy, d2, PALETTE.backward, r"\odot\,\sigma'(\mathbf z^{(2)})"),
                         link(d2, d1, PALETTE.backward, r"\times W^{(2)\top},\ \ \odot\,\sigma'(\mathbf z^{(1)})"))
        g1 = box(r"\partial L/\partial W^{(1)}", PALETTE.backward, 1.9).move_to(np.array([LANE_X[1], grad_y, 0]))
        g2 = box(r"\partial L/\partial W^{(2)}", PALETTE.backward, 1.9).move_to(np.array([LANE_X[3], grad_y, 0]))
        branches = VGroup()
        for d, g, source in ((d1, g1, r"\mathbf x^{\top}"), (d2, g2, r"\mathbf a^{(1)\top}")):
            down = arrow_between(d.get_bottom(), g.get_top(), PALETTE.backward)
            branches.add(down, tex(r"\times\," + source, TEX_SIZE, PALETTE.backward).next_to(down, RIGHT, buff=0.12))
        aligned = VGroup(*(DashedLine(forward[i].get_bottom(), d.get_top(), color=PALETTE.grid, stroke_width=2,
                                      dash_length=0.08)
                           for i, d in ((1, d1), (3, d2))))
        lanes = VGroup(cjk("前向", BODY_SIZE, PALETTE.forward).next_to(forward[0], LEFT, buff=0.35),
                       cjk("反向", BODY_SIZE, PALETTE.backward))
        lanes[1].move_to(np.array([lanes[0].get_x(), bottom_y, 0]))
        legend = legend_row([(PALETTE.forward, "前向：算值"), (PALETTE.backward, "反向：传误差")])
        legend.to_corner(UR, buff=SAFE)
        self.add(aligned, *forward, f_links, drop, d1, d2, dy, b_links, g1, g2, branches, lanes, legend)
        self.caption("每层用 δ 和前一层激活的外积\n得到权重梯度")
        self.hold(1.5)
