"""Chapter 12 on screen: every value, arrow, count, reward and average in ValueDiffusion is the traces'.

Dry runs at the book's defaults, at ``gridworld.gamma=0.9`` (changes value iteration and Q-learning)
and at ``gridworld.episodes=2000`` (a shorter Q-learning run). All three sims recompute in well under
a second. Expected values are computed here from the traces' arrays, params and metrics and written
with the kit's formatters, not with the scene's helpers.
"""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.checks.ch12 import rows as book_rows
from scenes.ch12_q_learning import chosen_checkpoints, settled_cells, world_rewards
from scenes.kit.numbers import fixed, plain, sci, sig, signed
from screenlog import Screen, numbers_in, screen

RUNS = {"defaults": (), "gamma09": ("gridworld.gamma=0.9",), "episodes2000": ("gridworld.episodes=2000",)}
ALL = pytest.mark.parametrize("run", list(RUNS))
ARROWS = {"↑": r"\uparrow", "↓": r"\downarrow", "←": r"\leftarrow", "→": r"\rightarrow"}


def shown(run: str) -> Screen:
    return screen("ch12.ValueDiffusion", *RUNS[run])


def cell(v: float) -> str:
    """A value cell as the book prints its table: ``+0.59``, and ``0.00`` for what rounds to zero."""
    return "0.00" if round(float(v), 2) == 0 else signed(v, 2)


def free_cells(t) -> list[tuple[int, int]]:
    policy = t["policy"]
    return [(r, c) for r in range(policy.shape[0]) for c in range(policy.shape[1])
            if not t["walls"][r, c] and policy[r, c] not in ("G", "T")]


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


def episodes_shown(s: Screen) -> list[int]:
    return [int(x.split()[1]) for x in s.texts("text") if x.startswith("第 ") and x.endswith(" 局")]


@ALL
def test_each_sweep_shows_the_stored_values_of_the_cells_it_changed(run):
    s = shown(run)
    t = s.trace("gridworld.vi5x5")
    sweeps, free = t["v_sweeps"], free_cells(t)
    expected = [cell(sweeps[0][rc]) for rc in free]
    for k in range(1, len(sweeps)):
        expected += [cell(sweeps[k][r, c]) for r, c in np.argwhere(sweeps[k] != sweeps[k - 1])]
    assert s.texts("v5") == expected
    counters = [x for x in s.texts("text") if x.startswith("第 ") and x.endswith(" 轮")]
    assert counters == [f"第 {k} 轮" for k in range(len(sweeps))]
    for k, res in enumerate(t["residual"], start=1):  # each sweep's largest change, over its bar
        assert s.shows(fixed(res, 3)), k


@ALL
def test_the_backup_shows_the_runs_gamma_and_rewards(run):
    s = shown(run)
    t = s.trace("gridworld.vi5x5")
    gamma, q, v = float(t.meta["params"]["gamma"]), t["final_q"], t["final_v"]
    step = q[0, 0, 0] - gamma * v[0, 0]  # ↑ from the top-left corner bumps the border: stay put, pay the step
    goal = float(t["v_sweeps"][1].max())  # one sweep: the best a cell can get is stepping into G
    tr, tc = np.argwhere(t["policy"] == "T")[0]
    trap = q[tr - 1, tc, 1]  # ↓ into T from the cell above it (terminal: V = 0 there)
    assert rf"\gamma={plain(gamma)}" in s.texts("tex") and rf"r={plain(step)}" in s.texts("tex")
    caption_with(s, f"走进 G 得 +{plain(goal)}")
    caption_with(s, f"掉进 T 得 {plain(trap)}")
    caption_with(s, f"其余格子只看到一步的成本 {cell(step)}")


@ALL
def test_convergence_is_stated_from_the_metrics(run):
    s = shown(run)
    t = s.trace("gridworld.vi5x5")
    m = t.metrics
    caption_with(s, f"{m['sweeps_until_unchanged']} 轮之后 V 就不动了")
    if t["residual"][-1] == 0:
        caption_with(s, f"第 {m['sweeps']} 轮没有一个格子再变")
    residual = "0" if m["bellman_residual"] == 0 else sci(m["bellman_residual"])
    assert s.texts("converged") == [f"{m['sweeps_until_unchanged']} 轮后不再变化，贝尔曼残差",
                                    r"\|\mathcal{T}V-V\|_\infty=" + residual]


@ALL
def test_the_arrows_are_the_traces_argmax(run):
    s = shown(run)
    t = s.trace("gridworld.vi5x5")
    free = free_cells(t)
    assert all(t["policy"][rc] == "↑↓←→"[t["greedy_action"][rc]] for rc in free)
    assert s.texts("arrow") == [ARROWS[t["policy"][rc]] for rc in free]
    rows, cols = t["walls"].shape
    moves = {"↑": (-1, 0), "↓": (1, 0), "←": (0, -1), "→": (0, 1)}
    targets = [(r + moves[t["policy"][r, c]][0], c + moves[t["policy"][r, c]][1]) for r, c in free]
    assert all(0 <= r < rows and 0 <= c < cols and not t["walls"][r, c] and t["policy"][r, c] != "T"
               for r, c in targets)  # so the caption may say so
    caption_with(s, "没有箭头撞墙，也没有指向陷阱")
    caption_with(s, f"{t.metrics['tied_cells']} 格有两个方向一样好")


