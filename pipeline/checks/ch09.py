"""Chapter 9 (看不见的地基): the printed output of ``code/09_enablers.py`` and the prose's Adam range.

BOOK_SPEC §9.4, R09.1–R09.8. The first six are exact arithmetic; the Adam range (prose only) depends
on η and ε, which the book does not state: η = 0.01, ε = 1e-8 are the values BOOK_SPEC infers (S2 #9).
"""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 9
TRACES = ["enablers.default", "depth_gradients.default", "optimizers.default", "batchnorm.default"]

BOOK_SIGMOID_PRODUCT = 9.54e-07  # R09.1: "sigmoid: 10 层导数连乘(每层最多0.25) ~ 9.54e-07"
BOOK_RELU_PRODUCT = 1.00  # R09.2: "ReLU   : 10 层导数连乘(正区间每层1.0) ~ 1.00e+00"
BOOK_LAYERS = 10  # the depth both printed lines use
# R09.3–R09.6: F'(x) → (普通层 dy/dx, 残差层 dy/dx)
BOOK_DYDX = {0.01: (0.01, 1.01), 0.5: (0.5, 1.5)}
BOOK_ADAM_RANGE = (0.006, 0.007)  # R09.7–R09.8 (prose): "Adam 的实际更新量都被归一到 0.006–0.007"
BOOK_ADAM_GRADS = (10.0, 0.01)  # the alternating gradients of the prose
BOOK_ADAM_BETAS = (0.9, 0.999)
BOOK_FACTS = {"resnet_layers": 152, "vgg_layers": 19, "resnet_top5_error": 3.57}  # §9.4 notes: prose facts


def rows(traces: dict[str, Trace]) -> list[Row]:
    e = traces["enablers.default"]
    m = e.metrics
    depth = traces["depth_gradients.default"].metrics
    measured_sig = (f"measured with autograd in a {len(traces['depth_gradients.default']['layer'])}-layer MLP at "
                    f"init: mean σ′ per layer {depth['sigmoid_mean_slope']:.3f} (product "
                    f"{depth['sigmoid_slope_product']:.2e}); ‖∂L/∂h‖ at layer 1 / at the top = "
                    f"{depth['sigmoid_first_over_last']:.2e}")
    blocks = len(traces["depth_gradients.default"]["block"])
    measured_relu = f"measured: ‖∂L/∂h‖ at layer 1 / at the top = {depth['relu_first_over_last']:.2f} (ReLU, He init)"
    measured_res = (f"measured in a {blocks}-block ReLU MLP at PyTorch's default init: block 1 / top = "
                    f"{depth['plain_first_over_last']:.1e} plain vs "
                    f"{depth['residual_first_over_last']:.2f} residual")
    out = [
        compare("R09.1", CHAPTER, f"sigmoid: product of {BOOK_LAYERS} derivatives at σ′ max",
                BOOK_SIGMOID_PRODUCT, m["sigmoid_product"], tol=0.005e-07,
                note=f"exact 0.25^10 = {m['sigmoid_product']:.5e}; " + measured_sig),
        compare("R09.2", CHAPTER, f"ReLU: product of {BOOK_LAYERS} derivatives on z > 0", BOOK_RELU_PRODUCT,
                m["relu_product"], tol=0.005, note=measured_relu),
    ]
    ids = iter(("R09.3", "R09.4", "R09.5", "R09.6"))
    for fp, plain, residual in zip(e["f_primes"], e["plain_dydx"], e["residual_dydx"]):
        book_plain, book_res = BOOK_DYDX[round(float(fp), 2)]
        out.append(compare(next(ids), CHAPTER, f"plain dy/dx at F′ = {fp:g}", book_plain, float(plain), tol=0.005))
        out.append(compare(next(ids), CHAPTER, f"residual dy/dx at F′ = {fp:g}", book_res, float(residual), tol=0.005,
                           note=measured_res if fp == e["f_primes"][-1] else ""))
    first = m["adam_first_step"]
    lo, hi = m["adam_big_after_first"][0], m["adam_big_after_first"][1]
    small = m["adam_small_range"][0]
    settled_hi = m["adam_big_range"][1]
    params = e.meta.get("params", {})
    where = (f"η = {params.get('adam_lr', 0.01):g}, ε = {params.get('adam_eps', 1e-8):g} (inferred, S2 #9), "
             f"{params.get('adam_steps', '')} steps; step 1 is exactly η = {first:.4f}")
    out += [
        compare("R09.7", CHAPTER, "Adam update size, low end (steps ≥ 2)", BOOK_ADAM_RANGE[0], round(small, 5),
                tol=0.0005,
                note_if_different=(f"every small-gradient step is {small:.4f}, inside the book's range but at its "
                                   f"top: the range's low end 0.006 is never reached; {where}"),
                note=where),
        compare("R09.8", CHAPTER, "Adam update size, high end (steps ≥ 2)", BOOK_ADAM_RANGE[1], round(hi, 5),
                tol=0.0005,
                note_if_different=(f"large-gradient steps fall {hi:.4f} → {lo:.4f} and settle near {settled_hi:.4f}, "
                                   f"above the book's 0.007; the exact range after warm-up is "
                                   f"{small:.4f}–{settled_hi:.4f}; {where}"),
                note=where),
    ]
    return out
