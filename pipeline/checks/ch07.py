"""Chapter 7 (seq2seq 与注意力): the printed α of ``code/07_attention.py``, and the prose's claims about it."""

from __future__ import annotations

from pipeline.checks import Row, compare, not_reproducible
from sims.trace import Trace

CHAPTER = 7
TRACES = ["additive_attention.default", "seq2seq.default"]

# BOOK_SPEC §7.4: "注意力权重 alpha = [0.229 0.349 0.123 0.299]", query built near the 3rd key
BOOK_ALPHA = [0.229, 0.349, 0.123, 0.299]
BOOK_NEAR_KEY = 3  # "构造一个 query 故意接近第 3 个 key" (1-based)
BOOK_FACTS = {"year": 2014}  # Sutskever–Vinyals–Le seq2seq and Bahdanau–Cho–Bengio attention, both 2014 (§7)

UNSTATED = ("the book states no sizes, no Wq/Wk/v and no seed (BOOK_SPEC §7.4); ours: 8-dim keys, "
            "Wq, Wk, v ~ N(0, 1/d), query = key 3 + 0.1·noise, default_rng(0)")


def rows(traces: dict[str, Trace]) -> list[Row]:
    m = traces["additive_attention.default"].metrics
    draws = traces["additive_attention.default"].meta.get("params", {}).get("draws", "?")
    ours = m["alpha_printed"]
    out = [not_reproducible(f"R07.{k + 1}", CHAPTER, f"additive attention α_{k + 1} (4 keys)", BOOK_ALPHA[k],
                            ours[k] if k < len(ours) else None, UNSTATED)
           for k in range(len(BOOK_ALPHA))]
    book_top = BOOK_ALPHA.index(max(BOOK_ALPHA)) + 1
    book_rank = sorted(BOOK_ALPHA, reverse=True).index(BOOK_ALPHA[BOOK_NEAR_KEY - 1]) + 1
    out.append(compare(
        "S2#7", CHAPTER, "the key built nearest the query gets the highest weight (the prose's claim)",
        f"key {BOOK_NEAR_KEY} highest (prose); printed α ranks it {book_rank} of 4, top is key {book_top}",
        f"key {m['top_key']} highest; key {m['near_key']} ranks {m['near_key_rank']}",
        note=(f"the book's own printout contradicts its sentence; with random untrained Wq, Wk, v the near "
              f"key gets the top weight in {m['near_key_wins_fraction']:.1%} of {draws} draws (chance "
              f"{m['chance']:.0%}), so nothing makes the sentence true; a dot-product score q·k_j puts the top "
              f"weight on key {m['dot_top_key']}")))
    s = traces["seq2seq.default"].metrics
    lo, hi = s["long_lengths"]
    out.append(compare(
        "P07.1", CHAPTER, f"seq2seq quality falls with source length; attention holds ({lo}–{hi} words, held out)",
        "falls without attention, holds with it",
        "falls without attention, holds with it" if s["attn_long_tok"] - s["plain_long_tok"] > 0.3
        else "no clear gap",
        note=(f"token accuracy on the longest sources: plain {s['plain_long_tok']:.3f} vs attention "
              f"{s['attn_long_tok']:.3f} (short {s['short_lengths'][0]}–{s['short_lengths'][1]}: "
              f"{s['plain_short_tok']:.3f} vs {s['attn_short_tok']:.3f}); sentence accuracy "
              f"{s['plain_long_seq']:.3f} vs {s['attn_long_seq']:.3f}; toy reordering task, not WMT")))
    return out
