"""Chapter 14 (策略梯度与 actor-critic): the printed output of ``code/13_reinforce_policy_gradient.py``."""

from __future__ import annotations

from pipeline.checks import Row, compare, not_reproducible
from sims.trace import Trace

CHAPTER = 14
TRACES = ["reinforce.default"]

# The book's printed output (BOOK_SPEC §14.4); the PolicyShaping scene shows them beside this run's.
BOOK_AVERAGES = {"plain_first_avg": 0.501, "plain_last_avg": 0.736, "baseline_first_avg": 0.452,
                 "baseline_last_avg": 0.732}
BOOK_WINDOW = 100  # "前100局 / 末100局"
BOOK_POLICY = "→→→→→→"

PINNED = ("lr 0.1, γ 0.99, 1000 episodes, 50-step cap, baseline rate 0.05, default_rng(0) per run "
          "(our choice; the book states none, S2 #24)")


def as_printed(x: float) -> float:
    """The value the book's ``{:+.3f}`` would show."""
    return float(f"{x:.3f}")


def average_row(id: str, quantity: str, book: float, computed: float, sd: float | None = None) -> Row:
    """Equal when our pinned run prints the same digits; otherwise not re-derivable from the book."""
    row = compare(id, CHAPTER, quantity, book, as_printed(computed), note=PINNED)
    if row.status == "equal":
        return row
    spread = f"; a 100-episode average has sampling SD ≈ {sd:.4f}" if sd is not None else ""
    return not_reproducible(id, CHAPTER, quantity, book, as_printed(computed),
                            f"{PINNED}; ours is {computed:.4f}{spread}")


def rows(traces: dict[str, Trace]) -> list[Row]:
    m = traces["reinforce.default"].metrics
    sd = m["last_avg_sd"]
    first, last = "average return, first 100 episodes", "average return, last 100 episodes"
    return [
        average_row("R14.1", f"no baseline: {first}", BOOK_AVERAGES["plain_first_avg"], m["plain_first_avg"]),
        average_row("R14.2", f"no baseline: {last}", BOOK_AVERAGES["plain_last_avg"], m["plain_last_avg"], sd),
        average_row("R14.3", f"baseline: {first}", BOOK_AVERAGES["baseline_first_avg"], m["baseline_first_avg"]),
        average_row("R14.4", f"baseline: {last}", BOOK_AVERAGES["baseline_last_avg"], m["baseline_last_avg"], sd),
        compare("RG14.1", CHAPTER, "no baseline: greedy policy, states 0..5", BOOK_POLICY, m["plain_policy"]),
        compare("RG14.2", CHAPTER, "baseline: greedy policy, states 0..5", BOOK_POLICY, m["baseline_policy"]),
    ]
