"""Chapter 5 — AlexNet 与认猫: a feature pyramid built by a real (small) CNN, learned edge filters, and 2012.

``FeaturePyramid`` reads three traces:

* ``feature_maps.default`` — a small CNN this project trained on crops of the ten photos bundled
  with scikit-image, run on the cat: each stage's strongest maps, size, channels, receptive field,
  the "cat" evidence map and the class probabilities;
* ``sobel_filters.default`` — 3×3 filters a sparse autoencoder learned from photo patches, with
  their cosine similarity to Sobel-x/y, before and after training, and for random filters;
* ``alexnet_shapes.default`` — the parameter count of the real AlexNet module.

The level names (边缘 → 纹理 → 部件 → 物体) and the 2009/2012 facts are the book's, and the screen
says so; every size, count and similarity is the trace's. ``--set feature_maps.stages=3`` draws a
three-stage pyramid. The diagram D05.1 is in ``ch05_alexnet_figures.py``.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    Create,
    Dot,
    FadeIn,
    FadeOut,
    Flash,
    Line,
    Rectangle,
    VGroup,
    interpolate_color,
)
from manim.utils.color import ManimColor

from pipeline.checks.ch05 import BOOK_FACTS, BOOK_PARAMS, BOOK_TOP5
from scenes.kit.base import SAFE, BookScene
from scenes.kit.grids import CellGrid, heat_scale, viridis
from scenes.kit.numbers import fixed, plain
from scenes.kit.palette import PALETTE
from scenes.kit.shapes import CUBOID_SLANT, arrow_between, cuboid
from scenes.kit.text import BODY_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, mono

MAPS, FILTERS, ALEXNET = "feature_maps.default", "sobel_filters.default", "alexnet_shapes.default"

LEVELS = ("边缘", "纹理", "部件", "大部件", "更大部件")  # the book's ladder, one word per conv stage
LEFT_X, RIGHT_X = -6.7, 6.7  # the pyramid's horizontal extent
BASE_Y, RISE = -2.15, 0.45  # bottom of the photo, and how much each level sits higher than the one before
GAP = 0.45  # room for the arrow between two levels
DEPTH_X = float(CUBOID_SLANT[0])  # the x of a cuboid's oblique offset per unit of depth


def grey(v: float) -> ManimColor:
    """A photo's grey level in [0, 1] on the house background/text ramp."""
    return interpolate_color(ManimColor(PALETTE.background), ManimColor(PALETTE.text), float(np.clip(v, 0, 1)))


def normalised(values: np.ndarray) -> np.ndarray:
    """A map scaled to [0, 1] by its own range (each map gets the full colour scale)."""
    values = np.asarray(values, dtype=float)
    span = float(np.ptp(values))
    return (values - values.min()) / span if span > 0 else np.zeros_like(values)


def heat(values: np.ndarray, side: float, fill=viridis) -> CellGrid:
    """A map as a side×side block of borderless cells."""
    rows, cols = values.shape
    return CellGrid(normalised(values) if fill is viridis else values, cell=side / max(rows, cols), fill=fill,
                    stroke_width=0)


def wan(n: int) -> str:
    """``6097 万``: a count in units of 10 000, as the book writes parameter counts."""
    return f"{n / 1e4:.0f} 万"


def depth_of(channels: int, first: int) -> float:
    """Cuboid depth for a channel count: grows by the same step each time the channels double."""
    return 0.2 + 0.2 * np.log2(channels / first)


