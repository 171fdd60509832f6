"""Chapter 16 — 强化学习回流: writing an answer is an MDP trajectory; the two main lines of the book meet.

``TokenAsTrajectory`` reads ``grpo.default``: a GRU language model, given a supervised start, is trained by
GRPO with a verifiable reward on two-digit addition. The scene walks one sampled answer to the showcase prompt
token by token (the policy's recorded next-token distributions), lets the verifier score it, shows the whole
sampled group with its rewards and group-relative advantages, the per-token probabilities before and after
that step's update, one DPO step's implicit-reward margin, and the held-out accuracy of the whole run.
``TwoLines`` reads ``timeline.default``: the book's milestones of line A (maximum likelihood) and line B
(maximise return) on one time axis, converging on the merge RLHF / DPO / RLVR.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import (
    DEGREES,
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    Brace,
    Create,
    CubicBezier,
    DashedLine,
    Dot,
    FadeIn,
    FadeOut,
    GrowFromEdge,
    LaggedStart,
    Line,
    Mobject,
    Rectangle,
    RoundedRectangle,
    Square,
    Transform,
    VGroup,
)

from pipeline.checks.ch16 import BOOK_R1_ZERO
from scenes.kit.base import SAFE, BookScene
from scenes.kit.charts import nice_step, panel_axes
from scenes.kit.legends import legend_row
from scenes.kit.numbers import fixed, plain, signed
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, mono, tex

__all__ = ["TokenAsTrajectory", "TwoLines", "token_text", "pct", "answer_string", "sequence_prob", "year_x",
           "year_slots", "milestone_label"]

EOS_TEXT = "<eos>"  # sims/grpo.py VOCAB's end token
MAX_ROWS = 8  # group rows shown (the rest are counted)


def token_text(token: str) -> str:
    """How a token is written on screen: the end token as 结束."""
    return "结束" if token == EOS_TEXT else token


def pct(x: float) -> str:
    """``0.788`` → ``78.8%``."""
    return f"{fixed(100 * float(x), 1)}%"


def answer_string(tokens: Sequence[int], mask: Sequence[float], vocab: Sequence[str]) -> str:
    """The answer's digits as one string (the end token dropped)."""
    return "".join(str(vocab[k]) for k, m in zip(tokens, mask) if m > 0 and vocab[k] != EOS_TEXT)


