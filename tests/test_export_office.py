"""The PPTX and the EPUB opened by the real programs that read them: LibreOffice Impress (``soffice``, headless,
to PDF) and Calibre (``ebook-convert``, to PDF), the pages turned back into pixels and text with poppler.

Each test is skipped, with the reason, when its program is not installed: CI does not install LibreOffice or
Calibre (too big); ``apt-get install libreoffice-impress calibre poppler-utils`` runs them here.
Built on the tiny ffmpeg-made output of ``export_fixture`` (seconds, no manim).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import reel
from export_fixture import CAPTIONS, SCENES, made_output

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
EBOOK_CONVERT = shutil.which("ebook-convert")
POPPLER = all(shutil.which(tool) for tool in ("pdftoppm", "pdftotext", "pdfinfo", "pdfimages"))

pytestmark = [pytest.mark.skipif(not POPPLER, reason="poppler-utils is not installed (apt-get install poppler-utils)"),
              pytest.mark.xdist_group("test_export_office")]  # one worker: the fixture output is made once
needs_soffice = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install "
                                   "libreoffice-impress); CI leaves it out, it is too big")
needs_calibre = pytest.mark.skipif(EBOOK_CONVERT is None, reason="Calibre is not installed (apt-get install calibre)")

NOTES_ONLY = ('pdf:impress_pdf_Export:{"ExportNotesPages":{"type":"boolean","value":"true"},'
              '"ExportOnlyNotesPages":{"type":"boolean","value":"true"}}')


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    return made_output(tmp_path_factory.mktemp("office"))


def run(*args: str, env: dict | None = None) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})})
    assert proc.returncode == 0, f"{args[0]} failed: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def text_of(pdf: Path, page: int | None = None) -> str:
    """The page's (or the document's) text, with the line breaks a layout adds taken out."""
    span = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", *span, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", "", out)


def page_pixels(pdf: Path, page: int, folder: Path) -> np.ndarray:
    """One page as a gray image (60 dpi), as a reader would see it."""
    from PIL import Image

    stem = folder / f"{pdf.stem}-{page}"
    run("pdftoppm", "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile", str(pdf), str(stem))
    return np.asarray(Image.open(stem.with_suffix(".png")).convert("L"), dtype=float)


def images_of(pdf: Path) -> list[tuple[int, int, int]]:
    """``(page, width, height)`` of every picture the PDF draws."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    return [(int(r[0]), int(r[3]), int(r[4])) for r in rows if len(r) > 4 and r[2] == "image"]


def plain(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- PPTX in LibreOffice Impress ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def impress(output, tmp_path_factory) -> tuple[Path, Path, dict]:
    """The chapter deck's PPTX as LibreOffice prints it: its slides, and its notes pages."""
    from pipeline.export.slides import check_pptx

    reel("export", "slides", "ch01", "--pptx", env={"REEL_OUTPUT": str(output)}, check=True)
    pptx = output / "slides/ch01/ch01.pptx"
    folder = tmp_path_factory.mktemp("impress")
    profile = f"-env:UserInstallation={(folder / 'profile').as_uri()}"  # its own profile: no clash with another
    run(SOFFICE, profile, "--headless", "--convert-to", "pdf", "--outdir", str(folder / "slides"), str(pptx))
    run(SOFFICE, profile, "--headless", "--convert-to", NOTES_ONLY, "--outdir", str(folder / "notes"), str(pptx))
    return folder / "slides/ch01.pdf", folder / "notes/ch01.pdf", check_pptx(pptx)


@needs_soffice
def test_impress_prints_one_page_per_slide(impress, tmp_path):
    slides_pdf, _, info = impress
    assert pages(slides_pdf) == info["slides"] == 1 + len(SCENES) + 2  # title, the scenes, the two figures
    assert "第1章感知机" in text_of(slides_pdf, 1), "the title slide shows the chapter"
    title = page_pixels(slides_pdf, 1, tmp_path)
    assert title.std() > 3, "the title is drawn"


@needs_soffice
def test_impress_shows_each_scene_s_poster(impress, tmp_path):
    """A scene's slide shows its still in the movie's frame (not an empty box), under the slide's heading."""
    slides_pdf, _, _ = impress
    for page, scene in enumerate(SCENES, start=2):
        assert scene in text_of(slides_pdf, page)
        pixels = page_pixels(slides_pdf, page, tmp_path)
        height, width = pixels.shape
        frame = pixels[int(height * 0.25):int(height * 0.9), int(width * 0.25):int(width * 0.75)]
        assert frame.std() > 20, f"{scene}'s slide has a blank movie frame (std {frame.std():.1f})"
    assert [p for p, w, h in images_of(slides_pdf) if p == 2], "the poster is a picture on the page"


@needs_soffice
def test_impress_notes_pages_hold_the_captions(impress):
    _, notes_pdf, info = impress
    assert pages(notes_pdf) == info["slides"]
    for page, scene in enumerate(SCENES, start=2):
        text = text_of(notes_pdf, page)
        for _, _, caption in CAPTIONS[scene]:
            assert plain(caption) in text, f"{caption!r} missing from {scene}'s notes page"


# --- EPUB in Calibre ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def calibre(output, tmp_path_factory) -> Path:
    """The chapter's EPUB as Calibre lays it out (its PDF output renders the XHTML with Qt WebEngine)."""
    reel("export", "epub", "ch01", env={"REEL_OUTPUT": str(output)}, check=True)
    pdf = tmp_path_factory.mktemp("calibre") / "ch01.pdf"
    # Qt WebEngine's sandbox refuses to start as root (containers, CI); the EPUB is our own file
    run(EBOOK_CONVERT, str(output / "epub/ch01.epub"), str(pdf), env={"QTWEBENGINE_DISABLE_SANDBOX": "1"})
    return pdf


@needs_calibre
def test_calibre_lays_out_the_chapter_page(calibre):
    text = text_of(calibre)
    assert "第1章感知机：从形式神经元到第一次寒冬" in text
    for scene in SCENES:
        assert scene in text
        for _, _, caption in CAPTIONS[scene]:
            assert plain(caption) in text, f"{scene}'s caption {caption!r} is not under its video"
    assert "D01.1异或的四个点" in text, "a figure's caption (its alt text)"
    assert "勘误" in text and "reelcheckch01" in text, "the errata section (its traces are not computed here)"


@needs_calibre
def test_calibre_shows_posters_and_figures(calibre):
    """Each scene's poster (the still at the video's 320 px) and each figure (640 px) is a picture on a page."""
    found = images_of(calibre)
    assert len([i for i in found if i[1:] == (320, 180)]) == len(SCENES), found
    assert len([i for i in found if i[1:] == (640, 360)]) == 2, found
