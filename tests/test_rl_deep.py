"""The deep-RL sims (sims/dqn.py, sims/ppo.py): contract, GAE, autoreset, determinism, learning."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from sims import dqn, ppo, torch_rl

METRIC_KEYS = {"eval_mean_return", "solved", "env_steps", "train_wall_s"}

# Short budgets: enough updates to exercise every code path (bursts, syncs, GAE, checks).
DQN_SHORT = dqn.Params(
    total_steps=2_000, learning_starts=500, train_every=128, gradient_steps=16, target_every=32, device="cpu"
)
PPO_SHORT = ppo.Params(total_steps=2_048, num_envs=4, num_steps=128, device="cpu")
# DQN with ε decayed over 2k steps, trained 4k steps, no early stop: seeds 0, 1, 2 evaluate to
# 169, 179, 113 (a random policy scores about 22).
DQN_LEARN = dqn.Params(total_steps=4_000, eps_decay_steps=2_000, stop_when_solved=False, device="cpu")


def assert_same_traces(a, b) -> None:
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def assert_replays_are_real_episodes(trace) -> None:
    """The recorded episodes the CartPole scenes replay: the trained one is episode 0 of the final evaluation
    (same start, same greedy policy, so the same length), each ends by a fall or at the time limit, and the
    geometry is CartPole-v1's own."""
    x_max, theta_max, half_pole, tau = trace["cartpole_geometry"]
    assert (x_max, half_pole, tau) == (2.4, 0.5, 0.02) and theta_max == pytest.approx(12 * np.pi / 180)
    assert len(trace["trained_act"]) == trace["eval_returns"][0]
    for stage in ("untrained", "trained"):
        obs, act = trace[f"{stage}_obs"], trace[f"{stage}_act"]
        assert obs.shape == (len(act) + 1, 4) and set(np.unique(act)) <= {0, 1}
        fell = abs(obs[-1, 0]) > x_max or abs(obs[-1, 2]) > theta_max
        assert fell or len(act) == torch_rl.MAX_RETURN, stage
        assert (np.abs(obs[:-1, 0]) <= x_max).all() and (np.abs(obs[:-1, 2]) <= theta_max).all(), stage
    np.testing.assert_array_equal(trace["untrained_obs"][0], trace["trained_obs"][0])  # the same start


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


# ---------------------------------------------------------------- GAE


def test_gae_matches_a_hand_computed_rollout() -> None:
    """Two envs, four steps, γ = 0.9, λ = 0.8 (γλ = 0.72); every number below is worked by hand.

    env 0: step, TERMINATED, reset step, step (the rollout ends mid-episode: bootstrap V[4])
    env 1: step, TRUNCATED,  reset step, step
    """
    rewards = np.array([[1, 1], [1, 1], [0, 0], [1, 1]], dtype=np.float32)
    values = np.array([[0.5, 1.0], [0.4, 2.0], [0.3, 3.0], [0.2, 0.5], [0.6, 0.8]], dtype=np.float32)
    terminated = np.array([[0, 0], [1, 0], [0, 0], [0, 0]], dtype=bool)
    done = np.array([[0, 0], [1, 1], [0, 0], [0, 0]], dtype=bool)  # terminated or truncated

    adv = ppo.gae(rewards, values, terminated, done, gamma=0.9, lam=0.8)

    # env 0: t3 δ = 1 + .9·.6 − .2 = 1.34 → A = 1.34
    #        t1 δ = 1 − .4 = .6 (terminal: no bootstrap) → A = .6 (recursion cut after a done)
    #        t0 δ = 1 + .9·.4 − .5 = .86 → A = .86 + .72·.6 = 1.292
    # env 1: t3 δ = 1 + .9·.8 − .5 = 1.22 → A = 1.22
    #        t1 δ = 1 + .9·3 − 2 = 1.7 (truncated: bootstraps from V(final obs) = V[2]) → A = 1.7
    #        t0 δ = 1 + .9·2 − 1 = 1.8 → A = 1.8 + .72·1.7 = 3.024
    # Row 2 holds the reset steps; the rollouts drop them, so their value is not pinned here.
    real = [0, 1, 3]
    np.testing.assert_allclose(adv[real], [[1.292, 3.024], [0.6, 1.7], [1.34, 1.22]], rtol=1e-6)


# ---------------------------------------------------------------- NEXT_STEP autoreset


