"""Chapter 4's diagram figure: D04.1, the naive RNN's ×W chain over the LSTM's additive belt.

A diagram of the book's idea, not a measurement: it reads no trace (the measured curves are in
``ch04_rnn_lstm.py``). It imports only the kit, so editing a chapter-4 scene does not re-render it.
"""

from __future__ import annotations

from itertools import pairwise

from manim import DOWN, LEFT, RIGHT, Circle, Line, Rectangle, RoundedRectangle, VGroup

from scenes.kit.base import SAFE, BookScene
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, TEX_SIZE, cjk, tex

__all__ = ["Fig_RNNvsLSTM"]

RNN_COLOR = PALETTE.backward  # the gradient that dies (as in the chapter's scenes)
LSTM_COLOR = PALETTE.learned  # the gradient that survives


def mixed(*parts: str, size: float = LABEL_SIZE, color: str | None = None) -> VGroup:
    """A line of Chinese and formula pieces: parts written ``$…$`` are MathTex, the rest CJK text."""
    mobs = [tex(p[1:-1], size * 1.3, color) if p.startswith("$") else cjk(p, size, color) for p in parts]
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
        head = mixed("朴素 RNN", size=BODY_SIZE, color=PALETTE.text)
        sub = mixed("（记忆每步被矩阵乘碾过，梯度 ~ ", "$\\lambda^k$", " 指数衰减）", size=LABEL_SIZE,
                    color=PALETTE.muted)
        caption = VGroup(head, sub).arrange(RIGHT, buff=0.15).move_to([0, 2.7, 0]).to_edge(LEFT, buff=SAFE)
        y = 1.85
        nodes = VGroup()
        for x, name in zip(self.XS, self.node_names("h")):
            if name == r"\cdots":
                nodes.add(tex(name, 36, PALETTE.muted).move_to([x, y, 0]))
            else:
                node = VGroup(Circle(0.34, color=PALETTE.forward, stroke_width=3), tex(name, TEX_SIZE))
                nodes.add(node.move_to([x, y, 0]))
        links = VGroup()
        for a, b in pairwise(nodes):
            start, end = a.get_right() + 0.08 * RIGHT, b.get_left() + 0.08 * LEFT
            mid = (start + end) / 2
            box = VGroup(RoundedRectangle(corner_radius=0.08, width=0.8, height=0.44, color=PALETTE.muted,
                                          stroke_width=2, fill_color=PALETTE.background, fill_opacity=1),
                         tex(r"\times W", 26)).move_to(mid)
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
        zero = tex(r"\approx 0", 28, RNN_COLOR).next_to([self.XS[0] - 0.35, gy, 0], LEFT, buff=0.1)
        grad_name = cjk("误差", SMALL_SIZE, RNN_COLOR).next_to([self.XS[-1] - 0.35, gy, 0], RIGHT, buff=0.12)
        note = mixed("误差反传时每步乘 ", "$W\\cdot\\tanh'$", "，", "$|\\lambda|<1$", " 则到 ", "$h_0$",
                     " 时已衰减为 ~0", size=LABEL_SIZE, color=PALETTE.muted).move_to([0, 0.58, 0])
        return VGroup(caption, links, nodes, grads, zero, grad_name, note)

    def lstm_lane(self) -> VGroup:
        head = mixed("LSTM", size=BODY_SIZE, color=PALETTE.text)
        sub = mixed("（细胞状态走加法高速路 CEC，遗忘门≈1 时梯度≈1 不衰减）", size=LABEL_SIZE, color=PALETTE.muted)
        caption = VGroup(head, sub).arrange(RIGHT, buff=0.15).move_to([0, -0.2, 0]).to_edge(LEFT, buff=SAFE)
        y = -1.55
        belt = Rectangle(width=self.XS[-1] - self.XS[0] + 0.3, height=0.5, stroke_width=0, fill_color=PALETTE.forward,
                         fill_opacity=0.15).move_to([0, y, 0])
        nodes = VGroup()
        for x, name in zip(self.XS, self.node_names("c")):
            if name == r"\cdots":
                nodes.add(tex(name, 36, PALETTE.muted).move_to([x, y, 0]))
            else:
                nodes.add(VGroup(Circle(0.34, color=PALETTE.forward, stroke_width=3, fill_color=PALETTE.background,
                                        fill_opacity=1), tex(name, TEX_SIZE)).move_to([x, y, 0]))
        links, gates = VGroup(), VGroup()
        for a, b in pairwise(nodes):
            start, end = a.get_right() + 0.08 * RIGHT, b.get_left() + 0.08 * LEFT
            mid = (start + end) / 2
            plus = VGroup(Circle(0.22, color=PALETTE.text, stroke_width=3, fill_color=PALETTE.background,
                                 fill_opacity=1), tex("+", 32)).move_to(mid)
            links.add(Line(start, plus.get_left(), color=PALETTE.forward, stroke_width=3),
                      Line(plus.get_right(), end, color=PALETTE.forward, stroke_width=3).add_tip(tip_length=0.16), plus)
            arrow = Line(mid + 0.95 * DOWN, plus.get_bottom(), color=PALETTE.learned, stroke_width=3).add_tip(
                tip_length=0.14)
            gates.add(arrow, tex("f,\\,i", 26, PALETTE.learned).next_to(arrow, DOWN, buff=0.06))
        hs = VGroup(*(tex(name, TEX_SIZE, PALETTE.muted).move_to([x, y - 1.2, 0])
                      for x, name in zip(self.XS, self.node_names("h"))))
        grads = VGroup()
        gy = y + 0.62
        for a, b in zip(self.XS[1:][::-1], self.XS[:-1][::-1]):
            grads.add(Line([a - 0.35, gy, 0], [b + 0.35, gy, 0], color=LSTM_COLOR, stroke_width=8).add_tip(
                tip_length=0.22))
        grad_name = cjk("误差", SMALL_SIZE, LSTM_COLOR).next_to([self.XS[-1] - 0.35, gy, 0], RIGHT, buff=0.12)
        one = tex(r"\approx 1", 28, LSTM_COLOR).next_to([self.XS[0] - 0.35, gy, 0], LEFT, buff=0.1)
        note = VGroup(cjk("加法通路：梯度恒定", LABEL_SIZE, LSTM_COLOR),
                      cjk("门只调节流量，不反复相乘碾压", LABEL_SIZE, PALETTE.muted)).arrange(RIGHT, buff=0.5)
        note.move_to([0, -3.4, 0])
        return VGroup(caption, belt, links, nodes, gates, hs, grads, grad_name, one, note)
