"""Shared pieces of the deep-RL sims (``sims/dqn.py``, ``sims/ppo.py``) on CartPole-v1.

The vectorised training env, episode bookkeeping, the deterministic 20-episode
evaluation that decides "solved", the probe states whose Q-values the scenes plot,
and a small MLP with a numpy twin for cheap acting. (Threads, determinism, seeds
and the device: ``sims.torch_setup.torch_session``.)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
from torch import nn

__all__ = [
    "ENV_ID",
    "EVAL_EPISODES",
    "EVAL_SEED",
    "CHECK_SEED",
    "SOLVED_RETURN",
    "MAX_RETURN",
    "PROBE_STATES",
    "PROBE_NAMES",
    "EpisodeLog",
    "EarlyStop",
    "run_metrics",
    "make_envs",
    "evaluate",
    "record_episode",
    "greedy_returns",
    "cartpole_geometry",
    "passes_check",
    "mlp",
    "numpy_mlp",
]

ENV_ID = "CartPole-v1"
EVAL_EPISODES = 20
SOLVED_RETURN = 475.0  # CartPole-v1's reward threshold
MAX_RETURN = 500.0  # CartPole-v1's time limit
# Evaluation envs are seeded apart from any training env: episode i of the final evaluation
# starts from reset(seed=EVAL_SEED + i) for every model, ours and SB3's alike; the early-stop
# check uses a second, disjoint set so the final evaluation is not the one that stopped training.
EVAL_SEED = 1_000_000
CHECK_SEED = 2_000_000
CURVE_SEED = 3_000_000  # the greedy learning curve's episodes (a third disjoint set)

# Fixed CartPole states [x, ẋ, θ, θ̇] on which Q(s, ·) is tracked (θ > 0 leans right).
PROBE_STATES = np.array(
    [
        [0.0, 0.0, 0.0, 0.0],  # at rest, upright: both actions about equally good
        [0.0, 0.0, 0.08, 0.4],  # falling right: push right (action 1)
        [0.0, 0.0, -0.08, -0.4],  # falling left: push left (action 0)
        [1.8, 0.8, 0.02, 0.0],  # near the right wall and heading for it
    ],
    dtype=np.float32,
)
PROBE_NAMES = ["upright", "falling_right", "falling_left", "near_right_wall"]


def make_envs(num_envs: int, seed: int) -> tuple[gym.vector.VectorEnv, np.ndarray]:
    """A sync vector env of CartPole-v1, reset with seeds ``seed, seed+1, …``; returns (envs, obs).

    Autoreset is gymnasium 1.x's default NEXT_STEP: after a done, the *next* step ignores
    the action and returns the reset observation with reward 0 and no done flag. That
    step is not a transition; callers must not learn from it (see ``EpisodeLog.valid``).
    """
    envs = gym.make_vec(
        ENV_ID,
        num_envs=num_envs,
        vectorization_mode="sync",
        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.NEXT_STEP},
    )
    envs.action_space.seed(seed)
    obs, _ = envs.reset(seed=seed)
    return envs, obs


class EpisodeLog:
    """Running returns of a NEXT_STEP vector env; collects (return, env step at the end).

    ``valid`` says which envs' *current* observation starts a real transition, i.e. is
    not the final observation of an episode that the next step will throw away.
    """

    def __init__(self, num_envs: int) -> None:
        self.running = np.zeros(num_envs)
        self.valid = np.ones(num_envs, dtype=bool)
        self.returns: list[float] = []
        self.end_steps: list[int] = []

    def update(self, rewards: np.ndarray, terminated: np.ndarray, truncated: np.ndarray, step: int) -> None:
        """Add one vector step's rewards; ``step`` is the env-step count after it."""
        self.running += rewards
        done = terminated | truncated
        for i in np.flatnonzero(done):
            self.returns.append(float(self.running[i]))
            self.end_steps.append(step)
        self.running[done] = 0.0
        self.valid = ~done


def evaluate(
    policy: Callable[[np.ndarray], np.ndarray],
    episodes: int = EVAL_EPISODES,
    seed: int = EVAL_SEED,
) -> np.ndarray:
    """Returns of ``episodes`` CartPole-v1 episodes under a deterministic ``policy``.

    Episode i runs on its own env reset with ``seed + i``; ``policy`` maps a batch of
    observations (n, 4) to integer actions (n,) and is called once per step on the
    episodes still running, so a vectorised policy costs one forward pass per step.
    """
    envs = [gym.make(ENV_ID) for _ in range(episodes)]
    obs = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)])
    returns = np.zeros(episodes)
    running = np.arange(episodes)
    while running.size:
        actions = np.asarray(policy(obs[running])).reshape(-1)
        still = []
        for i, a in zip(running, actions, strict=True):
            obs[i], r, terminated, truncated, _ = envs[i].step(int(a))
            returns[i] += r
            if not (terminated or truncated):
                still.append(i)
        running = np.array(still, dtype=int)
    for env in envs:
        env.close()
    return returns


def record_episode(policy: Callable[[np.ndarray], np.ndarray], seed: int = EVAL_SEED) -> tuple[np.ndarray, np.ndarray]:
    """One CartPole-v1 episode under a deterministic ``policy``, for the scenes to replay.

    Returns (observations (T + 1, 4): [x, ẋ, θ, θ̇] from the reset to the last state, actions
    (T,)). The episode starts from ``reset(seed=seed)``: with the default seed it is episode 0
    of the final evaluation, so its length is one of ``eval_returns``.
    """
    env = gym.make(ENV_ID)
    obs, _ = env.reset(seed=seed)
    states, actions = [obs], []
    done = False
    while not done:
        action = int(np.asarray(policy(obs[None])).reshape(-1)[0])
        obs, _, terminated, truncated, _ = env.step(action)
        states.append(obs)
        actions.append(action)
        done = terminated or truncated
    env.close()
    return np.array(states, dtype=np.float32), np.array(actions, dtype=np.int8)


