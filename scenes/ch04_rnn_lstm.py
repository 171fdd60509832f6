"""Chapter 4 — 循环网络与 LSTM: why a plain RNN forgets, and how the LSTM's carousel keeps the gradient alive.

Both scenes read the ``recurrent`` trace: the book's λ^k table, and autograd
measurements of ‖∂L/∂h_t‖ for a tanh RNN and an LSTM on a task whose loss at
the last of 60 steps asks for the first token. Curves are divided by their
own last-step value, so every one starts at 1 like λ^0; the screen says so.
The figure ``Fig_RNNvsLSTM`` redraws the book's diagram D04.1.
"""

from __future__ import annotations

from itertools import pairwise

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
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Flash,
    Indicate,
    Line,
    Rectangle,
    RoundedRectangle,
    Transform,
    ValueTracker,
    VGroup,
    VMobject,
    always_redraw,
    interpolate_color,
    linear,
)
from manim.utils.color import ManimColor

from scenes.common import PALETTE, SAFE, BookScene, LogAxes, cjk, decade_span, math, mono, sci, speed_badge

TRACE = "recurrent.default"

# --- shared layout: a time axis t = 0 … T-1 that the chain / belt chart and the log plot share -------------
AXIS_LEFT = -5.45  # x of t = 0
AXIS_LENGTH = 10.4  # t = 0 … T-1
CHART_BOTTOM = -1.95  # y of the charts' x axis: its tick labels stay clear of the caption band
RNN_COLOR = PALETTE.backward  # the RNN's dying gradient
LSTM_COLOR = PALETTE.learned  # the LSTM's surviving gradient
GATE_COLORS = {"f": PALETTE.learned, "i": PALETTE.forward, "o": PALETTE.highlight}
GATE_NAMES = {"f": "遗忘门", "i": "输入门", "o": "输出门"}


def relative(g: np.ndarray) -> np.ndarray:
    """A gradient curve divided by its last-step value (so it starts at 1, like λ^0)."""
    return g / g[-1]


def place_chart(chart: Axes, corner_y: float = CHART_BOTTOM) -> Axes:
    """Put the chart's origin (t = 0, bottom) at (AXIS_LEFT, corner_y)."""
    return chart.shift(np.array([AXIS_LEFT, corner_y, 0]) - chart.c2p(0, 0))


def steps_back_labels(chart: Axes, last: int, every: int = 10, size: float = 20) -> VGroup:
    """x tick labels in steps back k = last − t (0 at the loss on the right) and the axis name."""
    labels = VGroup()
    for k in range(0, last + 1, every):
        labels.add(mono(str(k), size, PALETTE.muted).next_to(chart.c2p(last - k, 0), DOWN, buff=0.12))
    name = cjk("← 往回 k 步", size, PALETTE.muted).next_to(chart.c2p(last, 0), RIGHT, buff=0.2)
    return VGroup(labels, name)


def log_gradient_chart(lo: int, hi: int, last: int, y_length: float, every: int) -> tuple[LogAxes, VGroup]:
    """The log₁₀ plot of relative gradient vs steps back, with its axis names."""
    chart = LogAxes([0, last, 10], (lo, hi), x_length=AXIS_LENGTH, y_length=y_length, label_every=every,
                    font_size=24, x_numbers=False)
    place_chart(chart)
    y_name = VGroup(math(r"\|\partial L/\partial h_t\|\,/\,\|\partial L/\partial h_T\|", 28, PALETTE.muted),
                    cjk("（各自除以最后一步的值，对数轴）", 20, PALETTE.muted)).arrange(RIGHT, buff=0.1)
    y_name.next_to(chart.c2p(0, hi - lo), UP, buff=0.12).align_to(chart.decade_labels, LEFT)
    return chart, VGroup(steps_back_labels(chart, last), y_name)


def legend_rows(items: list[tuple[VMobject, str]], size: float = 20) -> VGroup:
    return VGroup(*(VGroup(mark, cjk(text, size, PALETTE.text)).arrange(RIGHT, buff=0.15) for mark, text in items)
                  ).arrange(DOWN, aligned_edge=LEFT, buff=0.14)


def stroke(color: str, dashed: bool = False, width: float = 5) -> VMobject:
    line = Line(ORIGIN, 0.5 * RIGHT, color=color, stroke_width=width)
    return DashedVMobject(line, num_dashes=3) if dashed else line


