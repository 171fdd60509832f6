from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def out(tmp_path, monkeypatch) -> Path:
    """A private output/ for one test."""
    path = tmp_path / "output"
    monkeypatch.setenv("REEL_OUTPUT", str(path))
    return path


def reel(*args: str, cwd: Path = ROOT, env: dict | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI as a user would (``python -m pipeline.cli`` from ``cwd``)."""
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(cwd)}
    proc = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=1800)
    if check and proc.returncode != 0:
        raise AssertionError(f"reel {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A copy of the project that a test may edit (scene sources, sim defaults)."""
    root = tmp_path_factory.mktemp("project")
    for name in ("pipeline", "sims", "scenes"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "output").mkdir()
    return root
