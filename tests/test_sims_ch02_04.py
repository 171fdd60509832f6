"""Sims for chapters 2-4: backprop on XOR, Sobel convolution + pooling, RNN vs LSTM gradients."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import numpy as np
import pytest
import torch

from pipeline.checks import ch02, ch03, ch04
from screenlog import stored
from sims import backprop, convolution, recurrent
from sims.trace import Trace

torch.set_num_threads(1)
STATUSES = {"equal", "different", "not_reproducible"}


# --- contract ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mod", [backprop, convolution, recurrent])
def test_contract(mod) -> None:
    tree = ast.parse(inspect.getsource(mod))
    assigns = {
        n.targets[0].id: n.value
        for n in tree.body
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
    }
    variants = ast.literal_eval(assigns["VARIANTS"])  # must be a literal
    assert variants == mod.VARIANTS
    assert isinstance(assigns["SEED"], ast.Constant) and isinstance(assigns["SEED"].value, int)
    assert dataclasses.is_dataclass(mod.Params) and mod.Params.__dataclass_params__.frozen
    for overrides in variants.values():
        mod.Params(**overrides)


# --- chapter 2: backprop ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bp() -> Trace:
    return backprop.run(backprop.Params())


def test_backprop_reference(bp) -> None:
    log = dict(zip(bp["log_epochs"].tolist(), bp["log_loss_mse"]))
    assert round(log[0], 5) == 0.27990 and round(log[16000], 5) == 0.00017
    assert [round(v, 3) for v in bp["final_pred"]] == [0.013, 0.989, 0.989, 0.011]
    assert round(float(bp["log_loss_half_sum"][0]), 5) == 0.55980  # S2 #3
    # BOOK_SPEC §2.3/§2.4 reproduced init, epoch-0 gradients and final weights
    np.testing.assert_allclose(bp["W1_init"], [[0.34558, 0.82162], [0.33044, -1.30316]], atol=1e-5)
    np.testing.assert_allclose(bp["W2_init"], [0.90536, 0.44637], atol=1e-5)
    np.testing.assert_allclose(bp["grad_W1"], [[0.01596, 0.00957], [0.01243, 0.00963]], atol=1e-5)
    np.testing.assert_allclose(bp["grad_W2"], [0.08870, 0.06947], atol=1e-5)
    np.testing.assert_allclose(bp["grad_b1"], [0.03201, 0.02014], atol=1e-5)
    np.testing.assert_allclose(bp["grad_b2"], [0.1531], atol=1e-4)
    np.testing.assert_allclose(bp["W1_final"], [[-6.080, 6.454], [5.892, -6.655]], atol=1e-3)
    np.testing.assert_allclose(bp["W2_final"], [10.201, 10.036], atol=1e-3)
    np.testing.assert_allclose(bp["curve_loss_mse"][0], log[0])
    assert bp["curve_epochs"][-1] == 20000 and len(bp["curve_epochs"]) == 201


def _torch_params(flat: np.ndarray) -> dict[str, torch.Tensor]:
    t = torch.tensor(flat, dtype=torch.float64)
    return {
        "W1": t[0:4].reshape(2, 2).clone().requires_grad_(),
        "b1": t[4:6].clone().requires_grad_(),
        "W2": t[6:8].reshape(2, 1).clone().requires_grad_(),
        "b2": t[8:9].clone().requires_grad_(),
    }


@pytest.mark.parametrize("which", ["params_init", "params_final"])
def test_backprop_matches_autograd(bp, which) -> None:
    """The book's hand-written gradients equal torch autograd's for ½Σ(ŷ-y)², in float64."""
    p = _torch_params(bp[which])
    x = torch.tensor(backprop.INPUTS)
    y = torch.tensor(backprop.TARGETS)
    yhat = torch.sigmoid(torch.sigmoid(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
    (0.5 * ((yhat - y) ** 2).sum()).backward()
    auto = np.concatenate([p[k].grad.numpy().ravel() for k in ("W1", "b1", "W2", "b2")])
    np_p = {"W1": bp[which][0:4].reshape(2, 2), "b1": bp[which][4:6][None], "W2": bp[which][6:8, None],
            "b2": bp[which][8:9][None]}
    hand = backprop.flat(backprop.backward(np_p, backprop.INPUTS, backprop.TARGETS))
    np.testing.assert_allclose(hand, auto, rtol=0, atol=1e-10)
    if which == "params_init":
        np.testing.assert_allclose(bp["grad_batch"], auto, rtol=0, atol=1e-10)


def test_backprop_sample_graph_matches_autograd(bp) -> None:
    """Every node's ∂L/∂node and every parameter gradient of the recorded sample."""
    p = _torch_params(bp["params_init"])
    x = torch.tensor(bp["sample_x"]).requires_grad_()
    z1 = x @ p["W1"] + p["b1"]
    a1 = torch.sigmoid(z1)
    z2 = a1 @ p["W2"] + p["b2"]
    yhat = torch.sigmoid(z2)
    loss = 0.5 * (yhat - float(bp["sample_y"])) ** 2
    nodes = [z1, a1, z2, yhat]
    for n in nodes:
        n.retain_grad()
    loss.sum().backward()
    auto_grad = np.concatenate([x.grad.numpy()] + [n.grad.numpy().ravel() for n in nodes] + [[1.0]])
    values = [x, *nodes, loss]
    auto_value = np.concatenate([v.detach().numpy().ravel() for v in values])
    np.testing.assert_allclose(bp["sample_node_grad"], auto_grad, rtol=0, atol=1e-10)
    np.testing.assert_allclose(bp["sample_node_value"], auto_value, rtol=0, atol=1e-12)
    auto_params = np.concatenate([p[k].grad.numpy().ravel() for k in ("W1", "b1", "W2", "b2")])
    np.testing.assert_allclose(bp["sample_param_grad"], auto_params, rtol=0, atol=1e-10)
    # each node's gradient is the sum of what its outgoing edges hand back (chain rule)
    back = np.zeros(len(bp["node_names"]))
    np.add.at(back, bp["edge_src"], bp["sample_edge_backward"])
    np.testing.assert_allclose(back[:-1], bp["sample_node_grad"][:-1], rtol=0, atol=1e-12)
    # per-row δ's sum to the batch bias gradients
    np.testing.assert_allclose(bp["epoch0_delta1"].sum(0), bp["grad_b1"], atol=1e-14)


