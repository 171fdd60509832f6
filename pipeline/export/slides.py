"""``reel export slides``: a reveal.js deck per chapter and one for the book, under ``output/slides/``.

Each deck is a folder that opens offline: ``index.html``, reveal.js (vendored, MIT, see
``vendor/reveal.js/README.md``), a theme from the book's palette, and ``media/`` with each scene's MP4
(+faststart), poster and WebVTT captions. A title slide, then one slide per scene (its video plays on
entry, muted, with controls; the speaker notes are its captions), then one per diagram figure.
``--pptx`` adds a PowerPoint file per deck (python-pptx): one slide per scene with the movie, its still as
the poster frame and its captions as notes.
"""

from __future__ import annotations

import hashlib
from html import escape
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.export import (
    VENDOR,
    Book,
    ChapterItem,
    Work,
    alt_text,
    copy_if_changed,
    derive,
    link_or_copy,
    owned_folder,
    read_screen_log,
    write_if_changed,
)
from pipeline.export.captions import notes_text, scene_cues
from pipeline.export.web import BOOK_TITLE, palette_css, scene_media
from pipeline.paths import output_dir, theme

__all__ = ["export_slides", "check_pptx", "REVEAL_FILES"]

REVEAL_FILES = ("reveal.js", "reveal.css", "plugin/notes/notes.js", "LICENSE")
PPTX_RECIPE = "pptx-2"  # bump when the PPTX layout changes: every deck's file is remade

THEME_CSS = """
.reveal-viewport{background:var(--bg)}
.reveal{font-family:var(--font);color:var(--text);font-size:32px}
.reveal h1,.reveal h2,.reveal h3{font-family:var(--font);color:var(--text);font-weight:600;margin:0 0 .4em}
.reveal h1{font-size:2.1em}.reveal h2{font-size:1.4em;color:var(--accent)}.reveal h3{font-size:.8em}
.reveal p,.reveal .meta{color:var(--muted);font-size:.7em}
.reveal video,.reveal img{width:1000px;max-width:100%;height:auto;max-height:580px;object-fit:contain;display:block;
 margin:0 auto;background:#000}
.reveal .controls{color:var(--accent)}.reveal .progress{color:var(--accent)}
.reveal .slide-number{background:transparent;color:var(--muted)}
"""


def _deck(title: str, subtitle: str, slides: list[str]) -> str:
    return (f'<!DOCTYPE html>\n<html lang="zh-Hans"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f'<title>{escape(title)}</title>'
            f'<link rel="stylesheet" href="reveal/reveal.css"><style>{palette_css()}{THEME_CSS}</style></head>'
            f'<body><div class="reveal"><div class="slides">'
            f'<section class="title"><h1>{escape(title)}</h1><h2>{escape(subtitle)}</h2>'
            f'<aside class="notes">{escape(subtitle)}</aside></section>{"".join(slides)}</div></div>'
            f'<script src="reveal/reveal.js"></script><script src="reveal/plugin/notes/notes.js"></script>'
            f'<script>Reveal.initialize({{hash: true, width: 1280, height: 760, margin: 0.04, controls: true, '
            f'progress: true, slideNumber: "c/t", plugins: [RevealNotes]}});</script></body></html>\n')


def _chapter_slides(book: Book, chapter: ChapterItem, deck: Path, media: Path, work: Work,
                    with_heading: bool) -> list[str]:
    slides = []
    if with_heading:
        slides.append(f'<section class="chapter"><h1>第{chapter.chapter.number}章</h1>'
                      f'<h2>{escape(chapter.chapter.title)}</h2></section>')
    for scene in chapter.scenes:
        files = scene_media(book, scene, media, work, webm=False)
        rel = {k: escape(str(v.relative_to(deck)), quote=True) for k, v in files.items()}
        # the captions track is not default (shown at first): the scene draws its captions itself
        slides.append(
            f'<section data-scene="{escape(scene.name)}"><h3>{escape(chapter.heading)} · {escape(scene.name)}</h3>'
            f'<video data-autoplay controls muted playsinline preload="auto" poster="{rel["poster"]}">'
            f'<source src="{rel["mp4"]}" type="video/mp4">'
            f'<track kind="captions" srclang="zh-Hans" label="中文" src="{rel["vtt"]}"></video>'
            f'<aside class="notes">{escape(notes_text(scene)).replace(chr(10), "<br>")}</aside></section>')
    for fig in chapter.figures:
        out = media / "figures" / f"{fig.name}.png"
        derive(out, {"png": fig.sha256, "recipe": "link"}, lambda staging, fig=fig: link_or_copy(fig.png, staging),
               work, source=fig.name)
        alt = alt_text(read_screen_log(fig.screen_log), fig.name)
        slides.append(f'<section data-figure="{escape(fig.name)}"><h3>{escape(fig.diagram)} {escape(fig.name)}</h3>'
                      f'<img src="{escape(str(out.relative_to(deck)), quote=True)}" alt="{escape(alt)}">'
                      f'<aside class="notes">{escape(alt)}</aside></section>')
    return slides


