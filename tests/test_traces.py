"""The trace store: keys, reuse, recomputation of damaged files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.errors import UsageError
from pipeline.traces import TraceSpec, TraceStore, discover_sims, parse_overrides, sim_info


def test_second_ensure_is_a_cache_hit(out):
    store = TraceStore()
    first = store.ensure(TraceSpec("perceptron", "and"))
    second = store.ensure(TraceSpec("perceptron", "and"))
    assert not first.cached and second.cached and first.key == second.key
    meta = json.loads(first.path.with_suffix(".json").read_text())
    assert meta["metrics"]["mistakes"] == 11 and meta["seed"] == 0 and meta["params"]["gate"] == "AND"
    assert meta["versions"]["numpy"] == np.__version__


def test_key_depends_on_overrides_seed_and_variant():
    base = TraceSpec("perceptron", "and")
    keys = {base.key(), TraceSpec("perceptron", "and", (("lr", 0.5),)).key(),
            TraceSpec("perceptron", "and", seed=7).key(), TraceSpec("perceptron", "or").key()}
    assert len(keys) == 4
    assert base.key() == TraceSpec("perceptron", "and").key()


def test_truncated_npz_is_detected_and_rebuilt(out):
    store = TraceStore()
    result = store.ensure(TraceSpec("perceptron", "xor"))
    data = result.path.read_bytes()
    result.path.write_bytes(data[: len(data) // 2])
    assert not store.is_cached(TraceSpec("perceptron", "xor"))
    again = store.ensure(TraceSpec("perceptron", "xor"))
    assert not again.cached
    assert store.load(TraceSpec("perceptron", "xor")).metrics["mistakes"] == 398


def test_corrupted_metadata_is_rebuilt(out):
    store = TraceStore()
    result = store.ensure(TraceSpec("perceptron", "or"))
    result.path.with_suffix(".json").write_text("{not json")
    assert not store.ensure(TraceSpec("perceptron", "or")).cached


def test_override_changes_the_result(out):
    """An override reaches the computation: the stored arrays change exactly as the parameter implies."""
    store = TraceStore()
    base_spec, half_spec = TraceSpec("perceptron", "and"), TraceSpec("perceptron", "and", (("lr", 0.5),))
    meta = store.ensure(half_spec).meta
    assert meta["params"]["lr"] == 0.5 and meta["overrides"] == {"lr": 0.5}
    store.ensure(base_spec)
    base, half = store.load(base_spec), store.load(half_spec)
    # zero init and a ≥ 0 threshold: halving η halves every weight and bias but keeps every decision
    assert not np.array_equal(half["update_w"], base["update_w"])
    np.testing.assert_array_equal(half["update_w"], 0.5 * base["update_w"])
    np.testing.assert_array_equal(half["update_b"], 0.5 * base["update_b"])
    np.testing.assert_array_equal(half["final_w"], 0.5 * base["final_w"])
    np.testing.assert_array_equal(half["update_sample"], base["update_sample"])
    assert half.metrics["mistakes"] == base.metrics["mistakes"] == 11
    assert half.metrics["w"] == [0.5 * v for v in base.metrics["w"]] and half.metrics["b"] == 0.5 * base.metrics["b"]

    # XOR never converges: capping the epochs cuts the run to that many epochs and fewer mistakes
    xor, short = TraceSpec("perceptron", "xor"), TraceSpec("perceptron", "xor", (("max_epochs", 10),))
    store.ensure(xor), store.ensure(short)
    full, capped = store.load(xor), store.load(short)
    assert full.metrics["epochs"] == 100 and capped.metrics["epochs"] == 10
    assert not capped.metrics["converged"] and 0 < capped.metrics["mistakes"] < full.metrics["mistakes"] == 398
    np.testing.assert_array_equal(capped["epoch_mistakes"], full["epoch_mistakes"][:10])
    n = capped.metrics["mistakes"]
    np.testing.assert_array_equal(capped["update_w"], full["update_w"][:n])


def test_parse_overrides_validates():
    info = sim_info("perceptron")
    assert parse_overrides(info, ["lr=0.5", "max_epochs=3"]) == {"lr": 0.5, "max_epochs": 3}
    with pytest.raises(UsageError, match="no parameter 'lrr'.*lr"):
        parse_overrides(info, ["lrr=1"])
    with pytest.raises(UsageError, match="not an integer"):
        parse_overrides(info, ["max_epochs=many"])
    with pytest.raises(UsageError, match="KEY=VALUE"):
        parse_overrides(info, ["lr"])


def test_invalid_value_is_a_usage_error(out):
    with pytest.raises(UsageError, match="gate"):
        TraceStore().ensure(TraceSpec("perceptron", "and", (("gate", "NAND"),)))


def test_every_sim_follows_the_contract():
    for info in discover_sims().values():
        module = info.module()
        assert info.variants, info.name
        for variant, overrides in module.VARIANTS.items():
            module.Params(**overrides)  # every preset is valid
        assert "manim" not in (info.path.read_text())


def test_a_sim_edited_after_it_was_loaded_stores_nothing(out, monkeypatch):
    """A long ``reel sims a b`` loads every sim up front: if one is edited meanwhile, its trace would be the old
    code's output under the new source's key. The store refuses to write it."""
    from pipeline import traces
    from pipeline.errors import ComputeError

    spec = TraceSpec("perceptron", "and", (("lr", 0.25),))
    sim_info("perceptron").module()  # loaded now: its sources are noted
    monkeypatch.setitem(traces._LOADED_SOURCES, "perceptron", [("sims/perceptron.py", "an older version")])
    store = TraceStore()
    with pytest.raises(ComputeError, match="changed after this process loaded it"):
        store.ensure(spec)
    assert not store.is_cached(spec)
