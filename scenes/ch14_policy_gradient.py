"""Chapter 14 — 策略梯度与 actor-critic: returns push a policy's bars, a baseline tames the noise, PPO balances a pole.

``PolicyShaping`` and ``BaselineVariance`` read ``reinforce.default`` (REINFORCE on the book's 7-cell corridor:
π(→|s) after every episode, every step's (s, a, G), and the baseline measurement on a frozen policy).
``CartPolePPO``, added beyond the book, reads ``ppo.default``: the cart and pole are drawn from recorded states
with ``cartpole`` / ``pose`` (self-contained, meant for the kit: chapter 13 draws the same rig), beside the
learning curve and the histograms of π/π_old. Every number, bar and curve follows the trace, so a run under
``--set reinforce.lr=0.2`` or ``--set ppo.clip_coef=0.1`` tells its own story.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Axes,
    Create,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    Flash,
    GrowFromEdge,
    Line,
    Mobject,
    Rectangle,
    Transform,
    ValueTracker,
    VGroup,
    VMobject,
    linear,
)

from pipeline.checks.ch14 import BOOK_AVERAGES, BOOK_POLICY, BOOK_WINDOW  # the book's printed output
from scenes.kit.base import SAFE, BookScene
from scenes.kit.cartpole import cartpole, pose
from scenes.kit.charts import nice_step, panel_axes, polyline
from scenes.kit.counters import redraw_on_change, scrub
from scenes.kit.legends import legend_row
from scenes.kit.numbers import fixed, plain, sig, signed
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, speed_badge, tex

__all__ = ["PolicyShaping", "BaselineVariance", "CartPolePPO", "cartpole", "pose", "replay_updates"]

PG, PPO = "reinforce.default", "ppo.default"
RIGHT_ACTION = 1  # sims/reinforce.py: actions (left, right) = (0, 1)
ARROWS = ("←", "→")



# --- shared drawing ---------------------------------------------------------------------------------------------
def _placed(axes: Axes, at: Sequence[float]) -> Axes:
    """Shift ``axes`` so that its lower-left corner (x min, y min) sits at ``at``."""
    return axes.shift(np.array([at[0], at[1], 0.0]) - axes.c2p(axes.x_range[0], axes.y_range[0]))


def _hist_axes(x_range: Sequence[float], y_max: float, x_length: float, y_length: float, at: Sequence[float]) -> Axes:
    """A histogram's frame: a numbered x axis and an invisible count axis (the shape is the message)."""
    axes = Axes(x_range=list(x_range), y_range=[0, y_max, y_max], x_length=x_length, y_length=y_length, tips=False,
                axis_config={"color": PALETTE.muted},
                x_axis_config={"include_numbers": True, "font_size": SMALL_SIZE})
    axes.y_axis.set_opacity(0)
    return _placed(axes, at)


def _bars_on(axes: Axes, edges: np.ndarray, counts: np.ndarray, colors: Sequence[str]) -> VGroup:
    """One bar per bin standing on the x axis; an empty bin keeps a hairline bar, so two histograms can morph."""
    bars = VGroup()
    for lo, hi, n, color in zip(edges[:-1], edges[1:], counts, colors):
        corner, top = axes.c2p(lo, 0), axes.c2p(hi, n)
        height = max(top[1] - corner[1], 1e-3)
        bars.add(Rectangle(width=top[0] - corner[0], height=height, stroke_width=0.6,
                           stroke_color=PALETTE.background, fill_color=color, fill_opacity=0.9)
                 .move_to(corner + np.array([(top[0] - corner[0]) / 2, height / 2, 0])))
    return bars


def _sign_colors(edges: np.ndarray) -> list[str]:
    """Warm for bins right of zero, cool for bins left of it (the book's positive / negative)."""
    return [PALETTE.positive if lo + hi > 0 else PALETTE.negative for lo, hi in zip(edges[:-1], edges[1:])]


def _rows_of(lines: Sequence[Mobject], at: Sequence[float], buff: float = 0.16) -> VGroup:
    """Lines stacked downward, left-aligned, the first one's top-left corner at ``at``."""
    group = VGroup(*lines).arrange(DOWN, aligned_edge=LEFT, buff=buff)
    return group.move_to(np.array([at[0], at[1], 0]), aligned_edge=UP + LEFT)


# --- reading the REINFORCE trace ------------------------------------------------------------------------------
def replay_updates(t, episodes: int) -> dict[str, np.ndarray]:
    """The no-baseline run's first ``episodes`` episodes, one row per logged update, with π(→|s) around it.

    ``before``/``after`` are the sim's π(→|s) of the step's state around its update; ``after`` is the whole
    policy row after it (the other states unchanged), so the bars can follow update by update; ``delta`` is
    the printed rule's change of the →-logit, lr·G·(1[a=→] − π(→|s)). Each replayed episode must land on the
    π the trace recorded after it.
    """
    lr, pi = float(t.params["lr"]), np.asarray(t["plain_pi_right"], dtype=float)
    rows = np.flatnonzero(t["plain_step_episode"] < episodes)
    log = {f: t[f"plain_step_{f}"][rows].astype(int) for f in ("episode", "t", "state", "action")}
    log.update({f: t[f"plain_step_{f}"][rows].astype(float) for f in ("return", "reward")})
    log["before"] = t["plain_step_pi_before"][rows].astype(float)
    log["delta"] = lr * log["return"] * ((log["action"] == RIGHT_ACTION) - log["before"])  # Δθ_→ = −Δθ_←
    log["after"] = np.zeros((len(rows), pi.shape[1]))
    after = t["plain_step_pi_after"][rows].astype(float)
    for ep in range(episodes):
        cur = pi[ep].copy()
        for i in np.flatnonzero(log["episode"] == ep):
            cur[log["state"][i]] = after[i]
            log["after"][i] = cur
        if not np.allclose(cur, pi[ep + 1], atol=1e-9):
            raise ValueError(f"trace {t.name}: the logged updates of episode {ep} do not end on its recorded π")
    return log


