"""Render scenes with manim, one process per scene, in parallel.

Each job runs manim's command line in a process of its own (forked from a warm
manim process, ``pipeline.forkserver``) with its own ``media_dir`` (manim's Tex
and Text caches are not safe to share between processes), names its scene
explicitly, and publishes its file only when manim has finished. A scene's
video job may carry its 1080p still as a *companion*: the same process draws
the last frame at 1080p once ``construct()`` ends, so the still costs no
second run of the scene.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Protocol

from filelock import FileLock

from pipeline.artifacts import is_fresh, publish, read_record
from pipeline.errors import ComputeError, UsageError
from pipeline.forkserver import ForkServer, ForkServerError
from pipeline.hashing import digest, package_version, scene_sources, source_closure
from pipeline.media import probe_duration
from pipeline.paths import ROOT, cache_dir, output_dir, theme
from pipeline.registry import Chapter, Entry

__all__ = ["QUALITIES", "quality_name", "screen_log_path", "RenderJob", "RunResult", "scene_job", "still_job",
           "titlecard_job", "run_jobs", "with_companion_stills", "TraceJob", "Executor", "LocalExecutor",
           "manim_command", "manim_args", "find_output", "timed_run", "clear_media", "drop_movie_pieces", "SIDE_FILES"]

# manim's presets: flag letter → folder name manim itself uses
QUALITIES = {"l": "480p15", "m": "720p30", "h": "1080p60", "p": "1440p60", "k": "2160p60"}
STILL_QUALITY = "h"  # figures are 1080p
PIXELS = {"l": (854, 480), "m": (1280, 720), "h": (1920, 1080), "p": (2560, 1440), "k": (3840, 2160)}
PREVIEW_QUALITY = "l"  # `reel preview`: the fastest look
TITLECARD_PATH = ROOT / "scenes" / "titlecard.py"
MANIM_CONFIG = Path(__file__).with_name("manim.cfg")  # reel's encoder settings (see the file)


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
    companion: RenderJob | None = None  # a still this job's process draws at its end (same scene, same traces)

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
        "manim_config": _manim_config(),
        **extra,
    }


@lru_cache(maxsize=1)
def _manim_config() -> str:
    return MANIM_CONFIG.read_text(encoding="utf-8")


def _siblings(chapter: Chapter) -> set[str]:
    """All the scene and figure names of a chapter module."""
    return set(chapter.all_scenes) | {name for _, name in chapter.figures}


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


def manim_command(quality: str, still: bool, module_path: Path, scene: str, media_dir: Path) -> list[str]:
    """The manim invocation of one job as a process of its own (on a Ray worker; here it runs forked)."""
    return [sys.executable, "-m", "manim", *manim_args(quality, still, module_path, scene, media_dir)]


def manim_args(quality: str, still: bool, module_path: Path, scene: str, media_dir: Path) -> list[str]:
    """manim's command line for one job, after ``manim``."""
    args = ["render", f"-q{quality}", "--media_dir", str(media_dir), "--config_file", str(MANIM_CONFIG),
            "--disable_caching", "--progress_bar", "none", "-v", "WARNING"]
    if still:
        args += ["-s", "--format", "png"]
    return args + [str(module_path), scene]


def find_output(media_dir: Path, scene: str, still: bool, label: str) -> Path:
    """The video (or PNG) manim wrote for ``scene`` under ``media_dir``."""
    if still:
        pattern, where = f"{scene}*.png", media_dir / "images"
    else:
        pattern, where = f"{scene}.mp4", media_dir / "videos"
    found = [p for p in where.rglob(pattern) if "partial_movie_files" not in p.parts]
    if not found:
        raise ComputeError(f"{label}: manim finished but wrote no {pattern}")
    return max(found, key=lambda p: p.stat().st_mtime)


def _log_tail(path: Path, lines: int = 8) -> str:
    return "\n  ".join(path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-lines:])


