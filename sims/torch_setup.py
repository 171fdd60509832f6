"""How every torch sim starts: device choice, one CPU thread, determinism, seeds.

Kept apart from the RL helpers so that a sim's trace key (which hashes the
project modules it imports) does not change when unrelated helpers do.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["pick_device", "torch_session"]


def pick_device(name: str) -> torch.device:
    """``auto`` → cuda when present, else cpu; ``cpu`` / ``cuda`` as asked."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


@contextmanager
def torch_session(device: str, seed: int) -> Iterator[torch.device]:
    """Run a sim with one CPU thread (two were measured ~50× slower under contention here),
    deterministic algorithms and a seeded torch RNG; restore the process's settings afterwards."""
    resolved = pick_device(device)
    if resolved.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield resolved
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)
