"""Chapter 9 sims: the book's printed numbers, and the measured facts behind ReLU, residuals, BN and Adam."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest
import torch

from conftest import reel
from pipeline.checks import ch09
from sims import batchnorm, depth_gradients, enablers, optimizers

torch.set_num_threads(1)
SIMS = [enablers, depth_gradients, batchnorm, optimizers]
SMALL_BN = {"steps": 120, "points": 384}  # a short run: the BN facts hold at every step


@pytest.mark.parametrize("mod", SIMS, ids=lambda m: m.__name__)
def test_contract(mod) -> None:
    tree = ast.parse(inspect.getsource(mod))
    assigns = {n.targets[0].id: n.value for n in tree.body
               if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert ast.literal_eval(assigns["VARIANTS"]) == mod.VARIANTS
    assert isinstance(assigns["SEED"], ast.Constant)
    assert dataclasses.is_dataclass(mod.Params) and mod.Params.__dataclass_params__.frozen
    for overrides in mod.VARIANTS.values():
        mod.Params(**overrides)


@pytest.fixture(scope="module")
def book():
    return enablers.run(enablers.Params())


@pytest.fixture(scope="module")
def depth():
    return depth_gradients.run(depth_gradients.Params(device="cpu"))


@pytest.fixture(scope="module")
def bn():
    return batchnorm.run(batchnorm.Params(device="cpu", **SMALL_BN))


@pytest.fixture(scope="module")
def valley():
    return optimizers.run(optimizers.Params())


# --- the book's numbers ------------------------------------------------------------------------------------
def test_printed_products_and_jacobians(book) -> None:
    assert f"{book.metrics['sigmoid_product']:.2e}" == "9.54e-07"
    assert f"{book.metrics['relu_product']:.2e}" == "1.00e+00"
    assert book.metrics["plain_dydx"] == [0.01, 0.5]
    assert book.metrics["residual_dydx"] == pytest.approx([1.01, 1.5])
    assert book["sigmoid_prime"].max() == pytest.approx(0.25, abs=1e-6)


def test_adam_alternating_steps(book) -> None:
    size = book["adam_size"]
    assert size[0] == pytest.approx(0.01, rel=1e-6)  # bias correction: step 1 is η whatever the gradient
    small = size[1::2]  # steps 2, 4, …: gradient 0.01
    assert np.allclose(small, small[0]) and 0.0066 < small[0] < 0.0068
    big = size[2::2]
    assert 0.0081 < big[0] < 0.0083 and 0.0073 < big[-1] < 0.0076  # falls, settles above the book's 0.007


def test_reference_rows() -> None:
    traces = {"enablers.default": enablers.run(enablers.Params()),
              "depth_gradients.default": depth_gradients.run(depth_gradients.Params(device="cpu"))}
    rows = {r.id: r for r in ch09.rows(traces)}
    assert [f"R09.{n}" for n in range(1, 9)] == list(rows)
    assert all(rows[f"R09.{n}"].status == "equal" for n in range(1, 7))
    assert rows["R09.7"].status == rows["R09.8"].status == "different"  # S2 #9: the prose range is a bit low
    assert "0.0074" in rows["R09.8"].note


# --- measured gradients --------------------------------------------------------------------------------------
def test_relu_keeps_and_sigmoid_loses_the_gradient(depth) -> None:
    sig, relu = depth["sigmoid_hidden_grad"], depth["relu_hidden_grad"]
    assert np.log10(relu.max() / relu.min()) < 1  # within an order of magnitude across the 10 layers
    assert np.log10(sig[-1] / sig[0]) > 4  # the bottom layer gets 10⁴× less than the top
    assert depth["relu_chain"].min() > 0.1 and depth["sigmoid_chain"][-1] < 1e-5
    assert np.all(depth["sigmoid_slope"] <= 0.25)  # σ′ never exceeds its maximum


def test_residual_keeps_and_plain_loses_the_gradient(depth) -> None:
    plain, res = depth["plain_hidden_grad"], depth["residual_hidden_grad"]
    assert len(plain) == 30
    assert np.log10(res.max() / res.min()) < 1
    assert np.log10(plain[-1] / plain[0]) > 10
    assert 0 < depth.metrics["residual_mean_f_ratio"] < 1  # the F branch alone would shrink the gradient


# --- BatchNorm ----------------------------------------------------------------------------------------------
def test_bn_normalises_every_batch(bn) -> None:
    xhat = bn["bn_xhat"]
    assert np.abs(xhat.mean(1)).max() < 1e-6
    assert np.allclose(xhat.std(1), 1.0, atol=1e-3)
    assert bn.metrics["bn_formula_error"] < 1e-5  # BatchNorm1d's own output is γx̂ + β
    assert bn.metrics["undo_error"] < 1e-9  # γ = σ_B, β = μ_B gives z back
    assert set(bn["plain_hist"].sum(1).tolist()) == {batchnorm.Params().batch}  # every value of the batch is binned


def test_without_bn_the_unit_drifts(bn) -> None:
    m = bn.metrics
    spread = np.array(m["plain_std_first_last"])
    assert spread[1] / spread[0] > 3 or abs(m["plain_mean_first_last"][1] - m["plain_mean_first_last"][0]) > spread[0]


# --- optimisers ---------------------------------------------------------------------------------------------
def test_adam_reaches_the_valley_floor_first(valley) -> None:
    m = valley.metrics
    assert m["adam_steps"] >= 0 and m["sgd_steps"] >= 0 and m["adam_steps"] < m["sgd_steps"]
    assert m["sgd_lr"] < m["sgd_stable_limit"]
    assert m["sgd_y_sign_changes"] > 5 * max(1, m["adam_y_sign_changes"])  # SGD zig-zags across the valley
    best = np.argmin(np.where(valley["adam_sweep_steps"] >= 0, valley["adam_sweep_steps"], 10**9))
    assert valley["adam_sweep_lr"][best] == m["adam_lr"]  # the shown η is the sweep's winner
    np.testing.assert_array_equal(valley["sgd_path"][0], valley["adam_path"][0])


# --- determinism and the CLI --------------------------------------------------------------------------------
def test_same_seed_same_trace(depth, bn) -> None:
    again = depth_gradients.run(depth_gradients.Params(device="cpu"))
    for name, arr in depth.arrays.items():
        np.testing.assert_array_equal(arr, again[name])
    again_bn = batchnorm.run(batchnorm.Params(device="cpu", **SMALL_BN))
    for name in ("bn_xhat", "plain_z", "bn_gamma", "plain_loss"):
        np.testing.assert_array_equal(bn[name], again_bn[name])
    other = batchnorm.run(batchnorm.Params(device="cpu", **SMALL_BN), seed=1)
    assert not np.array_equal(bn["plain_z"], other["plain_z"])


@pytest.mark.parametrize("sim, setting, names", [
    ("enablers", "adam_lr=-1", ["enablers.adam_lr"]),
    ("optimizers", "curv_y=0", ["optimizers.curv_y"]),
    ("batchnorm", "probe_layer=9", ["probe_layer", "hidden_layers"]),
    ("depth_gradients", "block_init=xavier", ["depth_gradients.block_init"]),
])
def test_bad_set_exits_2_naming_the_parameter(out, sim, setting, names) -> None:
    proc = reel("sims", sim, "--set", setting)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    for name in names:
        assert name in proc.stderr
