"""Chapter 6 — word2vec: four word vectors settle into a parallelogram, and king − man + woman lands by queen.

``Parallelogram`` reads ``word2vec.default`` (the book's full-softmax skip-gram on the structured corpus,
where gender, royalty and "capital of" are independent context factors) and ``word2vec.toy`` (the same
loop on a dozen-odd-word toy corpus, whose honest answer is shown next to the book's). Every position is
the trace's: the four words at each recorded checkpoint in the run's one fixed PCA plane, the analogy's
landing point, its cosine-ranked neighbours and the cosines between opposite sides. The diagram D06.1
is in ``ch06_word2vec_figures.py``.
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
    Create,
    Dot,
    FadeIn,
    FadeOut,
    GrowArrow,
    Line,
    Mobject,
    Rectangle,
    RoundedRectangle,
    Star,
    ValueTracker,
    VGroup,
    linear,
)

from pipeline.checks.ch06 import BOOK_TOY_ANALOGY  # the book's printed toy-corpus answer
from scenes.kit.base import SAFE, BookScene
from scenes.kit.counters import scrub
from scenes.kit.legends import legend_row
from scenes.kit.numbers import fixed, plain
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import arrow_between
from scenes.kit.text import BODY_SIZE, COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, mono, speed_badge, tex

__all__ = ["Parallelogram", "PlaneView"]

MAIN, TOY = "word2vec.default", "word2vec.toy"
UP_COLOR = PALETTE.positive  # the a − b sides: royalty, "capital of"
ACROSS_COLOR = PALETTE.forward  # the b → c sides: gender, which nation
RESULT_COLOR = PALETTE.learned  # where a − b + c lands
CARRY_COLOR = PALETTE.highlight  # the difference vector being carried
SIDE_NAMES = {"royal": ("皇室方向", "性别方向"), "capital": ("首都方向", "国家方向")}


def analogy_index(t, name: str) -> int | None:
    names = [str(n) for n in t["analogy_names"]]
    return names.index(name) if name in names else None


class PlaneView:
    """One analogy's four words (a, b, c, d) in the run's fixed 2-D plane, fitted into a screen box.

    ``at(k)`` gives the screen points at a fractional checkpoint k (linear between recorded ones); the
    scale is equal on both axes, so parallel sides stay parallel and angles are the plane's own.
    """

    def __init__(self, t, i: int, center: Sequence[float], width: float, height: float) -> None:
        self.words = [str(w) for w in t["analogy_words"][i]]
        self.points = np.asarray(t["proj_points"][i], dtype=float)  # (checkpoints + 1, 4, 2)
        self.landing = np.asarray(t["proj_analogy"][i], dtype=float)
        every = np.vstack([self.points.reshape(-1, 2), self.landing[None]])
        lo, hi = every.min(axis=0), every.max(axis=0)
        self.mid = (lo + hi) / 2
        # room for the labels: a word sits beside its dot, left or right, above or below
        self.scale = min((width - 1.8) / max(hi[0] - lo[0], 1e-9), (height - 1.3) / max(hi[1] - lo[1], 1e-9))
        self.center = np.array([center[0], center[1], 0.0])
        self.box = RoundedRectangle(corner_radius=0.15, width=width, height=height, stroke_color=PALETTE.grid,
                                    stroke_width=2).move_to(self.center)
        final = self.points[-1]
        self.outward = [np.sign(np.append(p - final.mean(axis=0), 0.0)) for p in final]  # label side per word

    def screen(self, xy: np.ndarray) -> np.ndarray:
        return self.center + np.append((np.asarray(xy) - self.mid) * self.scale, 0.0)

    def at(self, k: float) -> list[np.ndarray]:
        lo = int(np.floor(k))
        hi = min(lo + 1, len(self.points) - 1)
        xy = (1 - (k - lo)) * self.points[lo] + (k - lo) * self.points[hi]
        return [self.screen(p) for p in xy]

    @property
    def last(self) -> int:
        return len(self.points) - 1

    def dots(self) -> VGroup:
        return VGroup(*(Dot(p, radius=0.09, color=PALETTE.text) for p in self.at(0)))

    def labels(self, size: float = BODY_SIZE) -> VGroup:
        return VGroup(*(cjk(w, size) for w in self.words))

    def place_labels(self, labels: VGroup, dots: VGroup) -> None:
        for label, dot, side in zip(labels, dots, self.outward):
            label.next_to(dot, side if side.any() else UR, buff=0.08)

    @staticmethod
    def make_room(labels: VGroup, dots: VGroup, at: np.ndarray, radius: float) -> list:
        """Animations moving every label that covers the circle (``at``, ``radius``) to its dot's clearest side."""
        def gap(mob: Mobject) -> float:  # distance from the circle's centre to the label's box
            lo, hi = mob.get_corner(DOWN + LEFT), mob.get_corner(UP + RIGHT)
            return float(np.linalg.norm(np.clip(at, lo, hi)[:2] - at[:2]))
        moves = []
        for label, dot in zip(labels, dots):
            if gap(label) >= radius:
                continue
            sides = (LEFT, RIGHT, UP, DOWN, UP + LEFT, UP + RIGHT, DOWN + LEFT, DOWN + RIGHT)
            best = max(sides, key=lambda side: gap(label.copy().next_to(dot, side, buff=0.08)))
            moves.append(label.animate.next_to(dot, best, buff=0.08))
        return moves

    def outline(self, dots: VGroup) -> VGroup:
        """The quadrilateral a–b–c–d as faint lines (a→b, b→c, c→d, d→a)."""
        return VGroup(*(Line(dots[j].get_center(), dots[(j + 1) % 4].get_center(), color=PALETTE.muted,
                             stroke_width=2, stroke_opacity=0.6) for j in range(4)))

    def sides(self) -> tuple[VGroup, VGroup]:
        """Final arrows: b→a and c→d (the "up" pair), b→c and a→d (the "across" pair)."""
        a, b, c, d = self.at(self.last)
        up = VGroup(arrow_between(b, a, UP_COLOR), arrow_between(c, d, UP_COLOR))
        across = VGroup(arrow_between(b, c, ACROSS_COLOR), arrow_between(a, d, ACROSS_COLOR))
        return up, across

    def land(self) -> np.ndarray:
        return self.screen(self.landing)


