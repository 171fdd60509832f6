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
from pathlib import Path
from typing import Any

from pipeline.hashing import file_sha256
from pipeline.paths import cache_dir, output_dir

__all__ = ["is_fresh", "read_record", "publish", "write_json_atomic", "write_manifest", "records"]


def _record_path(artifact: Path) -> Path:
    return cache_dir() / "records" / artifact.relative_to(output_dir()).with_suffix(artifact.suffix + ".json")


def write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path)


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
    artifact.parent.mkdir(parents=True, exist_ok=True)
    staging = artifact.with_name(f".{artifact.name}.partial")
    shutil.move(src, staging)
    os.replace(staging, artifact)
    record = {
        **fields,
        "path": str(artifact.relative_to(output_dir())),
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
        artifact = output_dir() / record.get("path", "")
        if artifact.is_file() and artifact.stat().st_size == record.get("bytes"):
            found.append(record)
    return found


KIND_ORDER = {"book": 0, "chapter": 1, "scene": 2, "figure": 3}


def write_manifest() -> Path:
    """``output/manifest.json``: every artifact, with kind, chapter, scene, path, key, size, sha256."""
    artifacts = [{k: v for k, v in r.items() if k != "mtime_ns"} for r in records() if r.get("kind") in KIND_ORDER]
    artifacts.sort(key=lambda r: (KIND_ORDER[r["kind"]], r.get("chapter") or 0, r.get("quality") or "", r["path"]))
    path = output_dir() / "manifest.json"
    write_json_atomic(path, {"artifacts": artifacts})
    return path
