"""First-layer filters learned from photographs, compared with the Sobel kernel (chapter 5).

The book says AlexNet's learned conv1 kernels look almost like chapter 3's
hand-made Sobel kernel. AlexNet's own weights are not available offline, so
this is the same claim at toy scale: a sparse autoencoder (the model family of
Google's 2012 "cat" network) learns ``n_filters`` 3×3 filters, with no labels,
from 3×3 patches of the photographs bundled with scikit-image.

Data: every photo as grey levels, shrunk by ``downscale`` (anti-aliased: less
sensor noise and JPEG grain at the 3×3 scale); ``patches_per_image`` random
3×3 patches each; each patch minus its own mean (the filters see contrast, not
brightness); only the ``keep`` fraction with the most contrast is kept (flat
sky and walls carry no structure), and those are scaled to unit length.

Model: a tied-weight autoencoder h = relu(W x + b), x̂ = Wᵀ h, trained with Adam
on the squared reconstruction error. Its code is sparse in the k-sparse way
(Makhzani & Frey 2013): only the ``active`` strongest units of h stay on per
patch. That is what makes the rows of W look like edges: with one unit on, each
must stand for a whole family of patches by itself, and the commonest strong
3×3 structure in photographs is an edge. A plain (dense) autoencoder with 8 or
more units spreads over every direction of the 8-dimensional patch space,
checkerboards included, and its filters are no more Sobel-like than random ones.
Whitening, usual for larger patches, is left out: at 3×3 it flattens the
spectrum until the edge directions are no longer special.

Similarity: for each filter the largest |cos| with Sobel-x and Sobel-y (so the
sign and the two orientations do not matter). Baselines: the same net's random
initial filters, and ``random_filters`` Gaussian filters with their mean
removed (mean-free like Sobel, and like every patch the net sees, which makes
them a slightly harder baseline than raw Gaussian ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from skimage import color, data, transform

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "SOBEL", "PHOTOS", "sobel_similarity", "patches"]

# Sobel-x as chapter 3 prints it, and its transpose Sobel-y
SOBEL = np.array([[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]], dtype=float)
PHOTOS = ("astronaut", "camera", "chelsea", "coffee", "coins", "moon", "rocket", "brick", "grass", "gravel")
K = 3  # filter and patch side: the size of the Sobel kernel they are compared with


@dataclass(frozen=True)
class Params:
    n_filters: int = 8  # hidden units = learned filters (AlexNet had 96 at 11×11; not stated for a toy)
    active: int = 1  # units left on per patch (k-sparse code); 1 = winner takes all
    downscale: float = 0.5  # photos shrunk by this factor before sampling (anti-aliased)
    patches_per_image: int = 6000  # random 3×3 patches drawn from each photo
    keep: float = 0.5  # fraction of patches kept, those with the most contrast
    steps: int = 2000  # Adam steps
    batch: int = 256  # patches per step
    lr: float = 1e-2  # Adam learning rate
    random_filters: int = 10000  # mean-free Gaussian filters for the baseline distribution
    device: str = "auto"  # "auto" = cuda when available, else cpu

    def __post_init__(self) -> None:
        if self.active > self.n_filters:
            raise ValueError(f"active={self.active} must be ≤ n_filters={self.n_filters}")
        if self.patches_per_image * len(PHOTOS) * self.keep < 1:
            raise ValueError("patches_per_image × keep leaves no patch to train on")


VARIANTS = {"default": {}, "wide": {"n_filters": 16}}
RANGES = {
    "n_filters": "[1, 256]",
    "active": "[1, 256]",  # and ≤ n_filters (checked in Params)
    "downscale": "[0.1, 1]",
    "patches_per_image": "[10, 200000]",
    "keep": "(0, 1]",
    "steps": "[0, 100000]",
    "batch": "[1, 65536]",
    "lr": "(0, inf)",
    "random_filters": "[1, 1000000]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # seeds the patch sampler (numpy) and the net's init and batches (torch)


def sobel_similarity(filters: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per filter: the best |cos| with Sobel-x / Sobel-y, which of the two (0 = x, 1 = y), and the sign."""
    f = filters.reshape(len(filters), -1)
    f = f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)
    s = SOBEL.reshape(2, -1) / np.linalg.norm(SOBEL.reshape(2, -1), axis=1, keepdims=True)
    cos = f @ s.T  # (n, 2)
    which = np.abs(cos).argmax(1)
    best = cos[np.arange(len(f)), which]
    return np.abs(best), which, np.sign(best)


