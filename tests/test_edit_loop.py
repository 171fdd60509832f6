"""The parsed glyphs of Text and MathTex are kept beside their SVGs (``scenes.kit.base``), so the next render
of a scene loads them instead of parsing every SVG again; and the source hashing behind every render key
gives the same keys with its caches as without them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.paths import ROOT

CHILD = r"""
import hashlib, json, sys
from pathlib import Path
from manim import config
config.media_dir = sys.argv[1]
config.verbosity = "WARNING"
import scenes.kit.base  # noqa: F401  (keeps the parsed SVGs)
from manim import MathTex, Text
from manim.mobject.svg import svg_mobject
if sys.argv[2] == "no-parsing":
    def refuse(*args, **kwargs):
        raise AssertionError(f"parsed {args} again")
    svg_mobject.se.SVG.parse = refuse
mobs = [Text("误差 δ = 0.25", font_size=26, color="#88CCEE"), MathTex(r"\frac{\partial L}{\partial w}")]
glyphs = [[hashlib.sha256(m.points.tobytes()).hexdigest(), m.get_fill_color().to_hex(), m.get_fill_opacity()]
          for mob in mobs for m in mob.family_members_with_points()]
print("RESULT", json.dumps({"glyphs": glyphs, "kept": sorted(p.name for p in Path(sys.argv[1]).rglob("*.parsed"))}))
"""


def _result(run: subprocess.CompletedProcess) -> dict:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.split("RESULT", 1)[1])


def _run(media: Path, mode: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", CHILD, str(media), mode], cwd=ROOT, env=env, capture_output=True,
                          text=True)


def test_parsed_svgs_are_kept_and_reused_until_the_svg_changes(tmp_path: Path) -> None:
    made = _result(_run(tmp_path, "parse"))
    assert len(made["kept"]) == 2 and made["glyphs"]

    again = _run(tmp_path, "no-parsing")  # every SVG comes from what the first run kept
    assert _result(again) == made

    tex_svg = next(p for p in tmp_path.rglob("*.svg") if "Tex" in p.parts)
    tex_svg.write_bytes(tex_svg.read_bytes() + b"\n<!-- edited -->\n")
    changed = _run(tmp_path, "no-parsing")  # a changed SVG is parsed anew, never served from the old glyphs
    assert changed.returncode != 0 and "parsed" in changed.stderr


def test_cached_source_hashing_gives_the_keys_of_a_fresh_process(tmp_path: Path) -> None:
    """Render keys computed twice in one process (the parse caches warm) equal those of a cold process,
    and an edit of one scene's class changes that scene's sources only."""
    from pipeline import hashing
    from pipeline.registry import entries
    from pipeline.render import _siblings

    scenes = [e for e in entries() if e.implemented and e.kind == "scene"]
    warm = {e.target: hashing.scene_sources(e.path, e.name, _siblings(e.chapter)) for e in scenes}
    assert warm == {e.target: hashing.scene_sources(e.path, e.name, _siblings(e.chapter)) for e in scenes}
    probe = ("import json, sys\nfrom pipeline import hashing\nfrom pipeline.registry import entries\n"
             "from pipeline.render import _siblings\n"
             "print(json.dumps({e.target: hashing.scene_sources(e.path, e.name, _siblings(e.chapter))\n"
             "                  for e in entries() if e.implemented and e.kind == 'scene'}))\n")
    cold = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert {k: [list(p) for p in v] for k, v in warm.items()} == json.loads(cold.stdout)
