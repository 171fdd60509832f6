"""An AlphaZero-style self-play flywheel on race-to-21 (the SelfPlayFlywheel scene, chapter 15).

A spec addition (BOOK_SPEC §15.3): the book describes the loop, not a program.
Each generation the current network guides PUCT search (the same search as
``sims.mcts``, now with the network's priors and values at the leaves) through
self-play games; every position yields (state, visit distribution π, outcome
z); the network is trained on the AlphaGo Zero loss
(z − v)² − πᵀlog p + c‖θ‖²; the new network is then played against the
previous one and against a uniformly random player.

The network is a hand-written numpy MLP: one-hot of the running total (0…20)
→ 32 tanh units → a policy head (softmax over the legal moves) and a value
head (tanh). Weights are frozen while a generation plays, so its priors and
values for all 21 totals are computed once and looked up by the search.

Moves are drawn in proportion to the search's visit counts (temperature 1),
in self-play and in the evaluation games alike, so that evaluation games
differ from one another; the random player picks uniformly among legal moves.
Two perfect players split 50 % when they alternate who moves first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.puct import Node, simulate
from sims.race21 import legal_moves
from sims.softmax import softmax
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run"]


@dataclass(frozen=True)
class Params:
    target: int = 21  # saying this number wins
    max_add: int = 3  # each turn adds 1 … max_add
    generations: int = 12  # turns of the flywheel
    games_per_gen: int = 32  # self-play games per generation
    sims_per_move: int = 24  # PUCT simulations per move, in self-play and in evaluation
    c: float = 1.5  # PUCT constant (as sims.mcts)
    hidden: int = 32  # tanh hidden units
    lr: float = 0.05  # Adam step size
    train_steps: int = 200  # full-batch Adam steps per generation
    weight_decay: float = 1e-4  # c in c‖θ‖²
    window: int = 2  # train on the games of the last this-many generations
    eval_games: int = 40  # games against the previous generation and against random (half as first player)

    def __post_init__(self) -> None:
        if self.generations < 1 or self.games_per_gen < 1 or self.sims_per_move < 1:
            raise ValueError("generations, games_per_gen and sims_per_move must be ≥ 1")
        if self.window < 1 or self.eval_games < 2:
            raise ValueError("window must be ≥ 1 and eval_games ≥ 2")


VARIANTS = {"default": {}}
RANGES = {
    "target": "[1, 100]",
    "max_add": "[1, 10]",
    "generations": "[1, 100]",  # 12 take ~10 s
    "games_per_gen": "[1, 512]",
    "sims_per_move": "[1, 1000]",
    "c": "[0, inf)",
    "hidden": "[1, 1024]",
    "lr": "(0, inf)",
    "train_steps": "[1, 10000]",  # ≥ 1: the loss before training is the first step's
    "weight_decay": "[0, inf)",
    "window": "[1, 100]",
    "eval_games": "[2, 1000]",
}
SEED = 0


# ------------------------------------------------------------------ the network

def init_net(p: Params, rng: np.random.Generator) -> dict[str, np.ndarray]:
    n_in = p.target
    return {
        "w1": rng.normal(0.0, 1.0 / np.sqrt(n_in), (n_in, p.hidden)), "b1": np.zeros(p.hidden),
        "wp": rng.normal(0.0, 1.0 / np.sqrt(p.hidden), (p.hidden, p.max_add)), "bp": np.zeros(p.max_add),
        "wv": rng.normal(0.0, 1.0 / np.sqrt(p.hidden), (p.hidden, 1)), "bv": np.zeros(1),
    }


def legal_mask(p: Params) -> np.ndarray:
    """(target, max_add): which moves are legal at each total 0 … target − 1."""
    return np.array([[t + m <= p.target for m in range(1, p.max_add + 1)] for t in range(p.target)])


def forward(net: dict[str, np.ndarray], totals: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, ...]:
    """Policy over legal moves and value for each total; also the hidden layer for backprop."""
    x = np.eye(len(mask))[totals]
    h = np.tanh(x @ net["w1"] + net["b1"])
    logits = np.where(mask[totals], h @ net["wp"] + net["bp"], -np.inf)
    v = np.tanh(h @ net["wv"] + net["bv"])[:, 0]
    return softmax(logits), v, h, x


def loss_and_grads(
    net: dict[str, np.ndarray], batch: tuple[np.ndarray, ...], mask: np.ndarray, wd: float
) -> tuple[float, float, dict[str, np.ndarray]]:
    """Mean policy cross-entropy −πᵀlog p and value error (z − v)², and the gradient of their sum + wd‖θ‖²."""
    totals, pi, z = batch
    p, v, h, x = forward(net, totals, mask)
    n = len(totals)
    ce = -np.sum(pi * np.log(np.where(pi > 0, p, 1.0))) / n
    mse = np.mean((z - v) ** 2)
    d_logits = (p - pi) / n  # softmax + cross-entropy; illegal moves have p = π = 0
    d_v = (-2.0 * (z - v) * (1 - v**2) / n)[:, None]
    d_h = (d_logits @ net["wp"].T + d_v @ net["wv"].T) * (1 - h**2)
    grads = {"wp": h.T @ d_logits, "bp": d_logits.sum(0), "wv": h.T @ d_v, "bv": d_v.sum(0),
             "w1": x.T @ d_h, "b1": d_h.sum(0)}
    for k in ("w1", "wp", "wv"):
        grads[k] += 2 * wd * net[k]
    return float(ce), float(mse), grads


def weight_term(net: dict[str, np.ndarray], wd: float) -> float:
    """c‖θ‖² as the loss has it: the weights (not the biases) of every layer."""
    return float(wd * sum(np.sum(net[k] ** 2) for k in ("w1", "wp", "wv")))


def train(
    net: dict[str, np.ndarray], batch: tuple[np.ndarray, ...], p: Params, mask: np.ndarray
) -> np.ndarray:
    """Full-batch Adam; returns the (CE, MSE) of every step."""
    m = {k: np.zeros_like(w) for k, w in net.items()}
    s = {k: np.zeros_like(w) for k, w in net.items()}
    history = np.zeros((p.train_steps, 2))
    for step in range(1, p.train_steps + 1):
        ce, mse, grads = loss_and_grads(net, batch, mask, p.weight_decay)
        history[step - 1] = ce, mse
        for k, g in grads.items():
            m[k] = 0.9 * m[k] + 0.1 * g
            s[k] = 0.999 * s[k] + 0.001 * g**2
            net[k] -= p.lr * (m[k] / (1 - 0.9**step)) / (np.sqrt(s[k] / (1 - 0.999**step)) + 1e-8)
    return history


# ------------------------------------------------------------------ search and play

def evaluator(net: dict[str, np.ndarray], p: Params, mask: np.ndarray):
    """Priors and values for every total, computed once; 21 itself is a loss for the mover (the rules)."""
    prior, value, _, _ = forward(net, np.arange(p.target), mask)

    def evaluate(total: int) -> tuple[list[int], list[float], float]:
        if total == p.target:
            return [], [], -1.0
        moves = legal_moves(total, p.target, p.max_add)
        return moves, [float(prior[total, m - 1]) for m in moves], float(value[total])

    return evaluate


def search(evaluate, total: int, p: Params) -> np.ndarray:
    """Visit counts per move (index m − 1) after ``sims_per_move`` PUCT simulations from ``total``."""
    root = Node(total)
    moves, prior, _ = evaluate(total)
    next_id = root.expand(moves, prior, 1)
    for _ in range(p.sims_per_move):
        _, _, _, next_id = simulate(root, evaluate, lambda t: t == p.target, p.c, next_id)
    counts = np.zeros(p.max_add)
    counts[[m - 1 for m in root.moves]] = root.n
    return counts


def play(players: tuple, p: Params, rng: np.random.Generator) -> tuple[int, list[tuple[int, np.ndarray]]]:
    """One game; a player is an evaluator (search, then sample a move ∝ visits) or None (uniform random).

    Returns the winner (0 or 1) and each searched position with its visit distribution.
    """
    total, turn, record = 0, 0, []
    while total < p.target:
        evaluate = players[turn]
        if evaluate is None:
            move = int(rng.choice(legal_moves(total, p.target, p.max_add)))
        else:
            pi = search(evaluate, total, p)
            pi /= pi.sum()
            record.append((total, pi))
            move = int(rng.choice(p.max_add, p=pi)) + 1
        total += move
        turn = 1 - turn
    return 1 - turn, record  # the player who said 21 moved last


def win_rate(me, other, p: Params, rng: np.random.Generator) -> float:
    """Share of ``eval_games`` that ``me`` wins, moving first in half of them."""
    wins = 0
    for g in range(p.eval_games):
        first = g % 2
        players = (me, other) if first == 0 else (other, me)
        winner, _ = play(players, p, rng)
        wins += winner == first
    return wins / p.eval_games


def self_play(evaluate, p: Params, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Games of the network against itself → (total, π, z) with z = ±1 for the player to move."""
    totals, pis, zs = [], [], []
    for _ in range(p.games_per_gen):
        winner, record = play((evaluate, evaluate), p, rng)
        for ply, (total, pi) in enumerate(record):
            totals.append(total)
            pis.append(pi)
            zs.append(1.0 if ply % 2 == winner else -1.0)
    return np.array(totals), np.array(pis), np.array(zs)


