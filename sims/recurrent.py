"""Vanishing gradients in a tanh RNN vs the LSTM's carousel (book chapter 4).

Two parts:

(a) the book's ``code/04_lstm_cell.py`` table: gradient size λ^k after k
    steps for λ = 0.6, 1.0, 1.3 (printed for k = 5, 20, 50), here for every k;
(b) a real measurement with torch autograd. A vanilla tanh RNN and an LSTM
    (the book's ``lstm_step``: z = [h; x], gates f, i, g, o, c = f·c + i·g,
    h = o·tanh c) read a sequence whose *first* token is one of
    ``n_symbols`` signal symbols and the rest are distractors; the loss
    (cross-entropy) is on the last step only and asks for the first token.
    We record ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖ for the LSTM) at every t, at
    initialisation and after training, plus one trained LSTM's gates and cell
    state on one example sequence.

Why the forget bias defaults to 3, not the book's 1: across k steps the
carousel multiplies the gradient by ∏ f ≈ σ(b_f)^k. With b_f = 1 that is
0.73^59 ≈ 1e-8 over this task's span: the LSTM's gradient vanishes too (only
more slowly than the RNN's), it does not find the dependency in the training
budget, and training then pushes f further down (variant ``book_bias`` shows
this). σ(3)^59 ≈ 0.06 keeps the carousel open long enough to learn; this is the
usual "forget bias ≈ log(memory span)" reasoning (chrono initialisation).

Both nets share the optimiser settings. The trained RNN learns the task only
in part (``rnn_eval_trained.acc`` stays well below the LSTM's); Adam at lr 1e-2
grows its W_hh (spectral radius ≈ 0.6 → ≈ 4) until the
tanh units saturate (mean tanh' ≈ 0.03), so its gradient then vanishes even
faster than at init: latching a bit into a saturated attractor is exactly what
kills the gradient (Bengio et al. 1994). ``rnn_health`` records both numbers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "decay_table", "RNN", "LSTM", "make_batch"]

States = dict[str, list[torch.Tensor]]  # per-step tensors kept by forward(keep=True)
LAMBDAS = (0.6, 1.0, 1.3)  # the book's three multipliers: decaying, critical, exploding
HORIZONS = (5, 20, 50)  # the book prints these (λ = 1.0 and 1.3 omit 20)


@dataclass(frozen=True)
class Params:
    max_k: int = 50  # λ^k table for k = 0..max_k (the book's longest horizon)
    seq_len: int = 60  # T; the first token must be recalled T-1 steps later
    hidden: int = 32  # units in each recurrent net
    n_symbols: int = 4  # signal symbols (the classes to recall); chance = 1/n_symbols
    n_distractors: int = 4  # distractor symbols filling steps 1..T-1
    forget_bias: float = 3.0  # LSTM b_f; the book's cell uses 1, see the module docstring
    batch: int = 64  # training sequences per step
    train_steps: int = 1200  # Adam steps per model (seed 2 needs ~1000 to solve the task)
    lr: float = 1e-2  # Adam learning rate
    clip: float = 1.0  # gradient-norm clipping (the book's cure for explosion)
    eval_batch: int = 256  # fixed sequences the gradient norms are averaged over
    device: str = "auto"  # "auto" = cuda when available, else cpu

    def __post_init__(self) -> None:
        if self.seq_len < 2 or self.hidden < 1 or self.n_symbols < 2 or self.n_distractors < 1:
            raise ValueError("need seq_len ≥ 2, hidden ≥ 1, n_symbols ≥ 2, n_distractors ≥ 1")
        if self.max_k < 0 or self.batch < 1 or self.eval_batch < 1 or self.train_steps < 0:
            raise ValueError("max_k, train_steps ≥ 0 and batch, eval_batch ≥ 1")


VARIANTS = {"default": {}, "book_bias": {"forget_bias": 1.0}}
RANGES = {
    "max_k": "[0, 1000]",  # 1.3^1000 ≈ 1e114 still fits a float
    "seq_len": "[2, 250]",  # ≥ 2: something to recall; a step of the unrolled nets costs ∝ T
    "hidden": "[1, 512]",
    "n_symbols": "[2, 64]",
    "n_distractors": "[1, 64]",
    "forget_bias": "[-20, 20]",  # past about ±17 σ(b_f) is exactly 0 or 1 in float32
    "batch": "[1, 4096]",
    "train_steps": "[0, 10000]",  # the default 1200 take ~30 s per net at T = 60
    "lr": "(0, inf)",
    "clip": "(0, inf)",
    "eval_batch": "[1, 4096]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # seeds torch (torch_session) for both nets' init; the data generators use seed+1 (train) and seed+2 (eval)


def decay_table(lambdas: tuple[float, ...], max_k: int) -> np.ndarray:
    """|grad| ~ λ^k, shape (len(lambdas), max_k + 1)."""
    return np.array(lambdas)[:, None] ** np.arange(max_k + 1)[None, :]


def make_batch(n: int, p: Params, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One-hot sequences (n, T, V), their tokens (n, T) and labels = the first token."""
    first = torch.randint(0, p.n_symbols, (n,), generator=gen)
    tokens = torch.randint(p.n_symbols, p.n_symbols + p.n_distractors, (n, p.seq_len), generator=gen)
    tokens[:, 0] = first
    return F.one_hot(tokens, p.n_symbols + p.n_distractors).float(), tokens, first


