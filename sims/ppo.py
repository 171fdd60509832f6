"""PPO with the clipped objective and GAE on CartPole-v1 (book chapter 14).

One file, CleanRL-style: the hyper-parameters sit in ``Params``; ``train`` is a flat
loop of rollout → GAE → a few epochs of clipped-surrogate minibatch updates, and it
records, per iteration, what the chapter plots: returns, entropy, clip fraction,
approximate KL, the losses and a histogram of the probability ratio π/π_old.

Speed (one CPU thread): the rollout acts with a numpy copy of the actor (torch's
per-call overhead would dominate 8 observations at a time); values and old
log-probabilities are computed once per rollout in one batched forward pass.

Early stopping: with ``stop_when_solved`` the run checks the greedy policy with the
deterministic 20-episode evaluation (on its own seeds) whenever the recent training
returns look good, and stops at the first pass. The reported result is always a
fresh 20-episode evaluation on the final-evaluation seeds; the checks count towards
``train_wall_s``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from sims import torch_rl
from sims.torch_setup import torch_session
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run", "gae"]


@dataclass(frozen=True)
class Params:
    total_steps: int = 100_000  # env-step budget over all envs; the lr anneals to 0 over it
    num_envs: int = 8  # CartPole copies in the sync vector env
    num_steps: int = 64  # steps per env per rollout; batch = num_envs * num_steps
    hidden: int = 64  # width of the two tanh hidden layers of actor and of critic
    lr: float = 5e-3  # Adam learning rate at the start (linear decay)
    gamma: float = 0.99  # discount γ
    gae_lambda: float = 0.95  # GAE λ: bias/variance knob of the advantage
    update_epochs: int = 4  # passes over each rollout
    minibatch_size: int = 128  # samples per gradient step (about; the batch is split evenly)
    clip_coef: float = 0.2  # ε of the clipped surrogate: ratio kept in [1-ε, 1+ε]
    ent_coef: float = 0.0  # entropy bonus weight
    vf_coef: float = 0.5  # value-loss weight
    max_grad_norm: float = 0.5  # global gradient-norm clip
    stop_when_solved: bool = True  # stop once the deterministic check says solved
    check_above: float = 200.0  # check after an iteration if one of the last 10 training episodes scored this
    ratio_bins: int = 40  # histogram bins of π/π_old over [0, 2] (ends absorb the tails)
    device: str = "auto"  # auto | cpu | cuda

    def __post_init__(self) -> None:
        if min(self.total_steps, self.num_envs, self.num_steps, self.update_epochs, self.minibatch_size) < 1:
            raise ValueError("budgets, sizes and epochs must be ≥ 1")


VARIANTS = {"default": {}}
RANGES = {
    "total_steps": "[1, 1000000]",  # 10× the default budget
    "num_envs": "[1, 64]",
    # ≥ 4 and minibatch_size ≥ 4: advantages are normalised per minibatch, and a minibatch of one
    # sample has no standard deviation (NaN); np.array_split may cut a minibatch a little smaller
    # than asked and a rollout loses its reset steps, so these keep every minibatch at ≥ 2 samples
    "num_steps": "[4, 4096]",
    "hidden": "[1, 1024]",
    "lr": "(0, inf)",
    "gamma": "[0, 1]",
    "gae_lambda": "[0, 1]",
    "update_epochs": "[1, 100]",
    "minibatch_size": "[4, 65536]",
    "clip_coef": "(0, 1)",
    "ent_coef": "[0, inf)",
    "vf_coef": "[0, inf)",
    "max_grad_norm": "(0, inf)",
    "check_above": "[0, 500]",  # a CartPole-v1 return
    "ratio_bins": "[1, 1000]",
    "device": {"auto", "cpu", "cuda"},
}
SEED = 0
RATIO_MAX = 2.0  # upper edge of the ratio histogram


def sample_actions(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of ``logits`` (inverse CDF on a uniform)."""
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    cdf = np.cumsum(p, axis=1)
    u = rng.random((len(logits), 1)) * cdf[:, -1:]
    return (u > cdf[:, :-1]).sum(axis=1)


def gae(
    rewards: np.ndarray, values: np.ndarray, terminated: np.ndarray, done: np.ndarray, gamma: float, lam: float
) -> np.ndarray:
    """Generalized advantage estimates A_t of a (T, N) rollout; ``values`` has T + 1 rows.

    δ_t = r_t + γ V(s_{t+1}) (0 if terminated) − V(s_t), A_t = δ_t + γλ A_{t+1} (0 after a done).
    After a done the next row is a reset step, so the recursion is cut there; a truncated
    (time-limit) episode still bootstraps from V(final obs) = values[t + 1].
    """
    adv = np.zeros(rewards.shape, dtype=np.float32)
    last = np.zeros(rewards.shape[1], dtype=np.float32)
    for t in reversed(range(len(rewards))):
        delta = rewards[t] + gamma * values[t + 1] * ~terminated[t] - values[t]
        last = delta + gamma * lam * ~done[t] * last
        adv[t] = last
    return adv


