"""The deep-RL sims (sims/dqn.py, sims/ppo.py): contract, determinism, finiteness, learning."""

from __future__ import annotations

import ast
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sims import dqn, ppo, torch_rl

METRIC_KEYS = {"eval_mean_return", "solved", "env_steps", "train_wall_s"}

# Short budgets: enough updates to exercise every code path (bursts, syncs, GAE, checks).
DQN_SHORT = dqn.Params(
    total_steps=2_000, learning_starts=500, train_every=128, gradient_steps=16, target_every=32, device="cpu"
)
PPO_SHORT = ppo.Params(total_steps=2_048, num_envs=4, num_steps=128, device="cpu")


def assert_same_traces(a, b) -> None:
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def assert_numeric(trace) -> None:
    for name, array in trace.arrays.items():
        assert array.dtype.kind in "biuf", (name, array.dtype)


@pytest.mark.parametrize("module", [dqn, ppo])
def test_contract_literals(module) -> None:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    values = {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    variants = ast.literal_eval(values["VARIANTS"])
    assert isinstance(ast.literal_eval(values["SEED"]), int)
    assert "default" in variants
    for overrides in variants.values():
        replace(module.Params(), **overrides)  # every override names a real field


@pytest.mark.parametrize("variant", sorted(dqn.VARIANTS))
def test_dqn_deterministic_and_finite(variant: str) -> None:
    params = replace(DQN_SHORT, **dqn.VARIANTS[variant])
    a, b = dqn.run(params, seed=3), dqn.run(params, seed=3)
    assert_same_traces(a, b)
    assert_numeric(a)
    assert METRIC_KEYS <= a.metrics.keys()
    assert a.metrics["env_steps"] == 2_000 and a.metrics["updates"] > 100
    for name in ("update_loss", "update_td_target", "q_online", "q_target"):
        assert np.isfinite(a[name]).all(), name
    assert len(a["update_loss"]) == a.metrics["updates"] == len(a["q_online"])
    assert a["q_online"].shape[1:] == (len(torch_rl.PROBE_STATES), 2)
    assert len(a["episode_return"]) == len(a["episode_end_step"]) > 0
    assert len(a["eval_returns"]) == torch_rl.EVAL_EPISODES
    ages = a["sample_env_step"][:, None] - a["sample_stamp"]
    assert (ages >= 0).all()
    if variant == "no_target":
        np.testing.assert_array_equal(a["q_online"], a["q_target"])
        assert a.metrics["syncs"] == 0
    else:
        assert a.metrics["syncs"] > 0
    if variant == "no_replay":  # the minibatch is the newest transitions: all young
        assert ages.max() <= 2 * params.batch_size
    else:
        assert ages.max() > 500


def test_dqn_seed_matters() -> None:
    a, b = dqn.run(DQN_SHORT, seed=0), dqn.run(DQN_SHORT, seed=1)
    assert not np.array_equal(a["update_loss"], b["update_loss"])


def test_ppo_deterministic_and_finite() -> None:
    a, b = ppo.run(PPO_SHORT, seed=3), ppo.run(PPO_SHORT, seed=3)
    assert_same_traces(a, b)
    assert_numeric(a)
    assert METRIC_KEYS <= a.metrics.keys()
    iters = a.metrics["iterations"]
    assert iters == 4 and a.metrics["env_steps"] == 2_048
    for name in ("iter_entropy", "iter_clip_frac", "iter_approx_kl", "iter_value_loss", "iter_policy_loss"):
        assert a[name].shape == (iters,) and np.isfinite(a[name]).all(), name
    assert a["ratio_hist"].shape == (iters, ppo.Params().ratio_bins)
    assert (a["ratio_hist"].sum(axis=1) > 0).all()
    assert len(a["ratio_edges"]) == ppo.Params().ratio_bins + 1


def test_ppo_learns_quickly() -> None:
    t0 = time.perf_counter()
    trace = ppo.run(ppo.Params(total_steps=30_000, device="cpu"), seed=0)
    assert time.perf_counter() - t0 < 60
    assert trace.metrics["eval_mean_return"] > 150  # a random policy scores about 22


def test_evaluate_is_deterministic_and_separately_seeded() -> None:
    def push_towards_fall(obs: np.ndarray) -> np.ndarray:
        return (obs[:, 2] + obs[:, 3] > 0).astype(int)

    a, b = torch_rl.evaluate(push_towards_fall), torch_rl.evaluate(push_towards_fall)
    np.testing.assert_array_equal(a, b)
    assert len(a) == torch_rl.EVAL_EPISODES and len(set(a.tolist())) > 1  # different start states
    random_like = torch_rl.evaluate(lambda obs: np.zeros(len(obs), dtype=int))
    assert random_like.mean() < 20
