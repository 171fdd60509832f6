"""Chapter 2 — 反向传播: the error flows back along the edges it came from.

``Backprop`` replays one sample of the book's 2-2-1 XOR net at epoch 0: the
forward values fill the graph left to right, then ∂L/∂(node) flows right to
left with each edge's local derivative, the δ recursion is written out with
the same numbers, every parameter's gradient lands in a table, and the run
ends on the trained net's loss curve and predictions. ``Fig_ForwardBackward``
is the book's two-lane diagram D02.1.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Circle,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    Indicate,
    Line,
    RoundedRectangle,
    ShowPassingFlash,
    VGroup,
    VMobject,
    linear,
)

from scenes.common import (
    PALETTE,
    SAFE,
    BookScene,
    LogAxes,
    arrow_between,
    cjk,
    decade_span,
    line_legend,
    math,
    mono,
    speed_badge,
)

TRACE = "backprop.default"

# --- the computational graph, as laid out on screen ------------------------------
# node name (trace's node_names) -> (column, row): row +1 top, -1 bottom, 0 middle
NODE_AT = {"x1": (0, 1), "x2": (0, -1), "z1_1": (1, 1), "z1_2": (1, -1), "a1_1": (2, 1), "a1_2": (2, -1),
           "z2": (3, 0), "yhat": (4, 0), "L": (5, 0)}
NODE_TEX = {"x1": "x_1", "x2": "x_2", "z1_1": "z^{(1)}_1", "z1_2": "z^{(1)}_2", "a1_1": "a^{(1)}_1",
            "a1_2": "a^{(1)}_2", "z2": "z^{(2)}", "yhat": r"\hat y", "L": "L"}
GRAPH_LEFT, COLUMN_GAP = -6.25, 1.73  # x of column 0, spacing between columns
GRAPH_MID, ROW_GAP = 1.35, 0.83  # y of the middle row, offset of the top / bottom rows
NODE_R = 0.33
STAGES = (("x1", "x2"), ("z1_1", "z1_2"), ("a1_1", "a1_2"), ("z2",), ("yhat",), ("L",))  # columns in order

FORMULA_LEFT = -6.55  # left edge of the formula block under the graph
FORMULA_TOP = -0.3
FORMULA_SIZE = 28
PANEL_LEFT = 3.05  # left edge of the parameter-gradient table
PREDICT_LEFT = -0.4  # left edge of the final predictions, right of the loss chart
# parameter (trace's param_names) -> how the table names it, and what it sits on in the graph
PARAM_ROWS = {
    "W1[0,0]": (r"x_1\!\to\! z^{(1)}_1", "edge", ("x1", "z1_1")),
    "W1[0,1]": (r"x_1\!\to\! z^{(1)}_2", "edge", ("x1", "z1_2")),
    "W1[1,0]": (r"x_2\!\to\! z^{(1)}_1", "edge", ("x2", "z1_1")),
    "W1[1,1]": (r"x_2\!\to\! z^{(1)}_2", "edge", ("x2", "z1_2")),
    "b1[0]": (r"b^{(1)}_1", "node", ("z1_1",)),
    "b1[1]": (r"b^{(1)}_2", "node", ("z1_2",)),
    "W2[0,0]": (r"a^{(1)}_1\!\to\! z^{(2)}", "edge", ("a1_1", "z2")),
    "W2[1,0]": (r"a^{(1)}_2\!\to\! z^{(2)}", "edge", ("a1_2", "z2")),
    "b2[0]": (r"b^{(2)}", "node", ("z2",)),
}


def fwd(v: float) -> str:
    """A forward value: integers as integers, the rest to 3 decimals."""
    return f"{v:g}" if float(v).is_integer() else f"{v:.3f}"


def bwd(v: float) -> str:
    """A backward value (∂L/∂·, local derivative) to 3 significant digits: 0.684, 0.0299."""
    digits = max(0, 2 - int(np.floor(np.log10(abs(v))))) if v else 3
    return f"{v:.{digits}f}"


def grad5(v: float) -> str:
    """A parameter gradient to 5 decimals, as the book's reproduced values are quoted."""
    return f"{v:.5f}"


