"""Chapter 8 — Transformer: one query against every key, then the whole matrix; and why order needs PE.

``QKVAttention`` reads ``self_attention.default``: a one-layer attention model this project
trained to read its input backwards (position i must fetch the token at L−1−i). Every vector,
score, weight and accuracy on screen is that run's, for its first held-out input and the head
that does most of the looking-up. ``PositionalEncoding`` reads ``positional.default``: the exact
sinusoidal table, its waves, and the 狗咬人 / 人咬狗 order-blindness demo. The diagram D08.1 is in
``ch08_transformer_figures.py``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    Line,
    RoundedRectangle,
    SurroundingRectangle,
    Transform,
    TransformFromCopy,
    ValueTracker,
    VGroup,
    always_redraw,
    linear,
)

from scenes.kit.base import BookScene
from scenes.kit.charts import panel_axes
from scenes.kit.grids import CellGrid, heat_scale, viridis
from scenes.kit.numbers import fixed, sci, sig
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, tex

ATTN = "self_attention.default"
PE = "positional.default"
STRIP_CELL = 0.2  # one vector component in a strip
MAX_STRIP = 16  # components drawn per vector at most (a 64-wide vector shows its first 16)


# --- small drawing helpers ----------------------------------------------------------------------------------------
def strip(values: Sequence[float], lo: float, hi: float, cell: float = STRIP_CELL) -> CellGrid:
    """A vector as one row of viridis cells (``lo`` … ``hi`` the colour range)."""
    span = hi - lo if hi > lo else 1.0
    shown = list(values)[:MAX_STRIP]
    return CellGrid([shown], cell=cell, fill=lambda v: viridis((v - lo) / span), stroke=PALETTE.grid,
                    stroke_width=0.5)


def symmetric_range(*arrays: np.ndarray) -> tuple[float, float]:
    m = max(float(np.abs(a).max()) for a in arrays)
    return -m, m


def token_box(char: str, color: str | None = None, size: float = BODY_SIZE, side: float = 0.55) -> VGroup:
    box = RoundedRectangle(corner_radius=0.08, width=side, height=side, stroke_color=color or PALETTE.muted,
                           stroke_width=2, fill_color=PALETTE.background, fill_opacity=1)
    return VGroup(box, cjk(char, size, color or PALETTE.text).move_to(box))


def percent(x: float) -> str:
    return f"{100 * float(x):.0f}%"


def mirror_words(chars: Sequence[str]) -> str:
    return "".join(chars)


# =============================================================================================================
class QKVAttention(BookScene):
    """One token's query scored against every key; softmax weights as line widths; the weighted sum of values."""

    TRACES = ("self_attention.default",)
    TITLE = "第8章 · 缩放点积注意力"
    X_TOKEN, X_K, X_V, X_RAW, X_SCALED, X_W = -6.1, -4.65, -2.65, -0.95, 0.25, 1.4
    TOP_ROW = 2.3

    def construct(self) -> None:
        self.load()
        self.show_task()
        self.one_query()
        self.weighted_sum()
        self.all_at_once()
        self.causal()

    def load(self) -> None:
        t = self.trace(ATTN)
        self.t = t
        self.h = int(t.metrics["shown_head"])
        self.chars = [str(c) for c in t["chars"]]
        self.tokens = [int(i) for i in t["tokens"][0]]
        self.L = len(self.tokens)
        self.dk = int(t.metrics["d_k"])
        self.q, self.k, self.v = t["q"][0, self.h], t["k"][0, self.h], t["v"][0, self.h]
        self.raw, self.scaled, self.a = t["scores_raw"][0, self.h], t["scores_scaled"][0, self.h], t["attn"][0, self.h]
        self.av = t["av"][0, self.h]
        self.i0 = 1 if self.L > 2 else 0  # the query shown: the second token (its answer sits near the end)
        self.qk_lo, self.qk_hi = symmetric_range(self.q, self.k)
        self.v_lo, self.v_hi = symmetric_range(self.v, self.av)
        self.step = min(0.78, 3.9 / max(self.L - 1, 1))

    def y_of(self, j: int) -> float:
        return self.TOP_ROW - j * self.step

    def text(self, token_ids: Sequence[int]) -> str:
        return "".join(self.chars[i] for i in token_ids)

    # --- beats --------------------------------------------------------------------------------------------
    def show_task(self) -> None:
        t = self.t
        pred = [int(i) for i in t["pred"][0]]
        rows = VGroup(
            VGroup(cjk("输入", LABEL_SIZE, PALETTE.muted), *(token_box(self.chars[i]) for i in self.tokens)),
            VGroup(cjk("输出", LABEL_SIZE, PALETTE.muted),
                   *(token_box(self.chars[i], PALETTE.learned) for i in pred)),
        )
        for row in rows:
            row.arrange(RIGHT, buff=0.22)
        rows.arrange(DOWN, buff=0.5).move_to([0, 0.9, 0])
        acc = cjk(f"留出的 {t.meta['params']['eval_batch']} 句上逐字正确率 {percent(t.metrics['accuracy'])}",
                  LABEL_SIZE, PALETTE.learned).next_to(rows, DOWN, buff=0.5)
        self.play(FadeIn(rows[0]), run_time=0.8)
        self.caption(f"一层自注意力，训练任务：\n把 {self.L} 个字倒过来念")
        self.play(FadeIn(rows[1], shift=0.2 * DOWN), run_time=1.0)
        self.play(FadeIn(acc), run_time=0.6)
        self.caption("第 i 个位置要的字，在第 L−1−i 个位置：\n它必须学会“去哪儿看”")
        self.wait(1.2)
        self.play(FadeOut(rows), FadeOut(acc), run_time=0.6)

    def one_query(self) -> None:
        heads = VGroup(*(cjk(s, LABEL_SIZE, PALETTE.muted).move_to([x, self.TOP_ROW + 0.62, 0])
                         for s, x in (("字", self.X_TOKEN), ("键 K", self.X_K), ("值 V", self.X_V),
                                      ("权重", self.X_W))))
        raw_head = tex(r"q\cdot k_j", LABEL_SIZE * 1.2, PALETTE.muted).move_to([self.X_RAW, self.TOP_ROW + 0.62, 0])
        self.rows = VGroup()
        self.k_strips, self.v_strips = VGroup(), VGroup()
        for j, tok in enumerate(self.tokens):
            y = self.y_of(j)
            box = token_box(self.chars[tok]).move_to([self.X_TOKEN, y, 0])
            ks = strip(self.k[j], self.qk_lo, self.qk_hi).move_to([self.X_K, y, 0])
            vs = strip(self.v[j], self.v_lo, self.v_hi).move_to([self.X_V, y, 0])
            self.k_strips.add(ks)
            self.v_strips.add(vs)
            self.rows.add(VGroup(box, ks, vs))
        self.play(FadeIn(heads), FadeIn(raw_head), FadeIn(self.rows, lag_ratio=0.1), run_time=1.4)
        self.caption(f"每个字投影出键 K 和值 V\n（d_k = {self.dk} 维，颜色是分量大小）")
        self.wait(0.6)

        # the query: the chosen token's q, on the right
        qx, qy = 4.95, self.y_of(0) - 0.2
        q_box = token_box(self.chars[self.tokens[self.i0]], PALETTE.forward).move_to([qx - 1.05, qy, 0])
        q_strip = strip(self.q[self.i0], self.qk_lo, self.qk_hi).move_to([qx + 0.35, qy, 0])
        q_name = VGroup(cjk(f"第 {self.i0} 个字的查询", LABEL_SIZE, PALETTE.forward),
                        tex("q", TEX_SIZE, PALETTE.forward)).arrange(RIGHT, buff=0.12).next_to(q_strip, UP, buff=0.2)
        mark = SurroundingRectangle(self.rows[self.i0][0], color=PALETTE.forward, buff=0.06)
        self.play(Create(mark), TransformFromCopy(self.rows[self.i0][0], q_box), FadeIn(q_strip), FadeIn(q_name),
                  run_time=1.2)
        self.query = VGroup(q_box, q_strip, q_name, mark)

        raws = VGroup(*(mono(fixed(self.raw[self.i0, j], 1), SMALL_SIZE).move_to([self.X_RAW, self.y_of(j), 0])
                        for j in range(self.L)))
        self.play(FadeIn(raws, lag_ratio=0.15), run_time=1.2)
        self.caption("用 q 和每个键做点积：\n越像，分数越高")
        self.wait(0.5)
        scaled_head = tex(r"\div\sqrt{d_k}", LABEL_SIZE * 1.2, PALETTE.muted).move_to(
            [self.X_SCALED, self.TOP_ROW + 0.62, 0])
        scaled = VGroup(*(mono(fixed(self.scaled[self.i0, j], 2), SMALL_SIZE).move_to([self.X_SCALED, self.y_of(j), 0])
                          for j in range(self.L)))
        dks = [int(d) for d in self.t["var_dk"]]
        at = dks.index(self.dk) if self.dk in dks else None
        self.play(FadeIn(scaled_head), TransformFromCopy(raws, scaled), run_time=1.0)
        if at is not None:
            self.caption(f"再除以 √{self.dk}：实测 d_k = {self.dk} 时 q·k 方差 {sig(self.t['var_raw'][at], 3)}，"
                         f"\n缩放后 {sig(self.t['var_scaled'][at], 3)}，softmax 不至于饱和")
        else:
            self.caption(f"再除以 √{self.dk}，\n把分数的方差拉回 1 附近")
        self.wait(0.8)

        weights = VGroup(*(mono(fixed(self.a[self.i0, j], 2), SMALL_SIZE, PALETTE.positive)
                           .move_to([self.X_W, self.y_of(j), 0]) for j in range(self.L)))
        start = q_box.get_left() + 0.05 * LEFT
        self.fan = VGroup(*(Line(start, [self.X_W + 0.45, self.y_of(j), 0], color=PALETTE.positive,
                                 stroke_width=0.5 + 14 * float(self.a[self.i0, j]),
                                 stroke_opacity=0.35 + 0.65 * float(self.a[self.i0, j]))
                            for j in range(self.L)))
        self.play(TransformFromCopy(scaled, weights), run_time=0.9)
        self.play(Create(self.fan, lag_ratio=0.1), run_time=1.2)
        best = int(np.argmax(self.a[self.i0]))
        self.caption(f"softmax 成权重（一行和为 1），线越粗越重：\n最重的是第 {best} 个字，"
                     f"{fixed(self.a[self.i0, best], 2)}")
        self.wait(1.0)
        self.numbers = VGroup(raws, scaled, weights, heads, raw_head, scaled_head)

    def weighted_sum(self) -> None:
        out_y = self.y_of(self.L - 1) - 0.15
        out = strip(self.av[self.i0], self.v_lo, self.v_hi).move_to([5.3, out_y, 0])
        name = VGroup(cjk("新表示", LABEL_SIZE, PALETTE.learned), tex(r"\sum_j a_j v_j", TEX_SIZE, PALETTE.learned))
        name.arrange(RIGHT, buff=0.15).next_to(out, UP, buff=0.2)
        copies = [self.v_strips[j].copy().set_opacity(0.25 + 0.75 * float(self.a[self.i0, j])) for j in range(self.L)]
        self.play(*(c.animate.move_to(out) for c in copies), run_time=1.4)
        self.play(FadeIn(out), FadeIn(name), *(FadeOut(c) for c in copies), run_time=0.8)
        target = self.L - 1 - self.i0
        share = "占了大头" if int(np.argmax(self.a[self.i0])) == target else f"占 {fixed(self.a[self.i0, target], 2)}"
        self.caption(f"按权重把各字的值 V 加起来，就是它的新表示：\n"
                     f"答案“{self.chars[self.tokens[target]]}”（第 {target} 个字）的值{share}")
        self.wait(1.4)
        self.play(*(FadeOut(m) for m in (self.rows, self.query, self.fan, self.numbers, out, name)), run_time=0.7)

    def matrix(self, values: np.ndarray, cell: float, lo: float, hi: float, digits: int | None) -> CellGrid:
        span = hi - lo if hi > lo else 1.0
        fmt = (lambda v: fixed(v, digits)) if digits is not None else None
        return CellGrid(values, cell=cell, fill=lambda v: viridis((v - lo) / span), fmt=fmt, size=SMALL_SIZE - 4,
                        stroke=PALETTE.grid, stroke_width=1)

    def all_at_once(self) -> None:
        cell = min(0.62, 3.7 / self.L)
        digits = 1 if cell >= 0.55 else None
        s = self.matrix(self.scaled, cell, float(self.scaled.min()), float(self.scaled.max()), digits)
        a = self.matrix(self.a, cell, 0.0, 1.0, 2 if cell >= 0.55 else None)
        out = self.matrix(self.av, min(cell, 3.0 / self.dk), self.v_lo, self.v_hi, None)
        y = 0.35
        s.move_to([-4.4, y, 0])
        a.move_to([0.5, y, 0])
        out.move_to([4.9, y, 0])
        labels = VGroup(
            tex(r"QK^\top/\sqrt{d_k}", TEX_SIZE).next_to(s, UP, buff=0.2),
            tex(r"A=\mathrm{softmax}(\cdot)", TEX_SIZE).next_to(a, UP, buff=0.2),
            tex(r"AV", TEX_SIZE).next_to(out, UP, buff=0.2),
        )
        tokens = VGroup(*(cjk(self.chars[tok], SMALL_SIZE, PALETTE.muted).next_to(a.cell(j, 0), LEFT, buff=0.12)
                          for j, tok in enumerate(self.tokens)))
        arrows = VGroup(Line([s.get_right()[0] + 0.12, y, 0], [tokens.get_left()[0] - 0.12, y, 0],
                             color=PALETTE.muted).add_tip(tip_length=0.18),
                        Line([a.get_right()[0] + 0.12, y, 0], [out.get_left()[0] - 0.12, y, 0],
                             color=PALETTE.muted).add_tip(tip_length=0.18))
        self.play(FadeIn(s), FadeIn(labels[0]), run_time=1.0)
        self.caption(f"所有 {self.L} 个字同时做：一次矩阵乘法\n得到全部 {self.L}×{self.L} 个分数")
        self.play(Create(arrows[0]), FadeIn(a), FadeIn(labels[1]), FadeIn(tokens), run_time=1.2)
        mirror = float(self.t["mirror_weight"][0, self.h].mean())
        hits = int((self.a.argmax(1) == self.L - 1 - np.arange(self.L)).sum())
        self.caption(f"{hits}/{self.L} 行的最亮格在反对角线上：位置 i 看向 L−1−i，\n"
                     f"那一格平均权重 {fixed(mirror, 2)}，是训练自己学出来的")
        self.wait(1.2)
        self.play(Create(arrows[1]), FadeIn(out), FadeIn(labels[2]), run_time=1.0)
        self.caption("再乘 V：每一行是一个字的新表示，\n全部并行算完，没有一步要等上一步")
        self.wait(1.0)
        self.grids = VGroup(s, out, labels[0], labels[2], arrows)
        self.a_grid, self.a_label, self.a_tokens = a, labels[1], tokens

    def causal(self) -> None:
        t = self.t
        ca = t["causal_attn"][0, self.h]
        cell = self.a_grid.cell_size
        fmt = (lambda v: fixed(v, 2)) if cell >= 0.55 else None
        masked = CellGrid(ca, cell=cell, fill=lambda v: viridis(v), fmt=fmt, size=SMALL_SIZE - 4,
                          stroke=PALETTE.grid, stroke_width=1).move_to([-1.6, self.a_grid.get_y(), 0])
        for i in range(self.L):
            for j in range(i + 1, self.L):
                masked.cells[i][j].set_fill(PALETTE.grid, 1.0)
        label = tex(r"\mathrm{softmax}(\cdot+M),\ M_{ij}=-\infty\ (j>i)", TEX_SIZE).next_to(masked, UP, buff=0.2)
        self.play(FadeOut(self.grids), run_time=0.6)
        self.play(self.a_grid.animate.move_to([-1.6, self.a_grid.get_y(), 0]), FadeOut(self.a_label),
                  FadeOut(self.a_tokens), run_time=0.8)
        self.play(Transform(self.a_grid, masked), FadeIn(label), run_time=1.2)
        self.caption("加上因果掩码：位置 i 只能看 ≤ i，\n右上角全是 0，每行仍和为 1")
        self.wait(0.8)
        acc = t["causal_pos_acc"]
        half = self.L // 2
        panel = VGroup(cjk("掩码后逐位置正确率", LABEL_SIZE, PALETTE.muted),
                       *(VGroup(mono(f"{j}", SMALL_SIZE, PALETTE.muted),
                                mono(percent(acc[j]).rjust(4), COUNTER_SIZE,
                                     PALETTE.error if acc[j] < 0.5 else PALETTE.learned)).arrange(RIGHT, buff=0.3)
                         for j in range(self.L))).arrange(DOWN, aligned_edge=LEFT, buff=0.14)
        panel.next_to(masked, RIGHT, buff=0.9)
        chance = 1 / len(self.chars)
        self.play(FadeIn(panel, lag_ratio=0.1), run_time=1.2)
        self.caption(f"前 {half} 个位置要的字在未来：正确率 {percent(acc[:half].mean())}（瞎猜 {percent(chance)}）；\n"
                     f"后 {self.L - half} 个 {percent(acc[half:].mean())}。掩码就是“不许偷看”")
        self.hold(2.5)


