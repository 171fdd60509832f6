"""Chapter and book videos: a title card, then the chapter's scenes, stream-copied."""

from __future__ import annotations

from pathlib import Path

from pipeline.artifacts import is_fresh, publish, read_record, run_temp_dir
from pipeline.errors import ComputeError
from pipeline.hashing import digest
from pipeline.media import concat, probe_duration
from pipeline.paths import DEFAULT_THEME, output_dir, theme
from pipeline.registry import Chapter, chapter_entries
from pipeline.render import QUALITIES

__all__ = ["chapter_video", "book_video", "assemble_chapter", "assemble_book", "missing_chapters"]


def chapter_video(chapter: Chapter, quality: str) -> Path:
    return output_dir() / "videos" / QUALITIES[quality] / f"{chapter.tag}.mp4"


def book_video(quality: str) -> Path:
    return output_dir() / "videos" / QUALITIES[quality] / "book.mp4"


def scene_video(chapter: Chapter, name: str, quality: str) -> Path:
    return output_dir() / "scenes" / QUALITIES[quality] / chapter.tag / f"{name}.mp4"


def _join(parts: list[Path], artifact: Path, key: str, hint: str, **record) -> dict:
    artifact.parent.mkdir(parents=True, exist_ok=True)
    with run_temp_dir() as tmp:  # under cache/tmp: a killed run's leftovers are swept by the next
        staging = tmp / artifact.name
        try:
            concat(parts, staging)
        except ComputeError as exc:
            raise ComputeError(f"{exc}\n  a part may be damaged: {hint}") from None
        return publish(staging, artifact, key, duration_s=round(probe_duration(staging), 3), **record)


def _matches_settings(record: dict, quality: str) -> bool:
    """A part made for this quality and this theme (a chapter never mixes themes or sizes)."""
    return record.get("quality") == QUALITIES[quality] and record.get("theme", DEFAULT_THEME) == theme()


def assemble_chapter(chapter: Chapter, titlecard: Path, quality: str, force: bool = False) -> str | None:
    """Join the title card and every implemented scene of a chapter.

    Returns "assembled", "fresh", or None when some scene has no video at this
    quality yet (the chapter is then left as it was).
    """
    scenes = [e for e in chapter_entries(chapter) if e.kind == "scene" and e.implemented]
    parts = [titlecard] + [scene_video(chapter, e.name, quality) for e in scenes]
    records = [read_record(p) for p in parts]
    if not scenes or any(r is None or not p.is_file() or not _matches_settings(r, quality)
                         for r, p in zip(records, parts)):
        return None
    key = digest({"parts": [r["key"] for r in records]})
    artifact = chapter_video(chapter, quality)
    if not force and is_fresh(artifact, key):
        return "fresh"
    _join(parts, artifact, key, f"run `reel render {chapter.tag} -q {quality} --force`", kind="chapter",
          chapter=chapter.number, title=chapter.title,
          quality=QUALITIES[quality], scenes=[e.name for e in scenes])
    return "assembled"


def missing_chapters(chapters: list[Chapter], quality: str) -> list[str]:
    """The chapters (of those given) that have no chapter video at this quality and theme."""
    return [c.tag for c in chapters if not _chapter_ready(chapter_video(c, quality), quality)]


def _chapter_ready(path: Path, quality: str) -> bool:
    record = read_record(path)
    return path.is_file() and record is not None and _matches_settings(record, quality)


def assemble_book(chapters: list[Chapter], quality: str, force: bool = False) -> str | None:
    """Join every assembled chapter video, in order, into ``book.mp4`` (``missing_chapters`` says which
    implemented chapters it lacks)."""
    parts = [chapter_video(c, quality) for c in chapters]
    parts = [p for p in parts if _chapter_ready(p, quality)]
    if not parts:
        return None
    key = digest({"parts": [read_record(p)["key"] for p in parts]})
    artifact = book_video(quality)
    if not force and is_fresh(artifact, key):
        return "fresh"
    _join(parts, artifact, key, f"run `reel render -q {quality}`", kind="book", quality=QUALITIES[quality],
          chapters=[int(p.stem[2:]) for p in parts])
    return "assembled"
