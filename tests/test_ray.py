"""``--executor ray``: a chapter rendered on a local 2-CPU Ray matches the local pool's; a killed worker is retried.

Skipped when the ``ray`` extra is not installed (``pip install -e ".[ray]"``; ``make test`` installs it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, child_of, reel
from pipeline.media import probe
from screenlog import shared_trace_store

HAS_RAY = importlib.util.find_spec("ray") is not None
pytestmark = [pytest.mark.render, pytest.mark.xdist_group("test_ray"),
              pytest.mark.skipif(not HAS_RAY, reason='the ray extra is not installed (pip install -e ".[ray]")')]

CHAPTER = "ch02"  # one scene, one diagram figure: a video, two stills, a title card, a chapter video


def _records(output: Path) -> dict[str, dict]:
    """Every artifact's record (title cards too), by its path under the output root."""
    root = output / "cache" / "records"
    return {str(p.relative_to(root)): json.loads(p.read_text(encoding="utf-8")) for p in root.rglob("*.json")}


def _layout(path: Path) -> list[tuple]:
    """What a player sees of a file: each stream's codec, size, pixel format and frame rate."""
    return [(s["codec_type"], s["codec_name"], s.get("width"), s.get("height"), s.get("pix_fmt"), s.get("r_frame_rate"))
            for s in probe(path)["streams"]]


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[Path, Path, subprocess.CompletedProcess]:
    """The chapter rendered by the local pool and through Ray, into two output folders."""
    base = tmp_path_factory.mktemp("ray")
    local, remote = base / "local" / "output", base / "ray" / "output"
    for output in (local, remote):
        shared_trace_store(output)
    reel("render", CHAPTER, "-q", "l", "--jobs", "2", env={"REEL_OUTPUT": str(local)}, check=True)
    proc = reel("render", CHAPTER, "-q", "l", "--jobs", "2", "--executor", "ray", env={"REEL_OUTPUT": str(remote)},
                check=True)
    return local, remote, proc


def test_ray_started_locally_and_rendered_everything(both):
    _, _, proc = both
    assert "Ray started locally: 2 CPU(s)" in proc.stderr
    assert "4 render(s)" in proc.stdout and f"assembled {CHAPTER}" in proc.stdout


def test_ray_artifacts_have_the_local_keys_layout_and_durations(both):
    local, remote, _ = both
    mine, theirs = _records(local), _records(remote)
    assert mine.keys() == theirs.keys() and len(mine) == 5  # video, 2 stills, title card, chapter video
    for path, record in mine.items():
        other = theirs[path]
        assert other["key"] == record["key"], path
        assert other.get("duration_s") == pytest.approx(record.get("duration_s"), abs=0.07), path  # ≤ 1 frame
        assert _layout(remote / other["path"]) == _layout(local / record["path"]), path


def test_ray_run_publishes_the_same_manifest_entries(both):
    local, remote, _ = both
    entries = [{(a["kind"], a["path"], a["key"]) for a in json.loads((out / "manifest.json").read_text())["artifacts"]}
               for out in (local, remote)]
    assert entries[0] == entries[1]


def test_second_ray_run_does_no_work_and_starts_no_ray(both):
    _, remote, _ = both
    proc = reel("render", CHAPTER, "-q", "l", "--executor", "ray", env={"REEL_OUTPUT": str(remote)}, check=True)
    assert "0 render(s)" in proc.stdout and "0 trace(s) computed" in proc.stdout
    assert "Ray" not in proc.stderr  # a fresh job is never sent: no cluster was started for nothing


def _ray_task_pid(function: str, timeout: float) -> int | None:
    """The pid of a Ray worker while it runs ``function`` (Ray titles the process ``ray::<function>``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if (entry / "cmdline").read_bytes().startswith(f"ray::{function}".encode()):
                        return int(entry.name)
                except OSError:
                    continue
        time.sleep(0.05)
    return None


def test_a_killed_worker_is_retried_and_the_run_completes(tmp_path):
    output = tmp_path / "output"
    shared_trace_store(output)
    env = {**os.environ, "REEL_OUTPUT": str(output), "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "figure", f"{CHAPTER}.Fig_ForwardBackward",
                            "--executor", "ray", "--jobs", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        pid = _ray_task_pid("render_on_worker", timeout=120)
        assert pid is not None, "no Ray worker ever ran the render"
        manim = child_of(pid, timeout=60)
        assert manim is not None, "the task never started manim"
        os.kill(pid, signal.SIGKILL)  # mid-task: its manim is running; the task cannot have returned
        stdout, stderr = run.communicate(timeout=600)
    finally:
        run.kill()
    assert run.returncode == 0, stderr
    assert "1 render(s)" in stdout  # so the task ran again, on another worker
    assert not Path(f"/proc/{manim}").exists()  # the killed worker's manim died with it
    still = output / "figures" / CHAPTER / "Fig_ForwardBackward.png"
    assert [(s["width"], s["height"]) for s in probe(still)["streams"]] == [(1920, 1080)]


def test_unreachable_address_is_one_line_exit_2(tmp_path):
    proc = reel("render", CHAPTER, "--executor", "ray", "--address", "127.0.0.1:1",
                env={"REEL_OUTPUT": str(tmp_path / "o")})
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == ["error: cannot reach a Ray cluster at 127.0.0.1:1: Connection refused"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_address_joins_a_running_cluster(tmp_path):
    """`ray start --head` (token authentication, Ray's default) then `--address`: the cluster's CPUs do the work."""
    port = _free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "token"}
    ray_cli = Path(sys.executable).with_name("ray")
    head = subprocess.Popen([str(ray_cli), "start", "--head", "--block", f"--port={port}", "--num-cpus=1",
                             "--include-dashboard=false", "--disable-usage-stats"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        output = tmp_path / "output"
        shared_trace_store(output)
        proc = None
        for _ in range(60):  # the head takes a few seconds to listen
            proc = reel("figure", f"{CHAPTER}.Fig_ForwardBackward", "--executor", "ray", "--address",
                        f"127.0.0.1:{port}", env={"REEL_OUTPUT": str(output), "RAY_AUTH_MODE": "token"})
            if "cannot reach" not in proc.stderr:
                break
            time.sleep(1)
        assert proc.returncode == 0, proc.stderr
        assert f"Ray at 127.0.0.1:{port}: 1 CPU(s)" in proc.stderr and "1 render(s)" in proc.stdout
        assert (output / "figures" / CHAPTER / "Fig_ForwardBackward.png").is_file()
    finally:
        os.killpg(head.pid, signal.SIGTERM)  # `--block` stops the node's processes when it ends
        head.wait(timeout=60)


def test_sims_on_ray_store_the_trace_a_local_run_would(tmp_path):
    """`reel sims --executor ray`: the worker's trace is stored here under the same key, with the same metrics."""
    local, remote = ({"REEL_OUTPUT": str(tmp_path / name)} for name in ("local", "ray"))
    mine = json.loads(reel("sims", "perceptron.and", "--json", env=local, check=True).stdout)
    proc = reel("sims", "perceptron.and", "--json", "--executor", "ray", "--jobs", "1", env=remote, check=True)
    theirs = json.loads(proc.stdout)
    assert not theirs["cached"] and theirs["key"] == mine["key"] and theirs["metrics"] == mine["metrics"]
    again = json.loads(reel("sims", "perceptron.and", "--json", "--executor", "ray", env=remote, check=True).stdout)
    assert again["cached"]  # stored here: a second run sends nothing
