"""``reel export``: the rendered scenes and figures where the editors use them.

Every export reads ``output/manifest.json`` (never renders: a missing scene is named, with the command
that renders it, and the export stops with exit status 2) and writes its own folder under the theme's
output folder: ``site/`` (web gallery), ``slides/`` (reveal.js decks, PPTX), ``epub/`` (EPUB 3).

Export is cached like the rest of the pipeline: a derived file (a WebM, a poster, a GIF, a deck's
video, the EPUB) is made only when the key of what it is made from changed (its record under
``cache/records``), text files are rewritten only when their content changed, and each file appears
only when complete. Each export owns its folder (``owned_folder``): once its new tree is written, what
it did not write there (a deleted or renamed scene's files, a chapter no longer exported) is removed.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from filelock import FileLock

from pipeline.artifacts import forget, is_fresh, publish, run_temp_dir
from pipeline.errors import UsageError, closest
from pipeline.files import atomic_write
from pipeline.hashing import digest
from pipeline.paths import DEFAULT_THEME, ROOT, cache_dir, output_dir, output_root, theme
from pipeline.registry import CHAPTERS, Chapter, chapter_by_tag, chapter_entries, normal_tag
from pipeline.render import QUALITIES

__all__ = ["FORMATS", "SceneItem", "FigureItem", "ChapterItem", "Book", "Work", "load_book", "derive",
           "write_if_changed", "copy_if_changed", "owned_folder", "read_screen_log", "captions_of", "alt_text",
           "errata_by_chapter", "VENDOR"]

FORMATS = ("web", "slides", "epub")
VENDOR = ROOT / "vendor"
QUALITY_ORDER = ["l", "m", "h", "p", "k"]


@dataclass
class SceneItem:
    chapter: int
    name: str
    video: Path  # the scene's MP4 under output/
    duration: float
    sha256: str
    still: Path  # its 1080p still: the poster
    still_sha256: str
    screen_log: Path | None


@dataclass
class FigureItem:
    chapter: int
    name: str
    png: Path
    sha256: str
    diagram: str
    screen_log: Path | None


@dataclass
class ChapterItem:
    chapter: Chapter
    scenes: list[SceneItem]
    figures: list[FigureItem]  # the diagram figures (a scene's still is its poster)
    video: Path | None = None  # the chapter video, title card + scenes
    video_sha256: str = ""
    duration: float = 0.0
    parts: list[dict] = field(default_factory=list)  # {"name", "start_s"}: the title card, then each scene

    @property
    def heading(self) -> str:
        return f"第{self.chapter.number}章 {self.chapter.title}"


@dataclass
class Book:
    quality: str  # manim letter
    chapters: list[ChapterItem]

    @property
    def folder(self) -> str:
        return QUALITIES[self.quality]


@dataclass
class Work:
    """What an export did: files made, files found up to date, and stale files removed."""

    target: str
    made: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    main: list[Path] = field(default_factory=list)  # what to open
    removed: list[Path] = field(default_factory=list)

    def note(self, path: Path, changed: bool) -> None:
        (self.made if changed else self.kept).append(path)

    def summary(self) -> str:
        opened = ", ".join(str(p) for p in self.main)
        stale = f", {len(self.removed)} stale removed" if self.removed else ""
        return f"export {self.target}: {len(self.made)} file(s) made, {len(self.kept)} up to date{stale} → {opened}"


# --- what is rendered ----------------------------------------------------------------------------------------------

def _manifest() -> list[dict[str, Any]]:
    path = output_dir() / "manifest.json"
    if not path.is_file():
        flag = "" if theme() == DEFAULT_THEME else f" --theme {theme()}"
        raise UsageError(f"nothing is rendered yet ({path} does not exist): run `reel render -q l{flag}` (or one "
                         f"chapter, `reel render ch01 -q l{flag}`) first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))["artifacts"]
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{path} is not a reel manifest ({exc}); run `reel render` to rewrite it") from None


def _chapters(tags: Iterable[str]) -> list[Chapter]:
    tags = list(tags)
    if not tags:
        return [c for c in CHAPTERS if any(e.implemented and e.kind == "scene" for e in chapter_entries(c))]
    chosen = []
    for tag in tags:
        if normal_tag(tag) not in {c.tag for c in CHAPTERS}:
            raise UsageError(f"unknown chapter {tag!r}; {closest(tag, [c.tag for c in CHAPTERS])}")
        chapter = chapter_by_tag(tag)
        if not any(e.implemented and e.kind == "scene" for e in chapter_entries(chapter)):
            raise UsageError(f"{chapter.tag} has no implemented scene yet, so nothing of it can be exported")
        chosen.append(chapter)
    return sorted(set(chosen), key=lambda c: c.number)


def _pick_quality(artifacts: list[dict], chapters: list[Chapter], quality: str | None) -> str:
    """The quality asked for, or the one at which most of these chapters' scenes are rendered (ties: the higher)."""
    if quality is not None:
        return quality
    numbers = {c.number for c in chapters}
    by_folder = {v: k for k, v in QUALITIES.items()}
    counts = {q: 0 for q in QUALITY_ORDER}
    for a in artifacts:
        if a.get("kind") == "scene" and a.get("chapter") in numbers and a.get("quality") in by_folder:
            counts[by_folder[a["quality"]]] += 1
    best = max(QUALITY_ORDER, key=lambda q: (counts[q], QUALITY_ORDER.index(q)))
    if counts[best] == 0:
        tags = " ".join(c.tag for c in chapters)
        raise UsageError(f"no scene of {tags} is rendered yet: run `reel render {tags} -q l` first")
    return best


