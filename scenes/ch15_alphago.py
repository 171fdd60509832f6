"""Chapter 15 — 自博弈的巅峰: PUCT search on race-to-21, and the AlphaGo Zero self-play flywheel.

``MCTSGrowth`` (``mcts.default``): the first simulations phase by phase with their recorded Q, U, N, P,
leaf values and backed-up values; then the whole run at the recorded checkpoints (tree sizes and widths
from visits counted on the recorded paths, the root's N and Q); last, the book's printed root statistics
(``pipeline.checks.ch15``) beside this run's and ``mcts.flipped_terminal``'s, the sign slip behind them.
``SelfPlayFlywheel`` (``selfplay.default``): per generation the loss terms before and after training,
win rates against random play and the previous generation, and P(报1) of the network and its search.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    UR,
    ArcBetweenPoints,
    BackgroundRectangle,
    Circle,
    Create,
    CurvedArrow,
    DashedLine,
    DashedVMobject,
    Dot,
    FadeIn,
    FadeOut,
    Flash,
    Line,
    MoveAlongPath,
    Rectangle,
    ReplacementTransform,
    RoundedRectangle,
    Succession,
    Transform,
    ValueTracker,
    VGroup,
    VMobject,
    linear,
)

from pipeline.checks.ch15 import BOOK_N, BOOK_Q
from scenes.kit.base import BookScene
from scenes.kit.charts import nice_step
from scenes.kit.counters import CounterPanel
from scenes.kit.legends import legend_row, swatch
from scenes.kit.numbers import fixed, plain, sig, signed
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, speed_badge, tex

PHASES = ("选择", "扩展", "评估", "回传")
RIGHT_X = 4.0  # centre of the right-hand column (formula, phases, tables, bars)
TREE_BOX = (-6.55, 0.5, 2.35, -2.1)  # left, right, top, bottom of the tree
NODE_R = 0.19
MIN_STEP, MAX_ROWS = 0.5, 6  # the step-by-step tree stops growing before its nodes would crowd
FAST_SECONDS = 5.0
NEAR_BOOK = 0.05  # a Q this close to the book's printed one is called "接近"


def sv(value: float) -> str:
    """A backed-up value with its sign: ``+1``, ``-1``, ``+0.5``."""
    return ("+" if value > 0 else "") + plain(value)


def who(depth: int) -> str:
    """The player to move at a depth: the root's mover is 先手."""
    return "先手" if depth % 2 == 0 else "后手"


def value_color(value: float) -> str:
    return PALETTE.positive if value > 0 else PALETTE.negative if value < 0 else PALETTE.muted


def path_nodes(t, sim: int, child: dict[tuple[int, int], int]) -> list[int]:
    """Node ids from the root to the leaf of one simulation, from its recorded moves."""
    nodes = [0]
    for m in t["sim_path"][sim, : t["sim_depth"][sim]]:
        nodes.append(child[(nodes[-1], int(m))])
    return nodes


def child_table(t) -> dict[tuple[int, int], int]:
    """(parent id, move) → node id, from the trace's node table."""
    return {(int(p), int(m)): i for i, (p, m) in enumerate(zip(t["node_parent"], t["node_move"])) if p >= 0}


def visits_at(t, marks: Sequence[int]) -> np.ndarray:
    """(len(marks), nodes): visits of the edge into every node after ``marks`` simulations, counted on the paths."""
    child, counts, out, wanted = child_table(t), np.zeros(len(t["node_parent"]), dtype=np.int64), [], set(marks)
    for i in range(len(t["sim_depth"])):
        counts[path_nodes(t, i, child)] += 1
        if i + 1 in wanted:
            out.append(counts.copy())
    if not np.array_equal(out[-1], t["node_n"]):
        raise ValueError(f"trace {t.name}: visits counted on sim_path differ from node_n")
    return np.array(out)


def tidy_layout(nodes: set[int], parent: np.ndarray) -> dict[int, tuple[float, int]]:
    """(slot, depth) per node: leaves in slots left to right (children in move order), parents centred above."""
    kids: dict[int, list[int]] = {}
    for n in sorted(nodes - {0}):
        kids.setdefault(int(parent[n]), []).append(n)
    place: dict[int, tuple[float, int]] = {}

    def visit(n: int, depth: int) -> None:
        for k in kids.get(n, []):
            visit(k, depth + 1)
        below = kids.get(n)
        place[n] = ((place[below[0]][0] + place[below[-1]][0]) / 2 if below else
                    float(sum(1 for m in place if m not in kids)), depth)

    visit(0, 0)
    return place


def icicle(counts: np.ndarray, parent: np.ndarray, depth: np.ndarray, floor: int) -> np.ndarray:
    """(nodes, 2) positions in the tree box; NaN for nodes visited fewer than ``floor`` times.

    Siblings share their parent's span in proportion to √N (√: moves tried a few dozen times still get a
    visible sliver beside one tried thousands of times); the root's own moves are always drawn.
    """
    left, right, top, bottom = TREE_BOX
    shown = (counts >= floor) | ((depth <= 1) & (counts > 0))
    rows = max(int(depth[shown].max()), 1)
    weight = np.sqrt(counts) * shown
    total = np.bincount(parent[1:], weights=weight[1:], minlength=len(counts))
    span, cursor = np.zeros(len(counts)), np.zeros(len(counts))
    span[0], cursor[0] = right - left, left
    xy = np.full((len(counts), 2), np.nan)
    xy[0] = (left + span[0] / 2, top)
    for n in np.where(shown)[0][1:]:  # ids grow with expansion: a parent comes before its children
        p = parent[n]
        span[n] = span[p] * weight[n] / total[p]
        cursor[n], cursor[p] = cursor[p], cursor[p] + span[n]
        xy[n] = (cursor[n] + span[n] / 2, top - (top - bottom) * depth[n] / rows)
    return xy


def dot_radius(share: float) -> float:
    """A node's dot in the whole-run tree, from its share of all simulations."""
    return max(0.015, 0.22 * float(np.sqrt(share)))


