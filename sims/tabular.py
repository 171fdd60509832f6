"""Shared pieces of the tabular RL sims (book chapters 12-15).

* the grid worlds of chapters 12-13 as transition tables, value iteration on
  them, and the arrow grids the book prints;
* the race-to-21 game (抢21) of chapter 15 and the PUCT tree search that both
  ``sims.mcts`` and ``sims.selfplay`` run on it;
* a row-wise softmax.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = [
    "ARROWS", "GridWorld", "LAYOUTS", "transition_table", "bellman_q", "value_iteration", "greedy_actions",
    "optimal_action_mask", "policy_symbols", "reaches_goal", "softmax",
    "legal_moves", "exact_value", "Node", "simulate", "LevelLog",
]

# ---------------------------------------------------------------- grid worlds

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


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, shifted for stability."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------- race to 21

def legal_moves(total: int, target: int = 21, max_add: int = 3) -> list[int]:
    """Numbers the player to move may add without passing the target."""
    return [m for m in range(1, max_add + 1) if total + m <= target]


def exact_value(total: int, target: int = 21, max_add: int = 3, terminal_value: float = -1.0) -> float:
    """Game-theoretic value for the player to move: −1 when ``target − total`` is a multiple of max_add + 1.

    At ``total == target`` the opponent has just said 21 and won, so the mover's
    value is ``terminal_value`` (−1 is the correct convention).
    """
    if total == target:
        return terminal_value
    return -1.0 if (target - total) % (max_add + 1) == 0 else 1.0


@dataclass
class Node:
    """A search-tree node: edge statistics N, W and prior P for each legal move."""

    total: int
    moves: list[int] = field(default_factory=list)
    prior: list[float] = field(default_factory=list)
    n: list[int] = field(default_factory=list)
    w: list[float] = field(default_factory=list)
    children: list["Node"] = field(default_factory=list)
    expanded: bool = False
    id: int = 0

    def expand(self, moves: list[int], prior: list[float], next_id: int) -> int:
        """Create one child per move; returns the next free node id."""
        self.moves, self.prior = moves, prior
        self.n, self.w = [0] * len(moves), [0.0] * len(moves)
        self.children = [Node(self.total + m, id=next_id + i) for i, m in enumerate(moves)]
        self.expanded = True
        return next_id + len(moves)

    def q(self) -> list[float]:
        return [w / n if n > 0 else 0.0 for n, w in zip(self.n, self.w)]


@dataclass
class LevelLog:
    """What selection saw at one node of one simulation (for the MCTSGrowth scene)."""

    node_id: int
    total: int
    q: list[float]
    u: list[float]
    n: list[int]
    prior: list[float]
    choice: int  # index into the node's moves


# evaluate(total) -> (moves, priors over those moves, value for the player to move)
Evaluator = Callable[[int], tuple[list[int], list[float], float]]


def puct_terms(node: Node, c: float) -> tuple[list[float], list[float]]:
    """Q and U = c·P·√(ΣN + 1)/(1 + N) for every child, as the book's ``puct_select`` computes them."""
    root_n = math.sqrt(sum(node.n) + 1)
    u = [c * p * root_n / (1 + n) for p, n in zip(node.prior, node.n)]
    return node.q(), u


def simulate(
    root: Node,
    evaluate: Evaluator,
    is_terminal: Callable[[int], bool],
    c: float,
    next_id: int,
    rng: np.random.Generator | None = None,
    log: list[LevelLog] | None = None,
) -> tuple[list[tuple[Node, int]], Node, float, int]:
    """One MCTS simulation: select by PUCT, expand the leaf, evaluate it, back the value up.

    Values are from the point of view of the player to move at a node; an edge
    stores W from the point of view of the player choosing it, so the sign flips
    at every level. Ties go to the first move, or to a random one when ``rng`` is given.
    Returns (path of (node, move index), leaf, leaf value, next free node id).
    """
    node, path = root, []
    while node.expanded:
        q, u = puct_terms(node, c)
        score = [qi + ui for qi, ui in zip(q, u)]
        top = max(score)
        best = [i for i, s in enumerate(score) if s == top]
        choice = best[0] if rng is None or len(best) == 1 else best[int(rng.integers(len(best)))]
        if log is not None:
            log.append(LevelLog(node.id, node.total, q, u, list(node.n), list(node.prior), choice))
        path.append((node, choice))
        node = node.children[choice]
    moves, prior, value = evaluate(node.total)
    if not is_terminal(node.total):
        next_id = node.expand(moves, prior, next_id)
    v = value
    for parent, i in reversed(path):
        v = -v  # the parent's mover is the leaf mover's opponent
        parent.n[i] += 1
        parent.w[i] += v
    return path, node, value, next_id