def uniform_(shape: tuple[int, ...], hidden: int) -> nn.Parameter:
    """PyTorch's default recurrent init, U(-1/√H, 1/√H)."""
    bound = hidden**-0.5
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class RNN(nn.Module):
    """h_t = tanh(W [h_{t-1}; x_t] + b), readout from h_T."""

    def __init__(self, n_in: int, hidden: int, n_out: int) -> None:
        super().__init__()
        self.hidden = hidden
        self.W = uniform_((hidden, hidden + n_in), hidden)
        self.b = nn.Parameter(torch.zeros(hidden))
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor, keep: bool = False) -> tuple[torch.Tensor, States]:
        h = x.new_zeros(x.shape[0], self.hidden)
        states: States = {"h": []}
        for t in range(x.shape[1]):
            h = torch.tanh(torch.cat([h, x[:, t]], 1) @ self.W.T + self.b)
            if keep:
                if h.requires_grad:
                    h.retain_grad()
                states["h"].append(h)
        return self.out(h), states


class LSTM(nn.Module):
    """The book's lstm_step unrolled: z = [h; x]; f, i, o = σ(·), g = tanh(·)."""

    def __init__(self, n_in: int, hidden: int, n_out: int, forget_bias: float) -> None:
        super().__init__()
        self.hidden = hidden
        self.W = uniform_((4 * hidden, hidden + n_in), hidden)  # rows: W_f, W_i, W_c, W_o
        bias = torch.zeros(4 * hidden)
        bias[:hidden] = forget_bias  # b_f > 0: the gate starts near "remember everything"
        self.b = nn.Parameter(bias)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor, keep: bool = False) -> tuple[torch.Tensor, States]:
        h = x.new_zeros(x.shape[0], self.hidden)
        c = torch.zeros_like(h)
        states: States = {k: [] for k in "figohc"}
        for t in range(x.shape[1]):
            pre = torch.cat([h, x[:, t]], 1) @ self.W.T + self.b
            f, i, g, o = pre.chunk(4, dim=1)
            f, i, g, o = torch.sigmoid(f), torch.sigmoid(i), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g  # the carousel: additive update, gated
            h = o * torch.tanh(c)
            if keep:
                if h.requires_grad:
                    h.retain_grad()
                    c.retain_grad()
                for k, v in zip("figohc", (f, i, g, o, h, c)):
                    states[k].append(v)
        return self.out(h), states