def node_point(name: str) -> np.ndarray:
    col, row = NODE_AT[name]
    return np.array([GRAPH_LEFT + col * COLUMN_GAP, GRAPH_MID + row * ROW_GAP, 0.0])


class Graph(VGroup):
    """Nodes and edges of the 2-2-1 net, built from the trace's graph table."""

    def __init__(self, names: list[str], src: np.ndarray, dst: np.ndarray, labels: list[str],
                 local: np.ndarray) -> None:
        super().__init__()
        self.nodes = {}
        for name in names:
            circle = Circle(NODE_R, color=PALETTE.muted, stroke_width=3).move_to(node_point(name))
            circle.set_fill(PALETTE.background, 1.0)
            self.nodes[name] = VGroup(circle, math(NODE_TEX[name], 28).move_to(circle))
        self.pairs = [(names[s], names[d]) for s, d in zip(src, dst)]
        self.edges = [Line(node_point(a), node_point(b), buff=NODE_R, color=PALETTE.grid, stroke_width=3)
                      for a, b in self.pairs]
        self.edge_labels = [self.edge_tag(k, label, g) for k, (label, g) in enumerate(zip(labels, local))]
        self.edge_group = VGroup(*self.edges)
        self.label_group = VGroup(*(m for m in self.edge_labels if m is not None))
        self.add(self.edge_group, *self.nodes.values(), self.label_group)

    def edge_index(self, src: str, dst: str) -> int:
        return self.pairs.index((src, dst))

    def edges_between(self, earlier: tuple[str, ...], later: tuple[str, ...]) -> list[int]:
        return [k for k, (a, b) in enumerate(self.pairs) if a in earlier and b in later]

    def edge_tag(self, k: int, label: str, local: float) -> VMobject | None:
        """The weight on a W edge, σ on an activation edge, nothing on the loss edge."""
        if label.startswith("W"):
            return self.place_tag(mono(f"{local:+.2f}", 20, PALETTE.muted), k)
        if label == "sigma":
            return self.place_tag(math(r"\sigma", 28, PALETTE.muted), k)
        return None

    def place_tag(self, tag: VMobject, k: int) -> VMobject:
        """On the edge itself, masking the line: at its middle, or (x → z¹, which cross) a third of the way."""
        a, b = (node_point(n) for n in self.pairs[k])
        at = a + (0.33 if self.pairs[k][0].startswith("x") and a[1] != b[1] else 0.5) * (b - a)
        tag.add_background_rectangle(color=PALETTE.background, opacity=1.0, buff=0.04)
        return tag.move_to(at)

    def flow(self, k: int, color: str, backward: bool = False) -> ShowPassingFlash:
        """A pulse along edge k, left to right or (backward) right to left."""
        line = self.edges[k]
        ends = (line.get_end(), line.get_start()) if backward else (line.get_start(), line.get_end())
        return ShowPassingFlash(Line(*ends, color=color, stroke_width=8), time_width=0.6)