def _trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of each ``window`` consecutive values; entry i covers episodes i+1 … i+window."""
    return np.convolve(values, np.ones(window) / window, mode="valid")


# =============================================================================================================
class PolicyShaping(BookScene):
    """The corridor's policy as bars; each logged update pushes them, then all episodes reshape them."""

    TRACES = ("reinforce.default",)
    TITLE = "第14章 · 回报推着策略走"
    DETAIL = 3  # episodes replayed update by update
    SLOW = 3  # updates of the first episode shown with every number
    SCRUB_SECONDS = 8.0  # all episodes, fast
    LEFT_X, LEFT_W = -6.6, 6.9  # the corridor and bars
    PANEL_X = 0.8  # left edge of the right panel
    CORR_Y, BAR_BASE, BAR_H = 2.75, -1.4, 2.9
    STRIP_Y, STRIP_H, STRIP_W = -2.45, 1.3, 5.6  # the bars of G_t under the readout: bottom, height, width

    def construct(self) -> None:
        self.load()
        self.show_policy()
        self.walk_first_episode()
        self.first_updates()
        self.more_updates()
        self.all_episodes()
        self.compare_book()

    def load(self) -> None:
        t = self.t = self.trace(PG)
        self.pi = np.asarray(t["plain_pi_right"], dtype=float)
        self.n, self.episodes = self.pi.shape[1], len(self.pi) - 1
        self.detail = min(self.DETAIL, self.episodes)
        self.log = replay_updates(t, self.detail)
        self.first = np.flatnonzero(self.log["episode"] == 0)
        self.cell = min(0.95, self.LEFT_W / (self.n + 1))
        self.cache: dict[tuple, Mobject] = {}

    def x_of(self, s: int) -> float:
        return self.LEFT_X + (s + 0.5) * self.cell

    # --- pieces -----------------------------------------------------------------------------------------------
    def bars(self, p: np.ndarray) -> VGroup:
        group, w = VGroup(), 0.36 * self.cell
        for s, right in enumerate(p):
            for a, prob, color in ((0, 1 - right, PALETTE.muted), (1, right, PALETTE.learned)):
                h = max(prob * self.BAR_H, 1e-3)
                group.add(Rectangle(width=w, height=h, stroke_width=0, fill_color=color, fill_opacity=0.9)
                          .move_to(self.bar_of(s, a) + (self.BAR_BASE + h / 2) * UP))
        return group

    def numbers(self, p: np.ndarray) -> VGroup:
        """π(→|s) under each pair (only where the cells are wide enough to hold a number)."""
        if self.cell < 0.6:
            return VGroup()
        return VGroup(*(mono(fixed(v, 2), SMALL_SIZE, PALETTE.learned).move_to([self.x_of(s), self.BAR_BASE - 0.6, 0])
                        for s, v in enumerate(p)))

    def bar_of(self, s: int, a: int) -> np.ndarray:
        """The x of the bar of action ``a`` in state ``s``."""
        return np.array([self.x_of(s) + (0.22 if a == RIGHT_ACTION else -0.22) * self.cell, 0, 0])

    def agent(self, s: int) -> Dot:
        return Dot([self.x_of(s), self.CORR_Y, 0], radius=0.13, color=PALETTE.highlight)

    def focus(self, s: int) -> VGroup:
        """Frames round the corridor cell and the bar pair of state ``s``."""
        top, bottom = self.BAR_BASE + self.BAR_H + 0.12, self.BAR_BASE - 0.8
        return VGroup(Rectangle(width=self.cell, height=0.6).move_to([self.x_of(s), self.CORR_Y, 0]),
                      Rectangle(width=self.cell, height=top - bottom).move_to([self.x_of(s), (top + bottom) / 2, 0])
                      ).set_stroke(PALETTE.highlight, 2.5)

    def strip(self, j: int | None) -> VGroup:
        """G_t of row ``j``'s episode as bars (warm > 0, cool < 0), row ``j`` lit; ``None``: episode 1, all lit."""
        log = self.log
        rows = np.flatnonzero(log["episode"] == (0 if j is None else log["episode"][j]))
        lo, hi = min(0.0, log["return"].min()), max(0.0, log["return"].max())
        scale, width = self.STRIP_H / (hi - lo), self.STRIP_W / len(rows)
        zero = self.STRIP_Y - lo * scale
        group = VGroup(Line([self.PANEL_X, zero, 0], [self.PANEL_X + self.STRIP_W, zero, 0], color=PALETTE.muted,
                            stroke_width=2))
        for k, row in enumerate(rows):
            g = float(log["return"][row])
            h = max(abs(g) * scale, 1e-3)
            group.add(Rectangle(width=0.8 * width, height=h, stroke_width=0,
                                fill_color=PALETTE.positive if g > 0 else PALETTE.negative,
                                fill_opacity=0.95 if j in (None, row) else 0.3)
                      .move_to([self.PANEL_X + (k + 0.5) * width, zero + np.sign(g) * h / 2, 0]))
        return group

    def cached(self, key: tuple, build: Callable[[], Mobject]) -> Mobject:
        """Replays redraw every frame but show few distinct states: build each once."""
        if key not in self.cache:
            self.cache[key] = build()
        return self.cache[key]

    # --- beats ------------------------------------------------------------------------------------------------
    def show_policy(self) -> None:
        t, n, y = self.t, self.n, self.CORR_Y
        cells = VGroup(*(Rectangle(width=self.cell * 0.94, height=0.5, stroke_color=PALETTE.muted, stroke_width=2)
                         .move_to([self.x_of(s), y, 0]) for s in range(n + 1)))
        cells[-1].set_fill(PALETTE.positive, 0.25)
        ids = VGroup(*(mono(str(s), SMALL_SIZE, PALETTE.muted).move_to(c.get_corner(UP + LEFT) + [0.14, -0.13, 0])
                       for s, c in enumerate(cells)))
        goal, step = float(t.params["goal_reward"]), float(t.params["step_reward"])
        note = cjk(f"每走一步 {signed(step)}，走进 {n} 号格 {signed(goal)} 并结束", SMALL_SIZE, PALETTE.muted)
        heading = cjk("柱高：在这一格向左 / 向右走的概率", SMALL_SIZE, PALETTE.muted)
        _rows_of([note, heading], (self.LEFT_X, y - 0.4), buff=0.12)
        marks = VGroup(*(mono(ARROWS[a], SMALL_SIZE, PALETTE.learned if a else PALETTE.muted)
                         .move_to(self.bar_of(s, a) + (self.BAR_BASE - 0.22) * UP) for s in range(n) for a in (0, 1)))
        self.bar_mob, self.num_mob = self.bars(self.pi[0]), self.numbers(self.pi[0])
        self.agent_mob = self.agent(0)
        self.rule = tex(r"\theta_s\leftarrow\theta_s+\alpha\,G_t\,(\mathbf e_{a_t}-\pi_s)", 34)
        self.rule.move_to([self.PANEL_X, y, 0], aligned_edge=LEFT)
        knobs = mono(f"α = {plain(t.params['lr'])}   γ = {plain(t.params['gamma'])}", SMALL_SIZE, PALETTE.muted)
        self.knobs = knobs.next_to(self.rule, DOWN, buff=0.2, aligned_edge=LEFT)
        self.play(FadeIn(cells), FadeIn(ids), FadeIn(note), FadeIn(self.agent_mob), run_time=1.0)
        self.play(FadeIn(heading), FadeIn(marks), GrowFromEdge(self.bar_mob, DOWN), FadeIn(self.num_mob), run_time=1.2)
        start = "向左向右各一半" if np.allclose(self.pi[0], 0.5) else f"向右的概率 {fixed(self.pi[0].min(), 2)} 起"
        self.caption(f"策略就是每格一对概率柱：\n一开始{start}")
        self.play(FadeIn(self.rule), FadeIn(self.knobs), run_time=0.8)
        self.hold(1.0)

    def counter_at(self, text: str) -> Mobject:
        return mono(text, COUNTER_SIZE).next_to(self.knobs, DOWN, buff=0.35, aligned_edge=LEFT)

    def walk_first_episode(self) -> None:
        rows = self.first
        states = list(self.log["state"][rows])
        reached = bool(np.isclose(self.log["reward"][rows[-1]], float(self.t.params["goal_reward"])))
        if reached:
            states.append(self.n)
        counter = lambda k: self.counter_at(f"第 1 局 · 第 {min(k + 1, len(rows))} 步")  # noqa: E731
        self.remove(self.agent_mob)
        self.agent_mob, self.counter_mob = scrub(self, [lambda k: self.agent(states[k]), counter], 0,
                                                 len(states) - 1, max(1.5, 0.3 * len(states)))
        self.strip_mob = self.strip(None)
        self.strip_name = cjk("本局每一步的回报 G（亮：正在更新的一步）", SMALL_SIZE, PALETTE.muted)
        self.strip_name.move_to([self.PANEL_X, self.STRIP_Y + self.STRIP_H + 0.3, 0], aligned_edge=LEFT)
        end = "走到终点" if reached else "没走到终点"
        self.caption(f"先照当前策略走完一局：{len(rows)} 步{end}，\n"
                     f"再从后往前算每一步的回报 G（γ = {plain(self.t.params['gamma'])}）")
        self.play(FadeIn(self.strip_name), GrowFromEdge(self.strip_mob, LEFT), run_time=1.0)
        self.hold(1.0)

    def readout(self, i: int) -> VGroup:
        log, s, a = self.log, int(self.log["state"][i]), int(self.log["action"][i])
        p = np.array([1 - log["before"][i], log["before"][i]])
        grad = np.eye(2)[a] - p
        step = log["delta"][i] * np.array([-1.0, 1.0])
        vec = lambda v, d: "[" + ", ".join(signed(x, d) for x in v) + "]"  # noqa: E731 - [←, →] like the bars
        lines = [
            mono(f"第 {log['episode'][i] + 1} 局 · 第 {log['t'][i] + 1} 步的更新", COUNTER_SIZE),
            mono(f"s = {s}   a = {ARROWS[a]}   G = {signed(log['return'][i], 3)}", COUNTER_SIZE),
            VGroup(tex(r"\mathbf e_a-\pi_s=", TEX_SIZE), mono(vec(grad, 3), COUNTER_SIZE)).arrange(RIGHT, buff=0.15),
            VGroup(tex(r"\alpha\,G\,(\mathbf e_a-\pi_s)=", TEX_SIZE),
                   mono(vec(step, 4), COUNTER_SIZE, PALETTE.backward)).arrange(RIGHT, buff=0.15),
            mono(f"π(→|{s})：{fixed(log['before'][i], 3)} → {fixed(log['after'][i][s], 3)}", COUNTER_SIZE,
                 PALETTE.learned),
        ]
        return _rows_of(lines, (self.PANEL_X, self.knobs.get_bottom()[1] - 0.35), buff=0.13)

    def push(self, i: int) -> VGroup:
        """An arrow on the chosen action's bar: up for a positive return (warm), down for a negative one (cool)."""
        s, a, g = int(self.log["state"][i]), int(self.log["action"][i]), float(self.log["return"][i])
        p = self.log["after"][i][s] if a == RIGHT_ACTION else 1 - self.log["after"][i][s]
        top = self.bar_of(s, a) + (self.BAR_BASE + p * self.BAR_H + 0.1) * UP
        way, color = (UP, PALETTE.positive) if g > 0 else (DOWN, PALETTE.negative)
        start = top if g > 0 else top + 0.5 * UP
        return VGroup(arrow_between(start, start + 0.5 * way, color, tip=0.16, stroke_width=5))

    def first_updates(self) -> None:
        readout, frame, arrow = None, None, None
        for k, i in enumerate(self.first[: self.SLOW]):
            new, box = self.readout(i), self.focus(int(self.log["state"][i]))
            out = [FadeOut(m) for m in (readout, frame, arrow) if m is not None]
            if k == 0:
                out += [FadeOut(self.counter_mob), FadeOut(self.agent_mob)]
            self.play(*out, FadeIn(new), Create(box), Transform(self.strip_mob, self.strip(i)), run_time=0.8)
            bars, nums = self.bars(self.log["after"][i]), self.numbers(self.log["after"][i])
            arrow = self.push(i)
            self.play(Transform(self.bar_mob, bars), Transform(self.num_mob, nums), GrowFromEdge(arrow, DOWN),
                      run_time=1.0)
            if k == 0:
                up = self.log["return"][i] > 0
                self.caption(f"回报为{'正' if up else '负'}：选中的动作被{'推高' if up else '压低'}，\n"
                             f"另一个被{'压低' if up else '抬高'}")
            self.hold(1.0)
            readout, frame = new, box
        self.play(FadeOut(readout), FadeOut(frame), FadeOut(arrow), run_time=0.5)

    def replay_rows(self, start: int, stop: int, seconds: float) -> None:
        """Updates ``start`` … ``stop`` − 1 of the log as a quick replay: bars, the visited cell, G_t, the counter."""
        log = self.log
        builders = [
            lambda j: self.cached(("bars", j), lambda: self.bars(log["after"][j])),
            lambda j: self.cached(("nums", j), lambda: self.numbers(log["after"][j])),
            lambda j: self.cached(("agent", j), lambda: self.agent(int(log["state"][j]))),
            lambda j: self.cached(("strip", j), lambda: self.strip(j)),
            lambda j: self.cached(("count", j), lambda: self.counter_at(
                f"第 {log['episode'][j] + 1} 局 · 第 {log['t'][j] + 1} 步的更新")),
        ]
        self.remove(self.bar_mob, self.num_mob, self.strip_mob)
        self.bar_mob, self.num_mob, self.agent_mob, self.strip_mob, self.counter_mob = scrub(
            self, builders, start, stop - 1, seconds)

    def more_updates(self) -> None:
        rest = self.first[self.SLOW:]
        if len(rest):
            self.caption(f"第 1 局其余 {len(rest)} 步照样更新：\n回报 G 决定推的方向和力度")
            self.replay_rows(int(rest[0]), int(rest[-1]) + 1, max(1.5, 0.45 * len(rest)))
            self.hold(0.6)
        later = np.flatnonzero(self.log["episode"] > 0)
        if len(later):
            badge = speed_badge(f"第 2–{self.detail} 局共 {len(later)} 次更新，加速重放")
            badge.next_to(self.title_mob, RIGHT, buff=0.8)
            negative = bool((self.log["return"][later] < 0).any())
            self.caption("回报为负的步，选中的动作被压低；\n一局绕得越远，开头几步的 G 越低" if negative
                         else f"第 2–{self.detail} 局的回报都为正：\n走过的动作都被推高，推力与 G 成正比")
            self.play(FadeIn(badge), run_time=0.5)
            self.remove(self.agent_mob, self.counter_mob)
            self.replay_rows(int(later[0]), int(later[-1]) + 1, 4.0)
            self.play(FadeOut(badge), run_time=0.5)
        self.play(*(FadeOut(m) for m in (self.agent_mob, self.counter_mob, self.rule, self.knobs, self.strip_mob,
                                         self.strip_name)), run_time=0.6)

    def all_episodes(self) -> None:
        t, w = self.t, int(self.t.params["avg_window"])
        self.avg = _trailing_mean(np.asarray(t["plain_returns"], dtype=float), w)
        best = float(t.metrics["best_return"])
        lo = np.floor(min(self.avg.min(), 0.0) * 5) / 5
        hi = np.ceil((max(self.avg.max(), best) + 0.1) * 5) / 5
        axes = panel_axes([0, self.episodes, nice_step(self.episodes, 5)], [lo, hi, nice_step(hi - lo, 4)],
                          5.0, 1.9, y_label=f"近 {w} 局平均回报 · 横轴：局数")
        self.chart = _placed(axes, (self.PANEL_X + 0.65, 0.6))
        ceiling = DashedLine(self.chart.c2p(0, best), self.chart.c2p(self.episodes, best), color=PALETTE.muted,
                             stroke_width=2)
        ceil_name = cjk(f"最优 {signed(best)}", SMALL_SIZE, PALETTE.muted).next_to(ceiling.get_end(), UP, buff=0.06)
        ceil_name.align_to(ceiling, RIGHT)
        self.play(Create(self.chart), Create(ceiling), FadeIn(ceil_name), FadeOut(self.num_mob), run_time=1.0)
        self.caption(f"再把全部 {self.episodes} 局快进：\n柱子跟着每局的回报一点点变形")
        counter = lambda k: mono(f"第 {k:4d} 局", COUNTER_SIZE).to_corner(UP + RIGHT, buff=SAFE)  # noqa: E731
        badge = speed_badge(f"{self.episodes} 局用 {plain(self.SCRUB_SECONDS)} 秒").next_to(self.title_mob, RIGHT,
                                                                                          buff=0.8)
        self.play(FadeIn(badge), run_time=0.5)
        self.remove(self.bar_mob)
        self.bar_mob, self.curve, _ = scrub(self, [lambda k: self.bars(self.pi[k]), self.curve_until, counter],
                                            self.detail, self.episodes, self.SCRUB_SECONDS)
        self.num_mob = self.numbers(self.pi[-1])
        self.play(FadeOut(badge), FadeIn(self.num_mob), run_time=0.6)
        low = float(self.pi[-1].min())
        if low > 0.5:
            self.caption(f"{self.episodes} 局后每一格都偏向 →：\n向右的概率最低也有 {fixed(low, 2)}")
        else:
            self.caption(f"{self.episodes} 局后的贪婪策略：\n{t.metrics['plain_policy']}")
        self.hold(1.5)

    def curve_until(self, k: int) -> VMobject:
        w = int(self.t.params["avg_window"])
        shown = self.avg[: max(k - w + 1, 0)]
        if len(shown) < 2:
            return VMobject()
        return self.chart.plot_line_graph(np.arange(w, w + len(shown)), shown, add_vertex_dots=False,
                                          line_color=PALETTE.learned, stroke_width=3)["line_graph"]

    def compare_book(self) -> None:
        m, w = self.t.metrics, int(self.t.params["avg_window"])
        book = w == BOOK_WINDOW
        table = [[cjk("回报平均", SMALL_SIZE, PALETTE.muted), cjk("书中", SMALL_SIZE, PALETTE.muted),
                  cjk("本次运行", SMALL_SIZE, PALETTE.muted)]]
        for run, name in (("plain", "无基线"), ("baseline", "有基线")):
            for part, when in (("first", f"前{w}局"), ("last", f"末{w}局")):
                key = f"{run}_{part}_avg"
                table.append([cjk(f"{name} {when}", SMALL_SIZE),
                              mono(signed(BOOK_AVERAGES[key], 3) if book else "—", SMALL_SIZE, PALETTE.muted),
                              mono(signed(m[key], 3), SMALL_SIZE)])
        table.append([cjk("贪婪策略", SMALL_SIZE), mono(BOOK_POLICY, SMALL_SIZE, PALETTE.muted),
                      mono(m["plain_policy"], SMALL_SIZE)])
        grid = VGroup(*(VGroup(*row) for row in table))
        for r, row in enumerate(grid):
            for cell, x in zip(row, (0.0, 2.15, 4.0)):
                cell.move_to([self.PANEL_X + x, -0.35 - 0.34 * r, 0], aligned_edge=LEFT)
        dots = VGroup(Dot(self.chart.c2p(w, self.avg[0]), radius=0.06, color=PALETTE.text),
                      Dot(self.chart.c2p(self.episodes, self.avg[-1]), radius=0.06, color=PALETTE.text))
        self.play(FadeIn(grid), FadeIn(dots), run_time=1.0)
        if book:
            gap = max(abs(float(signed(m[k], 3)) - v) for k, v in BOOK_AVERAGES.items())
            self.caption(f"四个平均回报与书中打印的\n最多差 {fixed(gap, 3)}")
        else:
            self.caption(f"书中按 {BOOK_WINDOW} 局平均，\n本次按 {w} 局，不直接比较")
        self.hold(2.5)


