"""Chapter and book videos: a title card, then the chapter's scenes, stream-copied."""

from __future__ import annotations

import tempfile
from pathlib import Path

from pipeline.artifacts import is_fresh, publish, read_record
from pipeline.hashing import digest
from pipeline.media import concat, probe_duration
from pipeline.paths import output_dir
from pipeline.registry import Chapter, chapter_entries
from pipeline.render import QUALITIES

__all__ = ["chapter_video", "book_video", "assemble_chapter", "assemble_book"]


def chapter_video(chapter: Chapter, quality: str) -> Path:
    return output_dir() / "videos" / QUALITIES[quality] / f"{chapter.tag}.mp4"


def book_video(quality: str) -> Path:
    return output_dir() / "videos" / QUALITIES[quality] / "book.mp4"


def scene_video(chapter: Chapter, name: str, quality: str) -> Path:
    return output_dir() / "scenes" / QUALITIES[quality] / chapter.tag / f"{name}.mp4"


def _join(parts: list[Path], artifact: Path, key: str, **record) -> dict:
    artifact.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=artifact.parent) as tmp:
        staging = Path(tmp) / artifact.name
        concat(parts, staging)
        return publish(staging, artifact, key, duration_s=round(probe_duration(staging), 3), **record)


def assemble_chapter(chapter: Chapter, titlecard: Path, quality: str, force: bool = False) -> str | None:
    """Join the title card and every implemented scene of a chapter.

    Returns "assembled", "fresh", or None when some scene has no video at this
    quality yet (the chapter is then left as it was).
    """
    scenes = [e for e in chapter_entries(chapter) if e.kind == "scene" and e.implemented]
    parts = [titlecard] + [scene_video(chapter, e.name, quality) for e in scenes]
    records = [read_record(p) for p in parts]
    if not scenes or any(r is None or not p.is_file() for r, p in zip(records, parts)):
        return None
    key = digest({"parts": [r["key"] for r in records]})
    artifact = chapter_video(chapter, quality)
    if not force and is_fresh(artifact, key):
        return "fresh"
    _join(parts, artifact, key, kind="chapter", chapter=chapter.number, title=chapter.title,
          quality=QUALITIES[quality], scenes=[e.name for e in scenes])
    return "assembled"


def assemble_book(chapters: list[Chapter], quality: str, force: bool = False) -> str | None:
    """Join every assembled chapter video, in order, into ``book.mp4``."""
    parts = [chapter_video(c, quality) for c in chapters]
    parts = [p for p in parts if p.is_file() and read_record(p) is not None]
    if not parts:
        return None
    key = digest({"parts": [read_record(p)["key"] for p in parts]})
    artifact = book_video(quality)
    if not force and is_fresh(artifact, key):
        return "fresh"
    _join(parts, artifact, key, kind="book", quality=QUALITIES[quality],
          chapters=[int(p.stem[2:]) for p in parts])
    return "assembled"
