"""REINFORCE on the 7-cell corridor of chapter 14, with and without a baseline.

The book's ``code/13_reinforce_policy_gradient.py``: tabular softmax logits
θ[s] over (left, right), start in cell 0, +1 for reaching cell 6, −0.05 for
every other step, and the printed update

    adv = G[t] − (baseline[s] if use_baseline else 0)
    θ[s] += lr · adv · (e_a − softmax(θ[s]))

The book states none of the hyper-parameters (BOOK_SPEC S2 #24). We pin
lr 0.1, γ 0.99, 1000 episodes, a 50-step cap, a per-state baseline that tracks
G by an exponential average with rate 0.05 (updated after the policy step),
actions drawn with ``rng.choice(2, p=π)`` and a fresh ``default_rng(seed)``
for each of the two runs. These reproduce the first-100 averages exactly and
come within 0.0015 of the last-100 ones.

The BaselineVariance measurement freezes the no-baseline policy after a few
episodes, samples many episodes from it, and computes each episode's gradient
estimate Σ_t ∇log π(a_t|s_t)·w_t twice: with w = G (raw) and with w = G − V(s)
(advantage, V the frozen policy's exact value). Both have the same mean — the
exact expected gradient, computed here too — while the spread shrinks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.softmax import softmax
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run"]

LEFT, RIGHT = 0, 1


@dataclass(frozen=True)
class Params:
    length: int = 7  # corridor cells 0…6; 6 is the goal
    goal_reward: float = 1.0  # reaching the rightmost cell
    step_reward: float = -0.05  # every other step
    lr: float = 0.1  # policy step size (not stated in the book)
    gamma: float = 0.99  # discount inside G_t (not stated)
    episodes: int = 1000  # per run (not stated; ≥ 200 since the book averages 2×100)
    max_steps: int = 50  # episode cap (not stated)
    baseline_rate: float = 0.05  # b(s) += rate·(G − b(s)) after each step (not stated)
    avg_window: int = 100  # the book's "前100局 / 末100局"
    frozen_episode: int = 100  # BaselineVariance: freeze the no-baseline policy after this many episodes
    variance_episodes: int = 2000  # BaselineVariance: episodes sampled from the frozen policy

    def __post_init__(self) -> None:
        if self.length < 3 or self.episodes < self.avg_window or not 0 <= self.gamma <= 1:
            raise ValueError("need length ≥ 3, episodes ≥ avg_window and 0 ≤ γ ≤ 1")
        if not 0 <= self.frozen_episode <= self.episodes or self.variance_episodes < 2:
            raise ValueError("need 0 ≤ frozen_episode ≤ episodes and variance_episodes ≥ 2")
        if self.max_steps < self.length - 1:  # no return would depend on the actions: a zero gradient
            raise ValueError(f"max_steps={self.max_steps} must be ≥ length − 1 = {self.length - 1}: "
                             "the goal must be reachable within an episode")


VARIANTS = {"default": {}}
RANGES = {
    "length": "[3, 100]",
    "goal_reward": "(0, 100]",  # the goal pays: with no positive reward every return could be 0
    "step_reward": "[-100, 0]",
    "lr": "(0, inf)",
    "gamma": "[0, 1]",
    "episodes": "[2, 50000]",  # and ≥ avg_window (checked in Params); 1000 take ~1.4 s
    "max_steps": "[2, 10000]",  # and ≥ length − 1, or the goal is out of reach (checked in Params)
    "baseline_rate": "(0, 1]",
    "avg_window": "[2, 50000]",  # ≥ 2: the spread of the last window's mean uses ddof=1
    "frozen_episode": "[0, 50000]",  # and ≤ episodes (checked in Params)
    "variance_episodes": "[2, 100000]",
}
SEED = 0


def step(s: int, a: int, p: Params) -> tuple[int, float, bool]:
    """Move one cell (the left wall stops you); the goal pays +1 instead of the step cost."""
    s2 = max(s - 1, 0) if a == LEFT else s + 1
    done = s2 == p.length - 1
    return s2, (p.goal_reward if done else p.step_reward), done


def rollout(
    theta: np.ndarray, p: Params, rng: np.random.Generator
) -> tuple[list[int], list[int], list[float]]:
    """One episode from cell 0 under softmax(θ): states, actions, rewards."""
    s, states, actions, rewards = 0, [], [], []
    for _ in range(p.max_steps):
        a = int(rng.choice(2, p=softmax(theta[s])))
        s2, r, done = step(s, a, p)
        states.append(s), actions.append(a), rewards.append(r)
        s = s2
        if done:
            break
    return states, actions, rewards


def returns_to_go(rewards: list[float], gamma: float) -> np.ndarray:
    g, out = 0.0, np.zeros(len(rewards))
    for t in reversed(range(len(rewards))):
        g = rewards[t] + gamma * g
        out[t] = g
    return out


def train(p: Params, use_baseline: bool, seed: int) -> dict[str, np.ndarray]:
    """One REINFORCE run; records π(right|s) after every episode and every step's (s, a, G, adv)."""
    rng = np.random.default_rng(seed)
    theta = np.zeros((p.length, 2))
    baseline = np.zeros(p.length)
    n = p.length - 1  # non-terminal cells
    pi_right = np.zeros((p.episodes + 1, n))
    pi_right[0] = softmax(theta[:n])[:, RIGHT]
    returns, lengths = np.zeros(p.episodes), np.zeros(p.episodes, dtype=np.int32)
    steps, frozen = [], theta.copy()
    for ep in range(p.episodes):
        if ep == p.frozen_episode:
            frozen = theta.copy()
        states, actions, rewards = rollout(theta, p, rng)
        g = returns_to_go(rewards, p.gamma)
        for t, (s, a) in enumerate(zip(states, actions)):
            adv = g[t] - (baseline[s] if use_baseline else 0.0)
            grad = -softmax(theta[s])
            pi_before = -grad[RIGHT]
            grad[a] += 1.0  # ∇_θ[s] log π(a|s) = e_a − softmax(θ[s])
            theta[s] += p.lr * adv * grad
            if use_baseline:
                baseline[s] += p.baseline_rate * (g[t] - baseline[s])
            steps.append((ep, t, s, a, rewards[t], g[t], adv, pi_before, softmax(theta[s])[RIGHT]))
        returns[ep], lengths[ep] = sum(rewards), len(rewards)
        pi_right[ep + 1] = softmax(theta[:n])[:, RIGHT]
    if p.frozen_episode == p.episodes:
        frozen = theta.copy()
    return {"pi_right": pi_right, "returns": returns, "lengths": lengths, "steps": np.array(steps),
            "theta": theta, "baseline": baseline, "frozen": frozen}


