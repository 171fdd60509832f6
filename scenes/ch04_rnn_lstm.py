"""Chapter 4 — 循环网络与 LSTM: why a plain RNN forgets, and how the LSTM's carousel keeps the gradient alive.

Both scenes read the ``recurrent`` trace: the book's λ^k table, and autograd
measurements of ‖∂L/∂h_t‖ for a tanh RNN and an LSTM on a task whose loss at
the last of ``seq_len`` steps asks for the first token. Curves are divided by
their own last-step value, so every one starts at 1 like λ^0; the screen says
so. Every length, ratio, gate value and wording on screen follows the trace, so
``--set recurrent.seq_len=40`` shows a 40-step story. The diagram D04.1 is in
``ch04_rnn_lstm_figures.py``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from manim import (
    DOWN,
    LEFT,
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
    Mobject,
    Rectangle,
    Succession,
    Transform,
    ValueTracker,
    VGroup,
    VMobject,
    interpolate_color,
    linear,
)
from manim.utils.color import ManimColor

from scenes.kit.base import BookScene
from scenes.kit.charts import LogAxes, decade_span, labelled_decades, nice_step, polyline
from scenes.kit.counters import CounterPanel, redraw_on_change, scrub
from scenes.kit.legends import legend_column, swatch
from scenes.kit.numbers import fixed, sci, signed
from scenes.kit.palette import PALETTE
from scenes.kit.text import LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, speed_badge, tex

TRACE = "recurrent.default"

# --- shared layout: a time axis t = 0 … T-1 that the chain / belt chart and the log plot share -------------
AXIS_LEFT = -5.45  # x of t = 0
AXIS_LENGTH = 10.4  # t = 0 … T-1
CHART_BOTTOM = -1.95  # y of the charts' x axis: its tick labels stay clear of the caption band
RNN_COLOR = PALETTE.backward  # the RNN's dying gradient
LSTM_COLOR = PALETTE.learned  # the LSTM's surviving gradient
GATE_COLORS = {"f": PALETTE.learned, "i": PALETTE.forward, "o": PALETTE.highlight}
GATE_NAMES = {"f": "遗忘门", "i": "输入门", "o": "输出门"}
SUB = 8  # replay positions per time step: what moves along the chain or belt glides instead of hopping


def seq_len(t) -> int:
    """The run's sequence length T, checked against the arrays measured over it."""
    steps = int(t.params["seq_len"])
    if len(t["rnn_grad_h_init"]) != steps:
        raise ValueError(f"trace {t.name}: seq_len = {steps} but rnn_grad_h_init has {len(t['rnn_grad_h_init'])} steps")
    return steps


def relative(g: np.ndarray) -> np.ndarray:
    """A gradient curve divided by its last-step value (so it starts at 1, like λ^0)."""
    return g / g[-1]


def openness(value: float) -> str:
    """How open a gate in [0, 1] is, in words (the caption's claim follows the run)."""
    for floor, words in ((0.9, "几乎全开"), (0.6, "大半开着"), (0.3, "半开"), (0.1, "开得很小")):
        if value >= floor:
            return words
    return "几乎关死"


def tick_values(last: int) -> list[int]:
    """0, step, 2·step, … and ``last`` itself (replacing a round tick too close to it)."""
    step = int(nice_step(last, 6))  # at most 7 labels
    values = list(range(0, last + 1, step))
    if last - values[-1] < step / 2:
        values.pop()
    return values + [last] if last > 0 else values


def place_chart(chart: Axes, corner_y: float = CHART_BOTTOM) -> Axes:
    """Put the chart's origin (t = 0, bottom) at (AXIS_LEFT, corner_y)."""
    return chart.shift(np.array([AXIS_LEFT, corner_y, 0]) - chart.c2p(0, 0))


def x_ticks(chart: Axes, last: int, steps_back: bool) -> VGroup:
    """Tick marks and numbers under the x axis: time step t, or steps back k = last − t (0 at the loss)."""
    group = VGroup()
    for n in tick_values(last):
        at = chart.c2p(last - n if steps_back else n, 0)
        group.add(Line(at + 0.07 * UP, at + 0.07 * DOWN, color=PALETTE.muted, stroke_width=2),
                  mono(str(n), SMALL_SIZE, PALETTE.muted).next_to(at, DOWN, buff=0.14))
    return group


