"""RLHF on K candidate answers: Bradley–Terry labels → a reward model → a KL-tethered policy (chapter 11).

(a) ``k`` answers with a hidden true quality q_k (evenly spaced, shuffled); simulated people compare random
    pairs and prefer i over j with probability σ(q_i − q_j) (Bradley–Terry), for a training and a held-out set of pairs.
(b) The reward model: one score r_k per answer, fitted by full-batch gradient descent on the mean
    −log σ(r_w − r_l) over the training pairs (plus a small L2 term that keeps the scores finite if
    one answer wins every comparison), centred after each step (the loss ignores a common shift).
    Recorded per step: loss, the scores, and the accuracy on held-out pairs.
(c) The reference policy π_ref over the answers (the SFT model: random logits) and the optimum of
    E_π[r] − β·KL(π‖π_ref), π*(y) ∝ π_ref(y)·exp(r(y)/β), for several β (r = the learned scores);
    then a REINFORCE run with the KL penalty in the reward, r(y) − β·log(π(y)/π_ref(y)), from π_ref,
    recorded per step, which must land on the closed form for its β.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "RANGES", "SEED", "run", "sigmoid", "softmax", "kl_optimum", "spearman"]


@dataclass(frozen=True)
class Params:
    k: int = 6  # candidate answers to one prompt
    quality_spread: float = 4.0  # true qualities: evenly spaced over this range (BT logits), in random order
    train_pairs: int = 600  # labelled comparisons the reward model learns from
    test_pairs: int = 600  # held-out comparisons
    rm_steps: int = 300  # gradient-descent steps of the reward model
    rm_lr: float = 2.0  # its step size
    rm_l2: float = 1e-3  # L2 on the scores
    ref_sd: float = 1.0  # π_ref = softmax(logits), logits ~ N(0, sd²)
    betas: tuple[float, ...] = (0.1, 0.3, 1.0, 3.0)  # KL weights whose closed-form optimum is recorded
    beta: float = 0.5  # the KL weight of the policy-gradient run
    pg_steps: int = 600  # policy-gradient steps
    pg_batch: int = 256  # answers sampled per step
    pg_lr: float = 0.5  # step size at the start; it decays as lr / √(1 + step / 50)

    def __post_init__(self) -> None:
        if self.beta <= 0 or any(b <= 0 for b in self.betas):
            raise ValueError("every β must be > 0 (β = 0 is pure reward maximisation: no closed form)")


VARIANTS = {"default": {}}
RANGES = {
    "k": "[2, 26]",  # answers are named A, B, …
    "quality_spread": "(0, 20]",
    "train_pairs": "[1, 100000]",
    "test_pairs": "[1, 100000]",
    "rm_steps": "[1, 100000]",
    "rm_lr": "(0, 100]",
    "rm_l2": "[0, 10]",
    "ref_sd": "[0, 10]",
    "betas": "(0, 100]",
    "beta": "(0, 100]",
    "pg_steps": "[1, 100000]",
    "pg_batch": "[1, 100000]",
    "pg_lr": "(0, 100]",
}
# default_rng([seed, 0]): qualities and π_ref; [seed, 1]: the labels; [seed, 2]: the PG samples. Seed 1: its
# π_ref favours a weaker answer than the best one, the case RLHF is for (seed 0's already favours the best).
SEED = 1


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def kl(p: np.ndarray, q: np.ndarray) -> float:
    return float(np.sum(p * (np.log(p) - np.log(q))))


def kl_optimum(pi_ref: np.ndarray, reward: np.ndarray, beta: float) -> np.ndarray:
    """argmax_π E_π[r] − β·KL(π‖π_ref) = π_ref·exp(r/β), normalised."""
    return softmax(np.log(pi_ref) + reward / beta)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Rank correlation (no ties in continuous draws)."""
    ra, rb = np.argsort(np.argsort(a)), np.argsort(np.argsort(b))
    return float(np.corrcoef(ra, rb)[0, 1])


def agreement(score: np.ndarray, win: np.ndarray, lose: np.ndarray) -> float:
    """The share of labelled pairs whose winner has the higher score (a tie counts half)."""
    d = score[win] - score[lose]
    return float(np.mean((d > 0) + 0.5 * (d == 0)))


