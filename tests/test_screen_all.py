"""Every scene and figure constructs in a dry run, and shows text; a missing trace field is named."""

from __future__ import annotations

import pytest

from screenlog import all_targets, screen


@pytest.mark.parametrize("target", all_targets())
def test_constructs_and_logs_what_it_shows(target):
    shown = screen(target)
    assert shown.log["duration_s"] > 0 or target.split(".")[1].startswith("Fig_")
    assert shown.texts(), f"{target} showed no text at all"
    times = [e["t"] for e in shown.entries]
    assert times == sorted(times) and times[0] >= 0
    for cue in shown.log["entries"]:
        if cue["kind"] == "caption":
            assert cue["end"] >= cue["t"], cue


def test_a_missing_trace_field_names_the_scene_and_the_field(tmp_path):
    from pipeline.dryrun import dry_run
    from pipeline.traces import TraceSpec, TraceStore
    from scenes.kit.base import TraceFieldError
    from screenlog import STORE, media_dir

    module = tmp_path / "reads_a_typo.py"
    module.write_text(
        "from scenes.kit.base import BookScene\n\n"
        "class ReadsATypo(BookScene):\n"
        "    TRACES = ('perceptron.and',)\n\n"
        "    def construct(self):\n"
        "        t = self.trace('perceptron.and')\n"
        "        assert len(t['inputs']) == 4\n"
        "        t['final_weights']\n")
    path = TraceStore(STORE / "traces").ensure(TraceSpec.from_name("perceptron.and")).path
    with pytest.raises(TraceFieldError, match=r"ReadsATypo.*'perceptron\.and'.*'final_weights'") as caught:
        dry_run(module, "ReadsATypo", {"perceptron.and": path}, media=media_dir())
    assert "final_w" in str(caught.value)  # and it lists what the trace does have


def test_a_missing_metric_is_named_too(tmp_path):
    from pipeline.dryrun import dry_run
    from pipeline.traces import TraceSpec, TraceStore
    from scenes.kit.base import TraceFieldError
    from screenlog import STORE, media_dir

    module = tmp_path / "reads_a_metric.py"
    module.write_text(
        "from scenes.kit.base import BookScene\n\n"
        "class ReadsAMetric(BookScene):\n"
        "    TRACES = ('perceptron.and',)\n\n"
        "    def construct(self):\n"
        "        self.trace('perceptron.and').metrics['epoch_count']\n")
    path = TraceStore(STORE / "traces").ensure(TraceSpec.from_name("perceptron.and")).path
    with pytest.raises(TraceFieldError, match=r"ReadsAMetric.*metric 'epoch_count'"):
        dry_run(module, "ReadsAMetric", {"perceptron.and": path}, media=media_dir())
