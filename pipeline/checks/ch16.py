"""Chapter 16 (强化学习回流): no companion code, so no printed output to reproduce.

Two kinds of rows: the TwoLines milestones (the ``timeline`` sim's rows against the years BOOK_SPEC
§16.3 lists, so an edit of either shows up here), and the chapter's one headline number, DeepSeek-R1-Zero's
AIME 2024 pass@1, which no toy can reproduce; the row sets our tiny GRPO run's before/after beside it.
"""

from __future__ import annotations

from pipeline.checks import Row, compare, not_reproducible
from sims.trace import Trace

CHAPTER = 16
TRACES = ["timeline.default", "grpo.default"]

# BOOK_SPEC §16.3 "TwoLines": the years of each line's milestones, as the spec writes them, in its order.
BOOK_YEARS = {
    "A": ["1943", "1958", "1986", "1989", "1997", "2012", "2013", "2014", "2017", "2018", "2020", "2020", "2022"],
    "B": ["1950 年代", "1988", "1989", "1992", "1992–95", "2013/2015", "2015", "2016", "2016", "2017", "2017", "2018",
          "2018", "2019", "2020"],
    "M": ["2017", "2022", "2022", "2023", "2024", "2025"],
}
LINE_NAMES = {"A": "line A (maximum likelihood)", "B": "line B (maximise return)", "M": "merge (RLHF / DPO / RLVR)"}

# BOOK_SPEC §16.4 prose facts: DeepSeek-R1-Zero on AIME 2024, pass@1 before and after RL, and with majority voting.
BOOK_R1_ZERO = {"before": 0.156, "after": 0.710, "majority": 0.867}


def rows(traces: dict[str, Trace]) -> list[Row]:
    tl = traces["timeline.default"]
    out = []
    for i, key in enumerate(("A", "B", "M"), start=1):
        years = [str(y) for y, line in zip(tl["year_text"], tl["line"]) if line == key]
        out.append(compare(f"R16.T{i}", CHAPTER, f"TwoLines {LINE_NAMES[key]}: milestone years", BOOK_YEARS[key],
                           years, note="data rows of sims/timeline.py"))
    m = traces["grpo.default"].metrics
    out.append(not_reproducible(
        "R16.1", CHAPTER, "pass@1 before → after RL (DeepSeek-R1-Zero, AIME 2024)",
        f"{BOOK_R1_ZERO['before']:.1%} → {BOOK_R1_ZERO['after']:.1%}",
        f"{m['sft_accuracy']:.1%} → {m['final_accuracy']:.1%}",
        "a different model and task: the book quotes R1-Zero on AIME 2024; ours is a one-layer GRU adding "
        "two-digit numbers (greedy, held-out prompts), supervised start then GRPO; only the direction compares"))
    return out