class FeaturePyramid(BookScene):
    """Edges → textures → parts → cat on a real run; learned filters beside Sobel; data × compute → 2012."""

    TRACES = ("feature_maps.default", "sobel_filters.default", "alexnet_shapes.default")
    TITLE = "第5章 · 层级特征金字塔"

    def construct(self) -> None:
        self.load()
        self.show_photo()
        self.build_levels()
        self.cycle_channels()
        self.assemble_cat()
        self.compare_filters()
        self.ignition()

    # --- data and layout ------------------------------------------------------------------------------------
    def load(self) -> None:
        t = self.trace(MAPS)
        self.t = t
        self.n = len(t["stage_c"])
        self.h, self.w, self.c = (list(map(int, t[k])) for k in ("stage_h", "stage_w", "stage_c"))
        self.rf = list(map(int, t["stage_rf"]))
        self.image_hw = list(map(int, t["image_hw"]))
        self.depths = [depth_of(c, self.c[0]) for c in self.c]
        # sides: the photo, each stage, the cat-evidence map; scaled down together if they would not fit
        sides = [2.4] + [2.0 * 0.85**s for s in range(self.n)] + [1.45]
        widths = [sides[0]] + [s + DEPTH_X * d for s, d in zip(sides[1:-1], self.depths)] + [1.7]  # its notes
        room = RIGHT_X - LEFT_X - GAP * (len(widths) - 1)
        scale = min(1.0, room / sum(widths))
        self.sides = [s * scale for s in sides]
        widths = [w * scale for w in widths]
        self.lefts = list(LEFT_X + np.cumsum([0] + [w + GAP for w in widths[:-1]]))
        self.lefts[-1] = RIGHT_X - self.sides[-1]  # the cat column sits at the right edge
        self.bottoms = [BASE_Y + RISE * k for k in range(len(sides))]

    def front_center(self, k: int) -> np.ndarray:
        """Centre of block k's front face (0 = photo, 1..n = stages, n+1 = cat evidence)."""
        side = self.sides[k]
        return np.array([self.lefts[k] + side / 2, self.bottoms[k] + side / 2, 0.0])

    # --- beats ----------------------------------------------------------------------------------------------
    def show_photo(self) -> None:
        t = self.t
        photo = heat(t["image"], self.sides[0], fill=grey).move_to(self.front_center(0))
        frame = Rectangle(width=self.sides[0], height=self.sides[0], stroke_color=PALETTE.muted,
                          stroke_width=2).move_to(photo)
        hh, ww = self.image_hw
        label = VGroup(cjk("输入：猫的照片", LABEL_SIZE), mono(f"{hh}×{ww}×1", SMALL_SIZE, PALETTE.muted))
        label.arrange(DOWN, buff=0.08).next_to(frame, DOWN, buff=0.12)
        self.play(FadeIn(photo), Create(frame), FadeIn(label), run_time=1.2)
        self.caption("把一张猫的照片送进本项目训练的\n小卷积网络，看它一层层看到了什么")
        self.hold(0.8)
        self.photo = VGroup(photo, frame, label)

    def stage_block(self, s: int) -> tuple[VGroup, CellGrid, VGroup]:
        """Stage s (1-based): a cuboid whose front face shows its strongest map, and its labels."""
        k = s
        side, depth = self.sides[k], self.depths[s - 1]
        block = cuboid(side, depth, PALETTE.forward).move_to(self.front_center(k), aligned_edge=DOWN + LEFT)
        block.shift(self.front_center(k) - block[2].get_center())
        front = heat(self.t[f"stage{s}_maps"][0], side).move_to(block[2])
        top = block.get_top()
        head = cjk(LEVELS[s - 1], BODY_SIZE, PALETTE.positive).next_to(np.array([block[2].get_x(), top[1], 0]), UP,
                                                                         buff=0.12)
        numbers = VGroup(mono(f"{self.h[s - 1]}×{self.w[s - 1]}×{self.c[s - 1]}", SMALL_SIZE),
                         mono(f"视野 {self.rf[s - 1]} px", SMALL_SIZE, PALETTE.muted))
        numbers.arrange(DOWN, buff=0.08).next_to(block[2], DOWN, buff=0.12)
        return block, front, VGroup(head, numbers)

    def build_levels(self) -> None:
        self.blocks, self.fronts, self.labels = VGroup(), [], VGroup()
        scale = heat_scale(0, 1, height=1.2, label="激活（每张图各自拉满）", fmt=lambda v: "高" if v else "低")
        scale.to_corner(UP + LEFT, buff=SAFE).shift(0.75 * DOWN)
        levels_note = cjk("橙字：书中的层级名", SMALL_SIZE, PALETTE.positive).next_to(scale[0], RIGHT, buff=0.8)
        for s in range(1, self.n + 1):
            block, front, labels = self.stage_block(s)
            arrow = arrow_between(self.arrow_start(s - 1), block[2].get_left() + 0.05 * LEFT, PALETTE.forward,
                                  tip=0.15, stroke_width=3, buff=0.02)
            anims = [FadeIn(block, shift=0.2 * RIGHT), FadeIn(front, shift=0.2 * RIGHT), FadeIn(labels), Create(arrow)]
            if s == 1:
                anims += [FadeIn(scale), FadeIn(levels_note)]
            self.play(*anims, run_time=1.1)
            self.blocks.add(block, arrow)
            self.fronts.append(front)
            self.labels.add(labels)
            if s == 1:
                self.caption(f"第 1 层：{self.c[0]} 个 3×3 卷积核，\n每个单元只看 {self.rf[0]}×{self.rf[0]} 像素的小窗")
            elif s == 2:
                self.caption(f"每上一层，图缩小一半、通道翻倍：\n{self.h[0]}×{self.w[0]}×{self.c[0]} → "
                             f"{self.h[1]}×{self.w[1]}×{self.c[1]}")
            self.hold(0.4)
        hh, ww = self.image_hw
        self.caption(f"到第 {self.n} 层：{self.h[-1]}×{self.w[-1]}×{self.c[-1]}，每个单元\n"
                     f"看 {self.rf[-1]}×{self.rf[-1]} 像素（整张图 {hh}×{ww}）")
        self.hold(0.8)
        self.legend = VGroup(scale, levels_note)

    def arrow_start(self, k: int) -> np.ndarray:
        """Where the arrow into block k+1 leaves block k: the right of its front face (or the photo)."""
        return np.array([self.lefts[k] + self.sides[k] + (0.05 + DEPTH_X * self.depths[k - 1] if k else 0.05),
                         self.front_center(k)[1], 0.0])

    def cycle_channels(self) -> None:
        """The fronts show the next-strongest channels in turn: every stage holds many different maps."""
        shown = len(self.t["stage1_maps"])
        if shown < 2:
            return
        self.caption(f"每层不止一张图：这里轮流显示\n每层响应最有起伏的 {shown} 个通道")
        for j in list(range(1, shown)) + [0]:
            new = [heat(self.t[f"stage{s}_maps"][j], self.sides[s]).move_to(self.fronts[s - 1])
                   for s in range(1, self.n + 1)]
            self.play(*(FadeOut(f) for f in self.fronts), *(FadeIn(f) for f in new), run_time=0.7)
            self.fronts = new
            self.hold(0.6)

    def assemble_cat(self) -> None:
        t = self.t
        k = self.n + 1
        side = self.sides[k]
        cam = heat(t["cam"], side).move_to(self.front_center(k))
        frame = Rectangle(width=side, height=side, stroke_color=PALETTE.learned, stroke_width=3).move_to(cam)
        head = cjk("物体：猫", BODY_SIZE, PALETTE.learned).next_to(frame, UP, buff=0.12)
        probs, labels = t["probs"], [str(x) for x in t["class_labels"]]
        order = np.argsort(-probs, kind="stable")[:3]
        rows = VGroup(*(VGroup(cjk(labels[i], SMALL_SIZE, PALETTE.learned if i == order[0] else PALETTE.muted),
                               mono(fixed(probs[i], 2), SMALL_SIZE)).arrange(RIGHT, buff=0.15) for i in order))
        rows.arrange(DOWN, aligned_edge=RIGHT, buff=0.08).next_to(frame, DOWN, buff=0.15).align_to(frame, RIGHT)
        head.align_to(frame, RIGHT)
        acc, chance = t.metrics["test_acc"], t.metrics["chance_acc"]
        note = VGroup(cjk("上图：哪里像猫", SMALL_SIZE, PALETTE.muted),
                      cjk(f"留出测试 {acc:.0%}", SMALL_SIZE, PALETTE.muted),
                      cjk(f"（瞎猜 {chance:.0%}）", SMALL_SIZE, PALETTE.muted))
        note.arrange(DOWN, aligned_edge=RIGHT, buff=0.08).next_to(rows, DOWN, buff=0.15).align_to(frame, RIGHT)
        arrow = arrow_between(self.arrow_start(self.n), frame.get_left() + 0.05 * LEFT, PALETTE.learned, tip=0.15,
                              stroke_width=3, buff=0.02)
        self.play(Create(arrow), FadeIn(cam), Create(frame), FadeIn(head), run_time=1.0)
        self.play(FadeIn(rows), FadeIn(note), run_time=0.8)
        winner, p = labels[order[0]], fixed(probs[order[0]], 2)
        if order[0] == self.cat_index():
            self.caption(f"汇总成判断：“{winner}” {p}。猫不是一步认出，\n是局部特征一层层拼出来的")
        else:
            self.caption(f"这次网络判断为“{winner}” {p}：\n局部特征没能拼成一只猫")
        self.hold(1.6)
        self.pyramid = VGroup(self.photo, self.blocks, *self.fronts, self.labels, cam, frame, head, rows, note,
                              arrow, self.legend)

    def cat_index(self) -> int:
        return [str(x) for x in self.t["class_names"]].index("chelsea")

    # --- learned filters beside Sobel -------------------------------------------------------------------------
    def filter_row(self, filters: np.ndarray, cos: np.ndarray, side: float) -> VGroup:
        """Filters as heat blocks (each scaled by its own range), their best |cos| with Sobel under each."""
        row = VGroup()
        for f, c in zip(filters, cos):
            block = heat(f, side)
            row.add(VGroup(block, mono(fixed(c, 2), SMALL_SIZE, self.cos_color(c)).next_to(block, DOWN, buff=0.1)))
        return row.arrange(RIGHT, buff=0.22)

    def cos_color(self, c: float) -> str:
        """Green where a filter beats 95 % of random filters: the threshold is measured, not chosen."""
        return PALETTE.learned if c > self.random_p95 else PALETTE.muted

    def compare_filters(self) -> None:
        t = self.trace(FILTERS)
        m = t.metrics
        self.random_p95 = m["random_p95"]
        self.play(FadeOut(self.pyramid), run_time=0.8)
        sobel = VGroup()
        for kernel, name in zip(t["sobel"], ("Sobel-x", "Sobel-y")):
            grid = CellGrid(kernel, cell=0.42, fill=lambda v: viridis((v + 2) / 4), fmt=plain, size=SMALL_SIZE)
            sobel.add(VGroup(mono(name, LABEL_SIZE), grid).arrange(DOWN, buff=0.15))
        sobel.arrange(DOWN, buff=0.4).move_to(np.array([-5.3, 0.35, 0]))
        sobel_head = cjk("第 3 章手设的核", LABEL_SIZE, PALETTE.muted).next_to(sobel, UP, buff=0.25)
        n = len(t["filters"])
        side = min(0.95, (RIGHT_X - (-3.4) - 0.22 * (n - 1)) / n)
        after = self.filter_row(t["filters"], t["cos"], side)
        before = self.filter_row(t["init_filters"], t["cos_init"], side)
        x0 = -3.4
        after.move_to(np.array([x0, 1.0, 0]), aligned_edge=LEFT)
        before.move_to(np.array([x0, -1.35, 0]), aligned_edge=LEFT)
        after_head = cjk(f"训练后：稀疏自编码器从 {m['n_patches']} 个照片小块里自己学出的 {n} 个 3×3 核",
                         LABEL_SIZE, PALETTE.learned).next_to(after, UP, buff=0.2).align_to(after, LEFT)
        before_head = cjk("训练前：同一网络的随机初始值", LABEL_SIZE, PALETTE.muted)
        before_head.next_to(before, UP, buff=0.2).align_to(before, LEFT)
        key = cjk("颜色：权重（每个核各自拉满）；核下数字：与 Sobel-x/y 的最大 |余弦相似度|", SMALL_SIZE, PALETTE.muted)
        key.next_to(after_head, UP, buff=0.2).align_to(after, LEFT)
        self.play(FadeIn(sobel), FadeIn(sobel_head), run_time=0.9)
        self.caption("书中说：AlexNet 第一层学到的核\n和手设的 Sobel 核几乎一样。小规模验证一下")
        self.play(FadeIn(before_head), FadeIn(before), run_time=0.9)
        self.caption(f"训练前是随机数：与 Sobel 的平均相似度\n只有 {fixed(m['mean_cos_init'], 2)}")
        self.hold(0.6)
        self.play(FadeIn(after_head), FadeIn(key), FadeIn(after, lag_ratio=0.1), run_time=1.6)
        strong = int((t["cos"] > self.random_p95).sum())
        self.caption(f"没给任何标签，学出的核平均相似度 {fixed(m['mean_cos'], 2)}；\n"
                     f"{strong}/{n} 个超过 95% 的随机核（{fixed(self.random_p95, 2)}）")
        self.hold(1.4)
        self.caption(f"{len(t['cos_random'])} 个随机核平均只有 {fixed(m['mean_cos_random'], 2)}：\n"
                     "边缘检测器是从照片统计里长出来的")
        self.hold(1.0)
        self.filters = VGroup(sobel, sobel_head, after, before, after_head, before_head, key)

    # --- data × compute → 2012 ---------------------------------------------------------------------------------
    def ignition(self) -> None:
        a = self.trace(ALEXNET).metrics
        f = BOOK_FACTS
        self.play(FadeOut(self.filters), run_time=0.8)
        meet = np.array([-0.3, 0.3, 0])
        data_line = Line(np.array([-5.4, 2.3, 0]), meet, color=PALETTE.positive, stroke_width=8)
        compute_line = Line(np.array([-5.4, -1.7, 0]), meet, color=PALETTE.forward, stroke_width=8)

        def milestone(line: Line, at: float, text: str, color: str, above: bool) -> VGroup:
            point = line.point_from_proportion(at)
            label = cjk(text, LABEL_SIZE).next_to(point, UP if above else DOWN, buff=0.25)
            return VGroup(Dot(point, radius=0.08, color=color), label.align_to(point + 0.15 * LEFT, LEFT))

        marks = VGroup(
            milestone(data_line, 0.1, f"1990 年代：公开标注图只有{f['nineties_data']}", PALETTE.positive, True),
            milestone(data_line, 0.4, f"{f['imagenet_year']} ImageNet：{f['imagenet_images']}标注图",
                      PALETTE.positive, True),
            milestone(compute_line, 0.1, f"1990 年代 CPU：训稍大的网要{f['nineties_cpu']}", PALETTE.forward, False),
            milestone(compute_line, 0.4, f"GPU 快{f['gpu_speedup']}：{f['gpus']} 训{f['train_days']}",
                      PALETTE.forward, False),
        )
        names = VGroup(cjk("数据", BODY_SIZE, PALETTE.positive).next_to(data_line.get_start(), LEFT, buff=0.2),
                       cjk("算力", BODY_SIZE, PALETTE.forward).next_to(compute_line.get_start(), LEFT, buff=0.2))
        self.caption("两条暗线：标注数据越来越多，\n算力越来越快")
        self.play(Create(data_line), Create(compute_line), FadeIn(names), run_time=1.6)
        self.play(FadeIn(marks), run_time=1.0)
        self.hold(0.8)
        star = Dot(meet, radius=0.16, color=PALETTE.highlight)
        year = mono(str(f["year"]), BODY_SIZE, PALETTE.highlight).next_to(star, RIGHT, buff=0.25)
        before, after = BOOK_TOP5
        result = VGroup(
            cjk(f"AlexNet：top-5 错误率 {plain(before)}% → {plain(after)}%", LABEL_SIZE, PALETTE.highlight),
            cjk(f"参数：书中约 {wan(BOOK_PARAMS)}", LABEL_SIZE),
            cjk(f"本次按结构算 {wan(a['total_params'])}", LABEL_SIZE, PALETTE.learned),
            cjk(f"（{a['conv_layers']} 个卷积层 + {a['fc_layers']} 个全连接层）", SMALL_SIZE, PALETTE.muted),
        ).arrange(DOWN, aligned_edge=LEFT, buff=0.14)
        result.next_to(year, RIGHT, buff=0.4)
        source = cjk("年份、数据量、GPU、错误率：书中史实", SMALL_SIZE, PALETTE.muted)
        source.to_corner(UP + RIGHT, buff=SAFE)
        self.play(FadeIn(star), Flash(meet, color=PALETTE.highlight, flash_radius=0.6, num_lines=14),
                  FadeIn(year), run_time=1.0)
        self.play(FadeIn(result, shift=0.1 * RIGHT), FadeIn(source), run_time=1.0)
        self.caption(f"{f['year']} 年两线合流：旧算法第一次\n在足够大的规模上跑起来")
        self.hold(2.5)