def sequence_prob(p: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """π(y | x) = Π_t π(y_t | s_t) over each answer's own tokens (rows)."""
    return np.where(mask > 0, p, 1.0).prod(axis=-1)


def token_box(text: str, side: float, color: str) -> VGroup:
    """A token in a square, digits monospaced, the end token in Chinese."""
    label = cjk(text, SMALL_SIZE) if text == "结束" else mono(text, COUNTER_SIZE)
    box = Square(side, color=color, stroke_width=2.5)
    return VGroup(box, label.move_to(box))


# =============================================================================================================
class TokenAsTrajectory(BookScene):
    """One answer as a trajectory of token actions, scored by a verifier, then the group update and the RL run."""

    TRACES = ("grpo.default",)
    TITLE = "第16章 · 写一个答案就是走一条轨迹"
    ROW_Y = 2.05  # the token row
    BOX = 0.62
    CHART_X0, CHART_BASE, CHART_H, BAR_STEP = -6.1, -2.0, 2.4, 0.5
    PANEL_X = 1.2  # left edge of the right-hand panel

    def construct(self) -> None:
        self.load()
        self.show_state()
        self.roll_out()
        self.verify()
        self.show_group()
        self.update_group()
        self.clear_group()
        self.accuracy_curve()

    def load(self) -> None:
        t = self.t = self.trace("grpo.default")
        self.vocab = [str(v) for v in t["vocab"]]
        self.tokens, self.mask = t["show_tokens"].astype(int), t["show_mask"].astype(float)
        self.reward, self.adv = t["show_reward"].astype(float), t["show_adv"].astype(float)
        self.before, self.after = t["show_p_before"].astype(float), t["show_p_after"].astype(float)
        self.dist = t["show_dist_before"].astype(float)
        self.prompt = "".join(self.vocab[k] for k in t["show_prompt"])
        self.right = answer_string(t["show_right"], t["show_right"] != self.vocab.index(EOS_TEXT), self.vocab)
        right = np.flatnonzero(self.reward > 0)
        self.k = int(right[0]) if len(right) else 0  # walk a right answer if the group has one
        self.steps = int(self.mask[self.k].sum())

    # --- beat 1: the state and the policy -------------------------------------------------------------------
    def slot(self, i: int) -> np.ndarray:
        return np.array([-6.3 + self.BOX / 2 + i * (self.BOX + 0.1), self.ROW_Y, 0])

    def bar_x(self, v: int) -> float:
        return self.CHART_X0 + (v + 0.5) * self.BAR_STEP

    def bars(self, probs: np.ndarray, chosen: int | None) -> VGroup:
        group = VGroup()
        for v, q in enumerate(probs):
            h = max(float(q) * self.CHART_H, 1e-3)
            color = PALETTE.learned if v == chosen else PALETTE.forward
            group.add(Rectangle(width=0.36, height=h, stroke_width=0, fill_color=color, fill_opacity=0.9)
                      .move_to([self.bar_x(v), self.CHART_BASE + h / 2, 0]))
        return group

    def show_state(self) -> None:
        chars = list(self.prompt)
        self.prompt_boxes = VGroup(*(token_box(c, self.BOX, PALETTE.muted).move_to(self.slot(i))
                                     for i, c in enumerate(chars)))
        self.state_frame = self.frame_round(len(chars))
        self.state_label = cjk("状态 s₀ = 提示", LABEL_SIZE, PALETTE.highlight)
        self.state_label.next_to(self.state_frame, UP, buff=0.1, aligned_edge=LEFT)
        axis = Line([self.CHART_X0, self.CHART_BASE, 0], [self.CHART_X0 + 13 * self.BAR_STEP, self.CHART_BASE, 0],
                    color=PALETTE.muted, stroke_width=2)
        ticks = VGroup(*(token_box_label(token_text(v)).move_to([self.bar_x(i), self.CHART_BASE - 0.25, 0])
                         for i, v in enumerate(self.vocab)))
        self.heading = cjk("策略 π(· | s)：语言模型给下一个 token 的概率", LABEL_SIZE, PALETTE.muted)
        self.heading.move_to([self.CHART_X0, self.CHART_BASE + self.CHART_H + 0.35, 0], aligned_edge=LEFT)
        self.bar_mob = self.bars(self.dist[self.k, 0], None)
        mdp = VGroup(tex(r"s_t=(\text{prompt},\,y_{<t})", TEX_SIZE),
                     tex(r"a_t=y_t\sim\pi_\theta(\cdot\mid s_t)", TEX_SIZE))
        self.mdp = mdp.arrange(DOWN, aligned_edge=LEFT, buff=0.2).move_to([self.PANEL_X, 0.95, 0], aligned_edge=LEFT)
        self.play(FadeIn(self.prompt_boxes), Create(self.state_frame), FadeIn(self.state_label), run_time=1.0)
        self.caption(f"提示 {self.prompt} 就是初始状态")
        self.play(FadeIn(self.heading), Create(axis), FadeIn(ticks), GrowFromEdge(self.bar_mob, DOWN),
                  FadeIn(self.mdp), run_time=1.2)
        self.chart = VGroup(axis, ticks, self.heading)
        self.hold(1.0)

    def frame_round(self, n: int) -> Rectangle:
        left, right = self.slot(0)[0] - self.BOX / 2 - 0.07, self.slot(n - 1)[0] + self.BOX / 2 + 0.07
        return Rectangle(width=right - left, height=self.BOX + 0.16, color=PALETTE.highlight,
                         stroke_width=2).move_to([(left + right) / 2, self.ROW_Y, 0])

    # --- beat 2: each token an action ---------------------------------------------------------------------------
    def roll_out(self) -> None:
        n0, k = len(self.prompt), self.k
        self.answer_boxes = VGroup()
        self.action_log = VGroup()
        for t in range(self.steps):
            token = int(self.tokens[k, t])
            probs = self.dist[k, t]
            new_bars = self.bars(probs, token)
            p_text = mono(fixed(probs[token], 2), SMALL_SIZE, PALETTE.learned)
            p_text.next_to(new_bars[token], UP, buff=0.08)
            self.play(Transform(self.bar_mob, new_bars), FadeIn(p_text), run_time=0.9)
            box = token_box(token_text(self.vocab[token]), self.BOX, PALETTE.learned)
            box.move_to(self.bar_mob[token].get_top())
            line = mono(f"a{t + 1} = {token_text(self.vocab[token])}   π = {fixed(probs[token], 3)}", COUNTER_SIZE)
            line.move_to([self.PANEL_X, -0.15 - 0.45 * t, 0], aligned_edge=LEFT)
            frame = self.frame_round(n0 + t + 1)
            label = cjk(f"状态 s{subscript(t + 1)} = 提示 + 已写的 {t + 1} 个 token", LABEL_SIZE, PALETTE.highlight)
            label.next_to(frame, UP, buff=0.1, aligned_edge=LEFT)
            self.play(box.animate.move_to(self.slot(n0 + t)), FadeIn(line), FadeOut(p_text),
                      Transform(self.state_frame, frame), Transform(self.state_label, label), run_time=0.9)
            self.answer_boxes.add(box)
            self.action_log.add(line)
            if t == 0:
                self.caption("每一步从模型的真实分布里抽一个 token：\n这就是动作")
        self.hold(0.8)

    def verify(self) -> None:
        brace = Brace(self.answer_boxes, DOWN, color=PALETTE.muted, buff=0.12)
        tau = tex(r"\tau", TEX_SIZE).next_to(brace, DOWN, buff=0.08)
        answer = answer_string(self.tokens[self.k], self.mask[self.k], self.vocab)
        r = self.reward[self.k]
        verdict = cjk(f"验证器：{self.prompt}{answer}  {'对' if r > 0 else '错'}", BODY_SIZE,
                      PALETTE.positive if r > 0 else PALETTE.negative)
        reward = tex(rf"R(\tau)={plain(r)}", TEX_SIZE, PALETTE.positive if r > 0 else PALETTE.negative)
        group = VGroup(verdict, reward).arrange(RIGHT, buff=0.35)
        group.move_to([self.PANEL_X, -0.15 - 0.45 * self.steps - 0.35, 0], aligned_edge=LEFT)
        self.play(FadeIn(brace), FadeIn(tau), run_time=0.6)
        self.caption("整条答案是一条轨迹 τ，\n只在末尾由验证器给回报：对得 1，错得 0")
        self.play(FadeIn(group), run_time=0.8)
        self.hold(1.5)
        self.play(*(FadeOut(m) for m in (self.chart, self.bar_mob, self.mdp, self.action_log, group, brace, tau,
                                          self.state_frame, self.state_label, self.answer_boxes, self.prompt_boxes)),
                  run_time=0.7)

    # --- beat 3: the group ----------------------------------------------------------------------------------------
    COLS = {"i": -6.3, "y": -5.5, "p": -3.4, "r": 0.05, "a": 0.95, "bar": 2.2}
    TOP, ROW = 1.75, 0.44
    BAR_W = 3.0  # width of π(y|x) = 1

    def row_y(self, i: int) -> float:
        return self.TOP - i * self.ROW

    def token_probs(self, i: int, p: np.ndarray) -> str:
        return " · ".join(fixed(p[i, t], 2) for t in range(int(self.mask[i].sum())))

    def prob_bar(self, i: int, value: float, color: str) -> VGroup:
        w = max(value * self.BAR_W, 1e-3)
        bar = Rectangle(width=w, height=0.26, stroke_width=0, fill_color=color, fill_opacity=0.85)
        bar.move_to([self.COLS["bar"] + w / 2, self.row_y(i), 0])
        num = mono(fixed(value, 3), SMALL_SIZE).move_to([self.COLS["bar"] + self.BAR_W + 0.45, self.row_y(i), 0])
        return VGroup(bar, num)

    def show_group(self) -> None:
        G = len(self.reward)
        self.shown = min(G, MAX_ROWS)
        head_y = self.TOP + 0.55
        heads = VGroup(
            cjk("答案 y", LABEL_SIZE, PALETTE.muted).move_to([self.COLS["y"], head_y, 0], aligned_edge=LEFT),
            cjk("每个 token 的 π", LABEL_SIZE, PALETTE.muted).move_to([self.COLS["p"], head_y, 0], aligned_edge=LEFT),
            tex("r", TEX_SIZE, PALETTE.muted).move_to([self.COLS["r"], head_y, 0]),
            tex(r"\hat A", TEX_SIZE, PALETTE.muted).move_to([self.COLS["a"], head_y, 0]),
            tex(r"\pi(y\mid x)", TEX_SIZE, PALETTE.muted).move_to([self.COLS["bar"], head_y, 0], aligned_edge=LEFT),
        )
        more = f"（显示前 {self.shown} 个）" if G > self.shown else ""
        top = cjk(f"同一个提示 {self.prompt} 采样 G = {G} 个答案{more}", LABEL_SIZE)
        top.move_to([-6.3, head_y + 0.6, 0], aligned_edge=LEFT)
        step = int(self.t.metrics["show_step"])
        when = mono(f"GRPO 第 {step + 1} 步", LABEL_SIZE, PALETTE.muted).move_to([6.7, head_y + 0.6, 0],
                                                                               aligned_edge=RIGHT)
        self.rows, self.p_texts, self.p_bars = VGroup(), VGroup(), VGroup()
        seq = sequence_prob(self.before, self.mask)
        for i in range(self.shown):
            y = self.row_y(i)
            ans = answer_string(self.tokens[i], self.mask[i], self.vocab)
            good = self.reward[i] > 0
            color = PALETTE.positive if good else PALETTE.negative
            cells = VGroup(
                mono(f"{i + 1}", SMALL_SIZE, PALETTE.muted).move_to([self.COLS["i"], y, 0]),
                mono(ans or "∅", COUNTER_SIZE, color).move_to([self.COLS["y"], y, 0], aligned_edge=LEFT),
                mono(plain(self.reward[i]), COUNTER_SIZE, color).move_to([self.COLS["r"], y, 0]),
            )
            self.rows.add(cells)
            self.p_texts.add(mono(self.token_probs(i, self.before), SMALL_SIZE).move_to([self.COLS["p"], y, 0],
                                                                                        aligned_edge=LEFT))
            self.p_bars.add(self.prob_bar(i, seq[i], PALETTE.muted))
        self.heads, self.top_line, self.when = heads, top, when
        self.play(FadeIn(top), FadeIn(when), FadeIn(heads), run_time=0.7)
        self.play(LaggedStart(*(FadeIn(r) for r in self.rows), lag_ratio=0.15), FadeIn(self.p_texts),
                  FadeIn(self.p_bars), run_time=1.5)
        self.caption(f"同一道题抽 {G} 个答案，验证器逐个打分")
        self.hold(1.0)
        r = self.reward
        mean, std = float(r.mean()), float(r.std())
        stats = VGroup(tex(r"\hat A_i=\frac{r_i-\mathrm{mean}(r)}{\mathrm{std}(r)}", TEX_SIZE),
                       mono(f"mean = {fixed(mean, 3)}   std = {fixed(std, 3)}", COUNTER_SIZE)).arrange(RIGHT, buff=0.5)
        stats.move_to([0, self.row_y(self.shown - 1) - 0.68, 0])
        self.adv_texts = VGroup(*(mono(signed(self.adv[i], 2), COUNTER_SIZE,
                                       PALETTE.positive if self.adv[i] > 0 else PALETTE.negative if self.adv[i] < 0
                                       else PALETTE.muted).move_to([self.COLS["a"], self.row_y(i), 0])
                                  for i in range(self.shown)))
        self.stats = stats
        self.play(FadeIn(stats), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(a) for a in self.adv_texts), lag_ratio=0.1), run_time=1.0)
        self.caption("优势 = 组内相对高低：\n比同组平均好的为正，差的为负")
        self.hold(1.5)

    # --- beat 4: the update ---------------------------------------------------------------------------------------
    def update_group(self) -> None:
        seq_before, seq_after = sequence_prob(self.before, self.mask), sequence_prob(self.after, self.mask)
        new_texts = VGroup(*(mono(self.token_probs(i, self.after), SMALL_SIZE,
                                  PALETTE.positive if seq_after[i] > seq_before[i] else PALETTE.negative)
                             .move_to(self.p_texts[i], aligned_edge=LEFT) for i in range(self.shown)))
        new_bars = VGroup(*(self.prob_bar(i, seq_after[i], PALETTE.positive if seq_after[i] > seq_before[i]
                                          else PALETTE.negative) for i in range(self.shown)))
        ghosts = VGroup(*(self.p_bars[i][0].copy().set_fill(opacity=0).set_stroke(PALETTE.muted, 1.5)
                          for i in range(self.shown)))
        clip, beta = plain(self.t.params["clip"]), plain(self.t.params["kl_coef"])
        rule = tex(r"\max\ \min\!\big(\rho\hat A,\ \mathrm{clip}(\rho,1\pm" + clip + r")\hat A\big)-" + beta
                   + r"\,\mathrm{KL}(\pi\,\|\,\pi_{\mathrm{ref}})", TEX_SIZE)
        rule.move_to(self.stats)
        self.play(FadeOut(self.stats), FadeIn(rule), run_time=0.8)
        self.ghosts = ghosts
        key = legend_row([(PALETTE.positive, "升"), (PALETTE.negative, "降")], SMALL_SIZE)
        key.next_to(self.heads[-1], RIGHT, buff=0.4)
        self.heads.add(key)
        self.add(ghosts)
        self.play(Transform(self.p_texts, new_texts), Transform(self.p_bars, new_bars), FadeIn(key), run_time=1.8)
        self.caption(self.update_caption(seq_before, seq_after))
        self.hold(2.0)
        self.show_dpo(rule)

    def update_caption(self, before: np.ndarray, after: np.ndarray) -> str:
        """Say what the step did to the likeliest wrong and the first right answer, from the recorded numbers."""
        wrong = [i for i in range(self.shown) if self.reward[i] == 0]
        good = [i for i in range(self.shown) if self.reward[i] > 0]
        lines = []
        if wrong:
            w = max(wrong, key=lambda i: before[i])
            name = answer_string(self.tokens[w], self.mask[w], self.vocab) or "∅"
            lines.append(f"更新一步后，错答 {name}：{fixed(before[w], 3)} → {fixed(after[w], 3)}")
        if good:
            g = good[0]
            still = "几乎不动" if abs(after[g] - before[g]) < 0.01 else ("升" if after[g] > before[g] else "降")
            lines.append(f"对答 {answer_string(self.tokens[g], self.mask[g], self.vocab)} {still}："
                         f"{fixed(before[g], 3)} → {fixed(after[g], 3)}")
        return "\n".join(lines) or "这一组没有可比的答案"

    def show_dpo(self, rule: Mobject) -> None:
        margin = self.t["dpo_margin"].astype(float)
        self.note = rule
        if not np.all(np.isfinite(margin)):  # the group had no right-and-wrong pair
            return
        win, lose = (int(i) for i in self.t["dpo_pair"])
        yw = answer_string(self.tokens[win], self.mask[win], self.vocab)
        yl = answer_string(self.tokens[lose], self.mask[lose], self.vocab)
        line = cjk(f"换成 DPO：偏好对 {yw} ≻ {yl}，从参考模型走一步，隐式奖励差 {fixed(margin[0], 3)} → "
                   f"{fixed(margin[1], 3)}", LABEL_SIZE).move_to(rule)
        self.play(FadeOut(rule), FadeIn(line), run_time=0.8)
        self.note = line
        self.caption("DPO 不采样也不打分，\n直接在一对答案上拉开差距")
        self.hold(1.5)

    def clear_group(self) -> None:
        self.play(*(FadeOut(m) for m in (self.note, self.rows, self.p_texts, self.p_bars, self.ghosts,
                                          self.adv_texts, self.heads, self.top_line, self.when)), run_time=0.7)

    # --- beat 5: the whole run ------------------------------------------------------------------------------------
    def accuracy_curve(self) -> None:
        t, m = self.t, self.t.metrics
        steps, acc = t["curve_step"].astype(float), t["curve_acc"].astype(float)
        sft, total = int(t.params["sft_steps"]), int(t.params["sft_steps"]) + int(t.params["rl_steps"])
        axes = panel_axes([0, total, nice_step(total, 6)], [0, 1, 0.2], 7.4, 3.8, "训练步", "留出题准确率")
        axes.shift(np.array([-6.0, -1.95, 0]) - axes.c2p(0, 0))
        divider = DashedLine(axes.c2p(sft, 0), axes.c2p(sft, 1), color=PALETTE.muted)
        phase_a = cjk("监督：预测下一个 token", SMALL_SIZE, PALETTE.muted).next_to(axes.c2p(sft / 2, 1), DOWN, 0.1)
        phase_b = cjk("GRPO：可验证奖励", SMALL_SIZE, PALETTE.positive)
        phase_b.next_to(axes.c2p(sft, 1), DOWN + RIGHT, buff=0.15)
        curve = axes.plot_line_graph(list(steps), list(acc), add_vertex_dots=False, line_color=PALETTE.learned,
                                     stroke_width=4)["line_graph"]
        rl_steps = sft + np.arange(len(t["rl_reward"]))
        reward = axes.plot_line_graph(list(rl_steps), list(smooth(t["rl_reward"].astype(float), 10)),
                                      add_vertex_dots=False, line_color=PALETTE.positive,
                                      stroke_width=2.5)["line_graph"]
        legend = legend_row([(PALETTE.learned, "留出题（贪心）准确率"), (PALETTE.positive, "采样答案平均奖励")])
        legend.move_to([-3.4, axes.c2p(0, 1)[1] + 0.35, 0], aligned_edge=LEFT)
        start, end = m["sft_accuracy"], m["final_accuracy"]
        dot_a = Dot(axes.c2p(sft, start), color=PALETTE.learned)
        dot_b = Dot(axes.c2p(total, end), color=PALETTE.learned)
        lab_a = mono(pct(start), LABEL_SIZE, PALETTE.learned).next_to(dot_a, UP + LEFT, buff=0.1)
        lab_b = mono(pct(end), LABEL_SIZE, PALETTE.learned).next_to(dot_b, RIGHT, buff=0.12)
        self.play(Create(axes), FadeIn(legend), run_time=1.0)
        self.play(Create(divider), FadeIn(phase_a), FadeIn(phase_b), run_time=0.6)
        self.play(Create(curve), run_time=2.5)
        self.play(Create(reward), FadeIn(dot_a), FadeIn(dot_b), FadeIn(lab_a), FadeIn(lab_b), run_time=1.2)
        self.caption(f"强化学习把留出题准确率\n从 {pct(start)} 推到 {pct(end)}")
        side = VGroup(
            cjk("本次运行（两位数加法）", LABEL_SIZE, PALETTE.muted),
            mono(f"{pct(start)} → {pct(end)}", COUNTER_SIZE, PALETTE.learned),
            mono(f"KL(π‖π_ref) = {fixed(m['final_kl'], 3)}", SMALL_SIZE, PALETTE.muted),
            mono(f"π({self.right}|{self.prompt})：{fixed(t['show_p_right'][0], 3)} → "
                 f"{fixed(t['show_p_right'][-1], 3)}", SMALL_SIZE, PALETTE.muted),
            cjk("书中 R1-Zero（AIME 2024）", LABEL_SIZE, PALETTE.muted),
            mono(f"{pct(BOOK_R1_ZERO['before'])} → {pct(BOOK_R1_ZERO['after'])}", COUNTER_SIZE, PALETTE.text),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.14)
        side[4].shift(0.25 * DOWN), side[5].shift(0.25 * DOWN)
        side.move_to([2.75, 0.1, 0], aligned_edge=LEFT)
        self.play(FadeIn(side), run_time=0.8)
        self.hold(2.5)


