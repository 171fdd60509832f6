"""The trace: what a simulation hands to the scenes.

A trace is a flat set of named numpy arrays plus JSON metadata (params, seed,
metrics, versions, wall time). It is stored as ``<stem>.npz`` + ``<stem>.json``;
the store in ``pipeline.traces`` adds keys, checksums and atomic writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Trace"]


@dataclass
class Trace:
    """Named arrays plus metadata.

    ``arrays`` hold everything a scene animates; ``metrics`` hold the run's
    headline numbers (JSON scalars or short lists); ``meta`` is filled in by
    the store (sim, variant, params, seed, key, versions, wall time).
    """

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def __contains__(self, name: str) -> bool:
        return name in self.arrays

    def add(self, **arrays: Any) -> None:
        """Store arrays, converting lists and scalars with ``np.asarray``."""
        for name, value in arrays.items():
            array = np.asarray(value)
            if array.dtype == object:
                raise TypeError(f"trace array {name!r} has dtype object; use a numeric or str dtype")
            self.arrays[name] = array

    @classmethod
    def load(cls, npz_path: Path | str) -> "Trace":
        """Read a stored trace (no checksum check: the store does that)."""
        npz_path = Path(npz_path)
        with np.load(npz_path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(npz_path.with_suffix(".json").read_text(encoding="utf-8"))
        return cls(arrays=arrays, metrics=meta.get("metrics", {}), meta=meta)
