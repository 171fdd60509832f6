"""Chapter 7 — seq2seq 与注意力: the fixed vector c as a bottleneck, and attention's soft alignment.

Both scenes read the ``seq2seq`` trace: two GRU encoder–decoders trained on the same toy
translation (adjectives move behind their nouns, 红 猫 → chat rouge), one reading a single fixed
vector c, one reading Bahdanau's c_i = Σ_j α_ij h_j. Every sentence, vector, weight, score and
accuracy on screen is the trace's, so ``--set seq2seq.max_len=12`` or ``seq2seq.hidden=16`` tells
the story of that run. The diagram D07.1 is in ``ch07_attention_figures.py``.
"""

from __future__ import annotations

import math

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Line,
    Rectangle,
    RoundedRectangle,
    Transform,
    VGroup,
    VMobject,
)

from scenes.kit.base import BookScene
from scenes.kit.charts import panel_axes
from scenes.kit.counters import CounterPanel
from scenes.kit.grids import CellGrid, heat_scale, viridis
from scenes.kit.legends import legend_column, legend_row, swatch
from scenes.kit.numbers import fixed, plain
from scenes.kit.palette import PALETTE
from scenes.kit.text import LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, tex

TRACE = "seq2seq.default"
PLAIN_COLOR = PALETTE.backward  # the model that loses long sentences (as ch04's RNN)
ATTN_COLOR = PALETTE.learned  # the model with attention
RIGHT_COLOR, WRONG_COLOR = PALETTE.learned, PALETTE.error
MAX_NUMBERED = 12  # beyond this many source words the per-word numbers would not fit: show the lines only


# --- reading the trace ----------------------------------------------------------------------------------------
def example(t, k: int) -> dict[str, np.ndarray]:
    """Example sentence k: source/target ids, true alignment, both models' outputs, α, e, c_i, h_j, c."""
    fields = ("src", "tgt", "align", "plain_out", "attn_out", "alpha", "e", "context", "h", "plain_c")
    ex = {f: t[f"ex{k}_{f}"] for f in fields}
    if len(ex["src"]) != int(t["example_lengths"][k]):
        raise ValueError(f"trace {t.name}: example {k} has {len(ex['src'])} words, expected {t['example_lengths'][k]}")
    return ex


def percent(x: float) -> str:
    return f"{x:.0%}"


def accuracy_chart(t, width: float, height: float) -> Axes:
    """Accuracy (0–1) against source length, over the run's lengths."""
    lengths = t["lengths"]
    lo, hi = int(lengths[0]), int(lengths[-1])
    step = max(1, math.ceil((hi - lo) / 8))
    chart = panel_axes([lo, hi, step], [0, 1, 0.25], width, height, numbers=False)
    ticks = VGroup(*(mono(str(n), SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(n, 0), DOWN, buff=0.15)
                     for n in range(lo, hi + 1, step)))
    ys = VGroup(*(mono(percent(v), SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(lo, v), LEFT, buff=0.15)
                  for v in (0, 0.5, 1)))
    x_name = cjk("源句长度（词）", LABEL_SIZE, PALETTE.muted).next_to(ticks, DOWN, buff=0.12)
    chart.add(ticks, ys, x_name)
    return chart


def curve(chart: Axes, xs: np.ndarray, ys: np.ndarray, color: str, dashed: bool = False) -> VMobject:
    """A polyline through (x, y); a single point is a dot (the curve's first length)."""
    if len(xs) < 2:
        return Dot(chart.c2p(float(xs[0]), float(ys[0])), radius=0.06, color=color)
    line = chart.plot_line_graph(list(xs), list(ys), add_vertex_dots=False, line_color=color,
                                 stroke_width=5)["line_graph"]
    return DashedVMobject(line, num_dashes=max(8, 3 * len(xs))) if dashed else line


def word_row(words: list[str], cell: float, color: str | None = None, size: float = LABEL_SIZE) -> VGroup:
    """Words in a row of boxes, one box per word (``cell`` wide)."""
    row = VGroup()
    for w in words:
        box = Rectangle(width=cell * 0.9, height=0.5, stroke_color=PALETTE.muted, stroke_width=1.5)
        row.add(VGroup(box, cjk(w, size, color).move_to(box)))
    return row.arrange(RIGHT, buff=cell * 0.1)


