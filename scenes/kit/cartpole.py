"""CartPole-v1 drawn from recorded states: the trained agents of chapters 13 and 14 at work.

The sims record each step's observation [x, ẋ, θ, θ̇] and the env's own geometry (``cartpole_geometry``:
x limit, θ limit, half pole length, seconds per step); this draws the cart and pole at gymnasium's
proportions, never through gym's renderer.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from manim import DOWN, ORIGIN, RIGHT, UP, Dot, Line, Rectangle, VGroup

from scenes.kit.palette import PALETTE

__all__ = ["cartpole", "pose", "CART_W", "CART_H"]

CART_W, CART_H = 0.4, 0.24  # metres: the proportions of gymnasium's own CartPole drawing (50 × 30 px at 125 px/m)


def cartpole(geometry: Sequence[float], scale: float, origin: Sequence[float]) -> VGroup:
    """CartPole at true proportions; ``geometry`` = [x limit m, θ limit rad, half pole length m, seconds per step].

    ``scale`` is scene units per metre and ``origin`` the track point x = 0. The group is (track, limits,
    wedge, cart, pole, axle): the red ticks mark ±x limit, the faint wedge ±θ limit around the pivot.
    Move it with ``pose``; it starts upright at x = 0.
    """
    x_lim, th_lim, half = (float(v) for v in geometry[:3])
    o = np.array([origin[0], origin[1], 0.0])
    reach = (x_lim + CART_W / 2) * scale * RIGHT
    track = Line(o - reach, o + reach, color=PALETTE.muted, stroke_width=3)
    limits = VGroup(*(Line(o + side * x_lim * scale * RIGHT + 0.12 * DOWN, o + side * x_lim * scale * RIGHT + 0.3 * UP,
                           color=PALETTE.error, stroke_width=4) for side in (-1, 1)))
    wedge = VGroup(*(Line(ORIGIN, UP, color=PALETTE.muted, stroke_width=2, stroke_opacity=0.7) for _ in range(2)))
    cart = Rectangle(width=CART_W * scale, height=CART_H * scale, stroke_color=PALETTE.muted, stroke_width=2,
                     fill_color=PALETTE.grid, fill_opacity=1)
    pole = Line(ORIGIN, UP, color=PALETTE.text, stroke_width=7)
    axle = Dot(radius=0.045, color=PALETTE.muted)
    rig = VGroup(track, limits, wedge, cart, pole, axle)
    rig.cartpole = {"origin": o, "scale": scale, "x_lim": x_lim, "th_lim": th_lim, "pole": 2 * half * scale}
    return pose(rig, 0.0, 0.0)


def pose(rig: VGroup, x: float, theta: float) -> VGroup:
    """Cart at ``x`` m, pole tilted ``theta`` rad (positive leans right, as in gymnasium); red past a limit."""
    g = rig.cartpole
    _, _, wedge, cart, pole, axle = rig.submobjects
    base = g["origin"] + x * g["scale"] * RIGHT
    cart.move_to(base + cart.height / 2 * UP)
    pivot = base + cart.height * UP
    axle.move_to(pivot)
    pole.put_start_and_end_on(pivot, pivot + g["pole"] * np.array([np.sin(theta), np.cos(theta), 0.0]))
    for line, side in zip(wedge, (-1, 1)):
        a = side * g["th_lim"]
        line.put_start_and_end_on(pivot, pivot + (g["pole"] + 0.15) * np.array([np.sin(a), np.cos(a), 0.0]))
    fallen = abs(theta) > g["th_lim"] or abs(x) > g["x_lim"]
    pole.set_color(PALETTE.error if fallen else PALETTE.text)
    return rig
