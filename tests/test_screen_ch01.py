"""Chapter 1 on screen: the update arithmetic, the counters and the run lengths shown are the trace's.

Each scene is dry-run at the default parameters and at the ones issue 7 names (``perceptron.lr=0.5``,
``perceptron.max_epochs=50``); every check reads the screen log and compares it with the trace of that
same run. The old scene wrote the rule as if η = 1 (``b = 0 - 1 = -0.5`` at lr 0.5) and typed
``第 100 轮``: the equation and foreign-number tests fail on exactly those.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from screenlog import Screen, numbers_in, screen

DEFAULT: tuple[str, ...] = ()
CHANGED = ("perceptron.lr=0.5", "perceptron.max_epochs=50")
SETTINGS = pytest.mark.parametrize("sets", [DEFAULT, CHANGED], ids=["defaults", "lr0.5-max_epochs50"])
SCENES = ("ch01.PerceptronLine", "ch01.XORImpossible")


def numbers(text: str) -> list[float]:
    """The numbers written in ``text``, signs attached (``b = 0 - 0.5`` → 0, -0.5), subscripts dropped."""
    text = re.sub(r"_\{?\d+\}?", "", text.replace(" ", ""))
    return numbers_in(text)


def equations(shown: Screen) -> list[tuple[str, str, str]]:
    """The (sample, w, b) lines of every update written out, in order."""
    tex = [e["text"] for e in shown.entries if e["kind"] == "tex"]
    samples = [t for t in tex if t.startswith(r"\mathbf x =")]
    w_lines = [t for t in tex if t.startswith(r"\mathbf w =") and t.count("=") == 2 and "b =" not in t]
    b_lines = [t for t in tex if re.match(r"b\s*=", t)]
    assert len(samples) == len(w_lines) == len(b_lines), (samples, w_lines, b_lines)
    return list(zip(samples, w_lines, b_lines))


def counters(shown: Screen) -> list[tuple[int, int]]:
    """(epoch, mistakes) each time the corner counters changed."""
    texts = shown.texts("text")
    epochs = [int(m[1]) for t in texts if (m := re.fullmatch(r"轮次\s+(\d+)", t))]
    mistakes = [int(m[1]) for t in texts if (m := re.fullmatch(r"错误更新\s+(\d+)", t))]
    assert len(epochs) == len(mistakes)
    pairs = list(zip(epochs, mistakes))
    return [p for n, p in enumerate(pairs) if n == 0 or p != pairs[n - 1]]


def caption_with(shown: Screen, fragment: str) -> str:
    (found,) = [c for c in shown.captions() if fragment in c]
    return found


@pytest.mark.parametrize("target", SCENES)
@SETTINGS
def test_every_update_written_out_is_the_traces_arithmetic(target, sets):
    shown = screen(target, *sets)
    t = shown.trace()
    lr = float(t.meta["params"]["lr"])
    assert [numbers(e["text"]) for e in shown.entries if e["text"].startswith(r"\eta =")] == [[lr]]
    written = equations(shown)
    assert written, "no update was written out"
    x_all, labels = t.arrays["inputs"], t.arrays["labels"]
    w_after, b_after = t.arrays["update_w"], t.arrays["update_b"]
    for k, (sample, w_line, b_line) in enumerate(written):
        i = int(t.arrays["update_sample"][k])
        x, y, y_hat = x_all[i], int(labels[i]), int(t.arrays["update_pred"][k])
        w_before = w_after[k - 1] if k else np.zeros(2)
        b_before = b_after[k - 1] if k else 0.0
        step = lr * (y - y_hat)
        assert numbers(sample) == [*x, y, y_hat], sample
        # 1·x is written as x; any other factor is shown, its sign attached
        factor = [] if abs(step) == 1 else [step]
        np.testing.assert_allclose(numbers(w_line), [*w_before, *factor, *x, *w_after[k]], rtol=1e-5, atol=1e-9,
                                   err_msg=w_line)
        squeezed = w_line.replace(" ", "")
        assert squeezed[squeezed.index("]") + 1] == ("+" if step > 0 else "-"), w_line
        np.testing.assert_allclose(numbers(b_line), [b_before, step, b_after[k]], rtol=1e-5, atol=1e-9,
                                   err_msg=b_line)


@pytest.mark.parametrize("target", SCENES)
@SETTINGS
def test_counters_follow_the_run(target, sets):
    shown = screen(target, *sets)
    t = shown.trace()
    detailed = len(equations(shown))
    steps = [(0, 0)] + [(int(e), int(m)) for e, m in zip(t.arrays["update_epoch"][:detailed],
                                                         t.arrays["update_mistakes"][:detailed])]
    steps.append((t.metrics["epochs"], t.metrics["mistakes"]))
    expected = [p for n, p in enumerate(steps) if n == 0 or p != steps[n - 1]]
    assert counters(shown) == expected


@SETTINGS
def test_and_converges_as_the_trace_says(sets):
    shown = screen("ch01.PerceptronLine", *sets)
    t = shown.trace()
    assert t.metrics["converged"]
    said = caption_with(shown, "收敛")
    assert numbers(said) == [t.metrics["epochs"], len(t.arrays["inputs"]), t.arrays["epoch_mistakes"][-1]]
    w, b = t.arrays["final_w"], float(t.arrays["final_b"])
    (final,) = [e for e in shown.texts("tex") if e.startswith(r"\mathbf w =") and "b =" in e]
    assert numbers(final) == pytest.approx([*w, b])


@SETTINGS
def test_xor_run_lengths_are_the_traces(sets):
    shown = screen("ch01.XORImpossible", *sets)
    t = shown.trace()
    epochs, mistakes = t.metrics["epochs"], t.metrics["mistakes"]
    assert epochs == t.meta["params"]["max_epochs"] and not t.metrics["converged"]
    assert numbers(caption_with(shown, "仍未收敛")) == [epochs, mistakes]
    (badge,) = [s for s in shown.texts("text") if s.startswith("快进")]
    assert numbers(badge)[0] == mistakes - len(equations(shown))
    states = np.c_[t.arrays["update_w"], t.arrays["update_b"]][t.arrays["update_epoch"] == epochs]
    assert numbers(caption_with(shown, "个状态"))[0] == len({tuple(s) for s in states})
    (best,) = [s for s in shown.texts("text") if s.startswith("最少也错")]
    assert numbers(best)[0] == t.metrics["min_line_errors"]


def test_xor_figure_names_the_epochs_its_lines_come_from():
    for sets in (DEFAULT, CHANGED):
        shown = screen("ch01.Fig_XORLayout", *sets)
        (heading,) = [s for s in shown.texts("text") if s.startswith("感知机")]
        assert numbers(heading)[0] == shown.trace().metrics["epochs"], heading


def run_lengths(shown: Screen) -> set[float]:
    """The counts a scene of this run may state: epochs, mistakes, updates left to fast-forward."""
    m = shown.trace().metrics
    return {float(m["epochs"]), float(m["mistakes"]), float(m["mistakes"] - len(equations(shown)))}


def weights(shown: Screen) -> set[float]:
    """Every magnitude of w and b the run reaches."""
    t = shown.trace()
    return {abs(float(v)) for v in np.r_[t.arrays["update_w"].ravel(), t.arrays["update_b"]]}


@pytest.mark.parametrize("target", SCENES + ("ch01.Fig_XORLayout", "ch01.Fig_ANDLayout"))
def test_no_number_of_the_default_run_leaks_into_the_changed_one(target):
    before, after = screen(target, *DEFAULT), screen(target, *CHANGED)
    shown = [e for e in after.entries if e["kind"] != "number"]  # axis ticks: any multiple of the step is fair
    stated = {abs(v) for e in shown for v in numbers(e["text"])}
    foreign = run_lengths(before) - run_lengths(after)
    assert not foreign & stated, f"{sorted(foreign & stated)} belongs to the default run:\n{after.joined()}"
    formulas = {abs(v) for e in shown if e["kind"] == "tex" for v in numbers(e["text"])}
    inputs = {abs(float(v)) for v in after.trace().arrays["inputs"].ravel()}
    leaked = weights(before) - weights(after) - inputs
    assert not leaked & formulas, f"{sorted(leaked & formulas)} is a weight of the default run:\n{after.joined()}"


@pytest.mark.parametrize("sets", [DEFAULT, CHANGED, ("perceptron.lr=0.1",)], ids=["defaults", "lr0.5", "lr0.1"])
@pytest.mark.parametrize("target", ["ch01.PerceptronLine", "ch01.Fig_ANDLayout"])
def test_a_point_is_called_on_the_line_only_when_it_is(target, sets):
    """lr 0.1 lands 2e-17 off (1,0): the picture grazes it, the rule does not tie, so nothing is claimed."""
    shown = screen(target, *sets)
    t = shown.trace()
    w, b = t.arrays["final_w"], float(t.arrays["final_b"])
    exact = {tuple(x) for x in t.arrays["inputs"] if float(x @ w + b) == 0.0}
    named = {tuple(numbers(s)[:2]) for s in shown.texts("text") if "在线上" in s}
    assert named == exact
    assert t.metrics["ties_on_boundary"] == len(exact)
    said_tie = any("等号" in c for c in shown.captions())
    assert said_tie == bool(exact)