# =============================================================================================================
class PositionalEncoding(BookScene):
    """狗咬人 vs 人咬狗 through attention without and with PE; the waves; the fingerprints; the sum."""

    TRACES = ("positional.default",)
    TITLE = "第8章 · 位置编码"
    SHOW_DIMS = 16  # components drawn per vector

    def construct(self) -> None:
        self.t = self.trace(PE)
        self.order_blind()
        self.waves()
        self.fingerprints()
        self.add_to_embeddings()

    def words(self, which: str) -> list[str]:
        return [str(c) for c in self.t[f"sentence_{which}"]]

    def output_rows(self, kind: str, lo: float, hi: float) -> VGroup:
        """Both sentences stacked, each word with its attention output strip (first SHOW_DIMS components)."""
        groups = VGroup()
        for which in ("a", "b"):
            rows = VGroup(*(VGroup(token_box(w), strip(self.t[f"out_{kind}_{which}"][j], lo, hi, 0.32))
                            .arrange(RIGHT, buff=0.3) for j, w in enumerate(self.words(which))))
            rows.arrange(DOWN, buff=0.14, aligned_edge=LEFT)
            name = cjk("“" + "".join(self.words(which)) + "”", BODY_SIZE).next_to(rows, LEFT, buff=0.5)
            groups.add(VGroup(name, rows))
        return groups.arrange(DOWN, buff=0.4, aligned_edge=RIGHT).move_to([0, 0.3, 0])

    def order_blind(self) -> None:
        t = self.t
        lo, hi = symmetric_range(t["out_nope_a"], t["out_pe_a"], t["out_nope_b"], t["out_pe_b"])
        nope = self.output_rows("nope", lo, hi)
        dims = min(self.SHOW_DIMS, t["pe"].shape[1])
        note = cjk(f"每个字经过自注意力后的输出（前 {dims} 维）", LABEL_SIZE, PALETTE.muted).next_to(nope, UP, buff=0.3)
        self.play(FadeIn(nope), FadeIn(note), run_time=1.2)
        self.caption("同一层自注意力读两句话，\n不加位置编码")
        self.wait(0.6)
        perm = [int(p) for p in t["perm_a_to_b"]]
        dog = self.words("a").index("狗")
        ends = [nope[0][1][dog][1].get_right(), nope[1][1][perm[dog]][1].get_right()]
        link = VGroup(DashedLine(ends[0] + 0.1 * RIGHT, [ends[0][0] + 0.45, ends[0][1], 0], color=PALETTE.highlight),
                      DashedLine([ends[0][0] + 0.45, ends[0][1], 0], [ends[1][0] + 0.45, ends[1][1], 0],
                                 color=PALETTE.highlight),
                      DashedLine([ends[1][0] + 0.45, ends[1][1], 0], ends[1] + 0.1 * RIGHT, color=PALETTE.highlight))
        self.play(Create(link), run_time=0.8)
        self.caption(f"“狗”在两句里的输出一模一样（差 {sci(t['diff_nope'][dog])}）：\n"
                     "词序换了，输出只是跟着换位置")
        self.wait(1.2)
        with_pe = self.output_rows("pe", lo, hi)
        self.play(FadeOut(link), Transform(nope, with_pe), run_time=1.2)
        self.caption(f"加上位置编码再读：“狗”的输出差了 {fixed(t['diff_pe'][dog], 2)}，\n模型终于分得清谁咬谁")
        self.wait(1.4)
        self.play(FadeOut(nope), FadeOut(note), run_time=0.6)

    def waves(self) -> None:
        t = self.t
        pairs = [int(i) for i in t["wave_pairs"]]
        x, last = t["wave_x"], int(t["positions"][-1])
        omega = t["omega"]
        lane, width = 0.95, 9.0
        self.axes = []
        group = VGroup()
        for r, i in enumerate(pairs):
            ax = panel_axes([0, last, max(1, last // 4)], [-1, 1, 1], width, 0.7, numbers=r == len(pairs) - 1)
            ax.move_to([0.9, 2.2 - r * lane, 0])
            curve = ax.plot_line_graph(list(x), list(t["wave_sin"][r]), add_vertex_dots=False,
                                       line_color=PALETTE.forward, stroke_width=3)["line_graph"]
            name = VGroup(tex(f"i={i}", LABEL_SIZE * 1.2),
                          cjk(f"周期 {sig(2 * np.pi / omega[i], 3)}", SMALL_SIZE, PALETTE.muted))
            name.arrange(DOWN, buff=0.06, aligned_edge=LEFT).next_to(ax, LEFT, buff=0.3)
            group.add(VGroup(ax, curve, name))
            self.axes.append(ax)
        formula = tex(r"PE_{(pos,2i)}=\sin\!\big(pos/10000^{2i/d_{\rm model}}\big)", TEX_SIZE)
        formula.next_to(group, DOWN, buff=0.35)
        pos_name = cjk("位置 pos", SMALL_SIZE, PALETTE.muted).next_to(self.axes[-1].x_axis, DOWN, buff=0.4) \
            .align_to(self.axes[-1], RIGHT)
        self.play(FadeIn(group, lag_ratio=0.2), FadeIn(pos_name), run_time=1.6)
        self.play(FadeIn(formula), run_time=0.8)
        d = t["pe"].shape[1]
        self.caption(f"d_model = {d}：每对维度一条正弦，频率按几何级数变慢，\n"
                     f"周期从 {sig(t.metrics['period_shortest'], 3)} 到 {sig(t.metrics['period_longest'], 3)}")
        # a position sweeps; the dots are the samples that make its fingerprint
        pos = ValueTracker(0)

        def sweep() -> VGroup:
            p = pos.get_value()
            k = int(round(p * (len(x) - 1) / max(last, 1)))
            g = VGroup(Line(self.axes[0].c2p(p, 1.2), self.axes[-1].c2p(p, -1.2), color=PALETTE.highlight,
                            stroke_width=2))
            for r, ax in enumerate(self.axes):
                g.add(Dot(ax.c2p(x[k], t["wave_sin"][r][k]), radius=0.07, color=PALETTE.highlight))
            return g

        live = always_redraw(sweep)
        self.add(live)
        self.play(pos.animate.set_value(last), run_time=3.0, rate_func=linear)
        self.remove(live)
        self.caption("同一位置在各条波上的取值，\n合起来就是这个位置的“指纹”")
        self.wait(0.8)
        self.play(FadeOut(group), FadeOut(formula), FadeOut(pos_name), run_time=0.6)

    def fingerprints(self) -> None:
        t = self.t
        pe = t["pe"]
        n_pos, d = pe.shape
        cols = min(n_pos, 24)
        rows = list(np.linspace(0, d - 1, min(d, 24)).round().astype(int))  # evenly spread dimensions
        cell = 0.2
        grid = CellGrid(pe[:cols, rows].T, cell=cell, fill=lambda v: viridis((v + 1) / 2), stroke=PALETTE.grid,
                        stroke_width=0.3).move_to([-0.6, 0.25, 0])
        x_name = cjk(f"位置 pos = 0 … {cols - 1}", LABEL_SIZE, PALETTE.muted).next_to(grid, UP, buff=0.2)
        y_name = cjk(f"维度（{d} 维里均匀取 {len(rows)}）", LABEL_SIZE, PALETTE.muted).rotate(np.pi / 2) \
            .next_to(grid, LEFT, buff=0.25)
        bar = heat_scale(-1, 1, height=grid.height * 0.8, label="PE", ticks=(-1, 0, 1)).next_to(grid, RIGHT, buff=0.4)
        self.play(FadeIn(grid), FadeIn(x_name), FadeIn(y_name), FadeIn(bar), run_time=1.2)
        self.caption("每一列是一个位置的指纹：上面的维度变得快，\n下面的变得慢，没有两列相同")
        frames = [grid.block(0, c, len(rows), 1, PALETTE.highlight, 3) for c in (3, min(cols - 1, 10))]
        self.play(Create(frames[0]), run_time=0.6)
        self.play(Transform(frames[0], frames[1]), run_time=0.8)
        err = t.metrics["rotation_max_err_book"]
        kmax = int(t["offsets"][-1])
        self.caption(f"平移 k 步 = 乘一个旋转矩阵：PE(pos+k) = M_k·PE(pos)，\n"
                     f"d=512、k ≤ {kmax} 全部位置实测最大误差 {sci(err)}")
        self.wait(1.6)
        self.play(FadeOut(VGroup(grid, x_name, y_name, bar, frames[0])), run_time=0.6)

    def add_to_embeddings(self) -> None:
        t = self.t
        lo, hi = symmetric_range(t["emb_a"], t["emb_b"], t["pe_sentence"], t["x_pe_a"], t["x_pe_b"])
        table = VGroup()
        for which in ("a", "b"):
            for j, w in enumerate(self.words(which)):
                table.add(VGroup(mono(f"pos {j}", SMALL_SIZE, PALETTE.muted), token_box(w),
                                 strip(t[f"emb_{which}"][j], lo, hi, 0.19), tex("+", TEX_SIZE),
                                 strip(t["pe_sentence"][j], lo, hi, 0.19), tex("=", TEX_SIZE),
                                 strip(t[f"x_pe_{which}"][j], lo, hi, 0.19)).arrange(RIGHT, buff=0.22))
        n = len(self.words("a"))
        table.arrange(DOWN, buff=0.15)
        table[n:].shift(0.2 * DOWN)
        table.move_to([0, 0.25, 0])
        heads = VGroup(*(cjk(s, LABEL_SIZE, PALETTE.muted).next_to(table[0][k], UP, buff=0.25)
                         for s, k in (("词向量", 2), (f"位置 0…{n - 1} 的指纹", 4), ("送进注意力的输入", 6))))
        self.caption("把指纹加到词向量上再送进注意力：\n同一个“狗”在句首和句尾，输入就不同")
        self.play(FadeIn(table, lag_ratio=0.05), FadeIn(heads), run_time=1.6)
        dog_a, dog_b = self.words("a").index("狗"), n + self.words("b").index("狗")
        marks = VGroup(*(SurroundingRectangle(table[r][6], color=PALETTE.highlight, buff=0.05) for r in (dog_a, dog_b)))
        self.play(Create(marks), run_time=0.8)
        self.hold(2.5)
