"""Chapters render through the CLI: each scene a 20–60 s video, every scene and figure a 1080p still, every
chapter assembled.

One low-quality ``reel render`` of a few chapters into a private output folder serves every test here (chapter 1
has its own, more thorough, test in test_render.py). The set is chosen for cost: short chapters that together use
every kind of job (numpy and torch traces, scenes, stills of scenes and of diagram figures, title cards, chapter
assembly); every other scene and figure is covered by its dry run (test_screen_all.py, test_screen_chNN.py),
which runs its whole ``construct()`` without drawing frames.

The render's traces are computed in the same job graph as its renders, in the dry-run tests' trace store
(``shared_trace_store``): a trace either side needs is trained once per test run, and when the two run at the
same time (pytest-xdist) the store's per-trace lock makes the second one wait for it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_still_has_content, assert_video_has_content, reel
from pipeline.media import probe, probe_duration
from screenlog import shared_trace_store

pytestmark = [pytest.mark.render, pytest.mark.xdist_group("test_scenes")]  # one worker: one render

SCENES = [("ch02", "Backprop"), ("ch03", "Convolution"), ("ch03", "Pooling"), ("ch10", "MaskShapes"),
          ("ch12", "ValueDiffusion")]
CHAPTERS = sorted({chapter for chapter, _ in SCENES})
FIGURES = [("ch02", "Fig_ForwardBackward"), ("ch03", "Fig_LeNetFlow"), ("ch10", "Fig_GPTvsBERT"),
           ("ch10", "Fig_PretrainRoutes")]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("chapters") / "output"
    shared_trace_store(output)
    reel("render", *CHAPTERS, "-q", "l", "--jobs", "2", env={"REEL_OUTPUT": str(output)}, check=True)
    return output


@pytest.mark.parametrize("chapter, scene", SCENES)
def test_scene_video_lasts_20_to_60_s(rendered, chapter, scene):
    assert 20 <= probe_duration(rendered / "scenes" / "480p15" / chapter / f"{scene}.mp4") <= 60


@pytest.mark.parametrize("chapter, scene", SCENES)
def test_scene_video_shows_a_changing_picture(rendered, chapter, scene):
    assert_video_has_content(rendered / "scenes" / "480p15" / chapter / f"{scene}.mp4")


@pytest.mark.parametrize("chapter, name", SCENES + FIGURES)
def test_still_is_a_1080p_png(rendered, chapter, name):
    (stream,) = probe(rendered / "figures" / chapter / f"{name}.png")["streams"]
    assert (stream["width"], stream["height"]) == (1920, 1080)
    assert_still_has_content(rendered / "figures" / chapter / f"{name}.png")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_video_is_assembled(rendered, chapter):
    scenes = [s for c, s in SCENES if c == chapter]
    total = sum(probe_duration(rendered / "scenes" / "480p15" / chapter / f"{s}.mp4") for s in scenes)
    assert probe_duration(rendered / "videos" / "480p15" / f"{chapter}.mp4") > total  # title card + scenes


@pytest.mark.parametrize("chapter, scene", SCENES)
def test_each_video_has_its_screen_log_beside_it(rendered, chapter, scene):
    """The log the render wrote matches the video: its captions are timed cues inside the video."""
    import json

    video = rendered / "scenes" / "480p15" / chapter / f"{scene}.mp4"
    log = json.loads(video.with_name(f"{scene}.screen.json").read_text(encoding="utf-8"))
    assert log["scene"] == scene
    assert abs(log["duration_s"] - probe_duration(video)) < 0.5
    cues = [e for e in log["entries"] if e["kind"] == "caption"]
    assert len(cues) >= 2
    for cue, following in zip(cues, cues[1:] + [None]):
        assert 0 <= cue["t"] <= cue["end"] <= log["duration_s"] + 1e-6
        if following:
            assert cue["end"] <= following["t"] + 1e-6  # one caption at a time
    manifest = json.loads((rendered / "manifest.json").read_text(encoding="utf-8"))
    (record,) = [a for a in manifest["artifacts"] if a["kind"] == "scene" and a["scene"] == scene]
    assert record["screen_log"] == f"scenes/480p15/{chapter}/{scene}.screen.json"