def grad_norms(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """Mean over sequences of ‖∂L/∂h_t‖ (and ‖∂L/∂c_t‖) for every t.

    The loss is summed over sequences, so each sequence's h_t gets exactly
    ∂L_n/∂h_t of its own loss, not a 1/batch share of it. Measured on a
    float64 copy: a trained RNN's gradient 50 steps back underflows float32.
    """
    model = copy.deepcopy(model).double()
    logits, states = model(x.double(), keep=True)
    F.cross_entropy(logits, y, reduction="sum").backward()
    return {
        k: torch.stack([s.grad.norm(dim=1).mean() for s in states[k]]).double().cpu().numpy()
        for k in ("h", "c")
        if k in states
    }


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) on the fixed evaluation batch."""
    with torch.no_grad():
        logits, _ = model(x)
        return F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def train(model: nn.Module, p: Params, seed: int, device: torch.device) -> np.ndarray:
    """Adam on fresh batches (the same batches for every model); returns the loss per step."""
    gen = torch.Generator().manual_seed(seed + 1)
    opt = torch.optim.Adam(model.parameters(), lr=p.lr)
    losses = np.zeros(p.train_steps)
    for step in range(p.train_steps):
        x, _, y = make_batch(p.batch, p, gen)
        logits, _ = model(x.to(device))
        loss = F.cross_entropy(logits, y.to(device))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), p.clip)
        opt.step()
        losses[step] = loss.item()
    return losses


def memory_unit(c_last: torch.Tensor, y: torch.Tensor, n_classes: int) -> int:
    """The LSTM unit whose final cell state best separates the classes (between-class / total variance)."""
    means = torch.stack([c_last[y == k].mean(0) for k in range(n_classes) if (y == k).any()])
    within = c_last.var(0) + 1e-12
    return int(torch.argmax(means.var(0) / within))


def effective_lambda(g: np.ndarray, k_lo: int = 5, k_hi: int = 50) -> float | None:
    """λ in g ~ λ^k, fitted in log space over k = k_lo..k_hi steps back from the end."""
    k = np.arange(len(g))[::-1]  # steps back of g[t]
    keep = (k >= k_lo) & (k <= k_hi) & (g > 0)
    if keep.sum() < 2:
        return None
    return float(np.exp(np.polyfit(k[keep], np.log(g[keep]), 1)[0]))


def rnn_health(rnn: RNN, x: torch.Tensor) -> dict[str, float]:
    """Why its gradient vanishes: spectral radius of W_hh and the mean tanh' along the sequence."""
    with torch.no_grad():
        _, st = rnn(x, keep=True)
        h = torch.stack(st["h"], 1)
        w_hh = rnn.W[:, : rnn.hidden].double().cpu()
        radius = float(torch.linalg.eigvals(w_hh).abs().max())
        return {"spectral_radius": radius, "mean_tanh_prime": float((1 - h**2).mean())}


