"""Chapter 1 — 感知机: a line that learns AND, and cannot learn XOR.

Both scenes replay the perceptron traces update by update: the sample that
was misclassified, the rule applied with its real numbers (η included), and
the boundary w·x + b = 0 moving to its new place. Every number shown comes
from the trace, so ``--set perceptron.lr=…`` or ``perceptron.max_epochs=…``
changes what the screen says. The diagram figures live in
``ch01_perceptron_figures.py`` and share the helpers below.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Axes,
    Circle,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    Flash,
    Indicate,
    Line,
    Polygon,
    Square,
    Transform,
    VGroup,
    VMobject,
    linear,
)

from scenes.kit.base import BookScene
from scenes.kit.charts import nice_step, panel_axes, polyline
from scenes.kit.counters import CounterPanel, scrub
from scenes.kit.legends import legend_row
from scenes.kit.numbers import plain
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, speed_badge, tex, tex_vector

VIEW = (-0.5, 1.5)  # data window of the input plane, both axes
PLANE_CENTER = np.array([-3.9, 0.1, 0])
PLANE_SIZE = 4.2

RULES_LEFT = np.array([-0.9, 0, 0])  # left edge of the right-hand panel
CHART_CENTER = np.array([2.2, -0.8, 0])  # below the rules and η, above the caption band
LEGEND_CENTER = np.array([1.3, 3.55, 0])
RULE_TEX = (
    r"\hat y = \mathbf{1}\left[\mathbf w^\top \mathbf x + b \ge 0\right]",
    r"\mathbf w \leftarrow \mathbf w + \eta\,(y-\hat y)\,\mathbf x,\quad b \leftarrow b + \eta\,(y-\hat y)",
)


# --- the input plane ------------------------------------------------------------
class InputPlane(VGroup):
    """The (x₁, x₂) window as a framed square, grid lines at 0 and 1, ticks outside."""

    def __init__(self) -> None:
        super().__init__()
        lo, hi = VIEW
        self.scale_factor = PLANE_SIZE / (hi - lo)
        self.frame = Square(PLANE_SIZE, color=PALETTE.muted, stroke_width=2).move_to(PLANE_CENTER)
        grid = VGroup()
        for v in (0, 1):
            grid.add(DashedLine(self.c2p(v, lo), self.c2p(v, hi), color=PALETTE.grid, stroke_width=2),
                     DashedLine(self.c2p(lo, v), self.c2p(hi, v), color=PALETTE.grid, stroke_width=2))
        ticks = VGroup()
        for v in (0, 1):
            ticks.add(mono(str(v), SMALL_SIZE, PALETTE.muted).next_to(self.c2p(v, lo), DOWN, buff=0.1),
                      mono(str(v), SMALL_SIZE, PALETTE.muted).next_to(self.c2p(lo, v), LEFT, buff=0.1))
        labels = VGroup(tex("x_1", TEX_SIZE, PALETTE.muted).next_to(self.c2p(hi, lo), DOWN, buff=0.1).shift(0.2 * LEFT),
                        tex("x_2", TEX_SIZE, PALETTE.muted).next_to(self.c2p(lo, hi), LEFT, buff=0.1).shift(0.2 * DOWN))
        self.add(grid, self.frame, ticks, labels)

    def c2p(self, x1: float, x2: float) -> np.ndarray:
        lo = VIEW[0]
        corner = PLANE_CENTER - PLANE_SIZE / 2 * (RIGHT + UP)
        return corner + self.scale_factor * ((x1 - lo) * RIGHT + (x2 - lo) * UP)


def glyph(label: int, at: np.ndarray) -> VMobject:
    """× for class 1 (warm), ○ for class 0 (cool), as in the book's figures."""
    r = 0.16
    if label == 1:
        return VGroup(Line(at + r * (UP + LEFT), at + r * (DOWN + RIGHT)),
                      Line(at + r * (UP + RIGHT), at + r * (DOWN + LEFT))).set_stroke(PALETTE.positive, 6)
    return Circle(radius=r, color=PALETTE.negative, stroke_width=5).move_to(at)


