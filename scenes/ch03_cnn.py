"""Chapter 3 — 卷积网络: one small kernel, slid everywhere; then 2×2 max-pooling.

``Convolution`` replays the Sobel-x kernel over the 6×6 edge image window by
window (the nine products, their sum, the output pixel it lights), shows that
it is one kernel reused everywhere looking through a 3×3 window, then moves
the edge one column and replays. ``Pooling`` max-pools both response maps and
shows honestly what survives: presence and strength, not exact position.
``Fig_LeNetFlow`` is the book's LeNet-style data-flow diagram D03.1.
"""

from __future__ import annotations

import numpy as np
from manim import (
    DOWN,
    LEFT,
    ORIGIN,
    RIGHT,
    UP,
    UR,
    AnimationGroup,
    Arrow,
    Circle,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    Indicate,
    Line,
    Polygon,
    Rectangle,
    Transform,
    TransformFromCopy,
    VGroup,
    VMobject,
    interpolate_color,
)
from manim.utils.color import ManimColor

from scenes.common import (
    PALETTE,
    SAFE,
    BookScene,
    CellGrid,
    arrow_between,
    cjk,
    heat_scale,
    mono,
    speed_badge,
    viridis,
)

TRACE = "convolution.default"

IMAGE_CELL, MAP_CELL, KERNEL_CELL = 0.72, 0.72, 0.6
LABEL_Y = 2.78  # the row of panel headings
TOP = 2.45  # top edge of the three main panels
IMAGE_LEFT = -6.6
MIDDLE_X = -0.35  # centre of the kernel / products column
MAP_LEFT = 2.7


def num(v: float) -> str:
    """An integer-valued entry as the book prints it (-0 shown as 0)."""
    return f"{v + 0.0:g}"


def shift_text(t) -> str:
    """How far the edge moved between the two images, in words: 一列, 2 列."""
    cols = [int(np.argmax(t[f"{name}_image"][0] > 0)) for name in ("orig", "shifted")]
    n = cols[1] - cols[0]
    return "一列" if n == 1 else f"{n} 列"


def image_fill(v: float) -> str:
    """0 dark, 1 bright: the image in the palette's own greys."""
    return interpolate_color(ManimColor(PALETTE.grid), ManimColor(PALETTE.text), float(v))


def sign_fill(v: float) -> str:
    """Kernel weights and products: warm positive, cool negative, grey zero."""
    return PALETTE.positive if v > 0 else PALETTE.negative if v < 0 else PALETTE.grid


def place(grid: VMobject, left: float | None = None, top: float = TOP, x: float | None = None) -> VMobject:
    """Put a grid by its top edge and its left edge (or its centre x)."""
    grid.move_to(np.array([x if x is not None else left + grid.width / 2, top - grid.height / 2, 0]))
    return grid


def heading(text: str, over: VMobject, y: float = LABEL_Y) -> VMobject:
    return cjk(text, 22, PALETTE.muted).move_to(np.array([over.get_x(), y, 0]))


