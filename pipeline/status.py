"""Whether each scene is rendered, stale, or not yet implemented (for ``reel list``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.registry import entries
from pipeline.render import scene_job, still_job
from pipeline.traces import TraceSpec, TraceStore, discover_sims

__all__ = ["entry_status"]


def entry_status(quality: str) -> list[dict[str, Any]]:
    """One row per book scene and diagram figure, in chapter order."""
    store = TraceStore()
    known = discover_sims()
    rows = []
    for entry in entries():
        traces, trace_keys = [], {}
        for name in entry.traces:
            spec = TraceSpec.from_name(name)
            exists = spec.sim in known
            cached = exists and store.is_cached(spec)
            key = spec.key() if exists else ""
            trace_keys[name] = (key, Path())
            traces.append({"name": name, "cached": cached})
        if not entry.implemented:
            status = "not yet implemented"
        else:
            job = scene_job(entry, quality, trace_keys) if entry.kind == "scene" else still_job(entry, trace_keys)
            if job.fresh:
                status = "rendered"
            elif job.artifact.is_file():
                status = "stale"
            else:
                status = "not rendered"
        rows.append({
            "chapter": entry.chapter.number, "title": entry.chapter.title, "name": entry.name,
            "kind": entry.kind, "diagram": entry.diagram, "status": status, "traces": traces,
        })
    return rows
