"""Chapter 10 — 预训练: GPT's causal mask against BERT's full one, coloured by real attention weights.

``MaskShapes`` reads ``pretrain.default``: a tiny GPT and a tiny BERT this project trained on the
same generated corpus of 12-character sentences. The two L×L grids are their masks, coloured by
each model's last-layer attention (heads averaged) on the same demo sentence; the generation,
the [MASK] positions, every guess and probability are the run's. The diagrams D10.1 and D10.2 are
in ``ch10_pretrain_figures.py``.
"""

from __future__ import annotations

import numpy as np
from manim import LEFT, RIGHT, UP, Create, FadeIn, FadeOut, Line, SurroundingRectangle, Transform, VGroup

from scenes.kit.base import BookScene
from scenes.kit.grids import CellGrid, heat_scale, viridis
from scenes.kit.numbers import fixed
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, mono

TRACE = "pretrain.default"
MASK_MARK = "■"  # a [MASK] in a one-character cell label


def percent(x: float) -> str:
    return f"{100 * float(x):.0f}%"


class MaskShapes(BookScene):
    """Two masks side by side; GPT generates one token per step; BERT fills its [MASK]s from both sides."""

    TRACES = ("pretrain.default",)
    TITLE = "第10章 · 掩码的形状"
    GRID_X = 3.35  # the grids' centres at ±GRID_X
    GRID_TOP = 2.2

    def construct(self) -> None:
        self.load()
        self.masks()
        self.weights()
        self.generate()
        self.fill_masks()
        self.conclude()

    def load(self) -> None:
        t = self.trace(TRACE)
        self.t = t
        self.vocab = [str(c) for c in t["vocab"]]
        self.demo = [str(c) for c in t["demo"]]
        self.L = len(self.demo)
        self.cell = min(0.3, 3.6 / self.L)
        self.gpt_w = t["gpt_attn"][-1].mean(0)  # last layer, heads averaged
        self.bert_w = t["bert_attn"][-1].mean(0)
        self.masked = [int(i) for i in t["masked_pos"]]

    def grid(self, allowed: np.ndarray, weights: np.ndarray | None) -> CellGrid:
        def fill(v: float) -> str:
            return viridis(v) if weights is not None else PALETTE.forward

        values = weights if weights is not None else allowed
        g = CellGrid(values, cell=self.cell, fill=fill, stroke=PALETTE.background, stroke_width=1)
        for i in range(self.L):
            for j in range(self.L):
                if not allowed[i][j]:
                    g.cells[i][j].set_fill(PALETTE.grid, 1.0)
        return g

    def labels(self, g: CellGrid, chars: list[str]) -> VGroup:
        def mark(c: str) -> str:
            return MASK_MARK if c == "[MASK]" else c

        cols = VGroup(*(cjk(mark(c), SMALL_SIZE, PALETTE.highlight if c == "[MASK]" else PALETTE.muted)
                        .next_to(g.cell(0, j), UP, buff=0.1) for j, c in enumerate(chars)))
        rows = VGroup(*(cjk(mark(c), SMALL_SIZE, PALETTE.highlight if c == "[MASK]" else PALETTE.muted)
                        .next_to(g.cell(i, 0), LEFT, buff=0.1) for i, c in enumerate(chars)))
        return VGroup(cols, rows)

    def place(self, g: CellGrid, side: int) -> CellGrid:
        return g.move_to([side * self.GRID_X, self.GRID_TOP - g.height / 2, 0])

    # --- beats --------------------------------------------------------------------------------------------
    def masks(self) -> None:
        t, m = self.t, self.t.metrics
        self.left = self.place(self.grid(t["mask_causal"], None), -1)
        self.right = self.place(self.grid(t["mask_full"], None), 1)
        self.bert_chars = [str(c) for c in t["masked_input"]]
        self.left_labels = self.labels(self.left, self.demo)
        self.right_labels = self.labels(self.right, self.bert_chars)
        heads = VGroup(cjk("GPT：因果掩码（只看左边）", BODY_SIZE, PALETTE.text).move_to([-self.GRID_X, 3.0, 0]),
                       cjk("BERT：全掩码（看两边）", BODY_SIZE, PALETTE.text).move_to([self.GRID_X, 3.0, 0]))
        self.play(FadeIn(heads), FadeIn(self.left), FadeIn(self.right), FadeIn(self.left_labels),
                  FadeIn(self.right_labels), run_time=1.4)
        self.caption(f"同一句话的 {self.L}×{self.L} 注意力掩码：第 i 行能看哪些列。\n"
                     "左边只亮下三角，右边全亮")
        self.wait(1.0)
        self.caption(f"同一份语料各训练一个小模型：GPT 损失 {fixed(m['gpt_final_loss'], 2)}，"
                     f"\nBERT {fixed(m['bert_final_loss'], 2)}（瞎猜是 {fixed(m['uniform_loss'], 2)}）")
        self.wait(1.0)

    def weights(self) -> None:
        t = self.t
        left = self.place(self.grid(t["mask_causal"], self.gpt_w), -1)
        right = self.place(self.grid(t["mask_full"], self.bert_w), 1)
        bar = heat_scale(0, 1, height=self.left.height * 0.8, label="权重", ticks=(0, 0.5, 1), fmt=lambda v: f"{v:g}")
        bar.move_to([-0.2, self.left.get_y(), 0])
        self.play(Transform(self.left, left), Transform(self.right, right), FadeIn(bar), run_time=1.4)
        self.caption("颜色换成训练后真实的注意力权重\n（最后一层，各头平均）；暗灰格被掩掉")
        self.wait(1.4)

    def generate(self) -> None:
        t = self.t
        gen = [self.vocab[int(i)] for i in t["gen_ids"]]
        top, top_p = t["gen_top"], t["gen_top_p"]
        y_text, y_top = self.left.get_bottom()[1] - 0.35, self.left.get_bottom()[1] - 0.8
        text = mono("生成：" + gen[0], LABEL_SIZE, PALETTE.learned).move_to([-self.GRID_X, y_text, 0])
        self.caption("GPT 从第一个字出发，每步只用左边的字\n猜下一个，取最可能的那个接上")
        self.play(FadeIn(text), run_time=0.6)
        frame, guess = None, None
        for s in range(self.L - 1):
            row = self.left.block(s, 0, 1, s + 1, PALETTE.highlight, 3)
            words = "  ".join(f"{self.vocab[int(top[s, k])]} {fixed(top_p[s, k], 2)}" for k in range(top.shape[1]))
            new_guess = mono(f"第{s + 1:2d}步猜：{words}", SMALL_SIZE, PALETTE.muted).move_to([-self.GRID_X, y_top, 0])
            new_text = mono("生成：" + "".join(gen[: s + 2]), LABEL_SIZE, PALETTE.learned).move_to(text)
            new_text.align_to(text, LEFT)
            anims = [Transform(frame, row)] if frame is not None else [Create(row)]
            if guess is not None:
                self.remove(guess)
            self.add(new_guess)
            self.remove(text)
            self.add(new_text)
            text, guess = new_text, new_guess
            frame = frame or row
            self.play(*anims, run_time=0.55)
        p1 = top_p[:, 0]
        unsure, sure = int((p1 < 0.5).sum()), int((p1 > 0.9).sum())
        self.caption(f"{unsure} 步只能在几个候选里猜（最高才 {fixed(p1.min(), 2)}），\n"
                     f"{sure} 步由前文决定，几乎笃定")
        self.wait(1.2)
        self.play(FadeOut(frame), run_time=0.4)
        self.gpt_bits = VGroup(text, guess)

    def fill_masks(self) -> None:
        t = self.t
        mask_top, mask_p = t["mask_top"], t["mask_top_p"]
        y_text = self.right.get_bottom()[1] - 0.35
        shown = "".join(MASK_MARK if c == "[MASK]" else c for c in self.bert_chars)
        text = mono("输入：" + shown, LABEL_SIZE, PALETTE.text).move_to([self.GRID_X, y_text, 0])
        n = len(self.masked)
        self.caption(f"BERT 随机遮住 {n} 个字（{percent(n / self.L)}，■ 处），\n每个 [MASK] 用左右两边的字一起还原")
        self.play(FadeIn(text), run_time=0.6)
        guesses = VGroup()
        for k, i in enumerate(self.masked):
            row = self.right.block(i, 0, 1, self.L, PALETTE.highlight, 3)
            y = self.right.cell(i, 0).get_y()
            ends = [self.right.get_left()[0] - 0.05, self.right.get_right()[0] + 0.05]
            centre = self.right.cell(i, i).get_x()
            arrows = VGroup(*(Line([e, y, 0], [centre + (0.1 if e > centre else -0.1), y, 0], color=PALETTE.highlight,
                                   stroke_width=5).add_tip(tip_length=0.14) for e in ends
                              if abs(e - centre) > self.cell))
            guess = mono(f"■{k + 1} → {self.vocab[int(mask_top[k, 0])]} {fixed(mask_p[k, 0], 2)}", SMALL_SIZE,
                         PALETTE.learned)
            guesses.add(guess)
            guesses.arrange(RIGHT, buff=0.4).move_to([self.GRID_X, y_text - 0.45, 0])
            self.play(Create(row), Create(arrows), FadeIn(guess), run_time=1.0)
            self.wait(0.6)
            self.play(FadeOut(row), FadeOut(arrows), run_time=0.4)
        truth = [self.demo[i] for i in self.masked]
        right = sum(self.vocab[int(mask_top[k, 0])] == c for k, c in enumerate(truth))
        self.caption(f"{n} 个里还原对了 {right} 个（原字：{'、'.join(truth)}）")
        self.wait(1.0)

    def conclude(self) -> None:
        t = self.t
        gpt, bert = t["gpt_true_prob"], t["bert_true_prob"]
        gap = np.where(np.isnan(gpt), -np.inf, bert - gpt)
        k = int(np.argmax(gap))
        self.caption(f"第 {k + 1} 个字“{self.demo[k]}”：GPT 只看左边，猜中概率 {fixed(gpt[k], 2)}；\n"
                     f"BERT 单独遮住它、看两边，{fixed(bert[k], 2)}")
        mark = VGroup(SurroundingRectangle(self.left_labels[0][k], color=PALETTE.highlight, buff=0.05),
                      SurroundingRectangle(self.right_labels[0][k], color=PALETTE.highlight, buff=0.05))
        self.play(Create(mark), run_time=0.6)
        self.wait(1.6)
        self.caption("单向生成与双向理解的分野，\n全在这块掩码的形状里")
        self.hold(2.5)
