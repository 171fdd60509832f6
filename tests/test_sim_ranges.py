"""Every sim parameter has a declared valid range or choice set, checked before any work starts (issue 8).

Fast: nothing here trains. ``RANGES`` is read from each sim's source as the pipeline reads it
(a literal, no import); cross-parameter rules live in each sim's ``Params.__post_init__``.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib

import pytest

from conftest import reel
from pipeline.errors import UsageError
from pipeline.traces import check_range, cuda_present, discover_sims, parse_interval

SIMS = sorted(discover_sims())
EXPECTED_SIMS = {"perceptron", "backprop", "convolution", "recurrent", "gridworld", "dqn_grid", "dqn", "ppo",
                 "reinforce", "mcts", "selfplay", "enablers", "depth_gradients", "batchnorm", "optimizers",
                 "scaling_table", "scaling_sweep", "rlhf", "self_attention", "positional", "pretrain",
                 "word2vec", "seq2seq", "additive_attention",
                 "alexnet_shapes", "sobel_filters", "feature_maps", "grpo", "timeline"}


def declared_ranges(sim: str) -> dict:
    """The module-level ``RANGES`` literal, read from the source without importing it."""
    tree = ast.parse(discover_sims()[sim].path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["RANGES"]:
            return ast.literal_eval(node.value)
    raise AssertionError(f"sims/{sim}.py declares no RANGES literal")


def params_class(sim: str) -> type:
    return importlib.import_module(f"sims.{sim}").Params


def test_every_sim_is_covered() -> None:
    assert EXPECTED_SIMS <= set(SIMS)


@pytest.mark.parametrize("sim", SIMS)
def test_ranges_cover_exactly_the_non_bool_params(sim: str) -> None:
    ranges = declared_ranges(sim)
    fields = {f.name: f.default for f in dataclasses.fields(params_class(sim))}
    non_bool = {name for name, default in fields.items() if not isinstance(default, bool)}
    assert set(ranges) - set(fields) == set(), f"{sim}: RANGES names unknown parameters"
    assert non_bool - set(ranges) == set(), f"{sim}: parameters without a declared range"
    assert set(ranges) <= non_bool, f"{sim}: booleans need no range"
    for name, allowed in ranges.items():
        if isinstance(allowed, str):
            low, high, _, _ = parse_interval(allowed)
            assert low <= high, f"{sim}.{name}: empty interval {allowed}"
        else:
            assert isinstance(allowed, (set, frozenset, list, tuple)) and allowed, f"{sim}.{name}: {allowed!r}"
            assert all(isinstance(choice, type(fields[name])) for choice in allowed), f"{sim}.{name}"


@pytest.mark.parametrize("sim", SIMS)
def test_defaults_and_variants_lie_inside_their_ranges(sim: str) -> None:
    module = importlib.import_module(f"sims.{sim}")
    ranges = declared_ranges(sim)
    assert module.RANGES == ranges  # the literal the pipeline reads is the module's own
    for variant, overrides in module.VARIANTS.items():
        params = dataclasses.replace(module.Params(), **overrides)
        for name, allowed in ranges.items():
            try:
                check_range(f"{sim}.{name}", getattr(params, name), allowed)
            except UsageError as exc:
                raise AssertionError(f"variant {variant!r}: {exc}") from None


@pytest.mark.parametrize("sim", [s for s in SIMS if "device" in {f.name for f in dataclasses.fields(params_class(s))}])
def test_torch_sims_offer_the_devices_pick_device_knows(sim: str) -> None:
    assert set(declared_ranges(sim)["device"]) == {"auto", "cpu", "cuda"}


# Cross-parameter rules: (sim, overrides that break one, the parameter names its message must give).
CROSS_CHECKS = [
    ("convolution", {"pool": 5}, ["pool", "height", "width"]),  # a 6×6 image has a 4×4 feature map
    ("convolution", {"edge_col": 5, "shift": 2}, ["edge_col", "shift", "width"]),
    ("convolution", {"edge_col": 7, "shift": -2}, ["edge_col", "width"]),
    ("backprop", {"log_every": 1}, ["log_every", "epochs"]),
    ("mcts", {"target": 2}, ["max_add", "target"]),
    ("mcts", {"n_sims": 10}, ["n_record", "n_sims"]),
    ("reinforce", {"max_steps": 5}, ["max_steps", "length"]),
    ("dqn_grid", {"episodes": 5}, ["episodes", "max_steps", "batch", "log_every"]),
    ("dqn_grid", {"buffer_size": 16}, ["buffer_size", "batch"]),
    ("dqn", {"total_steps": 1000}, ["total_steps", "learning_starts", "train_every"]),
    ("dqn", {"buffer_size": 64}, ["batch_size", "buffer_size"]),
    ("batchnorm", {"probe_layer": 9}, ["probe_layer", "hidden_layers"]),
    ("batchnorm", {"batch": 2000}, ["batch", "points"]),
    ("enablers", {"warmup": 199}, ["warmup", "adam_steps"]),
    ("optimizers", {"sgd_lr_min": 0.1}, ["sgd_lr_min", "sgd_lr_max"]),
    ("self_attention", {"d_model": 10, "n_heads": 4}, ["d_model", "n_heads"]),
    ("positional", {"length": 8, "max_offset": 8}, ["max_offset", "length"]),
    ("pretrain", {"d_model": 30, "n_heads": 4}, ["d_model", "n_heads"]),
    ("seq2seq", {"min_len": 9, "max_len": 8}, ["min_len", "max_len"]),
    ("seq2seq", {"p_pair": 0.8, "p_noun": 0.3}, ["p_pair", "p_noun"]),
    ("seq2seq", {"checkpoints": 5, "steps": 3}, ["checkpoints", "steps"]),
    ("additive_attention", {"near_key": 5}, ["near_key", "n_keys"]),
    ("feature_maps", {"crop": 30}, ["crop", "stages"]),
    ("sobel_filters", {"active": 9}, ["active", "n_filters"]),
]


@pytest.mark.parametrize("sim, overrides, names", CROSS_CHECKS, ids=[f"{c[0]}-{'-'.join(c[1])}" for c in CROSS_CHECKS])
def test_cross_parameter_rules_raise_value_error_naming_both(sim: str, overrides: dict, names: list[str]) -> None:
    ranges = declared_ranges(sim)
    for name, value in overrides.items():  # each value alone is in range: only the combination is wrong
        check_range(f"{sim}.{name}", value, ranges[name])
    with pytest.raises(ValueError) as info:
        params_class(sim)(**overrides)
    for name in names:
        assert name in str(info.value)


# --- through the CLI: exit 2, one line, before any work ---------------------------------------------


def assert_one_line_exit_2(proc, *expected: str) -> str:
    assert proc.returncode == 2, proc.stderr
    line = proc.stderr.strip()
    assert len(line.splitlines()) == 1, proc.stderr
    assert "Traceback" not in line and "AssertionError" not in line
    for text in expected:
        assert text in line, line
    return line


def test_out_of_range_value_exits_2_before_any_work(out) -> None:
    proc = reel("sims", "perceptron", "--set", "lr=-1")
    assert_one_line_exit_2(proc, "perceptron.lr", "(0, inf)")
    assert not (out / "cache" / "traces").exists()


def test_probability_out_of_range_exits_2(out) -> None:
    assert_one_line_exit_2(reel("sims", "ppo", "--set", "gamma=2"), "ppo.gamma", "[0, 1]")
    assert not (out / "cache" / "traces").exists()


def test_unknown_choice_exits_2_naming_the_choices(out) -> None:
    assert_one_line_exit_2(reel("sims", "ppo", "--set", "device=tpu"), "ppo.device", "auto, cpu, cuda")
    assert not (out / "cache" / "traces").exists()


@pytest.mark.skipif(cuda_present(), reason="this machine has CUDA: --device cuda would train")
def test_device_cuda_without_cuda_exits_2_with_a_clear_line(out) -> None:
    assert_one_line_exit_2(reel("sims", "ppo", "--device", "cuda"), "ppo.device=cuda", "no CUDA")
    assert not (out / "cache" / "traces").exists()


def test_cross_parameter_check_in_post_init_exits_2(out) -> None:
    proc = reel("sims", "convolution", "--set", "pool=5")
    assert_one_line_exit_2(proc, "bad parameters for convolution.default", "pool=5", "height", "width")
    assert not list((out / "cache" / "traces").glob("*/*.npz"))  # nothing computed
