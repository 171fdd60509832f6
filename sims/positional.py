"""Sinusoidal positional encoding, computed exactly (book chapter 8).

* The PE matrix PE[pos, 2i] = sin(pos·ω_i), PE[pos, 2i+1] = cos(pos·ω_i), ω_i = base^(−2i/d_model),
  at ``d_model`` (for the pictures) and at the book's 512.
* Its similarity PE·PEᵀ: PE(p)·PE(p+k) = Σ_i cos(k·ω_i) depends on the offset k only.
* The relative-offset property: PE(pos+k) = M_k·PE(pos), M_k block-diagonal with one 2×2
  rotation by k·ω_i per dimension pair, checked numerically over every position (max error).
* Order blindness: one self-attention layer (random W_Q, W_K, W_V, fixed seed) reads
  "狗咬人" and "人咬狗". Without PE each token's output is the same in both sentences (the
  outputs are one multiset, only permuted); with PE added they differ. Both recorded.
* The sampled waves (a fine grid of positions) for a few dimension pairs, so a scene can draw
  the curves without computing them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "encoding", "rotation"]

SENTENCE_A, SENTENCE_B = "狗咬人", "人咬狗"  # the book's example: same words, opposite meaning
WAVE_PAIRS = (0, 2, 4, 8)  # dimension pairs i drawn as waves: periods 2π·base^(2i/d) grow geometrically
WAVE_SAMPLES = 12  # samples per unit of position for the drawn curves


@dataclass(frozen=True)
class Params:
    d_model: int = 64  # the pictures' width (the book's scene: "e.g. 64 or 128")
    book_d_model: int = 512  # the paper's d_model, checked too
    length: int = 32  # positions 0 … length−1
    base: float = 10000.0  # the 10000 in ω_i = base^(−2i/d)
    max_offset: int = 8  # M_k recorded for k = 1 … max_offset
    emb_scale: float = 1.0  # word embeddings ~ N(0, emb_scale²) (not stated)

    def __post_init__(self) -> None:
        if self.d_model % 2 or self.book_d_model % 2:
            raise ValueError(f"d_model={self.d_model} and book_d_model={self.book_d_model} must be even")
        if self.max_offset >= self.length:
            raise ValueError(f"max_offset={self.max_offset} must be < length={self.length}")
        if self.d_model < 2 * (max(WAVE_PAIRS) + 1):
            raise ValueError(f"d_model={self.d_model} must be ≥ {2 * (max(WAVE_PAIRS) + 1)} for the drawn waves")


VARIANTS = {"default": {}}
RANGES = {
    "d_model": "[18, 1024]",  # even, and holds the drawn pairs (checked in Params)
    "book_d_model": "[2, 4096]",
    "length": "[4, 2048]",
    "base": "(1, inf)",
    "max_offset": "[1, 64]",  # and < length (checked in Params)
    "emb_scale": "(0, 100]",
}
SEED = 0  # the random embeddings and attention weights of the order-blindness demo


def frequencies(d_model: int, base: float) -> np.ndarray:
    """ω_i = base^(−2i/d_model), i = 0 … d_model/2 − 1."""
    return base ** (-np.arange(0, d_model, 2) / d_model)


def encoding(positions: np.ndarray, d_model: int, base: float) -> np.ndarray:
    """PE rows for (possibly fractional) ``positions``: (len, d_model), sin in even, cos in odd columns."""
    angle = np.asarray(positions, dtype=float)[:, None] * frequencies(d_model, base)[None, :]
    pe = np.empty((len(angle), d_model))
    pe[:, 0::2], pe[:, 1::2] = np.sin(angle), np.cos(angle)
    return pe


def rotation(k: int, d_model: int, base: float) -> np.ndarray:
    """M_k: PE(pos+k) = M_k PE(pos); per pair (sin, cos) the rotation [[cos kω, sin kω], [−sin kω, cos kω]]."""
    m = np.zeros((d_model, d_model))
    for i, w in enumerate(frequencies(d_model, base)):
        c, s = np.cos(k * w), np.sin(k * w)
        m[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = [[c, s], [-s, c]]
    return m


def rotation_error(pe: np.ndarray, k: int, d_model: int, base: float) -> float:
    """max |PE(pos+k) − M_k PE(pos)| over every pos with pos+k inside the table."""
    return float(np.abs(pe[k:] - pe[:-k] @ rotation(k, d_model, base).T).max())


def attend(x: np.ndarray, wq: np.ndarray, wk: np.ndarray, wv: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One self-attention layer: (softmax(QKᵀ/√d_k) V, A)."""
    q, k, v = x @ wq, x @ wk, x @ wv
    s = q @ k.T / np.sqrt(k.shape[1])
    a = np.exp(s - s.max(1, keepdims=True))
    a /= a.sum(1, keepdims=True)
    return a @ v, a


