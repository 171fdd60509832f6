"""Chapter 5 on screen: the pyramid's sizes, the filters' similarities and AlexNet's count are the run's.

``FeaturePyramid`` is dry-run at the defaults and with a three-stage CNN, six learned filters and the
one-GPU AlexNet (short training runs, so the changed traces cost a few seconds). Every expected string
is built here from the trace of that same run with the formatter the scene uses.
"""

from __future__ import annotations

import re

import pytest

from scenes.ch05_alexnet import LEVELS, wan
from scenes.ch05_alexnet_figures import CONVS
from scenes.kit.numbers import fixed
from screenlog import Screen, screen

SMALL = ("feature_maps.stages=3", "feature_maps.steps=60", "sobel_filters.n_filters=6", "sobel_filters.steps=200",
         "sobel_filters.patches_per_image=1000", "sobel_filters.random_filters=500", "alexnet_shapes.groups=1")
RUNS = {"defaults": (), "small": SMALL}
BOTH = pytest.mark.parametrize("run", [pytest.param("defaults", marks=pytest.mark.slow), "small"])


def shown(run: str) -> Screen:
    return screen("ch05.FeaturePyramid", *RUNS[run])


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


def after(s: Screen, marker: str, count: int) -> list[str]:
    """The ``count`` texts shown right after the entry that starts with ``marker``."""
    texts = s.texts()
    i = next(i for i, t in enumerate(texts) if t.startswith(marker))
    return texts[i + 1:i + 1 + count]


@BOTH
def test_pyramid_levels_show_the_runs_sizes(run):
    s = shown(run)
    t = s.trace("feature_maps.default")
    n = int(t.meta["params"]["stages"])
    assert n == (3 if run == "small" else 4) and len(t["stage_c"]) == n
    h, w, c, rf = (list(map(int, t[k])) for k in ("stage_h", "stage_w", "stage_c", "stage_rf"))
    for k in range(n):
        assert s.shows(f"{h[k]}×{w[k]}×{c[k]}") and s.shows(f"视野 {rf[k]} px"), k
    assert [x for x in s.texts() if x in LEVELS] == list(LEVELS[:n])
    caption_with(s, f"{h[0]}×{w[0]}×{c[0]} → {h[1]}×{w[1]}×{c[1]}")
    caption_with(s, f"到第 {n} 层：{h[-1]}×{w[-1]}×{c[-1]}")
    caption_with(s, f"看 {rf[-1]}×{rf[-1]} 像素")
    hh, ww = map(int, t["image_hw"])
    assert s.shows(f"{hh}×{ww}×1")


@BOTH
def test_the_verdict_is_the_runs_probabilities(run):
    s = shown(run)
    t = s.trace("feature_maps.default")
    probs, labels = t["probs"], [str(x) for x in t["class_labels"]]
    top = sorted(range(len(probs)), key=lambda i: -probs[i])[:3]
    for i in top:
        assert after(s, labels[i], 1) == [fixed(probs[i], 2)], labels[i]
    assert s.shows(f"留出测试 {t.metrics['test_acc']:.0%}")
    winner = labels[top[0]]
    if t.metrics["predicted"] == "chelsea":
        caption_with(s, f"“{winner}” {fixed(probs[top[0]], 2)}。猫不是一步认出")
    else:
        caption_with(s, f"这次网络判断为“{winner}”")


@BOTH
def test_filters_show_their_measured_similarities(run):
    s = shown(run)
    t = s.trace("sobel_filters.default")
    m, n = t.metrics, len(t["filters"])
    assert n == (6 if run == "small" else 8)
    assert after(s, "训练前", n) == [fixed(c, 2) for c in t["cos_init"]]
    assert after(s, "颜色：权重", n) == [fixed(c, 2) for c in t["cos"]]
    assert s.shows(f"从 {m['n_patches']} 个照片小块里自己学出的 {n} 个 3×3 核")
    caption_with(s, f"平均相似度\n只有 {fixed(m['mean_cos_init'], 2)}")
    strong = int((t["cos"] > m["random_p95"]).sum())
    caption_with(s, f"学出的核平均相似度 {fixed(m['mean_cos'], 2)}；\n{strong}/{n} 个超过 95% 的随机核"
                    f"（{fixed(m['random_p95'], 2)}）")
    caption_with(s, f"{len(t['cos_random'])} 个随机核平均只有 {fixed(m['mean_cos_random'], 2)}")


@BOTH
def test_alexnet_count_is_the_modules(run):
    s = shown(run)
    a = s.trace("alexnet_shapes.default").metrics
    assert a["total_params"] == (62_378_344 if run == "small" else 60_965_224)
    assert s.shows(f"本次按结构算 {wan(a['total_params'])}") and s.shows("书中约 6000 万")
    assert s.shows(f"（{a['conv_layers']} 个卷积层 + {a['fc_layers']} 个全连接层）")


@pytest.mark.slow
def test_the_small_run_shows_none_of_the_default_numbers():
    small, default = shown("small"), shown("defaults")
    d_maps, d_filters = default.trace("feature_maps.default"), default.trace("sobel_filters.default")
    stale = ["8×8×64", "视野 46 px", "大部件",
             f"本次按结构算 {wan(default.trace('alexnet_shapes.default').metrics['total_params'])}"]
    s_filters = small.trace("sobel_filters.default")
    if fixed(d_filters.metrics["mean_cos"], 2) != fixed(s_filters.metrics["mean_cos"], 2):
        stale.append(f"平均相似度 {fixed(d_filters.metrics['mean_cos'], 2)}")
    stale.append(f"{len(d_filters['cos_random'])} 个随机核")
    assert d_maps.meta["params"]["stages"] == 4
    leaked = [x for x in stale if small.shows(x)]
    assert not leaked, leaked


@pytest.mark.parametrize("sets", [(), ("alexnet_shapes.input_size=131",)])
def test_figure_sizes_are_the_modules(sets):
    s = screen("ch05.Fig_AlexNetThreads", *sets)
    t = s.trace("alexnet_shapes.default")
    names = [str(n) for n in t["layer_names"]]
    side = int(t.meta["params"]["input_size"])
    assert s.shows(f"{side}x{side}x3")
    lane = [f"{int(t['out_h'][i])}²×{int(t['out_c'][i]) // 2}" for i in map(names.index, CONVS)]
    assert [x for x in s.texts() if re.fullmatch(r"\d+²×\d+", x)] == lane * 2  # one lane per GPU
    if sets:
        assert not s.shows("227x227x3") and not s.shows("55²×48")