# =============================================================================================================
class BaselineVariance(BookScene):
    """Returns G vs advantages A = G − b(s), then the two gradient estimates: same mean, smaller spread."""

    TRACES = ("reinforce.default",)
    TITLE = "第14章 · 减去基线：均值不变，方差变小"
    BINS = 40
    HEAD_Y = 2.05  # the panels' headings

    def construct(self) -> None:
        self.load()
        self.show_formula()
        self.raw_returns()
        self.subtract_baseline()
        self.estimates()
        self.variances()
        self.conclude()

    def load(self) -> None:
        t = self.t = self.trace(PG)
        self.g, self.a = np.asarray(t["var_step_return"], float), np.asarray(t["var_step_adv"], float)
        self.raw, self.adv = np.asarray(t["proj_raw"], float), np.asarray(t["proj_adv"], float)
        self.exact = float(np.linalg.norm(t["grad_exact"]))  # the true gradient projected on its own direction

    def show_formula(self) -> None:
        formula = tex(r"\nabla_\theta J=\mathbb E\big[\nabla_\theta\log\pi_\theta(a\mid s)\,(G-b(s))\big]", 36)
        self.formula = formula.move_to([0, 2.8, 0])
        self.play(FadeIn(formula), run_time=1.0)
        p = self.t.params
        self.caption(f"把第 {p['frozen_episode']} 局后的策略冻住，\n再抽 {len(self.raw)} 局来量梯度")
        self.hold(1.0)

    def raw_returns(self) -> None:
        lo = np.floor(min(self.g.min(), self.a.min()) * 4) / 4
        hi = np.ceil(max(self.g.max(), self.a.max()) * 4) / 4
        self.edges = np.linspace(lo, hi, self.BINS + 1)
        counts = [np.histogram(v, self.edges)[0] for v in (self.g, self.a)]
        # the tallest bar reaches 60% of the panel: the top holds the notes
        self.left = _hist_axes([lo, hi, 0.5], 1.7 * max(c.max() for c in counts), 5.6, 3.55, (-6.3, -1.95))
        heading = cjk(f"每一步的权重（{len(self.g)} 步）", LABEL_SIZE, PALETTE.muted)
        heading.move_to([-6.3, self.HEAD_Y, 0], aligned_edge=LEFT)
        self.hist = _bars_on(self.left, self.edges, counts[0], _sign_colors(self.edges))
        self.a_hist = _bars_on(self.left, self.edges, counts[1], _sign_colors(self.edges))
        share = float((self.g > 0).mean())
        self.g_note = mono(f"G：均值 {signed(self.g.mean())}，{share:.1%} 为正", LABEL_SIZE, PALETTE.positive)
        self.g_note.move_to([-6.1, 1.45, 0], aligned_edge=LEFT)
        self.play(Create(self.left), FadeIn(heading), run_time=0.8)
        self.play(GrowFromEdge(self.hist, DOWN), FadeIn(self.g_note), run_time=1.5)
        self.caption(f"原始回报 G 几乎全是正的（{share:.1%}）：\n哪个动作都会被往上推")
        self.hold(1.5)

    def subtract_baseline(self) -> None:
        v = self.t["frozen_v"]
        base = mono("b(s) = V(s)：" + " ".join(fixed(x, 2) for x in v), SMALL_SIZE, PALETTE.muted)
        base.next_to(self.g_note, DOWN, buff=0.15, aligned_edge=LEFT)
        share = float((self.a > 0).mean())
        a_note = mono(f"A：均值 {signed(self.a.mean())}，{share:.0%} 为正", LABEL_SIZE, PALETTE.negative)
        a_note.next_to(base, DOWN, buff=0.15, aligned_edge=LEFT)
        self.play(FadeIn(base), run_time=0.8)
        self.caption("每步减去所在格的基线 b(s) = V(s)：\n优势 A = G − b(s) 围着 0，有正有负")
        self.play(Transform(self.hist, self.a_hist), run_time=2.0)
        self.play(FadeIn(a_note), run_time=0.6)
        self.hold(1.2)

    def estimates(self) -> None:
        lo = np.floor(min(self.raw.min(), self.adv.min()) * 4) / 4
        hi = np.ceil(max(self.raw.max(), self.adv.max()) * 4) / 4
        edges = np.linspace(lo, hi, 2 * self.BINS + 1)
        heading = VGroup(cjk("每局的梯度估计，投影到真梯度方向", LABEL_SIZE, PALETTE.muted),
                         cjk("（两图的柱高各按自己最高的一根缩放）", SMALL_SIZE, PALETTE.muted))
        heading.arrange(DOWN, aligned_edge=LEFT, buff=0.08)
        heading.move_to([1.0, self.HEAD_Y + 0.13, 0], aligned_edge=UP + LEFT)
        self.stats, hists, self.spreads, axes = VGroup(), VGroup(), VGroup(), []
        panels = ((0.3, self.raw, PALETTE.backward, "权重用 G"), (-1.95, self.adv, PALETTE.learned, "权重用 A"))
        for y, v, color, name in panels:
            counts = np.histogram(v, edges)[0]
            ax = _hist_axes([lo, hi, 0.5], 1.3 * counts.max(), 5.5, 1.1, (1.0, y))
            axes.append(ax)
            hists.add(_bars_on(ax, edges, counts, [color] * len(counts)))
            self.stats.add(VGroup(cjk(name, LABEL_SIZE, color), mono(f"均值 {sig(v.mean(), 3)}", SMALL_SIZE, color),
                                  mono(f"方差 {sig(v.var(ddof=1), 3)}", SMALL_SIZE, color))
                           .arrange(DOWN, aligned_edge=RIGHT, buff=0.08)
                           .move_to(ax.c2p(hi, 1.3 * counts.max()), aligned_edge=UP + RIGHT))
            mean, sd, h = v.mean(), v.std(ddof=1), 1.15 * counts.max()  # ±1 SD bracket above the bars
            ends = [ax.c2p(mean - sd, h), ax.c2p(mean + sd, h)]
            self.spreads.add(VGroup(Line(*ends, color=color, stroke_width=4),
                                    *(Line(e + 0.08 * UP, e + 0.08 * DOWN, color=color, stroke_width=4) for e in ends)))
        truth = DashedLine(axes[1].c2p(self.exact, 0), axes[0].c2p(self.exact, axes[0].y_range[1]),
                           color=PALETTE.highlight, stroke_width=3)
        truth_name = mono(f"真梯度 {sig(self.exact, 3)}", SMALL_SIZE, PALETTE.highlight)
        truth_name.next_to(np.array([axes[0].c2p(self.exact, 0)[0], -0.42, 0]), RIGHT, buff=0.1)  # in the gap
        self.play(FadeIn(axes[0]), FadeIn(axes[1]), FadeIn(heading), run_time=0.8)
        self.play(GrowFromEdge(hists[0], DOWN), FadeIn(self.stats[0][:2]), run_time=1.2)
        self.play(GrowFromEdge(hists[1], DOWN), FadeIn(self.stats[1][:2]), run_time=1.2)
        self.play(Create(truth), FadeIn(truth_name), run_time=0.8)
        self.caption(f"两种估计的平均都落在真梯度 {sig(self.exact, 3)} 上：\n"
                     f"{sig(self.raw.mean(), 3)} 与 {sig(self.adv.mean(), 3)}")
        self.hold(1.5)

    def variances(self) -> None:
        self.play(FadeIn(self.stats[0][2]), FadeIn(self.stats[1][2]), Create(self.spreads), run_time=1.0)
        ratio = self.raw.var(ddof=1) / self.adv.var(ddof=1)
        self.caption(f"逐局看，用 A 的估计散得少多了：\n投影方差小 {sig(ratio, 3)} 倍（横杠 ±1 标准差）")
        self.hold(1.5)
        m = self.t.metrics
        dims = 2 * self.t["grad_raw"].shape[1]
        self.caption(f"按整个 {dims} 维梯度算：方差从 {sig(m['grad_var_raw'], 3)}\n"
                     f"降到 {sig(m['grad_var_adv'], 3)}，是 {sig(m['variance_ratio'], 3)} 倍")
        self.hold(2.0)

    def conclude(self) -> None:
        self.caption("基线由一个学出来的 V(s) 来当：\n这就是 actor-critic 的核心")
        self.play(Flash(self.formula.get_right() + 0.1 * LEFT, color=PALETTE.learned, flash_radius=0.4), run_time=0.8)
        self.hold(2.5)


