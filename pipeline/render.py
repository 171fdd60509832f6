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
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from filelock import FileLock

from pipeline.artifacts import is_fresh, publish, read_record
from pipeline.errors import ComputeError, UsageError
from pipeline.hashing import digest, package_version, scene_sources, source_closure
from pipeline.media import probe_duration
from pipeline.paths import ROOT, cache_dir, output_dir, theme
from pipeline.registry import Chapter, Entry

__all__ = ["QUALITIES", "quality_name", "screen_log_path", "RenderJob", "RunResult", "scene_job", "still_job",
           "titlecard_job", "run_jobs"]

# manim's presets: flag letter → folder name manim itself uses
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "p": "1440p60", "k": "2160p60"}
STILL_QUALITY = "h"  # figures are 1080p
PREVIEW_QUALITY = "l"  # `reel preview`: the fastest look
TITLECARD_PATH = ROOT / "scenes" / "titlecard.py"


def quality_name(letter: str) -> str:
    if letter not in QUALITIES:
        raise UsageError(f"unknown quality {letter!r}; valid: " + ", ".join(f"{k} ({v})" for k, v in QUALITIES.items()))
    return QUALITIES[letter]


@dataclass
class RenderJob:
    """One manim invocation and where its result goes."""

    label: str  # e.g. ch01.PerceptronLine
    module_path: Path
    scene: str
    quality: str  # manim letter
    still: bool
    artifact: Path
    inputs: dict  # what the render depends on
    record: dict = field(default_factory=dict)  # fields for the manifest
    env: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self._key

    def __post_init__(self) -> None:
        self._key = digest(self.inputs)

    @property
    def fresh(self) -> bool:
        return is_fresh(self.artifact, self.key)


def _render_inputs(module_path: Path, scene: str, quality: str, still: bool, extra: dict,
                   siblings: set[str] = frozenset()) -> dict:
    """Everything a render depends on; its key is their hash, and the record keeps them for ``--why``."""
    return {
        "sources": scene_sources(module_path, scene, siblings) if siblings else source_closure(module_path),
        "scene": scene,
        "quality": quality,
        "still": still,
        "theme": theme(),
        "manim": package_version("manim"),
        **extra,
    }


def _siblings(chapter: Chapter) -> set[str]:
    """All the book's scene and figure names of a chapter module."""
    return set(chapter.scenes) | {name for _, name in chapter.figures}


def scene_job(entry: Entry, quality: str, traces: dict[str, tuple[str, Path]]) -> RenderJob:
    """The video of one scene. ``traces`` maps ``sim.variant`` → (key, npz path)."""
    ch = entry.chapter
    inputs = _render_inputs(entry.path, entry.name, quality, False,
                            {"traces": {n: k for n, (k, _) in traces.items()}}, _siblings(ch))
    artifact = output_dir() / "scenes" / QUALITIES[quality] / ch.tag / f"{entry.name}.mp4"
    return RenderJob(entry.target, entry.path, entry.name, quality, False, artifact, inputs,
                     {"kind": "scene", "chapter": ch.number, "scene": entry.name, "quality": QUALITIES[quality]},
                     {"REEL_TRACES": json.dumps({n: str(p) for n, (_, p) in traces.items()})})


def still_job(entry: Entry, traces: dict[str, tuple[str, Path]], quality: str = STILL_QUALITY) -> RenderJob:
    """The last frame of a scene (or a diagram figure) as a 1080p PNG (other qualities: a preview)."""
    ch = entry.chapter
    inputs = _render_inputs(entry.path, entry.name, quality, True,
                            {"traces": {n: k for n, (k, _) in traces.items()}}, _siblings(ch))
    folder = output_dir() / "figures" if quality == STILL_QUALITY else output_dir() / "preview" / QUALITIES[quality]
    artifact = folder / ch.tag / f"{entry.name}.png"
    kind = "figure" if quality == STILL_QUALITY else "preview"
    return RenderJob(f"{entry.target} (still)", entry.path, entry.name, quality, True, artifact, inputs,
                     {"kind": kind, "chapter": ch.number, "scene": entry.name, "quality": QUALITIES[quality],
                      **({"diagram": entry.diagram} if entry.diagram else {})},
                     {"REEL_TRACES": json.dumps({n: str(p) for n, (_, p) in traces.items()})})


def titlecard_job(chapter: Chapter, quality: str) -> RenderJob:
    """The card that opens a chapter video: 第N章 and the title."""
    card = {"number": chapter.number, "title": chapter.title}
    inputs = _render_inputs(TITLECARD_PATH, "TitleCard", quality, False, {"card": card})
    artifact = cache_dir() / "titlecards" / theme() / QUALITIES[quality] / f"{chapter.tag}.mp4"
    return RenderJob(f"{chapter.tag} title card", TITLECARD_PATH, "TitleCard", quality, False, artifact, inputs,
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


def _log_tail(path: Path, lines: int = 8) -> str:
    return "\n  ".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])


