"""The trace store: compute each trace once, keyed on everything it depends on.

A trace is named by ``sim.variant`` (``perceptron.and``). Its key hashes the
sim's source closure, the variant, any parameter overrides, the seed and the
numpy/torch versions - all known without importing the sim. Stored as
``cache/traces/<sim>.<variant>/<key>.npz`` + ``.json``; the JSON is written
last and records the npz's SHA-256, so a half-written or damaged trace is
detected and recomputed.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import importlib
import json
import math
import platform
import re
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np
from filelock import FileLock

from pipeline.errors import ComputeError, UsageError, closest
from pipeline.files import atomic_write
from pipeline.hashing import digest, file_sha256, package_version, parse_source, source_closure, third_party_imports
from pipeline.paths import ROOT, cache_dir, claim_output_root
from sims.trace import Trace

__all__ = ["SimInfo", "TraceSpec", "discover_sims", "sim_info", "parse_overrides", "TraceStore"]

SIMS_DIR = ROOT / "sims"
VERSIONED_LIBRARIES = {"numpy", "torch", "gymnasium"}  # whose version is part of a trace's key, when imported
NOT_SIMS = {"__init__", "trace"}


@dataclass(frozen=True)
class SimInfo:
    """What the pipeline knows about a sim from reading its source."""

    name: str
    path: Path
    variants: tuple[str, ...]
    seed: int

    def module(self) -> Any:
        """The imported sim; the first call notes the sources it was loaded from (see ``loaded_sources``)."""
        module = importlib.import_module(f"sims.{self.name}")
        _LOADED_SOURCES.setdefault(self.name, source_closure(self.path))
        return module


# sim → the (path, sha256) closure its module was imported from, in this process. A long run (``reel sims a b``)
# imports every sim up front; a file edited meanwhile would give a trace made by the old code under the new key.
_LOADED_SOURCES: dict[str, list[tuple[str, str]]] = {}


def _literal_assignments(path: Path) -> dict[str, Any]:
    values = {}
    for node in parse_source(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return values


def _device_default(path: Path) -> str | None:
    """The default of ``Params.device`` read from the source (None: the sim has no device)."""
    for node in parse_source(path.read_text(encoding="utf-8"), str(path)).body:
        if isinstance(node, ast.ClassDef) and node.name == "Params":
            for item in node.body:
                if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                        and item.target.id == "device" and isinstance(item.value, ast.Constant)):
                    return str(item.value.value)
    return None


def cuda_present() -> bool:
    """An NVIDIA driver is loaded (checked without importing torch, so keys stay cheap)."""
    return Path("/proc/driver/nvidia/version").exists()


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when present, else ``cpu``; others as given."""
    return ("cuda" if cuda_present() else "cpu") if device == "auto" else device


def discover_sims() -> dict[str, SimInfo]:
    """Every module in ``sims/`` that defines ``run`` and ``VARIANTS``."""
    stamp = tuple((p, p.stat().st_mtime_ns) for p in sorted(SIMS_DIR.glob("*.py")))
    return _discover(stamp)


@lru_cache(maxsize=4)
def _discover(stamp: tuple[tuple[Path, int], ...]) -> dict[str, SimInfo]:
    found = {}
    for path, _ in stamp:
        if path.stem in NOT_SIMS or path.stem.startswith("_"):
            continue
        values = _literal_assignments(path)
        if "VARIANTS" not in values or "def run(" not in path.read_text(encoding="utf-8"):
            continue  # a helper module shared by several sims
        found[path.stem] = SimInfo(path.stem, path, tuple(values["VARIANTS"]), int(values.get("SEED", 0)))
    return found


def sim_info(name: str) -> SimInfo:
    sims = discover_sims()
    if name not in sims:
        raise UsageError(f"unknown sim {name!r}; {closest(name, sims)}")
    return sims[name]


def _coerce(text: str, default: Any, key: str) -> Any:
    """Parse a ``--set`` value as the type of the field's default."""
    try:
        if isinstance(default, bool):
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            value = float(text)
            if not math.isfinite(value):
                raise ValueError
            return value
        if isinstance(default, tuple):
            return tuple(type(default[0])(v) if default else v for v in text.split(","))
        return text
    except ValueError:
        kind = {bool: "true/false", int: "an integer", float: "a finite number", tuple: "a comma-separated list"}
        raise UsageError(f"bad value for {key}: {text!r} is not {kind.get(type(default), 'valid')}") from None


_INTERVAL = re.compile(r"^([\[(])\s*([^,\s]+)\s*,\s*([^,\s]+)\s*([\])])$")


def parse_interval(text: str) -> tuple[float, float, bool, bool]:
    """``"(0, 1]"`` → ``(0.0, 1.0, False, True)``: bounds and whether each is included (``inf`` allowed)."""
    match = _INTERVAL.match(text)
    if not match:
        raise ValueError(f"not an interval: {text!r} (write e.g. '[0, 1]', '(0, inf)')")
    left, low, high, right = match.groups()
    return float(low), float(high), left == "[", right == "]"


