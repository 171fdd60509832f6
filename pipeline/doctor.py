"""``reel doctor``: is every system tool that rendering needs installed, and how to fix it."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from dataclasses import dataclass

from pipeline.hashing import package_version

__all__ = ["Check", "run_checks", "APT_PACKAGES"]

APT_PACKAGES = ("ffmpeg libcairo2-dev libpango1.0-dev pkg-config fonts-noto-cjk texlive-latex-base "
                "texlive-latex-extra texlive-fonts-recommended dvisvgm")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str


def _output(cmd: list[str]) -> str | None:
    """stdout of a command, or None if it is missing or fails."""
    if shutil.which(cmd[0]) is None:
        return None
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def _tool(name: str, cmd: list[str], fix: str) -> Check:
    text = _output(cmd)
    return Check(name, text is not None, (text or "not found").splitlines()[0] if text else "not found", fix)


def _python_module(name: str, fix: str) -> Check:
    try:
        importlib.import_module(name)
    except Exception as exc:  # any import failure means the same fix
        return Check(f"python: {name}", False, f"{type(exc).__name__}: {exc}", fix)
    return Check(f"python: {name}", True, package_version(name) or "installed", fix)


def run_checks() -> list[Check]:
    apt = "apt-get install -y"
    checks = [
        _tool("ffmpeg", ["ffmpeg", "-version"], f"{apt} ffmpeg"),
        _tool("ffprobe", ["ffprobe", "-version"], f"{apt} ffmpeg"),
        _tool("latex", ["latex", "--version"], f"{apt} texlive-latex-base texlive-fonts-recommended"),
        _tool("LaTeX standalone class", ["kpsewhich", "standalone.cls"], f"{apt} texlive-latex-extra"),
        _tool("dvisvgm", ["dvisvgm", "--version"], f"{apt} dvisvgm"),
        _tool("CJK font", ["fc-match", "-f", "%{family}", "Noto Sans CJK SC"], f"{apt} fonts-noto-cjk"),
        _tool("cairo/pango", ["pkg-config", "--modversion", "cairo", "pangocairo"],
              f"{apt} libcairo2-dev libpango1.0-dev pkg-config"),
        _python_module("manim", "pip install 'manim==0.22.*' (needs the cairo/pango packages first)"),
        _python_module("torch", "pip install torch==2.13.0"),
        _python_module("gymnasium", "pip install gymnasium"),
    ]
    font = checks[5]
    if font.ok and "Noto Sans CJK" not in font.detail:  # fc-match falls back to another family
        checks[5] = Check(font.name, False, f"falls back to {font.detail}", font.fix)
    return checks