# --- chapter 3: convolution -------------------------------------------------------------------


def test_convolution_reference() -> None:
    t = convolution.run(convolution.Params())
    assert t["orig_image"].shape == (6, 6)
    assert t["orig_image"][0].tolist() == [0, 0, 0, 1, 1, 1]
    assert t["shifted_image"][0].tolist() == [0, 0, 0, 0, 1, 1]
    assert t["orig_conv_out"].tolist() == [[0, 4, 4, 0]] * 4
    assert t["shifted_conv_out"].tolist() == [[0, 0, 4, 4]] * 4
    assert t["orig_pool_out"].tolist() == [[4, 4], [4, 4]]
    assert t["shifted_pool_out"].tolist() == [[0, 4], [0, 4]]
    five = convolution.run(convolution.Params(**convolution.VARIANTS["five_rows"]))
    assert five["orig_conv_out"].tolist() == [[0, 4, 4, 0]] * 3  # the printed block, literally
    for name in ("orig", "shifted"):  # every recorded window replays the slide exactly
        img, pos = t[f"{name}_image"], t[f"{name}_conv_pos"]
        for n, (i, j) in enumerate(pos):
            np.testing.assert_array_equal(t[f"{name}_conv_patch"][n], img[i : i + 3, j : j + 3])
            products = img[i : i + 3, j : j + 3] * convolution.SOBEL_X
            np.testing.assert_array_equal(t[f"{name}_conv_products"][n], products)
            assert t[f"{name}_conv_sum"][n] == t[f"{name}_conv_out"][i, j]
        fmap = t[f"{name}_conv_out"]
        for n, (r, c) in enumerate(t[f"{name}_pool_argmax"]):
            assert fmap[r, c] == t[f"{name}_pool_max"][n] == t[f"{name}_pool_window"][n].max()


# --- chapter 4: recurrent ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def rec() -> Trace:
    """The default run (~40 s of training, so only slow tests use it), shared with the dry runs through their store."""
    return stored("recurrent.default")


def test_decay_table() -> None:
    """The book's λ^k table (code/04_lstm_cell.py), from the function the sim stores it with."""
    book = {(0.6, 5): 7.8e-02, (0.6, 20): 3.7e-05, (0.6, 50): 8.1e-12, (1.0, 5): 1.0, (1.0, 50): 1.0,
            (1.3, 5): 3.7, (1.3, 50): 5.0e05}
    lambdas, decay = list(recurrent.LAMBDAS), recurrent.decay_table(recurrent.LAMBDAS, recurrent.Params().max_k)
    for (lam, k), value in book.items():
        assert float(f"{decay[lambdas.index(lam), k]:.1e}") == value


