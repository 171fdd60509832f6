"""Chapter 8 sims: the trained attention layer (mirror task), its causal readout, score variance; sinusoidal PE."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from conftest import reel
from pipeline.checks import ch08
from screenlog import stored
from sims import positional, self_attention
from sims.trace import Trace

STATUSES = {"equal", "different", "not_reproducible"}


@pytest.fixture(scope="module")
def attn() -> Trace:
    return stored("self_attention.default")


@pytest.fixture(scope="module")
def pe() -> Trace:
    return positional.run(positional.Params())


@pytest.mark.slow
def test_the_trained_layer_solves_the_mirror_task(attn) -> None:
    m = attn.metrics
    assert m["accuracy"] >= 0.95 and m["final_loss"] < 0.1 * m["uniform_loss"]
    # it solves it by looking at the answer's position: that weight is far above uniform 1/L
    length = attn["tokens"].shape[1]
    assert attn["mirror_weight"][:, m["shown_head"]].mean() > 3 / length
    assert (attn["pred"] == attn["targets"]).mean() >= 0.95


@pytest.mark.slow
def test_recorded_insides_are_consistent(attn) -> None:
    dk = attn.metrics["d_k"]
    np.testing.assert_allclose(attn["scores_raw"], attn["q"] @ np.swapaxes(attn["k"], -1, -2), atol=1e-4)
    np.testing.assert_allclose(attn["scores_scaled"], attn["scores_raw"] / np.sqrt(dk), atol=1e-5)
    np.testing.assert_allclose(attn["av"], attn["attn"] @ attn["v"], atol=1e-5)
    np.testing.assert_allclose(attn["attn"].sum(-1), 1, atol=1e-5)


@pytest.mark.slow
def test_causal_attention_never_looks_ahead_and_rows_sum_to_one(attn) -> None:
    a = attn["causal_attn"]
    assert np.triu(a, 1).max() == 0.0
    np.testing.assert_allclose(a.sum(-1), 1, atol=1e-5)
    # the first half needs the future: it fails there, and only there
    half = a.shape[-1] // 2
    assert attn["causal_pos_acc"][:half].max() < 0.5 and attn["causal_pos_acc"][half:].min() > 0.95


@pytest.mark.slow
def test_score_variance_grows_with_dk_and_the_scale_keeps_it_near_one(attn) -> None:
    dk, raw, scaled = attn["var_dk"], attn["var_raw"], attn["var_scaled"]
    np.testing.assert_allclose(raw / dk, 1, atol=0.1)
    np.testing.assert_allclose(scaled, 1, atol=0.1)
    assert abs(attn.metrics["var_slope_raw"] - 1) < 0.05
    assert attn["softmax_peak_raw"][-1] > 0.9 > attn["softmax_peak_scaled"][-1]  # unscaled: saturated


def test_pe_rotation_identity_holds(pe) -> None:
    assert pe.metrics["rotation_max_err"] < 1e-9 and pe.metrics["rotation_max_err_book"] < 1e-9
    table, m1 = pe["pe"], pe["rotations"][0]
    np.testing.assert_allclose(table[1:], table[:-1] @ m1.T, atol=1e-9)
    assert not np.allclose(table[1:], table[:-1], atol=1e-3)  # and the identity is not trivially true


def test_pe_matches_the_formula_and_the_similarity_depends_on_the_offset_only(pe) -> None:
    d = pe["pe"].shape[1]
    pos, i = 5, 3
    assert pe["pe"][pos, 2 * i] == pytest.approx(np.sin(pos / 10000 ** (2 * i / d)))
    assert pe["pe"][pos, 2 * i + 1] == pytest.approx(np.cos(pos / 10000 ** (2 * i / d)))
    assert pe["pe_book"].shape[1] == 512
    assert pe.metrics["similarity_offset_spread"] < 1e-9


def test_without_pe_the_two_sentences_give_the_same_outputs_permuted(pe) -> None:
    perm = pe["perm_a_to_b"]
    np.testing.assert_allclose(pe["out_nope_a"], pe["out_nope_b"][perm], atol=1e-12)
    assert pe["diff_pe"].min() > 1e-3  # with PE every word's output moved
    assert sorted(pe["sentence_a"].tolist()) == sorted(pe["sentence_b"].tolist())
    assert pe["sentence_a"].tolist() != pe["sentence_b"].tolist()


def test_same_seed_same_trace_and_another_seed_differs() -> None:
    p = positional.Params(length=8, max_offset=3)
    a, b, c = positional.run(p, 0), positional.run(p, 0), positional.run(p, 1)
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["out_pe_a"], c["out_pe_a"])


def test_attention_sim_is_deterministic_for_a_seed() -> None:
    p = self_attention.Params(train_steps=30, eval_batch=50, var_samples=200, var_max_log2=3, device="cpu")
    a, b = self_attention.run(p, 3), self_attention.run(p, 3)
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name])


def test_cross_parameter_rules() -> None:
    with pytest.raises(ValueError, match="n_heads"):
        self_attention.Params(d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="max_offset"):
        positional.Params(length=8, max_offset=8)
    assert dataclasses.is_dataclass(positional.Params) and positional.Params.__dataclass_params__.frozen


@pytest.mark.slow
def test_reference_rows(attn, pe) -> None:
    rows = ch08.rows({"self_attention.default": attn, "positional.default": pe})
    by_id = {r.id: r for r in rows}
    assert all(r.status in STATUSES for r in rows)
    assert [by_id[f"R08.{k}"].status for k in range(1, 17)] == ["not_reproducible"] * 16
    assert by_id["R08.1"].book == 1.0 and by_id["R08.16"].book == 0.92
    for structural in ("R08.S1", "R08.S2", "R08.P1", "R08.P2", "R08.P3", "R08.P4"):
        assert by_id[structural].status == "equal", by_id[structural]


def test_bad_set_exits_2_naming_the_parameter(out) -> None:
    proc = reel("sims", "self_attention", "--set", "seq_len=1")
    assert proc.returncode == 2 and "self_attention.seq_len" in proc.stderr
    proc = reel("sims", "positional", "--set", "d_model=64", "--set", "max_offset=40")
    assert proc.returncode == 2 and "max_offset" in proc.stderr
