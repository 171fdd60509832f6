"""The editor's loop: `reel figure SCENE` right after an edit of that scene, and a no-op `reel render`.

    nice -n 10 .venv/bin/python bench/edit_loop.py [TARGET ...] [--output DIR] [--repeat N]
    nice -n 10 .venv/bin/python bench/edit_loop.py --noop [--output DIR] [-q l] [--repeat N]

Edit mode (default targets: ch02.Backprop, ch08.QKVAttention, ch12.ValueDiffusion). The project's
``pipeline/``, ``scenes/`` and ``sims/`` are copied to a temporary tree, so nobody's checkout is
touched. For each target: ``reel figure TARGET --force`` once, so traces and manim's caches are as an
editor has them, then a harmless edit - one comment line appended to the scene's module, which changes
the still's key as any edit of the scene does - and ``reel figure TARGET`` again, timed (wall and CPU of
the whole command, children included). Its cost is then split into phases: reel's own start-up and
planning (timed in a process of its own), the render (from the still's record: reel forks it from a
process that has imported manim already, ``pipeline.forkserver``), and, from a second, instrumented run
of the same manim command as a process of its own: interpreter and manim import (which reel's fork
server pays once per command, not per render), manim's CLI and the scene module's import, ``setup()``,
``construct()``, ``tear_down()`` and the final frame (drawing and the PNG).

No-op mode: ``reel render -q Q`` over the whole book, which must find everything fresh and do no
work; prints its wall and CPU time. The output folder must hold a full render at that quality
(``REEL_OUTPUT=DIR reel render -q l`` once).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TARGETS = ["ch02.Backprop", "ch08.QKVAttention", "ch12.ValueDiffusion"]
PACKAGES = ("pipeline", "scenes", "sims")


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cmd``; its wall seconds, CPU seconds (its own and its children's) and stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def copy_tree(source: Path, dest: Path) -> Path:
    """The project's code in a folder of its own (sources keep their mtimes, so their bytecode stays valid)."""
    for package in PACKAGES:
        shutil.copytree(source / package, dest / package, ignore=shutil.ignore_patterns("*.lock"))
    return dest


def reel(*args: str) -> list[str]:
    """The command line, run in the copy: `python -m` puts the copy first on sys.path, ahead of the editable
    install of the checkout."""
    return [sys.executable, "-m", "pipeline.cli", *args]


