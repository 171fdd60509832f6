"""Chapter 1 — 感知机: a line that learns AND, and cannot learn XOR.

Both scenes replay the perceptron traces update by update: the sample that
was misclassified, the rule applied with its real numbers, and the boundary
w·x + b = 0 moving to its new place.
"""

from __future__ import annotations

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
    ValueTracker,
    VGroup,
    VMobject,
    always_redraw,
    linear,
)

from scenes.common import PALETTE, BookScene, cjk, math, mono, speed_badge

VIEW = (-0.5, 1.5)  # data window of the input plane, both axes
PLANE_CENTER = np.array([-3.9, 0.1, 0])
PLANE_SIZE = 4.2

RULES_LEFT = np.array([-0.9, 0, 0])  # left edge of the right-hand panel
CHART_CENTER = np.array([2.2, -0.45, 0])
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
            ticks.add(mono(str(v), 20, PALETTE.muted).next_to(self.c2p(v, lo), DOWN, buff=0.1),
                      mono(str(v), 20, PALETTE.muted).next_to(self.c2p(lo, v), LEFT, buff=0.1))
        labels = VGroup(math("x_1", 30, PALETTE.muted).next_to(self.c2p(hi, lo), DOWN, buff=0.1).shift(0.2 * LEFT),
                        math("x_2", 30, PALETTE.muted).next_to(self.c2p(lo, hi), LEFT, buff=0.1).shift(0.2 * DOWN))
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
    swatch = Square(0.26, stroke_width=0, fill_color=PALETTE.positive, fill_opacity=0.3)
    items = [(glyph(1, ORIGIN), "类别 1"), (glyph(0, ORIGIN), "类别 0")] + [(swatch, "判为 1 的一侧")] * shading
    group = VGroup(*(VGroup(mark.scale(0.8), cjk(text, 22, PALETTE.muted)).arrange(RIGHT, buff=0.12)
                     for mark, text in items)).arrange(RIGHT, buff=0.45)
    return group.move_to(LEGEND_CENTER)


def sample_glyphs(plane: InputPlane, inputs: np.ndarray, labels: np.ndarray) -> VGroup:
    return VGroup(*(glyph(int(y), plane.c2p(*x)) for x, y in zip(inputs, labels)))


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
        mag = "" if abs(coef) == 1 else f"{abs(coef):g}"
        sign = "-" if coef < 0 else ("+" if terms else "")
        terms.append(f"{sign} {mag}{var}")
    if b != 0 or not terms:
        terms.append(f"{'-' if b < 0 else ('+' if terms else '')} {abs(b):g}")
    return " ".join(terms) + " = 0"


def boundary_note(plane: InputPlane, w: np.ndarray, b: float) -> VMobject:
    """Above the plane: the current boundary, or why there is none to see."""
    whole = "全部判为 1" if len(clip_halfplane(w, b)) == 4 else "全部判为 0"
    if not np.any(w != 0):
        note = cjk(f"w = 0：没有边界线，{whole}", 24, PALETTE.muted)
    else:
        eq = math(linear_tex(w, b), 30, PALETTE.learned)
        if visible_segment(w, b) is not None:
            note = VGroup(cjk("边界", 24, PALETTE.muted), eq).arrange(RIGHT, buff=0.2)
        else:
            note = VGroup(cjk("边界", 24, PALETTE.muted), eq, cjk("在画面外", 24, PALETTE.muted)
                          ).arrange(RIGHT, buff=0.2)
    return note.next_to(plane.frame, UP, buff=0.2)


def vec(v: np.ndarray) -> str:
    """A vector as the book prints it, ``[2, 1]``."""
    return "[" + r",\ ".join(f"{x:g}" for x in v) + "]"


