"""A small CNN's feature hierarchy on the cat photograph (chapter 5).

Task and data: which of the ten photographs bundled with scikit-image (the
cat ``chelsea``, an astronaut, a cameraman, coffee, coins, the moon, a rocket,
bricks, grass, gravel) a small grey crop comes from. It is the only labelled
image data available offline, it mixes objects and textures like ImageNet does
at a tiny scale, and it includes a cat, so the net has a reason to build
cat-specific features. Every photo is shrunk so its short side is
``image_size`` pixels; training crops come from the left ``1 − test_fraction``
of each photo, with the book's augmentations (random crop position, mirror,
brightness/contrast jitter); held-out crops come from the right strip.

Net: ``stages`` × [3×3 conv (padding 1) → ReLU → 2×2 max-pool], channels
``width``, 2·width, 4·width, …; then global average pooling and a linear
layer. It is fully convolutional, so after training it runs on the whole
``image_size``² centre square of the cat photo: each stage's maps halve in
size while the channels double, and each unit sees a larger window
(receptive field, computed from the kernels and strides). We record each
stage's strongest channels on that photo (largest spatial standard deviation:
the maps with the most structure), shrunk to at most ``screen_cells`` cells a
side by area averaging, and the class activation map of "cat" (the last
stage's maps weighted by the cat row of the linear layer, Zhou et al. 2016):
where in the picture the evidence for "cat" sits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from skimage import color, data, transform
from torch import nn
from torch.nn import functional as F

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "CLASSES", "Net"]

# (scikit-image name, label); the cat comes first
CLASSES = (("chelsea", "猫"), ("astronaut", "宇航员"), ("camera", "摄影师"), ("coffee", "咖啡"),
           ("coins", "硬币"), ("moon", "月面"), ("rocket", "火箭"), ("brick", "砖墙"), ("grass", "草地"),
           ("gravel", "砾石"))
CAT = 0
MEAN, STD = 0.45, 0.25  # grey levels → network input


@dataclass(frozen=True)
class Params:
    stages: int = 4  # conv stages (3-4 in the brief; not stated in the book)
    width: int = 8  # channels of stage 1; each stage doubles them
    image_size: int = 128  # every photo's short side after shrinking, in pixels
    crop: int = 32  # training crop side
    test_fraction: float = 0.25  # right strip of each photo held out for testing
    steps: int = 700  # Adam steps
    batch: int = 32  # crops per step
    lr: float = 3e-3  # Adam learning rate
    jitter: float = 0.2  # contrast × U(1 ± jitter), brightness + U(± jitter/2)
    test_crops: int = 40  # held-out crops per photo
    top_channels: int = 3  # strongest channels recorded per stage
    screen_cells: int = 24  # recorded maps are at most this many cells a side
    device: str = "auto"  # "auto" = cuda when available, else cpu

    def __post_init__(self) -> None:
        if self.crop % 2**self.stages:
            raise ValueError(f"crop={self.crop} must be a multiple of 2^stages = {2**self.stages}")
        if self.image_size % 2**self.stages:
            raise ValueError(f"image_size={self.image_size} must be a multiple of 2^stages = {2**self.stages}")
        if self.crop > self.image_size * self.test_fraction or self.crop > self.image_size * (1 - self.test_fraction):
            raise ValueError(f"crop={self.crop} must fit in both the held-out strip and the training part: "
                             f"image_size={self.image_size} × test_fraction={self.test_fraction} and × (1 − it)")
        if self.top_channels > self.width:
            raise ValueError(f"top_channels={self.top_channels} must be ≤ width={self.width}")


VARIANTS = {"default": {}}
RANGES = {
    "stages": "[3, 5]",
    "width": "[1, 64]",
    "image_size": "[32, 512]",  # and a multiple of 2^stages (checked in Params)
    "crop": "[8, 256]",  # and a multiple of 2^stages that fits both strips (checked in Params)
    "test_fraction": "(0, 1)",
    "steps": "[0, 20000]",
    "batch": "[1, 1024]",
    "lr": "(0, inf)",
    "jitter": "[0, 1)",
    "test_crops": "[1, 10000]",
    "top_channels": "[1, 64]",  # and ≤ width (checked in Params)
    "screen_cells": "[4, 64]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # seeds torch (init, crops, augmentation) through torch_session


class Net(nn.Module):
    """Stages of conv3×3 → ReLU → maxpool2, then global average pooling and a linear classifier."""

    def __init__(self, stages: int, width: int, classes: int) -> None:
        super().__init__()
        chans = [1] + [width * 2**s for s in range(stages)]
        self.stages = nn.ModuleList(
            nn.Sequential(nn.Conv2d(a, b, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)) for a, b in zip(chans, chans[1:])
        )
        self.head = nn.Linear(chans[-1], classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        maps = []
        for stage in self.stages:
            x = stage(x)
            maps.append(x)
        return self.head(x.mean((2, 3))), maps


def photos(size: int) -> list[torch.Tensor]:
    """Every photo in grey, shrunk so its short side is ``size``, normalised, as (1, H, W)."""
    out = []
    for name, _ in CLASSES:
        image = getattr(data, name)().astype(float) / 255
        if image.ndim == 3:
            image = color.rgb2gray(image)
        image = transform.rescale(image, size / min(image.shape), anti_aliasing=True)
        out.append(torch.tensor((image - MEAN) / STD, dtype=torch.float32)[None])
    return out


def crops(images: list[torch.Tensor], n: int, p: Params, test: bool, gen: torch.Generator,
          augment: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random crops per call (a random photo each), from the training part or the held-out strip."""
    labels = torch.randint(0, len(images), (n,), generator=gen)
    out = torch.empty(n, 1, p.crop, p.crop)
    for i, label in enumerate(labels.tolist()):
        image = images[label]
        h, w = image.shape[1:]
        split = int(round(w * (1 - p.test_fraction)))
        lo, hi = (split, w - p.crop) if test else (0, split - p.crop)
        r = int(torch.randint(0, h - p.crop + 1, (1,), generator=gen))
        c = int(torch.randint(lo, hi + 1, (1,), generator=gen))
        patch = image[:, r:r + p.crop, c:c + p.crop]
        if augment:
            if torch.rand(1, generator=gen) < 0.5:
                patch = patch.flip(2)
            u = torch.rand(2, generator=gen) * 2 - 1
            patch = patch * (1 + p.jitter * u[0]) + p.jitter / 2 * u[1] / STD
        out[i] = patch
    return out, labels


