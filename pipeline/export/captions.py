"""WebVTT captions (``zh-Hans``) from the scenes' screen logs: the one source of what a scene says and when.

A scene's cues are its ``caption`` entries (start ``t``, ``end``). A chapter video's cues are its scenes'
cues shifted by where each scene starts in it (after the title card and the scenes before it), read from
the chapter's record of its parts.
"""

from __future__ import annotations

from pipeline.export import ChapterItem, SceneItem, captions_of, read_screen_log

__all__ = ["timestamp", "webvtt", "scene_cues", "scene_vtt", "chapter_cues", "chapter_vtt", "notes_text"]

LANGUAGE = "zh-Hans"


def timestamp(seconds: float) -> str:
    """``HH:MM:SS.mmm``, as WebVTT writes cue times."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _escape(text: str) -> str:
    """Cue text: no blank line (it would end the cue), and &, <, > as character references."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in lines)


def webvtt(cues: list[dict], title: str = "") -> str:
    """A WebVTT file: the header, then one numbered cue per caption."""
    head = "WEBVTT" + (f" - {title}" if title else "")
    blocks = [f"{head}\nKind: captions\nLanguage: {LANGUAGE}"]
    for i, cue in enumerate(cues, 1):
        blocks.append(f"{i}\n{timestamp(cue['start'])} --> {timestamp(cue['end'])}\n{_escape(cue['text'])}")
    return "\n\n".join(blocks) + "\n"


def scene_cues(scene: SceneItem) -> list[dict]:
    """The scene's captions, clipped to its video."""
    cues = []
    for cue in captions_of(read_screen_log(scene.screen_log), scene.duration):
        if cue["start"] < scene.duration:
            cues.append({**cue, "end": min(cue["end"], scene.duration)})
    return cues


def scene_vtt(scene: SceneItem) -> str:
    return webvtt(scene_cues(scene), scene.name)


def chapter_cues(chapter: ChapterItem) -> list[dict]:
    starts = {part["name"]: float(part["start_s"]) for part in chapter.parts}
    cues = []
    for scene in chapter.scenes:
        offset = starts[scene.name]
        cues += [{**c, "start": c["start"] + offset, "end": c["end"] + offset} for c in scene_cues(scene)]
    return cues


def chapter_vtt(chapter: ChapterItem) -> str:
    return webvtt(chapter_cues(chapter), chapter.heading)


def notes_text(scene: SceneItem) -> str:
    """Speaker notes: the scene's captions, one paragraph each, with their times."""
    return "\n".join(f"[{c['start']:.1f}s] " + c["text"].replace("\n", "") for c in scene_cues(scene))
