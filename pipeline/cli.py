"""``reel``: the command line of the book's animation pipeline."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sys
from typing import Any, Callable

import click
from rich.console import Console

from pipeline.errors import ComputeError, UsageError
from pipeline.paths import cache_dir

QUALITY_HELP = "l=480p15, m=720p30 (default), h=1080p60, p=1440p60, k=2160p60"
DEFAULT_JOBS = os.cpu_count() or 1
out = Console(highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def handled(fn: Callable) -> Callable:
    """Turn our errors into a one-line message and an exit status (2: bad input, 1: failed)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UsageError as exc:
            _fail(str(exc), 2)
        except ComputeError as exc:
            _fail(str(exc), 1)
        except KeyboardInterrupt:
            _fail("interrupted; finished artifacts are kept, partial ones discarded", 130)
        except PermissionError as exc:
            _fail(f"cannot write {exc.filename or 'to the output folder'}: permission denied "
                  f"(choose another folder with REEL_OUTPUT)", 1)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EDQUOT):
                _fail(f"cannot write {exc.filename or 'to the output folder'}: {exc.strerror}", 1)
            raise

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Animations and figures for 人工神经网络小史, computed from real simulations."""


quality_option = click.option("-q", "--quality", type=click.Choice(["l", "m", "h", "p", "k"]), default="m",
                              show_default=True, help=QUALITY_HELP)
jobs_option = click.option("--jobs", "-j", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
                           help="renders run in parallel")
quiet_option = click.option("--quiet", is_flag=True, help="no progress display")
set_option = click.option("--set", "sets", multiple=True, metavar="SIM.KEY=VALUE",
                          help="override a sim parameter (repeatable)")
executor_option = click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                               help="where jobs run: child processes here, or Ray tasks (the ray extra)")
address_option = click.option("--address", default=None, metavar="HOST:PORT",
                              help="with --executor ray: join this cluster (default: a local Ray with --jobs CPUs)")


def executor_options(fn: Callable) -> Callable:
    return executor_option(address_option(fn))


@main.command("list")
@quality_option
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@handled
def list_cmd(quality: str, as_json: bool) -> None:
    """Chapters, scenes and figures, and whether each is rendered."""
    from pipeline.status import entry_status

    rows = entry_status(quality)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    last = None
    for row in rows:
        if row["chapter"] != last:
            last = row["chapter"]
            out.print(f"[bold]ch{row['chapter']:02d}  {row['title']}[/]")
        colour = {"rendered": "green", "stale": "yellow", "not rendered": "cyan"}.get(row["status"], "dim")
        traces = ", ".join(f"{t['name']}{'' if t['cached'] else '*'}" for t in row["traces"])
        kind = f"figure {row['diagram']}" if row["kind"] == "figure" else "scene" if row["from_book"] else "scene +"
        out.print(f"      {row['name']:<26} {kind:<13} [{colour}]{row['status']:<20}[/] {traces}")
    scenes = [r for r in rows if r["kind"] == "scene"]
    done = sum(r["status"] != "not yet implemented" for r in scenes)
    added = sum(not r["from_book"] for r in scenes)
    out.print(f"\n{len(scenes) - added} scenes from the book + {added} added (+), {done} implemented; "
              f"{len(rows) - len(scenes)} diagram figures; quality {quality}; * = trace not computed yet")


@main.command()
@click.argument("names", nargs=-1)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="override a parameter (repeatable)")
@click.option("--seed", type=int, default=None, help="seed (default: the sim's own)")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default=None, help="for torch sims")
@click.option("--force", is_flag=True, help="recompute even if cached")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per trace")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=DEFAULT_JOBS, show_default=True,
              help="with --executor ray: traces computed at once (the local Ray's CPUs); locally one after another")
@executor_options
@quiet_option
@handled
def sims(names: tuple[str, ...], sets: tuple[str, ...], seed: int | None, device: str | None, force: bool,
         as_json: bool, jobs: int, executor: str, address: str | None, quiet: bool) -> None:
    """Compute traces (cache hits are free). NAME is a sim or sim.variant."""
    from pipeline.simrun import run_sims

    for row in run_sims(names, sets, seed, device, force, quiet or as_json, executor, address, jobs):
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            state = "cached" if row["cached"] else f"computed in {row['wall_s']:.2f} s"
            metrics = ", ".join(f"{k}={_short(v)}" for k, v in row["metrics"].items())
            out.print(f"[bold]{row['sim']}.{row['variant']}[/] ({state}, key {row['key'][:12]}): {metrics}")


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"


def _use_theme(name: str | None) -> None:
    """``--theme``: checked here (one line, exit 2), then passed on as ``REEL_THEME`` (render processes inherit it)."""
    if name is None:
        return
    from pipeline.errors import closest
    from pipeline.paths import THEMES

    if name not in THEMES:
        raise UsageError(f"unknown theme {name!r}; {closest(name, THEMES)}")
    os.environ["REEL_THEME"] = name


theme_option = click.option("--theme", "theme_name", metavar="dark|light", default=None,
                            help="palette (default: REEL_THEME, else dark); a theme has its own output folder")


@main.command()
@click.argument("targets", nargs=-1)
@quality_option
@jobs_option
@click.option("--force", is_flag=True, help="re-render even if up to date")
@set_option
@theme_option
@executor_options
@quiet_option
@handled
def render(targets: tuple[str, ...], quality: str, jobs: int, force: bool, sets: tuple[str, ...],
           theme_name: str | None, executor: str, address: str | None, quiet: bool) -> None:
    """Compute traces, render scenes and stills, assemble chapter videos.

    TARGET is ch01, ch01.PerceptronLine or PerceptronLine; none means everything.
    """
    _use_theme(theme_name)
    from pipeline.build import render as build_render

    report = build_render(targets, quality, jobs, force, sets, quiet, executor, address)
    click.echo(report.summary())


@main.command()
@click.argument("targets", nargs=-1, required=True)
@jobs_option
@click.option("--force", is_flag=True, help="re-render even if up to date")
@set_option
@theme_option
@executor_options
@quiet_option
@handled
def figure(targets: tuple[str, ...], jobs: int, force: bool, sets: tuple[str, ...], theme_name: str | None,
           executor: str, address: str | None, quiet: bool) -> None:
    """Regenerate still PNG(s) (1080p) only, into output/figures/ (--theme light: output/light/figures/)."""
    _use_theme(theme_name)
    from pipeline.build import figures

    report = figures(targets, jobs, force, sets, quiet, executor, address)
    click.echo(report.summary())


@main.command()
@click.argument("target")
@click.option("--force", is_flag=True, help="re-render even if up to date")
@set_option
@quiet_option
@handled
def preview(target: str, force: bool, sets: tuple[str, ...], quiet: bool) -> None:
    """Render one scene at 480p15 (a figure: a 480p still) as fast as possible; print its path.

    Nothing else is rendered or assembled, and nothing is opened.
    """
    from pipeline.build import preview as build_preview

    path, report = build_preview(target, sets, force, quiet)
    if not quiet:
        click.echo(report.summary(), err=True)
    click.echo(str(path))


@main.command("export")
@click.argument("target", metavar="web|slides|epub")
@click.argument("chapters", nargs=-1)
@click.option("-q", "--quality", type=click.Choice(["l", "m", "h", "p", "k"]), default=None,
              help="which rendered videos (default: the quality most of the chapters' scenes are rendered at)")
@click.option("--gif", is_flag=True, help="web: also a palette-optimised GIF per scene")
@click.option("--burn-in", is_flag=True, help="web: also each video with its captions drawn in (MP4)")
@click.option("--pptx", is_flag=True, help="slides: also a PowerPoint file per deck")
@theme_option
@handled
def export_cmd(target: str, chapters: tuple[str, ...], quality: str | None, gif: bool, burn_in: bool, pptx: bool,
               theme_name: str | None) -> None:
    """Gallery (web), reveal.js decks (slides) or EPUB 3 (epub) from what is rendered, with WebVTT captions.

    CHAPTERS: ch01 … (default: every chapter with an implemented scene). Reads output/manifest.json and
    never renders: a scene not rendered yet is named with the command that renders it (exit status 2).
    """
    from pipeline.errors import closest
    from pipeline.export import FORMATS

    if target not in FORMATS:
        raise UsageError(f"unknown export format {target!r}; {closest(target, FORMATS)}")
    if gif and target != "web" or burn_in and target != "web":
        raise UsageError(f"--gif and --burn-in are options of `reel export web`, not of {target}")
    if pptx and target != "slides":
        raise UsageError(f"--pptx is an option of `reel export slides`, not of {target}")
    _use_theme(theme_name)
    from pipeline.export import load_book

    book = load_book(chapters, quality)
    if target == "web":
        from pipeline.export.web import export_web

        work = export_web(book, gif=gif, burn_in=burn_in)
    elif target == "slides":
        from pipeline.export.slides import export_slides

        work = export_slides(book, pptx=pptx)
    else:
        from pipeline.export.epub import export_epub

        work = export_epub(book, "book" if not chapters else "-".join(c.chapter.tag for c in book.chapters))
    click.echo(work.summary())


@main.command()
@quality_option
@quiet_option
@handled
def assemble(quality: str, quiet: bool) -> None:
    """Chapter and book videos from the scenes already rendered."""
    from pipeline.build import assemble_only

    click.echo(assemble_only(quality, quiet).summary())


@main.command()
@click.argument("targets", nargs=-1)
@quality_option
@set_option
@click.option("--why", is_flag=True, help="for each stale artifact, the inputs that changed")
@click.option("--json", "as_json", is_flag=True, help="a JSON list of rows")
@handled
def status(targets: tuple[str, ...], quality: str, sets: tuple[str, ...], why: bool, as_json: bool) -> None:
    """Fresh or stale, for each video and still of the targets (default: everything implemented)."""
    from pipeline.build import parse_sim_overrides
    from pipeline.status import artifact_status

    rows = artifact_status(targets, quality, parse_sim_overrides(sets), why)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    for row in rows:
        colour = {"rendered": "green", "stale": "yellow"}.get(row["status"], "cyan")
        out.print(f"{row['target']:<40} [{colour}]{row['status']}[/]")
        for line in row.get("why", []):
            out.print(f"[dim]    {line}[/]")
    counts = {s: sum(r["status"] == s for r in rows) for s in ("rendered", "stale", "not rendered")}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()))


@main.command()
@click.argument("chapters", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="a JSON list of rows")
@quiet_option
@handled
def check(chapters: tuple[str, ...], as_json: bool, quiet: bool) -> None:
    """The book's printed numbers next to what the sims computed (the errata report)."""
    from pipeline.errata import errata_rows

    rows = errata_rows(chapters, quiet or as_json)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    previous_note = None
    for row in rows:
        colour = {"equal": "green", "different": "yellow"}.get(row["status"], "red")
        out.print(f"{row['id']:<8} {row['quantity']:<34} book {_short(row['book']):<16} "
                  f"computed {_short(row['computed']):<18} [{colour}]{row['status']}[/]")
        if row["note"] and row["note"] != previous_note:
            out.print(f"[dim]{'':9}{row['note']}[/]")
        previous_note = row["note"]
    counts = {s: sum(r["status"] == s for r in rows) for s in ("equal", "different", "not_reproducible")}
    out.print(", ".join(f"{n} {s}" for s, n in counts.items()))


