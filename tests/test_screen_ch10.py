"""Chapter 10 on screen: losses, generation, guesses and probabilities shown are that run's trace's.

Dry-run at the defaults and with a smaller, shorter-trained model (different weights, so different numbers).
"""

from __future__ import annotations

import numpy as np
import pytest

from scenes.kit.numbers import fixed
from screenlog import Screen, screen

RUNS = {"defaults": (), "small": ("pretrain.d_model=16", "pretrain.train_steps=300")}


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


@pytest.mark.slow
@pytest.mark.parametrize("run", list(RUNS))
def test_mask_shapes_shows_the_runs_numbers(run):
    s = screen("ch10.MaskShapes", *RUNS[run])
    t = s.trace()
    m = t.metrics
    assert t.meta["params"]["d_model"] == (16 if run == "small" else 32)
    caption_with(s, f"GPT 损失 {fixed(m['gpt_final_loss'], 2)}")
    caption_with(s, f"BERT {fixed(m['bert_final_loss'], 2)}（瞎猜是 {fixed(m['uniform_loss'], 2)}）")
    vocab = [str(c) for c in t["vocab"]]
    gen = "".join(vocab[int(i)] for i in t["gen_ids"])
    assert s.shows("生成：" + gen)
    last = len(gen) - 2
    words = "  ".join(f"{vocab[int(t['gen_top'][last, k])]} {fixed(t['gen_top_p'][last, k], 2)}" for k in range(3))
    assert s.shows(f"第{last + 1:2d}步猜：{words}")
    for k, i in enumerate(t["masked_pos"]):
        assert s.shows(f"■{k + 1} → {vocab[int(t['mask_top'][k, 0])]} {fixed(t['mask_top_p'][k, 0], 2)}")
    gpt, bert = t["gpt_true_prob"], t["bert_true_prob"]
    k = int(np.argmax(np.where(np.isnan(gpt), -np.inf, bert - gpt)))
    caption_with(s, f"猜中概率 {fixed(gpt[k], 2)}")
    caption_with(s, f"看两边，{fixed(bert[k], 2)}")
    p1 = t["gen_top_p"][:, 0]
    caption_with(s, f"{int((p1 < 0.5).sum())} 步只能在几个候选里猜（最高才 {fixed(p1.min(), 2)}）")


@pytest.mark.slow
def test_the_small_run_shows_none_of_the_default_losses():
    default, small = screen("ch10.MaskShapes"), screen("ch10.MaskShapes", *RUNS["small"])
    d, m = default.trace().metrics, small.trace().metrics
    assert fixed(d["gpt_final_loss"], 2) != fixed(m["gpt_final_loss"], 2)
    assert not small.shows(f"GPT 损失 {fixed(d['gpt_final_loss'], 2)}")
