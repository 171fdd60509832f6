"""A tiny self-attention layer trained on a task that needs attention (book chapter 8).

The task is *mirror*: read ``seq_len`` tokens (Chinese characters) and output, at position
i, the token at position L−1−i. The right answer for every position sits at one specific
other position, so the layer has to learn where to look; nothing else can solve it.

The model is one multi-head scaled dot-product attention layer, nothing more:

    x = E[token] + PE(pos)                      (PE: the book's sinusoidal encoding, fixed)
    Q, K, V = x W_Q, x W_K, x W_V               (split into ``n_heads`` heads of d_k each)
    A = softmax(Q Kᵀ / √d_k)                    (one row per query position)
    out = concat_h(A V) W_O,  logits = out W_y  (no residual: the new representation is AV alone)

After training we record, for a few held-out inputs, every intermediate the chapter's
QKVAttention scene shows: embeddings, PE, Q, K, V per head, raw scores Q Kᵀ, scaled scores,
A, AV, the predictions; then the same with the causal mask (position i may only see ≤ i)
applied to the trained layer. The mask makes the first half of the mirror task impossible,
since each of those positions needs a token in its future: ``causal_pos_acc`` measures it.

Separately, with q, k ~ N(0, 1)^{d_k}, the variance of q·k with and without the 1/√d_k
factor for d_k = 1, 2, 4, …, and how peaked a softmax over ``seq_len`` such scores gets:
the reason for the factor, measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "CHARS", "sinusoidal"]

CHARS = "猫狗鱼鸟马牛羊虎兔龙蛇猴鸡猪鹿熊"  # the token alphabet shown on screen (first ``vocab`` of them)


@dataclass(frozen=True)
class Params:
    vocab: int = 8  # distinct tokens (not stated: a toy alphabet)
    seq_len: int = 6  # L; the book's scene wants L = 4–6
    d_model: int = 16  # width of embeddings and of Q/K/V together (not stated)
    n_heads: int = 2  # heads; d_k = d_model / n_heads = 8 (the book's scene wants d_k = 4–8)
    train_steps: int = 1500  # Adam steps (not stated)
    batch: int = 128  # random sequences per step
    lr: float = 3e-3  # Adam learning rate
    eval_batch: int = 2000  # held-out sequences for the accuracies
    n_examples: int = 3  # held-out inputs whose every intermediate is recorded
    var_samples: int = 8000  # (q, k) pairs per d_k for the variance measurement
    var_max_log2: int = 9  # d_k = 1, 2, 4, …, 2^var_max_log2 (512 = the book's d_model)
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model={self.d_model} must be a multiple of n_heads={self.n_heads}")
        if self.d_model % 2:
            raise ValueError(f"d_model={self.d_model} must be even: the sinusoidal PE fills dimension pairs")

    @property
    def d_k(self) -> int:
        return self.d_model // self.n_heads


VARIANTS = {"default": {}}
RANGES = {
    "vocab": "[2, 16]",  # len(CHARS)
    "seq_len": "[2, 32]",
    "d_model": "[2, 256]",  # even and a multiple of n_heads (checked in Params)
    "n_heads": "[1, 16]",
    "train_steps": "[0, 20000]",  # the default 1500 take ~3 s on one thread
    "batch": "[1, 4096]",
    "lr": "(0, inf)",
    "eval_batch": "[1, 100000]",
    "n_examples": "[1, 16]",
    "var_samples": "[2, 100000]",
    "var_max_log2": "[0, 12]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # torch init via torch_session; training data seed+1, held-out data seed+2, the variance study seed+3


def sinusoidal(length: int, d_model: int) -> np.ndarray:
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(…), shape (length, d_model)."""
    pos = np.arange(length)[:, None]
    omega = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)
    pe = np.zeros((length, d_model))
    pe[:, 0::2], pe[:, 1::2] = np.sin(pos * omega), np.cos(pos * omega)
    return pe


class Attention(nn.Module):
    """One multi-head self-attention layer with a linear readout; ``forward(keep=True)`` returns its insides."""

    def __init__(self, p: Params) -> None:
        super().__init__()
        self.h, self.dk = p.n_heads, p.d_k
        self.embed = nn.Embedding(p.vocab, p.d_model)
        self.register_buffer("pe", torch.tensor(sinusoidal(p.seq_len, p.d_model), dtype=torch.float32))
        self.wq, self.wk, self.wv = (nn.Linear(p.d_model, p.d_model, bias=False) for _ in range(3))
        self.wo = nn.Linear(p.d_model, p.d_model, bias=False)
        self.readout = nn.Linear(p.d_model, p.vocab)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        """(N, L, d_model) → (N, heads, L, d_k)."""
        n, length, _ = x.shape
        return x.view(n, length, self.h, self.dk).transpose(1, 2)

    def forward(self, tokens: torch.Tensor, causal: bool = False, keep: bool = False):
        emb = self.embed(tokens)
        x = emb + self.pe
        q, k, v = self.split(self.wq(x)), self.split(self.wk(x)), self.split(self.wv(x))
        raw = q @ k.transpose(-1, -2)
        scaled = raw / math.sqrt(self.dk)
        if causal:
            length = tokens.shape[1]
            future = torch.triu(torch.ones(length, length, dtype=torch.bool, device=tokens.device), 1)
            scaled = scaled.masked_fill(future, float("-inf"))  # the book's −1e9, exactly: weight 0
        a = scaled.softmax(-1)
        av = a @ v
        out = self.wo(av.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[1], -1))
        logits = self.readout(out)
        if not keep:
            return logits
        return logits, {"emb": emb, "x": x, "q": q, "k": k, "v": v, "raw": raw, "scaled": scaled, "a": a,
                        "av": av, "out": out}


