"""Chapter 13 on screen: every count, gap, Q value and return shown is the trace's, for the run shown.

``ReplayBuffer`` is dry-run at the defaults and at ``dqn_grid.episodes=300`` (the grid DQN recomputes
in about a second). ``TargetNetwork`` and ``CartPoleDQN`` read the torch CartPole runs; an override on
``dqn`` re-keys all four of its variants (about 15 s of CPU), so the changed runs are marked slow. Each
expected value is computed here from the trace of that same run with the kit formatter the scene uses.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipeline.checks.ch13 import BOOK_POLICY
from scenes.ch13_dqn import ending, moving_mean, pair_gap, signed_round, staircase
from scenes.kit.numbers import fixed, plain, sci, sig
from screenlog import Screen, numbers_in, screen

GRID_RUNS = {"defaults": (), "short": ("dqn_grid.episodes=300",)}
# a changed sync interval on a short budget (every dqn variant re-trains under an override: 6k steps, 2496
# updates and 4 syncs, keep the four near 15 s where 20k took about 40); the no-target run has diverged by
# then, and the scenes must cope with a run that did not solve
DQN_RUNS = {"defaults": (), "sync512": ("dqn.target_every=512", "dqn.total_steps=6000")}
GRID_BOTH = pytest.mark.parametrize("run", list(GRID_RUNS))
DQN_BOTH = pytest.mark.parametrize("run", [pytest.param("defaults"), pytest.param("sync512", marks=pytest.mark.slow)])


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


# --- ReplayBuffer ---------------------------------------------------------------------------------------------
def grid(run: str) -> tuple[Screen, dict]:
    s = screen("ch13.ReplayBuffer", *GRID_RUNS[run])
    t = s.trace("dqn_grid.default")
    assert int(t.meta["params"]["episodes"]) == (300 if run == "short" else 1500)
    return s, t


@GRID_BOTH
def test_replay_buffer_streams_the_runs_first_transitions(run):
    s, t = grid(run)
    shown = min(int(t["lengths"][0]), 20)
    i = shown - 1
    cell = f"({t['tr_state'][i] // 4},{t['tr_state'][i] % 4})"
    assert s.shows(f"第 {shown} 条经验") and not s.shows(f"第 {shown + 1} 条经验")
    assert s.shows(f"s={cell}  a={'↑↓←→'[t['tr_action'][i]]}")


@GRID_BOTH
def test_replay_buffer_pool_counts_and_the_recorded_batches(run):
    s, t = grid(run)
    m, p = t.metrics, t.meta["params"]
    n, cap, batch = m["transitions"], p["buffer_size"], p["batch"]
    assert len(t["tr_state"]) == n
    assert s.shows(f"容量 {cap}")
    caption_with(s, f"满 {cap} 条后挤掉最旧的" if n > cap else f"这次共 {n} 条，装不满 {cap} 条")
    assert s.shows(f"经验 {n:>5d} 条") and s.shows(f"池中 {min(n, cap):>5d} 条")
    steps = t["batch_step"]
    mid = int(np.argmin(np.abs(steps - 0.5 * n)))
    caption_with(s, f"第 {t['batch_update'][mid] + 1} 次更新：从池里随机抽 {batch} 条")
    for b in (mid, len(steps) - 1):  # the paused batch and the last one: their own measured gaps
        assert s.shows(f"平均相隔 {sig(pair_gap(t['batch_indices'][b]), 3)} 步")
    assert math.isclose(pair_gap(np.arange(batch)), m["sequential_batch_gap"])
    assert s.shows(f"平均相隔 {sig(m['sequential_batch_gap'], 3)} 步")
    caption_with(s, f"记录的 {len(steps)} 批平均相隔 {sig(m['mean_batch_gap'], 3)} 步")
    caption_with(s, f"每条平均被抽中 {sig(m['updates'] * batch / n, 3)} 次")


def test_the_scenes_batch_gap_is_the_sims_metric():
    s, t = grid("defaults")
    gaps = [pair_gap(b) for b in t["batch_indices"]]
    assert math.isclose(float(np.mean(gaps)), t.metrics["mean_batch_gap"], rel_tol=1e-9)


@GRID_BOTH
def test_replay_buffer_compares_the_books_policy_with_this_runs(run):
    s, t = grid(run)
    m = t.metrics
    ours = [row.split() for row in m["policy_rows"]]
    book = [row.split() for row in BOOK_POLICY]
    differ = sum(a != b for ro, rb in zip(ours, book) for a, b in zip(ro, rb))
    assert s.shows(f"本次运行（{t.meta['params']['episodes']} 局后）")
    if differ:
        caption_with(s, f"书中有 {differ} 格箭头与本次不同")
    caption_with(s, f"{m['cells_reaching_goal']}/{m['playable_cells']} 格")
    arrows = [x for x in s.texts("text") if x in "↑↓←→" and x]
    assert len(arrows) >= 2 * sum(a in "↑↓←→" for row in ours for a in row)  # both grids drawn


def test_a_short_grid_run_shows_none_of_the_default_runs_counts():
    d, _ = grid("defaults")
    s, t = grid("short")
    default = {d.trace().metrics[k] for k in ("transitions", "updates")}
    stale = [x for x in s.texts() if default & set(numbers_in(x))]
    assert not stale, stale
    assert not s.shows("1500 局")


# --- TargetNetwork --------------------------------------------------------------------------------------------
def dqn(scene: str, run: str) -> Screen:
    s = screen(f"ch13.{scene}", *DQN_RUNS[run])
    assert int(s.trace("dqn.default").meta["params"]["target_every"]) == (512 if run == "sync512" else 256)
    return s


@DQN_BOTH
def test_target_network_shows_the_runs_syncs_and_q(run):
    s = dqn("TargetNetwork", run)
    t = s.trace("dqn.default")
    p = t.meta["params"]
    updates, syncs = len(t["q_online"]), len(t["sync_update"])
    assert updates == t.metrics["updates"] and syncs == t.metrics["syncs"]
    assert s.shows(rf"\gamma={plain(p['gamma'])}")
    assert s.shows(f"每 {p['target_every']} 次更新复制一次")
    assert s.shows(f"更新 {updates:>5d} 次") and s.shows(f"同步 {syncs:>3d} 次")
    caption_with(s, f"{updates} 次更新里同步 {syncs} 次")
    assert s.shows(f"s₀ = [{', '.join(plain(v) for v in t['probe_states'][0])}]")


@DQN_BOTH
def test_target_network_ablation_shows_the_real_runaway(run):
    s = dqn("TargetNetwork", run)
    t, nt = s.trace("dqn.default"), s.trace("dqn.no_target")
    kept = np.abs(t["q_online"]).max(axis=(1, 2))
    free = np.abs(nt["q_online"]).max(axis=(1, 2))
    bound = t["eval_returns"][0] / len(t["trained_act"]) / (1 - t.meta["params"]["gamma"])
    assert s.shows(f"= {plain(round(bound, 1))}")
    assert s.shows(sci(free.max())) and s.shows(fixed(kept[-1], 1))
    if free.max() > 10 * bound:
        caption_with(s, f"|Q| 冲到 {sci(free.max())}，\n是上限的 {sci(free.max() / bound)} 倍")
    caption_with(s, f"有目标网络 {plain(t.metrics['eval_mean_return'])}，\n"
                    f"没有目标网络 {plain(nt.metrics['eval_mean_return'])}")


# --- CartPoleDQN ----------------------------------------------------------------------------------------------
@DQN_BOTH
def test_cartpole_replays_the_recorded_episodes(run):
    s = dqn("CartPoleDQN", run)
    t = s.trace("dqn.default")
    geometry = t["cartpole_geometry"]
    for which in ("untrained", "trained"):
        obs, steps = t[f"{which}_obs"], len(t[f"{which}_act"])
        assert len(obs) == steps + 1
        assert s.shows(f"第 {steps:>3d} 步  {steps * geometry[3]:5.2f} 秒")
        last = obs[-1]
        assert s.shows(f"θ = {signed_round(math.degrees(last[2]), 1)}°   x = {signed_round(last[0], 2)} m")
        failed, words = ending(obs, geometry)
        caption_with(s, f"撑了 {steps} 步" if failed else f"撑满 {steps} 步")
    assert s.shows(f"+{plain(geometry[0])} m")
    caption_with(s, f"测试 {len(t['eval_returns'])} 局平均 {plain(t.metrics['eval_mean_return'])} 分")


@DQN_BOTH
def test_cartpole_learning_curve_and_the_replay_ablation(run):
    s = dqn("CartPoleDQN", run)
    t, on, off = (s.trace(f"dqn.{v}") for v in ("default", "one_env", "no_replay"))
    m = t.metrics
    caption_with(s, f"训练 {m['env_steps']} 步、{m['episodes']} 局")
    caption_with(s, f"还有 {float(t['update_eps'][-1]):.0%} 的随机动作")
    if m["stopped_early"]:
        assert s.shows(f"第 {int(t['check_env_step'][-1])} 步通过检查")
    a, b = on.metrics["eval_mean_return"], off.metrics["eval_mean_return"]
    assert s.shows(f"有回放 · 最后测试 {plain(a)}") and s.shows(f"无回放 · 最后测试 {plain(b)}")
    assert on.meta["params"]["num_envs"] == off.meta["params"]["num_envs"]
    caption_with(s, f"都只用 {on.meta['params']['num_envs']} 个环境")
    # the ablation's curves are the greedy policy's test returns, as recorded, not the ε-greedy training returns
    p = off.meta["params"]
    assert s.shows(f"不带随机的策略：每 {p['curve_every']} 步测 {p['curve_episodes']} 局的平均回报")
    for name, run_ in (("有回放", on), ("无回放", off)):  # each run's own stop, as recorded
        if run_.metrics["stopped_early"]:
            caption_with(s, f"{name}第 {int(run_['check_env_step'][-1])} 步通过检查、停下")
        else:
            caption_with(s, f"{name}一直没通过检查，跑满 {run_.metrics['env_steps']} 步")
    assert len(on["curve_env_step"]) == len(on["curve_return"]) >= 2 and on["curve_env_step"][0] == 0


@pytest.mark.slow
@pytest.mark.parametrize("scene", ["TargetNetwork", "CartPoleDQN"])
def test_a_changed_dqn_run_shows_none_of_the_default_runs_counts(scene):
    d, s = dqn(scene, "defaults"), dqn(scene, "sync512")
    changed = s.trace("dqn.default").metrics
    default = {d.trace("dqn.default").metrics[k] for k in ("env_steps", "updates")}
    default -= {changed["env_steps"], changed["updates"]}
    stale = [x for x in s.texts() if default & set(numbers_in(x))]
    assert not stale, stale
    assert not s.shows("每 256 次")


# --- the helpers the scenes compute with ------------------------------------------------------------------------
def test_helpers():
    assert pair_gap([0, 1, 2]) == pytest.approx(4 / 3)
    xs, ys = staircase(np.array([1.0, 1.0, 2.0, 2.0, 5.0]))
    assert list(xs) == [0, 2, 2, 4, 4, 4] and list(ys) == [1, 1, 2, 2, 5, 5]
    assert list(moving_mean(np.array([2.0, 4.0, 6.0]), 2)) == [2, 3, 5]
    geometry = np.array([2.4, 0.2, 0.5, 0.02])
    assert ending(np.array([[0, 0, 0.3, 0]]), geometry)[0]
    assert ending(np.array([[2.5, 0, 0.0, 0]]), geometry)[0]
    assert not ending(np.array([[0.1, 0, 0.1, 0]]), geometry)[0]
    assert signed_round(-0.04, 1) == "+0.0"
