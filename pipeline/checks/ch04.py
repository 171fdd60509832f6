"""Chapter 4 (循环网络与 LSTM): the printed table of ``code/04_lstm_cell.py``."""

from __future__ import annotations

import numpy as np

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 4
TRACES = ["recurrent.default"]

# (id, λ, k, printed value, half a unit of the last printed digit)
BOOK = [
    ("R04.1", 0.6, 5, 7.8e-02, 0.05e-02),
    ("R04.2", 0.6, 20, 3.7e-05, 0.05e-05),
    ("R04.3", 0.6, 50, 8.1e-12, 0.05e-12),
    ("R04.4", 1.0, 5, 1.0, 0.05),
    ("R04.5", 1.0, 50, 1.0, 0.05),
    ("R04.6", 1.3, 5, 3.7, 0.05),
    ("R04.7", 1.3, 50, 5.0e05, 0.05e05),
]


def rows(traces: dict[str, Trace]) -> list[Row]:
    t = traces["recurrent.default"]
    m = t.metrics
    lambdas, ks, decay = list(t["lambdas"]), list(t["ks"]), t["decay"]
    t0 = int(np.argmax(t["steps_back"]))  # the step furthest from the loss
    k0 = int(t["steps_back"][t0])
    lam = m["effective_lambda_h"]["rnn_init"]
    measured = (
        f"measured with autograd: a tanh RNN at PyTorch-default init decays at λ≈{lam:.2f}"
        f" per step, ‖∂L/∂h‖ {k0} steps back = {float(t['rnn_grad_h_init'][t0]):.1e} vs "
        f"{float(t['lstm_grad_h_init'][t0]):.1e} for the LSTM (after training: "
        f"{float(t['rnn_grad_h_trained'][t0]):.1e} vs {float(t['lstm_grad_h_trained'][t0]):.1e})"
    )
    out = []
    for id, lam_book, k, book, tol in BOOK:
        value = float(decay[lambdas.index(lam_book), ks.index(k)])
        note = f"exact {value:.4g}"
        if id == "R04.3":
            note += "; the prose's 8×10⁻¹² agrees; " + measured
        out.append(compare(id, 4, f"{lam_book}^{k}", book, value, tol=tol, note=note))
    return out
