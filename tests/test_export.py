"""``reel export web|slides|epub``, WebVTT captions and book chapter markers, on a tiny ffmpeg-made output.

``export_fixture`` makes chapter 1's two scenes, stills, figures, title card, chapter and book videos in
seconds (no manim), through the pipeline's own publish/assemble. Browser checks: ``test_browser.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import reel
from export_fixture import CAPTIONS, TITLE_S, assemble, made_output, publish_scene

pytestmark = pytest.mark.xdist_group("test_export")  # one worker: its module fixtures are built once

EPUBCHECK_JAR = Path("/usr/share/java/epubcheck.jar")


def ffprobe(path: Path, *args: str) -> dict:
    proc = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args, str(path)], capture_output=True,
                          text=True, check=True)
    return json.loads(proc.stdout)


def video_stream(path: Path) -> dict:
    return next(s for s in ffprobe(path, "-show_streams")["streams"] if s["codec_type"] == "video")


def files_under(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    return made_output(tmp_path_factory.mktemp("export"))


@pytest.fixture(scope="module")
def web(output) -> tuple[Path, subprocess.CompletedProcess]:
    proc = reel("export", "web", "ch01", "--gif", "--burn-in", env={"REEL_OUTPUT": str(output)}, check=True)
    return output / "site", proc


# --- captions -------------------------------------------------------------------------------------------------

def test_webvtt_format():
    from pipeline.export.captions import timestamp, webvtt

    assert timestamp(0) == "00:00:00.000" and timestamp(3723.4567) == "01:02:03.457"
    text = webvtt([{"start": 0.5, "end": 2.0, "text": "a < b & c\n\n第二行 -->"}], "S")
    assert text == ("WEBVTT - S\nKind: captions\nLanguage: zh-Hans\n\n"
                    "1\n00:00:00.500 --> 00:00:02.000\na &lt; b &amp; c\n第二行 --&gt;\n")


def test_scene_captions_come_from_the_screen_log(web):
    site, _ = web
    vtt = (site / "ch01/XORImpossible.vtt").read_text(encoding="utf-8")
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(.+?)(?:\n\n|\n?$)", vtt, re.S)
    assert [c[2] for c in cues] == [text for _, _, text in CAPTIONS["XORImpossible"]]
    # the last cue has no recorded end: it lasts to the end of the scene (3 s)
    assert cues[-1][:2] == ("00:00:01.500", "00:00:03.000")
    assert vtt.startswith("WEBVTT") and "Language: zh-Hans" in vtt


def test_chapter_captions_are_offset_by_the_title_card_and_earlier_scenes(web):
    site, _ = web
    vtt = (site / "ch01/ch01.vtt").read_text(encoding="utf-8")
    starts = re.findall(r"(\d\d):(\d\d):(\d\d\.\d{3}) -->", vtt)
    seconds = [int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in starts]
    first_scene = [start for start, _, _ in CAPTIONS["PerceptronLine"]]
    second_scene = [start for start, _, _ in CAPTIONS["XORImpossible"]]
    assert seconds == pytest.approx([TITLE_S + t for t in first_scene] + [TITLE_S + 4.0 + t for t in second_scene],
                                    abs=0.002)


def test_book_has_a_chapter_marker_per_chapter_and_per_scene(output):
    book = output / "videos/480p15/book.mp4"
    chapters = ffprobe(book, "-show_chapters")["chapters"]
    assert [c["tags"]["title"] for c in chapters] == ["第1章 感知机：从形式神经元到第一次寒冬", "PerceptronLine",
                                                      "XORImpossible"]
    assert [float(c["start_time"]) for c in chapters] == pytest.approx([0, TITLE_S, TITLE_S + 4.0], abs=0.01)
    head = book.read_bytes()
    assert head.find(b"moov") < head.find(b"mdat"), "still faststart"
    assert video_stream(book)["codec_name"] == "h264"
    record = next(a for a in json.loads((output / "manifest.json").read_text())["artifacts"] if a["kind"] == "chapter")
    assert [p["name"] for p in record["parts"]] == ["title", "PerceptronLine", "XORImpossible"]


# --- web ------------------------------------------------------------------------------------------------------

def test_gallery_files(web, output):
    site, proc = web
    assert "export web" in proc.stdout and str(site / "index.html") in proc.stdout
    for scene in ("PerceptronLine", "XORImpossible"):
        mp4, webm = site / f"ch01/{scene}.mp4", site / f"ch01/{scene}.webm"
        stream = video_stream(mp4)
        assert stream["codec_name"] == "h264" and stream["pix_fmt"] == "yuv420p"
        head = mp4.read_bytes()
        assert head.find(b"moov") < head.find(b"mdat"), f"{mp4.name} is not +faststart"
        assert video_stream(webm)["codec_name"] == "vp9"
        poster = video_stream(site / f"ch01/{scene}.png")
        assert (poster["width"], poster["height"]) == (320, 180), "the poster is the still at the video's size"
        assert (site / f"ch01/{scene}.gif").read_bytes()[:6] == b"GIF89a"
        assert video_stream(site / f"ch01/{scene}.subtitled.mp4")["codec_name"] == "h264"
    assert (site / "ch01/ch01.mp4").read_bytes() == (output / "videos/480p15/ch01.mp4").read_bytes()


def test_gallery_page_references_only_local_files(web):
    site, _ = web
    html = (site / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|poster|href)="(?!data:)([^"#]+)"', html)
    assert refs and not [r for r in refs if re.match(r"[a-z]+:", r)], "nothing from the network"
    assert all((site / r).is_file() for r in refs), [r for r in refs if not (site / r).is_file()]
    assert html.count("<video") == 3 and html.count('type="video/webm"') == 2
    assert html.count('srclang="zh-Hans"') == 3 and html.count("<img") == 2
    assert 'alt="异或的四个点 · x₁"' in html


def test_burned_in_captions_are_in_the_picture(web):
    from conftest import gray_frame

    site, _ = web
    at = 1.0  # PerceptronLine's first caption is on screen from 0.5 s to 2.0 s
    plain, burned = gray_frame(site / "ch01/PerceptronLine.mp4", at), gray_frame(
        site / "ch01/PerceptronLine.subtitled.mp4", at)
    bottom = slice(int(plain.shape[0] * 0.6), None)
    assert abs(plain[bottom].astype(int) - burned[bottom].astype(int)).mean() > 2
    top = slice(0, int(plain.shape[0] * 0.3))
    assert abs(plain[top].astype(int) - burned[top].astype(int)).mean() < 2


def test_errata_rows_when_traces_are_computed(output, tmp_path):
    """With the chapter's traces in the cache, the gallery carries ``reel check``'s rows for it."""
    copy = tmp_path / "output"
    shutil.copytree(output, copy)
    env = {"REEL_OUTPUT": str(copy)}
    reel("sims", "perceptron", "--quiet", env=env, check=True)
    reel("export", "web", "ch01", env=env, check=True)
    html = (copy / "site/index.html").read_text(encoding="utf-8")
    assert "R01.1" in html and "AND epochs to converge" in html and "R01.10" in html


# --- slides ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slides(output) -> Path:
    reel("export", "slides", "ch01", "--pptx", env={"REEL_OUTPUT": str(output)}, check=True)
    return output / "slides"


def test_deck_is_self_contained(slides):
    deck = slides / "ch01"
    html = (deck / "index.html").read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|poster|href)="(?!data:)([^"#]+)"', html)
    assert not [r for r in refs if re.match(r"[a-z]+:", r)]
    assert all((deck / r).is_file() for r in refs), [r for r in refs if not (deck / r).is_file()]
    assert (deck / "reveal/LICENSE").read_text().startswith("Copyright")
    assert html.count("<section") == 1 + 2 + 2  # title, two scenes, two figures
    assert html.count('<aside class="notes">') == 5 and "感知机：一条直线把两类点分开" in html
    assert html.count("data-autoplay") == 2


def test_pptx_reopens_with_its_movies_and_notes(slides):
    from pipeline.export.slides import check_pptx

    info = check_pptx(slides / "ch01/ch01.pptx")
    assert info["slides"] == 5
    assert len(info["movies"]) == 2 and all(m.endswith(".mp4") for m in info["movies"])
    assert info["images"], "posters and figures are embedded"
    assert "感知机：一条直线把两类点分开" in info["notes"][1] and "最好的直线也错一个点" in info["notes"][2]


# --- epub -----------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def epub(output) -> Path:
    reel("export", "epub", "ch01", env={"REEL_OUTPUT": str(output)}, check=True)
    return output / "epub/ch01.epub"


def test_epub_container(epub):
    with zipfile.ZipFile(epub) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert z.read("mimetype") == b"application/epub+zip"
        names = set(z.namelist())
        page = z.read("OEBPS/ch01.xhtml").decode("utf-8")
    assert {"META-INF/container.xml", "OEBPS/content.opf", "OEBPS/nav.xhtml", "OEBPS/media/ch01/PerceptronLine.mp4",
            "OEBPS/media/ch01/PerceptronLine.png", "OEBPS/media/ch01/figures/Fig_XORLayout.png"} <= names
    assert page.count("<video") == 2 and 'poster="media/ch01/PerceptronLine.png"' in page
    assert "最好的直线也错一个点" in page, "the captions are the fallback text"


@pytest.mark.skipif(not EPUBCHECK_JAR.is_file() or shutil.which("java") is None,
                    reason="epubcheck is not installed (apt-get install epubcheck)")
def test_epubcheck_reports_nothing(epub):
    proc = subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", str(EPUBCHECK_JAR),
                           str(epub)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 fatals / 0 errors / 0 warnings" in proc.stdout, proc.stdout


# --- caching, atomicity, bad input -----------------------------------------------------------------------------

def test_rerun_does_nothing_and_one_changed_scene_redoes_only_its_files(output, web, slides, epub, tmp_path,
                                                                       monkeypatch):
    copy = tmp_path / "output"
    shutil.copytree(output, copy)
    env = {"REEL_OUTPUT": str(copy)}
    before = files_under(copy / "site")
    proc = reel("export", "web", "ch01", "--gif", "--burn-in", env=env, check=True)
    assert " 0 file(s) made" in proc.stdout
    assert files_under(copy / "site") == before

    monkeypatch.setenv("REEL_OUTPUT", str(copy))  # XORImpossible re-rendered (another picture), its chapter joined
    publish_scene("XORImpossible", 3.0, "rgbtestsrc", tmp_path, key="v2")
    assemble(tmp_path)
    reel("export", "web", "ch01", "--gif", "--burn-in", env=env, check=True)
    after = files_under(copy / "site")
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed == {"ch01/XORImpossible.mp4", "ch01/XORImpossible.webm", "ch01/XORImpossible.png",
                       "ch01/XORImpossible.gif", "ch01/XORImpossible.subtitled.mp4",  # the scene's own files
                       "ch01/ch01.mp4", "ch01/ch01.png", "ch01/ch01.subtitled.mp4"}  # its chapter's video
    epub_before = (copy / "epub/ch01.epub").stat().st_mtime_ns
    deck_before = files_under(copy / "slides")
    reel("export", "slides", "ch01", "--pptx", env=env, check=True)
    deck_after = files_under(copy / "slides")
    assert {p for p in deck_after if deck_after[p] != deck_before.get(p)} == {
        "ch01/media/XORImpossible.mp4", "ch01/media/XORImpossible.png", "ch01/ch01.pptx"}
    reel("export", "epub", "ch01", env=env, check=True)
    assert (copy / "epub/ch01.epub").stat().st_mtime_ns != epub_before


def exported_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for folder in ("site", "slides", "epub") for p in (root / folder).rglob("*")
            if p.is_file()}


def test_an_export_removes_what_it_no_longer_writes(output, tmp_path, monkeypatch):
    """A scene gone from its chapter (deleted or renamed), a chapter no longer in the gallery: their files leave
    site/ and the chapter's deck with the next export (records too); what the export wrote stays, and so do the
    decks and EPUBs of other chapter selections (each its own export's)."""
    import pipeline.assemble
    import pipeline.export as export
    from pipeline.export.epub import export_epub
    from pipeline.export.slides import export_slides
    from pipeline.export.web import export_web

    copy = tmp_path / "output"
    shutil.copytree(output, copy)
    monkeypatch.setenv("REEL_OUTPUT", str(copy))

    def export_all() -> list:
        book = export.load_book(["ch01"])
        return [export_web(book, gif=True), export_slides(book, pptx=True), export_epub(book, "ch01")]

    export_all()
    before = exported_files(copy)
    assert "site/ch01/XORImpossible.webm" in before and "slides/ch01/media/XORImpossible.mp4" in before
    left_by_bigger_exports = ["site/ch02/Backprop.mp4", "slides/ch01/media/Renamed.png",
                              "site/ch01/.PerceptronLine.mp4.x1.tmp"]
    other_selections = ["slides/book/index.html", "epub/book.epub"]  # decks and packages of other chapter sets
    for rel in left_by_bigger_exports + other_selections:
        (copy / rel).parent.mkdir(parents=True, exist_ok=True)
        (copy / rel).write_bytes(b"old")

    entries = export.chapter_entries  # XORImpossible deleted from ch01; the chapter re-rendered without it
    without = lambda chapter: [e for e in entries(chapter) if e.name != "XORImpossible"]  # noqa: E731
    monkeypatch.setattr(export, "chapter_entries", without)
    monkeypatch.setattr(pipeline.assemble, "chapter_entries", without)
    assemble(tmp_path)
    works = export_all()

    after = exported_files(copy)
    assert not [p for p in after if "XORImpossible" in p]
    assert not set(left_by_bigger_exports) & after
    assert set(other_selections) <= after, "a deck or EPUB of another chapter selection is not this export's"
    assert {p for p in before if "XORImpossible" not in p} <= after, "nothing the export writes is removed"
    assert not (copy / "site/ch02").exists(), "empty folders go too"
    removed = {str(p.relative_to(copy)) for w in works for p in w.removed}
    assert "site/ch01/XORImpossible.gif" in removed and "slides/ch01/media/Renamed.png" in removed
    assert "stale removed" in works[0].summary()
    records = copy / "cache/records"
    assert not [p for folder in ("site", "slides") for p in (records / folder).rglob("XORImpossible*")]
    assert list((records / "scenes").rglob("XORImpossible.mp4.json")), "the render's own records are not touched"
    with zipfile.ZipFile(copy / "epub/ch01.epub") as z:
        assert not [n for n in z.namelist() if "XORImpossible" in n]
    rerun = export_all()
    assert [(w.made, w.removed) for w in rerun] == [([], [])] * 3, "a rerun makes nothing and finds nothing stale"


def test_a_failed_export_removes_nothing(out):
    from pipeline.export import Work, owned_folder

    old = out / "site/ch01/Renamed.mp4"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"old")
    with pytest.raises(RuntimeError), owned_folder(out / "site", Work("web")):
        raise RuntimeError("ffmpeg failed half way")
    assert old.is_file(), "the page still naming it is the old one, so the old files stay"