def timed_run(cmd: list[str], env: dict[str, str], log, preexec_fn: Callable[[], None] | None = None,
              ) -> tuple[int, float, float]:
    """Run ``cmd`` writing to ``log``; its exit status, wall seconds and CPU seconds (its own, from wait4:
    several renders run at once, so the parent's children totals would mix them)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=preexec_fn)
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


def run_job(job: RenderJob, recheck: bool = True, executor: Executor | None = None) -> dict | None:
    """Render one job and publish its artifact; returns its record, or None when, once this job held
    the scene's lock, another run had already made the same artifact (``recheck``).

    The ``executor`` runs manim (here, or on a Ray worker that sends back the files it wrote); checking,
    publishing and the record happen here either way."""
    executor = executor or LOCAL
    media_dir = _media_dir(job)
    media_dir.mkdir(parents=True, exist_ok=True)
    log_path = cache_dir() / "logs" / f"{_job_name(job)}-{media_dir.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    screen_log = media_dir / "screen.json"
    env = {**os.environ, **job.env, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "REEL_THEME": theme(), "REEL_SCREENLOG": str(screen_log)}
    companion_png = media_dir / "companion.png"
    if job.companion:
        width, height = PIXELS[job.companion.quality]
        env |= {"REEL_STILL_OUT": str(companion_png), "REEL_STILL_SIZE": f"{width}x{height}"}
    with FileLock(str(media_dir) + ".lock"):
        if recheck and job.fresh:  # a concurrent run made it while this one waited for the lock
            return None
        clear_media(media_dir)
        # the log is written aside and renamed, so a killed job leaves the previous log whole
        partial_log = log_path.with_name(log_path.name + ".partial")
        with open(partial_log, "w", encoding="utf-8") as log:
            returncode, wall, cpu = executor.run_manim(job, media_dir, env, log)
        os.replace(partial_log, log_path)
        if returncode != 0:
            raise ComputeError(f"rendering {job.label} failed (log: {log_path}):\n  {_log_tail(log_path)}")
        produced = find_output(media_dir, job.scene, job.still, job.label)
        extra = {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}
        if not job.still:
            extra["duration_s"] = round(probe_duration(produced), 3)
        if job.companion and companion_png.is_file():  # before the video: its log moves next
            _publish_companion(job, companion_png, screen_log)
        if screen_log.is_file():  # beside the artifact, in place before the artifact itself
            beside = screen_log_path(job.artifact)
            beside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(screen_log, beside)
            extra["screen_log"] = str(beside.relative_to(output_dir()))
        record = publish(produced, job.artifact, job.key, inputs=job.inputs, **job.record, **extra)
        drop_movie_pieces(media_dir)
        return record


SIDE_FILES = ("screen.json", "companion.png", "companion.json")  # what a render writes beside its output


def clear_media(media_dir: Path) -> None:
    """Remove what an interrupted run may have left in a job's media folder (its caches stay)."""
    drop_movie_pieces(media_dir)
    for name in SIDE_FILES:
        (media_dir / name).unlink(missing_ok=True)


def drop_movie_pieces(media_dir: Path) -> None:
    """Keep manim's Tex/Text caches for the next render of the scene, not its movie pieces and images."""
    shutil.rmtree(media_dir / "videos", ignore_errors=True)
    shutil.rmtree(media_dir / "images", ignore_errors=True)


def _publish_companion(job: RenderJob, png: Path, screen_log: Path) -> None:
    """Publish the still a video job drew, with its own key and record (and a copy of the scene's screen log:
    a still run of the scene would have logged the same texts)."""
    still = job.companion
    timing = png.with_suffix(".json")
    extra: dict = {"made_by": job.label, **(json.loads(timing.read_text(encoding="utf-8")) if timing.is_file() else {})}
    if screen_log.is_file():
        beside = screen_log_path(still.artifact)
        beside.parent.mkdir(parents=True, exist_ok=True)
        tmp = beside.with_name(f".{beside.name}.{os.getpid()}.tmp")
        shutil.copyfile(screen_log, tmp)
        os.replace(tmp, beside)
        extra["screen_log"] = str(beside.relative_to(output_dir()))
    publish(png, still.artifact, still.key, inputs=still.inputs, **still.record, **extra)


def with_companion_stills(jobs: list[RenderJob], force: bool = False) -> list[RenderJob]:
    """Hand each scene's still to its video job when both are to be made: one run of the scene, not two.

    A still whose video is up to date (or that has no video job here) stays a job of its own."""
    videos = {(j.module_path, j.scene): j for j in jobs if not j.still}
    out = []
    for job in jobs:
        video = videos.get((job.module_path, job.scene)) if job.still and job.quality == STILL_QUALITY else None
        if video is not None and (force or not video.fresh) and (force or not job.fresh):
            video.companion = job
            continue
        out.append(job)
    return out


