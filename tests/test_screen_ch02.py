"""Chapter 2 on screen: every number Backprop shows is its trace's number, formatted as the scene formats it.

Two dry runs: the book's defaults, and a run that changes every number the scene shows (another
sample row, another learning rate, a run too short to learn XOR, another print interval).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from scenes.ch02_backprop import REPLAY_SECONDS
from scenes.kit.charts import decade_span
from scenes.kit.numbers import fixed, plain, sig
from scenes.kit.text import tex_vector
from screenlog import screen

SCENE = "ch02.Backprop"
CHANGED = ("backprop.sample=1", "backprop.lr=0.8", "backprop.epochs=300", "backprop.log_every=100")
RUNS = {"defaults": (), "changed": CHANGED}
BACKWARD_NODES = ("z1_1", "z1_2", "a1_1", "a1_2", "z2", "yhat")  # the sweep stops at δ¹ (no ∂L/∂x)


def forward_text(name: str, value: float) -> str:
    """A forward value as the graph writes it: the inputs as given, computed values to 3 decimals."""
    return plain(value) if name in ("x1", "x2") else fixed(value, 3)


def shown(run: str):
    return screen(SCENE, *RUNS[run])


def arr(s, field: str) -> np.ndarray:
    return s.trace().arrays[field]


def node(s, field: str, name: str) -> float:
    return float(arr(s, field)[[str(n) for n in arr(s, "node_names")].index(name)])


def between(s, first: str, last: str) -> list[str]:
    """The plain texts logged from the caption starting with ``first`` up to the one starting with ``last``."""
    inside, found = False, []
    for e in s.entries:
        if e["kind"] == "caption":
            if e["text"].startswith(last) and inside:
                return found
            inside = inside or e["text"].startswith(first)
        elif inside and e["kind"] == "text":
            found.append(e["text"])
    raise AssertionError(f"no captions {first!r} … {last!r} in {s.captions()}")


def expected(s) -> set[str]:
    """Every number the scene may show, formatted from the trace the way the scene formats it."""
    names = [str(n) for n in arr(s, "node_names")]
    params = s.trace().meta["params"]
    out = {forward_text(n, v) for n, v in zip(names, arr(s, "sample_node_value"))}
    out |= {sig(v) for v in arr(s, "sample_node_grad")} | {sig(v) for v in arr(s, "sample_edge_local_grad")}
    out |= {sig(v) for k in ("sample_delta2", "sample_delta1", "sample_W2T_delta2", "sample_sigma_prime_z1",
                             "sample_sigma_prime_z2", "sample_param_grad") for v in np.ravel(arr(s, k))}
    out |= {fixed(v, 5) for v in (*arr(s, "sample_param_grad"), *arr(s, "grad_batch"))}
    out |= {fixed(v, 3) for v in (arr(s, "sample_yhat"), arr(s, "sample_loss_half"), *arr(s, "final_pred"))}
    epochs, loss = arr(s, "curve_epochs"), arr(s, "curve_loss_mse")
    out |= {plain(v) for v in (*arr(s, "sample_x"), arr(s, "sample_y"), *np.ravel(arr(s, "inputs")),
                               *arr(s, "targets"), epochs[0], epochs[-1], epochs[-1] // 2, params["lr"])}
    out |= {fixed(loss[0], 5), fixed(loss[-1], 5)}
    out |= {plain(e) for e in arr(s, "log_epochs")} | {fixed(v, 5) for v in arr(s, "log_loss_mse")}
    n_params, n_rows = len(arr(s, "param_names")), len(arr(s, "inputs"))
    out |= {str(n_params), str(n_params + 1), str(n_rows), *map(str, arr(s, "W1_init").shape)}
    right = sum(round(float(p)) == int(y) for p, y in zip(arr(s, "final_pred"), arr(s, "targets")))
    return out | {str(right), plain(REPLAY_SECONDS)}


def unsigned(values: set[str]) -> set[str]:
    return {v.lstrip("+-") for v in values}


def numbers_shown(s) -> list[str]:
    """Every number token on screen, tex sources without their indices (``z^{(1)}_2``) and decade labels."""
    found = []
    for e in s.entries[1:]:  # [0] is the chapter title
        text = e["text"]
        if e["kind"] == "tex":
            if re.fullmatch(r"10\^\{-?\d+\}", text):
                continue  # a decade label: checked against the loss's span below
            text = re.sub(r"[\^_]\{[^{}]*\}|[\^_]\d|\\tfrac12", "", text)
        found += re.findall(r"\d+(?:\.\d+)?", text)
    return found


@pytest.mark.parametrize("run", RUNS)
def test_every_number_on_screen_comes_from_the_trace(run):
    s = shown(run)
    allowed = unsigned(expected(s))
    stray = sorted(set(numbers_shown(s)) - allowed)
    assert not stray, f"numbers on screen that the trace does not hold: {stray}\n{s.joined()}"


@pytest.mark.parametrize("run", RUNS)
def test_forward_values_fill_the_graph(run):
    s = shown(run)
    names = [str(n) for n in arr(s, "node_names")]
    values = [forward_text(n, node(s, "sample_node_value", n)) for n in names]
    # the inputs come with the first stage, the rest in graph order while the forward caption is up
    assert between(s, "前向", "预测") == values
    x, y = arr(s, "sample_x"), float(arr(s, "sample_y"))
    assert f"样本 x = ({plain(x[0])}, {plain(x[1])})，目标 y = {plain(y)}" in s.joined()
    assert f"预测 ŷ = {fixed(node(s, 'sample_node_value', 'yhat'), 3)}，目标是 {plain(y)}" in s.joined()
    assert f"损失 L = {fixed(arr(s, 'sample_loss_half'), 3)}" in s.joined()


@pytest.mark.parametrize("run", RUNS)
def test_backward_values_and_delta_lines(run):
    s = shown(run)
    texts = between(s, "反向", "链式法则")
    grads = [sig(node(s, "sample_node_grad", n)) for n in BACKWARD_NODES]
    for g in grads:
        assert g in texts, f"∂L/∂node {g} not shown: {texts}"
    local = arr(s, "sample_edge_local_grad")
    labels = [str(x) for x in arr(s, "edge_label")]
    for k, label in enumerate(labels):
        if not label.startswith("W1"):  # the sweep does not re-label the x → z¹ edges
            assert sig(local[k]) in texts, f"local derivative of edge {label} not shown"
    assert s.shows(rf"= {sig(arr(s, 'sample_dL_dyhat'))}\times {sig(arr(s, 'sample_sigma_prime_z2'))}"
                   rf" = {sig(arr(s, 'sample_delta2'))}")
    assert s.shows(rf"= {tex_vector(arr(s, 'sample_W2T_delta2'), sig)} \odot "
                   rf"{tex_vector(arr(s, 'sample_sigma_prime_z1'), sig)} = {tex_vector(arr(s, 'sample_delta1'), sig)}")


@pytest.mark.parametrize("run", RUNS)
def test_chain_rule_product_follows_the_sample(run):
    s = shown(run)
    x = arr(s, "sample_x")
    i = next((j for j, v in enumerate(x) if v != 0), 0)
    w = [str(p) for p in arr(s, "param_names")].index(f"W1[{i},0]")
    product = [t for t in s.texts("tex") if t.startswith(r"\partial L/\partial W^{(1)}_")]
    assert len(product) == 1
    assert product[0].startswith(rf"\partial L/\partial W^{{(1)}}_{{x_{i + 1}\to z_1}}")
    assert product[0].endswith(rf"\times {plain(x[i])} = {sig(arr(s, 'sample_param_grad')[w])}")
    (caption,) = [c for c in s.captions() if c.startswith("链式法则")]
    assert caption.endswith(f"最后乘输入 x{'₁₂'[i]}）")


@pytest.mark.parametrize("run", RUNS)
def test_parameter_gradients_in_the_table(run):
    s = shown(run)
    texts = s.texts("text")
    rows = len(arr(s, "inputs"))
    sample = [fixed(v, 5) for v in arr(s, "sample_param_grad")]
    batch = [fixed(v, 5) for v in arr(s, "grad_batch")]
    start = texts.index("单样本")
    # the sample column appears layer by layer (W², b² first), then the batch row in parameter order
    layer2 = [sample[k] for k in (6, 7, 8)]
    layer1 = [sample[k] for k in range(6)]
    assert texts[start + 1:start + 10] == layer2 + layer1
    head = texts.index(f"{rows} 样本和")
    assert texts[head + 1:head + 10] == batch
    assert s.shows(f"{rows} 个样本各走一遍前向和反向")
    n = len(arr(s, "param_names"))
    assert s.shows(f"{n} 个梯度全到手") and s.shows(f"要 {n + 1} 次前向")


@pytest.mark.parametrize("run", RUNS)
def test_training_numbers(run):
    s = shown(run)
    lr, epochs = plain(s.trace().meta["params"]["lr"]), arr(s, "curve_epochs")
    loss, total = arr(s, "curve_loss_mse"), plain(epochs[-1])
    assert int(epochs[-1]) == s.trace().meta["params"]["epochs"]
    assert s.shows(rf"\partial L/\partial W,\quad \eta = {lr}")
    assert s.shows(f"学习率 η = {lr}，更新 {total} 轮")
    assert f"快进：{total} 轮用 {plain(REPLAY_SECONDS)} 秒" in s.texts()
    texts = s.texts("text")
    # the replay's counter: its first state, then the last one (the final loss), which stays for the still
    assert texts.index(f"第 {total} 轮") == texts.index(f"均方误差 {fixed(loss[-1], 5)}") - 1
    assert f"均方误差 {fixed(loss[0], 5)}" in texts
    assert float(loss[-1]) == pytest.approx(s.trace().metrics["final_loss_mse"])
    log_e, log_l = arr(s, "log_epochs"), arr(s, "log_loss_mse")
    for i in {0, len(log_e) - 1}:
        assert f"第 {plain(log_e[i])} 轮 {fixed(log_l[i], 5)}" in texts
    ticks = [t for t in between(s, "一次前向", "学习率") if re.fullmatch(r"\d+", t)]
    assert ticks == [plain(e) for e in (0, epochs[-1] // 2, epochs[-1])]
    decades = [int(m) for t in s.texts("tex") for m in re.findall(r"^10\^\{(-?\d+)\}$", t)]
    lo, hi = decade_span(loss)
    assert decades and decades[0] == lo and all(lo <= d <= hi for d in decades)


@pytest.mark.parametrize("run", RUNS)
def test_predictions_and_verdict(run):
    s = shown(run)
    texts = s.texts("text")
    preds, targets = arr(s, "final_pred"), arr(s, "targets")
    assert f"训练 {plain(arr(s, 'curve_epochs')[-1])} 轮后的预测" in texts
    start = texts.index("XOR(0,0)")
    for r, (x, y, p) in enumerate(zip(arr(s, "inputs"), targets, preds)):
        assert texts[start + 4 * r:start + 4 * r + 4] == [f"XOR({plain(x[0])},{plain(x[1])})", "→", fixed(p, 3),
                                                          f"目标 {plain(y)}"]
    right = sum(round(float(p)) == int(y) for p, y in zip(preds, targets))
    last = s.captions()[-1]
    if right == len(targets):
        assert last == f"{right} 个预测都落在目标那一侧：\nXOR 学会了"
    else:
        assert last == f"{len(targets)} 个预测只有 {right} 个落在目标那一侧：\nXOR 还没学会"


def test_the_changed_run_really_changes_what_is_checked():
    """The changed run is only a test if its numbers differ: a different sample, lr, length, verdict."""
    a, b = shown("defaults"), shown("changed")
    assert not np.allclose(arr(a, "sample_node_value"), arr(b, "sample_node_value"))
    assert a.trace().meta["params"]["lr"] != b.trace().meta["params"]["lr"]
    assert a.captions()[-1] != b.captions()[-1]


def test_no_stale_number_from_the_default_run():
    """A number the default run shows and the changed run's trace does not hold must not be on screen."""
    default, changed = shown("defaults"), shown("changed")
    stale = unsigned(expected(default)) - unsigned(expected(changed))
    assert {"20000", "0.5", "0.684", "0.00013", "16000"} <= stale  # the check has teeth
    leftover = sorted(stale & set(numbers_shown(changed)))
    assert not leftover, f"default-run numbers still on screen: {leftover}\n{changed.joined()}"
