"""Renders are timed, and the next run starts the longest (and the never-timed) jobs first."""

from __future__ import annotations

from pathlib import Path

from pipeline.artifacts import publish
from pipeline.registry import entries
from pipeline.render import longest_first, scene_job, still_job


def _jobs() -> list:
    found = []
    for entry in (e for e in entries() if e.implemented):
        traces = {n: ("k", Path()) for n in entry.traces}
        found += [still_job(entry, traces)] + ([scene_job(entry, "l", traces)] if entry.kind == "scene" else [])
    return found


def test_untimed_jobs_first_then_the_longest(out):
    jobs = _jobs()
    timed = [(jobs[0], 5.0), (jobs[1], 50.0), (jobs[2], 0.5)]
    for job, seconds in timed:
        made = out.parent / "made"
        made.write_bytes(b"x")
        publish(made, job.artifact, "an older key", wall_s=seconds, cpu_s=seconds, kind="figure", chapter=1)
    order = longest_first(jobs)
    untimed = jobs[3:]
    assert order[:len(untimed)] == untimed  # never timed: may be long, so first
    assert order[len(untimed):] == [jobs[1], jobs[0], jobs[2]]  # then 50 s, 5 s, 0.5 s


def _fake_job(out: Path, name: str, traces: tuple[str, ...]):
    from pipeline.render import RenderJob

    return RenderJob(name, Path("scenes/none.py"), name, "l", False, out / f"{name}.mp4",
                     {"scene": name, "traces": {t: "key" for t in traces}}, {"kind": "scene", "chapter": 1})


def test_one_job_graph_renders_start_when_their_traces_are_ready(out, monkeypatch):
    """Traces and renders share the workers: a render whose trace is stored starts while another, slow trace is
    still computing (not after every trace), and a render whose trace failed fails naming it."""
    import threading
    import time

    from pipeline import render
    from pipeline.errors import ComputeError

    events: list[str] = []
    lock = threading.Lock()

    def note(event: str) -> None:
        with lock:
            events.append(event)

    def fake_trace(job):
        note(f"start {job.name}")
        time.sleep({"slow.a": 1.0, "fast.b": 0.1, "bad.c": 0.05}[job.name])
        note(f"end {job.name}")
        if job.name == "bad.c":
            raise ComputeError("sim bad.c failed: ValueError: boom")
        return {"cached": False, "wall_s": 0.1, "key": "k"}

    def fake_render(job, on_start, recheck, executor):
        note(f"render {job.label}")
        return {"ok": True}

    monkeypatch.setattr(render, "run_trace_job", fake_trace)
    monkeypatch.setattr(render, "_started", fake_render)
    jobs = [_fake_job(out, "uses_b", ("fast.b",)), _fake_job(out, "uses_a", ("slow.a",)),
            _fake_job(out, "uses_c", ("bad.c",))]
    traces = [render.TraceJob("slow.a"), render.TraceJob("fast.b"), render.TraceJob("bad.c")]
    result = render.run_jobs(jobs, 2, traces=traces)

    assert events.index("render uses_b") < events.index("end slow.a")  # did not wait for the slow trace
    assert events.index("render uses_a") > events.index("end slow.a")
    assert "render uses_c" not in events
    assert "its trace bad.c failed" in result.failed["uses_c"]
    assert "boom" in result.failed["trace bad.c"]
    assert sorted(j.label for j in result.rendered) == ["uses_a", "uses_b"]


def test_a_chapter_is_joined_as_soon_as_its_parts_are_made(out, monkeypatch):
    """While other chapters still render, a chapter whose title card and scenes are done is joined; a chapter with
    a failed part is not; one with nothing to render is joined when asked."""
    from concurrent.futures import ThreadPoolExecutor

    from pipeline import build
    from pipeline.registry import chapter_by_tag
    from pipeline.render import titlecard_job

    joined: list[str] = []
    monkeypatch.setattr(build, "assemble_chapter", lambda chapter, *args: joined.append(chapter.tag) or "assembled")
    chapters = [chapter_by_tag(t) for t in ("ch01", "ch02", "ch03")]
    cards = {c.tag: titlecard_job(c, "l") for c in chapters}
    scenes = [j for j in _jobs() if not j.still and j.record["chapter"] in (1, 2)]
    with ThreadPoolExecutor(max_workers=1) as joiner:
        early = build.ChaptersAsReady(chapters, cards, scenes, "l", True, joiner)
        ch01 = [cards["ch01"], *(j for j in scenes if j.record["chapter"] == 1)]
        for job in ch01[:-1]:
            early.part_ended(job, "rendered")
        joiner.submit(lambda: None).result()
        assert joined == []  # one part still to come
        early.part_ended(ch01[-1], "fresh")  # made by a concurrent run: as good as rendered here
        joiner.submit(lambda: None).result()
        assert joined == ["ch01"]
        early.part_ended(cards["ch02"], "failed")
        for job in (j for j in scenes if j.record["chapter"] == 2):
            early.part_ended(job, "rendered")
        joiner.submit(lambda: None).result()
        assert joined == ["ch01"]
        assert early.state(chapters[0]) == "assembled" and joined == ["ch01"]  # the early join's result
        assert early.state(chapters[2]) == "assembled" and joined == ["ch01", "ch03"]  # asked: joined now