def check_range(name: str, value: Any, allowed: Any) -> None:
    """``value`` is inside ``allowed``: an interval string, or a set/list of choices (per element of a tuple)."""
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(allowed, str):
            low, high, with_low, with_high = parse_interval(allowed)
            above = item >= low if with_low else item > low
            below = item <= high if with_high else item < high
            if not (above and below):
                raise UsageError(f"{name}={item!r} is out of range: it must lie in {allowed}")
        elif item not in allowed:
            raise UsageError(f"{name}={item!r} is not one of {', '.join(map(str, sorted(allowed, key=str)))}")


def parse_overrides(sim: SimInfo, assignments: Iterable[str]) -> dict[str, Any]:
    """``["lr=0.5"]`` → ``{"lr": 0.5}``, checked against the sim's ``Params`` types and its ``RANGES``."""
    assignments = list(assignments)
    if not assignments:
        return {}
    defaults = {f.name: f.default for f in dataclasses.fields(sim.module().Params)}
    ranges = _literal_assignments(sim.path).get("RANGES", {})
    overrides = {}
    for item in assignments:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"bad --set {item!r}: expected KEY=VALUE")
        if key not in defaults:
            raise UsageError(f"{sim.name} has no parameter {key!r}; {closest(key, defaults)}")
        value = _coerce(text.strip(), defaults[key], f"{sim.name}.{key}")
        if key in ranges:
            check_range(f"{sim.name}.{key}", value, ranges[key])
        if key == "device" and value == "cuda" and not cuda_present():
            raise UsageError(f"{sim.name}.device=cuda: this machine has no CUDA device; use auto or cpu")
        overrides[key] = value
    return overrides


@dataclass(frozen=True)
class TraceSpec:
    """One trace to compute: a sim variant with optional overrides and seed."""

    sim: str
    variant: str
    overrides: tuple[tuple[str, Any], ...] = ()
    seed: int | None = None

    @classmethod
    def from_name(cls, name: str, overrides: dict[str, dict[str, Any]] | None = None) -> "TraceSpec":
        """``"perceptron.and"`` (+ per-sim overrides) → a spec."""
        sim, _, variant = name.partition(".")
        return cls(sim, variant or "default", tuple(sorted((overrides or {}).get(sim, {}).items())))

    @property
    def name(self) -> str:
        return f"{self.sim}.{self.variant}"

    def effective_seed(self, info: SimInfo) -> int:
        return info.seed if self.seed is None else self.seed

    def inputs(self) -> dict[str, Any]:
        """Everything the trace depends on (its key is their hash; ``reel status --why`` compares them)."""
        info = sim_info(self.sim)
        libraries = sorted(third_party_imports(info.path) & VERSIONED_LIBRARIES)
        inputs = {
            "sources": source_closure(info.path),
            "sim": self.sim,
            "variant": self.variant,
            "overrides": dict(self.overrides),
            "seed": self.effective_seed(info),
            "versions": {name: package_version(name) for name in libraries},
        }
        device = dict(self.overrides).get("device", _device_default(info.path))
        if device is not None:  # a torch sim: the device it will really run on
            inputs["device"] = resolve_device(device)
        return inputs

    def key(self) -> str:
        return digest(self.inputs())


@dataclass
class TraceResult:
    spec: TraceSpec
    key: str
    path: Path
    cached: bool
    meta: dict[str, Any] = field(default_factory=dict)


