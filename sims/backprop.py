"""A 2-2-1 sigmoid network learns XOR by hand-written backprop (book chapter 2).

Exactly the book's ``code/02_backprop_xor.py`` with the parameters that
reproduce its printed output (BOOK_SPEC §2.4, S2 #4): ``default_rng(1)``, then
``W1 = rng.normal(size=(2, 2))``, ``W2 = rng.normal(size=(2, 1))`` in that
order, zero biases, lr 0.5, 20000 full-batch epochs.

Conventions, as in the book's code (row vectors, not the text's column form):
``z1 = x @ W1 + b1`` so ``W1[i, j]`` is the edge input i -> hidden j, and
``z2 = a1 @ W2 + b2`` so ``W2[j, 0]`` is the edge hidden j -> output.
The gradient the code computes, ``dz2 = (a2 - Y) * a2 (1 - a2)`` summed over
the batch, is the gradient of ``½ Σ (ŷ - y)²``; the loss it *prints* is the
mean ``mean((ŷ - y)²)`` (S2 #3). Both losses are recorded. "Loss at epoch e"
is measured before that epoch's update, i.e. after e updates, as in the book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "INPUTS", "TARGETS", "sigmoid", "forward", "backward"]

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
TARGETS = np.array([[0], [1], [1], [0]], dtype=float)

# The single-sample computational graph a scene draws: nodes, then edges
# (src, dst, label). Node i's value is in node_value[i], its ∂L/∂node in node_grad[i].
NODES = ["x1", "x2", "z1_1", "z1_2", "a1_1", "a1_2", "z2", "yhat", "L"]
EDGES = [
    (0, 2, "W1[0,0]"), (0, 3, "W1[0,1]"), (1, 2, "W1[1,0]"), (1, 3, "W1[1,1]"),
    (2, 4, "sigma"), (3, 5, "sigma"),
    (4, 6, "W2[0,0]"), (5, 6, "W2[1,0]"),
    (6, 7, "sigma"),
    (7, 8, "loss"),
]
MAX_LOG_ROWS = 1000  # the book-style print log (epochs / log_every rows); a list scanned every epoch
PARAMS = ["W1[0,0]", "W1[0,1]", "W1[1,0]", "W1[1,1]", "b1[0]", "b1[1]", "W2[0,0]", "W2[1,0]", "b2[0]"]


@dataclass(frozen=True)
class Params:
    lr: float = 0.5  # learning rate η (inferred: reproduces the printed losses)
    epochs: int = 20000  # full-batch gradient steps
    hidden: int = 2  # hidden units; the book's net is 2-2-1
    log_every: int = 4000  # the book's print interval (it shows only epochs 0 and 16000)
    curve_every: int = 100  # denser loss curve for plotting
    sample: int = 3  # which XOR row the per-edge record follows; (1,1) makes every edge carry a value

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.hidden < 1 or self.log_every < 1 or self.curve_every < 1:
            raise ValueError("epochs, hidden, log_every and curve_every must be ≥ 1")
        if not 0 <= self.sample < len(INPUTS):
            raise ValueError(f"sample must index one of the {len(INPUTS)} XOR rows")
        if -(-self.epochs // self.log_every) > MAX_LOG_ROWS:
            raise ValueError(f"log_every={self.log_every} is too small for epochs={self.epochs}: the print log "
                             f"keeps at most {MAX_LOG_ROWS} rows (curve_every sets the dense loss curve)")


VARIANTS = {"default": {}}
RANGES = {
    "lr": "(0, inf)",
    "epochs": "[1, 100000]",  # 20000 take ~1 s; 100000 ~6 s
    "hidden": "[1, 1024]",
    "log_every": "[1, 100000]",  # and epochs / log_every ≤ MAX_LOG_ROWS (checked in Params)
    "curve_every": "[1, 100000]",
    "sample": "[0, 3]",  # a row of the XOR table
}
SEED = 1  # np.random.default_rng(1) reproduces the book's numbers


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_grad(a: np.ndarray) -> np.ndarray:
    """σ'(z) written in terms of the activation a = σ(z), as the book does."""
    return a * (1.0 - a)


