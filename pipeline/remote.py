"""``--executor ray``: every render and trace a Ray task, with the same keys, cache and manifest as the local pool.

The driver (this process) keeps everything that decides and records: it plans the jobs, skips the fresh ones
(a fresh job is never sent), holds the locks, checks what comes back and publishes it with the same atomic rename
and record as a local render (``pipeline.render.run_job``). A task needs no shared file system: the project's
source travels as Ray's ``working_dir`` package, the traces a scene reads travel as bytes, and the task returns
the files manim wrote (video or PNG, screen log, companion still), its log and its timings as bytes. A task whose
worker dies is retried by Ray (``max_retries``); a manim child dies with its worker (``PR_SET_PDEATHSIG``).

Without ``--address`` a private local Ray is started with ``--jobs`` CPUs (so it can be tried on one machine);
with ``--address`` the run joins an existing cluster whose nodes have the project's dependencies installed.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib.util
import json
import logging
import os
import signal
import socket
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock

from pipeline.errors import ComputeError, UsageError
from pipeline.paths import ROOT
from pipeline.render import (
    SIDE_FILES,
    RenderJob,
    TraceJob,
    clear_media,
    drop_movie_pieces,
    find_output,
    manim_command,
    timed_run,
)
from pipeline.traces import TraceSpec, TraceStore

__all__ = ["EXECUTORS", "RayExecutor", "check_executor", "ray_session", "render_on_worker", "trace_on_worker",
           "worker_scratch"]

EXECUTORS = ("local", "ray")
MAX_RETRIES = 3  # a task whose worker dies (killed, node lost) runs again up to this many times
LOG_BYTES = 200_000  # the end of a task's manim log that comes back
# what the project's source package leaves out (Ray also skips .git, .venv and what .gitignore names)
PACKAGE_EXCLUDES = ["output/", "docs/", "bench/", "tests/", "vendor/", "*.mp4", "*.png", "*.npz"]
# the variables a render reads; paths in them are rewritten for the worker
FORWARDED_ENV = ("REEL_THEME", "REEL_TITLECARD", "REEL_SCREENLOG", "REEL_STILL_OUT", "REEL_STILL_SIZE")


def check_executor(executor: str, address: str | None) -> None:
    """Bad choices stop the command before any work: an unknown executor, ``--address`` without ray, a missing
    ``ray`` extra, an address nothing answers at."""
    if executor not in EXECUTORS:
        raise UsageError(f"unknown executor {executor!r}; valid: {', '.join(EXECUTORS)}")
    if executor == "local":
        if address:
            raise UsageError("--address is for --executor ray (the local pool needs no address)")
        return
    where = _host_port(address) if address else None
    if importlib.util.find_spec("ray") is None:
        raise UsageError('--executor ray needs the ray extra: pip install -e ".[ray]"')
    if where:
        _check_reachable(address, *where)


def _host_port(address: str) -> tuple[str, int] | None:
    """``HOST:PORT`` or ``ray://HOST:PORT`` → (host, port); ``auto`` (the cluster ``ray start`` made here) → None."""
    if address == "auto":
        return None
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"bad --address {address!r}: expected HOST:PORT (e.g. 10.0.0.5:6379), ray://HOST:PORT or auto")
    return host, int(port)


def _check_reachable(address: str, host: str, port: int) -> None:
    """The address must accept a TCP connection (Ray itself would retry for a minute before failing)."""
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise UsageError(f"cannot reach a Ray cluster at {address}: {exc.strerror or exc}") from None


