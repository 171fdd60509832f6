"""SGD versus Adam on an ill-conditioned valley, from the same start (chapter 9, AdamTrajectory).

The loss is f(x, y) = ½(a·x² + b·y²) with a shallow x (a = ``curv_x``) and a steep y (b =
``curv_y``): a long narrow valley with its minimum at the origin (BOOK_SPEC §9.3 suggests b/a of
50–100). Plain gradient descent w ← w − η∇f with one η for both coordinates, and Adam with the book's
β₁ = 0.9, β₂ = 0.999, ε = 1e-8, each run for ``steps`` steps from ``start``.

Each method's η is tuned, not guessed: every η of a log-spaced sweep is run, and the one that
reaches the minimum first wins. "Reached" means the iterate is within ``tol`` of the minimum and
stays there for the rest of the run (Adam's momentum can carry it through the target and out again).
The whole sweep (η, steps needed or "never", final distance) is kept in the trace, so the choice is
visible. SGD diverges for η > 2/b; the best SGD η sits just under that and zig-zags across the steep
direction while creeping along the shallow one. Adam divides each coordinate by its own √v̂, so both
coordinates move at a similar pace. (The valley's axes are the coordinate axes: that is exactly the
case per-coordinate scaling helps; a rotated valley would help it less.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "loss", "descend"]


@dataclass(frozen=True)
class Params:
    curv_x: float = 1.0  # a: curvature along the valley floor (shallow)
    curv_y: float = 50.0  # b: curvature across the valley (steep); b/a = 50 (BOOK_SPEC §9.3: 50–100)
    start_x: float = -5.0  # the common start (not stated)
    start_y: float = 1.5
    steps: int = 300  # iterates recorded per method (BOOK_SPEC §9.3: ~100–300)
    tol: float = 0.01  # "at the minimum": within this distance of the origin, for good
    beta1: float = 0.9  # the book's Adam β₁
    beta2: float = 0.999  # the book's Adam β₂
    eps: float = 1e-8  # Adam ε (not stated; the usual default)
    sgd_lr_min: float = 1e-3  # the SGD sweep, log-spaced
    sgd_lr_max: float = 0.05
    adam_lr_min: float = 1e-3  # the Adam sweep, log-spaced
    adam_lr_max: float = 1.0
    sweep: int = 25  # learning rates tried per method

    def __post_init__(self) -> None:
        if self.sgd_lr_min > self.sgd_lr_max or self.adam_lr_min > self.adam_lr_max:
            raise ValueError("need sgd_lr_min ≤ sgd_lr_max and adam_lr_min ≤ adam_lr_max")
        if self.start_x**2 + self.start_y**2 <= self.tol**2:
            raise ValueError(f"start ({self.start_x}, {self.start_y}) lies within tol={self.tol} of the minimum")


VARIANTS = {"default": {}, "kappa100": {"curv_y": 100.0, "sgd_lr_max": 0.025}}
RANGES = {
    "curv_x": "(0, 1000]",
    "curv_y": "(0, 1000]",
    "start_x": "[-100, 100]",
    "start_y": "[-100, 100]",
    "steps": "[2, 100000]",
    "tol": "(0, inf)",
    "beta1": "[0, 1)",
    "beta2": "[0, 1)",
    "eps": "(0, 1]",
    "sgd_lr_min": "(0, 100]",
    "sgd_lr_max": "(0, 100]",
    "adam_lr_min": "(0, 100]",
    "adam_lr_max": "(0, 100]",
    "sweep": "[1, 200]",
}
SEED = 0  # nothing here is random
BIG = 1e6  # an iterate this far out has diverged; the run stops moving there


def loss(w: np.ndarray, curv: np.ndarray) -> np.ndarray:
    """f at points ``w`` (…, 2)."""
    return 0.5 * (w**2 * curv).sum(-1)


def descend(method: str, lr: float, p: Params) -> np.ndarray:
    """Iterates w_0 … w_steps, shape (steps + 1, 2)."""
    curv = np.array([p.curv_x, p.curv_y])
    w = np.array([p.start_x, p.start_y], dtype=float)
    m, v = np.zeros(2), np.zeros(2)
    path = np.zeros((p.steps + 1, 2))
    path[0] = w
    for t in range(1, p.steps + 1):
        if np.abs(w).max() < BIG:
            g = curv * w
            if method == "sgd":
                w = w - lr * g
            else:
                m = p.beta1 * m + (1 - p.beta1) * g
                v = p.beta2 * v + (1 - p.beta2) * g * g
                w = w - lr * (m / (1 - p.beta1**t)) / (np.sqrt(v / (1 - p.beta2**t)) + p.eps)
        path[t] = w
    return path


def steps_to_reach(path: np.ndarray, tol: float) -> int:
    """The first step from which the path stays within ``tol`` of the origin; -1 if it never does."""
    outside = np.flatnonzero(np.linalg.norm(path, axis=1) >= tol)
    if len(outside) == 0:
        return 0
    last_out = int(outside[-1])
    return last_out + 1 if last_out + 1 < len(path) else -1


def tune(method: str, lrs: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray, float]:
    """Steps needed (-1: never) and final distance for each η, and the best η (fewest steps)."""
    needed, final = np.zeros(len(lrs), dtype=int), np.zeros(len(lrs))
    for i, lr in enumerate(lrs):
        path = descend(method, float(lr), p)
        needed[i], final[i] = steps_to_reach(path, p.tol), float(np.linalg.norm(path[-1]))
    ok = needed >= 0
    best = int(np.flatnonzero(ok)[np.argmin(needed[ok])]) if ok.any() else int(np.argmin(final))
    return needed, final, float(lrs[best])


def run(params: Params, seed: int = SEED) -> Trace:
    p = params
    curv = np.array([p.curv_x, p.curv_y])
    sweeps = {"sgd": np.geomspace(p.sgd_lr_min, p.sgd_lr_max, p.sweep),
              "adam": np.geomspace(p.adam_lr_min, p.adam_lr_max, p.sweep)}
    trace, metrics = Trace(), {}
    for method, lrs in sweeps.items():
        needed, final, lr = tune(method, lrs, p)
        path = descend(method, lr, p)
        reached = steps_to_reach(path, p.tol)
        trace.add(**{f"{method}_sweep_lr": lrs, f"{method}_sweep_steps": needed, f"{method}_sweep_final": final,
                     f"{method}_path": path, f"{method}_loss": loss(path, curv)})
        metrics[f"{method}_lr"] = lr
        metrics[f"{method}_steps"] = reached  # -1: not within tol by the end
        metrics[f"{method}_final_dist"] = float(np.linalg.norm(path[-1]))
        metrics[f"{method}_final_loss"] = float(loss(path[-1], curv))
        metrics[f"{method}_diverged_lrs"] = int((~np.isfinite(final) | (final > BIG / 2)).sum())
        # the zig-zag: how often the steep coordinate changes sign in the first 50 steps
        metrics[f"{method}_y_sign_changes"] = int((np.diff(np.sign(path[:51, 1])) != 0).sum())
    metrics["sgd_stable_limit"] = 2.0 / max(p.curv_x, p.curv_y)  # η beyond this diverges
    metrics["condition"] = max(p.curv_x, p.curv_y) / min(p.curv_x, p.curv_y)
    metrics["start_loss"] = float(loss(np.array([p.start_x, p.start_y]), curv))
    sgd, adam = metrics["sgd_steps"], metrics["adam_steps"]
    metrics["adam_faster"] = bool(adam >= 0 and (sgd < 0 or adam < sgd))
    trace.add(curv=curv, start=np.array([p.start_x, p.start_y]), step=np.arange(p.steps + 1))
    trace.metrics = metrics
    return trace