class Backprop(BookScene):
    """One sample forward, its error backward, every gradient from the two sweeps; then the trained net."""

    TRACES = ("backprop.default",)
    TITLE = "第2章 · 反向传播"

    def construct(self) -> None:
        self.show_graph()
        self.forward_pass()
        self.backward_pass()
        self.chain_rule()
        self.collect_gradients()
        self.train()
        self.conclude()

    # --- beats ------------------------------------------------------------------
    def show_graph(self) -> None:
        t = self.trace(TRACE)
        self.names = [str(n) for n in t["node_names"]]
        self.graph = Graph(self.names, t["edge_src"], t["edge_dst"], [str(s) for s in t["edge_label"]],
                           t["sample_edge_local_grad"])
        legend = line_legend([(PALETTE.forward, "前向：值"), (PALETTE.backward, "反向：导数")])
        legend.to_corner(UP + RIGHT, buff=SAFE)
        x, y = t["sample_x"], float(t["sample_y"])
        note = cjk(f"第 0 轮 · 样本 x = ({x[0]:g}, {x[1]:g})，目标 y = {y:g}", 20, PALETTE.muted)
        note.next_to(self.title_mob, DOWN, buff=0.1, aligned_edge=LEFT)
        self.play(FadeIn(self.graph.edge_group), *(FadeIn(n, scale=0.8) for n in self.graph.nodes.values()),
                  run_time=1.0)
        self.play(FadeIn(self.graph.label_group), FadeIn(legend), FadeIn(note), run_time=0.8)
        shape = "-".join(str(n) for n in (*t["W1_init"].shape, 1))  # inputs-hidden-output
        self.caption(f"{shape} 网络的计算图：\n边上是初始权重，σ 是 sigmoid")
        self.wait(1.4)

    def forward_pass(self) -> None:
        t = self.trace(TRACE)
        values = t["sample_node_value"]
        tags = {n: self.value_tag(n, fwd(values[self.names.index(n)]), PALETTE.forward, UP) for n in self.names}
        self.play(*(FadeIn(tags[n]) for n in STAGES[0]),
                  *(self.graph.nodes[n][0].animate.set_stroke(PALETTE.forward) for n in STAGES[0]), run_time=0.6)
        self.caption("前向：值沿边从左流到右")
        for prev, stage in zip(STAGES, STAGES[1:]):
            self.play(*(self.graph.flow(k, PALETTE.forward) for k in self.graph.edges_between(prev, stage)),
                      run_time=0.7)
            self.play(*(FadeIn(tags[n], shift=0.1 * RIGHT) for n in stage),
                      *(self.graph.nodes[n][0].animate.set_stroke(PALETTE.forward) for n in stage), run_time=0.5)
        loss = math(r"L = \tfrac12(\hat y - y)^2", 24, PALETTE.muted).next_to(self.graph.nodes["L"], DOWN, buff=0.4)
        loss.align_to(self.graph.nodes["L"], RIGHT)
        self.play(FadeIn(loss), run_time=0.5)
        self.caption(f"预测 ŷ = {fwd(float(t['sample_yhat']))}，目标是 {float(t['sample_y']):g}：\n"
                     f"损失 L = {fwd(float(t['sample_loss_half']))}")
        self.wait(1.8)

    def backward_pass(self) -> None:
        t = self.trace(TRACE)
        grads, local = t["sample_node_grad"], t["sample_edge_local_grad"]
        self.caption("反向：误差沿同一批边流回，\n每条边乘上自己的局部导数")
        self.grads = {}
        order = list(reversed(STAGES))
        for later, earlier in zip(order, order[1:]):
            if earlier == STAGES[0]:
                break  # ∂L/∂x is not needed for learning: the sweep stops at δ¹
            edges = self.graph.edges_between(earlier, later)
            new_tags = [self.graph.place_tag(mono(bwd(local[k]), 20, PALETTE.backward), k) for k in edges]
            for name in earlier:
                self.grads[name] = self.value_tag(name, bwd(grads[self.names.index(name)]), PALETTE.backward, DOWN)
            self.play(*(self.graph.flow(k, PALETTE.backward, backward=True) for k in edges),
                      *(self.graph.edges[k].animate.set_color(PALETTE.backward).set_opacity(0.6) for k in edges),
                      *self.swap_tags(edges, new_tags), run_time=0.8)
            self.play(*(FadeIn(self.grads[n], shift=0.1 * LEFT) for n in earlier), run_time=0.5)
            if earlier == ("z2",):
                self.write_delta2()
        self.write_delta1()

    def write_delta2(self) -> None:
        t = self.trace(TRACE)
        line = math(rf"\delta^{{(2)}} = (\hat y - y)\,\sigma'(z^{{(2)}}) = {bwd(float(t['sample_dL_dyhat']))}"
                    rf"\times {bwd(float(t['sample_sigma_prime_z2']))} = {bwd(float(t['sample_delta2']))}",
                    FORMULA_SIZE, PALETTE.backward)
        self.delta2 = line.move_to(np.array([FORMULA_LEFT, FORMULA_TOP, 0]), aligned_edge=UP + LEFT)
        self.play(FadeIn(line, shift=0.1 * DOWN), Indicate(self.grads["z2"], color=PALETTE.highlight),
                  run_time=1.0)
        self.wait(0.6)

    def write_delta1(self) -> None:
        t = self.trace(TRACE)

        def vec(v: np.ndarray) -> str:
            return r"\left[" + r",\ ".join(bwd(x) for x in v) + r"\right]"

        rule = math(r"\delta^{(1)} = \big(W^{(2)\top}\delta^{(2)}\big)\odot\sigma'(z^{(1)})", FORMULA_SIZE,
                    PALETTE.backward)
        nums = math(rf"= {vec(t['sample_W2T_delta2'])} \odot {vec(t['sample_sigma_prime_z1'])}"
                    rf" = {vec(t['sample_delta1'])}", FORMULA_SIZE, PALETTE.backward)
        rule.next_to(self.delta2, DOWN, buff=0.2, aligned_edge=LEFT)
        nums.next_to(rule, DOWN, buff=0.15, aligned_edge=LEFT).shift(0.55 * RIGHT)
        self.delta1 = VGroup(rule, nums)
        self.play(FadeIn(rule, shift=0.1 * DOWN), run_time=0.8)
        self.play(FadeIn(nums), *(Indicate(self.grads[n], color=PALETTE.highlight) for n in ("z1_1", "z1_2")),
                  run_time=1.0)
        self.caption("δ 一层层往回递推：\n前一层的 δ 由后一层的 δ 算出")
        self.wait(0.8)

    def chain_rule(self) -> None:
        """One path, x₁ → … → L: its gradient is the product of the local derivatives on it."""
        t = self.trace(TRACE)
        path = ["x1", "z1_1", "a1_1", "z2", "yhat", "L"]
        edges = [self.graph.edge_index(a, b) for a, b in zip(path, path[1:])]
        local = t["sample_edge_local_grad"]
        w = [str(p) for p in t["param_names"]].index("W1[0,0]")
        factors = [bwd(local[k]) for k in reversed(edges[1:])] + [f"{float(t['sample_x'][0]):g}"]
        product = math(r"\partial L/\partial W^{(1)}_{x_1\to z_1} = " + r"\times ".join(factors) + " = "
                       + bwd(float(t["sample_param_grad"][w])), FORMULA_SIZE, PALETTE.backward)
        product.next_to(self.delta1, DOWN, buff=0.2).align_to(self.delta2, LEFT)
        glow = VGroup(*(self.graph.edges[k].copy().set_stroke(PALETTE.highlight, 9, 1.0) for k in edges))
        glow.set_z_index(-1)  # under the edge labels and nodes
        self.play(FadeIn(glow), run_time=0.6)
        self.play(FadeIn(product, shift=0.1 * DOWN), run_time=1.0)
        self.caption("链式法则：沿一条路径，\n把局部导数逐边相乘（最后乘输入 x₁）")
        self.wait(1.2)
        self.play(FadeOut(glow), run_time=0.5)
        self.path_product = product

    def collect_gradients(self) -> None:
        t = self.trace(TRACE)
        names = [str(p) for p in t["param_names"]]
        table = GradientTable(names, t["sample_param_grad"], t["grad_batch"], len(t["inputs"]))
        rule = math(r"\partial L/\partial W^{(l)} = \delta^{(l)}\,\mathbf a^{(l-1)\top},\quad"
                    r"\partial L/\partial \mathbf b^{(l)} = \delta^{(l)}", FORMULA_SIZE, PALETTE.backward)
        rule.move_to(self.path_product, aligned_edge=LEFT)
        self.play(FadeOut(self.path_product), FadeIn(table.frame), FadeIn(rule), run_time=0.8)
        self.caption("每个参数的梯度 = 它连着的 δ\n乘上从左边送进来的值")
        for layer in (("W2[0,0]", "W2[1,0]", "b2[0]"),
                      ("W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]", "b1[0]", "b1[1]")):
            self.play(*(FadeIn(table.sample[names.index(p)]) for p in layer),
                      *(self.pulse(p) for p in layer),
                      run_time=0.9)
        self.caption(f"{len(t['inputs'])} 个样本各走一遍前向和反向，\n梯度相加，才是这一轮的更新方向")
        self.play(FadeIn(table.batch_head),
                  AnimationGroup(*(FadeIn(v, shift=0.15 * RIGHT) for v in table.batch), lag_ratio=0.1),
                  run_time=1.4)
        self.wait(1.0)
        self.rule = rule

    def train(self) -> None:
        t = self.trace(TRACE)
        epochs, loss = t["curve_epochs"], t["curve_loss_mse"]
        chart = LossChart(int(epochs[-1]), loss)
        self.play(FadeOut(self.delta2), FadeOut(self.delta1), FadeOut(self.rule), run_time=0.6)
        self.play(Create(chart), run_time=0.8)
        seconds = 3.0
        badge = speed_badge(f"快进：{int(epochs[-1])} 轮用 {seconds:g} 秒").next_to(chart.axes, UP, buff=0.1)
        badge.align_to(chart.axes, RIGHT)
        curve = chart.plot(epochs, loss)
        self.caption(f"按梯度下降更新 {int(epochs[-1])} 轮，\n每轮都是一次前向 + 一次反向")
        self.play(FadeIn(badge), run_time=0.4)
        self.play(Create(curve), run_time=seconds, rate_func=linear)
        first, last = 0, len(t["log_epochs"]) - 1  # the two log lines the book prints
        marks = VGroup()
        for i, side in ((first, UP + RIGHT), (last, UP)):
            e, v = float(t["log_epochs"][i]), float(t["log_loss_mse"][i])
            dot = Dot(chart.c2p(e, v), 0.06, color=PALETTE.learned)
            label = mono(f"{int(e)} 轮 {v:.5f}" if i else f"{v:.5f}", 20, PALETTE.learned)
            marks.add(dot, label.next_to(dot, side, buff=0.06))
        self.play(FadeOut(badge), FadeIn(marks), run_time=0.6)
        self.chart = VGroup(chart, curve, marks)

    def conclude(self) -> None:
        t = self.trace(TRACE)
        rows = VGroup()
        for x, target, pred in zip(t["inputs"], t["targets"], t["final_pred"]):
            color = PALETTE.positive if target == 1 else PALETTE.negative
            rows.add(VGroup(mono(f"XOR({x[0]:g},{x[1]:g})", 22), mono("→", 22, PALETTE.muted),
                            mono(f"{pred:.3f}", 22, color)).arrange(RIGHT, buff=0.18))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.14)
        head = cjk(f"训练 {int(t['curve_epochs'][-1])} 轮后的预测", 20, PALETTE.muted)
        block = VGroup(head, rows).arrange(DOWN, aligned_edge=LEFT, buff=0.2)
        block.move_to(np.array([PREDICT_LEFT, FORMULA_TOP, 0]), aligned_edge=UP + LEFT)
        self.play(FadeIn(head), AnimationGroup(*(FadeIn(r) for r in rows), lag_ratio=0.2), run_time=1.2)
        self.caption(f"一次前向 + 一次反向，{len(t['param_names'])} 个梯度全部到手；\n反复下降，XOR 学会了")
        self.hold(3.0)

    # --- pieces -----------------------------------------------------------------
    def value_tag(self, name: str, text: str, color: str, side: np.ndarray) -> VMobject:
        return mono(text, 20, color).next_to(self.graph.nodes[name], side, buff=0.07)

    def swap_tags(self, edges: list[int], new_tags: list[VMobject]) -> list:
        anims = []
        for k, new in zip(edges, new_tags):
            old = self.graph.edge_labels[k]
            anims += [FadeIn(new)] if old is None else [FadeOut(old), FadeIn(new)]
            self.graph.edge_labels[k] = new
        return anims

    def pulse(self, name: str) -> ShowPassingFlash:
        """A flash along what parameter ``name`` sits on: its edge, or (a bias) its node's rim."""
        _, kind, where = PARAM_ROWS[name]
        mark = self.graph.edges[self.graph.edge_index(*where)] if kind == "edge" else self.graph.nodes[where[0]][0]
        return ShowPassingFlash(mark.copy().set_fill(opacity=0).set_stroke(PALETTE.highlight, 8, 1.0),
                                time_width=0.8)


