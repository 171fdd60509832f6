"""A real training run with and without BatchNorm: one hidden unit's pre-activations, step by step (chapter 9).

Two MLPs with the same architecture (2 → width → … → 3, ``hidden_layers`` ReLU layers), the same
initial weights and the same mini-batches learn a three-armed spiral (``points`` 2-D points, three
classes) with plain SGD. The second puts ``nn.BatchNorm1d`` between every linear layer and its ReLU.

At every step we record, for one unit of hidden layer ``probe_layer``, the values of its
pre-activation z over the mini-batch:

* without BN: z itself, whose distribution drifts as the layers below it learn (the mean moves,
  the spread changes: the "internal covariate shift" the book describes);
* with BN: the unit's input z, the batch statistics μ_B and σ_B² (biased, as BN uses them),
  x̂ = (z − μ_B)/√(σ_B² + ε) and the BN output y = γx̂ + β with the γ, β of that step.
  The recorded y is BatchNorm's own output; ``bn_formula_error`` checks that it equals γx̂ + β.
  ``undo_error`` checks the book's remark that γ = √(σ_B² + ε), β = μ_B would give z back.

The probe unit is the one of that layer whose mean moved most (in units of its initial spread)
in the run without BN; the BN run is shown at the same unit. Histograms over fixed bin edges are
stored for every step. The book gives no network, data or rates; all of it is pinned here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "spiral"]


@dataclass(frozen=True)
class Params:
    points: int = 1536  # spiral points, three classes (not stated)
    noise: float = 0.2  # std of the noise added to the spiral's angle (not stated)
    hidden_layers: int = 4  # ReLU layers (not stated)
    width: int = 64  # units per hidden layer (not stated)
    probe_layer: int = 3  # the hidden layer whose pre-activations are shown (1 … hidden_layers)
    batch: int = 128  # mini-batch size (not stated)
    steps: int = 600  # SGD steps per net (not stated)
    lr: float = 0.5  # SGD learning rate, the same for both nets (not stated; large, as BN allows)
    bn_eps: float = 1e-5  # BatchNorm ε (PyTorch's default)
    bins: int = 24  # histogram bins
    loss_target: float = 0.1  # "trained": the 20-step running mean of the loss first falls below this
    device: str = "auto"  # "auto" = cuda when available, else cpu

    def __post_init__(self) -> None:
        if not 1 <= self.probe_layer <= self.hidden_layers:
            raise ValueError(f"probe_layer={self.probe_layer} must lie in 1 … hidden_layers={self.hidden_layers}")
        if self.batch > self.points:
            raise ValueError(f"batch={self.batch} must be ≤ points={self.points}")


VARIANTS = {"default": {}}
RANGES = {
    "points": "[6, 100000]",
    "noise": "[0, 10]",
    "hidden_layers": "[1, 20]",
    "width": "[1, 1024]",
    "probe_layer": "[1, 20]",  # and ≤ hidden_layers (checked in Params)
    "batch": "[2, 100000]",  # ≥ 2: a batch of one has no spread to normalise by; ≤ points (checked in Params)
    "steps": "[1, 20000]",
    "lr": "(0, 100]",
    "bn_eps": "(0, 1]",
    "bins": "[2, 200]",
    "loss_target": "(0, inf)",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # seeds the weights (torch_session); the data and the batches use default_rng(seed + 1)


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three interleaved spiral arms in the plane, radius 0 … 1; labels 0, 1, 2."""
    label = np.arange(n) % 3
    r = rng.uniform(0.05, 1.0, n)
    angle = 4.0 * r + label * 2 * np.pi / 3 + rng.normal(0, noise, n)
    return np.stack([r * np.cos(angle), r * np.sin(angle)], 1), label


