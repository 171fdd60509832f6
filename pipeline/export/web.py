"""``reel export web``: ``output/site/``, a gallery that works from its folder, with nothing from a CDN.

Per scene: the H.264 MP4 (+faststart), a VP9 WebM, a poster (the still at the video's width), its WebVTT
captions and, with ``--gif``, a palette-optimised GIF. Per chapter: the chapter video with its captions,
the diagram figures, and the errata rows of ``reel check``. ``index.html`` is written last, so it never
names a file that is not there yet.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from pipeline.export import (
    Book,
    ChapterItem,
    SceneItem,
    Work,
    alt_text,
    clock,
    derive,
    encode,
    errata_by_chapter,
    fmt_value,
    link_or_copy,
    owned_folder,
    read_screen_log,
    write_if_changed,
)
from pipeline.export.captions import chapter_vtt, scene_vtt
from pipeline.paths import output_dir, theme

__all__ = ["export_web", "scene_media", "palette_css", "BOOK_TITLE"]

BOOK_TITLE = "人工神经网络小史"


def palette_css() -> str:
    """The page's colours: the scenes' own palette for the current theme."""
    from scenes.kit.palette import FONT, THEMES

    p = THEMES[theme()]
    return (f":root{{--bg:{p.background};--text:{p.text};--muted:{p.muted};--grid:{p.grid};--accent:{p.learned};"
            f"--warm:{p.positive};--cool:{p.negative};--error:{p.error};--font:'{FONT}',sans-serif}}")


STYLE = """
body{margin:0;background:var(--bg);color:var(--text);font-family:var(--font);line-height:1.5}
header,main{max-width:1200px;margin:0 auto;padding:0 1.2rem}
header h1{font-size:1.6rem;margin:1.2rem 0 .3rem}
header p,nav{color:var(--muted);font-size:.95rem}
nav a{color:var(--text);margin-right:.8rem}
section.chapter{border-top:1px solid var(--grid);margin-top:1.5rem;padding-top:.5rem}
h2{font-size:1.3rem}h3{font-size:1.05rem;color:var(--muted);font-weight:normal;margin:1rem 0 .4rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1rem}
figure{margin:0;background:rgba(127,127,127,.06);border:1px solid var(--grid);border-radius:6px;padding:.5rem}
figure video,figure img{width:100%;height:auto;display:block;border-radius:3px;background:#000}
figcaption{font-size:.9rem;margin-top:.35rem}figcaption .meta{color:var(--muted)}
figcaption a{color:var(--accent)}
.chapter-video video{width:100%;max-width:960px}
table{border-collapse:collapse;font-size:.88rem;width:100%}
th,td{border-bottom:1px solid var(--grid);padding:.25rem .4rem;text-align:left;vertical-align:top}
td.equal{color:var(--accent)}td.different{color:var(--warm)}td.not_reproducible{color:var(--error)}
td.note{color:var(--muted)}
"""


def scene_media(book: Book, scene: SceneItem, folder: Path, work: Work, gif: bool = False,
                webm: bool = True, burn_in: bool = False) -> dict[str, Path]:
    """The scene's MP4, WebM, poster, captions (and GIF) in ``folder``; what is up to date is left alone."""
    base = folder / scene.name
    made = {"mp4": base.with_suffix(".mp4"), "poster": base.with_suffix(".png"), "vtt": base.with_suffix(".vtt")}
    derive(made["mp4"], {"video": scene.sha256, "recipe": encode.RECIPES["mp4"]},
           lambda out: encode.web_mp4(scene.video, out), work, source=scene.name)
    derive(made["poster"], {"still": scene.still_sha256, "video": scene.sha256, "recipe": "poster-video-width"},
           lambda out: encode.poster(scene.still, scene.video, out), work, source=scene.name)
    if webm:
        made["webm"] = base.with_suffix(".webm")
        derive(made["webm"], {"video": scene.sha256, "recipe": encode.RECIPES["webm"]},
               lambda out: encode.webm(scene.video, out), work, source=scene.name)
    if gif:
        made["gif"] = base.with_suffix(".gif")
        derive(made["gif"], {"video": scene.sha256, "recipe": encode.RECIPES["gif"]},
               lambda out: encode.gif(scene.video, out), work, source=scene.name)
    write_if_changed(made["vtt"], scene_vtt(scene), work)
    if burn_in:
        made["subtitled"] = _burned(scene.video, scene.sha256, made["vtt"], base.name, folder, work)
    return made


def _burned(video: Path, sha256: str, vtt: Path, name: str, folder: Path, work: Work) -> Path:
    """``<name>.subtitled.mp4``: the captions drawn into the picture, for places that cannot load a track."""
    out = folder / f"{name}.subtitled.mp4"
    derive(out, {"video": sha256, "captions": vtt.read_text(encoding="utf-8"), "recipe": encode.RECIPES["burn_in"]},
           lambda staging: encode.burn_in(video, vtt, staging), work, source=name)
    return out


def chapter_media(chapter: ChapterItem, folder: Path, work: Work, burn_in: bool = False) -> dict[str, Path]:
    made = {}
    if chapter.video is not None:
        made["mp4"] = folder / f"{chapter.chapter.tag}.mp4"
        made["vtt"] = folder / f"{chapter.chapter.tag}.vtt"
        derive(made["mp4"], {"video": chapter.video_sha256, "recipe": "link"},
               lambda out: link_or_copy(chapter.video, out), work, source=chapter.chapter.tag)
        made["poster"] = folder / f"{chapter.chapter.tag}.png"
        title_s = chapter.parts[1]["start_s"] if len(chapter.parts) > 1 else 0.0
        derive(made["poster"], {"video": chapter.video_sha256, "recipe": "title-card-frame"},
               lambda out: encode.frame_png(chapter.video, title_s * 0.6, out), work, source=chapter.chapter.tag)
        write_if_changed(made["vtt"], chapter_vtt(chapter), work)
        if burn_in:
            made["subtitled"] = _burned(chapter.video, chapter.video_sha256, made["vtt"], chapter.chapter.tag,
                                        folder, work)
    for fig in chapter.figures:
        made[fig.name] = folder / "figures" / f"{fig.name}.png"
        derive(made[fig.name], {"png": fig.sha256, "recipe": "link"},
               lambda out, fig=fig: link_or_copy(fig.png, out), work, source=fig.name)
    return made


def _rel(path: Path, site: Path) -> str:
    return escape(str(path.relative_to(site)), quote=True)


def _video_tag(media: dict[str, Path], site: Path, label: str) -> str:
    """The ``<video>`` with its sources and its captions track, which is not ``default`` (shown at first): the
    scenes draw their captions into the picture, so a shown track would print every line twice."""
    sources = [f'<source src="{_rel(media["mp4"], site)}" type="video/mp4">']
    if "webm" in media:
        sources.append(f'<source src="{_rel(media["webm"], site)}" type="video/webm">')
    poster = f' poster="{_rel(media["poster"], site)}"' if "poster" in media else ""
    return (f'<video controls preload="metadata"{poster} aria-label="{escape(label)}">{"".join(sources)}'
            f'<track kind="captions" srclang="zh-Hans" label="中文" src="{_rel(media["vtt"], site)}">'
            f'</video>')


def _subtitled_link(media: dict[str, Path], site: Path) -> str:
    return f' · <a href="{_rel(media["subtitled"], site)}">字幕版 MP4</a>' if "subtitled" in media else ""


def errata_table(rows: list[dict] | str) -> str:
    if isinstance(rows, str):
        return f"<p class=\"note\">{escape(rows)}</p>"
    body = "".join(
        f"<tr><td>{escape(r['id'])}</td><td>{escape(r['quantity'])}</td><td>{escape(fmt_value(r['book']))}</td>"
        f"<td>{escape(fmt_value(r['computed']))}</td><td class=\"{escape(r['status'])}\">{escape(r['status'])}</td>"
        f"<td class=\"note\">{escape(r['note'])}</td></tr>" for r in rows)
    return ("<table><thead><tr><th>编号</th><th>量</th><th>书中</th><th>计算</th><th>结论</th><th>说明</th></tr>"
            f"</thead><tbody>{body}</tbody></table>")


def export_web(book: Book, gif: bool = False, burn_in: bool = False) -> Work:
    """``output/site/``: exactly the files this export names (a removed scene's or chapter's are deleted)."""
    site = output_dir() / "site"
    work = Work("web")
    with owned_folder(site, work):
        _write_site(book, site, work, gif, burn_in)
    return work


def _write_site(book: Book, site: Path, work: Work, gif: bool, burn_in: bool) -> None:
    errata = errata_by_chapter(c.chapter.number for c in book.chapters)
    sections = []
    for chapter in book.chapters:
        folder = site / chapter.chapter.tag
        scenes = [(s, scene_media(book, s, folder, work, gif, burn_in=burn_in)) for s in chapter.scenes]
        extra = chapter_media(chapter, folder, work, burn_in)
        parts = [f'<section class="chapter" id="{chapter.chapter.tag}"><h2>{escape(chapter.heading)}</h2>']
        if "mp4" in extra:
            parts.append(f'<h3>本章视频 · {clock(chapter.duration)}</h3><div class="chapter-video">'
                         + _video_tag({k: extra[k] for k in ("mp4", "vtt", "poster")}, site, chapter.heading)
                         + _subtitled_link(extra, site) + "</div>")
        if scenes:
            parts.append('<h3>动画</h3><div class="grid">')
            for scene, media in scenes:
                links = (f' · <a href="{_rel(media["gif"], site)}">GIF</a>' if "gif" in media else "") + \
                    _subtitled_link(media, site)
                parts.append(f'<figure class="scene" id="{escape(scene.name)}">{_video_tag(media, site, scene.name)}'
                             f'<figcaption>{escape(scene.name)} <span class="meta">· {clock(scene.duration)}</span>'
                             f'{links}</figcaption></figure>')
            parts.append("</div>")
        if chapter.figures:
            parts.append('<h3>插图</h3><div class="grid">')
            for fig in chapter.figures:
                alt = alt_text(read_screen_log(fig.screen_log), fig.name)
                parts.append(f'<figure class="figure" id="{escape(fig.name)}"><img src="{_rel(extra[fig.name], site)}"'
                             f' alt="{escape(alt)}" loading="lazy" width="1920" height="1080">'
                             f'<figcaption>{escape(fig.diagram)} {escape(fig.name)}</figcaption></figure>')
            parts.append("</div>")
        if chapter.chapter.number in errata:
            parts.append("<h3>勘误：书中数字与本次计算</h3>" + errata_table(errata[chapter.chapter.number]))
        parts.append("</section>")
        sections.append("".join(parts))
    nav = " ".join(f'<a href="#{c.chapter.tag}">第{c.chapter.number}章</a>' for c in book.chapters)
    page = (f'<!DOCTYPE html>\n<html lang="zh-Hans"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
            f"<title>{BOOK_TITLE} · 动画与插图</title><style>{palette_css()}{STYLE}</style></head>"
            f"<body><header><h1>{BOOK_TITLE} · 动画与插图</h1>"
            f"<p>{book.folder} · 主题 {theme()} · 每个数字都来自真实的计算</p><nav>{nav}</nav></header>"
            f"<main>{''.join(sections)}</main></body></html>\n")
    index = site / "index.html"
    write_if_changed(index, page, work)
    work.main.append(index)