def greedy_policy(actor: nn.Sequential) -> Callable[[np.ndarray], np.ndarray]:
    """argmax of the actor's logits, run through its numpy twin (cheap for evaluation)."""
    logits = torch_rl.numpy_mlp(actor)
    return lambda obs: logits(obs).argmax(1)


def run(params: Params, seed: int = SEED) -> Trace:
    """Train PPO on CartPole-v1 and record the learning curves per iteration."""
    with torch_session(params.device, seed) as device:
        return train(params, seed, device)


def train(p: Params, seed: int, device: torch.device) -> Trace:
    """The whole run, top to bottom: nets, then rollout → GAE → clipped updates per iteration."""
    rng = np.random.default_rng(seed)
    envs, obs = torch_rl.make_envs(p.num_envs, seed)
    n_obs, n_act = envs.single_observation_space.shape[0], int(envs.single_action_space.n)
    actor = torch_rl.mlp([n_obs, p.hidden, p.hidden, n_act], nn.Tanh, out_gain=0.01).to(device)
    critic = torch_rl.mlp([n_obs, p.hidden, p.hidden, 1], nn.Tanh, out_gain=1.0).to(device)
    net_params = list(actor.parameters()) + list(critic.parameters())
    optimizer = torch.optim.Adam(net_params, lr=p.lr, eps=1e-5, fused=True)

    T, N = p.num_steps, p.num_envs
    obs_buf = np.zeros((T + 1, N, n_obs), dtype=np.float32)  # row T: the observation after the rollout
    act_buf = np.zeros((T, N), dtype=np.int64)
    rew_buf = np.zeros((T, N), dtype=np.float32)
    term_buf = np.zeros((T, N), dtype=bool)
    done_buf = np.zeros((T, N), dtype=bool)
    valid_buf = np.zeros((T, N), dtype=bool)
    episodes = torch_rl.EpisodeLog(N)
    hist_edges = np.linspace(0.0, RATIO_MAX, p.ratio_bins + 1)

    untrained_obs, untrained_act = torch_rl.record_episode(greedy_policy(actor))
    log: dict[str, list] = defaultdict(list)  # per-iteration curves
    stopper = torch_rl.EarlyStop(p.stop_when_solved, p.check_above)
    env_step, grad_steps = 0, 0
    n_iters = max(1, p.total_steps // (T * N))
    t0 = time.perf_counter()
    for iteration in range(n_iters):
        lr_now = p.lr * (1.0 - iteration / n_iters)
        for group in optimizer.param_groups:
            group["lr"] = lr_now
        n_episodes_before = len(episodes.returns)

        # Rollout: act in numpy; the policy is fixed for the whole rollout.
        act = torch_rl.numpy_mlp(actor)
        for t in range(T):
            obs_buf[t] = obs
            valid_buf[t] = episodes.valid  # False: this step only resets a finished env (NEXT_STEP)
            actions = sample_actions(act(obs), rng)
            obs, reward, terminated, truncated, _ = envs.step(actions)
            env_step += N
            act_buf[t], rew_buf[t], term_buf[t], done_buf[t] = actions, reward, terminated, terminated | truncated
            episodes.update(reward, terminated, truncated, env_step)
        obs_buf[T] = obs

        # Values of every observation, including the last; old log-probs of the taken actions.
        obs_t = torch.as_tensor(obs_buf, device=device)
        act_t = torch.as_tensor(act_buf, device=device)
        with torch.no_grad():
            values = critic(obs_t).squeeze(-1).cpu().numpy()
            logp_old = torch.log_softmax(actor(obs_t[:T]), -1).gather(-1, act_t[..., None]).squeeze(-1)

        adv = gae(rew_buf, values, term_buf, done_buf, p.gamma, p.gae_lambda)
        returns = adv + values[:T]

        # Flatten and drop the reset steps: they are not transitions.
        keep_np = np.flatnonzero(valid_buf.reshape(-1))
        keep = torch.as_tensor(keep_np, device=device)
        b_obs = obs_t[:T].reshape(-1, n_obs)[keep]
        b_act = act_t.reshape(-1)[keep]
        b_logp = logp_old.reshape(-1)[keep]
        b_adv = torch.as_tensor(adv.reshape(-1), device=device)[keep]
        b_ret = torch.as_tensor(returns.reshape(-1), device=device)[keep]
        n = len(keep_np)
        n_mb = max(1, round(n / p.minibatch_size))

        clip_fracs, v_losses, pg_losses = [], [], []
        for _ in range(p.update_epochs):
            for mb_np in np.array_split(rng.permutation(n), n_mb):
                mb = torch.as_tensor(mb_np, device=device)
                logp_all = torch.log_softmax(actor(b_obs[mb]), -1)
                logp = logp_all.gather(1, b_act[mb, None]).squeeze(1)
                ratio = torch.exp(logp - b_logp[mb])
                mb_adv = b_adv[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = -torch.min(ratio * mb_adv, ratio.clamp(1 - p.clip_coef, 1 + p.clip_coef) * mb_adv).mean()
                v_loss = 0.5 * (critic(b_obs[mb]).squeeze(1) - b_ret[mb]).square().mean()
                loss = pg_loss + p.vf_coef * v_loss
                if p.ent_coef:  # skipped at the default 0: a few ops less per step
                    loss = loss + p.ent_coef * (logp_all.exp() * logp_all).sum(-1).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(net_params, p.max_grad_norm, foreach=True)
                optimizer.step()
                with torch.no_grad():
                    clip_fracs.append(((ratio - 1).abs() > p.clip_coef).float().mean())
                v_losses.append(v_loss.detach())
                pg_losses.append(pg_loss.detach())
                grad_steps += 1

        # How far the policy moved this iteration, on the whole batch.
        with torch.no_grad():
            logp_all = torch.log_softmax(actor(b_obs), -1)
            log_ratio = logp_all.gather(1, b_act[:, None]).squeeze(1) - b_logp
            ratio = log_ratio.exp()
            approx_kl = ((ratio - 1) - log_ratio).mean()  # the k3 estimator of KL(π_old ‖ π)
            entropy = -(logp_all.exp() * logp_all).sum(-1).mean()
        ratio_np = ratio.cpu().numpy().clip(0.0, RATIO_MAX)
        ret_np, val_np = returns.reshape(-1)[keep_np], values[:T].reshape(-1)[keep_np]
        new_returns = episodes.returns[n_episodes_before:]
        log["env_step"].append(env_step)
        log["lr"].append(lr_now)
        log["mean_return"].append(np.mean(new_returns) if new_returns else np.nan)
        log["entropy"].append(entropy.item())
        log["clip_frac"].append(torch.stack(clip_fracs).mean().item())
        log["approx_kl"].append(approx_kl.item())
        log["value_loss"].append(torch.stack(v_losses).mean().item())
        log["policy_loss"].append(torch.stack(pg_losses).mean().item())
        log["explained_var"].append(1.0 - np.var(ret_np - val_np) / (np.var(ret_np) + 1e-8))
        log["ratio_hist"].append(np.histogram(ratio_np, bins=hist_edges)[0])

        if stopper.should_stop(episodes.returns[-10:], env_step, lambda: greedy_policy(actor)):
            break
    train_wall_s = time.perf_counter() - t0
    envs.close()

    eval_returns = torch_rl.evaluate(greedy_policy(actor))
    trained_obs, trained_act = torch_rl.record_episode(greedy_policy(actor))
    with torch.no_grad():
        probe_logits = actor(torch.as_tensor(torch_rl.PROBE_STATES, device=device))
        probe_pi = torch.softmax(probe_logits, -1).cpu().numpy()

    trace = Trace()
    trace.add(
        iter_env_step=np.array(log["env_step"], dtype=np.int64),
        iter_lr=np.array(log["lr"]),
        iter_mean_return=np.array(log["mean_return"]),
        iter_entropy=np.array(log["entropy"]),
        iter_clip_frac=np.array(log["clip_frac"]),
        iter_approx_kl=np.array(log["approx_kl"]),
        iter_value_loss=np.array(log["value_loss"]),
        iter_policy_loss=np.array(log["policy_loss"]),
        iter_explained_var=np.array(log["explained_var"]),
        ratio_hist=np.array(log["ratio_hist"], dtype=np.int64),
        ratio_edges=hist_edges,
        episode_return=np.array(episodes.returns),
        episode_end_step=np.array(episodes.end_steps, dtype=np.int64),
        check_env_step=np.array(stopper.steps, dtype=np.int64),
        eval_returns=eval_returns,
        probe_states=torch_rl.PROBE_STATES,
        probe_pi=probe_pi,
        untrained_obs=untrained_obs,  # one greedy episode before any update, and one after training
        untrained_act=untrained_act,
        trained_obs=trained_obs,
        trained_act=trained_act,
        cartpole_geometry=torch_rl.cartpole_geometry(),
    )
    trace.metrics = {
        **torch_rl.run_metrics(eval_returns, env_step, train_wall_s, stopper, episodes, device),
        "iterations": len(log["env_step"]),
        "gradient_steps": grad_steps,
    }
    return trace
