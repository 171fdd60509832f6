"""Chapter 9 on screen: every number shown is the trace's number for that run, under defaults and changed params.

Changed runs: ``enablers.layers=8`` (the book's product over 8 layers), ``depth_gradients.blocks=12`` and
``mlp_layers=6`` (a shallower measurement), ``batchnorm.steps=150`` (a shorter run) and
``optimizers.curv_y=20`` (a milder valley). Expected strings are built here from the run's own trace with
the kit formatter the scene uses.
"""

from __future__ import annotations

import pytest

from pipeline.checks.ch09 import BOOK_SIGMOID_PRODUCT
from scenes.kit.numbers import fixed, plain, sci, sig
from screenlog import Screen, numbers_in, screen

RELU_SETS = {"defaults": (), "changed": ("enablers.layers=8", "depth_gradients.mlp_layers=6")}
RES_SETS = {"defaults": (), "changed": ("depth_gradients.blocks=12",)}
BN_SETS = {"defaults": ("batchnorm.steps=150",), "changed": ("batchnorm.steps=150", "batchnorm.lr=0.2")}
ADAM_SETS = {"defaults": (), "changed": ("optimizers.curv_y=20",)}
RUNS = pytest.mark.parametrize("run", ["defaults", pytest.param("changed", marks=pytest.mark.slow)])


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


@RUNS
def test_relu_gate_shows_the_runs_products_and_measurements(run):
    s = screen("ch09.ReLUGate", *RELU_SETS[run])
    e, d = s.trace("enablers.default"), s.trace("depth_gradients.default")
    n = int(e.meta["params"]["layers"])
    assert n == (8 if run == "changed" else 10)
    prod = e["sigmoid_product"]
    caption_with(s, f"穿过 {n} 层")
    caption_with(s, f"{n} 层后：sigmoid 只剩 {sci(prod[n], 2)}")
    assert s.shows(f"书中 {sci(BOOK_SIGMOID_PRODUCT, 2)} / 本次运行 {sci(prod[n], 2)}")
    assert s.shows(sci(prod[1], 1)) and s.shows(fixed(e["sigmoid_prime"].max(), 2))
    chain = d["sigmoid_chain"]
    layers = len(d["layer"])
    caption_with(s, f"{layers} 层后剩 {sci(chain[-1])}")
    caption_with(s, f"ReLU 仍保有 {fixed(d['relu_chain'][-1], 2)}")
    caption_with(s, f"σ′ = {fixed(d.metrics['sigmoid_mean_slope'], 3)}")
    if run == "changed":
        assert not any(10.0 in numbers_in(c) for c in s.captions())  # no default depth leaks in


@RUNS
def test_residual_shows_the_runs_blocks_and_gradients(run):
    s = screen("ch09.Residual", *RES_SETS[run])
    e, d = s.trace("enablers.default"), s.trace("depth_gradients.default")
    n = len(d["block"])
    assert n == (12 if run == "changed" else 30)
    for fp, r in zip(e["f_primes"], e["residual_dydx"]):
        assert s.shows(f"残差层 dy/dx = 1 + {plain(fp)} = {plain(r)}")
    caption_with(s, f"把 {n} 个块叠起来")
    plain_g = d["plain_hidden_grad"] / d["plain_hidden_grad"][-1]
    res_g = d["residual_hidden_grad"] / d["residual_hidden_grad"][-1]
    caption_with(s, f"普通堆叠只剩 {sci(plain_g[0])}，\n残差网络仍有 {fixed(res_g[0], 2)}")
    caption_with(s, f"×{fixed(d.metrics['residual_mean_f_ratio'], 2)}")
    assert str(n) in s.texts("text")  # the last block's tick
    if run == "changed":
        assert "30" not in s.texts("text") and not any(30.0 in numbers_in(c) for c in s.captions())


@RUNS
def test_batchnorm_scene_shows_the_runs_statistics(run):
    s = screen("ch09.BatchNormScene", *BN_SETS[run])
    t = s.trace()
    last = len(t["step"]) - 1
    m = t.metrics
    caption_with(s, f"第 {int(t['unit'])} 号单元")
    caption_with(s, f"均值 {fixed(t['plain_mean'][0], 2)} → {fixed(t['plain_mean'][-1], 2)}")
    assert s.shows(f"第 {last:3d} 步")
    assert s.shows(f"批均值 {fixed(t['bn_mu'][-1], 2)}") and s.shows(f"批标准差 {fixed(t['bn_sigma'][-1], 2)}")
    assert s.shows(f"γ {fixed(t['bn_gamma'][-1], 3)}") and s.shows(f"β {fixed(t['bn_beta'][-1], 3)}")
    caption_with(s, f"γ = {fixed(t['bn_gamma'][-1], 3)}，β = {fixed(t['bn_beta'][-1], 3)}")
    caption_with(s, f"最大误差 {sci(m['undo_error'])}")
    caption_with(s, f"学习率 {plain(t.meta['params']['lr'])}")
    said = {k: (f"{m[f'{k}_steps_to_target']} 步" if m[f"{k}_steps_to_target"] >= 0 else f"{last + 1} 步内未到")
            for k in ("bn", "plain")}
    caption_with(s, f"有 BN {said['bn']}，无 BN {said['plain']}")


@RUNS
def test_adam_trajectory_shows_the_runs_tuned_rates_and_steps(run):
    s = screen("ch09.AdamTrajectory", *ADAM_SETS[run])
    t = s.trace()
    m = t.metrics
    assert m["condition"] == (20 if run == "changed" else 50)
    caption_with(s, f"陡 {plain(m['condition'])} 倍")
    assert s.shows(f"SGD η = {sig(m['sgd_lr'], 2)}") and s.shows(f"Adam η = {sig(m['adam_lr'], 2)}")
    said = {k: (f"{m[f'{k}_steps']} 步" if m[f"{k}_steps"] >= 0 else "步内未到") for k in ("sgd", "adam")}
    caption_with(s, f"Adam {said['adam']}，SGD {said['sgd']}")
    caption_with(s, f"横穿谷底 {m['sgd_y_sign_changes']} 次")
    if run == "changed":
        default = screen("ch09.AdamTrajectory").trace().metrics
        assert not s.shows(f"Adam {default['adam_steps']} 步") or default["adam_steps"] == m["adam_steps"]
        assert not any(50.0 in numbers_in(c) for c in s.captions() if "陡" in c)
