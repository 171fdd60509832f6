"""Chapter 14 on screen: the updates, averages, gradient statistics and CartPole states are the trace's.

Each scene is dry-run at the defaults and under one changed parameter whose sim recomputes in seconds
(``reinforce.lr=0.2``, ``reinforce.frozen_episode=50``, ``ppo.clip_coef=0.1``). Every expected value is
computed here from the trace of that same run and written with the kit formatter the scene uses; each
changed run must also not show a number that only the default run has.
"""

from __future__ import annotations

import numpy as np
import pytest

from scenes.ch14_policy_gradient import BOOK_AVERAGES, BOOK_POLICY, cartpole, pose, replay_updates
from scenes.kit.numbers import fixed, plain, sig, signed
from screenlog import Screen, screen
from sims.trace import Trace

RUNS = {
    "PolicyShaping": ("reinforce.lr=0.2",),
    "BaselineVariance": ("reinforce.frozen_episode=50",),
    "CartPolePPO": ("ppo.clip_coef=0.1",),
}


def shown(scene: str, changed: bool) -> Screen:
    return screen(f"ch14.{scene}", *(RUNS[scene] if changed else ()))


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


def first_updates(t: Trace, count: int) -> list[tuple[int, int, float, float, float]]:
    """(s, a, G, π(→|s) before, after) of the first logged updates, by the book's rule on logit gaps."""
    lr, pi = float(t.meta["params"]["lr"]), t["plain_pi_right"][0].copy()
    out = []
    for j in range(count):
        s, a, g = int(t["plain_step_state"][j]), int(t["plain_step_action"][j]), float(t["plain_step_return"][j])
        before = pi[s]
        gap = np.log(before / (1 - before)) + 2 * lr * g * ((a == 1) - before)
        pi[s] = 1 / (1 + np.exp(-gap))
        out.append((s, a, g, before, pi[s]))
    return out


# --- PolicyShaping ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("changed", [False, True])
def test_policy_shaping_shows_the_logged_updates_and_the_final_policy(changed):
    s = shown("PolicyShaping", changed)
    t = s.trace()
    lr = t.meta["params"]["lr"]
    assert s.shows(f"α = {plain(lr)}") and lr == (0.2 if changed else 0.1)
    for k, (state, action, g, before, after) in enumerate(first_updates(t, 3)):
        assert s.shows(f"s = {state}   a = {'←→'[action]}   G = {signed(g, 3)}"), k
        assert s.shows(f"π(→|{state})：{fixed(before, 3)} → {fixed(after, 3)}"), k
        step = lr * g * ((action == 1) - before)
        assert s.shows(f"[{signed(-step, 4)}, {signed(step, 4)}]"), k
    final = t["plain_pi_right"][-1]
    assert [x for x in s.texts() if len(x) == 4 and x[1] == "."][-len(final):] == [fixed(v, 2) for v in final]
    episodes = len(t["plain_returns"])
    assert s.shows(f"第 {episodes:4d} 局")
    if final.min() > 0.5:
        caption_with(s, f"向右的概率最低也有 {fixed(final.min(), 2)}")


@pytest.mark.parametrize("changed", [False, True])
def test_policy_shaping_sets_the_books_averages_beside_this_runs(changed):
    s = shown("PolicyShaping", changed)
    m = s.trace().metrics
    texts = s.texts()
    for key, book in BOOK_AVERAGES.items():
        assert signed(book, 3) in texts and signed(m[key], 3) in texts, key
    assert BOOK_POLICY in texts and m["plain_policy"] in texts
    gap = max(abs(float(signed(m[k], 3)) - v) for k, v in BOOK_AVERAGES.items())
    caption_with(s, f"最多差 {fixed(gap, 3)}")


def test_policy_shaping_at_another_learning_rate_shows_no_default_update():
    default, changed = shown("PolicyShaping", False), shown("PolicyShaping", True)
    stale = [x for x in default.texts() if x.startswith("π(→|") and x not in changed.texts()]
    assert stale  # the default's updates differ from the lr=0.2 run's ...
    assert not any(x in changed.texts() for x in stale)  # ... and none of them is shown there
    assert not changed.shows("α = 0.1")


class View:
    """A trace as a scene reads it (``t["array"]``, ``t.params``), over arrays a test may alter."""

    def __init__(self, trace: Trace) -> None:
        self.arrays, self.params, self.name = dict(trace.arrays), trace.meta["params"], "reinforce.test"

    def __getitem__(self, field: str) -> np.ndarray:
        return self.arrays[field]


