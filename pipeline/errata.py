"""``reel check``: the rows of every chapter's check module, computed from traces."""

from __future__ import annotations

from typing import Any, Iterable

from pipeline.checks import chapter_modules
from pipeline.errors import ComputeError
from pipeline.registry import chapter_by_tag
from pipeline.traces import TraceSpec, TraceStore

__all__ = ["errata_rows"]

STATUSES = {"equal", "different", "not_reproducible"}


def errata_rows(chapters: Iterable[str], quiet: bool = True) -> list[dict[str, Any]]:
    numbers = [chapter_by_tag(tag).number for tag in chapters] or None
    store = TraceStore()
    rows = []
    for module in chapter_modules(numbers):
        traces = {}
        for name in module.TRACES:
            traces[name] = store.load(TraceSpec.from_name(name))
        try:
            chapter_rows = module.rows(traces)
        except Exception as exc:  # a check that cannot compute is a failure, not a finding
            raise ComputeError(f"check for chapter {module.CHAPTER} failed: {type(exc).__name__}: {exc}") from exc
        for row in chapter_rows:
            if row.status not in STATUSES:
                raise ComputeError(f"{row.id}: invalid status {row.status!r}")
            rows.append(row.as_dict())
    return rows
