"""The book's chapters and scenes, and which of them exist in ``scenes/``.

The list below is the book's own inventory (BOOK_SPEC §0.1: 16 chapters, 29
scenes) plus its diagrams, each of which becomes a static figure scene, plus a
few scenes added beyond the book (``extras``: the trained agents at work). What
is implemented is read from the scene modules' source (``ast``), so listing
and cache checks never import manim.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from pipeline.errors import ComputeError, UsageError, closest
from pipeline.paths import ROOT

__all__ = ["Chapter", "Entry", "CHAPTERS", "entries", "resolve_targets", "SCENES_DIR"]

SCENES_DIR = ROOT / "scenes"


@dataclass(frozen=True)
class Chapter:
    number: int
    module: str  # scenes/<module>.py
    title: str
    scenes: tuple[str, ...]  # the book's animations, in order
    figures: tuple[tuple[str, str], ...] = ()  # (diagram id, figure scene) for the book's diagrams
    extras: tuple[str, ...] = ()  # animations beyond the book's list, played after its own

    @property
    def all_scenes(self) -> tuple[str, ...]:
        """The book's scenes, then the added ones: the order of the chapter video."""
        return self.scenes + self.extras

    @property
    def tag(self) -> str:
        return f"ch{self.number:02d}"

    @property
    def path(self) -> Path:
        return SCENES_DIR / f"{self.module}.py"

    @property
    def figures_path(self) -> Path:
        """``scenes/<module>_figures.py`` when the chapter's diagram figures have a module of their own
        (a chapter module past ~500 lines moves them there), else the chapter module."""
        own = SCENES_DIR / f"{self.module}_figures.py"
        return own if own.is_file() else self.path


CHAPTERS: tuple[Chapter, ...] = (
    Chapter(1, "ch01_perceptron", "感知机：从形式神经元到第一次寒冬", ("PerceptronLine", "XORImpossible"),
            (("D01.1", "Fig_XORLayout"), ("D01.2", "Fig_ANDLayout"))),
    Chapter(2, "ch02_backprop", "反向传播：把误差送回去", ("Backprop",), (("D02.1", "Fig_ForwardBackward"),)),
    Chapter(3, "ch03_cnn", "卷积网络：向视觉皮层借来的结构", ("Convolution", "Pooling"), (("D03.1", "Fig_LeNetFlow"),)),
    Chapter(4, "ch04_rnn_lstm", "循环网络与 LSTM：给神经网络装上记忆", ("VanishingGradient", "LSTMConveyor"),
            (("D04.1", "Fig_RNNvsLSTM"),)),
    Chapter(5, "ch05_alexnet", "AlexNet 与认猫：数据与算力的合流", ("FeaturePyramid",),
            (("D05.1", "Fig_AlexNetThreads"),)),
    Chapter(6, "ch06_word2vec", "word2vec：把词变成几何", ("Parallelogram",), (("D06.1", "Fig_WordParallelogram"),)),
    Chapter(7, "ch07_attention", "seq2seq 与注意力：打破固定向量的瓶颈", ("Bottleneck", "SoftAlignment"),
            (("D07.1", "Fig_BottleneckToAttention"),)),
    Chapter(8, "ch08_transformer", "Transformer：注意力就是全部", ("QKVAttention", "PositionalEncoding"),
            (("D08.1", "Fig_Transformer"),)),
    Chapter(9, "ch09_enablers", "看不见的地基：让深层网络训得动的工程突破",
            ("ReLUGate", "Residual", "BatchNormScene", "AdamTrajectory"), (("D09.1", "Fig_FourFoundations"),)),
    Chapter(10, "ch10_pretrain", "预训练：BERT 与 GPT 两条路线", ("MaskShapes",),
            (("D10.1", "Fig_GPTvsBERT"), ("D10.2", "Fig_PretrainRoutes"))),
    Chapter(11, "ch11_scaling_rlhf", "规模与对齐：从 scaling laws 到 RLHF", ("ScalingLaw", "RLHFPreference"),
            (("D11.1", "Fig_ScaleAlignment"),)),
    Chapter(12, "ch12_q_learning", "强化学习地基：从 Bellman 方程到 Q-learning", ("ValueDiffusion",)),
    Chapter(13, "ch13_dqn", "DQN 与 Atari：让神经网络学会打游戏", ("ReplayBuffer", "TargetNetwork"),
            extras=("CartPoleDQN",)),
    Chapter(14, "ch14_policy_gradient", "策略梯度与 actor-critic：从 REINFORCE 到 PPO",
            ("PolicyShaping", "BaselineVariance"), extras=("CartPolePPO",)),
    Chapter(15, "ch15_alphago", "自博弈的巅峰：从 AlphaGo 到 MuZero", ("MCTSGrowth", "SelfPlayFlywheel")),
    Chapter(16, "ch16_rl_llm", "强化学习回流：从 RLHF 到推理模型", ("TokenAsTrajectory", "TwoLines")),
)


