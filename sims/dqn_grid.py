"""The book's minimal numpy DQN on the chapter-12 grid world (chapter 13).

``code/14_dqn_min.py``: a one-hidden-layer MLP with hand-written backprop maps
the 16-dim one-hot state to 4 Q-values. Every step appends (s, a, r, s′, done)
to a replay buffer and trains on 32 transitions drawn without replacement
(``rng.choice(len(buffer), batch, replace=False)``) against the target
``r + γ·max Q(s′; θ⁻)·(1 − done)``; the target net copies the online net
whenever ``ep % 50 == 0``. 1500 episodes.

The book states none of the rest. Pinned here: 32 ReLU hidden units, weights
N(0, 1/fan_in) and zero biases, plain SGD with lr 0.05 on the mean squared TD
error, γ 0.95 (as chapter 12), ε decaying linearly from 1.0 to 0.05 over the
first 500 episodes, a 10 000-transition FIFO buffer, training from the first
step with ≥ 32 transitions, one update per step, a 100-step episode cap.

The trace logs what the ReplayBuffer and TargetNetwork scenes need: every
transition, the transitions drawn for every ``log_every``-th update, probe
Q-values of both nets at those updates and at every sync, and the TD loss of
every update. The variant ``no_target`` computes the target with the online
net (the unstable chase the TargetNetwork scene contrasts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.grid_mdp import (
    LAYOUTS,
    bellman_q,
    greedy_actions,
    optimal_action_mask,
    policy_symbols,
    reaches_goal,
    transition_table,
    value_iteration,
)
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "MLP"]


@dataclass(frozen=True)
class Params:
    episodes: int = 1500  # "训练一千五百局"
    batch: int = 32  # replay minibatch size (book)
    target_sync: int = 50  # copy online → target when ep % target_sync == 0 (book)
    use_target: bool = True  # False: targets come from the online net itself (ablation)
    hidden: int = 32  # hidden units (not stated)
    lr: float = 0.05  # SGD step on the mean squared TD error (not stated)
    gamma: float = 0.95  # discount (not stated; chapter 12's value)
    eps_start: float = 1.0  # ε-greedy: start fully random (not stated)
    eps_end: float = 0.05  # … and decay linearly to this (not stated)
    eps_decay_episodes: int = 500  # … over this many episodes (not stated)
    buffer_size: int = 10_000  # FIFO replay capacity (not stated)
    max_steps: int = 100  # episode cap (not stated)
    log_every: int = 10  # keep the minibatch and probe Q-values of every this-many-th update
    probes: tuple[int, ...] = (0, 1, 10)  # probe cells (row·4 + col): start, the disputed (0,1), (2,2)

    def __post_init__(self) -> None:
        if self.batch < 1 or self.target_sync < 1 or self.hidden < 1 or self.log_every < 1:
            raise ValueError("batch, target_sync, hidden and log_every must be ≥ 1")
        if self.buffer_size < self.batch:
            raise ValueError(f"buffer_size={self.buffer_size} must be ≥ batch={self.batch}")
        # An episode on the 4×4 grid lasts ≥ 4 steps (the trap is 4 moves from the start), so this
        # many transitions are certain: enough for two logged updates (the probe jitter compares them).
        if self.episodes * min(self.max_steps, 4) < self.batch + self.log_every:
            raise ValueError(f"episodes={self.episodes} × min(max_steps={self.max_steps}, 4) must be ≥ "
                             f"batch={self.batch} + log_every={self.log_every}: too few transitions to train on")


VARIANTS = {"default": {}, "no_target": {"use_target": False}}
RANGES = {
    "episodes": "[1, 20000]",  # 1500 take ~4 s
    "batch": "[2, 1024]",  # ≥ 2: the batch-gap metric compares pairs inside a batch
    "target_sync": "[1, 100000]",
    "hidden": "[1, 1024]",
    "lr": "(0, inf)",
    "gamma": "[0, 1]",
    "eps_start": "[0, 1]",
    "eps_end": "[0, 1]",
    "eps_decay_episodes": "[0, 100000]",
    "buffer_size": "[2, 100000]",  # and ≥ batch (checked in Params); the FIFO pops from a list: O(size)
    "max_steps": "[1, 1000]",
    "log_every": "[1, 100000]",
    "probes": "[0, 15]",  # cells of the 4×4 grid, row·4 + col
}
SEED = 0


class MLP:
    """16 → hidden (ReLU) → 4, with the backward pass written out."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator) -> None:
        self.w1 = rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, n_hidden))
        self.b1 = np.zeros(n_hidden)
        self.w2 = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_hidden, n_out))
        self.b2 = np.zeros(n_out)

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x @ self.w1 + self.b1, 0.0) @ self.w2 + self.b2

    def train_step(self, x: np.ndarray, a: np.ndarray, y: np.ndarray, lr: float) -> float:
        """One SGD step on mean (y − Q(s, a))²; only the taken action's output gets a gradient."""
        h = np.maximum(x @ self.w1 + self.b1, 0.0)
        q = h @ self.w2 + self.b2
        rows = np.arange(len(a))
        err = q[rows, a] - y
        dq = np.zeros_like(q)
        dq[rows, a] = 2.0 * err / len(a)
        dh = (dq @ self.w2.T) * (h > 0)
        self.w2 -= lr * h.T @ dq
        self.b2 -= lr * dq.sum(axis=0)
        self.w1 -= lr * x.T @ dh
        self.b1 -= lr * dh.sum(axis=0)
        return float(np.mean(err**2))

    def copy_from(self, other: "MLP") -> None:
        self.w1, self.b1, self.w2, self.b2 = (t.copy() for t in (other.w1, other.b1, other.w2, other.b2))