CIRCLE = Circle(radius=1.0).points  # a unit circle's Bézier points, scaled and shifted for every dot


def tree_picture(xy: np.ndarray, counts: np.ndarray, parent: np.ndarray) -> VGroup:
    """Edges (width from N, one VMobject per width) and dots (radius from N, one VMobject): cheap to redraw."""
    shown = np.where(~np.isnan(xy[:, 0]))[0]
    widths = (1.0, 2.0, 3.5, 5.5, 8.0, 11.0)
    bucket = np.minimum((np.sqrt(counts / counts[0]) * len(widths) * 1.6).astype(int), len(widths) - 1)
    edges: list[list[np.ndarray]] = [[] for _ in widths]
    for n in shown[1:]:
        a, b = np.append(xy[parent[n]], 0), np.append(xy[n], 0)
        edges[bucket[n]].append(np.array([a, a + (b - a) / 3, a + 2 * (b - a) / 3, b]))
    group = VGroup(*(VMobject(stroke_color=PALETTE.muted, stroke_width=w).set_points(np.concatenate(segs))
                     for w, segs in zip(widths, edges) if segs))
    dots = np.concatenate([CIRCLE * dot_radius(counts[n] / counts[0]) + np.append(xy[n], 0) for n in shown])
    return group.add(VMobject(stroke_width=0, fill_color=PALETTE.text, fill_opacity=1).set_points(dots))


def table(rows: Sequence[Sequence[str]], widths: Sequence[float], colors: Sequence[Sequence[str]] | None = None,
          size: float = SMALL_SIZE, gap: float = 0.4) -> VGroup:
    """Rows of cells (mono, or CJK where the text has any) centred in columns; a one-cell row is a heading."""
    xs = np.cumsum([0, *widths[:-1]]) + np.array(widths) / 2
    out = VGroup()
    for r, row in enumerate(rows):
        line = VGroup()
        for c, text in enumerate(row):
            if text:
                make = cjk if any("\u4e00" <= ch <= "\u9fff" for ch in text) else mono
                cell = make(text, size, colors[r][c] if colors else PALETTE.text).move_to([xs[c], -r * gap, 0])
                line.add(cell.align_to([0, 0, 0], LEFT) if len(row) == 1 else cell)
        out.add(line)
    return out