def run(params: Params, seed: int = SEED) -> Trace:
    """Turn the flywheel ``generations`` times; record losses, win rates and the opening."""
    p = params
    rng = np.random.default_rng(seed)
    mask = legal_mask(p)
    net = init_net(p, rng)
    G = p.generations
    policy_table = np.zeros((G + 1, p.target, p.max_add))  # p(move | total) of each generation's net
    value_table = np.zeros((G + 1, p.target))
    root_visits = np.zeros((G + 1, p.max_add))  # search's visit share at total 0
    loss_curve = np.zeros((G, p.train_steps, 2))
    loss_before, loss_after = np.zeros((G, 2)), np.zeros((G, 2))
    weight_before, weight_after = np.zeros(G), np.zeros(G)
    vs_prev, vs_random = np.zeros(G), np.zeros(G + 1)
    positions = np.zeros(G, dtype=np.int32)
    data: list[tuple[np.ndarray, ...]] = []

    def snapshot(g: int, evaluate) -> None:
        policy_table[g], value_table[g] = forward(net, np.arange(p.target), mask)[:2]
        visits = search(evaluate, 0, p)
        root_visits[g] = visits / visits.sum()

    evaluate = evaluator(net, p, mask)
    snapshot(0, evaluate)
    vs_random[0] = win_rate(evaluate, None, p, rng)
    for g in range(G):
        data = (data + [self_play(evaluate, p, rng)])[-p.window:]
        batch = tuple(np.concatenate(parts) for parts in zip(*data))
        positions[g] = len(data[-1][0])
        weight_before[g] = weight_term(net, p.weight_decay)
        loss_curve[g] = train(net, batch, p, mask)
        weight_after[g] = weight_term(net, p.weight_decay)
        loss_before[g] = loss_curve[g, 0]
        loss_after[g] = loss_and_grads(net, batch, mask, 0.0)[:2]
        previous, evaluate = evaluate, evaluator(net, p, mask)
        snapshot(g + 1, evaluate)
        vs_prev[g] = win_rate(evaluate, previous, p, rng)
        vs_random[g + 1] = win_rate(evaluate, None, p, rng)

    optimal = np.array([(p.target - t) % (p.max_add + 1) for t in range(p.target)])  # winning move, 0 = none
    has_win = optimal > 0
    greedy = policy_table.argmax(axis=2) + 1
    trace = Trace()
    trace.add(
        generation=np.arange(G + 1),
        policy_ce=loss_after[:, 0],  # after training, on that generation's training window
        value_mse=loss_after[:, 1],
        policy_ce_before=loss_before[:, 0],
        value_mse_before=loss_before[:, 1],
        weight_term=weight_after,  # c‖θ‖², the loss's third term, after training …
        weight_term_before=weight_before,  # … and before
        loss_curve=loss_curve,  # (G, train_steps, 2): CE and MSE at every Adam step
        positions=positions,
        win_rate_vs_prev=vs_prev,  # entry g: generation g + 1 against generation g
        win_rate_vs_random=vs_random,  # entry g: generation g (0 = the untrained net)
        p_best_opening=policy_table[:, 0, 0],  # network prior of 报1 at total 0
        search_best_opening=root_visits[:, 0],  # share of search visits on 报1 at total 0
        root_visit_share=root_visits,
        policy_table=policy_table,
        value_table=value_table,
        optimal_move=optimal,
        greedy_correct=(greedy == optimal)[:, has_win].mean(axis=1),  # share of winning totals played right
    )
    trace.metrics = {
        "p_best_opening_first": float(policy_table[0, 0, 0]),
        "p_best_opening_last": float(policy_table[-1, 0, 0]),
        "win_rate_vs_random_first": float(vs_random[0]),
        "win_rate_vs_random_last": float(vs_random[-1]),
        "win_rate_vs_prev_last": float(vs_prev[-1]),
        "value_mse_last": float(loss_after[-1, 1]),
        "policy_ce_last": float(loss_after[-1, 0]),
        "greedy_correct_last": float(trace["greedy_correct"][-1]),
    }
    return trace
