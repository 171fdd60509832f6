"""Gradient norms per layer at initialisation, measured with autograd (chapter 9: ReLU and residual links).

Two measurements on the same random regression batch (inputs and targets N(0, 1), loss = mean
squared error summed over outputs and averaged over the batch):

(a) a ``mlp_layers``-layer MLP of width ``width``, once with sigmoid and once with ReLU hidden
    units. Each net gets the initialisation made for its activation (Glorot/LeCun, gain 1, for the
    sigmoid; He, gain √2, for ReLU: weights N(0, gain²/fan_in), zero biases), so the ReLU net is not
    handicapped and the sigmoid one not starved. We record ‖∂L/∂W_l‖ and ‖∂L/∂h_l‖ for every layer l
    and the mean σ′(z) each sigmoid layer actually multiplies the error by (≤ 0.25).
(b) ``blocks`` two-layer blocks F(x) = W₂·relu(W₁x + b₁) + b₂, stacked plainly, x ← relu(F(x)), or
    with the skip, x ← relu(x + F(x)) (ResNet v1 without BatchNorm). Both start from PyTorch's default
    ``nn.Linear`` initialisation, U(±1/√fan_in): what a user gets without choosing. At each block we
    also split the backward pass the way the Residual scene draws it: the gradient g arriving at the
    block's output reaches its input once along the identity (‖g‖ itself: factor exactly 1) and once
    through F (‖J_Fᵀg‖/‖g‖, the measured "F′").

``*_chain`` follows the book's count: ‖∂L/∂h‖ at the top layer's output, then ‖∂L/∂z_l‖ at each
pre-activation going down, so entry k has passed k activation derivatives (k = 0 … mlp_layers), each
divided by entry 0; 0.25^k is the most a sigmoid chain can keep when ‖W‖ ≈ 1.
The gradient that reaches a layer is ‖∂L/∂h_l‖ (mean over the batch of each sample's norm): the
headline numbers use it. ‖∂L/∂W_l‖ is recorded too, but it also grows with how alike the batch's
activations become with depth, which has nothing to do with the backward pass.

Honest caveat, recorded in variant ``he_init``: with He initialisation (N(0, 2/fan_in) for both
layers of each block) the plain ReLU stack keeps its gradient too (that init was the other half of
the 2015 cure), while the residual stack's gradient then *grows* by orders of magnitude towards the
bottom, because each block adds an unscaled branch; ResNet pairs the skip with BatchNorm for that.
Computed in float64 (the plain stack at default init leaves the bottom about 1e-24 of the top).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run"]


@dataclass(frozen=True)
class Params:
    mlp_layers: int = 10  # the book's 10 layers
    width: int = 64  # hidden units per layer (not stated)
    batch: int = 256  # random inputs the norms are measured on (not stated)
    sigmoid_gain: float = 1.0  # std of W = gain/√fan_in for the sigmoid MLP (Glorot/LeCun)
    relu_gain: float = 2.0**0.5  # the same for the ReLU MLP (He)
    blocks: int = 30  # residual / plain blocks (not stated; BOOK_SPEC §9.3 suggests 20–50)
    block_init: str = "default"  # "default": nn.Linear's U(±1/√fan_in); "he": N(0, 2/fan_in)
    device: str = "auto"  # "auto" = cuda when available, else cpu

    def __post_init__(self) -> None:
        if self.mlp_layers < 2 or self.blocks < 1 or self.width < 1 or self.batch < 1:
            raise ValueError("need mlp_layers ≥ 2, blocks ≥ 1, width ≥ 1, batch ≥ 1")


VARIANTS = {"default": {}, "he_init": {"block_init": "he"}}
RANGES = {
    "mlp_layers": "[2, 200]",
    "width": "[1, 1024]",
    "batch": "[1, 8192]",
    "sigmoid_gain": "(0, 100]",
    "relu_gain": "(0, 100]",
    "blocks": "[1, 500]",
    "block_init": {"default", "he"},
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0
DTYPE = torch.float64


def gauss_linear(n_in: int, n_out: int, gain: float) -> nn.Linear:
    layer = nn.Linear(n_in, n_out, dtype=DTYPE)
    nn.init.normal_(layer.weight, 0.0, gain / n_in**0.5)
    nn.init.zeros_(layer.bias)
    return layer


def mlp_norms(act: str, p: Params, x: torch.Tensor, y: torch.Tensor) -> dict[str, np.ndarray]:
    """‖∂L/∂W_l‖, ‖∂L/∂h_l‖ (h_l: layer l's output) and mean σ′ per hidden layer, at init."""
    gain = p.sigmoid_gain if act == "sigmoid" else p.relu_gain
    dims = [x.shape[1]] + [p.width] * p.mlp_layers
    layers = [gauss_linear(a, b, gain).to(x) for a, b in zip(dims[:-1], dims[1:])]
    head = gauss_linear(p.width, y.shape[1], 1.0).to(x)
    h, outs, pres, slopes = x, [], [], []
    for layer in layers:
        z = layer(h)
        z.retain_grad()
        pres.append(z)
        h = torch.sigmoid(z) if act == "sigmoid" else torch.relu(z)
        h.retain_grad()
        outs.append(h)
        d = h * (1 - h) if act == "sigmoid" else (z > 0).double()  # what this layer multiplies the error by
        slopes.append(float(d.detach().mean()))
    loss = ((head(h) - y) ** 2).sum(1).mean()
    loss.backward()
    return {
        "weight": np.array([float(layer.weight.grad.norm()) for layer in layers]),
        "hidden": np.array([float(o.grad.norm(dim=1).mean()) for o in outs]),
        # the book's chain: ∂L/∂h_top, then ∂L/∂z_l from the top layer down: k activation derivatives passed
        "chain": np.array([float(g.norm(dim=1).mean()) for g in [outs[-1].grad] + [z.grad for z in pres[::-1]]]),
        "slope": np.array(slopes),
        "loss": np.array(loss.item()),
    }


class Block(nn.Module):
    """F(x) = W₂·relu(W₁x + b₁) + b₂."""

    def __init__(self, width: int, init: str) -> None:
        super().__init__()
        self.l1, self.l2 = (nn.Linear(width, width, dtype=DTYPE) for _ in range(2))  # default init drawn here
        if init == "he":
            for layer in (self.l1, self.l2):
                nn.init.normal_(layer.weight, 0.0, (2.0 / width) ** 0.5)
                nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2(torch.relu(self.l1(x)))


def block_norms(blocks: list[Block], skip: bool, x0: torch.Tensor, head: nn.Linear,
                y: torch.Tensor) -> dict[str, np.ndarray]:
    """Per block: ‖∂L/∂x_l‖ at its input (mean over the batch), ‖∂L/∂W₁‖, and the split of the backward pass."""
    xs, sums, x = [], [], x0.clone().requires_grad_()
    for block in blocks:
        x.retain_grad()
        xs.append(x)
        pre = x + block(x) if skip else block(x)  # the block's sum, before its relu
        pre.retain_grad()
        sums.append(pre)
        x = torch.relu(pre)
    loss = ((head(x) - y) ** 2).sum(1).mean()
    loss.backward()
    ratios = []
    for block, xin, pre in zip(blocks, xs, sums):
        g = pre.grad  # what reaches the sum: the skip hands it on unchanged (factor 1), F as J_Fᵀg
        xin = xin.detach().requires_grad_()
        jf = torch.autograd.grad(block(xin), xin, grad_outputs=g)[0]
        ratios.append(float((jf.norm(dim=1) / g.norm(dim=1).clamp_min(1e-300)).mean()))
    return {
        "hidden": np.array([float(v.grad.norm(dim=1).mean()) for v in xs]),
        "weight": np.array([float(b.l1.weight.grad.norm()) for b in blocks]),
        "f_ratio": np.array(ratios),
        "loss": np.array(loss.item()),
    }


def run(params: Params, seed: int = SEED) -> Trace:
    with torch_session(params.device, seed) as device:
        return _run(params, seed, device)


def _run(p: Params, seed: int, device: torch.device) -> Trace:
    x = torch.randn(p.batch, p.width, dtype=DTYPE).to(device)
    y = torch.randn(p.batch, 1, dtype=DTYPE).to(device)
    sig = mlp_norms("sigmoid", p, x, y)
    relu = mlp_norms("relu", p, x, y)
    blocks = [Block(p.width, p.block_init).to(device) for _ in range(p.blocks)]  # one set of weights for both
    head = nn.Linear(p.width, 1, dtype=DTYPE).to(device)
    plain = block_norms(blocks, False, x, head, y)
    for module in (*blocks, head):
        module.zero_grad()
    residual = block_norms(blocks, True, x, head, y)

    def spread(g: np.ndarray) -> float:
        """Decades between the largest and the smallest norm across depth."""
        return float(np.log10(g.max() / g.min()))

    trace = Trace()
    trace.add(
        layer=np.arange(1, p.mlp_layers + 1), block=np.arange(1, p.blocks + 1),
        sigmoid_weight_grad=sig["weight"], relu_weight_grad=relu["weight"],
        sigmoid_hidden_grad=sig["hidden"], relu_hidden_grad=relu["hidden"],
        sigmoid_slope=sig["slope"], relu_active=relu["slope"],
        chain_k=np.arange(p.mlp_layers + 1),  # activations passed on the way down
        sigmoid_chain=sig["chain"] / sig["chain"][0], relu_chain=relu["chain"] / relu["chain"][0],
        sigmoid_bound=0.25 ** np.arange(p.mlp_layers + 1),  # σ′ ≤ 0.25 per activation passed
        plain_hidden_grad=plain["hidden"], residual_hidden_grad=residual["hidden"],
        plain_weight_grad=plain["weight"], residual_weight_grad=residual["weight"],
        plain_f_ratio=plain["f_ratio"], residual_f_ratio=residual["f_ratio"],
    )
    trace.metrics = {
        "device": device.type,
        # first layer / last layer: how much of the gradient the bottom receives
        "sigmoid_first_over_last": float(sig["hidden"][0] / sig["hidden"][-1]),
        "relu_first_over_last": float(relu["hidden"][0] / relu["hidden"][-1]),
        "plain_first_over_last": float(plain["hidden"][0] / plain["hidden"][-1]),
        "residual_first_over_last": float(residual["hidden"][0] / residual["hidden"][-1]),
        "sigmoid_chain_end": float(sig["chain"][-1] / sig["chain"][0]),
        "relu_chain_end": float(relu["chain"][-1] / relu["chain"][0]),
        "sigmoid_decades": spread(sig["hidden"]), "relu_decades": spread(relu["hidden"]),
        "plain_decades": spread(plain["hidden"]), "residual_decades": spread(residual["hidden"]),
        "sigmoid_mean_slope": float(sig["slope"].mean()),
        "sigmoid_slope_product": float(np.prod(sig["slope"])),
        "residual_mean_f_ratio": float(residual["f_ratio"].mean()),
        "plain_mean_f_ratio": float(plain["f_ratio"].mean()),
        "loss_init": {"sigmoid": float(sig["loss"]), "relu": float(relu["loss"]),
                      "plain": float(plain["loss"]), "residual": float(residual["loss"])},
    }
    return trace