@pytest.mark.slow
def test_lstm_gradient_survives_where_rnn_vanishes(rec) -> None:
    """The book's claim, measured: ≥100× more gradient reaches far-back steps through the LSTM."""
    np.testing.assert_array_equal(rec["lambdas"], recurrent.LAMBDAS)
    np.testing.assert_array_equal(rec["decay"], recurrent.decay_table(recurrent.LAMBDAS, len(rec["ks"]) - 1))
    T = len(rec["t"])
    for state in ("init", "trained"):
        rnn, lstm = rec[f"rnn_grad_h_{state}"], rec[f"lstm_grad_h_{state}"]
        assert np.all(np.isfinite(rnn)) and np.all(rnn > 0) and np.all(np.isfinite(lstm))
        assert lstm[0] / rnn[0] >= 100  # t = 0: the token the task needs, T-1 steps back
        # relative to each net's own last-step gradient (the trained LSTM's loss is ~1e-4)
        relative = (lstm / lstm[-1]) / (rnn / rnn[-1])
        assert relative[: T // 4].min() >= 100
    init_ratio = rec["lstm_grad_h_init"] / rec["rnn_grad_h_init"]
    assert init_ratio[: T // 2].min() >= 100  # at init, everywhere ≥ 30 steps back
    assert rec.metrics["ratio_h"]["init"]["t0"] == pytest.approx(init_ratio[0])
    assert rec.metrics["lstm_eval_trained"]["acc"] >= 0.95  # the LSTM learned the long dependency
    assert 0.5 < rec.metrics["effective_lambda_h"]["rnn_init"] < 0.7  # ≈ the book's λ = 0.6
    assert rec["lstm_example_f"].shape == (len(rec["t"]), 32)
    np.testing.assert_allclose(rec["lstm_unit_carousel"][-1], 1.0)


def test_rnn_grad_norms_equal_jacobian_product() -> None:
    """Autograd's ∂L/∂h_t equals the hand BPTT recursion g_{t-1} = W_hhᵀ (g_t ⊙ (1 - h_t²))."""
    p = recurrent.Params(seq_len=12, hidden=5, eval_batch=3)
    torch.manual_seed(0)
    rnn = recurrent.RNN(p.n_symbols + p.n_distractors, p.hidden, p.n_symbols).double()
    x, _, y = recurrent.make_batch(p.eval_batch, p, torch.Generator().manual_seed(0))
    norms = recurrent.grad_norms(rnn, x, y)["h"]
    with torch.no_grad():
        _, st = rnn(x.double(), keep=True)
        h = torch.stack(st["h"], 1)  # (N, T, H)
        probs = torch.softmax(rnn.out(h[:, -1]), 1)
        g = (probs - torch.nn.functional.one_hot(y, p.n_symbols)) @ rnn.out.weight  # ∂L/∂h_T
        w_hh = rnn.W[:, : p.hidden]
        manual = [g.norm(dim=1).mean()]
        for t in range(p.seq_len - 1, 0, -1):
            g = (g * (1 - h[:, t] ** 2)) @ w_hh
            manual.append(g.norm(dim=1).mean())
    np.testing.assert_allclose(norms, torch.stack(manual[::-1]).numpy(), rtol=1e-10)


def _same(a, b) -> None:
    assert a.arrays.keys() == b.arrays.keys()
    for k in a.arrays:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert a.metrics == b.metrics


def test_determinism() -> None:
    _same(backprop.run(backprop.Params(epochs=500)), backprop.run(backprop.Params(epochs=500)))
    _same(convolution.run(convolution.Params()), convolution.run(convolution.Params()))
    small = recurrent.Params(seq_len=15, hidden=8, train_steps=20, eval_batch=16, device="cpu")
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    _same(recurrent.run(small, 3), recurrent.run(small, 3))
    assert torch.get_num_threads() == threads  # run() restores the process state
    assert torch.are_deterministic_algorithms_enabled() == deterministic


# --- errata rows ------------------------------------------------------------------------------


EXPECTED_ROWS = {
    2: [f"R02.{i}" for i in range(1, 7)] + ["S2#3"],
    3: [f"R03.{i}" for i in range(1, 17)],
    4: [f"R04.{i}" for i in range(1, 8)],
}


def assert_rows(mod, traces: dict[str, Trace]) -> None:
    assert set(mod.TRACES) <= traces.keys()
    rows = mod.rows(traces)
    assert [r.id for r in rows] == EXPECTED_ROWS[mod.CHAPTER]
    assert all(r.status in STATUSES and r.chapter == mod.CHAPTER for r in rows)
    for r in rows:
        assert r.status == ("different" if r.id == "S2#3" else "equal"), r


def test_check_rows_ch02_ch03(bp) -> None:
    assert_rows(ch02, {"backprop.default": bp})
    assert_rows(ch03, {"convolution.default": convolution.run(convolution.Params()),
                       "convolution.five_rows": convolution.run(convolution.Params(height=5))})


@pytest.mark.slow
def test_check_rows_ch04(rec) -> None:
    assert_rows(ch04, {"recurrent.default": rec})
