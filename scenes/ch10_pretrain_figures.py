"""Chapter 10's diagram figures: D10.1, the GPT/BERT comparison table; D10.2, the Y-shaped pre-training flowchart.

Diagrams of the book's text, not measurements: they read no trace. The labels are the book's own
words (BOOK_SPEC §10.5); the mask icons in the table's attention row are the two mask shapes
(lower-triangular, full) drawn as small grids.
"""

from __future__ import annotations

import numpy as np
from manim import DOWN, RIGHT, Line, Rectangle, RoundedRectangle, VGroup

from scenes.kit.base import BookScene
from scenes.kit.grids import CellGrid
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, cjk

__all__ = ["Fig_GPTvsBERT", "Fig_PretrainRoutes"]

GPT_COLOR = PALETTE.positive  # the generative route (warm), as in MaskShapes' headings
BERT_COLOR = PALETTE.negative  # the understanding route (cool)

# D10.1 as printed (BOOK_SPEC §10.5): row name, GPT cell, BERT cell
TABLE = (
    ("Transformer 部分", "解码器(decoder)", "编码器(encoder)"),
    ("自注意力", "带因果掩码(单向)", "双向(无掩码)"),
    ("自监督任务", "预测下一个词(自回归LM)", "完形填空(掩码语言建模 MLM)"),
    ("看上下文", "只看左边", "同时看左右"),
    ("天生擅长", "生成(续写、对话)", "理解(分类、抽取、问答打分)"),
    ("微调", "任务头 / 后来靠提示词", "接任务头微调"),
    ("放大后的命运", "涌现通用能力 → LLM/ChatGPT", "强基线，但难做开放生成"),
)


def mask_icon(causal: bool, color: str, n: int = 5, cell: float = 0.09) -> CellGrid:
    """A small n×n mask: lit cells where position i may look at j."""
    allowed = np.tril(np.ones((n, n))) if causal else np.ones((n, n))
    return CellGrid(allowed, cell=cell, fill=lambda v: color if v else PALETTE.grid, stroke=PALETTE.background,
                    stroke_width=0.5)


class Fig_GPTvsBERT(BookScene):
    """D10.1: the seven-row table, shaded header, mask icons in the self-attention row."""

    TITLE = "图 10-1 · GPT 与 BERT 对照"
    COLS = (-4.95, -1.2, 3.75)  # centres: row name, GPT, BERT (contiguous columns)
    WIDTHS = (2.7, 4.8, 5.1)
    ROW_H = 0.62

    def construct(self) -> None:
        top = 2.85
        header = VGroup()
        for x, w, text, color in zip(self.COLS, self.WIDTHS, ("", "GPT (2018, OpenAI)", "BERT (2018, Google)"),
                                     (PALETTE.muted, GPT_COLOR, BERT_COLOR)):
            band = Rectangle(width=w - 0.06, height=self.ROW_H, stroke_width=0, fill_color=PALETTE.grid, fill_opacity=1)
            band.move_to([x, top - self.ROW_H / 2, 0])
            header.add(band, cjk(text, BODY_SIZE, color).move_to(band))
        body = VGroup()
        left, right = self.COLS[0] - self.WIDTHS[0] / 2, self.COLS[2] + self.WIDTHS[2] / 2
        for r, (name, gpt, bert) in enumerate(TABLE):
            y = top - self.ROW_H * (r + 1.5)
            body.add(cjk(name, LABEL_SIZE, PALETTE.muted).move_to([self.COLS[0], y, 0]))
            g = cjk(gpt, LABEL_SIZE).move_to([self.COLS[1], y, 0])
            b = cjk(bert, LABEL_SIZE).move_to([self.COLS[2], y, 0])
            if name == "自注意力":  # the mask shapes themselves, beside the words
                g = VGroup(mask_icon(True, GPT_COLOR), g).arrange(RIGHT, buff=0.2).move_to([self.COLS[1], y, 0])
                b = VGroup(mask_icon(False, BERT_COLOR), b).arrange(RIGHT, buff=0.2).move_to([self.COLS[2], y, 0])
            body.add(g, b)
            body.add(Line([left, y - self.ROW_H / 2, 0], [right, y - self.ROW_H / 2, 0], color=PALETTE.grid,
                          stroke_width=1.5))
        bottom = top - self.ROW_H * (len(TABLE) + 1)
        seps = VGroup(*(Line([x, top, 0], [x, bottom, 0], color=PALETTE.grid, stroke_width=1.5)
                        for x in (self.COLS[0] + self.WIDTHS[0] / 2, self.COLS[1] + self.WIDTHS[1] / 2)))
        self.add(header, body, seps)
        self.wait(0.1)


