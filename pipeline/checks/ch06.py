"""Chapter 6 (word2vec): the printed neighbours of ``code/06_word2vec.py`` and the book's analogy claims.

R06.1–R06.8 come from the book's toy corpus, which it does not print (nor its dimension, learning
rate, epochs or seed), so no cosine can be re-derived: each row shows what our toy corpus gives at the
same rank (``word cosine``) and says whether the word agrees. RQ06.* are the book's qualitative
claims: its toy corpus answers king − man + woman with *princess*, and large corpora (here: the
structured corpus, where gender, royalty and "capital of" are independent context factors) with
queen, and Paris − France + Italy with Rome.
"""

from __future__ import annotations

from pipeline.checks import Row, compare, not_reproducible
from sims.trace import Trace

CHAPTER = 6
TRACES = ["word2vec.toy", "word2vec.default", "word2vec.negative"]

# BOOK_SPEC §6.4, the printed output: (id, query, rank, word, cosine)
BOOK_NEIGHBOURS = [
    ("R06.1", "woman", 1, "princess", 0.36),
    ("R06.2", "woman", 2, "girl", 0.25),
    ("R06.3", "woman", 3, "man", 0.20),
    ("R06.4", "king", 1, "palace", 0.21),
    ("R06.5", "king", 2, "princess", 0.11),
    ("R06.6", "king", 3, "royal", 0.11),
    ("R06.7", "king-man+woman", 1, "princess", 0.67),
    ("R06.8", "king-man+woman", 2, "palace", 0.18),
]
BOOK_TOY_ANALOGY = ("princess", 0.67)  # BOOK_SPEC §6.4 / R06.7: the toy corpus's answer to king − man + woman
BOOK_ANALOGY_CLAIMS = {"royal": "queen", "capital": "Rome"}  # §6 五: v_king − v_man + v_woman ≈ v_queen, … ≈ v_Rome

NOT_PRINTED = "the book's toy corpus, dimension, lr, epochs and seed are not printed: the cosine cannot be re-derived"


def ranked(t: Trace, query: str) -> tuple[list[str], list[float]]:
    """Our neighbour list for a query word or for the royal analogy (query words excluded)."""
    if query == "king-man+woman":
        i = list(t["analogy_names"]).index("royal")
        return [str(w) for w in t["analogy_top_words"][i]], [float(c) for c in t["analogy_top_cos"][i]]
    i = list(t["query_words"]).index(query)
    return [str(w) for w in t["query_top_words"][i]], [float(c) for c in t["query_top_cos"][i]]


def neighbour_row(id: str, t: Trace, query: str, rank: int, word: str, cos: float) -> Row:
    words, coss = ranked(t, query)
    ours = f"{words[rank - 1]} {coss[rank - 1]:.2f}"
    if words[rank - 1] == word:
        agree = "same word at this rank"
    elif word in words:
        agree = f"our toy corpus ranks {word} #{words.index(word) + 1} ({coss[words.index(word)]:.2f})"
    else:
        agree = f"{word} is not in our top {len(words)}"
    return not_reproducible(id, CHAPTER, f"toy corpus: {query}, neighbour #{rank} (word cosine)",
                            f"{word} {cos:.2f}", ours, f"{agree}; {NOT_PRINTED}")


def claim_row(id: str, t: Trace, name: str, quantity: str, expected: str, note: str) -> Row:
    m = t.metrics
    target = str(t["analogy_words"][list(t["analogy_names"]).index(name)][3])  # the parallelogram's fourth word
    return compare(id, CHAPTER, quantity, expected, m[f"{name}_top"],
                   note=f"{note}: cosine {m[f'{name}_top_cos']:.3f}; {target} ranks #{m[f'{name}_rank']}")


def rows(traces: dict[str, Trace]) -> list[Row]:
    toy, soft, neg = traces["word2vec.toy"], traces["word2vec.default"], traces["word2vec.negative"]
    out = [neighbour_row(id, toy, q, r, w, c) for id, q, r, w, c in BOOK_NEIGHBOURS]
    out.append(claim_row("RQ06.1", toy, "royal", "toy corpus: top neighbour of king − man + woman",
                         BOOK_TOY_ANALOGY[0], "our toy corpus, full softmax"))
    for id, t, method in (("RQ06.2", soft, "full softmax"), ("RQ06.4", neg, "negative sampling K=5")):
        out.append(claim_row(id, t, "royal", f"structured corpus, {method}: top neighbour of king − man + woman",
                             BOOK_ANALOGY_CLAIMS["royal"], f"structured corpus, {method}"))
    for id, t, method in (("RQ06.3", soft, "full softmax"), ("RQ06.5", neg, "negative sampling K=5")):
        out.append(claim_row(id, t, "capital",
                             f"structured corpus, {method}: top neighbour of Paris − France + Italy",
                             BOOK_ANALOGY_CLAIMS["capital"], f"structured corpus, {method}"))
    return sorted(out, key=lambda r: r.id)
