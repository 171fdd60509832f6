"""``reel preview`` and plain ``manim`` on a scene file: the edit-and-look loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, reel


@pytest.mark.render
def test_preview_prints_the_path_of_a_fresh_low_quality_render(out):
    proc = reel("preview", "Fig_ANDLayout", "--quiet", check=True)
    path = proc.stdout.strip()
    assert path == str(out / "preview" / "480p15" / "ch01" / "Fig_ANDLayout.png")
    assert os.path.getsize(path) > 1000
    assert not (out / "figures").exists() and not (out / "videos").exists()  # nothing else was made
    log = json.loads((out / "preview" / "480p15" / "ch01" / "Fig_ANDLayout.screen.json").read_text())
    assert any("2x_1" in e["text"].replace(" ", "") for e in log["entries"])  # the learned boundary, from the trace
    again = reel("preview", "Fig_ANDLayout", check=True)
    assert again.stdout.strip() == path and "1 up to date" in again.stderr


def test_preview_takes_exactly_one_target(out):
    proc = reel("preview", "ch01")
    assert proc.returncode == 2 and "one scene or figure" in proc.stderr
    proc = reel("preview", "PerceptronLin")
    assert proc.returncode == 2 and "PerceptronLine" in proc.stderr


def test_the_store_indexes_default_traces_only(out):
    reel("sims", "perceptron.and", "--quiet", check=True)
    reel("sims", "perceptron.xor", "--set", "max_epochs=20", "--quiet", check=True)
    index = json.loads((out / "cache" / "traces" / "index.json").read_text())
    assert set(index) == {"perceptron.and"}
    assert os.path.isfile(index["perceptron.and"]["npz"])


def _plain_manim(out, scene: str) -> subprocess.CompletedProcess:
    from pipeline.registry import resolve_targets

    (entry,) = resolve_targets([scene], ("scene", "figure"))
    env = {**os.environ, "REEL_OUTPUT": str(out), "PYTHONPATH": str(ROOT)}
    env.pop("REEL_TRACES", None)
    return subprocess.run([sys.executable, "-m", "manim", "render", "-ql", "-s", "--media_dir", str(out / "m"),
                           "--progress_bar", "none", str(entry.path), scene],
                          cwd=out.parent, env=env, capture_output=True, text=True, timeout=600)


def test_plain_manim_says_which_sims_to_run(out):
    out.mkdir(parents=True)
    proc = _plain_manim(out, "Fig_ANDLayout")
    assert proc.returncode != 0
    assert "reel sims perceptron.and" in proc.stdout + proc.stderr


@pytest.mark.render
def test_plain_manim_renders_from_the_index(out):
    reel("sims", "perceptron.and", "--quiet", check=True)
    proc = _plain_manim(out, "Fig_ANDLayout")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert list((out / "m").rglob("Fig_ANDLayout*.png"))
