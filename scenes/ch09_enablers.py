"""Chapter 9 — 看不见的地基: ReLU, residual links, BatchNorm and Adam, each shown on a real run.

* ``ReLUGate`` reads ``enablers.default`` (σ, σ′, ReLU, ReLU′ and the book's 0.25^k table) and
  ``depth_gradients.default`` (‖∂L/∂z‖ measured down a sigmoid and a ReLU MLP at initialisation).
* ``Residual`` reads ``enablers.default`` (F′ vs 1 + F′) and ``depth_gradients.default`` (the plain
  and residual stacks' gradient per block, and the measured share that goes through F).
* ``BatchNormScene`` reads ``batchnorm.default``: one unit's pre-activations, step by step, in a
  training run without BN and in the same run with BN (μ_B, σ_B, x̂, γ, β).
* ``AdamTrajectory`` reads ``optimizers.default``: SGD and Adam iterates on the valley, each with
  the learning rate its sweep chose, and the sweep itself.

Every number, curve and bar follows its trace, so ``--set`` runs tell their own story. The
diagram D09.1 is in ``ch09_enablers_figures.py``.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Circle,
    Create,
    CurvedArrow,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Rectangle,
    ReplacementTransform,
    RoundedRectangle,
    VGroup,
    VMobject,
)

from pipeline.checks.ch09 import BOOK_SIGMOID_PRODUCT
from scenes.kit.base import BookScene
from scenes.kit.charts import LogAxes, decade_span, labelled_decades, panel_axes
from scenes.kit.counters import CounterPanel, scrub
from scenes.kit.legends import legend_column, swatch
from scenes.kit.numbers import fixed, plain, sci, sig
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, speed_badge, tex

__all__ = ["ReLUGate", "Residual", "BatchNormScene", "AdamTrajectory"]

SIG_COLOR = PALETTE.backward  # the gradient that dies
RELU_COLOR = PALETTE.learned  # the gradient that survives
GRAD = PALETTE.backward


def log_chart(n: int, *curves: np.ndarray, x_length: float = 9.0, y_length: float = 3.6,
              first: int = 0) -> LogAxes:
    """Log axes over x = first … first + n − 1, spanning the decades of ``curves``, 10^0 labelled."""
    lo, hi = labelled_decades(*decade_span(*curves))
    return LogAxes([first, first + n - 1, 1], (lo, max(hi, 0)), x_length=x_length, y_length=y_length,
                   x_numbers=False)


def x_numbers(chart: LogAxes, values: list[int]) -> VGroup:
    return VGroup(*(mono(str(v), SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(v, 0), DOWN, buff=0.15)
                    for v in values))


def end_label(chart: LogAxes, x: float, value: float, text: str, color: str, side: np.ndarray = RIGHT) -> VGroup:
    at = chart.lp(x, value)
    return VGroup(Dot(at, radius=0.06, color=color), mono(text, LABEL_SIZE, color).next_to(at, side, buff=0.12))


# =============================================================================================================
class ReLUGate(BookScene):
    """σ′ ≤ 0.25 and saturates; ReLU′ is a gate of 0 or 1; a gradient pulse through 10 layers; the real MLP."""

    TRACES = ("enablers.default", "depth_gradients.default")
    TITLE = "第9章 · ReLU：不会饱和的门"

    def construct(self) -> None:
        self.load()
        self.curves()
        self.gate()
        self.pulse()
        self.measured()

    def load(self) -> None:
        self.e, self.d = self.trace("enablers.default"), self.trace("depth_gradients.default")
        self.layers = int(self.e.params["layers"])

    def panel(self, x: float) -> Axes:
        zmax = float(self.e.params["z_max"])
        axes = panel_axes([-zmax, zmax, zmax / 2], [0, 1, 0.5], 5.6, 3.2, x_label="z")
        return axes.move_to([x, 0.4, 0])

    def curves(self) -> None:
        e = self.e
        z = e["z"]
        left, right = self.panel(-3.45), self.panel(3.45)
        keep = e["relu"] <= 1.0  # the panel shows y ≤ 1: the hinge and the start of the ramp
        sig_curve = left.plot_line_graph(z, e["sigmoid"], add_vertex_dots=False, line_color=PALETTE.forward,
                                         stroke_width=4)["line_graph"]
        sig_prime = left.plot_line_graph(z, e["sigmoid_prime"], add_vertex_dots=False, line_color=SIG_COLOR,
                                         stroke_width=5)["line_graph"]
        relu = right.plot_line_graph(z[keep], e["relu"][keep], add_vertex_dots=False, line_color=PALETTE.forward,
                                     stroke_width=4)["line_graph"]
        relu_prime = right.plot_line_graph(z, e["relu_prime"], add_vertex_dots=False, line_color=RELU_COLOR,
                                           stroke_width=5)["line_graph"]
        names = VGroup(
            tex(r"\sigma(z)", TEX_SIZE, PALETTE.forward).next_to(left.c2p(3.2, 0.95), UP, buff=0.05),
            tex(r"\sigma'(z)", TEX_SIZE, SIG_COLOR).next_to(left.c2p(2.2, 0.2), UP + RIGHT, buff=0.05),
            tex(r"\mathrm{ReLU}(z)", TEX_SIZE, PALETTE.forward).next_to(right.c2p(0.8, 0.45), RIGHT, buff=0.25),
            tex(r"\mathrm{ReLU}'(z)", TEX_SIZE, RELU_COLOR).next_to(right.c2p(3.2, 1.0), UP, buff=0.1),
        )
        peak = float(e["sigmoid_prime"].max())
        at = left.c2p(float(e["z"][int(np.argmax(e["sigmoid_prime"]))]), peak)
        mark = VGroup(Dot(at, radius=0.07, color=SIG_COLOR),
                      mono(fixed(peak, 2), LABEL_SIZE, SIG_COLOR).next_to(at, DOWN, buff=0.12))
        self.play(Create(left), Create(right), run_time=1.2)
        self.play(Create(sig_curve), Create(sig_prime), Create(relu), Create(relu_prime), FadeIn(names), run_time=1.8)
        self.play(FadeIn(mark), run_time=0.6)
        self.caption(f"sigmoid 的导数最高只有 {fixed(peak, 2)}，\n离开 0 附近就饱和、几乎为 0")
        self.hold(1.5)
        self.panels = VGroup(left, right, sig_curve, sig_prime, relu, relu_prime, names, mark)
        self.right = right

    def gate(self) -> None:
        r = self.right
        zmax = float(self.e.params["z_max"])
        closed = Rectangle(width=r.c2p(0, 0)[0] - r.c2p(-zmax, 0)[0], height=r.c2p(0, 1)[1] - r.c2p(0, 0)[1],
                           stroke_width=0, fill_color=PALETTE.muted, fill_opacity=0.18)
        closed.move_to(r.c2p(-zmax / 2, 0.5))
        words = VGroup(cjk("门关：导数 0", LABEL_SIZE, PALETTE.muted).move_to(r.c2p(-zmax / 2, 0.55)),
                       cjk("门开：导数 1", LABEL_SIZE, RELU_COLOR).move_to(r.c2p(zmax / 2, 0.75)))
        self.play(FadeIn(closed), FadeIn(words), run_time=1.0)
        self.caption("ReLU 是一道折线门：负区关死，\n正区斜率恒为 1，不会饱和")
        self.hold(1.5)
        self.panels.add(closed, words)

    def pulse(self) -> None:
        e, n = self.e, self.layers
        products = {"sigmoid": e["sigmoid_product"], "relu": e["relu_product"]}
        self.play(FadeOut(self.panels), run_time=0.8)
        xs = np.linspace(4.8, -4.8, n)  # layer n (the top) on the right, layer 1 on the left
        lanes = VGroup()
        self.lane_y = {"sigmoid": 1.7, "relu": -0.3}
        for name, y in self.lane_y.items():
            boxes = VGroup(*(RoundedRectangle(corner_radius=0.06, width=0.62, height=0.5, stroke_color=PALETTE.muted,
                                              stroke_width=2).move_to([x, y, 0]) for x in xs))
            tags = VGroup(*(mono(str(n - k), SMALL_SIZE, PALETTE.muted).move_to([xs[k], y, 0]) for k in range(n)))
            head = cjk("sigmoid 网络" if name == "sigmoid" else "ReLU 网络（正区）", LABEL_SIZE,
                       SIG_COLOR if name == "sigmoid" else RELU_COLOR).next_to([xs[-1] - 0.35, y + 0.55, 0], RIGHT,
                                                                              buff=0)
            lanes.add(VGroup(boxes, tags, head))
        loss = VGroup(Circle(0.3, color=PALETTE.text, stroke_width=2.5), tex("L", TEX_SIZE))
        loss.move_to([6.2, 0.7, 0])
        self.play(FadeIn(lanes), FadeIn(loss), run_time=1.0)
        self.caption(f"误差从损失往回穿过 {n} 层：每层乘一次激活导数\n（sigmoid 取最好的 0.25，ReLU 取 1）")

        def state(j: int) -> VGroup:
            """After j layers: the pulse over the j-th box and the product written under the boxes passed."""
            group = VGroup()
            for name, y in self.lane_y.items():
                prod = products[name]
                color = SIG_COLOR if name == "sigmoid" else RELU_COLOR
                x = xs[min(j, n) - 1] if j > 0 else 5.6
                size = float(np.clip((np.log10(prod[j]) + 7) / 7, 0.0, 1.0))  # 1 → big, ≤1e-7 → a speck
                group.add(Dot([x, y, 0], radius=0.05 + 0.2 * size, color=color, fill_opacity=0.3 + 0.7 * size))
                for k in range(1, j + 1):
                    group.add(mono(sci(prod[k], 1) if name == "sigmoid" else fixed(prod[k], 1), SMALL_SIZE, color)
                              .next_to([xs[k - 1], y - 0.25, 0], DOWN, buff=0.12))
            return group

        scrub(self, [state], 0, n, 5.0)
        sig_end, relu_end = float(products["sigmoid"][n]), float(products["relu"][n])
        book = cjk(f"书中 {sci(BOOK_SIGMOID_PRODUCT, 2)} / 本次运行 {sci(sig_end, 2)}", LABEL_SIZE, PALETTE.muted)
        book.move_to([0, -1.75, 0])
        self.play(FadeIn(book), run_time=0.6)
        self.caption(f"{n} 层后：sigmoid 只剩 {sci(sig_end, 2)}，\nReLU 仍是 {sci(relu_end, 2)}")
        self.hold(1.5)

    def measured(self) -> None:
        d = self.d
        k = d["chain_k"]
        sig_c, relu_c, bound = d["sigmoid_chain"], d["relu_chain"], d["sigmoid_bound"]
        self.clear_except_title()
        chart = log_chart(len(k), sig_c, relu_c, bound, x_length=9.6, y_length=3.7).move_to([0.2, 0.55, 0])
        ticks = x_numbers(chart, [int(v) for v in k])
        x_name = cjk("往下穿过的激活层数", SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(k[-1], 0), DOWN, buff=0.5)
        x_name.align_to(chart.c2p(k[-1], 0), RIGHT)
        y_name = cjk("梯度范数 ÷ 顶层的值（对数轴）", SMALL_SIZE, PALETTE.muted)
        y_name.next_to(chart.c2p(0, chart.hi - chart.lo), UP, buff=0.15).align_to(chart.decade_labels, LEFT)
        layers = len(d["layer"])
        self.play(Create(chart), FadeIn(ticks), FadeIn(x_name), FadeIn(y_name), run_time=1.0)
        self.caption(f"真网络实测：{layers} 层 MLP 初始化时，\n用 autograd 量每层收到的梯度")
        lines = VGroup(DashedVMobject(chart.log_graph(k, bound, PALETTE.muted, stroke_width=3), num_dashes=30),
                       chart.log_graph(k, sig_c, SIG_COLOR, stroke_width=5),
                       chart.log_graph(k, relu_c, RELU_COLOR, stroke_width=5))
        self.play(Create(lines[0]), run_time=0.8)
        self.play(Create(lines[1]), Create(lines[2]), run_time=2.0)
        ends = VGroup(end_label(chart, k[-1], sig_c[-1], sci(sig_c[-1]), SIG_COLOR),
                      end_label(chart, k[-1], relu_c[-1], fixed(relu_c[-1], 2), RELU_COLOR))
        legend = legend_column([(swatch(RELU_COLOR), "ReLU（He 初始化）实测"),
                                (swatch(SIG_COLOR), "sigmoid（Glorot 初始化）实测"),
                                (swatch(PALETTE.muted, dashed=True), "0.25 的 k 次方（书中算法）")])
        legend.next_to(chart.c2p(0, 0), UP + RIGHT, buff=0.3)  # the empty lower-left corner
        self.play(FadeIn(ends), FadeIn(legend), run_time=0.8)
        slope = float(d.metrics["sigmoid_mean_slope"])
        self.caption(f"sigmoid 层平均 σ′ = {fixed(slope, 3)}：{layers} 层后剩 {sci(sig_c[-1])}；\n"
                     f"ReLU 仍保有 {fixed(relu_c[-1], 2)}")
        self.hold(2.5)

    def clear_except_title(self) -> None:
        keep = {self.title_mob, self.current_caption}
        self.play(*(FadeOut(m) for m in self.mobjects if m not in keep), run_time=0.7)


# =============================================================================================================
class Residual(BookScene):
    """y = F(x) + x: the backward pass splits into F′ and an identity highway; many blocks, measured."""

    TRACES = ("enablers.default", "depth_gradients.default")
    TITLE = "第9章 · 残差连接：梯度的高速公路"

    def construct(self) -> None:
        self.e, self.d = self.trace("enablers.default"), self.trace("depth_gradients.default")
        self.block()
        self.split()
        self.stack()

    Y = 0.55  # the block diagram's wire

    def block(self) -> None:
        y = self.Y
        x_in, box, plus, y_out = (np.array([v, y, 0]) for v in (-5.2, -2.2, 0.8, 2.6))
        self.x_node = tex("x", 40).move_to(x_in)
        self.f_box = VGroup(RoundedRectangle(corner_radius=0.12, width=2.0, height=1.0, color=PALETTE.forward,
                                             stroke_width=3), tex("F(x)", 36)).move_to(box)
        self.plus = VGroup(Circle(0.28, color=PALETTE.text, stroke_width=3), tex("+", 36)).move_to(plus)
        self.y_node = tex("y", 40).move_to(y_out)
        wires = VGroup(arrow_between(x_in + 0.25 * RIGHT, self.f_box.get_left(), PALETTE.forward),
                       arrow_between(self.f_box.get_right(), self.plus.get_left(), PALETTE.forward),
                       arrow_between(self.plus.get_right(), y_out + 0.25 * LEFT, PALETTE.forward))
        self.skip = CurvedArrow(x_in + 0.3 * UP, self.plus.get_top(), angle=-1.6, color=PALETTE.forward,
                                stroke_width=4)
        skip_name = cjk("捷径：原样加回 x", LABEL_SIZE, PALETTE.forward).move_to([box[0], y + 0.95, 0])
        rule = VGroup(tex(r"y=F(x)+x"), tex(r"\frac{\partial y}{\partial x}=1+\frac{\partial F}{\partial x}"))
        rule.arrange(DOWN, buff=0.35, aligned_edge=LEFT).move_to([5.0, y + 0.3, 0])
        self.play(FadeIn(self.x_node), FadeIn(self.f_box), Create(wires), FadeIn(self.plus), FadeIn(self.y_node),
                  run_time=1.2)
        self.play(Create(self.skip), FadeIn(skip_name), run_time=1.0)
        self.play(FadeIn(rule), run_time=0.8)
        self.caption("残差块：让 F 只学差值，\n再把输入 x 直接加回输出")
        self.hold(1.2)
        self.diagram = VGroup(self.x_node, self.f_box, self.plus, self.y_node, wires, self.skip, skip_name, rule)

    def split(self) -> None:
        e = self.e
        y = self.Y
        back_f = arrow_between(np.array([0.55, y - 0.35, 0]), self.f_box.get_bottom() + 0.5 * RIGHT + 0.05 * DOWN,
                               GRAD, stroke_width=5)
        back_skip = CurvedArrow(self.plus.get_top() + 0.45 * UP, self.x_node.get_top() + 0.8 * UP, angle=1.1,
                                color=GRAD, stroke_width=5)
        tags = VGroup(tex(r"\times F'", TEX_SIZE, GRAD).next_to(self.f_box, DOWN, buff=0.45),
                      tex(r"\times 1", TEX_SIZE, GRAD).next_to(back_skip, UP, buff=0.08))
        self.play(Create(back_skip), Create(back_f), FadeIn(tags), run_time=1.4)
        self.caption("反传时梯度分两路：一路穿过 F（乘 F′），\n一路走捷径（乘 1，原样到达）")
        rows = VGroup()
        for fp, p, r in zip(e["f_primes"], e["plain_dydx"], e["residual_dydx"]):
            rows.add(VGroup(tex(rf"F'={plain(fp)}", TEX_SIZE),
                            cjk(f"普通层 dy/dx = {plain(p)}", LABEL_SIZE, PALETTE.muted),
                            cjk(f"残差层 dy/dx = 1 + {plain(fp)} = {plain(r)}", LABEL_SIZE, PALETTE.learned))
                     .arrange(RIGHT, buff=0.45))
        rows.arrange(DOWN, buff=0.3, aligned_edge=LEFT).move_to([0, -1.35, 0])
        for row in rows:
            self.play(FadeIn(row), run_time=0.8)
            self.hold(0.8)
        ratio = float(self.d.metrics["residual_mean_f_ratio"])
        self.caption(f"真网络实测：F 支路平均只传回 ×{fixed(ratio, 2)}，\n捷径支路永远是 ×1")
        self.hold(1.5)
        self.play(FadeOut(self.diagram), FadeOut(back_f), FadeOut(back_skip), FadeOut(tags), FadeOut(rows),
                  run_time=0.8)

    def stack(self) -> None:
        d = self.d
        blocks = d["block"]
        n = len(blocks)
        plain_g = d["plain_hidden_grad"] / d["plain_hidden_grad"][-1]
        res_g = d["residual_hidden_grad"] / d["residual_hidden_grad"][-1]
        chart = log_chart(n, plain_g, res_g, x_length=9.0, y_length=3.7, first=1).move_to([-0.6, 0.55, 0])
        ticks = x_numbers(chart, sorted({1, *range(5, n + 1, 5), n}))
        x_name = cjk("第几块（1 = 最底层）", SMALL_SIZE, PALETTE.muted).next_to(chart.c2p(n, 0), DOWN, buff=0.5)
        x_name.align_to(chart.c2p(n, 0), RIGHT)
        y_name = cjk("块输入处的梯度范数 ÷ 顶层的值（对数轴）", SMALL_SIZE, PALETTE.muted)
        y_name.next_to(chart.c2p(1, chart.hi - chart.lo), UP, buff=0.15).align_to(chart.decade_labels, LEFT)
        self.play(Create(chart), FadeIn(ticks), FadeIn(x_name), FadeIn(y_name), run_time=1.0)
        self.caption(f"把 {n} 个块叠起来（默认初始化），实测每块收到的梯度：\n有捷径 vs 去掉捷径")

        def curves(j: int) -> VGroup:  # drawn from the top block (n) down to block n − j
            idx = np.arange(n - 1 - j, n)
            if len(idx) < 2:
                return VGroup()
            return VGroup(chart.log_graph(blocks[idx], plain_g[idx], GRAD, stroke_width=5),
                          chart.log_graph(blocks[idx], res_g[idx], RELU_COLOR, stroke_width=5))

        scrub(self, [curves], 1, n - 1, 4.0)
        ends = VGroup(end_label(chart, 1, plain_g[0], sci(plain_g[0]), GRAD, side=UP),
                      end_label(chart, 1, res_g[0], fixed(res_g[0], 2), RELU_COLOR, side=DOWN + RIGHT))
        ends[0][1].shift(0.6 * UP + 0.8 * RIGHT)  # above its line, clear of the axis
        ends[1][1].shift(0.3 * RIGHT)
        legend = legend_column([(swatch(RELU_COLOR), "残差：x + F(x)"), (swatch(GRAD), "普通：只有 F(x)")])
        legend.next_to(chart.c2p(n, 0), UP + LEFT, buff=0.3)  # under the plain curve's climb: empty there
        self.play(FadeIn(ends), FadeIn(legend), run_time=0.8)
        self.caption(f"到第 1 块：普通堆叠只剩 {sci(plain_g[0])}，\n残差网络仍有 {fixed(res_g[0], 2)}")
        self.hold(2.5)


# =============================================================================================================
class BatchNormScene(BookScene):
    """One unit's pre-activations drift without BN; with BN each batch is snapped to mean 0, std 1, then γ, β."""

    TRACES = ("batchnorm.default",)
    TITLE = "第9章 · BatchNorm：把漂移的分布拉回来"
    XS = (-4.6, 0.0, 4.6)  # the three panels: no BN, BN's input z, BN's output
    SMALL = (4.2, 2.8)  # panel width, height
    BIG = (8.0, 3.6)  # the first panel while it is alone
    REPLAY = 8.0  # seconds per replay of the run

    def construct(self) -> None:
        self.t = self.trace("batchnorm.default")
        self.last = len(self.t["step"]) - 1
        self.drift()
        self.normalise()
        self.scale_shift()
        self.conclude()

    def hist_panel(self, edges: np.ndarray, counts: np.ndarray, x: float, size: tuple[float, float]) -> Axes:
        """Axes for a histogram: x over the bin edges (end values written inside the ends), y up to the tallest bar."""
        top = float(counts.max()) / counts.sum(1)[0]
        lo, hi = float(edges[0]), float(edges[-1])
        axes = Axes(x_range=[lo, hi, hi - lo], y_range=[0, top, top], x_length=size[0], y_length=size[1], tips=False,
                    axis_config={"color": PALETTE.muted, "stroke_width": 2, "include_ticks": False})
        axes.move_to([x, 0.5, 0])
        axes.add(mono(sig(lo, 2), SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(lo, 0), DOWN, buff=0.12)
                 .align_to(axes.c2p(lo, 0), LEFT),
                 mono(sig(hi, 2), SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(hi, 0), DOWN, buff=0.12)
                 .align_to(axes.c2p(hi, 0), RIGHT))
        if lo < 0 < hi:
            axes.add(mono("0", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(0, 0), DOWN, buff=0.12))
        return axes

    @staticmethod
    def name(axes: Axes, text: str, color: str) -> VGroup:
        return cjk(text, LABEL_SIZE, color).next_to(axes, UP, buff=0.2)

    @staticmethod
    def bars(axes: Axes, edges: np.ndarray, counts: np.ndarray, color: str) -> VGroup:
        share = counts / max(counts.sum(), 1)
        group = VGroup()
        for a, b, h in zip(edges[:-1], edges[1:], share):
            if h > 0:
                p0, p1 = axes.c2p(a, 0), axes.c2p(b, h)
                group.add(Rectangle(width=p1[0] - p0[0], height=p1[1] - p0[1], stroke_width=1,
                                    stroke_color=PALETTE.background, fill_color=color, fill_opacity=0.85)
                          .move_to((p0 + p1) / 2))
        return group

    @staticmethod
    def stat_lines(axes: Axes, texts: list[str], color: str) -> VGroup:
        group = VGroup(*(mono(s, SMALL_SIZE, color) for s in texts)).arrange(RIGHT, buff=0.35)
        return group.next_to(axes.c2p(0.5 * (axes.x_range[0] + axes.x_range[1]), 0), DOWN, buff=0.5)

    def counter(self, k: int) -> VGroup:
        return mono(f"第 {k:3d} 步", LABEL_SIZE).to_corner(UP + RIGHT, buff=0.4)

    def plain_state(self, axes: Axes, k: int) -> list[VGroup]:
        t = self.t
        return [self.bars(axes, t["z_edges"], t["plain_hist"][k], GRAD),
                self.stat_lines(axes, [f"均值 {fixed(t['plain_mean'][k], 2)}",
                                       f"标准差 {fixed(t['plain_std'][k], 2)}"], GRAD)]

    def drift(self) -> None:
        t = self.t
        unit, layer = int(t["unit"]), int(t.params["probe_layer"])
        big = self.hist_panel(t["z_edges"], t["plain_hist"], 0.0, self.BIG)
        name = self.name(big, "无 BN：这个单元的输入 z（一个小批次）", GRAD)
        self.play(Create(big), FadeIn(name), run_time=0.8)
        self.caption(f"真训练，不加 BN：盯住第 {layer} 层第 {unit} 号单元，\n看每一步小批次里它的输入 z")
        badge = speed_badge(f"{self.last + 1} 步回放 {plain(self.REPLAY)} 秒").next_to(self.title_mob, RIGHT, buff=0.8)
        self.play(FadeIn(badge), run_time=0.5)
        live = scrub(self, [lambda k: VGroup(*self.plain_state(big, k)), self.counter], 0, self.last, self.REPLAY)
        m0, m1 = t["plain_mean"][0], t["plain_mean"][-1]
        s0, s1 = t["plain_std"][0], t["plain_std"][-1]
        self.caption(f"均值 {fixed(m0, 2)} → {fixed(m1, 2)}，标准差 {fixed(s0, 2)} → {fixed(s1, 2)}：\n"
                     "下一层面对的输入一直在变")
        self.hold(1.5)
        # the run without BN moves to the left third and stays there, at its last step
        self.plain_ax = self.hist_panel(t["z_edges"], t["plain_hist"], self.XS[0], self.SMALL)
        small_name = self.name(self.plain_ax, "无 BN：z", GRAD)
        self.plain_last = VGroup(*self.plain_state(self.plain_ax, self.last))
        self.remove(live[0])
        self.play(ReplacementTransform(big, self.plain_ax), ReplacementTransform(name, small_name),
                  FadeIn(self.plain_last), run_time=1.0)
        self.remove(live[1])
        self.badge = badge

    def bn_state(self, k: int, out: str = "xhat") -> VGroup:
        t = self.t
        right = ([f"均值 {fixed(t['bn_xhat_mean'][k], 2)}", f"标准差 {fixed(t['bn_xhat_std'][k], 2)}"]
                 if out == "xhat" else [f"γ {fixed(t['bn_gamma'][k], 3)}", f"β {fixed(t['bn_beta'][k], 3)}"])
        return VGroup(self.bars(self.bn_ax, t["z_edges"], t["bn_z_hist"][k], PALETTE.positive),
                      self.bars(self.out_ax, t["std_edges"], t[f"bn_{'xhat' if out == 'xhat' else 'y'}_hist"][k],
                                RELU_COLOR),
                      self.stat_lines(self.bn_ax, [f"批均值 {fixed(t['bn_mu'][k], 2)}",
                                                   f"批标准差 {fixed(t['bn_sigma'][k], 2)}"], PALETTE.positive),
                      self.stat_lines(self.out_ax, right, RELU_COLOR))

    def normalise(self) -> None:
        t = self.t
        self.bn_ax = self.hist_panel(t["z_edges"], t["bn_z_hist"], self.XS[1], self.SMALL)
        self.out_ax = self.hist_panel(t["std_edges"], np.concatenate([t["bn_xhat_hist"], t["bn_y_hist"]]),
                                      self.XS[2], self.SMALL)
        self.out_name = self.name(self.out_ax, "归一化后 x̂", RELU_COLOR)
        rule = tex(r"\hat x=\frac{x-\mu_B}{\sqrt{\sigma_B^2+\epsilon}}", TEX_SIZE).move_to([2.3, 2.75, 0])
        self.play(Create(self.bn_ax), FadeIn(self.name(self.bn_ax, "有 BN：输入 z", PALETTE.positive)),
                  Create(self.out_ax), FadeIn(self.out_name), FadeIn(rule), run_time=1.2)
        self.caption("同一网络加上 BN：每个批次先减去批均值，\n再除以批标准差")
        self.live = scrub(self, [self.bn_state, self.counter], 0, self.last, self.REPLAY)
        worst = float(t.metrics["xhat_mean_max_abs"])
        lo, hi = t.metrics["xhat_std_range"]
        self.caption(f"每一步 x̂ 的均值都是 0（最大偏差 {sci(worst)}），\n标准差在 {fixed(lo, 4)}–{fixed(hi, 4)} 之间")
        self.hold(1.5)
        self.rule = rule

    def scale_shift(self) -> None:
        t = self.t
        rule = tex(r"y=\gamma\hat x+\beta", TEX_SIZE).move_to(self.rule)
        name = self.name(self.out_ax, "输出 y = γx̂ + β", RELU_COLOR)
        after = self.bn_state(self.last, out="y")
        self.play(FadeOut(self.badge), ReplacementTransform(self.rule, rule), ReplacementTransform(self.out_name, name),
                  FadeOut(self.live[0][1]), FadeOut(self.live[0][3]), FadeIn(after[1]), FadeIn(after[3]),
                  run_time=1.0)
        gamma, beta = float(t["bn_gamma"][-1]), float(t["bn_beta"][-1])
        self.caption(f"再用可学的 γ、β 缩放平移；第 {self.last} 步\nγ = {fixed(gamma, 3)}，β = {fixed(beta, 3)}")
        self.hold(1.2)
        undo = float(t.metrics["undo_error"])
        self.caption(f"若学成 γ = σ、β = μ（批统计量），就原样还原 z\n（实测最大误差 {sci(undo)}）")
        self.hold(1.5)

    def conclude(self) -> None:
        m = self.t.metrics
        target = plain(self.t.params["loss_target"])
        steps = {k: int(m[f"{k}_steps_to_target"]) for k in ("plain", "bn")}
        said = {k: (f"{v} 步" if v >= 0 else f"{self.last + 1} 步内未到") for k, v in steps.items()}
        self.caption(f"同样的学习率 {plain(self.t.params['lr'])}，损失降到 {target}：\n"
                     f"有 BN {said['bn']}，无 BN {said['plain']}")
        self.hold(2.5)