# =============================================================================================================
class MCTSGrowth(BookScene):
    """PUCT on race-to-21: four phases per simulation, then the tree piling its visits onto the winning move."""

    TRACES = ("mcts.default", "mcts.flipped_terminal")
    TITLE = "第15章 · MCTS 的四步与树的生长"
    DETAIL = 2  # simulations shown phase by phase
    BAR_N = (0.45, 1.45)  # baseline y and full height of the root's N bars
    BAR_Q = (-1.45, 0.7)  # zero line y and the height of |Q| = 1

    def construct(self) -> None:
        self.load()
        self.introduce()
        for i in range(self.detail):
            self.simulate_in_detail(i)
        self.fast_simulations()
        self.grow()
        self.principal_line()
        self.compare_with_book()

    # --- data and the step-by-step tree -------------------------------------------------------------------
    def load(self) -> None:
        t = self.t = self.trace("mcts.default")
        self.n_sims, self.c, self.target = int(t.params["n_sims"]), float(t.params["c"]), int(t.params["target"])
        self.parent, self.totals, self.depth = t["node_parent"], t["node_total"], t["node_depth"]
        recorded = int(t.params["n_record"])
        self.detail = min(self.DETAIL, recorded)
        child = child_table(t)
        self.paths = [path_nodes(t, i, child) for i in range(min(recorded, 30))]
        self.roots = self.kids(0)
        ghosts = set(self.roots).union(*(self.kids(p[-1]) for p in self.paths[: self.detail]))
        self.shown = self.steps_that_fit(ghosts)
        self.visited, self.ghosts, self.nodes, self.edges = {0}, set(self.roots), {}, {}
        self.counter = CounterPanel(lambda k: [f"模拟 {k} / {self.n_sims}"], UR)

    def kids(self, n: int) -> list[int]:
        return [int(k) for k in np.where(self.parent == n)[0]]

    def steps_that_fit(self, ghosts: set[int]) -> int:
        """How many of the first simulations the step-by-step tree shows before it would crowd (≥ DETAIL)."""
        best, room = self.detail, (TREE_BOX[1] - TREE_BOX[0]) / MIN_STEP
        for k in range(self.detail + 1, len(self.paths) + 1):
            slots = tidy_layout({0} | ghosts | {p[-1] for p in self.paths[:k]}, self.parent).values()
            if max(x for x, _ in slots) > room or max(d for _, d in slots) > MAX_ROWS:
                break  # the tree only grows
            best = k
        return best

    def place(self, nodes: set[int]) -> dict[int, np.ndarray]:
        left, right, top, bottom = TREE_BOX
        slots = tidy_layout(nodes, self.parent)
        width, rows = max(max(x for x, _ in slots.values()), 1), max(max(d for _, d in slots.values()), 1)
        step, rise = min(1.2, (right - left) / width), min(1.2, (top - bottom) / rows)  # small trees: roomy
        x0 = (left + right) / 2 - step * width / 2
        return {n: np.array([x0 + step * x, top - rise * d, 0]) for n, (x, d) in slots.items()}

    def node_mob(self, n: int, ghost: bool, color: str | None) -> VGroup:
        ring = Circle(NODE_R, stroke_color=color or (PALETTE.muted if ghost else PALETTE.text),
                      stroke_width=3 if color else 2, fill_color=PALETTE.background, fill_opacity=0 if ghost else 1)
        label = mono(str(int(self.totals[n])), SMALL_SIZE, PALETTE.muted if ghost else PALETTE.text)
        return VGroup(DashedVMobject(ring, num_dashes=10) if ghost else ring, label).move_to(self.layout[n])

    def edge_mob(self, n: int, ghost: bool, color: str | None) -> Line:
        a, b = self.layout[int(self.parent[n])], self.layout[n]
        unit = (b - a) / np.linalg.norm(b - a)
        return (DashedLine if ghost else Line)(a + NODE_R * unit, b - NODE_R * unit, color=color or PALETTE.muted,
                                                stroke_width=3.5 if color else 2)

    def redraw(self, lit: Sequence[int] = ()) -> list:
        """Animations to the tree of the visited nodes and the dashed ghosts (created, not yet visited), laid
        out afresh, with the nodes in ``lit`` and the edges into them in the selection colour."""
        present = self.visited | self.ghosts
        self.layout, anims = self.place(present), []
        for n in sorted(present):
            ghost, color = n in self.ghosts, PALETTE.forward if n in lit else None
            for store, new in [(self.nodes, self.node_mob(n, ghost, color))] + \
                              ([(self.edges, self.edge_mob(n, ghost, color))] if n else []):
                anims.append(Transform(store[n], new) if n in store else FadeIn(new))
                store.setdefault(n, new)
        return anims

    def show_panel(self, new: VGroup, phase: int | None = None, *also) -> None:
        """Swap the right-hand panel (old out, then new in), moving the phase marker alongside."""
        new.move_to([RIGHT_X, 0, 0]).align_to([0, 0.95, 0], UP)
        move = [self.marker.animate.move_to(self.chips[phase])] if phase is not None else []
        self.play(Succession(FadeOut(self.panel), FadeIn(new)), *move, *also, run_time=0.7)
        self.panel = new

    # --- the first simulations, phase by phase ------------------------------------------------------------
    def introduce(self) -> None:
        self.formula = VGroup(
            tex(r"a^*=\arg\max_a\big[\,Q(s,a)+U(s,a)\,\big]", TEX_SIZE),
            tex(rf"U=c\,P(s,a)\,\frac{{\sqrt{{\sum_b N(s,b)+1}}}}{{1+N(s,a)}},\quad c={plain(self.c)}", TEX_SIZE),
        ).arrange(DOWN, buff=0.16).move_to([RIGHT_X, 2.35, 0])
        self.chips = VGroup(*(cjk(p, LABEL_SIZE) for p in PHASES)).arrange(RIGHT, buff=0.55).move_to([RIGHT_X, 1.3, 0])
        self.marker = RoundedRectangle(corner_radius=0.08, width=0.9, height=0.46, stroke_width=0,
                                       fill_color=PALETTE.forward, fill_opacity=0.35).move_to(self.chips[0])
        self.panel = VGroup()
        self.play(*self.redraw(), FadeIn(self.counter.show(0)), run_time=1.2)
        self.play(FadeIn(self.formula), run_time=1.0)
        self.caption(f"抢 {self.target}：从 0 起轮流加 1～{self.t.params['max_add']}，\n节点里写的是当前总数")
        self.play(FadeIn(self.chips), FadeIn(self.marker), run_time=0.6)
        self.caption("每次模拟四步：选择、扩展、评估、回传；\n选择时挑 Q + U 最大的孩子")
        self.hold(1.0)

    def selection_table(self, i: int, level: int) -> VGroup:
        t = self.t
        q, u, n, p = (t[f"rec_{k}"][i, level] for k in ("q", "u", "n", "prior"))
        width, choice = int(np.sum(~np.isnan(q))), int(t["rec_choice"][i, level])  # a node's moves are 1 … width
        rows = [["走法", "P", "N", "Q", "U", "Q+U"]] + [
            [f"报{j + 1}", fixed(p[j], 2), plain(n[j]), signed(q[j], 3), fixed(u[j], 3), fixed(q[j] + u[j], 3)]
            for j in range(width)]
        colors = [[PALETTE.muted] * 6] + [[PALETTE.highlight if j == choice else PALETTE.text] * 6
                                          for j in range(width)]
        grid = table(rows, (0.8, 0.7, 0.6, 1.0, 0.85, 0.85), colors)
        mark = Rectangle(width=grid.width + 0.2, height=0.36, stroke_color=PALETTE.highlight, stroke_width=2)
        heading = cjk(f"节点 {t['rec_total'][i, level]}：{who(level)}选", LABEL_SIZE, PALETTE.forward)
        return VGroup(heading, VGroup(grid, mark.move_to(grid[choice + 1]))).arrange(DOWN, buff=0.22)

    def selection_words(self, i: int, level: int) -> str:
        t = self.t
        score, choice = t["rec_score"][i, level], int(t["rec_choice"][i, level])
        score = score[~np.isnan(score)]
        if np.sum(score == score.max()) > 1:
            rule = "随机取一个" if t.params["random_ties"] else "取最小的数"
            return f"选择：Q + U 打平（都是 {fixed(score.max(), 3)}），\n平手时{rule}：报{choice + 1}"
        return f"选择：在 {t['rec_total'][i, level]} 上报{choice + 1} 的\nQ + U = {fixed(score[choice], 3)} 最大"

    def simulate_in_detail(self, i: int) -> None:
        path = self.paths[i]
        depth, leaf = len(path) - 1, path[-1]
        self.counter.swap(self, i + 1)
        for level in range(depth):
            self.show_panel(self.selection_table(i, level), 0, *self.redraw(path[1:level + 2]))
            self.caption(self.selection_words(i, level))
            self.hold(0.5)
        kids = self.kids(leaf)
        self.visited.add(leaf)
        self.ghosts = (self.ghosts | set(kids)) - {leaf}
        expand = VGroup(cjk(f"新叶子 {self.totals[leaf]}：接上 {len(kids)} 个孩子", BODY_SIZE),
                        cjk("孩子的 N = 0，等以后再走到", LABEL_SIZE, PALETTE.muted)).arrange(DOWN, buff=0.2)
        self.show_panel(expand, 1, *self.redraw(path[1:]))
        if i == 0:
            self.caption(f"扩展：总数 {self.totals[leaf]} 第一次走到，\n把它的 {len(kids)} 个孩子挂上树")
        value = float(self.t["sim_leaf_value"][i])
        fate = "必赢" if value > 0 else "必输" if value < 0 else "和"
        away = LEFT if self.layout[int(self.parent[leaf])][0] > self.layout[leaf][0] else RIGHT  # off its edge
        tag = mono(f"v = {sv(value)}", LABEL_SIZE, value_color(value)).next_to(self.nodes[leaf], UP + away, buff=0)
        words = VGroup(cjk(f"叶子 {self.totals[leaf]}：用精确解打分", BODY_SIZE),
                       mono(f"v = {sv(value)}", BODY_SIZE, value_color(value)),
                       cjk(f"（轮到{who(depth)}走，{fate}）", LABEL_SIZE, PALETTE.muted)).arrange(DOWN, buff=0.18)
        self.show_panel(words, 2, FadeIn(tag), Flash(self.nodes[leaf], color=value_color(value), flash_radius=0.3))
        self.caption(f"评估：总数 {self.totals[leaf]} 轮到{who(depth)}走，\n精确解给 v = {sv(value)}")
        self.backup(i, path, tag)

    def backup(self, i: int, path: list[int], tag: VMobject) -> None:
        t, levels = self.t, list(reversed(range(len(path) - 1)))  # leaf edge first
        values = {lv: float(t["rec_backup_value"][i, lv]) for lv in levels}
        rows = [["边", "W 加", "N", "Q"]] + [
            [f"{self.totals[path[lv]]}→{self.totals[path[lv + 1]]}", sv(values[lv]), plain(t["rec_after_n"][i, lv]),
             signed(t["rec_after_q"][i, lv], 3)] for lv in levels]
        colors = [[PALETTE.muted] * 4] + [[PALETTE.text, value_color(values[lv]), PALETTE.text, PALETTE.text]
                                          for lv in levels]
        grid = table(rows, (1.2, 0.9, 0.7, 1.1), colors)
        heading = cjk("回传：每上一层，符号翻转", LABEL_SIZE, PALETTE.backward)
        self.show_panel(VGroup(heading, grid).arrange(DOWN, buff=0.22), 3)
        for row in grid[1:]:
            row.set_opacity(0)
        label = None
        for row, lv in zip(grid[1:], levels):
            edge = self.edges[path[lv + 1]]
            new = mono(sv(values[lv]), LABEL_SIZE, value_color(values[lv])).next_to(edge.get_center(), LEFT, buff=0.12)
            self.play(ReplacementTransform(label, new) if label else FadeIn(new),
                      edge.animate.set_stroke(PALETTE.backward, 3.5), row.animate.set_opacity(1), run_time=0.7)
            label = new
        steps = "，".join(f"{who(lv)}这步 {sv(values[lv])}" for lv in levels)
        self.caption(f"回传：{steps if len(levels) <= 3 else '每上一层翻转一次'}\nN 加一，Q 重算")
        self.hold(0.8)
        self.play(FadeOut(label), FadeOut(tag), *self.redraw(), run_time=0.5)

    def root_stats(self, k: int) -> VGroup:
        """The root's N and Q per first move after ``k`` simulations."""
        t = self.t
        rows = [["走法", "N", "Q"]] + [[f"报{m}", plain(t["root_n"][k - 1, j]), signed(t["root_q"][k - 1, j], 3)]
                                      for j, m in enumerate(t["root_moves"])]
        grid = table(rows, (1.0, 1.0, 1.2), size=LABEL_SIZE, gap=0.45)
        heading = cjk("根节点（先手视角）", LABEL_SIZE, PALETTE.forward)
        return VGroup(heading, grid).arrange(DOWN, buff=0.22).move_to([RIGHT_X, 0, 0]).align_to([0, 0.95, 0], UP)

    def fast_simulations(self) -> None:
        if self.shown <= self.detail:
            return
        each, stats = FAST_SECONDS / (self.shown - self.detail), self.root_stats(self.detail)
        badge = speed_badge(f"第 {self.detail + 1}–{self.shown} 次：每次 {each:.1f} 秒").next_to(stats, DOWN, buff=0.3)
        self.play(FadeOut(self.panel), FadeIn(stats), FadeIn(badge), FadeOut(self.marker),
                  self.chips.animate.set_color(PALETTE.muted), run_time=0.6)
        self.panel = stats
        self.caption(f"接着跑第 {self.detail + 1}～{self.shown} 次：\n每次长出一个新叶子")
        for i in range(self.detail, self.shown):
            self.visited.add(self.paths[i][-1])
            self.ghosts.discard(self.paths[i][-1])
            self.counter.swap(self, i + 1)
            self.remove(self.panel)
            self.panel = self.root_stats(i + 1)
            self.add(self.panel)
            self.play(*self.redraw(self.paths[i][1:]), run_time=each)
        self.play(FadeOut(badge), *self.redraw(), run_time=0.5)
        n, q = self.t["root_n"][self.shown - 1], self.t["root_q"][self.shown - 1]
        best = int(np.argmax(n))
        self.caption(f"{self.shown} 次后，报{self.t['root_moves'][best]} 已走了 {n[best]} 次，\n"
                     f"Q = {signed(q[best], 3)}")
        self.hold(0.8)

    # --- the whole run ------------------------------------------------------------------------------------
    def grow(self) -> None:
        t = self.t
        self.marks = marks = t["checkpoint_sims"]
        start = int(np.searchsorted(marks, self.shown))
        self.visits = visits_at(t, marks)
        if not np.array_equal(self.visits[:, self.roots], t["checkpoint_root_n"]):
            raise ValueError(f"trace {t.name}: root visits counted on sim_path differ from checkpoint_root_n")
        frame, first = self.bar_frame(), [self.tree_at(start), self.bars(start)]
        self.play(FadeOut(VGroup(*self.nodes.values(), *self.edges.values(), self.panel, self.formula, self.chips)),
                  run_time=0.6)
        self.play(FadeIn(first[0]), FadeIn(frame), FadeIn(first[1]), run_time=0.8)
        self.caption("换个画法：访问越多，点越大、边越粗，\n占的宽度也越大")
        badge = speed_badge("按记录的检查点快进").next_to(self.counter.mob, DOWN, buff=0.12)
        self.play(FadeIn(badge.align_to(self.counter.mob, RIGHT)), run_time=0.5)
        self.remove(*first, self.counter.mob)
        _, bars, self.counter.mob = self.replay(start, len(marks) - 1, 6.0)
        self.bar_group = VGroup(frame, bars)
        self.play(FadeOut(badge), run_time=0.5)
        n, q = t.metrics["root_n"], t.metrics["root_q"]
        best = int(np.argmax(n))
        rest = "/".join(str(x) for j, x in enumerate(n) if j != best)
        self.caption(f"{self.n_sims} 次后，报{t['root_moves'][best]} 拿到 {n[best]} 次，"
                     f"Q = {signed(q[best], 3)}；\n其余走法只有 {rest} 次")
        self.hold(1.2)

    def replay(self, start: int, stop: int, seconds: float) -> list[VMobject]:
        """Checkpoints ``start`` … ``stop`` in turn, each state (tree, bars, counter) built once and swapped in.

        The kit's ``scrub`` rebuilds every frame through ``become``, which for hundreds of dots costs far more
        than drawing them. Returns fresh builds of the last state, on screen, so the screen log sees them.
        """
        built: dict[int, VGroup] = {}
        clock = ValueTracker(start)

        def state(j: int) -> list[VMobject]:
            if j not in built:
                built[j] = [self.tree_at(j), self.bars(j), self.counter.build(int(self.marks[j]))]
            return built[j]

        holder = VGroup()  # empty at the start: the renderer keeps drawing whatever a moving mobject held then
        holder.add_updater(lambda m: setattr(m, "submobjects", state(int(round(clock.get_value())))))
        self.add(holder)
        self.play(clock.animate.set_value(stop), run_time=seconds, rate_func=linear)
        holder.clear_updaters()
        self.remove(holder)
        built.pop(stop, None)
        self.add(*state(stop))
        return state(stop)

    def layout_at(self, j: int) -> np.ndarray:
        counts = self.visits[j]
        return icicle(counts, self.parent, self.depth, max(1, int(counts[0]) // 100))  # rarer nodes: specks

    def tree_at(self, j: int) -> VGroup:
        return tree_picture(self.layout_at(j), self.visits[j], self.parent)

    def bar_x(self, j: int) -> float:
        return RIGHT_X + (j - (len(self.roots) - 1) / 2) * 1.35

    def bar_frame(self) -> VGroup:
        (y0, h), (z, hq), half = self.BAR_N, self.BAR_Q, 0.7 * len(self.roots)
        return VGroup(
            cjk("根节点访问次数 N", LABEL_SIZE, PALETTE.forward).move_to([RIGHT_X, y0 + h + 0.6, 0]),
            Line([RIGHT_X - half, y0, 0], [RIGHT_X + half, y0, 0], color=PALETTE.muted, stroke_width=2),
            cjk("根节点 Q（先手视角）", LABEL_SIZE, PALETTE.forward).move_to([RIGHT_X, z + hq + 0.55, 0]),
            DashedLine([RIGHT_X - half, z, 0], [RIGHT_X + half, z, 0], color=PALETTE.muted, stroke_width=2),
            *(cjk(f"报{m}", SMALL_SIZE, PALETTE.muted).next_to([self.bar_x(j), y0, 0], DOWN, buff=0.1)
              for j, m in enumerate(self.t["root_moves"])))

    def bars(self, j: int) -> VGroup:
        (y0, h), (z, hq) = self.BAR_N, self.BAR_Q
        n, q = self.t["checkpoint_root_n"][j], self.t["checkpoint_root_q"][j]
        group = VGroup()
        for k in range(len(n)):
            x, share, up = self.bar_x(k), n[k] / self.marks[j], 1 if q[k] >= 0 else -1
            group.add(Rectangle(width=0.55, height=max(h * share, 0.01), stroke_width=0, fill_color=PALETTE.forward,
                                fill_opacity=0.85).move_to([x, y0 + h * share / 2, 0]),
                      mono(plain(n[k]), SMALL_SIZE).move_to([x, y0 + h * share + 0.18, 0]),
                      Rectangle(width=0.55, height=max(hq * abs(q[k]), 0.01), stroke_width=0,
                                fill_color=value_color(q[k]), fill_opacity=0.85).move_to([x, z + hq * q[k] / 2, 0]),
                      mono(signed(q[k], 3), SMALL_SIZE, value_color(q[k])).move_to([x, z + hq * q[k] + 0.18 * up, 0]))
        return group

    def principal_line(self) -> None:
        """The most visited path from the root, the totals the root's mover says on it, and the first moves."""
        counts, xy = self.visits[-1], self.layout_at(len(self.marks) - 1)
        line = [0]
        while self.kids(line[-1]) and counts[self.kids(line[-1])].max() > 0:
            line.append(max(self.kids(line[-1]), key=lambda k: counts[k]))
        line = [n for n in line if not np.isnan(xy[n, 0])]  # as far as the drawing goes
        at = {n: np.append(xy[n], 0) for n in line + self.roots}
        path = VMobject(stroke_color=PALETTE.highlight, stroke_width=3).set_points_as_corners([at[n] for n in line])
        mover = line[1::2]  # the nodes after each of the root mover's moves
        rare = [k for k, n in enumerate(self.roots) if at[n][0] > at[0][0]]  # right of the root: tried rarely
        marks = [(n, mono(str(int(self.totals[n])), SMALL_SIZE, PALETTE.highlight), LEFT) for n in mover[1:]]
        marks += [(n, cjk(f"报{self.t['root_moves'][k]}", SMALL_SIZE), LEFT) for k, n in enumerate(self.roots)
                  if k not in rare]
        if rare:  # one label for the rare ones, which sit close together
            names = "、".join(f"报{self.t['root_moves'][k]}" for k in rare)
            marks.append((self.roots[rare[-1]], cjk(names, SMALL_SIZE), RIGHT))
        labels = VGroup()
        for n, text, side in marks:
            text.next_to(at[n], side, buff=dot_radius(counts[n] / counts[0]) + 0.08)
            labels.add(BackgroundRectangle(text, color=PALETTE.background, fill_opacity=0.85, buff=0.03), text)
        self.play(Create(path), FadeIn(labels), run_time=1.5)
        said, step = [int(self.totals[n]) for n in mover], int(self.t.params["max_add"]) + 1
        sure = "——全是必胜点" if all((self.target - x) % step == 0 for x in said) else ""
        self.caption(f"访问最多的一条路：先手依次报到\n{'、'.join(map(str, said))}{sure}")
        self.hold(1.5)

    def compare_with_book(self) -> None:
        t, flip, moves = self.t, self.trace("mcts.flipped_terminal"), max(len(BOOK_N), len(self.roots))
        groups = [(f"书中（{sum(BOOK_N)} 次模拟）", BOOK_N, BOOK_Q, PALETTE.muted),
                  (f"本次运行（{self.n_sims} 次）", t.metrics["root_n"], t.metrics["root_q"], PALETTE.text),
                  (f"变体：报到 {self.target} 记成走子方赢", flip.metrics["root_n"], flip.metrics["root_q"],
                   PALETTE.highlight)]
        rows, colors = [["", *(f"报{m + 1}" for m in range(moves))]], [[PALETTE.muted] * (moves + 1)]
        for name, n, q, color in groups:
            rows += [[name], ["N", *(plain(x) for x in n), *["—"] * (moves - len(n))],
                     ["Q", *(signed(x, 3) for x in q), *["—"] * (moves - len(q))]]
            colors += [[color] * (moves + 1)] * 3
        box = table(rows, (0.6, *[1.2] * moves), colors, size=LABEL_SIZE, gap=0.44).move_to([RIGHT_X, 0.3, 0])
        self.play(FadeOut(self.bar_group), run_time=0.5)
        self.play(FadeIn(box), run_time=1.0)
        self.caption(f"访问次数：书中 {'/'.join(map(str, BOOK_N))}，本次 {'/'.join(map(str, t.metrics['root_n']))}；\n"
                     f"Q(报1)：书中 {signed(BOOK_Q[0], 3)}，本次 {signed(t.metrics['root_q'][0], 3)}")
        self.hold(2.0)
        fq, dq = flip.metrics["root_q"][0], t.metrics["root_q"][0]
        if abs(fq - BOOK_Q[0]) < min(abs(dq - BOOK_Q[0]), NEAR_BOOK):  # the sign slip explains the book's number
            self.caption(f"若把报到 {self.target} 记成走子方赢（符号弄反），\nQ(报1) 变成 {signed(fq, 3)}，"
                         f"接近书中的 {signed(BOOK_Q[0], 3)}")
        else:
            self.caption(f"把报到 {self.target} 记成走子方赢，Q(报1) 是 {signed(fq, 3)}，\n"
                         f"也对不上书中的 {signed(BOOK_Q[0], 3)}")
        self.hold(2.5)


# =============================================================================================================
def pct(x: float) -> str:
    return f"{x:.0%}"


def generation_ticks(last: int) -> list[int]:
    """0, a 1-2-5 step, …, and ``last`` itself (replacing a round tick too close to it)."""
    step = max(1, int(nice_step(last, 6)))
    ticks = list(range(0, last + 1, step))
    if ticks[-1] != last:
        ticks = ticks[:-1] + [last] if last - ticks[-1] <= step / 2 else ticks + [last]
    return ticks


class SelfPlayFlywheel(BookScene):
    """Self-play → data (π, z) → a new network → self-play, turned generation by generation with the run's numbers."""

    TRACES = ("selfplay.default",)
    TITLE = "第15章 · 自博弈飞轮"
    HUB = np.array([-3.75, 1.55, 0])
    SPOTS = ((-3.75, 2.6), (-2.0, 0.85), (-5.45, 0.85))  # self-play, data, network: clockwise
    LOSS_X = -3.85  # the loss terms end here, their numbers start just right of it
    LOSS_Y = (-0.35, -1.2, -1.6, -2.0)  # the formula, then one row per term
    CHART = (1.35, 5.1, 1.7, (1.0, -1.95))  # left x, width, height of both charts, and their bottoms
    FAST_SECONDS = 18.0
    ALMOST = 0.95  # "almost always" opens with 报1

    def construct(self) -> None:
        self.load()
        self.draw_wheel()
        self.draw_loss()
        self.draw_charts()
        self.caption("自博弈：当前网络带着 MCTS\n自己和自己下")
        self.turn(0, 1.5, explain=True)
        self.fast_turns()
        self.conclude()

    def load(self) -> None:
        t = self.t = self.trace("selfplay.default")
        self.G = len(t["policy_ce"])
        if self.G != int(t.params["generations"]):
            raise ValueError(f"trace {t.name}: {self.G} generations of losses, params say {t.params['generations']}")
        self.series = {  # name: (values per generation 0 … G, chart, colour, dashed); NaN: no value yet
            "random": (t["win_rate_vs_random"], 0, PALETTE.positive, False),
            "prev": (np.concatenate([[np.nan], t["win_rate_vs_prev"]]), 0, PALETTE.highlight, False),
            "net": (t["p_best_opening"], 1, PALETTE.learned, False),
            "search": (t["search_best_opening"], 1, PALETTE.forward, True),
        }
        self.counter = CounterPanel(lambda g: [f"第 {g:>{len(str(self.G))}d} / {self.G} 代"], UR)

    # --- the wheel, the loss, the charts -------------------------------------------------------------------
    def box(self, title: VMobject, sub: VMobject, k: int) -> VGroup:
        body = VGroup(title, sub).arrange(DOWN, buff=0.1)
        frame = RoundedRectangle(corner_radius=0.15, width=body.width + 0.35, height=body.height + 0.3,
                                 stroke_color=PALETTE.muted, stroke_width=2, fill_color=PALETTE.background,
                                 fill_opacity=1)
        return VGroup(frame, body).move_to([*self.SPOTS[k], 0])

    def draw_wheel(self) -> None:
        p = self.t.params
        self.boxes = VGroup(
            self.box(cjk("自博弈", BODY_SIZE),
                     mono(f"{p['games_per_gen']} 局 · 每步搜索 {p['sims_per_move']} 次", SMALL_SIZE, PALETTE.muted), 0),
            self.box(VGroup(cjk("训练数据", BODY_SIZE), tex(r"(\pi,\ z)", TEX_SIZE)).arrange(RIGHT, buff=0.12),
                     mono("— 个局面", SMALL_SIZE, PALETTE.muted), 1),  # filled in by the first self-play
            self.box(cjk("更新网络", BODY_SIZE), mono(f"Adam {p['train_steps']} 步", SMALL_SIZE, PALETTE.muted), 2),
        )
        frames = [b[0] for b in self.boxes]
        ends = [(frames[0].get_right(), frames[1].get_top()), (frames[1].get_bottom(), frames[2].get_bottom()),
                (frames[2].get_top(), frames[0].get_left())]
        bends = (-1.1, -0.8, -1.1)  # clockwise; the bottom one flatter, clear of the loss below
        self.tracks = [ArcBetweenPoints(a + 0.1 * (b - a) / np.linalg.norm(b - a), b, angle=bend)
                       for (a, b), bend in zip(ends, bends)]
        arrows = VGroup(*(CurvedArrow(track.get_start(), track.get_end(), angle=bend, color=PALETTE.muted,
                                      stroke_width=3, tip_length=0.2) for track, bend in zip(self.tracks, bends)))
        self.glow = self.glow_on(0)
        self.play(FadeIn(self.boxes, lag_ratio=0.3), run_time=1.4)
        self.play(Create(arrows), FadeIn(cjk("不看人类\n棋谱", SMALL_SIZE, PALETTE.muted).move_to(self.HUB)),
                  FadeIn(self.counter.show(0)), FadeIn(self.glow), run_time=1.2)
        self.caption("AlphaGo Zero 的飞轮：\n自己下棋、自己出题、自己学")
        self.hold(0.6)

    def draw_loss(self) -> None:
        x, ys = self.LOSS_X, self.LOSS_Y
        loss = tex(r"\ell=(z-v)^2-\boldsymbol{\pi}^{\top}\log\mathbf{p}+c\|\theta\|^2", 34).move_to([x + 0.3, ys[0], 0])
        names = ("(z-v)^2", r"-\boldsymbol{\pi}^{\top}\log\mathbf{p}", r"c\|\theta\|^2")
        terms = VGroup(*(tex(name, TEX_SIZE).next_to([x, y, 0], LEFT, buff=0) for name, y in zip(names, ys[1:])))
        head = VGroup(cjk("训练前 → 训练后", SMALL_SIZE, PALETTE.muted),
                      mono(f"(c = {plain(self.t.params['weight_decay'])})", SMALL_SIZE, PALETTE.muted))
        head.arrange(RIGHT, buff=0.15).next_to([x + 0.3, -0.82, 0], RIGHT, buff=0)
        self.loss_numbers = self.loss_values(None)
        self.play(FadeIn(loss), FadeIn(terms), FadeIn(head), FadeIn(self.loss_numbers), run_time=1.0)

    def loss_values(self, g: int | None) -> VGroup:
        """Beside each loss term: generation g's value before → after its training (dashes before any)."""
        t, group = self.t, VGroup()
        for name, y in zip(("value_mse", "policy_ce", "weight_term"), self.LOSS_Y[1:]):
            text = VGroup(mono("—", SMALL_SIZE, PALETTE.muted)) if g is None else VGroup(
                mono(sig(t[f"{name}_before"][g], 3), SMALL_SIZE, PALETTE.muted), mono("→", SMALL_SIZE, PALETTE.muted),
                mono(sig(t[name][g], 3), SMALL_SIZE, PALETTE.learned)).arrange(RIGHT, buff=0.12)
            group.add(text.next_to([self.LOSS_X + 0.3, y, 0], RIGHT, buff=0))
        return group

    def chart(self, k: int, title: str) -> VGroup:
        """Axes for generation 0 … G against a share 0 … 1, with mono tick labels and faint guides at ½ and 1."""
        left, width, height, bottoms = self.CHART
        G, at = self.G, lambda g, v: np.array([left + width * g / self.G, bottoms[k] + height * v, 0])
        axes = VGroup(Line(at(0, 0), at(G, 0), color=PALETTE.muted, stroke_width=2),
                      Line(at(0, 0), at(0, 1), color=PALETTE.muted, stroke_width=2),
                      cjk("代", SMALL_SIZE, PALETTE.muted).next_to(at(G, 0), RIGHT, buff=0.15),
                      cjk(title, LABEL_SIZE).next_to(at(0, 1), UP, buff=0.2).align_to(at(-0.07 * G, 0), LEFT))
        for v in (0, 0.5, 1):
            axes.add(mono(plain(v), SMALL_SIZE, PALETTE.muted).next_to(at(0, v), LEFT, buff=0.12))
            if v:
                axes.add(DashedLine(at(0, v), at(G, v), color=PALETTE.grid, stroke_width=1.5))
        for g in generation_ticks(G):
            axes.add(Line(at(g, 0), at(g, 0) + 0.07 * DOWN, color=PALETTE.muted, stroke_width=2),
                     mono(str(g), SMALL_SIZE, PALETTE.muted).next_to(at(g, 0), DOWN, buff=0.14))
        return axes

    def draw_charts(self) -> None:
        t = self.t
        self.charts = VGroup(self.chart(0, f"胜率（每项 {t.params['eval_games']} 局，先后手各半）"),
                             self.chart(1, "开局报 1 的概率"))
        legends = (legend_row([(PALETTE.positive, "对随机玩家"), (PALETTE.highlight, "对上一代")], SMALL_SIZE),
                   legend_row([(PALETTE.learned, "网络 p"), (swatch(PALETTE.forward, dashed=True), "搜索 π")],
                              SMALL_SIZE))
        for k, legend in enumerate(legends):
            legend.next_to(self.point(None, self.G, k, 0.07), UP + LEFT, buff=0.1)
        dots = [Dot(self.point(name, 0), radius=0.05, color=color)
                for name, (values, _, color, _) in self.series.items() if not np.isnan(values[0])]
        self.play(FadeIn(self.charts), *(FadeIn(m) for m in legends), run_time=1.0)
        self.play(*(FadeIn(d) for d in dots), run_time=0.6)
        self.caption(f"第 0 代是没训练过的网络：对随机玩家\n赢 {pct(t['win_rate_vs_random'][0])}，"
                     f"开局报 1 的概率 {fixed(t['p_best_opening'][0], 2)}")
        self.hold(0.8)

    def point(self, name: str | None, g: int, chart: int = 0, value: float = 0.0) -> np.ndarray:
        """Where series ``name`` is at generation g (or, without a name, ``value`` on chart ``chart``)."""
        if name is not None:
            values, chart, _, _ = self.series[name]
            value = float(values[g])
        left, width, height, bottoms = self.CHART
        return np.array([left + width * g / self.G, bottoms[chart] + height * value, 0])

    # --- turning ------------------------------------------------------------------------------------------
    def segments(self, g: int) -> list:
        """Each series' step from generation g to g + 1 (or its first point), as animations."""
        anims = []
        for name, (values, _, color, dashed) in self.series.items():
            anims.append(FadeIn(Dot(self.point(name, g + 1), radius=0.05, color=color)))
            if not np.isnan(values[g]):
                anims.append(Create((DashedLine if dashed else Line)(self.point(name, g), self.point(name, g + 1),
                                                                     color=color, stroke_width=4)))
        return anims

    def glow_on(self, k: int) -> VMobject:
        return self.boxes[k][0].copy().set_fill(opacity=0).set_stroke(PALETTE.highlight, 3)

    def step(self, k: int, seconds: float, *also) -> None:
        """The wheel moves one node on: a dot runs along arrow k and the highlight follows it."""
        dot = Dot(self.tracks[k].get_start(), radius=0.09, color=PALETTE.highlight)
        self.bring_to_front(self.glow)  # see turn(): what moves goes on top
        self.add(dot)
        self.play(MoveAlongPath(dot, self.tracks[k]), Transform(self.glow, self.glow_on((k + 1) % 3)), *also,
                  run_time=seconds)
        self.remove(dot)

    def turn(self, g: int, seconds: float, explain: bool = False) -> None:
        t = self.t
        data = mono(f"{t['positions'][g]} 个局面", SMALL_SIZE, PALETTE.muted).move_to(self.boxes[1][1][1])
        # what a step changes goes on top first (it overlaps nothing): manim redraws every frame only the
        # mobjects from the first one that moves onwards, and draws those below it once
        self.bring_to_front(self.boxes[1][1][1])
        self.step(0, seconds, ReplacementTransform(self.boxes[1][1][1], data))
        self.boxes[1][1].submobjects[1] = data
        if explain:
            self.caption(f"自博弈 {t.params['games_per_gen']} 局，每个局面记下搜索的\n走法分布 π 和终局胜负 z："
                         f"{t['positions'][g]} 个")
        numbers = self.loss_values(g)
        self.bring_to_front(self.loss_numbers)
        self.step(1, seconds, ReplacementTransform(self.loss_numbers, numbers))
        self.loss_numbers = numbers
        if explain:
            self.caption(f"训练：v 去追 z，p 去追 π；\n(z−v)² 从 {sig(t['value_mse_before'][g], 3)} "
                         f"降到 {sig(t['value_mse'][g], 3)}")
        self.counter.swap(self, g + 1)
        self.step(2, seconds, *self.segments(g))
        if explain:
            self.caption(f"新网络接回自博弈：第 {g + 1} 代对第 {g} 代\n赢 {pct(t['win_rate_vs_prev'][g])}，"
                         f"对随机玩家赢 {pct(t['win_rate_vs_random'][g + 1])}")
            self.hold(0.8)

    def fast_turns(self) -> None:
        if self.G < 2:
            return
        each = self.FAST_SECONDS / (self.G - 1)
        badge = speed_badge(f"第 2–{self.G} 代加速：每代 {each:.1f} 秒").next_to(self.counter.mob, LEFT, buff=0.5)
        self.play(FadeIn(badge), run_time=0.5)
        self.caption(f"飞轮再转 {self.G - 1} 圈：\n看胜率和报 1 的概率怎么变")
        for g in range(1, self.G):
            self.turn(g, each / 3)
        self.play(FadeOut(badge), run_time=0.5)

    def conclude(self) -> None:
        t, G = self.t, self.G
        self.caption(f"{G} 代后：对随机玩家赢 {pct(t['win_rate_vs_random'][G])}，\n"
                     f"网络开局报 1 的概率 {fixed(t['p_best_opening'][G], 3)}")
        self.hold(1.5)
        search = np.where(t["search_best_opening"] >= self.ALMOST)[0]
        net = np.where(t["p_best_opening"] >= self.ALMOST)[0]
        if len(search) and (not len(net) or search[0] < net[0]):  # the search knew it before the network did
            then = f"网络到第 {net[0]} 代才跟上" if len(net) else "网络还没跟上"
            self.caption(f"搜索第 {search[0]} 代起几乎总报 1，\n{then}：网络在学搜索")
            self.hold(1.5)
        last = float(t["win_rate_vs_prev"][-1])
        if abs(last - 0.5) <= 0.05 and np.all(t["greedy_correct"][-2:] == 1):
            self.caption(f"最后对上一代只赢 {pct(last)}：两代都已走对\n每个必胜点，先后手各赢一半")
        else:
            self.caption(f"最后一代对上一代赢 {pct(last)}")
        self.hold(2.5)
