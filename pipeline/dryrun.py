"""Run a scene's ``construct()`` without drawing a frame, and return its screen log.

manim's dry run with animations skipped: every mobject is built and every
``play`` reaches its end state, so text, formulas and layout are all made
(seconds per scene), but nothing is rasterised or encoded. Tests use it to
check that what a scene shows is what its traces hold, under any parameters.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock

from pipeline.paths import ROOT, cache_dir

__all__ = ["dry_run"]


@contextmanager
def _env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _scene_class(module_path: Path, scene: str) -> type:
    """The scene class: project modules imported by name, any other file by its path."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    path = module_path.resolve()
    if path.is_relative_to(ROOT):
        module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    else:
        spec = importlib.util.spec_from_file_location(f"reel_dry_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    try:
        return getattr(module, scene)
    except AttributeError:
        raise LookupError(f"{module_path.name} has no scene {scene!r}") from None


def _draw_nothing(renderer: Any) -> None:
    """Skipping animations still rasterises each play's static frame with cairo; nobody sees it here."""
    renderer.update_frame = lambda *args, **kwargs: None
    renderer.save_static_frame_data = lambda *args, **kwargs: None


def dry_run(module_path: Path, scene: str, traces: dict[str, str | Path], media: Path | None = None) -> dict[str, Any]:
    """Construct ``scene`` from ``module_path`` with ``traces`` (``sim.variant`` → npz path), no frames.

    Returns the screen log: ``{"scene", "duration_s", "entries": [{"t", "kind", "text"[, "end"]}, …]}``.
    ``media`` is manim's media folder (its Tex/Text caches make the next run fast).
    """
    from manim import tempconfig

    cls = _scene_class(module_path, scene)
    media = media or cache_dir() / "media" / "dry-run"
    media.mkdir(parents=True, exist_ok=True)
    handed = json.dumps({k: str(v) for k, v in traces.items()})
    with FileLock(str(media) + ".lock"), _env(REEL_TRACES=handed, REEL_SCREENLOG=""), \
            tempconfig({"dry_run": True, "media_dir": str(media), "disable_caching": True, "verbosity": "ERROR",
                        "progress_bar": "none", "quality": "low_quality"}):
        instance = cls(skip_animations=True)
        _draw_nothing(instance.renderer)
        instance.render()
        return {"scene": scene, "duration_s": round(instance.now, 3), "entries": instance.screen_log}
