"""Chapter 4 on screen: the run's length, the measured factors, gradients and gate readouts are the trace's.

Each scene is dry-run at the defaults (``seq_len`` 60) and at ``recurrent.seq_len=40`` (issue 7: the
old scenes typed "60 步", so a 40-step run still claimed 60). Every expected value is computed here from
the trace of that same run and written with the kit formatter the scene uses. The 40-step trace trains
both nets (~1 min of CPU, cached afterwards), so those runs are marked slow.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from scenes.ch04_rnn_lstm import labelled_decades, tick_values
from scenes.kit.charts import decade_step
from scenes.kit.numbers import fixed, sci, signed
from screenlog import Screen, numbers_in, screen

RUNS = {"defaults": (), "seq40": ("recurrent.seq_len=40",)}
BOTH = pytest.mark.parametrize("run", [pytest.param("defaults"), pytest.param("seq40", marks=pytest.mark.slow)])


def shown(scene: str, run: str) -> Screen:
    return screen(f"ch04.{scene}", *RUNS[run])


def length(s: Screen, run: str) -> int:
    """The run's seq_len, checked against its arrays (and against the override, so a run cannot be mixed up)."""
    steps = int(s.trace().meta["params"]["seq_len"])
    assert len(s.trace()["rnn_grad_h_init"]) == steps
    assert steps == (40 if run == "seq40" else 60)
    return steps


def rel(s: Screen, field: str) -> np.ndarray:
    g = s.trace()[field]
    return g / g[-1]


def integers(s: Screen) -> list[int]:
    """Every bare whole number on screen: in these scenes, the x-axis tick labels."""
    return [int(t) for t in s.texts("text") if re.fullmatch(r"\d+", t)]


def following(s: Screen, marker: str, skip: int = 1) -> list[str]:
    """The text ``skip`` entries after each entry that reads ``marker``."""
    texts = s.texts()
    return [texts[i + skip] for i, t in enumerate(texts) if t == marker and i + skip < len(texts)]


def caption_with(s: Screen, fragment: str) -> str:
    found = [c for c in s.captions() if fragment in c]
    assert found, f"no caption contains {fragment!r}:\n" + "\n".join(s.captions())
    return found[0]


@BOTH
def test_vanishing_gradient_shows_the_runs_length_and_measured_factors(run):
    s = shown("VanishingGradient", run)
    steps = length(s, run)
    last, g = steps - 1, rel(s, "rnn_grad_h_init")
    caption_with(s, f"{steps} 步就是 {steps} 层")
    caption_with(s, f"读完 {steps} 个符号")
    assert s.shows(f"{steps} 步共用同一个")
    ticks = integers(s)
    assert ticks[0] == 0 and max(ticks) == last and ticks == sorted(ticks), ticks
    # the counters at the end of the replay, and the factor written under each of the first links
    assert s.shows(f"往回 k = {last:2d} 步") and s.shows(f"相对梯度 {sci(g[0])}")
    assert following(s, r"\times") == [fixed(g[last - k] / g[last - k + 1], 2) for k in (1, 2, 3)]
    caption_with(s, f"{last} 步外只剩 {sci(g[0])}")
    fit = s.trace().metrics["effective_lambda_h"]["rnn_init"]
    caption_with(s, f"每步约 ×{fixed(fit, 2)}")


@BOTH
def test_vanishing_gradient_marks_only_the_book_values_the_chain_reaches(run):
    s = shown("VanishingGradient", run)
    last = length(s, run) - 1
    t = s.trace()
    horizons, table = [int(k) for k in t["book_horizons"]], t["book_decay"]
    for row, lam in enumerate(t["lambdas"]):
        if lam == 1:
            continue
        for col, k in enumerate(horizons):
            marked = k <= last and (k > horizons[0] if lam < 1 else k == max(h for h in horizons if h <= last))
            assert s.shows(sci(table[row, col])) == marked, (lam, k, sci(table[row, col]))
    decades = [x for x in s.texts("tex") if x.startswith("10^")]
    assert "10^{0}" in decades and len(decades) <= 6, decades  # labels every 2nd/4th decade: no crowding


@BOTH
def test_lstm_conveyor_shows_the_runs_length_gates_and_gradients(run):
    s = shown("LSTMConveyor", run)
    steps = length(s, run)
    last, t = steps - 1, s.trace()
    unit = {k: t[f"lstm_unit_{k}"] for k in "fioghc"}
    assert s.shows(f"{steps} 步用") and s.shows(f"t = {last:2d} / {last}")
    ticks = integers(s)
    assert max(ticks) == last and ticks.count(last) == 2, ticks  # the gate chart (t) and the log chart (k)
    # the valves' readouts and the belt's numbers as the replay leaves them: the sequence's last step
    for gate, name in zip("fio", ("遗忘门", "输入门", "输出门")):
        assert following(s, name, skip=2)[-1] == fixed(unit[gate][-1], 2), gate
    for k in "cgh":
        assert [x for x in s.texts() if x.startswith(f"{k} = ")][-1] == f"{k} = {signed(unit[k][-1])}"
    caption_with(s, f"f 平均 {fixed(unit['f'][1:].mean(), 2)}")
    caption_with(s, f"i 平均 {fixed(unit['i'][1:].mean(), 2)}")
    label, probs = int(t["example_label"]), t["lstm_example_probs"]
    if int(np.argmax(probs)) == label:
        assert caption_with(s, f"读完 {steps} 步，LSTM 答出第一个符号是 {label}").endswith(f"{sci(1 - probs[label])}）")
    # the gradient along the belt and against the RNN's
    rnn, lstm = rel(s, "rnn_grad_h_init"), rel(s, "lstm_grad_h_init")
    caption_with(s, f"{last} 步后还剩 {fixed(t['lstm_unit_carousel'][0], 2)}；\nRNN（初始化时）只剩 {sci(rnn[0])}")
    caption_with(s, f"同样往回 {last} 步，LSTM 的梯度\n是 RNN 的 {sci(lstm[0] / rnn[0])} 倍")
    assert s.shows(sci(lstm[0])) and s.shows(sci(rnn[0]))
    trained = t.metrics["rel_grad_h_t0"]
    caption_with(s, f"LSTM {sci(trained['lstm_trained'])}，RNN {sci(trained['rnn_trained'])}")


@pytest.mark.slow
@pytest.mark.parametrize("scene", ["VanishingGradient", "LSTMConveyor"])
def test_a_40_step_run_never_shows_the_default_length(scene):
    s = shown(scene, "seq40")
    stale = [x for x in s.texts() if {60.0, 59.0} & set(numbers_in(x))]
    assert not stale, stale


def test_axis_helpers_label_the_last_step_and_the_unit_decade():
    assert tick_values(59) == [0, 10, 20, 30, 40, 50, 59]
    assert tick_values(51) == [0, 10, 20, 30, 40, 51]  # 50 would sit on top of 51
    assert tick_values(12) == [0, 2, 4, 6, 8, 10, 12]
    for lo, hi in [(-13, 6), (-13, 0), (-9, 0), (-12, 5), (-3, 0)]:
        new_lo, new_hi = labelled_decades(lo, hi)
        step = decade_step(new_hi - new_lo)
        assert new_lo <= lo and new_hi == hi and new_lo % step == 0 and (new_hi - new_lo) // step + 1 <= 6
