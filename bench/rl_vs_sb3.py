"""Our PPO and DQN (``sims/ppo.py``, ``sims/dqn.py``) against stable-baselines3 on CartPole-v1.

Both libraries train in this one process, one torch thread each, seed by seed (ours then
SB3's, so load drift on the machine hits both alike). SB3 uses the rl-baselines3-zoo
CartPole-v1 hyper-parameters and its full budget (the zoo has no early stopping); ours
uses its defaults, which stop once the greedy policy passes the early-stop check. Every
model is then scored by the same deterministic 20-episode evaluation
(``sims.torch_rl.evaluate``: greedy actions, episode i reset with seed 1_000_000 + i);
"solved" = mean return ≥ 475.

Wall time is training only: ``model.learn`` for SB3, ``train_wall_s`` for ours (which
includes our early-stop checks); building nets and envs is excluded on both sides.

    .venv/bin/pip install stable-baselines3        # the optional `bench` extra
    nice -n 10 .venv/bin/python bench/rl_vs_sb3.py --seeds 0-9 --algo both

A seed that fails still ends in bounded time: ours stops at its ``total_steps`` cap (100k env
steps for both algorithms), SB3 at its fixed zoo budget. The summary reports each library's
success count, median and worst wall time (the worst is what an unlucky seed costs).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sims import dqn, ppo, torch_rl  # noqa: E402


@dataclass
class Result:
    wall_s: float
    env_steps: int
    eval_mean: float

    @property
    def solved(self) -> bool:
        return self.eval_mean >= torch_rl.SOLVED_RETURN


def ours(algo: str, seed: int, early_stop: bool) -> Result:
    module = ppo if algo == "ppo" else dqn
    m = module.run(module.Params(device="cpu", stop_when_solved=early_stop), seed).metrics
    return Result(m["train_wall_s"], m["env_steps"], m["eval_mean_return"])


def sb3(algo: str, seed: int) -> Result:
    from stable_baselines3 import DQN, PPO
    from stable_baselines3.common.env_util import make_vec_env

    torch.set_num_threads(1)
    if algo == "ppo":  # rl-baselines3-zoo hyperparams/ppo.yml, CartPole-v1
        env = make_vec_env("CartPole-v1", n_envs=8, seed=seed)
        budget = 100_000
        model = PPO(
            "MlpPolicy",
            env,
            n_steps=32,
            batch_size=256,
            gae_lambda=0.8,
            gamma=0.98,
            n_epochs=20,
            ent_coef=0.0,
            learning_rate=lambda f: 1e-3 * f,
            clip_range=lambda f: 0.2 * f,
            seed=seed,
            device="cpu",
            verbose=0,
        )
    else:  # rl-baselines3-zoo hyperparams/dqn.yml, CartPole-v1
        env = make_vec_env("CartPole-v1", n_envs=1, seed=seed)
        budget = 50_000
        model = DQN(
            "MlpPolicy",
            env,
            learning_rate=2.3e-3,
            batch_size=64,
            buffer_size=100_000,
            learning_starts=1000,
            gamma=0.99,
            target_update_interval=10,
            train_freq=256,
            gradient_steps=128,
            exploration_fraction=0.16,
            exploration_final_eps=0.04,
            policy_kwargs=dict(net_arch=[256, 256]),
            seed=seed,
            device="cpu",
            verbose=0,
        )
    t0 = time.perf_counter()
    model.learn(total_timesteps=budget)
    wall = time.perf_counter() - t0
    returns = torch_rl.evaluate(lambda obs: model.predict(obs, deterministic=True)[0])
    env.close()
    return Result(wall, int(model.num_timesteps), float(returns.mean()))


def summary(label: str, results: list[Result]) -> str:
    """One line per library: success count, median and worst wall time, and the worst evaluation."""
    walls = [r.wall_s for r in results]
    worst = max(results, key=lambda r: r.wall_s)
    return (f"| {label} | {sum(r.solved for r in results)}/{len(results)} | {np.median(walls):.2f} | "
            f"{worst.wall_s:.2f} ({worst.env_steps} steps, eval {worst.eval_mean:.1f}) | "
            f"{min(r.eval_mean for r in results):.1f} | {sum(walls):.1f} |")


def bench(algo: str, seeds: list[int], early_stop: bool) -> None:
    print(f"\n### {algo.upper()}\n")
    print(
        "| seed | ours wall s | ours env steps | ours eval | ours solved "
        "| SB3 wall s | SB3 env steps | SB3 eval | SB3 solved | wall ours/SB3 |"
    )
    print("|---:|---:|---:|---:|:---:|---:|---:|---:|:---:|---:|")
    rows = []
    for seed in seeds:
        a, b = ours(algo, seed, early_stop), sb3(algo, seed)
        rows.append((a, b))
        print(
            f"| {seed} | {a.wall_s:.2f} | {a.env_steps} | {a.eval_mean:.1f} | {'yes' if a.solved else 'no'} "
            f"| {b.wall_s:.2f} | {b.env_steps} | {b.eval_mean:.1f} | {'yes' if b.solved else 'no'} "
            f"| {a.wall_s / b.wall_s:.3f} |",
            flush=True,
        )
    mine, theirs = [a for a, _ in rows], [b for _, b in rows]
    print("\n| library | solved | median wall s | worst wall s (its steps, eval) | worst eval | Σ wall s |")
    print("|---|---:|---:|---|---:|---:|")
    print(summary("ours", mine))
    print(summary("SB3", theirs))
    wa, wb = float(np.median([a.wall_s for a in mine])), float(np.median([b.wall_s for b in theirs]))
    worst_a, worst_b = max(a.wall_s for a in mine), max(b.wall_s for b in theirs)
    print(
        f"\nmedian wall ours/SB3 = {wa / wb:.3f}; worst wall ours/SB3 = {worst_a / worst_b:.3f}; "
        f"median of per-seed ratios = {float(np.median([a.wall_s / b.wall_s for a, b in rows])):.3f}"
    )


def parse_seeds(text: str) -> list[int]:
    """``0-9`` → 0…9; ``0,3,5`` → those; both may be mixed (``0-4,7``)."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds += list(range(int(low), int(high) + 1)) if high else [int(low)]
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0-9", help="training seeds: a range 0-9 or a list 0,1,2")
    parser.add_argument("--algo", choices=["ppo", "dqn", "both"], default="both")
    parser.add_argument("--no-early-stop", action="store_true", help="run ours for its whole budget too")
    args = parser.parse_args()
    try:
        import stable_baselines3
    except ImportError:
        sys.exit("stable-baselines3 is missing: .venv/bin/pip install stable-baselines3")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)  # pay its one-time import cost outside the timings
    seeds = parse_seeds(args.seeds)
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"stable-baselines3 {stable_baselines3.__version__}, {platform.processor() or platform.machine()}, "
        f"torch threads {torch.get_num_threads()}, early stop (ours) {not args.no_early_stop}"
    )
    for algo in ["ppo", "dqn"] if args.algo == "both" else [args.algo]:
        bench(algo, seeds, early_stop=not args.no_early_stop)


if __name__ == "__main__":
    main()
