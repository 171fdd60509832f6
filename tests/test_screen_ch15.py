"""Chapter 15 on screen: the search's recorded terms, visit counts and the flywheel's losses are the run's own.

``MCTSGrowth`` is dry-run at the defaults, at ``mcts.n_sims=1000`` and at ``mcts.c=1.0`` (both recompute in
well under a second); ``SelfPlayFlywheel`` at the defaults and at ``selfplay.generations=6`` (~5 s). Every
expected value is read from the trace of that same run (the book's printed ones from ``pipeline.checks.ch15``)
and written with the kit formatter the scene uses.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from pipeline.checks.ch15 import BOOK_N, BOOK_Q
from scenes.ch15_alphago import NEAR_BOOK, generation_ticks, sv, who
from scenes.kit.numbers import fixed, plain, sig, signed
from screenlog import Screen, numbers_in, screen

MCTS = {"defaults": (), "sims1000": ("mcts.n_sims=1000",), "c1": ("mcts.c=1.0",)}
FLYWHEEL = {"defaults": (), "gen6": ("selfplay.generations=6",)}


def mcts(run: str) -> Screen:
    return screen("ch15.MCTSGrowth", *MCTS[run])


def flywheel(run: str) -> Screen:
    return screen("ch15.SelfPlayFlywheel", *FLYWHEEL[run])


def after(s: Screen, marker: str, count: int) -> list[list[str]]:
    """The ``count`` texts that follow each text reading ``marker``."""
    texts = s.texts()
    return [texts[i + 1: i + 1 + count] for i, t in enumerate(texts) if t == marker]


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


# --- MCTSGrowth ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("run", list(MCTS))
def test_formula_carries_the_runs_c(run):
    s = mcts(run)
    c = plain(s.trace("mcts.default").meta["params"]["c"])
    formulas = [x for x in s.texts("tex") if x.startswith("U=")]
    assert formulas and all(x.endswith(f"c={c}") for x in formulas), formulas
    assert c == ("1" if run == "c1" else "1.5")


@pytest.mark.parametrize("run", list(MCTS))
def test_first_simulations_show_the_recorded_selection_and_backup(run):
    s = mcts(run)
    t = s.trace("mcts.default")
    for i in range(2):
        depth = int(t["sim_depth"][i])
        for level in range(depth):
            q, u, n, p = (t[f"rec_{k}"][i, level] for k in ("q", "u", "n", "prior"))
            rows = [[f"报{j + 1}", fixed(p[j], 2), plain(n[j]), signed(q[j], 3), fixed(u[j], 3),
                     fixed(q[j] + u[j], 3)] for j in range(int(np.sum(~np.isnan(q))))]
            expected = ["走法", "P", "N", "Q", "U", "Q+U", *sum(rows, [])]
            assert expected in after(s, f"节点 {t['rec_total'][i, level]}：{who(level)}选", len(expected)), (i, level)
        value = float(t["sim_leaf_value"][i])
        assert s.shows(f"v = {sv(value)}")
        caption_with(s, f"精确解给 v = {sv(value)}")
        backup = [x for lv in reversed(range(depth)) for x in (
            f"{t['rec_total'][i, lv]}→{t['sim_leaf_total'][i] if lv == depth - 1 else t['rec_total'][i, lv + 1]}",
            sv(t["rec_backup_value"][i, lv]), plain(t["rec_after_n"][i, lv]), signed(t["rec_after_q"][i, lv], 3))]
        assert ["边", "W 加", "N", "Q", *backup] in after(s, "回传：每上一层，符号翻转", 4 + len(backup)), i


@pytest.mark.parametrize("run", list(MCTS))
def test_the_whole_run_ends_on_its_own_root_statistics(run):
    s = mcts(run)
    t = s.trace("mcts.default")
    n_sims = int(t.meta["params"]["n_sims"])
    assert n_sims == (1000 if run == "sims1000" else 4000)
    root_n, root_q = t.metrics["root_n"], t.metrics["root_q"]
    assert [int(x) for x in t["checkpoint_root_n"][-1]] == root_n
    assert s.shows(f"模拟 {n_sims} / {n_sims}")
    tail = s.texts()[s.texts().index(f"模拟 {n_sims} / {n_sims}") - 12:]
    for n, q in zip(root_n, root_q):
        assert plain(n) in tail and signed(q, 3) in tail
    caption_with(s, f"{n_sims} 次后，报1 拿到 {root_n[0]} 次，Q = {signed(root_q[0], 3)}")


@pytest.mark.parametrize("run", list(MCTS))
def test_book_and_run_side_by_side(run):
    s = mcts(run)
    t, flip = s.trace("mcts.default"), s.trace("mcts.flipped_terminal")
    table = s.texts()[s.texts().index(f"书中（{sum(BOOK_N)} 次模拟）"):]
    book = [*(plain(n) for n in BOOK_N), *(signed(q, 3) for q in BOOK_Q)]
    ours = [*(plain(n) for n in t.metrics["root_n"]), *(signed(q, 3) for q in t.metrics["root_q"])]
    flipped = [*(plain(n) for n in flip.metrics["root_n"]), *(signed(q, 3) for q in flip.metrics["root_q"])]
    headings = (f"书中（{sum(BOOK_N)} 次模拟）", f"本次运行（{t.meta['params']['n_sims']} 次）",
                "变体：报到 21 记成走子方赢")
    for heading, values in zip(headings, (book, ours, flipped)):
        assert table[table.index(heading) + 1:][:8] == ["N", *values[:3], "Q", *values[3:]], heading
    caption_with(s, f"书中 {'/'.join(map(str, BOOK_N))}，本次 {'/'.join(map(str, t.metrics['root_n']))}")
    caption_with(s, f"Q(报1)：书中 {signed(BOOK_Q[0], 3)}，本次 {signed(t.metrics['root_q'][0], 3)}")
    why = caption_with(s, "记成走子方赢")
    fq, dq = flip.metrics["root_q"][0], t.metrics["root_q"][0]
    assert signed(fq, 3) in why
    assert ("接近书中" in why) == (abs(fq - BOOK_Q[0]) < min(abs(dq - BOOK_Q[0]), NEAR_BOOK))
    if run == "defaults":
        assert "接近书中" in why  # the sign slip reproduces the book's Q(报1) (BOOK_SPEC S2 #19)


@pytest.mark.parametrize("run", list(MCTS))
def test_most_visited_line_names_only_winning_totals_when_it_says_so(run):
    s = mcts(run)
    said = caption_with(s, "先手依次报到")
    totals = [int(x) for x in numbers_in(said.split("报到")[1])]
    assert totals and totals[0] == 1
    assert ("全是必胜点" in said) == all((21 - x) % 4 == 0 for x in totals)


@pytest.mark.parametrize("run", ["sims1000", "c1"])
def test_a_changed_search_never_shows_the_default_runs_numbers(run):
    default, changed = mcts("defaults").trace("mcts.default"), mcts(run).trace("mcts.default")
    s = mcts(run)
    assert changed.metrics["root_n"] != default.metrics["root_n"]
    if run == "sims1000":
        assert not s.shows("模拟 4000") and not s.shows("4000 次后")
    assert plain(default.metrics["root_n"][0]) not in s.texts()
    assert not [x for x in s.captions() if plain(default.metrics["root_n"][0]) in x]
    if run == "c1":
        first_u = fixed(default["rec_u"][1, 0, 0], 3)  # the second simulation's U(报1) at c = 1.5
        assert first_u not in after(s, f"节点 0：{who(0)}选", 30)[1]


# --- SelfPlayFlywheel ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("run", list(FLYWHEEL))
def test_flywheel_counts_the_runs_generations(run):
    s = flywheel(run)
    t = s.trace()
    G = int(t.meta["params"]["generations"])
    assert G == len(t["policy_ce"]) == (6 if run == "gen6" else 12)
    assert s.shows(f"第 {G} / {G} 代")
    ints = [int(x) for x in s.texts("text") if re.fullmatch(r"\d+", x)]  # per chart: y labels 0 and 1, then ticks
    assert ints == ([0, 1] + generation_ticks(G)) * 2 and generation_ticks(G)[-1] == G, ints
    caption_with(s, f"{G} 代后：对随机玩家赢 {t['win_rate_vs_random'][G]:.0%}")
    caption_with(s, f"开局报 1 的概率 {fixed(t['p_best_opening'][G], 3)}")
    if run == "gen6":
        assert not [x for x in s.texts() if 12.0 in numbers_in(x) and "代" in x]


@pytest.mark.parametrize("run", list(FLYWHEEL))
def test_flywheel_shows_each_generations_losses_and_data(run):
    s = flywheel(run)
    t = s.trace()
    texts = s.texts()
    for g in range(len(t["policy_ce"])):
        for name in ("value_mse", "policy_ce", "weight_term"):
            triple = [sig(t[f"{name}_before"][g], 3), "→", sig(t[name][g], 3)]
            assert any(texts[i:i + 3] == triple for i in range(len(texts))), (g, name, triple)
        assert f"{t['positions'][g]} 个局面" in texts
    p = t.meta["params"]
    assert f"{p['games_per_gen']} 局 · 每步搜索 {p['sims_per_move']} 次" in texts
    assert f"(c = {plain(p['weight_decay'])})" in texts
    assert (t["weight_term"] > 0).all()
    caption_with(s, f"(z−v)² 从 {sig(t['value_mse_before'][0], 3)} 降到 {sig(t['value_mse'][0], 3)}")
    caption_with(s, f"第 1 代对第 0 代\n赢 {t['win_rate_vs_prev'][0]:.0%}，"
                    f"对随机玩家赢 {t['win_rate_vs_random'][1]:.0%}")
    caption_with(s, f"对随机玩家\n赢 {t['win_rate_vs_random'][0]:.0%}，"
                    f"开局报 1 的概率 {fixed(t['p_best_opening'][0], 2)}")


def test_generation_ticks_end_on_the_last_generation():
    assert generation_ticks(12) == [0, 2, 4, 6, 8, 10, 12]
    assert generation_ticks(6) == [0, 1, 2, 3, 4, 5, 6]
    assert generation_ticks(11) == [0, 2, 4, 6, 8, 11]  # 10 would crowd 11
    assert generation_ticks(1) == [0, 1]
