"""The book's ``code/11_scaling_rlhf.py`` (chapter 11): its three printed tables, recomputed.

(a) the Kaplan-style loss L(N) = (N_c/N)^α_N + L∞ at the printed sizes, plus a dense curve;
(b) the compute-optimal split of C ≈ 6·N·D at C = 1e22 FLOPs, for D = r·N at each ratio r in
    ``tokens_per_param``: N_opt = √(C/(6r)), D_opt = r·N_opt. The book prints N = D = 4.08e10, which
    is r = 1, under a header that says about 20 tokens per parameter (BOOK_SPEC §11.4 ⚠1): both are kept;
(c) Bradley–Terry preference probabilities σ(r_w − r_l) for the printed reward pairs.

The book states α_N ≈ 0.076 but not N_c or L∞; N_c = 8.8e13 (Kaplan's published value) and L∞ = 1.69
reproduce the printed table exactly (BOOK_SPEC §11.4), so they are the defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "loss", "compute_optimal", "sigmoid"]


@dataclass(frozen=True)
class Params:
    alpha_n: float = 0.076  # the book's α_N
    n_c: float = 8.8e13  # not stated; Kaplan's N_c reproduces the table (BOOK_SPEC §11.4)
    l_inf: float = 1.69  # not stated; inferred from the table (BOOK_SPEC §11.4)
    table_n: tuple[float, ...] = (1e6, 1e8, 1e10, 1e11)  # the printed sizes
    dense_from: float = 1e5  # the dense curve spans dense_from … dense_to parameters
    dense_to: float = 1e13
    compute: float = 1e22  # FLOPs, C ≈ 6ND
    tokens_per_param: tuple[float, ...] = (1.0, 20.0)  # D/N: the printed result's 1 and the header's ≈20
    reward_w: tuple[float, ...] = (2.0, 3.0, 1.0)  # r of the preferred answer in each printed pair
    reward_l: tuple[float, ...] = (1.0, -1.0, 1.0)  # r of the other answer

    def __post_init__(self) -> None:
        if len(self.reward_w) != len(self.reward_l):
            raise ValueError("reward_w and reward_l must list the same number of pairs")
        if self.dense_from >= self.dense_to:
            raise ValueError("dense_from must be < dense_to")


VARIANTS = {"default": {}}
RANGES = {
    "alpha_n": "(0, 2]",
    "n_c": "(0, 1e30]",
    "l_inf": "[0, 100]",
    "table_n": "(0, 1e30]",
    "dense_from": "(0, 1e30]",
    "dense_to": "(0, 1e30]",
    "compute": "(0, 1e40]",
    "tokens_per_param": "(0, 1e6]",
    "reward_w": "[-100, 100]",
    "reward_l": "[-100, 100]",
}
SEED = 0  # nothing here is random


def loss(n: np.ndarray, p: Params) -> np.ndarray:
    """L(N) = (N_c/N)^α + L∞."""
    return (p.n_c / np.asarray(n, dtype=float)) ** p.alpha_n + p.l_inf


def compute_optimal(compute: float, ratio: float) -> tuple[float, float]:
    """C = 6·N·D with D = ratio·N → (N_opt, D_opt)."""
    n = float(np.sqrt(compute / (6 * ratio)))
    return n, ratio * n


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def run(params: Params, seed: int = SEED) -> Trace:
    n = np.array(params.table_n, dtype=float)
    dense = np.geomspace(params.dense_from, params.dense_to, 121)
    opt = np.array([compute_optimal(params.compute, r) for r in params.tokens_per_param])
    rw, rl = np.array(params.reward_w, dtype=float), np.array(params.reward_l, dtype=float)
    trace = Trace()
    trace.add(
        table_n=n, table_loss=loss(n, params), table_reducible=loss(n, params) - params.l_inf,
        dense_n=dense, dense_loss=loss(dense, params),
        ratios=np.array(params.tokens_per_param, dtype=float), n_opt=opt[:, 0], d_opt=opt[:, 1],
        reward_w=rw, reward_l=rl, pref_prob=sigmoid(rw - rl),
    )
    # the loss ratio per step of the table (the comment's "every 10×" is 100×, 100×, 10×: BOOK_SPEC ⚠3)
    trace.metrics = {
        "table_loss": [round(float(v), 6) for v in loss(n, params)],
        "table_steps": [float(b / a) for a, b in zip(n[:-1], n[1:])],
        "n_opt": [float(v) for v in opt[:, 0]],
        "d_opt": [float(v) for v in opt[:, 1]],
        "pref_prob": [round(float(v), 6) for v in sigmoid(rw - rl)],
    }
    return trace
