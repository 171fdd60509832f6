"""Fresh or stale, and why: the cache rule made visible (``reel list`` and ``reel status --why``).

Nothing is computed here: trace keys come from the sims' sources and
parameters, render keys from the scenes' sources and those trace keys, and an
artifact is fresh when its record holds the same key. Each record keeps the
input document its key was made from, so a stale artifact can say which
input changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from pipeline.artifacts import read_record
from pipeline.hashing import explain_change
from pipeline.registry import Entry, entries, resolve_targets
from pipeline.render import RenderJob, scene_job, still_job
from pipeline.traces import TraceSpec, TraceStore, discover_sims

__all__ = ["entry_status", "artifact_status"]


def _trace_keys(entry: Entry, overrides: dict[str, dict[str, Any]] | None = None) -> dict[str, tuple[str, Path]]:
    known = discover_sims()
    return {name: (TraceSpec.from_name(name, overrides).key() if name.partition(".")[0] in known else "", Path())
            for name in entry.traces}


def _state(job: RenderJob) -> str:
    if job.fresh:
        return "rendered"
    return "stale" if job.artifact.is_file() else "not rendered"


def entry_status(quality: str) -> list[dict[str, Any]]:
    """One row per scene (the book's and the added ones) and diagram figure, in chapter order (``reel list``)."""
    store = TraceStore()
    rows = []
    for entry in entries():
        traces = [{"name": n, "cached": n.partition(".")[0] in discover_sims() and store.is_cached(
            TraceSpec.from_name(n))} for n in entry.traces]
        if not entry.implemented:
            status = "not yet implemented"
        else:
            keys = _trace_keys(entry)
            status = _state(scene_job(entry, quality, keys) if entry.kind == "scene" else still_job(entry, keys))
        rows.append({
            "chapter": entry.chapter.number, "title": entry.chapter.title, "name": entry.name,
            "kind": entry.kind, "diagram": entry.diagram, "from_book": entry.from_book, "status": status,
            "traces": traces,
        })
    return rows


def artifact_status(targets: Iterable[str], quality: str, overrides: dict[str, dict[str, Any]] | None = None,
                    why: bool = False) -> list[dict[str, Any]]:
    """Every artifact of the targets (video and still): fresh, stale or not rendered; with ``why``, the
    inputs that changed since it was made (files, traces and their parameters, quality, theme, versions)."""
    rows = []
    for entry in resolve_targets(list(targets), kinds=("scene", "figure")):
        keys = _trace_keys(entry, overrides)
        jobs = ([scene_job(entry, quality, keys)] if entry.kind == "scene" else []) + [still_job(entry, keys)]
        for job in jobs:
            row = {"target": job.label, "path": str(job.artifact), "status": _state(job)}
            made = read_record(job.artifact) or {}
            row.update({k: made[k] for k in ("duration_s", "wall_s", "cpu_s") if k in made})  # the last render
            if why and row["status"] == "stale":
                row["why"] = _why(job, overrides)
            rows.append(row)
    return rows


def _why(job: RenderJob, overrides: dict[str, dict[str, Any]] | None) -> list[str]:
    record = read_record(job.artifact) or {}
    before = record.get("inputs")
    if before is None:
        return ["made by an older reel that did not record its inputs"]
    lines = [line for line in explain_change(before, job.inputs) if not line.startswith("traces ")]
    for name, old_key in (before.get("traces") or {}).items():
        new_key = job.inputs["traces"].get(name)
        if new_key != old_key:
            lines += [f"trace {name}: {line}" for line in _trace_why(name, old_key, overrides)]
    if not lines and record.get("bytes") is not None:
        lines.append("the file was changed or replaced since it was rendered")
    return lines


def _trace_why(name: str, old_key: str, overrides: dict[str, dict[str, Any]] | None) -> list[str]:
    spec = TraceSpec.from_name(name, overrides)
    old_meta = TraceStore().paths(spec, old_key)[1]
    try:
        before = json.loads(old_meta.read_text(encoding="utf-8"))["inputs"]
    except (OSError, ValueError, KeyError):
        return ["its inputs changed (the old trace's record is gone, so which one is unknown)"]
    return explain_change(before, spec.inputs()) or ["its key changed"]
