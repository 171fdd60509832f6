"""Chapter 5's diagram figure: D05.1, AlexNet with its two "dark threads" (data and compute).

The labels are the book's text (BOOK_SPEC §5.5). The conv stack is drawn as the paper's two GPU
lanes; the per-card sizes under each conv layer (H×W and the channels on one card) come from the
real module in ``alexnet_shapes.default``, so they follow ``--set alexnet_shapes.groups=1`` or
another ``input_size``.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Line, Rectangle, RoundedRectangle, VGroup

from scenes.kit.base import BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, mono

__all__ = ["Fig_AlexNetThreads"]

CONVS = ("conv1", "conv2", "conv3", "conv4", "conv5")


def boxed(text: str, size: float, color: str, pad: float = 0.18, width: float | None = None) -> VGroup:
    label = cjk(text, size, color)
    box = RoundedRectangle(corner_radius=0.1, width=width or label.width + 2 * pad, height=label.height + 2 * pad,
                           stroke_color=color, stroke_width=2.5)
    return VGroup(box, label.move_to(box))


class Fig_AlexNetThreads(BookScene):
    """D05.1: ImageNet → augmentation → 227×227×3 → 5 conv layers on 2 GPUs → fc6-8 → the error drop."""

    TRACES = ("alexnet_shapes.default",)
    TITLE = "图 5-1 · AlexNet 与两条暗线"
    X = -0.6  # the flow's centre line (the compute ribbon enters on the right)

    def construct(self) -> None:
        t = self.trace("alexnet_shapes.default")
        names = [str(n) for n in t["layer_names"]]
        x = self.X
        data = boxed("ImageNet 1.2M 张标注图 (数据暗线: 2009 李飞飞)", LABEL_SIZE, PALETTE.positive)
        data.move_to(np.array([x, 2.8, 0]))
        h, w, c = t.metrics["input"]
        size = mono(f"{h}x{w}x{c}", LABEL_SIZE).move_to(np.array([x, 1.68, 0]))
        aug = VGroup(cjk("▼ 随机裁剪/翻转/颜色扰动", SMALL_SIZE, PALETTE.positive),
                     cjk("(数据增强 → 等效放大数据集)", SMALL_SIZE, PALETTE.positive))
        aug.arrange(DOWN, aligned_edge=LEFT, buff=0.06).next_to(np.array([x, 2.17, 0]), RIGHT, buff=0.25)
        stack, lanes = self.conv_stack(t, names)
        stack.next_to(size, DOWN, buff=0.3).set_x(x + (stack.get_x() - stack[0].get_x()))
        fc = mono("fc6 ─dropout─► fc7 ─dropout─► fc8 ─► softmax(1000类)", LABEL_SIZE)
        fc.next_to(stack, DOWN, buff=0.45).set_x(x)
        flatten = cjk("▼ flatten", SMALL_SIZE, PALETTE.muted)
        flatten.next_to(np.array([x, (stack.get_bottom()[1] + fc.get_top()[1]) / 2, 0]), RIGHT, buff=0.2)
        fc_note = cjk("(6000 万参数; dropout 防过拟合)", SMALL_SIZE, PALETTE.muted).next_to(fc, DOWN, buff=0.12)
        callout = boxed("top-5 error 26.2% → 15.3%   ← 引爆点", BODY_SIZE, PALETTE.highlight, pad=0.16)
        callout[0].set_fill(PALETTE.grid, 1.0).set_stroke(width=4)
        callout.move_to(np.array([x, -3.25, 0]))
        arrows = VGroup(
            arrow_between(data.get_bottom(), size.get_top(), PALETTE.forward, tip=0.15, stroke_width=3),
            arrow_between(size.get_bottom(), stack[0].get_top(), PALETTE.forward, tip=0.15, stroke_width=3),
            arrow_between(stack[0].get_bottom(), fc.get_top(), PALETTE.forward, tip=0.15, stroke_width=3),
            arrow_between(fc_note.get_bottom(), callout.get_top(), PALETTE.forward, tip=0.15, stroke_width=3),
        )
        self.add(data, aug, size, stack, flatten, fc, fc_note, callout, arrows, self.ribbons(data, stack, lanes))

    def conv_stack(self, t, names: list[str]) -> tuple[VGroup, VGroup]:
        """The big box: two GPU lanes of conv blocks, crossing over at conv3 (and into the fc layers)."""
        groups = int(t.meta["params"]["groups"])
        lanes = VGroup()
        for gpu in range(2):
            blocks = VGroup()
            for conv in CONVS:
                i = names.index(conv)
                k = int(t["kernel"][i])
                per_card = int(t["out_c"][i]) // 2  # each card holds half of every layer's maps
                cell = VGroup(mono(f"{conv} {k}x{k}" if k > 5 else conv, SMALL_SIZE),
                              mono(f"{int(t['out_h'][i])}²×{per_card}", SMALL_SIZE, PALETTE.muted))
                cell.arrange(DOWN, buff=0.05)
                box = Rectangle(width=max(1.3, cell.width + 0.2), height=cell.height + 0.16,
                                stroke_color=PALETTE.forward, stroke_width=2)
                blocks.add(VGroup(box, cell.move_to(box)))
            blocks.arrange(RIGHT, buff=0.36)
            links = VGroup(*(arrow_between(a.get_right(), b.get_left(), PALETTE.forward, tip=0.12, stroke_width=2.5)
                             for a, b in zip(blocks, blocks[1:])))
            gpu_name = mono(f"GPU {gpu + 1}", SMALL_SIZE, PALETTE.forward).next_to(blocks, LEFT, buff=0.2)
            lanes.add(VGroup(blocks, links, gpu_name))
        lanes.arrange(DOWN, buff=0.25)
        # conv3 reads the maps of both cards (the paper's only cross-over inside the conv stack); with groups=1
        # every conv layer does
        cross = VGroup()
        top, bottom = lanes[0][0], lanes[1][0]
        for j in range(1, len(CONVS)):
            if groups == 1 or CONVS[j] == "conv3":
                cross.add(Line(top[j - 1].get_right(), bottom[j].get_left(), color=PALETTE.forward, stroke_width=1.5),
                          Line(bottom[j - 1].get_right(), top[j].get_left(), color=PALETTE.forward, stroke_width=1.5))
        note = cjk("(拆到 2 块 GTX580 上并行)  (算力暗线: 2012 GPU)", SMALL_SIZE, PALETTE.forward)
        note.next_to(lanes, DOWN, buff=0.14)
        flow = mono("conv1 11x11 ─ReLU─ maxpool ─► conv2 ─► ... ─► conv5", SMALL_SIZE).next_to(lanes, UP, buff=0.12)
        inner = VGroup(flow, lanes, cross, note)
        frame = Rectangle(width=inner.width + 0.4, height=inner.height + 0.24, stroke_color=PALETTE.muted,
                          stroke_width=2).move_to(inner)
        side = cjk("← 5 卷积层", LABEL_SIZE).next_to(frame, RIGHT, buff=0.15)
        return VGroup(frame, inner, side), lanes

    def ribbons(self, data: VGroup, stack: VGroup, lanes: VGroup) -> VGroup:
        """The data thread (warm) enters from the left, the compute thread (blue) from the right."""
        frame = stack[0]
        left = frame.get_left()[0] - 0.35
        data_path = VGroup(Line(data.get_left(), np.array([left, data.get_y(), 0])),
                           Line(np.array([left, data.get_y(), 0]), np.array([left, lanes[0].get_y(), 0])))
        data_path.set_stroke(PALETTE.positive, 10, 0.55)
        data_in = arrow_between(np.array([left, lanes[0].get_y(), 0]),
                                np.array([frame.get_left()[0] + 0.05, lanes[0].get_y(), 0]), PALETTE.positive,
                                tip=0.18, stroke_width=6)
        right = 6.6
        y = lanes[1].get_y()
        compute_in = arrow_between(np.array([right, y, 0]), np.array([frame.get_right()[0] - 0.05, y, 0]),
                                   PALETTE.forward, tip=0.18, stroke_width=10)
        compute_in.set_opacity(0.8)
        compute_name = cjk("算力", LABEL_SIZE, PALETTE.forward).next_to(compute_in, DOWN, buff=0.1).align_to(
            compute_in, RIGHT)
        data_name = cjk("数据", LABEL_SIZE, PALETTE.positive).next_to(data_path[1], LEFT, buff=0.1)
        return VGroup(data_path, data_in, compute_in, compute_name, data_name)