class NextStepEnvs:
    """A stand-in for ``torch_rl.make_envs``' vector env, with gymnasium 1.x's NEXT_STEP autoreset.

    Env i's episodes last ``lengths[i]`` steps and pay 1 per step; even-numbered episodes end
    terminated, odd ones truncated. After a done, the next step is a reset step: action
    ignored, reward 0, no done flag, the reset observation. An observation is
    [env, t, episode parity, 0] with t the steps taken in the episode, so a transition
    (s, s') is real iff s'.t = s.t + 1, and the final observation (t = length) leads only
    to a reset step.
    """

    def __init__(self, lengths: list[int]) -> None:
        self.lengths = np.array(lengths)
        self.num_envs = len(lengths)
        self.single_observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float32)
        self.single_action_space = gym.spaces.Discrete(2)
        self.t = np.zeros(self.num_envs, dtype=int)
        self.episode = np.zeros(self.num_envs, dtype=int)
        self.resetting = np.zeros(self.num_envs, dtype=bool)

    def observe(self) -> np.ndarray:
        env = np.arange(self.num_envs)
        return np.stack([env, self.t, self.episode % 2, 0 * env], 1).astype(np.float32)

    def step(self, actions: np.ndarray):
        reward = np.where(self.resetting, 0.0, 1.0)
        self.episode += self.resetting
        self.t = np.where(self.resetting, 0, self.t + 1)
        done = ~self.resetting & (self.t == self.lengths)
        terminated, truncated = done & (self.episode % 2 == 0), done & (self.episode % 2 == 1)
        self.resetting = done
        return self.observe(), reward, terminated, truncated, {}

    def close(self) -> None:
        pass


def use_fake_envs(monkeypatch, lengths: list[int]) -> None:
    def make_envs(num_envs: int, seed: int):
        assert num_envs == len(lengths)
        envs = NextStepEnvs(lengths)
        return envs, envs.observe()

    monkeypatch.setattr(torch_rl, "make_envs", make_envs)


def test_gymnasium_autoreset_is_what_the_fake_env_and_the_rollouts_assume() -> None:
    """Real CartPole: after a done the next step is a reset step, and ``EpisodeLog.valid`` flags it."""
    envs, obs = torch_rl.make_envs(2, seed=0)
    episodes = torch_rl.EpisodeLog(2)
    for _ in range(100):  # always pushing left, the pole falls within ~10 steps
        valid = episodes.valid.copy()
        obs, reward, terminated, truncated, _ = envs.step(np.zeros(2, dtype=np.int64))
        episodes.update(reward, terminated, truncated, 0)
        if not valid[0]:
            break
        last_obs = obs[0]
    envs.close()
    assert not valid[0], "env 0 never finished an episode"
    assert abs(last_obs[2]) > 0.2 or abs(last_obs[0]) > 2.4  # the final observation: fallen
    assert reward[0] == 0 and not terminated[0] and not truncated[0]  # the reset step
    assert np.abs(obs[0]).max() <= 0.05  # CartPole's reset draws every coordinate from ±0.05


def test_ppo_drops_the_autoreset_steps(monkeypatch) -> None:
    """PPO trains on every real transition of the rollout once, and on no reset step."""
    lengths, T = [3, 5], 16
    use_fake_envs(monkeypatch, lengths)
    trained_on: list[np.ndarray] = []
    make_mlp = torch_rl.mlp

    def recording_mlp(sizes, *args, **kwargs):
        net = make_mlp(sizes, *args, **kwargs)
        if sizes[-1] == 1:  # the critic: one (T+1, N, 4) call values the rollout, 2-D calls are minibatches
            net.register_forward_pre_hook(
                lambda _, x: trained_on.append(x[0].numpy().copy()) if x[0].ndim == 2 else None
            )
        return net

    monkeypatch.setattr(torch_rl, "mlp", recording_mlp)
    params = ppo.Params(total_steps=2 * T, num_envs=2, num_steps=T, update_epochs=1, minibatch_size=8,
                        stop_when_solved=False, device="cpu")
    trace = ppo.run(params, seed=0)

    # Rows of env 0 show t = 0 1 2 3 | 0 1 2 3 | …: each t = 3 (final) row is followed by a
    # reset step and must go; env 1 shows t = 0…5 | 0…5 | 0…3 and loses its two t = 5 rows.
    expected = sorted([(0, t) for t in (0, 1, 2)] * 4 + [(1, t) for t in range(5)] * 2 + [(1, t) for t in range(4)])
    seen = np.concatenate(trained_on)
    assert sorted(zip(seen[:, 0].astype(int).tolist(), seen[:, 1].astype(int).tolist())) == expected
    assert trace["ratio_hist"].sum() == len(expected) == 2 * T - 6