def token_box_label(text: str) -> Mobject:
    return cjk(text, SMALL_SIZE, PALETTE.muted) if text == "结束" else mono(text, SMALL_SIZE, PALETTE.muted)


def subscript(n: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(n))


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over up to ``window`` values (the first points average what there is)."""
    c = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(0, idx - window)
    return (c[idx] - c[lo]) / (idx - lo)


# =============================================================================================================
AXIS_X0, AXIS_X1 = -6.4, 2.0  # the milestones' span; the merge box sits right of it
SLANT = 45 * DEGREES  # labels run up (line A) or down (line B) from their marks, so neighbours one slot apart fit


def year_slots(years: Sequence[int]) -> dict[int, float]:
    """x of each distinct year: years in order, evenly spaced (not to scale: most milestones are recent)."""
    distinct = sorted(set(int(y) for y in years))
    step = (AXIS_X1 - AXIS_X0) / len(distinct)
    return {y: AXIS_X0 + (i + 0.5) * step for i, y in enumerate(distinct)}


def year_x(year: int, slots: dict[int, float]) -> float:
    """x of ``year``: its slot, or the first slot after it (the merge may start in a year no line has)."""
    later = [y for y in slots if y >= year]
    return slots[min(later)] if later else AXIS_X1


def milestone_label(year_text: str, names: Sequence[str]) -> VGroup:
    """The year (muted) and the names of one year's milestones on one line."""
    year = mono(year_text, SMALL_SIZE, PALETTE.muted) if year_text.isascii() else cjk(year_text, SMALL_SIZE,
                                                                                      PALETTE.muted)
    return VGroup(year, cjk(" · ".join(names), SMALL_SIZE)).arrange(RIGHT, buff=0.12)


