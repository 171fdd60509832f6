"""The race-to-21 game (抢21) of chapter 15: players add 1-3 in turn, whoever says 21 wins."""

from __future__ import annotations

__all__ = ["legal_moves", "exact_value"]


def legal_moves(total: int, target: int = 21, max_add: int = 3) -> list[int]:
    """Numbers the player to move may add without passing the target."""
    return [m for m in range(1, max_add + 1) if total + m <= target]


def exact_value(total: int, target: int = 21, max_add: int = 3, terminal_value: float = -1.0) -> float:
    """Game-theoretic value for the player to move: −1 when ``target − total`` is a multiple of max_add + 1.

    At ``total == target`` the opponent has just said 21 and won, so the mover's
    value is ``terminal_value`` (−1 is the correct convention).
    """
    if total == target:
        return terminal_value
    return -1.0 if (target - total) % (max_add + 1) == 0 else 1.0
