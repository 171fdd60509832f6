"""Chapter and book videos: a title card, then the chapter's scenes, stream-copied.

A chapter's record lists its parts with their start times (``parts``: the title card, then each scene),
which the exports use to offset captions; ``book.mp4`` carries them as chapter markers (ffmpeg
metadata chapters, one per chapter and one per scene), so a player can jump to a scene.
"""

from __future__ import annotations

import subprocess
import tempfile
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


def _join(sources: list[Path], artifact: Path, key: str, hint: str, markers: list[dict] | None = None,
          part_names: list[str] | None = None, **record) -> dict:
    artifact.parent.mkdir(parents=True, exist_ok=True)
    with run_temp_dir() as tmp:  # under cache/tmp: a killed run's leftovers are swept by the next
        staging = tmp / artifact.name
        try:
            concat(sources, staging)
        except ComputeError as exc:
            raise ComputeError(f"{exc}\n  a part may be damaged: {hint}") from None
        duration = probe_duration(staging)
        if part_names:  # where each part starts in the joined video (the exports offset captions by it)
            record["parts"] = [{"name": n, "start_s": s, "duration_s": d}
                               for n, (s, d) in zip(part_names, part_starts(sources))]
        if markers:
            marked = tmp / f"marked-{artifact.name}"
            add_chapter_markers(staging, marked, markers, duration, record.get("title", ""))
            staging = marked
        return publish(staging, artifact, key, duration_s=round(duration, 3), **record)


def part_starts(parts: list[Path]) -> list[tuple[float, float]]:
    """(start, duration) of each part in their concatenation (the concat demuxer plays them back to back)."""
    spans, start = [], 0.0
    for part in parts:
        duration = probe_duration(part)
        spans.append((round(start, 3), round(duration, 3)))
        start += duration
    return spans


def _ffmetadata_escape(text: str) -> str:
    for char in ("\\", "=", ";", "#", "\n"):
        text = text.replace(char, "\\" + char)
    return text


def add_chapter_markers(src: Path, out: Path, markers: list[dict], duration: float, title: str = "") -> None:
    """Copy ``src`` to ``out`` (stream copy, faststart) with ffmpeg metadata chapters.

    ``markers``: ``{"start_s", "title"}`` in order; each chapter ends where the next starts (the last at
    ``duration``).
    """
    lines = [";FFMETADATA1"] + ([f"title={_ffmetadata_escape(title)}"] if title else [])
    for i, marker in enumerate(markers):
        end = markers[i + 1]["start_s"] if i + 1 < len(markers) else duration
        lines += ["", "[CHAPTER]", "TIMEBASE=1/1000", f"START={round(marker['start_s'] * 1000)}",
                  f"END={round(end * 1000)}", f"title={_ffmetadata_escape(marker['title'])}"]
    with tempfile.TemporaryDirectory() as tmp:
        meta = Path(tmp) / "chapters.txt"
        meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
        proc = subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-f", "ffmetadata", "-i", str(meta),
                               "-map", "0", "-map_metadata", "1", "-map_chapters", "1", "-c", "copy",
                               "-movflags", "+faststart", str(out)], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise ComputeError(f"ffmpeg could not add chapter markers to {out.name}: {proc.stderr[-400:]}")


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
    _join(parts, artifact, key, f"run `reel render {chapter.tag} -q {quality} --force`",
          part_names=["title"] + [e.name for e in scenes], kind="chapter", chapter=chapter.number,
          title=chapter.title, quality=QUALITIES[quality], scenes=[e.name for e in scenes])
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
    key = digest({"parts": [read_record(p)["key"] for p in parts], "markers": "chapters+scenes"})
    artifact = book_video(quality)
    if not force and is_fresh(artifact, key):
        return "fresh"
    _join(parts, artifact, key, f"run `reel render -q {quality}`", _book_markers(parts), kind="book",
          quality=QUALITIES[quality], chapters=[int(p.stem[2:]) for p in parts])
    return "assembled"


def _book_markers(chapter_videos: list[Path]) -> list[dict]:
    """One marker per chapter (at its title card) and one per scene, from each chapter's record of its parts
    (probed again for a chapter assembled before records kept them)."""
    markers = []
    for (offset, _), video in zip(part_starts(chapter_videos), chapter_videos):
        record = read_record(video) or {}
        parts = record.get("parts")
        if not parts:  # an older record: the title card is what the scenes leave of the chapter's duration
            title_s = max(0.0, probe_duration(video) - sum(
                probe_duration(scene_video_for(record, name)) for name in record.get("scenes", [])))
            parts = [{"name": "title", "start_s": 0.0}]
            start = title_s
            for name in record.get("scenes", []):
                parts.append({"name": name, "start_s": start})
                start += probe_duration(scene_video_for(record, name))
        number = record.get("chapter") or int(video.stem[2:])
        for part in parts:
            title = (f"第{number}章 {record.get('title', '')}".strip() if part["name"] == "title"
                     else part["name"])
            markers.append({"start_s": offset + part["start_s"], "title": title})
    return markers


def scene_video_for(chapter_record: dict, name: str) -> Path:
    """The scene video a chapter record's scene name refers to (same quality and theme)."""
    return output_dir() / "scenes" / chapter_record["quality"] / f"ch{chapter_record['chapter']:02d}" / f"{name}.mp4"