# =============================================================================================================
class Bottleneck(BookScene):
    """Sentences of growing length squeezed through one fixed c; the plain model's accuracy falls with length."""

    TRACES = ("seq2seq.default",)
    TITLE = "第7章 · 固定向量的瓶颈"
    CX = -3.45  # the funnel's column
    SRC_Y, C_Y, OUT_Y = 2.55, 0.35, -1.75

    def construct(self) -> None:
        self.load()
        self.first_sentence()
        self.longer_sentences()
        self.conclude()

    def load(self) -> None:
        t = self.trace(TRACE)
        self.t = t
        self.words = [str(w) for w in t["src_words"]]
        self.n_ex = len(t["example_lengths"])
        self.hidden = int(t.metrics["context_size"])
        self.cell = min(0.55, 6.2 / int(t["lengths"][-1]))
        self.curves: VGroup | None = None  # the accuracy curves, once drawn

    # --- one sentence through the funnel ---------------------------------------------------------------------
    def c_box(self, values: np.ndarray) -> VGroup:
        """The fixed vector c as a block of heat cells: its size depends on the model, never on the sentence."""
        cols = min(len(values), 8 if len(values) <= 64 else 16)
        rows = math.ceil(len(values) / cols)
        grid = np.full((rows, cols), np.nan)
        grid.ravel()[: len(values)] = values
        size = min(0.3, 1.5 / rows)
        cells = CellGrid(grid.tolist(), cell=size, fill=lambda v: PALETTE.background if np.isnan(v)
                         else viridis((v + 1) / 2), stroke_width=0.5)
        frame = Rectangle(width=cells.width + 0.16, height=cells.height + 0.16, stroke_color=PALETTE.text,
                          stroke_width=3)
        return VGroup(frame, cells.move_to(frame)).move_to([self.CX, self.C_Y, 0])

    def sentence(self, k: int) -> VGroup:
        """Source row, converging arrows, c, the decoder's words (right or wrong), and its tally."""
        ex = example(self.t, k)
        src = word_row([self.words[i] for i in ex["src"]], self.cell, size=LABEL_SIZE if self.cell > 0.4 else
                       SMALL_SIZE).move_to([self.CX, self.SRC_Y, 0])
        box = self.c_box(ex["plain_c"])
        arrows = VGroup(*(Line(w.get_bottom(), box.get_top() + (w.get_center()[0] - self.CX) * 0.15 * RIGHT,
                               color=PALETTE.forward, stroke_width=2, stroke_opacity=0.7) for w in src))
        right = ex["plain_out"] == ex["tgt"]
        out = VGroup(*(Rectangle(width=self.cell * 0.9, height=0.4, stroke_width=0,
                                 fill_color=RIGHT_COLOR if ok else WRONG_COLOR, fill_opacity=0.85) for ok in right))
        out.arrange(RIGHT, buff=self.cell * 0.1).move_to([self.CX, self.OUT_Y, 0])
        down = Line(box.get_bottom(), out.get_top(), color=PALETTE.forward, stroke_width=3).add_tip(tip_length=0.15)
        lost = VGroup(*(src[j][1].copy().set_color(WRONG_COLOR) for j in ex["align"][~right]))  # words not recovered
        tally = cjk(f"{len(right)} 个词，译对 {int(right.sum())} 个", LABEL_SIZE).next_to(out, DOWN, buff=0.2)
        return VGroup(src, arrows, box, down, out, tally, lost)

    def furniture(self, box: VGroup) -> VGroup:
        enc = cjk("编码器 GRU", LABEL_SIZE, PALETTE.forward).move_to([self.CX + 2.1, (self.SRC_Y + self.C_Y) / 2, 0])
        c_name = VGroup(VGroup(tex(r"\mathbf c", TEX_SIZE), cjk(f"：{self.hidden} 个数", LABEL_SIZE)).arrange(
            RIGHT, buff=0.08), cjk("大小固定", LABEL_SIZE)).arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        c_name.next_to(box, RIGHT, buff=0.2)
        dec = cjk("解码器 GRU", LABEL_SIZE, PALETTE.forward).move_to([self.CX + 1.7, (self.C_Y + self.OUT_Y) / 2, 0])
        legend = legend_row([(swatch(RIGHT_COLOR, width=14, length=0.3), "译对的词"),
                             (swatch(WRONG_COLOR, width=14, length=0.3), "译错的词（源词标红）")],
                            size=SMALL_SIZE).to_corner(UP + RIGHT, buff=0.4)
        return VGroup(enc, c_name, dec, legend)

    def first_sentence(self) -> None:
        t = self.t
        self.chart = accuracy_chart(t, 5.2, 3.9).move_to([3.75, 0.2, 0])
        self.chart_name = cjk("无注意力模型，留出句子上的准确率", LABEL_SIZE, PALETTE.muted).next_to(
            self.chart, UP, buff=0.25)
        self.shown = self.sentence(0)
        src, arrows, box, down, out, tally, lost = self.shown
        self.play(FadeIn(src), run_time=0.8)
        self.caption("编码器逐词读完整句，\n最后的状态就是向量 c")
        furniture = self.furniture(box)
        self.play(Create(arrows), FadeIn(box), FadeIn(furniture[:2]), run_time=1.5)
        self.play(Create(down), FadeIn(furniture[2:]), run_time=0.8)
        self.caption("解码器只凭 c 一个词一个词地写译文\n（形容词要挪到名词后面）")
        self.play(FadeIn(out), FadeIn(tally), FadeIn(lost), run_time=1.0)
        self.hold(1.0)
        self.play(Create(self.chart), FadeIn(self.chart_name), run_time=1.0)
        self.grow_curves(0)
        self.hold(0.5)

    def grow_curves(self, k: int) -> None:
        """Extend the accuracy curves to example k's length and mark it."""
        t, n = self.t, int(self.t["example_lengths"][k])
        keep = t["lengths"] <= n
        xs = t["lengths"][keep]
        tok, seq = t["plain_tok_acc"][keep], t["plain_seq_acc"][keep]
        new = VGroup(curve(self.chart, xs, tok, PLAIN_COLOR), curve(self.chart, xs, seq, PLAIN_COLOR, dashed=True))
        i = len(xs) - 1
        top_right = self.chart.c2p(float(t["lengths"][-1]), 1)
        mark = VGroup(Line(self.chart.c2p(n, 0), self.chart.c2p(n, 1), color=PALETTE.grid, stroke_width=2),
                      mono(f"{n} 词：逐词 {percent(tok[i])}", LABEL_SIZE, PLAIN_COLOR).next_to(
                          top_right, DOWN + LEFT, buff=0.1))
        if self.curves is None:
            self.curves, self.mark = new, mark
            self.play(Create(new), FadeIn(mark), run_time=0.8)
        else:
            self.play(Transform(self.curves, new), Transform(self.mark, mark), run_time=0.8)

    def longer_sentences(self) -> None:
        for k in range(1, self.n_ex):
            new = self.sentence(k)
            old = self.shown
            self.play(FadeOut(VGroup(old[0], old[1], old[4], old[5], old[6])), run_time=0.5)
            self.play(FadeIn(new[0]), Create(new[1]), Transform(old[2], new[2]), FadeIn(new[4]), FadeIn(new[5]),
                      FadeIn(new[6]), Transform(old[3], new[3]), run_time=1.2)
            self.shown = VGroup(new[0], new[1], old[2], old[3], new[4], new[5], new[6])
            if k == 1:
                self.caption("句子变长，c 还是那么大")
            self.grow_curves(k)
            self.hold(0.8)
        n, m = int(self.t["example_lengths"][-1]), self.t.metrics
        fate = "越长，丢得越多" if m["plain_long_tok"] < m["plain_short_tok"] - 0.1 else "这次长短差别不大"
        self.caption(f"{n} 个词也只能挤进 {self.hidden} 个数：\n{fate}")
        self.hold(1.0)

    def conclude(self) -> None:
        t, m = self.t, self.t.metrics
        legend = legend_column([(swatch(PLAIN_COLOR), "逐词准确率"), (swatch(PLAIN_COLOR, dashed=True), "整句全对")],
                               size=SMALL_SIZE).next_to(self.chart.c2p(float(t["lengths"][-1]), 1), DOWN + LEFT,
                                                        buff=0.1)
        self.play(FadeIn(legend), FadeOut(self.mark), run_time=0.8)
        (a, b), (c, d) = m["short_lengths"], m["long_lengths"]
        self.caption(f"{a}–{b} 词：逐词 {percent(m['plain_short_tok'])}，整句 {percent(m['plain_short_seq'])}；\n"
                     f"{c}–{d} 词：逐词 {percent(m['plain_long_tok'])}，整句 {percent(m['plain_long_seq'])}")
        self.hold(2.5)