def legend(shading: bool = True) -> VGroup:
    """× / ○ / shading, in one line at the top centre, so a still explains itself."""
    shade = Square(0.26, stroke_width=0, fill_color=PALETTE.positive, fill_opacity=0.3)
    items = [(glyph(1, ORIGIN).scale(0.8), "类别 1"), (glyph(0, ORIGIN).scale(0.8), "类别 0")]
    items += [(shade, "判为 1 的一侧")] * shading
    return legend_row(items).move_to(LEGEND_CENTER)


def sample_glyphs(plane: InputPlane, inputs: np.ndarray, labels: np.ndarray) -> VGroup:
    return VGroup(*(glyph(int(y), plane.c2p(*x)) for x, y in zip(inputs, labels)))


# --- the boundary w·x + b = 0 ---------------------------------------------------------
def clip_halfplane(w: np.ndarray, b: float) -> list[np.ndarray]:
    """Corners of {w·x + b ≥ 0} ∩ view square, in order (empty list if none)."""
    lo, hi = VIEW
    square = [np.array(p, float) for p in ((lo, lo), (hi, lo), (hi, hi), (lo, hi))]
    value = [float(w @ p + b) for p in square]
    polygon = []
    for k in range(4):
        p, q, vp, vq = square[k], square[(k + 1) % 4], value[k], value[(k + 1) % 4]
        if vp >= 0:
            polygon.append(p)
        if (vp >= 0) != (vq >= 0):
            polygon.append(p + (q - p) * vp / (vp - vq))
    return polygon


