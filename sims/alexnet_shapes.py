"""AlexNet's layer table by torch shape inference (chapter 5).

The book gives only the outline: a 227×227×3 input, conv1 with 11×11 kernels,
5 conv + 3 fully connected layers, a 1000-way softmax, "about 60 million
parameters and 650 000 neurons", and the net split across two GTX 580s. The
rest is the 2012 paper's architecture (BOOK_SPEC §5.3 lists the standard
table): channels 96-256-384-384-256, stride 4 in conv1, 3×3/2 overlapping max
pooling after conv1, conv2 and conv5, local response normalisation after conv1
and conv2, fc 4096-4096-1000 with dropout.

The two GPUs appear as ``groups=2`` in conv2, conv4 and conv5: in the paper
those layers only see the feature maps on their own card, which halves their
weights (conv3 and the fc layers talk across both cards). ``groups=1`` (the
variant ``one_gpu``) is the same net on one card.

Nothing is typed in: a real ``nn.Module`` is built (fc6 is a ``LazyLinear``,
so its input width comes from shape inference too), a zero image goes
through it, and forward hooks record every layer's output shape. Parameters
are counted from the module; receptive fields follow from each layer's
kernel and stride (r ← r + (k−1)·j, j ← j·s); multiply-adds and neurons
(output units of conv and fc layers) from the recorded shapes.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "alexnet"]


@dataclass(frozen=True)
class Params:
    input_size: int = 227  # H = W of the input image, as the book's figure gives it
    groups: int = 2  # 2 = conv2/4/5 split over the two GTX 580s as in the paper; 1 = one card
    classes: int = 1000  # the softmax's width (ILSVRC's 1000 classes)
    device: str = "auto"  # "auto" = cuda when available, else cpu


VARIANTS = {"default": {}, "one_gpu": {"groups": 1}}
RANGES = {
    "input_size": "[67, 1024]",  # 67 is the smallest image that leaves pool5 a 1×1 map
    "groups": {1, 2},
    "classes": "[1, 100000]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0  # nothing random is used: the shapes and counts do not depend on the weights


def alexnet(groups: int, classes: int) -> nn.Sequential:
    """The 2012 AlexNet as one flat ``nn.Sequential`` with named layers (fc6's input width is inferred)."""
    g = groups
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(3, 96, 11, stride=4)), ("relu1", nn.ReLU()),
        ("norm1", nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)), ("pool1", nn.MaxPool2d(3, 2)),
        ("conv2", nn.Conv2d(96, 256, 5, padding=2, groups=g)), ("relu2", nn.ReLU()),
        ("norm2", nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)), ("pool2", nn.MaxPool2d(3, 2)),
        ("conv3", nn.Conv2d(256, 384, 3, padding=1)), ("relu3", nn.ReLU()),
        ("conv4", nn.Conv2d(384, 384, 3, padding=1, groups=g)), ("relu4", nn.ReLU()),
        ("conv5", nn.Conv2d(384, 256, 3, padding=1, groups=g)), ("relu5", nn.ReLU()),
        ("pool5", nn.MaxPool2d(3, 2)), ("flatten", nn.Flatten()),
        ("drop6", nn.Dropout(0.5)), ("fc6", nn.LazyLinear(4096)), ("relu6", nn.ReLU()),
        ("drop7", nn.Dropout(0.5)), ("fc7", nn.Linear(4096, 4096)), ("relu7", nn.ReLU()),
        ("fc8", nn.Linear(4096, classes)),
    ]))


def _pair(v: int | tuple[int, ...]) -> int:
    return int(v[0]) if isinstance(v, tuple) else int(v)


def run(params: Params, seed: int = SEED) -> Trace:
    """Build the module, push one zero image through it, and tabulate its conv, pool and fc layers."""
    with torch_session(params.device, seed) as device:
        net = alexnet(params.groups, params.classes).to(device).eval()
        shapes: dict[str, tuple[int, ...]] = {}
        for name, layer in net.named_children():
            layer.register_forward_hook(lambda _m, _i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:])))
        with torch.no_grad():
            net(torch.zeros(1, 3, params.input_size, params.input_size, device=device))

    rows = []
    rf, jump = 1, 1  # receptive field and the distance between neighbouring outputs, in input pixels
    for name, layer in net.named_children():
        if not isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.Linear)):
            continue
        shape = shapes[name]
        n_params = sum(p.numel() for p in layer.parameters())
        if isinstance(layer, nn.Linear):
            c, h, w, k, s, r = shape[0], 1, 1, 0, 0, 0  # a fully connected unit sees the whole image
            macs = layer.in_features * layer.out_features
        else:
            c, h, w = shape
            k, s = _pair(layer.kernel_size), _pair(layer.stride)
            rf, jump = rf + (k - 1) * jump, jump * s
            r = rf
            macs = h * w * c * k * k * layer.in_channels // layer.groups if isinstance(layer, nn.Conv2d) else 0
        kind = "conv" if isinstance(layer, nn.Conv2d) else "pool" if isinstance(layer, nn.MaxPool2d) else "fc"
        rows.append((name, kind, h, w, c, r, k, s, n_params, macs))

    names, kinds, h, w, c, rf_px, kernel, stride, n_par, macs = map(list, zip(*rows))
    weighted = np.array([kd != "pool" for kd in kinds])
    neurons = np.array(h) * np.array(w) * np.array(c) * weighted  # output units of the layers with weights
    total = sum(p.numel() for p in net.parameters())
    assert total == sum(n_par), "every parameter belongs to a conv or fc layer"
    trace = Trace()
    trace.add(layer_names=np.array(names), layer_kinds=np.array(kinds), out_h=np.array(h), out_w=np.array(w),
              out_c=np.array(c), receptive_field=np.array(rf_px), kernel=np.array(kernel), stride=np.array(stride),
              layer_params=np.array(n_par, dtype=np.int64), layer_macs=np.array(macs, dtype=np.int64),
              layer_neurons=neurons.astype(np.int64))
    trace.metrics = {
        "device": device.type,
        "input": [params.input_size, params.input_size, 3],
        "total_params": int(total),
        "neurons": int(neurons.sum()),
        "total_macs": int(sum(macs)),
        "conv_layers": kinds.count("conv"),
        "fc_layers": kinds.count("fc"),
        "flatten_width": int(np.prod(shapes["pool5"])),
        "conv_params": int(sum(n for n, kd in zip(n_par, kinds) if kd == "conv")),
        "fc_params": int(sum(n for n, kd in zip(n_par, kinds) if kd == "fc")),
    }
    return trace
