"""Chapter 3's diagram figures: D03.1, the book's LeNet-style data flow.

A diagram, not a computation: the stage labels (``28×28×1``, ``conv 3×3``, ``10类``) are the
book's own text for a generic LeNet, and no trace stands behind them.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, ORIGIN, RIGHT, UP, Line, Polygon, Rectangle, VGroup, config

from scenes.kit.base import SAFE, BookScene
from scenes.kit.grids import viridis
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between, cuboid
from scenes.kit.text import LABEL_SIZE, SMALL_SIZE, cjk, mono

__all__ = ["Fig_LeNetFlow", "ramp"]


def ramp(start: np.ndarray, end: np.ndarray, rising: bool = True, height: float = 0.09) -> VGroup:
    """A horizontal arrow whose shaft runs along the viridis scale (dark = little, bright = much)."""
    steps, length = 24, float(end[0] - start[0]) - 0.18
    shaft = VGroup(*(Rectangle(width=length / steps, height=height, stroke_width=0,
                               fill_color=viridis((k + 0.5) / steps if rising else 1 - (k + 0.5) / steps),
                               fill_opacity=1.0) for k in range(steps))).arrange(RIGHT, buff=0)
    shaft.move_to(start + np.array([length / 2, 0, 0]))
    tip_color = viridis(1.0 if rising else 0.0)
    tip = Polygon(shaft.get_right() + 0.12 * UP, shaft.get_right() + 0.12 * DOWN, shaft.get_right() + 0.2 * RIGHT,
                  stroke_width=0, fill_color=tip_color, fill_opacity=1.0)
    return VGroup(shaft, tip)


class Fig_LeNetFlow(BookScene):
    """D03.1: input → conv → ReLU → pool → conv → … → flatten → fc → softmax, with the four trends below."""

    TITLE = "图 3-1 · LeNet 式卷积网络的数据流"

    STAGES = (  # header, block (side, depth) or kind, label under it, role under that
        ("输入图像", (1.45, 0.06), "28×28×1", ""),
        ("卷积层(多核)", (1.2, 0.4), "conv 3×3", "[边缘/纹理]"),
        ("", "relu", "ReLU", "[非线性]"),
        ("池化层", (0.95, 0.4), "maxpool", "[下采样]"),
        ("卷积层", (0.8, 0.8), "conv", "[部件]"),
        ("池化", (0.48, 0.8), "…", ""),
        ("全连接", "vector", "flatten→fc", "[向量]"),
        ("输出", "classes", "softmax", "[10类概率]"),
    )
    CLASSES = 10  # the output column's bars, one per class of the book's "[10类概率]"
    HEAD_Y, BLOCK_Y, LABEL_Y, ROLE_Y = 2.85, 1.5, 0.2, -0.2
    GAP = 0.5

    def construct(self) -> None:
        columns, blocks = self.stage_columns()
        real = [b for b in blocks if b is not None]
        arrows = VGroup(*(arrow_between(np.array([a.get_right()[0], self.BLOCK_Y, 0]),
                                        np.array([b.get_left()[0], self.BLOCK_Y, 0]), PALETTE.forward)
                          for a, b in zip(real, real[1:])))
        relu = columns[[s[1] for s in self.STAGES].index("relu")][0]
        hinge = VGroup(Line(np.array([-0.22, 0, 0]), ORIGIN), Line(ORIGIN, np.array([0.2, 0.2, 0])))
        hinge.set_stroke(PALETTE.muted, 3).next_to(relu, UP, buff=0.12)
        self.add(columns, arrows, hinge, self.trends())
        self.caption("层越深：视野越大越抽象，图越小通道越多")
        self.hold(1.5)

    def stage_columns(self) -> tuple[VGroup, list]:
        """One column per stage (block, label, header, role), laid out left to right and centred."""
        columns, blocks = VGroup(), []
        for head, spec, label, role in self.STAGES:
            block = self.block(spec).move_to(np.array([0, self.BLOCK_Y, 0]))
            texts = VGroup(mono(label, SMALL_SIZE, PALETTE.muted).move_to(np.array([0, self.LABEL_Y, 0])))
            if head:
                texts.add(cjk(head, LABEL_SIZE).move_to(np.array([0, self.HEAD_Y, 0])))
            if role:
                texts.add(cjk(role, SMALL_SIZE, PALETTE.forward).move_to(np.array([0, self.ROLE_Y, 0])))
            columns.add(VGroup(block, texts))
            blocks.append(None if spec == "relu" else block)
        widths = [max(col[0].width, col[1].width) for col in columns]
        room = config.frame_width - 2 * SAFE - sum(widths)  # the gaps shrink before anything leaves the frame
        gap = min(self.GAP, room / (len(widths) - 1))
        x = 0.0
        for col, width in zip(columns, widths):
            col.shift((x + width / 2) * RIGHT)
            for text in col[1]:
                text.set_x(col[0].get_x())
            x += width + gap
        columns.set_x(0)
        return columns, blocks

    @classmethod
    def block(cls, spec) -> VGroup:
        if spec == "relu":  # no block: ReLU acts on the arrow from the conv layer to the pooling layer
            return VGroup(Rectangle(width=0.6, height=0.1, stroke_width=0, fill_opacity=0))
        if spec == "vector":
            return VGroup(Rectangle(width=0.16, height=1.9, stroke_color=PALETTE.muted, stroke_width=2,
                                    fill_color=PALETTE.grid, fill_opacity=1.0))
        if spec == "classes":
            return VGroup(*(Rectangle(width=0.22, height=0.15, stroke_color=PALETTE.muted, stroke_width=1.5,
                                      fill_color=viridis(p), fill_opacity=1.0)
                            for p in np.linspace(0.1, 0.3, cls.CLASSES))).arrange(DOWN, buff=0.03)
        side, depth = spec
        return cuboid(side, depth, PALETTE.muted)

    def trends(self) -> VGroup:
        """The four trend rows under the pipeline, each word joined to the next by a viridis ramp."""
        rows = (
            ("感受野", [("小", True), ("大", None)]),
            ("语义", [("像素/边缘", True), ("纹理", True), ("部件", True), ("物体", None)]),
            ("空间分辨率", [("高", False), ("低（被池化逐步压缩）", None)]),
            ("通道数（特征种类）", [("少", True), ("多（每层学更多种特征）", None)]),
        )
        left, right, ramp_from = -6.6, 6.6, -3.3
        group = VGroup()
        for r, (name, words) in enumerate(rows):
            y = -0.95 - 0.5 * r
            row = VGroup(cjk(name, LABEL_SIZE, PALETTE.muted).move_to(np.array([left, y, 0]), aligned_edge=LEFT))
            items = [cjk(w, LABEL_SIZE) for w, _ in words]
            gap = (right - ramp_from - sum(i.width for i in items)) / (len(items) - 1)
            x = ramp_from
            for item, (_, rising) in zip(items, words):
                item.move_to(np.array([x, y, 0]), aligned_edge=LEFT)
                row.add(item)
                x += item.width
                if rising is not None:
                    row.add(ramp(np.array([x + 0.15, y, 0]), np.array([x + gap - 0.15, y, 0]), rising))
                    x += gap
            group.add(row)
        return group