class GradientTable(VGroup):
    """∂L/∂θ for the 9 parameters: this sample's, then summed over the four XOR rows."""

    def __init__(self, names: list[str], sample: np.ndarray, batch: np.ndarray, samples: int) -> None:
        super().__init__()
        row_h, top = 0.45, 2.95
        label_x, sample_x, batch_x = PANEL_LEFT, PANEL_LEFT + 1.85, PANEL_LEFT + 3.0  # column centres (values)
        heads = VGroup(math(r"\partial L/\partial\theta", 28, PALETTE.text).move_to(
            np.array([label_x, top, 0]), aligned_edge=LEFT + UP))
        self.sample_head = cjk("单样本", 20, PALETTE.muted).move_to(np.array([sample_x, heads.get_y(), 0]))
        self.batch_head = cjk(f"{samples} 样本和", 20, PALETTE.muted).move_to(np.array([batch_x, heads.get_y(), 0]))
        y0 = heads.get_bottom()[1] - 0.18
        rule = Line(np.array([label_x, y0, 0]), np.array([batch_x + 0.5, y0, 0]), color=PALETTE.grid,
                    stroke_width=2)
        labels, self.sample, self.batch = VGroup(), [], []
        for r, name in enumerate(names):
            y = y0 - 0.3 - r * row_h
            labels.add(math(PARAM_ROWS[name][0], 26).move_to(np.array([label_x, y, 0]), aligned_edge=LEFT))
            self.sample.append(mono(grad5(sample[r]), 20, PALETTE.backward).move_to(np.array([sample_x, y, 0])))
            self.batch.append(mono(grad5(batch[r]), 20, PALETTE.backward).move_to(np.array([batch_x, y, 0])))
        self.frame = VGroup(heads, self.sample_head, rule, labels)
        self.add(self.frame, self.batch_head, *self.sample, *self.batch)


