"""Chapter 6 sim: skip-gram on the toy and structured corpora, its gradients, analogies and reference rows.

The default, negative and toy traces come from the dry-run trace store (``screenlog.STORE``), so the
runs the screen tests need are computed once for both files.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest

from conftest import reel
from pipeline.checks import ch06
from screenlog import stored
from sims import word2vec
from sims.trace import Trace

STATUSES = {"equal", "different", "not_reproducible"}




@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    """All three variants: the negative-sampling one costs ~5 s of CPU, so its users are marked slow."""
    return {name: stored(name) for name in ch06.TRACES}


def small(**overrides) -> word2vec.Params:
    return dataclasses.replace(word2vec.Params(sentences=200, epochs=1, dim=6, checkpoints=8), **overrides)


# --- contract -------------------------------------------------------------------------------------------------
def test_contract() -> None:
    tree = ast.parse(inspect.getsource(word2vec))
    assigns = {n.targets[0].id: n.value for n in tree.body
               if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert ast.literal_eval(assigns["VARIANTS"]) == word2vec.VARIANTS
    assert ast.literal_eval(assigns["RANGES"]) == word2vec.RANGES
    assert word2vec.Params.__dataclass_params__.frozen
    for overrides in word2vec.VARIANTS.values():
        word2vec.Params(**overrides)
    assert word2vec.RANGES["corpus"] == {"toy", "structured"} and word2vec.RANGES["method"] == {"softmax", "negative"}
    with pytest.raises(ValueError, match="corpus"):
        word2vec.Params(corpus="wiki")


@pytest.mark.parametrize("setting, names", [("corpus=wiki", ["word2vec.corpus", "structured, toy"]),
                                            ("epochs=0", ["word2vec.epochs", "[1, 5000]"]),
                                            ("sentences=-5", ["word2vec.sentences"]),
                                            ("method=cbow", ["word2vec.method", "negative, softmax"])])
def test_a_bad_value_exits_2_with_one_line(out, setting: str, names: list[str]) -> None:
    proc = reel("sims", "word2vec", "--set", setting)
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert "\n" not in line and all(n in line for n in names), line
    assert not (out / "cache" / "traces").exists() or not any((out / "cache" / "traces").rglob("*.npz"))


# --- the gradients ---------------------------------------------------------------------------------------------
def numeric_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def test_full_softmax_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    h, wout, o = rng.normal(size=4), rng.normal(size=(7, 4)), 2
    loss, gh, gw = word2vec.softmax_grads(h.copy(), wout.copy(), o)
    def f():
        return word2vec.softmax_grads(h, wout, o)[0]
    np.testing.assert_allclose(loss, -np.log(np.exp(wout @ h)[o] / np.exp(wout @ h).sum()), rtol=1e-12)
    np.testing.assert_allclose(gh, numeric_grad(f, h), atol=1e-7)
    np.testing.assert_allclose(gw, numeric_grad(f, wout), atol=1e-7)
    p = np.exp(wout @ h) / np.exp(wout @ h).sum()
    np.testing.assert_allclose(gw, np.outer(p - np.eye(7)[o], h), atol=1e-12)  # the book's p − e_o form


def test_negative_sampling_gradient_matches_finite_differences() -> None:
    rng = np.random.default_rng(4)
    h, u = rng.normal(size=4), rng.normal(size=(6, 4))  # row 0: the true context, then K = 5 negatives
    loss, gh, gu = word2vec.negative_grads(h.copy(), u.copy())
    def f():
        return word2vec.negative_grads(h, u)[0]
    sig = 1 / (1 + np.exp(-(u @ h)))
    np.testing.assert_allclose(loss, -np.log(sig[0]) - np.log(1 - sig[1:]).sum(), rtol=1e-12)
    np.testing.assert_allclose(gh, numeric_grad(f, h), atol=1e-7)
    np.testing.assert_allclose(gu, numeric_grad(f, u), atol=1e-7)


# --- the runs ---------------------------------------------------------------------------------------------------
def test_same_seed_same_trace_and_another_seed_differs() -> None:
    for method in ("softmax", "negative"):
        a, b = word2vec.run(small(method=method), 7), word2vec.run(small(method=method), 7)
        assert a.arrays.keys() == b.arrays.keys() and a.metrics == b.metrics
        for name in a.arrays:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)
        assert not np.array_equal(word2vec.run(small(method=method), 8)["win"], a["win"])


def test_the_structured_corpus_is_generated_from_the_seed() -> None:
    one = word2vec.structured_sentences(50, 0.1, np.random.default_rng([1, 1]))
    assert one == word2vec.structured_sentences(50, 0.1, np.random.default_rng([1, 1]))
    assert one != word2vec.structured_sentences(50, 0.1, np.random.default_rng([2, 1]))
    clean = word2vec.structured_sentences(400, 0.0, np.random.default_rng(0))
    for s in clean:  # without noise a king sentence only holds male, royal and adult words
        if s[2] == "king":
            assert set(s[:2] + s[3:]) <= {"he", "his", "him", "crown", "throne", "reign", "married", "elder", "grown"}


@pytest.mark.parametrize("variant", ["word2vec.default", pytest.param("word2vec.negative", marks=pytest.mark.slow)])
def test_queen_and_rome_rank_first_on_the_structured_corpus(variant: str) -> None:
    t = stored(variant)
    names = list(t["analogy_names"])
    for name, expected in (("royal", "queen"), ("capital", "Rome")):
        i = names.index(name)
        a, b, c, d = t["analogy_words"][i]
        assert d == expected and t["analogy_top_words"][i][0] == expected
        assert t["analogy_rank"][i] == 1 and t.metrics[f"{name}_top"] == expected
        assert not {a, b, c} & set(t["analogy_top_words"][i])  # query words excluded
        assert t["analogy_top_cos"][i][0] > 0.7
        assert np.all(t["analogy_side_cos"][i] > 0.7)  # both pairs of opposite sides nearly parallel


def test_neighbours_and_projection_follow_the_final_vectors() -> None:
    t = stored("word2vec.default")
    vocab, win = list(t["vocab"]), t["win"]
    np.testing.assert_array_equal(t["ckpt_win"][-1], win)
    assert t["ckpt_steps"][0] == 0 and t["ckpt_steps"][-1] == t.metrics["steps"]
    assert np.all(np.diff(t["ckpt_steps"]) > 0)
    for i, words in enumerate(t["analogy_words"]):
        ids = [vocab.index(w) for w in words]
        vec = win[ids[0]] - win[ids[1]] + win[ids[2]]
        np.testing.assert_allclose(t["analogy_vectors"][i], vec)
        cos = win @ vec / (np.linalg.norm(win, axis=1) * np.linalg.norm(vec))
        top = [vocab.index(w) for w in t["analogy_top_words"][i]]
        np.testing.assert_allclose(t["analogy_top_cos"][i], cos[top], atol=1e-9)
        rest = np.delete(cos, ids[:3] + top)
        assert rest.max() <= t["analogy_top_cos"][i][-1] + 1e-12 and np.all(np.diff(t["analogy_top_cos"][i]) <= 0)
        # one fixed plane for every checkpoint, orthonormal; the landing point is a − b + c in that plane
        basis, mean = t["proj_basis"][i], t["proj_mean"][i]
        np.testing.assert_allclose(basis.T @ basis, np.eye(2), atol=1e-10)
        for k in (0, len(t["ckpt_win"]) // 2, -1):
            np.testing.assert_allclose(t["proj_points"][i][k], (t["ckpt_win"][k][ids] - mean) @ basis, atol=1e-10)
        a, b, c, d = t["proj_points"][i][-1]
        np.testing.assert_allclose(t["proj_analogy"][i], a - b + c, atol=1e-10)
        assert (a - b)[1] > 0 and (b - c)[0] > 0  # the book's layout: a − b up, b → c to the right
    assert t.metrics["final_loss"] < t["ckpt_loss"][1] - 0.5  # training did lower the loss


def test_the_toy_rows_report_our_words_and_never_claim_the_books_cosines() -> None:
    toy, main = stored("word2vec.toy"), stored("word2vec.default")
    for id, query, rank, word, cos in ch06.BOOK_NEIGHBOURS:
        row = ch06.neighbour_row(id, toy, query, rank, word, cos)
        words, coss = ch06.ranked(toy, query)
        assert row.status == "not_reproducible" and row.computed == f"{words[rank - 1]} {coss[rank - 1]:.2f}"
    row = ch06.claim_row("RQ06.2", main, "royal", "q", "queen", "n")
    assert row.status == ("equal" if main.metrics["royal_top"] == "queen" else "different")
    assert ch06.claim_row("RQ06.x", main, "royal", "q", "princess", "n").status == "different"  # it can fail


@pytest.mark.slow
def test_reference_rows_are_present_with_honest_statuses(traces) -> None:
    rows = {r.id: r for r in ch06.rows(traces)}
    assert {f"R06.{n}" for n in range(1, 9)} <= set(rows)
    assert all(r.status in STATUSES and r.chapter == 6 for r in rows.values())
    toy = traces["word2vec.toy"]
    for id, query, rank, word, cos in ch06.BOOK_NEIGHBOURS:
        row = rows[id]
        assert row.status == "not_reproducible" and row.book == f"{word} {cos:.2f}"
        words, coss = ch06.ranked(toy, query)
        assert row.computed == f"{words[rank - 1]} {coss[rank - 1]:.2f}"
        assert ("same word" in row.note) == (words[rank - 1] == word)
    assert rows["RQ06.1"].computed == toy.metrics["royal_top"]
    assert rows["RQ06.1"].status == ("equal" if toy.metrics["royal_top"] == "princess" else "different")
    for id in ("RQ06.2", "RQ06.3", "RQ06.4", "RQ06.5"):
        assert rows[id].status == "equal", rows[id]
