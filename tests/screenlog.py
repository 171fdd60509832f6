"""Dry-run a scene under chosen parameters and read its screen log (no frames are drawn).

``screen("ch01.PerceptronLine", "perceptron.lr=0.5")`` computes the scene's traces with those
overrides (cached for the whole test session), constructs the scene without rendering, and
returns what it showed, next to the traces it showed it from. Tests then check that every
number on screen is the trace's number for that run.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.artifacts import write_json_atomic
from pipeline.build import parse_sim_overrides
from pipeline.dryrun import dry_run
from pipeline.hashing import digest
from pipeline.paths import MARKER
from pipeline.registry import entries, resolve_targets
from pipeline.render import still_job
from pipeline.traces import TraceSpec, TraceStore
from sims.trace import Trace

__all__ = ["Screen", "screen", "all_targets", "numbers_in", "media_dir", "shared_trace_store", "stored", "STORE"]

STORE = Path(__file__).resolve().parent.parent / "output" / "cache" / "test-dry-run"


def media_dir() -> Path:
    """manim's media folder for dry runs, one per xdist worker (a dry run holds its folder's lock)."""
    return STORE / f"media-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@dataclass
class Screen:
    """What one dry run put on screen, and the traces it read."""

    target: str
    log: dict[str, Any]
    traces: dict[str, Trace]

    @property
    def entries(self) -> list[dict[str, Any]]:
        return self.log["entries"]

    def texts(self, kind: str | None = None) -> list[str]:
        return [e["text"] for e in self.entries if kind is None or e["kind"] == kind]

    def captions(self) -> list[str]:
        return self.texts("caption")

    def joined(self) -> str:
        """Everything shown, one entry per line (for substring checks with a readable failure)."""
        return "\n".join(self.texts())

    def shows(self, fragment: str) -> bool:
        """Some text or formula on screen contains ``fragment`` (spaces ignored)."""
        squeeze = fragment.replace(" ", "")
        return any(squeeze in t.replace(" ", "") for t in self.texts())

    def trace(self, name: str | None = None) -> Trace:
        return self.traces[name] if name else next(iter(self.traces.values()))


def all_targets(kinds: tuple[str, ...] = ("scene", "figure")) -> list[str]:
    """Every implemented scene and figure, as ``chNN.Name``."""
    return [e.target for e in entries() if e.implemented and e.kind in kinds]


@lru_cache(maxsize=None)
def screen(target: str, *sets: str) -> Screen:
    """Dry-run ``target`` with ``sets`` (``"sim.key=value"``); cached per arguments for the session.

    A dry run's log is also kept on disk under the key of everything it depends on (the scene's
    sources as its render key counts them, the keys of its traces, manim's version, the theme), so
    after an edit only the scenes that depend on the edited code are dry-run again - the same rule
    as renders. ``REEL_DRY_RUN_CACHE=0`` turns that off.
    """
    (entry,) = resolve_targets([target], ("scene", "figure"))
    overrides = parse_sim_overrides(sets)
    store = TraceStore(STORE / "traces")
    found = {name: store.ensure(TraceSpec.from_name(name, overrides)) for name in entry.traces}
    paths = {name: result.path for name, result in found.items()}
    job = still_job(entry, {name: (result.key, result.path) for name, result in found.items()})
    cached = STORE / "logs" / f"{digest({'dry_run': job.inputs})}.json"
    if os.environ.get("REEL_DRY_RUN_CACHE", "1") != "0" and cached.is_file():
        log = json.loads(cached.read_text(encoding="utf-8"))
    else:
        log = dry_run(entry.path, entry.name, paths, media=media_dir())
        write_json_atomic(cached, log)
    return Screen(target, log, {name: Trace.load(path) for name, path in paths.items()})


def stored(name: str) -> Trace:
    """A trace at its defaults (``"sim.variant"``) from the dry-run store: computed once per test run, then shared by
    the sims' tests, the dry runs and the render tests."""
    return TraceStore(STORE / "traces").load(TraceSpec.from_name(name))


def shared_trace_store(output: Path) -> None:
    """Make ``output``'s trace cache the dry-run store's (a link), so a render test and the dry runs train each
    trace once between them; the store's per-trace file lock serialises the two when they ask at the same time."""
    own = STORE / "traces"
    own.mkdir(parents=True, exist_ok=True)
    output.mkdir(parents=True, exist_ok=True)
    (output / MARKER).write_text("reel test output\n", encoding="utf-8")  # ours, as reel would mark it
    (output / "cache").mkdir()
    (output / "cache" / "traces").symlink_to(own, target_is_directory=True)


def numbers_in(text: str) -> list[float]:
    """Every number written in ``text`` (``-0.5``, ``3``, ``1.6e+67``)."""
    return [float(m) for m in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text.replace("−", "-"))]
