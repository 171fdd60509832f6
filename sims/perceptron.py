"""Rosenblatt's online perceptron on the Boolean truth tables (book chapter 1).

Exactly the book's ``code/01_perceptron.py``: zero init, lr 1.0,
ŷ = 1 if w·x + b ≥ 0 (ties count as positive), one sample at a time, stop after
the first epoch without a mistake or after ``max_epochs``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "GATES", "INPUTS", "predict", "line_sweep"]

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


@dataclass(frozen=True)
class Params:
    gate: str = "AND"  # which truth table to learn: AND, OR or XOR
    lr: float = 1.0  # learning rate η
    max_epochs: int = 100  # give up after this many passes over the data
    grid: int = 181  # lines per axis in the brute-force sweep of all lines

    def __post_init__(self) -> None:
        if self.gate not in GATES:
            raise ValueError(f"gate must be one of {sorted(GATES)}, got {self.gate!r}")
        if self.max_epochs < 1 or self.grid < 2:
            raise ValueError("max_epochs must be ≥ 1 and grid ≥ 2")


VARIANTS = {"and": {"gate": "AND"}, "or": {"gate": "OR"}, "xor": {"gate": "XOR"}}
RANGES = {
    "gate": {"AND", "OR", "XOR"},
    "lr": "(0, inf)",
    "max_epochs": "[1, 100000]",  # XOR never converges: every epoch runs (100000 ≈ 10 s)
    "grid": "[2, 1001]",  # the sweep holds 4·2·grid² floats: 1001 → ~64 MB
}
SEED = 0  # the run is deterministic; the seed is kept for the common contract


def predict(w: np.ndarray, b: float, x: np.ndarray) -> np.ndarray:
    """ŷ = 1[w·x + b ≥ 0] for one sample or a batch."""
    return (x @ w + b >= 0).astype(int)


def line_sweep(x: np.ndarray, y: np.ndarray, grid: int) -> tuple[np.ndarray, np.ndarray]:
    """For each normal angle, the fewest points any line with that normal gets wrong.

    Offsets are swept densely for each angle, and the angle spans a full turn
    so both orientations count: the minimum over all angles is the best any
    single linear threshold unit could do.
    """
    angles = np.linspace(0.0, 2 * np.pi, 2 * grid, endpoint=False)
    offsets = np.linspace(-1.5, 1.5, grid)
    normals = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (A, 2)
    scores = (x - 0.5) @ normals.T  # (4, A): signed distance from the square's centre
    pred = scores[:, :, None] + offsets[None, None, :] >= 0  # (4, A, O)
    errors = (pred != y[:, None, None].astype(bool)).sum(axis=0)
    return angles, errors.min(axis=1)


def run(params: Params, seed: int = SEED) -> Trace:
    """Train one perceptron; record the state after every update."""
    x, y = INPUTS, np.array(GATES[params.gate])
    w, b = np.zeros(2), 0.0
    updates = []  # (epoch, sample, wrong prediction ŷ, w1, w2, b, mistakes so far), after each update
    epoch_mistakes = []
    converged = False
    for epoch in range(1, params.max_epochs + 1):
        mistakes_this_epoch = 0
        for i in range(len(x)):
            y_hat = predict(w, b, x[i])
            error = y[i] - y_hat
            if error != 0:
                w = w + params.lr * error * x[i]
                b = b + params.lr * error
                mistakes_this_epoch += 1
                updates.append((epoch, i, y_hat, w[0], w[1], b, len(updates) + 1))
        epoch_mistakes.append(mistakes_this_epoch)
        if mistakes_this_epoch == 0:
            converged = True
            break

    sweep_angles, sweep_errors = line_sweep(x, y, params.grid)
    trace = Trace()
    table = np.array(updates, dtype=float).reshape(-1, 7)
    trace.add(
        inputs=x,
        labels=y,
        update_epoch=table[:, 0].astype(int),
        update_sample=table[:, 1].astype(int),
        update_pred=table[:, 2].astype(int),
        update_w=table[:, 3:5],
        update_b=table[:, 5],
        update_mistakes=table[:, 6].astype(int),
        epoch_mistakes=np.array(epoch_mistakes, dtype=int),
        final_w=w,
        final_b=np.array(b),
        final_pred=predict(w, b, x),
        sweep_angles=sweep_angles,
        sweep_min_errors=sweep_errors,
    )
    trace.metrics = {
        "gate": params.gate,
        "converged": converged,
        "epochs": len(epoch_mistakes),
        "mistakes": len(updates),
        "w": w.tolist(),
        "b": float(b),
        "min_line_errors": int(sweep_errors.min()),
        "ties_on_boundary": int(np.sum(x @ w + b == 0)),
    }
    return trace
