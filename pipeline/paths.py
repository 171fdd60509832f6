"""Where things live, and the settings that decide it.

``REEL_OUTPUT`` (default ``<project>/output``) is the output root. The
default theme's artifacts sit right under it; another theme's under
``<root>/<theme>/``, so two themes never overwrite or mix with each other.
The caches (traces, render records, manim media) are shared, under
``<root>/cache``. A marker file says the root is reel's own, so ``reel
clean`` never empties a folder that is not.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.errors import UsageError, closest

__all__ = ["ROOT", "THEMES", "DEFAULT_THEME", "MARKER", "theme", "output_root", "output_dir", "cache_dir",
           "claim_output_root", "is_reel_output"]

ROOT = Path(__file__).resolve().parent.parent
THEMES = ("dark", "light")  # the palettes of scenes/kit/palette.py (a test keeps the two in step)
DEFAULT_THEME = "dark"
MARKER = ".reel-output"


def theme() -> str:
    """The theme from ``REEL_THEME`` (default dark); an unknown one is bad input."""
    name = os.environ.get("REEL_THEME", "") or DEFAULT_THEME
    if name not in THEMES:
        raise UsageError(f"unknown theme REEL_THEME={name!r}; {closest(name, THEMES)}")
    return name


def output_root() -> Path:
    """The output root: ``REEL_OUTPUT`` if set (it must name a folder, or a place to make one)."""
    given = os.environ.get("REEL_OUTPUT")
    if given is None:
        return ROOT / "output"
    if not given.strip():
        raise UsageError("REEL_OUTPUT is set but empty; unset it (default: output/ in the project) or name a folder")
    path = Path(given).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(f"REEL_OUTPUT={given} is not a folder")
    return path


def output_dir() -> Path:
    """Where this theme's artifacts go: the root for the default theme, ``<root>/<theme>`` otherwise."""
    current = theme()
    return output_root() if current == DEFAULT_THEME else output_root() / current


def cache_dir() -> Path:
    """Traces, render records and manim media, shared by every theme."""
    return output_root() / "cache"


def is_reel_output(path: Path) -> bool:
    """The project's own ``output/``, or a folder reel has written its marker into."""
    return path.resolve() == (ROOT / "output").resolve() or (path / MARKER).is_file()


def claim_output_root() -> Path:
    """Make the output root (if needed) and mark it as reel's, before writing anything into it.

    A folder that already holds other files and no marker is not taken over silently: writing
    into it is allowed (the user chose it), but it is marked only if it is empty or ours.
    """
    root = output_root()
    root.mkdir(parents=True, exist_ok=True)
    marker = root / MARKER
    if not marker.is_file() and (is_reel_output(root) or not any(root.iterdir())):
        marker.write_text("This folder is written by reel; `reel clean` may empty it.\n", encoding="utf-8")
    return root
