"""``reel export epub``: an EPUB 3 package (``output/epub/book.epub``), written with the standard library.

Per chapter an XHTML page: its title, each scene as ``<video controls poster=…>`` with the H.264 MP4
(+faststart) and its WebVTT captions, followed by the captions as text (with the poster, the fallback of a
reader that plays no video), each diagram figure (PNG, alt text from its screen log), and the chapter's
errata rows. ``mimetype`` comes first and is stored, as the OCF container requires.
"""

from __future__ import annotations

import uuid
import zipfile
from datetime import datetime, timezone
from html import escape
from pathlib import Path

from pipeline.export import (
    Book,
    ChapterItem,
    Work,
    alt_text,
    clock,
    derive,
    encode,
    errata_by_chapter,
    fmt_value,
    read_screen_log,
)
from pipeline.export.captions import scene_cues, scene_vtt
from pipeline.export.web import BOOK_TITLE
from pipeline.paths import output_dir, theme

__all__ = ["export_epub", "EPUB_RECIPE"]

EPUB_RECIPE = "epub-2"  # bump when the package's layout changes
TITLE = f"{BOOK_TITLE} · 动画与插图"

CONTAINER = """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""

CSS = """body{font-family:"Noto Sans CJK SC",sans-serif;line-height:1.6;margin:0 4%}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}
figure{margin:1em 0}video,img{width:100%;height:auto}
figcaption{font-size:.9em}figcaption p{margin:.2em 0}
table{border-collapse:collapse;font-size:.8em;width:100%}
th,td{padding:.2em .3em;text-align:left;vertical-align:top}
tr.row td{border-top:1px solid #999}tr.note td{font-size:.92em;color:#555;padding-bottom:.5em}
"""

MEDIA_TYPES = {".mp4": "video/mp4", ".png": "image/png", ".vtt": "text/vtt", ".css": "text/css",
               ".xhtml": "application/xhtml+xml"}


def _page(title: str, body: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" '
            f'xml:lang="zh-Hans" lang="zh-Hans"><head><meta charset="UTF-8"/><title>{escape(title)}</title>'
            f'<link rel="stylesheet" type="text/css" href="style.css"/></head><body>{body}</body></html>\n')


def _errata_row(r: dict) -> str:
    """A row's numbers, then its note (often a paragraph) on a row of its own: a reader's page is narrow, and
    a sixth column would squeeze every cell to a word per line."""
    numbers = (f'<tr class="row"><td>{escape(r["id"])}</td><td>{escape(r["quantity"])}</td>'
               f'<td>{escape(fmt_value(r["book"]))}</td><td>{escape(fmt_value(r["computed"]))}</td>'
               f'<td>{escape(r["status"])}</td></tr>')
    note = f'<tr class="note"><td></td><td colspan="4">{escape(r["note"])}</td></tr>' if r.get("note") else ""
    return numbers + note


def _errata(rows: list[dict] | str) -> str:
    if isinstance(rows, str):
        return f"<p>{escape(rows)}</p>"
    head = "".join(f"<th>{name}</th>" for name in ("编号", "量", "书中", "计算", "结论"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(map(_errata_row, rows))}</tbody></table>"


def _chapter_page(chapter: ChapterItem, errata: list[dict] | str | None) -> str:
    tag = chapter.chapter.tag
    parts = [f'<section epub:type="chapter" id="{tag}"><h1>{escape(chapter.heading)}</h1>']
    if chapter.scenes:
        parts.append("<h2>动画</h2>")
    for scene in chapter.scenes:
        base = f"media/{tag}/{scene.name}"
        captions = "".join(f"<p>{escape(c['text'].replace(chr(10), ''))}</p>" for c in scene_cues(scene))
        # the captions track is not default (shown at first): the scene draws its captions itself
        parts.append(
            f'<figure id="{escape(scene.name)}"><video controls="controls" preload="metadata" poster="{base}.png">'
            f'<source src="{base}.mp4" type="video/mp4"/>'
            f'<track kind="captions" srclang="zh-Hans" label="中文" src="{base}.vtt"/>'
            f'<img src="{base}.png" alt="{escape(scene.name)}"/></video>'
            f'<figcaption><p><b>{escape(scene.name)}</b> · {clock(scene.duration)}</p>{captions}</figcaption></figure>')
    if chapter.figures:
        parts.append("<h2>插图</h2>")
    for fig in chapter.figures:
        alt = alt_text(read_screen_log(fig.screen_log), fig.name)
        parts.append(f'<figure id="{escape(fig.name)}"><img src="media/{tag}/figures/{fig.name}.png" '
                     f'alt="{escape(alt)}"/><figcaption><p>{escape(fig.diagram)} {escape(alt)}</p></figcaption>'
                     f'</figure>')
    if errata is not None:
        parts.append("<h2>勘误：书中数字与本次计算</h2>" + _errata(errata))
    parts.append("</section>")
    return _page(chapter.heading, "".join(parts))


def _nav(book: Book) -> str:
    items = "".join(f'<li><a href="{c.chapter.tag}.xhtml">{escape(c.heading)}</a></li>' for c in book.chapters)
    return _page(TITLE, f'<nav epub:type="toc" id="toc"><h1>{escape(TITLE)}</h1><ol>{items}</ol></nav>')


def _opf(identifier: str, files: list[str], pages: list[str]) -> str:
    modified = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = ['<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>']
    for i, name in enumerate(sorted(files)):
        items.append(f'<item id="f{i}" href="{escape(name)}" media-type="{MEDIA_TYPES[Path(name).suffix]}"/>')
    ids = {name: f"f{i}" for i, name in enumerate(sorted(files))}
    spine = '<itemref idref="nav"/>' + "".join(f'<itemref idref="{ids[p]}"/>' for p in pages)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="bookid" '
            'xml:lang="zh-Hans"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f'<dc:identifier id="bookid">{identifier}</dc:identifier><dc:title>{escape(TITLE)}</dc:title>'
            f'<dc:language>zh-Hans</dc:language><dc:creator>reel</dc:creator>'
            f'<meta property="dcterms:modified">{modified}</meta></metadata>'
            f'<manifest>{"".join(items)}</manifest><spine>{spine}</spine></package>\n')


def export_epub(book: Book, name: str = "book") -> Work:
    work = Work("epub")
    errata = errata_by_chapter(c.chapter.number for c in book.chapters)
    texts = {"nav.xhtml": _nav(book), "style.css": CSS}
    media: dict[str, tuple] = {}  # name in the package → (how to make it, key input)
    for chapter in book.chapters:
        tag = chapter.chapter.tag
        texts[f"{tag}.xhtml"] = _chapter_page(chapter, errata.get(chapter.chapter.number))
        for s in chapter.scenes:
            texts[f"media/{tag}/{s.name}.vtt"] = scene_vtt(s)
            media[f"media/{tag}/{s.name}.mp4"] = (lambda out, s=s: encode.web_mp4(s.video, out), s.sha256)
            media[f"media/{tag}/{s.name}.png"] = (lambda out, s=s: encode.poster(s.still, s.video, out),
                                                  [s.still_sha256, s.sha256])
        for f in chapter.figures:
            media[f"media/{tag}/figures/{f.name}.png"] = (f.png, f.sha256)
    pages = [f"{c.chapter.tag}.xhtml" for c in book.chapters]
    inputs = {"recipe": [EPUB_RECIPE, encode.RECIPES["mp4"]], "texts": texts,
              "media": {k: v[1] for k, v in media.items()}}
    content = "reel:" + theme() + ":" + repr(sorted(inputs["media"].items()))
    identifier = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, content)}"

    def make(out: Path) -> None:
        with zipfile.ZipFile(out, "w") as z:
            z.writestr(zipfile.ZipInfo("mimetype", (1980, 1, 1, 0, 0, 0)), "application/epub+zip",
                       compress_type=zipfile.ZIP_STORED)
            _write(z, "META-INF/container.xml", CONTAINER)
            files = [n for n in texts if n != "nav.xhtml"] + list(media)
            _write(z, "OEBPS/content.opf", _opf(identifier, files, pages))
            for n, text in texts.items():
                _write(z, f"OEBPS/{n}", text)
            for n, (source, _) in media.items():
                if isinstance(source, Path):
                    z.write(source, f"OEBPS/{n}", compress_type=zipfile.ZIP_STORED)
                else:
                    staging = out.with_name(Path(n).name)
                    source(staging)
                    z.write(staging, f"OEBPS/{n}", compress_type=zipfile.ZIP_STORED)
                    staging.unlink()

    path = output_dir() / "epub" / f"{name}.epub"
    derive(path, inputs, make, work, source=name)  # one package, rebuilt whole: nothing of an old one lingers
    work.main.append(path)
    return work


def _write(z: zipfile.ZipFile, name: str, text: str) -> None:
    z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), text.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED)