def fmt(v: float) -> str:
    return f"{v:g}"


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
        rules = VGroup(*(math(t, 30) for t in RULE_TEX)).arrange(DOWN, aligned_edge=LEFT, buff=0.25)
        rules.to_edge(UP, buff=1.25).align_to(RULES_LEFT, LEFT)
        self.rules = rules
        self.counters = self.counter_lines(0, 0)
        self.play(FadeIn(rules[0]), run_time=0.8)
        self.play(FadeIn(rules[1]), FadeIn(self.counters), run_time=0.8)
        self.w, self.b = np.zeros(2), 0.0
        self.boundary = boundary(self.plane, self.w, self.b)
        self.note = boundary_note(self.plane, self.w, self.b)
        self.play(FadeIn(self.boundary), FadeIn(self.note), run_time=0.8)
        self.caption(caption)

    def counter_lines(self, epoch: int, mistakes: int) -> VGroup:
        return self.corner_panel([mono(f"epoch    {epoch:>3d}", 24), mono(f"错误更新 {mistakes:>3d}", 24)])

    def set_counters(self, epoch: int, mistakes: int) -> list:
        """Swap the counters at once (a morph between digits reads badly)."""
        new = self.counter_lines(epoch, mistakes)
        old, self.counters = self.counters, new
        return [FadeOut(old, run_time=0.01), FadeIn(new, run_time=0.01)]

    def update_equation(self, x: np.ndarray, y: int, y_hat: int, w_new: np.ndarray, b_new: float) -> VGroup:
        """The rule with this update's numbers substituted."""
        err = y - y_hat
        sample = math(rf"\mathbf x = {vec(x)},\; y = {y},\; \hat y = {y_hat}", 30)
        w_line = math(rf"\mathbf w = {vec(self.w)} {'+' if err > 0 else '-'} {vec(x)} = {vec(w_new)}", 30)
        b_line = math(rf"b = {fmt(self.b)} {'+' if err > 0 else '-'} 1 = {fmt(b_new)}", 30)
        return VGroup(sample, w_line, b_line).arrange(DOWN, aligned_edge=LEFT, buff=0.25).next_to(
            self.rules, DOWN, buff=0.5).align_to(self.rules, LEFT)

    def move_boundary(self, w_new: np.ndarray, b_new: float, run_time: float) -> list:
        new = boundary(self.plane, w_new, b_new)
        anims = []
        had_line, has_line = np.any(self.w != 0), np.any(w_new != 0)
        if had_line and has_line:
            anims.append(Transform(self.boundary, new))
        else:
            anims += [FadeOut(self.boundary), FadeIn(new)]
            self.boundary = new
        new_note = boundary_note(self.plane, w_new, b_new)
        anims += [FadeOut(self.note), FadeIn(new_note)]
        self.note = new_note
        self.w, self.b = w_new, b_new
        return anims

    def replay_update(self, k: int, detail: bool = True) -> None:
        """One misclassified sample: flash it, apply the rule, move the line."""
        t = self.trace(self.TRACES[0])
        i = int(t["update_sample"][k])
        w_new, b_new = t["update_w"][k], float(t["update_b"][k])
        point = self.points[i]
        ring = Circle(radius=0.32, color=PALETTE.error, stroke_width=4).move_to(point)
        anims = self.set_counters(int(t["update_epoch"][k]), int(t["update_mistakes"][k]))
        if detail:
            eq = self.update_equation(self.inputs[i], int(self.labels[i]), int(t["update_pred"][k]), w_new, b_new)
            old_eq = getattr(self, "equation", None)
            self.play(Create(ring), *([FadeOut(old_eq)] if old_eq else []), *anims, run_time=0.5)
            self.play(FadeIn(eq[0]), run_time=0.5)
            self.play(FadeIn(eq[1:]), run_time=0.6)
            self.equation = eq
            self.play(*self.move_boundary(w_new, b_new, 0.8), FadeOut(ring), run_time=0.8)
        else:
            self.play(Create(ring), *anims, run_time=0.3)
            self.play(*self.move_boundary(w_new, b_new, 0.4), FadeOut(ring), run_time=0.4)


