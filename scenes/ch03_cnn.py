"""Chapter 3 — 卷积网络: one small kernel, slid everywhere; then max-pooling.

``Convolution`` replays the Sobel-x kernel over the edge image window by
window (the products, their sum, the output pixel it lights), shows that it is
one kernel reused everywhere looking through a small window, then moves the
edge and replays. ``Pooling`` max-pools both response maps and shows honestly
what survives: presence and strength, not exact position.

Every size, count and value on screen is read from ``convolution.default``
(its arrays and params), and the wording follows the data (which windows tie,
whether the response band is clipped at the border), so ``reel render --set
convolution.shift=2`` or ``convolution.pool=1`` still tells the truth. The
diagram D03.1 lives in ``ch03_cnn_figures.py``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import (
    DOWN,
    LEFT,
    RIGHT,
    UP,
    AnimationGroup,
    Arrow,
    Circle,
    Create,
    DashedLine,
    FadeIn,
    FadeOut,
    Indicate,
    MoveToTarget,
    Rectangle,
    Transform,
    TransformFromCopy,
    VGroup,
    VMobject,
    interpolate_color,
)
from manim.utils.color import ManimColor

from scenes.kit.base import SAFE, BookScene
from scenes.kit.counters import CounterPanel
from scenes.kit.grids import CellGrid, heat_scale, viridis
from scenes.kit.numbers import plain
from scenes.kit.palette import PALETTE
from scenes.kit.text import BODY_SIZE, COUNTER_SIZE, LABEL_SIZE, SMALL_SIZE, cjk, mono, speed_badge

TRACE = "convolution.default"

LABEL_Y = 2.78  # the row of panel headings
TOP = 2.45  # top edge of the main panels
MAX_CELL = 0.72  # cell side at the book's sizes; larger images get smaller cells, never smaller text
KERNEL_CELL = 0.6
CELL_TEXT = COUNTER_SIZE  # the numbers inside cells
IMAGE_LEFT = -6.6
IMAGE_BOX = (4.6, 4.4)  # width, height the image may take: the kernel column to its right, captions below
MIDDLE_X = -0.35  # centre of the kernel / products column
MAP_LEFT = 2.7
MAP_BOX = (3.0, 4.4)  # the response map, left of its colour bar
MIN_LABEL_CELL = 0.3  # cells smaller than this (a big image) are drawn without their numbers
MAX_STEPS = 32  # plays per replay at most: a big image is replayed a batch of windows at a time


# --- reading the trace (no manim: what the words say is decided here) --------------------------------------------
def first_bright(image: np.ndarray) -> int:
    """The first bright column of an edge image (its width when none is bright)."""
    row = np.asarray(image)[0] > 0
    return int(np.argmax(row)) if row.any() else len(row)


def shift_words(shift: int) -> str:
    """``右移 1 列`` / ``左移 2 列`` / ``留在原处``: the move the user asked for (``params["shift"]``)."""
    if shift == 0:
        return "留在原处"
    return f"{'右' if shift > 0 else '左'}移 {abs(shift)} 列"


def band(fmap: np.ndarray) -> list[int]:
    """The columns of a response map where something responded."""
    return [int(c) for c in np.flatnonzero(np.any(np.asarray(fmap) != 0, axis=0))]


def values_words(values: Sequence[float]) -> str:
    """``4``, or ``2、4`` when several different values are meant."""
    return "、".join(plain(v) for v in sorted(set(float(v) for v in values)))


def columns_words(cols: Sequence[int], total: int) -> str:
    """1-based column names, runs of three or more as ranges: ``第 2、3 列``, ``第 1–3、6–9 列``; ``左列`` or
    ``右列`` when there are only two columns."""
    cols = sorted(cols)
    if total == 2 and len(cols) == 1:
        return "左列" if cols[0] == 0 else "右列"
    runs: list[list[int]] = []
    for c in cols:
        if runs and c == runs[-1][-1] + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    parts = [f"{r[0] + 1}–{r[-1] + 1}" if len(r) > 2 else "、".join(str(c + 1) for c in r) for r in runs]
    return f"第 {'、'.join(parts)} 列"


def moved(fmap: np.ndarray, shift: int) -> np.ndarray:
    """``fmap`` slid ``shift`` columns sideways, what slides past the border lost, zeros coming in."""
    out, cols = np.zeros_like(fmap), fmap.shape[1]
    if abs(shift) < cols:
        src = slice(max(-shift, 0), cols - max(shift, 0))
        out[:, max(shift, 0):cols + min(shift, 0)] = fmap[:, src]
    return out


def equivariance_caption(t) -> str:
    """What the second replay showed: the response slid with the edge (and what fell off the border)."""
    before, after, shift = t["orig_conv_out"], t["shifted_conv_out"], int(t.params["shift"])
    if shift == 0:
        return "边缘没动，响应也一模一样"
    if not np.array_equal(moved(before, shift), after):
        before_cols, after_cols = columns_words(band(before), 0), columns_words(band(after), 0)
        return f"边缘{shift_words(shift)}：响应带从{before_cols}\n到了{after_cols}"
    lost = len(band(before)) - len(band(after))
    if lost > 0:
        return f"响应带跟着{shift_words(shift)}，出界的 {lost} 列截掉：\n同一个核照样认出边缘（平移等变）"
    return f"同一个核在新位置照样认出边缘：\n响应整体{shift_words(shift)}（平移等变）"


def tie_window(maxes: np.ndarray, n_max: np.ndarray) -> int | None:
    """The pooling window to talk about ties at: the first tie on a response after window 0 (which has the
    opening caption), else any tie after it, else window 0 if it ties, else none."""
    ties = [k for k in range(len(n_max)) if n_max[k] > 1]
    later = [k for k in ties if k > 0]
    strong = [k for k in later if maxes[k] > 0]
    return (strong or later or ties or [None])[0]


def replay_seconds(count: int, most: float, budget: float) -> float:
    """Seconds per window for a replay of ``count`` windows: ``most``, less when the run is long."""
    return min(most, budget / max(count, 1))


def batches(ks: Sequence[int], most: int = MAX_STEPS) -> list[list[int]]:
    """``ks`` in order, cut into at most ``most`` runs of consecutive windows of one size."""
    ks = list(ks)
    size = max(1, -(-len(ks) // most))
    return [ks[i:i + size] for i in range(0, len(ks), size)]


def speed_text(slow: float, fast: float) -> str:  # KIT CANDIDATE (text.speed_badge's wording)
    """The replay's speed relative to the detailed windows, as it really is (``×8``, ``×3.5``)."""
    ratio = slow / fast
    return f"快进 ×{round(ratio)}" if ratio >= 10 or abs(ratio - round(ratio)) < 0.05 else f"快进 ×{ratio:.1f}"