def epsilon(ep: int, p: Params) -> float:
    frac = min(ep / max(p.eps_decay_episodes, 1), 1.0)
    return p.eps_start + frac * (p.eps_end - p.eps_start)


def run(params: Params, seed: int = SEED) -> Trace:
    """Train the DQN; log transitions, minibatches, probe Q-values, syncs and TD loss."""
    p = params
    grid = LAYOUTS["4x4"]
    nxt, rew, done_tab = transition_table(grid)
    n_states = grid.n_states
    onehot = np.eye(n_states)
    rng = np.random.default_rng(seed)
    online = MLP(n_states, p.hidden, 4, rng)
    target = MLP(n_states, p.hidden, 4, rng)
    target.copy_from(online)
    probes = np.array(p.probes)

    buffer: list[tuple[int, int, float, int, bool]] = []
    dropped = 0  # transitions evicted from the front: buffer[i] is transition number dropped + i
    transitions, losses, returns, lengths, syncs = [], [], [], [], []
    batch_log, batch_update, batch_target, probe_log, probe_update = [], [], [], [], []
    sync_probe_online, sync_probe_target = [], []
    updates = 0
    for ep in range(p.episodes):
        if ep % p.target_sync == 0:
            target.copy_from(online)  # the book's periodic sync ("稳住靶子")
            syncs.append((ep, updates))
            sync_probe_online.append(online.forward(onehot[probes]))
            sync_probe_target.append(target.forward(onehot[probes]))
        s, ret, eps = grid.index(grid.start), 0.0, epsilon(ep, p)
        for t in range(p.max_steps):
            a = int(rng.integers(4)) if rng.random() < eps else int(np.argmax(online.forward(onehot[s])))
            s2, r, done = int(nxt[s, a]), float(rew[s, a]), bool(done_tab[s, a])
            buffer.append((s, a, r, s2, done))
            transitions.append((ep, t, s, a, r, s2, done))
            if len(buffer) > p.buffer_size:
                buffer.pop(0)
                dropped += 1
            ret += r
            if len(buffer) >= p.batch:
                idx = rng.choice(len(buffer), p.batch, replace=False)  # random draw breaks time correlation
                S, A, R, S2, D = (np.array(col) for col in zip(*(buffer[i] for i in idx)))
                bootstrap = (target if p.use_target else online).forward(onehot[S2]).max(axis=1)
                y = R + p.gamma * bootstrap * (1 - D)
                if updates % p.log_every == 0:
                    batch_log.append(dropped + idx)
                    batch_update.append((updates, len(transitions) - 1))
                    batch_target.append(y)
                    probe_log.append((online.forward(onehot[probes]), target.forward(onehot[probes])))
                    probe_update.append(updates)
                losses.append(online.train_step(onehot[S], A, y, p.lr))
                updates += 1
            s = s2
            if done:
                break
        returns.append(ret)
        lengths.append(t + 1)

    q = online.forward(onehot)
    actions = greedy_actions(q)
    shape = (grid.rows, grid.cols)
    q_star = bellman_q(grid, value_iteration(grid, p.gamma)[-1], p.gamma)
    optimal = optimal_action_mask(q_star)[np.arange(n_states), actions]
    playable = ~grid.wall_mask() & ~grid.terminal_mask()
    tr = np.array(transitions, dtype=float)
    batches = np.array(batch_log, dtype=np.int32)
    trace = Trace()
    trace.add(
        tr_episode=tr[:, 0].astype(np.int32),
        tr_t=tr[:, 1].astype(np.int16),
        tr_state=tr[:, 2].astype(np.int8),
        tr_action=tr[:, 3].astype(np.int8),
        tr_reward=tr[:, 4].astype(np.float32),
        tr_next_state=tr[:, 5].astype(np.int8),
        tr_done=tr[:, 6].astype(bool),
        batch_indices=batches,  # (n_logged, batch): transition numbers (rows of tr_*) drawn
        batch_update=np.array(batch_update, dtype=np.int32)[:, 0],  # which update drew them
        batch_step=np.array(batch_update, dtype=np.int32)[:, 1],  # the newest transition at that time
        batch_td_target=np.array(batch_target, dtype=np.float32),
        probe_states=probes,
        probe_update=np.array(probe_update, dtype=np.int32),
        probe_q_online=np.array([o for o, _ in probe_log], dtype=np.float32),  # (n_logged, probes, 4)
        probe_q_target=np.array([t for _, t in probe_log], dtype=np.float32),
        sync_episode=np.array([e for e, _ in syncs], dtype=np.int32),
        sync_update=np.array([u for _, u in syncs], dtype=np.int32),
        sync_probe_q_online=np.array(sync_probe_online, dtype=np.float32),  # just before each sync
        sync_probe_q_target=np.array(sync_probe_target, dtype=np.float32),  # just after (= online)
        td_loss=np.array(losses, dtype=np.float32),
        returns=np.array(returns),
        lengths=np.array(lengths, dtype=np.int16),
        final_q=q.reshape(*shape, 4),  # walls and terminal cells hold the net's meaningless outputs
        final_v=q.max(axis=1).reshape(shape),
        greedy_action=actions.reshape(shape),
        policy=policy_symbols(grid, actions),
        q_star=q_star.reshape(*shape, 4),
        reaches_goal=reaches_goal(grid, actions),
        action_optimal=optimal.reshape(shape),
        walls=grid.wall_mask().reshape(shape),
        terminal=grid.terminal_mask().reshape(shape),
    )
    # decorrelation: mean |Δ transition number| inside a replayed batch vs 32 consecutive steps
    gaps = np.abs(batches[:, :, None] - batches[:, None, :]).sum(axis=(1, 2)) / (p.batch * (p.batch - 1))
    trace.metrics = {
        "policy_rows": [" ".join(row) for row in trace["policy"]],
        "cells_reaching_goal": int(trace["reaches_goal"][playable.reshape(shape)].sum()),
        "playable_cells": int(playable.sum()),
        "cells_with_optimal_action": int(optimal[playable].sum()),
        "updates": updates,
        "transitions": len(transitions),
        "last_100_avg_return": float(np.mean(returns[-100:])),
        "final_td_loss_avg": float(np.mean(losses[-1000:])),
        "mean_batch_gap": float(gaps.mean()),
        "sequential_batch_gap": float((p.batch + 1) / 3),  # E|i − j| for 32 consecutive indices
        "max_abs_q_minus_qstar": float(np.max(np.abs(q - q_star)[playable])),
        # how much the online probe Q-values move between logged updates (the "chase" of the ablation)
        "probe_q_jitter": float(np.mean(np.abs(np.diff(trace["probe_q_online"], axis=0)))),
    }
    return trace