def test_dqn_stores_no_autoreset_step(monkeypatch) -> None:
    """DQN's replay holds every real transition and no reset step; truncations still bootstrap."""
    lengths = [3, 5]
    use_fake_envs(monkeypatch, lengths)
    buffers: list[dqn.ReplayBuffer] = []

    class RecordingBuffer(dqn.ReplayBuffer):
        def __init__(self, *args) -> None:
            super().__init__(*args)
            buffers.append(self)

    monkeypatch.setattr(dqn, "ReplayBuffer", RecordingBuffer)
    params = dqn.Params(total_steps=64, num_envs=2, learning_starts=32, batch_size=32, sample_size=32,
                        train_every=32, gradient_steps=1, target_every=1, stop_when_solved=False, device="cpu")
    trace = dqn.run(params, seed=0)

    (rb,) = buffers
    obs, nxt, term = rb.obs[: rb.size], rb.next_obs[: rb.size], rb.term[: rb.size]
    # 32 vector steps: env 0 (period 4) has 8 reset steps, env 1 (period 6) has 5
    assert rb.size == (32 - 8) + (32 - 5)
    assert (nxt[:, 0] == obs[:, 0]).all() and (nxt[:, 1] == obs[:, 1] + 1).all()  # all real moves
    ends = nxt[:, 1] == np.array(lengths)[obs[:, 0].astype(int)]
    assert ends.sum() == 8 + 5
    np.testing.assert_array_equal(term == 1, ends & (nxt[:, 2] == 0))  # truncated: term 0, bootstraps
    assert trace.metrics["env_steps"] == 64 and trace.metrics["updates"] == 2


# ---------------------------------------------------------------- determinism, learning


# default: its early-stop check runs after every burst, ~3 s in all
@pytest.mark.parametrize("variant", [pytest.param(v, marks=pytest.mark.slow) if v == "default" else v
                                     for v in sorted(dqn.VARIANTS)])
def test_dqn_deterministic_and_finite(variant: str) -> None:
    changes = {k: v for k, v in dqn.VARIANTS[variant].items() if k != "total_steps"}  # keep the short budget
    params = replace(DQN_SHORT, **changes)
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
    assert_replays_are_real_episodes(a)
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


@pytest.mark.slow
def test_dqn_seed_matters() -> None:
    a, b = dqn.run(DQN_SHORT, seed=0), dqn.run(DQN_SHORT, seed=1)
    assert not np.array_equal(a["update_loss"], b["update_loss"])


def test_ppo_deterministic_and_finite() -> None:
    a, b = ppo.run(PPO_SHORT, seed=3), ppo.run(PPO_SHORT, seed=3)
    assert_same_traces(a, b)
    assert_numeric(a)
    assert_replays_are_real_episodes(a)
    assert METRIC_KEYS <= a.metrics.keys()
    iters = a.metrics["iterations"]
    assert iters == 4 and a.metrics["env_steps"] == 2_048
    for name in ("iter_entropy", "iter_clip_frac", "iter_approx_kl", "iter_value_loss", "iter_policy_loss"):
        assert a[name].shape == (iters,) and np.isfinite(a[name]).all(), name
    assert a["ratio_hist"].shape == (iters, ppo.Params().ratio_bins)
    assert (a["ratio_hist"].sum(axis=1) > 0).all()
    assert len(a["ratio_edges"]) == ppo.Params().ratio_bins + 1


def test_ppo_learns_quickly() -> None:
    trace = ppo.run(ppo.Params(total_steps=30_000, device="cpu"), seed=0)
    assert trace.metrics["eval_mean_return"] > 150  # a random policy scores about 22


@pytest.mark.slow
def test_dqn_learns_on_a_short_budget() -> None:
    """A few thousand steps, no early stop: the greedy policy is far better than random (~22)."""
    trace = dqn.run(DQN_LEARN, seed=0)
    assert trace.metrics["env_steps"] == 4_000
    assert trace.metrics["eval_mean_return"] > 100


def test_evaluate_is_deterministic_and_separately_seeded() -> None:
    def push_towards_fall(obs: np.ndarray) -> np.ndarray:
        return (obs[:, 2] + obs[:, 3] > 0).astype(int)

    a, b = torch_rl.evaluate(push_towards_fall), torch_rl.evaluate(push_towards_fall)
    np.testing.assert_array_equal(a, b)
    assert len(a) == torch_rl.EVAL_EPISODES and len(set(a.tolist())) > 1  # different start states
    random_like = torch_rl.evaluate(lambda obs: np.zeros(len(obs), dtype=int))
    assert random_like.mean() < 20


def test_device_auto_is_resolved_and_recorded(out) -> None:
    """``--device auto`` trains on cuda when present, else cpu, and the trace says which it used: in its
    metrics and in the inputs its key was computed from."""
    from pipeline.traces import TraceSpec, TraceStore
    from sims.torch_setup import pick_device

    expected = str(pick_device("auto"))
    spec = TraceSpec("ppo", "default", (("device", "auto"), ("stop_when_solved", False), ("total_steps", 1024)))
    result = TraceStore().ensure(spec)
    assert result.meta["metrics"]["device"] == expected
    assert result.meta["inputs"]["device"] == expected
