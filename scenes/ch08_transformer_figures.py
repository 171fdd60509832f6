"""Chapter 8's diagram figure: D08.1, the encoder–decoder Transformer in the Vaswani layout.

A diagram of the book's text, not a measurement: it reads no trace. Its labels are the book's
(编码器 ×6, 多头自注意力 +残差+LN, 编码器输出(K,V), …), drawn as two tall stacks with Add & Norm
bands and the K/V bridge from the encoder's top into the decoder's cross-attention.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, UP, Rectangle, RoundedRectangle, VGroup

from scenes.kit.base import SAFE, BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, tex

__all__ = ["Fig_Transformer"]

BOX_W = 3.4


def sublayer(name: str, color: str, height: float = 0.62) -> VGroup:
    """A sublayer box with its Add & Norm band under it (the book's "+残差+LN")."""
    body = RoundedRectangle(corner_radius=0.08, width=BOX_W, height=height, stroke_color=color, stroke_width=2.5,
                            fill_color=PALETTE.background, fill_opacity=1)
    band = Rectangle(width=BOX_W, height=0.3, stroke_width=0, fill_color=PALETTE.grid, fill_opacity=1)
    band.next_to(body, DOWN, buff=0)
    return VGroup(body, cjk(name, LABEL_SIZE, color).move_to(body),
                  band, cjk("+残差+LN（Add & Norm）", SMALL_SIZE, PALETTE.muted).move_to(band))


def stack(parts: list[VGroup], label: str, x: float, bottom: float) -> VGroup:
    """A header, then the sublayers top to bottom, inside one tall frame whose bottom sits at ``bottom``."""
    inner = VGroup(cjk(label, BODY_SIZE, PALETTE.text), *parts).arrange(DOWN, buff=0.22)
    frame = RoundedRectangle(corner_radius=0.15, width=BOX_W + 0.5, height=inner.height + 0.45,
                             stroke_color=PALETTE.muted, stroke_width=2).move_to(inner)
    group = VGroup(frame, inner)
    return group.shift(np.array([x, bottom, 0]) - np.array([frame.get_x(), frame.get_bottom()[1], 0]))


class Fig_Transformer(BookScene):
    """D08.1: encoder ×6 (left), decoder ×6 (right), inputs at the bottom, the K/V bridge, the core formula."""

    TITLE = "图 8-1 · Transformer 编码器-解码器"

    def construct(self) -> None:
        bottom = -1.55
        # bottom-up data flow, as in the paper's drawing: the lowest sublayer sees the input first
        enc = stack([sublayer("前馈FFN", PALETTE.forward), sublayer("多头自注意力", PALETTE.positive)],
                    "编码器 ×6（重复6层）", -3.4, bottom)
        dec = stack([sublayer("前馈FFN", PALETTE.forward), sublayer("编码器-解码器注意力", PALETTE.positive),
                     sublayer("带掩码多头自注意力", PALETTE.positive)], "解码器 ×6", 2.9, bottom)
        enc_in = cjk("输入词 ──► 词向量 ＋ 位置编码", LABEL_SIZE).next_to(enc[0], DOWN, buff=0.5)
        dec_in = cjk("输出词(右移) ──► 词向量 ＋ 位置编码", LABEL_SIZE).next_to(dec[0], DOWN, buff=0.5)
        arrows = VGroup(arrow_between(enc_in.get_top(), enc[0].get_bottom(), PALETTE.muted),
                        arrow_between(dec_in.get_top(), dec[0].get_bottom(), PALETTE.muted))
        out = cjk("线性 + softmax ──► 下一个词概率", LABEL_SIZE, PALETTE.learned).next_to(dec[0], UP, buff=0.45)
        arrows.add(arrow_between(dec[0].get_top(), out.get_bottom(), PALETTE.muted))
        # the K/V bridge: from the encoder stack's top sublayer into the decoder's cross-attention
        cross = dec[1][2][0]
        y = cross.get_y()
        bridge = arrow_between(np.array([enc[0].get_right()[0], y, 0]), cross.get_left(), PALETTE.highlight)
        bridge_name = cjk("编码器输出(K,V)", SMALL_SIZE, PALETTE.highlight).next_to(bridge, UP, buff=0.1)
        look = cjk("◄ 看编码器输出", SMALL_SIZE, PALETTE.muted).next_to(bridge, DOWN, buff=0.1)
        future = cjk("(不看未来)", SMALL_SIZE, PALETTE.muted).next_to(dec[0], RIGHT, buff=0.1)
        future.set_y(dec[1][3][0].get_y())
        core = VGroup(cjk("核心：", LABEL_SIZE),
                      tex(r"\mathrm{Attention}(Q,K,V)=\mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V",
                          TEX_SIZE),
                      cjk("；多头并行；位置编码注入顺序", LABEL_SIZE)).arrange(RIGHT, buff=0.15)
        core.to_edge(DOWN, buff=SAFE)
        self.add(enc, dec, enc_in, dec_in, arrows, out, bridge, bridge_name, look, future, core)
        self.wait(0.1)
