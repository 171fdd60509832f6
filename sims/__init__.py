"""Simulations: plain functions ``run(params, seed) -> Trace``; never import manim.

Each module here is one computation. It defines

* ``Params`` - a frozen dataclass whose defaults are what the book describes;
* ``VARIANTS`` - a literal dict ``{variant: {param: value}}`` of named presets
  (``{"default": {}}`` when there is only one);
* ``SEED`` - the default seed;
* ``run(params, seed) -> Trace``.

The pipeline discovers sims by these names; nothing needs registering.
"""
