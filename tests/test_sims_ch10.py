"""Chapter 10 sim: a tiny GPT (causal, next token) and a tiny BERT (full mask, 15 % with 80/10/10) on one corpus."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import reel
from pipeline.checks import ch10
from screenlog import stored
from sims import pretrain
from sims.trace import Trace

SMALL = pretrain.Params(train_steps=40, corpus_size=64, eval_batch=32, device="cpu")


@pytest.fixture(scope="module")
def trained() -> Trace:
    return stored("pretrain.default")


@pytest.mark.slow
def test_both_losses_drop_well_below_the_uniform_baseline(trained) -> None:
    m = trained.metrics
    assert m["uniform_loss"] == pytest.approx(math.log(len(pretrain.VOCAB) - 1))
    assert m["gpt_final_loss"] < 0.25 * m["uniform_loss"] and m["bert_final_loss"] < 0.25 * m["uniform_loss"]
    assert m["gpt_final_loss"] > m["gpt_entropy_floor"] - 0.05  # no model beats the grammar's own entropy
    assert m["gpt_first_loss"] > 0.8 * m["uniform_loss"]  # it started near chance


@pytest.mark.slow
def test_masks_and_attention_maps(trained) -> None:
    gpt, bert = trained["gpt_attn"], trained["bert_attn"]
    assert np.triu(gpt, 1).max() == 0.0  # GPT never looks ahead
    assert np.triu(bert, 1).max() > 0.05  # BERT does
    np.testing.assert_allclose(gpt.sum(-1), 1, atol=1e-5)
    np.testing.assert_allclose(bert.sum(-1), 1, atol=1e-5)
    np.testing.assert_array_equal(trained["mask_causal"], np.tril(np.ones_like(trained["mask_full"])))


@pytest.mark.slow
def test_bert_uses_the_right_context_gpt_cannot(trained) -> None:
    """The first animal is fixed only by what follows it: BERT recovers it, GPT can only guess among four."""
    gpt, bert = trained["gpt_true_prob"], trained["bert_true_prob"]
    assert np.isnan(gpt[0]) and bert[1] > 0.9 and gpt[1] < 0.5
    masked = trained["masked_pos"]
    assert len(masked) == max(1, round(0.15 * pretrain.LENGTH))
    assert all(trained["masked_input"][i] == pretrain.MASK for i in masked)
    vocab = list(trained["vocab"])
    right = [vocab[int(trained["mask_top"][k, 0])] == trained["demo"][i] for k, i in enumerate(masked)]
    assert all(right)


@pytest.mark.slow
def test_the_80_10_10_rule_and_the_15_percent(trained) -> None:
    m = trained.metrics
    assert abs(m["masked_share"] - 0.15) < 0.01
    kept, masked, random = m["mask_rule_shares"]
    assert abs(masked - 0.8) < 0.02 and abs(kept - 0.1) < 0.02 and abs(random - 0.1) < 0.02
    rows = {r.id: r for r in ch10.rows({"pretrain.default": trained})}
    assert all(r.status == "equal" for r in rows.values()), rows


def test_generation_is_greedy_and_recorded_with_its_guesses() -> None:
    t = pretrain.run(SMALL, 0)
    assert t["gen_ids"][0] == t["demo_ids"][0] and len(t["gen_ids"]) == pretrain.LENGTH
    np.testing.assert_array_equal(t["gen_ids"][1:], t["gen_top"][:, 0])
    assert (np.diff(t["gen_top_p"], axis=1) <= 0).all()


def test_corpus_grammar() -> None:
    assert len(pretrain.ALL_SENTENCES) == 256 and all(len(s) == pretrain.LENGTH for s in pretrain.ALL_SENTENCES)
    assert pretrain.next_token_entropy().mean() == pytest.approx(3 * math.log(4) / 11)


def test_same_seed_same_trace() -> None:
    a, b = pretrain.run(SMALL, 5), pretrain.run(SMALL, 5)
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name])


def test_bad_set_exits_2_naming_the_parameter(out) -> None:
    proc = reel("sims", "pretrain", "--set", "mask_rate=0")
    assert proc.returncode == 2 and "pretrain.mask_rate" in proc.stderr
    proc = reel("sims", "pretrain", "--set", "d_model=30", "--set", "n_heads=4")
    assert proc.returncode == 2 and "n_heads" in proc.stderr
