"""Chapter 5 sims: AlexNet's layer table and parameter count, learned filters vs Sobel, the CNN's feature maps.

The default traces come from the dry-run store (``screenlog.STORE``), so the screen tests reuse them
instead of training a second time; determinism is checked on small runs.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest

from conftest import reel
from pipeline.checks import ch05
from screenlog import stored
from sims import alexnet_shapes, feature_maps, sobel_filters
from sims.trace import Trace

SIMS = [alexnet_shapes, sobel_filters, feature_maps]




@pytest.mark.parametrize("mod", SIMS)
def test_contract(mod) -> None:
    tree = ast.parse(inspect.getsource(mod))
    assigns = {n.targets[0].id: n.value for n in tree.body
               if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)}
    assert ast.literal_eval(assigns["VARIANTS"]) == mod.VARIANTS and "default" in mod.VARIANTS
    assert isinstance(assigns["SEED"], ast.Constant) and isinstance(assigns["SEED"].value, int)
    assert dataclasses.is_dataclass(mod.Params) and mod.Params.__dataclass_params__.frozen
    assert "manim" not in inspect.getsource(mod)


# --- AlexNet ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def alex() -> Trace:
    return stored("alexnet_shapes.default")


def test_alexnet_parameter_count_is_about_60_million(alex) -> None:
    m = alex.metrics
    assert m["total_params"] == 60_965_224  # the paper's net with conv2/4/5 split over two GPUs
    assert abs(m["total_params"] - ch05.BOOK_PARAMS) < 0.05 * ch05.BOOK_PARAMS
    assert m["total_params"] == int(alex["layer_params"].sum())
    assert abs(m["neurons"] - ch05.BOOK_NEURONS) < 0.02 * ch05.BOOK_NEURONS
    assert (m["conv_layers"], m["fc_layers"]) == ch05.BOOK_CONV_FC


def test_alexnet_layer_table_matches_book_spec(alex) -> None:
    names = [str(n) for n in alex["layer_names"]]
    assert names == [*ch05.BOOK_TABLE, *ch05.BOOK_FC]
    for layer, (h, w, c, rf) in ch05.BOOK_TABLE.items():
        i = names.index(layer)
        got = tuple(int(alex[k][i]) for k in ("out_h", "out_w", "out_c", "receptive_field"))
        assert got == (h, w, c, rf), layer
    assert [int(alex["out_c"][names.index(f)]) for f in ch05.BOOK_FC] == list(ch05.BOOK_FC.values())
    assert alex.metrics["flatten_width"] == ch05.BOOK_FLATTEN


def test_alexnet_shapes_follow_the_input_size() -> None:
    """The smallest input leaves pool5 1×1, so fc6 (a LazyLinear) gets 256 inputs; one GPU has no grouping."""
    t = alexnet_shapes.run(alexnet_shapes.Params(input_size=67, classes=10, groups=1, device="cpu"))
    names = [str(n) for n in t["layer_names"]]
    assert int(t["out_h"][names.index("pool5")]) == 1 and t.metrics["flatten_width"] == 256
    assert int(t["layer_params"][names.index("fc6")]) == 256 * 4096 + 4096
    conv2 = names.index("conv2")
    assert int(t["layer_params"][conv2]) == 5 * 5 * 96 * 256 + 256  # ungrouped: twice the paper's conv2 weights


# --- learned filters ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filters() -> Trace:
    return stored("sobel_filters.default")


def test_learned_filters_are_far_more_sobel_like_than_random(filters) -> None:
    m = filters.metrics
    assert m["mean_cos"] > m["mean_cos_random"] + 0.25, m
    assert m["mean_cos"] > m["mean_cos_init"] + 0.25, m
    assert m["share_above_random_p95"] >= 0.25  # at least a quarter beat 95 % of random filters
    assert filters["cos"].max() > 0.9  # and the best is nearly a Sobel kernel
    assert m["loss_last"] < 0.7 * m["loss_first"]


def test_similarity_is_best_cos_over_sign_and_orientation(filters) -> None:
    sobel = filters["sobel"]
    np.testing.assert_array_equal(sobel[0], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    np.testing.assert_array_equal(sobel[1], sobel[0].T)
    for f, c, which, sign in zip(filters["filters"], filters["cos"], filters["match"], filters["match_sign"]):
        cos = [float(np.sum(f * s) / np.linalg.norm(f) / np.linalg.norm(s)) for s in sobel]
        assert c == pytest.approx(max(abs(x) for x in cos), abs=1e-6)  # float32 filters
        assert np.sign(cos[int(which)]) == sign
    # a Sobel kernel scores 1 against itself whatever its sign
    assert sobel_filters.sobel_similarity(-sobel)[0] == pytest.approx([1, 1])


SMALL_FILTERS = sobel_filters.Params(steps=40, patches_per_image=300, random_filters=200, device="cpu")


def test_sobel_filters_same_seed_same_trace() -> None:
    a, b = sobel_filters.run(SMALL_FILTERS, seed=3), sobel_filters.run(SMALL_FILTERS, seed=3)
    assert a.arrays.keys() == b.arrays.keys()
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert a.metrics == b.metrics
    c = sobel_filters.run(SMALL_FILTERS, seed=4)
    assert not np.array_equal(a["filters"], c["filters"])


# --- feature maps -------------------------------------------------------------------------------------------


SMALL_CNN = feature_maps.Params(steps=6, batch=8, test_crops=2, device="cpu")


def test_feature_maps_shrink_and_deepen_and_stay_on_screen_size() -> None:
    p = SMALL_CNN
    t = feature_maps.run(p)
    side = p.image_size
    for s in range(1, p.stages + 1):
        assert int(t["stage_h"][s - 1]) == side // 2**s == int(t["stage_w"][s - 1])
        assert int(t["stage_c"][s - 1]) == p.width * 2 ** (s - 1)
        maps = t[f"stage{s}_maps"]
        assert maps.shape[0] == p.top_channels and max(maps.shape[1:]) <= p.screen_cells
    assert list(t["stage_rf"]) == [4, 10, 22, 46]
    assert t["image"].shape == (p.screen_cells, p.screen_cells) and 0 <= t["image"].min() <= t["image"].max() <= 1
    assert t["probs"].sum() == pytest.approx(1, abs=1e-5) and len(t["class_labels"]) == 10


def test_feature_maps_same_seed_same_trace() -> None:
    a, b = feature_maps.run(SMALL_CNN, seed=1), feature_maps.run(SMALL_CNN, seed=1)
    for name in a.arrays:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert a.metrics == b.metrics


@pytest.mark.slow
def test_the_trained_cnn_sees_the_cat() -> None:
    t = stored("feature_maps.default")
    m = t.metrics
    assert m["predicted"] == "chelsea" and m["cat_prob"] > 0.5
    assert m["test_acc"] > 3 * m["chance_acc"]  # held-out crops, ten classes
    assert m["loss_last"] < 0.5 * m["loss_first"]


# --- checks and the CLI -------------------------------------------------------------------------------------


def test_reference_rows(alex, filters) -> None:
    rows = ch05.rows({"alexnet_shapes.default": alex, "sobel_filters.default": filters})
    status = {r.id: r.status for r in rows}
    assert status.pop("R05.16") == status.pop("R05.17") == "not_reproducible"
    assert set(status.values()) == {"equal"}, [r for r in rows if r.status == "different"]
    assert len(rows) == 17


@pytest.mark.parametrize("sim, setting, name", [
    ("feature_maps", "crop=30", "crop"),  # a cross-parameter rule (Params.__post_init__)
    ("alexnet_shapes", "groups=3", "groups"),  # outside RANGES
])
def test_bad_set_exits_2(sim, setting, name) -> None:
    proc = reel("sims", sim, "--set", setting)
    assert proc.returncode == 2, proc.stderr
    assert name in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
