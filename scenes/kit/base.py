"""``BookScene``: the base of every scene of the book.

It gives a scene its canvas, title and caption band, hands it the traces the
pipeline computed (checked: a field the trace lacks fails naming the scene and
the field), and keeps the scene's *screen log*: every text, formula and number
put on screen, with the time it appears. The log is saved beside the render
(``REEL_SCREENLOG``), tested against the traces, and is the source of captions.

Traces come from ``REEL_TRACES`` (a JSON map ``{"sim.variant": "/abs/x.npz"}``
set by the pipeline) or, when a scene is rendered with plain ``manim``, from
the index the trace store keeps of the default traces. A scene never computes
a trace; from the pipeline it imports only the book's printed reference numbers
(``pipeline.checks.chNN``), the same ones ``reel check`` compares against.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Iterator, Sequence

import manim
import numpy as np
from manim import (
    DOWN,
    UL,
    UP,
    Animation,
    Camera,
    FadeIn,
    FadeOut,
    Mobject,
    Scene,
    SingleStringMathTex,
    Succession,
    Text,
    config,
)
from manim.mobject.svg import svg_mobject
from manim.mobject.svg.svg_mobject import VMobjectFromSVGPath
from manim.mobject.text.numbers import DecimalNumber
from manim.mobject.text.text_mobject import MarkupText
from manim.renderer.cairo_renderer import CairoRenderer

from scenes.kit.camera import BookCamera
from scenes.kit.encoder import BookFileWriter
from scenes.kit.frames import draw_only_the_last_frame, save_frame_png, still_request
from scenes.kit.palette import PALETTE
from scenes.kit.text import CAPTION_SIZE, TITLE_SIZE, cjk
from sims.trace import Trace

__all__ = ["BookScene", "SAFE", "TraceFieldError", "MissingTraceError"]

SAFE = 0.4  # safe margin, manim units
ROOT = Path(__file__).resolve().parents[2]


def _drop_parsed_svg_after_use() -> None:
    """Every glyph of a Text or MathTex keeps the svgelements path it was built from, and manim
    deep-copies it with every copy of the glyph (each FadeIn, FadeOut and Transform copies): measured
    here as about half of all the time a text-heavy scene takes. The path is read once, when the
    glyph's points are generated (Cairo calls that only from ``__init__``); after that, drop it."""
    original = VMobjectFromSVGPath.generate_points
    if getattr(original, "_reel_drops_path", False):
        return

    def generate_points(self: VMobjectFromSVGPath) -> VMobjectFromSVGPath:
        result = original(self)
        self.path_obj = ()
        return result

    generate_points._reel_drops_path = True  # type: ignore[attr-defined]
    VMobjectFromSVGPath.generate_points = generate_points


_drop_parsed_svg_after_use()


SVG_CACHE_VERSION = "1"  # raise it when what is kept changes (e.g. what _drop_parsed_svg_after_use drops)


def _keep_parsed_svg_between_runs() -> None:
    """Every Text and MathTex is an SVG that manim writes once into the media folder (Pango's layout, LaTeX)
    and then parses into glyphs on every run: about 20 ms a text, a third of a text-heavy scene's
    ``construct()``. This keeps the parsed glyphs beside the SVG, pickled (2 ms to load), for the next run of
    the scene (the edited scene's still, its next render). The pickle's name hashes the SVG's bytes and all
    manim keys its own in-process cache on (``SVGMobject.hash_seed``), so a changed SVG, style or library is
    parsed anew; only SVGs that manim wrote into the media folder are kept, never a project file's."""
    original = svg_mobject.SVGMobject.generate_mobject
    if getattr(original, "_reel_keeps_parsed", False):
        return

    def generate_mobject(self: svg_mobject.SVGMobject) -> svg_mobject.SVGMobject:
        kept = _parsed_svg_file(self)
        parsed = _load_parsed(kept) if kept else None
        if parsed is None:
            result = original(self)  # parses, adds the glyphs, flips them upright
            if kept:
                _store_parsed(kept, (self.submobjects, self.id_to_vgroup_dict))
            return result
        glyphs, self.id_to_vgroup_dict = parsed
        self.add(*glyphs)
        return self

    generate_mobject._reel_keeps_parsed = True  # type: ignore[attr-defined]
    svg_mobject.SVGMobject.generate_mobject = generate_mobject


def _parsed_svg_file(mob: svg_mobject.SVGMobject) -> Path | None:
    """Where the parsed glyphs of ``mob``'s SVG are kept: beside the SVG, if manim wrote it into the media folder."""
    try:
        svg = Path(mob.get_file_path()).resolve()
        svg.relative_to(Path(config.media_dir).resolve())
        data = svg.read_bytes()
    except (OSError, ValueError):
        return None
    stamp = repr((SVG_CACHE_VERSION, manim.__version__, np.__version__, sys.version, mob.hash_seed)).encode()
    return svg.with_name(f"{svg.stem}.{hashlib.sha256(stamp + data).hexdigest()[:20]}.parsed")