def visible_segment(w: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Where the line w·x + b = 0 crosses the view, or None if it misses it (or w = 0)."""
    if not np.any(w != 0):
        return None
    ends = [c for c in clip_halfplane(w, b) if abs(float(w @ c + b)) < 1e-9]
    if len(ends) < 2 or np.linalg.norm(ends[0] - ends[-1]) < 1e-9:
        return None
    return ends[0], ends[-1]


def boundary(plane: InputPlane, w: np.ndarray, b: float) -> VGroup:
    """The positive half-plane (shaded) and the line w·x + b = 0 where it crosses the view."""
    corners = clip_halfplane(w, b)
    group = VGroup()
    if len(corners) >= 3:
        group.add(Polygon(*(plane.c2p(*c) for c in corners), stroke_width=0,
                          fill_color=PALETTE.positive, fill_opacity=0.16))
    segment = visible_segment(w, b)
    if segment is not None:
        group.add(Line(plane.c2p(*segment[0]), plane.c2p(*segment[1]), color=PALETTE.learned, stroke_width=5))
    return group


def linear_tex(w: np.ndarray, b: float) -> str:
    """``2x_1 + x_2 - 3 = 0`` written the way a person would."""
    terms = []
    for coef, var in zip(w, ("x_1", "x_2")):
        if coef == 0:
            continue
        mag = "" if abs(coef) == 1 else plain(abs(coef))
        sign = "-" if coef < 0 else ("+" if terms else "")
        terms.append(f"{sign} {mag}{var}")
    if b != 0 or not terms:
        terms.append(f"{'-' if b < 0 else ('+' if terms else '')} {plain(abs(b))}")
    return " ".join(terms) + " = 0"


def boundary_note(plane: InputPlane, w: np.ndarray, b: float) -> VMobject:
    """Above the plane: the current boundary, or why there is none to see."""
    whole = "全部判为 1" if len(clip_halfplane(w, b)) == 4 else "全部判为 0"
    if not np.any(w != 0):
        note = cjk(f"w = 0：没有边界线，{whole}", LABEL_SIZE, PALETTE.muted)
    else:
        parts = [cjk("边界", LABEL_SIZE, PALETTE.muted), tex(linear_tex(w, b), TEX_SIZE, PALETTE.learned)]
        if visible_segment(w, b) is None:
            parts.append(cjk("在画面外", LABEL_SIZE, PALETTE.muted))
        note = VGroup(*parts).arrange(RIGHT, buff=0.2)
    return note.next_to(plane.frame, UP, buff=0.2)


# --- numbers derived from a run ----------------------------------------------------------
def point_text(x: np.ndarray) -> str:
    """``(1,1)``: an input as the captions write it."""
    return "(" + ",".join(plain(v) for v in x) + ")"


def ties(inputs: np.ndarray, w: np.ndarray, b: float) -> list[int]:
    """Inputs exactly on the line w·x + b = 0 (the sim's own ``>= 0`` test, no tolerance: a point
    is on the line only if the rule puts it in class 1 because of the equals sign)."""
    return [i for i, x in enumerate(inputs) if float(x @ w + b) == 0.0]


def grazes(inputs: np.ndarray, w: np.ndarray, b: float) -> bool:
    """Some input is on the line up to rounding but not exactly (e.g. 0.2 - 0.20000000000000004):
    the picture shows it on the line while the rule counts it off, so say neither."""
    values = inputs @ w + b
    scale = 1.0 + np.abs(inputs) @ np.abs(w) + abs(b)
    return bool(np.any((values != 0) & (np.abs(values) <= 1e-9 * scale)))


def signed_term(value: float) -> str:
    """``+ 0.5`` / ``- 1.5``: a term after the first of a sum."""
    return f"{'-' if value < 0 else '+'} {plain(abs(value))}"


def dot_tex(w: np.ndarray, x: np.ndarray, b: float) -> str:
    r"""``2\cdot1 + 1\cdot1 - 3``: w·x + b with the numbers in."""
    products = [rf"{plain(w[0])}\cdot{plain(x[0])}"]
    products.append(rf"{signed_term(w[1])}\cdot{plain(x[1])}")
    return " ".join(products) + f" {signed_term(b)}"


def cycle_length(states: np.ndarray) -> int | None:
    """The period with which the last states repeat (seen at least twice in a row), or None."""
    n = len(states)
    for p in range(1, n // 2 + 1):
        if np.array_equal(states[n - p:], states[n - 2 * p:n - p]):
            return p
    return None


class PerceptronScene(BookScene):
    """The shared replay machinery of both chapter-1 scenes."""

    def show_data(self, caption: str) -> None:
        t = self.trace(self.TRACES[0])
        self.inputs, self.labels = t["inputs"], t["labels"]
        self.plane = InputPlane()
        self.points = sample_glyphs(self.plane, self.inputs, self.labels)
        self.play(Create(self.plane), FadeIn(legend()), run_time=1.0)
        self.play(FadeIn(self.points, lag_ratio=0.2), run_time=1.0)
        self.caption(caption)

    def show_rule(self, caption: str) -> None:
        """The rule, the run's learning rate η under it, the counters, and the empty start state."""
        eta = float(self.trace(self.TRACES[0]).params["lr"])
        rate = VGroup(tex(rf"\eta = {plain(eta)}", TEX_SIZE), cjk("（学习率）", LABEL_SIZE, PALETTE.muted))
        rules = VGroup(*(tex(t, TEX_SIZE) for t in RULE_TEX), rate.arrange(RIGHT, buff=0.15))
        rules.arrange(DOWN, aligned_edge=LEFT, buff=0.25).to_edge(UP, buff=1.25).align_to(RULES_LEFT, LEFT)
        self.rules, self.eta = rules, eta
        # CJK glyphs are two cells wide in the mono font: both labels take nine cells
        self.counters = CounterPanel(lambda epoch, wrong: [f"轮次     {epoch:>3d}", f"错误更新 {wrong:>3d}"])
        self.play(FadeIn(rules[0]), run_time=0.8)
        self.play(FadeIn(rules[1:]), FadeIn(self.counters.show(0, 0)), run_time=0.8)
        self.w, self.b = np.zeros(2), 0.0  # the sim's zero start
        self.boundary = boundary(self.plane, self.w, self.b)
        self.note = boundary_note(self.plane, self.w, self.b)
        self.play(FadeIn(self.boundary), FadeIn(self.note), run_time=0.8)
        self.caption(caption)

    def update_equation(self, x: np.ndarray, y: int, y_hat: int, w_new: np.ndarray, b_new: float) -> VGroup:
        """The rule with this update's numbers: w ← w + η(y−ŷ)x, b ← b + η(y−ŷ)."""
        step = self.eta * (y - y_hat)  # ±η
        # 1·x is written x, as anyone would; any other step shows its factor
        times_x = tex_vector(x) if abs(step) == 1 else rf"{plain(abs(step))}\cdot{tex_vector(x)}"
        op = "+" if step > 0 else "-"
        sample = tex(rf"\mathbf x = {tex_vector(x)},\; y = {y},\; \hat y = {y_hat}", TEX_SIZE)
        w_line = tex(rf"\mathbf w = {tex_vector(self.w)} {op} {times_x} = {tex_vector(w_new)}", TEX_SIZE)
        b_line = tex(rf"b = {plain(self.b)} {op} {plain(abs(step))} = {plain(b_new)}", TEX_SIZE)
        return VGroup(sample, w_line, b_line).arrange(DOWN, aligned_edge=LEFT, buff=0.25).next_to(
            self.rules, DOWN, buff=0.5).align_to(self.rules, LEFT)

    def move_boundary(self, w_new: np.ndarray, b_new: float) -> list:
        """Animations taking the line, its shading and its equation to (w_new, b_new)."""
        new = boundary(self.plane, w_new, b_new)
        anims = []
        if np.any(self.w != 0) and np.any(w_new != 0):
            anims.append(Transform(self.boundary, new))
        else:  # a line appearing from (or vanishing into) w = 0 does not morph well
            anims += [FadeOut(self.boundary), FadeIn(new)]
            self.boundary = new
        new_note = boundary_note(self.plane, w_new, b_new)
        anims += [FadeOut(self.note), FadeIn(new_note)]
        self.note = new_note
        self.w, self.b = w_new, b_new
        return anims

    def replay_update(self, k: int) -> None:
        """One misclassified sample: flash it, apply the rule, move the line."""
        t = self.trace(self.TRACES[0])
        i = int(t["update_sample"][k])
        w_new, b_new = t["update_w"][k], float(t["update_b"][k])
        ring = Circle(radius=0.32, color=PALETTE.error, stroke_width=4).move_to(self.points[i])
        self.counters.swap(self, int(t["update_epoch"][k]), int(t["update_mistakes"][k]))
        eq = self.update_equation(self.inputs[i], int(self.labels[i]), int(t["update_pred"][k]), w_new, b_new)
        old_eq = getattr(self, "equation", None)
        self.play(Create(ring), *([FadeOut(old_eq)] if old_eq else []), run_time=0.5)
        self.play(FadeIn(eq[0]), run_time=0.5)
        self.play(FadeIn(eq[1:]), run_time=0.6)
        self.equation = eq
        self.play(*self.move_boundary(w_new, b_new), FadeOut(ring), run_time=0.8)


class PerceptronLine(PerceptronScene):
    """AND: each correction moves the line, until one epoch passes without a mistake."""

    TRACES = ("perceptron.and",)
    TITLE = "第1章 · 感知机学会 AND"

    def construct(self) -> None:
        t = self.trace("perceptron.and")
        positive = ", ".join(point_text(x) for x in t["inputs"][t["labels"] == 1])
        self.show_data(f"{t.metrics['gate']}：只有 {positive} 属于类别 1")
        self.show_rule("从 w = 0、b = 0 出发，\n只在判错时按规则修正")
        self.run_updates()
        self.converge()
        self.conclude()

    def run_updates(self) -> None:
        t = self.trace("perceptron.and")
        for k in range(len(t["update_sample"])):
            if k == 2:
                self.caption("每次修正都让直线转动或平移")
            self.replay_update(k)

    def converge(self) -> None:
        t = self.trace("perceptron.and")
        epochs, n = int(t.metrics["epochs"]), len(self.inputs)
        self.counters.swap(self, epochs, int(t.metrics["mistakes"]))
        self.play(FadeOut(self.equation), run_time=0.6)
        self.play(*(Indicate(p, color=PALETTE.learned, scale_factor=1.3) for p in self.points), run_time=1.0)
        if t.metrics["converged"]:
            self.caption(f"第 {epochs} 轮：{n} 个样本 {int(t['epoch_mistakes'][-1])} 次判错，收敛")
        else:
            self.caption(f"{epochs} 轮用完，最后一轮仍判错 {int(t['epoch_mistakes'][-1])} 次")

    def conclude(self) -> None:
        """The final w, b; a point on the line is named only when w·x + b is exactly 0."""
        t = self.trace("perceptron.and")
        w, b = t["final_w"], float(t["final_b"])
        result = tex(rf"\mathbf w = {tex_vector(w)},\; b = {plain(b)}", TEX_SIZE, PALETTE.learned)
        result.next_to(self.rules, DOWN, buff=0.5).align_to(self.rules, LEFT)
        self.play(FadeIn(result), run_time=0.8)
        on_line = ties(self.inputs, w, b)
        notes = VGroup()
        for i in on_line:
            x = self.inputs[i]
            notes.add(VGroup(cjk(f"{point_text(x)} 正好在线上：", BODY_SIZE),
                             tex(rf"{dot_tex(w, x, b)} = 0", TEX_SIZE)).arrange(RIGHT, buff=0.15))
            self.play(Flash(self.points[i], color=PALETTE.highlight, flash_radius=0.4), run_time=0.8)
        if on_line:
            notes.add(cjk("只因规则里是 ≥ 0，才判为 1", BODY_SIZE, PALETTE.muted))
            notes.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(result, DOWN, buff=0.4).align_to(result, LEFT)
            self.play(FadeIn(notes), run_time=1.0)
        self.caption(self.verdict(t, on_line))
        self.hold(2.5)

    def verdict(self, t, on_line: list[int]) -> str:
        """The closing caption, true for this run: tie, strict separation, or not learned yet."""
        wrong = int(np.sum(t["final_pred"] != self.labels))
        if not t.metrics["converged"]:
            return f"{int(t.metrics['epochs'])} 轮内没学完：\n仍有 {wrong} 个点判错"
        if on_line:
            points = "、".join(point_text(self.inputs[i]) for i in on_line)
            return f"学到的线压着 {points} 而过：\n靠等号划进正类，并非严格分开"
        if grazes(self.inputs, t["final_w"], float(t["final_b"])):
            return f"学到的线把 {len(self.inputs)} 个样本全部判对"
        return "学到的线严格分开两类：\n没有点落在线上"


class XORImpossible(PerceptronScene):
    """XOR: the same rule chases its tail until ``max_epochs``; no line gets all four right."""

    TRACES = ("perceptron.xor",)
    TITLE = "第1章 · 感知机解不了 XOR"
    # epochs replayed update by update; the rest is fast-forwarded
    DETAILED_EPOCHS = 2

    def construct(self) -> None:
        self.show_data("XOR：同一类的点在对角线两端")
        self.show_rule("同样的规则，同样从零出发")
        self.run_first_epochs()
        self.fast_forward()
        self.sweep_all_lines()
        self.conclude()

    def detailed_updates(self) -> int:
        """How many updates the detailed epochs hold."""
        return int(np.searchsorted(self.trace("perceptron.xor")["update_epoch"], self.DETAILED_EPOCHS, side="right"))

    def run_first_epochs(self) -> None:
        for k in range(self.detailed_updates()):
            if k == 2:
                self.caption("修好一个点，就弄错另一个")
            self.replay_update(k)
        self.play(FadeOut(self.equation), run_time=0.5)

    def mistakes_chart(self) -> Axes:
        t = self.trace("perceptron.xor")
        epochs, mistakes = int(t.metrics["epochs"]), int(t.metrics["mistakes"])
        x_step, y_step = nice_step(epochs), nice_step(mistakes, 4)
        chart = panel_axes([0, epochs, x_step], [0, math.ceil(mistakes / y_step) * y_step, y_step], 5.4, 2.3,
                           "轮次", "累计错误更新")
        return chart.move_to(CHART_CENTER)

    def fast_forward(self) -> None:
        """Replay every remaining update quickly: the line keeps jumping, the count keeps rising."""
        t = self.trace("perceptron.xor")
        first, last = self.detailed_updates(), len(t["update_epoch"]) - 1
        # an update's time in epochs: its pass, plus how far through the pass its sample is
        when = t["update_epoch"] - 1 + (t["update_sample"] + 1) / len(self.inputs)
        mistakes = t["update_mistakes"]
        chart = self.mistakes_chart()
        self.play(Create(chart), run_time=1.0)
        self.chart = chart
        states = np.c_[t["update_w"], t["update_b"]]
        period = cycle_length(states)
        if period:
            distinct = len({tuple(s) for s in states[-period:]})
            self.caption(f"规则停不下来：权重在 {distinct} 个状态间打转")
        else:
            self.caption("规则停不下来：直线来回跳动")

        def curve(k: int) -> VMobject:
            return polyline(chart, np.r_[0, when[:k + 1]], np.r_[0, mistakes[:k + 1]], PALETTE.error, stroke_width=4)

        def line(k: int) -> VGroup:
            return boundary(self.plane, t["update_w"][k], float(t["update_b"][k]))

        def counters(k: int) -> VGroup:
            return self.counters.build(int(t["update_epoch"][k]), int(mistakes[k]))

        if last >= first:
            self.scrub_updates(first, last, curve, line, counters)
        else:  # max_epochs so small that the detailed epochs were the whole run
            self.curve = curve(last)
            self.play(FadeIn(self.curve), run_time=0.5)
        epochs, total = int(t.metrics["epochs"]), int(t.metrics["mistakes"])
        self.caption(f"{epochs} 轮后仍未收敛，累计 {total} 次错误更新")
        self.hold(1.0)

    def scrub_updates(self, first: int, last: int, curve, line, counters) -> None:
        """Updates ``first`` … ``last`` at about 32 a second, with a badge that says so."""
        t = self.trace("perceptron.xor")
        count = last - first + 1
        seconds = float(np.clip(round(count / 32), 4, 12))
        badge = speed_badge(f"快进：{count} 次更新用 {plain(seconds)} 秒").next_to(self.chart, UP, buff=0.12)
        badge.align_to(self.chart, RIGHT)
        start_curve = curve(first - 1)
        self.play(FadeOut(self.note), FadeIn(start_curve), FadeIn(badge), run_time=0.5)
        # the live copies start exactly where the still ones are, so the hand-over is invisible
        self.remove(start_curve, self.boundary, self.counters.mob)
        self.curve, self.boundary, self.counters.mob = scrub(self, [curve, line, counters], first - 1, last, seconds)
        self.note = boundary_note(self.plane, t["update_w"][last], float(t["update_b"][last]))
        self.play(FadeOut(badge), FadeIn(self.note), run_time=0.5)

    def sweep_all_lines(self) -> None:
        """Every line's best try, from the trace's brute-force sweep over angles and offsets."""
        t = self.trace("perceptron.xor")
        angles, errors = t["sweep_angles"], t["sweep_min_errors"]
        n = len(self.inputs)
        sweep = panel_axes([0, 360, 90], [0, n, 1], 5.4, 2.3, "法向角 °", "每个方向上最少判错几个点")
        sweep.move_to(CHART_CENTER)
        graph = sweep.plot_line_graph(np.degrees(angles), errors, add_vertex_dots=False,
                                      line_color=PALETTE.learned, stroke_width=4)
        zero = DashedLine(sweep.c2p(0, 0), sweep.c2p(360, 0), color=PALETTE.positive, stroke_width=3)
        self.play(FadeOut(self.chart), FadeOut(self.curve), FadeIn(sweep), run_time=0.8)
        self.caption("换个问法：所有直线里，\n最好的那条错几个？")
        self.play(Create(graph), run_time=2.5, rate_func=linear)
        best = int(t.metrics["min_line_errors"])
        verdict = f"最少也错 {best} 个，从未到 0" if best > 0 else "有直线一个不错"
        note = cjk(verdict, LABEL_SIZE, PALETTE.positive)
        note.next_to(sweep.c2p(360, n - 1), LEFT, buff=0).shift(0.1 * UP)
        self.play(Create(zero), FadeIn(note), run_time=0.8)

    def conclude(self) -> None:
        self.caption("XOR 线性不可分：\n单层感知机无论怎样学都无解")
        self.hold(2.5)


def last_distinct_lines(t, n: int) -> list[int]:
    """Indices of the last ``n`` updates whose lines differ and cross the view (for Fig_XORLayout)."""
    found, seen = [], set()
    for k in range(len(t["update_b"]) - 1, -1, -1):
        state = (*t["update_w"][k], float(t["update_b"][k]))
        if state not in seen and visible_segment(t["update_w"][k], float(t["update_b"][k])) is not None:
            seen.add(state)
            found.append(k)
        if len(found) == n:
            break
    return found


def epoch_span(epochs: Sequence[int]) -> str:
    """``第 100 轮`` or ``第 99–100 轮``: the epochs a set of updates fell in."""
    lo, hi = min(epochs), max(epochs)
    return f"第 {lo} 轮" if lo == hi else f"第 {lo}–{hi} 轮"
