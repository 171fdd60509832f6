"""Chapter 8 (Transformer): the causal 4×4 printed by ``code/07_attention.py``, and the chapter's measurable claims.

The book does not state d_k, Q, K, V or the seed behind its causal matrix (BOOK_SPEC §8.4), so its 16
values cannot be re-derived: each is a ``not_reproducible`` row whose ``computed`` value is the leading
4×4 block of our trained layer's causal weights (the first four positions of a causal matrix form a causal
matrix of their own). What *is* checkable is the matrix's structure — zero above the diagonal, rows that
sum to 1 — and the chapter's prose claims on the √d_k factor and on the sinusoidal encoding.
"""

from __future__ import annotations

import numpy as np

from pipeline.checks import Row, compare, not_reproducible
from sims.trace import Trace

CHAPTER = 8
TRACES = ["self_attention.default", "positional.default"]

# BOOK_SPEC §8.4, R08.1–R08.16: "下三角注意力(位置 i 只能看 <=i)", row by row, 2 decimals
BOOK_CAUSAL = [
    [1.00, 0.0, 0.0, 0.0],
    [0.43, 0.57, 0.0, 0.0],
    [0.01, 0.03, 0.96, 0.0],
    [0.01, 0.01, 0.06, 0.92],
]
BOOK_DIGITS = 2
# BOOK_SPEC §8.4 notes / §8.6: the paper's sizes, as the chapter states them
BOOK_FACTS = {"d_model": 512, "heads": 8, "d_k": 64, "ffn": 2048, "layers": 6, "bleu_en_de": 28.4,
              "bleu_en_fr": 41.8, "gpus": 8, "days": 3.5, "year": 2017}


def causal_block(t: Trace) -> tuple[np.ndarray, int]:
    """Our leading ≤4×4 causal block (example 0, the head the scene shows) and that head."""
    head = int(t.metrics["shown_head"])
    return t["causal_attn"][0, head, :4, :4], head


def rows(traces: dict[str, Trace]) -> list[Row]:
    t, pe = traces["self_attention.default"], traces["positional.default"]
    ours, head = causal_block(t)
    n = len(ours)
    why = (f"Q, K, V, d_k and seed not stated (BOOK_SPEC §8.4); ours: the trained mirror-task layer's causal "
           f"weights, held-out example 0, head {head}, first {n} positions")
    out: list[Row] = []
    for i in range(4):
        for j in range(4):
            value = round(float(ours[i, j]), BOOK_DIGITS) if i < n and j < n else None
            out.append(not_reproducible(f"R08.{4 * i + j + 1}", CHAPTER, f"causal A[{i},{j}]", BOOK_CAUSAL[i][j],
                                        value, why))
    book = np.array(BOOK_CAUSAL)
    causal = t["causal_attn"]
    out.append(compare("R08.S1", CHAPTER, "causal A: upper triangle (max weight on a future position)",
                       float(np.triu(book, 1).max()), float(np.triu(causal, 1).max()), tol=0.0,
                       note="every example and head of our run"))
    out.append(compare("R08.S2", CHAPTER, "causal A: row sums", [round(float(s), 2) for s in book.sum(1)],
                       [round(float(s), 2) for s in ours.sum(1)], tol=0.005,
                       note=f"all rows of our run sum to 1 within {t.metrics['causal_row_sum_err']:.1e} (float32)"))
    dks = [int(d) for d in t["var_dk"]]
    at = dks.index(BOOK_FACTS["d_k"]) if BOOK_FACTS["d_k"] in dks else len(dks) - 1
    dk = dks[at]
    samples = t.meta.get("params", {}).get("var_samples", "?")
    out.append(compare("R08.P1", CHAPTER, f"Var(q·k) / d_k at d_k = {dk} (prose: variance ∝ d_k)", 1.0,
                       round(float(t["var_raw"][at]) / dk, 3), tol=0.1,
                       note=f"q, k ~ N(0,1)^d_k, {samples} pairs; log-log slope {t.metrics['var_slope_raw']:.3f}"))
    out.append(compare("R08.P2", CHAPTER, f"Var(q·k/√d_k) at d_k = {dk} (prose: back to ≈ 1)", 1.0,
                       round(float(t["var_scaled"][at]), 3), tol=0.1))
    out.append(compare("R08.P3", CHAPTER, "PE(pos+k) = M_k·PE(pos), d_model 512 (prose: a linear map)", 0.0,
                       float(pe.metrics["rotation_max_err_book"]), tol=1e-9,
                       note="max error over every position and k = 1…max_offset"))
    out.append(compare("R08.P4", CHAPTER, "self-attention without PE: 狗咬人 vs 人咬狗 outputs, same multiset", 0.0,
                       float(pe.metrics["order_blind_max_diff"]), tol=1e-9,
                       note=f"with PE the outputs differ by ≥ {pe.metrics['with_pe_min_diff']:.2f} per word"))
    return out
