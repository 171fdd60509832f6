"""Chapter 11 — 规模与对齐: a measured power law that predicts a bigger model, and preferences turned into a policy.

``ScalingLaw`` reads ``scaling_sweep.default``: small next-token models trained on a synthetic language whose
entropy rate H (the irreducible loss) is known exactly; their held-out loss minus H on log–log axes, the fitted
line, its dashed extrapolation, the larger model trained afterwards, and an IsoFLOP slice.
``RLHFPreference`` reads ``rlhf.default``: Bradley–Terry labels on K answers, the reward model's scores as they
are fitted, the KL-regularised optimum π* ∝ π_ref·exp(r/β) and a policy-gradient run that lands on it.
Every number, point and bar comes from the trace, so a run under ``--set`` tells its own story.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    Line,
    Mobject,
    Rectangle,
    RoundedRectangle,
    Transform,
    VGroup,
    VMobject,
)

from pipeline.checks.ch11 import BOOK_FACTS  # the book's α_N ≈ 0.076, shown beside this run's α
from scenes.kit.base import BookScene
from scenes.kit.counters import scrub
from scenes.kit.legends import legend_row, swatch
from scenes.kit.numbers import fixed, plain, sci, signed
from scenes.kit.palette import PALETTE, VIRIDIS
from scenes.kit.text import COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, mono, speed_badge, tex

__all__ = ["ScalingLaw", "RLHFPreference", "loglog_axes", "answer_name", "count"]

SWEEP, RLHF = "scaling_sweep.default", "rlhf.default"


# --- shared drawing ---------------------------------------------------------------------------------------------
def loglog_axes(x_dec: tuple[int, int], y_dec: tuple[int, int], x_length: float, y_length: float) -> Axes:
    """Axes in log₁₀ units on both sides, each decade labelled ``10^n`` with a faint guide line."""
    axes = Axes(x_range=[x_dec[0], x_dec[1], 1], y_range=[y_dec[0], y_dec[1], 1], x_length=x_length,
                y_length=y_length, tips=False, axis_config={"color": PALETTE.muted, "stroke_width": 2})
    guides, labels = VGroup(), VGroup()
    for n in range(x_dec[0], x_dec[1] + 1):
        if n > x_dec[0]:
            guides.add(Line(axes.c2p(n, y_dec[0]), axes.c2p(n, y_dec[1]), color=PALETTE.grid, stroke_width=1))
        labels.add(tex(f"10^{{{n}}}", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(n, y_dec[0]), DOWN, buff=0.12))
    for n in range(y_dec[0], y_dec[1] + 1):
        if n > y_dec[0]:
            guides.add(Line(axes.c2p(x_dec[0], n), axes.c2p(x_dec[1], n), color=PALETTE.grid, stroke_width=1))
        labels.add(tex(f"10^{{{n}}}", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(x_dec[0], n), LEFT, buff=0.12))
    axes.add_to_back(guides)
    axes.add(labels)
    return axes


def decades(values: np.ndarray, pad: float = 0.0) -> tuple[int, int]:
    """Whole decades covering the positive ``values`` (log₁₀ padded by ``pad`` on both sides)."""
    logs = np.log10(np.asarray(values, dtype=float)[np.asarray(values) > 0])
    return int(np.floor(logs.min() - pad)), int(np.ceil(logs.max() + pad))


def polyline(points: Sequence[np.ndarray], color: str, width: float = 4) -> VMobject:
    line = VMobject(stroke_color=color, stroke_width=width)
    line.set_points_as_corners([np.asarray(p) for p in points])
    return line


def rows_at(lines: Sequence[Mobject], x: float, top: float, buff: float = 0.16) -> VGroup:
    """Lines stacked downward, left edges at ``x``, the first one's top at ``top``."""
    group = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=buff)
    return group.move_to([x, top, 0], aligned_edge=UP + LEFT)


def count(n: float) -> str:
    """A whole count with thousands separators: ``2,000,000``."""
    return f"{int(round(n)):,}"


def answer_name(k: int) -> str:
    return chr(ord("A") + k)