# --- drawing ------------------------------------------------------------------------------------------------------
def fit_cell(shape: tuple[int, ...], box: tuple[float, float], most: float = MAX_CELL) -> float:  # KIT CANDIDATE
    """The largest cell (up to ``most``) that fits a rows×cols grid in a width×height box."""
    rows, cols = shape[:2]
    return min(most, box[0] / cols, box[1] / rows)


def numbers(cell: float):
    """The cell formatter for a grid of ``cell``-sized cells: none when the numbers would not fit."""
    return plain if cell >= MIN_LABEL_CELL else None


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
    return cjk(text, LABEL_SIZE, PALETTE.muted).move_to(np.array([over.get_x(), y, 0]))


def blank_map(shape: tuple[int, ...], cell: float) -> CellGrid:
    """An empty grid (no numbers: nothing is known there yet)."""
    return CellGrid(np.zeros(shape[:2]), cell=cell, fill=lambda v: PALETTE.background, stroke=PALETTE.grid,
                    stroke_width=2)


class MapScale:
    """One viridis scale for every response map, from the traces' own range."""

    def __init__(self, *maps: np.ndarray) -> None:
        self.lo = float(min(m.min() for m in maps))
        self.hi = float(max(m.max() for m in maps))

    def fill(self, v: float) -> str:
        return viridis((v - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.0)

    def bar(self, height: float) -> VGroup:
        ticks = (self.lo, self.hi) if self.hi > self.lo else (self.lo,)
        return heat_scale(self.lo, self.hi, height=height, label="响应", ticks=ticks, fmt=plain)


def show_numbers(scene: BookScene, mob: VMobject, kind: str) -> VMobject:
    """Log the numbers in ``mob`` under ``kind`` (``sum``, ``product``, ``response``, ``pooled``) so that tests
    can read them from the screen log apart from the rest; the scene then shows ``mob`` as usual."""
    scene.log_on_screen(mob, kind=kind)
    return mob


class Convolution(BookScene):
    """The Sobel-x kernel slides over the edge image; the same kernel finds the edge after it moves."""

    TRACES = ("convolution.default",)
    TITLE = "第3章 · 卷积：一个核滑遍全图"
    SLOW, FAST = 2.4, 0.3  # seconds per window, detailed and replayed (faster still on big images)
    WALK_BUDGET, REPLAY_BUDGET = 4.0, 6.0  # seconds at most for the plain windows before / after the details

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
        image, out = t["orig_image"], t["orig_conv_out"]
        self.scale = MapScale(out, t["shifted_conv_out"])
        self.image_cell, self.map_cell = fit_cell(image.shape, IMAGE_BOX), fit_cell(out.shape, MAP_BOX)
        self.image = place(CellGrid(image, self.image_cell, image_fill, numbers(self.image_cell), CELL_TEXT),
                           left=IMAGE_LEFT)
        image_head = heading(f"输入图像 {image.shape[0]}×{image.shape[1]}", self.image)
        self.image_note = cjk("0 = 暗，1 = 亮", SMALL_SIZE, PALETTE.muted).next_to(self.image, DOWN, buff=0.15)
        self.kernel = place(CellGrid(t["kernel"], KERNEL_CELL, sign_fill, plain, CELL_TEXT), x=MIDDLE_X)
        kh, kw = t["kernel"].shape
        kernel_head = heading(f"核 K（Sobel-x，{kh}×{kw}）", self.kernel)
        self.out = place(blank_map(out.shape, self.map_cell), left=MAP_LEFT)
        self.out_head = heading(f"特征图 {out.shape[0]}×{out.shape[1]}", self.out)
        self.bar = self.scale.bar(self.out.height).next_to(self.out, RIGHT, buff=0.3)
        self.counter = CounterPanel(lambda k, n: [f"位置 {k:>2d}/{n}"])
        self.play(FadeIn(self.image), FadeIn(image_head), FadeIn(self.image_note), run_time=1.0)
        self.caption(self.image_caption(image))
        self.wait(1.0)
        self.play(FadeIn(self.kernel), FadeIn(kernel_head), run_time=0.8)
        self.caption("Sobel-x 核：右列减左列，\n专门对竖直边缘起反应")
        self.wait(0.6)
        self.play(FadeIn(self.out), FadeIn(self.out_head), FadeIn(self.bar),
                  FadeIn(self.counter.show(0, len(t["orig_conv_pos"]))), run_time=0.8)
        self.lit = VGroup()
        self.heads = VGroup(image_head, kernel_head)

    @staticmethod
    def image_caption(image: np.ndarray) -> str:
        dark = first_bright(image)
        bright = image.shape[1] - dark
        if dark == 0 or bright == 0:
            return f"一张全{'亮' if dark == 0 else '暗'}的小图：里面没有边缘"
        return f"左 {dark} 列暗、右 {bright} 列亮：\n中间是一条竖直边缘"

    def first_windows(self) -> None:
        t = self.trace(TRACE)
        self.window = self.kernel_window(*t["orig_conv_pos"][0])
        self.products = place(CellGrid(np.zeros(t["kernel"].shape), KERNEL_CELL, sign_fill), x=MIDDLE_X, top=0.2)
        self.products_head = cjk("窗口 × 核（逐格）", SMALL_SIZE, PALETTE.muted).next_to(self.products, UP, buff=0.15)
        self.sum = VGroup()
        self.play(FadeIn(self.window), run_time=0.6)
        self.play(FadeIn(self.products_head), FadeIn(self.products), run_time=0.5)
        self.detailed = self.detailed_windows(t)
        last = max(self.detailed)
        walk = replay_seconds(last + 1 - len(self.detailed), self.SLOW / 2, self.WALK_BUDGET)
        for k in range(last + 1):
            if k in self.detailed:
                self.caption(self.detailed[k], run_time=0.5)
                self.step(t, "orig", [k], self.SLOW, detail=True)
            else:
                self.step(t, "orig", [k], walk)

    @staticmethod
    def detailed_windows(t) -> dict[int, str]:
        """The windows replayed slowly, each with its caption.

        The first window, the first on the edge and the first all-bright one, found in the trace so that
        the captions stay true if the image changes.
        """
        patches, sums = t["orig_conv_patch"], t["orig_conv_sum"]
        right = "+".join(plain(v) for v in t["kernel"][:, -1])
        found = {0: "每到一处：逐格相乘，再求和"}
        edge = int(np.argmax(sums))
        if sums[edge] > 0 and not patches[edge][:, 0].any() and patches[edge][:, -1].all():
            found[edge] = f"跨在边缘上：右列 {right}，\n左列是 0，得 {plain(sums[edge])}"
        bright = [k for k in range(len(sums)) if patches[k].min() > 0]
        if bright and bright[0] not in found:
            found[bright[0]] = f"全亮的区域：左右抵消，得 {plain(sums[bright[0]])}"
        return found

    def replay_rest(self) -> None:
        t = self.trace(TRACE)
        start, n = max(self.detailed) + 1, len(t["orig_conv_pos"])
        if start < n:
            fast = replay_seconds(n - start, self.FAST, self.REPLAY_BUDGET)
            badge = self.badge(fast)
            self.caption("其余位置照此办理", run_time=0.5)
            self.play(FadeIn(badge), run_time=0.3)
            for ks in batches(range(start, n)):
                self.step(t, "orig", ks, fast * len(ks))
            self.play(FadeOut(badge), run_time=0.3)
        self.caption(self.summary_caption(t))
        self.wait(0.8)

    @staticmethod
    def summary_caption(t) -> str:
        """What the map shows: the uniform windows' value and the edge columns' value, from the windows."""
        patches, sums, out = t["orig_conv_patch"], t["orig_conv_sum"], t["orig_conv_out"]
        uniform = [sums[k] for k in range(len(sums)) if patches[k].min() == patches[k].max()]
        cols = band(out)
        parts = []
        if uniform:
            parts.append(f"均匀区域得 {values_words(uniform)}")
        if cols:
            parts.append(f"跨边缘的 {len(cols)} 列得 {values_words(out[:, cols].ravel())}")
        return "，".join(parts) if parts else "所有窗口都得 0"

    def weight_sharing(self) -> None:
        """Windows that tile the image, each the very same kernel, copied from the one on screen."""
        t = self.trace(TRACE)
        n, (kh, kw) = len(t["orig_conv_pos"]), t["kernel"].shape
        rows, cols = t["orig_image"].shape
        tiles = [(i, j) for i in range(0, rows - kh + 1, kh) for j in range(0, cols - kw + 1, kw)]
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
        """One output pixel on the edge (the strongest in the last row), and the window it sees."""
        t = self.trace(TRACE)
        out = t["orig_conv_out"]
        i = out.shape[0] - 1
        j = int(np.argmax(out[i]))
        kh, kw = t["kernel"].shape
        window = self.image.block(i, j, kh, kw, PALETTE.highlight, 5)
        cell = self.out.block(i, j, 1, 1, PALETTE.highlight, 5)
        cone = VGroup(*(DashedLine(window.get_corner(a), cell.get_corner(b), color=PALETTE.highlight,
                                   stroke_width=2, dash_length=0.1)
                        for a, b in ((UP + RIGHT, UP + LEFT), (DOWN + RIGHT, DOWN + LEFT))))
        self.play(Create(window), Create(cell), run_time=0.6)
        self.play(Create(cone), run_time=0.8)
        self.caption(f"每个输出只看 {kh}×{kw} 的一小块\n（局部感受野）：这里得 {plain(out[i, j])}")
        self.wait(1.2)
        self.play(FadeOut(window), FadeOut(cell), FadeOut(cone), run_time=0.5)

    def shift_edge(self) -> None:
        t = self.trace(TRACE)
        shift = int(t.params["shift"])
        self.shrink_first_map()
        self.out = place(blank_map(t["shifted_conv_out"].shape, self.map_cell), left=MAP_LEFT)
        self.out_head = heading(f"边缘{shift_words(shift)}后的响应", self.out)
        shifted = place(CellGrid(t["shifted_image"], self.image_cell, image_fill, numbers(self.image_cell), CELL_TEXT),
                        left=IMAGE_LEFT)
        marker = self.edge_marker(first_bright(t["orig_image"]))
        marker_note = cjk("原边缘", SMALL_SIZE, PALETTE.highlight).next_to(marker, DOWN, buff=0.08)
        self.play(FadeIn(marker), FadeIn(marker_note), FadeOut(self.image_note), run_time=0.5)
        image_head = heading(f"边缘{shift_words(shift)}", self.image)
        self.play(Transform(self.image, shifted), FadeIn(self.out), FadeIn(self.out_head), FadeIn(image_head),
                  FadeOut(self.heads[0]), run_time=1.0)
        self.caption(f"把边缘{shift_words(shift)}，核原封不动")
        self.lit = VGroup()
        n = len(t["shifted_conv_pos"])
        self.counter.swap(self, 0, n)
        self.window = self.kernel_window(*t["shifted_conv_pos"][0])
        fast = replay_seconds(n, self.FAST, self.REPLAY_BUDGET)
        badge = self.badge(fast)
        self.play(FadeIn(self.window), FadeIn(badge), run_time=0.4)
        for ks in batches(range(n)):
            self.step(t, "shifted", ks, fast * len(ks), products=False)
        self.play(FadeOut(self.window), FadeOut(badge), run_time=0.4)

    def shrink_first_map(self) -> None:
        """The first response map moves, smaller, under the kernel, to be compared with the second.

        Rebuilt at a smaller cell with its numbers at the small text size (scaling would shrink them past
        legibility on a big map), in the same structure as the map on screen so that each cell glides over.
        """
        fmap = self.trace(TRACE)["orig_conv_out"]
        rows, cols = fmap.shape
        cell = min(0.5, 2.1 / rows, 2.6 / cols)
        blank = blank_map(fmap.shape, cell).move_to(np.array([MIDDLE_X, 0.5 - cell * rows / 2, 0]))
        small = VGroup(blank, VGroup(*(blank.recolor(i, j, fmap[i, j], self.scale.fill, numbers(cell), SMALL_SIZE)
                                       for i, j in self.trace(TRACE)["orig_conv_pos"])))
        self.old_head = cjk("原图的响应", SMALL_SIZE, PALETTE.muted).next_to(small, UP, buff=0.12)
        old_map = VGroup(self.out, self.lit)
        self.play(Transform(old_map, small), FadeOut(self.out_head), FadeIn(self.old_head),
                  self.kernel.animate.scale(0.8, about_edge=UP), run_time=1.0)
        self.old_map = old_map

    def edge_marker(self, col: int) -> VMobject:
        """A dashed line on the left side of image column ``col`` (right of the last one if ``col`` is past it)."""
        cells = self.image.cells[0]
        x = cells[col].get_left()[0] if col < len(cells) else cells[-1].get_right()[0]
        return DashedLine(np.array([x, self.image.get_top()[1] + 0.1, 0]),
                          np.array([x, self.image.get_bottom()[1] - 0.1, 0]),
                          color=PALETTE.highlight, stroke_width=3, dash_length=0.1)

    def conclude(self) -> None:
        t = self.trace(TRACE)
        notes = VGroup()
        for name, grid in (("orig", self.old_map), ("shifted", self.out)):
            fmap = t[f"{name}_conv_out"]
            cols = band(fmap)
            text = (f"{columns_words(cols, 0)}是 {values_words(fmap[:, cols].ravel())}" if cols
                    else "处处是 0")
            notes.add(cjk(text, SMALL_SIZE, PALETTE.muted).next_to(grid, DOWN, buff=0.15))
        self.play(FadeIn(notes), run_time=0.6)
        self.caption(equivariance_caption(t))
        self.hold(2.5)

    # --- pieces -----------------------------------------------------------------
    def badge(self, fast: float) -> VMobject:
        """The replay's speed, relative to the detailed windows, left of the counter."""
        return speed_badge(speed_text(self.SLOW, fast)).next_to(self.counter.mob, LEFT, buff=0.4)

    def kernel_window(self, i: int, j: int, opacity: float = 0.38, stroke: float = 5) -> VGroup:
        """The kernel laid over the image at window (i, j): tinted by weight sign, framed."""
        t = self.trace(TRACE)
        kh, kw = t["kernel"].shape
        side = self.image.cell_size
        tint = VGroup()
        for u in range(kh):
            for v in range(kw):
                w = t["kernel"][u, v]
                tint.add(Rectangle(width=side, height=side, stroke_width=0, fill_color=sign_fill(w),
                                   fill_opacity=opacity if w else 0.0).move_to(self.image.cells[i + u][j + v]))
        return VGroup(tint, self.image.block(i, j, kh, kw, PALETTE.highlight, stroke))

    def step(self, t, name: str, ks: list[int], seconds: float, detail: bool = False,
             products: bool = True) -> None:
        """Windows ``ks`` (one, or a batch on a big image): the kernel moves to the last, its products and
        sum show, and every window's output pixel lights."""
        k = ks[-1]
        pos, sums = t[f"{name}_conv_pos"], t[f"{name}_conv_sum"]
        fmt = numbers(self.map_cell)
        pixels = VGroup(*(self.out.recolor(int(pos[q][0]), int(pos[q][1]), float(sums[q]), self.scale.fill, fmt,
                                           CELL_TEXT) for q in ks))
        show_numbers(self, pixels, "response")
        self.counter.swap(self, k + 1, len(pos))
        anims = [Transform(self.window, self.kernel_window(*(int(v) for v in pos[k])))]
        if products:
            new_products = CellGrid(t[f"{name}_conv_products"][k], KERNEL_CELL, sign_fill, plain, CELL_TEXT)
            show_numbers(self, new_products.move_to(self.products), "product")
            new_sum = mono(f"Σ = {plain(sums[k])}", BODY_SIZE, PALETTE.highlight).next_to(self.products, RIGHT,
                                                                                           buff=0.3)
            show_numbers(self, new_sum, "sum")
            anims_after = [Transform(self.products, new_products), FadeOut(self.sum), FadeIn(new_sum)]
        else:
            anims_after, new_sum = [], self.sum
        if detail:
            self.play(*anims, run_time=0.6)
            self.play(*anims_after, run_time=0.7)
            self.play(FadeIn(pixels), Indicate(new_sum, color=PALETTE.highlight, scale_factor=1.1), run_time=0.6)
            self.wait(seconds - 1.9)
        else:
            self.play(*anims, *anims_after, FadeIn(pixels), run_time=seconds)
        self.sum = new_sum
        self.lit.add(*pixels)


POOL_LEFT = -6.6  # left edge of the first map panel
POOL_WIDTH = 12.0  # both panels together, left of the colour bar
POOL_GAP, POOL_ARROW = 0.7, 0.95  # between the two panels; between a map and its pooled map
POOL_MAX_CELL, POOL_MAP_HEIGHT = 0.75, 3.0  # the map's height leaves room for the notes and the caption


class Pooling(BookScene):
    """Max-pooling of both response maps: presence and strength survive, exact position does not."""

    TRACES = ("convolution.default",)
    TITLE = "第3章 · 最大池化：每个小窗只留最大值"
    SLOW = 1.8  # seconds per window while it is explained
    BUDGET = 3.6  # seconds at most for the other windows of one map (sped up, and said so, past that)

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
        self.pool = int(t.params["pool"])
        self.scale = MapScale(t["orig_conv_out"], t["shifted_conv_out"])
        self.cell = self.fit_pool_cell(t)
        self.left = self.map_panel("orig", POOL_LEFT, "原图的响应")
        self.bar = self.scale.bar(self.left["map"].height).to_edge(RIGHT, buff=SAFE + 0.45)
        self.bar.align_to(self.left["map"], UP)
        self.play(FadeIn(self.left["map"]), FadeIn(self.left["head"]), FadeIn(self.bar), run_time=1.0)
        fmap = t["orig_conv_out"]
        cols = band(fmap)
        if cols:
            self.caption(f"上一节的边缘响应图：\n边缘处的 {len(cols)} 列是 {values_words(fmap[:, cols].ravel())}")
        else:
            self.caption("上一节的响应图：处处是 0")
        self.wait(0.8)

    def split_windows(self) -> None:
        t = self.trace(TRACE)
        p = self.pool
        self.play(Create(self.left["frames"]), run_time=1.0)
        (h, w), (ph, pw) = t["orig_conv_out"].shape, t["orig_pool_out"].shape
        left_over = [f"{n} {what}" for n, what in ((h - ph * p, "行"), (w - pw * p, "列")) if n]
        if left_over:
            self.play(self.left["dropped"].animate.set_opacity(0.25), run_time=0.6)
            self.caption(f"切成互不重叠的 {p}×{p} 小窗：\n凑不满一窗的最后 {'、'.join(left_over)}丢弃")
        else:
            self.caption(f"切成互不重叠的 {p}×{p} 小窗")
        self.wait(0.6)

    def pool_windows(self) -> None:
        t = self.trace(TRACE)
        self.play(FadeIn(self.left["arrow"]), FadeIn(self.left["pooled"]), FadeIn(self.left["pooled_head"]),
                  run_time=0.6)
        n = len(t["orig_pool_pos"])
        tie = tie_window(t["orig_pool_max"], t["orig_pool_n_max"])
        talk = {0: "每个小窗只留下最大值"}
        if tie is not None:
            ties, best = int(t["orig_pool_n_max"][tie]), plain(t["orig_pool_max"][tie])
            talk[tie] = (f"这个窗有 {ties} 个并列最大（{best}），\n都圈出：留下的只是这个数" if tie else
                         f"只留最大值：这个窗有 {ties} 个并列（{best}），\n都圈出，留下的只是这个数")
        elif n > 1:
            talk[1] = ("窗只有 1 格：留下的就是它自己" if self.pool == 1
                       else "每个窗的最大值只有一格：\n留下的就是圈出的那格")
        rest = replay_seconds(n - len(talk), self.SLOW, self.BUDGET)
        badge = speed_badge(speed_text(self.SLOW, rest)).to_corner(UP + RIGHT, buff=SAFE)
        groups = sorted([[k] for k in talk] + batches([k for k in range(n) if k not in talk]))
        for ks in groups:
            if ks[0] in talk:
                if badge in self.mobjects:  # the badge is only up while windows go by fast
                    self.play(FadeOut(badge), run_time=0.3)
                self.caption(talk[ks[0]], run_time=0.5)
            elif rest < self.SLOW and badge not in self.mobjects:
                self.play(FadeIn(badge), run_time=0.3)
            self.pool_one(self.left, "orig", ks, self.SLOW if ks[0] in talk else rest * len(ks))
        if badge in self.mobjects:
            self.play(FadeOut(badge), run_time=0.3)

    def halve(self) -> None:
        t = self.trace(TRACE)
        (h, w), (ph, pw) = t["orig_conv_out"].shape, t["orig_pool_out"].shape
        note = cjk(f"{h}×{w} → {ph}×{pw}", LABEL_SIZE, PALETTE.muted).next_to(self.left["pooled"], DOWN, buff=0.15)
        self.size_note = note
        self.play(FadeIn(note), Indicate(self.left["pooled"], color=PALETTE.highlight, scale_factor=1.06),
                  run_time=0.8)
        if self.pool == 1:
            self.caption("窗只有 1 格：池化原样照抄，\n分辨率和位置都没丢")
        else:
            shrink = "分辨率减半" if self.pool == 2 else f"每 {self.pool}×{self.pool} 格缩成 1 格"
            self.caption(f"{shrink}：只知道窗里有没有响应，\n不再知道在窗里的哪一列")
        self.wait(0.8)

    def pool_shifted(self) -> None:
        t = self.trace(TRACE)
        right_left = self.left["pooled"].get_right()[0] + POOL_GAP
        self.right = self.map_panel("shifted", right_left, f"边缘{shift_words(int(t.params['shift']))}后的响应")
        self.caption("把移动后的响应图也这样池化")
        self.play(FadeIn(self.right["map"]), FadeIn(self.right["head"]), run_time=0.8)
        n = len(t["shifted_pool_pos"])
        fast = replay_seconds(n, self.SLOW / 2, self.BUDGET)
        badge = speed_badge(speed_text(self.SLOW, fast)).to_corner(UP + RIGHT, buff=SAFE)
        self.play(Create(self.right["frames"]), self.right["dropped"].animate.set_opacity(0.25),
                  FadeIn(self.right["arrow"]), FadeIn(self.right["pooled"]), FadeIn(self.right["pooled_head"]),
                  FadeIn(badge), run_time=0.8)
        for ks in batches(range(n)):
            self.pool_one(self.right, "shifted", ks, fast * len(ks))
        zero = [k for k in range(n) if t["shifted_pool_max"][k] == 0]
        if zero:
            ties = int(t["shifted_pool_n_max"][zero[0]])
            self.caption(f"{len(zero)} 个窗全是 0（{ties} 格并列最大），\n池化结果也是 0" if ties > 1
                         else f"{len(zero)} 个窗是 0：池化结果也是 0")
        self.play(FadeOut(badge), run_time=0.4)
        self.wait(0.6)

    def compare(self) -> None:
        t = self.trace(TRACE)
        before, after = t["orig_pool_out"], t["shifted_pool_out"]
        total = before.shape[1]
        kept = [c for c in range(total) if np.array_equal(before[:, c], after[:, c]) and before[:, c].any()]
        empty = [c for c in range(total) if not before[:, c].any() and not after[:, c].any()]
        changed = [c for c in range(total) if not np.array_equal(before[:, c], after[:, c])]
        marks, lines = VGroup(), VGroup()
        for cols, color in ((kept, PALETTE.learned), (empty, PALETTE.muted), (changed, PALETTE.error)):
            for c in cols:
                for panel in (self.left, self.right):
                    marks.add(panel["pooled"].block(0, c, before.shape[0], 1, color, 5, pad=-0.05))
        if kept:
            lines.add(self.bullet(PALETTE.learned, f"池化后{columns_words(kept, total)}：移动前后都是 "
                                  f"{values_words(after[:, kept].ravel())}，边缘还在、强度不变"))
        if empty:
            lines.add(self.bullet(PALETTE.muted, f"池化后{columns_words(empty, total)}：前后都是 0，没有边缘"))
        moves: dict[tuple[str, str], list[int]] = {}  # (before, after) → the columns that changed so
        for c in changed:
            moves.setdefault((values_words(before[:, c]), values_words(after[:, c])), []).append(c)
        for (b, a), cols in moves.items():
            how = "响应移进了窗" if after[:, cols].max() > before[:, cols].max() else "响应移出了窗"
            lines.add(self.bullet(PALETTE.error, f"池化后{columns_words(cols, total)}：{b} → {a}，{how}"))
        lines.arrange(DOWN, aligned_edge=LEFT, buff=0.16)
        above = VGroup(self.left["map"], self.right["map"], self.size_note)
        lines.next_to(above, DOWN, buff=0.3).align_to(self.left["map"], LEFT)
        self.play(Create(marks), run_time=0.8)
        self.play(FadeIn(lines, shift=0.1 * UP), run_time=0.8)
        self.caption(self.verdict(bool(changed), bool(np.array_equal(t["orig_conv_out"], t["shifted_conv_out"]))))
        self.hold(3.0)

    def verdict(self, pooled_changed: bool, maps_equal: bool) -> str:
        """The closing caption: what pooling kept of the move, as this run showed it."""
        if maps_equal:
            return "两张响应图一样，池化结果当然也一样"
        if not pooled_changed:
            return f"池化后两张图完全一样：\n{self.pool}×{self.pool} 的窗吸收了这次移动"
        if self.pool == 1:
            return "窗只有 1 格：池化没丢位置，\n移动原样留在结果里"
        return f"池化留下“有没有、强不强”；\n位置只精确到 {self.pool} 列宽的窗，并非完全不变"

    # --- pieces -----------------------------------------------------------------
    def fit_pool_cell(self, t) -> float:
        """One cell size for both panels: each panel holds a map, an arrow and the pooled map side by side."""
        rows, cols = t["orig_conv_out"].shape
        pooled_cols = t["orig_pool_out"].shape[1]
        panel = (POOL_WIDTH - POOL_GAP) / 2 - POOL_ARROW
        return min(POOL_MAX_CELL, panel / (cols + pooled_cols), POOL_MAP_HEIGHT / rows)

    def map_panel(self, name: str, left: float, title: str) -> dict:
        t = self.trace(TRACE)
        fmap, p = t[f"{name}_conv_out"], self.pool
        grid = place(CellGrid(fmap, self.cell, self.scale.fill, numbers(self.cell), CELL_TEXT), left=left)
        pos = t[f"{name}_pool_pos"]
        frames = VGroup(*(grid.block(i * p, j * p, p, p, PALETTE.text, 4) for i, j in pos))
        ph, pw = t[f"{name}_pool_out"].shape
        dropped = VGroup(*(VGroup(grid.cells[i][j], *grid.labels[i][j:j + 1]) for i in range(fmap.shape[0])
                           for j in range(fmap.shape[1]) if i >= ph * p or j >= pw * p))
        pooled = blank_map((ph, pw), self.cell)
        pooled.next_to(grid, RIGHT, buff=POOL_ARROW).set_y(grid.get_y())
        arrow = Arrow(grid.get_right(), pooled.get_left(), buff=0.15, color=PALETTE.muted, stroke_width=4,
                      max_tip_length_to_length_ratio=0.25).set_y(pooled.get_y())
        return {"map": grid, "frames": frames, "dropped": dropped, "pooled": pooled, "arrow": arrow,
                "head": heading(title, grid), "pooled_head": heading("池化后", pooled)}

    def pool_one(self, panel: dict, name: str, ks: list[int], seconds: float) -> None:
        """Windows ``ks`` (one, or a batch on a big map): frame each, ring every cell equal to its max, carry
        the max over."""
        t = self.trace(TRACE)
        grid, p, fmt = panel["map"], self.pool, numbers(self.cell)
        frames, rings, carried, cells = VGroup(), VGroup(), VGroup(), VGroup()
        for k in ks:
            pi, pj = (int(v) for v in t[f"{name}_pool_pos"][k])
            window, best = t[f"{name}_pool_window"][k], float(t[f"{name}_pool_max"][k])
            frames.add(grid.block(pi * p, pj * p, p, p, PALETTE.highlight, 6))
            rings.add(*(Circle(radius=self.cell * 0.4, color=PALETTE.highlight, stroke_width=4).move_to(
                grid.cell(pi * p + u, pj * p + v)) for u in range(p) for v in range(p) if window[u, v] == best))
            ai, aj = (int(v) for v in t[f"{name}_pool_argmax"][k])
            cell = panel["pooled"].recolor(pi, pj, best, self.scale.fill, fmt, CELL_TEXT)
            carry = (grid.labels[ai][aj] if fmt else grid.cells[ai][aj]).copy()
            carry.generate_target()
            carried.add(carry)
            carry.target.move_to(cell)
            cells.add(cell)
        show_numbers(self, cells, "pooled")
        self.play(Create(frames), Create(rings), run_time=seconds * 0.4)
        self.play(*(MoveToTarget(c) for c in carried), run_time=seconds * 0.35)
        self.play(FadeIn(cells), FadeOut(carried), FadeOut(frames), FadeOut(rings), run_time=seconds * 0.25)

    @staticmethod
    def bullet(color: str, text: str) -> VGroup:
        return VGroup(Rectangle(width=0.22, height=0.22, stroke_color=color, stroke_width=4),
                      cjk(text, LABEL_SIZE)).arrange(RIGHT, buff=0.2)
