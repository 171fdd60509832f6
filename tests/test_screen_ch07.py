"""Chapter 7 on screen: sentences, the size of c, α, accuracies and checkpoints are the run's own.

Each scene is dry-run on two small, cheap runs that differ in every number the scenes show (sentence
lengths, hidden size, budget), and — marked slow, since training at the default budget takes about a
minute of CPU — at the defaults. Every expected value is computed here from the trace of that same run
with the formatters the scenes use, and no run shows the other run's sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenes.ch07_attention import MAX_NUMBERED
from scenes.kit.numbers import fixed
from screenlog import Screen, screen

SMALL = ("seq2seq.steps=40", "seq2seq.max_len=9", "seq2seq.hidden=12", "seq2seq.eval_per_len=8",
         "seq2seq.batch=16", "seq2seq.checkpoints=3", "seq2seq.examples=3")
OTHER = ("seq2seq.steps=30", "seq2seq.min_len=5", "seq2seq.max_len=14", "seq2seq.hidden=7",
         "seq2seq.eval_per_len=6", "seq2seq.batch=16", "seq2seq.checkpoints=4", "seq2seq.examples=4")
RUNS = {"small": SMALL, "other": OTHER, "defaults": ()}
ALL = pytest.mark.parametrize("run", ["small", "other", pytest.param("defaults", marks=pytest.mark.slow)])


def shown(scene: str, run: str) -> Screen:
    return screen(f"ch07.{scene}", *RUNS[run])


def percent(x: float) -> str:
    return f"{x:.0%}"


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


def middle_example(t) -> int:
    lengths = t["example_lengths"]
    return int(np.argmin(np.abs(lengths - np.median(lengths))))


@ALL
def test_bottleneck_shows_each_sentence_through_the_same_c(run):
    s = shown("Bottleneck", run)
    t, m = s.trace(), s.trace().metrics
    hidden = int(t.meta["params"]["hidden"])
    assert m["context_size"] == hidden and len(t["ex0_plain_c"]) == hidden
    assert s.shows(f"：{hidden} 个数") and s.shows("大小固定")
    for k, n in enumerate(t["example_lengths"]):
        right = int((t[f"ex{k}_plain_out"] == t[f"ex{k}_tgt"]).sum())
        assert s.shows(f"{n} 个词，译对 {right} 个"), (k, n, right)
        i = int(np.flatnonzero(t["lengths"] == n)[0])
        assert s.shows(f"{n} 词：逐词 {percent(t['plain_tok_acc'][i])}")
    caption_with(s, f"{int(t['example_lengths'][-1])} 个词也只能挤进 {hidden} 个数")
    (a, b), (c, d) = m["short_lengths"], m["long_lengths"]
    caption_with(s, f"{a}–{b} 词：逐词 {percent(m['plain_short_tok'])}，整句 {percent(m['plain_short_seq'])}")
    caption_with(s, f"{c}–{d} 词：逐词 {percent(m['plain_long_tok'])}，整句 {percent(m['plain_long_seq'])}")
    words = set(t["src_words"].tolist())
    shown_words = [x for x in s.texts("text") if x in words]
    wrong = sum(int((t[f"ex{k}_plain_out"] != t[f"ex{k}_tgt"]).sum()) for k in range(len(t["example_lengths"])))
    # every word of every example once, and once more (in red) for each word the decoder got wrong
    assert len(shown_words) == int(t["example_lengths"].sum()) + wrong


@ALL
def test_soft_alignment_shows_the_trained_alpha_step_by_step(run):
    s = shown("SoftAlignment", run)
    t, m = s.trace(), s.trace().metrics
    k = middle_example(t)
    alpha, n = t[f"ex{k}_alpha"][-1], int(t["example_lengths"][k])
    caption_with(s, f"编码器给 {n} 个源词各留一个向量 hⱼ")
    for i in range(n):
        assert s.shows(f"解码第 {i + 1} / {n} 步"), i
    texts = s.texts()
    if n <= MAX_NUMBERED:  # the weights written above the words, every step, in order
        flat = [fixed(a, 2) for a in alpha.ravel()]
        pos = 0
        for x in texts:
            if pos < len(flat) and x == flat[pos]:
                pos += 1
        assert pos == len(flat), f"α numbers stop matching at {pos} of {len(flat)}"
        e0 = [fixed(v, 1) for v in t[f"ex{k}_e"][0]]
        assert any(texts[i:i + n] == e0 for i in range(len(texts))), e0  # the first step's scores e_1j
    outs = [str(t["tgt_words"][w]) for w in t[f"ex{k}_attn_out"]]
    assert all(s.shows(w) for w in outs)
    hit = float(np.mean(alpha.argmax(1) == t[f"ex{k}_align"]))
    caption_with(s, f"这句里 {percent(hit)} 的步看对了源词")
    for step in t["checkpoint_steps"]:
        assert s.shows(f"训练第 {int(step)} 步"), step
    c, d = m["long_lengths"]
    caption_with(s, f"{c}–{d} 词的留出句：逐词准确率\n有注意力 {percent(m['attn_long_tok'])}，"
                    f"只有 c {percent(m['plain_long_tok'])}")


def test_a_changed_run_never_shows_the_other_runs_sizes():
    """The sizes each run states in words (c's size, the longest sentence, the focus sentence, the
    checkpoints) are its own: nothing of the other run's shows through."""
    for run, other in (("small", "other"), ("other", "small")):
        b, a = shown("Bottleneck", run), shown("Bottleneck", other)
        own, them = b.trace().meta["params"], a.trace().meta["params"]
        assert own["hidden"] != them["hidden"] and own["max_len"] != them["max_len"]
        assert not b.shows(f"{them['hidden']} 个数"), run
        assert not b.shows(f"{them['max_len']} 个词也只能挤进"), run
        s, o = shown("SoftAlignment", run), shown("SoftAlignment", other)
        n_own = int(s.trace()["example_lengths"][middle_example(s.trace())])
        n_them = int(o.trace()["example_lengths"][middle_example(o.trace())])
        assert n_own != n_them
        assert not s.shows(f"/ {n_them} 步") and not s.shows(f"给 {n_them} 个源词"), run
        steps_them = set(o.trace()["checkpoint_steps"].tolist()) - set(s.trace()["checkpoint_steps"].tolist())
        assert not any(s.shows(f"训练第 {k} 步") for k in steps_them), run


def test_figure_reads_the_trained_alpha():
    s = screen("ch07.Fig_BottleneckToAttention", *SMALL)
    assert s.shows("【无注意力 seq2seq 2014】信息被压进单个向量 c，长句丢失")
    assert s.shows("注意力热图(目标×源)呈对角线 => 自动学会词对齐")
    assert s.shows("本次训练的 α（目标×源）")