class PerceptronLine(PerceptronScene):
    """AND: eleven corrections move the line until one epoch passes without a mistake."""

    TRACES = ("perceptron.and",)
    TITLE = "第1章 · 感知机学会 AND"

    def construct(self) -> None:
        self.show_data("AND：只有右上角 (1,1) 属于类别 1")
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
        epochs = int(t.metrics["epochs"])
        last = int(t["epoch_mistakes"][-1])
        self.play(*self.set_counters(epochs, int(t.metrics["mistakes"])), FadeOut(self.equation), run_time=0.6)
        self.play(*(Indicate(p, color=PALETTE.learned, scale_factor=1.3) for p in self.points), run_time=1.0)
        self.caption(f"第 {epochs} 轮：四个样本 {last} 次判错，收敛")

    def conclude(self) -> None:
        t = self.trace("perceptron.and")
        w, b = t["final_w"], float(t["final_b"])
        line_tex = math(rf"\mathbf w = {vec(w)},\; b = {fmt(b)}", 32, PALETTE.learned)
        line_tex.next_to(self.rules, DOWN, buff=0.5).align_to(self.rules, LEFT)
        on_line = [i for i, x in enumerate(self.inputs) if float(w @ x + b) == 0]
        self.play(FadeIn(line_tex), run_time=0.8)
        notes = VGroup()
        for i in on_line:
            x = self.inputs[i]
            value = rf"{fmt(w[0])}\cdot{fmt(x[0])} + {fmt(w[1])}\cdot{fmt(x[1])} {b:+g} = 0"
            notes.add(VGroup(cjk(f"({fmt(x[0])},{fmt(x[1])}) 正好在线上：", 26),
                             math(value, 30)).arrange(RIGHT, buff=0.15))
            self.play(Flash(self.points[i], color=PALETTE.highlight, flash_radius=0.4), run_time=0.8)
        notes.add(cjk("只因规则里是 ≥ 0，才判为 1", 26, PALETTE.muted))
        notes.arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(line_tex, DOWN, buff=0.4).align_to(line_tex, LEFT)
        self.play(FadeIn(notes), run_time=1.0)
        self.caption("学到的线压着 (1,1) 而过：\n靠等号划进正类，并非严格分开")
        self.hold(2.5)


