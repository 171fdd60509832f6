"""Render scenes with manim, one process per scene, in parallel.

Each job runs ``python -m manim`` with its own ``media_dir`` (manim's Tex and
Text caches are not safe to share between processes), names its scene
explicitly, and publishes its file only when manim has finished.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from filelock import FileLock

from pipeline.artifacts import is_fresh, publish
from pipeline.errors import ComputeError, UsageError
from pipeline.hashing import digest, package_version, scene_sources, source_closure
from pipeline.media import probe_duration
from pipeline.paths import ROOT, cache_dir, output_dir
from pipeline.registry import Chapter, Entry

__all__ = ["QUALITIES", "quality_name", "screen_log_path", "RenderJob", "scene_job", "still_job", "titlecard_job", "run_jobs"]

# manim's presets: flag letter → folder name manim itself uses
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "p": "1440p60", "k": "2160p60"}
STILL_QUALITY = "h"  # figures are 1080p
PREVIEW_QUALITY = "l"  # `reel preview`: the fastest look
TITLECARD_PATH = ROOT / "scenes" / "titlecard.py"


def quality_name(letter: str) -> str:
    if letter not in QUALITIES:
        raise UsageError(f"unknown quality {letter!r}; valid: " + ", ".join(f"{k} ({v})" for k, v in QUALITIES.items()))
    return QUALITIES[letter]


def theme() -> str:
    return os.environ.get("REEL_THEME", "dark")


@dataclass
class RenderJob:
    """One manim invocation and where its result goes."""

    label: str  # e.g. ch01.PerceptronLine
    module_path: Path
    scene: str
    quality: str  # manim letter
    still: bool
    artifact: Path
    key: str
    record: dict = field(default_factory=dict)  # fields for the manifest
    env: dict[str, str] = field(default_factory=dict)

    @property
    def fresh(self) -> bool:
        return is_fresh(self.artifact, self.key)


def _render_key(module_path: Path, scene: str, quality: str, still: bool, extra: dict,
                siblings: set[str] = frozenset()) -> str:
    return digest({
        "sources": scene_sources(module_path, scene, siblings) if siblings else source_closure(module_path),
        "scene": scene,
        "quality": quality,
        "still": still,
        "theme": theme(),
        "manim": package_version("manim"),
        **extra,
    })


def _siblings(chapter: Chapter) -> set[str]:
    """All the book's scene and figure names of a chapter module."""
    return set(chapter.scenes) | {name for _, name in chapter.figures}


def scene_job(entry: Entry, quality: str, traces: dict[str, tuple[str, Path]]) -> RenderJob:
    """The video of one scene. ``traces`` maps ``sim.variant`` → (key, npz path)."""
    ch = entry.chapter
    key = _render_key(entry.path, entry.name, quality, False, {"traces": {n: k for n, (k, _) in traces.items()}},
                      _siblings(ch))
    artifact = output_dir() / "scenes" / QUALITIES[quality] / ch.tag / f"{entry.name}.mp4"
    return RenderJob(entry.target, entry.path, entry.name, quality, False, artifact, key,
                     {"kind": "scene", "chapter": ch.number, "scene": entry.name, "quality": QUALITIES[quality]},
                     {"REEL_TRACES": json.dumps({n: str(p) for n, (_, p) in traces.items()})})


def still_job(entry: Entry, traces: dict[str, tuple[str, Path]], quality: str = STILL_QUALITY) -> RenderJob:
    """The last frame of a scene (or a diagram figure) as a 1080p PNG (other qualities: a preview)."""
    ch = entry.chapter
    key = _render_key(entry.path, entry.name, quality, True, {"traces": {n: k for n, (k, _) in traces.items()}},
                      _siblings(ch))
    folder = output_dir() / "figures" if quality == STILL_QUALITY else output_dir() / "preview" / QUALITIES[quality]
    artifact = folder / ch.tag / f"{entry.name}.png"
    kind = "figure" if quality == STILL_QUALITY else "preview"
    return RenderJob(f"{entry.target} (still)", entry.path, entry.name, quality, True, artifact, key,
                     {"kind": kind, "chapter": ch.number, "scene": entry.name, "quality": QUALITIES[quality],
                      **({"diagram": entry.diagram} if entry.diagram else {})},
                     {"REEL_TRACES": json.dumps({n: str(p) for n, (_, p) in traces.items()})})