def slanted(label: VGroup, at: np.ndarray, up: bool) -> VGroup:
    """``label`` turned about its left end, which is put at ``at``; upward for line A, downward for line B."""
    label.shift(-label.get_left())
    label.rotate(SLANT if up else -SLANT, about_point=ORIGIN)
    return label.shift(at)


class TwoLines(BookScene):
    """Line A and line B, each milestone from the book in order of its year, merging into RLHF / DPO / RLVR."""

    TRACES = ("timeline.default",)
    TITLE = "第16章 · 两条主线合流"
    LINE_Y = {"A": 0.85, "B": -0.25}

    def construct(self) -> None:
        self.load()
        self.draw_line("A")
        self.draw_line("B")
        self.merge()
        self.conclude()

    def load(self) -> None:
        t = self.t = self.trace("timeline.default")
        self.names = dict(zip((str(k) for k in t["line_key"]), (str(n) for n in t["line_name"])))
        self.rows = [(int(y), str(yt), str(lab), str(line)) for y, yt, lab, line in
                     zip(t["year"], t["year_text"], t["label"], t["line"])]
        self.slots = year_slots([r[0] for r in self.rows if r[3] != "M"])
        self.color = {"A": PALETTE.forward, "B": PALETTE.positive, "M": PALETTE.learned}

    def milestones(self, key: str) -> list[tuple[float, VGroup]]:
        """One label per year of line ``key`` (milestones of one year share it), at its x."""
        by_year: dict[int, list[tuple[str, str]]] = {}
        for year, year_text, label, line in self.rows:
            if line == key:
                by_year.setdefault(year, []).append((year_text, label))
        out = []
        for year in sorted(by_year):
            texts = list(dict.fromkeys(yt for yt, _ in by_year[year]))
            out.append((self.slots[year], milestone_label(" / ".join(texts), [n for _, n in by_year[year]])))
        return out

    def draw_line(self, key: str) -> None:
        y0, sign, color = self.LINE_Y[key], (1 if key == "A" else -1), self.color[key]
        items = self.milestones(key)
        end = max(x for x, _ in items) + 0.3
        line = Line([AXIS_X0, y0, 0], [end, y0, 0], color=color, stroke_width=5)
        name = cjk(f"主线 {key}：{self.names[key]}", LABEL_SIZE, color)
        name.move_to([AXIS_X0, y0 - sign * 0.28, 0], aligned_edge=LEFT)
        pieces = VGroup(*(VGroup(Dot([x, y0, 0], radius=0.06, color=color),
                                 slanted(label, np.array([x + 0.04, y0 + sign * 0.14, 0]), sign > 0))
                          for x, label in items))
        self.play(Create(line), FadeIn(name), run_time=0.9)
        if key == "A":
            self.caption("每条线的里程碑按年份先后排开")
        self.play(LaggedStart(*(FadeIn(p) for p in pieces), lag_ratio=0.3), run_time=3.5)
        self.caption(f"主线 {key}：{self.names[key]}")
        self.hold(1.0)

    def merge(self) -> None:
        rows = [r for r in self.rows if r[3] == "M"]
        color = self.color["M"]
        items = VGroup(*(VGroup(mono(yt, SMALL_SIZE, PALETTE.muted), cjk(lab, SMALL_SIZE)).arrange(RIGHT, buff=0.15)
                         for _, yt, lab, _ in rows)).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        head = cjk(self.names["M"], LABEL_SIZE, color)
        content = VGroup(head, items).arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        box = RoundedRectangle(corner_radius=0.15, width=content.width + 0.4, height=content.height + 0.35,
                               color=color, stroke_width=3).move_to(content)
        VGroup(box, content).to_edge(RIGHT, buff=SAFE).set_y(sum(self.LINE_Y.values()) / 2 - 0.35)
        first = min(r[0] for r in rows)
        start, mid = year_x(first, self.slots), box.get_center()[1]
        left = box.get_left()[0]
        curves = VGroup(*(CubicBezier([start, y, 0], [start + 1.2, y, 0], [left - 1.0, mid, 0], [left, mid, 0],
                                      color=color, stroke_width=4) for y in self.LINE_Y.values()))
        mark = DashedLine([start, self.LINE_Y["B"], 0], [start, self.LINE_Y["A"], 0], color=color, stroke_width=2)
        self.play(Create(mark), Create(curves), run_time=1.2)
        self.play(Create(box), FadeIn(head), run_time=0.8)
        self.play(LaggedStart(*(FadeIn(item) for item in items), lag_ratio=0.3), run_time=2.0)
        self.caption(f"{first} 年起两条线汇到一处")
        self.hold(1.5)

    def conclude(self) -> None:
        self.caption("一条线教模型说话，另一条线给它目标")
        self.hold(2.5)
