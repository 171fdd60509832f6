"""Chapter 16 sims: GRPO on a tiny adding language model (sims/grpo.py) and the TwoLines rows (sims/timeline.py).

The default GRPO trace (~20 s on one idle thread) comes from the dry-run store that tests/test_screen_ch16.py
uses too, so the whole chapter computes it once; the determinism test runs a few-step budget twice.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest
import torch

from conftest import reel
from pipeline.checks import ch16
from screenlog import stored
from sims import grpo, timeline
from sims.trace import Trace

TINY = dict(sft_steps=30, rl_steps=3, eval_prompts=50, prompts_per_step=4, group=4, eval_every=5, device="cpu")




@pytest.fixture(scope="module")
def default() -> Trace:
    return stored("grpo.default")


# --- contract ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mod", [grpo, timeline])
def test_contract(mod) -> None:
    tree = ast.parse(inspect.getsource(mod))
    assigns = {n.targets[0].id: n.value for n in tree.body
               if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert ast.literal_eval(assigns["VARIANTS"]) == mod.VARIANTS
    assert isinstance(ast.literal_eval(assigns["RANGES"]), dict)
    assert isinstance(assigns["SEED"], ast.Constant) and isinstance(assigns["SEED"].value, int)
    assert dataclasses.is_dataclass(mod.Params) and mod.Params.__dataclass_params__.frozen
    assert "manim" not in inspect.getsource(mod)


@pytest.mark.slow  # three CLI runs, each importing torch
def test_bad_values_exit_2_naming_the_parameter() -> None:
    out = reel("sims", "grpo", "--set", "group=1")
    assert out.returncode == 2 and "grpo.group" in out.stderr
    out = reel("sims", "grpo", "--set", "clip=1.5")
    assert out.returncode == 2 and "grpo.clip" in out.stderr
    out = reel("sims", "grpo", "--set", "show_a=5")  # a one-digit operand for two-digit prompts (Params rule)
    assert out.returncode == 2 and "show_a" in out.stderr
    with pytest.raises(ValueError, match="eval_prompts"):
        grpo.Params(digits=1, eval_prompts=60, show_a=2, show_b=3)


# --- the pieces of GRPO --------------------------------------------------------------------------------------------
def test_group_advantages_have_mean_zero_in_every_group() -> None:
    rewards = torch.tensor([[1.0, 0, 0, 1, 1, 0, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 0]])
    adv = grpo.group_advantages(rewards)
    torch.testing.assert_close(adv.mean(1), torch.zeros(3), atol=1e-6, rtol=0)
    assert torch.all(adv[1] == 0)  # all wrong: nothing to prefer
    r = rewards[0]
    torch.testing.assert_close(adv[0], (r - r.mean()) / (r.std(unbiased=False) + grpo.ADV_EPS))
    assert torch.all((adv > 0) == (rewards > rewards.mean(1, keepdim=True)))


def test_clipped_objective_equals_the_plain_one_at_ratio_one() -> None:
    adv = torch.tensor([1.3, -0.7, 0.0, 2.0])
    ratio = torch.ones(4, requires_grad=True)
    clipped = grpo.clipped_objective(ratio, adv, 0.2)
    torch.testing.assert_close(clipped, ratio * adv)
    clipped.sum().backward()
    torch.testing.assert_close(ratio.grad, adv)  # the same gradient too: ρ = 1 is inside the trust region
    # away from 1 it is the pessimistic bound: clipped where the ratio moved too far in the advantage's favour
    far = grpo.clipped_objective(torch.tensor([1.5, 0.5]), torch.tensor([1.0, -1.0]), 0.2)
    torch.testing.assert_close(far, torch.tensor([1.2, -0.8]))


def test_the_verifier_wants_the_digits_and_the_end_token() -> None:
    E = grpo.EOS
    tokens = np.array([[8, 1, E, E], [8, 1, 1, E], [8, 2, E, E], [0, 8, 1, E], [8, 1, E, 3]])
    assert list(grpo.verify(tokens, np.full(5, 81))) == [1, 0, 0, 0, 1]  # after the end token nothing counts


def test_the_trace_records_a_consistent_group(default) -> None:
    r, adv, mask = default["show_reward"], default["show_adv"], default["show_mask"]
    assert len(r) == default.meta["params"]["group"] and abs(adv.mean()) < 1e-6
    np.testing.assert_allclose(adv, (r - r.mean()) / (r.std() + grpo.ADV_EPS), rtol=1e-5)
    assert 0 < r.mean() < 1  # the recorded step is one whose group has right and wrong answers
    answers = default["show_tokens"]
    np.testing.assert_array_equal(grpo.verify(answers, np.full(len(r), 23 + 58)), r)
    for name in ("show_p_before", "show_p_after"):  # the per-token probabilities are the distributions' entries
        dist = default[name.replace("_p_", "_dist_")]
        np.testing.assert_allclose(np.take_along_axis(dist, answers[..., None], -1)[..., 0], default[name], rtol=1e-6)
    assert np.all(mask.sum(1) >= 1)
    np.testing.assert_allclose(default["show_dist_before"].sum(-1), 1, atol=1e-5)
    np.testing.assert_array_equal(default["rl_surr_clipped"], default["rl_surr_plain"])  # first inner epoch: ρ = 1


@pytest.mark.slow
def test_grpo_raises_held_out_accuracy_clearly_above_the_supervised_start(default) -> None:
    m = default.metrics
    sft = default.meta["params"]["sft_steps"]
    steps, acc = default["curve_step"], default["curve_acc"]
    assert acc[list(steps).index(sft)] == m["sft_accuracy"]
    assert 0.3 < m["sft_accuracy"] < 0.75  # honestly imperfect
    assert m["final_accuracy"] >= m["sft_accuracy"] + 0.12
    assert acc[steps > sft].min() > m["sft_accuracy"] - 0.05  # RL does not collapse on the way
    assert m["last_reward"] > m["first_reward"]
    assert 0 < m["final_kl"] < 1.0  # it moved away from the reference, held by the KL term
    assert default["show_p_right"][-1] > default["show_p_right"][0]


def test_dpo_step_opens_the_margin(default) -> None:
    margin, loss = default["dpo_margin"], default["dpo_loss"]
    assert margin[0] == 0 and margin[1] > 0  # π = π_ref before the step
    assert loss[0] == pytest.approx(np.log(2)) and loss[1] < loss[0]
    w, lose = default["dpo_pair"]
    assert default["show_reward"][w] == 1 and default["show_reward"][lose] == 0


def test_same_seed_same_trace_and_another_seed_differs() -> None:
    a, b = grpo.run(grpo.Params(**TINY), seed=3), grpo.run(grpo.Params(**TINY), seed=3)
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    c = grpo.run(grpo.Params(**TINY), seed=4)
    assert not np.array_equal(a["rl_reward"], c["rl_reward"]) or not np.array_equal(a["sft_loss"], c["sft_loss"])


# --- the timeline and the check rows -----------------------------------------------------------------------------
def test_timeline_rows_are_the_books() -> None:
    t = timeline.run(timeline.Params())
    assert t.metrics == {"line_a_milestones": 13, "line_b_milestones": 15, "merge_milestones": 6,
                         "first_merge_year": 2017}
    assert set(t["line"]) == {"A", "B", "M"} and list(t["line_key"]) == ["A", "B", "M"]
    for key in ("A", "B", "M"):
        years = t["year"][t["line"] == key]
        assert list(years) == sorted(years), key
    assert "DeepSeek-R1" in set(t["label"]) and "RLHF / DPO / RLVR" in set(t["line_name"])


@pytest.mark.slow
def test_check_rows(default) -> None:
    rows = {r.id: r for r in ch16.rows({"timeline.default": timeline.run(timeline.Params()), "grpo.default": default})}
    assert [rows[f"R16.T{i}"].status for i in (1, 2, 3)] == ["equal"] * 3
    assert rows["R16.1"].status == "not_reproducible" and "15.6%" in rows["R16.1"].book
    bad = timeline.run(timeline.Params())
    bad.arrays["year_text"] = bad["year_text"].copy()
    bad.arrays["year_text"][0] = "1944"
    assert ch16.rows({"timeline.default": bad, "grpo.default": default})[0].status == "different"
