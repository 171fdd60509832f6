"""The ffmpeg recipes of the exports. Each recipe's text is part of the key of what it makes, so changing
a recipe remakes exactly the files made with it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from pipeline.errors import ComputeError
from pipeline.media import probe, require_ffmpeg

__all__ = ["RECIPES", "web_mp4", "webm", "poster", "gif", "burn_in"]

# VP9 with libvpx's fastest settings (realtime deadline, cpu-used 8, row multithreading): a 1-minute 720p
# scene encodes in seconds; constant quality (crf 36, no bitrate cap) keeps the flat-colour frames small.
WEBM_ARGS = ["-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1", "-b:v", "0",
             "-crf", "36", "-pix_fmt", "yuv420p", "-c:a", "libopus"]
MP4_ARGS = ["-c", "copy", "-movflags", "+faststart"]
GIF_FPS, GIF_WIDTH = 10, 480
GIF_FILTER = (f"fps={GIF_FPS},scale={GIF_WIDTH}:-2:flags=lanczos,split[a][b];"
              "[a]palettegen=max_colors=128:stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:"
              "diff_mode=rectangle")
BURN_IN_STYLE = "FontName=Noto Sans CJK SC,FontSize=20,PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000," \
                "BorderStyle=1,Outline=1,Shadow=0,MarginV=12"
BURN_IN_ARGS = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-movflags",
                "+faststart", "-c:a", "copy"]

RECIPES = {"mp4": MP4_ARGS, "webm": WEBM_ARGS, "gif": GIF_FILTER, "burn_in": [BURN_IN_STYLE, *BURN_IN_ARGS]}


def _ffmpeg(args: list[str], what: str) -> None:
    require_ffmpeg()
    proc = subprocess.run(["ffmpeg", "-v", "error", "-y", *args], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise ComputeError(f"ffmpeg failed making {what}: {proc.stderr.strip()[-400:]}")


def web_mp4(src: Path, out: Path) -> None:
    """The H.264 MP4, stream-copied with its index up front (+faststart) so a browser plays while loading."""
    _ffmpeg(["-i", str(src), *MP4_ARGS, "-f", "mp4", str(out)], out.name)


def webm(src: Path, out: Path) -> None:
    _ffmpeg(["-i", str(src), *WEBM_ARGS, "-f", "webm", str(out)], out.name)


def poster(still: Path, video: Path, out: Path) -> None:
    """The scene's still at its video's width (the 1080p still stays the print figure)."""
    width = next(s["width"] for s in probe(video)["streams"] if s["codec_type"] == "video")
    _ffmpeg(["-i", str(still), "-vf", f"scale={width}:-2:flags=lanczos", "-f", "image2", "-c:v", "png", str(out)],
            out.name)


def frame_png(video: Path, at: float, out: Path) -> None:
    """One frame of a video as a PNG (a chapter video's poster: its title card)."""
    _ffmpeg(["-ss", f"{at:.3f}", "-i", str(video), "-frames:v", "1", "-f", "image2", "-c:v", "png", str(out)],
            out.name)


def gif(src: Path, out: Path) -> None:
    """A palette-optimised GIF (one 128-colour palette for the whole clip, 10 fps, 480 px wide)."""
    _ffmpeg(["-i", str(src), "-filter_complex", GIF_FILTER, "-f", "gif", str(out)], out.name)


def burn_in(src: Path, vtt: Path, out: Path) -> None:
    """The video with its captions drawn into the picture (libass, Noto Sans CJK), for players without tracks."""
    escaped = str(vtt).replace("\\", "\\\\").replace(":", "\\:").replace("'", "\\'")
    _ffmpeg(["-i", str(src), "-vf", f"subtitles='{escaped}':force_style='{BURN_IN_STYLE}'", *BURN_IN_ARGS,
             "-f", "mp4", str(out)], out.name)
