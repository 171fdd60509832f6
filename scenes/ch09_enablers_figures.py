"""Chapter 9's diagram figure: D09.1, four foundations against one enemy.

A diagram of the book's text, not a measurement: it reads no trace (the measurements are in
``ch09_enablers.py``). Each row has a small icon (a hinged gate, a bypass arc, a bell curve,
footprints of adaptive steps), the technique, its mechanism and its effect, as the book words them.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, ArcBetweenPoints, Circle, Dot, Line, RoundedRectangle, VGroup, VMobject

from scenes.kit.base import SAFE, BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, cjk

__all__ = ["Fig_FourFoundations"]

ROWS = (  # (technique, mechanism, effect): the book's D09.1 rows
    ("ReLU", "换掉饱和激活，正区间导数 = 1", "激活这一环不衰减"),
    ("残差连接 +x", "给梯度一条恒等捷径 dy/dx = 1 + F′", "有一条永不衰减的直达通路"),
    ("BatchNorm", "稳住每层输入分布（均值 0 方差 1）", "数值不漂移，可用大学习率"),
    ("Adam", "每参数自适应步长 m̂/√v̂", "不同尺度的梯度都走合适的步子"),
)
ENEMY = "敌人：反向传播是导数连乘 ⇒ 系统性偏离 1 就指数消失 / 爆炸"
OUTCOME = ("几层就训不动", "几十上百层稳定收敛")


def icon_gate(color: str) -> VMobject:
    return VMobject(stroke_color=color, stroke_width=5).set_points_as_corners(
        [[-0.4, -0.15, 0], [0.0, -0.15, 0], [0.4, 0.25, 0]])


def icon_bypass(color: str) -> VGroup:
    box = RoundedRectangle(corner_radius=0.05, width=0.32, height=0.22, color=color, stroke_width=3)
    wire = Line([-0.42, -0.12, 0], [0.42, -0.12, 0], color=color, stroke_width=3)
    box.move_to([0, -0.12, 0])
    arc = ArcBetweenPoints([-0.38, -0.05, 0], [0.38, -0.05, 0], angle=-2.2, color=color, stroke_width=3)
    return VGroup(wire, box, arc)


def icon_bell(color: str) -> VMobject:
    x = np.linspace(-0.42, 0.42, 41)
    y = 0.38 * np.exp(-(x / 0.15) ** 2) - 0.18
    return VMobject(stroke_color=color, stroke_width=4).set_points_smoothly(np.stack([x, y, 0 * x], 1))


def icon_steps(color: str) -> VGroup:
    xs = np.array([-0.27, -0.15, -0.01, 0.13, 0.28])
    return VGroup(*(Dot([x, 0.1 * (-1) ** i, 0], radius=0.035 + 0.01 * i, color=color)
                    for i, x in enumerate(xs)))


class Fig_FourFoundations(BookScene):
    """Diagram D09.1: the enemy on top, four technique rows, a bracket 合力, and the outcome arrow."""

    TITLE = "图 9-1 · 四块地基，同一个敌人"

    def construct(self) -> None:
        enemy = cjk(ENEMY, BODY_SIZE, PALETTE.backward).move_to([0, 2.75, 0])
        rows = self.rows()
        bracket, outcome = self.outcome(rows)
        self.add(enemy, rows, bracket, outcome)
        self.wait(0.1)

    def rows(self) -> VGroup:
        icons = (icon_gate(PALETTE.learned), icon_bypass(PALETTE.forward), icon_bell(PALETTE.positive),
                 icon_steps(PALETTE.highlight))
        group = VGroup()
        for n, ((name, how, effect), icon) in enumerate(zip(ROWS, icons)):
            y = 1.7 - 0.95 * n
            frame = Circle(0.42, color=PALETTE.grid, stroke_width=2).move_to([-6.1, y, 0])
            icon.move_to(frame)
            label = cjk(name, BODY_SIZE, PALETTE.text).next_to([-5.5, y, 0], RIGHT, buff=0)
            mech = cjk(how, LABEL_SIZE, PALETTE.muted).next_to([-3.2, y, 0], RIGHT, buff=0)
            arrow = arrow_between(np.array([1.55, y, 0]), np.array([2.25, y, 0]), PALETTE.muted, tip=0.15,
                                  stroke_width=3)
            result = cjk(effect, LABEL_SIZE, PALETTE.learned).next_to([2.4, y, 0], RIGHT, buff=0)
            group.add(VGroup(frame, icon, label, mech, arrow, result))
        return group

    def outcome(self, rows: VGroup) -> tuple[VGroup, VGroup]:
        bottom = rows[-1].get_bottom()[1] - 0.25
        left, right = -6.55, 6.55
        bracket = VMobject(stroke_color=PALETTE.muted, stroke_width=3).set_points_as_corners(
            [[left, bottom + 0.2, 0], [left, bottom, 0], [right, bottom, 0], [right, bottom + 0.2, 0]])
        name = cjk("合力", BODY_SIZE, PALETTE.text).next_to([0, bottom, 0], DOWN, buff=0.15)
        y = name.get_bottom()[1] - 0.55
        before = cjk(OUTCOME[0], BODY_SIZE, PALETTE.backward).next_to([-0.9, y, 0], LEFT, buff=0)
        after = cjk(OUTCOME[1], BODY_SIZE, PALETTE.learned).next_to([0.9, y, 0], RIGHT, buff=0)
        arrow = arrow_between(np.array([-0.75, y, 0]), np.array([0.75, y, 0]), PALETTE.text, stroke_width=5)
        group = VGroup(before, arrow, after)
        if group.get_bottom()[1] < -4 + SAFE:  # keep the outcome inside the safe margin
            group.shift((-4 + SAFE - group.get_bottom()[1]) * UP)
        return VGroup(bracket, name), group
