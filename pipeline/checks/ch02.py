"""Chapter 2 (反向传播): the printed output of ``code/02_backprop_xor.py``."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 2
TRACES = ["backprop.default"]

# As printed (MSE = mean over the 4 rows, printed to 5 decimals; predictions to 3)
BOOK_LOSS = {0: 0.27990, 16000: 0.00017}
BOOK_PRED = [0.013, 0.989, 0.989, 0.011]

HALF_NOTE = (
    "the printed loss is the MSE mean((ŷ-y)²); the text's L=½‖ŷ-y‖², "
    "whose gradient the code follows, gives {half:.5f} here (S2 #3)"
)


def rows(traces: dict[str, Trace]) -> list[Row]:
    t = traces["backprop.default"]
    log = {
        int(e): (float(m), float(h))
        for e, m, h in zip(t["log_epochs"], t["log_loss_mse"], t["log_loss_half_sum"])
    }
    pred = [float(v) for v in t["final_pred"]]
    mid = ", ".join(f"{e}: {log[e][0]:.5f}" for e in sorted(log) if e not in BOOK_LOSS)
    out = [
        compare("R02.1", 2, "loss at epoch 0 (MSE)", BOOK_LOSS[0], log[0][0], tol=0.5e-5,
                note=HALF_NOTE.format(half=log[0][1])),
        compare("R02.2", 2, "loss at epoch 16000 (MSE)", BOOK_LOSS[16000], log[16000][0], tol=0.5e-5,
                note=HALF_NOTE.format(half=log[16000][1]) + f"; unprinted log lines {mid}; "
                f"after all 20000 epochs {float(t['curve_loss_mse'][-1]):.5f}"),
    ]
    for i, (xy, book) in enumerate(zip(["(0,0)", "(0,1)", "(1,0)", "(1,1)"], BOOK_PRED)):
        out.append(compare(f"R02.{3 + i}", 2, f"final ŷ{xy}", book, pred[i], tol=0.5e-3,
                           note=f"unrounded {pred[i]:.5f}"))
    out.append(compare(
        "S2#3", 2, "epoch-0 loss under the text's L=½Σ(ŷ-y)²", BOOK_LOSS[0], log[0][1], tol=0.5e-5,
        note_if_different="the text defines L=½‖ŷ-y‖² and the code's gradient (a2-Y)·σ' "
        "is that loss's, but the printed 0.27990 is the MSE; lr=0.5 on ½Σ equals lr=1.0 on the MSE",
    ))
    return out
