"""The errata report: the book's printed numbers next to what the sims computed.

One module per chapter, ``pipeline/checks/chNN.py``, each defining

* ``CHAPTER: int``
* ``TRACES: list[str]`` - the ``sim.variant`` names it reads;
* ``rows(traces: dict[str, Trace]) -> list[Row]``.

The book's values are typed here on purpose: they are the reference the
computed values are compared with, never something shown as a result.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
from dataclasses import asdict, dataclass
from typing import Any, Sequence

__all__ = ["Row", "compare", "not_reproducible", "chapter_modules"]

EQUAL, DIFFERENT, NOT_REPRODUCIBLE = "equal", "different", "not_reproducible"


@dataclass(frozen=True)
class Row:
    id: str
    chapter: int
    quantity: str
    book: Any
    computed: Any
    status: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _close(book: Any, computed: Any, tol: float) -> bool:
    if isinstance(book, (list, tuple)):
        return (
            isinstance(computed, (list, tuple))
            and len(book) == len(computed)
            and all(_close(b, c, tol) for b, c in zip(book, computed))
        )
    if isinstance(book, str) or isinstance(computed, str):
        return str(book) == str(computed)
    if isinstance(book, bool) or isinstance(computed, bool):
        return bool(book) == bool(computed)
    return math.isclose(float(book), float(computed), rel_tol=0.0, abs_tol=tol)


def compare(
    id: str,
    chapter: int,
    quantity: str,
    book: Any,
    computed: Any,
    *,
    tol: float = 0.0,
    note: str = "",
    note_if_different: str = "",
) -> Row:
    """A row that is ``equal`` when ``computed`` matches ``book`` within ``tol``.

    ``tol`` is the printed precision (e.g. 0.5e-5 for ``0.27990``).
    """
    equal = _close(book, computed, tol)
    status = EQUAL if equal else DIFFERENT
    text = note if equal else (note_if_different or note)
    return Row(id, chapter, quantity, book, computed, status, text)


def not_reproducible(id: str, chapter: int, quantity: str, book: Any, computed: Any, note: str) -> Row:
    """A row whose book value cannot be re-derived; ``computed`` is what we get instead."""
    return Row(id, chapter, quantity, book, computed, NOT_REPRODUCIBLE, note)


def chapter_modules(chapters: Sequence[int] | None = None) -> list[Any]:
    """The check modules, in chapter order, optionally only some chapters."""
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("ch"):
            mod = importlib.import_module(f"{__name__}.{info.name}")
            if chapters is None or mod.CHAPTER in chapters:
                mods.append(mod)
    return sorted(mods, key=lambda m: m.CHAPTER)