# =============================================================================================================
class SoftAlignment(BookScene):
    """Each decoding step weighs every h_j (lines ∝ α_ij), forms c_i, and lights one row of the alignment matrix."""

    TRACES = ("seq2seq.default",)
    TITLE = "第7章 · 注意力：软对齐"
    LX = -3.35  # centre of the left (one step) panel
    WORD_Y, H_Y, S_Y = 2.1, 1.4, -0.2
    SLOW = 1  # steps shown beat by beat before the rest run faster

    def construct(self) -> None:
        self.load()
        self.encoder_states()
        self.first_step()
        self.other_steps()
        self.training_replay()
        self.compare_models()

    def load(self) -> None:
        t = self.t = self.trace(TRACE)
        lengths = t["example_lengths"]
        self.k = int(np.argmin(np.abs(lengths - np.median(lengths))))  # the example of middle length
        self.ex = example(t, self.k)
        self.n = len(self.ex["src"])
        self.src_words = [str(t["src_words"][i]) for i in self.ex["src"]]
        self.tgt_words = [str(w) for w in t["tgt_words"]]
        self.numbered = self.n <= MAX_NUMBERED
        self.cell = min(0.6, 6.0 / self.n)
        self.mcell = min(0.4, 4.2 / self.n)

    # --- left: one decoding step -----------------------------------------------------------------------------
    def encoder_states(self) -> None:
        self.src = word_row(self.src_words, self.cell, size=LABEL_SIZE if self.cell > 0.4 else SMALL_SIZE)
        self.src.move_to([self.LX, self.WORD_Y, 0])
        self.hs = VGroup(*(RoundedRectangle(corner_radius=0.06, width=self.cell * 0.6, height=0.32,
                                            stroke_color=PALETTE.forward, stroke_width=2, fill_color=PALETTE.forward,
                                            fill_opacity=0.25).move_to([w.get_center()[0], self.H_Y, 0])
                           for w in self.src))
        self.h_name = h_name = tex("h_j", TEX_SIZE, PALETTE.forward).next_to(self.hs, LEFT, buff=0.15)
        self.s_node = VGroup(Rectangle(width=0.9, height=0.5, stroke_color=PALETTE.text, stroke_width=2.5),
                             tex("s_{i-1}", TEX_SIZE)).move_to([self.LX - 1.6, self.S_Y, 0])
        self.c_node = VGroup(Rectangle(width=0.9, height=0.5, stroke_color=ATTN_COLOR, stroke_width=2.5),
                             tex("c_i", TEX_SIZE, ATTN_COLOR)).move_to([self.LX + 1.6, self.S_Y, 0])
        self.formulas = VGroup(
            tex(r"e_{ij}=\mathbf v^\top\tanh(W_s\mathbf s_{i-1}+W_h\mathbf h_j)", TEX_SIZE),
            tex(r"\alpha_{ij}=\mathrm{softmax}_j(e_{ij})\qquad \mathbf c_i=\sum_j\alpha_{ij}\mathbf h_j", TEX_SIZE),
        ).arrange(DOWN, buff=0.12).move_to([self.LX, -1.75, 0])
        self.play(FadeIn(self.src), run_time=0.8)
        self.play(FadeIn(self.hs), FadeIn(h_name), run_time=0.8)
        self.caption(f"编码器给 {self.n} 个源词各留一个向量 hⱼ，\n不再只交出最后一个")
        self.play(FadeIn(self.s_node), FadeIn(self.c_node), FadeIn(self.formulas), run_time=1.0)
        self.matrix_frame()

    def lines(self, weights: np.ndarray, color: str) -> VGroup:
        """s_{i-1} → every h_j, thickness and opacity ∝ α_ij."""
        top = self.s_node.get_top()
        return VGroup(*(Line(top, h.get_bottom(), color=color, stroke_width=1 + 11 * float(a),
                             stroke_opacity=0.15 + 0.85 * float(a)) for h, a in zip(self.hs, weights)))

    def gathered(self, weights: np.ndarray) -> VGroup:
        """h_j → c_i, the same weights: the weighted sum."""
        end = self.c_node.get_top()
        return VGroup(*(Line(h.get_bottom(), end, color=ATTN_COLOR, stroke_width=1 + 11 * float(a),
                             stroke_opacity=0.1 + 0.9 * float(a)) for h, a in zip(self.hs, weights)))

    def numbers(self, values: np.ndarray, digits: int, color: str) -> VGroup:
        """One number above each source word (only when they fit)."""
        if not self.numbered:
            return VGroup()
        # staggered in two rows: a number may be wider than its word's box
        return VGroup(*(mono(fixed(v, digits), SMALL_SIZE, color).next_to(w, UP, buff=0.1 + 0.3 * (j % 2))
                        for j, (w, v) in enumerate(zip(self.src, values))))

    def output_word(self, i: int) -> VGroup:
        word = int(self.ex["attn_out"][i])
        ok = word == int(self.ex["tgt"][i])
        text = VGroup(tex(f"y_{{{i + 1}}}=", TEX_SIZE), cjk(self.tgt_words[word], LABEL_SIZE,
                                                            RIGHT_COLOR if ok else WRONG_COLOR))
        return text.arrange(RIGHT, buff=0.12).next_to(self.c_node, DOWN, buff=0.2)

    def step_counter(self, i: int) -> VGroup:
        return cjk(f"解码第 {i + 1} / {self.n} 步", LABEL_SIZE, PALETTE.muted).next_to(self.s_node, DOWN, buff=0.2)

    # --- right: the alignment matrix -------------------------------------------------------------------------
    def matrix_frame(self) -> None:
        n, cell = self.n, self.mcell
        self.grid = CellGrid(np.zeros((n, n)).tolist(), cell=cell, fill=lambda v: PALETTE.background,
                             stroke=PALETTE.grid, stroke_width=1).move_to([3.75, -0.05, 0])
        size = SMALL_SIZE if cell < 0.4 else LABEL_SIZE
        cols = VGroup(*(cjk(w, size, PALETTE.muted).next_to(self.grid.cell(0, j), UP, buff=0.1)
                        for j, w in enumerate(self.src_words)))
        rows = VGroup(*(cjk(self.tgt_words[int(w)], SMALL_SIZE, PALETTE.muted).next_to(self.grid.cell(i, 0), LEFT,
                                                                                        buff=0.1)
                        for i, w in enumerate(self.ex["tgt"])))  # the reference translation
        scale = heat_scale(0, 1, height=2.0, label="α", ticks=(0, 1)).next_to(self.grid, RIGHT, buff=0.2)
        name = cjk("对齐矩阵：目标 × 源", LABEL_SIZE, PALETTE.muted).next_to(cols, UP, buff=0.15)
        self.matrix_labels = VGroup(cols, rows, scale, name)
        self.play(FadeIn(self.grid), FadeIn(self.matrix_labels), run_time=1.0)

    def matrix_row(self, alpha: np.ndarray, i: int) -> VGroup:
        return VGroup(*(self.grid.cell(i, j).copy().set_fill(viridis(float(a)), 1) for j, a in enumerate(alpha[i])))

    def matrix(self, alpha: np.ndarray) -> VGroup:
        return VGroup(*(self.matrix_row(alpha, i) for i in range(self.n)))

    # --- beats -----------------------------------------------------------------------------------------------
    def first_step(self) -> None:
        ex, alpha = self.ex, self.ex["alpha"][-1]
        e = ex["e"][0]
        counter = self.step_counter(0)
        probe = self.lines(np.full(self.n, 0.3), PALETTE.muted)
        scores = self.numbers(e, 1, PALETTE.muted)
        self.play(FadeIn(counter), Create(probe), FadeIn(scores), run_time=1.2)
        self.caption("第 1 步：用解码器状态 s₀ 给每个 hⱼ 打分 e₁ⱼ")
        self.hold(0.8)
        shown = self.lines(alpha[0], ATTN_COLOR)
        weights = self.numbers(alpha[0], 2, ATTN_COLOR)
        self.play(FadeOut(probe), FadeOut(scores), FadeIn(shown), FadeIn(weights), run_time=1.0)
        self.caption("softmax 把分数变成和为 1 的权重 α₁ⱼ：\n线越粗，看得越重")
        gather = self.gathered(alpha[0])
        out = self.output_word(0)
        row = self.matrix_row(alpha, 0)
        self.play(Create(gather), FadeIn(out), FadeIn(row), run_time=1.2)
        self.caption("按权重把 hⱼ 加起来得到 c₁，写出第 1 个词；\n矩阵点亮第 1 行")
        self.hold(1.0)
        self.live = VGroup(counter, shown, weights, gather, out)
        self.rows = VGroup(row)

    def other_steps(self) -> None:
        ex, alpha = self.ex, self.ex["alpha"][-1]
        cross = [i for i in range(self.n) if ex["align"][i] != i]
        told = False
        for i in range(1, self.n):
            new = VGroup(self.step_counter(i), self.lines(alpha[i], ATTN_COLOR), self.numbers(alpha[i], 2, ATTN_COLOR),
                         self.gathered(alpha[i]), self.output_word(i))
            row = self.matrix_row(alpha, i)
            self.remove(*self.live)
            self.add(*new)
            self.play(FadeIn(row), run_time=0.6)
            self.rows.add(row)
            self.live = new
            if cross and i == cross[0] and not told:
                j = int(np.argmax(alpha[i]))
                self.caption(f"第 {i + 1} 步要先写名词：\n注意力落在第 {j + 1} 个词「{self.src_words[j]}」上")
                told = True
            else:
                self.wait(0.3)
        hit = float(np.mean(alpha.argmax(1) == ex["align"]))
        pattern = ("亮格沿对角线排开，形容词和名词处交叉" if hit >= 0.5 and cross else
                   "亮格沿对角线排开" if hit >= 0.5 else "对齐还没学出来，亮格很散")
        self.caption(f"{pattern}；\n这句里 {percent(hit)} 的步看对了源词")
        self.hold(1.2)

    def training_replay(self) -> None:
        alphas, steps = self.ex["alpha"], self.t["checkpoint_steps"]
        panel = CounterPanel(lambda s: [f"训练第 {s} 步"], corner=UP + RIGHT)
        shown = self.matrix(alphas[0])
        counter = panel.show(int(steps[0]))
        self.play(*(FadeOut(m) for m in (*self.rows, *self.live)), FadeIn(shown), FadeIn(counter), run_time=0.8)
        learnt = float(np.mean(alphas[-1].argmax(1) == self.ex["align"])) >= 0.5
        self.caption("倒回训练开始：对齐是一点点学出来的" if learnt else "倒回训练开始：看α在训练中怎么变")
        for a, s in zip(alphas[1:], steps[1:]):
            self.play(Transform(shown, self.matrix(a)), run_time=0.9)
            panel.swap(self, int(s))
            self.wait(0.3)
        self.matrix_mob, self.panel = shown, panel
        self.hold(0.6)

    def compare_models(self) -> None:
        t, m = self.t, self.t.metrics
        chart = accuracy_chart(t, 5.4, 3.0).move_to([self.LX + 0.3, -0.35, 0])
        xs = t["lengths"]
        lines = VGroup(curve(chart, xs, t["plain_tok_acc"], PLAIN_COLOR),
                       curve(chart, xs, t["attn_tok_acc"], ATTN_COLOR),
                       curve(chart, xs, t["plain_seq_acc"], PLAIN_COLOR, dashed=True),
                       curve(chart, xs, t["attn_seq_acc"], ATTN_COLOR, dashed=True))
        legend = VGroup(legend_row([(swatch(ATTN_COLOR), "有注意力"), (swatch(PLAIN_COLOR), "无注意力（只有 c）")],
                                   size=SMALL_SIZE, color=PALETTE.text),
                        legend_row([(swatch(PALETTE.muted), "逐词准确率"),
                                    (swatch(PALETTE.muted, dashed=True), "整句全对")], size=SMALL_SIZE))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.15).next_to(chart, UP, buff=0.3).align_to(chart, LEFT)
        left = VGroup(self.src, self.hs, self.s_node, self.c_node, self.formulas, self.h_name)
        self.play(*(FadeOut(m) for m in left), run_time=0.6)
        self.play(Create(chart), FadeIn(legend), run_time=1.0)
        self.play(Create(lines), run_time=2.0)
        c, d = m["long_lengths"]
        self.caption(f"{c}–{d} 词的留出句：逐词准确率\n有注意力 {percent(m['attn_long_tok'])}，"
                     f"只有 c {percent(m['plain_long_tok'])}")
        self.hold(2.5)


__all__ = ["Bottleneck", "SoftAlignment", "example", "accuracy_chart", "plain"]