class LossChart(VGroup):
    """The printed loss (MSE) against epoch on a log axis, under the graph."""

    def __init__(self, epochs: int, loss: np.ndarray) -> None:
        super().__init__()
        self.axes = LogAxes([0, epochs, epochs // 4], decade_span(loss), x_length=4.6, y_length=1.45,
                            label_every=2, x_numbers=False)
        self.axes.move_to(np.array([FORMULA_LEFT + 0.1, -1.4, 0]), aligned_edge=LEFT)  # left edge: its labels
        xticks = VGroup(*(mono(f"{e}", 18, PALETTE.muted).next_to(self.axes.c2p(e, 0), DOWN, buff=0.1)
                          for e in (0, epochs // 2, epochs)))
        ylabel = cjk("均方误差", 18, PALETTE.muted).next_to(self.axes.decade_labels, UP, buff=0.08)
        ylabel.align_to(self.axes.decade_labels, LEFT)
        xlabel = cjk("轮", 18, PALETTE.muted).next_to(self.axes.x_axis, RIGHT, buff=0.3)
        self.add(self.axes, xticks, ylabel, xlabel)

    def c2p(self, epoch: float, loss: float) -> np.ndarray:
        return self.axes.lp(epoch, loss)

    def plot(self, epochs: np.ndarray, loss: np.ndarray) -> VMobject:
        return self.axes.log_graph(epochs, loss, PALETTE.learned)


# --- D02.1 ----------------------------------------------------------------------
LANE_X = (-5.0, -2.9, -0.8, 1.3, 3.4, 5.5)  # x, z1, a1, z2, ŷ, L(ŷ,y): each δ sits under its z


def box(tex: str, color: str, width: float = 1.2) -> VGroup:
    frame = RoundedRectangle(corner_radius=0.12, width=width, height=0.72, color=color, stroke_width=3)
    frame.set_fill(PALETTE.background, 1.0)
    return VGroup(frame, math(tex, 32).move_to(frame))


def link(a: VMobject, b: VMobject, color: str, tex: str = "") -> VGroup:
    """A horizontal arrow from box a to box b, labelled over its middle."""
    forward = a.get_x() < b.get_x()
    start, end = (a.get_right(), b.get_left()) if forward else (a.get_left(), b.get_right())
    group = VGroup(arrow_between(start, end, color))
    if tex:
        group.add(math(tex, 28, color).next_to(group[0], UP, buff=0.1))
    return group


class Fig_ForwardBackward(BookScene):
    """D02.1: the forward lane (x → … → L) over the backward lane (∂L/∂ŷ → δ² → δ¹), with the weight gradients."""

    TITLE = "图 2-1 · 前向与反向"

    def construct(self) -> None:
        top_y, bottom_y, grad_y = 1.9, -0.1, -1.75
        forward = [box(tex, PALETTE.forward, width) for tex, width in
                   ((r"\mathbf x", 1.0), (r"\mathbf z^{(1)}", 1.2), (r"\mathbf a^{(1)}", 1.2),
                    (r"\mathbf z^{(2)}", 1.2), (r"\hat{\mathbf y}", 1.0), (r"L(\hat{\mathbf y},\mathbf y)", 1.75))]
        for mob, x in zip(forward, LANE_X):
            mob.move_to(np.array([x, top_y, 0]))
        f_links = VGroup(*(link(a, b, PALETTE.forward, tex) for a, b, tex in
                           zip(forward, forward[1:], ("W^{(1)}", r"\sigma", "W^{(2)}", r"\sigma", ""))))
        # backward lane: δ¹ under z¹, δ² under z², ∂L/∂ŷ under L
        d1 = box(r"\boldsymbol\delta^{(1)}", PALETTE.backward).move_to(np.array([LANE_X[1], bottom_y, 0]))
        d2 = box(r"\boldsymbol\delta^{(2)}", PALETTE.backward).move_to(np.array([LANE_X[3], bottom_y, 0]))
        dy = box(r"\partial L/\partial\hat{\mathbf y}", PALETTE.backward, 1.75)
        dy.move_to(np.array([LANE_X[5], bottom_y, 0]))
        drop = arrow_between(forward[5].get_bottom(), dy.get_top(), PALETTE.backward)
        b_links = VGroup(link(dy, d2, PALETTE.backward, r"\odot\,\sigma'(\mathbf z^{(2)})"),
                         link(d2, d1, PALETTE.backward, r"\times W^{(2)\top},\ \ \odot\,\sigma'(\mathbf z^{(1)})"))
        g1 = box(r"\partial L/\partial W^{(1)}", PALETTE.backward, 1.9).move_to(np.array([LANE_X[1], grad_y, 0]))
        g2 = box(r"\partial L/\partial W^{(2)}", PALETTE.backward, 1.9).move_to(np.array([LANE_X[3], grad_y, 0]))
        branches = VGroup()
        for d, g, tex in ((d1, g1, r"\mathbf x^{\top}"), (d2, g2, r"\mathbf a^{(1)\top}")):
            down = arrow_between(d.get_bottom(), g.get_top(), PALETTE.backward)
            branches.add(down, math(r"\times\," + tex, 28, PALETTE.backward).next_to(down, RIGHT, buff=0.12))
        aligned = VGroup(*(DashedLine(forward[i].get_bottom(), d.get_top(), color=PALETTE.grid, stroke_width=2,
                                      dash_length=0.08)
                           for i, d in ((1, d1), (3, d2))))
        lanes = VGroup(cjk("前向", 28, PALETTE.forward).next_to(forward[0], LEFT, buff=0.35),
                       cjk("反向", 28, PALETTE.backward))
        lanes[1].move_to(np.array([lanes[0].get_x(), bottom_y, 0]))
        legend = line_legend([(PALETTE.forward, "前向：算值"), (PALETTE.backward, "反向：传误差")])
        legend.to_corner(UP + RIGHT, buff=SAFE)
        self.add(aligned, *forward, f_links, drop, d1, d2, dy, b_links, g1, g2, branches, lanes, legend)
        self.caption("每层用 δ 和前一层激活的外积\n得到权重梯度")
        self.hold(1.5)
