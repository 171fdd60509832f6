"""Chapter 13 — DQN 与 Atari: experience replay, the target network, and a DQN balancing CartPole.

``ReplayBuffer`` replays the book's numpy DQN on the 4×4 grid world (``dqn_grid``): its real
transitions, coloured by time, fall into the pool; the minibatches it really drew are marked
there, beside a batch of consecutive steps, each with its measured mean |Δt|; then the book's
printed policy grid (read from ``pipeline/checks/ch13.py``) next to ours. ``TargetNetwork``
plots the torch CartPole DQN's online and target Q on a probe state (the target jumps at the
recorded syncs), then the no-target ablation's |Q| running away on a log axis. ``CartPoleDQN``
(beyond the book) draws cart and pole from the recorded states before and after training,
beside the learning curve, then the no-replay ablation against its one-environment control.

Every number, curve and wording follows the traces and their params, so ``--set`` changes
what the scenes say.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UL,
    UP,
    Axes,
    Circle,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    Line,
    Mobject,
    Rectangle,
    RoundedRectangle,
    Transform,
    UpdateFromAlphaFunc,
    VGroup,
    VMobject,
)
from manim.utils.color import ManimColor

from pipeline.checks.ch13 import BOOK_POLICY
from scenes.kit.base import SAFE, BookScene, SceneTrace
from scenes.kit.cartpole import cartpole, pose
from scenes.kit.charts import LogAxes, decade_span, labelled_decades, nice_step, panel_axes, polyline
from scenes.kit.counters import scrub
from scenes.kit.grids import CellGrid, ink_on, viridis
from scenes.kit.legends import legend_column, legend_row, swatch
from scenes.kit.numbers import fixed, plain, sci, sig, signed, vector
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, speed_badge, tex
from sims.grid_mdp import ARROWS

GRID = "dqn_grid.default"
DQN = "dqn.default"
NO_TARGET = "dqn.no_target"
ONE_ENV = "dqn.one_env"
NO_REPLAY = "dqn.no_replay"

ONLINE = PALETTE.learned  # the online net (and the run with every mechanism): the thing being learned
FROZEN = PALETTE.text  # the frozen target copy
RUNAWAY = PALETTE.error  # an ablation
STEPS = {"↑": (-1, 0), "↓": (1, 0), "←": (0, -1), "→": (0, 1)}  # an arrow's move on the grid (row, col)
PROBE_WORDS = {"upright": "小车居中、杆直立、静止", "falling_right": "杆向右倒", "falling_left": "杆向左倒",
               "near_right_wall": "靠近右边界"}


# --- numbers the scenes derive from the traces (no manim) -------------------------------------------------------
def pair_gap(indices: Sequence[int]) -> float:
    """Mean |i − j| over the ordered pairs i ≠ j of one batch (the sim's ``mean_batch_gap``, for one batch)."""
    b = np.asarray(indices, dtype=float)
    return float(np.abs(b[:, None] - b[None, :]).sum() / (len(b) * (len(b) - 1)))


def moving_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over the last ``window`` values (fewer at the start)."""
    c = np.cumsum(np.insert(np.asarray(values, dtype=float), 0, 0.0))
    n = np.arange(1, len(values) + 1)
    lo = np.maximum(n - window, 0)
    return (c[n] - c[lo]) / (n - lo)


def staircase(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corner points of a piecewise-constant series: flat runs joined by vertical jumps where it changes."""
    xs, ys = [0.0], [float(values[0])]
    for j in np.flatnonzero(np.diff(values) != 0) + 1:
        xs += [float(j), float(j)]
        ys += [float(values[j - 1]), float(values[j])]
    return np.array(xs + [float(len(values) - 1)]), np.array(ys + [float(values[-1])])


def bumps_wall(symbols: np.ndarray, walls: np.ndarray, r: int, c: int) -> bool:
    """Whether the arrow at (r, c) walks into a wall or off the grid."""
    dr, dc = STEPS[symbols[r][c]]
    rr, cc = r + dr, c + dc
    return not (0 <= rr < walls.shape[0] and 0 <= cc < walls.shape[1]) or bool(walls[rr, cc])


def ending(obs: np.ndarray, geometry: np.ndarray) -> tuple[bool, str]:
    """How a recorded CartPole episode ended, as (failed, words): pole fell, cart left the track, time ran out."""
    x_lim, th_lim = geometry[0], geometry[1]
    if abs(obs[-1, 2]) > th_lim:
        return True, f"杆倒下（|θ| > {plain(round(math.degrees(th_lim), 1))}°）"
    if abs(obs[-1, 0]) > x_lim:
        return True, f"小车出界（|x| > {plain(x_lim)} m）"
    return False, "到时间上限也没倒"


def signed_round(value: float, digits: int) -> str:
    """``signed`` without a ``-0.0``."""
    return signed(round(float(value), digits) + 0.0, digits)


def placed(axes: Axes, left: float, bottom: float) -> Axes:
    """Shift ``axes`` so that its origin sits at (left, bottom)."""
    return axes.shift(np.array([left, bottom, 0]) - axes.c2p(0, 0))


# --- pictures -----------------------------------------------------------------------------------------------------
def _rectangle_outline(left: float, right: float, top: float, bottom: float) -> np.ndarray:
    """The Bézier points of a Rectangle's outline (corners UR, UL, DL, DR and back, straight edges)."""
    corners = np.array([[right, top, 0], [left, top, 0], [left, bottom, 0], [right, bottom, 0], [right, top, 0]])
    thirds = np.array([0, 1, 2, 3])[:, None, None] / 3
    return (corners[:-1] + thirds * (corners[1:] - corners[:-1])).transpose(1, 0, 2).reshape(-1, 3)


class _Pool:
    """The replay pool: one small cell per transition, row by row in the order they arrived.

    Cell ``i`` is transition ``i``, coloured by its time relative to the newest (viridis: dark = oldest),
    grey once the FIFO has evicted it, empty before it arrives. Cells of one colour band are contiguous,
    so a band is at most three rectangles: cheap to redraw on every frame of a replay.
    """

    BANDS = 48  # colour steps from the oldest to the newest transition

    def __init__(self, n: int, capacity: int, corner: np.ndarray, width: float, height: float) -> None:
        self.capacity, self.corner = capacity, corner
        self.cols = max(1, math.ceil(math.sqrt(n * width / height)))
        rows = math.ceil(n / self.cols)
        self.cell = min(width / self.cols, height / rows)
        w, h = self.cols * self.cell, rows * self.cell
        self.frame = Rectangle(width=w + 0.08, height=h + 0.08, stroke_color=PALETTE.muted, stroke_width=1.5)
        self.frame.move_to(corner + np.array([w / 2, -h / 2, 0]))

    def at(self, i: int) -> np.ndarray:
        """The centre of transition ``i``'s cell."""
        r, c = divmod(int(i), self.cols)
        return self.corner + np.array([(c + 0.5) * self.cell, -(r + 0.5) * self.cell, 0])

    def _rows(self, start: int, stop: int) -> list[tuple[int, int]]:
        """[start, stop) cut into pieces that are each one row part or a block of whole rows."""
        pieces, i = [], start
        while i < stop:
            whole = i % self.cols == 0 and stop - i >= self.cols
            end = i + (stop - i) // self.cols * self.cols if whole else min(stop, (i // self.cols + 1) * self.cols)
            pieces.append((i, end))
            i = end
        return pieces

    def span(self, start: int, stop: int, color: str | ManimColor) -> VMobject:
        """Cells [start, stop) filled with ``color``: one VMobject whose outlines are the band's rectangles
        (one object per band, not per rectangle: the pool is redrawn on every frame of a replay)."""
        outlines = []
        for a, b in self._rows(start, stop):
            (r0, c0), r1 = divmod(a, self.cols), (b - 1) // self.cols
            c1 = (b - 1) % self.cols if r1 == r0 else self.cols - 1
            left, top = self.corner[:2] + np.array([c0, -r0]) * self.cell
            right, bottom = left + (c1 - c0 + 1) * self.cell, top - (r1 - r0 + 1) * self.cell
            outlines.append(_rectangle_outline(left, right, top, bottom))
        band = VMobject(stroke_color=color, stroke_width=1, fill_color=color, fill_opacity=1)
        return band.set_points(np.concatenate(outlines)) if outlines else band

    def draw(self, arrived: int) -> VGroup:
        """The pool after ``arrived`` transitions."""
        gone = max(arrived - self.capacity, 0)
        group = VGroup(self.span(0, gone, PALETTE.grid))
        edges = np.linspace(0, arrived, self.BANDS + 1).round().astype(int)
        for k in range(self.BANDS):
            group.add(self.span(max(edges[k], gone), edges[k + 1], viridis((k + 0.5) / self.BANDS)))
        return group

    def run(self, start: int, stop: int, color: str) -> VGroup:
        """Outlines around the consecutive cells [start, stop), one per row they touch."""
        group = VGroup()
        for a, b in self._rows(start, stop):
            for i in range(a, b, self.cols):  # a block of whole rows: one outline per row
                p, q = self.at(i), self.at(min(b, (i // self.cols + 1) * self.cols) - 1)
                group.add(Rectangle(width=q[0] - p[0] + self.cell + 0.1, height=self.cell + 0.1, stroke_color=color,
                                    stroke_width=3).move_to((p + q) / 2))
        return group


def time_strip(indices: Sequence[int], arrived: int, cell: float) -> VGroup:
    """Squares for ``indices`` (sorted), coloured by time as the pool colours them after ``arrived``."""
    return VGroup(*(Rectangle(width=cell, height=cell, stroke_color=PALETTE.background, stroke_width=1,
                              fill_color=viridis(i / max(arrived - 1, 1)), fill_opacity=1)
                    for i in sorted(indices))).arrange(RIGHT, buff=0)


def policy_grid(symbols: np.ndarray, cell: float) -> CellGrid:
    """The book's arrow grid: walls grey, the trap cool, the goal warm, a symbol in every other cell."""
    fills = {"#": PALETTE.grid, "T": PALETTE.negative, "G": PALETTE.positive}
    grid = CellGrid(symbols, cell=cell, fill=lambda v: fills.get(str(v), PALETTE.background))
    for r, row in enumerate(symbols):
        for c, v in enumerate(map(str, row)):
            if v not in ("", "#"):
                ink = ink_on(fills.get(v, PALETTE.background))
                grid.labels[r].add(mono(v, COUNTER_SIZE, ink).move_to(grid.cell(r, c)))
    return grid


def net_box(name: str, symbol: str, color: str) -> VGroup:
    box = RoundedRectangle(corner_radius=0.12, width=2.6, height=0.62, stroke_color=color, stroke_width=2.5)
    return VGroup(box, VGroup(cjk(name, LABEL_SIZE, color), tex(symbol, TEX_SIZE, color)).arrange(RIGHT, buff=0.15)
                  .move_to(box))


# =================================================================================================================
class ReplayBuffer(BookScene):
    """Real transitions stream into the pool; the recorded minibatches mix old and new; book vs our policy."""

    TRACES = ("dqn_grid.default",)
    TITLE = "第13章 · 经验回放"
    CELL = 0.55  # grid-world cell
    WORLD_AT = (-4.85, 2.6)  # x of the grid world's centre, y of its top
    POOL_CORNER = np.array([-2.45, 2.7, 0])
    POOL_BOX = (7.9, 3.3)
    STRIP_CELL = 0.12
    STREAM_MAX = 20  # transitions of the first episode shown one by one
    SUB = 6  # replay positions per streamed transition

    def construct(self) -> None:
        self.load()
        self.show_world()
        self.stream()
        self.fill_to_batch()
        self.show_batch()
        self.fill_to_end()
        self.conclude_gap()
        self.compare_policy()

    def load(self) -> None:
        t = self.t = self.trace(GRID)
        self.n = int(t.metrics["transitions"])
        if len(t["tr_state"]) != self.n:
            raise ValueError(f"{GRID}: {len(t['tr_state'])} transitions logged, metrics say {self.n}")
        self.capacity, self.batch = int(t.params["buffer_size"]), int(t.params["batch"])
        self.cols = t["walls"].shape[1]
        self.shown = min(int(t["lengths"][0]), self.STREAM_MAX, self.n)
        self.mid = int(np.argmin(np.abs(t["batch_step"] - 0.5 * self.n)))  # the recorded batch nearest mid-run
        self.pool = _Pool(self.n, self.capacity, self.POOL_CORNER, *self.POOL_BOX)

    def at_state(self, state: int) -> np.ndarray:
        return self.world.cell(state // self.cols, state % self.cols).get_center()

    def under_world(self, group: Mobject) -> Mobject:
        return group.next_to(self.world, DOWN, buff=0.45).align_to(self.world, LEFT).shift(0.25 * LEFT)

    # --- beats --------------------------------------------------------------------------------------------
    def show_world(self) -> None:
        t = self.t
        self.world = policy_grid(np.where(t["walls"], "#", np.where(t["terminal"], t["policy"], "")), self.CELL)
        self.world.move_to([self.WORLD_AT[0], self.WORLD_AT[1] - self.world.height / 2, 0])
        rows, cols = t["walls"].shape
        self.world_head = cjk(f"{rows}×{cols} 网格世界", LABEL_SIZE, PALETTE.muted).next_to(self.world, UP, buff=0.12)
        pool_head = cjk(f"回放池：每格一条经验，按进入先后排（容量 {self.capacity}）", LABEL_SIZE, PALETTE.muted)
        pool_head.next_to(self.pool.frame, UP, buff=0.12).align_to(self.pool.frame, LEFT)
        bar = VGroup(*(Rectangle(width=0.1, height=0.16, stroke_width=0, fill_color=viridis(k / 23), fill_opacity=1)
                       for k in range(24))).arrange(RIGHT, buff=0)
        grey = Rectangle(width=0.24, height=0.16, stroke_width=0, fill_color=PALETTE.grid, fill_opacity=1)
        self.legend = VGroup(cjk("最早", SMALL_SIZE, PALETTE.muted), bar, cjk("最新", SMALL_SIZE, PALETTE.muted),
                             grey, cjk("已被挤出", SMALL_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.12)
        self.legend[3:].shift(0.25 * RIGHT)
        self.legend.next_to(self.pool.frame, DOWN, buff=0.12).align_to(self.pool.frame, RIGHT)
        self.play(FadeIn(self.world), FadeIn(self.world_head), run_time=1.0)
        self.play(Create(self.pool.frame), FadeIn(pool_head), FadeIn(self.legend), run_time=1.0)
        self.caption("智能体每走一步，\n就记下一条经验 (s, a, r, s′)")
        self.hold(0.8)

    def stream(self) -> None:
        """The first episode's transitions one by one: the agent moves, each transition flies into the pool."""
        t, k, sub = self.t, self.shown, self.SUB
        s, s2 = t["tr_state"].astype(int), t["tr_next_state"].astype(int)
        a, r = t["tr_action"].astype(int), t["tr_reward"]

        def now(j: int) -> tuple[int, float]:  # (transition, fraction of its move done)
            return (min(j // sub, k - 1), (j % sub) / sub) if j < k * sub else (k - 1, 1.0)

        def agent(j: int) -> Mobject:
            i, f = now(j)
            f = min(f * sub / (sub - 2), 1.0)
            return Dot((1 - f) * self.at_state(s[i]) + f * self.at_state(s2[i]), radius=0.11, color=PALETTE.text)

        def trail(j: int) -> VGroup:  # the last few moves, coloured by time like the pool
            done = now(j)[0] + 1
            group = VGroup()
            for i in range(max(done - 6, 0), done):
                color = viridis(i / max(done - 1, 1))
                if s[i] == s2[i]:  # bumped into a wall or the edge: stayed put
                    group.add(Circle(0.16, color=color, stroke_width=4).move_to(self.at_state(s[i])))
                else:
                    group.add(arrow_between(self.at_state(s[i]), self.at_state(s2[i]), color, tip=0.16, buff=0.1))
            return group

        def flyer(j: int) -> Mobject:
            i, f = now(j)
            side = 0.22 * (1 - f) + self.pool.cell * f
            return Rectangle(width=side, height=side, stroke_width=0, fill_color=viridis(1.0), fill_opacity=1) \
                .move_to((1 - f) * self.at_state(s2[i]) + f * self.pool.at(i))

        def readout(j: int) -> Mobject:
            i = now(j)[0]
            rows, cols = divmod(s[i], self.cols), divmod(s2[i], self.cols)
            return self.under_world(VGroup(
                cjk(f"第 {i + 1} 条经验", LABEL_SIZE, PALETTE.muted),
                mono(f"s=({rows[0]},{rows[1]})  a={ARROWS[a[i]]}", COUNTER_SIZE),
                mono(f"r={signed(r[i])}  s′=({cols[0]},{cols[1]})", COUNTER_SIZE)).arrange(DOWN, aligned_edge=LEFT,
                                                                                         buff=0.12))

        builders = [lambda j: self.pool.draw(min(j // sub, k)), trail, agent, flyer, readout]
        # the pool, the trail and the readout change once a transition; the agent and the flyer glide
        changes = [lambda j: min(j // sub, k), lambda j: now(j)[0], None, None, lambda j: now(j)[0]]
        half = (k // 2) * sub
        live = scrub(self, builders, 0, half, 0.38 * k / 2, changes=changes)
        self.caption("相邻经验首尾相连：\n上一条的 s′ 就是下一条的 s")
        self.remove(*live)
        live = scrub(self, builders, half, k * sub, 0.38 * (k - k // 2), changes=changes)
        self.pool_mob, self.stream_mobs = live[0], VGroup(*live[1:])
        self.hold(0.6)

    def counter(self, arrived: int) -> Mobject:
        return self.under_world(VGroup(mono(f"经验 {arrived:>5d} 条", COUNTER_SIZE),
                                       mono(f"池中 {min(arrived, self.capacity):>5d} 条", COUNTER_SIZE))
                                .arrange(DOWN, aligned_edge=LEFT, buff=0.1))

    def fill_to_batch(self) -> None:
        k, stop = self.shown, int(self.t["batch_step"][self.mid]) + 1
        first = self.counter(k)
        self.play(FadeOut(self.stream_mobs), FadeIn(first), run_time=0.6)
        self.badge = speed_badge("加速回放").next_to(first, DOWN, buff=0.3).align_to(first, LEFT)
        if self.n > self.capacity:
            self.caption(f"经验按先后存进池子，\n满 {self.capacity} 条后挤掉最旧的")
        else:
            self.caption(f"经验按先后存进池子：\n这次共 {self.n} 条，装不满 {self.capacity} 条")
        self.play(FadeIn(self.badge), run_time=0.4)
        self.remove(self.pool_mob, first)
        self.pool_mob, self.count_mob = scrub(self, [self.pool.draw, self.counter], k, stop, 3.0)

    def markers(self, b: int) -> VGroup:
        return VGroup(*(Circle(0.07, color=PALETTE.highlight, stroke_width=3).move_to(self.pool.at(i))
                        for i in self.t["batch_indices"][b]))

    def strips(self, b: int) -> VGroup:
        """Recorded batch ``b`` and the latest consecutive batch then, as time-coloured strips with mean |Δt|."""
        arrived = int(self.t["batch_step"][b]) + 1
        rows, recent = VGroup(), np.arange(arrived - self.batch, arrived)
        for name, idx, color in ((f"随机抽的 {self.batch} 条", self.t["batch_indices"][b], PALETTE.highlight),
                                 (f"最近连续 {self.batch} 条", recent, PALETTE.forward)):
            rows.add(VGroup(cjk(name, LABEL_SIZE, color), time_strip(idx, arrived, self.STRIP_CELL),
                            cjk(f"平均相隔 {sig(pair_gap(idx), 3)} 步", LABEL_SIZE)).arrange(RIGHT, buff=0.25))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        return rows.next_to(self.legend, DOWN, buff=0.2).align_to(self.pool.frame, LEFT)

    def show_batch(self) -> None:
        b = self.mid
        arrived = int(self.t["batch_step"][b]) + 1
        self.marks, self.rows = self.markers(b), self.strips(b)
        self.caption(f"第 {int(self.t['batch_update'][b]) + 1} 次更新：从池里随机抽 {self.batch} 条，\n"
                     "新的旧的混在一起")
        self.play(FadeIn(self.marks, lag_ratio=0.05), run_time=1.2)
        self.play(FadeIn(self.rows[0]), run_time=0.8)
        self.hold(1.2)
        self.recent = self.pool.run(arrived - self.batch, arrived, PALETTE.forward)
        self.caption(f"换成最近连续的 {self.batch} 条：\n挤在一处，颜色几乎一样")
        self.play(Create(self.recent), FadeIn(self.rows[1]), run_time=1.0)
        self.hold(1.5)

    def fill_to_end(self) -> None:
        steps = self.t["batch_step"]
        start = int(steps[self.mid]) + 1

        def batch(n: int) -> int:  # the latest recorded batch drawn by the time n transitions had arrived
            return max(int(np.searchsorted(steps, n - 1, side="right")) - 1, 0)

        def marks(n: int) -> VGroup:
            return self.markers(batch(n))

        def recent(n: int) -> VGroup:
            return self.pool.run(n - self.batch, n, PALETTE.forward)

        self.caption("每一步都这样抽一批来训练，\n直到最后一局")
        self.remove(self.marks, self.recent, self.count_mob, self.pool_mob)
        self.pool_mob, self.count_mob, _, _ = scrub(self, [self.pool.draw, self.counter, marks, recent], start, self.n,
                                                    3.5, changes=[None, None, batch])
        self.play(FadeOut(self.badge), Transform(self.rows, self.strips(len(steps) - 1)), run_time=0.8)

    def conclude_gap(self) -> None:
        m = self.t.metrics
        self.caption(f"记录的 {len(self.t['batch_indices'])} 批平均相隔 {sig(m['mean_batch_gap'], 3)} 步，\n"
                     f"连续取只隔 {sig(m['sequential_batch_gap'], 3)} 步")
        self.hold(2.0)
        reuse = m["updates"] * self.batch / m["transitions"]
        self.caption(f"{m['updates']} 次更新、{m['transitions']} 条经验：\n每条平均被抽中 {sig(reuse, 3)} 次")
        self.hold(2.0)

    def compare_policy(self) -> None:
        ours, book = np.array(self.t["policy"]), np.array([row.split() for row in BOOK_POLICY])
        arrows = VGroup(*(mono(str(v), COUNTER_SIZE).move_to(self.world.cell(r, c))
                          for r, row in enumerate(ours) for c, v in enumerate(row) if str(v) in STEPS))
        book_grid = policy_grid(book, self.CELL).next_to(self.world, DOWN, buff=0.7)
        heads = VGroup(cjk(f"本次运行（{self.t.params['episodes']} 局后）", LABEL_SIZE, PALETTE.learned)
                       .next_to(self.world, UP, buff=0.12),
                       cjk("书中印出的策略", LABEL_SIZE, PALETTE.muted).next_to(book_grid, UP, buff=0.12))
        differ = [(r, c) for r in range(ours.shape[0]) for c in range(ours.shape[1]) if ours[r, c] != book[r, c]]
        boxes = VGroup(*(g.block(r, c, 1, 1, PALETTE.highlight, stroke_width=4) for r, c in differ
                         for g in (self.world, book_grid)))
        self.play(FadeOut(self.world_head), FadeOut(self.count_mob), run_time=0.5)
        self.play(FadeIn(arrows), FadeIn(heads[0]), run_time=1.0)
        self.play(FadeIn(book_grid), FadeIn(heads[1]), run_time=0.8)
        self.play(Create(boxes), run_time=0.8)
        for words in self.policy_words(book, differ):
            self.caption(words)
            self.hold(2.0)

    def policy_words(self, book: np.ndarray, differ: list[tuple[int, int]]) -> list[str]:
        """How many arrows differ, whether the book's are optimal under Q* (from the trace), and our reach."""
        m = self.t.metrics
        reached, playable = m["cells_reaching_goal"], m["playable_cells"]
        reach = (f"本次运行 {reached}/{playable} 格\n沿箭头都能走到 G" if reached == playable
                 else f"本次运行只有 {reached}/{playable} 格\n沿箭头能走到 G")
        if not differ:
            return ["书中的策略与本次运行完全相同", reach]
        q = self.t["q_star"]
        bad = [(r, c) for r, c in differ
               if book[r, c] in STEPS and q[r, c, ARROWS.index(book[r, c])] < q[r, c].max() - 1e-9]
        head = f"书中有 {len(differ)} 格箭头与本次不同"
        if not bad:
            return [f"{head}，\n但按 Q* 两边同样最优", reach]
        r, c = bad[0]
        how = "撞墙" if bumps_wall(book, self.t["walls"], r, c) else "不是最优"
        rest = f"，另 {len(differ) - len(bad)} 格同样最优" if len(differ) > len(bad) else ""
        return [f"{head}：\n({r},{c}) 的 {book[r, c]} {how}{rest}", reach]


# =================================================================================================================
class TargetNetwork(BookScene):
    """Online Q moves every update; the target copy jumps at the recorded syncs; without it, Q runs away."""

    TRACES = ("dqn.default", "dqn.no_target")
    TITLE = "第13章 · 目标网络"
    PROBE = 0  # the probe state whose Q is plotted (row of probe_states)
    CHART = (-5.6, -1.95, 10.6, 3.5)  # left, bottom, width, height
    SLOW_SYNCS = 2  # the first syncs replayed slowly
    MAX_POINTS = 500  # points per replayed curve (more makes manim's redraw alignment overflow)

    def construct(self) -> None:
        self.load()
        self.show_rule()
        self.chase()
        self.without_target()

    def load(self) -> None:
        t = self.t = self.trace(DQN)
        self.gamma, self.every = float(t.params["gamma"]), int(t.params["target_every"])
        self.online = t["q_online"][:, self.PROBE].max(axis=-1)
        self.target = t["q_target"][:, self.PROBE].max(axis=-1)
        self.syncs = t["sync_update"].astype(int)
        self.updates = len(self.online)
        if self.updates != int(t.metrics["updates"]):
            raise ValueError(f"{DQN}: {self.updates} logged updates, metrics say {t.metrics['updates']}")

    def show_rule(self) -> None:
        self.rule = VGroup(tex(r"y=r+\gamma\,\max_{a'}Q(s',a';\theta^-)", 34),
                           tex(rf"\gamma={plain(self.gamma)}", TEX_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.5)
        self.rule.to_edge(UP, buff=SAFE).to_edge(RIGHT, buff=SAFE)
        online = net_box("在线网络", r"\theta", ONLINE).move_to([-4.55, 2.45, 0])
        self.target_box = net_box("目标网络", r"\theta^-", FROZEN).move_to([1.2, 2.45, 0])
        self.copy = arrow_between(online.get_right(), self.target_box.get_left(), PALETTE.muted, buff=0.12)
        self.copy_label = cjk(f"每 {self.every} 次更新复制一次", SMALL_SIZE, PALETTE.muted)
        self.copy_label.next_to(self.copy, UP, buff=0.08)
        self.note = cjk("算 y 只用目标网络", SMALL_SIZE, FROZEN).next_to(self.target_box, RIGHT, buff=0.25)
        self.play(FadeIn(self.rule), run_time=1.0)
        self.play(FadeIn(online), FadeIn(self.target_box), run_time=0.8)
        self.play(Create(self.copy), FadeIn(self.copy_label), FadeIn(self.note), run_time=0.8)
        self.caption("两份网络：在线网络每步都更新，\n目标网络冻结，只负责算 y")
        self.hold(1.5)

    # --- online vs target: position u = updates done ------------------------------------------------------
    def chart(self) -> None:
        top = float(max(self.online.max(), self.target.max()))
        y_step = nice_step(top, 4)
        axes = panel_axes([0, self.updates, nice_step(self.updates, 6)], [0, y_step * math.ceil(top / y_step), y_step],
                          self.CHART[2], self.CHART[3], x_label="更新次数")
        self.axes = placed(axes, *self.CHART[:2])
        words = PROBE_WORDS.get(self.t.metrics["probe_names"][self.PROBE], "")
        probe = f"探针状态 s₀ = {vector(self.t['probe_states'][self.PROBE])}" + (f"（{words}）" if words else "")
        self.y_name = VGroup(tex(r"\max_a Q(s_0,a)", TEX_SIZE, PALETTE.muted), cjk(probe, SMALL_SIZE, PALETTE.muted))
        self.y_name.arrange(RIGHT, buff=0.25).next_to(axes.c2p(0, axes.y_range[1]), UP, buff=0.1).align_to(axes, LEFT)

    def online_curve(self, u: int) -> VMobject:
        n = min(u, self.updates - 1)
        if n < 1:
            return VMobject()
        xs = np.append(np.arange(0, n, max(1, self.updates // self.MAX_POINTS)), n)
        return polyline(self.axes, xs, self.online[xs], ONLINE, stroke_width=3)

    def target_curve(self, u: int) -> VMobject:
        n = min(u, self.updates - 1)
        if n < 1:
            return VMobject()
        xs, ys = staircase(self.target[: n + 1])
        return polyline(self.axes, xs, ys, FROZEN, stroke_width=4)

    def flash(self, u: int) -> VGroup:
        """A tick under every sync so far, and a fading bar at the latest (the copy arrow lit with it)."""
        done = self.syncs[self.syncs <= u]
        group = VGroup(*(Line(self.axes.c2p(s, 0), self.axes.c2p(s, 0) + 0.14 * UP, color=PALETTE.highlight,
                              stroke_width=3) for s in done))
        fade = 1 - (u - done[-1]) / (self.updates / 40) if len(done) else 0
        if fade > 0:
            group.add(Line(self.axes.c2p(done[-1], 0), self.axes.c2p(done[-1], self.axes.y_range[1]),
                           color=PALETTE.highlight, stroke_width=4, stroke_opacity=fade),
                      self.copy.copy().set_color(PALETTE.highlight).set_opacity(fade))
        return group

    def counters(self, u: int) -> VGroup:
        group = VGroup(mono(f"更新 {u:>5d} 次", COUNTER_SIZE),
                       mono(f"同步 {int((self.syncs <= u).sum()):>3d} 次", COUNTER_SIZE, PALETTE.highlight))
        group.arrange(DOWN, aligned_edge=LEFT, buff=0.1)
        return group.move_to(self.axes.c2p(0.04 * self.updates, 0.9 * self.axes.y_range[1]), aligned_edge=UL)

    def chase(self) -> None:
        self.chart()
        self.play(Create(self.axes), FadeIn(self.y_name), run_time=1.0)
        builders = [self.online_curve, self.target_curve, self.flash, self.counters]
        slow = self.updates // 4
        if len(self.syncs):
            slow = min(int(self.syncs[min(self.SLOW_SYNCS, len(self.syncs) - 1)]) + self.every // 2, self.updates)
        live = scrub(self, builders, 0, slow, 4.0)
        self.caption("两次同步之间，靶子不动；\n同步那一刻，目标跳到在线网络的值")
        badge = speed_badge("加速回放").next_to(self.rule, DOWN, buff=0.15).align_to(self.rule, RIGHT)
        self.play(FadeIn(badge), run_time=0.4)
        self.remove(*live)
        live = scrub(self, builders, slow, self.updates, 6.0)
        end = self.updates - 1
        labels = VGroup(cjk("在线", LABEL_SIZE, ONLINE).next_to(self.axes.c2p(end, self.online[end]), UP, buff=0.15),
                        cjk("目标", LABEL_SIZE, FROZEN).next_to(self.axes.c2p(end, self.target[end]), DOWN, buff=0.15))
        self.play(FadeOut(badge), FadeIn(labels), run_time=0.6)
        self.caption(f"{self.updates} 次更新里同步 {len(self.syncs)} 次：\n在线网络一直在追一个稳住的靶子")
        self.hold(1.5)
        self.chase_mobs = VGroup(self.axes, self.y_name, labels, *live)

    # --- the ablation: the target moves with θ at every update ----------------------------------------------
    def without_target(self) -> None:
        nt = self.trace(NO_TARGET)
        kept, free = np.abs(self.t["q_online"]).max(axis=(1, 2)), np.abs(nt["q_online"]).max(axis=(1, 2))
        per_step = self.t["eval_returns"][0] / len(self.t["trained_act"])  # eval episode 0 is the recorded one
        bound = per_step / (1 - self.gamma) if self.gamma < 1 else float(free.max())
        lo, hi = labelled_decades(*decade_span(kept, free, [bound]), max_labels=8)
        last = max(len(kept), len(free)) - 1
        axes = placed(LogAxes([0, last, nice_step(last, 6)], (lo, hi), x_length=self.CHART[2], y_length=self.CHART[3],
                              max_labels=8), *self.CHART[:2])
        n_probe, n_act = self.t["q_online"].shape[1:]
        names = VGroup(cjk("更新次数", LABEL_SIZE, PALETTE.muted).next_to(axes.x_axis, RIGHT, buff=0.15)
                       .shift(0.25 * DOWN),
                       VGroup(tex(r"\max|Q|", TEX_SIZE, PALETTE.muted),
                              cjk(f"（{n_probe} 个探针状态 × {n_act} 个动作中最大的，对数轴）", SMALL_SIZE,
                                  PALETTE.muted))
                       .arrange(RIGHT, buff=0.2).next_to(axes.c2p(0, hi - lo), UP, buff=0.1).align_to(axes, LEFT))
        ceiling = VGroup(DashedLine(axes.lp(0, bound), axes.lp(last, bound), color=PALETTE.muted, stroke_width=2),
                         cjk(f"Q 的上限 r/(1−γ) = {plain(round(bound, 1))}", SMALL_SIZE, PALETTE.muted)
                         .next_to(axes.lp(last, bound), UP, buff=0.08).align_to(axes.lp(last, bound), RIGHT))
        new_rule = tex(r"y=r+\gamma\,\max_{a'}Q(s',a';\theta)", 34, RUNAWAY).move_to(self.rule[0])
        note = cjk("算 y 也用在线网络", SMALL_SIZE, RUNAWAY).move_to(self.note).align_to(self.note, LEFT)
        self.play(FadeOut(self.chase_mobs), FadeOut(self.target_box), FadeOut(self.copy), FadeOut(self.copy_label),
                  Transform(self.rule[0], new_rule), Transform(self.note, note), run_time=1.0)
        self.caption("去掉目标网络：y 也由在线网络算，\n每更新一次，靶子跟着动一次")
        self.play(Create(axes), FadeIn(names), Create(ceiling[0]), FadeIn(ceiling[1]), run_time=1.2)

        def curves(u: int) -> VGroup:
            group = VGroup()
            for values, color in ((kept, ONLINE), (free, RUNAWAY)):
                n = min(u, len(values) - 1)
                if n >= 1:
                    xs = np.append(np.arange(0, n, max(1, len(values) // self.MAX_POINTS)), n)
                    group.add(axes.log_graph(xs, np.maximum(values[xs], 10.0 ** lo), color, stroke_width=4))
            return group

        scrub(self, [curves], 0, last, 5.0)
        peak = float(free.max())
        legend = legend_column([(swatch(ONLINE), "有目标网络"), (swatch(RUNAWAY), "没有目标网络")])
        ends = VGroup(legend.next_to(axes.lp(last, 10.0 ** lo), UP + LEFT, buff=0.25),
                      mono(sci(peak), LABEL_SIZE, RUNAWAY).next_to(axes.lp(int(np.argmax(free)), peak), DOWN,
                                                                   buff=0.15),
                      mono(fixed(kept[-1], 1), LABEL_SIZE, ONLINE).next_to(axes.lp(len(kept) - 1, kept[-1]), UP,
                                                                            buff=0.15))
        self.play(FadeIn(ends), run_time=0.8)
        if peak > 10 * bound:
            self.caption(f"|Q| 冲到 {sci(peak)}，\n是上限的 {sci(peak / bound)} 倍")
        else:
            self.caption(f"这次 |Q| 最高 {sig(peak, 3)}，\n没有越过上限 {plain(round(bound, 1))}")
        self.hold(1.5)
        self.caption(f"测试平均回报：有目标网络 {plain(self.t.metrics['eval_mean_return'])}，\n"
                     f"没有目标网络 {plain(nt.metrics['eval_mean_return'])}")
        self.hold(2.5)


# =================================================================================================================
class CartPoleDQN(BookScene):
    """The trained agent at work: cart and pole drawn from recorded states, the learning curve, replay's effect."""

    TRACES = ("dqn.default", "dqn.one_env", "dqn.no_replay")
    TITLE = "第13章 · DQN 学会平衡杆"
    SCALE = 1.42  # manim units per metre
    TRACK = (-3.3, -1.2)  # centre of the track, y of its surface
    CHART = (1.0, -2.0, 4.6, 4.1)  # left, bottom, width, height of the learning curve
    WIDE = (-5.6, -2.0, 11.0, 4.2)  # the ablation's chart
    REAL_TIME_MAX = 6.0  # an episode longer than this many seconds is replayed faster
    WINDOW = 20  # episodes in the moving mean of a learning curve

    def construct(self) -> None:
        self.load()
        self.stage()
        self.episode("untrained")
        self.learning_curve()
        self.episode("trained")
        self.replay_ablation()

    def load(self) -> None:
        t = self.t = self.trace(DQN)
        self.geometry = t["cartpole_geometry"]
        self.x_lim, self.th_lim, self.half, self.tau = (float(v) for v in self.geometry)

    # --- the cart and pole ------------------------------------------------------------------------------------
    def to_screen(self, x_m: float) -> np.ndarray:
        return np.array([self.TRACK[0] + self.SCALE * x_m, self.TRACK[1], 0.0])

    def stage(self) -> None:
        left, right = self.to_screen(-self.x_lim), self.to_screen(self.x_lim)
        stops = (Line(p + 0.02 * DOWN, p + 0.5 * UP, color=PALETTE.error, stroke_width=4) for p in (left, right))
        track = VGroup(Line(left, right, color=PALETTE.muted, stroke_width=3), *stops)
        ends = VGroup(mono(f"-{plain(self.x_lim)} m", SMALL_SIZE, PALETTE.muted).next_to(left, DOWN, buff=0.35)
                      .align_to(left, LEFT),
                      mono(f"+{plain(self.x_lim)} m", SMALL_SIZE, PALETTE.muted).next_to(right, DOWN, buff=0.35)
                      .align_to(right, RIGHT),
                      cjk("轨道边界", SMALL_SIZE, PALETTE.muted).next_to(self.to_screen(0), DOWN, buff=0.35))
        self.stage_mobs = VGroup(track, ends)
        first = self.cartpole(self.t["untrained_obs"][0], None)
        top = max(float(self.t["episode_return"].max()), float(self.t["eval_returns"].max()))
        self.chart = self.curve_axes(int(self.t.metrics["env_steps"]), top, self.CHART)
        self.play(Create(track), FadeIn(ends), FadeIn(first), Create(self.chart[0]), FadeIn(self.chart[1]),
                  run_time=1.2)
        self.live = [first]
        per_step = self.t["eval_returns"][0] / len(self.t["trained_act"])  # eval episode 0 is the recorded one
        self.caption(f"CartPole：左右推小车，别让杆倒下；\n每撑住一步得 {plain(round(per_step, 3))} 分")
        self.hold(1.0)

    def cartpole(self, state: np.ndarray, action: int | None) -> VGroup:
        """Cart and pole at ``state`` = [x, ẋ, θ, θ̇] (the kit's rig, without the track this scene draws once),
        and the push of this step."""
        rig = pose(cartpole(self.geometry, self.SCALE, self.to_screen(0.0)), float(state[0]), float(state[2]))
        _, _, wedge, cart, pole, axle = rig.submobjects
        group = VGroup(wedge, cart, pole, axle)
        if action is not None:  # the push this step: action 0 pushes left, 1 pushes right
            side = RIGHT if action == 1 else LEFT
            start = cart.get_center() - side * (cart.width / 2 + 0.1)
            group.add(arrow_between(start - side * 0.45, start, PALETTE.forward, tip=0.16, stroke_width=5, buff=0))
        return group

    def readout(self, which: str, k: int) -> VGroup:
        state = self.t[f"{which}_obs"][k]
        angle, x = signed_round(math.degrees(state[2]), 1), signed_round(state[0], 2)
        lines = VGroup(mono(f"第 {k:>3d} 步  {k * self.tau:5.2f} 秒", COUNTER_SIZE),
                       mono(f"θ = {angle}°   x = {x} m", LABEL_SIZE, PALETTE.muted))
        return lines.arrange(DOWN, aligned_edge=LEFT, buff=0.12).move_to([self.TRACK[0], 2.1, 0])

    def episode(self, which: str) -> None:
        """Replay one recorded greedy episode from its first state to its last, in real time or sped up."""
        obs, act = self.t[f"{which}_obs"], self.t[f"{which}_act"]
        steps, trained = len(act), which == "trained"
        real = steps * self.tau
        speed = 1 if real <= self.REAL_TIME_MAX else math.ceil(real / self.REAL_TIME_MAX)
        head = cjk("训练后：同一个起点" if trained else "训练前：网络的初始权重", LABEL_SIZE,
                   PALETTE.learned if trained else PALETTE.muted).move_to([self.TRACK[0], 2.85, 0])
        badge = speed_badge("实时播放" if speed == 1 else f"×{speed} 加速").next_to(head, RIGHT, buff=0.3)
        self.remove(*self.live)
        self.play(FadeIn(head), FadeIn(badge), run_time=0.6)
        if trained:
            self.caption("同一个起点，\n换训练好的网络来推")
        self.live = scrub(self, [lambda k: self.cartpole(obs[k], int(act[k]) if k < steps else None),
                                 lambda k: self.readout(which, k)], 0, steps, real / speed)
        failed, end = ending(obs, self.geometry)
        note = cjk(f"第 {steps} 步{end}" if failed else f"撑满 {steps} 步：{end}", BODY_SIZE,
                   PALETTE.error if failed else PALETTE.learned).move_to([self.TRACK[0], 1.0, 0])
        self.play(FadeIn(note), FadeOut(badge), run_time=0.6)
        when, secs = ("训练后" if trained else "训练前"), plain(round(real, 2))
        if failed:
            self.caption(f"{when}：撑了 {steps} 步（{secs} 秒），\n然后{end}")
            if trained:  # the recorded episode is one of the test's; the test's average says more
                self.hold(1.2)
                verdict = "这次训练没有练成" if not self.t.metrics["solved"] else "这一局是少数失手"
                self.caption(f"测试 {len(self.t['eval_returns'])} 局平均 "
                             f"{plain(self.t.metrics['eval_mean_return'])} 分：\n{verdict}")
        else:
            self.caption(f"{when}：撑满 {steps} 步（{secs} 秒）；\n"
                         f"测试 {len(self.t['eval_returns'])} 局平均 {plain(self.t.metrics['eval_mean_return'])} 分")
        self.hold(1.5)
        self.play(FadeOut(note), FadeOut(head), run_time=0.5)

    # --- learning curves ----------------------------------------------------------------------------------------
    def curve_axes(self, last_step: int, top: float, box: tuple[float, float, float, float],
                   title: str | None = None) -> VGroup:
        y_top = 100 * math.ceil(top / 100)
        axes = placed(panel_axes([0, last_step, nice_step(last_step, 4)], [0, y_top, nice_step(y_top, 5)], box[2],
                                 box[3], x_label="环境步"), *box[:2])
        name = cjk(title or f"每局回报（点：单局；线：{self.WINDOW} 局滑动平均）", SMALL_SIZE, PALETTE.muted)
        return VGroup(axes, name.next_to(axes.c2p(0, y_top), UP, buff=0.15).align_to(axes.c2p(0, 0), LEFT))

    @staticmethod
    def greedy_curve(axes: Axes, t: SceneTrace, color: str, n: int) -> VGroup:
        """The first ``n`` points of run ``t``'s greedy learning curve (mean test return, no exploration)."""
        xs, ys = t["curve_env_step"][:n], t["curve_return"][:n]
        dots = VGroup(*(Dot(axes.c2p(x, y), radius=0.05, color=color) for x, y in zip(xs, ys)))
        if n < 2:
            return dots
        line = axes.plot_line_graph(xs, ys, add_vertex_dots=False, line_color=color, stroke_width=4)["line_graph"]
        return VGroup(line, dots)

    def curve(self, axes: Axes, t: SceneTrace, color: str, n: int) -> VMobject:
        """The moving mean of run ``t``'s first ``n`` training episodes."""
        if n < 2:
            return VMobject()
        ends, returns = t["episode_end_step"], t["episode_return"]
        xs = np.append(np.arange(0, n - 1, max(1, len(returns) // 400)), n - 1)
        return axes.plot_line_graph(ends[xs], moving_mean(returns, self.WINDOW)[xs], add_vertex_dots=False,
                                    line_color=color, stroke_width=4)["line_graph"]

    def dots(self, axes: Axes, t: SceneTrace, color: str, of: int) -> tuple[VGroup, UpdateFromAlphaFunc]:
        """One faint dot per training episode, hidden, and the animation that reveals them in step with a
        replay of ``of`` episodes (built once: rebuilding a thousand dots every frame is what costs)."""
        dots = VGroup(*(Dot(axes.c2p(x, y), radius=0.025, color=color, fill_opacity=0)
                        for x, y in zip(t["episode_end_step"], t["episode_return"])))

        def show(group: VGroup, alpha: float) -> None:
            k = round(alpha * of)
            for i, dot in enumerate(group.submobjects):
                dot.set_fill(opacity=0.35 if i < k else 0)

        self.add(dots)
        return dots, UpdateFromAlphaFunc(dots, show)

    def stop_marker(self, axes: Axes, t: SceneTrace, color: str, height: float = 0.97) -> VGroup:
        """A dashed line at the env step where the greedy check passed and training stopped (if it did)."""
        if not t.metrics["stopped_early"]:
            return VGroup()
        x = float(t["check_env_step"][-1])
        line = DashedLine(axes.c2p(x, 0), axes.c2p(x, axes.y_range[1]), color=color, stroke_width=2.5)
        label = cjk(f"第 {int(x)} 步通过检查", SMALL_SIZE, color)
        side = LEFT if x > (axes.x_range[0] + axes.x_range[1]) / 2 else RIGHT  # into the chart, never off it
        return VGroup(line, label.next_to(axes.c2p(x, height * axes.y_range[1]), side, buff=0.1))

    def learning_curve(self) -> None:
        t, m = self.t, self.t.metrics
        axes = self.chart[0]
        eps = float(t["update_eps"][-1]) if len(t["update_eps"]) else float(t.params["eps_end"])
        self.caption(f"训练 {m['env_steps']} 步、{m['episodes']} 局：\n练的时候还有 {eps:.0%} 的随机动作")
        dots, reveal = self.dots(axes, t, ONLINE, len(t["episode_return"]))
        (line,) = scrub(self, [lambda n: self.curve(axes, t, ONLINE, n)], 0, len(dots), 3.5, reveal)
        marker = self.stop_marker(axes, t, PALETTE.highlight, 0.7)
        self.play(Create(marker), run_time=0.8)
        at = axes.c2p(m["env_steps"], m["eval_mean_return"])
        score = VGroup(Dot(at, radius=0.09, color=PALETTE.learned),
                       cjk(f"测试平均 {plain(m['eval_mean_return'])}", SMALL_SIZE, PALETTE.learned)
                       .next_to(at, LEFT, buff=0.15))
        self.play(FadeIn(score), run_time=0.6)
        if m["stopped_early"]:
            self.caption(f"第 {int(t['check_env_step'][-1])} 步，不带随机的策略\n"
                         f"连撑 {len(t['eval_returns'])} 局不倒，训练停下")
        else:
            self.caption(f"{m['env_steps']} 步用完，\n策略还没通过检查")
        self.hold(1.5)
        self.chart_mobs = VGroup(self.chart, line, dots, marker, score)

    def replay_ablation(self) -> None:
        on, off = self.trace(ONE_ENV), self.trace(NO_REPLAY)
        envs = {int(on.params["num_envs"]), int(off.params["num_envs"])}
        every, tests = int(off.params["curve_every"]), int(off.params["curve_episodes"])
        last = int(max(on["curve_env_step"][-1], off["curve_env_step"][-1], on.metrics["env_steps"],
                       off.metrics["env_steps"]))  # a stop marker may come after the last curve point
        top = max(float(on["curve_return"].max()), float(off["curve_return"].max()), 1.0)
        chart = self.curve_axes(last, top, self.WIDE, f"不带随机的策略：每 {every} 步测 {tests} 局的平均回报")
        axes = chart[0]
        self.play(FadeOut(self.chart_mobs), FadeOut(self.stage_mobs), FadeOut(*self.live), run_time=0.8)
        self.play(Create(axes), FadeIn(chart[1]), run_time=1.0)
        same = f"都只用 {envs.pop()} 个环境" if len(envs) == 1 else "环境数不同"
        self.caption(f"对照实验：{same}，\n只差有没有经验回放")
        n_on, n_off = len(on["curve_return"]), len(off["curve_return"])
        n = max(n_on, n_off)
        scrub(self, [lambda k: self.greedy_curve(axes, on, ONLINE, min(k, n_on)),
                     lambda k: self.greedy_curve(axes, off, RUNAWAY, min(k, n_off))], 1, n, 5.0)
        a, b = on.metrics["eval_mean_return"], off.metrics["eval_mean_return"]
        legend = legend_row([(swatch(ONLINE), f"有回放 · 最后测试 {plain(a)}"),
                             (swatch(RUNAWAY), f"无回放 · 最后测试 {plain(b)}")], SMALL_SIZE, PALETTE.text)
        legend.next_to(chart[1], UP, buff=0.2).align_to(axes.x_axis.get_right(), RIGHT)  # above the chart's title
        self.play(Create(self.stop_marker(axes, on, ONLINE, 0.97)), Create(self.stop_marker(axes, off, RUNAWAY, 0.87)),
                  FadeIn(legend), run_time=0.8)
        self.caption(f"{self.stopped_words('有回放', on)}；\n{self.stopped_words('无回放', off)}")
        self.hold(2.0)
        if abs(a - b) >= 0.2 * axes.y_range[1]:
            better, worse = ("有回放", "无回放") if a > b else ("无回放", "有回放")
            self.caption(f"最后各测 {len(on['eval_returns'])} 局：{better}平均 {plain(max(a, b))} 分，\n"
                         f"{worse}只有 {plain(min(a, b))} 分")
        else:
            self.caption(f"最后各测 {len(on['eval_returns'])} 局：有回放 {plain(a)} 分，无回放 {plain(b)} 分；\n"
                         f"在 CartPole 上，这次测不出回放的好处")
        self.hold(2.5)

    @staticmethod
    def stopped_words(name: str, t: SceneTrace) -> str:
        """When run ``t`` stopped: at its passed check, or at the end of its budget."""
        if t.metrics["stopped_early"]:
            return f"{name}第 {int(t['check_env_step'][-1])} 步通过检查、停下"
        why = "不设提前停止" if not t.params["stop_when_solved"] else "一直没通过检查"
        return f"{name}{why}，跑满 {t.metrics['env_steps']} 步"
