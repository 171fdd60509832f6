"""The printed numbers of the book's ``code/09_enablers.py`` (chapter 9), and the curves behind them.

Three small computations, all exact arithmetic:

(a) the product of the activation's derivative over ``layers`` layers: sigmoid at its best point
    (σ′(0) = 0.25) and ReLU on its positive side (1.0), for every depth 0 … layers; plus the curves
    σ, σ′, ReLU, ReLU′ on z ∈ [−z_max, z_max] that the ReLUGate scene draws;
(b) one layer's dy/dx without and with a skip connection, F′ versus 1 + F′, for the book's two
    values of F′, and the same products stacked over ``layers`` blocks;
(c) Adam fed gradients that alternate between ``grad_big`` and ``grad_small`` (the book's 10 and
    0.01): the size of every update |Δw|. The book states β₁, β₂ but not η, ε or the step count
    (BOOK_SPEC §9.4); η = 0.01 and ε = 1e-8 are inferred there (η = 0.001 makes every step 10×
    smaller than the book's range). Step 1 is always exactly η (bias correction); after it the
    small-gradient steps sit near 0.0067 and the large-gradient ones settle near 0.0075, a little
    above the book's "0.006–0.007" (S2 #9). The trace keeps every step so the checks can say so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "sigmoid", "adam_updates"]


@dataclass(frozen=True)
class Params:
    layers: int = 10  # the book's depth for the derivative product
    f_prime_small: float = 0.01  # the book's first F′(x)
    f_prime_large: float = 0.5  # the book's second F′(x)
    z_max: float = 6.0  # the curves are drawn on z ∈ [−z_max, z_max] (BOOK_SPEC §9.3)
    z_points: int = 241  # samples of each curve
    adam_lr: float = 0.01  # η: not stated, inferred in BOOK_SPEC §9.4
    adam_eps: float = 1e-8  # ε: not stated, the usual default
    beta1: float = 0.9  # the book's β₁
    beta2: float = 0.999  # the book's β₂
    grad_big: float = 10.0  # the book's large gradient
    grad_small: float = 0.01  # the book's small gradient
    adam_steps: int = 200  # not stated; long enough for the large steps to settle
    warmup: int = 20  # steps left out when the settled range is measured (not stated)

    def __post_init__(self) -> None:
        if self.warmup >= self.adam_steps - 1:
            raise ValueError(f"warmup={self.warmup} must be < adam_steps − 1 = {self.adam_steps - 1}: "
                             "both gradient sizes must occur after the warm-up")


VARIANTS = {"default": {}}
RANGES = {
    "layers": "[1, 200]",
    "f_prime_small": "[0, 10]",
    "f_prime_large": "[0, 10]",
    "z_max": "(0, 50]",
    "z_points": "[3, 10001]",
    "adam_lr": "(0, 10]",
    "adam_eps": "(0, 1]",
    "beta1": "[0, 1)",
    "beta2": "[0, 1)",
    "grad_big": "(0, 1e6]",
    "grad_small": "(0, 1e6]",
    "adam_steps": "[3, 100000]",
    "warmup": "[0, 100000]",  # and < adam_steps − 1 (checked in Params)
}
SEED = 0  # nothing here is random


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def adam_updates(grads: np.ndarray, lr: float, beta1: float, beta2: float, eps: float) -> np.ndarray:
    """The update Δw of every Adam step for a given gradient sequence (bias-corrected, as in the book)."""
    m = v = 0.0
    out = np.zeros(len(grads))
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        out[t - 1] = -lr * m_hat / (np.sqrt(v_hat) + eps)
    return out


def run(params: Params, seed: int = SEED) -> Trace:
    p = params
    z = np.linspace(-p.z_max, p.z_max, p.z_points)
    s = sigmoid(z)
    depth = np.arange(p.layers + 1)
    sig_max = float(sigmoid(np.array(0.0)) * (1 - sigmoid(np.array(0.0))))  # σ′(0) = 0.25, computed
    sig_product = sig_max**depth  # after k layers, at σ′'s best point
    relu_product = 1.0**depth

    f_primes = np.array([p.f_prime_small, p.f_prime_large])
    plain, residual = f_primes, 1.0 + f_primes
    plain_stack = plain[:, None] ** depth[None, :]  # (2, layers + 1): k blocks stacked
    residual_stack = residual[:, None] ** depth[None, :]

    grads = np.where(np.arange(p.adam_steps) % 2 == 0, p.grad_big, p.grad_small)
    updates = adam_updates(grads, p.adam_lr, p.beta1, p.beta2, p.adam_eps)
    size = np.abs(updates)
    settled = np.arange(p.adam_steps) >= p.warmup
    big, small = (grads == p.grad_big) & settled, (grads == p.grad_small) & settled
    after_first = np.arange(p.adam_steps) >= 1

    trace = Trace()
    trace.add(
        z=z, sigmoid=s, sigmoid_prime=s * (1 - s), relu=np.maximum(z, 0.0), relu_prime=(z > 0).astype(float),
        depth=depth, sigmoid_product=sig_product, relu_product=relu_product,
        f_primes=f_primes, plain_dydx=plain, residual_dydx=residual,
        plain_stack=plain_stack, residual_stack=residual_stack,
        adam_step=np.arange(1, p.adam_steps + 1), adam_grad=grads, adam_update=updates, adam_size=size,
    )
    trace.metrics = {
        "sigmoid_max_derivative": sig_max,
        "sigmoid_product": float(sig_product[-1]),
        "relu_product": float(relu_product[-1]),
        "plain_dydx": plain.tolist(),
        "residual_dydx": residual.tolist(),
        "adam_first_step": float(size[0]),
        "adam_small_range": [float(size[small].min()), float(size[small].max())],
        "adam_big_range": [float(size[big].min()), float(size[big].max())],
        "adam_big_after_first": [float(size[after_first & (grads == p.grad_big)].min()),
                                 float(size[after_first & (grads == p.grad_big)].max())],
        "adam_settled_range": [float(size[settled].min()), float(size[settled].max())],
        "adam_big_last": float(size[grads == p.grad_big][-1]),
        "adam_small_last": float(size[grads == p.grad_small][-1]),
        "grad_ratio": p.grad_big / p.grad_small,
    }
    return trace
