"""PUCT tree search on race-to-21 (抢21), the book's ``code/15_mcts_puct.py`` (chapter 15).

Two players alternately add 1, 2 or 3 to a running total that starts at 0;
whoever says 21 wins (a move may not pass 21). Leaves are scored by the exact
game value (the book's idealised critic), priors are uniform, and selection
maximises Q + U with U = c·P·√(ΣN + 1)/(1 + N), c = 1.5, as the book's
``puct_select`` does; 4000 simulations; the move with the most visits is played.

Conventions the book does not state, pinned here: the root is expanded before
the first simulation (so the root visits sum to 4000, as printed); a value is
from the point of view of the player to move and flips sign at every level on
the way up; the player to move at 21 has lost (value −1); ties in Q + U go to
the smallest move. The variant ``flipped_terminal`` scores 21 as +1 for the
player to move instead, a sign slip that yields root statistics shaped like
the book's (BOOK_SPEC S2 #19).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sims.puct import LevelLog, Node, simulate
from sims.race21 import exact_value, legal_moves
from sims.trace import Trace

__all__ = ["Params", "VARIANTS", "SEED", "run"]


@dataclass(frozen=True)
class Params:
    n_sims: int = 4000  # simulations from the root (book)
    c: float = 1.5  # PUCT exploration constant (book)
    target: int = 21  # saying this number wins
    max_add: int = 3  # each turn adds 1 … max_add
    terminal_value: float = -1.0  # value of total == target for the player to move (−1: they lost)
    random_ties: bool = False  # break exact Q + U ties at random (seeded) instead of by smallest move
    n_record: int = 30  # simulations recorded in full (every level's Q, U, N, P)

    def __post_init__(self) -> None:
        if self.n_sims < 1 or self.target < 1 or self.max_add < 1 or self.n_record < 0:
            raise ValueError("n_sims, target, max_add must be ≥ 1 and n_record ≥ 0")
        if self.max_add > self.target:  # the root's statistics have one column per move 1 … max_add
            raise ValueError(f"max_add={self.max_add} must be ≤ target={self.target}")
        if self.n_record > self.n_sims:
            raise ValueError(f"n_record={self.n_record} must be ≤ n_sims={self.n_sims}: only that many simulations run")


VARIANTS = {"default": {}, "flipped_terminal": {"terminal_value": 1.0}}
RANGES = {
    "n_sims": "[1, 100000]",  # 4000 take ~0.4 s
    "c": "[0, inf)",
    "target": "[1, 100]",
    "max_add": "[1, 10]",  # and ≤ target (checked in Params)
    "terminal_value": "[-1, 1]",  # a game value
    "n_record": "[0, 1000]",  # and ≤ n_sims (checked in Params)
}
SEED = 0


def checkpoints(n_sims: int) -> list[int]:
    """Powers of two and every hundredth simulation (1-based counts)."""
    marks = {2**k for k in range(n_sims.bit_length()) if 2**k <= n_sims} | set(range(100, n_sims + 1, 100))
    return sorted(marks | {n_sims})


class FullRecord:
    """Every level of the first ``n`` simulations: what selection saw, and the edges after the backup."""

    def __init__(self, n: int, depth: int, width: int) -> None:
        self.arrays = {name: np.full((n, depth, width), np.nan) for name in ("q", "u", "n", "prior")}
        self.arrays |= {
            "node": np.full((n, depth), -1, dtype=np.int32),
            "total": np.full((n, depth), -1, dtype=np.int32),
            "choice": np.full((n, depth), -1, dtype=np.int8),  # index into the node's legal moves
            "backup_value": np.full((n, depth), np.nan),  # value added to W on each edge of the path
            "after_n": np.full((n, depth), -1, dtype=np.int32),  # edge N after the backup
            "after_q": np.full((n, depth), np.nan),  # edge Q after the backup
            "expanded": np.zeros(n, dtype=bool),  # False when the leaf was a finished game
        }

    def write(
        self, i: int, log: list[LevelLog], path: list[tuple[Node, int]], value: float, expanded: bool
    ) -> None:
        a = self.arrays
        a["expanded"][i] = expanded
        for level, (entry, (node, j)) in enumerate(zip(log, path)):
            width = len(entry.q)
            for name in ("q", "u", "n", "prior"):
                a[name][i, level, :width] = getattr(entry, name)
            a["node"][i, level], a["total"][i, level], a["choice"][i, level] = entry.node_id, entry.total, j
            a["backup_value"][i, level] = value * (-1) ** (len(path) - level)
            a["after_n"][i, level], a["after_q"][i, level] = node.n[j], node.w[j] / node.n[j]


def node_table(nodes: dict[int, list]) -> dict[str, np.ndarray]:
    """The final tree, one row per node id: its parent, the move into it, and that edge's N and Q."""
    rows = [nodes[j] for j in sorted(nodes)]
    edge_n = [parent.n[j] if parent else sum(node.n) for node, parent, j, *_ in rows]
    edge_w = [parent.w[j] if parent else np.nan for node, parent, j, *_ in rows]
    return {
        "node_parent": np.array([parent.id if parent else -1 for _, parent, *_ in rows], dtype=np.int32),
        "node_move": np.array([parent.moves[j] if parent else 0 for _, parent, j, *_ in rows], dtype=np.int8),
        "node_total": np.array([node.total for node, *_ in rows], dtype=np.int32),
        "node_depth": np.array([r[3] for r in rows], dtype=np.int32),
        "node_created_sim": np.array([r[4] for r in rows], dtype=np.int32),  # −1: before the first simulation
        "node_expanded_sim": np.array([r[5] for r in rows], dtype=np.int32),  # −1: the root, or never
        "node_n": np.array(edge_n, dtype=np.int32),  # visits of the edge into the node (root: all)
        # Q of that edge from the parent's mover's view (NaN: never visited, or the root)
        "node_q": np.array([w / n if n else np.nan for n, w in zip(edge_n, edge_w)]),
    }


