"""The scene kit: the house helpers, one module per kind, one name per job.

Import what a scene uses from the module that holds it, e.g.
``from scenes.kit.grids import CellGrid``: a render key covers exactly the kit
modules a scene imports, so editing the heat-map helper re-renders the
heat-map scenes and nothing else. This file stays empty on purpose.

=============  ================================================================
``base``       ``BookScene``: canvas, title, captions, traces, the screen log
``palette``    colours (one meaning each), fonts, the viridis stops
``text``       ``cjk`` / ``mono`` / ``tex`` at the house sizes, ``speed_badge``
``numbers``    number formatting as the book prints it (no manim: tests use it)
``charts``     ``panel_axes``, ``LogAxes``, ``decade_span``
``grids``      ``CellGrid``, ``viridis``, ``heat_scale``, ``ink_on``
``legends``    ``legend_row``, ``legend_column``, ``swatch``
``counters``   ``CounterPanel`` (corner counters), ``scrub`` (replay a run)
``shapes``     ``arrow_between``, ``cuboid`` (a feature-map block)
``cartpole``   ``cartpole`` / ``pose``: CartPole-v1 drawn from recorded states
``frames``     a still drawn from the video's own run; still-only runs draw once
=============  ================================================================
"""
