"""Chapter 11 on screen: the losses, fits, predictions and probabilities shown are the trace's, for that run.

``ScalingLaw`` is dry-run on a small sweep (``SMALL``, ~5 s of CPU) and on the same sweep with a different
token budget; ``RLHFPreference`` at its defaults and with β = 1 for the policy-gradient run.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenes.ch11_scaling_rlhf import count
from scenes.kit.numbers import fixed, plain
from screenlog import Screen, screen

SMALL = ("scaling_sweep.tokens=100000", "scaling_sweep.widths=4,8,16", "scaling_sweep.holdout_width=32",
         "scaling_sweep.iso_budgets=1e8,3e8", "scaling_sweep.iso_widths=4,8,16", "scaling_sweep.iso_steps=100")
SWEEPS = {"small": SMALL, "more_tokens": SMALL[1:] + ("scaling_sweep.tokens=150000",)}
POLICIES = {"defaults": (), "beta1": ("rlhf.beta=1.0",)}


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


@pytest.mark.parametrize("run", list(SWEEPS))
def test_scaling_law_shows_this_runs_fit_and_prediction(run):
    s = screen("ch11.ScalingLaw", *SWEEPS[run])
    t = s.trace()
    m = t.metrics
    caption_with(s, f"熵率 H = {fixed(m['entropy_rate'], 3)}")
    caption_with(s, f"读同样的 {count(t.meta['params']['tokens'])} 个词元")
    for n, loss in zip(t["n_params"][:-1], t["loss"][:-1]):
        assert s.shows(f"N = {plain(n)}   L = {fixed(loss, 3)}")
    assert s.shows(f"α = {fixed(m['alpha'], 3)}   R² = {fixed(m['r2'], 3)}")
    assert s.shows(f"预测 {fixed(m['holdout_predicted'], 3)} / 实测 {fixed(m['holdout_measured'], 3)}")
    assert s.shows(f"L∞ 拟合 {fixed(m['linf_fitted'], 3)} / 真值 H {fixed(m['entropy_rate'], 3)}")
    caption_with(s, f"N = {plain(t['n_params'][-1])}")
    for bn in t["iso_best_n"]:
        assert s.shows(f"N*≈{plain(round(bn))}")


def test_a_changed_sweep_does_not_show_the_other_runs_numbers():
    a, b = screen("ch11.ScalingLaw", *SWEEPS["small"]), screen("ch11.ScalingLaw", *SWEEPS["more_tokens"])
    old = f"实测 {fixed(a.trace().metrics['holdout_measured'], 3)}"
    new = f"实测 {fixed(b.trace().metrics['holdout_measured'], 3)}"
    assert old != new and b.shows(new) and not b.shows(old)
    assert not b.shows(f"读同样的 {count(100000)} 个词元")


@pytest.mark.parametrize("run", list(POLICIES))
def test_rlhf_shows_this_runs_labels_scores_and_policy(run):
    s = screen("ch11.RLHFPreference", *POLICIES[run])
    t = s.trace()
    m = t.metrics
    beta = float(t.meta["params"]["beta"])
    assert beta == (1.0 if run == "beta1" else 0.5)
    w, l_ = int(t["train_win"][0]), int(t["train_lose"][0])
    assert s.shows(f"第 1 对：{chr(65 + w)} 比 {chr(65 + l_)} 好")
    steps = len(t["rm_loss"]) - 1
    assert s.shows(f"第 {steps:3d} 步  损失 {fixed(t['rm_loss'][-1], 3)}")
    assert s.shows(f"留出对的准确率 {fixed(100 * t['rm_test_acc'][-1], 0)}%")
    caption_with(s, f"Spearman 秩相关 {fixed(m['spearman'], 2)}")
    caption_with(s, f"虚线框是 β = {plain(beta)} 的闭式解")
    assert s.shows(f"与闭式解的距离 TV = {fixed(t['pg_tv'][-1], 3)}")
    best = int(m["best_answer"])
    assert s.shows(f"最好的回答 {chr(65 + best)}：{fixed(m['ref_best_prob'], 2)} → {fixed(m['pg_best_prob'], 2)}")
    # the policy numbers under the bars at the end are the run's final π
    final = [fixed(v, 2) for v in t["pg_pi"][-1]]
    texts = s.texts()
    assert texts[texts.index(f"第 {len(t['pg_pi']) - 1:3d} 步") - len(final):][:len(final)] == final
    for b, kl in zip(t["betas"], t["optima_kl"]):
        assert s.shows(f"β = {plain(b)}   KL = {fixed(kl, 2)}")


def test_rlhf_beta_change_reaches_the_screen():
    a, b = screen("ch11.RLHFPreference"), screen("ch11.RLHFPreference", *POLICIES["beta1"])
    ka, kb = a.trace().metrics["pg_kl"], b.trace().metrics["pg_kl"]
    assert not np.isclose(ka, kb)
    assert b.shows(f"KL(π‖π_ref) = {fixed(kb, 3)}") and not b.shows(f"KL(π‖π_ref) = {fixed(ka, 3)}")
