from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


CHAPTER_FILE = re.compile(r"test_(?:screen|sims)_ch(\d\d)(?:_(\d\d))?")  # test_sims_ch02_04.py → ch04


def chapter_group(item: pytest.Item) -> str | None:
    """The chapter a test works on, if it is one chapter's: its file's, or (test_screen_all) its target's."""
    target = getattr(item, "callspec", None) and item.callspec.params.get("target")
    if isinstance(target, str) and re.match(r"ch\d\d\.", target):
        return target[:4]
    found = CHAPTER_FILE.search(item.path.name)
    return f"ch{found.group(2) or found.group(1)}" if found else None  # a file of several chapters: its last


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items) -> None:
    """Spread the suite over pytest-xdist's workers (``make test``: ``-n N --dist loadgroup``) without doing work twice.

    A chapter's tests (its sims' tests, its screen tests, its scenes' dry runs) form one group, so one worker trains
    its traces and keeps its dry-run logs in memory while another worker does another chapter. The render and export
    files are groups of their own (their module fixtures render once). The render tests go first, so the longest
    job starts at once instead of leaving one worker busy at the end.
    """
    for item in items:
        group = chapter_group(item)
        if group and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=lambda item: item.get_closest_marker("render") is None)  # stable: files keep their own order


@pytest.fixture
def out(tmp_path, monkeypatch) -> Path:
    """A private output/ for one test."""
    path = tmp_path / "output"
    monkeypatch.setenv("REEL_OUTPUT", str(path))
    return path


def reel(*args: str, cwd: Path = ROOT, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI as a user would (``python -m pipeline.cli`` from ``cwd``)."""
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(cwd)}
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
    if check and proc.returncode != 0:
        raise AssertionError(f"reel {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A copy of the project that a test may edit (scene sources, sim defaults)."""
    root = tmp_path_factory.mktemp("project")
    for name in ("pipeline", "sims", "scenes"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "output").mkdir()
    return root


# --- is there a picture? (frames pulled with ffmpeg as raw 8-bit gray) ---------------------------

BLANK_STD = 4.0  # gray levels: a flat frame (all background) has a std near 0
MIN_INK = 0.002  # fraction of pixels that must differ clearly from the background
INK_LEVELS = 24  # "clearly": this many gray levels away from the most common value
MIN_CHANGE = 0.001  # fraction of pixels that must change between two sampled frames


def _size_and_duration(path: Path) -> tuple[int, int, float | None]:
    proc = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "stream=width,height:format=duration", "-of", "json", str(path)],
                          capture_output=True, text=True, check=True)
    info = json.loads(proc.stdout)
    stream = info["streams"][0]
    duration = info.get("format", {}).get("duration")
    return int(stream["width"]), int(stream["height"]), float(duration) if duration not in (None, "N/A") else None


def gray_frame(path: Path, at: float | None = None) -> np.ndarray:
    """One frame of a video (at ``at`` seconds) or an image, as a (height, width) uint8 array."""
    width, height, _ = _size_and_duration(path)
    seek = ["-ss", f"{at:.3f}"] if at is not None else []
    proc = subprocess.run(["ffmpeg", "-v", "error", *seek, "-i", str(path), "-frames:v", "1",
                           "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True)
    assert len(proc.stdout) == width * height, f"{path}: no frame at {at} s ({len(proc.stdout)} bytes)"
    return np.frombuffer(proc.stdout, dtype=np.uint8).reshape(height, width)


def assert_not_blank(frame: np.ndarray, what: str) -> None:
    """Something is drawn: the pixels vary, and enough of them stand out from the background."""
    values = frame.astype(np.int16)
    background = np.bincount(frame.ravel(), minlength=256).argmax()
    ink = float(np.mean(np.abs(values - background) > INK_LEVELS))
    assert values.std() > BLANK_STD and ink > MIN_INK, (
        f"{what} looks blank: std {values.std():.2f}, {ink:.4%} of pixels away from the background")


def assert_frames_differ(a: np.ndarray, b: np.ndarray, what: str) -> None:
    changed = float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16)) > INK_LEVELS))
    assert changed > MIN_CHANGE, f"{what}: frames are the same ({changed:.4%} of pixels changed)"


def assert_video_has_content(path: Path, fractions: tuple[float, ...] = (0.1, 0.5, 0.9)) -> None:
    """Frames at these fractions of the duration are each not blank, and no two are the same."""
    _, _, duration = _size_and_duration(path)
    assert duration, f"{path}: no duration"
    frames = {f: gray_frame(path, f * duration) for f in fractions}
    for f, frame in frames.items():
        assert_not_blank(frame, f"{path.name} at {f:.0%}")
    for i, f in enumerate(fractions):
        for g in fractions[i + 1:]:
            assert_frames_differ(frames[f], frames[g], f"{path.name} at {f:.0%} and {g:.0%}")


def assert_still_has_content(path: Path) -> None:
    assert_not_blank(gray_frame(path), path.name)


def child_of(parent: int, timeout: float) -> int | None:
    """A process whose parent is ``parent``, once one exists (None if none does within ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    return int(entry.name)
            except (OSError, ValueError, IndexError):
                continue
        time.sleep(0.05)
    return None