# =============================================================================================================
class VanishingGradient(BookScene):
    """The RNN unrolled over 60 steps; the loss's gradient pulse shrinks ×≈0.6 per step on its way back."""

    TRACES = ("recurrent.default",)
    TITLE = "第4章 · RNN 的梯度消失"
    CHAIN_Y = 2.15
    SLOW_STEPS = 3

    def construct(self) -> None:
        self.load()
        self.unroll()
        self.forward()
        self.backward_pulse()
        self.compare_lambda()
        self.conclude()

    # --- data ---------------------------------------------------------------------------------------------
    def load(self) -> None:
        t = self.trace(TRACE)
        self.g = relative(t["rnn_grad_h_init"])
        self.last = len(self.g) - 1
        self.lambdas, self.ks, self.decay = t["lambdas"], t["ks"], t["decay"]
        lo, self.hi = decade_span(self.g, self.decay)
        self.lo = lo - lo % 2  # even decades, labelled every second one

    def x_of(self, step: float) -> float:
        return AXIS_LEFT + AXIS_LENGTH * step / self.last

    def frac(self, value: float) -> float:
        """Where a gradient sits between the chart's floor (0) and 1 (1): pulse size and glow, log scale."""
        return float(np.clip((np.log10(value) - self.lo) / -self.lo, 0, 1))

    # --- beats --------------------------------------------------------------------------------------------
    def unroll(self) -> None:
        y = self.CHAIN_Y
        side, tall = 0.12, 0.26
        self.link = Line([self.x_of(0), y, 0], [self.x_of(self.last), y, 0], color=PALETTE.muted, stroke_width=2)
        self.cells = VGroup(*(Rectangle(width=side, height=tall, stroke_color=PALETTE.muted, stroke_width=1.5,
                                        fill_color=PALETTE.background, fill_opacity=1).move_to([self.x_of(s), y, 0])
                              for s in range(self.last + 1)))
        self.loss = Circle(0.22, color=PALETTE.text, stroke_width=2.5).move_to([self.x_of(self.last) + 0.65, y, 0])
        loss_label = math("L", 30).move_to(self.loss)
        loss_link = Line(self.cells[-1].get_right(), self.loss.get_left(), color=PALETTE.muted, stroke_width=2)
        self.signal = Rectangle(width=side, height=side, stroke_width=0, fill_color=PALETTE.positive,
                                fill_opacity=1).next_to(self.cells[0], DOWN, buff=0.1)
        names = VGroup(
            VGroup(math("h_0", 26), cjk("读入第一个符号", 20, PALETTE.positive)).arrange(RIGHT, buff=0.15)
            .next_to(self.cells[0], UP, buff=0.18).align_to(self.cells[0], LEFT),
            VGroup(cjk("60 步共用同一个", 20, PALETTE.muted),
                   math("W_{hh}", 26, PALETTE.muted)).arrange(RIGHT, buff=0.1)
            .move_to([0, y + 0.42, 0]),
            VGroup(cjk("只在最后一步算损失", 20, PALETTE.muted), math("h_T", 26)).arrange(RIGHT, buff=0.15)
            .next_to(self.cells[-1], UP, buff=0.18).align_to(self.loss, RIGHT),
        )
        self.rule = math(r"h_t=\tanh\!\left(W_{hh}\,h_{t-1}+W_{xh}\,x_t+b\right)", 36).move_to([0, -0.2, 0])
        self.play(Create(self.link), FadeIn(self.cells, lag_ratio=0.02), run_time=1.6)
        self.play(FadeIn(names), FadeIn(self.rule), Create(loss_link), FadeIn(self.loss), FadeIn(loss_label),
                  run_time=1.0)
        self.chain_names = names
        self.caption("把 RNN 沿时间展开：\n60 步就是 60 层，每层同一个权重")
        self.hold(1.0)

    def forward(self) -> None:
        runner = Line(self.link.get_start(), self.loss.get_left(), color=PALETTE.forward, stroke_width=5)
        self.play(FadeIn(self.signal, shift=0.1 * UP), run_time=0.5)
        self.caption("任务：读完 60 个符号，\n在最后一步说出第一个是什么")
        self.play(Create(runner), run_time=1.5, rate_func=linear)
        self.play(FadeOut(runner), Indicate(self.loss, color=PALETTE.forward), run_time=0.6)

    def backward_pulse(self) -> None:
        chart, names = log_gradient_chart(self.lo, self.hi, self.last, 3.1, 2)
        self.chart = chart
        product = math(r"\frac{\partial L}{\partial h_t}=\frac{\partial L}{\partial h_T}"
                       r"\prod_{k=t+1}^{T}\frac{\partial h_k}{\partial h_{k-1}}", 30)
        product.next_to(chart.lp(self.last, 10.0 ** 1.5), UP, buff=0).align_to(chart.lp(self.last - 3, 1), RIGHT)
        self.product = product
        self.play(FadeOut(self.rule), Create(chart), FadeIn(names), run_time=1.2)
        self.play(FadeIn(product), run_time=0.8)
        self.caption("误差从最后一步往回传，\n每过一步都要乘一次 Wᵀ·tanh′")

        k = ValueTracker(0.0)
        g, last = self.g, self.last

        def value_at(kk: float) -> float:  # log-interpolated between steps
            i = int(np.floor(kk))
            j = min(i + 1, last)
            a = kk - i
            return float(10 ** ((1 - a) * np.log10(g[last - i]) + a * np.log10(g[last - j])))

        def pulse() -> VMobject:
            kk = k.get_value()
            f = self.frac(value_at(kk))
            return Dot([self.x_of(last - kk), self.CHAIN_Y, 0], radius=0.03 + 0.22 * f, color=RNN_COLOR,
                       fill_opacity=0.15 + 0.85 * f)

        def curve() -> VMobject:
            n = int(np.floor(k.get_value()))
            steps = np.arange(last - n, last + 1)
            if n < 1:
                return VMobject()
            return chart.log_graph(steps, g[steps], RNN_COLOR, stroke_width=5)

        def counters() -> VGroup:
            n = round(k.get_value())
            return self.corner_panel([mono(f"往回 k = {n:2d} 步", 22),
                                      mono(f"相对梯度 {sci(g[last - n])}", 22, RNN_COLOR)])

        def glow(cells: VGroup) -> None:
            n = int(np.floor(k.get_value()))
            for s, cell in enumerate(cells):
                reached = last - s <= n
                shade = self.frac(g[s]) ** 1.5 if reached else 0.0
                cell.set_fill(interpolate_color(ManimColor(PALETTE.background), ManimColor(RNN_COLOR), shade), 1)

        self.cells.add_updater(glow)
        live = [always_redraw(curve), always_redraw(pulse), always_redraw(counters)]
        self.add(*live)
        factor = None
        for step in range(1, self.SLOW_STEPS + 1):
            ratio = g[last - step] / g[last - step + 1]
            note = VGroup(math(r"\times", 26, RNN_COLOR), mono(f"{ratio:.2f}", 22, RNN_COLOR)).arrange(RIGHT, buff=0.06)
            note.move_to([self.x_of(last - step + 0.5), self.CHAIN_Y - 0.42, 0])
            anims = [FadeIn(note)] + ([FadeOut(factor)] if factor else [])
            self.play(k.animate.set_value(step), *anims, run_time=0.9, rate_func=linear)
            factor = note
        seconds = 8.0
        badge = speed_badge(f"其余 {last - self.SLOW_STEPS} 步加速：每秒 {(last - self.SLOW_STEPS) / seconds:.0f} 步")
        badge.move_to([2.2, self.title_mob.get_center()[1], 0])
        self.play(FadeOut(factor), FadeIn(badge), run_time=0.5)
        self.play(k.animate.set_value(last), run_time=seconds, rate_func=linear)
        self.cells.clear_updaters()
        for mob in live:
            mob.clear_updaters()
        self.curve, self.pulse = live[0], live[1]
        self.play(FadeOut(badge), run_time=0.5)
        self.caption(f"{last} 步外只剩 {sci(g[0])}：\n脉冲还没到开头就没了")
        self.hold(0.8)

    def compare_lambda(self) -> None:
        chart, last = self.chart, self.last
        curves, labels = VGroup(), VGroup()
        for lam, row in zip(self.lambdas, self.decay):
            steps = last - self.ks
            curves.add(DashedVMobject(chart.log_graph(steps, row, PALETTE.muted, stroke_width=3), num_dashes=40))
            if lam >= 1:  # λ < 1 is named beside its printed value below, clear of the RNN curve
                labels.add(math(rf"\lambda={lam:.1f}", 26, PALETTE.muted).next_to(chart.lp(steps[-1], row[-1]), LEFT,
                                                                                     buff=0.2))
        t = self.trace(TRACE)
        marks = VGroup()  # the values the book prints: λ = 0.6 at k = 20 and 50, λ = 1.3 at k = 50
        for lam_row, lam in enumerate(self.lambdas):
            for col, k in enumerate(t["book_horizons"]):
                value = float(t["book_decay"][lam_row, col])
                if (lam < 1 and k >= 20) or (lam > 1 and k == self.ks[-1]):
                    at = chart.lp(last - k, value)
                    text = mono(sci(value), 20, PALETTE.text)
                    if lam < 1 and k == self.ks[-1]:
                        text = VGroup(math(rf"\lambda={lam:.1f}", 26, PALETTE.muted), text).arrange(RIGHT, buff=0.2)
                    text.next_to(at, DOWN + RIGHT if lam < 1 else DOWN, buff=0.1)
                    marks.add(VGroup(Dot(at, radius=0.05, color=PALETTE.text), text))
        legend = legend_rows([(stroke(RNN_COLOR), "RNN 实测（初始化时）"),
                              (stroke(PALETTE.muted, dashed=True), "书中的 λᵏ")])
        legend.next_to(chart.lp(last, 10.0 ** self.lo), UP + LEFT, buff=0.25)
        self.play(FadeOut(self.product), run_time=0.5)
        self.play(Create(curves), FadeIn(labels), run_time=2.0)
        self.play(FadeIn(marks), FadeIn(legend), run_time=1.0)
        lam_fit = t.metrics["effective_lambda_h"]["rnn_init"]
        self.caption(f"实测每步约 ×{lam_fit:.2f}，\n几乎贴着书里 λ = 0.6 的线")
        self.hold(1.5)

    def conclude(self) -> None:
        at = self.chart.lp(0, self.g[0])
        ring = Circle(0.12, color=PALETTE.highlight, stroke_width=4).move_to(at)
        value = mono(sci(self.g[0]), 22, RNN_COLOR).next_to(at, UP, buff=0.3).align_to(at + 0.2 * RIGHT, LEFT)
        self.play(Create(ring), FadeIn(value), Flash(self.cells[0], color=PALETTE.positive, flash_radius=0.25),
                  run_time=0.8)
        self.caption("开头收不到误差信号：\nRNN 学不到长程依赖")
        self.hold(2.5)