def titlecard_job(chapter: Chapter, quality: str) -> RenderJob:
    """The card that opens a chapter video: 第N章 and the title."""
    card = {"number": chapter.number, "title": chapter.title}
    key = _render_key(TITLECARD_PATH, "TitleCard", quality, False, {"card": card})
    artifact = output_dir() / "cache" / "titlecards" / QUALITIES[quality] / f"{chapter.tag}.mp4"
    return RenderJob(f"{chapter.tag} title card", TITLECARD_PATH, "TitleCard", quality, False, artifact, key,
                     {"kind": "titlecard", "chapter": chapter.number, "quality": QUALITIES[quality]},
                     {"REEL_TITLECARD": json.dumps(card, ensure_ascii=False)})


def screen_log_path(artifact: Path) -> Path:
    """``X.mp4`` / ``X.png`` → ``X.screen.json``: every text the render put on screen, with its time."""
    return artifact.with_name(f"{artifact.stem}.screen.json")


def _media_dir(job: RenderJob) -> Path:
    kind = f"still-{QUALITIES[job.quality]}" if job.still else QUALITIES[job.quality]
    return cache_dir() / "media" / _job_name(job) / kind


def _job_name(job: RenderJob) -> str:
    return f"ch{job.record['chapter']:02d}-{job.scene}"


def _manim_command(job: RenderJob, media_dir: Path) -> list[str]:
    cmd = [sys.executable, "-m", "manim", "render", f"-q{job.quality}", "--media_dir", str(media_dir),
           "--disable_caching", "--progress_bar", "none", "-v", "WARNING"]
    if job.still:
        cmd += ["-s", "--format", "png"]
    return cmd + [str(job.module_path), job.scene]


def _find_output(media_dir: Path, job: RenderJob) -> Path:
    if job.still:
        pattern, where = f"{job.scene}*.png", media_dir / "images"
    else:
        pattern, where = f"{job.scene}.mp4", media_dir / "videos"
    found = [p for p in where.rglob(pattern) if "partial_movie_files" not in p.parts]
    if not found:
        raise ComputeError(f"{job.label}: manim finished but wrote no {pattern}")
    return max(found, key=lambda p: p.stat().st_mtime)


def run_job(job: RenderJob) -> dict:
    """Render one job and publish its artifact; returns the manifest record."""
    media_dir = _media_dir(job)
    media_dir.mkdir(parents=True, exist_ok=True)
    log_path = cache_dir() / "logs" / f"{_job_name(job)}-{_media_dir(job).name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    screen_log = media_dir / "screen.json"
    env = {**os.environ, **job.env, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "REEL_THEME": theme(), "REEL_SCREENLOG": str(screen_log)}
    with FileLock(str(media_dir) + ".lock"):
        for leftover in ("videos", "images"):  # from an interrupted run
            shutil.rmtree(media_dir / leftover, ignore_errors=True)
        screen_log.unlink(missing_ok=True)
        with open(log_path, "w", encoding="utf-8") as log:
            proc = subprocess.run(_manim_command(job, media_dir), cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-8:]
            raise ComputeError(f"rendering {job.label} failed (log: {log_path}):\n  " + "\n  ".join(tail))
        produced = _find_output(media_dir, job)
        extra = {} if job.still else {"duration_s": round(probe_duration(produced), 3)}
        if screen_log.is_file():  # beside the artifact, in place before the artifact itself
            beside = screen_log_path(job.artifact)
            beside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(screen_log, beside)
            extra["screen_log"] = str(beside.relative_to(output_dir()))
        record = publish(produced, job.artifact, job.key, **job.record, **extra)
        # keep manim's Tex/Text caches for the next render of this scene, not its movie pieces
        shutil.rmtree(media_dir / "videos", ignore_errors=True)
        shutil.rmtree(media_dir / "images", ignore_errors=True)
        return record


def run_jobs(jobs: Iterable[RenderJob], workers: int, on_done: Callable[[RenderJob], None] | None = None,
             on_start: Callable[[RenderJob], None] | None = None, force: bool = False) -> list[dict]:
    """Run stale jobs (all of them with ``force``) in parallel; failures are reported by scene name."""
    jobs = [j for j in jobs if force or not j.fresh]
    results, failures = [], []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {}
        for job in jobs:
            futures[pool.submit(_started, job, on_start)] = job
        for future in as_completed(futures):
            job = futures[future]
            try:
                results.append(future.result())
            except ComputeError as exc:
                failures.append(str(exc))
            if on_done:
                on_done(job)
    if failures:
        raise ComputeError("\n".join(failures))
    return results


def _started(job: RenderJob, on_start: Callable[[RenderJob], None] | None) -> dict:
    if on_start:
        on_start(job)
    return run_job(job)

