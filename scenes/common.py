"""TEMPORARY: old names re-exported from the kit while chapters move onto it. Deleted once they have."""
# ruff: noqa
from scenes.kit.base import SAFE, BookScene
from scenes.kit.charts import LogAxes, decade_span
from scenes.kit.grids import CellGrid, heat_scale, ink_on, viridis
from scenes.kit.legends import legend_row as line_legend
from scenes.kit.numbers import sci, signed
from scenes.kit.palette import FONT, MONO, PALETTE, VIRIDIS
from scenes.kit.shapes import arrow_between
from scenes.kit.text import cjk, mono, speed_badge
from scenes.kit.text import tex as math
from manim import LEFT, RIGHT
