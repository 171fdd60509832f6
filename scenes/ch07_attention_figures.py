"""Chapter 7's diagram figure: D07.1, from the fixed bottleneck to attention.

The labels are the book's diagram text. The two things in it that are data — the opacity of each
α line in the lower panel and the small alignment heat map — are the trained attention model's α
on one held-out sentence from the ``seq2seq`` trace, not drawn by hand.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, LEFT, RIGHT, UP, Line, Rectangle, RoundedRectangle, VGroup

from scenes.kit.base import SAFE, BookScene
from scenes.kit.grids import CellGrid, viridis
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, tex

__all__ = ["Fig_BottleneckToAttention"]

TRACE = "seq2seq.default"


def token(name: str, color: str = PALETTE.text) -> VGroup:
    box = RoundedRectangle(corner_radius=0.08, width=0.75, height=0.48, stroke_color=PALETTE.muted, stroke_width=2)
    return VGroup(box, tex(name, TEX_SIZE, color).move_to(box))


def arrow(start: np.ndarray, end: np.ndarray, color: str = PALETTE.forward, width: float = 3) -> Line:
    return Line(start, end, color=color, stroke_width=width).add_tip(tip_length=0.16)


class Fig_BottleneckToAttention(BookScene):
    """Diagram D07.1: the funnel into one c above; the α-weighted fan into c_i (real α) below."""

    TRACES = ("seq2seq.default",)
    TITLE = "图 7-1 · 从固定瓶颈到注意力"

    def construct(self) -> None:
        t = self.trace(TRACE)
        lengths = t["example_lengths"]
        k = int(np.argmin(np.abs(lengths - np.median(lengths))))
        alpha = t[f"ex{k}_alpha"][-1]  # (m, n) after training
        self.add(self.bottleneck(), Line([-6.7, 0.2, 0], [6.7, 0.2, 0], color=PALETTE.grid, stroke_width=2),
                 self.attention(alpha))
        self.wait(0.1)

    def bottleneck(self) -> VGroup:
        head = cjk("【无注意力 seq2seq 2014】信息被压进单个向量 c，长句丢失", BODY_SIZE)
        head.move_to([0, 2.85, 0]).to_edge(LEFT, buff=SAFE)
        y = 1.75
        src = VGroup(cjk("源:", LABEL_SIZE, PALETTE.muted), *(token(n) for n in ("x_1", "x_2", "x_3")),
                     tex(r"\cdots", TEX_SIZE, PALETTE.muted), token("x_n")).arrange(RIGHT, buff=0.12)
        src.move_to([-4.2, y, 0])
        c = VGroup(Rectangle(width=0.8, height=0.8, stroke_color=PALETTE.text, stroke_width=4),
                   tex(r"\mathbf c", 36)).move_to([0.8, y, 0])
        mid = (src.get_right()[0] + c.get_left()[0]) / 2
        enc = VGroup(arrow(src.get_right() + 0.1 * RIGHT, c.get_left() + 0.05 * LEFT),
                     cjk("encoder LSTM", SMALL_SIZE, PALETTE.forward).move_to([mid, y + 0.28, 0]))
        out = VGroup(*(token(n, PALETTE.learned) for n in ("y_1", "y_2", "y_3")),
                     tex(r"\cdots", TEX_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.12).move_to([4.95, y, 0])
        dec = VGroup(arrow(c.get_right() + 0.05 * RIGHT, out.get_left() + 0.1 * LEFT),
                     cjk("decoder", SMALL_SIZE, PALETTE.forward).move_to([(c.get_right()[0] + out.get_left()[0]) / 2,
                                                                          y + 0.28, 0]))
        note = VGroup(tex(r"\uparrow", TEX_SIZE, PALETTE.error),
                      cjk("固定大小，长句装不下（瓶颈）", LABEL_SIZE, PALETTE.error)).arrange(RIGHT, buff=0.15)
        note.next_to(c, DOWN, buff=0.12).align_to(c, LEFT).shift(0.2 * RIGHT)
        return VGroup(head, src, enc, c, dec, out, note)

    def attention(self, alpha: np.ndarray) -> VGroup:
        head = cjk("【Bahdanau 注意力 2014】每步生成都回看全部源位置", BODY_SIZE)
        head.move_to([0, -0.2, 0]).to_edge(LEFT, buff=SAFE)
        y, xs = -1.0, (-5.6, -4.6, -3.6, -1.6)
        hs = VGroup(cjk("源:", LABEL_SIZE, PALETTE.muted).move_to([-6.5, y, 0]),
                    *(token(n, PALETTE.forward).move_to([x, y, 0]) for n, x in zip(("h_1", "h_2", "h_3", "h_n"), xs)),
                    tex(r"\cdots", TEX_SIZE, PALETTE.muted).move_to([-2.6, y, 0]))
        note = cjk("（编码器给每个源词一个表示）", LABEL_SIZE, PALETTE.muted).next_to(hs, RIGHT, buff=0.3)
        # one decoding step of the trained model: its α over the first three and the last source word
        i = min(1, alpha.shape[0] - 1)  # the second step: its weight sits near the diagonal, on h_2
        row = alpha[i]
        picked = [row[0], row[1], row[2], row[-1]] if len(row) >= 4 else list(row) + [0.0] * (4 - len(row))
        sink = np.array([-3.6, -2.35, 0])
        fan = VGroup(*(Line(hs[1 + k].get_bottom(), sink, color=PALETTE.learned, stroke_width=2 + 10 * float(a),
                            stroke_opacity=0.35 + 0.65 * float(a)) for k, a in enumerate(picked)))
        fan_name = VGroup(tex(r"\alpha_{ij}", TEX_SIZE, PALETTE.learned),
                          cjk("（每步重算的权重）", LABEL_SIZE, PALETTE.learned)).arrange(RIGHT, buff=0.08)
        fan_name.next_to(sink, RIGHT, buff=0.3).shift(0.55 * UP)
        line = VGroup(cjk("生成", LABEL_SIZE), tex("y_i", TEX_SIZE), cjk("时:", LABEL_SIZE),
                      tex(r"\mathbf c_i=\sum_j \alpha_{ij}\mathbf h_j", TEX_SIZE),
                      cjk("← 为这一步定制的 context", LABEL_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.2)
        line.next_to(sink, DOWN, buff=0.15).to_edge(LEFT, buff=SAFE + 0.4)
        foot = cjk("注意力热图(目标×源)呈对角线 => 自动学会词对齐", LABEL_SIZE).next_to(line, DOWN, buff=0.2)
        foot.align_to(line, LEFT)
        cell = min(0.2, 2.4 / alpha.shape[1])
        heat = CellGrid(alpha.tolist(), cell=cell, fill=lambda v: viridis(float(v)), stroke=PALETTE.grid,
                        stroke_width=0.5).move_to([5.2, -1.85, 0])
        heat_name = cjk("本次训练的 α（目标×源）", SMALL_SIZE, PALETTE.muted).next_to(heat, UP, buff=0.12)
        return VGroup(head, hs, note, fan, fan_name, line, foot, heat, heat_name)