def run(params: Params, seed: int = SEED) -> Trace:
    """Grow one search tree from total 0; record every simulation's path and the first ones in full."""
    p = params
    rng = np.random.default_rng(seed) if p.random_ties else None

    def evaluate(total: int) -> tuple[list[int], list[float], float]:
        moves = legal_moves(total, p.target, p.max_add)
        prior = [1.0 / len(moves)] * len(moves) if moves else []
        return moves, prior, exact_value(total, p.target, p.max_add, p.terminal_value)

    def is_terminal(total: int) -> bool:
        return total == p.target

    root = Node(0)
    next_id = root.expand(*evaluate(0)[:2], next_id=1)
    # per node id: [node, parent, edge index in parent, depth, simulation that created it, that expanded it]
    nodes: dict[int, list] = {0: [root, None, -1, 0, -1, -1]}
    nodes |= {ch.id: [ch, root, j, 1, -1, -1] for j, ch in enumerate(root.children)}

    depth_max = p.target  # each ply adds at least 1
    root_n = np.zeros((p.n_sims, p.max_add), dtype=np.int32)
    root_q = np.zeros((p.n_sims, p.max_add))
    paths = np.zeros((p.n_sims, depth_max), dtype=np.int8)  # moves chosen, 0-padded
    leaf = {"depth": [], "total": [], "value": [], "node": [], "tree_size": []}
    full = FullRecord(p.n_record, depth_max, p.max_add)
    expanded = 1  # the root

    for i in range(p.n_sims):
        log: list[LevelLog] | None = [] if i < p.n_record else None
        path, node, value, new_id = simulate(root, evaluate, is_terminal, p.c, next_id, rng, log)
        if new_id > next_id:  # the leaf was expanded (a finished game is not)
            nodes[node.id][5] = i
            nodes |= {ch.id: [ch, node, j, len(path) + 1, i, -1] for j, ch in enumerate(node.children)}
            expanded += 1
        next_id = new_id
        paths[i, : len(path)] = [n.moves[j] for n, j in path]
        root_n[i], root_q[i] = root.n, root.q()
        for key, x in zip(leaf, (len(path), node.total, value, node.id, expanded)):
            leaf[key].append(x)
        if log is not None:
            full.write(i, log, path, value, not is_terminal(node.total))

    marks = np.array(checkpoints(p.n_sims), dtype=np.int32)
    chosen = root.moves[int(np.argmax(root.n))]
    trace = Trace()
    trace.add(
        root_moves=np.array(root.moves, dtype=np.int8),
        root_n=root_n,  # (n_sims, 3): visits per first move after each simulation
        root_q=root_q,  # (n_sims, 3): Q per first move (root player's view) after each simulation
        checkpoint_sims=marks,
        checkpoint_root_n=root_n[marks - 1],
        checkpoint_root_q=root_q[marks - 1],
        sim_depth=np.array(leaf["depth"], dtype=np.int32),
        sim_path=paths,
        sim_leaf_total=np.array(leaf["total"], dtype=np.int32),
        sim_leaf_value=np.array(leaf["value"]),  # exact value for the player to move at the leaf
        sim_leaf_node=np.array(leaf["node"], dtype=np.int32),
        tree_size=np.array(leaf["tree_size"], dtype=np.int32),  # expanded nodes after each simulation
        **node_table(nodes),
        **{f"rec_{name}": array for name, array in full.arrays.items()},
        rec_score=full.arrays["q"] + full.arrays["u"],
    )
    trace.metrics = {
        "root_n": [int(n) for n in root.n],
        "root_q": [round(q, 6) for q in root.q()],
        "chosen_move": int(chosen),
        "expanded_nodes": expanded,
        "max_depth": int(max(leaf["depth"])),
    }
    return trace