def log_gradient_chart(lo: int, hi: int, last: int, y_length: float) -> tuple[LogAxes, VGroup]:
    """The log₁₀ plot of relative gradient vs steps back, with its axis names."""
    chart = LogAxes([0, last, last], (lo, hi), x_length=AXIS_LENGTH, y_length=y_length, x_numbers=False)
    place_chart(chart)
    x_name = cjk("← 往回 k 步", SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(last, 0), RIGHT, buff=0.2)
    y_name = VGroup(tex(r"\|\partial L/\partial h_t\|\,/\,\|\partial L/\partial h_T\|", TEX_SIZE, PALETTE.muted),
                    cjk("（各自除以最后一步的值，对数轴）", SMALL_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.1)
    y_name.next_to(chart.c2p(0, hi - lo), UP, buff=0.12).align_to(chart.decade_labels, LEFT)
    return chart, VGroup(x_ticks(chart, last, steps_back=True), x_name, y_name)


# =============================================================================================================
class VanishingGradient(BookScene):
    """The RNN unrolled over seq_len steps; the loss's gradient pulse shrinks by the measured factor per step."""

    TRACES = ("recurrent.default",)
    TITLE = "第4章 · RNN 的梯度消失"
    CHAIN_Y = 2.15
    SLOW_STEPS = 3
    FAST_RATE = 7  # steps per second once the first steps have been shown slowly

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
        self.steps = seq_len(t)
        self.last = self.steps - 1
        self.g = relative(t["rnn_grad_h_init"])
        shown = t["ks"] <= self.last  # λ^k only as far back as the chain reaches
        self.lambdas, self.ks, self.decay = t["lambdas"], t["ks"][shown], t["decay"][:, shown]
        self.floor = decade_span(self.g)[0]  # the pulse's size and glow fade out at the smallest measured decade
        self.lo, self.hi = labelled_decades(*decade_span(self.g, self.decay))
        self.panel = CounterPanel(lambda k: [f"往回 k = {k:2d} 步", f"相对梯度 {sci(self.g[self.last - k])}"])

    def x_of(self, step: float) -> float:
        return AXIS_LEFT + AXIS_LENGTH * step / self.last

    def frac(self, value: float) -> float:
        """Where a gradient sits between the measured floor (0) and 1 (1): pulse size and glow, log scale."""
        return float(np.clip((np.log10(value) - self.floor) / max(-self.floor, 1), 0, 1))

    # --- beats --------------------------------------------------------------------------------------------
    def unroll(self) -> None:
        y = self.CHAIN_Y
        side, tall = 0.12, 0.26
        self.link = Line([self.x_of(0), y, 0], [self.x_of(self.last), y, 0], color=PALETTE.muted, stroke_width=2)
        self.cells = VGroup(*(Rectangle(width=side, height=tall, stroke_color=PALETTE.muted, stroke_width=1.5,
                                        fill_color=PALETTE.background, fill_opacity=1).move_to([self.x_of(s), y, 0])
                              for s in range(self.steps)))
        self.loss = Circle(0.22, color=PALETTE.text, stroke_width=2.5).move_to([self.x_of(self.last) + 0.65, y, 0])
        loss_label = tex("L", TEX_SIZE).move_to(self.loss)
        loss_link = Line(self.cells[-1].get_right(), self.loss.get_left(), color=PALETTE.muted, stroke_width=2)
        self.signal = Rectangle(width=side, height=side, stroke_width=0, fill_color=PALETTE.positive,
                                fill_opacity=1).next_to(self.cells[0], DOWN, buff=0.1)
        names = VGroup(
            VGroup(tex("h_0", TEX_SIZE), cjk("读入第一个符号", SMALL_SIZE, PALETTE.positive)).arrange(RIGHT, buff=0.15)
            .next_to(self.cells[0], UP, buff=0.18).align_to(self.cells[0], LEFT),
            VGroup(cjk(f"{self.steps} 步共用同一个", SMALL_SIZE, PALETTE.muted),
                   tex("W_{hh}", TEX_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.1)
            .move_to([0, y + 0.42, 0]),
            VGroup(cjk("只在最后一步算损失", SMALL_SIZE, PALETTE.muted), tex("h_T", TEX_SIZE)).arrange(RIGHT, buff=0.15)
            .next_to(self.cells[-1], UP, buff=0.18).align_to(self.loss, RIGHT),
        )
        self.rule = tex(r"h_t=\tanh\!\left(W_{hh}\,h_{t-1}+W_{xh}\,x_t+b\right)", 36).move_to([0, -0.2, 0])
        self.play(Create(self.link), FadeIn(self.cells, lag_ratio=0.02), run_time=1.6)
        self.play(FadeIn(names), FadeIn(self.rule), Create(loss_link), FadeIn(self.loss), FadeIn(loss_label),
                  run_time=1.0)
        self.caption(f"把 RNN 沿时间展开：\n{self.steps} 步就是 {self.steps} 层，每层同一个权重")
        self.hold(1.0)

    def forward(self) -> None:
        runner = Line(self.link.get_start(), self.loss.get_left(), color=PALETTE.forward, stroke_width=5)
        self.play(FadeIn(self.signal, shift=0.1 * UP), run_time=0.5)
        self.caption(f"任务：读完 {self.steps} 个符号，\n在最后一步说出第一个是什么")
        self.play(Create(runner), run_time=1.5, rate_func=linear)
        self.play(FadeOut(runner), Indicate(self.loss, color=PALETTE.forward), run_time=0.6)

    def backward_pulse(self) -> None:
        chart, names = log_gradient_chart(self.lo, self.hi, self.last, 3.1)
        self.chart = chart
        product = tex(r"\frac{\partial L}{\partial h_t}=\frac{\partial L}{\partial h_T}"
                      r"\prod_{k=t+1}^{T}\frac{\partial h_k}{\partial h_{k-1}}", TEX_SIZE)
        corner = chart.c2p(0.6 * self.last, self.hi - self.lo)  # above the decades the pulse's curve reaches there
        product.next_to(corner, DOWN, buff=0.15).align_to(corner, RIGHT)
        self.product = product
        self.play(FadeOut(self.rule), Create(chart), FadeIn(names), run_time=1.2)
        self.play(FadeIn(product), run_time=0.8)
        self.caption("误差从最后一步往回传，\n每过一步都要乘一次 Wᵀ·tanh′")
        slow = min(self.SLOW_STEPS, self.last)
        live = self.first_steps(slow)
        self.remaining_steps(slow, live)
        far = self.g[0]
        fate = "脉冲还没到开头就没了" if far < 1e-3 else "脉冲到开头已弱了很多"
        self.caption(f"{self.last} 步外只剩 {sci(far)}：\n{fate}")
        self.hold(0.8)

    def builders(self) -> list[Callable[[int], Mobject]]:
        return [self.glow, self.curve, self.pulse, self.counters_at]

    def first_steps(self, slow: int) -> list[Mobject]:
        """The first steps back one by one, each with the factor it was multiplied by."""
        factor, live = None, []
        for step in range(1, slow + 1):
            note = self.factor_note(step)
            anims = [Succession(FadeOut(factor), FadeIn(note)) if factor else FadeIn(note)]  # neighbours: no overlap
            self.remove(*live)
            live = scrub(self, self.builders(), (step - 1) * SUB, step * SUB, 0.9, *anims)
            factor = note
        self.play(FadeOut(factor), run_time=0.5)
        return live

    def remaining_steps(self, slow: int, live: list[Mobject]) -> None:
        rest = self.last - slow
        if rest < 1:
            return
        badge = speed_badge(f"其余 {rest} 步加速：每秒 {self.FAST_RATE} 步")
        badge.next_to(self.title_mob, RIGHT, buff=0.8)  # clear of the counters in the other corner
        self.play(FadeIn(badge), run_time=0.5)
        self.remove(*live)
        scrub(self, self.builders(), slow * SUB, self.last * SUB, max(rest / self.FAST_RATE, 1.0))
        self.play(FadeOut(badge), run_time=0.5)

    # --- what the replay draws at position j (SUB positions per step back) ---------------------------------
    def value_at(self, kk: float) -> float:
        """The relative gradient kk steps back, log-interpolated between steps."""
        g, last = self.g, self.last
        i = int(np.floor(kk))
        j = min(i + 1, last)
        a = kk - i
        return float(10 ** ((1 - a) * np.log10(g[last - i]) + a * np.log10(g[last - j])))

    def pulse(self, j: int) -> VMobject:
        kk = j / SUB
        f = self.frac(self.value_at(kk))
        return Dot([self.x_of(self.last - kk), self.CHAIN_Y, 0], radius=0.03 + 0.22 * f, color=RNN_COLOR,
                   fill_opacity=0.15 + 0.85 * f)

    def curve(self, j: int) -> VMobject:
        n = j // SUB
        if n < 1:
            return VMobject()
        steps = np.arange(self.last - n, self.last + 1)
        return self.chart.log_graph(steps, self.g[steps], RNN_COLOR, stroke_width=5)

    def glow(self, j: int) -> VGroup:
        """The cells the pulse has reached, lit by the gradient they received."""
        n = j // SUB
        lit = VGroup()
        for s in range(self.last - n, self.steps):
            shade = self.frac(self.g[s]) ** 1.5
            lit.add(self.cells[s].copy().set_fill(
                interpolate_color(ManimColor(PALETTE.background), ManimColor(RNN_COLOR), shade), 1))
        return lit

    def counters_at(self, j: int) -> VGroup:
        n = round(j / SUB)
        shown = self.panel.build(n)
        shown[1].set_color(RNN_COLOR)
        return shown

    def factor_note(self, step: int) -> VGroup:
        """× the measured ratio between two neighbouring steps, under the link it belongs to."""
        ratio = self.g[self.last - step] / self.g[self.last - step + 1]
        note = VGroup(tex(r"\times", TEX_SIZE, RNN_COLOR), mono(fixed(ratio, 2), LABEL_SIZE, RNN_COLOR))
        return note.arrange(RIGHT, buff=0.06).move_to([self.x_of(self.last - step + 0.5), self.CHAIN_Y - 0.42, 0])

    def compare_lambda(self) -> None:
        chart, last = self.chart, self.last
        t = self.trace(TRACE)
        curves, labels = VGroup(), VGroup()
        steps = last - self.ks
        for lam, row in zip(self.lambdas, self.decay):
            curves.add(DashedVMobject(chart.log_graph(steps, row, PALETTE.muted, stroke_width=3), num_dashes=40))
        marks = VGroup()  # values the book prints, where the chain reaches that far back
        horizons = [int(k) for k in t["book_horizons"] if k <= last]
        for row, lam in enumerate(self.lambdas):
            name = tex(rf"\lambda={fixed(lam, 1)}", TEX_SIZE, PALETTE.muted)
            # λ < 1: every horizon but the nearest (which sits in the crowd at the top right); λ > 1: the farthest
            shown = horizons[1:] if lam < 1 else horizons[-1:] if lam > 1 else []
            if not shown:  # no mark to sit beside (λ = 1 prints 1 everywhere): name the line at its far end
                end = chart.lp(steps[-1], self.decay[row, -1])
                labels.add(name.next_to(end, UP, buff=0.1).align_to(end + 0.3 * RIGHT, LEFT))  # clear of the y ticks
            for k in shown:
                value = float(t["book_decay"][row, list(t["book_horizons"]).index(k)])
                at = chart.lp(last - k, value)
                text = mono(sci(value), SMALL_SIZE, PALETTE.text)
                if k == shown[-1]:
                    text = VGroup(name, text).arrange(RIGHT, buff=0.2)
                text.next_to(at, DOWN + RIGHT if lam < 1 else DOWN, buff=0.1)
                marks.add(VGroup(Dot(at, radius=0.05, color=PALETTE.text), text))
        legend = legend_column([(swatch(RNN_COLOR), "RNN 实测（初始化时）"),
                                (swatch(PALETTE.muted, dashed=True), "书中的 λᵏ")])
        legend.next_to(chart.lp(last, 10.0 ** self.lo), UP + LEFT, buff=0.25)
        self.play(FadeOut(self.product), run_time=0.5)
        self.play(Create(curves), FadeIn(labels), run_time=2.0)
        self.play(FadeIn(marks), FadeIn(legend), run_time=1.0)
        fit = t.metrics["effective_lambda_h"]["rnn_init"]
        if fit is not None:
            near = float(self.lambdas[np.argmin(np.abs(self.lambdas - fit))])
            how = "几乎贴着" if abs(fit - near) < 0.05 else "最接近"
            self.caption(f"实测每步约 ×{fixed(fit, 2)}，\n{how}书里 λ = {fixed(near, 1)} 的线")
        self.hold(1.5)

    def conclude(self) -> None:
        at = self.chart.lp(0, self.g[0])
        ring = Circle(0.12, color=PALETTE.highlight, stroke_width=4).move_to(at)
        value = mono(sci(self.g[0]), LABEL_SIZE, RNN_COLOR).next_to(at, UP, buff=0.3).align_to(at + 0.2 * RIGHT, LEFT)
        self.play(Create(ring), FadeIn(value), Flash(self.cells[0], color=PALETTE.positive, flash_radius=0.25),
                  run_time=0.8)
        self.caption("开头几乎收不到误差信号：\nRNN 很难学到长程依赖")
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
    BELT_TRAVEL = 5.0  # how far the gradient marks move along the belt while the carousel replays
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
        self.steps = seq_len(t)
        self.last = self.steps - 1
        self.gates = {k: t[f"lstm_unit_{k}"] for k in "fioghc"}
        self.unit = int(t["lstm_unit"])
        self.tokens = t["example_tokens"]
        self.n_symbols = int(t.params["n_symbols"])
        self.clock = ValueTracker(0.0)  # continuous (not scrub's whole steps): the belt's chevrons glide with it
        self.panel = CounterPanel(lambda s, token, kind: [f"t = {s:2d} / {self.last}", f"x_t = {token}（{kind}）"])

    def step(self) -> int:
        return int(np.clip(np.floor(self.clock.get_value()), 0, self.last))

    # --- the belt and its valves ----------------------------------------------------------------------------
    def build_belt(self) -> None:
        x0, x1 = self.BELT_X
        y, h = self.BELT_Y, self.BELT_H
        belt = Rectangle(width=x1 - x0, height=h, stroke_color=PALETTE.forward, stroke_width=2,
                         fill_color=PALETTE.forward, fill_opacity=0.18).move_to([(x0 + x1) / 2, y, 0])
        chevrons = redraw_on_change(self.clock.get_value, lambda _: self.chevrons())  # redrawn while the belt runs
        plus = VGroup(Circle(0.22, color=PALETTE.text, stroke_width=3, fill_color=PALETTE.background, fill_opacity=1),
                      tex("+", 34)).move_to([self.PLUS_X, y, 0])
        start = tex("c_{t-1}", TEX_SIZE, PALETTE.forward).next_to([x0, y + h / 2, 0], UP, buff=0.1)
        start.align_to([x0, 0, 0], LEFT)
        end = tex("c_t", TEX_SIZE, PALETTE.forward).next_to([x1, y + h / 2, 0], UP, buff=0.1)
        end.align_to([x1, 0, 0], RIGHT)
        name = cjk("细胞状态 c：一条传送带", LABEL_SIZE, PALETTE.forward).next_to(belt, DOWN, buff=0.12)
        name.align_to(belt, LEFT)
        self.rule = tex(r"c_t=f_t\odot c_{t-1}+i_t\odot g_t", 32).move_to([-4.4, 1.15, 0])
        self.play(FadeIn(belt), FadeIn(chevrons), FadeIn(start), FadeIn(end), FadeIn(name), run_time=1.0)
        self.play(FadeIn(plus), FadeIn(self.rule), run_time=0.8)
        self.caption("LSTM 多了一条细胞状态 c：\n靠加法更新的传送带")
        self.play(self.clock.animate.set_value(2), run_time=1.5, rate_func=linear)
        self.clock.set_value(0)
        self.belt, self.chevrons_mob, self.plus = belt, chevrons, plus

    def chevrons(self) -> VMobject:
        """The belt's chevrons as one VMobject, one outline each (redrawn on every frame while the belt runs)."""
        x0, x1 = self.BELT_X
        offset = (self.clock.get_value() * self.SPACING) % self.SPACING
        marks = VMobject(stroke_color=PALETTE.forward, stroke_width=3, stroke_opacity=0.8)
        d = 0.09
        for x in np.arange(x0 + 0.2 + offset, x1 - 0.15, self.SPACING):
            p = np.array([x, self.BELT_Y, 0])
            marks.start_new_path(p + d * (LEFT + UP))
            marks.add_points_as_corners([p, p + d * (LEFT + DOWN)])
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
        label = VGroup(cjk(GATE_NAMES[gate], LABEL_SIZE), tex(gate, TEX_SIZE, GATE_COLORS[gate]),
                       mono(fixed(value, 2), LABEL_SIZE, GATE_COLORS[gate])).arrange(RIGHT, buff=0.12)
        if gate == "f":
            return label.next_to([self.FORGET_X, self.BELT_Y + self.BELT_H / 2 + self.PLATE, 0], UP, buff=0.1)
        side = LEFT if gate == "i" else RIGHT
        x = self.PLUS_X if gate == "i" else self.OUT_X
        return label.next_to([x, self.VALVE_Y, 0] + (self.PIPE_W / 2 + self.PLATE) * side, side, buff=0.15)

    def readouts(self) -> VGroup:
        s = self.step()
        x1 = self.BELT_X[1]
        c = mono(f"c = {signed(self.gates['c'][s])}", LABEL_SIZE, PALETTE.forward)
        c.next_to([x1 - 0.6, self.BELT_Y + self.BELT_H / 2, 0], UP, buff=0.1).align_to([x1 - 0.6, 0, 0], RIGHT)
        g = mono(f"g = {signed(self.gates['g'][s])}", LABEL_SIZE).next_to([self.PLUS_X, self.PIPE_BOTTOM, 0], DOWN,
                                                                          buff=0.1)
        h = mono(f"h = {signed(self.gates['h'][s])}", LABEL_SIZE).next_to([self.OUT_X, self.PIPE_BOTTOM, 0], DOWN,
                                                                          buff=0.1)
        return VGroup(c, g, h)

    def pipes(self) -> VGroup:
        pipes = VGroup()
        top = self.BELT_Y - self.BELT_H / 2
        for x in (self.PLUS_X, self.OUT_X):
            pipes.add(Rectangle(width=self.PIPE_W, height=top - self.PIPE_BOTTOM, stroke_color=PALETTE.muted,
                                stroke_width=2, fill_color=PALETTE.muted, fill_opacity=0.12)
                      .move_to([x, (top + self.PIPE_BOTTOM) / 2, 0]))
        flow = VGroup(tex(r"\uparrow", 28, PALETTE.muted).move_to([self.PLUS_X, self.PIPE_BOTTOM + 0.17, 0]),
                      tex(r"\downarrow", 28, PALETTE.muted).move_to([self.OUT_X, self.PIPE_BOTTOM + 0.17, 0]))
        out_rule = tex(r"h_t=o_t\odot\tanh(c_t)", TEX_SIZE).next_to([self.OUT_X + 0.7, self.PIPE_BOTTOM - 0.25, 0],
                                                                     RIGHT, buff=0.2)
        return VGroup(pipes, flow, out_rule)

    def show_valves(self) -> None:
        self.play(FadeIn(self.pipes()), run_time=0.8)
        # each redrawn when the time step changes, not every frame
        self.valves = [redraw_on_change(self.step, lambda _, g=g: self.valve(g)) for g in "fio"]
        self.labels = [redraw_on_change(self.step, lambda _, g=g: self.gate_label(g)) for g in "fio"]
        self.readouts_mob = redraw_on_change(self.step, lambda _: self.readouts())
        self.add(self.plus)  # keep the junction above the chevrons
        for valve, label in zip(self.valves, self.labels):
            self.play(FadeIn(valve), FadeIn(label), run_time=0.7)
        self.play(FadeIn(self.readouts_mob), run_time=0.5)
        self.caption("三道门是 0 到 1 的阀门：\n擦掉多少、写入多少、读出多少")
        self.hold(1.2)

    # --- replay one sequence ----------------------------------------------------------------------------------
    def gate_chart(self) -> Axes:
        chart = Axes(x_range=[0, self.last, self.last], y_range=[0, 1, 0.5], x_length=AXIS_LENGTH,
                     y_length=self.CHART_HEIGHT, tips=False, axis_config={"color": PALETTE.muted, "stroke_width": 2})
        place_chart(chart)
        # y numbers as text: the kit's screen log cannot read manim's DecimalNumber yet
        y_numbers = VGroup(*(mono(fixed(v, 1), SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(0, v), LEFT, buff=0.15)
                             for v in (0, 0.5, 1)))
        name = cjk(f"训练后第 {self.unit} 号单元读一条序列：三道门的开度", SMALL_SIZE, PALETTE.muted)
        name.next_to(chart.c2p(0, 1), UP, buff=0.15).align_to(y_numbers, LEFT)
        chart.add(x_ticks(chart, self.last, steps_back=False), y_numbers, name,
                  cjk("时间步 t", SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(self.last, 0), RIGHT, buff=0.2))
        return chart

    def counters(self) -> VGroup:
        s = self.step()
        token = int(self.tokens[s])
        signal = token < self.n_symbols
        shown = self.panel.build(s, token, "信号" if signal else "干扰")
        shown[1].set_color(PALETTE.positive if signal else PALETTE.muted)
        return shown

    def gate_lines(self) -> VGroup:
        s = self.step()
        lines = VGroup()
        if s < 1:
            return lines
        steps = np.arange(s + 1)
        for gate in "fio":
            lines.add(polyline(self.chart, steps, self.gates[gate][: s + 1], GATE_COLORS[gate], stroke_width=4))
        return lines

    def play_sequence(self) -> None:
        t = self.trace(TRACE)
        self.chart = chart = self.gate_chart()
        curves = redraw_on_change(self.step, lambda _: self.gate_lines())
        counters = redraw_on_change(self.step, lambda _: self.counters())
        self.play(Create(chart), FadeIn(counters), run_time=1.0)
        # what the replay moves goes on top, in the order it had (it overlaps nothing else): manim redraws each
        # frame from the first mobject that moves onwards, so the chart and the rest are drawn once per play
        valves = [mob for pair in zip(self.valves, self.labels) for mob in pair]
        self.bring_to_front(self.chevrons_mob, self.plus, *valves, self.readouts_mob, counters)
        self.add(curves)
        self.caption("训练好的 LSTM 读一条序列：\n第一个符号要一直记到最后")
        badge = speed_badge(f"{self.steps} 步用 {self.PLAY_SECONDS:g} 秒")
        badge.next_to(chart.c2p(self.last, 1), UP, buff=0.15).align_to(chart.c2p(self.last, 0), RIGHT)
        self.play(FadeIn(badge), run_time=0.5)
        half = self.PLAY_SECONDS / 2
        self.play(self.clock.animate.set_value(self.last / 2), run_time=half, rate_func=linear)
        mean_f, mean_i = float(self.gates["f"][1:].mean()), float(self.gates["i"][1:].mean())
        self.caption(f"遗忘门{openness(mean_f)}（f 平均 {fixed(mean_f, 2)}），\n"
                     f"输入门{openness(mean_i)}（i 平均 {fixed(mean_i, 2)}）")
        self.play(self.clock.animate.set_value(self.last + 0.999), run_time=half - 0.6, rate_func=linear)
        self.settle(curves, counters)
        end = self.end_labels()
        self.play(FadeOut(badge), FadeIn(end), run_time=0.5)
        c0, c1 = float(self.gates["c"][0]), float(self.gates["c"][-1])
        if abs(c1 - c0) > 1:  # the cell state visibly travelled: say how far
            self.caption(f"c 从 {signed(c0)} 一路走到 {signed(c1)}：\n每步加一点，很少被擦掉")
        else:
            self.caption(f"c 只从 {signed(c0)} 变到 {signed(c1)}：\n几乎原样留在传送带上")
        self.hold(1.0)
        label, probs = int(t["example_label"]), t["lstm_example_probs"]
        answer = int(np.argmax(probs))
        if answer == label:
            self.caption(f"读完 {self.steps} 步，LSTM 答出第一个符号是 {label}\n（答错的概率 {sci(1 - probs[label])}）")
        else:
            self.caption(f"读完 {self.steps} 步，LSTM 答 {answer}，\n其实第一个符号是 {label}")
        self.hold(1.0)
        self.gate_ends = end

    def end_labels(self) -> VGroup:
        """f, i, o beside their curves' last values, pushed apart where two gates end close together."""
        gap = 0.3
        order = sorted("fio", key=lambda g: self.gates[g][-1])
        labels, floor = {}, -np.inf
        for g in order:
            at = self.chart.c2p(self.last, float(self.gates[g][-1]))
            at[1] = max(at[1], floor + gap)
            floor = at[1]
            labels[g] = tex(g, TEX_SIZE, GATE_COLORS[g]).next_to(at, RIGHT, buff=0.12)
        return VGroup(*(labels[g] for g in "fio"))

    def settle(self, curves: Mobject, counters: Mobject) -> None:
        """End of the replay: the belt stops, so nothing needs redrawing any more.

        The text the updaters drew is replaced by freshly built text of the last step (the screen log
        records what is shown); the valves, chevrons and curves simply stop updating.
        """
        for mob in (curves, self.chevrons_mob, *self.valves):
            mob.clear_updaters()
        self.remove(counters, *self.labels, self.readouts_mob)
        self.counters_mob = self.counters()
        self.labels = [self.gate_label(g) for g in "fio"]
        self.readouts_mob = self.readouts()
        self.add(self.counters_mob, *self.labels, self.readouts_mob)
        self.gate_curves = curves[0]  # the f, i, o lines as drawn last

    # --- the gradient along the belt ------------------------------------------------------------------------
    def carousel_gradient(self) -> None:
        t = self.trace(TRACE)
        carousel = t["lstm_unit_carousel"]
        chart, last = self.chart, self.last
        rule = tex(r"\partial c_T/\partial c_t=\textstyle\prod_{k>t} f_k", 32).move_to(self.rule)

        def curve(j: int) -> VMobject:
            n = j // SUB
            if n < 1:
                return VMobject()
            steps = np.arange(last - n, last + 1)
            return polyline(chart, steps, carousel[steps], PALETTE.backward, stroke_width=5)

        def pulses(j: int) -> VGroup:  # red marks running back along the belt, through the forget valve
            x0, x1 = self.BELT_X
            offset = (j / (last * SUB) * self.BELT_TRAVEL) % (2 * self.SPACING)  # steady speed: no strobing
            group = VGroup()
            for x in np.arange(x1 - 0.3 - offset, x0 + 0.1, -2 * self.SPACING):
                group.add(Dot([x, self.BELT_Y, 0], radius=0.07, color=PALETTE.backward))
            return group

        self.play(Transform(self.rule, rule), self.gate_curves[1:].animate.set_stroke(opacity=0.3),
                  self.gate_ends[1:].animate.set_opacity(0.3), run_time=0.8)
        self.caption("误差沿传送带往回走，\n每步只乘一个 f")
        line, marks = scrub(self, [curve, pulses], 0, last * SUB, 4.0)
        at = chart.c2p(0, float(carousel[0]))
        dot = Dot(at, radius=0.06, color=PALETTE.backward)
        note = mono(fixed(carousel[0], 2), LABEL_SIZE, PALETTE.backward).next_to(at, UP + RIGHT, buff=0.06)
        note.shift(0.1 * RIGHT)
        self.play(FadeOut(marks), FadeIn(dot), FadeIn(note), Flash(at, color=PALETTE.backward, flash_radius=0.25),
                  run_time=0.8)
        rnn_far = relative(t["rnn_grad_h_init"])[0]
        self.caption(f"{last} 步后还剩 {fixed(carousel[0], 2)}；\nRNN（初始化时）只剩 {sci(rnn_far)}")
        self.hold(1.2)
        self.carousel_mobs = VGroup(line, dot, note)

    def compare_gradients(self) -> None:
        t = self.trace(TRACE)
        rnn, lstm = relative(t["rnn_grad_h_init"]), relative(t["lstm_grad_h_init"])
        last = self.last
        lo, hi = labelled_decades(*decade_span(rnn, lstm))
        chart, names = log_gradient_chart(lo, hi, last, self.CHART_HEIGHT)
        self.play(FadeOut(self.chart), FadeOut(self.gate_curves), FadeOut(self.gate_ends), FadeOut(self.carousel_mobs),
                  run_time=0.6)
        self.play(Create(chart), FadeIn(names), run_time=1.0)
        self.caption("回到初始化时实测梯度：\nRNN 与 LSTM 同画一张对数图")

        def curves(n: int) -> VGroup:
            steps = np.arange(last - n, last + 1)
            return VGroup(chart.log_graph(steps, rnn[steps], RNN_COLOR, stroke_width=5),
                          chart.log_graph(steps, lstm[steps], LSTM_COLOR, stroke_width=5))

        scrub(self, [curves], 1, last, 3.5)
        ends = VGroup(
            mono(sci(lstm[0]), LABEL_SIZE, LSTM_COLOR).next_to(chart.lp(0, lstm[0]), DOWN, buff=0.15)
            .align_to(chart.lp(0, lstm[0]) + 0.2 * RIGHT, LEFT),
            mono(sci(rnn[0]), LABEL_SIZE, RNN_COLOR).next_to(chart.lp(0, rnn[0]), UP, buff=0.3)
            .align_to(chart.lp(0, rnn[0]) + 0.2 * RIGHT, LEFT),
        )
        legend = legend_column([(swatch(LSTM_COLOR), "LSTM（初始化时）"), (swatch(RNN_COLOR), "RNN（初始化时）")])
        legend.next_to(chart.lp(last, 10.0 ** lo), UP + LEFT, buff=0.2)
        self.play(FadeIn(ends), FadeIn(legend), run_time=0.8)
        ratio = t.metrics["ratio_h"]["init"]["t0_rel"]
        self.caption(f"同样往回 {last} 步，LSTM 的梯度\n是 RNN 的 {sci(ratio)} 倍")
        self.hold(1.2)

    def conclude(self) -> None:
        m = self.trace(TRACE).metrics
        rel, ratio = m["rel_grad_h_t0"], m["ratio_h"]
        wider = "更大" if ratio["trained"]["t0_rel"] > ratio["init"]["t0_rel"] else "变小"
        self.caption(f"训练后差距{wider}（相对末步）：\nLSTM {sci(rel['lstm_trained'])}，RNN {sci(rel['rnn_trained'])}")
        self.hold(2.0)
        acc = {net: m[f"{net}_eval_trained"]["acc"] for net in ("lstm", "rnn")}
        self.caption(f"训练后准确率：LSTM {acc['lstm']:.0%}，\n"
                     f"RNN {acc['rnn']:.0%}（瞎猜是 {m['chance_accuracy']:.0%}）")
        self.hold(2.5)