# =============================================================================================================
class AdamTrajectory(BookScene):
    """SGD zig-zags across a narrow valley; Adam's per-coordinate step heads for the minimum. Both tuned."""

    TRACES = ("optimizers.default",)
    TITLE = "第9章 · Adam：每个方向自己的步长"
    BOX = (-6.7, 1.2, -2.2, 3.1)  # the contour plot's frame: x0, x1, y0, y1 (scene units)

    def construct(self) -> None:
        self.t = self.trace("optimizers.default")
        self.valley()
        self.race()
        self.conclude()

    def valley(self) -> None:
        t = self.t
        paths = np.concatenate([t["sgd_path"], t["adam_path"]])
        lo, hi = paths.min(0), paths.max(0)
        pad = 0.08 * (hi - lo) + 0.1
        lo, hi = lo - pad, hi + pad
        x0, x1, y0, y1 = self.BOX
        self.scale = min((x1 - x0) / (hi[0] - lo[0]), (y1 - y0) / (hi[1] - lo[1]))  # one unit = one unit: true shape
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2, 0])
        self.origin = centre - self.scale * np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 0])
        a, b = t["curv"]
        start_loss = float(t.metrics["start_loss"])
        frame = Rectangle(width=x1 - x0, height=y1 - y0, stroke_color=PALETTE.muted, stroke_width=1.5).move_to(centre)
        rings = VGroup(*(self.level_set(level, a, b) for level in start_loss * np.geomspace(4, 1e-3, 9)))
        minimum = VGroup(Dot(self.origin, radius=0.06, color=PALETTE.text),
                         cjk("谷底", SMALL_SIZE, PALETTE.text).next_to(self.origin, DOWN, buff=0.1))
        start = self.at(t["start"])
        start_dot = VGroup(Dot(start, radius=0.08, color=PALETTE.text),
                           cjk("起点", SMALL_SIZE, PALETTE.text).next_to(start, UP, buff=0.1))
        rule = tex(rf"f(x,y)=\tfrac12\left({plain(a)}\,x^2+{plain(b)}\,y^2\right)", TEX_SIZE)
        rule.next_to(frame, RIGHT, buff=0.3).align_to(frame, UP)
        self.play(Create(frame), Create(rings), FadeIn(minimum), run_time=1.5)
        self.play(FadeIn(start_dot), FadeIn(rule), run_time=0.8)
        cond = plain(t.metrics["condition"])
        self.caption(f"一条狭长的山谷：横穿方向比顺谷方向\n陡 {cond} 倍（等高线按真实比例）")
        self.hold(1.2)
        self.rule = rule

    def level_set(self, level: float, a: float, b: float) -> VGroup:
        """The contour f = level, clipped to the plot's frame (pieces inside it only)."""
        x0, x1, y0, y1 = self.BOX
        angle = np.linspace(0, 2 * np.pi, 241)
        pts = self.origin + self.scale * np.stack([np.sqrt(2 * level / a) * np.cos(angle),
                                                   np.sqrt(2 * level / b) * np.sin(angle), 0 * angle], 1)
        inside = (pts[:, 0] > x0) & (pts[:, 0] < x1) & (pts[:, 1] > y0) & (pts[:, 1] < y1)
        pieces, run = VGroup(), []
        for p, ok in zip([*pts, None], [*inside, False]):  # a sentinel closes the last run
            if ok:
                run.append(p)
                continue
            if len(run) > 1:
                pieces.add(VMobject(stroke_color=PALETTE.grid, stroke_width=2).set_points_as_corners(run))
            run = []
        return pieces

    def at(self, w: np.ndarray) -> np.ndarray:
        return self.origin + self.scale * np.array([w[0], w[1], 0.0])

    def race(self) -> None:
        t, m = self.t, self.t.metrics
        sgd, adam = t["sgd_path"], t["adam_path"]
        reached = [s for s in (m["sgd_steps"], m["adam_steps"]) if s >= 0]
        stop = min(len(sgd) - 1, max(reached) + 5 if reached else len(sgd) - 1)
        self.stop = stop
        legend = legend_column([(swatch(GRAD), f"SGD  η = {sig(m['sgd_lr'], 2)}"),
                                (swatch(RELU_COLOR), f"Adam η = {sig(m['adam_lr'], 2)}")])
        legend.next_to(self.rule, DOWN, buff=0.35).align_to(self.rule, LEFT)
        self.play(FadeIn(legend), run_time=0.6)
        self.caption("同一起点，各用扫出来最快的学习率，\n一步一步走")
        panel = CounterPanel(lambda k: [f"第 {k:3d} 步", f"SGD  离谷底 {sig(np.linalg.norm(sgd[k]), 2)}",
                                        f"Adam 离谷底 {sig(np.linalg.norm(adam[k]), 2)}"], size=SMALL_SIZE)

        def paths(k: int) -> VGroup:
            group = VGroup()
            for path, color in ((sgd, GRAD), (adam, RELU_COLOR)):
                pts = [self.at(w) for w in path[: k + 1]]
                if len(pts) > 1:
                    group.add(VMobject(stroke_color=color, stroke_width=3).set_points_as_corners(pts))
                group.add(Dot(pts[-1], radius=0.07, color=color))
            return group

        def counters(k: int) -> VGroup:
            return panel.build(k).next_to(legend, DOWN, buff=0.4).align_to(legend, LEFT)

        badge = speed_badge(f"{stop} 步用 10 秒").next_to(self.title_mob, RIGHT, buff=0.8)
        self.play(FadeIn(badge), run_time=0.5)
        self.live = scrub(self, [paths, counters], 0, stop, 10.0)
        self.play(FadeOut(badge), run_time=0.5)
        self.legend = legend
        zig = m["sgd_y_sign_changes"]
        self.caption(f"SGD 前 50 步横穿谷底 {zig} 次，来回之字；\nAdam 按各方向的 √v̂ 缩放，直奔谷底")
        self.hold(1.5)

    def conclude(self) -> None:
        t, m = self.t, self.t.metrics
        sweep = self.sweep_chart()
        self.play(FadeIn(sweep), run_time=1.0)
        tol = sig(float(t.params["tol"]), 1)
        said = {k: (f"{m[f'{k}_steps']} 步" if m[f"{k}_steps"] >= 0 else f"{len(t['step']) - 1} 步内未到")
                for k in ("sgd", "adam")}
        self.caption(f"进入谷底 {tol} 以内：Adam {said['adam']}，SGD {said['sgd']}\n"
                     f"（每种方法试了 {len(t['sgd_sweep_lr'])} 个学习率）")
        self.hold(3.0)

    def sweep_chart(self) -> VGroup:
        """Steps needed against log₁₀ η, for every η of both sweeps; the chosen η ringed."""
        t, m = self.t, self.t.metrics
        limit = len(t["step"]) - 1
        lrs = np.concatenate([t["sgd_sweep_lr"], t["adam_sweep_lr"]])
        lx0, lx1 = np.floor(np.log10(lrs.min())), np.ceil(np.log10(lrs.max()))
        axes = Axes(x_range=[lx0, lx1, 1], y_range=[0, limit, limit], x_length=4.3, y_length=1.35, tips=False,
                    axis_config={"color": PALETTE.muted, "stroke_width": 2})
        axes.next_to(self.live[1], DOWN, buff=0.75).align_to(self.legend, LEFT).shift(0.5 * RIGHT)
        group = VGroup(axes)
        for x in range(int(lx0), int(lx1) + 1):
            group.add(tex(f"10^{{{x}}}", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(x, 0), DOWN, buff=0.1))
        group.add(mono(str(limit), SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(lx0, limit), LEFT, buff=0.1),
                  cjk("学习率扫描：到达所需步数", SMALL_SIZE, PALETTE.muted)
                  .next_to(axes, UP, buff=0.15).align_to(axes, LEFT).shift(0.5 * LEFT),
                  cjk("（空心 = 没到）", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(lx1, limit), DOWN, buff=0.1)
                  .align_to(axes.c2p(lx1, 0), RIGHT))
        for method, color in (("sgd", GRAD), ("adam", RELU_COLOR)):
            for lr, steps in zip(t[f"{method}_sweep_lr"], t[f"{method}_sweep_steps"]):
                at = axes.c2p(np.log10(lr), steps if steps >= 0 else limit)
                group.add(Dot(at, radius=0.045, color=color) if steps >= 0 else
                          Circle(0.045, color=color, stroke_width=1.5).move_to(at))
            best = m[f"{method}_lr"]
            y = m[f"{method}_steps"] if m[f"{method}_steps"] >= 0 else limit
            group.add(Circle(0.1, color=color, stroke_width=3).move_to(axes.c2p(np.log10(best), y)))
        return group

