"""``BookCamera``: manim's Cairo camera, drawing the same pixels with less Python per VMobject.

Every frame of every scene draws each VMobject on screen (about 180 a frame in a busy scene), and manim's
``Camera`` spends most of that in Python, not in Cairo: it splits the points into subpaths with a dozen numpy
calls on a small array, then hands Cairo numpy scalars one by one, for every VMobject in every frame, although
most of them have not moved since the last frame. This camera makes the same Cairo calls with the same float
values, so the frames are bit-identical (``tests/test_kit_camera.py``), but:

- a VMobject's path (its subpaths, as Python floats) is kept from one frame to the next and used again while
  its points are byte-for-byte the same;
- colours are read as Python floats in one ``tolist()``;
- a fill or stroke whose every colour is fully transparent is not drawn at all (Cairo draws nothing for it
  either: painting with alpha 0 leaves every pixel as it was);
- the kind of mobject (VMobject, image, ...) is looked up once per class, not once per mobject and frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cairo
import numpy as np
from manim.camera.camera import CAP_STYLE_MAP, LINE_JOIN_MAP, Camera
from manim.mobject.mobject import Mobject
from manim.mobject.types.vectorized_mobject import VMobject
from manim.utils.iterables import remove_list_redundancies

__all__ = ["BookCamera"]

Curve = Sequence[float]  # the six floats of ``ctx.curve_to``: handle, handle, end anchor
Subpath = tuple[tuple[float, float], list[Curve], bool]  # start point, cubic curves, closed


class BookCamera(Camera):
    """manim's ``Camera``, the same pixels, less Python per VMobject and frame."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # id(vmobject) → (what the path was computed from, its subpaths); two generations, so that
        # a VMobject that left the screen is forgotten one frame later
        self._paths_last_frame: dict[int, tuple[Any, ...]] = {}
        self._paths_this_frame: dict[int, tuple[Any, ...]] = {}
        self._kind_of_class: dict[type, type] = {}
        self._plain_family: dict[type, bool] = {}

    def capture_mobjects(self, mobjects: Any, **kwargs: Any) -> None:
        self._paths_last_frame, self._paths_this_frame = self._paths_this_frame, {}
        super().capture_mobjects(mobjects, **kwargs)

    def get_mobjects_to_display(self, mobjects: Any, include_submobjects: bool = True,
                                excluded_mobjects: list | None = None) -> list[Mobject]:
        """manim's list (families flattened, each mobject at its last place, only those with points, by z_index)
        from one plain walk of the families instead of nested generators and a de-duplication per family."""
        if not include_submobjects or excluded_mobjects:
            return super().get_mobjects_to_display(mobjects, include_submobjects, excluded_mobjects)
        with_points: list[Mobject] = []
        for mobject in mobjects:
            if not _add_family_with_points(mobject, with_points, self._plain_family):
                return super().get_mobjects_to_display(mobjects, include_submobjects, excluded_mobjects)
        found = remove_list_redundancies(with_points)
        return sorted(found, key=lambda m: m.z_index) if self.use_z_index else found

    def type_or_raise(self, mobject: Mobject) -> type:
        """Same answer as manim's (which depends only on the class), looked up once per class."""
        kind = self._kind_of_class.get(type(mobject))
        if kind is None:
            kind = super().type_or_raise(mobject)  # also sets self.display_funcs
            self._kind_of_class[type(mobject)] = kind
        return kind

    def transform_points_pre_display(self, mobject: Mobject, points: np.ndarray) -> np.ndarray:
        """manim's: points with a NaN or an infinity are drawn as one point at the origin (one numpy call less)."""
        if not np.isfinite(points).all():
            points = np.zeros((1, 3))
        return points

    def display_multiple_non_background_colored_vmobjects(self, vmobjects: Any, pixel_array: np.ndarray) -> None:
        ctx = self.get_cairo_context(pixel_array)
        for vmobject in vmobjects:
            self.display_vectorized(vmobject, ctx)

    def display_vectorized(self, vmobject: VMobject, ctx: cairo.Context) -> BookCamera:
        """What manim's ``display_vectorized`` draws: path, background stroke, fill, stroke."""
        subpaths = self._subpaths(vmobject)
        if subpaths is not None:  # manim leaves the previous path in place when there are no points
            _trace(ctx, subpaths)
        self._stroke(ctx, vmobject, background=True)
        if self._set_color(ctx, vmobject.get_fill_rgbas(), vmobject):
            ctx.fill_preserve()
        self._stroke(ctx, vmobject, background=False)
        return self

    # --- path -----------------------------------------------------------------------------------------------
    def _subpaths(self, vmobject: VMobject) -> list[Subpath] | None:
        """The path of ``vmobject``, kept from the last frame while everything it depends on is unchanged."""
        points = vmobject.points
        key = (points.tobytes(), points.shape, points.dtype, type(vmobject),
               vmobject.n_points_per_cubic_curve, vmobject.tolerance_for_point_equality)
        kept = self._paths_last_frame.get(id(vmobject)) or self._paths_this_frame.get(id(vmobject))
        if kept is None or kept[0] != key:
            kept = (key, self._compute_subpaths(vmobject))
        self._paths_this_frame[id(vmobject)] = kept
        return kept[1]

    def _compute_subpaths(self, vmobject: VMobject) -> list[Subpath] | None:
        """manim's ``set_cairo_context_path``, recording the calls (as Python floats) instead of making them."""
        points = self.transform_points_pre_display(vmobject, vmobject.points)
        if len(points) == 0:
            return None
        if _draws_like_vmobject(type(vmobject)) and vmobject.n_points_per_cubic_curve == 4 and len(points) % 4 == 0:
            return _whole_curves_subpaths(points, vmobject.tolerance_for_point_equality)
        split_indices = vmobject.get_subpath_split_indices_from_points(points, n_dims=2)
        nppcc = vmobject.n_points_per_cubic_curve
        xy = points[:, :2].tolist()
        subpaths: list[Subpath] = []
        for start, end in split_indices.tolist():
            if end - start < nppcc:
                continue
            curves = [(*xy[i + 1], *xy[i + 2], *xy[i + 3]) for i in range(start, end - nppcc + 1, nppcc)]
            closed = vmobject.consider_points_equals_2d(points[start], points[end - 1])
            subpaths.append(((xy[start][0], xy[start][1]), curves, closed))
        return subpaths

    # --- colour ---------------------------------------------------------------------------------------------
    def _stroke(self, ctx: cairo.Context, vmobject: VMobject, background: bool) -> None:
        """manim's ``apply_stroke``, skipping a stroke that is fully transparent."""
        width = vmobject.get_stroke_width(background)
        if width == 0:
            return
        if not self._set_color(ctx, vmobject.get_stroke_rgbas(background), vmobject):
            return
        ctx.set_line_width(width * self.cairo_line_width_multiple * (self.frame_width / self.frame_width))
        ctx.set_line_join(LINE_JOIN_MAP[vmobject.joint_type])
        ctx.set_line_cap(CAP_STYLE_MAP[vmobject.cap_style])
        ctx.stroke_preserve()

    def _set_color(self, ctx: cairo.Context, rgbas: np.ndarray, vmobject: VMobject) -> bool:
        """manim's ``set_cairo_context_color``; False (and nothing set) when every colour has alpha 0."""
        rows = rgbas.tolist()
        if len(rows) == 1:
            red, green, blue, alpha = rows[0]
            if alpha == 0:
                return False
            ctx.set_source_rgba(blue, green, red, alpha)  # reversed, as manim: the surface is BGRA in memory
            return True
        if all(row[3] == 0 for row in rows):
            return False
        self.set_cairo_context_color(ctx, rgbas, vmobject)
        return True


