"""Counters in a corner, and the replay of a long run (a scrub through its recorded states)."""

from __future__ import annotations

from typing import Any, Callable, Hashable, Sequence

import numpy as np
from manim import DOWN, LEFT, UR, Mobject, Scene, ValueTracker, VGroup, linear

from scenes.kit.base import SAFE
from scenes.kit.text import COUNTER_SIZE, mono

__all__ = ["CounterPanel", "redraw_on_change", "scrub"]


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


def redraw_on_change(state: Callable[[], Hashable], build: Callable[[Any], Mobject]) -> VGroup:
    """``build(state())``, rebuilt when ``state()`` changes: unlike ``always_redraw`` (a rebuild and a ``become``
    every frame, even while nothing changes), a frame whose state is the last one's costs nothing here.

    The result is a group holding the current build (swapped, not morphed: a state can have more or fewer
    parts than the last). ``build`` must return new mobjects: a replaced build is emptied, because manim
    draws a ``play`` from the list of parts it took when the play began. The screen log reads the first
    build, as it reads ``always_redraw``'s first mobject: whoever shows the final state builds it afresh
    (as ``scrub`` does).
    """
    shown = state()
    holder = VGroup(build(shown))
    holder.log_as = holder.submobjects[0]  # see scenes.kit.base._texts

    def swap(group: VGroup) -> None:
        nonlocal shown
        now = state()
        if now != shown:
            shown = now
            replaced, group.submobjects = group.submobjects, [build(now)]
            for part in (part for mob in replaced for part in mob.get_family()):
                part.clear_points()

    holder.add_updater(swap)
    return holder


def scrub(scene: Scene, builders: Sequence[Callable[[int], Mobject]], start: int, stop: int, seconds: float,
          *also, changes: Sequence[Callable[[int], Hashable] | None] = ()) -> list[Mobject]:
    """Replay recorded states ``start`` … ``stop``: each builder draws state ``k``, redrawn when ``k`` changes
    (or, where ``changes`` gives a function for it, when what that function makes of ``k`` changes: what the
    builder actually draws from ``k``).

    ``also`` are animations played alongside. Returns the final state's mobjects, on screen: fresh
    builds of state ``stop`` that replace the redrawn ones (the screen log reads a redrawn mobject's
    first build only, so it records these as what the last frame shows).
    """
    k = ValueTracker(start)

    def now() -> int:
        return int(round(k.get_value()))

    keys = list(changes) + [None] * (len(builders) - len(changes))
    live = [redraw_on_change((lambda key=key: key(now())) if key else now, lambda _, build=build: build(now()))
            for build, key in zip(builders, keys)]
    scene.add(*live)
    scene.play(k.animate.set_value(stop), *also, run_time=seconds, rate_func=linear)
    final = [build(stop) for build in builders]
    scene.remove(*live)
    scene.add(*final)
    return final
