"""Chapter 6 on screen: the run's corpus size, counters, side cosines, neighbours and the toy result are the trace's.

The scene is dry-run at the defaults and at a smaller, differently shaped run (``sentences=1000``, ``dim=8``,
marked slow: it trains its own traces);
every expected value is read from the trace of that same run and written with the kit formatter the
scene uses, and the default run's sizes must not appear in the other one.
"""

from __future__ import annotations

import pytest

from pipeline.checks.ch06 import BOOK_TOY_ANALOGY
from scenes.kit.numbers import fixed, plain
from screenlog import Screen, screen

RUNS = {"defaults": (), "small": ("word2vec.sentences=1000", "word2vec.dim=8")}
BOTH = pytest.mark.parametrize("run", ["defaults", pytest.param("small", marks=pytest.mark.slow)])


def shown(run: str) -> Screen:
    return screen("ch06.Parallelogram", *RUNS[run])


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


def after(s: Screen, marker: str) -> list[str]:
    """The entries that follow the first entry reading ``marker``."""
    texts = s.texts()
    return texts[texts.index(marker) + 1:]


@BOTH
def test_the_corpus_plane_and_counter_are_the_runs(run):
    s = shown(run)
    t = s.trace("word2vec.default")
    p = t.meta["params"]
    assert (p["sentences"], p["dim"]) == ((2000, 12) if run == "defaults" else (1000, 8))
    assert s.shows(f"结构化语料：{plain(len(t['sentences']))} 句，{t.metrics['vocab_size']} 个词")
    assert s.shows(f"{plain(p['dim'])} 维 → 二维")
    total = int(t["ckpt_steps"][-1])
    assert total == t.metrics["steps"]
    assert s.shows(f"训练对 {total} / {total}") and s.shows(f"损失 {fixed(t['ckpt_loss'][-1], 2)}")
    assert s.shows(f"学习率 {plain(p['lr'])}")


@BOTH
def test_the_parallel_sides_and_the_plane_share_are_measured(run):
    s = shown(run)
    t = s.trace("word2vec.default")
    i = list(t["analogy_names"]).index("royal")
    cos_up, cos_across = t["analogy_side_cos"][i]
    assert s.texts().count(f"cos = {fixed(cos_up, 2)}") >= 1 and s.shows(f"cos = {fixed(cos_across, 2)}")
    assert s.shows(f"留住了四点差异的 {plain(round(100 * float(t['proj_explained'][i])))}%")


@BOTH
def test_the_analogy_lands_on_the_runs_nearest_words(run):
    s = shown(run)
    t = s.trace("word2vec.default")
    for name in ("royal", "capital"):
        i = list(t["analogy_names"]).index(name)
        a, b, c, _ = t["analogy_words"][i]
        top, cos = str(t["analogy_top_words"][i][0]), float(t["analogy_top_cos"][i][0])
        assert s.shows(f"{a} − {b} + {c} →")
        line = after(s, f"{a} − {b} + {c} →")[:2]
        assert line == [top, fixed(cos, 2)], line
    i = list(t["analogy_names"]).index("royal")
    listed = after(s, "离落点最近的词（余弦）")[:8]
    pairs = zip(t["analogy_top_words"][i][:4], t["analogy_top_cos"][i][:4])
    expected = [x for w, c in pairs for x in (str(w), fixed(c, 2))]
    assert listed == expected
    caption_with(s, f"落点最近的词是 {t['analogy_top_words'][i][0]}（余弦 {fixed(t['analogy_top_cos'][i][0], 2)}）")
    j = list(t["analogy_names"]).index("capital")
    caption_with(s, f"两条“首都方向”的余弦 {fixed(t['analogy_side_cos'][j][0], 2)}")


@BOTH
def test_the_toy_corpus_result_is_shown_beside_the_books(run):
    s = shown(run)
    toy = s.trace("word2vec.toy")
    i = list(toy["analogy_names"]).index("royal")
    top, cos = str(toy["analogy_top_words"][i][0]), float(toy["analogy_top_cos"][i][0])
    book_word, book_cos = BOOK_TOY_ANALOGY
    assert s.shows(f"书中 {book_word} {fixed(book_cos, 2)} / 本次运行 {top} {fixed(cos, 2)}")
    assert s.shows(f"玩具语料（{toy.metrics['vocab_size']} 个词）")
    caption_with(s, f"书中 {book_word}，本次运行 {top}")


@pytest.mark.slow
def test_a_smaller_run_never_shows_the_default_sizes():
    default, small = shown("defaults").trace("word2vec.default"), shown("small").trace("word2vec.default")
    stale = [f"{int(default['ckpt_steps'][-1])}", f"{len(default['sentences'])} 句", "12 维"]
    assert int(small["ckpt_steps"][-1]) != int(default["ckpt_steps"][-1])
    texts = shown("small").texts()
    assert not [x for x in texts if any(s in x for s in stale)], stale
