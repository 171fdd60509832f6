"""Chapter 2 — 反向传播: the error flows back along the edges it came from.

``Backprop`` replays one sample of the book's 2-2-1 XOR net at epoch 0: the
forward values fill the graph left to right, then ∂L/∂(node) flows right to
left with each edge's local derivative, the δ recursion is written out under
the graph with the same numbers, every parameter's gradient lands in a table
along the bottom, and the run ends on the trained net's loss curve and
predictions. The book's two-lane diagram D02.1 is in ``ch02_backprop_figures``.

Layout: the graph spans the frame's width while it is the subject; what is
derived from it (δ lines, chain-rule product, gradient table) takes the band
between the graph and the caption; the training replay then gets the frame.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    UR,
    AnimationGroup,
    Circle,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Indicate,
    Line,
    Mobject,
    ShowPassingFlash,
    VGroup,
    VMobject,
    config,
)

from scenes.kit.base import SAFE, BookScene
from scenes.kit.charts import LogAxes, decade_span
from scenes.kit.counters import scrub
from scenes.kit.legends import legend_row
from scenes.kit.numbers import fixed, plain, sig
from scenes.kit.palette import PALETTE
from scenes.kit.text import (
    BODY_SIZE,
    COUNTER_SIZE,
    LABEL_SIZE,
    SMALL_SIZE,
    TEX_SIZE,
    cjk,
    mono,
    speed_badge,
    tex,
    tex_vector,
)

TRACE = "backprop.default"

# --- the computational graph, as laid out on screen ------------------------------
# node name (trace's node_names) -> (column, row): row +1 top, -1 bottom, 0 middle
NODE_AT = {"x1": (0, 1), "x2": (0, -1), "z1_1": (1, 1), "z1_2": (1, -1), "a1_1": (2, 1), "a1_2": (2, -1),
           "z2": (3, 0), "yhat": (4, 0), "L": (5, 0)}
NODE_TEX = {"x1": "x_1", "x2": "x_2", "z1_1": "z^{(1)}_1", "z1_2": "z^{(1)}_2", "a1_1": "a^{(1)}_1",
            "a1_2": "a^{(1)}_2", "z2": "z^{(2)}", "yhat": r"\hat y", "L": "L"}
INPUTS = ("x1", "x2")
GRAPH_LEFT, COLUMN_GAP = -5.8, 2.32  # x of column 0, spacing between columns: the graph spans the width
GRAPH_MID, ROW_GAP = 1.12, 1.15  # y of the middle row, offset of the top / bottom rows
NODE_R = 0.4
STAGES = (("x1", "x2"), ("z1_1", "z1_2"), ("a1_1", "a1_2"), ("z2",), ("yhat",), ("L",))  # columns in order

# the band between the graph and the caption: three rows of derivations, or the gradient table
BAND_LEFT = -6.55
BAND_ROWS = (-1.1, -1.62, -2.14)  # row centres, top to bottom: clear of the graph's tags and the caption
RULE_AT = np.array([3.4, -0.45, 0])  # ∂L/∂W = δ aᵀ: the free space under the graph's middle row

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
LAYERS = (("W2[0,0]", "W2[1,0]", "b2[0]"), ("W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]", "b1[0]", "b1[1]"))

# the training replay: the loss chart on the left, the rule, counter and predictions on the right
CHART_LEFT, CHART_MID = -6.4, 0.3
SIDE_LEFT = 2.35
REPLAY_SECONDS = 3.0
SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def forward_text(name: str, value: float) -> str:
    """A node's forward value: the inputs as given (0, 1), computed values to 3 decimals."""
    return plain(value) if name in INPUTS else fixed(value, 3)


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
            self.nodes[name] = VGroup(circle, tex(NODE_TEX[name], TEX_SIZE).move_to(circle))
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
        """The weight on a W edge (the same 3 digits it shows later as ∂z/∂a), σ on an activation edge."""
        if label.startswith("W"):
            return self.place_tag(mono(sig(local), LABEL_SIZE, PALETTE.muted), k)
        if label == "sigma":
            return self.place_tag(tex(r"\sigma", TEX_SIZE, PALETTE.muted), k)
        return None

    def place_tag(self, tag: VMobject, k: int) -> VMobject:
        """On the edge itself, masking the line: at its middle, or (x → z¹, which cross) a third of the way."""
        a, b = (node_point(n) for n in self.pairs[k])
        at = a + (0.3 if self.pairs[k][0] in INPUTS and a[1] != b[1] else 0.5) * (b - a)
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
        self.legend = legend_row([(PALETTE.forward, "前向：值"), (PALETTE.backward, "反向：导数")])
        self.legend.to_corner(UR, buff=SAFE)
        x, y = t["sample_x"], float(t["sample_y"])
        self.note = cjk(f"第 {plain(t['log_epochs'][0])} 轮 · 样本 x = ({plain(x[0])}, {plain(x[1])})，"
                        f"目标 y = {plain(y)}", LABEL_SIZE, PALETTE.muted)
        self.note.next_to(self.title_mob, RIGHT, buff=0.6)
        self.play(FadeIn(self.graph.edge_group), *(FadeIn(n, scale=0.8) for n in self.graph.nodes.values()),
                  run_time=1.0)
        self.play(FadeIn(self.graph.label_group), FadeIn(self.legend), FadeIn(self.note), run_time=0.8)
        shape = "-".join(str(n) for n in (*t["W1_init"].shape, 1))  # inputs-hidden-output
        self.caption(f"{shape} 网络的计算图：\n边上是初始权重，σ 是 sigmoid")
        self.wait(1.4)

    def forward_pass(self) -> None:
        t = self.trace(TRACE)
        values = t["sample_node_value"]
        self.values = {n: self.value_tag(n, forward_text(n, values[self.names.index(n)]), PALETTE.forward, UP)
                       for n in self.names}
        self.caption("前向：值沿边从左流到右")
        self.play(*(FadeIn(self.values[n]) for n in STAGES[0]),
                  *(self.graph.nodes[n][0].animate.set_stroke(PALETTE.forward) for n in STAGES[0]), run_time=0.6)
        for prev, stage in zip(STAGES, STAGES[1:]):
            self.play(*(self.graph.flow(k, PALETTE.forward) for k in self.graph.edges_between(prev, stage)),
                      run_time=0.7)
            self.play(*(FadeIn(self.values[n], shift=0.1 * RIGHT) for n in stage),
                      *(self.graph.nodes[n][0].animate.set_stroke(PALETTE.forward) for n in stage), run_time=0.5)
        loss = tex(r"L = \tfrac12(\hat y - y)^2", BODY_SIZE, PALETTE.muted)
        loss.next_to(self.graph.nodes["L"], DOWN, buff=0.3).align_to(self.graph.nodes["L"], RIGHT)
        self.play(FadeIn(loss), run_time=0.5)
        self.caption(f"预测 ŷ = {fixed(t['sample_yhat'], 3)}，目标是 {plain(t['sample_y'])}：\n"
                     f"损失 L = {fixed(t['sample_loss_half'], 3)}")
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
            new_tags = [self.graph.place_tag(mono(sig(local[k]), LABEL_SIZE, PALETTE.backward), k) for k in edges]
            for name in earlier:
                self.grads[name] = self.value_tag(name, sig(grads[self.names.index(name)]), PALETTE.backward, DOWN)
            self.play(*(self.graph.flow(k, PALETTE.backward, backward=True) for k in edges),
                      *(self.graph.edges[k].animate.set_color(PALETTE.backward).set_opacity(0.6) for k in edges),
                      *self.swap_tags(edges, new_tags), run_time=0.8)
            self.play(*(FadeIn(self.grads[n], shift=0.1 * LEFT) for n in earlier), run_time=0.5)
            if earlier == ("z2",):
                self.write_delta2()
        self.write_delta1()

    def write_delta2(self) -> None:
        t = self.trace(TRACE)
        self.delta2 = self.band_line(
            rf"\delta^{{(2)}} = (\hat y - y)\,\sigma'(z^{{(2)}}) = {sig(t['sample_dL_dyhat'])}"
            rf"\times {sig(t['sample_sigma_prime_z2'])} = {sig(t['sample_delta2'])}", 0)
        self.play(FadeIn(self.delta2, shift=0.1 * DOWN), Indicate(self.grads["z2"], color=PALETTE.highlight),
                  run_time=1.0)
        self.wait(0.6)

    def write_delta1(self) -> None:
        t = self.trace(TRACE)
        self.delta1 = self.band_line(
            r"\delta^{(1)} = \big(W^{(2)\top}\delta^{(2)}\big)\odot\sigma'(z^{(1)})"
            rf" = {tex_vector(t['sample_W2T_delta2'], sig)} \odot {tex_vector(t['sample_sigma_prime_z1'], sig)}"
            rf" = {tex_vector(t['sample_delta1'], sig)}", 1)
        self.play(FadeIn(self.delta1, shift=0.1 * DOWN),
                  *(Indicate(self.grads[n], color=PALETTE.highlight) for n in ("z1_1", "z1_2")), run_time=1.2)
        self.caption("δ 一层层往回递推：\n前一层的 δ 由后一层的 δ 算出")
        self.wait(0.8)

    def chain_rule(self) -> None:
        """One path, xᵢ → z¹₁ → … → L: its weight's gradient is the product of the local derivatives on it.

        The path starts at the first input that is not 0, so the product is not trivially 0.
        """
        t = self.trace(TRACE)
        x = t["sample_x"]
        i = next((j for j, v in enumerate(x) if v != 0), 0)
        path = [INPUTS[i], "z1_1", "a1_1", "z2", "yhat", "L"]
        edges = [self.graph.edge_index(a, b) for a, b in zip(path, path[1:])]
        local = t["sample_edge_local_grad"]
        w = [str(p) for p in t["param_names"]].index(f"W1[{i},0]")
        factors = [sig(local[k]) for k in reversed(edges[1:])] + [plain(x[i])]
        self.product = self.band_line(rf"\partial L/\partial W^{{(1)}}_{{x_{i + 1}\to z_1}} = "
                                      + r"\times ".join(factors) + " = " + sig(t["sample_param_grad"][w]), 2)
        glow = VGroup(*(self.graph.edges[k].copy().set_stroke(PALETTE.highlight, 9, 1.0) for k in edges))
        glow.set_z_index(-1)  # under the edge labels and nodes
        self.play(FadeIn(glow), run_time=0.6)
        self.play(FadeIn(self.product, shift=0.1 * DOWN), run_time=1.0)
        self.caption(f"链式法则：沿一条路径，把局部导数\n逐边相乘（最后乘输入 x{str(i + 1).translate(SUBSCRIPT)}）")
        self.wait(1.2)
        self.play(FadeOut(glow), run_time=0.5)

    def collect_gradients(self) -> None:
        t = self.trace(TRACE)
        names = [str(p) for p in t["param_names"]]
        samples, params = len(t["inputs"]), len(names)
        table = GradientTable(names, t["sample_param_grad"], t["grad_batch"], samples)
        rule = tex(r"\partial L/\partial W^{(l)} = \delta^{(l)}\,\mathbf a^{(l-1)\top},\quad"
                   r"\partial L/\partial \mathbf b^{(l)} = \delta^{(l)}", TEX_SIZE, PALETTE.backward).move_to(RULE_AT)
        self.play(FadeOut(self.delta2), FadeOut(self.delta1), FadeOut(self.product), run_time=0.6)
        self.play(FadeIn(table.frame), FadeIn(rule), run_time=0.8)
        self.caption("每个参数的梯度 = 它连着的 δ\n乘上从左边送进来的值")
        for layer in LAYERS:
            self.play(*(FadeIn(table.sample[names.index(p)]) for p in layer),
                      *(self.pulse(p) for p in layer), run_time=0.9)
        self.caption(f"{samples} 个样本各走一遍前向和反向，\n梯度相加，才是这一轮的更新方向")
        self.play(FadeIn(table.batch_head),
                  AnimationGroup(*(FadeIn(v, shift=0.15 * RIGHT) for v in table.batch), lag_ratio=0.1),
                  run_time=1.4)
        self.wait(1.0)
        # the cost argument: finite differences need one forward pass per parameter, plus the base one
        self.caption(f"一次前向 + 一次反向，{params} 个梯度全到手；\n逐个扰动参数要 {params + 1} 次前向")
        self.wait(1.6)

    def train(self) -> None:
        t = self.trace(TRACE)
        epochs, loss = t["curve_epochs"], t["curve_loss_mse"]
        last = len(epochs) - 1
        self.clear_stage()  # the replay gets the whole frame
        chart = LossChart(int(epochs[-1]), loss)
        update = tex(rf"W \leftarrow W - \eta\,\partial L/\partial W,\quad \eta = {plain(t.params['lr'])}", TEX_SIZE)
        update.move_to(np.array([SIDE_LEFT, chart.axes.get_top()[1], 0]), aligned_edge=UP + LEFT)
        self.play(Create(chart), FadeIn(update), run_time=0.8)
        self.caption(f"学习率 η = {plain(t.params['lr'])}，更新 {plain(epochs[-1])} 轮，\n"
                     "每轮都是一次前向 + 一次反向")
        badge = speed_badge(f"快进：{plain(epochs[-1])} 轮用 {plain(REPLAY_SECONDS)} 秒")
        badge.next_to(chart.axes, UP, buff=0.12).align_to(chart.axes, RIGHT)
        self.play(FadeIn(badge), run_time=0.4)

        def counter(k: int) -> VGroup:
            lines = VGroup(mono(f"第 {plain(epochs[k])} 轮", COUNTER_SIZE),
                           mono(f"均方误差 {fixed(loss[k], 5)}", COUNTER_SIZE, PALETTE.learned))
            return lines.arrange(DOWN, aligned_edge=LEFT, buff=0.12).next_to(update, DOWN, buff=0.35,
                                                                               aligned_edge=LEFT)

        # scrub leaves fresh builds of the last state on screen, so the log records what the still shows
        live = scrub(self, [lambda k: chart.plot(epochs[: k + 1], loss[: k + 1]) if k else VMobject(),
                            lambda k: Dot(chart.c2p(epochs[k], loss[k]), 0.07, color=PALETTE.learned),
                            counter], 0, last, REPLAY_SECONDS)
        self.counter = live[2]
        self.play(FadeOut(badge), FadeIn(self.book_marks(chart)), FadeOut(live[1]), run_time=0.6)

    def book_marks(self, chart: LossChart) -> VGroup:
        """The first and the last of the loss lines the book's program prints, on the curve."""
        t = self.trace(TRACE)
        log_epochs, log_loss = t["log_epochs"], t["log_loss_mse"]
        marks = VGroup()
        for i in sorted({0, len(log_epochs) - 1}):
            dot = Dot(chart.c2p(log_epochs[i], log_loss[i]), 0.07, color=PALETTE.highlight)
            text = f"第 {plain(log_epochs[i])} 轮 {fixed(log_loss[i], 5)}"
            label = mono(text, SMALL_SIZE, PALETTE.highlight).next_to(dot, UP + RIGHT if i == 0 else UP, buff=0.08)
            marks.add(dot, label)
        return marks

    def conclude(self) -> None:
        t = self.trace(TRACE)
        targets, preds = t["targets"], t["final_pred"]
        # the verdict is read off the predictions, not assumed: each must fall on its target's side of 0.5
        hits = [round(float(p)) == int(y) for p, y in zip(preds, targets)]
        rows = VGroup()
        for x, target, pred, hit in zip(t["inputs"], targets, preds, hits):
            color = (PALETTE.positive if target == 1 else PALETTE.negative) if hit else PALETTE.error
            rows.add(VGroup(mono(f"XOR({plain(x[0])},{plain(x[1])})", COUNTER_SIZE),
                            mono("→", COUNTER_SIZE, PALETTE.muted), mono(fixed(pred, 3), COUNTER_SIZE, color),
                            cjk(f"目标 {plain(target)}", LABEL_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.2))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        head = cjk(f"训练 {plain(t['curve_epochs'][-1])} 轮后的预测", LABEL_SIZE, PALETTE.muted)
        block = VGroup(head, rows).arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        block.next_to(self.counter, DOWN, buff=0.5, aligned_edge=LEFT)
        self.play(FadeIn(head), AnimationGroup(*(FadeIn(r) for r in rows), lag_ratio=0.2), run_time=1.2)
        if all(hits):
            self.caption(f"{len(hits)} 个预测都落在目标那一侧：\nXOR 学会了")
        else:
            self.caption(f"{len(hits)} 个预测只有 {sum(hits)} 个落在目标那一侧：\nXOR 还没学会")
        self.hold(3.0)

    # --- pieces -----------------------------------------------------------------
    def clear_stage(self, run_time: float = 0.8) -> None:  # KIT CANDIDATE: BookScene.clear_stage
        """Fade out everything on screen but the title and the caption."""
        keep = {id(self.title_mob), id(self._caption)}
        self.play(*(FadeOut(m) for m in self.mobjects if id(m) not in keep), run_time=run_time)

    def value_tag(self, name: str, text: str, color: str, side: np.ndarray) -> VMobject:
        return mono(text, LABEL_SIZE, color).next_to(self.graph.nodes[name], side, buff=0.07)

    def band_line(self, source: str, row: int) -> Mobject:
        """A derivation in row ``row`` of the band under the graph, left-aligned with the others."""
        line = tex(source, TEX_SIZE, PALETTE.backward)
        return line.move_to(np.array([BAND_LEFT, BAND_ROWS[row], 0]), aligned_edge=LEFT)

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
    """∂L/∂θ for the 9 parameters across the band: a row for this sample, a row for the batch sum.

    Columns go in the trace's parameter order at one pitch that fills the band to the safe margin, so a
    run whose gradients are negative (one character wider) still fits.
    """

    def __init__(self, names: list[str], sample: np.ndarray, batch: np.ndarray, samples: int) -> None:
        super().__init__()
        head_y, sample_y, batch_y = BAND_ROWS

        def left(mob: Mobject, y: float) -> Mobject:
            return mob.move_to(np.array([BAND_LEFT, y, 0]), aligned_edge=LEFT)

        corner = left(tex(r"\partial L/\partial\theta", TEX_SIZE), head_y)
        self.sample_head = left(cjk("单样本", LABEL_SIZE, PALETTE.muted), sample_y)
        self.batch_head = left(cjk(f"{samples} 样本和", LABEL_SIZE, PALETTE.muted), batch_y)
        labels = [tex(PARAM_ROWS[n][0], BODY_SIZE) for n in names]
        self.sample = [mono(fixed(v, 5), LABEL_SIZE, PALETTE.backward) for v in sample]
        self.batch = [mono(fixed(v, 5), LABEL_SIZE, PALETTE.backward) for v in batch]
        start = max(m.get_right()[0] for m in (corner, self.sample_head, self.batch_head)) + 0.3
        pitch = (config.frame_width / 2 - SAFE - start) / len(names)
        for k, column in enumerate(zip(labels, self.sample, self.batch)):
            for mob, y in zip(column, BAND_ROWS):
                mob.move_to(np.array([start + (k + 0.5) * pitch, y, 0]))
        rule_y = (head_y + sample_y) / 2
        rule = Line(np.array([BAND_LEFT, rule_y, 0]), np.array([start + len(names) * pitch, rule_y, 0]),
                    color=PALETTE.grid, stroke_width=2)
        self.frame = VGroup(corner, self.sample_head, rule, *labels)
        self.add(self.frame, self.batch_head, *self.sample, *self.batch)


class LossChart(VGroup):
    """The printed loss (MSE) against epoch on a log axis: the left of the frame, once the graph has gone."""

    def __init__(self, epochs: int, loss: np.ndarray) -> None:
        super().__init__()
        # decade labels a size up from the kit's tick size: TeX at SMALL_SIZE is hard to read at 480p
        self.axes = LogAxes([0, epochs, max(1, epochs // 4)], decade_span(loss), x_length=6.6, y_length=4.1,
                            x_numbers=False, font_size=BODY_SIZE)
        self.axes.move_to(np.array([CHART_LEFT, CHART_MID, 0]), aligned_edge=LEFT)  # left edge: its labels
        xticks = VGroup(*(mono(plain(e), SMALL_SIZE, PALETTE.muted).next_to(self.axes.c2p(e, 0), DOWN, buff=0.12)
                          for e in (0, epochs // 2, epochs)))
        ylabel = cjk("均方误差", LABEL_SIZE, PALETTE.muted).next_to(self.axes, UP, buff=0.12)
        ylabel.align_to(self.axes.decade_labels, LEFT)
        xlabel = cjk("轮", LABEL_SIZE, PALETTE.muted).next_to(xticks[-1], RIGHT, buff=0.12)  # reads "20000 轮"
        self.add(self.axes, xticks, ylabel, xlabel)

    def c2p(self, epoch: float, loss: float) -> np.ndarray:
        return self.axes.lp(float(epoch), float(loss))

    def plot(self, epochs: np.ndarray, loss: np.ndarray) -> VMobject:
        return self.axes.log_graph(epochs, loss, PALETTE.learned)