# =============================================================================================================
class CartPolePPO(BookScene):
    """The untrained actor falls, PPO trains (return curve, π/π_old histograms), the trained actor balances."""

    TRACES = ("ppo.default",)
    TITLE = "第14章 · PPO 学会立杆"
    SCALE, TRACK = 1.3, (-3.45, 0.2)  # units per metre, the track's x = 0
    TRAIN_SECONDS = 8.0
    PANEL_X = 1.0  # left edge of the charts

    def construct(self) -> None:
        self.load()
        self.show_rig()
        self.replay("untrained")
        self.train()
        self.replay("trained")
        self.conclude()

    def load(self) -> None:
        t = self.t = self.trace(PPO)
        self.geo = np.asarray(t["cartpole_geometry"], dtype=float)
        self.tau, self.lim_deg = float(self.geo[3]), float(np.degrees(self.geo[1]))
        self.obs = {k: np.asarray(t[f"{k}_obs"], dtype=float) for k in ("untrained", "trained")}
        self.eps = float(t.params["clip_coef"])

    def steps(self, which: str) -> int:
        return len(self.obs[which]) - 1

    def fell(self, which: str) -> bool:
        x, theta = self.obs[which][-1, 0], self.obs[which][-1, 2]
        return abs(x) > self.geo[0] or abs(theta) > self.geo[1]

    # --- the rig and the angle strip -------------------------------------------------------------------------
    def show_rig(self) -> None:
        self.rig = pose(cartpole(self.geo, self.SCALE, self.TRACK), *self.obs["untrained"][0, [0, 2]])
        x_lim, deg = plain(round(self.geo[0], 2)), plain(round(self.lim_deg, 1))
        names = VGroup(mono(f"−{x_lim} m", SMALL_SIZE, PALETTE.error).next_to(self.rig[1][0], DOWN, buff=0.1),
                       mono(f"+{x_lim} m", SMALL_SIZE, PALETTE.error).next_to(self.rig[1][1], DOWN, buff=0.1))
        names[0].align_to(self.rig[1][0], LEFT)
        names[1].align_to(self.rig[1][1], RIGHT)
        last = max(self.steps("untrained"), self.steps("trained")) * self.tau
        axes = Axes(x_range=[0, last, nice_step(last, 5)], y_range=[0, 2 * self.lim_deg, self.lim_deg], x_length=6.0,
                    y_length=1.25, tips=False, axis_config={"color": PALETTE.muted},
                    x_axis_config={"include_numbers": True, "font_size": SMALL_SIZE})
        self.strip = _placed(axes, (-6.2, -2.05))
        ticks = VGroup(*(mono(text, SMALL_SIZE, PALETTE.muted).next_to(self.strip.c2p(0, y), LEFT, buff=0.1)
                         for text, y in ((f"−{deg}°", 0), ("0°", self.lim_deg), (f"+{deg}°", 2 * self.lim_deg))))
        guides = VGroup(*(DashedLine(self.strip.c2p(0, y), self.strip.c2p(last, y), color=PALETTE.error,
                                     stroke_width=1.5) for y in (0, 2 * self.lim_deg)))
        strip_name = cjk("杆的角度 θ（虚线：倒下的界限）· 横轴：秒", SMALL_SIZE, PALETTE.muted)
        strip_name.next_to(self.strip, UP, buff=0.12).align_to(self.strip, LEFT)
        self.play(FadeIn(self.rig), FadeIn(names), run_time=1.0)
        legend = legend_row([(PALETTE.error, "训练前"), (PALETTE.learned, "训练后")], SMALL_SIZE)
        legend.move_to(self.strip.c2p(last, 0) + 0.25 * UP, aligned_edge=DOWN + RIGHT)
        self.play(Create(self.strip), FadeIn(ticks), FadeIn(guides), FadeIn(strip_name), FadeIn(legend), run_time=1.0)
        self.caption(f"推小车让杆立住：杆偏过 {deg}°\n或小车出了 ±{x_lim} m 就算倒")
        self.hold(1.0)

    def state_text(self, which: str, k: int) -> VGroup:
        x, theta = self.obs[which][k, 0], np.degrees(self.obs[which][k, 2])
        lines = [mono(f"第 {k:3d}/{self.steps(which)} 步 · {fixed(k * self.tau, 2)} s", COUNTER_SIZE),
                 mono(f"x = {signed(x, 3)} m   θ = {signed(theta, 1)}°", COUNTER_SIZE)]
        return _rows_of(lines, (-6.3, 2.85), buff=0.12)

    def angle_line(self, which: str, k: float) -> VMobject:
        n = int(k) + 1
        if n < 2:
            return VMobject()
        theta = np.degrees(self.obs[which][:n, 2]) + self.lim_deg
        color = PALETTE.error if which == "untrained" else PALETTE.learned
        return polyline(self.strip, np.arange(n) * self.tau, theta, color, stroke_width=3)

    def replay(self, which: str) -> None:
        obs, steps = self.obs[which], self.steps(which)
        real = steps * self.tau
        seconds = float(np.clip(real * (10 if which == "untrained" else 0.5), 1.5, 6.0))
        how = "慢放" if seconds > real else "加速放"
        badge = speed_badge(f"实况 {plain(round(real, 2))} 秒 → {how} {plain(round(seconds, 1))} 秒")
        badge.next_to(self.title_mob, RIGHT, buff=0.8)
        if which == "untrained":
            self.caption("训练前的策略（每步选概率大的动作）：")
        else:
            same = "同一个起始状态，" if np.allclose(obs[0], self.obs["untrained"][0]) else ""
            self.caption(f"训练后，{same}再来一局：")
        k = ValueTracker(0)

        def at() -> tuple[float, float]:  # between two recorded states the drawing glides (slow motion)
            j = min(k.get_value(), steps)
            i = min(int(j), steps - 1)
            return tuple((i + 1 - j) * obs[i, [0, 2]] + (j - i) * obs[i + 1, [0, 2]])

        def step() -> int:  # the text and the angle line change once a step, not every frame
            return int(k.get_value())

        # the rig on top (it overlaps nothing), so the frames of the replay redraw only what moves
        self.bring_to_front(self.rig)
        self.rig.add_updater(lambda m: pose(m, *at()))
        text = redraw_on_change(step, lambda i: self.state_text(which, i))
        line = redraw_on_change(step, lambda i: self.angle_line(which, i))
        self.add(text, line)
        self.play(FadeIn(badge), run_time=0.5)
        self.play(k.animate.set_value(steps), run_time=seconds, rate_func=linear)
        self.rig.clear_updaters()
        pose(self.rig, *obs[-1, [0, 2]])
        self.remove(text, line)
        self.state_mob = self.state_text(which, steps)  # fresh text of the last step, for the screen log
        self.add(self.state_mob, self.angle_line(which, steps))
        self.play(FadeOut(badge), run_time=0.5)
        if self.fell(which):
            self.play(Flash(self.rig[4].get_end(), color=PALETTE.error, flash_radius=0.3), run_time=0.6)
            self.caption(f"只撑了 {steps} 步（{plain(round(real, 2))} 秒）就倒了")
        else:
            self.caption(f"稳稳撑满 {steps} 步（{plain(round(real, 2))} 秒），\n"
                         f"杆最多偏 {fixed(np.degrees(np.abs(obs[:, 2]).max()), 1)}°")
        self.hold(1.5)
        if which == "untrained":
            self.play(FadeOut(self.state_mob), run_time=0.5)

    # --- training: the return curve and the ratio histograms -----------------------------------------------
    def train(self) -> None:
        t = self.t
        self.env, self.ret = np.asarray(t["iter_env_step"], float), np.asarray(t["iter_mean_return"], float)
        self.hist, self.edges = np.asarray(t["ratio_hist"], float), np.asarray(t["ratio_edges"], float)
        self.iters = len(self.env)
        y_top = max(np.nanmax(self.ret), float(t.metrics["eval_mean_return"]))
        x_step = nice_step(self.env[-1], 4)
        axes = panel_axes([0, x_step * np.ceil(self.env[-1] / x_step), x_step], [0, y_top, nice_step(y_top, 4)],
                          5.3, 1.75, y_label="每轮平均回报 · 横轴：环境步")
        self.curve_axes = _placed(axes, (self.PANEL_X, 0.65))
        self.ratio_axes = _hist_axes([self.edges[0], self.edges[-1], 0.5], self.hist.max(), 5.3, 1.55,
                                   (self.PANEL_X, -2.0))
        lo, hi = self.ratio_axes.c2p(1 - self.eps, 0), self.ratio_axes.c2p(1 + self.eps, self.hist.max())
        band = Rectangle(width=hi[0] - lo[0], height=hi[1] - lo[1], stroke_color=PALETTE.highlight, stroke_width=1.5,
                         fill_color=PALETTE.highlight, fill_opacity=0.1).move_to((lo + hi) / 2)
        band_name = VGroup(cjk("裁剪区间", SMALL_SIZE, PALETTE.highlight),
                           mono(f"1 ± {plain(self.eps)}", SMALL_SIZE, PALETTE.highlight)).arrange(RIGHT, buff=0.1)
        hist_name = VGroup(cjk("每轮更新后", SMALL_SIZE, PALETTE.muted), tex(r"\pi/\pi_{\mathrm{old}}", TEX_SIZE),
                           cjk("的分布", SMALL_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.1)
        hist_name.next_to(self.ratio_axes, UP, buff=0.12).align_to(self.ratio_axes, LEFT)
        band_name.next_to(hist_name, RIGHT, buff=0.25)
        self.play(Create(self.curve_axes), run_time=0.8)
        self.play(Create(self.ratio_axes), FadeIn(band), FadeIn(band_name), FadeIn(hist_name), run_time=0.8)
        batch = int(t.params["num_envs"]) * int(t.params["num_steps"])
        self.caption(f"PPO 每轮收 {batch} 步经验再更新，\n新旧策略之比 π/π_old 被夹在 1 ± {plain(self.eps)} 里")
        badge = speed_badge(f"{self.iters} 轮用 {plain(self.TRAIN_SECONDS)} 秒")
        badge.next_to(self.title_mob, RIGHT, buff=0.8)
        self.play(FadeIn(badge), run_time=0.5)
        scrub(self, [self.curve_until, self.ratio_bars, self.iter_text], 1, self.iters, self.TRAIN_SECONDS)
        self.play(FadeOut(badge), run_time=0.5)
        clip = float(np.mean(t["iter_clip_frac"]))
        self.caption(f"更新时平均 {clip:.1%} 的样本被裁剪；\n训练中按概率抽动作，回报起伏")
        self.hold(1.5)
        if t.metrics["stopped_early"]:
            self.caption(f"{int(self.env[-1])} 个环境步后，\n贪婪策略通过检查，提前停止")
            self.hold(1.2)

    def curve_until(self, k: int) -> VGroup:
        keep = np.flatnonzero(~np.isnan(self.ret[:k]))  # an iteration in which no episode ended has no mean
        group = VGroup(*(Dot(self.curve_axes.c2p(self.env[i], self.ret[i]), radius=0.04, color=PALETTE.learned)
                         for i in keep))
        if len(keep) > 1:
            group.add(polyline(self.curve_axes, self.env[keep], self.ret[keep], PALETTE.learned, stroke_width=3))
        return group

    def ratio_bars(self, k: int) -> VGroup:
        centre = (self.edges[:-1] + self.edges[1:]) / 2
        colors = [PALETTE.forward if abs(c - 1) < self.eps else PALETTE.backward for c in centre]
        return _bars_on(self.ratio_axes, self.edges, self.hist[k - 1], colors)

    def iter_text(self, k: int) -> Mobject:
        clip = float(self.t["iter_clip_frac"][k - 1])
        return mono(f"第 {k:2d}/{self.iters} 轮 · 裁剪 {clip:5.1%}", COUNTER_SIZE).to_corner(UP + RIGHT, buff=SAFE)

    def conclude(self) -> None:
        m = self.t.metrics
        self.caption(f"评估 {len(self.t['eval_returns'])} 局（贪婪策略）：\n"
                     f"平均回报 {plain(round(m['eval_mean_return'], 1))}，最差 {plain(m['eval_min_return'])}")
        self.hold(2.5)
