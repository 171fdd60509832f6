"""Stills without a second run: a scene's last frame drawn once, at any size.

A scene's still is its last frame at 1080p. Rendered on its own (``manim -s``), manim
still rasterises every ``play``'s frame at full size on the way to the end (the static
background and one frame per animation); ``draw_only_the_last_frame`` skips those.
Better still, the video render of the same scene can draw the still itself once
``construct()`` ends (``save_frame_png``): the pipeline asks for it with
``REEL_STILL_OUT`` and no second run of the scene is needed at all.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from manim import Scene
from manim.utils.iterables import list_update

from scenes.kit.camera import BookCamera

__all__ = ["draw_only_the_last_frame", "save_frame_png", "still_request"]


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def draw_only_the_last_frame(renderer: Any) -> None:
    """In a still render, make every ``play`` skip its drawing; the final frame is drawn as usual."""
    play = renderer.play

    def play_without_drawing(*args: Any, **kwargs: Any) -> None:
        if not renderer.file_writer.output_spec.is_still:
            return play(*args, **kwargs)
        saved = {name: renderer.__dict__.get(name) for name in ("update_frame", "save_static_frame_data")}
        renderer.update_frame = _nothing
        renderer.save_static_frame_data = lambda *a, **k: setattr(renderer, "static_image", None)
        try:
            return play(*args, **kwargs)
        finally:  # back to what drew before (the class's methods), for the last frame
            for name, method in saved.items():
                if method is None:
                    delattr(renderer, name)
                else:
                    setattr(renderer, name, method)

    renderer.play = play_without_drawing


def still_request() -> tuple[Path, int, int] | None:
    """``REEL_STILL_OUT=/path.png`` and ``REEL_STILL_SIZE=1920x1080``, when the pipeline asks for a still."""
    out = os.environ.get("REEL_STILL_OUT")
    if not out:
        return None
    width, _, height = os.environ.get("REEL_STILL_SIZE", "1920x1080").partition("x")
    return Path(out), int(width), int(height)


def save_frame_png(scene: Scene, path: Path, width: int, height: int) -> None:
    """Draw what ``scene`` shows now on a fresh ``width``×``height`` camera and save it as a PNG, atomically,
    with the seconds it took beside it (``X.json``).

    Same frame, same background: only the pixel count differs from the scene's own camera, and manim scales
    strokes and text with it, so this equals the last frame of a render at that size.
    """
    start, cpu = time.perf_counter(), time.process_time()
    own = scene.renderer.camera
    camera = BookCamera(pixel_width=width, pixel_height=height, frame_width=own.frame_width,
                        frame_height=own.frame_height, background_color=own.background_color,
                        background_opacity=own.background_opacity)
    camera.capture_mobjects(list_update(scene.mobjects, scene.foreground_mobjects))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    camera.get_image().save(tmp, "PNG")
    # what the still cost this process (the pipeline records it as the still's own render time)
    timing = {"wall_s": round(time.perf_counter() - start, 3), "cpu_s": round(time.process_time() - cpu, 3)}
    path.with_suffix(".json").write_text(json.dumps(timing), encoding="utf-8")
    os.replace(tmp, path)