@contextmanager
def ray_session(address: str | None, cpus: int) -> Iterator["RayExecutor"]:
    """Start a local Ray with ``cpus`` CPUs (or join the cluster at ``address``), and shut it down after."""
    check_executor("ray", address)
    import ray

    runtime_env = {"working_dir": str(ROOT), "excludes": PACKAGE_EXCLUDES}
    quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR,
             "runtime_env": runtime_env}
    saved = os.environ.pop("RAY_ADDRESS", None) if not address else None
    try:
        if address:
            ray.init(address=address, **quiet)
        else:  # "local": a private instance, never a cluster someone started on this machine
            ray.init(address="local", num_cpus=cpus, object_store_memory=256 * 2**20, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        hint = ("; a cluster with token authentication (Ray's default since 2.59) needs RAY_AUTH_MODE=token here, and "
                "its token in RAY_AUTH_TOKEN or ~/.ray/auth_token" if address and not os.environ.get("RAY_AUTH_MODE")
                else "")
        raise UsageError(f"could not start Ray{f' at {address}' if address else ''}: {exc}{hint}") from None
    finally:
        if saved is not None:
            os.environ["RAY_ADDRESS"] = saved
    try:
        yield RayExecutor(ray, cpus if not address else int(ray.cluster_resources().get("CPU", 1)))
    finally:
        ray.shutdown()


class RayExecutor:
    """Renders and traces as Ray tasks (one CPU each); see the module's docstring."""

    def __init__(self, ray: Any, slots: int) -> None:
        self.ray = ray
        self.slots = max(1, slots)  # tasks in flight at once: the driver keeps this many threads waiting on them
        self._render = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(render_on_worker)
        self._trace = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(trace_on_worker)
        self._refs: dict[str, Any] = {}  # a trace file's sha256 → its bytes in the object store (sent once)
        self._lock = threading.Lock()
        self.sent_bytes = 0
        self.received_bytes = 0

    def run_manim(self, job: RenderJob, media_dir: Path, env: dict[str, str], log) -> tuple[int, float, float]:
        traces = json.loads(env.get("REEL_TRACES", "{}"))
        names = sorted(traces)
        request = {
            "label": job.label, "quality": job.quality, "still": job.still, "scene": job.scene,
            "module": str(job.module_path.resolve().relative_to(ROOT)), "media_name": f"{media_dir.parent.name}"
            f"-{media_dir.name}", "media_dir": str(media_dir), "trace_names": names,
            "env": {k: env[k] for k in FORWARDED_ENV if k in env},
        }
        refs = [self._trace_ref(Path(traces[n])) for n in names]
        result = self._get(self._render.remote(request, *refs), job.label)
        for relative, data in result["files"].items():
            target = media_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            self.received_bytes += len(data)
        log.write(result["log"])
        return result["returncode"], result["wall_s"], result["cpu_s"]

    def run_trace(self, trace: TraceJob) -> dict:
        return self.compute_trace(TraceSpec.from_name(trace.name, trace.overrides))

    def compute_trace(self, spec: TraceSpec, force: bool = False) -> dict:
        """Compute ``spec`` on a worker and store it here; a trace already stored (and not forced) is not sent."""
        store = TraceStore()
        key = spec.key()
        npz, meta_path = store.paths(spec, key)
        meta = None if force else store.valid(npz, meta_path)
        if meta is not None:
            return {"cached": True, "wall_s": meta.get("wall_s"), "key": key}
        device = spec.inputs().get("device")
        if device == "cuda" and not self.ray.cluster_resources().get("GPU"):
            raise UsageError(f"{spec.name} asks for cuda, but the Ray cluster has no GPU")
        request = {"sim": spec.sim, "variant": spec.variant, "overrides": list(spec.overrides), "seed": spec.seed}
        task = self._trace.options(num_gpus=1 if device == "cuda" else 0)
        result = self._get(task.remote(request), f"trace {spec.name}")
        if result.get("error"):
            raise (UsageError if result.get("usage") else ComputeError)(result["error"])
        if result["key"] != key:
            raise ComputeError(f"trace {spec.name}: the worker's key differs from this machine's (its source, library "
                               f"versions or device differ); nothing was stored")
        store.adopt(spec, key, result["npz"], result["meta"], force)
        self.received_bytes += len(result["npz"])
        return {"cached": False, "wall_s": json.loads(result["meta"]).get("wall_s"), "key": key}

    def _trace_ref(self, npz: Path) -> Any:
        """A stored trace (its arrays and its metadata) in the object store, put there once per run."""
        data = (npz.read_bytes(), npz.with_suffix(".json").read_bytes())
        digest = hashlib.sha256(data[0] + data[1]).hexdigest()
        with self._lock:
            if digest not in self._refs:
                self._refs[digest] = self.ray.put(data)
                self.sent_bytes += len(data[0]) + len(data[1])
            return self._refs[digest]

    def _get(self, ref: Any, label: str) -> dict:
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ComputeError(f"{label} failed on Ray ({type(exc).__name__}, after up to {MAX_RETRIES} retries): "
                               f"{reason}") from None


# ---- on the worker ----------------------------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the manim child: die when the Ray worker that started it dies (a killed task must not leave a render)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def worker_scratch() -> Path:
    """Node-local scratch: manim's Tex and text caches persist here between tasks of the same scene."""
    return Path(tempfile.gettempdir()) / f"reel-ray-{os.getuid()}"


def render_on_worker(request: dict, *trace_files: tuple[bytes, bytes]) -> dict:
    """One manim render on a Ray worker; returns the files it wrote, its log and its timings (all as bytes).

    ``trace_files``: per name in ``request["trace_names"]``, the trace's npz and its JSON metadata."""
    media = worker_scratch() / "media" / request["media_name"]
    media.mkdir(parents=True, exist_ok=True)
    with FileLock(str(media) + ".lock"), tempfile.TemporaryDirectory(dir=worker_scratch()) as scratch:
        traces = _unpack_traces(Path(scratch), request["trace_names"], trace_files)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "REEL_TRACES": json.dumps(traces),
               **{k: v.replace(request["media_dir"], str(media)) for k, v in request["env"].items()}}
        env.pop("REEL_OUTPUT", None)  # a render writes nothing outside its media folder
        clear_media(media)
        log_path = Path(scratch) / "manim.log"
        command = manim_command(request["quality"], request["still"], ROOT / request["module"], request["scene"], media)
        with open(log_path, "w", encoding="utf-8") as log:
            returncode, wall, cpu = timed_run(command, env, log, preexec_fn=_die_with_parent)
            files = _written_files(media, request, log) if returncode == 0 else {}
        drop_movie_pieces(media)
        text = log_path.read_text(encoding="utf-8", errors="replace")[-LOG_BYTES:]
        return {"returncode": returncode if files else 1, "wall_s": wall, "cpu_s": cpu, "log": text, "files": files}


