"""How close `reel render` gets to the floor of this machine, against plain manim, in one run.

    nice -n 10 .venv/bin/python bench/render_speed.py [TARGET ...] [-q m] [--jobs N]

Renders the chosen targets (default: every implemented scene and figure) with ``--force`` into a
private output folder, then the same scenes the way a manim user would without reel: one ``manim
render`` per chapter file (naming its scenes), one file after another (videos only, at the same
quality). Prints per job: seconds of video, wall, CPU, CPU-seconds per second of video; and for the
run: wall, Σ job wall, cores, the longest job and the efficiency ``max(Σ job CPU / cores, longest
job) / wall``, then the ratio to the peer. Numbers come from the render records (the manifest's
source), which keep each render's wall and CPU time.

With ``--keep DIR`` from an earlier run, both reel and the peer find their Tex/Text caches warm (as an editor's
second render would); in a fresh folder both typeset everything once.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.registry import resolve_targets  # noqa: E402
from pipeline.render import QUALITIES  # noqa: E402


def reel_run(targets: list[str], quality: str, jobs: int, output: Path) -> tuple[float, float, list[dict]]:
    """reel's wall seconds, the CPU seconds of all its processes (jobs, fork servers, joins, planning), and
    the records of the renders it made."""
    env = {**os.environ, "REEL_OUTPUT": str(output)}
    traces = sorted({t for e in resolve_targets(targets, ("scene", "figure")) for t in e.traces})
    subprocess.run([sys.executable, "-m", "pipeline.cli", "sims", *traces, "--quiet"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # traces first: this measures rendering
    start, started_at, cpu_before = time.perf_counter(), time.time(), _children_cpu()
    subprocess.run([sys.executable, "-m", "pipeline.cli", "render", *targets, "-q", quality, "--jobs", str(jobs),
                    "--force", "--quiet"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    wall, everything = time.perf_counter() - start, _children_cpu() - cpu_before
    # every record this run wrote, title cards included (the manifest lists only deliverables); a kept folder
    # also holds records of earlier runs at other qualities, which are not this run's
    records = [json.loads(p.read_text()) for p in (output / "cache" / "records").rglob("*.json")
               if p.stat().st_mtime >= started_at]
    return wall, everything, [r for r in records if r.get("theme", "dark") == env.get("REEL_THEME", "dark")]


def peer_run(targets: list[str], quality: str, output: Path) -> tuple[float, float]:
    """One plain ``manim render FILE SCENE...`` per chapter file, sequentially, reading the traces through the
    store's index; its wall and CPU seconds (manim encodes in a thread of its own, so one render can keep more than
    one core busy)."""
    env = {**os.environ, "REEL_OUTPUT": str(output)}
    env.pop("REEL_TRACES", None)
    files: dict[Path, list[str]] = {}
    for entry in resolve_targets(targets, ("scene",)):
        files.setdefault(entry.path, []).append(entry.name)
    start, cpu_before = time.perf_counter(), _children_cpu()
    for path, scenes in files.items():
        subprocess.run([sys.executable, "-m", "manim", "render", f"-q{quality}", "--media_dir",
                        str(output / "peer-media"), "--progress_bar", "none", "-v", "WARNING", str(path), *scenes],
                       cwd=output, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(wall: float, artifacts: list[dict], cores: int, peer: float, peer_cpu: float,
           everything: float | None = None) -> None:
    jobs = [a for a in artifacts if "wall_s" in a]
    print(f"{'job':<36} {'video s':>8} {'wall s':>8} {'CPU s':>8} {'CPU s / video s':>16}")
    for a in sorted(jobs, key=lambda a: -a["wall_s"]):
        video = a.get("duration_s")
        per = f"{a['cpu_s'] / video:16.2f}" if video else f"{'(still)':>16}"
        name = f"ch{a['chapter']:02d}.{a.get('scene', a['kind'])}" + (" still" if a["kind"] == "figure" else "")
        print(f"{name:<36} {video or 0:8.1f} {a['wall_s']:8.1f} {a['cpu_s']:8.1f} {per}")
    cpu, longest = sum(a["cpu_s"] for a in jobs), max(a["wall_s"] for a in jobs)
    print(f"\nrun wall {wall:.1f} s; Σ job wall {sum(a['wall_s'] for a in jobs):.1f} s; Σ job CPU {cpu:.1f} s; "
          f"cores {cores}; longest job {longest:.1f} s")
    print(f"efficiency max(Σ CPU / cores, longest) / wall = {max(cpu / cores, longest) / wall:.2f}")
    if everything is not None:  # what the job records do not hold: planning, fork servers' imports, joins, probes
        print(f"CPU of all reel's processes {everything:.1f} s: the jobs {cpu:.1f} s, "
              f"the rest {everything - cpu:.1f} s")
    print(f"plain manim, one file after another (videos only): {peer:.1f} s wall, {peer_cpu:.1f} s CPU "
          f"({peer_cpu / peer:.2f} cores busy); reel / peer = {wall / peer:.2f}")
    scenes = sum(a["cpu_s"] for a in jobs if a["kind"] == "scene")
    print(f"CPU of the same scene videos: reel {scenes:.1f} s, peer {peer_cpu:.1f} s ({scenes / peer_cpu:.2f}); "
          f"stills, title cards and figures add {cpu - scenes:.1f} s that the peer does not make")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*")
    parser.add_argument("-q", "--quality", default="m", choices=sorted(QUALITIES))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--keep", type=Path, help="keep reel's output (and its records) in this folder, e.g. for "
                        "bench/ray_vs_local.py --plan-only --records DIR")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="reel-bench-") as tmp:
        output = args.keep.resolve() if args.keep else Path(tmp) / "reel"
        wall, everything, artifacts = reel_run(args.targets, args.quality, args.jobs, output)
        peer, peer_cpu = peer_run(args.targets, args.quality, output)
    report(wall, artifacts, args.jobs, peer, peer_cpu, everything)


if __name__ == "__main__":
    main()
