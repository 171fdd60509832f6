"""Chapter 1's sim reproduces the book's printed output (R01.1–R01.10)."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.checks import ch01
from sims import perceptron
from sims.perceptron import Params, run


@pytest.mark.parametrize(
    "gate, epochs, mistakes, w, b, converged",
    [
        ("AND", 6, 11, [2.0, 1.0], -3.0, True),  # R01.1–R01.4
        ("OR", 4, 5, [1.0, 1.0], -1.0, True),  # R01.5–R01.8
        ("XOR", 100, 398, [-1.0, 0.0], 0.0, False),  # R01.9–R01.10 (final state: BOOK_SPEC §1.3)
    ],
)
def test_book_reference_values(gate, epochs, mistakes, w, b, converged):
    m = run(Params(gate=gate)).metrics
    assert (m["epochs"], m["mistakes"], m["w"], m["b"], m["converged"]) == (epochs, mistakes, w, b, converged)


def test_and_update_sequence_matches_spec_table():
    t = run(Params(gate="AND"))
    expected_w = [[0, 0], [1, 1], [1, 1], [1, 0], [2, 1], [2, 0], [1, 0], [2, 1], [1, 1], [2, 2], [2, 1]]
    expected_b = [-1, 0, -1, -2, -1, -2, -3, -2, -3, -2, -3]
    assert t["update_w"].tolist() == expected_w
    assert t["update_b"].tolist() == expected_b
    assert t["update_epoch"].tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5]
    assert t["epoch_mistakes"][-1] == 0


def test_degenerate_first_update_and_tie_on_and_boundary():
    t = run(Params(gate="AND"))
    assert t["update_w"][0].tolist() == [0, 0] and t["update_b"][0] == -1  # w = 0: no line at all
    w, b = t["final_w"], float(t["final_b"])
    assert float(w @ np.array([1, 1]) + b) == 0  # (1,1) lies on the learned line (S2 #1)
    assert t.metrics["ties_on_boundary"] == 1


def test_xor_epoch_mistakes_and_no_separating_line():
    t = run(Params(gate="XOR"))
    assert t["epoch_mistakes"][:3].tolist() == [3, 3, 4] and set(t["epoch_mistakes"][2:]) == {4}
    assert t.metrics["min_line_errors"] == 1
    assert run(Params(gate="AND")).metrics["min_line_errors"] == 0


def test_deterministic():
    a, b = run(Params(gate="XOR")), run(Params(gate="XOR"))
    assert all(np.array_equal(a[k], b[k]) for k in a.arrays)


def test_bad_params_raise():
    with pytest.raises(ValueError, match="gate"):
        Params(gate="NAND")


def test_errata_rows_for_chapter_one():
    traces = {name: run(Params(**perceptron.VARIANTS[name.split(".")[1]])) for name in ch01.TRACES}
    rows = ch01.rows(traces)
    assert [r.id for r in rows] == [f"R01.{i}" for i in range(1, 11)]
    assert all(r.status == "equal" for r in rows)
    assert "tie" in rows[2].note  # the AND boundary passes through (1,1)
