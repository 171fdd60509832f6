"""Faults and bad input: nothing lost, nothing stale, one clear line (issue 8).

Renders here are 1080p stills of chapter 1's diagram figures (a few seconds each), in private output
folders; the dangerous ``clean`` cases run with deletion itself disarmed, so a regression cannot harm
the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, reel

GUARDED_CLEAN = """
import os, shutil, sys
def refuse(*args, **kwargs):
    print("DELETION ATTEMPTED", args[:1], file=sys.stderr)
    sys.exit(99)
shutil.rmtree = refuse
os.unlink = os.remove = refuse
import pathlib
pathlib.Path.unlink = refuse
sys.argv = ["reel", "clean", "--all"]
from pipeline.cli import main
main()
"""


def _guarded_clean(env_value: str | None, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "REEL_OUTPUT"}
    env.update({"PYTHONPATH": str(ROOT), "HOME": str(home)})
    if env_value is not None:
        env["REEL_OUTPUT"] = env_value
    return subprocess.run([sys.executable, "-c", GUARDED_CLEAN], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("value", ["", ".", "/", "$HOME", "a file", "user's folder"])
def test_clean_all_never_touches_a_folder_that_is_not_reels(tmp_path, value):
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    users = tmp_path / "photos"
    users.mkdir()
    (users / "cat.jpg").write_bytes(b"\xff\xd8")
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    given = {"": "", ".": ".", "/": "/", "$HOME": str(home), "a file": str(a_file), "user's folder": str(users)}[value]
    proc = _guarded_clean(given, cwd=users, home=home)
    assert "DELETION ATTEMPTED" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stderr.startswith("error: ")
    assert (home / "thesis.tex").read_text() == "years of work" and (users / "cat.jpg").exists()
    assert a_file.read_text() == "keep me"


def test_clean_all_empties_reels_own_folder_but_keeps_its_marker(out):
    reel("sims", "perceptron.and", "--quiet", check=True)
    (out / "figures").mkdir()
    (out / "figures" / "x.png").write_bytes(b"png")
    reel("clean", "--all", check=True)
    assert sorted(p.name for p in out.iterdir()) == [".reel-output"]


def test_cleaning_caches_keeps_what_is_built(out, monkeypatch):
    from pipeline.artifacts import is_fresh, publish

    made = out.parent / "made.bin"
    made.write_bytes(b"a finished render")
    artifact = out / "figures" / "ch01" / "X.png"
    publish(made, artifact, "k" * 64, kind="figure", chapter=1, scene="X", quality="1080p60")
    reel("sims", "perceptron.and", "--quiet", check=True)
    assert (out / "cache" / "traces").is_dir()
    reel("clean", check=True)
    assert not (out / "cache" / "traces").exists()
    assert is_fresh(artifact, "k" * 64)


def test_a_theme_has_its_own_output_folder(out, monkeypatch):
    from pipeline.registry import resolve_targets
    from pipeline.render import scene_job, still_job, titlecard_job

    (entry,) = resolve_targets(["PerceptronLine"])
    traces = {"perceptron.and": ("k", Path())}
    dark = scene_job(entry, "l", traces), still_job(entry, traces), titlecard_job(entry.chapter, "l")
    monkeypatch.setenv("REEL_THEME", "light")
    light = scene_job(entry, "l", traces), still_job(entry, traces), titlecard_job(entry.chapter, "l")
    for d, lt in zip(dark, light):
        assert d.artifact != lt.artifact and d.key != lt.key
    assert light[0].artifact == out / "light" / "scenes" / "480p15" / "ch01" / "PerceptronLine.mp4"


def test_assembly_refuses_parts_of_another_theme_or_quality(out, monkeypatch):
    from pipeline.artifacts import publish
    from pipeline.assemble import _matches_settings

    assert _matches_settings({"quality": "480p15", "theme": "dark"}, "l")
    assert not _matches_settings({"quality": "720p30", "theme": "dark"}, "l")
    monkeypatch.setenv("REEL_THEME", "light")
    assert not _matches_settings({"quality": "480p15", "theme": "dark"}, "l")
    assert publish  # (publish records the theme: see test_a_damaged_part_names_the_command_that_fixes_it)


def test_a_damaged_part_names_the_command_that_fixes_it(out):
    from pipeline.artifacts import publish
    from pipeline.assemble import assemble_chapter, scene_video
    from pipeline.errors import ComputeError
    from pipeline.registry import CHAPTERS

    chapter = CHAPTERS[1]  # ch02: one scene
    parts = [out / "card.mp4", scene_video(chapter, "Backprop", "l")]
    for part in parts:
        junk = out.parent / "junk"
        junk.write_bytes(b"not a video")
        publish(junk, part, "k" * 64, kind="scene", chapter=2, quality="480p15")
    with pytest.raises(ComputeError, match=r"reel render ch02 -q l --force"):
        assemble_chapter(chapter, parts[0], "l")
    assert not list((out / "videos").rglob("*.mp4")) if (out / "videos").exists() else True


def test_the_book_says_which_chapters_it_lacks(out):
    from pipeline.artifacts import publish
    from pipeline.assemble import chapter_video, missing_chapters
    from pipeline.build import Report
    from pipeline.registry import CHAPTERS

    made = out.parent / "ch01.mp4"
    made.write_bytes(b"a chapter video")
    publish(made, chapter_video(CHAPTERS[0], "l"), "k" * 64, kind="chapter", chapter=1, quality="480p15")
    missing = missing_chapters(list(CHAPTERS[:4]), "l")
    assert missing == ["ch02", "ch03", "ch04"]
    assert "the book lacks ch02, ch03, ch04" in Report(missing=missing).summary()


def test_manifest_is_a_normal_file(out):
    from pipeline.artifacts import write_manifest

    old = os.umask(0o022)
    try:
        path = write_manifest()
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_leftover_temp_folders_of_dead_runs_are_swept(out):
    from pipeline.artifacts import run_temp_dir

    dead = out / "cache" / "tmp" / "999999999-abc"
    dead.mkdir(parents=True)
    (dead / "half.mp4").write_bytes(b"half")
    with run_temp_dir() as mine:
        assert mine.is_dir() and mine.name.startswith(f"{os.getpid()}-")
        assert not dead.exists()
    assert not mine.exists()


@pytest.mark.parametrize("args, env, says", [
    (["render", "ch01"], {"REEL_THEME": "sepia"}, "unknown theme"),
    (["sims", "perceptron", "--set", "lr=nan"], {}, "finite number"),
    (["sims", "perceptron", "--set", "lr=inf", "--json"], {}, "finite number"),
    (["list"], {"REEL_OUTPUT": ""}, "REEL_OUTPUT is set but empty"),
    (["sims", "perceptron", "ppo", "--set", "max_epochs=5"], {}, "ppo has no parameter 'max_epochs'"),
])
def test_bad_input_is_one_line_and_exit_2_before_any_work(out, args, env, says):
    proc = reel(*args, env=env)
    assert proc.returncode == 2, proc.stderr
    assert says in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (out / "cache" / "traces").exists()  # nothing was computed first


def test_output_that_is_a_file_is_bad_input(tmp_path):
    a_file = tmp_path / "output"
    a_file.write_text("")
    proc = reel("sims", "perceptron.and", env={"REEL_OUTPUT": str(a_file)})
    assert proc.returncode == 2 and "is not a folder" in proc.stderr


def test_a_short_chapter_name_is_that_chapter(out):
    proc = reel("status", "ch1", "-q", "l", check=True)
    assert "ch01.PerceptronLine" in proc.stdout


def _as_nobody(*args: str, out: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REEL_OUTPUT": str(out), "HOME": "/tmp"}
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m",
                           "pipeline.cli", *args], cwd="/", env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to drop to nobody")
def test_a_read_only_output_folder_reads_and_refuses_writes_in_one_line():
    import tempfile

    with tempfile.TemporaryDirectory(dir="/tmp") as top:  # pytest's own tmp folders are private to root
        os.chmod(top, 0o755)
        _read_only_checks(Path(top) / "output")


def _read_only_checks(out: Path) -> None:
    reel("sims", "perceptron", "--quiet", env={"REEL_OUTPUT": str(out)}, check=True)
    cached = _as_nobody("sims", "perceptron", "--json", out=out)  # read-only: a cache hit needs no lock
    assert cached.returncode == 0, cached.stderr
    assert all(json.loads(line)["cached"] for line in cached.stdout.splitlines())
    check = _as_nobody("check", "ch01", "--json", out=out)
    assert check.returncode == 0, check.stderr
    computing = _as_nobody("sims", "perceptron.and", "--set", "lr=0.25", out=out)
    assert computing.returncode == 1
    assert computing.stderr.startswith("error: cannot write") and len(computing.stderr.strip().splitlines()) == 1


# --- with real renders (stills of ch01's diagram figures) -------------------------------------------------------
def _break(sandbox: Path, figure: str) -> str:
    path = sandbox / "scenes" / "ch01_perceptron_figures.py"
    if not path.exists():
        path = sandbox / "scenes" / "ch01_perceptron.py"
    source = path.read_text()
    marker = f"class {figure}("
    start = source.index(marker)
    body = source.index("def construct(self) -> None:\n", start) + len("def construct(self) -> None:\n")
    path.write_text(source[:body] + "        raise RuntimeError('broken on purpose')\n" + source[body:])
    return source


@pytest.mark.render
def test_a_failing_job_is_named_and_the_manifest_covers_what_published(sandbox):
    output = sandbox / "output"
    original = _break(sandbox, "Fig_XORLayout")
    try:
        proc = reel("figure", "Fig_ANDLayout", "Fig_XORLayout", cwd=sandbox, env={"REEL_OUTPUT": str(output)})
    finally:
        path = sandbox / "scenes" / ("ch01_perceptron_figures.py" if (sandbox / "scenes" /
                                     "ch01_perceptron_figures.py").exists() else "ch01_perceptron.py")
        path.write_text(original)
    assert proc.returncode == 1
    assert "rendering ch01.Fig_XORLayout (still) failed" in proc.stderr and "broken on purpose" in proc.stderr
    assert "rendered ch01.Fig_XORLayout" not in proc.stderr and "rendered ch01.Fig_ANDLayout" in proc.stderr
    manifest = json.loads((output / "manifest.json").read_text())
    (entry,) = [a for a in manifest["artifacts"] if a["scene"] == "Fig_ANDLayout"]
    import hashlib
    assert hashlib.sha256((output / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    assert not any(a["scene"] == "Fig_XORLayout" for a in manifest["artifacts"])


@pytest.mark.render
def test_two_identical_runs_at_once_render_once(out):
    cmd = [sys.executable, "-m", "pipeline.cli", "figure", "Fig_ANDLayout"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REEL_OUTPUT": str(out)}
    reel("sims", "perceptron.and", "--quiet", check=True)  # both runs then start at the render
    runs = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    summaries = [stdout for stdout, _ in outputs]
    assert sorted(s.count("1 render(s)") for s in summaries) == [0, 1], summaries


@pytest.mark.render
def test_kill_9_mid_render_publishes_nothing_and_the_rerun_finishes(out):
    reel("sims", "perceptron.and", "--quiet", check=True)
    previous_log = out / "cache" / "logs" / "ch01-Fig_ANDLayout-still-1080p60.log"
    previous_log.parent.mkdir(parents=True)
    previous_log.write_text("the last good run's log\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REEL_OUTPUT": str(out)}
    run = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "figure", "Fig_ANDLayout", "--quiet"], cwd=ROOT,
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    logs = out / "cache" / "logs"
    deadline = time.monotonic() + 120
    while not (logs.is_dir() and list(logs.glob("*.partial"))) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # manim is running
    os.killpg(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    assert not (out / "figures" / "ch01" / "Fig_ANDLayout.png").exists()
    assert previous_log.read_text() == "the last good run's log\n"  # the killed job wrote aside
    proc = reel("figure", "Fig_ANDLayout", check=True)
    assert "1 render(s)" in proc.stdout
    assert (out / "figures" / "ch01" / "Fig_ANDLayout.png").stat().st_size > 1000
