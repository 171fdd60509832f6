"""The tabular RL sims of chapters 12-15 and their errata rows."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.checks import DIFFERENT, EQUAL, NOT_REPRODUCIBLE
from sims import dqn_grid, gridworld, mcts, reinforce, selfplay
from sims.grid_mdp import LAYOUTS, bellman_q

SIMS = {m.__name__.split(".")[-1]: m for m in (gridworld, dqn_grid, reinforce, mcts, selfplay)}
_cache: dict[str, object] = {}
# Default runs that take seconds (dqn_grid.default ~2 s, selfplay.default ~8 s of CPU): their
# tests are marked slow; every other default trace here costs well under a second.


def trace(name: str):
    """``sim.variant`` at the default seed, computed once per test session."""
    if name not in _cache:
        sim, variant = name.split(".")
        module = SIMS[sim]
        _cache[name] = module.run(module.Params(**module.VARIANTS[variant]), module.SEED)
    return _cache[name]


# ---------------------------------------------------------------- chapter 12

def test_q_learning_reproduces_the_printed_table():
    t = trace("gridworld.q4x4")
    printed = [["+0.59", "+0.67", "+0.74", "+0.67"], ["+0.67", "###", "+0.82", "+0.00"],
               ["+0.74", "###", "+0.91", "+1.00"], ["+0.82", "+0.91", "+1.00", "+0.00"]]
    ours = [["###" if t["walls"][r, c] else f"{t['final_v'][r, c]:+.2f}" for c in range(4)] for r in range(4)]
    assert ours == printed
    assert t.metrics["policy_rows"] == ["→ → ↓ ←", "↓ # ↓ T", "↓ # ↓ ↓", "→ → → G"]
    assert f"{t.metrics['first_avg_return']:+.3f}" == "+0.617"
    assert f"{t.metrics['last_avg_return']:+.3f}" == "+0.745"
    assert t["v_checkpoints"].shape == (4000 // 20 + 1, 4, 4)
    np.testing.assert_array_equal(t["v_checkpoints"][-1], t["final_v"])


@pytest.mark.parametrize("variant, layout, sweeps", [("vi4x4", "4x4", 6), ("vi5x5", "5x5", 8)])
def test_value_iteration_reaches_the_bellman_fixed_point(variant, layout, sweeps):
    t = trace(f"gridworld.{variant}")
    grid = LAYOUTS[layout]
    v = t["final_v"].ravel()
    assert np.max(np.abs(bellman_q(grid, v, 0.95).max(axis=1) - v)) < 1e-9
    assert t.metrics["bellman_residual"] < 1e-9
    assert t.metrics["sweeps_until_unchanged"] == sweeps  # BOOK_SPEC §12.3
    assert t["residual"][0] == pytest.approx(1.0) and t["residual"][-1] < 1e-12
    assert np.all(np.diff(t["residual"][:sweeps]) <= 1e-12)  # γ-contraction: never grows
    # every greedy arrow is one of the optimal actions, ties included
    a = t["greedy_action"]
    assert np.all(np.take_along_axis(t["optimal_actions"], a[..., None], axis=-1))


def test_value_iteration_matches_the_books_tables():
    assert np.round(trace("gridworld.vi4x4")["final_v"], 2).tolist() == np.round(
        trace("gridworld.q4x4")["final_v"], 2).tolist()
    first_row = np.round(trace("gridworld.vi5x5")["final_v"][0], 3).tolist()
    assert first_row == [0.457, 0.523, 0.593, 0.666, 0.743]  # BOOK_SPEC §12.3


# ---------------------------------------------------------------- chapter 13

@pytest.mark.slow
def test_dqn_learns_a_policy_that_reaches_the_goal():
    t = trace("dqn_grid.default")
    m = t.metrics
    assert m["cells_reaching_goal"] == m["playable_cells"] == 12
    assert m["mean_batch_gap"] > 10 * m["sequential_batch_gap"]  # replay decorrelates
    assert len(t["sync_episode"]) == 1500 // 50
    assert len(t["td_loss"]) == m["updates"]
    assert t["batch_indices"].max() < m["transitions"]
    assert sum(a.nbytes for a in t.arrays.values()) < 4e6


# ---------------------------------------------------------------- chapter 14

def test_reinforce_learns_to_go_right():
    m = trace("reinforce.default").metrics
    assert m["plain_policy"] == m["baseline_policy"] == "→→→→→→"
    assert f"{m['plain_first_avg']:.3f}" == "0.501" and f"{m['baseline_first_avg']:.3f}" == "0.452"
    assert 0.7 < m["plain_last_avg"] <= m["best_return"] and 0.7 < m["baseline_last_avg"] <= m["best_return"]


def test_baseline_keeps_the_mean_gradient_and_cuts_its_variance():
    t = trace("reinforce.default")
    raw, adv, exact = t["grad_raw"], t["grad_adv"], t["grad_exact"]
    n = len(raw)
    for g in (raw, adv):  # both estimators are unbiased for the exact expected gradient
        z = np.abs(g.mean(axis=0) - exact) / (g.std(axis=0, ddof=1) / np.sqrt(n))
        assert z.max() < 4
    assert t.metrics["grad_mean_max_z"] < 4
    assert t.metrics["variance_ratio"] > 3
    assert t["proj_raw"].var() > t["proj_adv"].var()


# ---------------------------------------------------------------- chapter 15

def test_mcts_picks_one():
    t = trace("mcts.default")
    assert t.metrics["chosen_move"] == 1
    assert sum(t.metrics["root_n"]) == 4000
    assert t["root_n"][-1].tolist() == t.metrics["root_n"]
    assert t["rec_q"].shape[0] == 30
    # the first simulation: expand the root's first child, back its exact value up
    assert t["sim_path"][0, 0] == 1 and t["sim_leaf_total"][0] == 1 and t["rec_after_n"][0, 0] == 1
    assert np.all(t["checkpoint_root_n"].sum(axis=1) == t["checkpoint_sims"])


def test_flipped_terminal_shows_the_books_pattern():
    m = trace("mcts.flipped_terminal").metrics
    assert m["chosen_move"] == 1
    assert abs(m["root_q"][0]) < 0.05  # Q(报1) ≈ 0 as printed, unlike the correct +0.62


@pytest.mark.slow
def test_selfplay_flywheel_improves():
    t = trace("selfplay.default")
    assert t["p_best_opening"][-1] > 0.9 > t["p_best_opening"][0]
    assert t["win_rate_vs_random"][-1] >= 0.9
    assert t["win_rate_vs_prev"][0] > 0.5
    assert t["value_mse"][-1] < t["value_mse"][0]
    assert t["greedy_correct"][-1] == 1.0


# ---------------------------------------------------------------- contract

SMALL = {
    "gridworld": {"episodes": 300},
    "dqn_grid": {"episodes": 60},
    "reinforce": {"episodes": 150, "variance_episodes": 100},
    "mcts": {"n_sims": 300, "random_ties": True},
    "selfplay": {"generations": 1, "games_per_gen": 4, "train_steps": 10, "eval_games": 4},
}


@pytest.mark.parametrize("name", sorted(SIMS))
def test_same_seed_same_arrays(name):
    module = SIMS[name]
    a, b = (module.run(module.Params(**SMALL[name]), 3) for _ in range(2))
    assert a.arrays.keys() == b.arrays.keys()
    for key in a.arrays:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert a.metrics == b.metrics


@pytest.mark.parametrize("name", sorted(SIMS))
def test_sim_contract(name):
    module = SIMS[name]
    source = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    literals = {node.targets[0].id: node.value for node in source.body
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    variants = ast.literal_eval(literals["VARIANTS"])
    assert isinstance(ast.literal_eval(literals["SEED"]), int)
    assert dataclasses.is_dataclass(module.Params) and module.Params.__dataclass_params__.frozen
    for overrides in variants.values():
        module.Params(**overrides)
    t = module.run(module.Params(**SMALL[name]), module.SEED)
    for key, array in t.arrays.items():
        assert array.dtype != object and array.dtype.kind in "biufU", key
    json.dumps(t.metrics)


@pytest.mark.parametrize("chapter", [12, pytest.param(13, marks=pytest.mark.slow), 14, 15])
def test_check_rows(chapter):
    module = importlib.import_module(f"pipeline.checks.ch{chapter:02d}")
    rows = module.rows({name: trace(name) for name in module.TRACES})
    expected = {
        12: [f"R12.{i}" for i in range(1, 17)] + ["RG12.1"],
        13: ["RG13.1"],
        14: ["R14.1", "R14.2", "R14.3", "R14.4", "RG14.1", "RG14.2"],
        15: [f"R15.{i}" for i in range(1, 7)] + ["RG15.1"],
    }[chapter]
    assert [r.id for r in rows] == expected
    assert all(r.status in (EQUAL, DIFFERENT, NOT_REPRODUCIBLE) and r.chapter == chapter for r in rows)
    json.dumps([r.as_dict() for r in rows], ensure_ascii=False)
    if chapter == 12:
        assert all(r.status == EQUAL for r in rows)
    if chapter == 15:
        assert next(r for r in rows if r.id == "RG15.1").status == EQUAL