@main.command()
@handled
def doctor() -> None:
    """Check the system tools and libraries rendering needs; say how to fix what is missing."""
    from pipeline.doctor import run_checks

    ok = True
    for check_ in run_checks():
        mark = "[green]ok[/]  " if check_.ok else "[red]MISSING[/]"
        out.print(f"{mark} {check_.name}: {check_.detail}")
        if not check_.ok:
            ok = False
            out.print(f"      fix: [bold]{check_.fix}[/]")
    sys.exit(0 if ok else 1)


@main.command()
@click.option("--all", "everything", is_flag=True, help="also delete rendered videos, figures and the manifest")
@handled
def clean(everything: bool) -> None:
    """Remove caches (traces, manim media, logs); with --all, every output.

    What is built stays built: the records that say so are kept unless --all removes the outputs too.
    Refuses any folder that is not recognisably reel's own output.
    """
    from pipeline.paths import MARKER, is_reel_output, output_root

    root = output_root()
    if not root.exists():
        click.echo(f"nothing to clean: {root} does not exist")
        return
    if not is_reel_output(root):
        raise UsageError(f"refusing to clean {root}: it is not a reel output folder (no {MARKER} marker); "
                         "check REEL_OUTPUT")
    keep = {".gitkeep", MARKER}
    if everything:
        _empty(root, keep)
    else:
        _empty(cache_dir(), {"records"})
    click.echo(f"removed {'everything under' if everything else 'caches in'} {root if everything else cache_dir()}")


def _empty(folder, keep: set[str]) -> None:
    """Delete what ``folder`` holds except the names in ``keep``; never follows a symlink out of it."""
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.name in keep:
            continue
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


if __name__ == "__main__":
    main()
