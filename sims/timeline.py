"""The two main lines of the book and where they meet (book chapter 16, scene TwoLines).

No computation: the milestones are data taken from the book's text, as BOOK_SPEC §16.3 lists them
(line A "fit the data distribution / maximum likelihood", line B "maximise return / MDP", and the
merge RLHF / DPO / RLVR). They live here, in a sim, so that the scene reads them from a trace like
every other number it shows, and so that editing a row recomputes the trace (its key hashes this file).

Each row is (year, year as the book writes it, label, line). ``year`` places the milestone on the
time axis; where the book gives a span ("1950 年代", "2013/2015") it is the start of the span (TD-Gammon,
"1992–95", sits at 1993 so that it does not share REINFORCE's 1992), and the book's wording is kept in the
second field for display.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "ROWS", "LINES"]

# BOOK_SPEC §16.3 "TwoLines"; the names follow the book's §七 (感知机, 反向传播 …) where it writes them in Chinese.
ROWS = (
    (1943, "1943", "M-P 神经元", "A"),
    (1958, "1958", "感知机", "A"),
    (1986, "1986", "反向传播", "A"),  # the book: Rumelhart et al. 1986, after Linnainmaa 1970
    (1989, "1989", "CNN", "A"),
    (1997, "1997", "LSTM", "A"),
    (2012, "2012", "AlexNet", "A"),
    (2013, "2013", "word2vec", "A"),
    (2014, "2014", "seq2seq / 注意力", "A"),
    (2017, "2017", "Transformer", "A"),
    (2018, "2018", "BERT / GPT", "A"),
    (2020, "2020", "GPT-3", "A"),
    (2020, "2020", "scaling laws", "A"),
    (2022, "2022", "Chinchilla", "A"),
    (1950, "1950 年代", "Bellman / DP", "B"),
    (1988, "1988", "TD", "B"),
    (1989, "1989", "Q-learning", "B"),
    (1992, "1992", "REINFORCE", "B"),
    (1993, "1992–95", "TD-Gammon", "B"),  # placed inside its span, a year after REINFORCE
    (2013, "2013/2015", "DQN", "B"),
    (2015, "2015", "TRPO / GAE", "B"),
    (2016, "2016", "AlphaGo", "B"),
    (2016, "2016", "A3C", "B"),
    (2017, "2017", "PPO", "B"),
    (2017, "2017", "AlphaGo Zero", "B"),
    (2018, "2018", "AlphaZero", "B"),
    (2018, "2018", "SAC", "B"),
    (2019, "2019", "AlphaStar / OpenAI Five", "B"),
    (2020, "2020", "MuZero", "B"),
    (2017, "2017", "Christiano RLHF", "M"),
    (2022, "2022", "InstructGPT / ChatGPT", "M"),
    (2022, "2022", "Constitutional AI / RLAIF", "M"),
    (2023, "2023", "DPO", "M"),
    (2024, "2024", "o1", "M"),
    (2025, "2025", "DeepSeek-R1", "M"),
)
# BOOK_SPEC §16.2 S16.2 and the book's §七: what each line maximises, and the merge point's label.
LINES = (
    ("A", "拟合数据分布 · 最大似然"),
    ("B", "最大化回报 · MDP"),
    ("M", "RLHF / DPO / RLVR"),
)


@dataclass(frozen=True)
class Params:
    """Nothing to choose: the rows are the book's."""


VARIANTS = {"default": {}}
RANGES = {}
SEED = 0  # unused: nothing is random


def run(params: Params, seed: int = SEED) -> Trace:
    """The rows as arrays, in the order above (line by line, by year)."""
    trace = Trace()
    year, year_text, label, line = zip(*ROWS)
    trace.add(year=np.array(year, dtype=np.int64), year_text=np.array(year_text), label=np.array(label),
              line=np.array(line), line_key=np.array([k for k, _ in LINES]),
              line_name=np.array([name for _, name in LINES]))
    trace.metrics = {name: sum(1 for r in ROWS if r[3] == key) for key, name in
                     (("A", "line_a_milestones"), ("B", "line_b_milestones"), ("M", "merge_milestones"))}
    trace.metrics["first_merge_year"] = min(r[0] for r in ROWS if r[3] == "M")
    return trace
