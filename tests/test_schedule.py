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
