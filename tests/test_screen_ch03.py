"""Chapter 3 on screen: every product, sum, response, pooled value, size and count is the trace's.

Dry runs at the book's defaults and under changed parameters: the edge moved two columns (the
response band is clipped at the border), 1×1 pooling (no window has a tie), and a 5-row image with
the edge moved two columns (the 3×4 map does not pool evenly: a row is dropped). The expected
values are computed here from the trace's arrays and params, not from the scene's helpers.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from scenes.ch03_cnn import Convolution, Pooling
from scenes.kit.numbers import plain
from screenlog import numbers_in, screen

CONV_RUNS = {"defaults": (), "shift2": ("convolution.shift=2",)}
POOL_RUNS = {"defaults": (), "pool1": ("convolution.pool=1",),
             "five_rows_shift2": ("convolution.height=5", "convolution.shift=2")}


def conv(run: str):
    return screen("ch03.Convolution", *CONV_RUNS[run])


def pool(run: str):
    return screen("ch03.Pooling", *POOL_RUNS[run])


def arr(s, field: str) -> np.ndarray:
    return s.trace().arrays[field]


def param(s, name: str) -> int:
    return int(s.trace().meta["params"][name])


def squeeze(text: str) -> str:
    return text.replace(" ", "").replace("\n", "")


def caption_with(s, fragment: str) -> str:
    """The one caption containing ``fragment`` (spaces and line breaks ignored)."""
    found = [c for c in s.captions() if squeeze(fragment) in squeeze(c)]
    assert len(found) == 1, f"{fragment!r} in {len(found)} captions: {s.captions()}"
    return squeeze(found[0])


def edge_columns(fmap: np.ndarray) -> list[int]:
    return [c for c in range(fmap.shape[1]) if np.any(fmap[:, c] != 0)]


def replay_speed(s, kind: str) -> list[tuple[float, float]]:
    """(the ×N on each speed badge, the seconds between the entries of ``kind`` that follow it)."""
    out, entries = [], s.entries
    for i, e in enumerate(entries):
        if e["text"].startswith("快进"):
            times = [x["t"] for x in entries[i:] if x["kind"] == kind]
            later = [t for t in times if t > times[0]]  # windows replayed in a batch share one time
            out.append((float(e["text"].split("×")[1]), (later[0] - times[0]) / times.count(times[0])))
    return out


# --- Convolution ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("run", CONV_RUNS)
def test_convolution_shows_each_windows_products_and_sum(run):
    s = conv(run)
    products, sums = arr(s, "orig_conv_products"), arr(s, "orig_conv_sum")
    assert s.texts("product") == [plain(v) for window in products for v in window.ravel()]
    assert s.texts("sum") == [f"Σ = {plain(v)}" for v in sums]
    assert [float(v) for v in sums] == [float(w.sum()) for w in products]


@pytest.mark.parametrize("run", CONV_RUNS)
def test_convolution_lights_the_responses_of_both_images(run):
    s = conv(run)
    expected = [plain(v) for name in ("orig", "shifted") for v in arr(s, f"{name}_conv_out").ravel()]
    assert s.texts("response") == expected


@pytest.mark.parametrize("run", CONV_RUNS)
def test_convolution_sizes_counts_and_shift_follow_the_trace(run):
    s = conv(run)
    image, out, kernel = arr(s, "orig_image"), arr(s, "orig_conv_out"), arr(s, "kernel")
    n, shift = out.size, param(s, "shift")
    assert s.shows(f"输入图像 {image.shape[0]}×{image.shape[1]}")
    assert s.shows(f"特征图 {out.shape[0]}×{out.shape[1]}")
    counters = [squeeze(t) for t in s.texts() if t.startswith("位置")]
    assert counters.count(f"位置{n}/{n}") == 2 and counters[0] == f"位置0/{n}"
    caption_with(s, f"{n} 个位置用的是同一个核")
    caption_with(s, f"只有这 {kernel.size} 个权重")
    caption_with(s, f"只看 {kernel.shape[0]}×{kernel.shape[1]} 的一小块")
    dark = int(np.argmax(image[0] > 0))
    caption_with(s, f"左 {dark} 列暗、右 {image.shape[1] - dark} 列亮")
    caption_with(s, f"把边缘右移 {shift} 列")
    assert s.shows(f"边缘右移 {shift} 列后的响应")


@pytest.mark.parametrize("run", CONV_RUNS)
def test_convolution_summary_and_equivariance_captions_follow_the_maps(run):
    s = conv(run)
    before, after, shift = arr(s, "orig_conv_out"), arr(s, "shifted_conv_out"), param(s, "shift")
    band = edge_columns(before)
    edge_value = plain(before[:, band].max())
    uniform = arr(s, "orig_conv_sum")[[p.min() == p.max() for p in arr(s, "orig_conv_patch")]]
    caption_with(s, f"均匀区域得 {plain(uniform.max())}，跨边缘的 {len(band)} 列得 {edge_value}")
    for fmap in (before, after):
        cols = edge_columns(fmap)
        assert s.shows("第 " + "、".join(str(c + 1) for c in cols) + f" 列是 {plain(fmap[:, cols].max())}")
    lost = len(band) - len(edge_columns(after))
    assert np.array_equal(after[:, shift:], before[:, :before.shape[1] - shift])  # the band slid, clipped
    if lost:
        caption_with(s, f"跟着右移 {shift} 列，出界的 {lost} 列截掉")
    else:
        caption_with(s, f"响应整体右移 {shift} 列")
    assert (lost > 0) == any("出界" in c for c in s.captions())


@pytest.mark.parametrize("run", CONV_RUNS)
def test_convolution_speed_badge_is_the_real_speed_up(run):
    s = conv(run)
    found = replay_speed(s, "response")
    assert len(found) == 2
    for factor, seconds in found:
        assert factor * seconds == pytest.approx(Convolution.SLOW, rel=0.05)


def test_convolution_shows_no_number_the_trace_does_not_hold():
    s = conv("shift2")
    image, out, kernel = arr(s, "orig_image"), arr(s, "orig_conv_out"), arr(s, "kernel")
    allowed = {float(v) for v in (*image.ravel(), *kernel.ravel(), *arr(s, "orig_conv_products").ravel(),
                                  *out.ravel(), *arr(s, "shifted_conv_out").ravel())}
    lost = len(edge_columns(out)) - len(edge_columns(arr(s, "shifted_conv_out")))
    allowed |= {float(v) for v in (*image.shape, *out.shape, *kernel.shape, kernel.size, out.size, lost,
                                   param(s, "shift"))}
    allowed |= {float(c + 1) for c in range(out.shape[1])}  # column names
    for text in s.texts()[1:]:  # [0] is the chapter title; counters and speed badges are checked above
        if not text.startswith(("位置", "快进")):
            assert set(numbers_in(text.replace("×", " ").replace("–", " "))) <= allowed, text


# --- Pooling ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("run", POOL_RUNS)
def test_pooling_carries_each_windows_max(run):
    s = pool(run)
    p = param(s, "pool")
    expected = []
    for name in ("orig", "shifted"):
        fmap, pooled = arr(s, f"{name}_conv_out"), arr(s, f"{name}_pool_out")
        assert pooled.shape == (fmap.shape[0] // p, fmap.shape[1] // p)
        for i, j in np.ndindex(pooled.shape):
            assert pooled[i, j] == fmap[i * p:(i + 1) * p, j * p:(j + 1) * p].max()
        expected += [plain(v) for v in pooled.ravel()]
    assert s.texts("pooled") == expected


@pytest.mark.parametrize("run", POOL_RUNS)
def test_pooling_words_ties_exactly_when_a_window_has_one(run):
    s = pool(run)
    p = param(s, "pool")
    windows = {name: arr(s, f"{name}_pool_window") for name in ("orig", "shifted")}
    ties = {name: [int(np.sum(w == w.max())) for w in ws] for name, ws in windows.items()}
    assert [int(v) for v in arr(s, "orig_pool_n_max")] == ties["orig"]
    tie_captions = [squeeze(c) for c in s.captions() if "并列" in c]
    assert bool(tie_captions) == any(n > 1 for n in ties["orig"] + ties["shifted"])
    for caption in tie_captions:
        if m := re.search(r"这个窗有(\d+)个并列(?:最大)?（([-\d.]+)）", caption):
            n, best = int(m[1]), m[2]
            assert any(k == n and plain(w.max()) == best for k, w in zip(ties["orig"], windows["orig"])), caption
        elif m := re.search(r"(\d+)个窗全是0（(\d+)格并列最大）", caption):
            zero = [k for k, w in enumerate(windows["shifted"]) if w.max() == 0]
            assert int(m[1]) == len(zero) and int(m[2]) == ties["shifted"][zero[0]] == p * p, caption
        else:
            raise AssertionError(f"tie wording not checked: {caption}")
    if p == 1:
        caption_with(s, "窗只有 1 格：留下的就是它自己")


@pytest.mark.parametrize("run", POOL_RUNS)
def test_pooling_sizes_follow_the_pool_parameter(run):
    s = pool(run)
    p = param(s, "pool")
    (h, w), (ph, pw) = arr(s, "orig_conv_out").shape, arr(s, "orig_pool_out").shape
    caption_with(s, f"切成互不重叠的 {p}×{p} 小窗")
    assert s.shows(f"{h}×{w} → {ph}×{pw}")
    assert any("丢弃" in c for c in s.captions()) == (h % p != 0 or w % p != 0)
    if h % p:
        caption_with(s, f"最后 {h % p} 行丢弃")
    assert any("减半" in c for c in s.captions()) == (p == 2)
    band = edge_columns(arr(s, "orig_conv_out"))
    caption_with(s, f"边缘处的 {len(band)} 列是 {plain(arr(s, 'orig_conv_out').max())}")
    assert s.shows(f"边缘右移 {param(s, 'shift')} 列后的响应")
    assert not any("2×2" in t for t in s.texts()) or p == 2


@pytest.mark.parametrize("run", POOL_RUNS)
def test_pooling_comparison_states_each_pooled_columns_values(run):
    s = pool(run)
    before, after = arr(s, "orig_pool_out"), arr(s, "shifted_pool_out")
    p, total = param(s, "pool"), before.shape[1]

    def names(cols: list[int]) -> str:  # 1-based, runs of three or more as a range
        if total == 2 and len(cols) == 1:
            return "左列" if cols[0] == 0 else "右列"
        runs = np.split(np.array(cols), np.flatnonzero(np.diff(cols) != 1) + 1)
        return "第" + "、".join(f"{r[0] + 1}–{r[-1] + 1}" if len(r) > 2 else "、".join(str(c + 1) for c in r)
                               for r in runs) + "列"

    bullets = [squeeze(t) for t in s.texts() if t.startswith("池化后") and "：" in t]
    moves: dict[tuple[str, str], list[int]] = {}
    for c in range(total):
        if not np.array_equal(before[:, c], after[:, c]):
            assert len(set(before[:, c])) == len(set(after[:, c])) == 1  # a vertical edge: columns are constant
            moves.setdefault((plain(before[0, c]), plain(after[0, c])), []).append(c)
    for (b, a), cols in moves.items():
        assert any(f"池化后{names(cols)}：{b}→{a}，" in bullet for bullet in bullets), (b, a, cols, bullets)
    assert sum("→" in b for b in bullets) == len(moves)
    kept = [c for c in range(total) if np.array_equal(before[:, c], after[:, c]) and before[:, c].any()]
    assert [b for b in bullets if "移动前后都是" in b] == (
        [f"池化后{names(kept)}：移动前后都是{plain(before[:, kept].max())}，边缘还在、强度不变"] if kept else [])
    if moves and p > 1:
        caption_with(s, f"位置只精确到 {p} 列宽的窗")
    if p == 1:
        caption_with(s, "池化没丢位置")


@pytest.mark.parametrize("run", ["pool1", "five_rows_shift2"])
def test_pooling_shows_no_number_the_trace_does_not_hold(run):
    s = pool(run)
    allowed = {float(param(s, "pool")), float(param(s, "shift"))}
    for name in ("orig", "shifted"):
        fmap, pooled = arr(s, f"{name}_conv_out"), arr(s, f"{name}_pool_out")
        allowed |= {float(v) for v in (*fmap.ravel(), *pooled.ravel(), *fmap.shape, *pooled.shape,
                                       *arr(s, f"{name}_pool_n_max"))}
        allowed |= {float(c + 1) for c in range(pooled.shape[1])}  # column names
        allowed |= {float(fmap.shape[0] % param(s, "pool")), float(len(edge_columns(fmap)))}
    allowed.add(float(sum(arr(s, "shifted_pool_max") == 0)))  # windows that are all 0
    for text in s.texts()[1:]:  # [0] is the chapter title; speed badges are checked below
        if not text.startswith("快进"):
            assert set(numbers_in(text.replace("×", " "))) <= allowed, text


def test_pooling_speed_badges_are_the_real_speed_up():
    for run in POOL_RUNS:
        found = replay_speed(pool(run), "pooled")
        assert found, run
        for factor, seconds in found:
            assert factor * seconds == pytest.approx(Pooling.SLOW, rel=0.05), run