def run(params: Params, seed: int = SEED) -> Trace:
    """λ^k table, then train both nets and measure their BPTT gradient norms."""
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    n_in = p.n_symbols + p.n_distractors
    x_eval, tok_eval, y_eval = make_batch(p.eval_batch, p, torch.Generator().manual_seed(seed + 2))
    x_eval, y_eval = x_eval.to(device), y_eval.to(device)

    # Both nets draw their init from the generator as torch_session seeded it: the RNN's draws
    # are undone (fork_rng puts the CPU generator back), so the LSTM starts from the same state.
    with torch.random.fork_rng(devices=[]):
        rnn = RNN(n_in, p.hidden, p.n_symbols).to(device)
    lstm = LSTM(n_in, p.hidden, p.n_symbols, p.forget_bias).to(device)

    init = {"rnn": grad_norms(rnn, x_eval, y_eval), "lstm": grad_norms(lstm, x_eval, y_eval)}
    health = {"init": rnn_health(rnn, x_eval)}
    before = {"rnn": evaluate(rnn, x_eval, y_eval), "lstm": evaluate(lstm, x_eval, y_eval)}
    curves = {"rnn": train(rnn, p, seed, device), "lstm": train(lstm, p, seed, device)}
    trained = {"rnn": grad_norms(rnn, x_eval, y_eval), "lstm": grad_norms(lstm, x_eval, y_eval)}
    after = {"rnn": evaluate(rnn, x_eval, y_eval), "lstm": evaluate(lstm, x_eval, y_eval)}
    health["trained"] = rnn_health(rnn, x_eval)

    # one example sequence through the trained LSTM: gates and cell state per step
    with torch.no_grad():
        logits, st = lstm(x_eval, keep=True)
    gates = {k: torch.stack(v, 1).double().cpu().numpy() for k, v in st.items()}  # (N, T, H)
    unit = memory_unit(torch.from_numpy(gates["c"][:, -1]), y_eval.cpu(), p.n_symbols)
    ex = 0  # the example sequence: the first of the fixed evaluation batch
    f_unit = gates["f"][ex, :, unit]
    carousel = np.append(np.cumprod(f_unit[:0:-1])[::-1], 1.0)  # ∏_{k>t} f_k = ∂c_T/∂c_t along the unit
    with torch.no_grad():
        rnn_logits, _ = rnn(x_eval[ex : ex + 1])
    probs = {"rnn": F.softmax(rnn_logits, 1)[0], "lstm": F.softmax(logits[ex], 0)}

    T = p.seq_len
    trace = Trace()
    trace.add(
        lambdas=np.array(LAMBDAS),
        ks=np.arange(p.max_k + 1),
        decay=decay_table(LAMBDAS, p.max_k),  # (3, max_k+1): λ^k
        book_horizons=np.array(HORIZONS),
        book_decay=np.array(LAMBDAS)[:, None] ** np.array(HORIZONS)[None, :],  # (3, 3)
        t=np.arange(T),
        steps_back=T - 1 - np.arange(T),  # k in λ^k: how far t lies from the loss at T-1
        rnn_grad_h_init=init["rnn"]["h"],
        rnn_grad_h_trained=trained["rnn"]["h"],
        lstm_grad_h_init=init["lstm"]["h"],
        lstm_grad_h_trained=trained["lstm"]["h"],
        lstm_grad_c_init=init["lstm"]["c"],
        lstm_grad_c_trained=trained["lstm"]["c"],
        rnn_train_loss=curves["rnn"],
        lstm_train_loss=curves["lstm"],
        example_tokens=tok_eval[ex].numpy(),
        example_label=np.array(int(y_eval[ex])),
        rnn_example_probs=probs["rnn"].double().cpu().numpy(),
        lstm_example_probs=probs["lstm"].double().cpu().numpy(),
        lstm_unit=np.array(unit),
        **{f"lstm_example_{k}": gates[k][ex] for k in "figohc"},  # (T, H) each
        **{f"lstm_unit_{k}": gates[k][ex, :, unit] for k in "figohc"},  # (T,) the memory unit
        **{f"lstm_mean_{k}": gates[k][ex].mean(1) for k in "fio"},  # (T,) mean over units
        lstm_unit_carousel=carousel,
    )

    def rel(g: np.ndarray, t: int) -> float:  # the gradient at t relative to the one at the last step
        return float(g[t] / g[-1])

    def ratios(g: dict[str, dict[str, np.ndarray]]) -> dict[str, float]:
        """LSTM / RNN ‖∂L/∂h_t‖, raw and with each curve divided by its own last-step value.

        After training the LSTM's loss (hence its whole gradient) is orders of
        magnitude smaller than the RNN's, so the relative ratio is the fair one
        there. "far" = the first quarter of the sequence (≥ 3T/4 steps back).
        """
        lstm, rnn = g["lstm"]["h"], g["rnn"]["h"]
        raw, relative = lstm / rnn, (lstm / lstm[-1]) / (rnn / rnn[-1])
        far = slice(0, max(1, T // 4))
        return {
            "t0": float(raw[0]), "t0_rel": float(relative[0]),
            "min_far": float(raw[far].min()), "min_far_rel": float(relative[far].min()),
            "t_quarter": float(raw[T // 4]), "t_half": float(raw[T // 2]),
        }

    trace.metrics = {
        "book_decay": {
            str(lam): dict(zip(map(str, HORIZONS), row.tolist()))
            for lam, row in zip(LAMBDAS, trace["book_decay"])
        },
        "device": device.type,
        "chance_accuracy": 1.0 / p.n_symbols,
        "rnn_eval_init": {"loss": before["rnn"][0], "acc": before["rnn"][1]},
        "lstm_eval_init": {"loss": before["lstm"][0], "acc": before["lstm"][1]},
        "rnn_eval_trained": {"loss": after["rnn"][0], "acc": after["rnn"][1]},
        "lstm_eval_trained": {"loss": after["lstm"][0], "acc": after["lstm"][1]},
        "ratio_h": {"init": ratios(init), "trained": ratios(trained)},
        "rel_grad_h_t0": {
            "rnn_init": rel(init["rnn"]["h"], 0), "lstm_init": rel(init["lstm"]["h"], 0),
            "rnn_trained": rel(trained["rnn"]["h"], 0), "lstm_trained": rel(trained["lstm"]["h"], 0),
        },
        "rel_grad_c_t0": {
            "lstm_init": rel(init["lstm"]["c"], 0), "lstm_trained": rel(trained["lstm"]["c"], 0),
        },
        "effective_lambda_h": {
            f"{net}_{state}": effective_lambda(g[net]["h"], k_hi=min(50, T - 1))
            for state, g in (("init", init), ("trained", trained)) for net in ("rnn", "lstm")
        },
        "rnn_health": health,
        "lstm_unit": unit,
        "lstm_unit_mean_f": float(f_unit[1:].mean()),
    }
    return trace