def run(params: Params, seed: int = SEED) -> Trace:
    p = params
    positions = np.arange(p.length)
    pe = encoding(positions, p.d_model, p.base)
    pe_book = encoding(positions, p.book_d_model, p.base)
    ks = np.arange(1, p.max_offset + 1)
    sim = pe @ pe.T
    # PE(p)·PE(p+k) should not depend on p: the spread along each diagonal
    offset_spread = max(float(np.ptp(np.diagonal(sim, k))) for k in range(p.length))

    # order blindness: the same three words in two orders, through one random attention layer
    rng = np.random.default_rng(seed)
    vocab = sorted(set(SENTENCE_A))
    emb_table = p.emb_scale * rng.standard_normal((len(vocab), p.d_model))
    wq, wk, wv = (rng.standard_normal((p.d_model, p.d_model)) / np.sqrt(p.d_model) for _ in range(3))
    ids_a = np.array([vocab.index(c) for c in SENTENCE_A])
    ids_b = np.array([vocab.index(c) for c in SENTENCE_B])
    pe3 = pe[: len(SENTENCE_A)]
    out = {}
    for name, ids in (("a", ids_a), ("b", ids_b)):
        out[f"nope_{name}"], out[f"attn_nope_{name}"] = attend(emb_table[ids], wq, wk, wv)
        out[f"pe_{name}"], out[f"attn_pe_{name}"] = attend(emb_table[ids] + pe3, wq, wk, wv)
    # where each word of sentence A sits in sentence B (a permutation: the words are distinct)
    perm = np.array([int(np.flatnonzero(ids_b == i)[0]) for i in ids_a])
    diff_nope = np.abs(out["nope_a"] - out["nope_b"][perm]).max(1)  # per word of A
    diff_pe = np.abs(out["pe_a"] - out["pe_b"][perm]).max(1)

    wave_x = np.linspace(0, p.length - 1, WAVE_SAMPLES * (p.length - 1) + 1)
    waves = encoding(wave_x, p.d_model, p.base)
    trace = Trace()
    trace.add(
        positions=positions,
        pe=pe,  # (length, d_model)
        pe_book=pe_book,  # (length, book_d_model)
        omega=frequencies(p.d_model, p.base),
        similarity=sim,
        offsets=ks,
        rotations=np.stack([rotation(int(k), p.d_model, p.base) for k in ks]),  # (max_offset, d, d)
        rotation_err=np.array([rotation_error(pe, int(k), p.d_model, p.base) for k in ks]),
        rotation_err_book=np.array([rotation_error(pe_book, int(k), p.book_d_model, p.base) for k in ks]),
        wave_pairs=np.array(WAVE_PAIRS),
        wave_x=wave_x,
        wave_sin=waves[:, 0::2][:, list(WAVE_PAIRS)].T,  # (pairs, samples)
        wave_cos=waves[:, 1::2][:, list(WAVE_PAIRS)].T,
        vocab=np.array(vocab),
        sentence_a=np.array(list(SENTENCE_A)), sentence_b=np.array(list(SENTENCE_B)),
        emb_a=emb_table[ids_a], emb_b=emb_table[ids_b],  # (3, d) word embeddings in sentence order
        pe_sentence=pe3,
        x_pe_a=emb_table[ids_a] + pe3, x_pe_b=emb_table[ids_b] + pe3,
        perm_a_to_b=perm,
        diff_nope=diff_nope, diff_pe=diff_pe,
        **{f"out_{k}": v for k, v in out.items() if not k.startswith("attn")},
        **{k: v for k, v in out.items() if k.startswith("attn")},
    )
    trace.metrics = {
        "rotation_max_err": float(trace["rotation_err"].max()),
        "rotation_max_err_book": float(trace["rotation_err_book"].max()),
        "similarity_offset_spread": offset_spread,
        "order_blind_max_diff": float(diff_nope.max()),  # ~1e-16: the same outputs, permuted
        "with_pe_min_diff": float(diff_pe.min()),  # > 0: every word's output changed with its position
        "period_shortest": float(2 * np.pi / frequencies(p.d_model, p.base)[0]),
        "period_longest": float(2 * np.pi / frequencies(p.d_model, p.base)[-1]),
    }
    return trace