def grey(name: str, downscale: float) -> np.ndarray:
    image = getattr(data, name)().astype(float) / 255
    if image.ndim == 3:
        image = color.rgb2gray(image)
    return transform.rescale(image, downscale, anti_aliasing=True) if downscale != 1 else image


def patches(p: Params, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Mean-free, unit-length 3×3 patches with the most contrast, and the contrast threshold used."""
    out = []
    offsets = np.arange(K)
    for name in PHOTOS:
        image = grey(name, p.downscale)
        rows = rng.integers(0, image.shape[0] - K + 1, p.patches_per_image)
        cols = rng.integers(0, image.shape[1] - K + 1, p.patches_per_image)
        out.append(image[rows[:, None, None] + offsets[None, :, None],
                         cols[:, None, None] + offsets[None, None, :]].reshape(-1, K * K))
    x = np.concatenate(out)
    x = x - x.mean(1, keepdims=True)
    norm = np.linalg.norm(x, axis=1)
    threshold = float(np.quantile(norm, 1 - p.keep))
    x = x[norm >= threshold]
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12), threshold


def encode(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor, active: int) -> torch.Tensor:
    """relu(W x + b) with only the ``active`` largest units of each row left on."""
    h = torch.relu(x @ w.T + b)
    top = h.topk(active, dim=1)
    return torch.zeros_like(h).scatter(1, top.indices, top.values)


def run(params: Params, seed: int = SEED) -> Trace:
    """Sample patches, train the k-sparse autoencoder, and score its filters against Sobel and random ones."""
    p = params
    rng = np.random.default_rng(seed)
    x_np, threshold = patches(p, rng)
    random = rng.standard_normal((p.random_filters, K * K))
    random -= random.mean(1, keepdims=True)
    with torch_session(p.device, seed) as device:
        x = torch.tensor(x_np, dtype=torch.float32, device=device)
        w = torch.nn.Parameter(torch.randn(p.n_filters, K * K, device=device) / K)
        b = torch.nn.Parameter(torch.zeros(p.n_filters, device=device))
        init = w.detach().cpu().numpy().copy()
        opt = torch.optim.Adam([w, b], lr=p.lr)
        gen = torch.Generator(device=device).manual_seed(seed)
        losses = np.zeros(p.steps)
        for step in range(p.steps):
            batch = x[torch.randint(0, len(x), (p.batch,), generator=gen, device=device)]
            loss = ((batch - encode(w, b, batch, p.active) @ w) ** 2).sum(1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[step] = loss.item()
        with torch.no_grad():
            code = encode(w, b, x, p.active)
            usage = (code > 0).float().mean(0).cpu().numpy()  # share of patches each filter is on for
            final_loss = float(((x - code @ w) ** 2).sum(1).mean())
        learned = w.detach().cpu().numpy()

    order = np.argsort(-usage, kind="stable")  # most used first
    learned, init, usage = learned[order], init[order], usage[order]
    cos, which, sign = sobel_similarity(learned)
    cos_init = sobel_similarity(init)[0]
    cos_random = sobel_similarity(random)[0]
    trace = Trace()
    trace.add(
        sobel=SOBEL,  # (2, 3, 3): Sobel-x, Sobel-y
        filters=learned.reshape(-1, K, K),  # learned, most used first
        init_filters=init.reshape(-1, K, K),  # the same units before training
        usage=usage,
        cos=cos, match=which, match_sign=sign,  # best |cos|, against Sobel-x (0) or -y (1), with this sign
        cos_init=cos_init,
        cos_random=cos_random,
        loss=losses,  # reconstruction error per step (a unit patch: 1 = nothing reconstructed)
        photos=np.array(PHOTOS),
    )
    trace.metrics = {
        "device": device.type,
        "n_patches": int(len(x_np)),
        "contrast_threshold": threshold,
        "mean_cos": float(cos.mean()),
        "median_cos": float(np.median(cos)),
        "mean_cos_init": float(cos_init.mean()),
        "mean_cos_random": float(cos_random.mean()),
        "random_p95": float(np.quantile(cos_random, 0.95)),
        "share_above_random_p95": float((cos > np.quantile(cos_random, 0.95)).mean()),
        "loss_first": float(losses[0]) if p.steps else final_loss,
        "loss_last": final_loss,
    }
    return trace