def load_book(tags: Iterable[str], quality: str | None = None) -> Book:
    """The chapters to export, with every file they need, from the manifest; missing ones stop the export."""
    theme()
    artifacts = _manifest()
    chapters = _chapters(tags)
    quality = _pick_quality(artifacts, chapters, quality)
    folder = QUALITIES[quality]
    here = output_dir()
    index = {(a.get("kind"), a.get("chapter"), a.get("scene"), a.get("quality")): a for a in artifacts}

    def present(a: dict | None) -> bool:
        return a is not None and (here / a["path"]).is_file()

    def log_of(a: dict) -> Path | None:
        path = here / a["screen_log"] if a.get("screen_log") else None
        return path if path and path.is_file() else None

    items, missing = [], []
    for chapter in chapters:
        entries = [e for e in chapter_entries(chapter) if e.implemented]
        scenes, figures = [], []
        for e in entries:
            still = index.get(("figure", chapter.number, e.name, QUALITIES["h"]))
            if e.kind == "scene":
                video = index.get(("scene", chapter.number, e.name, folder))
                if not (present(video) and present(still)):
                    missing.append(e)
                    continue
                scenes.append(SceneItem(chapter.number, e.name, here / video["path"], float(video["duration_s"]),
                                        video["sha256"], here / still["path"], still["sha256"], log_of(video)))
            elif present(still):
                figures.append(FigureItem(chapter.number, e.name, here / still["path"], still["sha256"],
                                          e.diagram, log_of(still)))
            else:
                missing.append(e)
        item = ChapterItem(chapter, scenes, figures)
        record = index.get(("chapter", chapter.number, None, folder))
        if present(record) and record.get("scenes") == [s.name for s in scenes]:
            item.video, item.video_sha256 = here / record["path"], record["sha256"]
            item.duration = float(record["duration_s"])
            item.parts = record.get("parts") or _parts_from_durations(item.duration, scenes)
        elif scenes:
            missing.append(chapter)
        items.append(item)
    if missing:
        names = ", ".join(m.target if hasattr(m, "target") else f"{m.tag} (chapter video)" for m in missing)
        chapters_to_render = " ".join(dict.fromkeys(
            (m.chapter.tag if hasattr(m, "target") else m.tag) for m in missing))
        flag = "" if theme() == DEFAULT_THEME else f" --theme {theme()}"
        raise UsageError(f"not rendered at {folder}: {names}; render them first: "
                         f"`reel render {chapters_to_render} -q {quality}{flag}` (export never renders)")
    return Book(quality, items)


def _parts_from_durations(total: float, scenes: list[SceneItem]) -> list[dict]:
    """A chapter assembled before its record kept its parts: the title card is what the scenes leave."""
    start = max(0.0, total - sum(s.duration for s in scenes))
    parts = [{"name": "title", "start_s": 0.0}]
    for scene in scenes:
        parts.append({"name": scene.name, "start_s": round(start, 3)})
        start += scene.duration
    return parts


# --- cached, atomic writing ------------------------------------------------------------------------------------

def derive(artifact: Path, inputs: dict, make: Callable[[Path], None], work: Work, **record: Any) -> bool:
    """Make ``artifact`` with ``make(staging_path)`` unless its record says it was made from these ``inputs``."""
    key = digest({**inputs, "theme": theme()})
    if is_fresh(artifact, key):
        work.note(artifact, False)
        return False
    with run_temp_dir() as tmp:
        staging = tmp / artifact.name
        make(staging)
        publish(staging, artifact, key, kind="export", **record)
    work.note(artifact, True)
    return True