def _vendor(deck: Path, work: Work) -> None:
    for name in REVEAL_FILES:
        copy_if_changed(VENDOR / "reveal.js" / name, deck / "reveal" / name, work)


def export_slides(book: Book, pptx: bool = False) -> Work:
    if pptx:
        _need_pptx()  # before any file is written
    root = output_dir() / "slides"
    work = Work("slides")
    decks = [(root / c.chapter.tag, c.heading, f"{len(c.scenes)} 个动画 · {len(c.figures)} 幅插图", [c])
             for c in book.chapters]
    if len(book.chapters) > 1:
        decks.append((root / "book", BOOK_TITLE, "动画与插图 · " + "、".join(
            f"第{c.chapter.number}章" for c in book.chapters), book.chapters))
    for deck, title, subtitle, chapters in decks:
        # each deck owns its folder (a removed scene's files go); decks of other chapter selections stay
        with owned_folder(deck, work):
            _write_deck(book, deck, title, subtitle, chapters, pptx, work)
    return work


def _write_deck(book: Book, deck: Path, title: str, subtitle: str, chapters: list[ChapterItem], pptx: bool,
                work: Work) -> None:
    _vendor(deck, work)
    slides = []
    for chapter in chapters:
        media = deck / "media" / chapter.chapter.tag if len(chapters) > 1 else deck / "media"
        slides += _chapter_slides(book, chapter, deck, media, work, with_heading=len(chapters) > 1)
    index = deck / "index.html"
    write_if_changed(index, _deck(title, subtitle, slides), work)
    work.main.append(index)
    if pptx:
        work.main.append(_pptx(deck / f"{deck.name}.pptx", title, subtitle, chapters, work))


# --- PowerPoint ----------------------------------------------------------------------------------------------

def _need_pptx() -> None:
    """``--pptx`` needs python-pptx (an optional package): say how to get it instead of a traceback."""
    try:
        import pptx  # noqa: F401
    except ImportError:
        raise UsageError("--pptx needs python-pptx: pip install -e '.[export]' (or pip install python-pptx)") from None


def _pptx(path: Path, title: str, subtitle: str, chapters: list[ChapterItem], work: Work) -> Path:
    inputs = {"recipe": PPTX_RECIPE, "title": title, "subtitle": subtitle, "chapters": [
        {"scenes": [(s.name, s.sha256, s.still_sha256, scene_cues(s)) for s in c.scenes],
         "figures": [(f.name, f.sha256) for f in c.figures]} for c in chapters]}
    derive(path, inputs, lambda staging: _write_pptx(staging, title, subtitle, chapters), work, source=path.stem)
    return path


