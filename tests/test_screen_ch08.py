"""Chapter 8 on screen: every score, weight, variance, accuracy and PE number shown is that run's trace's.

Each scene is dry-run at the defaults and under a changed parameter (a 4-token mirror task; a 32-wide
PE); the expected strings are computed here from that run's trace with the scene's own formatters.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit.numbers import fixed, sci, sig
from screenlog import Screen, screen

ATTN_RUNS = {"defaults": (), "short": ("self_attention.seq_len=4", "self_attention.train_steps=800")}
PE_RUNS = {"defaults": (), "narrow": ("positional.d_model=32", "positional.length=20")}


def percent(x: float) -> str:
    return f"{100 * float(x):.0f}%"


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


@pytest.mark.slow
@pytest.mark.parametrize("run", list(ATTN_RUNS))
def test_qkv_attention_shows_the_runs_scores_weights_and_accuracies(run):
    s = screen("ch08.QKVAttention", *ATTN_RUNS[run])
    t = s.trace()
    h, length = t.metrics["shown_head"], t["tokens"].shape[1]
    assert length == (4 if run == "short" else 6)
    i0 = 1
    caption_with(s, f"把 {length} 个字倒过来念")
    caption_with(s, f"d_k = {t.metrics['d_k']} 维")
    texts = s.texts("text")
    raw, scaled, a = t["scores_raw"][0, h, i0], t["scores_scaled"][0, h, i0], t["attn"][0, h, i0]
    for j in range(length):
        assert fixed(raw[j], 1) in texts and fixed(scaled[j], 2) in texts and fixed(a[j], 2) in texts, j
    at = list(t["var_dk"]).index(t.metrics["d_k"])
    caption_with(s, f"q·k 方差 {sig(t['var_raw'][at], 3)}")
    caption_with(s, f"缩放后 {sig(t['var_scaled'][at], 3)}")
    best = int(np.argmax(a))
    caption_with(s, f"最重的是第 {best} 个字，{fixed(a[best], 2)}")
    assert s.shows(f"逐字正确率 {percent(t.metrics['accuracy'])}")
    caption_with(s, f"平均权重 {fixed(t['mirror_weight'][0, h].mean(), 2)}")
    acc = t["causal_pos_acc"]
    half = length // 2
    caption_with(s, f"前 {half} 个位置要的字在未来：正确率 {percent(acc[:half].mean())}")
    for j in range(length):
        assert percent(acc[j]).rjust(4) in texts
    causal = t["causal_attn"][0, h]
    shown = set(texts)
    assert all(fixed(causal[i, j], 2) in shown for i in range(length) for j in range(i + 1))


@pytest.mark.slow
def test_a_four_token_run_never_shows_the_default_length():
    s = screen("ch08.QKVAttention", *ATTN_RUNS["short"])
    assert not [c for c in s.captions() if "6 个字" in c or "6×6" in c]


@pytest.mark.parametrize("run", list(PE_RUNS))
def test_positional_encoding_shows_the_runs_numbers(run):
    s = screen("ch08.PositionalEncoding", *PE_RUNS[run])
    t = s.trace()
    d = t["pe"].shape[1]
    assert d == (32 if run == "narrow" else 64)
    dog = list(t["sentence_a"]).index("狗")
    caption_with(s, f"差 {sci(t['diff_nope'][dog])}")
    caption_with(s, f"输出差了 {fixed(t['diff_pe'][dog], 2)}")
    caption_with(s, f"d_model = {d}：")
    caption_with(s, f"周期从 {sig(t.metrics['period_shortest'], 3)} 到 {sig(t.metrics['period_longest'], 3)}")
    caption_with(s, f"实测最大误差 {sci(t.metrics['rotation_max_err_book'])}")
    for i in t["wave_pairs"]:
        assert s.shows(f"周期 {sig(2 * np.pi / t['omega'][int(i)], 3)}")
    cols = min(len(t["positions"]), 24)
    assert s.shows(f"位置 pos = 0 … {cols - 1}")
    if run == "narrow":
        assert not s.shows("d_model = 64") and not s.shows("位置 pos = 0 … 23")