class MapScale:
    """One viridis scale for every response map, from the traces' own range."""

    def __init__(self, *maps: np.ndarray) -> None:
        self.lo = float(min(m.min() for m in maps))
        self.hi = float(max(m.max() for m in maps))

    def fill(self, v: float) -> str:
        return viridis((v - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.0)

    def bar(self, height: float) -> VGroup:
        return heat_scale(self.lo, self.hi, height=height, label="响应", fmt=num)


def blank_map(rows: int, cols: int, cell: float) -> CellGrid:
    return CellGrid(np.zeros((rows, cols)), cell=cell, fill=lambda v: PALETTE.background,
                    stroke=PALETTE.grid, stroke_width=2)


class Convolution(BookScene):
    """The Sobel-x kernel slides over the edge image; the same kernel finds the edge after it moves."""

    TRACES = ("convolution.default",)
    TITLE = "第3章 · 卷积：一个核滑遍全图"
    SLOW, FAST = 2.4, 0.3  # seconds per window, detailed and replayed

    def construct(self) -> None:
        self.show_image_and_kernel()
        self.first_windows()
        self.replay_rest()
        self.weight_sharing()
        self.receptive_field()
        self.shift_edge()
        self.conclude()

    # --- beats ------------------------------------------------------------------
    def show_image_and_kernel(self) -> None:
        t = self.trace(TRACE)
        self.scale = MapScale(t["orig_conv_out"], t["shifted_conv_out"])
        self.image = place(CellGrid(t["orig_image"], IMAGE_CELL, image_fill, num, 24), left=IMAGE_LEFT)
        image_head = heading(f"输入图像 {t['orig_image'].shape[0]}×{t['orig_image'].shape[1]}", self.image)
        image_note = cjk("0 = 暗，1 = 亮", 20, PALETTE.muted).next_to(self.image, DOWN, buff=0.15)
        self.kernel = place(CellGrid(t["kernel"], KERNEL_CELL, sign_fill, num, 24), x=MIDDLE_X)
        kernel_head = heading("核 K（Sobel-x）", self.kernel)
        rows, cols = t["orig_conv_out"].shape
        self.out = place(blank_map(rows, cols, MAP_CELL), left=MAP_LEFT)
        self.out_head = heading(f"特征图 {rows}×{cols}", self.out)
        self.bar = self.scale.bar(self.out.height).next_to(self.out, RIGHT, buff=0.3)
        self.counter = self.counter_line(0, len(t["orig_conv_pos"]))
        self.play(FadeIn(self.image), FadeIn(image_head), FadeIn(image_note), run_time=1.0)
        self.caption("左暗右亮的小图，中间一条竖直边缘")
        self.wait(1.0)
        self.play(FadeIn(self.kernel), FadeIn(kernel_head), run_time=0.8)
        self.caption("Sobel-x 核：右列减左列，\n专门对竖直边缘起反应")
        self.wait(0.6)
        self.play(FadeIn(self.out), FadeIn(self.out_head), FadeIn(self.bar), FadeIn(self.counter), run_time=0.8)
        self.lit = VGroup()
        self.heads = VGroup(image_head, kernel_head)
        self.image_note = image_note

    def first_windows(self) -> None:
        t = self.trace(TRACE)
        self.window = self.kernel_window(*t["orig_conv_pos"][0])
        self.products = place(CellGrid(np.zeros(t["kernel"].shape), KERNEL_CELL, sign_fill, num, 24), x=MIDDLE_X,
                              top=0.2)
        self.products_head = cjk("窗口 × 核（逐格）", 20, PALETTE.muted).next_to(self.products, UP, buff=0.15)
        self.sum = VGroup()
        self.play(FadeIn(self.window), run_time=0.6)
        self.play(FadeIn(self.products_head), FadeIn(self.products), run_time=0.5)
        self.detailed = self.detailed_windows(t)
        for k in range(max(self.detailed) + 1):
            if k in self.detailed:
                self.caption(self.detailed[k], run_time=0.5)
                self.step(t, "orig", k, self.SLOW, detail=True)
            else:
                self.step(t, "orig", k, self.SLOW / 2)

    @staticmethod
    def detailed_windows(t) -> dict[int, str]:
        """The windows replayed slowly, each with its caption.

        The first window, the first on the edge and the first all-bright one, found in the trace so that
        the captions stay true if the image changes.
        """
        patches, sums = t["orig_conv_patch"], t["orig_conv_sum"]
        right = "+".join(num(v) for v in t["kernel"][:, -1])
        found = {0: "每到一处：逐格相乘，再求和"}
        edge = int(np.argmax(sums))
        if sums[edge] > 0 and not patches[edge][:, 0].any() and patches[edge][:, -1].all():
            found[edge] = f"跨在边缘上：右列 {right}，\n左列是 0，得 {num(sums[edge])}"
        bright = [k for k in range(len(sums)) if patches[k].min() > 0]
        if bright:
            found[bright[0]] = f"全亮的区域：左右抵消，得 {num(sums[bright[0]])}"
        return found

    def replay_rest(self) -> None:
        t = self.trace(TRACE)
        start = max(self.detailed) + 1
        badge = self.badge()
        self.caption("其余位置照此办理", run_time=0.4)
        self.play(FadeIn(badge), run_time=0.3)
        for k in range(start, len(t["orig_conv_pos"])):
            self.step(t, "orig", k, self.FAST)
        self.play(FadeOut(badge), run_time=0.3)
        self.caption("均匀区域得 0，边缘两侧的列得 4")
        self.wait(0.8)

    def weight_sharing(self) -> None:
        """Four windows that tile the image, each the very same kernel, copied from the one on screen."""
        t = self.trace(TRACE)
        n, size = len(t["orig_conv_pos"]), t["kernel"].shape[0]
        rows, cols = t["orig_image"].shape
        tiles = [(i, j) for i in range(0, rows - size + 1, size) for j in range(0, cols - size + 1, size)]
        copies = VGroup(*(self.kernel_window(i, j, opacity=0.45, stroke=3) for i, j in tiles))
        self.play(FadeOut(self.window), FadeOut(self.products), FadeOut(self.products_head), FadeOut(self.sum),
                  run_time=0.5)
        self.play(AnimationGroup(*(TransformFromCopy(self.kernel, c) for c in copies), lag_ratio=0.25),
                  run_time=1.6)
        self.caption(f"{n} 个位置用的是同一个核：\n始终只有这 {t['kernel'].size} 个权重（权重共享）")
        self.play(Indicate(self.kernel, color=PALETTE.highlight, scale_factor=1.08), run_time=1.0)
        self.wait(0.6)
        self.play(FadeOut(copies), run_time=0.5)

    def receptive_field(self) -> None:
        """One output pixel on the edge, and the 3×3 window it sees."""
        t = self.trace(TRACE)
        out = t["orig_conv_out"]
        i = out.shape[0] - 1
        j = int(np.flatnonzero(out[i] == out.max())[0])
        kh, kw = t["kernel"].shape
        window = self.image.block(i, j, kh, kw, PALETTE.highlight, 5)
        cell = self.out.block(i, j, 1, 1, PALETTE.highlight, 5)
        cone = VGroup(*(DashedLine(window.get_corner(a), cell.get_corner(b), color=PALETTE.highlight,
                                   stroke_width=2, dash_length=0.1)
                        for a, b in ((UP + RIGHT, UP + LEFT), (DOWN + RIGHT, DOWN + LEFT))))
        self.play(Create(window), Create(cell), run_time=0.6)
        self.play(Create(cone), run_time=0.8)
        self.caption(f"每个输出只看 {kh}×{kw} 的一小块\n（局部感受野）：这里得 {num(out[i, j])}")
        self.wait(1.2)
        self.play(FadeOut(window), FadeOut(cell), FadeOut(cone), run_time=0.5)

    def shift_edge(self) -> None:
        t = self.trace(TRACE)
        old_map = VGroup(self.out, self.lit)
        old_head = self.out_head
        moved = old_map.copy().scale(0.7)
        moved.move_to(np.array([MIDDLE_X, 0.5 - moved.height / 2, 0]))
        self.old_head = cjk("原图的响应", 20, PALETTE.muted).next_to(moved, UP, buff=0.12)
        self.play(Transform(old_map, moved), FadeOut(old_head), FadeIn(self.old_head),
                  self.kernel.animate.scale(0.8, about_edge=UP), run_time=1.0)
        self.old_map = old_map
        self.out = place(blank_map(*t["shifted_conv_out"].shape, MAP_CELL), left=MAP_LEFT)
        self.out_head = heading("右移后的响应", self.out)
        shifted = place(CellGrid(t["shifted_image"], IMAGE_CELL, image_fill, num, 24), left=IMAGE_LEFT)
        edge_old = int(np.argmax(t["orig_image"][0] > 0))
        x_old = self.image.cells[0][edge_old].get_left()[0]
        marker = DashedLine(np.array([x_old, self.image.get_top()[1] + 0.1, 0]),
                            np.array([x_old, self.image.get_bottom()[1] - 0.1, 0]),
                            color=PALETTE.highlight, stroke_width=3, dash_length=0.1)
        marker_note = cjk("原边缘", 20, PALETTE.highlight).next_to(marker, DOWN, buff=0.08)
        self.play(FadeIn(marker), FadeIn(marker_note), FadeOut(self.image_note), run_time=0.5)
        image_head = heading(f"边缘右移{shift_text(t)}", self.image)
        self.play(Transform(self.image, shifted), FadeIn(self.out), FadeIn(self.out_head), FadeIn(image_head),
                  FadeOut(self.heads[0]), run_time=1.0)
        self.caption(f"把边缘右移{shift_text(t)}，核原封不动")
        self.lit = VGroup()
        self.counter_swap(0, len(t["shifted_conv_pos"]))
        self.window = self.kernel_window(*t["shifted_conv_pos"][0])
        badge = self.badge()
        self.play(FadeIn(self.window), FadeIn(badge), run_time=0.4)
        for k in range(len(t["shifted_conv_pos"])):
            self.step(t, "shifted", k, self.FAST, products=False)
        self.play(FadeOut(self.window), FadeOut(badge), run_time=0.4)

    def conclude(self) -> None:
        t = self.trace(TRACE)
        notes = VGroup()
        for name, grid in (("orig", self.old_map), ("shifted", self.out)):
            cols = np.flatnonzero(t[f"{name}_conv_out"][0] == t[f"{name}_conv_out"].max()) + 1
            notes.add(cjk(f"第 {cols[0]}、{cols[-1]} 列是 {num(t[f'{name}_conv_out'].max())}", 20,
                          PALETTE.muted).next_to(grid, DOWN, buff=0.15))
        self.play(FadeIn(notes), run_time=0.6)
        self.caption(f"同一个核在新位置照样认出边缘：\n响应整体右移{shift_text(t)}（平移等变）")
        self.hold(2.5)

    # --- pieces -----------------------------------------------------------------
    def badge(self) -> VMobject:
        """The replay's speed, relative to the detailed windows, left of the counter."""
        return speed_badge(f"快进 ×{self.SLOW / self.FAST:.0f}").next_to(self.counter, LEFT, buff=0.4)

    def counter_line(self, k: int, n: int) -> VGroup:
        return self.corner_panel([mono(f"位置 {k:>2d}/{n}", 24)])

    def counter_swap(self, k: int, n: int) -> None:
        new = self.counter_line(k, n)
        self.remove(self.counter)
        self.add(new)
        self.counter = new

    def kernel_window(self, i: int, j: int, opacity: float = 0.38, stroke: float = 5) -> VGroup:
        """The kernel laid over the image at window (i, j): tinted by weight sign, framed."""
        t = self.trace(TRACE)
        kh, kw = t["kernel"].shape
        tint = VGroup()
        for u in range(kh):
            for v in range(kw):
                w = t["kernel"][u, v]
                cell = self.image.cells[i + u][j + v]
                tint.add(Rectangle(width=IMAGE_CELL, height=IMAGE_CELL, stroke_width=0,
                                   fill_color=sign_fill(w), fill_opacity=opacity if w else 0.0).move_to(cell))
        return VGroup(tint, self.image.block(i, j, kh, kw, PALETTE.highlight, stroke))

    def step(self, t, name: str, k: int, seconds: float, detail: bool = False, products: bool = True) -> None:
        """Window k: move the kernel there, show its products and sum, light the output pixel."""
        i, j = (int(v) for v in t[f"{name}_conv_pos"][k])
        value = float(t[f"{name}_conv_sum"][k])
        target = self.kernel_window(i, j)
        pixel = self.out.recolor(i, j, value, self.scale.fill, num, 24)
        self.counter_swap(k + 1, len(t[f"{name}_conv_pos"]))
        anims = [Transform(self.window, target)]
        if products:
            prods = t[f"{name}_conv_products"][k]
            new_products = CellGrid(prods, KERNEL_CELL, sign_fill, num, 24).move_to(self.products)
            new_sum = mono(f"Σ = {num(value)}", 28, PALETTE.highlight).next_to(self.products, RIGHT, buff=0.3)
            anims_after = [Transform(self.products, new_products), FadeOut(self.sum), FadeIn(new_sum)]
        else:
            anims_after, new_sum = [], self.sum
        if detail:
            self.play(*anims, run_time=0.6)
            self.play(*anims_after, run_time=0.7)
            self.play(FadeIn(pixel), Indicate(new_sum, color=PALETTE.highlight, scale_factor=1.1),
                      run_time=0.6)
            self.wait(seconds - 1.9)
        else:
            self.play(*anims, *anims_after, FadeIn(pixel), run_time=seconds)
        self.sum = new_sum
        self.lit.add(pixel)


class Pooling(BookScene):
    """2×2 max-pooling of both response maps: presence and strength survive, exact position does not."""

    TRACES = ("convolution.default",)
    TITLE = "第3章 · 池化：2×2 取最大"
    SLOW, FAST = 1.8, 0.9  # seconds per window, first map and second map

    def construct(self) -> None:
        self.show_map()
        self.split_windows()
        self.pool_windows()
        self.halve()
        self.pool_shifted()
        self.compare()

    # --- beats ------------------------------------------------------------------
    def show_map(self) -> None:
        t = self.trace(TRACE)
        self.scale = MapScale(t["orig_conv_out"], t["shifted_conv_out"])
        self.left = self.map_panel("orig", POOL_LEFT[0], "原图的响应")
        self.bar = self.scale.bar(self.left["map"].height).to_edge(RIGHT, buff=SAFE + 0.45)
        self.bar.align_to(self.left["map"], UP)
        self.play(FadeIn(self.left["map"]), FadeIn(self.left["head"]), FadeIn(self.bar), run_time=1.0)
        fmap = t["orig_conv_out"]
        n = len(np.flatnonzero(fmap[0] == fmap.max()))
        self.caption(f"上一节的边缘响应图：\n边缘处的 {n} 列是 {num(fmap.max())}")
        self.wait(0.8)

    def split_windows(self) -> None:
        self.play(Create(self.left["frames"]), run_time=1.0)
        size = self.trace(TRACE)["orig_pool_window"].shape[1]
        self.caption(f"切成互不重叠的 {size}×{size} 小窗")
        self.wait(0.6)

    def pool_windows(self) -> None:
        t = self.trace(TRACE)
        self.play(FadeIn(self.left["arrow"]), FadeIn(self.left["pooled"]), FadeIn(self.left["pooled_head"]),
                  run_time=0.6)
        for k in range(len(t["orig_pool_pos"])):
            if k == 0:
                self.caption("每个小窗只留下最大值", run_time=0.4)
            if k == 1:
                n = int(t["orig_pool_n_max"][k])
                self.caption(f"窗里有 {n} 个并列最大（{num(t['orig_pool_max'][k])}），\n都圈出：留下的只是这个数",
                             run_time=0.4)
            self.pool_one(self.left, "orig", k, self.SLOW)

    def halve(self) -> None:
        t = self.trace(TRACE)
        (h, w), (ph, pw) = t["orig_conv_out"].shape, t["orig_pool_out"].shape
        note = cjk(f"{h}×{w} → {ph}×{pw}", 22, PALETTE.muted).next_to(self.left["pooled"], DOWN, buff=0.2)
        self.play(FadeIn(note), Indicate(self.left["pooled"], color=PALETTE.highlight, scale_factor=1.06),
                  run_time=0.8)
        self.caption("分辨率减半：只知道这块里有边缘，\n不再知道在块里的哪一列")
        self.wait(0.8)

    def pool_shifted(self) -> None:
        t = self.trace(TRACE)
        self.right = self.map_panel("shifted", POOL_LEFT[1], f"边缘右移{shift_text(t)}后的响应")
        self.caption("把右移后的响应图也这样池化")
        self.play(FadeIn(self.right["map"]), FadeIn(self.right["head"]), run_time=0.8)
        badge = speed_badge(f"快进 ×{self.SLOW / self.FAST:g}").to_corner(UR, buff=SAFE)
        self.play(Create(self.right["frames"]), FadeIn(self.right["arrow"]), FadeIn(self.right["pooled"]),
                  FadeIn(self.right["pooled_head"]), FadeIn(badge), run_time=0.8)
        for k in range(len(t["shifted_pool_pos"])):
            self.pool_one(self.right, "shifted", k, self.FAST)
        zero = [k for k in range(len(t["shifted_pool_max"])) if t["shifted_pool_max"][k] == 0]
        if zero:
            n = int(t["shifted_pool_n_max"][zero[0]])
            self.caption(f"左边的窗全是 0：{n} 个并列最大，\n池化结果也是 0")
        self.play(FadeOut(badge), run_time=0.4)
        self.wait(0.6)

    def compare(self) -> None:
        t = self.trace(TRACE)
        before, after = t["orig_pool_out"], t["shifted_pool_out"]
        same = [c for c in range(before.shape[1]) if np.array_equal(before[:, c], after[:, c])]
        changed = [c for c in range(before.shape[1]) if c not in same]
        marks, lines = VGroup(), VGroup()
        for cols, color in ((same, PALETTE.learned), (changed, PALETTE.error)):
            for c in cols:
                for panel in (self.left, self.right):
                    marks.add(panel["pooled"].block(0, c, before.shape[0], 1, color, 5, pad=-0.05))
        side = {0: "左", before.shape[1] - 1: "右"}
        for c in same:
            lines.add(self.bullet(PALETTE.learned, f"池化后{side.get(c, '')}列：移动前后都是 {num(after[0, c])}"
                                  "，边缘还在、强度不变"))
        for c in changed:
            lines.add(self.bullet(PALETTE.error, f"池化后{side.get(c, '')}列：{num(before[0, c])} → {num(after[0, c])}"
                                  "，响应带整个移进了右边的小窗"))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.18)
        lines.next_to(VGroup(self.left["map"], self.right["map"]), DOWN, buff=0.45)
        self.play(Create(marks), run_time=0.8)
        self.play(FadeIn(lines, shift=0.1 * UP), run_time=0.8)
        self.caption("池化留下“有没有、强不强”；\n位置只精确到半边，并非完全不变")
        self.hold(3.0)

    # --- pieces -----------------------------------------------------------------
    def map_panel(self, name: str, left: float, title: str) -> dict:
        t = self.trace(TRACE)
        fmap = t[f"{name}_conv_out"]
        size = t[f"{name}_pool_window"].shape[1]
        grid = place(CellGrid(fmap, POOL_CELL, self.scale.fill, num, 24), left=left)
        frames = VGroup(*(grid.block(i, j, size, size, PALETTE.text, 4)
                          for i in range(0, fmap.shape[0] - size + 1, size)
                          for j in range(0, fmap.shape[1] - size + 1, size)))
        pooled = blank_map(*t[f"{name}_pool_out"].shape, POOL_CELL)
        pooled.next_to(grid, RIGHT, buff=0.95).align_to(grid, UP).shift(0.5 * POOL_CELL * size * DOWN)
        arrow = Arrow(grid.get_right(), pooled.get_left(), buff=0.15, color=PALETTE.muted, stroke_width=4,
                      max_tip_length_to_length_ratio=0.25).set_y(pooled.get_y())
        return {"map": grid, "frames": frames, "pooled": pooled, "arrow": arrow,
                "head": heading(title, grid), "pooled_head": heading("池化后", pooled)}

    def pool_one(self, panel: dict, name: str, k: int, seconds: float) -> None:
        """Window k: frame it, ring every cell equal to its max, carry the max over."""
        t = self.trace(TRACE)
        pi, pj = (int(v) for v in t[f"{name}_pool_pos"][k])
        window, best = t[f"{name}_pool_window"][k], float(t[f"{name}_pool_max"][k])
        size = window.shape[0]
        grid = panel["map"]
        frame = grid.block(pi * size, pj * size, size, size, PALETTE.highlight, 6)
        rings = VGroup(*(Circle(radius=POOL_CELL * 0.4, color=PALETTE.highlight, stroke_width=4).move_to(
            grid.cell(pi * size + u, pj * size + v)) for u in range(size) for v in range(size) if window[u, v] == best))
        ai, aj = (int(v) for v in t[f"{name}_pool_argmax"][k])
        carried = grid.labels[ai][aj].copy()
        cell = panel["pooled"].recolor(pi, pj, best, self.scale.fill, num, 24)
        self.play(Create(frame), Create(rings), run_time=seconds * 0.4)
        self.play(carried.animate.move_to(cell), run_time=seconds * 0.35)
        self.play(FadeIn(cell), FadeOut(carried), FadeOut(frame), FadeOut(rings), run_time=seconds * 0.25)

    @staticmethod
    def bullet(color: str, text: str) -> VGroup:
        return VGroup(Rectangle(width=0.22, height=0.22, stroke_color=color, stroke_width=4),
                      cjk(text, 22)).arrange(RIGHT, buff=0.2)