@dataclass(frozen=True)
class Entry:
    """One renderable thing: a book scene (video + still) or a diagram figure (still only)."""

    chapter: Chapter
    name: str
    kind: str  # "scene" | "figure"
    implemented: bool
    traces: tuple[str, ...] = ()
    diagram: str = ""
    from_book: bool = True  # False: a scene added beyond the book's inventory (``Chapter.extras``)

    @property
    def target(self) -> str:
        return f"{self.chapter.tag}.{self.name}"

    @property
    def path(self) -> Path:
        """The module that defines it."""
        return self.chapter.figures_path if self.kind == "figure" else self.chapter.path


@lru_cache(maxsize=64)
def _scene_classes(path: Path, mtime_ns: int) -> dict[str, tuple[str, ...]]:
    """Class name → its literal ``TRACES`` (own or inherited within the module), cached per mtime."""
    own: dict[str, tuple[str, ...] | None] = {}
    bases: dict[str, list[str]] = {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        raise ComputeError(f"cannot read {path.relative_to(ROOT)}: {exc.msg} (line {exc.lineno})") from None
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        own[node.name] = None
        bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
        for item in node.body:
            if (isinstance(item, ast.Assign) and len(item.targets) == 1
                    and isinstance(item.targets[0], ast.Name) and item.targets[0].id == "TRACES"):
                try:
                    own[node.name] = tuple(ast.literal_eval(item.value))
                except ValueError:
                    raise ComputeError(f"{path.relative_to(ROOT)}: {node.name}.TRACES must be a literal tuple of "
                                       f"'sim.variant' strings (line {item.lineno})") from None

    def traces(name: str) -> tuple[str, ...]:
        if own.get(name) is not None:
            return own[name]
        return next((traces(b) for b in bases.get(name, []) if b in own and traces(b)), ())

    return {name: traces(name) for name in own}


def _classes_in(path: Path) -> dict[str, tuple[str, ...]]:
    return _scene_classes(path, path.stat().st_mtime_ns) if path.is_file() else {}


def chapter_entries(chapter: Chapter) -> list[Entry]:
    scenes, figures = _classes_in(chapter.path), _classes_in(chapter.figures_path)
    found = [Entry(chapter, name, "scene", name in scenes, scenes.get(name, ()), from_book=name in chapter.scenes)
             for name in chapter.all_scenes]
    found += [Entry(chapter, name, "figure", name in figures, figures.get(name, ()), diagram)
              for diagram, name in chapter.figures]
    return found


def entries() -> list[Entry]:
    """Every scene and figure of the book, in chapter order."""
    return [entry for chapter in CHAPTERS for entry in chapter_entries(chapter)]


def normal_tag(text: str) -> str:
    """``ch1`` / ``CH01`` / ``ch001`` → ``ch01``; anything else unchanged."""
    match = re.fullmatch(r"ch0*(\d{1,2})", text.strip().lower())
    return f"ch{int(match.group(1)):02d}" if match else text


def chapter_by_tag(tag: str) -> Chapter:
    for chapter in CHAPTERS:
        if chapter.tag == normal_tag(tag):
            return chapter
    raise UsageError(f"unknown chapter {tag!r}; {closest(tag, [c.tag for c in CHAPTERS])}")


def resolve_targets(targets: Iterable[str], kinds: tuple[str, ...] = ("scene",)) -> list[Entry]:
    """``ch01`` / ``ch01.PerceptronLine`` / ``PerceptronLine`` → implemented entries.

    No targets means every implemented entry of the given kinds.
    """
    everything = [e for e in entries() if e.kind in kinds]
    targets = list(targets)
    if not targets:
        return [e for e in everything if e.implemented]
    by_name = {e.name: e for e in everything} | {e.target: e for e in everything}
    chosen: list[Entry] = []
    for target in targets:
        if normal_tag(target) in {c.tag for c in CHAPTERS}:
            target = normal_tag(target)
            chapter_items = [e for e in everything if e.chapter.tag == target]
            ready = [e for e in chapter_items if e.implemented]
            if not ready:
                raise UsageError(f"{target}: no scene of this chapter is implemented yet "
                                 f"({', '.join(e.name for e in chapter_items) or 'none'})")
            chosen += ready
            continue
        entry = by_name.get(target)
        if entry is None:
            choices = [c.tag for c in CHAPTERS] + sorted(by_name)
            raise UsageError(f"unknown target {target!r}; {closest(target, choices)}")
        if not entry.implemented:
            raise UsageError(f"{entry.target} is not implemented yet")
        chosen.append(entry)
    return list(dict.fromkeys(chosen))
