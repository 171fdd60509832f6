"""Renders fork from a warm manim process: same files as a plain ``python -m manim``, each job its own process,
nothing left running when the run is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, child_of, reel
from pipeline.forkserver import ForkServer, ForkServerError
from pipeline.registry import chapter_by_tag
from pipeline.render import LocalExecutor, manim_args, run_job, titlecard_job


def _card(tag: str):
    return titlecard_job(chapter_by_tag(tag), "l")


def test_a_forked_render_makes_the_same_file_as_a_plain_process(out):
    forked = LocalExecutor()
    try:
        first = run_job(_card("ch01"), executor=forked)
        other = run_job(_card("ch02"), executor=forked)  # the same server: each job takes its own environment
    finally:
        forked.close()
    made = {tag: _card(tag).artifact.read_bytes() for tag in ("ch01", "ch02")}
    plain = run_job(_card("ch01"), recheck=False, executor=LocalExecutor(fork=False))
    assert _card("ch01").artifact.read_bytes() == made["ch01"]
    assert made["ch01"] != made["ch02"]
    assert plain["sha256"] == first["sha256"] != other["sha256"]
    assert 0 < first["cpu_s"] and 0 < first["wall_s"]  # the child's own times, from wait4 in the server


def test_an_error_in_a_forked_render_is_its_exit_status_and_log(tmp_path):
    scene = tmp_path / "boom.py"
    scene.write_text("from manim import Scene\n\nclass Boom(Scene):\n    def construct(self):\n"
                     "        raise RuntimeError('the scene broke here')\n")
    log = tmp_path / "boom.log"
    server = ForkServer(ROOT)
    try:
        status, _, _ = server.run(manim_args("l", False, scene, "Boom", tmp_path / "media"), dict(os.environ), log)
        assert status != 0
        assert "the scene broke here" in log.read_text()
        status, _, _ = server.run(["--version"], dict(os.environ), log)  # the server lives on
        assert status == 0 and "Manim Community" in log.read_text()
    finally:
        server.close()


def test_a_dead_server_fails_its_job_and_the_next_job_gets_a_new_one(tmp_path):
    executor = LocalExecutor()
    try:
        first = executor._server()
        first._proc.kill()
        first._proc.wait()
        with pytest.raises(ForkServerError, match="died"):
            first.run(["--version"], dict(os.environ), tmp_path / "log")
        second = executor._server()
        assert second is not first and second.alive
    finally:
        executor.close()


def _process_tree(root: int) -> set[int]:
    """``root`` and every process below it, now."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return tree


def _forkserver_of(parent: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _process_tree(parent) - {parent}:
            try:
                if b"pipeline.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                continue
        time.sleep(0.05)
    return None


@pytest.mark.render
def test_killing_reel_ends_its_renders(out):
    """SIGKILL to `reel` alone (not its process group, as a crash or an OOM kill would): the fork server and the
    render it forked die with it, instead of rendering on for nobody."""
    reel("sims", "perceptron.and", "--quiet", check=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REEL_OUTPUT": str(out)}
    run = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "render", "ch01.PerceptronLine", "-q", "l",
                            "--quiet"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        server = _forkserver_of(run.pid, timeout=120)
        assert server is not None, "reel started no fork server"
        assert child_of(server, timeout=60) is not None, "the server forked no render"
        below = _process_tree(run.pid) - {run.pid}
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in below):
            time.sleep(0.05)
        alive = [pid for pid in below if Path(f"/proc/{pid}/stat").exists()
                 and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
        assert not alive, f"still running after reel was killed: {alive}"
    finally:
        os.killpg(run.pid, signal.SIGKILL) if run.poll() is None else None


def test_a_server_that_cannot_start_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONHOME", str(tmp_path))  # no standard library there: Python itself cannot start
    with pytest.raises(ForkServerError, match="did not start.*ModuleNotFoundError"):
        ForkServer(ROOT)


def test_without_a_server_jobs_run_as_plain_processes(out, monkeypatch):
    from pipeline import render

    def broken(cwd):
        raise ForkServerError("no server today")

    monkeypatch.setattr(render, "ForkServer", broken)
    plain: list[list[str]] = []
    timed_run = render.timed_run
    monkeypatch.setattr(render, "timed_run", lambda cmd, *a, **k: plain.append(cmd) or timed_run(cmd, *a, **k))
    executor = LocalExecutor()
    try:
        record = run_job(_card("ch01"), executor=executor)
    finally:
        executor.close()
    assert record["cpu_s"] > 0
    assert plain and plain[0][1:3] == ["-m", "manim"]