def greedy_returns(policy: Callable[[np.ndarray], np.ndarray], episodes: int, seed: int = CURVE_SEED) -> np.ndarray:
    """Returns of ``episodes`` episodes under a deterministic ``policy``, all stepped at once on gymnasium's
    numpy-vectorised CartPole (episode i reset with ``seed + i``): a cheap point on a greedy learning curve."""
    envs = gym.make_vec(ENV_ID, num_envs=episodes, vectorization_mode="vector_entry_point")
    obs, _ = envs.reset(seed=seed)
    returns, running = np.zeros(episodes), np.ones(episodes, dtype=bool)
    try:
        while running.any():
            obs, reward, terminated, truncated, _ = envs.step(np.asarray(policy(obs)))
            returns += reward * running
            running &= ~(terminated | truncated)
    finally:
        envs.close()
    return returns


def cartpole_geometry() -> np.ndarray:
    """[x limit (m), θ limit (rad), half pole length (m), seconds per step] of CartPole-v1, read
    from gymnasium so a scene draws the track and the fall angle the env really uses."""
    env = gym.make(ENV_ID).unwrapped
    geometry = np.array([env.x_threshold, env.theta_threshold_radians, env.length, env.tau])
    env.close()
    return geometry


def passes_check(policy: Callable[[np.ndarray], np.ndarray], episodes: int = EVAL_EPISODES) -> bool:
    """The early-stop rule: the greedy policy balances ``episodes`` check episodes to the time limit.

    Stricter than "solved" (mean ≥ 475) on purpose, so that the final evaluation, on other
    seeds, rarely disagrees with the check that stopped training. It runs on gymnasium's
    numpy-vectorised CartPole (same dynamics, one array op per step for all episodes: ~4×
    cheaper than ``evaluate``) and gives up at the first fall.
    """
    envs = gym.make_vec(ENV_ID, num_envs=episodes, vectorization_mode="vector_entry_point")
    obs, _ = envs.reset(seed=CHECK_SEED)
    try:
        while True:
            obs, _, terminated, truncated, _ = envs.step(np.asarray(policy(obs)))
            if terminated.any():
                return False
            if truncated.all():
                return True
    finally:
        envs.close()


@dataclass
class EarlyStop:
    """When to run ``passes_check`` during training, and what the checks cost.

    A check runs once one of the last 10 training episodes scored ``check_above``;
    ``steps`` records the env step of every check and ``wall_s`` their total time.
    """

    enabled: bool
    check_above: float
    steps: list[int] = field(default_factory=list)
    wall_s: float = 0.0
    stopped: bool = False

    def should_stop(self, recent_returns: list[float], env_step: int,
                    greedy: Callable[[], Callable[[np.ndarray], np.ndarray]]) -> bool:
        """Check (if due) the greedy policy ``greedy()`` builds; True once it passes."""
        if not (self.enabled and recent_returns and max(recent_returns) >= self.check_above):
            return False
        start = time.perf_counter()
        self.stopped = passes_check(greedy())
        self.steps.append(env_step)
        self.wall_s += time.perf_counter() - start
        return self.stopped


def run_metrics(eval_returns: np.ndarray, env_steps: int, train_wall_s: float, stopper: EarlyStop,
                episodes: EpisodeLog, device: torch.device) -> dict:
    """The headline numbers every deep-RL trace carries (``reel sims --json`` shows them)."""
    eval_mean = float(eval_returns.mean())
    return {
        "eval_mean_return": eval_mean,
        "eval_min_return": float(eval_returns.min()),
        "solved": eval_mean >= SOLVED_RETURN,
        "env_steps": env_steps,
        "train_wall_s": train_wall_s,
        "stopped_early": stopper.stopped,
        "checks": len(stopper.steps),
        "check_wall_s": stopper.wall_s,
        "episodes": len(episodes.returns),
        "train_return_last10": float(np.mean(episodes.returns[-10:])) if episodes.returns else 0.0,
        "device": str(device),
        "probe_names": PROBE_NAMES,
    }


def mlp(sizes: list[int], activation: type[nn.Module] = nn.Tanh, out_gain: float = 1.0) -> nn.Sequential:
    """Fully connected net ``sizes[0] → … → sizes[-1]``, orthogonal init (√2 hidden, ``out_gain`` last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        last = i == len(sizes) - 2
        linear = nn.Linear(n_in, n_out)
        nn.init.orthogonal_(linear.weight, out_gain if last else np.sqrt(2))
        nn.init.zeros_(linear.bias)
        layers.append(linear)
        if not last:
            layers.append(activation())
    return nn.Sequential(*layers)


_NUMPY_ACTIVATIONS = {nn.Tanh: np.tanh, nn.ReLU: lambda h: np.maximum(h, 0.0)}


def numpy_mlp(net: nn.Sequential) -> Callable[[np.ndarray], np.ndarray]:
    """A numpy copy of ``net``'s current weights as a function; acting in numpy avoids
    torch's per-call overhead, which dominates for a few observations at a time."""
    ops: list = []
    for module in net:
        if isinstance(module, nn.Linear):
            w = module.weight.detach().cpu().numpy().T.copy()
            b = module.bias.detach().cpu().numpy().copy()
            ops.append((w, b))
        else:
            ops.append(_NUMPY_ACTIVATIONS[type(module)])

    def forward(x: np.ndarray) -> np.ndarray:
        for op in ops:
            x = x @ op[0] + op[1] if isinstance(op, tuple) else op(x)
        return x

    return forward