def test_no_partial_files_are_left(web, slides, epub, output):
    leftovers = [p for p in output.rglob("*") if p.name.endswith((".partial", ".tmp"))]
    assert leftovers == []


@pytest.mark.parametrize("args, message", [
    (["export", "wbe"], "unknown export format 'wbe'; did you mean: web"),
    (["export", "web", "ch99"], "unknown chapter 'ch99'"),
    (["export", "web", "ch01", "--theme", "sepia"], "unknown theme 'sepia'"),
    (["export", "epub", "ch01", "--gif"], "--gif and --burn-in are options of `reel export web`"),
    (["render", "ch01", "--theme", "sepia"], "unknown theme 'sepia'"),
    (["figure", "ch01", "--theme", "lihgt"], "did you mean: light"),
])
def test_bad_input_is_one_line_and_exit_2(output, args, message):
    proc = reel(*args, env={"REEL_OUTPUT": str(output)})
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_chapter_with_nothing_implemented(output):
    from pipeline.registry import CHAPTERS, chapter_entries

    empty = [c.tag for c in CHAPTERS if not any(e.implemented and e.kind == "scene" for e in chapter_entries(c))]
    if not empty:
        pytest.skip("every chapter has an implemented scene")
    proc = reel("export", "slides", empty[0], env={"REEL_OUTPUT": str(output)})
    assert proc.returncode == 2 and f"{empty[0]} has no implemented scene yet" in proc.stderr


def test_export_before_anything_is_rendered(tmp_path):
    proc = reel("export", "web", env={"REEL_OUTPUT": str(tmp_path / "nothing")})
    assert proc.returncode == 2 and "nothing is rendered yet" in proc.stderr and "reel render" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "nothing").exists(), "a failed export writes nothing"
    proc = reel("export", "web", "ch01", "--theme", "light", env={"REEL_OUTPUT": str(tmp_path / "nothing")})
    assert proc.returncode == 2 and "light/manifest.json" in proc.stderr and "--theme light" in proc.stderr


def test_missing_scenes_are_named_with_the_command_that_renders_them(output):
    """ch01 is there, every other implemented chapter is not: the export names them and stops."""
    proc = reel("export", "web", env={"REEL_OUTPUT": str(output)})
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "ch02.Backprop" in proc.stderr and "`reel render ch02" in proc.stderr and "-q l`" in proc.stderr
    assert "ch01." not in proc.stderr
