"""A row-wise softmax for the numpy sims (``sims.reinforce``, ``sims.selfplay``)."""

from __future__ import annotations

import numpy as np

__all__ = ["softmax"]


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, shifted for stability."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