# --- the instrumented manim run -----------------------------------------------------------------------------------
def child_phases(out: Path, manim_args: list[str]) -> None:
    """Run manim as ``python -m manim`` would, noting the wall and CPU time at each phase boundary."""
    stamps: list[tuple[str, float, float]] = [("python up", time.time(), time.process_time())]

    def stamp(name: str) -> None:
        stamps.append((name, time.time(), time.process_time()))

    import manim  # noqa: F401
    from manim.renderer.cairo_renderer import CairoRenderer
    from manim.scene.scene import Scene

    stamp("manim imported")
    render, finished = Scene.render, CairoRenderer.scene_finished

    def scene_render(self: Scene, *args: object, **kwargs: object) -> object:
        stamp("scene module imported, scene made")
        setup, construct, tear_down = self.setup, self.construct, self.tear_down

        def timed_setup() -> None:
            setup()
            stamp("setup()")

        def timed_construct() -> None:
            construct()
            stamp("construct()")

        def timed_tear_down() -> None:
            tear_down()
            stamp("tear_down()")

        self.setup, self.construct, self.tear_down = timed_setup, timed_construct, timed_tear_down
        return render(self, *args, **kwargs)

    def scene_finished(self: CairoRenderer, scene: Scene) -> None:
        finished(self, scene)
        stamp("last frame drawn and saved")

    Scene.render, CairoRenderer.scene_finished = scene_render, scene_finished
    sys.argv = ["manim", *manim_args]
    try:
        runpy.run_module("manim", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    finally:
        stamp("manim done")
        out.write_text(json.dumps(stamps), encoding="utf-8")


def probe(target: str) -> None:
    """(In a process of its own, in the copied tree.) What ``reel figure TARGET`` does before it starts
    manim: reel's imports, the targets, trace keys and checks, the still's key and freshness. Prints the
    manim command it would run, as JSON."""
    sys.path.insert(0, os.getcwd())
    import pipeline.cli  # noqa: F401  (what the command line imports first)
    from pipeline import render
    from pipeline.build import plan_traces
    from pipeline.registry import resolve_targets

    (entry,) = resolve_targets([target], kinds=("scene", "figure"))
    traces, _ = plan_traces(entry.traces, {})
    job = render.still_job(entry, {n: traces[n] for n in entry.traces})
    job.fresh
    media = render._media_dir(job)
    if hasattr(render, "manim_command"):
        cmd = render.manim_command(job.quality, job.still, job.module_path, job.scene, media)
    else:  # the name before the Ray executor
        cmd = render._manim_command(job, media)
    print(json.dumps({"manim_args": cmd[3:], "env": job.env}))


def manim_phases(tree: Path, manim: dict, env: dict[str, str]) -> list[tuple[str, float, float]]:
    """Phases of the manim process that ``reel figure TARGET`` runs: the same command, instrumented."""
    with tempfile.TemporaryDirectory(prefix="reel-phases-") as tmp:
        stamps_file = Path(tmp) / "stamps.json"
        child_env = {**env, **manim["env"], "PYTHONPATH": str(tree), "REEL_SCREENLOG": str(Path(tmp) / "screen.json")}
        start = time.time()
        subprocess.run([sys.executable, __file__, "--child-phases", str(stamps_file), "--", *manim["manim_args"]],
                       cwd=tree, env=child_env, check=True, capture_output=True)
        stamps = json.loads(stamps_file.read_text(encoding="utf-8"))
    phases, wall_before, cpu_before = [], start, 0.0
    for name, wall, cpu in stamps:
        phases.append((name, wall - wall_before, cpu - cpu_before))
        wall_before, cpu_before = wall, cpu
    return phases


def still_record(output: Path, target: str) -> dict:
    chapter, _, scene = target.partition(".")
    found = list((output / "cache" / "records" / "figures" / chapter).glob(f"{scene}.png.json"))
    return json.loads(found[0].read_text(encoding="utf-8")) if found else {}


def edit_loop(targets: list[str], output: Path, repeat: int, source: Path) -> None:
    env = {**os.environ, "REEL_OUTPUT": str(output)}
    env.pop("REEL_TRACES", None)
    with tempfile.TemporaryDirectory(prefix="reel-edit-loop-") as tmp:
        tree = copy_tree(source, Path(tmp))
        sys.path.insert(0, str(tree))
        from pipeline.registry import resolve_targets

        for target in targets:
            (entry,) = resolve_targets([target], kinds=("scene", "figure"))
            module = entry.path  # in the copy
            timed(reel("figure", target, "--force", "--quiet"), tree, env)  # warm: traces, Tex and SVG caches
            print(f"\n{target} ({module.relative_to(tree)}), {load()}")
            for n in range(repeat):
                with open(module, "a", encoding="utf-8") as f:
                    f.write(f"# edit-loop {time.time_ns()}\n")
                wall, cpu, out = timed(reel("figure", target, "--quiet"), tree, env)
                if "1 render(s)" not in out:
                    sys.exit(f"{target}: the edit did not make the still stale: {out.strip()}")
                record = still_record(output, target)
                print(f"  reel figure after an edit: {wall:6.2f} s wall, {cpu:6.2f} s CPU "
                      f"(of which the forked render {record.get('wall_s', 0):.2f} s wall, "
                      f"{record.get('cpu_s', 0):.2f} s CPU)")
            plan_wall, plan_cpu, out = timed([sys.executable, __file__, "--probe", target], tree, env)
            print(f"  phases: reel start-up and planning {plan_wall:5.2f} s wall {plan_cpu:5.2f} s CPU "
                  f"(own process); the manim process, instrumented:")
            for name, wall, cpu in manim_phases(tree, json.loads(out), env):
                print(f"    {name:<36} {wall:6.2f} s wall {cpu:6.2f} s CPU")


def noop(output: Path, quality: str, repeat: int, source: Path) -> None:
    env = {**os.environ, "REEL_OUTPUT": str(output)}
    env.pop("REEL_TRACES", None)
    print(f"no-op `reel render -q {quality}` over the whole book in {output}, {load()}")
    for _ in range(repeat):
        wall, cpu, out = timed(reel("render", "-q", quality, "--quiet"), source, env)
        print(f"  {wall:6.2f} s wall, {cpu:6.2f} s CPU: {out.strip()}")
        if " 0 render(s)" not in f" {out}" or not out.startswith("0 trace(s) computed"):
            sys.exit("not a no-op: render the book into this output folder first")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child-phases":
        child_phases(Path(sys.argv[2]), sys.argv[4:])
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--probe":
        probe(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=DEFAULT_TARGETS)
    parser.add_argument("--output", type=Path, default=Path(tempfile.gettempdir()) / "reel-edit-loop" / "output",
                        help="REEL_OUTPUT to use (traces are computed there if missing)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--source", type=Path, default=ROOT, help="the project folder whose code is measured")
    parser.add_argument("--noop", action="store_true", help="time a no-op `reel render` instead")
    parser.add_argument("-q", "--quality", default="l", help="--noop: the quality rendered before")
    args = parser.parse_args()
    if args.noop:
        noop(args.output, args.quality, args.repeat, args.source)
    else:
        edit_loop(args.targets, args.output, args.repeat, args.source)


if __name__ == "__main__":
    main()
