"""What ``reel render`` and ``reel figure`` do: traces and renders (one job graph) → chapters → manifest.

Each step is skipped when its key says nothing it depends on has changed;
the keys are computed in ``pipeline.traces`` (traces) and ``pipeline.render``
(renders), and this module only decides what runs. A trace's key is known
before the trace exists, so every render job is planned up front and starts
as soon as the traces it reads are stored (``pipeline.render.run_jobs``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.artifacts import write_manifest
from pipeline.assemble import assemble_book, assemble_chapter, missing_chapters
from pipeline.errors import UsageError
from pipeline.media import require_ffmpeg
from pipeline.paths import theme
from pipeline.registry import CHAPTERS, Chapter, Entry, chapter_entries, resolve_targets
from pipeline.remote import check_executor
from pipeline.render import (
    PREVIEW_QUALITY,
    Executor,
    RenderJob,
    RunResult,
    TraceJob,
    quality_name,
    run_jobs,
    scene_job,
    still_job,
    titlecard_job,
    with_companion_stills,
)
from pipeline.traces import TraceSpec, TraceStore, discover_sims, parse_overrides, sim_info

__all__ = ["Report", "parse_sim_overrides", "plan_traces", "ensure_traces", "render", "figures", "preview",
           "assemble_only"]


@dataclass
class Report:
    """What a run did, for the summary line and for tests."""

    traces_computed: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    fresh: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # chapters the book lacks at this quality
    chapters: dict[str, str] = field(default_factory=dict)
    book: str | None = None
    manifest: Path | None = None

    def summary(self) -> str:
        built = [c for c, state in self.chapters.items() if state == "assembled"]
        parts = [
            f"{len(self.traces_computed)} trace(s) computed",
            f"{len(self.rendered)} render(s)",
            f"{len(self.fresh)} up to date",
        ]
        if built:
            parts.append("assembled " + ", ".join(built))
        if self.book == "assembled":
            parts.append("assembled book")
        if self.missing:
            parts.append(f"the book lacks {', '.join(self.missing)} (not rendered at this quality: "
                         f"`reel render {' '.join(self.missing)}`)")
        return "; ".join(parts)


def parse_sim_overrides(assignments: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``["perceptron.lr=0.5"]`` → ``{"perceptron": {"lr": 0.5}}``, validated."""
    per_sim: dict[str, list[str]] = defaultdict(list)
    for item in assignments:
        name, dot, rest = item.partition(".")
        if not dot or "=" not in rest:
            raise UsageError(f"bad --set {item!r}: expected SIM.KEY=VALUE (e.g. perceptron.lr=0.5)")
        per_sim[name].append(rest)
    return {name: parse_overrides(sim_info(name), items) for name, items in per_sim.items()}


