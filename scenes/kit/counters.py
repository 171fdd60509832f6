"""Counters in a corner, and the replay of a long run (a scrub through its recorded states)."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from manim import DOWN, LEFT, UR, Mobject, Scene, ValueTracker, VGroup, always_redraw, linear

from scenes.kit.base import SAFE
from scenes.kit.text import COUNTER_SIZE, mono

__all__ = ["CounterPanel", "scrub"]


class CounterPanel:
    """Monospaced lines stacked in a corner (epoch, step, simulation …).

    ``lines(*values) -> [str, …]`` writes them; ``swap`` replaces the shown lines at once, because a
    morph between two numbers reads badly.
    """

    def __init__(self, lines: Callable[..., Sequence[str]], corner: np.ndarray = UR, size: float = COUNTER_SIZE,
                 color: str | None = None) -> None:
        self.lines, self.corner, self.size, self.color = lines, corner, size, color
        self.mob: VGroup | None = None

    def build(self, *values) -> VGroup:
        """The panel for ``values``, placed in its corner (not added to any scene)."""
        group = VGroup(*(mono(text, self.size, self.color) for text in self.lines(*values)))
        return group.arrange(DOWN, aligned_edge=LEFT, buff=0.12).to_corner(self.corner, buff=SAFE)

    def show(self, *values) -> VGroup:
        """Build the first panel and remember it as the one on screen (the caller adds or fades it in)."""
        self.mob = self.build(*values)
        return self.mob

    def swap(self, scene: Scene, *values) -> VGroup:
        """Replace the panel on screen with one showing ``values``, without animation."""
        new = self.build(*values)
        if self.mob is not None:
            scene.remove(self.mob)
        scene.add(new)
        self.mob = new
        return new


def scrub(scene: Scene, builders: Sequence[Callable[[int], Mobject]], start: int, stop: int, seconds: float,
          *also) -> list[Mobject]:
    """Replay recorded states ``start`` … ``stop``: each builder draws state ``k``, redrawn every frame.

    ``also`` are animations played alongside. Returns the final state's mobjects, on screen: fresh
    builds of state ``stop`` that replace the redrawn ones (``always_redraw`` keeps its first
    mobjects and only moves their points, so a text would still carry its first string, and the
    screen log would record that instead of what the frame shows).
    """
    k = ValueTracker(start)
    live = [always_redraw(lambda build=build: build(int(round(k.get_value())))) for build in builders]
    scene.add(*live)
    scene.play(k.animate.set_value(stop), *also, run_time=seconds, rate_func=linear)
    final = [build(stop) for build in builders]
    scene.remove(*live)
    scene.add(*final)
    return final