POOL_CELL = 0.75
POOL_LEFT = (-6.6, -0.45)  # left edges of the two map panels


# --- D03.1 ----------------------------------------------------------------------
def cuboid(side: float, depth: float, color: str) -> VGroup:
    """A feature-map block: a side×side front face, ``depth`` (channels) drawn as an oblique extrusion."""
    off = depth * np.array([0.55, 0.32, 0.0])
    front = Rectangle(width=side, height=side, stroke_color=color, stroke_width=2,
                      fill_color=PALETTE.grid, fill_opacity=1.0)
    ul, ur, dr = front.get_corner(UP + LEFT), front.get_corner(UP + RIGHT), front.get_corner(DOWN + RIGHT)
    top = Polygon(ul, ur, ur + off, ul + off, stroke_color=color, stroke_width=2,
                  fill_color=interpolate_color(ManimColor(PALETTE.grid), ManimColor(PALETTE.muted), 0.45),
                  fill_opacity=1.0)
    right = Polygon(ur, dr, dr + off, ur + off, stroke_color=color, stroke_width=2,
                    fill_color=interpolate_color(ManimColor(PALETTE.grid), ManimColor(PALETTE.background), 0.4),
                    fill_opacity=1.0)
    return VGroup(right, top, front)


def ramp(start: np.ndarray, end: np.ndarray, rising: bool = True, height: float = 0.09) -> VGroup:
    """A horizontal arrow whose shaft runs along the viridis scale (dark = little, bright = much)."""
    steps, length = 24, float(end[0] - start[0]) - 0.18
    shaft = VGroup(*(Rectangle(width=length / steps, height=height, stroke_width=0,
                               fill_color=viridis((k + 0.5) / steps if rising else 1 - (k + 0.5) / steps),
                               fill_opacity=1.0) for k in range(steps))).arrange(RIGHT, buff=0)
    shaft.move_to(start + np.array([length / 2, 0, 0]))
    tip_color = viridis(1.0 if rising else 0.0)
    tip = Polygon(shaft.get_right() + 0.12 * UP, shaft.get_right() + 0.12 * DOWN, shaft.get_right() + 0.2 * RIGHT,
                  stroke_width=0, fill_color=tip_color, fill_opacity=1.0)
    return VGroup(shaft, tip)


