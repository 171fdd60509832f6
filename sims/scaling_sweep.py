"""A real scaling sweep on a language whose irreducible loss is known exactly (book chapter 11).

The language is a k-th-order Markov source over ``vocab`` tokens: the next token depends on the last
``order`` tokens through a sum of random n-gram tables (a unigram term, a bigram term on the last
token, a trigram term on the last two, …) weighted by ``scales`` and cut to the ``support`` likeliest
tokens of each context, so coarse structure is cheap to learn and finer structure needs more
parameters. Its stationary distribution μ over contexts is computed exactly (power iteration on the
context chain), so the entropy rate H = Σ_c μ(c)·H(P(·|c)) is the true L∞: no model can beat it.

The models are one architecture at growing width: the last ``order`` tokens are embedded, concatenated
and fed through ``depth`` GELU layers of ``width`` units to the next-token logits. N counts the
non-embedding parameters (every weight and bias but the token-embedding table), as Kaplan et al. do.
Each model sees ``tokens`` fresh (context, next-token) pairs drawn from the stationary chain (the same
stream for every model), with Adam and a warm-up + cosine schedule. Its held-out loss is the *exact*
expected cross-entropy under the source, Σ_c μ(c) Σ_y P(y|c)·(−log q(y|c)), so L − H is the model's
KL divergence from the truth with no sampling noise.

Then: the power law L(N) = (N_c/N)^α + L∞ by least squares on log(L − L∞), with L∞ = H known and with
L∞ fitted (a bounded 1-D search); its extrapolation to a larger model that is then actually trained
(``holdout_width``); and an IsoFLOP slice: at each budget C ≈ 6·N·D, one run per width with
D = C/(6N) tokens (``iso_steps`` steps, the batch size D/iso_steps, the schedule fitted to its length),
a parabola in log N through the losses, and the compute-optimal N and D/N it implies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "make_source", "fit_power_law", "fit_free_linf"]


@dataclass(frozen=True)
class Params:
    vocab: int = 16  # tokens of the synthetic language
    order: int = 3  # k: the next token depends on the last k tokens
    scales: tuple[float, ...] = (1.0, 2.0, 1.5, 1.0)  # weights of the 1-, 2-, …, (k+1)-gram logit tables
    support: int = 8  # likeliest tokens kept per context (sparse source); = vocab keeps all
    embed: int = 16  # embedding size per context position
    depth: int = 2  # hidden GELU layers
    widths: tuple[int, ...] = (4, 6, 8, 12, 16, 24, 32, 48, 64)  # the fitted family, geometric (×√2, rounded)
    holdout_width: int = 128  # the larger model trained after the fit, to test the prediction
    tokens: int = 2_000_000  # D: training pairs per model of the family (fresh, same stream for all)
    batch: int = 1000  # pairs per Adam step for the family
    lr: float = 3e-3  # Adam peak learning rate (all runs)
    warmup: float = 0.05  # fraction of each run's steps spent warming up, then cosine to 0
    curve_points: int = 24  # log-spaced checkpoints of each model's loss curve
    iso_budgets: tuple[float, ...] = (3e9, 1e10, 3e10)  # IsoFLOP compute budgets C ≈ 6ND, FLOPs
    iso_widths: tuple[int, ...] = (8, 16, 32, 64, 128)  # the (N, D) splits tried at every budget
    iso_steps: int = 600  # steps per IsoFLOP run (batch = D / iso_steps)
    device: str = "auto"  # auto | cpu | cuda (tiny nets: the CPU is usually as fast)

    def __post_init__(self) -> None:
        if len(self.scales) != self.order + 1:
            raise ValueError(f"scales needs order + 1 = {self.order + 1} weights (1-gram … {self.order + 1}-gram), "
                             f"got {len(self.scales)}")
        if self.support > self.vocab:
            raise ValueError(f"support={self.support} must be ≤ vocab={self.vocab}")
        if len(self.widths) < 3 or list(self.widths) != sorted(set(self.widths)):
            raise ValueError("widths must be ≥ 3 distinct sizes in increasing order (a fit needs 3 points)")
        if self.holdout_width <= self.widths[-1]:
            raise ValueError(f"holdout_width={self.holdout_width} must exceed the largest fitted width "
                             f"{self.widths[-1]}: it tests an extrapolation")
        if self.tokens < self.batch:
            raise ValueError(f"tokens={self.tokens} must be ≥ batch={self.batch}")
        if len(self.iso_widths) < 3 or list(self.iso_widths) != sorted(set(self.iso_widths)):
            raise ValueError("iso_widths must be ≥ 3 distinct sizes in increasing order (a parabola needs 3)")
        if self.vocab ** self.order > 200_000:
            raise ValueError(f"vocab^order = {self.vocab ** self.order} contexts is too many to solve exactly "
                             "(limit 200000)")


VARIANTS = {"default": {}}
RANGES = {
    "vocab": "[2, 64]",
    "order": "[1, 5]",  # and vocab^order ≤ 200000 (checked in Params)
    "scales": "[0, 10]",
    "support": "[1, 64]",  # and ≤ vocab (checked in Params)
    "embed": "[1, 256]",
    "depth": "[1, 8]",
    "widths": "[1, 4096]",
    "holdout_width": "[2, 8192]",
    "tokens": "[1, 100000000]",
    "batch": "[1, 65536]",
    "lr": "(0, 1]",
    "warmup": "[0, 1)",
    "curve_points": "[2, 200]",
    "iso_budgets": "(0, 1e15]",
    "iso_widths": "[1, 4096]",
    "iso_steps": "[1, 100000]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # the source's tables: default_rng([seed, 0]); training streams: [seed, 1, …]; inits: torch seed + run


# --- the language ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    probs: np.ndarray  # (contexts, vocab) P(y | c); context c = Σ_j t_j·vocab^(k-1-j), oldest token first
    mu: np.ndarray  # (contexts,) stationary probability of each context
    digits: np.ndarray  # (contexts, order) the tokens of each context
    entropy: float  # H = Σ_c μ(c) H(P(·|c)), nats per token: the irreducible loss


def make_source(p: Params, rng: np.random.Generator) -> Source:
    """Random n-gram logit tables summed per context, cut to the ``support`` likeliest tokens; exact μ and H."""
    n_ctx = p.vocab ** p.order
    digits = (np.arange(n_ctx)[:, None] // p.vocab ** np.arange(p.order - 1, -1, -1)[None, :]) % p.vocab
    logits = np.zeros((n_ctx, p.vocab))
    for n, weight in enumerate(p.scales):  # n tokens of context: 0 = unigram, 1 = the last token, …
        last_n = digits[:, p.order - n:] @ (p.vocab ** np.arange(n - 1, -1, -1)) if n else np.zeros(n_ctx, int)
        logits += weight * rng.standard_normal((p.vocab ** n, p.vocab))[last_n]
    cut = np.sort(logits, axis=1)[:, -p.support][:, None]
    logits = np.where(logits >= cut, logits, -np.inf)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    nxt = (np.arange(n_ctx)[:, None] * p.vocab + np.arange(p.vocab)[None, :]) % n_ctx  # c → (t_2 … t_k, y)
    mu = np.full(n_ctx, 1.0 / n_ctx)
    for _ in range(100_000):
        new = np.bincount(nxt.ravel(), weights=(mu[:, None] * probs).ravel(), minlength=n_ctx)
        done = np.abs(new - mu).sum() < 1e-14
        mu = new
        if done:
            break
    plogp = np.where(probs > 0, probs * np.log(np.where(probs > 0, probs, 1.0)), 0.0)
    return Source(probs, mu, digits, float(-(mu @ plogp.sum(axis=1))))


class Stream:
    """Fresh (context, next token) pairs from the stationary chain: c ~ μ, y ~ P(·|c)."""

    def __init__(self, src: Source, rng: np.random.Generator) -> None:
        self.src, self.rng = src, rng
        self.mu_cdf = np.cumsum(src.mu)
        self.p_cdf = np.cumsum(src.probs, axis=1)

    def draw(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        c = np.minimum(np.searchsorted(self.mu_cdf, self.rng.random(n) * self.mu_cdf[-1]), len(self.mu_cdf) - 1)
        y = np.minimum((self.rng.random(n)[:, None] > self.p_cdf[c]).sum(axis=1), self.p_cdf.shape[1] - 1)
        return self.src.digits[c], y


# --- the models -----------------------------------------------------------------------------------------------
class NextToken(nn.Module):
    """Embed the last k tokens, concatenate, ``depth`` GELU layers of ``width``, logits over the vocabulary."""

    def __init__(self, p: Params, width: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(p.vocab, p.embed)
        sizes = [p.order * p.embed] + [width] * p.depth
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.GELU()]
        self.body = nn.Sequential(*layers, nn.Linear(sizes[-1], p.vocab))

    def forward(self, ctx: torch.Tensor) -> torch.Tensor:
        return self.body(self.embed(ctx).flatten(1))

    @property
    def n_params(self) -> int:
        """Non-embedding parameters (Kaplan's N)."""
        return sum(w.numel() for w in self.body.parameters())


def n_params(p: Params, width: int) -> int:
    """N of the model at ``width`` without building it."""
    sizes = [p.order * p.embed] + [width] * p.depth + [p.vocab]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


class Exact:
    """The exact held-out loss: the expected cross-entropy under the source, over every context."""

    def __init__(self, src: Source, device: torch.device) -> None:
        self.ctx = torch.as_tensor(src.digits, device=device)
        self.mu = torch.as_tensor(src.mu, dtype=torch.float64, device=device)
        self.probs = torch.as_tensor(src.probs, dtype=torch.float64, device=device)

    @torch.no_grad()
    def __call__(self, model: NextToken) -> float:
        logq = torch.log_softmax(model(self.ctx).double(), dim=-1)
        return float(-(self.mu * (self.probs * logq).sum(dim=1)).sum())


def train(p: Params, src: Source, exact: Exact, width: int, tokens: int, batch: int, stream_seed: list[int],
          init_seed: int, device: torch.device, checkpoints: int = 0) -> tuple[float, np.ndarray, np.ndarray]:
    """One run: final exact loss, and (tokens seen, exact loss) at ``checkpoints`` log-spaced steps."""
    torch.default_generator.manual_seed(init_seed)
    model = NextToken(p, width).to(device)
    steps = max(1, tokens // batch)
    warm = max(1, int(p.warmup * steps))
    opt = torch.optim.Adam(model.parameters(), lr=p.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + np.cos(np.pi * min(s, steps) / steps)))
    stream = Stream(src, np.random.default_rng(stream_seed))
    marks = set(np.unique(np.geomspace(1, steps, checkpoints).round().astype(int)).tolist()) if checkpoints else set()
    seen, curve = [0], [exact(model)] if checkpoints else []
    for step in range(1, steps + 1):
        ctx, y = stream.draw(batch)
        loss = F.cross_entropy(model(torch.as_tensor(ctx, device=device)), torch.as_tensor(y, device=device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if step in marks:
            seen.append(step * batch)
            curve.append(exact(model))
    return exact(model), np.array(seen[: len(curve)], dtype=np.int64), np.array(curve)


# --- the fits -------------------------------------------------------------------------------------------------
def fit_power_law(n: np.ndarray, loss: np.ndarray, linf: float) -> dict[str, float]:
    """Least squares of log(L − L∞) on log N: L = (N_c/N)^α + L∞; returns α, N_c, R² (on the log scale), SSE."""
    x, y = np.log(n), np.log(loss - linf)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (slope * x + intercept)
    sse = float(resid @ resid)
    alpha = -float(slope)
    return {"alpha": alpha, "n_c": float(np.exp(intercept / alpha)), "r2": 1 - sse / float(((y - y.mean()) ** 2).sum()),
            "sse": sse, "linf": float(linf)}


def fit_free_linf(n: np.ndarray, loss: np.ndarray) -> dict[str, float]:
    """The same fit with L∞ free too: the L∞ in [0, min L) whose log-linear fit has the least squared error."""
    top = float(loss.min())
    lo, hi = 0.0, top
    for _ in range(4):  # a grid, then finer grids around the best point
        grid = np.linspace(lo, hi, 401)[:-1] if hi == top else np.linspace(lo, hi, 401)
        sse = [fit_power_law(n, loss, g)["sse"] for g in grid]
        best = int(np.argmin(sse))
        step = grid[1] - grid[0]
        lo, hi = max(0.0, grid[best] - step), min(top - 1e-9 * top, grid[best] + step)
    return fit_power_law(n, loss, float(grid[best]))


def predict(fit: dict[str, float], n: np.ndarray | float) -> np.ndarray:
    return (fit["n_c"] / np.asarray(n, dtype=float)) ** fit["alpha"] + fit["linf"]


# --- the run --------------------------------------------------------------------------------------------------
def run(params: Params, seed: int = SEED) -> Trace:
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    src = make_source(p, np.random.default_rng([seed, 0]))
    exact = Exact(src, device)
    family = list(p.widths) + [p.holdout_width]
    n = np.array([n_params(p, w) for w in family], dtype=np.int64)
    losses, curve_tokens, curve_loss = [], [], []
    for i, width in enumerate(family):
        final, seen, curve = train(p, src, exact, width, p.tokens, p.batch, [seed, 1], seed * 1000 + i, device,
                                   checkpoints=p.curve_points)
        losses.append(final)
        curve_tokens.append(seen)
        curve_loss.append(curve)
    losses = np.array(losses)
    fit_n, fit_l = n[:-1], losses[:-1]
    known, free = fit_power_law(fit_n, fit_l, src.entropy), fit_free_linf(fit_n, fit_l)
    dense_n = np.geomspace(fit_n[0] / 2, n[-1] * 4, 80)

    iso = _isoflop(p, src, exact, seed, device)

    trace = Trace()
    length = max(len(c) for c in curve_loss)  # every curve has the same checkpoints (same tokens, same batch)
    trace.add(
        widths=np.array(family), n_params=n, loss=losses,  # the last entry is the held-out larger model
        reducible=losses - src.entropy,
        curve_tokens=np.stack([np.pad(c, (0, length - len(c)), mode="edge") for c in curve_tokens]),
        curve_loss=np.stack([np.pad(c, (0, length - len(c)), mode="edge") for c in curve_loss]),
        dense_n=dense_n, dense_known=predict(known, dense_n), dense_free=predict(free, dense_n),
        context_mu=src.mu,
        **iso["arrays"],
    )
    holdout_pred = float(predict(known, n[-1]))
    trace.metrics = {
        "entropy_rate": src.entropy,  # the true L∞, nats/token
        "uniform_loss": float(np.log(p.vocab)),
        "n_min": int(fit_n[0]), "n_max": int(fit_n[-1]), "n_holdout": int(n[-1]),
        "alpha": known["alpha"], "n_c": known["n_c"], "r2": known["r2"],  # L∞ = H known
        "alpha_free": free["alpha"], "n_c_free": free["n_c"], "r2_free": free["r2"],
        "linf_fitted": free["linf"], "linf_error": free["linf"] - src.entropy,
        "holdout_predicted": holdout_pred, "holdout_predicted_free": float(predict(free, n[-1])),
        "holdout_measured": float(losses[-1]),
        "holdout_error": float(losses[-1] - holdout_pred),  # measured − predicted (L∞ known)
        "holdout_rel_error": float((losses[-1] - holdout_pred) / (holdout_pred - src.entropy)),  # of L − L∞
        **iso["metrics"],
    }
    return trace


def _isoflop(p: Params, src: Source, exact: Exact, seed: int, device: torch.device) -> dict:
    """At each budget C, one run per width with D = C/(6N); a parabola in log N locates the best split."""
    n = np.array([n_params(p, w) for w in p.iso_widths], dtype=np.int64)
    loss = np.zeros((len(p.iso_budgets), len(n)))
    tokens = np.zeros_like(loss, dtype=np.int64)
    best_n, best_d, best_i = [], [], []
    for b, budget in enumerate(p.iso_budgets):
        for i, (width, size) in enumerate(zip(p.iso_widths, n)):
            d = max(1, int(round(budget / (6 * size))))
            batch = max(1, d // p.iso_steps)
            tokens[b, i] = batch * max(1, d // batch)
            loss[b, i], _, _ = train(p, src, exact, width, d, batch, [seed, 2, b, i], seed * 1000 + 100 + i, device)
        i = int(np.argmin(loss[b]))
        lo = min(max(i - 1, 0), len(n) - 3)  # the parabola through the best point and its neighbours
        x = np.log(n[lo:lo + 3])
        a, bb, _ = np.polyfit(x, np.log(loss[b, lo:lo + 3]), 2)
        vertex = -bb / (2 * a) if a > 0 else x[i - lo]
        opt = float(np.exp(np.clip(vertex, np.log(n[0]), np.log(n[-1]))))
        best_n.append(opt)
        best_d.append(budget / (6 * opt))
        best_i.append(i)
    best_n, best_d = np.array(best_n), np.array(best_d)
    budgets = np.array(p.iso_budgets, dtype=float)
    slope_n = float(np.polyfit(np.log(budgets), np.log(best_n), 1)[0]) if len(budgets) > 1 else float("nan")
    return {
        "arrays": {"iso_budgets": budgets, "iso_n": n, "iso_tokens": tokens, "iso_loss": loss,
                   "iso_best_n": best_n, "iso_best_d": best_d, "iso_best_index": np.array(best_i)},
        "metrics": {
            "iso_best_n": best_n.round(1).tolist(),
            "iso_tokens_per_param": (best_d / best_n).round(2).tolist(),
            "iso_exponent_n": slope_n,  # N_opt ∝ C^a over the budgets (Kaplan ≈ 0.73, Chinchilla ≈ 0.5)
        },
    }