@ALL
def test_q_learning_checkpoints_are_the_stored_tables(run):
    s = shown(run)
    q = s.trace("gridworld.q4x4")
    recorded = [int(e) for e in q["checkpoint_episode"]]
    episodes = episodes_shown(s)
    assert episodes[0] == 0 and episodes[-1] == int(q.meta["params"]["episodes"]) == recorded[-1]
    assert len(episodes) >= 4 and episodes == sorted(set(episodes))
    free = free_cells(q)
    values = s.texts("v_q")
    gaps = [x for x in s.texts("text") if x.startswith("max|V − V*| = ")]
    assert len(values) == len(free) * len(episodes) and len(gaps) == len(episodes) - 1
    for n, episode in enumerate(episodes):
        v = q["v_checkpoints"][recorded.index(episode)]
        assert values[n * len(free):(n + 1) * len(free)] == [cell(v[rc]) for rc in free], episode
        if n:
            assert gaps[n - 1] == f"max|V − V*| = {sig(np.max(np.abs(v - q['v_star'])), 2)}", episode
    assert gaps[-1].endswith(sig(q.metrics["max_abs_v_minus_vstar"], 2))
    assert s.texts("v_star") == [cell(q["v_star"][rc]) for rc in free]
    caption_with(s, f"{episodes[-1]} 局之后，采样学到的 V 与 V*\n最多差 {sig(q.metrics['max_abs_v_minus_vstar'], 2)}")


@ALL
def test_book_averages_stand_next_to_this_runs(run):
    s = shown(run)
    q = s.trace("gridworld.q4x4")
    book = {r.id: r for r in book_rows({"gridworld.q4x4": q, "gridworld.vi4x4": s.trace("gridworld.vi4x4")})}
    m = q.metrics
    assert s.texts("returns") == [
        f"前 200 局平均回报：书中 {signed(book['R12.15'].book, 3)} / 本次运行 {signed(m['first_avg_return'], 3)}",
        f"末 200 局平均回报：书中 {signed(book['R12.16'].book, 3)} / 本次运行 {signed(m['last_avg_return'], 3)}",
    ]
    differ = [which for rid, which in (("R12.15", "前"), ("R12.16", "末")) if book[rid].status != "equal"]
    if differ:
        caption_with(s, f"{'、'.join(differ)} 200 局的平均回报与书中不同")
    else:
        caption_with(s, "两个平均回报都与书中印的一致")
    assert (run == "defaults") == (not differ)


@ALL
def test_the_colour_scale_shows_the_real_range(run):
    s = shown(run)
    t, q = s.trace("gridworld.vi5x5"), s.trace("gridworld.q4x4")
    recorded = [int(e) for e in q["checkpoint_episode"]]
    shown_q = q["v_checkpoints"][[recorded.index(e) for e in episodes_shown(s)]]
    lo = min(t["v_sweeps"].min(), shown_q.min(), q["v_star"].min())
    hi = max(t["v_sweeps"].max(), shown_q.max(), q["v_star"].max())
    assert cell(lo) in s.texts("text") and cell(hi) in s.texts("text")


def test_a_changed_gamma_never_shows_the_default_one():
    s = shown("gamma09")
    values = {"v5", "v_q", "v_star"}  # a learned value may round to anything; the rest must not say 0.95
    stale = [e["text"] for e in s.entries if e["kind"] not in values and 0.95 in numbers_in(e["text"])]
    assert not stale, stale
    assert r"\gamma=0.9" in s.texts("tex")
    caption_with(s, "这次运行改了 gamma=0.9")


def test_a_shorter_run_never_shows_the_default_length():
    s = shown("episodes2000")
    stale = [x for x in s.texts() if 4000 in numbers_in(x)]
    assert not stale, stale
    assert episodes_shown(s)[-1] == 2000


# --- the helpers, on small hand-made arrays (no dry run) ------------------------------------------------------
def test_rewards_are_read_back_from_q_star_and_must_agree():
    walls = np.zeros((1, 3), dtype=bool)
    policy = np.array([["T", "→", "G"]])
    v = np.array([[0.0, 0.5, 0.0]])
    gamma = 0.5
    q = np.zeros((1, 3, 4))
    q[0, 1] = [-0.1 + gamma * 0.5, -0.1 + gamma * 0.5, -1.0, 1.0]  # ↑ ↓ bump the border, ← into T, → into G
    rewards = world_rewards(q, v, walls, policy, gamma)
    assert rewards == pytest.approx({"step": -0.1, "goal": 1.0, "trap": -1.0})
    q[0, 1, 0] += 0.05  # two bumps that do not cost the same: not the world drawn
    with pytest.raises(ValueError, match="step"):
        world_rewards(q, v, walls, policy, gamma)


def test_checkpoints_are_read_from_the_recorded_episodes():
    assert [int(e) for e in np.arange(0, 4001, 20)[chosen_checkpoints(np.arange(0, 4001, 20))]] == [20, 200, 1000,
                                                                                                   4000]
    assert [int(e) for e in np.array([0, 7])[chosen_checkpoints([0, 7])]] == [7]


def test_settled_cells_are_the_changed_ones_at_their_final_value():
    sweeps = np.array([[0.0, 0.0, 0.0], [0.0, -0.1, 1.0], [0.9, -0.2, 1.0], [0.9, 0.8, 1.0], [0.9, 0.8, 1.0]])
    assert settled_cells(sweeps, 1).tolist() == [False, False, True]
    assert settled_cells(sweeps, 2).tolist() == [True, False, False]
    assert settled_cells(sweeps, 3).tolist() == [False, True, False]