def _write_pptx(path: Path, title: str, subtitle: str, chapters: list[ChapterItem]) -> None:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Emu, Pt

    from scenes.kit.palette import FONT, THEMES

    palette = THEMES[theme()]
    prs = Presentation()
    prs.slide_width, prs.slide_height = Emu(12_192_000), Emu(6_858_000)  # 16:9, 13.33 × 7.5 in
    _notes_pages_for_16_9(prs)
    blank = prs.slide_layouts[6]
    width, height = prs.slide_width, prs.slide_height
    margin = Emu(365_760)  # 0.4 in

    def text(slide, line: str, top: int, box_height: int, size: int, colour: str, centred: bool = False,
             anchor=MSO_ANCHOR.TOP) -> None:
        frame = slide.shapes.add_textbox(margin, Emu(top), width - 2 * margin, Emu(box_height)).text_frame
        frame.word_wrap, frame.vertical_anchor = True, anchor
        paragraph = frame.paragraphs[0]
        paragraph.alignment = PP_ALIGN.CENTER if centred else PP_ALIGN.LEFT
        run = paragraph.add_run()
        run.text = line
        run.font.size, run.font.name = Pt(size), FONT
        run.font.color.rgb = RGBColor.from_string(colour.lstrip("#"))

    def slide_with(notes: str):
        slide = prs.slides.add_slide(blank)
        fill = slide.background.fill
        fill.solid()
        fill.fore_color.rgb = RGBColor.from_string(palette.background.lstrip("#"))
        _set_notes(slide, notes)
        return slide

    def headed(heading: str, notes: str):
        slide = slide_with(notes)
        text(slide, heading, 182_880, 640_080, 20, palette.text)
        return slide

    def title_slide(line: str, below: str, notes: str) -> None:  # the deck's first slide, a chapter's divider
        slide = slide_with(notes)
        text(slide, line, 0, int(height * 0.52), 40, palette.text, centred=True, anchor=MSO_ANCHOR.BOTTOM)
        text(slide, below, int(height * 0.56), 640_080, 22, palette.muted, centred=True)

    def frame():  # the largest 16:9 box under the heading
        top = Emu(914_400)
        h = height - top - margin
        w = int(h * 16 / 9)
        return Emu((width - w) // 2), top, Emu(w), Emu(h)

    title_slide(title, subtitle, subtitle)
    for chapter in chapters:
        if len(chapters) > 1:
            title_slide(f"第{chapter.chapter.number}章", chapter.chapter.title, chapter.heading)
        for scene in chapter.scenes:
            slide = headed(f"{chapter.heading} · {scene.name}", notes_text(scene))
            slide.shapes.add_movie(str(scene.video), *frame(), poster_frame_image=str(scene.still),
                                   mime_type="video/mp4")
        for fig in chapter.figures:
            slide = headed(f"{fig.diagram} {fig.name}", alt_text(read_screen_log(fig.screen_log), fig.name))
            slide.shapes.add_picture(str(fig.png), *frame())
    prs.save(str(path))


# The notes page is portrait 7.5 × 10 in; python-pptx's default master draws a 4:3 slide picture over half of it.
NOTES_PICTURE = (685_800, 457_200, 5_486_400, 3_086_100)  # 6 in wide at 16:9, 0.5 in from the top
NOTES_BODY = (685_800, 3_771_900, 5_486_400, 4_800_600)  # under it, 5.25 in tall, above the page number
NOTES_SIZES = (12, 11, 10, 9, 8)  # points: the largest whose lines fit the body is used


def _notes_pages_for_16_9(prs) -> None:
    """Give the notes master a 16:9 slide picture and a taller text box, so printed notes pages fit."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    boxes = {PP_PLACEHOLDER.SLIDE_IMAGE: NOTES_PICTURE, PP_PLACEHOLDER.BODY: NOTES_BODY}
    for placeholder in prs.notes_master.placeholders:
        box = boxes.get(placeholder.placeholder_format.type)
        if box is not None:
            placeholder.left, placeholder.top, placeholder.width, placeholder.height = box


def notes_font_size(notes: str) -> int:
    """The largest of ``NOTES_SIZES`` at which ``notes`` fits the notes page's text box (CJK: 1 em a char)."""
    width_pt, height_pt = NOTES_BODY[2] / 12_700 - 14, NOTES_BODY[3] / 12_700 - 14  # less the insets
    for size in NOTES_SIZES:
        per_line = max(1, int(width_pt / size))
        lines = sum(max(1, -(-len(paragraph) // per_line)) for paragraph in notes.splitlines() or [""])
        if lines * size * 1.25 <= height_pt:
            return size
    return NOTES_SIZES[-1]


def _set_notes(slide, notes: str) -> None:
    """The notes, one paragraph a line, at a size that fits the printed notes page."""
    from pptx.util import Pt

    frame = slide.notes_slide.notes_text_frame
    frame.text = notes
    size = Pt(notes_font_size(notes))
    for paragraph in frame.paragraphs:
        paragraph.font.size = size
        for run in paragraph.runs:
            run.font.size = size


def check_pptx(path: Path) -> dict:
    """Reopen a PPTX: its slide count, the movies and images it embeds, and each slide's notes."""
    from pptx import Presentation

    prs = Presentation(str(path))
    media = [p for p in prs.part.package.iter_parts() if str(p.partname).startswith("/ppt/media/")]
    return {
        "slides": len(prs.slides),
        "movies": sorted(str(p.partname) for p in media if p.content_type.startswith("video/")),
        "images": sorted(str(p.partname) for p in media if p.content_type.startswith("image/")),
        "notes": [s.notes_slide.notes_text_frame.text if s.has_notes_slide else "" for s in prs.slides],
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
