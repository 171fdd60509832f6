"""Chapter 16 on screen: the walked answer, the group, the update and the accuracy are the trace's.

``TokenAsTrajectory`` is dry-run at the defaults and with a smaller run on another showcase prompt
(``CHANGED``: a few seconds to compute); every expected string is built here from the trace of that same
run with the kit formatters the scene uses, and the changed run must not show the default run's numbers.
``TwoLines`` has no parameters; it is dry-run on the default rows and on an edited copy of its trace.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.checks.ch16 import BOOK_R1_ZERO
from pipeline.dryrun import dry_run
from pipeline.registry import resolve_targets
from scenes.ch16_rl_llm import answer_string, pct, sequence_prob, token_text
from scenes.kit.numbers import fixed, plain, signed
from screenlog import Screen, media_dir, screen
from sims import timeline
from sims.trace import Trace

CHANGED = ("grpo.sft_steps=300", "grpo.rl_steps=30", "grpo.eval_every=5", "grpo.show_a=47", "grpo.show_b=36")
pytestmark = pytest.mark.slow  # the default GRPO trace takes ~20 s to compute (once per session)


def shown(changed: bool) -> Screen:
    return screen("ch16.TokenAsTrajectory", *(CHANGED if changed else ()))


def walked(t: Trace) -> int:
    """The sample the scene walks: the first right one, else the first."""
    right = np.flatnonzero(t["show_reward"] > 0)
    return int(right[0]) if len(right) else 0


@pytest.mark.parametrize("changed", [False, True])
def test_the_walked_answer_is_the_recorded_sample(changed):
    s = shown(changed)
    t = s.trace()
    vocab = [str(v) for v in t["vocab"]]
    prompt = "".join(vocab[k] for k in t["show_prompt"])
    assert prompt == ("47+36=" if changed else "23+58=")
    assert s.shows(f"提示 {prompt} 就是初始状态")
    k = walked(t)
    tokens, mask = t["show_tokens"][k], t["show_mask"][k]
    for step in range(int(mask.sum())):
        token = int(tokens[step])
        p = t["show_dist_before"][k, step, token]
        assert s.shows(f"a{step + 1} = {token_text(vocab[token])}   π = {fixed(p, 3)}"), step
        assert s.shows(fixed(p, 2))  # the number over the chosen bar
    answer = answer_string(tokens, mask, vocab)
    r = t["show_reward"][k]
    assert s.shows(f"验证器：{prompt}{answer}  {'对' if r > 0 else '错'}")
    assert s.shows(rf"R(\tau)={plain(r)}")


@pytest.mark.parametrize("changed", [False, True])
def test_the_group_its_advantages_and_the_update_are_the_recorded_ones(changed):
    s = shown(changed)
    t = s.trace()
    G = int(t.meta["params"]["group"])
    r, adv, mask = t["show_reward"], t["show_adv"], t["show_mask"]
    assert s.shows(f"采样 G = {G} 个答案")
    assert s.shows(f"GRPO 第 {int(t.metrics['show_step']) + 1} 步")
    assert s.shows(f"mean = {fixed(r.mean(), 3)}   std = {fixed(r.std(), 3)}")
    before, after = sequence_prob(t["show_p_before"], mask), sequence_prob(t["show_p_after"], mask)
    shown_adv = [x for x in s.texts() if x in {signed(a, 2) for a in adv}]
    assert len(shown_adv) == min(G, 8)
    for i in range(min(G, 8)):
        per_token = " · ".join(fixed(t["show_p_before"][i, j], 2) for j in range(int(mask[i].sum())))
        assert s.shows(per_token), i
        assert s.shows(fixed(before[i], 3)) and s.shows(fixed(after[i], 3)), i
    assert s.shows(rf"1\pm{plain(t.meta['params']['clip'])}")
    w = int(np.argmax(np.where(r == 0, before, -1)))  # the likeliest wrong answer, named in the caption
    if (r == 0).any() and w < 8:
        assert s.shows(f"{fixed(before[w], 3)} → {fixed(after[w], 3)}")
    margin = t["dpo_margin"]
    assert s.shows(f"隐式奖励差 {fixed(margin[0], 3)} → {fixed(margin[1], 3)}")


@pytest.mark.parametrize("changed", [False, True])
def test_the_accuracy_of_the_run_and_the_books_numbers(changed):
    s = shown(changed)
    m = s.trace().metrics
    assert s.shows(f"从 {pct(m['sft_accuracy'])} 推到 {pct(m['final_accuracy'])}")
    assert s.shows(f"{pct(m['sft_accuracy'])} → {pct(m['final_accuracy'])}")
    assert s.shows(f"KL(π‖π_ref) = {fixed(m['final_kl'], 3)}")
    assert s.shows(f"{pct(BOOK_R1_ZERO['before'])} → {pct(BOOK_R1_ZERO['after'])}")  # labelled as the book's
    t = s.trace()
    p_right = t["show_p_right"]
    assert s.shows(f"|{'47+36=' if changed else '23+58='})：{fixed(p_right[0], 3)} → {fixed(p_right[-1], 3)}")


def test_the_changed_run_shows_none_of_the_default_runs_numbers():
    default, changed = shown(False), shown(True)
    assert not changed.shows("23+58=")
    d, c = default.trace().metrics, changed.trace().metrics
    if pct(d["final_accuracy"]) != pct(c["final_accuracy"]):
        assert not changed.shows(f"推到 {pct(d['final_accuracy'])}")
    stale = [x for x in default.texts() if x.startswith("a1 = ") and x not in changed.texts()]
    assert stale and not any(changed.shows(x) for x in stale)


# --- TwoLines -------------------------------------------------------------------------------------------------------
def test_two_lines_shows_every_row_of_the_trace():
    s = screen("ch16.TwoLines")
    t = s.trace()
    texts = set(s.texts())
    for year_text, label, line in zip(t["year_text"], t["label"], t["line"]):
        assert str(year_text) in texts or any(str(year_text) in x for x in texts), year_text
        assert any(str(label) in x for x in texts), label
    for key, name in zip(t["line_key"], t["line_name"]):
        assert s.shows(str(name)), key
    assert s.shows(f"{t.metrics['first_merge_year']} 年起两条线汇到一处")


def test_two_lines_follows_edited_rows(tmp_path):
    t = timeline.run(timeline.Params())
    t.arrays["label"] = t["label"].copy()
    t.arrays["year"], t.arrays["year_text"] = t["year"].copy(), t["year_text"].copy()
    ppo = int(np.flatnonzero(t["label"] == "PPO")[0])
    t.arrays["label"][ppo] = "近端策略优化"
    merge = np.flatnonzero(t["line"] == "M")
    t.arrays["year"][merge[0]], t.arrays["year_text"][merge[0]] = 2016, "2016"
    npz = tmp_path / "timeline.npz"
    np.savez(npz, **t.arrays)
    npz.with_suffix(".json").write_text(json.dumps({"metrics": {**t.metrics, "first_merge_year": 2016},
                                                    "params": {}}), encoding="utf-8")
    (entry,) = resolve_targets(["ch16.TwoLines"], ("scene",))
    log = dry_run(entry.path, entry.name, {"timeline.default": npz}, media=media_dir())
    texts = [e["text"] for e in log["entries"]]
    assert any("近端策略优化" in x for x in texts) and not any("PPO" in x for x in texts)
    assert any("2016 年起两条线汇到一处" in x for x in texts)
    assert not any("2017 年起" in x for x in texts)
