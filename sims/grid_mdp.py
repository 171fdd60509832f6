"""The grid worlds of chapters 12-13 as known MDPs (shared by ``sims.gridworld`` and ``sims.dqn_grid``).

Transition tables, one-step look-ahead, value iteration, and the arrow grids the
book prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ARROWS", "GridWorld", "LAYOUTS", "transition_table", "bellman_q", "value_iteration", "greedy_actions",
    "optimal_action_mask", "policy_symbols", "reaches_goal",
]

ARROWS = "↑↓←→"  # the book's action order: up, down, left, right
MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


@dataclass(frozen=True)
class GridWorld:
    """A deterministic grid: walls block (stay put, pay the step), goal and trap end the episode."""

    rows: int
    cols: int
    goal: tuple[int, int]
    trap: tuple[int, int]
    walls: tuple[tuple[int, int], ...]
    start: tuple[int, int] = (0, 0)
    step_reward: float = -0.04  # every move that does not enter the goal or the trap
    goal_reward: float = 1.0  # entering the goal (no extra step cost)
    trap_reward: float = -1.0  # entering the trap

    @property
    def n_states(self) -> int:
        return self.rows * self.cols

    def index(self, cell: tuple[int, int]) -> int:
        return cell[0] * self.cols + cell[1]

    def terminal_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_states, dtype=bool)
        mask[[self.index(self.goal), self.index(self.trap)]] = True
        return mask

    def wall_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_states, dtype=bool)
        mask[[self.index(w) for w in self.walls]] = True
        return mask


LAYOUTS = {
    # BOOK_SPEC §12.4: the printed 4×4 world of code/12_q_learning_gridworld.py
    "4x4": GridWorld(4, 4, goal=(3, 3), trap=(1, 3), walls=((1, 1), (2, 1))),
    # BOOK_SPEC §12.3 (spec addition): the 5×5 world of the ValueDiffusion scene
    "5x5": GridWorld(5, 5, goal=(4, 4), trap=(1, 3), walls=((1, 1), (2, 1), (3, 1))),
}


def transition_table(grid: GridWorld) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``next_state[s, a]``, ``reward[s, a]``, ``done[s, a]`` for every cell and action.

    Rows of walls and terminal cells are filled in but never used.
    """
    walls = set(grid.walls)
    nxt = np.zeros((grid.n_states, 4), dtype=np.int64)
    rew = np.zeros((grid.n_states, 4))
    done = np.zeros((grid.n_states, 4), dtype=bool)
    for r in range(grid.rows):
        for c in range(grid.cols):
            s = grid.index((r, c))
            for a, (dr, dc) in enumerate(MOVES):
                cell = (r + dr, c + dc)
                if not (0 <= cell[0] < grid.rows and 0 <= cell[1] < grid.cols) or cell in walls:
                    cell = (r, c)  # bumping into a wall or the border: stay put
                nxt[s, a] = grid.index(cell)
                if cell == grid.goal:
                    rew[s, a], done[s, a] = grid.goal_reward, True
                elif cell == grid.trap:
                    rew[s, a], done[s, a] = grid.trap_reward, True
                else:
                    rew[s, a] = grid.step_reward
    return nxt, rew, done


def bellman_q(grid: GridWorld, v: np.ndarray, gamma: float) -> np.ndarray:
    """One-step look-ahead Q(s, a) = r(s, a) + γ V(s′) (terminal s′ has V = 0)."""
    nxt, rew, done = transition_table(grid)
    q = rew + gamma * np.where(done, 0.0, v[nxt])
    q[grid.terminal_mask() | grid.wall_mask()] = 0.0
    return q


def value_iteration(
    grid: GridWorld, gamma: float, tol: float = 1e-12, max_sweeps: int = 1000
) -> list[np.ndarray]:
    """Synchronous sweeps V_{k+1}(s) = max_a [r + γ V_k(s′)] from V_0 = 0; returns [V_0, V_1, …]."""
    values = [np.zeros(grid.n_states)]
    for _ in range(max_sweeps):
        values.append(bellman_q(grid, values[-1], gamma).max(axis=1))
        if np.max(np.abs(values[-1] - values[-2])) < tol:
            break
    return values


def greedy_actions(q: np.ndarray, tol: float = 0.0) -> np.ndarray:
    """First action whose Q is within ``tol`` of the row maximum (``np.argmax`` when tol = 0)."""
    return np.argmax(q >= q.max(axis=-1, keepdims=True) - tol, axis=-1)


def optimal_action_mask(q: np.ndarray, tol: float = 1e-9) -> np.ndarray:
    """Every action within ``tol`` of the best one (exact ties show up as several True)."""
    return q >= q.max(axis=-1, keepdims=True) - tol


def policy_symbols(grid: GridWorld, actions: np.ndarray) -> np.ndarray:
    """The book's arrow grid: an arrow per cell, ``#`` walls, ``T`` trap, ``G`` goal."""
    symbols = np.array([ARROWS[a] for a in actions], dtype="<U1")
    symbols[grid.wall_mask()] = "#"
    symbols[grid.index(grid.trap)] = "T"
    symbols[grid.index(grid.goal)] = "G"
    return symbols.reshape(grid.rows, grid.cols)


def reaches_goal(grid: GridWorld, actions: np.ndarray) -> np.ndarray:
    """For each cell: does following the greedy arrows end in G (not T, not a loop)?"""
    nxt, _, _ = transition_table(grid)
    goal, terminal = grid.index(grid.goal), grid.terminal_mask()
    ok = np.zeros(grid.n_states, dtype=bool)
    for s0 in range(grid.n_states):
        s = s0
        for _ in range(grid.n_states):  # a path longer than the grid must be a loop
            if terminal[s]:
                break
            s = nxt[s, actions[s]]
        ok[s0] = s == goal
    ok[grid.wall_mask()] = False
    return ok.reshape(grid.rows, grid.cols)