def exact_values(theta: np.ndarray, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """V^π(s) and Q^π(s, a) of a fixed policy without the cap (a linear solve)."""
    n = p.length - 1
    pi = softmax(theta[:n])
    trans, reward = np.zeros((n, n)), np.zeros(n)
    for s in range(n):
        for a in (LEFT, RIGHT):
            s2, r, done = step(s, a, p)
            reward[s] += pi[s, a] * r
            if not done:
                trans[s, s2] += pi[s, a]
    v = np.linalg.solve(np.eye(n) - p.gamma * trans, reward)
    q = np.zeros((n, 2))
    for s in range(n):
        for a in (LEFT, RIGHT):
            s2, r, done = step(s, a, p)
            q[s, a] = r + (0.0 if done else p.gamma * v[s2])
    return v, q


def expected_gradient(theta: np.ndarray, p: Params) -> np.ndarray:
    """E[Σ_t ∇log π(a_t|s_t)·G_t] with the cap, by dynamic programming over (time, cell).

    Returns the right-logit component per cell (the left one is its negative).
    """
    n = p.length - 1
    pi = softmax(theta[:n])
    # q_h[s, a]: expected discounted return with h steps left, after taking a in s
    v_h, q_left = np.zeros(n), []
    for _ in range(p.max_steps):
        q = np.zeros((n, 2))
        for s in range(n):
            for a in (LEFT, RIGHT):
                s2, r, done = step(s, a, p)
                q[s, a] = r + (0.0 if done else p.gamma * v_h[s2])
        q_left.append(q)
        v_h = (pi * q).sum(axis=1)
    mu, grad = np.eye(n)[0], np.zeros(n)  # μ_t(s): probability of being in s at step t
    for t in range(p.max_steps):
        q = q_left[p.max_steps - 1 - t]
        # right-logit component of Σ_a π(a|s)(e_a − π)·Q(s,a) = π_R π_L (Q_R − Q_L)
        grad += mu * pi[:, RIGHT] * pi[:, LEFT] * (q[:, RIGHT] - q[:, LEFT])
        nxt = np.zeros(n)
        for s in range(n):
            for a in (LEFT, RIGHT):
                s2, _, done = step(s, a, p)
                if not done:
                    nxt[s2] += mu[s] * pi[s, a]
        mu = nxt
    return grad


def gradient_samples(theta: np.ndarray, p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-episode REINFORCE estimates from a frozen policy, with raw returns and with advantages."""
    n = p.length - 1
    v, _ = exact_values(theta, p)
    pi = softmax(theta[:n])
    raw, adv, steps = np.zeros((p.variance_episodes, n)), np.zeros((p.variance_episodes, n)), []
    for m in range(p.variance_episodes):
        states, actions, rewards = rollout(theta, p, rng)
        g = returns_to_go(rewards, p.gamma)
        for t, (s, a) in enumerate(zip(states, actions)):
            score = (1.0 if a == RIGHT else 0.0) - pi[s, RIGHT]  # right-logit part of e_a − π
            raw[m, s] += score * g[t]
            adv[m, s] += score * (g[t] - v[s])
            steps.append((m, s, a, g[t], v[s], g[t] - v[s]))
    return {"raw": raw, "adv": adv, "steps": np.array(steps), "v": v, "pi_right": pi[:, RIGHT]}


def greedy_arrows(theta: np.ndarray) -> str:
    """The book's policy string for cells 0 … length − 2, e.g. "→→→→→→"."""
    return "".join("→" if t[RIGHT] > t[LEFT] else "←" for t in theta[:-1])


def run(params: Params, seed: int = SEED) -> Trace:
    """Both training runs, then the baseline-variance measurement on a frozen snapshot."""
    plain = train(params, use_baseline=False, seed=seed)
    based = train(params, use_baseline=True, seed=seed)
    sample = gradient_samples(plain["frozen"], params, np.random.default_rng([seed, 1]))
    exact = expected_gradient(plain["frozen"], params)
    raw, adv = sample["raw"], sample["adv"]
    # the left-logit components mirror the right ones, so the 12-dim variance is twice this sum
    var_raw, var_adv = 2 * raw.var(axis=0, ddof=1).sum(), 2 * adv.var(axis=0, ddof=1).sum()
    direction = exact / np.linalg.norm(exact)

    trace = Trace()
    for name, res in (("plain", plain), ("baseline", based)):
        steps = res["steps"]
        trace.add(**{
            f"{name}_pi_right": res["pi_right"],  # (episodes + 1, 6): π(→|s) at start, after each episode
            f"{name}_returns": res["returns"],
            f"{name}_lengths": res["lengths"],
            f"{name}_step_episode": steps[:, 0].astype(np.int32),
            f"{name}_step_t": steps[:, 1].astype(np.int32),
            f"{name}_step_state": steps[:, 2].astype(np.int8),
            f"{name}_step_action": steps[:, 3].astype(np.int8),
            f"{name}_step_reward": steps[:, 4].astype(np.float32),
            f"{name}_step_return": steps[:, 5].astype(np.float32),
            f"{name}_step_adv": steps[:, 6].astype(np.float32),
            f"{name}_step_pi_before": steps[:, 7],  # π(→|s) of the step's state just before its update
            f"{name}_step_pi_after": steps[:, 8],  # … and just after
            f"{name}_theta": res["theta"],
        })
    steps = sample["steps"]
    trace.add(
        learned_baseline=based["baseline"],  # b(s) at the end of the baseline run
        frozen_theta=plain["frozen"],
        frozen_pi_right=sample["pi_right"],
        frozen_v=sample["v"],  # the baseline b(s) = V^π(s) of the frozen policy
        grad_raw=raw,  # (M, 6) right-logit part of each episode's estimate, w = G
        grad_adv=adv,  # (M, 6) the same episodes, w = G − V(s)
        grad_exact=exact,
        proj_raw=raw @ direction,  # each estimate projected on the true gradient direction
        proj_adv=adv @ direction,
        var_step_episode=steps[:, 0].astype(np.int32),
        var_step_state=steps[:, 1].astype(np.int8),
        var_step_action=steps[:, 2].astype(np.int8),
        var_step_return=steps[:, 3].astype(np.float32),
        var_step_baseline=steps[:, 4].astype(np.float32),
        var_step_adv=steps[:, 5].astype(np.float32),
    )
    w = params.avg_window
    se = np.sqrt(raw.var(axis=0, ddof=1) / len(raw) + adv.var(axis=0, ddof=1) / len(adv))
    trace.metrics = {
        "plain_first_avg": float(plain["returns"][:w].mean()),
        "plain_last_avg": float(plain["returns"][-w:].mean()),
        "baseline_first_avg": float(based["returns"][:w].mean()),
        "baseline_last_avg": float(based["returns"][-w:].mean()),
        "plain_policy": greedy_arrows(plain["theta"]),
        "baseline_policy": greedy_arrows(based["theta"]),
        "best_return": params.goal_reward + (params.length - 2) * params.step_reward,
        "last_avg_sd": float(plain["returns"][-w:].std(ddof=1) / np.sqrt(w)),
        "grad_mean_raw": raw.mean(axis=0).round(5).tolist(),
        "grad_mean_adv": adv.mean(axis=0).round(5).tolist(),
        "grad_exact": exact.round(5).tolist(),
        "grad_mean_max_z": float(np.max(np.abs(raw.mean(axis=0) - adv.mean(axis=0)) / se)),
        "grad_var_raw": float(var_raw),
        "grad_var_adv": float(var_adv),
        "variance_ratio": float(var_raw / var_adv),
    }
    return trace
