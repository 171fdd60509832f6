"""Chapter 1 (感知机): the printed output of ``code/01_perceptron.py``."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 1
TRACES = ["perceptron.and", "perceptron.or", "perceptron.xor"]

TIE_NOTE = "equal, but the learned line passes through {points}: they count as positive only by the ≥0 tie rule (S2 #1)"


def rows(traces: dict[str, Trace]) -> list[Row]:
    m_and = traces["perceptron.and"].metrics
    m_or = traces["perceptron.or"].metrics
    m_xor = traces["perceptron.xor"].metrics
    return [
        compare("R01.1", 1, "AND epochs to converge", 6, m_and["epochs"]),
        compare("R01.2", 1, "AND mistakes", 11, m_and["mistakes"]),
        compare("R01.3", 1, "AND w", [2.0, 1.0], m_and["w"],
                note=TIE_NOTE.format(points="(1,1)") if m_and["ties_on_boundary"] else ""),
        compare("R01.4", 1, "AND b", -3.0, m_and["b"]),
        compare("R01.5", 1, "OR epochs", 4, m_or["epochs"]),
        compare("R01.6", 1, "OR mistakes", 5, m_or["mistakes"]),
        compare("R01.7", 1, "OR w", [1.0, 1.0], m_or["w"],
                note=TIE_NOTE.format(points="(0,1) and (1,0)") if m_or["ties_on_boundary"] else ""),
        compare("R01.8", 1, "OR b", -1.0, m_or["b"]),
        compare("R01.9", 1, "XOR epochs run (cap, not converged)", 100,
                m_xor["epochs"] if not m_xor["converged"] else f"converged at {m_xor['epochs']}"),
        compare("R01.10", 1, "XOR mistakes", 398, m_xor["mistakes"],
                note=f"the best of all lines still misclassifies {m_xor['min_line_errors']} of the 4 points: "
                     "XOR is not linearly separable"),
    ]