def _load_parsed(path: Path) -> tuple[list[Mobject], dict[str, Any]] | None:
    """The glyphs and manim's id → group map, as a parse of the SVG left them (None: parse it)."""
    try:
        with open(path, "rb") as f:
            parsed = pickle.load(f)
    except Exception:  # missing, half-written or unreadable: parse the SVG as usual
        return None
    return parsed if isinstance(parsed, tuple) and len(parsed) == 2 else None


def _store_parsed(path: Path, parsed: tuple[list[Mobject], dict[str, Any]]) -> None:
    """Written aside and renamed: a render killed meanwhile leaves no half file under the real name."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(parsed, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except Exception:  # a cache: failing to keep it costs the next run the parse, nothing else
        Path(tmp).unlink(missing_ok=True)


_keep_parsed_svg_between_runs()


class TraceFieldError(KeyError):
    """A scene read a field its trace does not have."""

    def __str__(self) -> str:
        return str(self.args[0])


class MissingTraceError(RuntimeError):
    """A scene's trace was neither handed over nor computed yet."""


class _Fields(Mapping):
    """A trace's metrics or params: a missing name fails with the scene, trace and name."""

    def __init__(self, values: Mapping[str, Any], where: str, what: str) -> None:
        self._values, self._where, self._what = dict(values), where, what

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            raise TraceFieldError(f"{self._where} has no {self._what} {name!r} (it has: {', '.join(self._values)})")
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class SceneTrace:
    """A trace as one scene reads it: ``t["array"]``, ``t.metrics["m"]``, ``t.params["p"]``, checked."""

    def __init__(self, trace: Trace, scene: str, name: str) -> None:
        self.trace, self.name = trace, name
        where = f"{scene}: trace {name!r}"
        self._arrays = _Fields(trace.arrays, where, "array")
        self.metrics = _Fields(trace.metrics, where, "metric")
        self.params = _Fields(trace.meta.get("params", {}), where, "parameter")

    def __getitem__(self, field: str) -> Any:
        return self._arrays[field]

    def __contains__(self, field: str) -> bool:
        return field in self._arrays

    @property
    def meta(self) -> dict[str, Any]:
        return self.trace.meta


def _output_dir() -> Path:
    """Where the pipeline keeps its outputs (the same rule as ``pipeline.paths``)."""
    return Path(os.environ.get("REEL_OUTPUT") or ROOT / "output").resolve()


def trace_paths() -> dict[str, str]:
    """``sim.variant`` → npz path: from the pipeline, else the trace store's index of default traces."""
    handed = os.environ.get("REEL_TRACES")
    if handed is not None:
        return json.loads(handed)
    index = _output_dir() / "cache" / "traces" / "index.json"
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: entry["npz"] for name, entry in entries.items() if Path(entry["npz"]).is_file()}


# --- the screen log ---------------------------------------------------------------------------------------------
def _text_of(mob: Mobject) -> tuple[str, str] | None:
    """``(kind, text)`` if ``mob`` is one piece of text on screen, else None."""
    if isinstance(mob, DecimalNumber):  # before the TeX check: numbers are drawn as TeX
        return "number", mob._get_num_string(mob.number)  # as drawn (decimals, sign)
    if isinstance(mob, (Text, MarkupText)):
        return "text", getattr(mob, "original_text", None) or mob.text
    if isinstance(mob, SingleStringMathTex):
        return "tex", mob.tex_string
    return None


def _texts(mob: Mobject) -> Iterator[Mobject]:
    """The outermost text-like mobjects in ``mob``'s family (of a mobject an updater redraws, its first build:
    ``log_as``, set by ``scenes.kit.counters.redraw_on_change``)."""
    shown_first = getattr(mob, "log_as", None)
    if shown_first is not None:
        yield from _texts(shown_first)
        return
    if _text_of(mob) is not None:
        yield mob
        return
    for sub in mob.submobjects:
        yield from _texts(sub)


def _targets(anim: Any) -> Iterator[Mobject]:
    """What an animation will show that is not on screen yet (a Transform's target)."""
    target = getattr(anim, "target_mobject", None)
    if isinstance(target, Mobject):
        yield target
    for sub in getattr(anim, "animations", ()) or ():
        yield from _targets(sub)


