"""Finished outputs and their records; the manifest is built from the records.

Every artifact under ``output/`` has a record in ``cache/records/<path>.json``
holding the key it was made from. An artifact is fresh when its record's key
equals the key computed now and the file is still the one recorded.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from pipeline.files import atomic_write, normal_mode
from pipeline.hashing import file_sha256
from pipeline.paths import DEFAULT_THEME, cache_dir, claim_output_root, output_dir, output_root, theme

__all__ = ["is_fresh", "read_record", "forget", "publish", "write_json_atomic", "write_manifest", "records",
           "run_temp_dir"]


def _record_path(artifact: Path) -> Path:
    """Records mirror the artifacts' paths under the output root, so two themes' records never collide."""
    return cache_dir() / "records" / artifact.relative_to(output_root()).with_suffix(artifact.suffix + ".json")


def write_json_atomic(path: Path, data: Any) -> None:
    """JSON that appears only when complete."""
    atomic_write(path, lambda f: f.write(json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")))


@contextmanager
def run_temp_dir() -> Iterator[Path]:
    """A temporary folder under ``cache/tmp`` (same file system as the outputs, so renames are atomic).

    Its name carries this process's id; folders left by processes that no longer run (killed
    mid-assembly) are removed by the next caller.
    """
    base = cache_dir() / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    for old in base.iterdir():
        pid = old.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = Path(tempfile.mkdtemp(dir=base, prefix=f"{os.getpid()}-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def forget(artifact: Path) -> None:
    """Drop ``artifact``'s record (the file itself is the caller's to remove)."""
    _record_path(artifact).unlink(missing_ok=True)


def read_record(artifact: Path) -> dict[str, Any] | None:
    try:
        return json.loads(_record_path(artifact).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_fresh(artifact: Path, key: str) -> bool:
    """True if ``artifact`` exists, was made from ``key`` and is still the file recorded.

    Size and mtime are enough when neither moved; if the mtime did (a copy, a
    touch, an edit), the SHA-256 decides.
    """
    record = read_record(artifact)
    if record is None or record.get("key") != key or not artifact.is_file():
        return False
    stat = artifact.stat()
    if stat.st_size != record.get("bytes"):
        return False
    return stat.st_mtime_ns == record.get("mtime_ns") or file_sha256(artifact) == record.get("sha256")


def publish(src: Path, artifact: Path, key: str, **fields: Any) -> dict[str, Any]:
    """Move a finished file into place (atomically) and record how it was made."""
    claim_output_root()
    artifact.parent.mkdir(parents=True, exist_ok=True)
    staging = artifact.with_name(f".{artifact.name}.partial")
    shutil.move(src, staging)
    os.chmod(staging, normal_mode())
    os.replace(staging, artifact)
    record = {
        **fields,
        "path": str(artifact.relative_to(output_root())),  # the manifest writes it relative to its own folder
        "theme": theme(),
        "key": key,
        "bytes": artifact.stat().st_size,
        "sha256": file_sha256(artifact),
    }
    write_json_atomic(_record_path(artifact), {**record, "mtime_ns": artifact.stat().st_mtime_ns})
    return record


def records() -> list[dict[str, Any]]:
    """Records of every artifact still present and unaltered."""
    found = []
    root = cache_dir() / "records"
    for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if record.get("theme", DEFAULT_THEME) != theme():
            continue
        artifact = output_root() / record.get("path", "")
        if artifact.is_file() and artifact.stat().st_size == record.get("bytes"):
            found.append(record)
    return found


KIND_ORDER = {"book": 0, "chapter": 1, "scene": 2, "figure": 3}


def write_manifest() -> Path:
    """``output/manifest.json``: every artifact, with kind, chapter, scene, path, key, size, sha256."""
    here = output_dir().relative_to(output_root())
    artifacts = [{**{k: v for k, v in r.items() if k not in ("mtime_ns", "inputs")},
                  "path": str(Path(r["path"]).relative_to(here))}
                 for r in records() if r.get("kind") in KIND_ORDER]
    artifacts.sort(key=lambda r: (KIND_ORDER[r["kind"]], r.get("chapter") or 0, r.get("quality") or "", r["path"]))
    path = output_dir() / "manifest.json"
    write_json_atomic(path, {"artifacts": artifacts})
    return path
