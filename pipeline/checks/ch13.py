"""Chapter 13 (DQN 与 Atari): the policy printed by ``code/14_dqn_min.py``."""

from __future__ import annotations

import numpy as np

from pipeline.checks import Row, compare, not_reproducible
from sims.grid_mdp import ARROWS
from sims.trace import Trace

CHAPTER = 13
TRACES = ["dqn_grid.default"]

BOOK_POLICY = ["↓ ↓ ↓ ←", "↓ # ↓ T", "↓ # → ↓", "→ → → G"]
QUANTITY = "DQN greedy policy grid after 1500 episodes"


def differences(book: list[str], ours: np.ndarray, q_star: np.ndarray) -> list[str]:
    """One phrase per cell where the arrows differ, saying whether the book's arrow is optimal."""
    out = []
    for r, line in enumerate(book):
        for c, symbol in enumerate(line.split()):
            if symbol == ours[r, c]:
                continue
            q = q_star[r, c]
            book_optimal = q[ARROWS.index(symbol)] >= q.max() - 1e-9
            verdict = "also optimal (a tie in Q*)" if book_optimal else "not optimal"
            out.append(f"({r},{c}) book {symbol} vs ours {ours[r, c]}: the book's arrow is {verdict}")
    return out


def rows(traces: dict[str, Trace]) -> list[Row]:
    t = traces["dqn_grid.default"]
    m = t.metrics
    book, ours = " / ".join(BOOK_POLICY), " / ".join(m["policy_rows"])
    if book == ours:
        return [compare("RG13.1", CHAPTER, QUANTITY, book, ours)]
    diff = "; ".join(differences(BOOK_POLICY, t["policy"], t["q_star"]))
    note = (f"hidden size, lr, γ, ε schedule, buffer and seed are not stated, so the book's run cannot be "
            f"re-created; ours reaches G from {m['cells_reaching_goal']}/{m['playable_cells']} cells with an "
            f"optimal action in {m['cells_with_optimal_action']}. {diff}. The book's ↓ at (0,1) walks into "
            f"the wall and loops, contradicting its 'every cell reaches G' (S2 #18)")
    return [not_reproducible("RG13.1", CHAPTER, QUANTITY, book, ours, note)]