def mirror_batch(n: int, p: Params, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Random token rows and their targets: the same row read backwards."""
    tokens = torch.randint(0, p.vocab, (n, p.seq_len), generator=gen)
    return tokens, tokens.flip(1)


def score_variance(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Var(q·k) and Var(q·k/√d_k) for q, k ~ N(0,1)^{d_k}, and the mean largest softmax weight over L keys."""
    dks = 2 ** np.arange(p.var_max_log2 + 1)
    var_raw, var_scaled, peak_raw, peak_scaled = [], [], [], []
    rows = max(2, p.var_samples // p.seq_len)  # softmax rows of L scores each, same number of scores
    for dk in dks:
        q, k = rng.standard_normal((p.var_samples, dk)), rng.standard_normal((p.var_samples, dk))
        dots = np.einsum("nd,nd->n", q, k)
        var_raw.append(dots.var())
        var_scaled.append((dots / np.sqrt(dk)).var())
        s = dots[: rows * p.seq_len].reshape(-1, p.seq_len) if len(dots) >= 2 * p.seq_len else dots[None, :]
        for scores, out in ((s, peak_raw), (s / np.sqrt(dk), peak_scaled)):
            w = np.exp(scores - scores.max(1, keepdims=True))
            out.append((w / w.sum(1, keepdims=True)).max(1).mean())
    return {"var_dk": dks, "var_raw": np.array(var_raw), "var_scaled": np.array(var_scaled),
            "softmax_peak_raw": np.array(peak_raw), "softmax_peak_scaled": np.array(peak_scaled)}


def run(params: Params, seed: int = SEED) -> Trace:
    """Train the layer on the mirror task, record its insides on held-out inputs, measure score variance."""
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    model = Attention(p).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=p.lr)
    gen = torch.Generator().manual_seed(seed + 1)
    losses = np.zeros(p.train_steps)
    for step in range(p.train_steps):
        x, y = mirror_batch(p.batch, p, gen)
        loss = F.cross_entropy(model(x.to(device)).flatten(0, 1), y.to(device).flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses[step] = loss.item()

    held = torch.Generator().manual_seed(seed + 2)
    x_eval, y_eval = (t.to(device) for t in mirror_batch(p.eval_batch, p, held))
    examples, targets = (t.to(device) for t in mirror_batch(p.n_examples, p, held))
    with torch.no_grad():
        right = model(x_eval).argmax(-1) == y_eval
        right_causal = model(x_eval, causal=True).argmax(-1) == y_eval
        logits, full = model(examples, keep=True)
        logits_c, masked = model(examples, causal=True, keep=True)

    def np_(t: torch.Tensor) -> np.ndarray:
        return t.detach().double().cpu().numpy()

    trace = Trace()
    trace.add(
        chars=np.array(list(CHARS[: p.vocab])),
        train_loss=losses,
        tokens=np_(examples).astype(int),  # (n, L)
        targets=np_(targets).astype(int),
        pe=np_(model.pe),  # (L, d_model)
        w_q=np_(model.wq.weight.T), w_k=np_(model.wk.weight.T), w_v=np_(model.wv.weight.T),  # x @ W
        emb=np_(full["emb"]), x=np_(full["x"]),  # (n, L, d_model)
        q=np_(full["q"]), k=np_(full["k"]), v=np_(full["v"]),  # (n, heads, L, d_k)
        scores_raw=np_(full["raw"]), scores_scaled=np_(full["scaled"]), attn=np_(full["a"]),  # (n, heads, L, L)
        av=np_(full["av"]),  # (n, heads, L, d_k)
        out=np_(full["out"]),  # (n, L, d_model): concat(AV) W_O
        pred=np_(logits.argmax(-1)).astype(int), probs=np_(logits.softmax(-1)),
        causal_scores=np.where(np.isinf(np_(masked["scaled"])), -1e9, np_(masked["scaled"])),  # as the book masks
        causal_attn=np_(masked["a"]), causal_av=np_(masked["av"]),
        causal_pred=np_(logits_c.argmax(-1)).astype(int),
        pos_acc=np_(right.float().mean(0)), causal_pos_acc=np_(right_causal.float().mean(0)),
        **score_variance(p, np.random.default_rng(seed + 3)),
    )
    attn = trace["attn"]  # how much of each head's weight lands on the answer's position (L−1−i)
    mirror = attn[:, :, np.arange(p.seq_len), p.seq_len - 1 - np.arange(p.seq_len)]  # (n, heads, L)
    trace.add(mirror_weight=mirror)
    causal = trace["causal_attn"]
    trace.metrics = {
        "device": device.type,
        "d_k": p.d_k,
        "accuracy": float(right.float().mean()),
        "sequence_accuracy": float(right.all(1).float().mean()),
        "causal_accuracy": float(right_causal.float().mean()),
        "final_loss": float(losses[-100:].mean()) if p.train_steps else None,
        "uniform_loss": math.log(p.vocab),
        "shown_head": int(mirror.mean((0, 2)).argmax()),  # the head that does the looking-up most
        "mirror_weight_mean": float(mirror.mean()),
        "causal_future_weight_max": float(np.triu(causal, 1).max()) if p.seq_len > 1 else 0.0,
        "causal_row_sum_err": float(np.abs(causal.sum(-1) - 1).max()),
        "var_slope_raw": float(np.polyfit(np.log2(trace["var_dk"]), np.log2(trace["var_raw"]), 1)[0])
        if p.var_max_log2 > 0 else None,
    }
    return trace
