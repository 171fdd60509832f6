"""``reel clean`` drops the caches and keeps what is built; ``--all`` keeps only ``.gitkeep`` and the marker.

The output tree is built by hand in a private ``REEL_OUTPUT`` (no rendering). Refusing folders that
are not reel's own is tested in test_faults.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import reel
from pipeline.paths import MARKER

CACHES = ["cache/traces/perceptron-and-abc.npz", "cache/traces/perceptron-and-abc.json",
          "cache/media/job1/videos/partial.mp4", "cache/logs/ch01-PerceptronLine-480p15.log"]
RECORDS = ["cache/records/ch01-PerceptronLine-480p15.json"]  # what says a render is built: kept by plain clean
OUTPUTS = ["scenes/480p15/ch01/PerceptronLine.mp4", "figures/ch01/PerceptronLine.png",
           "videos/480p15/ch01.mp4", "videos/480p15/book.mp4", "manifest.json",
           "light/figures/ch01/PerceptronLine.png"]
KEEP = [".gitkeep", MARKER]


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def tree(out) -> Path:
    """An output folder as renders leave it."""
    for name in [*KEEP, *CACHES, *RECORDS, *OUTPUTS]:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if name in KEEP else b"data")
    return out


def test_clean_removes_the_caches_and_keeps_the_outputs(tree):
    proc = reel("clean")
    assert proc.returncode == 0, proc.stderr
    assert files(tree) == {*KEEP, *RECORDS, *OUTPUTS}
    assert all((tree / name).read_bytes() == b"data" for name in OUTPUTS)


def test_clean_all_keeps_only_gitkeep_and_the_marker(tree):
    proc = reel("clean", "--all")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tree.iterdir()) == sorted(KEEP)


@pytest.mark.parametrize("args", [(), ("--all",)])
def test_clean_succeeds_on_a_missing_or_empty_output(args, out):
    proc = reel("clean", *args)  # output/ does not exist: nothing to do, nothing created
    assert proc.returncode == 0, proc.stderr
    assert not out.exists()
    out.mkdir()
    for name in KEEP:
        (out / name).touch()
    proc = reel("clean", *args)  # output/ holds only .gitkeep and the marker
    assert proc.returncode == 0, proc.stderr
    assert files(out) == set(KEEP)