# =============================================================================================================
class ScalingLaw(BookScene):
    """Measured losses fall on a line in log–log once H is subtracted; the line predicts a model trained later."""

    TRACES = ("scaling_sweep.default",)
    TITLE = "第11章 · 规模可预测：幂律与外推"
    PLOT = (-5.9, -1.95, 6.3, 4.3)  # left plot: x, y of its lower-left corner, width, height
    PANEL_X, PANEL_W = 1.6, 5.1  # right panel

    def construct(self) -> None:
        self.load()
        self.set_up()
        self.train_models()
        self.fit_line()
        self.extrapolate()
        self.test_prediction()
        self.isoflop()

    def load(self) -> None:
        t = self.t = self.trace(SWEEP)
        m = t.metrics
        self.h = float(m["entropy_rate"])
        self.n = np.asarray(t["n_params"], dtype=float)
        self.loss = np.asarray(t["loss"], dtype=float)
        self.red = self.loss - self.h
        self.fitted = len(self.n) - 1  # the last model is the held-out one
        self.dense_n = np.asarray(t["dense_n"], dtype=float)
        self.dense = np.asarray(t["dense_known"], dtype=float) - self.h
        keep = self.dense_n >= self.n[0]  # the line starts at the smallest model
        self.dense_n, self.dense = self.dense_n[keep], self.dense[keep]
        self.x_dec = decades(np.r_[self.n, self.dense_n], 0.05)
        self.y_dec = decades(np.r_[self.red, self.dense], 0.05)

    def p(self, n: float, red: float) -> np.ndarray:
        return self.axes.c2p(np.log10(n), np.log10(red))

    # --- beats ------------------------------------------------------------------------------------------------
    def set_up(self) -> None:
        x, y, w, h = self.PLOT
        self.axes = loglog_axes(self.x_dec, self.y_dec, w, h)
        self.axes.shift(np.array([x, y, 0]) - self.axes.c2p(self.x_dec[0], self.y_dec[0]))
        xl = cjk("模型参数量 N（不含嵌入）", LABEL_SIZE, PALETTE.muted)
        xl.next_to(self.axes.c2p(self.x_dec[1], self.y_dec[0]), UP + LEFT, buff=0.15)
        yl = VGroup(tex(r"L-L_\infty", 26, PALETTE.muted), cjk("（纳特/词元）", SMALL_SIZE, PALETTE.muted))
        yl.arrange(RIGHT, buff=0.08).next_to(self.axes.c2p(self.x_dec[0], self.y_dec[1]), UP, buff=0.2)
        yl.align_to(self.axes, LEFT)
        self.curves_panel()
        vocab, order = int(self.t.params["vocab"]), int(self.t.params["order"])
        self.source = cjk(f"人造语言：{vocab} 个词，下一个词只看前 {order} 个", SMALL_SIZE, PALETTE.muted)
        self.source.move_to([self.PANEL_X, -0.45, 0], aligned_edge=LEFT)
        self.play(Create(self.axes), FadeIn(xl), FadeIn(yl), run_time=1.5)
        self.play(FadeIn(self.curve_axes), FadeIn(self.source), run_time=1.0)
        self.caption(f"一门人造语言，熵率 H = {fixed(self.h, 3)} 已知：\n这是任何模型都降不下去的损失")
        self.hold(1.5)

    def curves_panel(self) -> None:
        """Right, top: each model's exact held-out loss over the tokens it has read, H dashed."""
        t = self.t
        tokens, curves = np.asarray(t["curve_tokens"], dtype=float), np.asarray(t["curve_loss"], dtype=float)
        self.tok_dec = decades(tokens[:, 1:], 0.0)
        lo = self.h - 0.1 * (curves.max() - self.h)
        axes = Axes(x_range=[self.tok_dec[0], self.tok_dec[1], 1], y_range=[lo, float(curves.max()) * 1.02, 1],
                    x_length=self.PANEL_W - 0.6, y_length=2.2, tips=False,
                    axis_config={"color": PALETTE.muted, "stroke_width": 2})
        axes.move_to([self.PANEL_X + 0.6 + (self.PANEL_W - 0.6) / 2, 1.75, 0])
        ticks = VGroup(*(tex(f"10^{{{n}}}", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(n, lo), DOWN, buff=0.1)
                         for n in range(self.tok_dec[0], self.tok_dec[1] + 1)))
        h_line = DashedLine(axes.c2p(self.tok_dec[0], self.h), axes.c2p(self.tok_dec[1], self.h),
                            color=PALETTE.positive, stroke_width=2)
        h_name = cjk("H", SMALL_SIZE, PALETTE.positive).next_to(h_line, LEFT, buff=0.1)
        name = cjk("损失 L 随读过的词元数下降", SMALL_SIZE, PALETTE.muted).next_to(axes, UP, buff=0.12)
        name.align_to(axes, LEFT)
        self.curve_axes = VGroup(axes, ticks, h_line, h_name, name)
        self.c_axes = axes

    def curve(self, i: int, color: str) -> VMobject:
        t = self.t
        tokens, loss = np.asarray(t["curve_tokens"][i], dtype=float), np.asarray(t["curve_loss"][i], dtype=float)
        keep = tokens > 0
        pts = [self.c_axes.c2p(np.log10(a), b) for a, b in zip(tokens[keep], loss[keep])]
        return polyline(pts, color, 2.5)

    def dot(self, i: int, color: str) -> Dot:
        return Dot(self.p(self.n[i], self.red[i]), radius=0.08, color=color)

    def train_models(self) -> None:
        tokens = int(self.t.params["tokens"])
        self.caption(f"从小到大训练 {self.fitted} 个同构的模型，\n每个读同样的 {count(tokens)} 个词元")
        self.dots, self.curves = VGroup(), VGroup()
        counter = None
        for i in range(self.fitted):
            shade = 0.35 + 0.65 * i / max(1, self.fitted - 1)
            curve = self.curve(i, PALETTE.forward).set_stroke(opacity=shade)
            dot = self.dot(i, PALETTE.forward)
            new = mono(f"N = {plain(self.n[i])}   L = {fixed(self.loss[i], 3)}", COUNTER_SIZE)
            new.move_to([self.PANEL_X, -0.95, 0], aligned_edge=LEFT)
            self.play(Create(curve), *([FadeOut(counter)] if counter else []), FadeIn(new), run_time=0.8)
            self.play(FadeIn(dot, scale=2.0), run_time=0.5)
            self.dots.add(dot)
            self.curves.add(curve)
            counter = new
        self.counter = counter
        self.caption("每个模型的终点损失减去 H，\n在对数—对数坐标里排成一条直线")
        self.hold(1.5)

    def fit_line(self) -> None:
        m = self.t.metrics
        inside = (self.dense_n >= self.n[0]) & (self.dense_n <= self.n[self.fitted - 1])
        pts = [self.p(a, b) for a, b in zip(self.dense_n[inside], self.dense[inside])]
        self.line = polyline(pts, PALETTE.learned, 4)
        law = tex(r"L=\Big(\frac{N_c}{N}\Big)^{\alpha}+L_\infty", 30).move_to([self.PANEL_X, -1.2, 0],
                                                                            aligned_edge=LEFT)
        fit = mono(f"α = {fixed(m['alpha'], 3)}   R² = {fixed(m['r2'], 3)}", COUNTER_SIZE, PALETTE.learned)
        fit.next_to(law, DOWN, buff=0.2, aligned_edge=LEFT)
        self.play(Create(self.line), FadeOut(self.counter), FadeIn(law), run_time=1.5)
        self.play(FadeIn(fit), run_time=0.6)
        self.law, self.fit = law, fit
        self.caption(f"最小二乘拟合：斜率就是 −α，α = {fixed(m['alpha'], 3)}\n"
                     f"（书中真实语言 α ≈ {plain(BOOK_FACTS['alpha_n'])}，本次 {fixed(m['alpha'], 2)}）")
        self.hold(2.0)

    def extrapolate(self) -> None:
        m = self.t.metrics
        beyond = self.dense_n >= self.n[self.fitted - 1]
        pts = [self.p(a, b) for a, b in zip(self.dense_n[beyond], self.dense[beyond])]
        self.dashed = DashedVMobject(polyline(pts, PALETTE.learned, 4), num_dashes=18)
        pred = float(m["holdout_predicted"])
        self.target = VGroup(Line(self.p(self.n[-1], pred - self.h) + 0.18 * UP,
                                  self.p(self.n[-1], pred - self.h) + 0.18 * DOWN, color=PALETTE.learned),
                             Line(self.p(self.n[-1], pred - self.h) + 0.18 * LEFT,
                                  self.p(self.n[-1], pred - self.h) + 0.18 * RIGHT, color=PALETTE.learned))
        self.play(Create(self.dashed), run_time=1.5)
        self.play(FadeIn(self.target, scale=1.5), run_time=0.6)
        self.caption(f"沿直线外推：还没训练，就预测 N = {plain(self.n[-1])}\n的模型损失是 {fixed(pred, 3)}")
        self.hold(1.5)

    def test_prediction(self) -> None:
        m = self.t.metrics
        curve = self.curve(self.fitted, PALETTE.highlight)
        dot = self.dot(self.fitted, PALETTE.highlight)
        pred, meas = float(m["holdout_predicted"]), float(m["holdout_measured"])
        result = mono(f"预测 {fixed(pred, 3)} / 实测 {fixed(meas, 3)}", COUNTER_SIZE, PALETTE.highlight)
        result.next_to(self.fit, DOWN, buff=0.2, aligned_edge=LEFT)
        linf = mono(f"L∞ 拟合 {fixed(m['linf_fitted'], 3)} / 真值 H {fixed(self.h, 3)}", COUNTER_SIZE)
        linf.next_to(result, DOWN, buff=0.2, aligned_edge=LEFT)
        self.play(Create(curve), run_time=1.2)
        self.play(FadeIn(dot, scale=2.0), FadeIn(result), run_time=0.8)
        off = (meas - pred) / (pred - self.h)
        verdict = "正好落在虚线上" if abs(off) < 0.1 else ("比预测略差" if off > 0 else "比预测略好")
        self.caption(f"真的训练它：{verdict}\n（可约损失相差 {signed(100 * off, 0)}%）")
        self.hold(1.0)
        self.play(FadeIn(linf), run_time=0.6)
        self.caption("连 L∞ 也能从小模型拟合出来，\n与真实熵率相比只差 " + fixed(abs(m["linf_error"]), 3))
        self.hold(1.5)
        self.results = VGroup(self.law, self.fit, result, linf)
        self.curves.add(curve)

    def isoflop(self) -> None:
        """Right, top: at each fixed budget C ≈ 6ND, the loss against N: too small or too data-starved."""
        t = self.t
        n, loss = np.asarray(t["iso_n"], dtype=float), np.asarray(t["iso_loss"], dtype=float)
        budgets, best = np.asarray(t["iso_budgets"], dtype=float), np.asarray(t["iso_best_index"], dtype=int)
        best_n, best_d = np.asarray(t["iso_best_n"], dtype=float), np.asarray(t["iso_best_d"], dtype=float)
        x_dec = decades(n, 0.05)
        lo, hi = float(loss.min()), float(loss.max())
        pad = 0.08 * (hi - lo)
        axes = Axes(x_range=[x_dec[0], x_dec[1], 1], y_range=[lo - pad, hi + pad, 1], x_length=self.PANEL_W - 0.6,
                    y_length=2.2, tips=False, axis_config={"color": PALETTE.muted, "stroke_width": 2})
        axes.move_to(self.c_axes)
        ticks = VGroup(*(tex(f"10^{{{k}}}", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(k, lo - pad), DOWN, buff=0.1)
                         for k in range(x_dec[0], x_dec[1] + 1)))
        name = cjk("等算力：固定 C≈6ND，损失 L 对 N", SMALL_SIZE, PALETTE.muted).next_to(axes, UP, buff=0.12)
        name.align_to(axes, LEFT)
        shades = [VIRIDIS[int(round(2 + 6 * b / max(1, len(budgets) - 1)))] for b in range(len(budgets))]
        lines, marks = VGroup(), VGroup()
        for b, color in enumerate(shades):
            pts = [axes.c2p(np.log10(a), v) for a, v in zip(n, loss[b])]
            lines.add(polyline(pts, color, 3), *(Dot(pt, radius=0.045, color=color) for pt in pts))
            marks.add(Dot(pts[best[b]], radius=0.09, color=color).set_stroke(PALETTE.text, 2))
        legend = VGroup(*(mono(f"C={sci(c, 0)}: N*≈{plain(round(bn))}, D/N≈{plain(round(bd / bn))}", SMALL_SIZE,
                               color) for c, bn, bd, color in zip(budgets, best_n, best_d, shades)))
        legend.arrange(DOWN, aligned_edge=LEFT, buff=0.08).next_to(self.source, DOWN, buff=0.15, aligned_edge=LEFT)
        self.play(FadeOut(self.curves), FadeOut(self.curve_axes), FadeOut(self.results), run_time=0.8)
        self.play(FadeIn(axes), FadeIn(ticks), FadeIn(name), Create(lines), run_time=1.5)
        self.play(FadeIn(marks, scale=1.5), FadeIn(legend), run_time=0.8)
        ratio = best_d / best_n
        self.caption(f"算力给定时存在最优模型大小：\n本玩具任务每参数约 {plain(round(ratio.min()))}–"
                     f"{plain(round(ratio.max()))} 个词元")
        self.hold(2.5)


