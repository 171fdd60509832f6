"""The grid world of chapter 12: tabular Q-learning and value iteration.

``q_learning`` is the book's ``code/12_q_learning_gridworld.py`` with the
parameters that reproduce its printed table exactly (BOOK_SPEC §12.4): γ 0.95,
α 0.1, ε 0.1, ``default_rng(0)``, actions (up, down, left, right), ε-greedy as
``rng.integers(4) if rng.random() < eps else argmax(Q[s])`` with the first
index winning ties, start top-left, episodes capped at 100 steps.

``value_iteration`` sweeps the Bellman optimality backup over the whole grid
(the ValueDiffusion scene), on the 4×4 world or on the 5×5 layout of §12.3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.grid_mdp import (
    LAYOUTS,
    GridWorld,
    bellman_q,
    greedy_actions,
    optimal_action_mask,
    policy_symbols,
    reaches_goal,
    transition_table,
    value_iteration,
)
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run"]


@dataclass(frozen=True)
class Params:
    layout: str = "4x4"  # "4x4" (the code's world) or "5x5" (the scene's world, BOOK_SPEC §12.3)
    method: str = "q_learning"  # "q_learning" (model-free, sampled) or "value_iteration" (model-based sweeps)
    gamma: float = 0.95  # discount γ (not printed; implied by 0.91 = −0.04 + 0.95·1.00)
    alpha: float = 0.1  # Q-learning step size α
    epsilon: float = 0.1  # ε of ε-greedy exploration
    episodes: int = 4000  # "训练四千局"
    max_steps: int = 100  # episode cap (any cap ≥ 100 gives the printed output)
    checkpoint_every: int = 20  # record the whole Q table every this many episodes
    avg_window: int = 200  # the book's "前 200 局 / 末 200 局" averages
    vi_tol: float = 1e-12  # value iteration stops once no cell moves more than this

    def __post_init__(self) -> None:
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {sorted(LAYOUTS)}, got {self.layout!r}")
        if self.method not in ("q_learning", "value_iteration"):
            raise ValueError(f"method must be q_learning or value_iteration, got {self.method!r}")
        if not 0 <= self.gamma < 1 or self.episodes < 1 or self.checkpoint_every < 1:
            raise ValueError("need 0 ≤ γ < 1, episodes ≥ 1, checkpoint_every ≥ 1")


VARIANTS = {
    "q4x4": {},
    "vi4x4": {"method": "value_iteration"},
    "vi5x5": {"layout": "5x5", "method": "value_iteration"},
}
RANGES = {
    "layout": {"4x4", "5x5"},
    "method": {"q_learning", "value_iteration"},
    "gamma": "[0, 1)",
    "alpha": "(0, 1]",
    "epsilon": "[0, 1]",
    "episodes": "[1, 100000]",  # 4000 take ~0.4 s
    "max_steps": "[1, 10000]",
    "checkpoint_every": "[1, 100000]",
    "avg_window": "[1, 100000]",
    "vi_tol": "[0, inf)",  # 0: sweep until nothing changes (at most 1000 sweeps)
}
SEED = 0


def epsilon_greedy(q_row: np.ndarray, eps: float, rng: np.random.Generator) -> int:
    """The book's rule; the order of the two rng calls matters for reproducing its table."""
    return int(rng.integers(4)) if rng.random() < eps else int(np.argmax(q_row))