class Fig_LeNetFlow(BookScene):
    """D03.1: input → conv → ReLU → pool → conv → … → flatten → fc → softmax, with the four trends below."""

    TITLE = "图 3-1 · LeNet 式卷积网络的数据流"

    STAGES = (  # header, block (side, depth) or kind, label under it, role under that
        ("输入图像", (1.45, 0.06), "28×28×1", ""),
        ("卷积层(多核)", (1.2, 0.4), "conv 3×3", "[边缘/纹理]"),
        ("", "relu", "ReLU", "[非线性]"),
        ("池化层", (0.95, 0.4), "maxpool", "[下采样]"),
        ("卷积层", (0.8, 0.8), "conv", "[部件]"),
        ("池化", (0.48, 0.8), "…", ""),
        ("全连接", "vector", "flatten→fc", "[向量]"),
        ("输出", "classes", "softmax", "[10类概率]"),
    )
    HEAD_Y, BLOCK_Y, LABEL_Y, ROLE_Y = 2.85, 1.5, 0.2, -0.2
    GAP = 0.5

    def construct(self) -> None:
        columns, blocks = VGroup(), []
        for head, spec, label, role in self.STAGES:
            block = self.block(spec).move_to(np.array([0, self.BLOCK_Y, 0]))
            texts = VGroup(mono(label, 18, PALETTE.muted).move_to(np.array([0, self.LABEL_Y, 0])))
            if head:
                texts.add(cjk(head, 22).move_to(np.array([0, self.HEAD_Y, 0])))
            if role:
                texts.add(cjk(role, 18, PALETTE.forward).move_to(np.array([0, self.ROLE_Y, 0])))
            columns.add(VGroup(block, texts))
            blocks.append(None if spec == "relu" else block)
        x = 0.0
        for col in columns:
            width = max(col[0].width, col[1].width)
            col.shift((x + width / 2) * RIGHT)
            for text in col[1]:
                text.set_x(col[0].get_x())
            x += width + self.GAP
        columns.set_x(0)
        real = [b for b in blocks if b is not None]
        arrows = VGroup(*(arrow_between(np.array([a.get_right()[0], self.BLOCK_Y, 0]),
                                        np.array([b.get_left()[0], self.BLOCK_Y, 0]), PALETTE.forward)
                          for a, b in zip(real, real[1:])))
        relu = columns[[s[1] for s in self.STAGES].index("relu")][0]
        hinge = VGroup(Line(np.array([-0.22, 0, 0]), ORIGIN), Line(ORIGIN, np.array([0.2, 0.2, 0])))
        hinge.set_stroke(PALETTE.muted, 3).next_to(relu, UP, buff=0.12)
        self.add(columns, arrows, hinge, self.trends())
        self.caption("层越深：视野越大越抽象，图越小通道越多")
        self.hold(1.5)

    @staticmethod
    def block(spec) -> VGroup:
        if spec == "relu":  # no block: ReLU acts on the arrow from the conv layer to the pooling layer
            return VGroup(Rectangle(width=0.6, height=0.1, stroke_width=0, fill_opacity=0))
        if spec == "vector":
            return VGroup(Rectangle(width=0.16, height=1.9, stroke_color=PALETTE.muted, stroke_width=2,
                                    fill_color=PALETTE.grid, fill_opacity=1.0))
        if spec == "classes":
            return VGroup(*(Rectangle(width=0.22, height=0.15, stroke_color=PALETTE.muted, stroke_width=1.5,
                                      fill_color=viridis(p), fill_opacity=1.0)
                            for p in np.linspace(0.1, 0.3, 10))).arrange(DOWN, buff=0.03)
        side, depth = spec
        return cuboid(side, depth, PALETTE.muted)

    def trends(self) -> VGroup:
        rows = (
            ("感受野", [("小", True), ("大", None)]),
            ("语义", [("像素/边缘", True), ("纹理", True), ("部件", True), ("物体", None)]),
            ("空间分辨率", [("高", False), ("低（被池化逐步压缩）", None)]),
            ("通道数（特征种类）", [("少", True), ("多（每层学更多种特征）", None)]),
        )
        left, right, ramp_from = -6.6, 6.6, -3.3
        group = VGroup()
        for r, (name, words) in enumerate(rows):
            y = -0.95 - 0.5 * r
            row = VGroup(cjk(name, 22, PALETTE.muted).move_to(np.array([left, y, 0]), aligned_edge=LEFT))
            items = [cjk(w, 22) for w, _ in words]
            widths = sum(i.width for i in items)
            gap = (right - ramp_from - widths) / (len(items) - 1)
            x = ramp_from
            for item, (_, rising) in zip(items, words):
                item.move_to(np.array([x, y, 0]), aligned_edge=LEFT)
                row.add(item)
                x += item.width
                if rising is not None:
                    row.add(ramp(np.array([x + 0.15, y, 0]), np.array([x + gap - 0.15, y, 0]), rising))
                    x += gap
            group.add(row)
        return group