def _add_family_with_points(mobject: Mobject, found: list, plain: dict[type, bool]) -> bool:
    """``mobject._iter_family`` (depth first, parents first), keeping those with points. manim's walk skips a
    mobject already on its own path, which happens only in a cycle; here a cycle makes the walk run past
    ``_MOST_MOBJECTS``. False then, or where a class walks or counts its family in its own way: manim's code
    must do it."""
    stack = [mobject]
    walked = 0
    while stack:
        member = stack.pop()
        cls = type(member)
        is_plain = plain.get(cls)
        if is_plain is None:
            is_plain = plain[cls] = all(getattr(cls, name) is getattr(Mobject, name) for name in _FAMILY_METHODS)
        walked += 1
        if not is_plain or walked > _MOST_MOBJECTS:
            return False
        if len(member.points) > 0:
            found.append(member)
        if member.submobjects:
            stack.extend(reversed(member.submobjects))
    return True


_MOST_MOBJECTS = 100_000  # in one top-level mobject's family; more only in a cycle (or then manim walks it)
_FAMILY_METHODS = ("get_family", "_iter_family", "family_members_with_points", "get_num_points")


def _draws_like_vmobject(cls: type) -> bool:
    """Whether ``cls`` splits and closes subpaths as ``VMobject`` does (what ``_whole_curves_subpaths`` repeats)."""
    return (cls.get_subpath_split_indices_from_points is VMobject.get_subpath_split_indices_from_points
            and cls.consider_points_equals_2d is VMobject.consider_points_equals_2d)


def _whole_curves_subpaths(points: np.ndarray, atol: float) -> list[Subpath]:
    """The subpaths of finite ``points`` made of whole cubic curves (4 points each): manim's
    ``get_subpath_split_indices_from_points`` and ``consider_points_equals_2d``, the same comparisons on Python
    floats (a dozen numpy calls on an array this small cost more than the loop). A curve joins the previous one
    where the previous end anchor is close (``np.isclose``, rtol 1e-5) to its start anchor, in x and y; a
    subpath is closed where its last anchor is close to its first."""
    rtol = 1.0e-5
    rows = points[:, :2].reshape(-1, 8)  # one row a curve: anchor, handle, handle, anchor (x, y each)
    curves, handles_and_ends = rows.tolist(), rows[:, 2:].tolist()
    subpaths: list[Subpath] = []
    first = 0
    for index in range(1, len(curves) + 1):
        if index < len(curves):
            end, start = curves[index - 1], curves[index]
            x, y = start[0], start[1]
            if abs(end[6] - x) <= atol + rtol * abs(x) and abs(end[7] - y) <= atol + rtol * abs(y):
                continue  # joined: the same subpath goes on
        x0, y0 = curves[first][0], curves[first][1]
        x1, y1 = curves[index - 1][6], curves[index - 1][7]
        closed = ((x0 == x1 or abs(x0 - x1) <= atol + rtol * abs(x1))  # consider_points_equals_2d
                  and (y0 == y1 or abs(y0 - y1) <= atol + rtol * abs(y1)))
        subpaths.append(((x0, y0), handles_and_ends[first:index], closed))
        first = index
    return subpaths


def _trace(ctx: cairo.Context, subpaths: list[Subpath]) -> None:
    ctx.new_path()
    curve_to = ctx.curve_to
    for start, curves, closed in subpaths:
        ctx.new_sub_path()
        ctx.move_to(*start)
        for curve in curves:
            curve_to(*curve)
        if closed:
            ctx.close_path()