class TraceStore:
    """Computes traces on demand and keeps them under ``cache/traces``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or cache_dir() / "traces"

    def paths(self, spec: TraceSpec, key: str) -> tuple[Path, Path]:
        stem = self.root / spec.name / key[:20]
        return stem.with_suffix(".npz"), stem.with_suffix(".json")

    def valid(self, npz: Path, meta_path: Path) -> dict[str, Any] | None:
        """The stored metadata if the trace is complete and undamaged, else None."""
        if not (npz.is_file() and meta_path.is_file()):
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("npz_sha256") != file_sha256(npz):
            return None
        return meta

    def is_cached(self, spec: TraceSpec) -> bool:
        return self.valid(*self.paths(spec, spec.key())) is not None

    def ensure(self, spec: TraceSpec, force: bool = False) -> TraceResult:
        """Return the stored trace for ``spec``, computing it if missing or damaged."""
        info = sim_info(spec.sim)
        if spec.variant not in info.variants:
            raise UsageError(f"{spec.sim} has no variant {spec.variant!r}; {closest(spec.variant, info.variants)}")
        key = spec.key()
        npz, meta_path = self.paths(spec, key)
        meta = None if force else self.valid(npz, meta_path)  # a cache hit needs no lock: read-only is fine
        cached = meta is not None
        if not cached:
            claim_output_root()
            npz.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(npz.with_suffix(".lock"))):
                meta = None if force else self.valid(npz, meta_path)  # a concurrent run may have made it
                cached = meta is not None
                if not cached:
                    meta = self._compute(spec, info, key, npz, meta_path)
        if not spec.overrides and spec.seed is None:
            self._index(spec.name, key, npz)
        return TraceResult(spec, key, npz, cached, meta)

    def adopt(self, spec: TraceSpec, key: str, npz_bytes: bytes, meta_text: str, force: bool = False) -> None:
        """Store a trace computed elsewhere (a Ray worker) under ``key``: the same files, lock and atomic writes
        as one computed here; its bytes must match the checksum in its metadata."""
        meta = json.loads(meta_text)
        if hashlib.sha256(npz_bytes).hexdigest() != meta.get("npz_sha256"):
            raise ComputeError(f"trace {spec.name}: the bytes that came back do not match their checksum")
        claim_output_root()
        npz, meta_path = self.paths(spec, key)
        npz.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(npz.with_suffix(".lock"))):
            if force or self.valid(npz, meta_path) is None:
                atomic_write(npz, lambda f: f.write(npz_bytes))
                atomic_write(meta_path, lambda f: f.write(meta_text.encode("utf-8")))
        if not spec.overrides and spec.seed is None:
            self._index(spec.name, key, npz)

    @property
    def index_path(self) -> Path:
        return self.root / "index.json"

    def _index(self, name: str, key: str, npz: Path) -> None:
        """Note the default-parameter trace of ``name`` in ``index.json``.

        A scene rendered with plain ``manim`` (not through the pipeline) finds its traces there; it
        cannot compute keys itself, because scenes never import the pipeline.
        """
        entry = {"npz": str(npz), "key": key}
        try:
            current = json.loads(self.index_path.read_text(encoding="utf-8")).get(name)
        except (OSError, ValueError):
            current = None
        if current == entry:
            return
        try:
            self._write_index(name, entry)
        except OSError:
            pass  # a read-only output folder: the index is a convenience for plain manim, not a need

    def _write_index(self, name: str, entry: dict[str, str]) -> None:
        with FileLock(str(self.index_path) + ".lock"):
            try:
                index = json.loads(self.index_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                index = {}
            if index.get(name) == entry:
                return
            index[name] = entry
            text = json.dumps(dict(sorted(index.items())), indent=1)
            atomic_write(self.index_path, lambda f: f.write(text.encode("utf-8")))

    def load(self, spec: TraceSpec) -> Trace:
        return Trace.load(self.ensure(spec).path)

    @staticmethod
    def params(spec: TraceSpec) -> Any:
        """The sim's ``Params`` for ``spec`` (variant + overrides); its own consistency checks run here.

        Called for every trace of a command before any is computed, so bad input stops all work.
        """
        info = sim_info(spec.sim)
        if spec.variant not in info.variants:
            raise UsageError(f"{spec.sim} has no variant {spec.variant!r}; {closest(spec.variant, info.variants)}")
        module = info.module()
        try:
            return dataclasses.replace(module.Params(), **{**module.VARIANTS[spec.variant], **dict(spec.overrides)})
        except (TypeError, ValueError) as exc:
            raise UsageError(f"bad parameters for {spec.name}: {exc}") from None

    def _compute(self, spec: TraceSpec, info: SimInfo, key: str, npz: Path, meta_path: Path) -> dict[str, Any]:
        module = info.module()
        params = self.params(spec)
        seed = spec.effective_seed(info)
        start = time.perf_counter()
        try:
            trace = module.run(params, seed)
        except Exception as exc:  # a failing sim must name itself
            raise ComputeError(f"sim {spec.name} failed: {type(exc).__name__}: {exc}") from exc
        wall = time.perf_counter() - start
        if spec.inputs()["sources"] != _LOADED_SOURCES.get(spec.sim):
            raise ComputeError(f"sim {spec.name}: its source (sims/{spec.sim}.py or a module it imports) changed after "
                               f"this process loaded it; nothing was stored, run the command again")
        atomic_write(npz, lambda f: np.savez_compressed(f, **trace.arrays))
        meta = {
            "sim": spec.sim,
            "variant": spec.variant,
            "key": key,
            "inputs": spec.inputs(),
            "params": dataclasses.asdict(params),
            "overrides": dict(spec.overrides),
            "seed": seed,
            "metrics": trace.metrics,
            "wall_s": round(wall, 4),
            "versions": {
                "python": platform.python_version(),
                "numpy": package_version("numpy"),
                "torch": package_version("torch"),
            },
            "arrays": {name: [str(a.dtype), list(a.shape)] for name, a in trace.arrays.items()},
            "npz_sha256": file_sha256(npz),
        }
        text = json.dumps(meta, ensure_ascii=False, indent=1, default=_json_default)
        atomic_write(meta_path, lambda f: f.write(text.encode("utf-8")))
        return meta


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
