"""Sims for chapter 7: seq2seq with and without attention, and the book's single additive-attention call.

Fast tests train with a small budget via parameter overrides; the wide-margin test needs the default
budget and is marked slow (it reuses the cached default trace when there is one).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest

from conftest import reel
from pipeline.checks import ch07
from screenlog import stored
from sims import additive_attention, seq2seq
from sims.trace import Trace

SMALL = dict(steps=40, max_len=8, eval_per_len=8, checkpoints=3, examples=2, batch=16, device="cpu")


@pytest.mark.parametrize("mod", [seq2seq, additive_attention])
def test_contract(mod) -> None:
    tree = ast.parse(inspect.getsource(mod))
    assigns = {n.targets[0].id: n.value for n in tree.body
               if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert ast.literal_eval(assigns["VARIANTS"]) == mod.VARIANTS
    assert isinstance(assigns["SEED"], ast.Constant) and isinstance(assigns["SEED"].value, int)
    assert dataclasses.is_dataclass(mod.Params) and mod.Params.__dataclass_params__.frozen
    assert "manim" not in inspect.getsource(mod)


# --- the toy language ------------------------------------------------------------------------------------------
def test_translation_moves_each_adjective_behind_its_noun() -> None:
    adj, noun, link = 0, seq2seq.N_ADJ, seq2seq.N_ADJ + seq2seq.N_NOUN
    src = np.array([link, adj, noun, noun + 1, adj + 1, noun + 2])
    tgt, align = seq2seq.translate(src)
    assert tgt.tolist() == [link, noun, adj, noun + 1, noun + 2, adj + 1]
    assert align.tolist() == [0, 2, 1, 3, 5, 4]
    assert (src[align] == tgt).all()


def test_sentences_have_the_asked_length_and_every_adjective_has_its_noun() -> None:
    p, rng = seq2seq.Params(), np.random.default_rng(0)
    for n in (2, 3, 7, 20):
        for _ in range(50):
            s = seq2seq.make_sentence(n, p, rng)
            assert len(s) == n
            adj = np.flatnonzero(s < seq2seq.N_ADJ)
            assert all(j + 1 < n and seq2seq.N_ADJ <= s[j + 1] < seq2seq.N_ADJ + seq2seq.N_NOUN for j in adj)


# --- a small run: shapes, α, determinism ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> Trace:
    return seq2seq.run(seq2seq.Params(**SMALL), seed=3)


def test_alpha_rows_are_distributions_over_the_source(small) -> None:
    for k, n in enumerate(small["example_lengths"]):
        alpha = small[f"ex{k}_alpha"]
        assert alpha.shape == (3, n, n)  # checkpoints × target × source
        assert (alpha >= 0).all()
        np.testing.assert_allclose(alpha.sum(axis=2), 1.0, atol=1e-6)  # float32 softmax
        # c_i is the α-weighted sum of the recorded h_j (after training)
        np.testing.assert_allclose(small[f"ex{k}_context"], alpha[-1] @ small[f"ex{k}_h"], atol=1e-5)
        assert small[f"ex{k}_plain_c"].shape == (SMALL.get("hidden", seq2seq.Params.hidden),)


def test_recorded_shapes_and_accuracies(small) -> None:
    lengths = small["lengths"]
    assert lengths.tolist() == list(range(4, 9))
    for name in ("plain_seq_acc", "plain_tok_acc", "attn_seq_acc", "attn_tok_acc", "attn_align_acc"):
        assert small[name].shape == lengths.shape and ((0 <= small[name]) & (small[name] <= 1)).all()
    assert (small["plain_seq_acc"] <= small["plain_tok_acc"] + 1e-12).all()
    assert small["checkpoint_steps"].tolist()[0] == 0 and small["checkpoint_steps"][-1] == SMALL["steps"]
    assert len(small["plain_loss"]) == len(small["attn_loss"]) == SMALL["steps"]


def test_same_seed_same_trace(small) -> None:
    again = seq2seq.run(seq2seq.Params(**SMALL), seed=3)
    assert again.arrays.keys() == small.arrays.keys()
    for name in small.arrays:
        np.testing.assert_array_equal(again[name], small[name], err_msg=name)
    assert again.metrics == small.metrics


def test_another_seed_gives_another_run(small) -> None:
    other = seq2seq.run(seq2seq.Params(**SMALL), seed=4)
    assert not np.array_equal(other["attn_loss"], small["attn_loss"])


def test_checkpoints_are_distinct_and_span_training() -> None:
    for steps, n in ((800, 6), (10, 6), (5, 6), (1, 2)):
        got = seq2seq.checkpoint_steps(seq2seq.Params(steps=steps, checkpoints=n))
        assert len(got) == n == len(set(got)) and got[0] == 0 and got[-1] == steps and got == sorted(got)


@pytest.mark.parametrize("bad", [dict(min_len=9, max_len=8), dict(p_pair=0.8, p_noun=0.3),
                                 dict(checkpoints=5, steps=3)])
def test_cross_parameter_rules(bad) -> None:
    with pytest.raises(ValueError):
        seq2seq.Params(**bad)


# --- the default run: the bottleneck (slow: trains both models at the default budget, ~1 min) ---------------------


@pytest.fixture(scope="module")
def default() -> Trace:
    return stored("seq2seq.default")


@pytest.mark.slow
def test_attention_beats_the_fixed_vector_on_long_sources_by_a_wide_margin(default) -> None:
    m = default.metrics
    assert m["attn_long_tok"] - m["plain_long_tok"] > 0.4, m
    assert m["attn_long_seq"] > m["plain_long_seq"] + 0.2, m
    # the plain model's own accuracy falls with length, by much more than the attention model's
    assert m["plain_short_tok"] - m["plain_long_tok"] > 0.3, m
    assert (m["attn_short_tok"] - m["attn_long_tok"]) < 0.5 * (m["plain_short_tok"] - m["plain_long_tok"]), m
    # and attention has learnt an alignment far better than chance (1 / length)
    assert m["attn_align_acc"] > 3 / float(default["lengths"].mean()), m


@pytest.mark.slow
def test_reference_rows_for_chapter_7(default) -> None:
    traces = {"seq2seq.default": default, "additive_attention.default": stored("additive_attention.default")}
    rows = {r.id: r for r in ch07.rows(traces)}
    assert [rows[f"R07.{k}"].book for k in range(1, 5)] == [0.229, 0.349, 0.123, 0.299]
    assert all(rows[f"R07.{k}"].status == "not_reproducible" for k in range(1, 5))
    assert rows["S2#7"].status == "different"  # the book's printout contradicts its own sentence
    assert rows["P07.1"].status == "equal"


# --- the single additive-attention call ------------------------------------------------------------------------
def test_additive_attention_is_the_books_three_steps() -> None:
    t = additive_attention.run(additive_attention.Params())
    e = np.array([t["v"] @ np.tanh(t["Wq"] @ t["query"] + t["Wk"] @ k) for k in t["keys"]])
    np.testing.assert_allclose(t["scores"], e)
    alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    np.testing.assert_allclose(t["alpha"], alpha)
    np.testing.assert_allclose(t["context"], alpha @ t["values"])
    assert abs(t["alpha"].sum() - 1) < 1e-12
    assert t["distances"].argmin() == 2  # the query really is nearest the 3rd key
    assert t.metrics["dot_top_key"] == 3  # a dot-product score does pick it
    assert 0 <= t.metrics["near_key_wins_fraction"] <= 1


def test_rows_with_a_small_run_keep_the_book_values_and_flag_the_contradiction(small) -> None:
    traces = {"seq2seq.default": small, "additive_attention.default": additive_attention.run(
        additive_attention.Params())}
    rows = {r.id: r for r in ch07.rows(traces)}
    assert set(rows) == {"R07.1", "R07.2", "R07.3", "R07.4", "S2#7", "P07.1"}
    assert rows["S2#7"].status == "different" and "ranks it 4 of 4" in rows["S2#7"].book


# --- the CLI ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("setting, name", [("seq2seq.max_len=1", "max_len"),
                                           ("seq2seq.device=tpu", "device"),
                                           ("additive_attention.near_key=9", "near_key")])
def test_bad_set_exits_2_naming_the_parameter(setting, name, out) -> None:
    sim = setting.split(".")[0]
    proc = reel("sims", sim, "--set", setting.split(".", 1)[1])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert name in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