# =============================================================================================================
class LSTMConveyor(BookScene):
    """The cell state as a conveyor belt with three valves; the LSTM's gradient survives where the RNN's died."""

    TRACES = ("recurrent.default",)
    TITLE = "第4章 · LSTM 的传送带与三道门"
    BELT_Y = 2.2
    BELT_H = 0.44
    BELT_X = (-6.35, 6.35)
    FORGET_X = -2.6
    PLUS_X = 0.5
    OUT_X = 2.8
    PIPE_W = 0.5
    PIPE_BOTTOM = 1.1
    VALVE_Y = 1.54
    PLATE = 0.28  # valve plate thickness, and how far the housing reaches past the channel
    SPACING = 0.55  # belt chevrons
    PLAY_SECONDS = 12.0
    CHART_HEIGHT = 2.2

    def construct(self) -> None:
        self.load()
        self.build_belt()
        self.show_valves()
        self.play_sequence()
        self.carousel_gradient()
        self.compare_gradients()
        self.conclude()

    def load(self) -> None:
        t = self.trace(TRACE)
        self.gates = {k: t[f"lstm_unit_{k}"] for k in "fioghc"}
        self.last = len(self.gates["f"]) - 1
        self.unit = int(t["lstm_unit"])
        self.tokens = t["example_tokens"]
        self.n_symbols = round(1 / t.metrics["chance_accuracy"])
        self.clock = ValueTracker(0.0)

    def step(self) -> int:
        return int(np.clip(np.floor(self.clock.get_value()), 0, self.last))

    # --- the belt and its valves ----------------------------------------------------------------------------
    def build_belt(self) -> None:
        x0, x1 = self.BELT_X
        y, h = self.BELT_Y, self.BELT_H
        belt = Rectangle(width=x1 - x0, height=h, stroke_color=PALETTE.forward, stroke_width=2,
                         fill_color=PALETTE.forward, fill_opacity=0.18).move_to([(x0 + x1) / 2, y, 0])
        chevrons = always_redraw(self.chevrons)
        plus = VGroup(Circle(0.22, color=PALETTE.text, stroke_width=3, fill_color=PALETTE.background, fill_opacity=1),
                      math("+", 34)).move_to([self.PLUS_X, y, 0])
        start = math("c_{t-1}", 30, PALETTE.forward).next_to([x0, y + h / 2, 0], UP, buff=0.1)
        start.align_to([x0, 0, 0], LEFT)
        end = math("c_t", 30, PALETTE.forward).next_to([x1, y + h / 2, 0], UP, buff=0.1).align_to([x1, 0, 0], RIGHT)
        name = cjk("细胞状态 c：一条传送带", 22, PALETTE.forward).next_to(belt, DOWN, buff=0.12).align_to(belt, LEFT)
        self.rule = math(r"c_t=f_t\odot c_{t-1}+i_t\odot g_t", 32).move_to([-4.4, 1.15, 0])
        self.play(FadeIn(belt), FadeIn(chevrons), FadeIn(start), FadeIn(end), FadeIn(name), run_time=1.0)
        self.play(FadeIn(plus), FadeIn(self.rule), run_time=0.8)
        self.caption("LSTM 多了一条细胞状态 c：\n靠加法更新的传送带")
        self.play(self.clock.animate.set_value(2), run_time=1.5, rate_func=linear)
        self.clock.set_value(0)
        self.belt, self.chevrons, self.plus = belt, chevrons, plus

    def chevrons(self) -> VGroup:
        x0, x1 = self.BELT_X
        offset = (self.clock.get_value() * self.SPACING) % self.SPACING
        marks = VGroup()
        d = 0.09
        for x in np.arange(x0 + 0.2 + offset, x1 - 0.15, self.SPACING):
            p = np.array([x, self.BELT_Y, 0])
            marks.add(VMobject(stroke_color=PALETTE.forward, stroke_width=3, stroke_opacity=0.8)
                      .set_points_as_corners([p + d * (LEFT + UP), p, p + d * (LEFT + DOWN)]))
        return marks

    def valve(self, gate: str) -> VGroup:
        """Two plates in a housing; the open gap between them (in the gate's colour) is the gate's value now."""
        value = float(self.gates[gate][self.step()])
        plate = {"stroke_color": PALETTE.muted, "stroke_width": 1.5, "fill_color": PALETTE.grid, "fill_opacity": 1}
        over, thick = self.PLATE, self.PLATE
        along_belt = gate == "f"  # the forget valve pinches the belt; the others pinch a vertical pipe
        span = self.BELT_H if along_belt else self.PIPE_W
        reach = over + (1 - value) * span / 2
        if along_belt:
            c = np.array([self.FORGET_X, self.BELT_Y, 0])
            a = Rectangle(width=thick, height=reach, **plate).move_to(c + (span / 2 + over - reach / 2) * UP)
            b = Rectangle(width=thick, height=reach, **plate).move_to(c + (span / 2 + over - reach / 2) * DOWN)
            gap = Rectangle(width=thick, height=max(value * span, 1e-3), stroke_width=0, fill_opacity=1)
        else:
            c = np.array([self.PLUS_X if gate == "i" else self.OUT_X, self.VALVE_Y, 0])
            a = Rectangle(width=reach, height=thick, **plate).move_to(c + (span / 2 + over - reach / 2) * LEFT)
            b = Rectangle(width=reach, height=thick, **plate).move_to(c + (span / 2 + over - reach / 2) * RIGHT)
            gap = Rectangle(width=max(value * span, 1e-3), height=thick, stroke_width=0, fill_opacity=1)
        gap.set_fill(GATE_COLORS[gate], 0.9).move_to(c)
        return VGroup(gap, a, b)

    def gate_label(self, gate: str) -> VGroup:
        value = float(self.gates[gate][self.step()])
        label = VGroup(cjk(GATE_NAMES[gate], 22), math(gate, 30, GATE_COLORS[gate]),
                       mono(f"{value:.2f}", 22, GATE_COLORS[gate])).arrange(RIGHT, buff=0.12)
        if gate == "f":
            return label.next_to([self.FORGET_X, self.BELT_Y + self.BELT_H / 2 + self.PLATE, 0], UP, buff=0.1)
        side = LEFT if gate == "i" else RIGHT
        x = self.PLUS_X if gate == "i" else self.OUT_X
        return label.next_to([x, self.VALVE_Y, 0] + (self.PIPE_W / 2 + self.PLATE) * side, side, buff=0.15)

    def readouts(self) -> VGroup:
        s = self.step()
        x1 = self.BELT_X[1]
        c = mono(f"c = {self.gates['c'][s]:+.2f}", 22, PALETTE.forward)
        c.next_to([x1 - 0.6, self.BELT_Y + self.BELT_H / 2, 0], UP, buff=0.1).align_to([x1 - 0.6, 0, 0], RIGHT)
        g = mono(f"g = {self.gates['g'][s]:+.2f}", 22).next_to([self.PLUS_X, self.PIPE_BOTTOM, 0], DOWN, buff=0.1)
        h = mono(f"h = {self.gates['h'][s]:+.2f}", 22).next_to([self.OUT_X, self.PIPE_BOTTOM, 0], DOWN, buff=0.1)
        return VGroup(c, g, h)

    def pipes(self) -> VGroup:
        pipes = VGroup()
        top = self.BELT_Y - self.BELT_H / 2
        for x in (self.PLUS_X, self.OUT_X):
            pipes.add(Rectangle(width=self.PIPE_W, height=top - self.PIPE_BOTTOM, stroke_color=PALETTE.muted,
                                stroke_width=2, fill_color=PALETTE.muted, fill_opacity=0.12)
                      .move_to([x, (top + self.PIPE_BOTTOM) / 2, 0]))
        flow = VGroup(math(r"\uparrow", 28, PALETTE.muted).move_to([self.PLUS_X, self.PIPE_BOTTOM + 0.17, 0]),
                      math(r"\downarrow", 28, PALETTE.muted).move_to([self.OUT_X, self.PIPE_BOTTOM + 0.17, 0]))
        out_rule = math(r"h_t=o_t\odot\tanh(c_t)", 30).next_to([self.OUT_X + 0.7, self.PIPE_BOTTOM - 0.25, 0], RIGHT,
                                                                 buff=0.2)
        return VGroup(pipes, flow, out_rule)

    def show_valves(self) -> None:
        self.play(FadeIn(self.pipes()), run_time=0.8)
        valves = [always_redraw(lambda g=g: self.valve(g)) for g in "fio"]
        labels = [always_redraw(lambda g=g: self.gate_label(g)) for g in "fio"]
        readouts = always_redraw(self.readouts)
        self.add(self.plus)  # keep the junction above the chevrons
        for valve, label in zip(valves, labels):
            self.play(FadeIn(valve), FadeIn(label), run_time=0.7)
        self.play(FadeIn(readouts), run_time=0.5)
        self.caption("三道门是 0 到 1 的阀门：\n擦掉多少、写入多少、读出多少")
        self.hold(1.2)

    # --- replay one sequence ----------------------------------------------------------------------------------
    def gate_chart(self) -> Axes:
        chart = Axes(x_range=[0, self.last, 10], y_range=[0, 1, 0.5], x_length=AXIS_LENGTH,
                     y_length=self.CHART_HEIGHT, tips=False, axis_config={"color": PALETTE.muted, "stroke_width": 2},
                     x_axis_config={"include_numbers": True, "font_size": 24},
                     y_axis_config={"include_numbers": True, "font_size": 24,
                                    "decimal_number_config": {"num_decimal_places": 1}})
        place_chart(chart)
        name = cjk(f"训练后第 {self.unit} 号单元读一条序列：三道门的开度", 20, PALETTE.muted)
        name.next_to(chart.c2p(0, 1), UP, buff=0.15).align_to(chart, LEFT)
        chart.add(name, cjk("时间步 t", 20, PALETTE.muted).next_to(chart.c2p(self.last, 0), RIGHT, buff=0.2))
        return chart

    def counters(self) -> VGroup:
        s = self.step()
        token = int(self.tokens[s])
        signal = token < self.n_symbols
        return self.corner_panel([mono(f"t = {s:2d} / {self.last}", 22),
                                  mono(f"x_t = {token}（{'信号' if signal else '干扰'}）", 22,
                                       PALETTE.positive if signal else PALETTE.muted)])

    def play_sequence(self) -> None:
        chart = self.gate_chart()
        self.chart = chart

        def traces() -> VGroup:
            s = self.step()
            lines = VGroup()
            if s < 1:
                return lines
            steps = np.arange(s + 1)
            for gate in "fio":
                lines.add(chart.plot_line_graph(steps, self.gates[gate][: s + 1], add_vertex_dots=False,
                                                line_color=GATE_COLORS[gate], stroke_width=4)["line_graph"])
            return lines

        curves = always_redraw(traces)
        counters = always_redraw(self.counters)
        self.play(Create(chart), FadeIn(counters), run_time=1.0)
        self.add(curves)
        self.caption("训练好的 LSTM 读一条序列：\n第一个符号要一直记到最后")
        badge = speed_badge(f"{self.last + 1} 步用 {self.PLAY_SECONDS:g} 秒")
        badge.move_to(chart.c2p(self.last, 0.75)).align_to(chart.c2p(self.last, 0), RIGHT)  # between f and i
        self.play(FadeIn(badge), run_time=0.5)
        half = self.PLAY_SECONDS / 2
        self.play(self.clock.animate.set_value(self.last / 2), run_time=half, rate_func=linear)
        mean_f, mean_i = float(self.gates["f"][1:].mean()), float(self.gates["i"][1:].mean())
        self.caption(f"遗忘门几乎全开，f 平均 {mean_f:.2f}；\n输入门也半开（{mean_i:.2f}），c 一路漂移")
        self.play(self.clock.animate.set_value(self.last + 0.999), run_time=half - 0.6, rate_func=linear)
        for mob in (curves, counters):
            mob.clear_updaters()
        end = VGroup(*(math(g, 28, GATE_COLORS[g]).next_to(chart.c2p(self.last, float(self.gates[g][-1])), RIGHT,
                                                             buff=0.12) for g in "fio"))
        t = self.trace(TRACE)
        label = int(t["example_label"])
        p = float(t["lstm_example_probs"][label])
        self.play(FadeOut(badge), FadeIn(end), run_time=0.5)
        self.caption(f"读完 {self.last + 1} 步，LSTM 答出第一个符号是 {label}\n（概率 {p:.4f}）")
        self.hold(1.0)
        self.gate_curves, self.gate_ends, self.counters_mob = curves, end, counters

    # --- the gradient along the belt ------------------------------------------------------------------------
    def carousel_gradient(self) -> None:
        t = self.trace(TRACE)
        carousel = t["lstm_unit_carousel"]
        chart, last = self.chart, self.last
        rule = math(r"\partial c_T/\partial c_t=\textstyle\prod_{k>t} f_k", 32).move_to(self.rule)
        back = ValueTracker(0.0)

        def curve() -> VMobject:
            n = int(back.get_value())
            if n < 1:
                return VMobject()
            steps = np.arange(last - n, last + 1)
            return chart.plot_line_graph(steps, carousel[steps], add_vertex_dots=False, line_color=PALETTE.backward,
                                         stroke_width=5)["line_graph"]

        def pulses() -> VGroup:  # red marks running back along the belt, through the forget valve
            x0, x1 = self.BELT_X
            offset = (back.get_value() * self.SPACING) % self.SPACING
            group = VGroup()
            for x in np.arange(x1 - 0.3 - offset, x0 + 0.1, -2 * self.SPACING):
                group.add(Dot([x, self.BELT_Y, 0], radius=0.07, color=PALETTE.backward))
            return group

        live = [always_redraw(curve), always_redraw(pulses)]
        self.play(Transform(self.rule, rule), self.gate_curves[1:].animate.set_stroke(opacity=0.3),
                  self.gate_ends[1:].animate.set_opacity(0.3),
                  run_time=0.8)
        self.add(*live)
        self.caption("误差沿传送带往回走，\n每步只乘一个 f")
        self.play(back.animate.set_value(last), run_time=4.0, rate_func=linear)
        for mob in live:
            mob.clear_updaters()
        at = chart.c2p(0, float(carousel[0]))
        dot = Dot(at, radius=0.06, color=PALETTE.backward)
        note = mono(f"{carousel[0]:.2f}", 22, PALETTE.backward).next_to(at, UP + RIGHT, buff=0.06).shift(0.1 * RIGHT)
        self.play(FadeOut(live[1]), FadeIn(dot), FadeIn(note), Flash(at, color=PALETTE.backward, flash_radius=0.25),
                  run_time=0.8)
        rnn_far = relative(t["rnn_grad_h_init"])[0]
        self.caption(f"{last} 步后还剩 {carousel[0]:.2f}；\nRNN（初始化时）只剩 {sci(rnn_far)}")
        self.hold(1.2)
        self.carousel_mobs = VGroup(live[0], dot, note)

    def compare_gradients(self) -> None:
        t = self.trace(TRACE)
        rnn, lstm = relative(t["rnn_grad_h_init"]), relative(t["lstm_grad_h_init"])
        last = self.last
        lo, _ = decade_span(rnn, lstm)
        lo -= lo % 2
        chart, names = log_gradient_chart(lo, 0, last, self.CHART_HEIGHT, 2)
        self.play(FadeOut(self.chart), FadeOut(self.gate_curves), FadeOut(self.gate_ends), FadeOut(self.carousel_mobs),
                  run_time=0.6)
        self.play(Create(chart), FadeIn(names), run_time=1.0)
        self.caption("回到初始化时实测梯度：\nRNN 与 LSTM 同画一张对数图")
        back = ValueTracker(1.0)

        def curves() -> VGroup:
            n = int(back.get_value())
            steps = np.arange(last - n, last + 1)
            return VGroup(chart.log_graph(steps, rnn[steps], RNN_COLOR, stroke_width=5),
                          chart.log_graph(steps, lstm[steps], LSTM_COLOR, stroke_width=5))

        live = always_redraw(curves)
        self.add(live)
        self.play(back.animate.set_value(last), run_time=3.5, rate_func=linear)
        live.clear_updaters()
        ends = VGroup(
            mono(sci(lstm[0]), 22, LSTM_COLOR).next_to(chart.lp(0, lstm[0]), DOWN, buff=0.15)
            .align_to(chart.lp(0, lstm[0]) + 0.2 * RIGHT, LEFT),
            mono(sci(rnn[0]), 22, RNN_COLOR).next_to(chart.lp(0, rnn[0]), UP, buff=0.3)
            .align_to(chart.lp(0, rnn[0]) + 0.2 * RIGHT, LEFT),
        )
        legend = legend_rows([(stroke(LSTM_COLOR), "LSTM（初始化时）"), (stroke(RNN_COLOR), "RNN（初始化时）")], 22)
        legend.next_to(chart.lp(last, 10.0 ** lo), UP + LEFT, buff=0.2)
        self.play(FadeIn(ends), FadeIn(legend), run_time=0.8)
        self.caption(f"同样往回 {last} 步：LSTM 的梯度还活着，\nRNN 的已经消失")
        self.hold(1.2)

    def conclude(self) -> None:
        m = self.trace(TRACE).metrics
        rel = m["rel_grad_h_t0"]
        self.caption(f"训练后差距更大（相对末步）：\nLSTM {sci(rel['lstm_trained'])}，RNN {sci(rel['rnn_trained'])}")
        self.hold(2.0)
        acc = {net: m[f"{net}_eval_trained"]["acc"] for net in ("lstm", "rnn")}
        self.caption(f"训练后准确率：LSTM {acc['lstm']:.0%}，\n"
                     f"RNN {acc['rnn']:.0%}，接近瞎猜的 {m['chance_accuracy']:.0%}")
        self.hold(2.5)