# =============================================================================================================
class RLHFPreference(BookScene):
    """Pairwise labels → reward scores (learned vs hidden quality) → a policy pushed up the reward, KL-tethered."""

    TRACES = ("rlhf.default",)
    TITLE = "第11章 · 偏好可量化：从成对比较到策略"
    COL_X0, COL_X1 = -6.4, 0.2  # the answers' columns span this
    R_ZERO, R_UNIT = 1.75, 0.42  # reward tier: zero line and units per reward point
    PI_BASE, PI_H = -1.9, 1.6  # policy tier: base and the height of π = 1 (value labels clear the captions)
    PANEL_X = 0.9

    def construct(self) -> None:
        self.load()
        self.show_answers()
        self.compare_pairs()
        self.fit_reward()
        self.reference_policy()
        self.kl_family()
        self.policy_gradient()

    def load(self) -> None:
        t = self.t = self.trace(RLHF)
        self.q = np.asarray(t["quality"], dtype=float)
        self.k = len(self.q)
        self.r = np.asarray(t["reward"], dtype=float)
        self.path = np.asarray(t["rm_path"], dtype=float)
        self.cell = (self.COL_X1 - self.COL_X0) / self.k
        span = max(np.abs(self.path).max(), np.abs(self.q).max())
        self.r_unit = min(self.R_UNIT, 1.0 / span)  # the tier is ±1 unit high

    def x(self, k: int) -> float:
        return self.COL_X0 + (k + 0.5) * self.cell

    def reward_bars(self, r: np.ndarray) -> VGroup:
        group = VGroup()
        for k, v in enumerate(r):
            h = max(abs(v) * self.r_unit, 1e-3)
            color = PALETTE.positive if v >= 0 else PALETTE.negative
            group.add(Rectangle(width=0.5 * self.cell, height=h, stroke_width=0, fill_color=color, fill_opacity=0.9)
                      .move_to([self.x(k), self.R_ZERO + np.sign(v) * h / 2, 0]))
        return group

    def quality_ticks(self) -> VGroup:
        return VGroup(*(Line([self.x(k) - 0.34 * self.cell, self.R_ZERO + v * self.r_unit, 0],
                             [self.x(k) + 0.34 * self.cell, self.R_ZERO + v * self.r_unit, 0],
                             color=PALETTE.highlight, stroke_width=4) for k, v in enumerate(self.q)))

    def policy_bars(self, pi: np.ndarray, color: str, opacity: float = 0.9) -> VGroup:
        return VGroup(*(Rectangle(width=0.5 * self.cell, height=max(v * self.PI_H, 1e-3), stroke_width=0,
                                  fill_color=color, fill_opacity=opacity)
                        .move_to([self.x(k), self.PI_BASE + max(v * self.PI_H, 1e-3) / 2, 0])
                        for k, v in enumerate(pi)))

    def outlines(self, pi: np.ndarray, color: str) -> VGroup:
        return VGroup(*(DashedVMobject(Rectangle(width=0.62 * self.cell, height=max(v * self.PI_H, 0.02),
                                                 stroke_color=color, stroke_width=3), num_dashes=12)
                        .move_to([self.x(k), self.PI_BASE + max(v * self.PI_H, 0.02) / 2, 0])
                        for k, v in enumerate(pi)))

    def pi_numbers(self, pi: np.ndarray, color: str) -> VGroup:
        return VGroup(*(mono(fixed(v, 2), SMALL_SIZE, color).move_to([self.x(k), self.PI_BASE - 0.22, 0])
                        for k, v in enumerate(pi)))

    def panel(self, lines: Sequence[Mobject], top: float = 2.9) -> VGroup:
        return rows_at(lines, self.PANEL_X, top)

    # --- beats ------------------------------------------------------------------------------------------------
    def show_answers(self) -> None:
        cards = VGroup(*(VGroup(RoundedRectangle(corner_radius=0.08, width=0.8 * self.cell, height=0.42,
                                                 stroke_color=PALETTE.muted, stroke_width=2),
                                mono(answer_name(k), LABEL_SIZE)).move_to([self.x(k), 0.25, 0]) for k in range(self.k)))
        self.cards = cards
        self.play(FadeIn(cards, lag_ratio=0.1), run_time=1.0)
        self.caption(f"同一个问题，模型写出 {self.k} 个候选回答；\n每个回答有一个看不见的真实质量")
        self.hold(1.0)

    def compare_pairs(self) -> None:
        t = self.t
        win, lose = np.asarray(t["train_win"], dtype=int), np.asarray(t["train_lose"], dtype=int)
        shown = None
        for i in range(min(3, len(win))):
            w, l_ = int(win[i]), int(lose[i])
            frames = VGroup(self.cards[w][0].copy().set_stroke(PALETTE.positive, 5),
                            self.cards[l_][0].copy().set_stroke(PALETTE.negative, 5))
            text = mono(f"第 {i + 1} 对：{answer_name(w)} 比 {answer_name(l_)} 好", COUNTER_SIZE)
            new = VGroup(frames, self.panel([text]))
            self.play(*([FadeOut(shown)] if shown else []), FadeIn(new), run_time=0.7)
            if i == 0:
                self.caption("人不必打分，只需两两比较：\n说出哪个回答更好")
            self.hold(0.6)
            shown = new
        total = self.panel([mono(f"共 {plain(len(win))} 对比较（另留 {plain(len(t['test_win']))} 对检验）",
                                 COUNTER_SIZE)])
        self.play(FadeOut(shown), FadeIn(total), run_time=0.7)
        self.total = total
        agree = float(t.metrics["train_agreement"])
        self.caption(f"标注来自 Bradley–Terry：质量高的多半赢，\n"
                     f"但只有 {fixed(100 * agree, 0)}% 的比较选中了真正更好的")
        self.hold(1.0)

    def fit_reward(self) -> None:
        t = self.t
        loss, acc = np.asarray(t["rm_loss"], dtype=float), np.asarray(t["rm_test_acc"], dtype=float)
        steps = len(self.path) - 1
        zero = Line([self.COL_X0, self.R_ZERO, 0], [self.COL_X1, self.R_ZERO, 0], color=PALETTE.muted,
                    stroke_width=2)
        name = cjk("奖励模型的分数 r", LABEL_SIZE, PALETTE.muted).move_to([self.COL_X0, 3.05, 0], aligned_edge=LEFT)
        law = tex(r"\mathcal L_{RM}=-\log\sigma\big(r_w-r_l\big)", 30)
        self.r_name = name
        self.play(FadeIn(zero), FadeIn(name), FadeOut(self.total), run_time=0.6)
        law_mob = self.panel([law])
        self.play(FadeIn(law_mob), run_time=0.6)
        frames = np.unique(np.linspace(0, steps, min(steps + 1, 40)).round().astype(int))
        cache: dict[int, Mobject] = {}

        def bars(j: int) -> Mobject:
            s = int(frames[j])
            if ("b", s) not in cache:
                cache[("b", s)] = self.reward_bars(self.path[s])
            return cache[("b", s)]

        def counter(j: int) -> Mobject:
            s = int(frames[j])
            if ("c", s) not in cache:
                cache[("c", s)] = self.panel([mono(f"第 {s:3d} 步  损失 {fixed(loss[s], 3)}", COUNTER_SIZE),
                                              mono(f"留出对的准确率 {fixed(100 * acc[s], 0)}%", COUNTER_SIZE)],
                                             top=2.0)
            return cache[("c", s)]

        self.caption("梯度下降最小化这个损失：\n赢的分数被抬高，输的被压低")
        badge = speed_badge(f"{plain(steps)} 步").next_to(name, RIGHT, buff=0.3)
        self.add(badge)
        self.bars, self.rm_counter = scrub(self, [bars, counter], 0, len(frames) - 1, 4.0)
        self.remove(badge)
        ticks = self.quality_ticks()
        key = legend_row([(PALETTE.positive, "学到的分数"), (PALETTE.highlight, "隐藏的真实质量")], SMALL_SIZE)
        key.next_to(self.r_name, RIGHT, buff=0.5)
        self.play(Create(ticks), FadeIn(key), run_time=1.0)
        rho = float(t.metrics["spearman"])
        same = "排序完全一致" if t.metrics["rank_order_matches"] else "排序大体一致"
        self.caption(f"与真实质量对照：{same}\n（Spearman 秩相关 {fixed(rho, 2)}）")
        self.hold(1.5)
        best, worst = int(np.argmax(self.r)), int(np.argmin(self.r))
        p = float(t["pref_matrix"][best, worst])
        bt = VGroup(tex(f"P({answer_name(best)}\\succ {answer_name(worst)})=\\sigma(r_{answer_name(best)}-"
                        f"r_{answer_name(worst)})", 28),
                    mono(f"r = {signed(self.r[best])} 与 {signed(self.r[worst])} → P = {fixed(p, 3)}",
                         COUNTER_SIZE))
        bt_mob = rows_at(bt, self.PANEL_X, 0.9, buff=0.15)
        self.play(FadeIn(bt_mob), run_time=0.8)
        self.caption("分数之差经过 sigmoid，\n就是“谁更好”的概率")
        self.hold(1.5)
        self.play(FadeOut(bt_mob), FadeOut(law_mob), FadeOut(self.rm_counter), run_time=0.6)
        self.key = key

    def reference_policy(self) -> None:
        t = self.t
        pi_ref = np.asarray(t["pi_ref"], dtype=float)
        base = Line([self.COL_X0, self.PI_BASE, 0], [self.COL_X1, self.PI_BASE, 0], color=PALETTE.muted,
                    stroke_width=2)
        name = cjk("策略：选中每个回答的概率 π", LABEL_SIZE, PALETTE.muted)
        name.move_to([self.COL_X0, -0.25, 0], aligned_edge=LEFT)
        self.ref = self.policy_bars(pi_ref, PALETTE.muted, 0.55)
        self.ref_nums = self.pi_numbers(pi_ref, PALETTE.muted)
        self.play(FadeIn(base), FadeIn(name), GrowFromEdge(self.ref, DOWN), FadeIn(self.ref_nums), run_time=1.2)
        fav = int(np.argmax(pi_ref))
        self.caption(f"RL 之前的参考策略 π_ref 最爱回答 {answer_name(fav)}，\n"
                     f"而奖励最高的是 {answer_name(int(np.argmax(self.r)))}")
        self.hold(1.2)
        goal = tex(r"\max_\pi\ \mathbb E_\pi[r]-\beta\,\mathrm{KL}(\pi\,\|\,\pi_{ref})", 30)
        closed = tex(r"\pi^*\propto\pi_{ref}\,e^{r/\beta}", 30, PALETTE.highlight)
        self.goal = self.panel([goal, closed], top=2.9)
        self.play(FadeIn(self.goal), run_time=0.8)
        self.caption("目标：奖励要高，又不许离 π_ref 太远；\n这个问题有闭式解")
        self.hold(1.2)

    def kl_family(self) -> None:
        t = self.t
        betas, optima = np.asarray(t["betas"], dtype=float), np.asarray(t["optima"], dtype=float)
        order = np.argsort(-betas)  # from a loose tether to a tight one… from large β to small
        shown, label = None, None
        for j in order:
            out = self.outlines(optima[j], PALETTE.highlight)
            new = mono(f"β = {plain(betas[j])}   KL = {fixed(t['optima_kl'][j], 2)}", COUNTER_SIZE, PALETTE.highlight)
            new.move_to([self.PANEL_X, 1.2, 0], aligned_edge=LEFT)
            anims = [Transform(shown, out), Transform(label, new)] if shown else [Create(out), FadeIn(new)]
            self.play(*anims, run_time=0.9)
            if shown is None:
                shown, label = out, new
                self.caption("β 大：π* 贴着 π_ref；\nβ 小：几乎全押在最高分的回答上")
            self.hold(0.5)
        self.play(FadeOut(shown), FadeOut(label), run_time=0.5)

    def policy_gradient(self) -> None:
        t = self.t
        pis, tv = np.asarray(t["pg_pi"], dtype=float), np.asarray(t["pg_tv"], dtype=float)
        target = np.asarray(t["pg_target"], dtype=float)
        beta, steps = float(t.params["beta"]), len(pis) - 1
        out = self.outlines(target, PALETTE.highlight)
        head = mono(f"策略梯度，β = {plain(beta)}", COUNTER_SIZE, PALETTE.learned).move_to([self.PANEL_X, 1.2, 0],
                                                                                         aligned_edge=LEFT)
        self.play(Create(out), FadeIn(head), run_time=0.8)
        self.caption(f"用策略梯度真的去学（奖励里扣掉 β·log π/π_ref），\n虚线框是 β = {plain(beta)} 的闭式解")
        frames = np.unique(np.geomspace(1, steps + 1, min(steps + 1, 50)).round().astype(int) - 1)
        cache: dict[tuple, Mobject] = {}

        def bars(j: int) -> Mobject:
            s = int(frames[j])
            if ("b", s) not in cache:
                cache[("b", s)] = VGroup(self.policy_bars(pis[s], PALETTE.learned),
                                         self.pi_numbers(pis[s], PALETTE.learned))
            return cache[("b", s)]

        def counter(j: int) -> Mobject:
            s = int(frames[j])
            if ("c", s) not in cache:
                cache[("c", s)] = rows_at([mono(f"第 {s:3d} 步", COUNTER_SIZE),
                                           mono(f"与闭式解的距离 TV = {fixed(tv[s], 3)}", COUNTER_SIZE)],
                                          self.PANEL_X, 0.75)
            return cache[("c", s)]

        self.remove(self.ref_nums)
        self.pg_bars, self.pg_counter = scrub(self, [bars, counter], 0, len(frames) - 1, 5.0)
        m = t.metrics
        best = int(m["best_answer"])
        result = rows_at([mono(f"最好的回答 {answer_name(best)}：{fixed(m['ref_best_prob'], 2)} → "
                               f"{fixed(m['pg_best_prob'], 2)}", COUNTER_SIZE, PALETTE.learned),
                          mono(f"KL(π‖π_ref) = {fixed(m['pg_kl'], 3)}（闭式解 {fixed(m['target_kl'], 3)}）",
                               COUNTER_SIZE)], self.PANEL_X, -0.4)
        key = legend_row([(PALETTE.muted, "π_ref"), (PALETTE.learned, "学到的 π"),
                          (swatch(PALETTE.highlight, dashed=True), "闭式解 π*")], SMALL_SIZE)
        key.move_to([self.PANEL_X, -1.8, 0], aligned_edge=LEFT)
        self.play(FadeIn(result), FadeIn(key), run_time=0.8)
        self.caption("策略被推向高奖励区，又被 KL 拴住：\n成对偏好变成了可优化的信号")
        self.hold(2.5)