@contextmanager
def owned_folder(root: Path, work: Work) -> Iterator[None]:
    """Run an export that owns ``root``: one export of that folder at a time, and once the body has written
    its tree (each file atomically, the page that names them last), every file under ``root`` it neither made
    nor found up to date is removed, with its record. A failed export removes nothing: the tree it was
    replacing stays whole."""
    lock = cache_dir() / "locks" / f"{'+'.join(root.relative_to(output_root()).parts)}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock)):
        yield
        work.removed = _prune(root, {*work.made, *work.kept})


def _prune(root: Path, written: set[Path]) -> list[Path]:
    """Remove the files under ``root`` that are not in ``written`` (and their records), then empty folders.
    Walks bottom-up without following links, so nothing outside ``root`` is touched."""
    removed = []
    for folder, dirs, files in os.walk(root, topdown=False):
        here = Path(folder)
        for name in sorted(files) + [d for d in dirs if (here / d).is_symlink()]:
            path = here / name
            if path not in written:
                path.unlink()
                forget(path)
                removed.append(path)
        if here != root and not any(here.iterdir()):
            here.rmdir()
    return removed


def write_if_changed(path: Path, data: str | bytes, work: Work) -> bool:
    """Write ``data`` to ``path`` (atomically) unless the file already holds exactly that."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_file() and path.stat().st_size == len(raw) and path.read_bytes() == raw:
        work.note(path, False)
        return False
    atomic_write(path, lambda f: f.write(raw))
    work.note(path, True)
    return True


def copy_if_changed(src: Path, dest: Path, work: Work) -> bool:
    return write_if_changed(dest, src.read_bytes(), work)


def link_or_copy(src: Path, dest: Path) -> None:
    """A hard link when the file system allows it (a deck's video costs no space), else a copy."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


# --- what a scene says ------------------------------------------------------------------------------------------

def read_screen_log(path: Path | None) -> dict:
    if path is None:
        return {"entries": []}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"entries": []}


def captions_of(log: dict, duration: float | None = None) -> list[dict]:
    """The caption cues ``{"start", "end", "text"}`` of a screen log, in time order, ends filled in."""
    found = sorted((e for e in log.get("entries", []) if e.get("kind") == "caption" and e.get("text", "").strip()),
                   key=lambda e: e["t"])
    end_of_scene = duration if duration is not None else log.get("duration_s")
    cues = []
    for i, entry in enumerate(found):
        end = entry.get("end")
        if end is None:
            end = found[i + 1]["t"] if i + 1 < len(found) else end_of_scene
        if end is None or end <= entry["t"]:
            end = entry["t"] + 2.0
        cues.append({"start": float(entry["t"]), "end": float(end), "text": entry["text"].strip()})
    return cues


def alt_text(log: dict, fallback: str) -> str:
    """A figure's alt text: its captions, else its titles and labels (the first few texts it shows)."""
    captions = [c["text"].replace("\n", "") for c in captions_of(log)]
    if captions:
        return " ".join(captions)
    texts = [e["text"].replace("\n", " ") for e in log.get("entries", []) if e.get("kind") == "text"]
    texts = [t for t in dict.fromkeys(texts) if len(t) > 1][:3]
    return " · ".join(texts) or fallback


def errata_by_chapter(numbers: Iterable[int]) -> dict[int, list[dict] | str]:
    """``reel check``'s rows per chapter, from cached traces only (an export computes nothing): a chapter whose
    traces are not computed, or whose check cannot run, gets a line saying so instead of its rows."""
    import importlib

    from pipeline.traces import TraceSpec, TraceStore

    store = TraceStore()
    found: dict[int, list[dict] | str] = {}
    for number in numbers:
        tag = f"ch{number:02d}"
        if not (ROOT / "pipeline" / "checks" / f"{tag}.py").is_file():
            continue
        try:  # one chapter's check module (each imported alone: another chapter's cannot break this one)
            module = importlib.import_module(f"pipeline.checks.{tag}")
            ready = True
            for name in module.TRACES:
                spec = TraceSpec.from_name(name)
                ready = ready and store.valid(*store.paths(spec, spec.key())) is not None
            found[number] = (_rows(module, store) if ready
                             else f"traces not computed yet: run `reel check {tag}`")
        except Exception as exc:  # shown on the page: another chapter's work in progress never stops an export
            found[number] = f"`reel check {tag}` fails: {type(exc).__name__}: {exc}"
    return found


def _rows(module: Any, store: Any) -> list[dict]:
    """The rows of one chapter's check module, as ``reel check`` computes them."""
    from pipeline.traces import TraceSpec

    traces = {name: store.load(TraceSpec.from_name(name)) for name in module.TRACES}
    return [row.as_dict() for row in module.rows(traces)]


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    return str(value)


def clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"
