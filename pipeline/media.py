"""ffmpeg/ffprobe through ffmpeg-python: probing and chapter assembly."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Sequence

import ffmpeg

from pipeline.errors import ComputeError

__all__ = ["require_ffmpeg", "probe_duration", "probe", "concat"]


def require_ffmpeg() -> None:
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise ComputeError(f"{tool} not found: install it with `apt-get install ffmpeg`")


def probe(path: Path) -> dict:
    try:
        return ffmpeg.probe(str(path))
    except ffmpeg.Error as exc:
        raise ComputeError(f"ffprobe failed on {path}: {exc.stderr.decode(errors='replace')[-300:]}") from None


def probe_duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def stream_layout(path: Path) -> tuple:
    """What must agree between parts for a stream-copy concat."""
    streams = probe(path)["streams"]
    return tuple(
        (s["codec_type"], s.get("codec_name"), s.get("width"), s.get("height"), s.get("pix_fmt"),
         s.get("r_frame_rate"), s.get("time_base"), s.get("sample_rate"), s.get("channels"))
        for s in streams
    )


def concat(parts: Sequence[Path], out: Path) -> None:
    """Join parts with the concat demuxer (stream copy) into a faststart MP4 at ``out``.

    ``out`` should be a temporary path: the caller publishes it when complete.
    """
    require_ffmpeg()
    layouts = {p: stream_layout(p) for p in parts}
    if len(set(layouts.values())) > 1:
        detail = "; ".join(f"{p.name}: {layout}" for p, layout in layouts.items())
        raise ComputeError(f"cannot stream-copy parts with different layouts: {detail}")
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "parts.txt"
        listing.write_text("".join(f"file '{p.resolve()}'\n" for p in parts), encoding="utf-8")
        try:
            (
                ffmpeg.input(str(listing), f="concat", safe=0)
                .output(str(out), c="copy", movflags="+faststart")
                .run(quiet=True, overwrite_output=True)
            )
        except ffmpeg.Error as exc:
            raise ComputeError(f"ffmpeg concat failed for {out.name}: "
                               f"{exc.stderr.decode(errors='replace')[-400:]}") from None