def label_pairs(q: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random distinct pairs, each ordered (winner, loser) by a Bradley–Terry draw on q."""
    i = rng.integers(0, len(q), n)
    j = (i + rng.integers(1, len(q), n)) % len(q)  # j ≠ i
    first_wins = rng.random(n) < sigmoid(q[i] - q[j])
    return np.where(first_wins, i, j), np.where(first_wins, j, i)


def fit_reward(p: Params, win: np.ndarray, lose: np.ndarray, test: tuple[np.ndarray, np.ndarray]) -> dict:
    """Gradient descent on mean −log σ(r_w − r_l) + l2·|r|²; the path of r, the loss, held-out accuracy."""
    r = np.zeros(p.k)
    path, losses, acc = [r.copy()], [], []
    for _ in range(p.rm_steps + 1):
        margin = r[win] - r[lose]
        losses.append(float(np.mean(np.logaddexp(0, -margin)) + p.rm_l2 * r @ r))
        acc.append(agreement(r, *test))
        if len(losses) > p.rm_steps:
            break
        weight = sigmoid(-margin) / len(win)  # −∂loss/∂margin per pair
        grad = -np.bincount(win, weight, p.k) + np.bincount(lose, weight, p.k) + 2 * p.rm_l2 * r
        r = r - p.rm_lr * grad
        r -= r.mean()
        path.append(r.copy())
    return {"r": r, "path": np.array(path), "loss": np.array(losses), "acc": np.array(acc)}


def policy_gradient(p: Params, pi_ref: np.ndarray, reward: np.ndarray, rng: np.random.Generator) -> dict:
    """REINFORCE on softmax logits from π_ref; reward r(y) − β·log(π(y)/π_ref(y)), batch-mean baseline."""
    theta = np.log(pi_ref).copy()
    pis, objective = [softmax(theta)], []
    for step in range(p.pg_steps):
        pi = softmax(theta)
        objective.append(float(pi @ reward) - p.beta * kl(pi, pi_ref))
        y = rng.choice(p.k, size=p.pg_batch, p=pi)
        shaped = reward[y] - p.beta * (np.log(pi[y]) - np.log(pi_ref[y]))
        adv = shaped - shaped.mean()
        # Σ_b adv_b·(e_{y_b} − π) / B: the score-function estimate of ∇_θ
        grad = (np.bincount(y, adv, p.k) - adv.sum() * pi) / p.pg_batch
        theta = theta + p.pg_lr / np.sqrt(1 + step / 50) * grad
        pis.append(softmax(theta))
    pi = softmax(theta)
    objective.append(float(pi @ reward) - p.beta * kl(pi, pi_ref))
    return {"pi": np.array(pis), "objective": np.array(objective)}


def run(params: Params, seed: int = SEED) -> Trace:
    p = params
    world = np.random.default_rng([seed, 0])
    quality = world.permutation(np.linspace(-p.quality_spread / 2, p.quality_spread / 2, p.k))
    pi_ref = softmax(world.normal(0, p.ref_sd, p.k)) if p.ref_sd > 0 else np.full(p.k, 1 / p.k)
    people = np.random.default_rng([seed, 1])
    win, lose = label_pairs(quality, p.train_pairs, people)
    test_w, test_l = label_pairs(quality, p.test_pairs, people)
    rm = fit_reward(p, win, lose, (test_w, test_l))
    reward = rm["r"]
    optima = np.array([kl_optimum(pi_ref, reward, b) for b in p.betas])
    target = kl_optimum(pi_ref, reward, p.beta)
    pg = policy_gradient(p, pi_ref, reward, np.random.default_rng([seed, 2]))
    final = pg["pi"][-1]

    trace = Trace()
    trace.add(
        quality=quality, pi_ref=pi_ref,
        train_win=win.astype(np.int16), train_lose=lose.astype(np.int16),
        test_win=test_w.astype(np.int16), test_lose=test_l.astype(np.int16),
        rm_path=rm["path"], rm_loss=rm["loss"], rm_test_acc=rm["acc"], reward=reward,
        pref_matrix=sigmoid(reward[:, None] - reward[None, :]),  # P(i ≻ j) under the reward model
        betas=np.array(p.betas, dtype=float), optima=optima,
        optima_reward=optima @ reward, optima_quality=optima @ quality,
        optima_kl=np.array([kl(o, pi_ref) for o in optima]),
        pg_pi=pg["pi"], pg_objective=pg["objective"],
        pg_tv=0.5 * np.abs(pg["pi"] - target).sum(axis=1),  # distance to the closed form, per step
        pg_target=target,
    )
    bayes = agreement(quality, test_w, test_l)  # the held-out accuracy of the true qualities
    trace.metrics = {
        "spearman": spearman(reward, quality),
        "rank_order_matches": bool(np.array_equal(np.argsort(reward), np.argsort(quality))),
        "rm_loss_first": float(rm["loss"][0]), "rm_loss_last": float(rm["loss"][-1]),
        "rm_test_acc": float(rm["acc"][-1]), "bayes_test_acc": bayes,
        "train_agreement": agreement(quality, win, lose),  # how often the labels follow q
        "pg_tv_final": float(0.5 * np.abs(final - target).sum()),
        "pg_max_abs_error": float(np.abs(final - target).max()),
        "pg_objective_final": float(pg["objective"][-1]),
        "objective_optimum": float(target @ reward - p.beta * kl(target, pi_ref)),
        "pg_kl": kl(final, pi_ref), "target_kl": kl(target, pi_ref),
        "best_answer": int(np.argmax(quality)),
        "ref_best_prob": float(pi_ref[np.argmax(quality)]), "pg_best_prob": float(final[np.argmax(quality)]),
    }
    return trace