# =============================================================================================================
def mixed(*parts: str, size: float = 24, color: str | None = None) -> VGroup:
    """A line of Chinese and formula pieces: parts written ``$…$`` are MathTex, the rest CJK text."""
    mobs = [math(p[1:-1], size * 1.3, color) if p.startswith("$") else cjk(p, size, color) for p in parts]
    return VGroup(*mobs).arrange(RIGHT, buff=0.1, aligned_edge=DOWN)


class Fig_RNNvsLSTM(BookScene):
    """Diagram D04.1: the RNN's ×W chain with shrinking gradient arrows over the LSTM's additive belt."""

    TITLE = "图 4-1 · 朴素 RNN 与 LSTM"
    XS = (-5.2, -2.6, 0.0, 2.6, 5.2)  # node columns: 0, 1, 2, …, T

    def construct(self) -> None:
        self.add(self.rnn_lane(), Line([-6.7, 0.2, 0], [6.7, 0.2, 0], color=PALETTE.grid, stroke_width=2),
                 self.lstm_lane())
        self.wait(0.1)

    @staticmethod
    def node_names(letter: str) -> list[str]:
        return [f"{letter}_0", f"{letter}_1", f"{letter}_2", r"\cdots", f"{letter}_T"]

    def rnn_lane(self) -> VGroup:
        head = mixed("朴素 RNN", size=26, color=PALETTE.text)
        sub = mixed("（记忆每步被矩阵乘碾过，梯度 ~ ", "$\\lambda^k$", " 指数衰减）", size=22, color=PALETTE.muted)
        caption = VGroup(head, sub).arrange(RIGHT, buff=0.15).move_to([0, 2.7, 0]).to_edge(LEFT, buff=SAFE)
        y = 1.85
        nodes = VGroup()
        for x, name in zip(self.XS, self.node_names("h")):
            if name == r"\cdots":
                nodes.add(math(name, 36, PALETTE.muted).move_to([x, y, 0]))
            else:
                node = VGroup(Circle(0.34, color=PALETTE.forward, stroke_width=3), math(name, 30))
                nodes.add(node.move_to([x, y, 0]))
        links = VGroup()
        for a, b in pairwise(nodes):
            start, end = a.get_right() + 0.08 * RIGHT, b.get_left() + 0.08 * LEFT
            mid = (start + end) / 2
            box = VGroup(RoundedRectangle(corner_radius=0.08, width=0.8, height=0.44, color=PALETTE.muted,
                                          stroke_width=2, fill_color=PALETTE.background, fill_opacity=1),
                         math(r"\times W", 26)).move_to(mid)
            links.add(Line(start, box.get_left(), color=PALETTE.forward, stroke_width=3),
                      Line(box.get_right(), end, color=PALETTE.forward, stroke_width=3).add_tip(tip_length=0.16),
                      box)
        # the error travelling back: each hop multiplied by W·tanh′, so each arrow is fainter and thinner
        grads = VGroup()
        gy = 1.1
        for n, (a, b) in enumerate(zip(self.XS[1:][::-1], self.XS[:-1][::-1])):
            scale = 0.45 ** n
            arrow = Line([a - 0.35, gy, 0], [b + 0.35, gy, 0], color=RNN_COLOR, stroke_width=2 + 10 * scale,
                         stroke_opacity=0.25 + 0.75 * scale).add_tip(tip_length=0.12 + 0.14 * scale)
            grads.add(arrow)
        zero = math(r"\approx 0", 28, RNN_COLOR).next_to([self.XS[0] - 0.35, gy, 0], LEFT, buff=0.1)
        grad_name = cjk("误差", 20, RNN_COLOR).next_to([self.XS[-1] - 0.35, gy, 0], RIGHT, buff=0.12)
        note = mixed("误差反传时每步乘 ", "$W\\cdot\\tanh'$", "，", "$|\\lambda|<1$", " 则到 ", "$h_0$",
                     " 时已衰减为 ~0", size=22, color=PALETTE.muted).move_to([0, 0.58, 0])
        return VGroup(caption, links, nodes, grads, zero, grad_name, note)

    def lstm_lane(self) -> VGroup:
        head = mixed("LSTM", size=26, color=PALETTE.text)
        sub = mixed("（细胞状态走加法高速路 CEC，遗忘门≈1 时梯度≈1 不衰减）", size=22, color=PALETTE.muted)
        caption = VGroup(head, sub).arrange(RIGHT, buff=0.15).move_to([0, -0.2, 0]).to_edge(LEFT, buff=SAFE)
        y = -1.55
        belt = Rectangle(width=self.XS[-1] - self.XS[0] + 0.3, height=0.5, stroke_width=0, fill_color=PALETTE.forward,
                         fill_opacity=0.15).move_to([0, y, 0])
        nodes = VGroup()
        for x, name in zip(self.XS, self.node_names("c")):
            if name == r"\cdots":
                nodes.add(math(name, 36, PALETTE.muted).move_to([x, y, 0]))
            else:
                nodes.add(VGroup(Circle(0.34, color=PALETTE.forward, stroke_width=3, fill_color=PALETTE.background,
                                        fill_opacity=1), math(name, 30)).move_to([x, y, 0]))
        links, gates = VGroup(), VGroup()
        for a, b in pairwise(nodes):
            start, end = a.get_right() + 0.08 * RIGHT, b.get_left() + 0.08 * LEFT
            mid = (start + end) / 2
            plus = VGroup(Circle(0.22, color=PALETTE.text, stroke_width=3, fill_color=PALETTE.background,
                                 fill_opacity=1), math("+", 32)).move_to(mid)
            links.add(Line(start, plus.get_left(), color=PALETTE.forward, stroke_width=3),
                      Line(plus.get_right(), end, color=PALETTE.forward, stroke_width=3).add_tip(tip_length=0.16), plus)
            arrow = Line(mid + 0.95 * DOWN, plus.get_bottom(), color=PALETTE.learned, stroke_width=3).add_tip(
                tip_length=0.14)
            gates.add(arrow, math("f,\\,i", 26, PALETTE.learned).next_to(arrow, DOWN, buff=0.06))
        hs = VGroup(*(math(name, 30, PALETTE.muted).move_to([x, y - 1.2, 0])
                      for x, name in zip(self.XS, self.node_names("h"))))
        grads = VGroup()
        gy = y + 0.62
        for a, b in zip(self.XS[1:][::-1], self.XS[:-1][::-1]):
            grads.add(Line([a - 0.35, gy, 0], [b + 0.35, gy, 0], color=LSTM_COLOR, stroke_width=8).add_tip(
                tip_length=0.22))
        grad_name = cjk("误差", 20, LSTM_COLOR).next_to([self.XS[-1] - 0.35, gy, 0], RIGHT, buff=0.12)
        one = math(r"\approx 1", 28, LSTM_COLOR).next_to([self.XS[0] - 0.35, gy, 0], LEFT, buff=0.1)
        note = VGroup(cjk("加法通路：梯度恒定", 22, LSTM_COLOR), cjk("门只调节流量，不反复相乘碾压", 22, PALETTE.muted)
                      ).arrange(RIGHT, buff=0.5).move_to([0, -3.4, 0])
        return VGroup(caption, belt, links, nodes, gates, hs, grads, grad_name, one, note)
