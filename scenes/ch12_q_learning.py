"""Chapter 12 — 强化学习地基: value iteration spreads value out from the goal, ring by ring.

``ValueDiffusion`` sweeps the Bellman optimality backup over the 5×5 world of BOOK_SPEC §12.3 from
the stored V_k (``gridworld.vi5x5``), lights the cells each sweep changes and rings the ones that
just took their final value, states when nothing changes any more, and draws the greedy arrows.
Then a short contrast: sampled Q-learning on the book's 4×4 world (``gridworld.q4x4``), its
V = max_a Q at a few checkpoints beside the value-iteration V*, and the book's average returns
next to this run's.

The world (walls, goal, trap) comes from the traces' masks and policy grids; γ from the params; the
rewards are read back from the stored one-step look-ahead Q*(s, a) = r + γ V*(s′) (the traces carry
no reward fields). ``--set gridworld.gamma=0.9`` or ``gridworld.episodes=2000`` tells its own story.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Animation,
    FadeIn,
    FadeOut,
    Line,
    Rectangle,
    Square,
    VGroup,
    VMobject,
    interpolate_color,
)
from manim.utils.color import ManimColor

from pipeline.checks.ch12 import rows as book_rows
from scenes.kit.base import BookScene
from scenes.kit.counters import CounterPanel
from scenes.kit.grids import ink_on
from scenes.kit.numbers import fixed, plain, sci, sig, signed
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, tex

__all__ = ["ValueDiffusion", "world_rewards", "chosen_checkpoints", "settled_cells", "value_range"]

VI, QL, VI4 = "gridworld.vi5x5", "gridworld.q4x4", "gridworld.vi4x4"
ACTIONS = "↑↓←→"  # the sims' action order (sims/grid_mdp.py ARROWS): greedy_action indexes it
MOVES = {"↑": (-1, 0), "↓": (1, 0), "←": (0, -1), "→": (0, 1)}
ARROW_TEX = {"↑": r"\uparrow", "↓": r"\downarrow", "←": r"\leftarrow", "→": r"\rightarrow"}
BOOK_AVG_WINDOW = 200  # BOOK_SPEC §12.4: the book averages over "前 200 局 / 末 200 局"

# --- layout: the 5×5 world on the left, its colour scale, a panel on the right ---------------------------------
GRID_LEFT, GRID_TOP, CELL = -6.6, 2.95, 0.92
BAR_LEFT, BAR_HEIGHT = -1.75, 3.4
PANEL_LEFT, PANEL_RIGHT = -0.3, 6.7
SMALL_CELL = 0.82  # the two 4×4 grids of the contrast, side by side in the panel
CELL_TEXT = LABEL_SIZE
CLOSE = 0.01  # "相差不到 0.01": a Q-learning cell counts as learned
SWEEP_BUDGET = 12.0  # seconds at most for the sweeps after the first


# --- reading the traces (no manim: what the scene says is decided here) -----------------------------------------
def cell_of(policy: np.ndarray, symbol: str) -> tuple[int, int]:
    """Where ``symbol`` (``G`` or ``T``) sits in a policy grid."""
    found = np.argwhere(np.asarray(policy) == symbol)
    if len(found) != 1:
        raise ValueError(f"policy grid has {len(found)} cells {symbol!r}, expected one")
    return int(found[0][0]), int(found[0][1])


def neighbour(walls: np.ndarray, r: int, c: int, arrow: str) -> tuple[int, int]:
    """The cell a move leads to: a wall or the border means staying put."""
    dr, dc = MOVES[arrow]
    rr, cc = r + dr, c + dc
    if not (0 <= rr < walls.shape[0] and 0 <= cc < walls.shape[1]) or walls[rr, cc]:
        return r, c
    return rr, cc


def world_rewards(final_q: np.ndarray, final_v: np.ndarray, walls: np.ndarray, policy: np.ndarray,
                  gamma: float) -> dict[str, float]:
    """The step, goal and trap rewards, read back from the stored look-ahead r = Q*(s, a) − γ V*(s′).

    Entering the goal or the trap ends the episode (V = 0 there), so those moves give the reward itself.
    Every move of one kind must give the same reward, or the trace is not the world drawn here.
    """
    goal, trap = cell_of(policy, "G"), cell_of(policy, "T")
    found: dict[str, list[float]] = {"step": [], "goal": [], "trap": []}
    for r, c in np.argwhere(~walls & (policy != "G") & (policy != "T")):
        for a, arrow in enumerate(ACTIONS):
            to = neighbour(walls, r, c, arrow)
            kind = "goal" if to == goal else "trap" if to == trap else "step"
            found[kind].append(float(final_q[r, c, a] - (0.0 if kind != "step" else gamma * final_v[to])))
    rewards = {}
    for kind, values in found.items():
        if not values or np.ptp(values) > 1e-9:
            raise ValueError(f"the trace's Q* does not give one {kind} reward: {sorted(set(values))[:4]}")
        rewards[kind] = float(np.mean(values))
    return rewards


def settled_cells(sweeps: np.ndarray, k: int, tol: float = 1e-9) -> np.ndarray:
    """Cells that changed in sweep ``k`` and now hold their final value: the front of the spreading value."""
    changed = sweeps[k] != sweeps[k - 1]
    return changed & (np.abs(sweeps[k] - sweeps[-1]) <= tol)


def chosen_checkpoints(episodes: Sequence[int]) -> list[int]:
    """Indices of a few recorded Q-table checkpoints: the first, and the nearest to 1/20, 1/4 and all of the run."""
    episodes = np.asarray(episodes)
    total = episodes[-1]
    picks = [1] + [int(np.argmin(np.abs(episodes - total * f))) for f in (1 / 20, 1 / 4, 1)]
    return sorted({p for p in picks if 0 < p < len(episodes)})


def value_range(*arrays: np.ndarray) -> tuple[float, float]:
    """Lowest and highest value shown (the colour scale's real range)."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    return float(values.min()), float(values.max())


def ends_at(walls: np.ndarray, policy: np.ndarray, start: tuple[int, int]) -> tuple[int, int] | None:
    """Where following the arrows from ``start`` ends: ``G``'s or ``T``'s cell, or None for a loop."""
    rc = start
    for _ in range(policy.size):
        if str(policy[rc]) in "GT":
            return rc
        rc = neighbour(walls, *rc, str(policy[rc]))
    return None


def reward_text(value: float) -> str:
    """``+1``, ``−1``, ``−0.04``: a reward with its sign, no trailing zeros."""
    return ("+" if value > 0 else "") + plain(value)


def book_cell(value: float) -> str:
    """A V-table cell as the book prints it (``+0.59``); a value that rounds to zero is ``0.00``."""
    return signed(value, 2) if round(value, 2) != 0 else fixed(0.0, 2)


def residual_text(value: float) -> str:
    return "0" if value == 0 else sci(value)


# --- drawing ---------------------------------------------------------------------------------------------------
class ValueScale:
    """Diverging colours for V: cool below 0, neutral at 0, green up to the highest value shown."""

    def __init__(self, lo: float, hi: float) -> None:
        self.lo, self.hi = min(lo, 0.0), max(hi, 0.0)

    def fill(self, v: float) -> ManimColor:
        if v >= 0:
            end, t = PALETTE.learned, v / self.hi if self.hi > 0 else 0.0
        else:
            end, t = PALETTE.negative, v / self.lo
        return interpolate_color(ManimColor(PALETTE.grid), ManimColor(end), float(np.clip(t, 0, 1)))

    def bar(self, height: float, width: float = 0.26) -> VGroup:
        """The colour bar, ticked at its real ends and 0; each side linear, the negative side at least 1/5 tall."""
        share = 0.0 if self.lo == 0 else max(0.2, -self.lo / (self.hi - self.lo))
        steps, bar = 30, VGroup()
        for k in range(steps):
            f = (k + 0.5) / steps
            v = self.lo * (1 - f / share) if f < share else self.hi * (f - share) / (1 - share)
            bar.add(Rectangle(width=width, height=height / steps, stroke_width=0, fill_color=self.fill(v),
                              fill_opacity=1))
        bar.arrange(UP, buff=0)
        frame = Rectangle(width=width, height=height, stroke_color=PALETTE.muted, stroke_width=1).move_to(bar)
        marks = VGroup()
        ticks = [(v, f) for v, f in ((self.lo, 0.0), (self.hi, 1.0)) if v != 0] + [(0.0, share)]
        for v, f in ticks:
            at = np.array([frame.get_right()[0], frame.get_bottom()[1] + f * height, 0])
            marks.add(Line(at, at + 0.08 * RIGHT, color=PALETTE.muted, stroke_width=2),
                      mono("0" if v == 0 else book_cell(v), SMALL_SIZE, PALETTE.muted).next_to(at, RIGHT, buff=0.14))
        name = tex("V(s)", TEX_SIZE, PALETTE.muted).next_to(frame, UP, buff=0.15)
        return VGroup(bar, frame, marks, name)


class WorldGrid(VGroup):
    """The grid world: walls grey, the goal gold, the trap red (each with its reward), the other cells coloured
    by their value and numbered."""

    def __init__(self, policy: np.ndarray, walls: np.ndarray, rewards: dict[str, float], scale: ValueScale,
                 cell: float, fmt: Callable[[float], str], size: float) -> None:
        super().__init__()
        self.policy, self.walls, self.colors, self.fmt, self.text_size = policy, walls, scale, fmt, size
        self.cell_size = cell
        self.squares: dict[tuple[int, int], Square] = {}
        self.labels: dict[tuple[int, int], VMobject] = {}
        marks = VGroup()
        for r in range(walls.shape[0]):
            for c in range(walls.shape[1]):
                sq = Square(cell, stroke_color=PALETTE.muted, stroke_width=1.5, fill_opacity=1)
                sq.move_to(np.array([c * cell, -r * cell, 0]))
                symbol = str(policy[r, c])
                if walls[r, c]:
                    sq.set_fill(PALETTE.muted, 0.55)
                elif symbol in "GT":
                    color = PALETTE.positive if symbol == "G" else PALETTE.error
                    sq.set_fill(color, 1)
                    reward = rewards["goal" if symbol == "G" else "trap"]
                    marks.add(VGroup(mono(symbol, LABEL_SIZE, ink_on(color)),
                                     mono(reward_text(reward), SMALL_SIZE, ink_on(color))).arrange(DOWN, buff=0.04)
                              .move_to(sq))
                else:
                    sq.set_fill(scale.fill(0.0), 1)
                self.squares[(r, c)] = sq
        self.add(*self.squares.values(), marks)

    @property
    def free(self) -> list[tuple[int, int]]:
        """The cells that carry a value, row by row."""
        return [rc for rc in self.squares if not self.walls[rc] and str(self.policy[rc]) not in "GT"]

    def label(self, rc: tuple[int, int], value: float) -> VMobject:
        return mono(self.fmt(value), self.text_size, ink_on(self.colors.fill(value))).move_to(self.squares[rc])

    def set_now(self, values: np.ndarray) -> VGroup:
        """Colour and number every value cell at once (no animation); returns the labels, to add and log."""
        labels = VGroup()
        for rc in self.free:
            self.squares[rc].set_fill(self.colors.fill(float(values[rc])), 1)
            self.labels[rc] = self.label(rc, float(values[rc]))
            labels.add(self.labels[rc])
        return labels

    def show(self, values: np.ndarray, cells: list[tuple[int, int]]) -> tuple[list[Animation], VGroup]:
        """Animations that recolour and renumber ``cells`` (after ``set_now``), and the new labels (to log)."""
        anims, new = [], VGroup()
        for rc in cells:
            v = float(values[rc])
            label = self.label(rc, v).move_to(self.labels[rc])
            anims += [self.squares[rc].animate.set_fill(self.colors.fill(v), 1), FadeOut(self.labels[rc]),
                      FadeIn(label)]
            self.labels[rc] = label
            new.add(label)
        return anims, new


def top_left(mob: VMobject, left: float, top: float) -> VMobject:
    return mob.move_to(np.array([left + mob.width / 2, top - mob.height / 2, 0]))


class ValueDiffusion(BookScene):
    """Value iteration on the 5×5 world, sweep by sweep; the greedy arrows; sampled Q-learning for contrast."""

    TRACES = ("gridworld.vi5x5", "gridworld.q4x4", "gridworld.vi4x4")
    TITLE = "第12章 · 价值迭代：价值从终点向外扩散"

    def construct(self) -> None:
        self.load()
        self.show_world()
        self.show_backup()
        self.first_sweep()
        self.other_sweeps()
        self.converged()
        self.greedy_arrows()
        self.q_learning()
        self.conclude()

    # --- data ---------------------------------------------------------------------------------------------------
    def load(self) -> None:
        t, q = self.trace(VI), self.trace(QL)
        self.gamma = float(t.params["gamma"])
        self.sweeps = t["v_sweeps"]
        self.rewards = world_rewards(t["final_q"], t["final_v"], t["walls"], t["policy"], self.gamma)
        self.picks = chosen_checkpoints(q["checkpoint_episode"])
        lo, hi = value_range(self.sweeps, q["v_checkpoints"][self.picks], q["v_star"])
        self.scale = ValueScale(lo, hi)

    # --- beats --------------------------------------------------------------------------------------------------
    def show_world(self) -> None:
        t = self.trace(VI)
        self.grid = WorldGrid(t["policy"], t["walls"], self.rewards, self.scale, CELL, book_cell, CELL_TEXT)
        top_left(self.grid, GRID_LEFT, GRID_TOP)
        self.bar = self.scale.bar(BAR_HEIGHT)
        self.bar.move_to(np.array([BAR_LEFT + self.bar.width / 2, GRID_TOP - 0.45 - BAR_HEIGHT / 2, 0]))
        zeros = self.grid.set_now(self.sweeps[0])
        self.log_on_screen(zeros, kind="v5")
        rows, cols = t["walls"].shape
        self.play(FadeIn(self.grid), FadeIn(zeros), FadeIn(self.bar), run_time=1.2)
        self.caption(f"{rows}×{cols} 的格子世界：走进 G 得 {reward_text(self.rewards['goal'])}，\n"
                     f"掉进 T 得 {reward_text(self.rewards['trap'])}，灰格是墙")
        self.hold(1.6)

    def show_backup(self) -> None:
        backup = tex(r"V_{k+1}(s)=\max_a\big[\,r(s,a)+\gamma\,V_k(s')\,\big]", 34)
        params = VGroup(tex(rf"\gamma={plain(self.gamma)}", TEX_SIZE), cjk("，每走一步", LABEL_SIZE),
                        tex(rf"r={plain(self.rewards['step'])}", TEX_SIZE)).arrange(RIGHT, buff=0.12)
        ends = cjk("进 G 或 T 后回合结束，V 记为 0", LABEL_SIZE, PALETTE.muted)
        block = VGroup(backup, params, ends).arrange(DOWN, buff=0.22)
        block.move_to(np.array([(PANEL_LEFT + PANEL_RIGHT) / 2, 2.0, 0]))
        self.backup = block
        self.counter = CounterPanel(lambda k: [f"第 {k} 轮"])
        self.play(FadeIn(backup), run_time=1.0)
        self.play(FadeIn(params), FadeIn(ends), FadeIn(self.counter.show(0)), run_time=0.8)
        self.caption("价值迭代：每一轮用贝尔曼最优方程，\n把所有格子同时更新一遍")
        self.hold(1.4)
        self.residual_chart()

    def residual_chart(self) -> None:
        """An empty bar chart of each sweep's largest change, filled in as the sweeps run."""
        res = self.trace(VI)["residual"]
        n = len(res)
        left, right, base, height = PANEL_LEFT + 0.55, PANEL_RIGHT - 0.2, -1.95, 1.55
        self.slot = (right - left) / n
        self.chart = dict(left=left, base=base, height=height, top=float(res.max()))
        axis = Line([left - 0.1, base, 0], [right, base, 0], color=PALETTE.muted, stroke_width=2)
        step = 1 if n <= 12 else int(np.ceil(n / 10))
        ticks = VGroup(*(mono(str(k), SMALL_SIZE, PALETTE.muted).move_to([self.bar_x(k), base - 0.2, 0])
                         for k in range(1, n + 1) if k == 1 or k == n or k % step == 0))
        name = VGroup(cjk("每轮最大变化", LABEL_SIZE, PALETTE.muted),
                      tex(r"\max_s|V_k(s)-V_{k-1}(s)|", TEX_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.15)
        name.move_to([(PANEL_LEFT + PANEL_RIGHT) / 2, base + height + 0.45, 0])
        self.res_axes = VGroup(axis, ticks, name)
        self.res_bars, self.res_value, self.rings = VGroup(), VGroup(), VGroup()
        self.play(FadeIn(self.res_axes), run_time=0.6)

    def bar_x(self, k: int) -> float:
        return self.chart["left"] + (k - 0.5) * self.slot

    def sweep(self, k: int, seconds: float) -> None:
        """Sweep ``k``: recolour the cells that changed, ring those that took their final value, add its bar."""
        changed = np.argwhere(self.sweeps[k] != self.sweeps[k - 1])
        anims, new = self.grid.show(self.sweeps[k], [tuple(int(i) for i in rc) for rc in changed])
        self.log_on_screen(new, kind="v5")
        rings = VGroup(*(Square(CELL - 0.06, color=PALETTE.highlight, stroke_width=5).move_to(self.grid.squares[
            (int(r), int(c))]) for r, c in np.argwhere(settled_cells(self.sweeps, k))))
        res = float(self.trace(VI)["residual"][k - 1])
        c = self.chart
        h = max(c["height"] * res / c["top"], 0.01) if c["top"] > 0 else 0.01
        bar = Rectangle(width=self.slot * 0.6, height=h, stroke_width=0, fill_color=PALETTE.highlight,
                        fill_opacity=1).move_to([self.bar_x(k), c["base"] + h / 2, 0])
        value = mono(fixed(res, 3), SMALL_SIZE, PALETTE.highlight).next_to(bar, UP, buff=0.08)
        self.counter.swap(self, k)
        move = min(0.9, seconds * 0.6)
        self.play(*anims, FadeOut(self.rings), FadeIn(rings), FadeIn(bar), FadeOut(self.res_value), FadeIn(value),
                  self.res_bars.animate.set_fill(PALETTE.muted), run_time=move)
        self.res_bars.add(bar)
        self.rings, self.res_value = rings, value
        self.hold(seconds - move)

    def first_sweep(self) -> None:
        self.sweep(1, 1.4)
        v1 = self.sweeps[1][tuple(np.array(self.grid.free).T)]
        goal, step = self.rewards["goal"], self.rewards["step"]
        near = int(np.isclose(v1, goal).sum())
        if near and np.all(np.isclose(v1, goal) | np.isclose(v1, step)):
            self.caption(f"第 1 轮只看一步：紧挨 G 的 {near} 格得 {book_cell(goal)}，\n"
                         f"其余格子只看到一步的成本 {book_cell(step)}")
        else:
            self.caption("第 1 轮只看一步：\n每格取最好的一步奖励")
        self.hold(1.6)

    def other_sweeps(self) -> None:
        last = len(self.sweeps) - 1
        if last < 2:
            return
        each = min(1.5, SWEEP_BUDGET / (last - 1))
        self.sweep(2, each)
        below = bool((self.sweeps[2] < 0).any())
        self.caption("价值从 G 一圈圈往外扩散；\n还没等到它的格子每轮再扣一步" if below
                     else "价值从 G 一圈圈往外扩散")
        for k in range(3, last + 1):
            self.sweep(k, each)

    def converged(self) -> None:
        t = self.trace(VI)
        m = t.metrics
        total, until, residual = int(m["sweeps"]), int(m["sweeps_until_unchanged"]), float(m["bellman_residual"])
        last_change = float(t["residual"][-1])
        if last_change == 0:
            text = f"第 {total} 轮没有一个格子再变：\n{until} 轮之后 V 就不动了"
        else:
            text = f"第 {total} 轮最大变化只剩 {sci(last_change)}，\n到此停止迭代"
        note = VGroup(cjk(f"{until} 轮后不再变化，贝尔曼残差", LABEL_SIZE),
                      tex(r"\|\mathcal{T}V-V\|_\infty=" + residual_text(residual), TEX_SIZE))
        note.arrange(RIGHT, buff=0.15).move_to([(PANEL_LEFT + PANEL_RIGHT) / 2, 0.8, 0])  # between formula and chart
        self.log_on_screen(note, kind="converged")
        self.play(FadeOut(self.rings), FadeIn(note), run_time=0.7)
        self.converged_note = note
        self.caption(text)
        self.hold(1.8)

    def greedy_arrows(self) -> None:
        t = self.trace(VI)
        policy, walls, actions = t["policy"], t["walls"], t["greedy_action"]
        arrows, shifts = VGroup(), []
        for rc in self.grid.free:
            symbol = str(policy[rc])
            if symbol != ACTIONS[int(actions[rc])]:
                raise ValueError(f"policy {symbol!r} at {rc} is not greedy action {int(actions[rc])}")
            fill = self.scale.fill(float(self.sweeps[-1][rc]))
            arrow = tex(ARROW_TEX[symbol], 40, ink_on(fill))
            arrows.add(arrow.move_to(self.grid.squares[rc]).shift(0.2 * CELL * DOWN))
            shifts.append(self.grid.labels[rc].animate.shift(0.2 * CELL * UP))
        self.log_on_screen(arrows, kind="arrow")
        self.play(*shifts, run_time=0.6)
        self.play(FadeIn(arrows, lag_ratio=0.05), run_time=1.4)
        goal, trap = cell_of(policy, "G"), cell_of(policy, "T")
        targets = [neighbour(walls, *rc, str(policy[rc])) for rc in self.grid.free]
        into_trap = sum(to == trap for to in targets)
        bumps = sum(to == rc for to, rc in zip(targets, self.grid.free))
        line = "没有箭头撞墙，也没有指向陷阱" if not into_trap and not bumps else \
            f"{bumps} 个箭头撞墙，{into_trap} 个指向陷阱"
        self.caption(f"每格的箭头指向价值最高的邻格：\n{line}")
        self.hold(1.6)
        tied = int(t.metrics["tied_cells"])
        reach = "顺着箭头走，从每一格出发都能到 G" if all(ends_at(walls, policy, rc) == goal for rc in self.grid.free) \
            else "但顺着箭头走，并非每格都能到 G"
        self.caption(f"{tied} 格有两个方向一样好，只画第一个；\n{reach}" if tied else reach)
        self.hold(1.4)

    def q_learning(self) -> None:
        q = self.trace(QL)
        self.play(FadeOut(self.backup), FadeOut(self.res_axes), *map(FadeOut, self.res_bars), FadeOut(self.res_value),
                  FadeOut(self.converged_note), FadeOut(self.counter.mob), run_time=0.7)
        exact = self.trace(VI4)  # the learned Q is not exact: the rewards come from value iteration's Q*
        rewards = world_rewards(exact["final_q"], exact["final_v"], exact["walls"], exact["policy"],
                                float(exact.params["gamma"]))
        self.learned, self.exact = (WorldGrid(q["policy"], q["walls"], rewards, self.scale, SMALL_CELL, book_cell,
                                              SMALL_SIZE) for _ in range(2))
        top = GRID_TOP - 0.45  # the headings sit below the title row
        top_left(self.learned, PANEL_LEFT, top)
        top_left(self.exact, PANEL_RIGHT - self.exact.width, top)
        heads = VGroup(
            VGroup(cjk("Q-learning", LABEL_SIZE), tex(r"V=\max_a Q", TEX_SIZE)).arrange(RIGHT, buff=0.15)
            .next_to(self.learned, UP, buff=0.15),
            VGroup(cjk("价值迭代", LABEL_SIZE), tex("V^*", TEX_SIZE)).arrange(RIGHT, buff=0.15)
            .next_to(self.exact, UP, buff=0.15))
        exact, start = self.exact.set_now(q["v_star"]), self.learned.set_now(q["v_checkpoints"][0])
        self.log_on_screen(exact, kind="v_star")
        self.log_on_screen(start, kind="v_q")
        self.episodes = CounterPanel(lambda n: [f"第 {n} 局"])
        self.episodes.swap(self, int(q["checkpoint_episode"][0]))
        self.play(FadeIn(self.learned), FadeIn(self.exact), FadeIn(exact), FadeIn(start), FadeIn(heads),
                  run_time=1.0)
        rows, cols = q["walls"].shape
        self.caption(f"对照：{rows}×{cols} 世界上的 Q-learning，\n不知道模型，只靠一局局走出来的样本")
        self.hold(1.2)
        self.gap = VMobject()
        for n, i in enumerate(self.picks):
            self.checkpoint(i)
            if n == 1 and len(self.picks) > 2:
                self.partly_learned(i)

    def checkpoint(self, i: int) -> None:
        q = self.trace(QL)
        v = q["v_checkpoints"][i]
        anims, new = self.learned.show(v, self.learned.free)
        self.log_on_screen(new, kind="v_q")
        gap = float(np.max(np.abs(v - q["v_star"])))
        line = mono(f"max|V − V*| = {sig(gap, 2)}", BODY_SIZE, PALETTE.highlight)
        line.move_to([(PANEL_LEFT + PANEL_RIGHT) / 2, self.learned.get_bottom()[1] - 0.4, 0])
        self.episodes.swap(self, int(q["checkpoint_episode"][i]))
        self.play(*anims, FadeOut(self.gap), FadeIn(line), run_time=0.8)
        self.gap = line
        self.hold(1.0)

    def partly_learned(self, i: int) -> None:
        """Part-way: how many cells already match V* (sampling learns the table cell by cell)."""
        q = self.trace(QL)
        cells = self.learned.free
        close = sum(abs(q["v_checkpoints"][i][rc] - q["v_star"][rc]) < CLOSE for rc in cells)
        rest = "，其余还在逼近" if close < len(cells) else ""
        self.caption(f"第 {int(q['checkpoint_episode'][i])} 局：{len(cells)} 格里已有 {close} 格\n"
                     f"与 V* 相差不到 {plain(CLOSE)}{rest}")
        self.hold(1.0)

    def conclude(self) -> None:
        q = self.trace(QL)
        m = q.metrics
        book = {row.id: row for row in book_rows({QL: q.trace, VI4: self.trace(VI4).trace})}
        w, n = int(q.params["avg_window"]), int(q.params["episodes"])
        halves = (("R12.15", "前", m["first_avg_return"]), ("R12.16", "末", m["last_avg_return"]))
        rows = VGroup()
        for row_id, which, ours in halves:
            theirs = f"书中 {signed(book[row_id].book, 3)} / " if w == BOOK_AVG_WINDOW else ""
            rows.add(cjk(f"{which} {w} 局平均回报：{theirs}本次运行 {signed(ours, 3)}", LABEL_SIZE))
        rows.arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        rows.next_to(self.gap, DOWN, buff=0.3).set_x((PANEL_LEFT + PANEL_RIGHT) / 2)
        self.log_on_screen(rows, kind="returns")
        self.play(FadeIn(rows), run_time=0.8)
        gap = float(m["max_abs_v_minus_vstar"])
        close = "，几乎就是价值迭代的答案" if gap < CLOSE else ""
        self.caption(f"{n} 局之后，采样学到的 V 与 V*\n最多差 {sig(gap, 2)}{close}")
        self.hold(1.8)
        self.caption(self.verdict(book, w, q.meta.get("overrides", {})))
        self.hold(2.5)

    @staticmethod
    def verdict(book: dict, window: int, overrides: dict) -> str:
        """The closing caption: the book's averages against this run's (or, over another window, the book's alone)."""
        if window != BOOK_AVG_WINDOW:
            return (f"书中按 {BOOK_AVG_WINDOW} 局平均：前 {signed(book['R12.15'].book, 3)}，"
                    f"末 {signed(book['R12.16'].book, 3)}")
        differ = [which for row_id, which in (("R12.15", "前"), ("R12.16", "末")) if book[row_id].status != "equal"]
        if not differ:
            return "两个平均回报都与书中印的一致\n（回报：一局的奖励直接相加，不打折）"
        changed = "、".join(f"{k}={plain(v) if isinstance(v, (int, float)) else v}" for k, v in overrides.items())
        why = f"：\n这次运行改了 {changed}" if changed else ""
        return f"{'、'.join(differ)} {window} 局的平均回报与书中不同{why}"
