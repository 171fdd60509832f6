"""Where things live. Everything is relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT", "output_dir", "cache_dir"]

ROOT = Path(__file__).resolve().parent.parent


def output_dir() -> Path:
    """``output/`` (``REEL_OUTPUT`` overrides it, e.g. for tests)."""
    return Path(os.environ.get("REEL_OUTPUT", ROOT / "output")).resolve()


def cache_dir() -> Path:
    """Traces and render keys, kept under ``output/cache``."""
    return output_dir() / "cache"