class MLP(nn.Module):
    def __init__(self, p: Params, bn: bool) -> None:
        super().__init__()
        dims = [2] + [p.width] * p.hidden_layers
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.norms = nn.ModuleList(nn.BatchNorm1d(p.width, eps=p.bn_eps) for _ in dims[1:]) if bn else None
        self.head = nn.Linear(p.width, 3)

    def forward(self, x: torch.Tensor, probe: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, and layer ``probe``'s pre-activation z and (with BN) BN output y, for the whole batch."""
        z_probe = y_probe = None
        for i, linear in enumerate(self.linears, start=1):
            z = linear(x)
            y = self.norms[i - 1](z) if self.norms is not None else z
            if i == probe:
                z_probe, y_probe = z, y
            x = torch.relu(y)
        return self.head(x), z_probe, y_probe


def train(p: Params, bn: bool, x: np.ndarray, labels: np.ndarray, order: np.ndarray, state: dict,
          device: torch.device) -> dict[str, np.ndarray]:
    net = MLP(p, bn).to(device)
    net.load_state_dict(state, strict=False)  # the same linear weights for both nets
    opt = torch.optim.SGD(net.parameters(), lr=p.lr)
    xt, yt = torch.tensor(x, dtype=torch.float32, device=device), torch.tensor(labels, device=device)
    z_all, y_all, gam, bet, losses = [], [], [], [], []
    for step in range(p.steps):
        idx = torch.tensor(order[step], device=device)
        logits, z, y = net(xt[idx], p.probe_layer)
        loss = F.cross_entropy(logits, yt[idx])
        z_all.append(z.detach().double().cpu().numpy())
        y_all.append(y.detach().double().cpu().numpy())
        if bn:  # γ, β used by this step's forward pass (before the update)
            norm = net.norms[p.probe_layer - 1]
            gam.append(norm.weight.detach().double().cpu().numpy().copy())
            bet.append(norm.bias.detach().double().cpu().numpy().copy())
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.train(False)
    with torch.no_grad():
        acc = float((net(xt, p.probe_layer)[0].argmax(1) == yt).float().mean())
    out = {"z": np.stack(z_all), "y": np.stack(y_all), "loss": np.array(losses), "acc": np.array(acc)}
    if bn:
        out["gamma"], out["beta"] = np.stack(gam), np.stack(bet)
    return out


def steps_to(losses: np.ndarray, target: float, span: int = 20) -> int:
    """The first step at which the running mean of the last ``span`` losses is below ``target``; -1: never."""
    running = np.convolve(losses, np.ones(span) / span, mode="valid") if len(losses) >= span else losses[-1:]
    hit = np.flatnonzero(running < target)
    return int(hit[0] + min(span, len(losses)) - 1) if len(hit) else -1


def histograms(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """(steps, bins) counts of each step's batch values."""
    return np.stack([np.histogram(np.clip(v, edges[0], edges[-1]), edges)[0] for v in values])


def run(params: Params, seed: int = SEED) -> Trace:
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    rng = np.random.default_rng(seed + 1)
    x, labels = spiral(p.points, p.noise, rng)
    order = np.stack([rng.permutation(p.points)[: p.batch] for _ in range(p.steps)])
    state = MLP(p, bn=False).state_dict()  # drawn once: both nets start from these weights
    plain = train(p, False, x, labels, order, state, device)
    normed = train(p, True, x, labels, order, state, device)

    z = plain["z"]  # (steps, batch, width)
    mean, std = z.mean(1), z.std(1)
    drift = np.abs(mean[-1] - mean[0]) / np.maximum(std[0], 1e-12)
    unit = int(np.argmax(drift))

    pz = z[:, :, unit]
    bz, by = normed["z"][:, :, unit], normed["y"][:, :, unit]
    mu, var = bz.mean(1), bz.var(1)  # biased variance: what BatchNorm divides by in training
    sigma = np.sqrt(var + p.bn_eps)
    xhat = (bz - mu[:, None]) / sigma[:, None]
    gamma, beta = normed["gamma"][:, unit], normed["beta"][:, unit]

    lo, hi = min(pz.min(), bz.min()), max(pz.max(), bz.max())
    z_edges = np.linspace(lo, hi, p.bins + 1)
    std_edges = np.linspace(-4.0, 4.0, p.bins + 1)  # x̂ and y live near N(0, 1)
    trace = Trace()
    trace.add(
        step=np.arange(p.steps), unit=np.array(unit),
        plain_z=pz, plain_mean=pz.mean(1), plain_std=pz.std(1),
        bn_z=bz, bn_mu=mu, bn_var=var, bn_sigma=sigma, bn_xhat=xhat, bn_y=by, bn_gamma=gamma, bn_beta=beta,
        bn_xhat_mean=xhat.mean(1), bn_xhat_std=xhat.std(1), bn_y_mean=by.mean(1), bn_y_std=by.std(1),
        z_edges=z_edges, std_edges=std_edges,
        plain_hist=histograms(pz, z_edges), bn_z_hist=histograms(bz, z_edges),
        bn_xhat_hist=histograms(xhat, std_edges), bn_y_hist=histograms(by, std_edges),
        plain_loss=plain["loss"], bn_loss=normed["loss"],
        layer_drift=drift,
    )
    window = max(1, p.steps // 10)
    trace.metrics = {
        "device": device.type,
        "unit": unit,
        "plain_mean_first_last": [float(pz[0].mean()), float(pz[-1].mean())],
        "plain_std_first_last": [float(pz[0].std()), float(pz[-1].std())],
        "bn_z_mean_first_last": [float(mu[0]), float(mu[-1])],
        "bn_z_std_first_last": [float(np.sqrt(var[0])), float(np.sqrt(var[-1]))],
        "xhat_mean_max_abs": float(np.abs(xhat.mean(1)).max()),
        "xhat_std_range": [float(xhat.std(1).min()), float(xhat.std(1).max())],
        "gamma_first_last": [float(gamma[0]), float(gamma[-1])],
        "beta_first_last": [float(beta[0]), float(beta[-1])],
        "bn_formula_error": float(np.abs(gamma[:, None] * xhat + beta[:, None] - by).max()),
        "undo_error": float(np.abs(sigma[:, None] * xhat + mu[:, None] - bz).max()),
        "plain_drift": float(drift[unit]),
        "plain_final_loss": float(plain["loss"][-window:].mean()),
        "bn_final_loss": float(normed["loss"][-window:].mean()),
        "plain_accuracy": float(plain["acc"]),
        "bn_accuracy": float(normed["acc"]),
        "loss_window": window,
        "plain_steps_to_target": steps_to(plain["loss"], p.loss_target),
        "bn_steps_to_target": steps_to(normed["loss"], p.loss_target),
    }
    return trace
