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
    nice -n 10 .venv/bin/python bench/rl_vs_sb3.py --seeds 0,1,2,3,4 --algo both
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
    med = lambda xs: float(np.median(xs))  # noqa: E731
    wa, wb = med([a.wall_s for a, _ in rows]), med([b.wall_s for _, b in rows])
    print(
        f"| median | {wa:.2f} | {med([a.env_steps for a, _ in rows]):.0f} | "
        f"{med([a.eval_mean for a, _ in rows]):.1f} | {sum(a.solved for a, _ in rows)}/{len(rows)} "
        f"| {wb:.2f} | {med([b.env_steps for _, b in rows]):.0f} | {med([b.eval_mean for _, b in rows]):.1f} "
        f"| {sum(b.solved for _, b in rows)}/{len(rows)} | {wa / wb:.3f} |"
    )
    print(
        f"\nmedian wall ours/SB3 = {wa / wb:.3f}; median of per-seed ratios = "
        f"{med([a.wall_s / b.wall_s for a, b in rows]):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated training seeds")
    parser.add_argument("--algo", choices=["ppo", "dqn", "both"], default="both")
    parser.add_argument("--no-early-stop", action="store_true", help="run ours for its whole budget too")
    args = parser.parse_args()
    try:
        import stable_baselines3
    except ImportError:
        sys.exit("stable-baselines3 is missing: .venv/bin/pip install stable-baselines3")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True, warn_only=True)  # pay its one-time import cost outside the timings
    seeds = [int(s) for s in args.seeds.split(",")]
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, "
        f"stable-baselines3 {stable_baselines3.__version__}, {platform.processor() or platform.machine()}, "
        f"torch threads {torch.get_num_threads()}, early stop (ours) {not args.no_early_stop}"
    )
    for algo in ["ppo", "dqn"] if args.algo == "both" else [args.algo]:
        bench(algo, seeds, early_stop=not args.no_early_stop)


if __name__ == "__main__":
    main()