class Reporter:
    """A rich progress bar, or nothing with ``quiet``."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.console = Console(stderr=True)
        self.progress: Progress | None = None

    def __enter__(self) -> "Reporter":
        if not self.quiet:
            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=self.console, transient=True)
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()

    def task(self, description: str, total: int) -> int | None:
        return self.progress.add_task(description, total=total) if self.progress else None

    def advance(self, task: int | None, description: str | None = None) -> None:
        if self.progress and task is not None:
            self.progress.update(task, advance=1, **({"description": description} if description else {}))

    def log(self, message: str) -> None:
        if not self.quiet:
            self.console.print(message, highlight=False)


def checked_specs(names: Iterable[str], overrides: dict[str, dict[str, Any]]) -> dict[str, TraceSpec]:
    """A spec per trace name, in order; every sim and parameter set is checked before any work starts.

    A trace already stored with the sim's own parameters needs no check (its key says it was made from these
    very sources and variant), and skipping it spares importing the sim (torch: ~1.5 s) on every edit.
    """
    store = TraceStore()
    names = sorted(set(names))
    known = discover_sims()
    for name in names:
        if name.partition(".")[0] not in known:
            raise UsageError(f"a scene reads trace {name!r}, but sims/ has no such sim")
    specs = {name: TraceSpec.from_name(name, overrides) for name in names}
    for spec in specs.values():
        if spec.overrides or not store.is_cached(spec):
            store.params(spec)
    return specs


def ensure_traces(names: Iterable[str], overrides: dict[str, dict[str, Any]], reporter: Reporter,
                  report: Report) -> dict[str, tuple[str, Path]]:
    """Compute every trace the scenes need (cache hits are free)."""
    store = TraceStore()
    specs = checked_specs(names, overrides)
    task = reporter.task("traces", len(specs))
    found = {}
    for name, spec in specs.items():
        result = store.ensure(spec)
        if not result.cached:
            report.traces_computed.append(name)
            reporter.log(f"computed {name} in {result.meta['wall_s']:.2f} s")
        found[name] = (result.key, result.path)
        reporter.advance(task)
    return found


def plan_traces(names: Iterable[str], overrides: dict[str, dict[str, Any]]
                ) -> tuple[dict[str, tuple[str, Path]], list[TraceJob]]:
    """Every trace the scenes read: its key and path (known before it exists), and the ones still to compute.

    Nothing is computed here, but every sim and parameter set is checked, so bad input stops all work.
    """
    store = TraceStore()
    specs = checked_specs(names, overrides)
    found, todo = {}, []
    for name, spec in specs.items():
        key = spec.key()
        npz, meta = store.paths(spec, key)
        found[name] = (key, npz)
        if store.valid(npz, meta) is None:
            todo.append(TraceJob(name, overrides))
        elif not spec.overrides:
            store.ensure(spec)  # a cache hit: notes it in the index plain manim reads
    return found, todo


@contextmanager
def open_executor(executor: str, address: str | None, workers: int, reporter: Reporter
                  ) -> Iterator[tuple[Executor | None, int]]:
    """The executor jobs run on and how many run at once: the local pool, or a Ray session (started only here,
    once there is work to send)."""
    if executor == "local":
        yield None, workers
        return
    from pipeline.remote import ray_session

    start = time.perf_counter()
    with ray_session(address, workers) as ray:
        reporter.log(f"Ray {'at ' + address if address else 'started locally'}: {ray.slots} CPU(s) "
                     f"({time.perf_counter() - start:.1f} s)")
        yield ray, ray.slots


def _run(jobs: list[RenderJob], workers: int, force: bool, reporter: Reporter, report: Report,
         traces: list[TraceJob] = (), executor: str = "local", address: str | None = None,
         after: Callable[[RenderJob, str], None] | None = None) -> RunResult:
    """Render the stale jobs, computing first (in the same job graph) the traces they read that are missing;
    failures are collected in the result (the caller raises them at the end). Nothing is sent to an executor
    when every job is fresh. ``after(job, outcome)`` hears of each job as it ends."""
    stale = [j for j in jobs if force or not j.fresh]
    report.fresh += [j.label for j in jobs if j not in stale]
    if not stale:
        return RunResult()
    require_ffmpeg()
    stale = with_companion_stills(stale, force)
    read = {name for job in stale for name in job.inputs.get("traces", {})}
    traces = [t for t in traces if t.name in read]  # a fresh render needs no trace
    total = len(stale) + sum(j.companion is not None for j in stale) + len(traces)
    task = reporter.task(f"rendering {total}", total)
    running: set[str] = set()

    def started(job: RenderJob) -> None:
        running.add(job.label)
        if reporter.progress and task is not None:
            reporter.progress.update(task, description=f"rendering {', '.join(sorted(running))[:60]}")

    def ended(job: RenderJob, outcome: str) -> None:
        running.discard(job.label)
        if outcome == "rendered":
            report.rendered.append(job.label)
        elif outcome == "fresh":
            report.fresh.append(job.label)
        else:
            report.failed.append(job.label)
        reporter.log({"rendered": f"rendered {job.label}", "fresh": f"{job.label}: made meanwhile by another run",
                      "failed": f"[red]failed[/] {job.label}"}[outcome])
        reporter.advance(task)
        if after:
            after(job, outcome)

    def traced(trace: TraceJob, info: dict | None, error: str) -> None:
        if error:
            report.failed.append(trace.label)
            reporter.log(f"[red]failed[/] {trace.label}")
        elif not info["cached"]:  # else a concurrent run made it meanwhile
            report.traces_computed.append(trace.name)
            reporter.log(f"computed {trace.name} in {info['wall_s']:.2f} s")
        reporter.advance(task)

    with open_executor(executor, address, workers, reporter) as (runner, slots):
        return run_jobs(stale, slots, on_start=started, on_end=ended, force=force, traces=traces, on_trace=traced,
                        executor=runner)


def render(targets: Iterable[str], quality: str = "m", workers: int = 2, force: bool = False,
           sets: Iterable[str] = (), quiet: bool = False, executor: str = "local", address: str | None = None
           ) -> Report:
    """Videos, stills, chapter videos, book and manifest for the targets (default: everything)."""
    quality_name(quality)
    theme()  # every setting is checked before any work starts
    check_executor(executor, address)
    targets = list(targets)
    overrides = parse_sim_overrides(sets)
    entries = resolve_targets(targets, kinds=("scene", "figure"))
    report = Report()
    with Reporter(quiet) as reporter:
        traces, todo = plan_traces((t for e in entries for t in e.traces), overrides)
        jobs = _jobs_for(entries, quality, traces)
        chapters = sorted({e.chapter for e in entries if e.kind == "scene"}, key=lambda c: c.number)
        cards = {c.tag: titlecard_job(c, quality) for c in chapters}
        try:
            with ThreadPoolExecutor(max_workers=1) as joiner:
                early = ChaptersAsReady(chapters, cards, jobs, quality, force, joiner)
                result = _run(jobs + list(cards.values()), workers, force, reporter, report, todo, executor,
                              address, after=early.part_ended)
                broken = {job.record["chapter"] for job in jobs + list(cards.values()) if job.label in result.failed}
                for chapter in chapters:
                    if chapter.number in broken:  # its old part is stale for these settings: leave the chapter
                        reporter.log(f"{chapter.tag} not assembled: a part failed")
                        continue
                    state = early.state(chapter)
                    if state:
                        report.chapters[chapter.tag] = state
                        if state == "assembled":
                            reporter.log(f"assembled {chapter.tag}")
            if not targets and not broken:
                ready = [c for c in CHAPTERS if any(e.implemented and e.kind == "scene" for e in chapter_entries(c))]
                report.book = assemble_book(ready, quality, force)
        finally:  # whatever did publish is in the manifest, even when a job failed
            report.manifest = write_manifest()
        result.raise_failures()
    return report


def figures(targets: Iterable[str], workers: int = 2, force: bool = False, sets: Iterable[str] = (),
            quiet: bool = False, executor: str = "local", address: str | None = None) -> Report:
    """Still PNGs only, for scenes and diagram figures."""
    theme()
    check_executor(executor, address)
    overrides = parse_sim_overrides(sets)
    entries = resolve_targets(list(targets), kinds=("scene", "figure"))
    report = Report()
    with Reporter(quiet) as reporter:
        traces, todo = plan_traces((t for e in entries for t in e.traces), overrides)
        jobs = [still_job(e, {n: traces[n] for n in e.traces}) for e in entries]
        try:
            result = _run(jobs, workers, force, reporter, report, todo, executor, address)
        finally:
            report.manifest = write_manifest()
        result.raise_failures()
    return report


def preview(target: str, sets: Iterable[str] = (), force: bool = False, quiet: bool = False) -> tuple[Path, Report]:
    """The quickest look at one scene or figure: a 480p15 video (a figure: a 480p still), nothing else.

    Traces come from the cache (computed only if missing); no 1080p still, no chapter assembly. A
    scene's preview is the same file as ``reel render -q l`` makes, so each reuses the other's work.
    """
    theme()
    overrides = parse_sim_overrides(sets)
    entries = resolve_targets([target], kinds=("scene", "figure"))
    if len(entries) != 1:
        raise UsageError(f"preview takes one scene or figure; {target!r} is {len(entries)} of them "
                         f"({', '.join(e.name for e in entries)})")
    (entry,) = entries
    report = Report()
    with Reporter(quiet) as reporter:
        traces = ensure_traces(entry.traces, overrides, reporter, report)
        job = scene_job(entry, PREVIEW_QUALITY, traces) if entry.kind == "scene" else \
            still_job(entry, traces, PREVIEW_QUALITY)
        try:
            result = _run([job], 1, force, reporter, report)
        finally:
            report.manifest = write_manifest()
        result.raise_failures()
    return job.artifact, report


class ChaptersAsReady:
    """Join each chapter video as soon as its title card and scene videos are made, on ``joiner`` (one thread),
    while the workers go on with other chapters: the run does not end with every chapter joined one by one."""

    def __init__(self, chapters: list[Chapter], cards: dict[str, RenderJob], jobs: list[RenderJob], quality: str,
                 force: bool, joiner: ThreadPoolExecutor) -> None:
        self._chapters = {c.number: c for c in chapters}
        self._cards, self._quality, self._force, self._joiner = cards, quality, force, joiner
        parts = [*cards.values(), *(j for j in jobs if j.record["kind"] == "scene")]
        self._waiting: dict[int, set[str]] = defaultdict(set)  # chapter → labels of its parts still to render
        for job in parts:
            if job.record["chapter"] in self._chapters and (force or not job.fresh):
                self._waiting[job.record["chapter"]].add(job.label)
        self._joined: dict[int, Future] = {}

    def part_ended(self, job: RenderJob, outcome: str) -> None:
        number = job.record["chapter"]
        if job.label not in self._waiting.get(number, ()):
            return
        if outcome == "failed":  # the chapter stays as it was (``state`` is not asked for it)
            del self._waiting[number]
            return
        self._waiting[number].discard(job.label)
        if not self._waiting[number]:
            del self._waiting[number]
            self._joined[number] = self._joiner.submit(self._assemble, self._chapters[number])

    def state(self, chapter: Chapter) -> str | None:
        """The chapter's assembly: the one started early (its error raised here), or done now."""
        started = self._joined.get(chapter.number)
        return started.result() if started else self._assemble(chapter)

    def _assemble(self, chapter: Chapter) -> str | None:
        return assemble_chapter(chapter, self._cards[chapter.tag].artifact, self._quality, self._force)


def _jobs_for(entries: list[Entry], quality: str, traces: dict[str, tuple[str, Path]]) -> list[RenderJob]:
    """A video for every scene, a 1080p still for every scene and figure."""
    jobs = []
    for entry in entries:
        mine = {n: traces[n] for n in entry.traces}
        if entry.kind == "scene":
            jobs.append(scene_job(entry, quality, mine))
        jobs.append(still_job(entry, mine))
    return jobs


def assemble_only(quality: str = "m", quiet: bool = False) -> Report:
    """Chapter and book videos from scenes already rendered (title cards rendered if missing)."""
    quality_name(quality)
    theme()
    report = Report()
    with Reporter(quiet) as reporter:
        chapters = [c for c in CHAPTERS if any(e.implemented and e.kind == "scene" for e in chapter_entries(c))]
        cards = {c.tag: titlecard_job(c, quality) for c in chapters}
        _run(list(cards.values()), 1, False, reporter, report).raise_failures()
        for chapter in chapters:
            state = assemble_chapter(chapter, cards[chapter.tag].artifact, quality)
            if state:
                report.chapters[chapter.tag] = state
        report.book = assemble_book(chapters, quality)
        report.missing = missing_chapters(chapters, quality)
        report.manifest = write_manifest()
    return report
