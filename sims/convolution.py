"""Sobel-x on a left-dark/right-bright image, the edge shifted, and 2×2 max-pooling (chapter 3).

The book's ``code/03_convolution.py``: a naive valid cross-correlation (no
kernel flip), ``out[i, j] = Σ img[i:i+3, j:j+3] * K``, on a 0/1 image whose
rows are ``[0 0 0 1 1 1]``, then the same with the edge one column to the right
(``[0 0 0 0 1 1]``); the book prints ``[0 4 4 0]`` and ``[0 0 4 4]``.

Image height (S2 #23): the book never states it. Its printed output block
shows exactly three rows of ``[0 4 4 0]`` (no ellipsis on the output side,
while the input side is elided with ``...``), which a 5-row image reproduces
literally. Every height ≥ 3 gives identical rows, so the printed numbers do not
pin it. We default to 6 rows: the 4×4 response then splits evenly into 2×2
pooling windows, which the Pooling scene needs (a 3×4 map would drop a row).
The ``five_rows`` variant is the literal 5×6 reading (3 output rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "SOBEL_X", "conv2d", "max_pool", "edge_image"]

SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)


@dataclass(frozen=True)
class Params:
    height: int = 6  # image rows; not stated in the book (S2 #23), 6 pools evenly
    width: int = 6  # image columns, as printed: [0 0 0 1 1 1]
    edge_col: int = 3  # first bright column (0-based) of the original image
    shift: int = 1  # the book moves the edge one column to the right
    pool: int = 2  # max-pool window and stride (the text implies 2×2)

    def __post_init__(self) -> None:
        if self.height < 3 or self.width < 3:
            raise ValueError("the image must be at least 3×3 for a 3×3 kernel")
        if not (0 <= self.edge_col <= self.width and 0 <= self.edge_col + self.shift <= self.width):
            raise ValueError(f"edge_col={self.edge_col} and edge_col + shift={self.edge_col + self.shift} "
                             f"must lie in [0, width={self.width}]")
        if not 1 <= self.pool <= min(self.height, self.width) - 2:
            raise ValueError(f"pool={self.pool} must be ≥ 1 and fit the {self.height - 2}×{self.width - 2} "
                             f"feature map of a {self.height}×{self.width} image (height, width)")


VARIANTS = {"default": {}, "five_rows": {"height": 5}}
RANGES = {
    "height": "[3, 64]",  # ≥ 3 for the 3×3 kernel; every window is kept, so keep the image small
    "width": "[3, 64]",
    "edge_col": "[0, 64]",  # and ≤ width (checked in Params)
    "shift": "[-64, 64]",  # and 0 ≤ edge_col + shift ≤ width (checked in Params)
    "pool": "[1, 62]",  # and ≤ the feature map, (height − 2) × (width − 2) (checked in Params)
}
SEED = 0  # the run is deterministic; the seed is kept for the common contract


def edge_image(height: int, width: int, edge_col: int) -> np.ndarray:
    """0 (dark) left of ``edge_col``, 1 (bright) from it on."""
    img = np.zeros((height, width))
    img[:, edge_col:] = 1.0
    return img


def conv2d(img: np.ndarray, kernel: np.ndarray) -> dict[str, np.ndarray]:
    """Valid cross-correlation, keeping every window in raster order for replay."""
    kh, kw = kernel.shape
    out = np.zeros((img.shape[0] - kh + 1, img.shape[1] - kw + 1))
    pos, patches, products = [], [], []
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            patch = img[i : i + kh, j : j + kw]
            prod = patch * kernel + 0.0  # the nine element-wise products (+0.0 turns -0.0 into 0.0)
            out[i, j] = prod.sum()
            pos.append((i, j))
            patches.append(patch)
            products.append(prod)
    return {
        "out": out,
        "pos": np.array(pos, dtype=int),
        "patch": np.array(patches),
        "products": np.array(products),
        "sum": out.ravel().copy(),
    }


def max_pool(fmap: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Non-overlapping size×size max-pooling (floor mode), keeping each window."""
    ph, pw = fmap.shape[0] // size, fmap.shape[1] // size
    pooled = np.zeros((ph, pw))
    pos, windows, argmax, n_max = [], [], [], []
    for i in range(ph):
        for j in range(pw):
            win = fmap[i * size : (i + 1) * size, j * size : (j + 1) * size]
            u, v = np.unravel_index(np.argmax(win), win.shape)  # first max in raster order on ties
            pooled[i, j] = win[u, v]
            pos.append((i, j))
            windows.append(win)
            argmax.append((i * size + u, j * size + v))
            n_max.append(int(np.sum(win == win[u, v])))  # > 1: a tie, the scene may light all of them
    return {
        "out": pooled,
        "pos": np.array(pos, dtype=int).reshape(-1, 2),
        "window": np.array(windows).reshape(-1, size, size),
        "argmax": np.array(argmax, dtype=int).reshape(-1, 2),  # (row, col) in the feature map
        "max": pooled.ravel().copy(),
        "n_max": np.array(n_max, dtype=int),
    }


def run(params: Params, seed: int = SEED) -> Trace:
    """Convolve both images, pool both responses, record every window."""
    trace = Trace()
    trace.add(kernel=SOBEL_X)
    metrics = {}
    for name, col in (("orig", params.edge_col), ("shifted", params.edge_col + params.shift)):
        img = edge_image(params.height, params.width, col)
        conv = conv2d(img, SOBEL_X)
        pool = max_pool(conv["out"], params.pool)
        trace.add(**{f"{name}_image": img}, **{f"{name}_conv_{k}": v for k, v in conv.items()})
        trace.add(**{f"{name}_pool_{k}": v for k, v in pool.items()})
        metrics[f"{name}_conv"] = conv["out"].astype(int).tolist()
        metrics[f"{name}_pooled"] = pool["out"].astype(int).tolist()
    metrics["pools_evenly"] = all(n % params.pool == 0 for n in trace["orig_conv_out"].shape)
    trace.metrics = metrics
    return trace