def _unpack_traces(folder: Path, names: list[str], files: tuple[tuple[bytes, bytes], ...]) -> dict[str, str]:
    """Each trace's npz and metadata written into ``folder``; name → npz path, as ``REEL_TRACES`` wants it."""
    paths = {}
    for name, (npz, meta) in zip(names, files):
        path = folder / f"{name}.npz"
        path.write_bytes(npz)
        path.with_suffix(".json").write_bytes(meta)
        paths[name] = str(path)
    return paths


def _written_files(media: Path, request: dict, log) -> dict[str, bytes]:
    """What a finished render wrote, by path under its media folder (empty, and said in the log, if no output)."""
    try:
        produced = find_output(media, request["scene"], request["still"], request["label"])
    except ComputeError as exc:
        log.write(f"\n{exc}\n")
        return {}
    files = {str(produced.relative_to(media)): produced.read_bytes()}
    return files | {name: (media / name).read_bytes() for name in SIDE_FILES if (media / name).is_file()}


def trace_on_worker(request: dict) -> dict:
    """Compute one trace on a Ray worker, in a scratch store; returns its key, npz bytes and metadata."""
    spec = TraceSpec(request["sim"], request["variant"], tuple(tuple(item) for item in request["overrides"]),
                     request["seed"])
    worker_scratch().mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=worker_scratch()) as scratch:
        saved = os.environ.get("REEL_OUTPUT")
        os.environ["REEL_OUTPUT"] = scratch  # the store marks its output root: the scratch one, not the driver's
        try:
            result = TraceStore(Path(scratch) / "traces").ensure(spec, force=True)
        except UsageError as exc:
            return {"error": str(exc), "usage": True}
        except ComputeError as exc:
            return {"error": str(exc), "usage": False}
        finally:
            if saved is None:
                os.environ.pop("REEL_OUTPUT", None)
            else:
                os.environ["REEL_OUTPUT"] = saved
        return {"key": result.key, "npz": result.path.read_bytes(),
                "meta": result.path.with_suffix(".json").read_text(encoding="utf-8")}