def q_learning(grid: GridWorld, p: Params, rng: np.random.Generator) -> Trace:
    nxt, rew, done = transition_table(grid)
    q = np.zeros((grid.n_states, 4))
    returns = np.zeros(p.episodes)  # undiscounted, as the book's averages must be (§12.4 note 3)
    lengths = np.zeros(p.episodes, dtype=np.int32)
    snapshots, snapshot_episodes = [q.copy()], [0]
    for ep in range(p.episodes):
        s = grid.index(grid.start)
        for t in range(p.max_steps):
            a = epsilon_greedy(q[s], p.epsilon, rng)
            s2, r, d = nxt[s, a], rew[s, a], done[s, a]
            target = r if d else r + p.gamma * q[s2].max()
            q[s, a] += p.alpha * (target - q[s, a])
            returns[ep] += r
            s = s2
            if d:
                break
        lengths[ep] = t + 1
        if (ep + 1) % p.checkpoint_every == 0 or ep + 1 == p.episodes:
            snapshots.append(q.copy())
            snapshot_episodes.append(ep + 1)

    shape = (grid.rows, grid.cols)
    playable = ~grid.wall_mask() & ~grid.terminal_mask()
    actions = greedy_actions(q)
    v_star = value_iteration(grid, p.gamma, p.vi_tol)[-1]
    q_snap = np.array(snapshots).reshape(-1, *shape, 4)
    trace = Trace()
    trace.add(
        returns=returns,
        lengths=lengths,
        checkpoint_episode=np.array(snapshot_episodes, dtype=np.int32),
        q_checkpoints=q_snap,
        v_checkpoints=q_snap.max(axis=-1),
        final_q=q.reshape(*shape, 4),
        final_v=q.max(axis=1).reshape(shape),
        greedy_action=actions.reshape(shape),
        policy=policy_symbols(grid, actions),
        v_star=v_star.reshape(shape),
        walls=grid.wall_mask().reshape(shape),
    )
    w = p.avg_window
    trace.metrics = {
        "first_avg_return": float(returns[:w].mean()),
        "last_avg_return": float(returns[-w:].mean()),
        "v_table": np.round(q.max(axis=1), 6).reshape(shape).tolist(),
        "policy_rows": [" ".join(row) for row in trace["policy"]],
        "max_abs_v_minus_vstar": float(np.max(np.abs(q.max(axis=1) - v_star))),
        "all_cells_reach_goal": bool(reaches_goal(grid, actions).ravel()[playable].all()),
    }
    return trace


def value_iteration_trace(grid: GridWorld, p: Params) -> Trace:
    shape = (grid.rows, grid.cols)
    playable = ~grid.wall_mask() & ~grid.terminal_mask()
    values = value_iteration(grid, p.gamma, p.vi_tol)
    v = values[-1]
    q = bellman_q(grid, v, p.gamma)
    residual = np.array([np.max(np.abs(b - a)) for a, b in zip(values[:-1], values[1:])])
    bellman_error = np.max(np.abs(q.max(axis=1) - v))  # ‖T V − V‖∞ at the end
    # the last sweep that changed any cell: after it V is the fixed point to machine precision
    changed = np.nonzero(residual > 0)[0]
    actions = greedy_actions(q, tol=1e-9)  # exact ties go to the first action in (↑, ↓, ←, →)
    trace = Trace()
    trace.add(
        v_sweeps=np.array(values).reshape(-1, *shape),
        residual=residual,
        final_v=v.reshape(shape),
        final_q=q.reshape(*shape, 4),
        greedy_action=actions.reshape(shape),
        optimal_actions=optimal_action_mask(q).reshape(*shape, 4),
        policy=policy_symbols(grid, actions),
        walls=grid.wall_mask().reshape(shape),
        terminal=grid.terminal_mask().reshape(shape),
    )
    trace.metrics = {
        "sweeps": len(values) - 1,
        "sweeps_until_unchanged": int(changed[-1] + 1) if len(changed) else 0,
        "bellman_residual": float(bellman_error),
        "v_table": np.round(v, 6).reshape(shape).tolist(),
        "policy_rows": [" ".join(row) for row in trace["policy"]],
        "tied_cells": int((optimal_action_mask(q).sum(axis=1) > 1)[playable].sum()),
    }
    return trace


def run(params: Params, seed: int = SEED) -> Trace:
    """Q-learning (sampled, seeded) or value iteration (deterministic) on one layout."""
    grid = LAYOUTS[params.layout]
    if params.method == "q_learning":
        return q_learning(grid, params, np.random.default_rng(seed))
    return value_iteration_trace(grid, params)
