"""Chapter 5 (AlexNet 与认猫): the book's AlexNet figures, the §5.3 layer table, and the Sobel claim.

The chapter has no companion code and prints no program output (BOOK_SPEC S1: 0 reference
numbers), so the rows here are its prose figures and the standard layer table that BOOK_SPEC
§5.3 gives for the architecture (only the 227×227×3 input, the 11×11 conv1, 5 conv + 3 fc
layers and the 1000-way softmax come from the book itself; the channel counts do not).
"""

from __future__ import annotations

from pipeline.checks import Row, compare, not_reproducible
from sims.trace import Trace

CHAPTER = 5
TRACES = ["alexnet_shapes.default", "sobel_filters.default"]

# BOOK_SPEC §5.3 "Reference facts" (book §三/§四): ~60M parameters, ~650k neurons, 5 conv + 3 fc
BOOK_PARAMS = 60_000_000  # "约 6000 万个参数"
BOOK_NEURONS = 650_000  # "65 万个神经元"
BOOK_CONV_FC = (5, 3)
BOOK_INPUT = (227, 227, 3)  # D05.1
BOOK_TOP5 = (26.2, 15.3)  # top-5 error, previous best → AlexNet, in %
BOOK_GAP_WORDS = {"intro": 10, "section3": 11}  # "近十个百分点" vs "近 11 个百分点" (S2 #5)

# BOOK_SPEC §5.3 table: layer → (H, W, C, receptive field); fc layers → width
BOOK_TABLE = {
    "conv1": (55, 55, 96, 11), "pool1": (27, 27, 96, 19), "conv2": (27, 27, 256, 51), "pool2": (13, 13, 256, 67),
    "conv3": (13, 13, 384, 99), "conv4": (13, 13, 384, 131), "conv5": (13, 13, 256, 163),
    "pool5": (6, 6, 256, 195),
}
BOOK_FC = {"fc6": 4096, "fc7": 4096, "fc8": 1000}
BOOK_FLATTEN = 9216  # "6×6×256 = 9216"

# Facts the book states that the FeaturePyramid scene shows, labelled as the book's (BOOK_SPEC §5.3, §5.5)
BOOK_FACTS = {
    "imagenet_images": "120 万张",  # ImageNet, 1.2M labelled images (D05.1: "1.2M 张标注图")
    "imagenet_year": 2009,  # 数据暗线: 2009 李飞飞
    "nineties_data": "几万张小图",  # 1990s public labelled sets (§一)
    "nineties_cpu": "几周",  # a slightly larger net on 1990s CPUs (§一)
    "gpus": "2 块 GTX 580",  # 算力暗线: 2012 GPU
    "gpu_speedup": "几十倍",  # GPU vs CPU (§四)
    "train_days": "约 6 天",  # §四
    "year": 2012,
}


def _table_rows(t: Trace) -> list[Row]:
    names = [str(n) for n in t["layer_names"]]
    out = []
    for n, (layer, (h, w, c, rf)) in enumerate(BOOK_TABLE.items(), start=5):
        i = names.index(layer)
        computed = (int(t["out_h"][i]), int(t["out_w"][i]), int(t["out_c"][i]), int(t["receptive_field"][i]))
        out.append(compare(f"R05.{n}", CHAPTER, f"{layer}: H×W×C and receptive field (BOOK_SPEC §5.3 table)",
                           f"{h}×{w}×{c}, RF {rf}", f"{computed[0]}×{computed[1]}×{computed[2]}, RF {computed[3]}",
                           note="torch shape inference on the built module; RF from kernels and strides"))
    n = 5 + len(BOOK_TABLE)
    widths = [int(t["out_c"][names.index(layer)]) for layer in BOOK_FC]
    out.append(compare(f"R05.{n}", CHAPTER, "fc6 / fc7 / fc8 widths", list(BOOK_FC.values()), widths))
    out.append(compare(f"R05.{n + 1}", CHAPTER, "pool5 flattened (6×6×256)", BOOK_FLATTEN,
                       t.metrics["flatten_width"], note="fc6 is a LazyLinear: its input width is inferred"))
    return out


def rows(traces: dict[str, Trace]) -> list[Row]:
    a = traces["alexnet_shapes.default"]
    s = traces["sobel_filters.default"].metrics
    m = a.metrics
    params, neurons = m["total_params"], m["neurons"]
    gap = round(BOOK_TOP5[0] - BOOK_TOP5[1], 1)
    out = [
        compare("R05.1", CHAPTER, "AlexNet parameters (约 6000 万)", BOOK_PARAMS, params, tol=5_000_000,
                note=f"counted from the module: {params:,} (conv {m['conv_params']:,}, fc {m['fc_params']:,}); "
                     "conv2/4/5 split over 2 GPUs (groups=2) as in the paper; on one card it is 62,378,344; "
                     "the book's figure is rounded to 1000 万"),
        compare("R05.2", CHAPTER, "AlexNet neurons (65 万)", BOOK_NEURONS, neurons, tol=0.02 * BOOK_NEURONS,
                note=f"output units of the 5 conv + 3 fc layers = {neurons:,} (1.4 % above; pooling not counted); "
                     "tolerance 2 % for the book's 约"),
        compare("R05.3", CHAPTER, "conv / fc layers", list(BOOK_CONV_FC), [m["conv_layers"], m["fc_layers"]]),
        compare("R05.4", CHAPTER, "input H×W×C", list(BOOK_INPUT), list(m["input"])),
        *_table_rows(a),
        compare("R05.15", CHAPTER, "top-5 error drop in points (§三 近 11 个百分点)", BOOK_GAP_WORDS["section3"], gap,
                tol=0.5, note=f"26.2 − 15.3 = {gap}; the intro's 近十个百分点 understates it (S2 #5)"),
        not_reproducible("R05.16", CHAPTER, "top-5 error 26.2 % → 15.3 % on ILSVRC-2012", list(BOOK_TOP5), None,
                         note="needs ImageNet and the full training run; nothing here trains AlexNet"),
        not_reproducible(
            "R05.17", CHAPTER, "learned conv1 kernels look almost like Sobel (§五)", "几乎同构",
            round(s["mean_cos"], 3),
            note="AlexNet's own conv1 weights are not available offline; at toy scale a k-sparse autoencoder on 3×3 "
                 f"patches of the bundled photos learns filters with mean best |cos| to Sobel-x/y {s['mean_cos']:.2f}, "
                 f"vs {s['mean_cos_random']:.2f} for mean-free random filters and {s['mean_cos_init']:.2f} before "
                 "training"),
    ]
    return out
