"""A real low-quality render of chapter 1 through the CLI, and the render cache's rules.

Runs in a copy of the project so that it can edit a scene's source.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import assert_still_has_content, assert_video_has_content, reel

pytestmark = [pytest.mark.render, pytest.mark.xdist_group("test_render")]  # one worker: one render


def ffprobe(path: Path) -> dict:
    proc = subprocess.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                           str(path)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def is_faststart(path: Path) -> bool:
    head = path.read_bytes()
    return 0 <= head.find(b"moov") < head.find(b"mdat")


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and p.suffix in (".mp4", ".png") and "cache" not in p.relative_to(root).parts}


@pytest.fixture(scope="module")
def rendered(sandbox):
    proc = reel("render", "ch01", "-q", "l", "--jobs", "2", cwd=sandbox, check=True)
    return sandbox, proc


def test_chapter_video_is_web_ready(rendered):
    root, proc = rendered
    video = root / "output/videos/480p15/ch01.mp4"
    info = ffprobe(video)
    (stream,) = info["streams"]
    assert stream["codec_name"] == "h264" and stream["pix_fmt"] == "yuv420p"
    assert (stream["width"], stream["height"]) == (854, 480)
    assert float(info["format"]["duration"]) > 20
    assert is_faststart(video)
    for scene in ("PerceptronLine", "XORImpossible"):
        part = root / f"output/scenes/480p15/ch01/{scene}.mp4"
        assert 20 <= float(ffprobe(part)["format"]["duration"]) <= 60  # each scene 20–60 s
        assert_video_has_content(part)  # not blank, and it moves


def test_stills_are_1080p_pngs(rendered):
    root, _ = rendered
    for scene in ("PerceptronLine", "XORImpossible", "Fig_XORLayout", "Fig_ANDLayout"):
        (stream,) = ffprobe(root / f"output/figures/ch01/{scene}.png")["streams"]
        assert (stream["width"], stream["height"]) == (1920, 1080)
        assert_still_has_content(root / f"output/figures/ch01/{scene}.png")


def test_manifest_describes_the_chapter(rendered):
    import hashlib

    root, _ = rendered
    manifest = json.loads((root / "output/manifest.json").read_text())
    chapter = [a for a in manifest["artifacts"] if a["kind"] == "chapter"]
    assert len(chapter) == 1
    entry = chapter[0]
    assert entry["chapter"] == 1 and entry["quality"] == "480p15" and entry["path"] == "videos/480p15/ch01.mp4"
    assert entry["duration_s"] > 20 and len(entry["key"]) == 64
    data = (root / "output" / entry["path"]).read_bytes()
    assert entry["bytes"] == len(data) and entry["sha256"] == hashlib.sha256(data).hexdigest()
    kinds = sorted(a["kind"] for a in manifest["artifacts"])
    assert kinds == ["chapter"] + ["figure"] * 4 + ["scene"] * 2  # 2 scene stills + diagrams D01.1, D01.2
    diagrams = {a["scene"]: a.get("diagram") for a in manifest["artifacts"] if a["kind"] == "figure"}
    assert diagrams["Fig_XORLayout"] == "D01.1" and diagrams["Fig_ANDLayout"] == "D01.2"


def test_cache_rules(rendered):
    root, _ = rendered
    before = mtimes(root / "output")

    # nothing changed: nothing is redone
    proc = reel("render", "ch01", "-q", "l", cwd=root, check=True)
    assert "0 render(s)" in proc.stdout and "assembled" not in proc.stdout
    assert mtimes(root / "output") == before
    listing = json.loads(reel("list", "-q", "l", "--json", cwd=root, check=True).stdout)
    assert {r["name"]: r["status"] for r in listing if r["chapter"] == 1 and r["kind"] == "scene"} == {
        "PerceptronLine": "rendered", "XORImpossible": "rendered"}

    # edit one scene: only it (video and still) is re-rendered, and its chapter re-assembled
    module = root / "scenes/ch01_perceptron.py"
    source = module.read_text()
    assert "    DETAILED_EPOCHS = 2\n" in source
    module.write_text(source.replace("    DETAILED_EPOCHS = 2\n", "    DETAILED_EPOCHS = 2  # edited\n"))
    proc = reel("render", "ch01", "-q", "l", cwd=root, check=True)
    assert "2 render(s)" in proc.stdout and "assembled ch01" in proc.stdout
    after = mtimes(root / "output")
    changed = {path for path in after if after[path] != before.get(path)}
    assert changed == {"scenes/480p15/ch01/XORImpossible.mp4", "figures/ch01/XORImpossible.png",
                       "videos/480p15/ch01.mp4"}


def test_sim_parameter_invalidates_exactly_its_dependents(sandbox, monkeypatch):
    """Keys only (no rendering): overriding a perceptron parameter changes exactly the scenes reading it."""
    monkeypatch.setenv("REEL_OUTPUT", str(sandbox / "output"))
    from pipeline.build import parse_sim_overrides
    from pipeline.registry import CHAPTERS, entries
    from pipeline.render import scene_job, still_job, titlecard_job
    from pipeline.traces import TraceSpec

    def keys(overrides):
        found = {}
        for entry in (e for e in entries() if e.implemented):
            traces = {n: (TraceSpec.from_name(n, overrides).key(), Path()) for n in entry.traces}
            if entry.kind == "scene":
                found[entry.target] = scene_job(entry, "l", traces).key
            found[entry.target + " still"] = still_job(entry, traces).key
        found.update({c.tag: titlecard_job(c, "l").key for c in CHAPTERS})
        return found

    plain, changed = keys({}), keys(parse_sim_overrides(["perceptron.max_epochs=50"]))
    readers = {e.target for e in entries() if any(t.startswith("perceptron.") for t in e.traces)}
    differ = {k.removesuffix(" still") for k in plain if plain[k] != changed[k]}
    assert readers and differ == readers


def test_scene_stills_come_from_their_video_run_and_match_a_still_run(rendered):
    """A scene's still is drawn by its video's process (no second run of the scene); a figure has no video and
    runs alone. The companion still is the very frame a still-only run of the scene draws."""
    from PIL import Image

    root, _ = rendered
    manifest = json.loads((root / "output/manifest.json").read_text())
    made_by = {a["scene"]: a.get("made_by") for a in manifest["artifacts"] if a["kind"] == "figure"}
    assert made_by["PerceptronLine"] == "ch01.PerceptronLine" and made_by["XORImpossible"] == "ch01.XORImpossible"
    assert made_by["Fig_XORLayout"] is None
    still = root / "output/figures/ch01/XORImpossible.png"
    companion = np.asarray(Image.open(still))
    reel("figure", "ch01.XORImpossible", "--force", cwd=root, check=True)  # a still-only run of the same scene
    again = json.loads((root / "output/manifest.json").read_text())
    (record,) = [a for a in again["artifacts"] if a["kind"] == "figure" and a["scene"] == "XORImpossible"]
    assert "made_by" not in record
    np.testing.assert_array_equal(np.asarray(Image.open(still)), companion)


def test_each_render_records_its_wall_and_cpu_time(rendered):
    root, _ = rendered
    manifest = json.loads((root / "output/manifest.json").read_text())
    renders = [a for a in manifest["artifacts"] if a["kind"] in ("scene", "figure")]
    assert renders and all(a["wall_s"] > 0 and a["cpu_s"] > 0 for a in renders)
    scenes = [a for a in renders if a["kind"] == "scene"]
    assert all(a["cpu_s"] < 10 * a["duration_s"] for a in scenes)  # sane: not another process's time
