"""A tiny rendered output for the export tests, made with ffmpeg test sources in seconds (no manim).

Chapter 1's two scenes (4 s and 3 s, 320×180 at 15 fps) with screen logs holding caption cues, their
stills and the chapter's two diagram figures, a 1 s title card, all published through the pipeline's own
``publish`` (so records and the manifest are the real ones), then the chapter and book videos assembled
by ``pipeline.assemble``. ``Server`` serves an exported folder over local HTTP, Range requests included.
"""

from __future__ import annotations

import functools
import io
import json
import re
import subprocess
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SIZE, RATE = "320x180", 15
SCENES = {"PerceptronLine": (4.0, "testsrc"), "XORImpossible": (3.0, "testsrc2")}
FIGURES = {"Fig_XORLayout": "D01.1", "Fig_ANDLayout": "D01.2"}
TITLE_S = 1.0
CAPTIONS = {
    "PerceptronLine": [(0.5, 2.0, "感知机：一条直线\n把两类点分开"), (2.0, 3.8, "权重 w 与偏置 b <更新> & 收敛")],
    "XORImpossible": [(0.2, 1.5, "异或：没有一条直线能分开"), (1.5, None, "最好的直线也错一个点")],
}


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, capture_output=True)


def make_video(path: Path, source: str, seconds: float) -> None:
    ffmpeg("-f", "lavfi", "-i", f"{source}=size={SIZE}:rate={RATE}:duration={seconds}", "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(RATE), str(path))


def make_png(path: Path, source: str = "testsrc", size: str = "640x360") -> None:
    ffmpeg("-f", "lavfi", "-i", f"{source}=size={size}:rate=1:duration=1", "-frames:v", "1", str(path))


def screen_log(scene: str, duration: float, cues: list[tuple]) -> dict:
    entries = [{"t": 0.0, "kind": "text", "text": f"第1章 · {scene}"}]
    for start, end, text in cues:
        entries.append({"t": start, "kind": "caption", "text": text, **({"end": end} if end is not None else {})})
    return {"scene": scene, "duration_s": duration, "entries": entries}


def publish_scene(name: str, seconds: float, source: str, tmp: Path, key: str = "v1") -> None:
    from pipeline.artifacts import publish
    from pipeline.paths import output_dir

    here = output_dir()
    video = here / "scenes/480p15/ch01" / f"{name}.mp4"
    log = video.with_name(f"{name}.screen.json")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps(screen_log(name, seconds, CAPTIONS[name]), ensure_ascii=False), encoding="utf-8")
    src = tmp / f"{name}-{key}.mp4"
    make_video(src, source, seconds)
    publish(src, video, f"{name}-{key}", kind="scene", chapter=1, scene=name, quality="480p15", duration_s=seconds,
            screen_log=str(log.relative_to(here)))
    still = here / "figures/ch01" / f"{name}.png"
    src = tmp / f"{name}-{key}.png"
    make_png(src, source)
    still.parent.mkdir(parents=True, exist_ok=True)
    still.with_name(f"{name}.screen.json").write_text(log.read_text(encoding="utf-8"), encoding="utf-8")
    publish(src, still, f"{name}-still-{key}", kind="figure", chapter=1, scene=name, quality="1080p60",
            screen_log=str(still.with_name(f"{name}.screen.json").relative_to(here)))


def assemble(tmp: Path) -> None:
    """Title card (published as the pipeline keeps it), chapter video, book video, manifest."""
    from pipeline.artifacts import publish, write_manifest
    from pipeline.assemble import assemble_book, assemble_chapter
    from pipeline.paths import cache_dir, theme
    from pipeline.registry import CHAPTERS

    card = cache_dir() / "titlecards" / theme() / "480p15" / "ch01.mp4"
    if not card.is_file():
        src = tmp / "card.mp4"
        ffmpeg("-f", "lavfi", "-i", f"color=c=0x0f1115:size={SIZE}:rate={RATE}:duration={TITLE_S}", "-c:v",
               "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(RATE), str(src))
        publish(src, card, "card", kind="titlecard", chapter=1, quality="480p15")
    assert assemble_chapter(CHAPTERS[0], card, "l") in ("assembled", "fresh")
    assert assemble_book([CHAPTERS[0]], "l") in ("assembled", "fresh")
    write_manifest()


def make_output(tmp: Path) -> None:
    """Everything chapter 1 needs, into the output root that ``REEL_OUTPUT`` names."""
    from pipeline.artifacts import publish
    from pipeline.paths import output_dir

    tmp.mkdir(parents=True, exist_ok=True)
    for name, (seconds, source) in SCENES.items():
        publish_scene(name, seconds, source, tmp)
    for name, diagram in FIGURES.items():
        src = tmp / f"{name}.png"
        make_png(src, "smptebars")
        figure = output_dir() / "figures/ch01" / f"{name}.png"
        log = figure.with_name(f"{name}.screen.json")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(json.dumps({"scene": name, "duration_s": 0, "entries": [
            {"t": 0, "kind": "text", "text": "异或的四个点"}, {"t": 0, "kind": "text", "text": "x₁"}]},
            ensure_ascii=False), encoding="utf-8")
        publish(src, figure, name, kind="figure", chapter=1, scene=name, quality="1080p60", diagram=diagram,
                screen_log=str(log.relative_to(output_dir())))
    assemble(tmp)


# --- serving an export --------------------------------------------------------------------------------------------

class Server:
    """``folder`` over HTTP on a free local port, in a thread; ``partial`` lists the ranges it answered (206)."""

    def __init__(self, folder: Path) -> None:
        handler = functools.partial(RangeHandler, directory=str(folder))
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.partial = []
        self.partial: list[tuple[str, str]] = self.httpd.partial
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def byte_range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """The inclusive ``(first, last)`` byte span of a ``Range`` header on a file of ``size`` bytes (RFC 9110
    §14): ``None`` when there is none to honour (absent, several ranges, not bytes: the whole file is sent),
    ``"unsatisfiable"`` when it starts past the end."""
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header or "")
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        return (max(0, size - int(last)), size - 1) if int(last) > 0 and size > 0 else "unsatisfiable"
    if last and int(last) < int(first):  # not a valid range: ignored, as RFC 9110 says
        return None
    if int(first) >= size:
        return "unsatisfiable"
    return int(first), (min(int(last), size - 1) if last else size - 1)


class RangeHandler(SimpleHTTPRequestHandler):
    """The standard library's file handler sends every file whole; a media element seeks (and Chromium streams)
    with Range requests, so this one answers them with 206 and just those bytes (one range per request)."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        header = self.headers.get("Range")
        if header is None or not path.is_file():
            return super().send_head()
        size = path.stat().st_size
        span = byte_range(header, size)
        if span is None:
            return super().send_head()
        if span == "unsatisfiable":
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        first, last = span
        with path.open("rb") as f:
            f.seek(first)
            body = f.read(last - first + 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.server.partial.append((self.path, header))
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")  # tells the browser it may seek by asking for ranges
        super().end_headers()

    def log_message(self, *args) -> None:
        pass


def made_output(root: Path) -> Path:
    """``make_output`` into ``root/output`` (``REEL_OUTPUT`` set only while it runs); returns that folder."""
    import pytest

    mp = pytest.MonkeyPatch()
    mp.setenv("REEL_OUTPUT", str(root / "output"))
    try:
        make_output(root / "tmp")
    finally:
        mp.undo()
    return root / "output"
