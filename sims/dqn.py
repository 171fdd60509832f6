"""DQN with experience replay and a target network on CartPole-v1 (book chapter 13).

One file, CleanRL-style: the hyper-parameters sit in ``Params``; ``train`` is a flat
loop of ε-greedy acting in a vector env, storing transitions in a replay buffer and,
every ``train_every`` env steps, a burst of minibatch TD updates toward
y = r + γ max_a' Q(s', a'; θ⁻). The two ablations of the chapter are variants:
``no_target`` bootstraps from the online net (θ⁻ = θ at every update) and runs its
whole budget (no early stop: it exists to show Q running away). ``no_replay`` trains on
the latest ``batch_size`` transitions only and plays one environment, so that those are
consecutive steps of one episode (with four envs the batch mixes four episodes);
``one_env`` is its control: the same single environment with the replay buffer. The
pair differs in replay alone, early stop included (a run stopped at its first good
check against one evaluated wherever its budget ended would compare luck, not replay).

Recorded per update: TD loss, mean TD target, ε, Q(s_probe, ·) of the online and of
the target net on fixed probe states, the sync events; per episode: the return and the
env step it ended at; every ``sample_every`` updates: ``sample_size`` replay indices
and the env step at which each sampled transition was stored (its age); every
``curve_every`` env steps: the greedy policy's mean return over ``curve_episodes``
episodes of their own (the training returns include ε-exploration; this curve does not).

Speed (one CPU thread): acting uses a numpy copy of the Q-net, refreshed after each
burst (the net does not change in between); each burst draws all its minibatches at
once and moves them to the device in one go.

Early stopping: with ``stop_when_solved`` the greedy policy is checked (20 episodes on
their own seeds, all must reach the time limit) after every burst by default (a failing
check costs a few ms: the policy falls early); the run stops at the first pass. The
reported result is always a fresh 20-episode evaluation on the final-evaluation seeds;
the checks count towards ``train_wall_s``.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sims import torch_rl
from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "ReplayBuffer"]


@dataclass(frozen=True)
class Params:
    total_steps: int = 100_000  # env-step budget over all envs (a cap: most runs stop far earlier)
    num_envs: int = 4  # CartPole copies in the sync vector env
    hidden: int = 128  # width of the two ReLU hidden layers of the Q-net
    lr: float = 4e-3  # Adam learning rate
    gamma: float = 0.99  # discount γ
    buffer_size: int = 50_000  # replay capacity (transitions)
    batch_size: int = 128  # transitions per TD update
    learning_starts: int = 1_000  # env steps of play before the first update
    train_every: int = 64  # env steps between bursts of updates
    gradient_steps: int = 32  # TD updates per burst
    target_every: int = 256  # TD updates between syncs θ⁻ ← θ (a multiple of gradient_steps)
    eps_start: float = 1.0  # ε of ε-greedy at step 0
    eps_end: float = 0.05  # ε after the decay
    eps_decay_steps: int = 10_000  # env steps over which ε decays linearly
    target_network: bool = True  # False: bootstrap from the online net itself
    replay: bool = True  # False: each update uses the latest batch_size transitions
    stop_when_solved: bool = True  # stop once the deterministic check says solved
    check_above: float = 0.0  # check after a burst if one of the last 10 training episodes scored this
    sample_every: int = 16  # record replay indices every this many updates
    sample_size: int = 32  # how many indices of the minibatch to record
    curve_every: int = 2_000  # env steps between points of the greedy learning curve (0: none)
    curve_episodes: int = 5  # episodes per point (their own seeds; not counted in train_wall_s)
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        if self.train_every % self.num_envs or self.target_every % self.gradient_steps:
            raise ValueError("train_every must be a multiple of num_envs, target_every of gradient_steps")
        if self.sample_size > self.batch_size or self.batch_size > self.learning_starts:
            raise ValueError("need sample_size ≤ batch_size ≤ learning_starts")
        if self.batch_size > self.buffer_size:
            raise ValueError(f"batch_size={self.batch_size} must be ≤ buffer_size={self.buffer_size}")
        first_burst = -(-self.learning_starts // self.train_every) * self.train_every
        if first_burst > self.total_steps:
            raise ValueError(f"total_steps={self.total_steps} ends before the first update, at env step "
                             f"{first_burst} (learning_starts={self.learning_starts} rounded up to a multiple "
                             f"of train_every={self.train_every})")


# no_target runs its whole budget: it exists to show the dynamics, which an early stop would hide.
# 50k steps: no_target's Q passes 1e9 by step ~10k; one_env solved seeds 0, 1, 2 at 44k, 24k, 30k
# steps and no_replay at 4.5k, 36k, 46k (measured 2026-12-02: on CartPole, replay is not what decides).
VARIANTS = {
    "default": {},
    "no_target": {"target_network": False, "stop_when_solved": False, "total_steps": 50_000},
    "one_env": {"num_envs": 1, "total_steps": 50_000},
    "no_replay": {"replay": False, "num_envs": 1, "total_steps": 50_000},
}
RANGES = {
    "total_steps": "[1, 1000000]",  # 10× the default budget; the ablations run all of it
    "num_envs": "[1, 64]",
    "hidden": "[1, 1024]",
    "lr": "(0, inf)",
    "gamma": "[0, 1]",
    "buffer_size": "[1, 1000000]",  # ~60 bytes a transition
    "batch_size": "[1, 4096]",
    "learning_starts": "[1, 1000000]",
    "train_every": "[1, 1000000]",
    "gradient_steps": "[1, 1000]",
    "target_every": "[1, 1000000]",
    "eps_start": "[0, 1]",
    "eps_end": "[0, 1]",
    "eps_decay_steps": "[0, 1000000]",
    "check_above": "[0, 500]",  # a CartPole-v1 return
    "sample_every": "[1, 1000000]",
    "sample_size": "[1, 4096]",
    "curve_every": "[0, 1000000]",
    "curve_episodes": "[1, 100]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0


class ReplayBuffer:
    """A ring of the latest ``capacity`` transitions; ``stamp`` = env step at which each was stored."""

    def __init__(self, capacity: int, n_obs: int) -> None:
        self.obs = np.zeros((capacity, n_obs), dtype=np.float32)
        self.next_obs = np.zeros((capacity, n_obs), dtype=np.float32)
        self.act = np.zeros(capacity, dtype=np.int64)
        self.rew = np.zeros(capacity, dtype=np.float32)
        self.term = np.zeros(capacity, dtype=np.float32)
        self.stamp = np.zeros(capacity, dtype=np.int64)
        self.capacity, self.ptr, self.size = capacity, 0, 0

    def add(self, obs: np.ndarray, next_obs: np.ndarray, act: np.ndarray, rew: np.ndarray,
            term: np.ndarray, stamp: int) -> None:
        """Store a batch of transitions, overwriting the oldest once full."""
        at = (self.ptr + np.arange(len(obs))) % self.capacity
        self.obs[at], self.next_obs[at], self.act[at] = obs, next_obs, act
        self.rew[at], self.term[at], self.stamp[at] = rew, term, stamp
        self.ptr, self.size = (self.ptr + len(obs)) % self.capacity, min(self.size + len(obs), self.capacity)

    def latest(self, n: int) -> np.ndarray:
        """Indices of the newest ``n`` transitions, oldest first."""
        return (self.ptr - 1 - np.arange(n)[::-1]) % self.capacity


def run(params: Params, seed: int = SEED) -> Trace:
    """Train DQN on CartPole-v1 and record what the replay and target-network scenes show."""
    with torch_session(params.device, seed) as device:
        return train(params, seed, device)


def train(p: Params, seed: int, device: torch.device) -> Trace:
    """The whole run, top to bottom: ε-greedy acting, replay, bursts of TD updates, target syncs."""
    rng = np.random.default_rng(seed)
    envs, obs = torch_rl.make_envs(p.num_envs, seed)
    n_obs, n_act = envs.single_observation_space.shape[0], int(envs.single_action_space.n)
    q_net = torch_rl.mlp([n_obs, p.hidden, p.hidden, n_act], nn.ReLU).to(device)
    target_net = copy.deepcopy(q_net)
    optimizer = torch.optim.Adam(q_net.parameters(), lr=p.lr, fused=True)
    probes = torch.as_tensor(torch_rl.PROBE_STATES, device=device)
    n_probe = len(probes)

    rb = ReplayBuffer(p.buffer_size, n_obs)
    episodes = torch_rl.EpisodeLog(p.num_envs)
    losses, targets, q_online, q_target, upd_step, upd_eps = [], [], [], [], [], []
    syncs: list[tuple[int, int]] = []  # (update, env step) of each θ⁻ ← θ
    samples_idx, samples_stamp, samples_step = [], [], []
    stopper = torch_rl.EarlyStop(p.stop_when_solved, p.check_above)
    curve_step, curve_return, curve_wall = [], [], 0.0
    with torch.no_grad():
        q_target_probe = target_net(probes)

    act = torch_rl.numpy_mlp(q_net)
    untrained_obs, untrained_act = torch_rl.record_episode(lambda o: act(o).argmax(1))
    if p.curve_every:  # the curve's first point: the untrained net (not timed as training either)
        curve_step.append(0)
        curve_return.append(torch_rl.greedy_returns(lambda o: act(o).argmax(1), p.curve_episodes).mean())
    env_step, updates = 0, 0
    n_vsteps = p.total_steps // p.num_envs
    t0 = time.perf_counter()
    for _ in range(n_vsteps):
        eps = max(p.eps_end, p.eps_start + (p.eps_end - p.eps_start) * env_step / max(1, p.eps_decay_steps))
        actions = act(obs).argmax(1)
        explore = rng.random(p.num_envs) < eps
        actions[explore] = rng.integers(n_act, size=int(explore.sum()))
        next_obs, reward, terminated, truncated, _ = envs.step(actions)
        env_step += p.num_envs

        # Store real transitions only: a NEXT_STEP reset step (valid False) has none. On a
        # time-limit truncation next_obs is the true last state, so the target bootstraps.
        rows = np.flatnonzero(episodes.valid)
        rb.add(obs[rows], next_obs[rows], actions[rows], reward[rows], terminated[rows], env_step)
        episodes.update(reward, terminated, truncated, env_step)
        obs = next_obs

        if env_step < p.learning_starts or env_step % p.train_every:
            continue

        # A burst of TD updates. Its minibatches are drawn up front: the buffer does not
        # change during the burst, so this equals drawing them one by one.
        if p.replay:
            idx = rng.integers(rb.size, size=(p.gradient_steps, p.batch_size))
        else:
            idx = np.broadcast_to(rb.latest(p.batch_size), (p.gradient_steps, p.batch_size))
        b_obs = torch.as_tensor(rb.obs[idx], device=device)
        b_act = torch.as_tensor(rb.act[idx], device=device)
        b_next = torch.as_tensor(rb.next_obs[idx], device=device)
        b_rew = torch.as_tensor(rb.rew[idx], device=device)
        b_live = 1.0 - torch.as_tensor(rb.term[idx], device=device)
        if p.target_network:  # θ⁻ is fixed during a burst: all its TD targets in one pass
            with torch.no_grad():
                y_burst = b_rew + p.gamma * b_live * target_net(b_next).max(-1).values
        for g in range(p.gradient_steps):
            if p.target_network:
                y = y_burst[g]
            else:  # the ablation: the target moves with every update of θ
                with torch.no_grad():
                    y = b_rew[g] + p.gamma * b_live[g] * q_net(b_next[g]).max(-1).values
            # The probe states ride along in the online forward pass (no extra call).
            q_all = q_net(torch.cat([b_obs[g], probes]))
            q_sa = q_all[: p.batch_size].gather(1, b_act[g, :, None]).squeeze(1)
            loss = nn.functional.smooth_l1_loss(q_sa, y)  # Huber: bounded gradients, no clipping needed
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

            q_probe = q_all[p.batch_size :].detach()
            losses.append(loss.detach())
            targets.append(y.mean())
            q_online.append(q_probe)
            q_target.append(q_target_probe if p.target_network else q_probe)
            upd_step.append(env_step)
            upd_eps.append(eps)
            if updates % p.sample_every == 0:
                samples_idx.append(idx[g, : p.sample_size])
                samples_stamp.append(rb.stamp[idx[g, : p.sample_size]])
                samples_step.append(env_step)
            updates += 1
        if p.target_network and updates % p.target_every == 0:
            target_net.load_state_dict(q_net.state_dict())
            with torch.no_grad():
                q_target_probe = target_net(probes)
            syncs.append((updates, env_step))
        act = torch_rl.numpy_mlp(q_net)
        if p.curve_every and env_step // p.curve_every >= len(curve_step):  # the greedy policy, as it is now
            start = time.perf_counter()
            curve_step.append(env_step)
            curve_return.append(torch_rl.greedy_returns(lambda o: act(o).argmax(1), p.curve_episodes).mean())
            curve_wall += time.perf_counter() - start

        if stopper.should_stop(episodes.returns[-10:], env_step, lambda: lambda o: act(o).argmax(1)):
            break
    train_wall_s = time.perf_counter() - t0 - curve_wall  # the learning curve is measurement, not training
    envs.close()

    eval_returns = torch_rl.evaluate(lambda o: act(o).argmax(1))
    trained_obs, trained_act = torch_rl.record_episode(lambda o: act(o).argmax(1))

    def stacked(tensors: list[torch.Tensor], shape: tuple[int, ...]) -> np.ndarray:
        return torch.stack(tensors).cpu().numpy() if tensors else np.zeros((0, *shape), dtype=np.float32)

    trace = Trace()
    sample_dt = np.array(samples_stamp, dtype=np.int32).reshape(-1, p.sample_size)
    trace.add(
        update_env_step=np.array(upd_step, dtype=np.int32),  # int32/float32: ~50k rows at most
        update_eps=np.array(upd_eps, dtype=np.float32),
        update_loss=stacked(losses, ()),
        update_td_target=stacked(targets, ()),
        q_online=stacked(q_online, (n_probe, n_act)),
        q_target=stacked(q_target, (n_probe, n_act)),
        sync_update=np.array([s[0] for s in syncs], dtype=np.int64),
        sync_env_step=np.array([s[1] for s in syncs], dtype=np.int64),
        episode_return=np.array(episodes.returns),
        episode_end_step=np.array(episodes.end_steps, dtype=np.int64),
        sample_env_step=np.array(samples_step, dtype=np.int32),
        sample_index=np.array(samples_idx, dtype=np.int32).reshape(-1, p.sample_size),
        sample_stamp=sample_dt,
        check_env_step=np.array(stopper.steps, dtype=np.int64),
        eval_returns=eval_returns,
        curve_env_step=np.array(curve_step, dtype=np.int64),  # the greedy policy's mean return every curve_every
        curve_return=np.array(curve_return),  # env steps (ε-free: training returns include exploration)
        probe_states=torch_rl.PROBE_STATES,
        untrained_obs=untrained_obs,  # one greedy episode before any update, and one after training
        untrained_act=untrained_act,
        trained_obs=trained_obs,
        trained_act=trained_act,
        cartpole_geometry=torch_rl.cartpole_geometry(),
    )
    # Decorrelation: mean |Δt| between two transitions of one sampled minibatch (a batch of
    # consecutive steps from num_envs envs would have about sample_size / (3 num_envs)).
    pair_dt = np.abs(sample_dt[:, :, None] - sample_dt[:, None, :]).mean() if len(sample_dt) else 0.0
    trace.metrics = {
        **torch_rl.run_metrics(eval_returns, env_step, train_wall_s, stopper, episodes, device),
        "updates": updates,
        "syncs": len(syncs),
        "sample_mean_age": float((np.array(samples_step)[:, None] - sample_dt).mean()) if len(sample_dt) else 0.0,
        "sample_mean_pair_dt": float(pair_dt),
        "final_loss": float(losses[-1]) if losses else float("nan"),
        "curve_wall_s": curve_wall,
    }
    return trace