class BookScene(Scene):
    """A scene of the book: dark canvas, title top-left, captions at the bottom, a screen log."""

    TRACES: Sequence[str] = ()
    TITLE = ""

    def __init__(self, camera_class: type[Camera] = BookCamera, skip_animations: bool = False, **kwargs: Any) -> None:
        # the same frames and video as manim's own camera and file writer, for less CPU a frame
        renderer = kwargs.pop("renderer", None) or CairoRenderer(
            file_writer_class=BookFileWriter, camera_class=camera_class, skip_animations=skip_animations)
        super().__init__(renderer=renderer, camera_class=camera_class, skip_animations=skip_animations, **kwargs)

    def setup(self) -> None:
        self.camera.background_color = PALETTE.background
        draw_only_the_last_frame(self.renderer)
        self.screen_log: list[dict[str, Any]] = []
        self._logged: dict[int, Mobject] = {}  # id → mobject (kept alive so ids stay unique)
        self._caption: Text | None = None
        self._traces: dict[str, SceneTrace] = {}
        self._trace_paths = trace_paths()
        if self.TITLE:
            self.title_mob = cjk(self.TITLE, TITLE_SIZE, PALETTE.muted).to_corner(UL, buff=SAFE)
            self.add(self.title_mob)

    # --- data -----------------------------------------------------------------------------------------------
    def trace(self, name: str) -> SceneTrace:
        """The stored trace ``sim.variant`` the pipeline computed for this scene."""
        scene = type(self).__name__
        if name not in self.TRACES:
            raise KeyError(f"{scene} reads {name!r} but does not declare it in TRACES")
        if name not in self._traces:
            path = self._trace_paths.get(name)
            if path is None:
                raise MissingTraceError(f"{scene} needs trace {name!r}, which has not been computed: "
                                        f"run `reel sims {name}` (or `reel preview {scene}`)")
            self._traces[name] = SceneTrace(Trace.load(path), scene, name)
        return self._traces[name]

    # --- furniture ------------------------------------------------------------------------------------------
    def caption(self, text: str, run_time: float = 0.8) -> None:
        """Replace the caption in the bottom band (two lines at most): the old one leaves, then the new comes."""
        if text.count("\n") > 1:
            raise ValueError(f"{type(self).__name__}: a caption has two lines at most: {text!r}")
        new = cjk(text, CAPTION_SIZE, line_spacing=0.9).to_edge(DOWN, buff=SAFE)
        if new.width > config.frame_width - 2 * SAFE:
            raise ValueError(f"{type(self).__name__}: caption too wide for the frame, break the line: {text!r}")
        appear = FadeIn(new, shift=0.1 * UP)
        self._close_caption()
        self.log_on_screen(new, kind="caption")
        if self._caption is not None:
            self.play(Succession(FadeOut(self._caption), appear), run_time=run_time)
        else:
            self.play(appear, run_time=run_time / 2)
        self._caption = new

    @property
    def current_caption(self) -> Text | None:
        """The caption on screen (None before the first)."""
        return self._caption

    def hold(self, seconds: float = 2.0) -> None:
        """Hold the frame (the last hold is the still figure: at least 1.5 s)."""
        self.wait(seconds)

    # --- the screen log -------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return float(self.renderer.time)

    def log_on_screen(self, mob: Mobject, at: float | None = None, kind: str | None = None) -> None:
        """Record every piece of text in ``mob`` not recorded yet, as appearing at ``at`` (default: now).

        Called for everything added or played; call it yourself only for text drawn by an updater
        (``always_redraw`` keeps its first mobjects and moves their points, so the log cannot see it).
        """
        for piece in _texts(mob):
            if id(piece) in self._logged:
                continue
            self._logged[id(piece)] = piece
            found, text = _text_of(piece)
            self.screen_log.append({"t": round(self.now if at is None else at, 3), "kind": kind or found,
                                    "text": text})

    def captions(self) -> list[dict[str, Any]]:
        """The caption entries of the log: text, start ``t`` and ``end`` (the WebVTT cues)."""
        return [e for e in self.screen_log if e["kind"] == "caption"]

    def texts(self) -> list[str]:
        """Every text and formula source shown so far, in order (for tests)."""
        return [e["text"] for e in self.screen_log]

    def _close_caption(self) -> None:
        """The caption on screen ends now (its cue's end time)."""
        for entry in reversed(self.screen_log):
            if entry["kind"] == "caption":
                entry.setdefault("end", round(self.now, 3))
                break

    def add(self, *mobjects: Mobject) -> "BookScene":
        super().add(*mobjects)
        if hasattr(self, "screen_log"):  # Scene.__init__ adds before setup() made the log
            for mob in mobjects:
                self.log_on_screen(mob)
        return self

    def play(self, *animations: Any, **kwargs: Any) -> None:
        start = self.now
        for anim in animations:
            if isinstance(anim, Animation):
                for target in _targets(anim):
                    self.log_on_screen(target, start)
        super().play(*animations, **kwargs)
        for mob in self.mobjects:
            self.log_on_screen(mob, start)

    def wait(self, *args: Any, **kwargs: Any) -> None:
        start = self.now
        super().wait(*args, **kwargs)
        for mob in self.mobjects:
            self.log_on_screen(mob, start)

    def tear_down(self) -> None:
        self._close_caption()
        path = os.environ.get("REEL_SCREENLOG")
        if path:
            write_screen_log(Path(path), type(self).__name__, self.now, self.screen_log)
        still = still_request()
        if still:  # the video's process draws the scene's still too: no second run of the scene
            save_frame_png(self, *still)


def write_screen_log(path: Path, scene: str, duration: float, entries: list[dict[str, Any]]) -> None:
    """Save the log as JSON, atomically (the pipeline publishes it beside the video)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"scene": scene, "duration_s": round(duration, 3), "entries": entries}, f, ensure_ascii=False,
                  indent=1)
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; the pipeline publishes this file as it is
    os.replace(tmp, path)
