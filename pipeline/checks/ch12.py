"""Chapter 12 (强化学习地基): the printed output of ``code/12_q_learning_gridworld.py``."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 12
TRACES = ["gridworld.q4x4", "gridworld.vi4x4"]

# the printed V table, row by row; None marks the walls ("###")
BOOK_V = [
    [0.59, 0.67, 0.74, 0.67],
    [0.67, None, 0.82, 0.00],
    [0.74, None, 0.91, 1.00],
    [0.82, 0.91, 1.00, 0.00],
]
BOOK_POLICY = ["→ → ↓ ←", "↓ # ↓ T", "↓ # ↓ ↓", "→ → → G"]
POLICY_NOTE = ("γ 0.95, α 0.1, ε 0.1, default_rng(0) are inferred (S2 #16); the trap sits at (1,3), "
               "not in the top-right corner the prose names (S2 #14); (0,0) and (2,2) are exact ties in Q*")


def rows(traces: dict[str, Trace]) -> list[Row]:
    q = traces["gridworld.q4x4"]
    v_star = traces["gridworld.vi4x4"]["final_v"]
    out = []
    cells = [(r, c) for r in range(4) for c in range(4) if BOOK_V[r][c] is not None]
    for n, (r, c) in enumerate(cells, start=1):
        out.append(compare(f"R12.{n}", CHAPTER, f"V({r},{c}) = max_a Q after 4000 episodes",
                           BOOK_V[r][c], round(float(q["final_v"][r, c]), 4), tol=0.005,
                           note=f"exact V* (value iteration) = {v_star[r, c]:.4f}"))
    m = q.metrics
    out += [
        compare("R12.15", CHAPTER, "average undiscounted return, first 200 episodes", 0.617,
                round(m["first_avg_return"], 4), tol=0.0005),
        compare("R12.16", CHAPTER, "average undiscounted return, last 200 episodes", 0.745,
                round(m["last_avg_return"], 4), tol=0.0005,
                note="the best possible return from the start is 5·(−0.04) + 1 = 0.80"),
        compare("RG12.1", CHAPTER, "greedy policy grid", " / ".join(BOOK_POLICY),
                " / ".join(m["policy_rows"]), note=POLICY_NOTE),
    ]
    return out
