"""The PUCT tree search that ``sims.mcts`` and ``sims.selfplay`` run (book chapter 15).

The search knows nothing of the game: the caller passes an evaluator (moves,
priors, value) and a terminal test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["Node", "LevelLog", "Evaluator", "puct_terms", "simulate"]


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
