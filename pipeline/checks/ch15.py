"""Chapter 15 (自博弈的巅峰): the printed output of ``code/15_mcts_puct.py``."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 15
TRACES = ["mcts.default", "mcts.flipped_terminal"]

BOOK_N = [3868, 67, 65]
BOOK_Q = [0.007, -0.463, -0.477]


def rows(traces: dict[str, Trace]) -> list[Row]:
    m = traces["mcts.default"].metrics
    f = traces["mcts.flipped_terminal"].metrics
    why = (f"the book's method (c 1.5, uniform P, exact leaf values, √(ΣN+1), 4000 simulations) gives "
           f"Q(报1) well above 0 even though the search also samples the first player's own later mistakes. "
           f"Scoring total 21 as a win for the player to move, who is the loser, gives "
           f"N = {f['root_n']}, Q = {[round(q, 3) for q in f['root_q']]}, the book's pattern (S2 #19)")
    out = []
    for i, move in enumerate((1, 2, 3)):
        out.append(compare(f"R15.{2 * i + 1}", CHAPTER, f"root visits N(报{move})", BOOK_N[i], m["root_n"][i],
                           note=why))
        out.append(compare(f"R15.{2 * i + 2}", CHAPTER, f"root value Q(报{move})", BOOK_Q[i],
                           round(m["root_q"][i], 4), tol=0.0005, note=why))
    out.append(compare("RG15.1", CHAPTER, "move chosen (most visits)", "报 1", f"报 {m['chosen_move']}",
                       note="1 is the only winning opening: it leaves 20, a multiple of 4"))
    return out
