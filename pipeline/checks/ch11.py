"""Chapter 11 (规模与对齐): the printed output of ``code/11_scaling_rlhf.py`` (BOOK_SPEC §11.4)."""

from __future__ import annotations

from pipeline.checks import Row, compare
from sims.trace import Trace

CHAPTER = 11
TRACES = ["scaling_table.default"]

# the printed loss table (R11.1–R11.4), three decimals
BOOK_TABLE = [("R11.1", 1e6, 5.706), ("R11.2", 1e8, 4.520), ("R11.3", 1e10, 3.684), ("R11.4", 1e11, 3.364)]
BOOK_COMPUTE = 1e22  # "C=1e+22 FLOPs"
BOOK_N_OPT, BOOK_D_OPT = 4.08e10, 4.08e10  # R11.5, R11.6 as printed
BOOK_TOKENS_PER_PARAM = 20  # the header's "约 20 tokens/参数"
# R11.7–R11.9: (r of the better answer, r of the worse, printed P)
BOOK_PREFS = [("R11.7", 2.0, 1.0, 0.731), ("R11.8", 3.0, -1.0, 0.982), ("R11.9", 1.0, 1.0, 0.500)]

# Facts the chapter states (BOOK_SPEC §11.4–11.5); scenes and the figure may show them, labelled as the book's.
BOOK_FACTS = {
    "alpha_n": 0.076,  # "约 0.076"
    "kaplan_split": (73, 27),  # "约 73% 算力给参数、27% 给数据": in Kaplan these are exponents 0.73 / 0.27 (⚠2)
    "chinchilla_split": (50, 50),  # "大致是 50/50 分配": exponents 0.5 / 0.5 (⚠2)
    "gpt3": (175e9, 300e9),  # parameters, tokens
    "chinchilla": (70e9, 1.4e12),
    "aligned_small": 1.3e9,  # InstructGPT's 1.3B model, preferred to the 175B GPT-3
}

TABLE_NOTE = "N_c = 8.8e13 (Kaplan's value) and L∞ = 1.69 are not stated in the book; they reproduce the table"


def rows(traces: dict[str, Trace]) -> list[Row]:
    t = traces["scaling_table.default"]
    out = []
    sizes = [float(n) for n in t["table_n"]]
    for id, n, book in BOOK_TABLE:
        value = float(t["table_loss"][sizes.index(n)])
        note = TABLE_NOTE + (f"; exact {value:.5f}" if id != "R11.4" else
                             f"; exact {value:.5f}. The comment '规模每涨10倍' is wrong: the table steps "
                             + "×, ".join(f"{s:g}" for s in t.metrics["table_steps"]) + "× (⚠3)")
        out.append(compare(id, CHAPTER, f"L(N = {n:.0e})", book, round(value, 3), tol=0.0005, note=note))

    ratios = [float(r) for r in t["ratios"]]
    n1, d1 = float(t["n_opt"][ratios.index(1.0)]), float(t["d_opt"][ratios.index(1.0)])
    n20, d20 = float(t["n_opt"][ratios.index(20.0)]), float(t["d_opt"][ratios.index(20.0)])
    clash = (f"the printed N = D is C = 6ND with D = 1·N (1 token per parameter), against its own header's "
             f"≈{BOOK_TOKENS_PER_PARAM} tokens/parameter (⚠1)")
    out += [
        compare("R11.5", CHAPTER, "N_opt at C = 1e22, D = N (as printed)", BOOK_N_OPT, float(f"{n1:.3g}"),
                tol=0.005e10, note=f"exact {n1:.4e}; {clash}"),
        compare("R11.6", CHAPTER, "D_opt at C = 1e22, D = N (as printed)", BOOK_D_OPT, float(f"{d1:.3g}"),
                tol=0.005e10, note=f"exact {d1:.4e}; {clash}"),
        compare("R11.5b", CHAPTER, "N_opt at C = 1e22 with the header's D = 20·N", BOOK_N_OPT, float(f"{n20:.3g}"),
                tol=0.005e10, note=f"√(C/120) = {n20:.4e}: what the header's 20 tokens/parameter gives; "
                                   "Chinchilla's own 70B / 1.4T is exactly 20:1"),
        compare("R11.6b", CHAPTER, "D_opt at C = 1e22 with the header's D = 20·N", BOOK_D_OPT, float(f"{d20:.3g}"),
                tol=0.005e10, note=f"20·N_opt = {d20:.4e} tokens"),
    ]
    probs = [float(v) for v in t["pref_prob"]]
    pairs = list(zip([float(v) for v in t["reward_w"]], [float(v) for v in t["reward_l"]]))
    for id, rw, rl, book in BOOK_PREFS:
        value = probs[pairs.index((rw, rl))]
        out.append(compare(id, CHAPTER, f"σ(r_w − r_l) for r = ({rw:g}, {rl:g})", book, round(value, 3),
                           tol=0.0005, note=f"exact {value:.5f}"))
    shares = "compute shares cannot be split: C ≈ 6ND is a product, not a sum"
    out += [
        compare("R11.10", CHAPTER, "Kaplan 2020: '73% 算力给参数、27% 给数据'", "73% / 27% of compute",
                "N_opt ∝ C^0.73, D_opt ∝ C^0.27", note=f"in the source these are scaling exponents; {shares} (⚠2)"),
        compare("R11.11", CHAPTER, "Chinchilla 2022: '50/50 分配'", "50% / 50% of compute",
                "N_opt ∝ C^0.5, D_opt ∝ C^0.5", note=f"exponents again: N and D grow alike with C; {shares} (⚠2)"),
    ]
    return out