class Parallelogram(BookScene):
    """Training moves four words into a parallelogram; king − man + woman is carried out and lands by queen."""

    TRACES = ("word2vec.default", "word2vec.toy")
    TITLE = "第6章 · 词向量的平行四边形"
    REPLAY_SECONDS = 8.0
    PANEL_X = 0.85  # left edge of the right-hand panel
    TOP_K = 4  # neighbours listed

    def construct(self) -> None:
        self.load()
        self.show_plane()
        self.train()
        self.parallel_sides()
        self.carry_out()
        self.second_example()
        self.toy_corpus()
        self.conclude()

    def load(self) -> None:
        t = self.t = self.trace(MAIN)
        self.toy = self.trace(TOY)
        self.royal = analogy_index(t, "royal")
        if self.royal is None:
            raise ValueError(f"trace {MAIN}: the corpus has no king/man/woman/queen analogy")
        self.capital = analogy_index(t, "capital")
        self.view = PlaneView(t, self.royal, (-3.05, 0.2), 6.9, 4.9)

    # --- pieces -----------------------------------------------------------------------------------------------
    def counter(self, k: int) -> VGroup:
        """Pairs seen and the mean loss since the previous checkpoint, top-right."""
        steps, loss = self.t["ckpt_steps"], self.t["ckpt_loss"]
        total = int(steps[-1])
        width = len(str(total))
        lines = [f"训练对 {int(steps[k]):>{width}d} / {total}",
                 "损失   " + ("—" if not np.isfinite(loss[k]) else fixed(loss[k], 2))]
        group = VGroup(*(mono(s, COUNTER_SIZE) for s in lines)).arrange(DOWN, aligned_edge=LEFT, buff=0.12)
        return group.move_to([self.PANEL_X, 2.75, 0], aligned_edge=UP + LEFT)

    def formula(self, words: Sequence[str]) -> VGroup:
        """a − b + c as separate pieces, so each can be lit in turn."""
        a, b, c = (tex(rf"\mathrm{{{w}}}", 38) for w in words[:3])
        return VGroup(a, tex("-", 38), b, tex("+", 38), c).arrange(RIGHT, buff=0.14)

    def neighbour_rows(self, t, i: int, width: float = 2.2) -> VGroup:
        """The nearest words to a − b + c by cosine (query words excluded), with bars."""
        words, cos = t["analogy_top_words"][i][: self.TOP_K], t["analogy_top_cos"][i][: self.TOP_K]
        rows = VGroup()
        for n, (w, c) in enumerate(zip(words, cos)):
            color = RESULT_COLOR if n == 0 else PALETTE.muted
            bar = Rectangle(width=max(float(c), 0.0) * width + 1e-3, height=0.22, stroke_width=0, fill_color=color,
                            fill_opacity=0.85)
            row = VGroup(cjk(str(w), LABEL_SIZE, PALETTE.text if n == 0 else PALETTE.muted), bar,
                         mono(fixed(c, 2), LABEL_SIZE, color))
            row[0].move_to([0, 0, 0], aligned_edge=LEFT)
            bar.move_to([1.45, 0, 0], aligned_edge=LEFT)
            row[2].next_to(bar, RIGHT, buff=0.12)
            rows.add(row)
        return rows.arrange(DOWN, aligned_edge=LEFT, buff=0.14)

    @staticmethod
    def marker(at: np.ndarray) -> Star:
        """Where a − b + c lands: an open star, so a word's dot under it stays visible."""
        return Star(5, outer_radius=0.2, color=RESULT_COLOR, stroke_width=3, fill_opacity=0).move_to(at)

    @staticmethod
    def side_row(name: str, pairs: str, cos: float, color: str) -> VGroup:
        """A pair of opposite sides: its name and the cosine between them, the two arrows underneath."""
        head = VGroup(cjk(name, LABEL_SIZE, color), mono(f"cos = {fixed(cos, 2)}", LABEL_SIZE, color))
        return VGroup(head.arrange(RIGHT, buff=0.25), cjk(pairs, SMALL_SIZE, PALETTE.muted)).arrange(
            DOWN, aligned_edge=LEFT, buff=0.08)

    # --- beats ------------------------------------------------------------------------------------------------
    def show_plane(self) -> None:
        t, v = self.t, self.view
        p, m = t.params, t.metrics
        self.dots, self.names = v.dots(), v.labels()
        v.place_labels(self.names, self.dots)
        plane_note = cjk(f"{plain(p['dim'])} 维 → 二维（固定的 PCA 平面）", SMALL_SIZE, PALETTE.muted)
        self.plane_note = plane_note.next_to(v.box, UP, buff=0.1).align_to(v.box, RIGHT)
        self.counter_mob = self.counter(0)
        corpus = VGroup(cjk(f"结构化语料：{plain(len(t['sentences']))} 句，{m['vocab_size']} 个词", LABEL_SIZE,
                            PALETTE.muted),
                        cjk(f"skip-gram，全 softmax，学习率 {plain(p['lr'])}", LABEL_SIZE, PALETTE.muted))
        self.corpus = corpus.arrange(DOWN, aligned_edge=LEFT, buff=0.1).next_to(self.counter_mob, DOWN, buff=0.3,
                                                                               aligned_edge=LEFT)
        self.play(Create(v.box), FadeIn(plane_note), FadeIn(self.counter_mob), FadeIn(self.corpus), run_time=1.2)
        self.play(FadeIn(self.dots), FadeIn(self.names), run_time=0.8)
        self.caption("每个词是一个向量；训练前\n它们只是随机的起点")
        self.hold(0.8)

    def train(self) -> None:
        v = self.view
        k = ValueTracker(0)
        for j, dot in enumerate(self.dots):
            dot.add_updater(lambda d, j=j: d.move_to(v.at(k.get_value())[j]))
        for label, dot, side in zip(self.names, self.dots, v.outward):
            label.add_updater(lambda lab, dot=dot, side=side: lab.next_to(dot, side if side.any() else UR, buff=0.08))
        outline = v.outline(self.dots)
        for j, line in enumerate(outline):
            line.add_updater(lambda ln, j=j: ln.put_start_and_end_on(self.dots[j].get_center(),
                                                                     self.dots[(j + 1) % 4].get_center()))
        badge = speed_badge("快放：检查点按对数间隔")
        badge.next_to(self.corpus, DOWN, buff=0.3, aligned_edge=LEFT)
        self.play(FadeIn(badge), FadeIn(outline), run_time=0.6)
        self.caption("一边练习“由词猜上下文”，\n四个点一边挪到各自的位置")
        self.remove(self.counter_mob)
        (self.counter_mob,) = scrub(self, [self.counter], 0, v.last, self.REPLAY_SECONDS,
                                    k.animate(rate_func=linear).set_value(v.last))
        for mob in (*self.dots, *self.names, *outline):
            mob.clear_updaters()
        self.outline = outline
        self.play(FadeOut(badge), run_time=0.5)
        self.hold(0.6)

    def parallel_sides(self) -> None:
        t, v, i = self.t, self.view, self.royal
        up, across = v.sides()
        a, b, c, d = v.words
        cos_up, cos_across = (float(x) for x in t["analogy_side_cos"][i])
        up_name, across_name = SIDE_NAMES["royal"]
        rows = VGroup(self.side_row(up_name, f"{b}→{a} 与 {c}→{d}", cos_up, UP_COLOR),
                      self.side_row(across_name, f"{b}→{c} 与 {a}→{d}", cos_across, ACROSS_COLOR)
                      ).arrange(DOWN, aligned_edge=LEFT, buff=0.22)
        rows.next_to(self.corpus, DOWN, buff=0.45, aligned_edge=LEFT)
        kept = cjk(f"这块平面留住了四点差异的 {plain(round(100 * float(t['proj_explained'][i])))}%", SMALL_SIZE,
                   PALETTE.muted).next_to(rows, DOWN, buff=0.25, aligned_edge=LEFT)
        self.play(FadeOut(self.outline), *(GrowArrow(x) for x in up), FadeIn(rows[0]), run_time=1.2)
        self.caption(f"{b}→{a} 与 {c}→{d}：\n同一个“{up_name}”（余弦按 {plain(t.params['dim'])} 维原向量算）")
        self.play(*(GrowArrow(x) for x in across), FadeIn(rows[1]), run_time=1.2)
        self.caption(f"{b}→{c} 与 {a}→{d} 也几乎平行：\n两组对边，一个平行四边形")
        self.play(FadeIn(kept), run_time=0.6)
        self.hold(0.8)
        self.up_arrows, self.across_arrows, self.side_rows, self.kept = up, across, rows, kept

    def carry_out(self) -> None:
        t, v, i = self.t, self.view, self.royal
        a, b, c, d = v.words
        p = v.at(v.last)
        self.play(FadeOut(self.side_rows), FadeOut(self.kept), FadeOut(self.corpus), run_time=0.6)
        formula = self.formula(v.words).move_to([self.PANEL_X, 1.1, 0], aligned_edge=LEFT)
        self.play(FadeIn(formula[:3]), self.up_arrows.animate.set_opacity(0.35),
                  self.across_arrows.animate.set_opacity(0.35), run_time=0.8)
        carried = arrow_between(p[1], p[0], CARRY_COLOR, stroke_width=6)
        self.caption(f"先算 {a} − {b}：\n就是从 {b} 指向 {a} 的那支箭头")
        self.play(GrowArrow(carried), run_time=1.0)
        self.hold(0.5)
        self.caption(f"再 + {c}：把这支箭头\n平移到 {c} 身上")
        self.play(FadeIn(formula[3:]), carried.animate.shift(p[2] - p[1]), run_time=1.8)
        star = self.marker(v.land())
        self.play(FadeIn(star, scale=0.5), *v.make_room(self.names, self.dots, v.land(), 0.3), run_time=0.6)
        heading = cjk("离落点最近的词（余弦）", LABEL_SIZE, PALETTE.muted)
        rows = self.neighbour_rows(t, i)
        VGroup(heading, rows).arrange(DOWN, aligned_edge=LEFT, buff=0.2).next_to(formula, DOWN, buff=0.45,
                                                                                  aligned_edge=LEFT)
        self.play(FadeIn(heading), FadeIn(rows, lag_ratio=0.2), run_time=1.2)
        top, cos, rank = str(t["analogy_top_words"][i][0]), float(t["analogy_top_cos"][i][0]), int(t["analogy_rank"][i])
        if top in v.words:  # the nearest word is one of the four: light it up
            j = v.words.index(top)
            self.play(self.dots[j].animate.set_color(RESULT_COLOR), self.names[j].animate.set_color(RESULT_COLOR),
                      run_time=0.6)
        verdict = "正是平行四边形的第四个顶点" if top == d else f"{d} 排第 {rank}"
        self.caption(f"落点最近的词是 {top}（余弦 {fixed(cos, 2)}），\n{verdict}")
        self.hold(1.2)
        self.formula_mob, self.neigh = formula, VGroup(heading, rows)
        self.royal_group = VGroup(v.box, self.plane_note, self.dots, self.names, self.up_arrows, self.across_arrows,
                                  carried, star)
        self.star = star

    def result_line(self, t, i: int) -> VGroup:
        """"a − b + c → top cos" under a plane."""
        a, b, c, _ = (str(w) for w in t["analogy_words"][i])
        top, cos = str(t["analogy_top_words"][i][0]), float(t["analogy_top_cos"][i][0])
        return VGroup(cjk(f"{a} − {b} + {c} →", LABEL_SIZE), cjk(top, LABEL_SIZE, RESULT_COLOR),
                      mono(fixed(cos, 2), LABEL_SIZE, RESULT_COLOR)).arrange(RIGHT, buff=0.15)

    def second_example(self) -> None:
        t = self.t
        box_w, box_h, cy = 6.5, 4.5, 0.45
        left, right = (-SAFE - box_w / 2 + 0.05, cy), (SAFE + box_w / 2 - 0.05, cy)
        royal_line = self.result_line(t, self.royal)
        f = box_h / self.view.box.height  # both planes end the same size, side by side
        offset = self.royal_group.get_center() - self.view.box.get_center()  # the plane's note sits above its box
        self.play(FadeOut(self.formula_mob), FadeOut(self.neigh), FadeOut(self.counter_mob),
                  self.royal_group.animate.scale(f).move_to(np.array([left[0], cy, 0]) + f * offset), run_time=1.2)
        self.play(self.up_arrows.animate.set_opacity(1), self.across_arrows.animate.set_opacity(1), run_time=0.5)
        royal_line.next_to(self.royal_group[0], DOWN, buff=0.2)
        self.play(FadeIn(royal_line), run_time=0.5)
        self.lines = VGroup(royal_line)
        if self.capital is None:  # a corpus without countries: the one parallelogram is the whole story
            return
        v = PlaneView(t, self.capital, right, box_w, box_h)
        dots, names = v.dots(), v.labels(LABEL_SIZE)
        v.place_labels(names, dots)
        self.play(Create(v.box), FadeIn(dots), run_time=0.8)
        self.caption("同一次训练里，国家和首都\n也在另一块平面上排好")
        k = ValueTracker(0)
        for j, dot in enumerate(dots):
            dot.add_updater(lambda m, j=j: m.move_to(v.at(k.get_value())[j]))
        self.play(k.animate.set_value(v.last), run_time=3.0, rate_func=linear)
        for dot in dots:
            dot.clear_updaters()
        v.place_labels(names, dots)  # named once they have spread out: at the start they sit on top of each other
        self.play(FadeIn(names), run_time=0.6)
        up, across = v.sides()
        self.play(*(GrowArrow(x) for x in (*up, *across)), run_time=1.0)
        p = v.at(v.last)
        carried = arrow_between(p[1], p[0], CARRY_COLOR, stroke_width=6)
        self.play(GrowArrow(carried), run_time=0.7)
        self.play(carried.animate.shift(p[2] - p[1]), run_time=1.4)
        star = self.marker(v.land())
        line = self.result_line(t, self.capital).next_to(v.box, DOWN, buff=0.2)
        self.play(FadeIn(star, scale=0.5), FadeIn(line), *v.make_room(names, dots, v.land(), 0.28), run_time=0.8)
        a, b, c, d = v.words
        top = str(t["analogy_top_words"][self.capital][0])
        if top in v.words:
            j = v.words.index(top)
            self.play(dots[j].animate.set_color(RESULT_COLOR), names[j].animate.set_color(RESULT_COLOR), run_time=0.5)
        cos_up = float(t["analogy_side_cos"][self.capital][0])
        self.caption(f"{a} − {b} + {c} 落在 {top} 旁；\n"
                     f"两条“{SIDE_NAMES['capital'][0]}”的余弦 {fixed(cos_up, 2)}")
        self.hold(1.2)
        self.lines.add(line)

    def toy_corpus(self) -> None:
        toy = self.toy
        i = analogy_index(toy, "royal")
        if i is None:
            return
        book_word, book_cos = BOOK_TOY_ANALOGY
        top, cos = str(toy["analogy_top_words"][i][0]), float(toy["analogy_top_cos"][i][0])
        a, b, c, d = (str(w) for w in toy["analogy_words"][i])
        note = VGroup(
            cjk(f"玩具语料（{toy.metrics['vocab_size']} 个词）上 {a} − {b} + {c} →", LABEL_SIZE, PALETTE.muted),
            cjk(f"书中 {book_word} {fixed(book_cos, 2)} / 本次运行 {top} {fixed(cos, 2)}", LABEL_SIZE, PALETTE.text),
        ).arrange(DOWN, aligned_edge=RIGHT, buff=0.08).to_corner(UR, buff=SAFE)
        self.play(FadeIn(note), run_time=0.8)
        same = "也没有得到" if top != d else "倒也得到了"
        self.caption(f"换成十几个词的玩具语料，{same} {d}：\n书中 {book_word}，本次运行 {top}")
        self.hold(1.5)

    def conclude(self) -> None:
        shown = [SIDE_NAMES["royal"]] + ([SIDE_NAMES["capital"]] if self.capital is not None else [])
        up, across = (" / ".join(names) for names in zip(*shown))
        legend = legend_row([(UP_COLOR, up), (ACROSS_COLOR, across), (CARRY_COLOR, "平移的差向量"),
                             (self.marker(np.zeros(3)).scale(0.8), "a − b + c 的落点")])
        legend.next_to(self.lines, DOWN, buff=0.22).set_x(0)
        self.play(FadeIn(legend), run_time=0.6)
        self.caption("语料够大时，这样的平行四边形干净得惊人")
        self.hold(2.0)
