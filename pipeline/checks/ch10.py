"""Chapter 10 (预训练): no printed numbers (BOOK_SPEC §10.4); the chapter's stated rules, measured in our runs."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 10
TRACES = ["pretrain.default"]

BOOK_MASK_SHARE = 0.15  # "随机遮住输入里约 15% 的词" (BOOK_SPEC §10.2, D10.2 "遮15%")
# BERT's 80/10/10 replace rule: a spec addition (BOOK_SPEC §10.3), the book names only [MASK]
RULE_SHARES = {"kept": 0.1, "[MASK]": 0.8, "random": 0.1}
# BOOK_SPEC §10.5, D10.1: the two models' origins as the book states them
BOOK_FACTS = {"gpt": "GPT (2018, OpenAI)", "bert": "BERT (2018, Google)"}


def rows(traces: dict[str, Trace]) -> list[Row]:
    m = traces["pretrain.default"].metrics
    shares = m["mask_rule_shares"] or [None] * 3
    out = [compare("R10.P1", CHAPTER, "BERT: share of positions selected in training", BOOK_MASK_SHARE,
                   round(m["masked_share"], 3) if m["masked_share"] is not None else None, tol=0.01,
                   note="measured over every training batch")]
    for name, share in zip(("kept", "[MASK]", "random"), shares):
        out.append(compare(f"R10.P{2 + list(RULE_SHARES).index(name)}", CHAPTER,
                           f"BERT: selected positions {name} (80/10/10, spec addition)", RULE_SHARES[name],
                           round(share, 3) if share is not None else None, tol=0.01))
    out.append(compare("R10.P5", CHAPTER, "GPT loss below the uniform baseline ln V", True,
                       m["gpt_final_loss"] < 0.5 * m["uniform_loss"],
                       note=f"{m['gpt_final_loss']:.3f} vs ln V = {m['uniform_loss']:.3f}; "
                            f"the grammar's floor is {m['gpt_entropy_floor']:.3f}"))
    out.append(compare("R10.P6", CHAPTER, "BERT loss below the uniform baseline ln V", True,
                       m["bert_final_loss"] < 0.5 * m["uniform_loss"],
                       note=f"{m['bert_final_loss']:.3f} vs ln V = {m['uniform_loss']:.3f}"))
    return out
