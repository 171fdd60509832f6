"""The book's single additive-attention call (``code/07_attention.py``, chapter 7 part).

    scores = [v @ tanh(Wq @ query + Wk @ k) for k in keys]   # e_j
    alpha  = softmax(scores)
    context = alpha @ values

with four keys and a query "built close to the 3rd key". The book prints
α = [0.229 0.349 0.123 0.299] but states neither the sizes, nor the random Wq, Wk, v, nor the
seed (BOOK_SPEC §7.4), so the numbers cannot be re-derived; we pin our own and compute the same
call. The book's prose says the weight is highest on the key nearest the query, while its own
printout gives that key the *smallest* weight (S2 #7). With random, untrained Wq, Wk and v nothing
ties the score to nearness, so we also measure how often the near key wins over many random draws
of (Wq, Wk, v), and the dot-product score q·k_j on the same keys for contrast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "additive_attention"]


@dataclass(frozen=True)
class Params:
    n_keys: int = 4  # the book's four keys
    near_key: int = 3  # the query is built near this key, 1-based ("第 3 个 key")
    dim: int = 8  # size of query, keys and values (not stated)
    attn: int = 8  # rows of Wq and Wk, length of v (not stated)
    noise: float = 0.1  # query = key[near] + noise · N(0, I) (not stated)
    draws: int = 2000  # random (Wq, Wk, v) draws for the "how often does the near key win" count

    def __post_init__(self) -> None:
        if not 1 <= self.near_key <= self.n_keys:
            raise ValueError(f"near_key={self.near_key} must lie in 1..n_keys={self.n_keys}")


VARIANTS = {"default": {}}
RANGES = {
    "n_keys": "[2, 64]",
    "near_key": "[1, 64]",  # and ≤ n_keys (checked in Params)
    "dim": "[1, 256]",
    "attn": "[1, 256]",
    "noise": "[0, inf)",
    "draws": "[1, 100000]",
}
SEED = 0


def softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def additive_attention(query: np.ndarray, keys: np.ndarray, values: np.ndarray, Wq: np.ndarray, Wk: np.ndarray,
                       v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The book's function: (context, α), plus the scores e_j."""
    scores = np.array([v @ np.tanh(Wq @ query + Wk @ k) for k in keys])
    alpha = softmax(scores)
    return alpha @ values, alpha, scores


def run(params: Params, seed: int = SEED) -> Trace:
    p = params
    rng = np.random.default_rng(seed)
    keys = rng.standard_normal((p.n_keys, p.dim))
    values = rng.standard_normal((p.n_keys, p.dim))
    near = p.near_key - 1
    query = keys[near] + p.noise * rng.standard_normal(p.dim)
    Wq, Wk = rng.standard_normal((2, p.attn, p.dim)) / np.sqrt(p.dim)
    v = rng.standard_normal(p.attn) / np.sqrt(p.attn)
    context, alpha, scores = additive_attention(query, keys, values, Wq, Wk, v)
    dot_alpha = softmax(keys @ query)

    # the same call under many other random (Wq, Wk, v): does the near key get the top weight?
    wins = 0
    for _ in range(p.draws):
        Wq2, Wk2 = rng.standard_normal((2, p.attn, p.dim)) / np.sqrt(p.dim)
        v2 = rng.standard_normal(p.attn) / np.sqrt(p.attn)
        wins += int(np.argmax(additive_attention(query, keys, values, Wq2, Wk2, v2)[1]) == near)

    trace = Trace()
    trace.add(keys=keys, values=values, query=query, Wq=Wq, Wk=Wk, v=v, scores=scores, alpha=alpha,
              context=context, dot_alpha=dot_alpha, distances=np.linalg.norm(keys - query, axis=1))
    trace.metrics = {
        "alpha": [float(a) for a in alpha],
        "alpha_printed": [round(float(a), 3) for a in alpha],
        "near_key": p.near_key,
        "top_key": int(np.argmax(alpha)) + 1,
        "near_key_rank": int((alpha > alpha[near]).sum()) + 1,  # 1 = the highest weight
        "dot_top_key": int(np.argmax(dot_alpha)) + 1,
        "near_key_wins_fraction": wins / p.draws,
        "chance": 1 / p.n_keys,
    }
    return trace