def _timed_run(cmd: list[str], env: dict[str, str], log) -> tuple[int, float, float]:
    """Run ``cmd`` writing to ``log``; its exit status, wall seconds and CPU seconds (its own, from wait4:
    several renders run at once, so the parent's children totals would mix them)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def expected_seconds(job: RenderJob) -> float | None:
    """How long this job took last time (any key: a stale record still knows the scene's cost)."""
    record = read_record(job.artifact) or {}
    return record.get("wall_s")


def longest_first(jobs: list[RenderJob]) -> list[RenderJob]:
    """Jobs never timed first (they may be long), then by their last wall time, longest first, so the
    run does not end with one core waiting on a long scene that started last."""
    timed = {id(job): expected_seconds(job) for job in jobs}
    return sorted(jobs, key=lambda job: (timed[id(job)] is not None, -(timed[id(job)] or 0.0)))


def run_job(job: RenderJob, recheck: bool = True) -> dict | None:
    """Render one job and publish its artifact; returns its record, or None when, once this job held
    the scene's lock, another run had already made the same artifact (``recheck``)."""
    media_dir = _media_dir(job)
    media_dir.mkdir(parents=True, exist_ok=True)
    log_path = cache_dir() / "logs" / f"{_job_name(job)}-{media_dir.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    screen_log = media_dir / "screen.json"
    env = {**os.environ, **job.env, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "REEL_THEME": theme(), "REEL_SCREENLOG": str(screen_log)}
    with FileLock(str(media_dir) + ".lock"):
        if recheck and job.fresh:  # a concurrent run made it while this one waited for the lock
            return None
        for leftover in ("videos", "images"):  # from an interrupted run
            shutil.rmtree(media_dir / leftover, ignore_errors=True)
        screen_log.unlink(missing_ok=True)
        # the log is written aside and renamed, so a killed job leaves the previous log whole
        partial_log = log_path.with_name(log_path.name + ".partial")
        with open(partial_log, "w", encoding="utf-8") as log:
            returncode, wall, cpu = _timed_run(_manim_command(job, media_dir), env, log)
        os.replace(partial_log, log_path)
        if returncode != 0:
            raise ComputeError(f"rendering {job.label} failed (log: {log_path}):\n  {_log_tail(log_path)}")
        produced = _find_output(media_dir, job)
        extra = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        if not job.still:
            extra["duration_s"] = round(probe_duration(produced), 3)
        if screen_log.is_file():  # beside the artifact, in place before the artifact itself
            beside = screen_log_path(job.artifact)
            beside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(screen_log, beside)
            extra["screen_log"] = str(beside.relative_to(output_dir()))
        record = publish(produced, job.artifact, job.key, inputs=job.inputs, **job.record, **extra)
        # keep manim's Tex/Text caches for the next render of this scene, not its movie pieces
        shutil.rmtree(media_dir / "videos", ignore_errors=True)
        shutil.rmtree(media_dir / "images", ignore_errors=True)
        return record


@dataclass
class RunResult:
    """What a batch of jobs did: rendered, found already made by another run, or failed (with why)."""

    rendered: list[RenderJob] = field(default_factory=list)
    made_elsewhere: list[RenderJob] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # label → message with the log tail

    def raise_failures(self) -> None:
        if self.failed:
            raise ComputeError("\n".join(self.failed.values()))


def run_jobs(jobs: Iterable[RenderJob], workers: int, on_start: Callable[[RenderJob], None] | None = None,
             on_end: Callable[[RenderJob, str], None] | None = None, force: bool = False) -> RunResult:
    """Run stale jobs (all of them with ``force``) in parallel; every job ends "rendered", "fresh" (made
    by a concurrent run meanwhile) or "failed", and ``on_end(job, outcome)`` says which."""
    jobs = longest_first([j for j in jobs if force or not j.fresh])
    result = RunResult()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(_started, job, on_start, not force): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                outcome = "rendered" if future.result() is not None else "fresh"
            except ComputeError as exc:
                result.failed[job.label] = str(exc)
                outcome = "failed"
            (result.rendered if outcome == "rendered" else result.made_elsewhere if outcome == "fresh"
             else []).append(job)
            if on_end:
                on_end(job, outcome)
    return result


def _started(job: RenderJob, on_start: Callable[[RenderJob], None] | None, recheck: bool) -> dict | None:
    if on_start:
        on_start(job)
    return run_job(job, recheck)
