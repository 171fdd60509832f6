"""``BookCamera`` draws exactly what manim's ``Camera`` draws: the same pixel arrays, byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from manim import (
    BLUE,
    DOWN,
    GREEN,
    LEFT,
    RED,
    RIGHT,
    UP,
    WHITE,
    YELLOW,
    Circle,
    Line,
    Square,
    Text,
    VGroup,
    VMobject,
    tempconfig,
)
from manim.camera.camera import Camera

from scenes.kit.camera import BookCamera

SIZE = {"pixel_width": 320, "pixel_height": 180}


def _two_subpaths() -> VMobject:
    path = VMobject(stroke_color=YELLOW, stroke_width=5)
    path.set_points_as_corners([LEFT * 3, LEFT * 2 + UP, LEFT * 1])  # open
    path.start_new_path(DOWN * 2)
    path.add_points_as_corners([DOWN * 2 + RIGHT, DOWN + RIGHT, DOWN * 2])  # closed
    return path.set_fill(GREEN, opacity=0.5)


def _near_gaps() -> VMobject:
    """Anchors 1e-9 apart (joined, closed: within manim's tolerance) and 1e-3 apart (split, open)."""
    path = VMobject(stroke_color=RED, stroke_width=3).set_fill(BLUE, opacity=0.6)
    path.set_points_as_corners([UP * 3 + RIGHT * 5, UP * 2 + RIGHT * 6, UP * 2 + RIGHT * 5, UP * 3 + RIGHT * 5 + 1e-9])
    path.points[4] += 1e-9  # still joined to the previous curve
    path.start_new_path(DOWN * 3 + RIGHT * 5)
    path.add_points_as_corners([DOWN * 2 + RIGHT * 6, DOWN * 3 + RIGHT * 6, DOWN * 3 + RIGHT * 5 + 1e-3 * UP])
    path.points[-4] += 1e-3 * RIGHT  # a new subpath starts here
    return path


def _not_finite() -> VMobject:
    """manim draws a VMobject with a NaN point as if it had a single point at the origin."""
    broken = Square(1).set_fill(RED, opacity=1)
    broken.points[2, 0] = np.nan
    return broken


def _scene_mobjects() -> list[VMobject]:
    gradient = Square(1.5).shift(RIGHT * 2).set_fill([RED, BLUE], opacity=0.9).set_stroke([WHITE, GREEN], width=6)
    haloed = Circle(0.8).shift(UP + RIGHT * 4).set_fill(BLUE, opacity=0.4).set_stroke(WHITE, width=3)
    haloed.set_stroke(RED, width=12, background=True)
    return [
        _two_subpaths(),
        gradient,
        haloed,
        Circle(1.2).shift(LEFT * 4),  # zero-opacity fill, stroke only
        Square(1.0).shift(UP * 2).set_stroke(opacity=0).set_fill(YELLOW, opacity=1),  # invisible stroke
        Line(LEFT * 6 + DOWN * 3, RIGHT * 6 + UP * 3, stroke_width=2),
        VMobject(),  # no points
        Text("Ab 9", font_size=60).shift(DOWN * 2.5 + LEFT * 3),
        _near_gaps(),
        _not_finite(),
    ]


def _frames(camera_class: type[Camera], mobjects: list[VMobject]) -> list[np.ndarray]:
    """Three frames: the scene, the same again (paths kept), and after moving one mobject in place."""
    camera = camera_class(**SIZE)
    frames = []
    for step in range(3):
        if step == 2:
            mobjects[1].shift(LEFT * 0.37)  # in place: the same VMobject, new points
        camera.reset()
        camera.capture_mobjects(mobjects)
        frames.append(camera.pixel_array.copy())
    return frames


def test_book_camera_draws_what_manims_camera_draws(tmp_path: Path) -> None:
    with tempconfig({"media_dir": str(tmp_path), **SIZE}):
        expected = _frames(Camera, _scene_mobjects())
        got = _frames(BookCamera, _scene_mobjects())
    assert expected[0].any() and not np.array_equal(expected[0], expected[2])
    for index, (want, have) in enumerate(zip(expected, got, strict=True)):
        assert np.array_equal(want, have), f"frame {index}: {np.count_nonzero(want != have)} bytes differ"


def test_same_mobjects_in_the_same_order_as_manim() -> None:
    """Nested groups, a mobject in two groups, z_index, point-free members; then a group that contains itself."""
    a, b, c, d, e, f = Square(1), Circle(1), Line(LEFT, RIGHT), Square(2), Circle(2), Line(UP, DOWN)
    b.z_index = -1
    inner = VGroup(b, VGroup(d, VMobject()), a)
    outer = VGroup(a, inner, c)
    scene = [outer, c, VGroup(), b, VGroup(e, VGroup(f))]
    for use_z_index in (True, False):
        expected = Camera(**SIZE, use_z_index=use_z_index).get_mobjects_to_display(scene)
        assert BookCamera(**SIZE, use_z_index=use_z_index).get_mobjects_to_display(scene) == expected
    assert expected == [d, a, c, b, e, f]
    outer.submobjects.append(outer)  # a cycle: manim's walk skips what is already on its path
    assert BookCamera(**SIZE).get_mobjects_to_display(scene) == Camera(**SIZE).get_mobjects_to_display(scene)


def test_point_free_vmobject_redraws_the_previous_path_like_manim() -> None:
    """Drawn directly (capture skips it), a VMobject without points paints the previous path in its colours."""
    cameras = Camera(**SIZE), BookCamera(**SIZE)
    square = Square(2).set_fill(RED, opacity=1)
    empty = VMobject().set_fill(GREEN, opacity=1)
    for camera in cameras:
        camera.display_multiple_non_background_colored_vmobjects([square], camera.pixel_array)
    red = cameras[0].pixel_array.copy()
    for camera in cameras:
        camera.display_multiple_non_background_colored_vmobjects([empty], camera.pixel_array)
    assert not np.array_equal(red, cameras[0].pixel_array)
    assert np.array_equal(cameras[0].pixel_array, cameras[1].pixel_array)