def init_params(hidden: int, seed: int) -> dict[str, np.ndarray]:
    """The book's init; the draw order W1 then W2 matters for reproducing it."""
    rng = np.random.default_rng(seed)
    w1 = rng.normal(size=(2, hidden))
    w2 = rng.normal(size=(hidden, 1))
    return {"W1": w1, "b1": np.zeros((1, hidden)), "W2": w2, "b2": np.zeros((1, 1))}


def forward(p: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, ...]:
    """z1, a1, z2, ŷ for a batch of rows x."""
    z1 = x @ p["W1"] + p["b1"]
    a1 = sigmoid(z1)
    z2 = a1 @ p["W2"] + p["b2"]
    return z1, a1, z2, sigmoid(z2)


def backward(p: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Gradients of ½Σ(ŷ-y)² summed over the batch, line for line the book's code."""
    _, a1, _, a2 = forward(p, x)
    dz2 = (a2 - y) * sigmoid_grad(a2)  # δ²
    dz1 = (dz2 @ p["W2"].T) * sigmoid_grad(a1)  # δ¹ = (W²ᵀδ²) ⊙ σ'(z¹)
    db1, db2 = dz1.sum(0, keepdims=True), dz2.sum(0, keepdims=True)
    return {"W1": x.T @ dz1, "b1": db1, "W2": a1.T @ dz2, "b2": db2}


def losses(p: dict[str, np.ndarray]) -> tuple[float, float]:
    """(printed MSE, ½Σ loss whose gradient the code follows) on the 4 XOR rows."""
    err = forward(p, INPUTS)[3] - TARGETS
    return float(np.mean(err**2)), float(0.5 * np.sum(err**2))


def flat(p: dict[str, np.ndarray]) -> np.ndarray:
    """The 9 parameters (for hidden=2) in PARAMS order: W1 row-major, b1, W2, b2."""
    return np.concatenate([p["W1"].ravel(), p["b1"].ravel(), p["W2"].ravel(), p["b2"].ravel()])


def sample_graph(p: dict[str, np.ndarray], x: np.ndarray, y: float) -> dict[str, np.ndarray]:
    """Every forward value and backward quantity of one sample (hidden=2 graph)."""
    z1, a1, z2, yhat = (v[0] for v in forward(p, x[None, :]))
    z2, yhat = float(z2[0]), float(yhat[0])
    w1, w2 = p["W1"], p["W2"][:, 0]
    dl_dyhat = yhat - y  # ∂(½(ŷ-y)²)/∂ŷ
    dyhat_dz2 = yhat * (1 - yhat)
    delta2 = dl_dyhat * dyhat_dz2
    w2t_delta2 = w2 * delta2  # ∂L/∂a¹
    da1_dz1 = a1 * (1 - a1)
    delta1 = w2t_delta2 * da1_dz1
    dl_dx = w1 @ delta1  # not used for learning; completes the graph
    value = np.array([x[0], x[1], z1[0], z1[1], a1[0], a1[1], z2, yhat, 0.5 * (yhat - y) ** 2])
    grad = np.array([*dl_dx, *delta1, *w2t_delta2, delta2, dl_dyhat, 1.0])
    # ∂dst/∂src on each edge, in EDGES order
    local = np.array([*w1.ravel(), *da1_dz1, *w2, dyhat_dz2, dl_dyhat])
    # ∂z/∂θ for each parameter (the activation feeding it, or 1 for a bias), in PARAMS order
    param_local = np.array([x[0], x[0], x[1], x[1], 1.0, 1.0, a1[0], a1[1], 1.0])
    param_upstream = np.array([*delta1, *delta1, *delta1, delta2, delta2, delta2])  # ∂L/∂z it feeds
    return {
        "z1": z1, "a1": a1, "z2": np.array(z2), "yhat": np.array(yhat),
        "loss_half": np.array(0.5 * (yhat - y) ** 2), "sq_error": np.array((yhat - y) ** 2),
        "dL_dyhat": np.array(dl_dyhat), "sigma_prime_z2": np.array(dyhat_dz2), "delta2": np.array(delta2),
        "W2T_delta2": w2t_delta2, "sigma_prime_z1": da1_dz1, "delta1": delta1,
        "dW1": np.outer(x, delta1), "db1": delta1, "dW2": a1 * delta2, "db2": np.array(delta2),
        "node_value": value, "node_grad": grad, "edge_local_grad": local,
        "edge_backward": grad[[e[1] for e in EDGES]] * local,  # what each edge hands back to its src
        "param_local_grad": param_local, "param_upstream": param_upstream,
        "param_grad": param_upstream * param_local,
    }


def run(params: Params, seed: int = SEED) -> Trace:
    """Train the 2-2-1 net; record epoch 0 in full, the loss curve and the end state."""
    p = init_params(params.hidden, seed)
    p0 = {k: v.copy() for k, v in p.items()}
    g0 = backward(p, INPUTS, TARGETS)
    z1_0, a1_0, z2_0, yhat_0 = forward(p, INPUTS)
    delta2_0 = (yhat_0 - TARGETS) * sigmoid_grad(yhat_0)  # per-row δ², summed into the batch gradient
    delta1_0 = (delta2_0 @ p["W2"].T) * sigmoid_grad(a1_0)

    log_epochs = list(range(0, params.epochs, params.log_every))  # the book's print schedule
    curve_epochs = sorted(set(range(0, params.epochs, params.curve_every)) | {params.epochs})
    measured: dict[int, tuple[float, float]] = {}  # epoch -> (MSE, ½Σ), before that epoch's update
    for epoch in range(params.epochs + 1):  # the last pass only measures (after all updates)
        if epoch in log_epochs or epoch % params.curve_every == 0 or epoch == params.epochs:
            measured[epoch] = losses(p)
        if epoch == params.epochs:
            break
        g = backward(p, INPUTS, TARGETS)
        for k in p:  # the book updates W2, W1, b2, b1; the order is irrelevant, all use the same g
            p[k] -= params.lr * g[k]
    log_mse, log_half = (np.array([measured[e][i] for e in log_epochs]) for i in (0, 1))
    curve_mse, curve_half = (np.array([measured[e][i] for e in curve_epochs]) for i in (0, 1))

    final_mse, final_half = losses(p)
    pred = forward(p, INPUTS)[3][:, 0]
    trace = Trace()
    trace.add(
        inputs=INPUTS,
        targets=TARGETS[:, 0],
        W1_init=p0["W1"], b1_init=p0["b1"][0], W2_init=p0["W2"][:, 0], b2_init=p0["b2"][0],
        W1_final=p["W1"], b1_final=p["b1"][0], W2_final=p["W2"][:, 0], b2_final=p["b2"][0],
        # epoch 0, all four rows (the batch the gradients are summed over)
        epoch0_z1=z1_0, epoch0_a1=a1_0, epoch0_z2=z2_0[:, 0], epoch0_yhat=yhat_0[:, 0],
        epoch0_delta2=delta2_0[:, 0], epoch0_delta1=delta1_0,
        grad_W1=g0["W1"], grad_b1=g0["b1"][0], grad_W2=g0["W2"][:, 0], grad_b2=g0["b2"][0],
        log_epochs=np.array(log_epochs), log_loss_mse=log_mse, log_loss_half_sum=log_half,
        curve_epochs=np.array(curve_epochs), curve_loss_mse=curve_mse, curve_loss_half_sum=curve_half,
        final_pred=pred,
    )
    metrics = {
        "loss_epoch0_mse": float(log_mse[0]),
        "loss_epoch0_half_sum": float(log_half[0]),
        "log_loss_mse": {str(e): float(m) for e, m in zip(log_epochs, log_mse)},
        "final_loss_mse": final_mse,
        "final_loss_half_sum": final_half,
        "final_pred": pred.tolist(),
    }
    if params.hidden == 2:  # the per-edge graph is drawn for the book's 2-2-1 net only
        x, y = INPUTS[params.sample], float(TARGETS[params.sample, 0])
        graph = sample_graph(p0, x, y)
        trace.add(
            sample_index=np.array(params.sample), sample_x=x, sample_y=np.array(y),
            node_names=np.array(NODES), edge_src=np.array([e[0] for e in EDGES]),
            edge_dst=np.array([e[1] for e in EDGES]), edge_label=np.array([e[2] for e in EDGES]),
            param_names=np.array(PARAMS), params_init=flat(p0), params_final=flat(p), grad_batch=flat(g0),
            **{f"sample_{k}": v for k, v in graph.items()},
        )
        metrics["grad_batch_epoch0"] = flat(g0).tolist()
    trace.metrics = metrics
    return trace
