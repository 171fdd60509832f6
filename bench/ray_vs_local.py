"""The local process pool against ``--executor ray`` on this machine, in one run; then a plan for N Ray workers.

    nice -n 10 .venv/bin/python bench/ray_vs_local.py [TARGET ...] [-q l] [--jobs 2]
    .venv/bin/python bench/ray_vs_local.py --plan-only --records OUTPUT   # the plan from an earlier run's records

Both executors render the same targets with ``--force`` into private output folders (traces computed first, so
this measures rendering). Printed per executor: wall, peak memory of the whole process tree (driver, manim
children; Ray's GCS, raylet and workers), and Ray's start-up cost. Then, from the records of every job (wall
and CPU seconds, bytes of the traces each job reads and of what it returns), the expected wall time of the same
set for N Ray workers, bounded below by the longest job, and the worker count that would bring it under a budget.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.registry import resolve_targets  # noqa: E402
from pipeline.remote import worker_scratch  # noqa: E402
from pipeline.render import QUALITIES  # noqa: E402

RAY_START = re.compile(r"Ray started locally: \d+ CPU\(s\) \(([\d.]+) s\)")


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and every process below it (Ray's local services are children of the driver)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(stat[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def timed_cli(args: list[str], output: Path) -> tuple[float, int, str]:
    """Run ``reel ARGS``; its wall seconds, peak resident bytes of its process tree, and its stderr."""
    env = {**os.environ, "REEL_OUTPUT": str(output)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"reel {' '.join(args)} failed:\n{stderr}")
    return wall, peak[0], stderr


def records(output: Path) -> list[dict]:
    """Every timed job's record (title cards included), with the bytes of the traces it read."""
    found = []
    for path in (output / "cache" / "records").rglob("*.json"):
        record = json.loads(path.read_text(encoding="utf-8"))
        if "wall_s" not in record:
            continue
        traces = record.get("inputs", {}).get("traces", {})
        record["trace_bytes"] = sum(_trace_bytes(output, name, key) for name, key in traces.items())
        found.append(record)
    return found


def _trace_bytes(output: Path, name: str, key: str) -> int:
    stem = output / "cache" / "traces" / name / key[:20]
    return sum(p.stat().st_size for p in (stem.with_suffix(".npz"), stem.with_suffix(".json")) if p.is_file())


def measure(targets: list[str], quality: str, jobs: int, base: Path) -> list[dict]:
    traces = sorted({t for e in resolve_targets(targets, ("scene", "figure")) for t in e.traces})
    runs = []
    for executor in ("local", "ray"):
        output = base / executor
        subprocess.run([sys.executable, "-m", "pipeline.cli", "sims", *traces, "--quiet"], cwd=ROOT, check=True,
                       env={**os.environ, "REEL_OUTPUT": str(output)}, stdout=subprocess.DEVNULL)
        shutil.rmtree(worker_scratch() / "media", ignore_errors=True)  # both start with cold Tex caches
        args = ["render", *targets, "-q", quality, "--jobs", str(jobs), "--force", "--executor", executor]
        wall, peak, stderr = timed_cli(args, output)
        started = RAY_START.search(stderr)
        runs.append({"executor": executor, "wall": wall, "peak": peak, "start": float(started[1]) if started else 0.0,
                     "records": records(output)})
    return runs


def print_measured(runs: list[dict], jobs: int) -> None:
    print(f"| executor ({jobs} CPUs) | wall | Ray start-up | peak memory (process tree) | Σ job CPU | jobs |")
    print("|---|---:|---:|---:|---:|---:|")
    for run in runs:
        cpu = sum(r["cpu_s"] for r in run["records"])
        start = f"{run['start']:.1f} s" if run["executor"] == "ray" else "–"
        print(f"| {run['executor']} | {run['wall']:.1f} s | {start} | {run['peak'] / 2**20:.0f} MiB | {cpu:.0f} s | "
              f"{len(run['records'])} |")
    local, ray = runs
    print(f"\nray / local wall: {ray['wall'] / local['wall']:.2f}")


def print_plan(jobs: list[dict], budget_s: float, startup_s: float) -> None:
    """Expected wall for N one-CPU workers: the jobs' total CPU spread over N, never below the longest job; plus
    start-up. A job's cost is its CPU time (manim draws on one core), which a busy machine inflates less than wall."""
    cpu = sum(r["cpu_s"] for r in jobs)
    longest = max(jobs, key=lambda r: r["cpu_s"])
    name = f"ch{longest['chapter']:02d}.{longest.get('scene', longest['kind'])}"
    print(f"\n{len(jobs)} jobs, Σ CPU {cpu:.0f} s, longest {name} {longest['cpu_s']:.0f} CPU-s; "
          f"start-up {startup_s:.0f} s per run")
    print("| workers | expected wall | bound by |")
    print("|---:|---:|---|")
    for n in (1, 2, 4, 8, 16, 32, 64):
        spread = cpu / n
        print(f"| {n} | {max(spread, longest['cpu_s']) + startup_s:.0f} s | "
              f"{'Σ CPU / N' if spread >= longest['cpu_s'] else 'the longest job'} |")
    need = math.ceil(cpu / max(budget_s - startup_s, 1))
    verdict = ("possible" if longest["cpu_s"] + startup_s <= budget_s else
               f"not possible by adding workers: the longest job alone takes {longest['cpu_s']:.0f} s")
    print(f"under {budget_s:.0f} s: ≥ {need} workers; {verdict}")
    traces_in = [r["trace_bytes"] for r in jobs]
    out = [r["bytes"] for r in jobs]
    median = len(jobs) // 2
    print(f"per job over the network: traces in median {_mib(sorted(traces_in)[median])}, max {_mib(max(traces_in))}; "
          f"artifact out median {_mib(sorted(out)[median])}, max {_mib(max(out))}; "
          f"in all {_mib(sum(traces_in))} in, {_mib(sum(out))} out (+ the source package once per node)")


def _mib(n: float) -> str:
    return f"{n / 2**20:.2f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=["ch02", "ch03"])
    parser.add_argument("-q", "--quality", default="l", choices=sorted(QUALITIES))
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--budget", type=float, default=300.0, help="target wall seconds for the plan")
    parser.add_argument("--plan-only", action="store_true", help="no renders: plan from --records")
    parser.add_argument("--records", type=Path, help="an output folder whose records the plan uses")
    args = parser.parse_args()
    if args.plan_only:
        print_plan(records(args.records), args.budget, startup_s=6.0)
        return
    with tempfile.TemporaryDirectory(prefix="reel-ray-bench-") as tmp:
        runs = measure(args.targets, args.quality, args.jobs, Path(tmp))
    print_measured(runs, args.jobs)
    print_plan(runs[1]["records"], args.budget, runs[1]["start"])


if __name__ == "__main__":
    main()