@dataclass
class RunResult:
    """What a batch of jobs did: rendered, found already made by another run, or failed (with why)."""

    rendered: list[RenderJob] = field(default_factory=list)
    made_elsewhere: list[RenderJob] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # label → message with the log tail

    def raise_failures(self) -> None:
        if self.failed:
            raise ComputeError("\n".join(self.failed.values()))


@dataclass
class TraceJob:
    """A trace some renders read that is not computed yet: made in a process of its own (``pipeline.tracejob``),
    so it runs beside renders and other traces, and the renders that read it start as soon as it is stored."""

    name: str  # sim.variant
    overrides: dict = field(default_factory=dict)  # per-sim overrides, as ``parse_sim_overrides`` gives them

    @property
    def label(self) -> str:
        return f"trace {self.name}"


def run_trace_job(job: TraceJob) -> dict:
    """Compute one trace in a child process; returns ``{"cached", "wall_s", "key"}``."""
    request = json.dumps({"name": job.name, "overrides": job.overrides})
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.run([sys.executable, "-m", "pipeline.tracejob", request], cwd=ROOT, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"]
        raise ComputeError(lines[-1] if proc.returncode in (1, 2) else "\n  ".join(lines[-8:]))
    return json.loads(proc.stdout.strip().splitlines()[-1])


class Executor(Protocol):
    """Where jobs run: child processes here (``LocalExecutor``), or Ray tasks (``pipeline.remote.RayExecutor``)."""

    def run_manim(self, job: RenderJob, media_dir: Path, env: dict[str, str], log) -> tuple[int, float, float]:
        """Run the job's manim, leaving what it wrote in ``media_dir`` and its output in ``log``; returns its
        exit status, wall seconds and CPU seconds."""

    def run_trace(self, trace: TraceJob) -> dict:
        """Compute one trace into the store; ``{"cached", "wall_s", "key"}``."""


class LocalExecutor:
    """Every job a child process here (the default).

    A render forks from a warm manim process (``pipeline.forkserver``), one per worker thread, instead of
    starting ``python -m manim``: the import of manim (≈0.8 CPU-s) is paid once per worker, not once per job.
    If that server cannot start, jobs run as plain ``python -m manim`` processes. ``close()`` ends the servers.
    """

    def __init__(self, fork: bool = True) -> None:
        self._fork = fork
        self._servers: dict[int, ForkServer] = {}  # worker thread → its server
        self._lock = threading.Lock()

    def run_manim(self, job: RenderJob, media_dir: Path, env: dict[str, str], log) -> tuple[int, float, float]:
        server = self._server() if self._fork else None
        if server is None:
            return timed_run(manim_command(job.quality, job.still, job.module_path, job.scene, media_dir), env, log)
        log.flush()
        try:
            return server.run(manim_args(job.quality, job.still, job.module_path, job.scene, media_dir), env,
                              Path(log.name))
        except ForkServerError as exc:
            raise ComputeError(f"rendering {job.label}: {exc}") from None

    def run_trace(self, trace: TraceJob) -> dict:
        return run_trace_job(trace)

    def _server(self) -> ForkServer | None:
        """This thread's server, started on its first render (a server that died is replaced)."""
        thread = threading.get_ident()
        with self._lock:
            server = self._servers.get(thread)
        if server is not None and server.alive:
            return server
        if server is not None:
            server.close()
        try:
            # started from the worker thread that uses it: the server dies with that thread (PR_SET_PDEATHSIG
            # follows the thread), which ends only when the run has no more jobs for it
            server = ForkServer(ROOT)
        except ForkServerError:
            self._fork = False  # a manim that cannot even import fails again, with its log, as a plain process
            return None
        with self._lock:
            self._servers[thread] = server
        return server

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()


LOCAL = LocalExecutor(fork=False)  # one job at a time, no server to keep (``run_jobs`` makes its own)


def run_jobs(jobs: Iterable[RenderJob], workers: int, on_start: Callable[[RenderJob], None] | None = None,
             on_end: Callable[[RenderJob, str], None] | None = None, force: bool = False,
             traces: Iterable[TraceJob] = (), on_trace: Callable[[TraceJob, dict | None, str], None] | None = None,
             executor: Executor | None = None) -> RunResult:
    """Run stale jobs (all of them with ``force``) on ``workers`` threads, each job one child process.

    One job graph: the ``traces`` still to compute come first, and a render starts as soon as the traces it
    reads are stored (a render whose trace failed fails, naming it). Renders go longest first. Every render
    ends "rendered", "fresh" (made by a concurrent run meanwhile) or "failed", and ``on_end(job, outcome)``
    says which; ``on_trace(trace, info, error)`` reports each trace. The ``executor`` runs each job (default: a
    child process here); scheduling, locks, checks and publishing stay in this process.
    """
    own = executor is None
    executor = executor or LocalExecutor()
    try:
        return _run_graph(jobs, workers, on_start, on_end, force, traces, on_trace, executor)
    finally:
        if own:
            executor.close()


def _run_graph(jobs: Iterable[RenderJob], workers: int, on_start: Callable[[RenderJob], None] | None,
               on_end: Callable[[RenderJob, str], None] | None, force: bool, traces: Iterable[TraceJob],
               on_trace: Callable[[TraceJob, dict | None, str], None] | None, executor: Executor) -> RunResult:
    queue: list[RenderJob | TraceJob] = [*traces, *longest_first([j for j in jobs if force or not j.fresh])]
    pending = {t.name for t in queue if isinstance(t, TraceJob)}
    failed_traces: dict[str, str] = {}
    result = RunResult()
    ready = threading.Condition()

    def blockers(job: RenderJob) -> set[str]:
        return set(job.inputs.get("traces", {})) & pending

    def take() -> RenderJob | TraceJob | None:
        for i, task in enumerate(queue):
            if isinstance(task, TraceJob) or not blockers(task):  # (a failed trace is no longer pending)
                return queue.pop(i)
        return None

    def ended(job: RenderJob, outcome: str, message: str = "") -> None:
        if outcome == "failed":
            result.failed[job.label] = message
        (result.rendered if outcome == "rendered" else result.made_elsewhere if outcome == "fresh"
         else []).append(job)
        if on_end:
            on_end(job, outcome)

    def run_trace(task: TraceJob) -> None:
        try:
            info, error = executor.run_trace(task), ""
        except ComputeError as exc:
            info, error = None, str(exc)
        except BaseException as exc:  # whatever it was, the renders waiting on this trace must not wait forever
            info, error = None, f"trace {task.name}: {type(exc).__name__}: {exc}"
            unexpected.append(exc)
        with ready:
            pending.discard(task.name)
            if error:
                failed_traces[task.name] = error
                result.failed[task.label] = error
            if on_trace:
                on_trace(task, info, error)
            ready.notify_all()

    def run_render(job: RenderJob) -> None:
        broken = sorted(set(job.inputs.get("traces", {})) & failed_traces.keys())
        if broken:
            with ready:
                ended(job, "failed", f"{job.label}: not rendered, its trace {broken[0]} failed")
                if job.companion:
                    ended(job.companion, "failed", f"{job.companion.label}: not rendered, its trace {broken[0]} "
                                                   f"failed")
            return
        try:
            outcome, message = ("rendered" if _started(job, on_start, not force, executor) is not None
                                else "fresh"), ""
        except ComputeError as exc:
            outcome, message = "failed", str(exc)
        with ready:
            ended(job, outcome, message)
            if job.companion:
                ended(job.companion, *_companion_outcome(job, result))
            ready.notify_all()

    def worker() -> None:
        while True:
            with ready:
                task = take()
                while task is None and queue:
                    ready.wait()
                    task = take()
                if task is None:
                    return
            try:
                run_trace(task) if isinstance(task, TraceJob) else run_render(task)
            except BaseException as exc:  # not a render failure (those are ComputeErrors): a bug, raised below
                unexpected.append(exc)

    unexpected: list[BaseException] = []
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if unexpected:
        raise unexpected[0]
    return result


def _companion_outcome(job: RenderJob, result: RunResult) -> tuple[str, str]:
    still = job.companion
    if still.fresh:
        return "rendered", ""
    if job.label in result.failed:
        return "failed", f"{still.label}: not made, its scene failed to render ({job.label}, above)"
    return "failed", f"{still.label}: the render of {job.label} wrote no still (see {cache_dir() / 'logs'})"


def _started(job: RenderJob, on_start: Callable[[RenderJob], None] | None, recheck: bool,
             executor: Executor) -> dict | None:
    if on_start:
        on_start(job)
    record = run_job(job, recheck, executor)
    if record is None and job.companion and not job.companion.fresh:  # the video was made elsewhere meanwhile
        try:
            run_job(job.companion, recheck, executor)
        except ComputeError:  # reported as the still's own failure by _companion_outcome
            pass
    return record