def test_replaying_the_log_lands_on_the_recorded_policy():
    t = View(shown("PolicyShaping", False).trace())
    log = replay_updates(t, 3)
    np.testing.assert_allclose(log["after"][-1], t["plain_pi_right"][3], atol=1e-6)
    expected = [u[3] for u in first_updates(shown("PolicyShaping", False).trace(), 3)]
    np.testing.assert_allclose(log["before"][:3], expected, rtol=1e-9)
    t.arrays["plain_pi_right"] = t["plain_pi_right"].copy()
    t.arrays["plain_pi_right"][2] += 0.01  # a log that does not match its recorded policy is refused
    with pytest.raises(ValueError, match="do not end on its recorded"):
        replay_updates(t, 3)


# --- BaselineVariance -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("changed", [False, True])
def test_baseline_variance_shows_the_measured_means_and_variances(changed):
    s = shown("BaselineVariance", changed)
    t = s.trace()
    frozen = t.meta["params"]["frozen_episode"]
    assert frozen == (50 if changed else 100)
    caption_with(s, f"把第 {frozen} 局后的策略冻住")
    raw, adv = t["proj_raw"], t["proj_adv"]
    for v in (raw, adv):
        assert s.shows(f"均值 {sig(v.mean(), 3)}") and s.shows(f"方差 {sig(v.var(ddof=1), 3)}")
    exact = float(np.linalg.norm(t["grad_exact"]))
    assert s.shows(f"真梯度 {sig(exact, 3)}")
    caption_with(s, f"投影方差小 {sig(raw.var(ddof=1) / adv.var(ddof=1), 3)} 倍")
    m = t.metrics
    caption_with(s, f"是 {sig(m['variance_ratio'], 3)} 倍")
    caption_with(s, f"方差从 {sig(m['grad_var_raw'], 3)}")
    assert s.shows("b(s) = V(s)：" + " ".join(fixed(x, 2) for x in t["frozen_v"]))
    g = t["var_step_return"]
    assert s.shows(f"G：均值 {signed(g.mean())}，{(g > 0).mean():.1%} 为正")


def test_baseline_variance_of_another_snapshot_shows_no_default_ratio():
    default, changed = shown("BaselineVariance", False), shown("BaselineVariance", True)
    ratio = sig(default.trace().metrics["variance_ratio"], 3)
    assert ratio != sig(changed.trace().metrics["variance_ratio"], 3)
    assert not changed.shows(f"是 {ratio} 倍")
    assert not changed.shows("把第 100 局")


# --- CartPolePPO ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("changed", [False, True])
def test_cartpole_ppo_replays_the_recorded_episodes_and_iterations(changed):
    s = shown("CartPolePPO", changed)
    t = s.trace()
    eps = t.meta["params"]["clip_coef"]
    assert eps == (0.1 if changed else 0.2)
    assert s.shows(f"1 ± {plain(eps)}")
    caption_with(s, f"被夹在 1 ± {plain(eps)} 里")
    tau = t["cartpole_geometry"][3]
    for which in ("untrained", "trained"):
        obs = t[f"{which}_obs"]
        steps = len(obs) - 1
        assert s.shows(f"第 {steps:3d}/{steps} 步 · {fixed(steps * tau, 2)} s"), which
        x, theta = obs[-1, 0], np.degrees(obs[-1, 2])
        assert s.shows(f"x = {signed(x, 3)} m   θ = {signed(theta, 1)}°"), which
    iters = len(t["iter_env_step"])
    assert s.shows(f"第 {iters:2d}/{iters} 轮 · 裁剪 {float(t['iter_clip_frac'][-1]):5.1%}")
    caption_with(s, f"平均 {float(np.mean(t['iter_clip_frac'])):.1%} 的样本被裁剪")
    m = t.metrics
    caption_with(s, f"平均回报 {plain(round(m['eval_mean_return'], 1))}，最差 {plain(m['eval_min_return'])}")


def test_cartpole_ppo_with_a_narrower_clip_never_shows_the_default_band():
    changed = shown("CartPolePPO", True)
    assert not changed.shows("1 ± 0.2")
    default = shown("CartPolePPO", False).trace()
    if len(default["iter_env_step"]) != len(changed.trace()["iter_env_step"]):
        assert not changed.shows(f"/{len(default['iter_env_step'])} 轮")


def test_pose_puts_the_pole_where_the_state_says():
    geometry = [2.4, 0.2094, 0.5, 0.02]
    rig = pose(cartpole(geometry, scale=1.0, origin=(0.0, 0.0)), 1.0, 0.1)
    pole = rig[4]
    start, end = pole.get_start(), pole.get_end()
    assert start[0] == pytest.approx(1.0)
    np.testing.assert_allclose(end - start, [np.sin(0.1), np.cos(0.1), 0.0], atol=1e-6)  # 2 × half length
    assert pose(rig, 0.0, 0.3)[4].get_color() != pose(rig, 0.0, 0.0)[4].get_color()  # past the fall angle
