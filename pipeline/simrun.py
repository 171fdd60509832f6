"""``reel sims``: compute traces by name and describe them."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from pipeline.errors import UsageError, closest
from pipeline.remote import check_executor
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
             quiet: bool, executor: str = "local", address: str | None = None, workers: int = 2
             ) -> list[dict[str, Any]]:
    """Ensure each named trace; ``sets`` are ``KEY=VALUE`` applied to every named sim.

    Locally the traces are computed here, one after another; with ``executor="ray"`` each is a Ray task and
    they run at once (the results are stored here all the same)."""
    check_executor(executor, address)
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
    computed = set()
    if executor == "ray":
        computed = _compute_on_ray(planned, force, address, workers)
        force = False  # stored now: what follows reads them
    rows = []
    for spec in planned:
        result = store.ensure(spec, force=force)
        result.cached = result.cached and spec not in computed
        meta = result.meta
        rows.append({
            "sim": spec.sim, "variant": spec.variant, "key": result.key, "params": meta["params"],
            "seed": meta["seed"], "metrics": meta["metrics"], "wall_s": meta["wall_s"],
            "cached": result.cached, "path": str(result.path),
        })
    return rows


def _compute_on_ray(specs: list[TraceSpec], force: bool, address: str | None, workers: int) -> set[TraceSpec]:
    """Every spec a Ray task, as many at once as the cluster has CPUs; returns those computed. The first failure
    is raised once every task has ended (what did finish is stored)."""
    from pipeline.remote import ray_session

    store = TraceStore()
    todo = [spec for spec in specs if force or not store.is_cached(spec)]  # a stored trace is never sent
    if not todo:
        return set()
    with ray_session(address, workers) as ray, ThreadPoolExecutor(ray.slots) as pool:
        futures = {spec: pool.submit(ray.compute_trace, spec, force) for spec in todo}
        errors = [f.exception() for f in futures.values() if f.exception() is not None]
    if errors:
        raise errors[0]
    return {spec for spec, f in futures.items() if not f.result()["cached"]}
