"""``reel sims``: compute traces by name and describe them."""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable

from pipeline.errors import UsageError, closest
from pipeline.traces import TraceSpec, TraceStore, discover_sims, parse_overrides

__all__ = ["run_sims"]


def _specs(names: Iterable[str]) -> list[tuple[str, str]]:
    sims = discover_sims()
    names = list(names) or list(sims)
    chosen = []
    for name in names:
        sim, _, variant = name.partition(".")
        if sim not in sims:
            raise UsageError(f"unknown sim {sim!r}; {closest(sim, sims)}")
        variants = sims[sim].variants
        if variant and variant not in variants:
            raise UsageError(f"{sim} has no variant {variant!r}; {closest(variant, variants)}")
        chosen += [(sim, v) for v in ([variant] if variant else variants)]
    return list(dict.fromkeys(chosen))


def run_sims(names: Iterable[str], sets: Iterable[str], seed: int | None, device: str | None, force: bool,
             quiet: bool) -> list[dict[str, Any]]:
    """Ensure each named trace; ``sets`` are ``KEY=VALUE`` applied to every named sim."""
    sims = discover_sims()
    store = TraceStore()
    specs = _specs(names)
    planned = []  # every name and parameter is checked before any work starts
    for sim in dict.fromkeys(s for s, _ in specs):
        assignments = list(sets)
        if device is not None:
            fields = {f.name for f in dataclasses.fields(sims[sim].module().Params)}
            if "device" not in fields:
                raise UsageError(f"{sim} has no device option (only torch sims do)")
            assignments.append(f"device={device}")
        overrides = tuple(sorted(parse_overrides(sims[sim], assignments).items()))
        planned += [TraceSpec(sim, variant, overrides, seed) for _, variant in (s for s in specs if s[0] == sim)]
    for spec in planned:
        store.params(spec)  # cross-parameter checks too, before any trace is computed
    rows = []
    for spec in planned:
        result = store.ensure(spec, force=force)
        meta = result.meta
        rows.append({
            "sim": spec.sim, "variant": spec.variant, "key": result.key, "params": meta["params"],
            "seed": meta["seed"], "metrics": meta["metrics"], "wall_s": meta["wall_s"],
            "cached": result.cached, "path": str(result.path),
        })
    return rows
