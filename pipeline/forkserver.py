"""A warm manim process that forks one child per render, so no render pays manim's import again.

``python -m manim`` spends ≈0.8 CPU-s importing manim (scipy, PIL, av, cairo, pango) before it draws
anything: 60 renders of the book pay it 60 times. A fork server imports manim once and, for each
render, forks a child that runs manim's own command line (``manim render ...``) with the job's
environment and log. Every render is still a process of its own: a crash or a leak stays in it, and
its CPU time is its own (``wait4``). Only manim is imported in advance; the scene modules and the
book's kit, which read ``REEL_*`` settings when imported, are imported by the child, after it has
taken the job's environment.

The driver talks to the server in JSON lines over the server's stdin and stdout:
``{"args": [...], "env": {...}, "log": PATH}`` in, ``{"rc": N, "wall_s": S, "cpu_s": C}`` out.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["ForkServer", "ForkServerError"]

PR_SET_PDEATHSIG = 1  # prctl(2)


class ForkServerError(RuntimeError):
    """The server could not start, or died."""


class ForkServer:
    """One warm manim process; ``run`` renders one job at a time (one server per worker thread)."""

    def __init__(self, cwd: Path) -> None:
        self._errors = tempfile.TemporaryFile()  # a file, not a pipe: nothing the server prints can block it
        self._proc = subprocess.Popen([sys.executable, "-m", "pipeline.forkserver"], cwd=cwd, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._errors, text=True, bufsize=1)
        hello = self._proc.stdout.readline()
        if not hello.startswith('{"ready"'):
            self.close()
            raise ForkServerError(f"the manim fork server did not start: {self._stderr_tail() or hello!r}")

    def run(self, args: list[str], env: dict[str, str], log: Path) -> tuple[int, float, float]:
        """Run ``manim <args>`` in a forked child with ``env``, its output appended to ``log``; returns its exit
        status, wall seconds and CPU seconds."""
        try:
            self._proc.stdin.write(json.dumps({"args": args, "env": env, "log": str(log)}) + "\n")
            answer = self._proc.stdout.readline()
        except (BrokenPipeError, OSError):
            answer = ""
        if not answer:
            self.close()
            raise ForkServerError(f"the manim fork server died: {self._stderr_tail() or 'no message'}")
        done = json.loads(answer)
        return done["rc"], done["wall_s"], done["cpu_s"]

    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        """End the server (closing its stdin ends it; a child still running dies with it)."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()

    def _stderr_tail(self) -> str:
        """The last lines the server printed, once it has ended."""
        if self._proc.poll() is None:
            return ""
        self._errors.seek(0)
        lines = [line.strip() for line in self._errors.read().decode(errors="replace").splitlines() if line.strip()]
        errors = [line for line in lines if "Error" in line]  # a traceback's last line, or Python's fatal error
        return errors[-1] if errors else " ".join(lines[-3:])


# --- the server side --------------------------------------------------------------------------------------------
def _die_with_parent() -> None:
    """SIGKILL this process when its parent dies, so nothing renders on for a run that is gone."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _child(request: dict, manim_main) -> None:
    """In the forked child: take the job's environment, stdin and log, run manim's CLI, and exit with its status."""
    code = 1
    try:
        _die_with_parent()
        os.environ.clear()
        os.environ.update(request["env"])
        devnull = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(devnull, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.argv = ["manim", *request["args"]]
        try:
            manim_main(args=request["args"], prog_name="manim")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # printed into the job's log, like an uncaught error in `python -m manim`
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _render(request: dict, manim_main, channel) -> dict:
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        channel.close()
        _child(request, manim_main)
    _, status, usage = os.wait4(pid, 0)
    return {"rc": os.waitstatus_to_exitcode(status), "wall_s": time.perf_counter() - start,
            "cpu_s": usage.ru_utime + usage.ru_stime}


def serve() -> None:
    """Import manim, say ready, then one forked render per request until stdin closes."""
    _die_with_parent()
    channel = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # whatever an import prints must not mix with the answers
    from manim.__main__ import main as manim_main

    channel.write(json.dumps({"ready": True, "pid": os.getpid()}) + "\n")
    for line in sys.stdin:
        sys.stdout.flush()
        sys.stderr.flush()  # nothing buffered here may be written twice by a child
        channel.write(json.dumps(_render(json.loads(line), manim_main, channel)) + "\n")


if __name__ == "__main__":
    serve()
