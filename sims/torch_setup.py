"""How every torch sim runs: one CPU thread, deterministic algorithms, every RNG seeded, a device.

``torch_session`` sets this up for the length of one sim and puts the process's previous
state back afterwards, so a sim leaves nothing behind for whatever runs next in the same
process (another sim, a test). Kept apart from the RL helpers so that a sim's trace key
(which hashes the project modules it imports) does not change when unrelated helpers do.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["pick_device", "torch_session"]

CUBLAS_WORKSPACE = ":4096:8"  # a fixed cuBLAS workspace makes its matmuls deterministic


def pick_device(name: str) -> torch.device:
    """``auto`` → cuda when present, else cpu; ``cpu`` / ``cuda`` as asked."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {name!r}")
    return torch.device(name)


@dataclass
class _ProcessState:
    """The process-wide settings a session changes, captured so they can be put back."""

    threads: int
    deterministic: bool
    warn_only: bool
    torch_rng: torch.Tensor
    cuda_rng: list[torch.Tensor] | None
    numpy_rng: Any
    python_rng: Any
    cublas: str | None

    @classmethod
    def capture(cls, cuda: bool) -> _ProcessState:
        return cls(
            threads=torch.get_num_threads(),
            deterministic=torch.are_deterministic_algorithms_enabled(),
            warn_only=torch.is_deterministic_algorithms_warn_only_enabled(),
            torch_rng=torch.get_rng_state(),
            cuda_rng=torch.cuda.get_rng_state_all() if cuda else None,
            numpy_rng=np.random.get_state(),
            python_rng=random.getstate(),
            cublas=os.environ.get("CUBLAS_WORKSPACE_CONFIG"),
        )

    def restore(self) -> None:
        torch.set_num_threads(self.threads)
        torch.use_deterministic_algorithms(self.deterministic, warn_only=self.warn_only)
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        np.random.set_state(self.numpy_rng)
        random.setstate(self.python_rng)
        if self.cublas is None:
            os.environ.pop("CUBLAS_WORKSPACE_CONFIG", None)
        else:
            os.environ["CUBLAS_WORKSPACE_CONFIG"] = self.cublas


@contextmanager
def torch_session(device: str, seed: int) -> Iterator[torch.device]:
    """Run one sim on ``device`` (auto|cpu|cuda) with ``seed``; yields the resolved device.

    Inside: one CPU thread (the sims are overhead-bound, two threads were measured ~50×
    slower under contention here, and one thread keeps reductions in a fixed order);
    ``torch.use_deterministic_algorithms(True)``, so an op without a deterministic kernel
    fails instead of silently breaking "same key, same trace"; torch (CPU and, on cuda,
    every GPU), numpy's global and Python's ``random`` generators seeded with ``seed``.
    On exit, normal or not, the thread count, the deterministic flag, every RNG state
    and the cuBLAS setting are what they were before.
    """
    resolved = pick_device(device)
    cuda = resolved.type == "cuda"
    saved = _ProcessState.capture(cuda)
    try:
        if cuda:
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
        torch.set_num_threads(1)
        torch.use_deterministic_algorithms(True)
        # The CPU generator only, unless on cuda: torch.manual_seed would also queue a seed for
        # a CUDA generator that this session never uses and could not restore.
        torch.default_generator.manual_seed(seed)
        if cuda:
            torch.cuda.manual_seed_all(seed)
        np.random.seed(seed)
        random.seed(seed)
        yield resolved
    finally:
        saved.restore()