def node(text: str, color: str, width: float | None = None) -> VGroup:
    label = cjk(text, LABEL_SIZE, color)
    box = RoundedRectangle(corner_radius=0.1, width=max(width or 0, label.width + 0.4), height=label.height + 0.28,
                           stroke_color=color, stroke_width=2, fill_color=PALETTE.background, fill_opacity=1)
    return VGroup(box, label.move_to(box))


def column(items: list[VGroup], notes: dict[int, str], color: str, x: float, top: float) -> VGroup:
    """Boxes stacked downward at ``x`` with arrows between them; ``notes[k]`` labels the arrow into box k."""
    group = VGroup()
    y = top
    prev = None
    for k, item in enumerate(items):
        if prev is not None:
            y -= 0.42 if k not in notes else 0.5
        item.move_to([x, y - item.height / 2, 0])
        if prev is not None:
            arrow = arrow_between(prev.get_bottom(), item.get_top(), color, tip=0.14, stroke_width=3)
            group.add(arrow)
            if k in notes:
                group.add(cjk(notes[k], SMALL_SIZE, PALETTE.muted).next_to(arrow, RIGHT, buff=0.12))
        group.add(item)
        y = item.get_bottom()[1]
        prev = item
    return group


class Fig_PretrainRoutes(BookScene):
    """D10.2: unlabelled text → self-supervised pre-training → fork: GPT (continues further down) and BERT."""

    TITLE = "图 10-2 · 预训练范式与两条路线"

    def construct(self) -> None:
        source = node("海量无标注文本 (互联网/书籍/维基)", PALETTE.text).move_to([0, 2.85, 0])
        fork_y = 1.75
        stem = Line(source.get_bottom(), [0, fork_y, 0], color=PALETTE.muted, stroke_width=3)
        stem_note = cjk("自监督预训练 (免费监督信号)", SMALL_SIZE, PALETTE.muted).next_to(stem, RIGHT, buff=0.15)
        xl, xr = -3.4, 3.4
        bar = Line([xl, fork_y, 0], [xr, fork_y, 0], color=PALETTE.muted, stroke_width=3)
        w = 4.4
        gpt = column([node("GPT: 预测下一个词", GPT_COLOR, w), node("[x1 x2 x3] ──► 预测 x4", PALETTE.text, w),
                      node("Transformer 解码器(因果掩码)", PALETTE.text, w),
                      node("生成、对话、few-shot", PALETTE.text, w),
                      node("GPT-2/3 → ChatGPT → LLM", PALETTE.learned, w)],
                     {3: "微调/提示词", 4: "放大 → 涌现"}, GPT_COLOR, xl, fork_y - 0.45)
        bert = column([node("BERT: 完形填空(遮15%)", BERT_COLOR, w),
                       node("[x1 MASK x3 x4] ──► 预测 MASK", PALETTE.text, w),
                       node("Transformer 编码器(双向)", PALETTE.text, w),
                       node("分类、抽取、句对打分", PALETTE.text, w)],
                      {3: "接任务头微调"}, BERT_COLOR, xr, fork_y - 0.45)
        drops = VGroup(arrow_between([xl, fork_y, 0], gpt[0].get_top(), GPT_COLOR, tip=0.14, stroke_width=3),
                       arrow_between([xr, fork_y, 0], bert[0].get_top(), BERT_COLOR, tip=0.14, stroke_width=3))
        tail = cjk("(强基线，理解类主导 2018-20)", SMALL_SIZE, PALETTE.muted).next_to(bert, DOWN, buff=0.25)
        self.add(source, stem, stem_note, bar, drops, gpt, bert, tail)
        self.wait(0.1)
