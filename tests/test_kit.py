"""The scene kit: its formatters, and the rule that editing a kit helper re-renders exactly its users."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from scenes.kit.numbers import fixed, plain, sci, sig, signed, vector


@pytest.fixture(autouse=True, scope="module")
def private_media(tmp_path_factory):
    """Texts made here write their SVGs into a folder of the test's own, not ./media in the project."""
    from manim import tempconfig

    with tempconfig({"media_dir": str(tmp_path_factory.mktemp("media"))}):
        yield

KEYS = """
import json, sys
from pathlib import Path
from pipeline.registry import CHAPTERS, entries
from pipeline.render import scene_job, still_job, titlecard_job


def keys():
    found = {}
    for e in entries():
        if e.implemented:
            traces = {n: ("same trace", Path()) for n in e.traces}  # held fixed: only sources vary here
            found[e.target + " still"] = still_job(e, traces).key
            if e.kind == "scene":
                found[e.target] = scene_job(e, "l", traces).key
    found.update({c.tag + " card": titlecard_job(c, "l").key for c in CHAPTERS})
    return found


before = keys()
path, old, new = sys.argv[1:]
source = Path(path).read_text()
Path(path).write_text(source.replace(old, new) if old else source + new)
try:
    after = keys()
finally:
    Path(path).write_text(source)
print(json.dumps(sorted({k.removesuffix(" still") for k in before if before[k] != after[k]})))
"""


def test_numbers_are_formatted_like_the_book():
    assert [plain(2.0), plain(-0.0), plain(0.5), plain(-3)] == ["2", "0", "0.5", "-3"]
    assert [signed(0.59), signed(-3, 0), signed(0.0)] == ["+0.59", "-3", "+0.00"]
    assert [fixed(0.2799, 5), fixed(-0.0001, 2)] == ["0.27990", "0.00"]
    assert [sig(0.68412), sig(0.029944), sig(12.345), sig(0)] == ["0.684", "0.0299", "12.3", "0.000"]
    assert [sci(3.7e-5), sci(5e5)] == ["3.7e-05", "5.0e+05"]
    assert vector([2.0, 1.0]) == "[2, 1]"


def test_log_axes_label_at_most_six_decades():
    from scenes.kit.charts import decade_step

    assert [decade_step(n) for n in (3, 5, 6, 10, 20, 67)] == [1, 1, 2, 2, 4, 16]


def _changed_by(root, rel: str, old: str, new: str) -> set[str]:
    """The targets whose render keys an edit of ``rel`` changes (``old`` → ``new``; no ``old``: append)."""
    proc = subprocess.run([sys.executable, "-c", KEYS, str(root / rel), old, new], cwd=root, capture_output=True,
                          text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "REEL_OUTPUT": str(root / "output")})
    return set(json.loads(proc.stdout))


@pytest.mark.parametrize("module, users", [
    ("scenes/kit/grids.py", {"ch03.Convolution", "ch03.Pooling", "ch03.Fig_LeNetFlow", "ch05.FeaturePyramid",
                             "ch07.Bottleneck", "ch07.SoftAlignment", "ch07.Fig_BottleneckToAttention",
                             "ch08.QKVAttention", "ch08.PositionalEncoding", "ch10.MaskShapes", "ch10.Fig_GPTvsBERT",
                             "ch10.Fig_PretrainRoutes", "ch12.ValueDiffusion", "ch13.ReplayBuffer",
                             "ch13.TargetNetwork", "ch13.CartPoleDQN"}),
    ("scenes/kit/charts.py", {"ch01.XORImpossible", "ch02.Backprop", "ch04.VanishingGradient", "ch04.LSTMConveyor",
                              "ch07.Bottleneck", "ch07.SoftAlignment", "ch08.PositionalEncoding", "ch09.ReLUGate",
                              "ch09.Residual", "ch09.BatchNormScene", "ch09.AdamTrajectory", "ch13.TargetNetwork",
                              "ch13.CartPoleDQN", "ch14.PolicyShaping", "ch14.CartPolePPO", "ch15.MCTSGrowth",
                              "ch15.SelfPlayFlywheel", "ch16.TokenAsTrajectory"}),
    ("scenes/kit/cartpole.py", {"ch13.CartPoleDQN", "ch14.CartPolePPO"}),  # the two agents at work share one rig
])
def test_editing_a_kit_module_re_renders_exactly_its_users(sandbox, module, users):
    """The heat-map helper's users re-render; PerceptronLine (no chart) and every title card do not."""
    assert _changed_by(sandbox, module, "", "\n# edited by a test\n") == users


def test_editing_one_scene_re_keys_only_that_scene(sandbox):
    edit = ("class XORImpossible(PerceptronScene):\n", "class XORImpossible(PerceptronScene):\n    EDITED = True\n")
    assert _changed_by(sandbox, "scenes/ch01_perceptron.py", *edit) == {"ch01.XORImpossible"}


def test_the_pipeline_knows_the_kits_themes():
    from pipeline.paths import DEFAULT_THEME, THEMES
    from scenes.kit import palette

    assert set(THEMES) == set(palette.THEMES) and DEFAULT_THEME in THEMES


def _outlines(text) -> list:
    return [glyph.points for glyph in text.submobjects]


def test_mono_text_from_laid_out_glyphs_equals_pangos_layout():
    """``mono`` composes counters from glyphs laid out once: the same outlines, in the same order, as a Text."""
    import numpy as np
    from manim import Text

    import scenes.kit.base  # noqa: F401  (Text as the scenes build it)
    from scenes.kit.palette import MONO, PALETTE
    from scenes.kit.text import CONTEXT_FREE_SYMBOLS, _mono_from_glyphs, mono

    counters = ["更新  6368 次", "x = +0.123 m   θ = −4.5°", "第  3/500 步 · 0.06 s", "s′=(1,2)  r=-1", "a=→",
                "第 12/21 轮 · 裁剪  5.3%", "c = -1.234e-05", "t = 17 / 29", "x_t = 3（信号）"]
    contexts = ["第{}步", "0.5 {}x"]  # beside CJK, beside ASCII
    size = 22
    for text in counters + [c.format(s) for s in CONTEXT_FREE_SYMBOLS for c in contexts]:
        assert _mono_from_glyphs(text, size, PALETTE.muted) is not None, text
        made, laid_out = mono(text, size, PALETTE.muted), Text(text, font=MONO, font_size=size, color=PALETTE.muted)
        assert made.original_text == text and made.text == laid_out.text
        assert made.font_size == pytest.approx(laid_out.font_size)
        a, b = _outlines(made), _outlines(laid_out)
        assert [p.shape for p in a] == [p.shape for p in b], text
        assert max(np.abs(p - q).max() for p, q in zip(a, b)) < 1e-5, text
    assert _mono_from_glyphs("0 … 0", size, PALETTE.muted) is None  # '…' takes its form from the text around it