class XORImpossible(PerceptronScene):
    """XOR: the same rule chases its tail for 100 epochs; no line gets all four right."""

    TRACES = ("perceptron.xor",)
    TITLE = "第1章 · 感知机解不了 XOR"
    DETAILED_EPOCHS = 2

    def construct(self) -> None:
        self.show_data("XOR：同一类的点在对角线两端")
        self.show_rule("同样的规则，同样从零出发")
        self.run_first_epochs()
        self.fast_forward()
        self.sweep_all_lines()
        self.conclude()

    def run_first_epochs(self) -> None:
        t = self.trace("perceptron.xor")
        detailed = np.flatnonzero(t["update_epoch"] <= self.DETAILED_EPOCHS)
        for n, k in enumerate(detailed):
            if n == 2:
                self.caption("修好一个点，就弄错另一个")
            self.replay_update(int(k))
        self.play(FadeOut(self.equation), run_time=0.5)

    def mistakes_chart(self) -> Axes:
        t = self.trace("perceptron.xor")
        epochs = len(t["epoch_mistakes"])
        top = int(np.ceil(t.metrics["mistakes"] / 100.0) * 100)
        return self.panel_chart([0, epochs, epochs // 4], [0, top, top // 4], "轮次", "累计错误更新")

    def panel_chart(self, x_range: list, y_range: list, x_label: str, y_label: str) -> Axes:
        """A small chart in the right-hand panel, below the rules."""
        chart = Axes(x_range=x_range, y_range=y_range, x_length=5.4, y_length=2.3, tips=False,
                     axis_config={"color": PALETTE.muted, "include_numbers": True, "font_size": 20})
        chart.move_to(CHART_CENTER)
        chart.add(cjk(x_label, 20, PALETTE.muted).next_to(chart.x_axis, RIGHT, buff=0.15).shift(0.25 * DOWN),
                  cjk(y_label, 20, PALETTE.muted).next_to(chart.y_axis, UP, buff=0.12).align_to(chart, LEFT))
        return chart

    def fast_forward(self) -> None:
        """Replay every remaining update quickly: the line keeps jumping, the count keeps rising."""
        t = self.trace("perceptron.xor")
        epochs, mistakes = t["update_epoch"], t["update_mistakes"]
        first = int(np.searchsorted(epochs, self.DETAILED_EPOCHS, side="right"))
        total = len(epochs)
        chart = self.mistakes_chart()
        self.play(Create(chart), run_time=1.0)
        self.caption("规则停不下来：权重在四个状态间打转")
        k = ValueTracker(first - 1)

        def curve() -> VMobject:
            n = int(k.get_value()) + 1
            return chart.plot_line_graph(np.r_[0, epochs[:n]], np.r_[0, mistakes[:n]], add_vertex_dots=False,
                                         line_color=PALETTE.error, stroke_width=4)

        def line() -> VGroup:
            i = int(k.get_value())
            return boundary(self.plane, t["update_w"][i], float(t["update_b"][i]))

        def counters() -> VGroup:
            i = int(k.get_value())
            return self.counter_lines(int(epochs[i]), int(mistakes[i]))

        live = [always_redraw(curve), always_redraw(line), always_redraw(counters)]
        seconds = 12.0
        badge = speed_badge(f"快进：{total - first} 次更新用 {seconds:g} 秒").next_to(chart, UP, buff=0.12)
        badge.align_to(chart, RIGHT)
        self.remove(self.counters)
        self.play(FadeOut(self.boundary), FadeOut(self.note), *(FadeIn(m) for m in live), FadeIn(badge), run_time=0.5)
        self.play(k.animate.set_value(total - 1), run_time=seconds, rate_func=linear)
        for mob in live:
            mob.clear_updaters()
        self.chart, self.curve, self.boundary, self.counters = chart, live[0], live[1], live[2]
        self.note = boundary_note(self.plane, t["update_w"][-1], float(t["update_b"][-1]))
        self.play(FadeOut(badge), FadeIn(self.note), run_time=0.5)
        self.caption(f"{int(epochs[-1])} 轮后仍未收敛，累计 {int(mistakes[-1])} 次错误更新")
        self.hold(1.0)

    def sweep_all_lines(self) -> None:
        """Every line's best try, from the trace's brute-force sweep over angles and offsets."""
        t = self.trace("perceptron.xor")
        angles, errors = t["sweep_angles"], t["sweep_min_errors"]
        sweep = self.panel_chart([0, 360, 90], [0, 4, 1], "法向角 °", "每个方向上最少判错几个点")
        graph = sweep.plot_line_graph(np.degrees(angles), errors, add_vertex_dots=False,
                                      line_color=PALETTE.learned, stroke_width=4)
        zero = DashedLine(sweep.c2p(0, 0), sweep.c2p(360, 0), color=PALETTE.positive, stroke_width=3)
        self.play(FadeOut(self.chart), FadeOut(self.curve), FadeIn(sweep), run_time=0.8)
        self.caption("换个问法：所有直线里，\n最好的那条错几个？")
        self.play(Create(graph), run_time=2.5, rate_func=linear)
        best = int(t.metrics["min_line_errors"])
        note = cjk(f"最少也错 {best} 个，从未到 0", 24, PALETTE.positive)
        note.next_to(sweep.c2p(360, 3), LEFT, buff=0).shift(0.1 * UP)
        self.play(Create(zero), FadeIn(note), run_time=0.8)

    def conclude(self) -> None:
        self.caption("XOR 线性不可分：\n单层感知机无论怎样学都无解")
        self.hold(2.5)


class Fig_XORLayout(PerceptronScene):
    """D01.1: the XOR layout, with lines the perceptron actually tried, each wrong somewhere."""

    TRACES = ("perceptron.xor",)
    TITLE = "图 1-1 · XOR 的四个点"

    def construct(self) -> None:
        t = self.trace("perceptron.xor")
        self.inputs, self.labels = t["inputs"], t["labels"]
        self.plane = InputPlane()
        self.add(self.plane, legend(shading=False), sample_glyphs(self.plane, self.inputs, self.labels))
        tried = VGroup()
        for n, k in enumerate(self.distinct_last_states(t, 2), start=1):
            w, b = t["update_w"][k], float(t["update_b"][k])
            low, high = sorted(visible_segment(w, b), key=lambda end: end[1])
            wrong = int(np.sum((self.inputs @ w + b >= 0).astype(int) != self.labels))
            line = DashedLine(self.plane.c2p(*low), self.plane.c2p(*high), color=PALETTE.muted, stroke_width=4)
            tag = cjk(f"线{n}", 22, PALETTE.muted).next_to(self.plane.c2p(*high), UP, buff=0.1)
            label = VGroup(cjk(f"线{n}", 24, PALETTE.muted), math(linear_tex(w, b), 28, PALETTE.muted),
                           cjk(f"错 {wrong} 个", 24, PALETTE.error))
            tried.add(VGroup(VGroup(line, tag), label.arrange(RIGHT, buff=0.2)))
        notes = VGroup(*(item[1] for item in tried)).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        heading = cjk("感知机第 100 轮里试过的两条线：", 26)
        block = VGroup(heading, notes).arrange(DOWN, aligned_edge=LEFT, buff=0.3)
        block.align_to(RULES_LEFT, LEFT).to_edge(UP, buff=1.4)
        self.add(*(item[0] for item in tried), block)
        self.caption("任何一条直线都没法把 × 和 ○\n分到两侧")
        self.hold(1.5)

    @staticmethod
    def distinct_last_states(t, n: int) -> list[int]:
        """Indices of the last ``n`` updates whose lines differ and cross the view."""
        found, seen = [], set()
        for k in range(len(t["update_b"]) - 1, -1, -1):
            state = (*t["update_w"][k], float(t["update_b"][k]))
            if state not in seen and visible_segment(t["update_w"][k], float(t["update_b"][k])) is not None:
                seen.add(state)
                found.append(k)
            if len(found) == n:
                break
        return found


class Fig_ANDLayout(PerceptronScene):
    """D01.2: the AND layout with the learned boundary, drawn where it really is."""

    TRACES = ("perceptron.and",)
    TITLE = "图 1-2 · AND 与学到的边界"

    def construct(self) -> None:
        t = self.trace("perceptron.and")
        self.inputs, self.labels = t["inputs"], t["labels"]
        w, b = t["final_w"], float(t["final_b"])
        self.plane = InputPlane()
        self.add(self.plane, legend(), boundary(self.plane, w, b),
                 sample_glyphs(self.plane, self.inputs, self.labels))
        eq = VGroup(cjk("边界", 26, PALETTE.muted), math(linear_tex(w, b), 32, PALETTE.learned)).arrange(RIGHT)
        on_line = [x for x in self.inputs if float(w @ x + b) == 0]
        notes = VGroup(eq)
        for x in on_line:
            notes.add(cjk(f"({fmt(x[0])},{fmt(x[1])}) 恰好落在线上", 26))
        notes.add(cjk("按 w·x + b ≥ 0 判为类别 1", 26, PALETTE.muted))
        notes.arrange(DOWN, aligned_edge=LEFT, buff=0.3).align_to(RULES_LEFT, LEFT).to_edge(UP, buff=1.4)
        self.add(notes)
        self.caption("右上角被单独划进正类，\n靠的是等号那一侧")
        self.hold(1.5)