def receptive_fields(stages: int) -> list[int]:
    """Each stage's receptive field in input pixels: conv3 adds 2 steps, pool2 adds 1 and doubles the step."""
    rf, jump, out = 1, 1, []
    for _ in range(stages):
        rf += 2 * jump  # 3×3 conv
        rf += jump  # 2×2 pool
        jump *= 2
        out.append(rf)
    return out


def shrink(maps: torch.Tensor, cells: int) -> np.ndarray:
    """(C, H, W) → at most ``cells`` a side, by area averaging."""
    h, w = maps.shape[1:]
    if max(h, w) <= cells:
        return maps.cpu().numpy()
    scale = cells / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.adaptive_avg_pool2d(maps[None], size)[0].cpu().numpy()


def centre_square(image: torch.Tensor) -> torch.Tensor:
    h, w = image.shape[1:]
    side = min(h, w)
    r, c = (h - side) // 2, (w - side) // 2
    return image[:, r:r + side, c:c + side]


def run(params: Params, seed: int = SEED) -> Trace:
    """Train the CNN on photo crops, then record its stage maps and the cat evidence on the cat photo."""
    p = params
    images = photos(p.image_size)
    with torch_session(p.device, seed) as device:
        gen = torch.Generator().manual_seed(seed)
        net = Net(p.stages, p.width, len(CLASSES)).to(device)
        opt = torch.optim.Adam(net.parameters(), lr=p.lr)
        losses, accs = np.zeros(p.steps), np.zeros(p.steps)
        for step in range(p.steps):
            x, y = crops(images, p.batch, p, test=False, gen=gen, augment=True)
            logits, _ = net(x.to(device))
            loss = F.cross_entropy(logits, y.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[step] = loss.item()
            accs[step] = (logits.argmax(1).cpu() == y).float().mean().item()
        test_gen = torch.Generator().manual_seed(seed + 1)
        x_test, y_test = crops(images, p.test_crops * len(CLASSES), p, test=True, gen=test_gen, augment=False)
        net.eval()
        with torch.no_grad():
            test_pred = net(x_test.to(device))[0].argmax(1).cpu()
            cat = centre_square(images[CAT]).to(device)
            logits, maps = net(cat[None])
            probs = F.softmax(logits[0], 0).cpu().numpy()
            last = maps[-1][0]
            cam = torch.einsum("c,chw->hw", net.head.weight[CAT], last) + net.head.bias[CAT] / 1  # per-location logit
        conv1 = net.stages[0][0].weight.detach().cpu().numpy()[:, 0]

    trace = Trace()
    sizes, picked = [], {}
    for s, m in enumerate(maps, start=1):
        m = m[0]
        top = torch.argsort(m.flatten(1).std(1), descending=True, stable=True)[: p.top_channels]
        picked[s] = top.cpu().numpy()
        sizes.append(tuple(m.shape))
        trace.add(**{f"stage{s}_maps": shrink(m[top], p.screen_cells), f"stage{s}_channels": picked[s]})
    class_names, labels = zip(*CLASSES)
    trace.add(
        image=shrink(cat, p.screen_cells)[0] * STD + MEAN,  # grey levels in [0, 1], on the screen grid
        image_hw=np.array(cat.shape[1:]),
        stage_h=np.array([s[1] for s in sizes]), stage_w=np.array([s[2] for s in sizes]),
        stage_c=np.array([s[0] for s in sizes]),
        stage_rf=np.array(receptive_fields(p.stages)),
        cam=shrink(cam[None], p.screen_cells)[0],
        probs=probs, class_names=np.array(class_names), class_labels=np.array(labels),
        loss=losses, train_acc=accs,
        conv1=conv1,  # (width, 3, 3) first-stage kernels
        test_confusion=np.bincount(y_test.numpy() * len(CLASSES) + test_pred.numpy(),
                                   minlength=len(CLASSES) ** 2).reshape(len(CLASSES), len(CLASSES)),
    )
    window = max(1, min(100, p.steps // 5))
    trace.metrics = {
        "device": device.type,
        "test_acc": float((test_pred == y_test).float().mean()),
        "chance_acc": 1 / len(CLASSES),
        "train_acc_last": float(accs[-window:].mean()) if p.steps else None,
        "loss_first": float(losses[:window].mean()) if p.steps else None,
        "loss_last": float(losses[-window:].mean()) if p.steps else None,
        "cat_prob": float(probs[CAT]),
        "predicted": str(class_names[int(np.argmax(probs))]),
        "predicted_label": str(labels[int(np.argmax(probs))]),
        "params": int(sum(q.numel() for q in net.parameters())),
    }
    return trace
