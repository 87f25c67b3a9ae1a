"""Tests for notebooks 00-02: their numeric helpers (rnnlib.demos.unfolding, rnnlib.demos.bptt),
figures, widgets (driven headlessly: set a control, read ``widget.result``) and exercise checks.

Every widget number is checked against rnnlib computed directly, not against stored values.
"""
from __future__ import annotations

import contextlib
import inspect
import io
import json
import pathlib

import numpy as np
import pytest
from exercise_support import (
    assert_names_mistake,
    exercise_check_tests,
    first_output,
)

import rnnlib
from rnnlib import analysis, cells
from rnnlib.demos import bptt as dbptt
from rnnlib.demos import unfolding as dunf
from rnnlib.exercises import bptt as ex_bptt
from rnnlib.exercises import unfolding as ex_unf
from rnnlib.plots import bptt as pbptt
from rnnlib.plots import unfolding as punf
from rnnlib.plots.style import figure_png
from rnnlib.tbptt import truncated_bptt

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


@contextlib.contextmanager
def quiet():
    """Widgets display their figures; outside a kernel IPython prints them. Keep the log clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def close(a, b, tol=1e-12):
    return np.allclose(a, b, rtol=tol, atol=tol)


def _float32(solution):
    """A correct answer computed in float32 from float32 inputs."""
    def learner(*args):
        args32 = [a.astype(np.float32) if isinstance(a, np.ndarray) else a for a in args]
        out = solution(*args32)
        if isinstance(out, tuple):
            return tuple(np.asarray(o, dtype=np.float32) for o in out)
        return np.asarray(out, dtype=np.float32)
    return learner


# =============================================================================================
# rnnlib.demos.unfolding


def test_forward_step_by_step_is_the_layer():
    layer = rnnlib.RNN(3, 4, nonlinearity="relu", seed=3)
    x = np.random.default_rng(0).standard_normal((7, 2, 3))
    h0 = np.random.default_rng(1).standard_normal((2, 4))
    assert close(dunf.forward_step_by_step(layer, x, h0), layer.forward(x, h0)[0])


def test_sharing_cost_counts():
    c = dunf.sharing_cost(50, D=8, H=16, O=2)
    assert c["params"] == rnnlib.ElmanNetwork(8, 16, 2, seed=0).num_params() == 450
    assert c["multiply_adds"] == 50 * (16 * 8 + 16 * 16 + 2 * 16)
    assert c["stored"] == 50 * 16
    curve = dunf.sharing_cost_curve([1, 10, 100], 8, 16, 2)
    assert list(curve["params"]) == [450, 450, 450]
    assert list(curve["multiply_adds"]) == [dunf.sharing_cost(T, 8, 16, 2)["multiply_adds"]
                                             for T in (1, 10, 100)]
    with pytest.raises(ValueError):
        dunf.sharing_cost(0, 8, 16, 2)
    with pytest.raises(ValueError):
        dunf.sharing_cost_curve([0, 3], 8, 16, 2)


def test_demo_inputs_are_a_fixed_prefix():
    long, short = dunf.demo_inputs(30), dunf.demo_inputs(7)
    assert short.shape == (7, 1, 1) and long[0, 0, 0] == 1.0
    assert np.array_equal(long[:7], short)


def test_perturbation_effect_is_causal_and_measured():
    layer = rnnlib.RNN(2, 3, seed=0)
    x = np.random.default_rng(2).standard_normal((6, 1, 2))
    hs, hs2, effect = dunf.perturbation_effect(layer, x, eps=0.3, step=2)
    assert np.all(effect[:2] == 0)                      # the past ignores a later input
    assert np.all(effect[2:] > 0)
    nudged = x.copy()
    nudged[2] += 0.3
    assert close(hs2, layer.forward(nudged)[0])
    assert close(effect, np.linalg.norm((hs2 - hs)[:, 0], axis=1))
    with pytest.raises(ValueError):
        dunf.perturbation_effect(layer, x, eps=0.3, step=6)


@pytest.mark.parametrize("w", [0.5, 1.0, 1.2, -0.7])
def test_memory_demo_linear_is_geometric(w):
    demo = dunf.memory_demo(12, w, "linear", eps=0.5)
    assert close(demo["effect"], 0.5 * np.abs(w) ** np.arange(12), 1e-10)


def test_memory_demo_zero_weight_forgets_at_once():
    demo = dunf.memory_demo(10, 0.0, "tanh")
    assert demo["effect"][0] > 0 and np.all(demo["effect"][1:] == 0)


def test_order_demo_bag_blind_rnn_not():
    a = "honesty is the best policy".split()
    b = rnnlib.data.jumble(a, 0)
    r = dunf.order_demo(a, b)
    assert r["bag"] == 0.0                              # exactly: same bag, same floats
    first = r["first_diff"]
    assert np.all(r["distance"][:first] == 0) and r["distance"][first] > 0
    assert r["final"] > 0.1
    assert dunf.order_demo(a, a)["first_diff"] is None
    with pytest.raises(ValueError):
        dunf.order_demo(a, a[:-1])


def test_word_vectors_are_deterministic():
    v = dunf.word_vector("weather", 8)
    assert np.array_equal(v, dunf.word_vector("weather", 8))
    assert not np.array_equal(v, dunf.word_vector("whether", 8))
    assert dunf.embed_words(["a", "b", "a"], 4).shape == (3, 1, 4)


def test_elman_rule_is_tbptt_with_k1_and_full_is_backward():
    net = rnnlib.ElmanNetwork(2, 5, 1, seed=0)
    x = np.random.default_rng(1).standard_normal((6, 2, 2))
    y = np.random.default_rng(2).standard_normal((6, 2, 1))
    elman, full = dunf.elman_training_gradients(net, x, y)
    ys, _, cache = net.forward(x)
    _, dys = rnnlib.mse_loss(ys, y)
    _, _, grads = net.backward(dys, cache)
    for k in grads:
        assert close(full[k], grads[k])
    # Elman's rule: each step's own loss only, the context (h_{t-1}) a constant
    p = net.rnn.params
    dhs, _ = net.head.backward(dys, cache["head"])
    dW_hh = np.zeros_like(p["weight_hh"])
    h_prev = np.zeros((2, 5))
    for t in range(6):
        h, step_cache = cells.rnn_step_forward(x[t], h_prev, p["weight_ih"], p["weight_hh"],
                                               p["bias_ih"], p["bias_hh"])
        dW_hh += cells.rnn_step_backward(dhs[t], step_cache)[2]["weight_hh"]
        h_prev = h
    assert close(elman["rnn.weight_hh"], dW_hh)
    assert not close(elman["rnn.weight_hh"], full["rnn.weight_hh"], 1e-3)
    assert close(elman["out.weight"], full["out.weight"])


# =============================================================================================
# rnnlib.demos.bptt


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "sigmoid"])
def test_bptt_by_steps_equals_rnn_backward(nonlinearity):
    layer = rnnlib.RNN(3, 4, nonlinearity=nonlinearity, seed=5)
    rng = np.random.default_rng(0)
    x, dhs = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 2, 4))
    h0 = rng.standard_normal((2, 4))
    r = dbptt.bptt_by_steps(layer, x, dhs, h0)
    _, _, cache = layer.forward(x, h0)
    _, dh0, grads, dh_total = layer.backward(dhs, cache, return_hidden_grads=True)
    for k in grads:
        assert close(r["grads"][k], grads[k])
        assert close(r["contributions"][k].sum(axis=0), grads[k])
    assert close(r["dh_total"], dh_total) and close(r["dh0"], dh0)


def test_first_term_vanishes_only_with_zero_h0():
    layer = rnnlib.RNN(2, 3, seed=0)
    x = np.random.default_rng(3).standard_normal((5, 1, 2))
    dhs = np.zeros((5, 1, 3))
    dhs[-1] = 1.0
    zero = dbptt.bptt_by_steps(layer, x, dhs)["contributions"]["weight_hh"]
    other = dbptt.bptt_by_steps(layer, x, dhs, np.full((1, 3), 0.5))["contributions"]["weight_hh"]
    assert not np.any(zero[0]) and all(np.any(term) for term in zero[1:])
    assert all(np.any(term) for term in other)


def test_per_loss_gradients_sum_to_delta_and_respect_causality():
    net, x, targets = dbptt.make_network(T=7, seed=2)
    _, dys, cache = dbptt.selected_step_loss(net, x, targets, range(1, 8))
    dhs, _ = net.head.backward(dys, cache["head"])
    per = dbptt.per_loss_hidden_gradients(net.rnn, x, dhs)
    assert close(per.sum(axis=0), analysis.hidden_state_gradients(net.rnn, x, dhs))
    sizes = np.linalg.norm(per[:, :, 0], axis=2)
    assert not np.any(sizes[np.triu_indices(7, k=1)]) and np.all(np.diag(sizes) > 0)


def test_selected_step_loss_counts_only_the_chosen_steps():
    net, x, targets = dbptt.make_network(T=6, O=2, seed=4)
    loss, dys, _ = dbptt.selected_step_loss(net, x, targets, [2, 5])
    ys = net.forward(x)[0]
    full, dfull = rnnlib.mse_loss(ys, targets)
    per_step = rnnlib.losses.mse_loss_per_step(ys, targets)
    assert loss == pytest.approx(per_step[1] + per_step[4], rel=1e-12)
    assert close(dys[[1, 4]], dfull[[1, 4]]) and not np.any(dys[[0, 2, 3, 5]])
    with pytest.raises(ValueError):
        dbptt.selected_step_loss(net, x, targets, [0])


def test_truncated_hidden_gradients():
    net, x, _ = dbptt.make_network(T=9, seed=1)
    dhs = np.random.default_rng(0).standard_normal((9, 1, 3))
    full = analysis.hidden_state_gradients(net.rnn, x, dhs)
    assert close(dbptt.truncated_hidden_gradients(net.rnn, x, dhs, 9), full)
    assert close(dbptt.truncated_hidden_gradients(net.rnn, x, dhs, 50), full)
    only_last = np.zeros_like(dhs)
    only_last[-1] = 1.0
    g = dbptt.truncated_hidden_gradients(net.rnn, x, only_last, 4)     # chunks 1-4, 5-8, 9
    assert not np.any(g[:8]) and np.any(g[8])


def test_masked_mse_and_truncated_bptt_agree_with_full_bptt():
    net, x, targets = dbptt.make_network(T=8, seed=6)
    loss, d = dbptt.masked_mse(net.forward(x)[0], targets)
    ref_loss, ref_d = rnnlib.mse_loss(net.forward(x)[0], targets)
    assert loss == pytest.approx(ref_loss, rel=1e-12) and close(d, ref_d)
    masked = targets.copy()
    masked[:5] = np.nan
    loss_m, g_m, _ = truncated_bptt(net, dbptt.masked_mse, x, masked, 8)
    loss_s, dys, cache = dbptt.selected_step_loss(net, x, targets, [6, 7, 8])
    _, _, g_s = net.backward(dys, cache)
    assert loss_m == pytest.approx(loss_s, rel=1e-12)
    for k in g_s:
        assert close(g_m[k], g_s[k])


def test_pulse_problem_gradient_is_exactly_zero_across_a_boundary():
    net, x, targets = dbptt.pulse_problem(T=12)
    losses = set()
    for k in (1, 4, 6, 11):
        loss, g, _ = truncated_bptt(net, dbptt.masked_mse, x, targets, k)
        losses.add(round(loss, 12))
        assert not np.any(g["rnn.weight_ih"])
    loss, g, _ = truncated_bptt(net, dbptt.masked_mse, x, targets, 12)
    losses.add(round(loss, 12))
    assert np.any(g["rnn.weight_ih"]) and len(losses) == 1


def test_truncation_errors_and_make_network():
    net, x, targets = dbptt.make_network(T=6, rho=0.7, seed=0)
    assert analysis.spectral_radius(net.rnn.params["weight_hh"]) == pytest.approx(0.7)
    errs = dbptt.truncation_errors(net, x, targets, [1, 3, 6])
    for e in errs.values():
        assert e[-1] == 0.0 and np.all(e[:-1] > 0)
    assert dbptt.relative_difference([1.0, 1.0], [1.0, 0.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        dbptt.make_network(rho=-1)


# =============================================================================================
# Figures: each draws, has alt text, and raises no warning (RuntimeWarnings are errors here)


FIGURES = {
    "unfolding": lambda: punf.unfolding_figure(5),
    "activations": punf.activations_figure,
    "order": lambda: punf.order_figure(["a", "b"], ["b", "a"], np.array([0.3, 0.2]), 0.0),
    "memory": lambda: punf.memory_figure(dunf.memory_demo(12, 0.9)),
    "memory_relu_dies": lambda: punf.memory_figure(dunf.memory_demo(20, 0.5, "relu")),
    "sharing": lambda: punf.sharing_cost_figure(dunf.sharing_cost_curve(np.arange(1, 51), 8, 16, 2),
                                                10, dunf.sharing_cost(10, 8, 16, 2), 16),
    "elman_jordan": punf.elman_jordan_figure,
    "course_map": lambda: punf.course_map_figure(("00",)),
    "bptt_graph": pbptt.bptt_graph_figure,
    "contributions": lambda: pbptt.contributions_figure([0, 0.1, 1.0], [0.01, 0.1, 1.0]),
    "truncation": lambda: pbptt.truncation_figure(
        [1, 2, 3], {"rnn.weight_hh": np.array([0.2, 0.1, 0.0])}, 3),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_figures_draw_with_alt_text(name):
    fig, alt = FIGURES[name]()
    assert isinstance(alt, str) and len(alt) > 40
    assert figure_png(fig)[:4] == b"\x89PNG"


def test_memory_figure_states_overflow():
    demo = dunf.memory_demo(5, 1.0, "linear")
    demo["effect"] = demo["effect"].copy()
    demo["effect"][-1] = np.inf
    demo["hs_nudged"] = demo["hs_nudged"].copy()
    demo["hs_nudged"][-1] = np.inf
    fig, alt = punf.memory_figure(demo)
    assert "overflow" in alt
    figure_png(fig)


# =============================================================================================
# Widgets, driven headlessly


def test_sharing_widget():
    from rnnlib.widgets import unfolding as wu
    with quiet():
        live = wu.sharing_cost_widget()
        live.controls["T"].value = 150
        assert live.result["now"]["params"] == rnnlib.ElmanNetwork(8, 16, 2, seed=0).num_params()
        assert live.result["now"]["multiply_adds"] == 150 * (16 * 8 + 16 * 16 + 2 * 16)
        live.controls["H"].value = 40
    assert live.result["now"]["params"] == rnnlib.ElmanNetwork(8, 40, 2, seed=0).num_params()
    assert np.all(live.result["curve"]["params"] == live.result["now"]["params"])
    assert "150" in live.readout_html and f"{live.result['now']['params']:,}" in live.readout_html


def _scalar_layer(w, nonlinearity):
    layer = rnnlib.RNN(1, 1, nonlinearity=nonlinearity, seed=0)
    layer.params.update(weight_hh=np.array([[w]]), weight_ih=np.array([[1.0]]),
                        bias_ih=np.zeros(1), bias_hh=np.zeros(1))
    return layer


@pytest.mark.parametrize("T,w,f", [(10, 0.7, "relu"), (12, 1.5, "linear"), (3, 0.0, "sigmoid")])
def test_unfolding_widget_effect_is_what_rnnlib_computes(T, w, f):
    from rnnlib.widgets import unfolding as wu
    with quiet():
        live = wu.unfolding_widget(T=8, w=0.9, nonlinearity="tanh")
        live.controls["T"].value = T
        live.controls["w"].value = w
        live.controls["nonlinearity"].value = f
    r = live.result
    layer = _scalar_layer(w, f)
    x = dunf.demo_inputs(T)
    nudged = x.copy()
    nudged[0] += wu.NUDGE
    direct = np.abs(layer.forward(nudged)[0] - layer.forward(x)[0]).ravel()
    assert r["effect"].shape == (T,) and close(r["effect"], direct)
    assert close(r["hs"], layer.forward(x)[0].ravel())
    assert f"w = {w:.2f}" in live.readout_html


def test_unfolding_widget_extreme_settings_do_not_warn():
    from rnnlib.widgets import unfolding as wu
    with quiet():
        live = wu.unfolding_widget()
        for f in ("linear", "relu"):
            live.controls["nonlinearity"].value = f
            live.controls["w"].value = 1.5
            live.controls["T"].value = 12
            live.controls["T"].value = 1
            live.controls["w"].value = 0.0
    assert live.result["effect"].shape == (1,)


ALL_ON = {f"loss_{i}": True for i in range(1, 11)}


def test_loss_placement_widget_matches_hidden_state_gradients():
    from rnnlib.widgets import bptt as wb
    with quiet():
        live = wb.loss_placement_widget()
        live.controls["loss_4"].value = False
        live.controls["loss_9"].value = False
        live.controls["rho"].value = 1.2
    r = live.result
    assert r["loss_steps"] == [1, 2, 3, 5, 6, 7, 8, 10]
    net, x = r["net"], r["x"]
    assert analysis.spectral_radius(net.rnn.params["weight_hh"]) == pytest.approx(1.2)
    ys, _, cache = net.forward(x)
    _, dys = rnnlib.mse_loss(ys, r["targets"])
    dhs_all, _ = net.head.backward(dys, cache["head"])
    for i in range(10):
        only_i = np.zeros_like(dhs_all)
        if i + 1 in r["loss_steps"]:
            only_i[i] = dhs_all[i]
            assert close(r["per_loss"][i], analysis.hidden_state_gradients(net.rnn, x, only_i))
        else:
            assert not np.any(r["per_loss"][i])
    # one backward pass gives delta_t: the sum over the losses
    _, _, _, dh_total = net.rnn.backward(r["dhs"], cache["rnn"], return_hidden_grads=True)
    assert close(r["delta"], dh_total)
    assert close(r["totals"], np.linalg.norm(dh_total[:, 0], axis=1))
    assert r["grad_error"] == 0.0


def test_loss_placement_widget_truncation():
    from rnnlib.widgets import bptt as wb
    with quiet():
        live = wb.loss_placement_widget()
        live.controls["k"].value = 3                     # chunks 1-3, 4-6, 7-9, 10
    r = live.result
    sizes = r["norms"]
    for i in range(10):
        start = (i // 3) * 3
        assert not np.any(sizes[i, :start]) and np.all(sizes[i, start:i + 1] > 0)
    masked = np.full_like(r["targets"], np.nan)
    masked[:] = r["targets"]
    _, g_k, _ = truncated_bptt(r["net"], dbptt.masked_mse, r["x"], masked, 3)
    _, g_f, _ = truncated_bptt(r["net"], dbptt.masked_mse, r["x"], masked, 10)
    expected = dbptt.relative_difference(g_k["rnn.weight_hh"], g_f["rnn.weight_hh"])
    assert r["grad_error"] == pytest.approx(expected, rel=1e-12) and r["grad_error"] > 0
    assert "k = 3" in live.readout_html


def test_loss_placement_widget_without_any_loss():
    from rnnlib.widgets import bptt as wb
    values = {f"loss_{i}": False for i in range(1, 11)}
    r = wb.loss_placement_compute(rho=0.9, k=10, **values)
    assert not np.any(r["per_loss"]) and not np.any(r["totals"])
    fig, alt = wb.loss_placement_draw(r, rho=0.9, k=4, **values)
    figure_png(fig)
    assert "No step carries a loss" in wb.loss_placement_readout(r, rho=0.9, k=10, **values)


@pytest.mark.parametrize("factory,control,values", [
    ("unfolding.sharing_cost_widget", "T", [30, 60, 90, 120, 20]),
    ("unfolding.unfolding_widget", "w", [0.8, 0.7, 0.95, 1.1, 0.9]),
    ("bptt.loss_placement_widget", "rho", [0.8, 1.0, 1.2, 0.5, 0.9]),
])
def test_widget_callbacks_redraw_and_time_themselves(factory, control, values):
    """Every control change redraws once and records how long it took. Whether that is fast
    enough is the benchmark's verdict (course.py measure), not a test's: no wall-clock bound."""
    import importlib
    module, name = factory.split(".")
    make = getattr(importlib.import_module(f"rnnlib.widgets.{module}"), name)
    with quiet():
        live = make()
        for v in values:
            before = live.seconds
            live.controls[control].value = v
            assert live.controls[control].value == v
            assert np.isfinite(live.seconds) and live.seconds > 0 and live.seconds is not before


# =============================================================================================
# Exercise checks: the reference passes; every failure mode gets its own status; never raises


CHECKS = [
    (ex_unf.check_from_article, ex_unf.solution_from_article),
    (ex_unf.check_count_parameters, ex_unf.solution_count_parameters),
    (ex_unf.check_rnn_forward, ex_unf.solution_rnn_forward),
    (ex_unf.check_jordan_step, ex_unf.solution_jordan_step),
    (ex_unf.check_nudge_effect, ex_unf.solution_nudge_effect),
    (ex_bptt.check_step_backward, ex_bptt.solution_step_backward),
    (ex_bptt.check_bptt, ex_bptt.solution_bptt),
    (ex_bptt.check_truncated_reach, ex_bptt.solution_truncated_reach),
]


test_check_statuses, test_checks_never_raise = exercise_check_tests(CHECKS)


SLIPS = [   # (check, learner's answer with the slip, the words that name it)
    *[(ex_unf.check_from_article, slip, why) for slip, why in ex_unf._ARTICLE_SLIPS],
    *[(ex_unf.check_count_parameters, slip, why) for slip, why in ex_unf._COUNT_MISTAKES],
    *[(ex_unf.check_rnn_forward, slip, why) for slip, why in ex_unf._FORWARD_MISTAKES],
    *[(ex_unf.check_jordan_step, slip, why) for slip, why in ex_unf._JORDAN_MISTAKES],
    *[(ex_unf.check_nudge_effect, slip, why) for slip, why in ex_unf._NUDGE_MISTAKES],
    *[(ex_bptt.check_step_backward, slip, why) for slip, why in ex_bptt._STEP_MISTAKES],
    *[(ex_bptt.check_bptt, slip, why) for slip, why in ex_bptt._BPTT_MISTAKES],
    *[(ex_bptt.check_truncated_reach, slip, why) for slip, why in ex_bptt._REACH_MISTAKES],
]


@pytest.mark.parametrize("check,slip,words", SLIPS,
                         ids=[f"{c.__name__}-{k}" for k, (c, _, _) in enumerate(SLIPS)])
def test_each_usual_slip_is_caught_and_named(check, slip, words, capsys):
    assert_names_mistake(check, slip, words)
    capsys.readouterr()


def test_slips_written_independently_are_named_too(capsys):
    """The slips as a learner would write them (not built from the module's own variants)."""
    def bptt_overwrite(dhs, x, h0, hs, W_xh, W_hh):
        dh_next = np.zeros_like(h0)
        for t in reversed(range(len(x))):
            h_prev = hs[t - 1] if t > 0 else h0
            da = (dhs[t] + dh_next) * (1 - hs[t] ** 2)
            dW_xh, dW_hh, db, dh_next = da.T @ x[t], da.T @ h_prev, da.sum(0), da @ W_hh
        return dW_xh, dW_hh, db, dh_next

    def bptt_negative_index(dhs, x, h0, hs, W_xh, W_hh):
        out = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))]
        dh = np.zeros_like(h0)
        for t in range(len(x) - 1, -1, -1):
            da = (dhs[t] + dh) * (1 - hs[t] * hs[t])
            out[0] += np.einsum("bh,bd->hd", da, x[t])
            out[1] += np.einsum("bh,bk->hk", da, hs[t - 1])        # hs[-1] at t = 0
            out[2] += da.sum(0)
            dh = da @ W_hh
        return (*out, dh)

    assert_names_mistake(ex_bptt.check_bptt, bptt_overwrite, "overwrites")
    assert_names_mistake(ex_bptt.check_bptt, bptt_negative_index, "negative index")
    assert_names_mistake(ex_bptt.check_truncated_reach,
                         lambda T, k, i: np.array([float(i - k < t <= i) for t in range(1, T + 1)]),
                         "sliding window")
    assert_names_mistake(ex_unf.check_count_parameters,
                         lambda D, H, O: H * (D + H + 1) + O * (H + 1), "one bias short")
    capsys.readouterr()


def _rnn_forward_einsum(x, h0, W_xh, W_hh, b_h):
    hs = np.empty(x.shape[:2] + (len(W_hh),))
    h = h0
    for t in range(len(x)):
        h = np.tanh(np.einsum("hd,bd->bh", W_xh, x[t]) + (W_hh @ h.T).T + b_h)
        hs[t] = h
    return hs


def _jordan_columns(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
    h = np.tanh(W_xh @ x_t.T + W_yh @ y_prev.T + b_h[:, None])      # columns are sequences
    return h.T, (W_hy @ h + b_y[:, None]).T


def _nudge_loop(w, T):
    out, change = [], 1.0
    for _ in range(T):
        out.append(change)
        change *= w
    return out                                                       # a plain list


def _step_backward_einsum(dh, x, h_prev, h, W_xh, W_hh):
    da = dh - dh * h * h
    return (np.einsum("bh,hd->bd", da, W_xh), np.einsum("bh,hk->bk", da, W_hh),
            np.einsum("bh,bd->hd", da, x), np.einsum("bh,bk->hk", da, h_prev),
            np.einsum("bh->h", da))


def _bptt_deltas_first(dhs, x, h0, hs, W_xh, W_hh):
    """Another order: all the pre-activation gradients first, then every weight at once."""
    T = len(x)
    das = np.zeros_like(hs)
    dh = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        das[t] = (dhs[t] + dh) * (1 - hs[t] ** 2)
        dh = das[t] @ W_hh
    h_prevs = np.concatenate([h0[None], hs[:-1]])
    return (np.einsum("tbh,tbd->hd", das, x), np.einsum("tbh,tbk->hk", das, h_prevs),
            das.sum(axis=(0, 1)), dh)


def _reach_loop(T, k, i):
    chunks = [range(s, min(s + k, T + 1)) for s in range(1, T + 1, k)]
    mine = next(c for c in chunks if i in c)
    return [1 if (t in mine and t <= i) else 0 for t in range(1, T + 1)]


DIFFERENT_BUT_RIGHT = [
    (ex_unf.check_from_article, lambda U, W, V, b, c: {
        "out.bias": c, "out.weight": V, "rnn.weight_hh": W, "rnn.weight_ih": U,
        "rnn.bias_ih": 0.25 * b, "rnn.bias_hh": 0.75 * b}),                 # another bias split
    (ex_unf.check_from_article, lambda U, W, V, b, c: {
        k: v.astype(np.float32) for k, v in ex_unf.solution_from_article(U, W, V, b, c).items()}),
    (ex_unf.check_count_parameters, lambda D, H, O: (D + H + 2) * H + (H + 1) * O),
    (ex_unf.check_rnn_forward, _rnn_forward_einsum),
    (ex_unf.check_rnn_forward, _float32(ex_unf.solution_rnn_forward)),
    (ex_unf.check_jordan_step, _jordan_columns),
    (ex_unf.check_nudge_effect, _nudge_loop),
    (ex_bptt.check_step_backward, _step_backward_einsum),
    (ex_bptt.check_step_backward, _float32(ex_bptt.solution_step_backward)),
    (ex_bptt.check_bptt, _bptt_deltas_first),
    (ex_bptt.check_bptt, _float32(_bptt_deltas_first)),
    (ex_bptt.check_truncated_reach, _reach_loop),
    (ex_bptt.check_truncated_reach, lambda T, k, i: np.isin(
        np.arange(1, T + 1), np.arange((i - 1) // k * k + 1, i + 1))),      # booleans
]


@pytest.mark.parametrize("check,answer", DIFFERENT_BUT_RIGHT,
                         ids=[f"{c.__name__}-{k}" for k, (c, _) in enumerate(DIFFERENT_BUT_RIGHT)])
def test_correct_but_different_answers_pass(check, answer, capsys):
    result = check(answer)
    assert result.passed, result.message
    capsys.readouterr()


# =============================================================================================
# The committed notebooks: exercises unsolved, solutions one uncommented line away


@pytest.mark.parametrize("name,n_exercises", [("00_course_map", 2), ("01_unfolding", 3),
                                              ("02_bptt", 3)])
def test_notebook_exercises_ship_unsolved(name, n_exercises):
    path = NOTEBOOKS / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    cells_ = json.loads(path.read_text(encoding="utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells_ if c["cell_type"] == "code"]
    stubs = [s for s in sources if "raise NotImplementedError" in s and ".check_" in s]
    reveals = [s for s in sources if "# solution(ex.solution_" in s]
    assert len(stubs) == n_exercises and len(reveals) == n_exercises
    outputs = "".join("".join(o.get("text", "")) for c in cells_ if c["cell_type"] == "code"
                      for o in c.get("outputs", []))
    assert outputs.count("not attempted yet") == n_exercises


# =============================================================================================
# The exercise engine (rnnlib.exercises._feedback): budgets, precision, odd answers, patches,
# graded hints and predictions


from rnnlib.exercises import _feedback as fb  # noqa: E402
from rnnlib.exercises import gates as ex_gates  # noqa: E402
from rnnlib.exercises import gradients as ex_grad  # noqa: E402
from rnnlib.exercises import hint, predict  # noqa: E402


def test_a_runaway_answer_is_stopped_and_the_kernel_stays_usable(monkeypatch, capsys):
    import signal
    import time
    monkeypatch.setattr(fb, "TIME_LIMIT", 0.3)
    handler_before = signal.getsignal(signal.SIGALRM)
    finished = []

    def runaway(*args):
        time.sleep(60)                                  # the alarm ends this long before 60 s
        finished.append(True)

    res = ex_bptt.check_bptt(runaway)
    assert res.status == "timeout" and not res.passed and not finished
    assert "stopped after" in res.message and "each check allows 0.3 s" in res.message
    assert "Hint:" in res.message
    # the alarm is disarmed, the previous handler is back, and the next check works
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    assert signal.getsignal(signal.SIGALRM) is handler_before
    assert ex_bptt.check_bptt(ex_bptt.solution_bptt).passed
    capsys.readouterr()


def test_without_an_alarm_the_time_is_measured_and_later_cases_are_skipped(monkeypatch, capsys):
    import contextlib as cl
    import time

    @cl.contextmanager
    def no_alarm(seconds):                              # e.g. Windows, or a worker thread
        yield False

    monkeypatch.setattr(fb, "_alarm", no_alarm)
    calls = []

    def slow(*args):
        calls.append(1)
        end = time.perf_counter() + 0.3
        while time.perf_counter() < end:
            pass
        return ex_bptt.solution_bptt(*args)

    res = fb.run_check(
        "bptt", slow, ex_bptt._reference_bptt, ex_bptt._bptt_cases(), time_limit=0.1)
    assert res.status == "timeout" and len(calls) == 1       # 4 cases, only the first ran
    capsys.readouterr()


def test_an_answer_that_swallows_the_alarm_still_times_out(monkeypatch, capsys):
    import time
    monkeypatch.setattr(fb, "TIME_LIMIT", 0.2)

    def stubborn(*args):
        end = time.perf_counter() + 0.5
        while time.perf_counter() < end:
            try:
                time.sleep(0.05)
            except BaseException:                       # noqa: BLE001 - a learner's bare except
                pass
        return ex_bptt.solution_bptt(*args)

    assert ex_bptt.check_bptt(stubborn).status == "timeout"
    capsys.readouterr()


@pytest.mark.parametrize("check,solution", [
    (ex_bptt.check_step_backward, ex_bptt.solution_step_backward),
    (ex_bptt.check_bptt, ex_bptt.solution_bptt),
    (ex_grad.check_hidden_gradients, ex_grad.solution_hidden_gradients),
    (ex_gates.check_gru_step, ex_gates.solution_gru_step),
], ids=["step_backward", "bptt", "hidden_gradients", "gru_step"])
def test_float32_answers_pass_at_float32_precision(check, solution, capsys):
    res = check(_float32(solution))
    assert res.passed and res.status == "passed"
    assert "float32 precision" in res.message and "only difference" in res.message
    # a float32 answer with a real mistake still fails
    wrong = first_output(_float32(solution), lambda o: o * np.float32(1.01) + np.float32(0.01))
    assert check(wrong).status == "wrong"
    capsys.readouterr()


def test_float64_answers_keep_the_strict_tolerance(capsys):
    res = ex_bptt.check_bptt(ex_bptt.solution_bptt)
    assert res.passed and "float32" not in res.message
    off = first_output(ex_bptt.solution_bptt, lambda o: o * (1 + 1e-3))
    assert ex_bptt.check_bptt(off).status == "wrong"
    # exact checks (integer counts) get no float32 tolerance
    assert ex_unf.check_count_parameters(
        lambda D, H, O: np.float32(ex_unf.solution_count_parameters(D, H, O) + 1)).status == "wrong"
    capsys.readouterr()


def test_torch_tensors_that_require_grad_are_read(capsys):
    torch = pytest.importorskip("torch")

    def as_tensors(*args):
        return tuple(torch.tensor(v, requires_grad=True) * 1.0
                     for v in ex_bptt.solution_step_backward(*args))

    res = ex_bptt.check_step_backward(as_tensors)
    assert res.passed
    capsys.readouterr()


def test_complex_answers_are_refused_with_a_reason(capsys):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # no ComplexWarning either
        res = ex_bptt.check_step_backward(
            lambda *a: tuple(v + 0j for v in ex_bptt.solution_step_backward(*a)))
    assert res.status == "type" and "complex" in res.message
    capsys.readouterr()


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


def _raise_unprintable(*args):
    raise _Unprintable()


def _exit(*args):
    import sys
    sys.exit(3)


def _interrupt(*args):
    raise KeyboardInterrupt


@pytest.mark.parametrize("learner,words", [
    (_raise_unprintable, "_Unprintable"),
    (_exit, "sys.exit()"),
    (_interrupt, "KeyboardInterrupt"),
    (lambda *a: (_ for _ in ()).throw(GeneratorExit), "GeneratorExit"),
])
def test_answers_that_raise_anything_get_an_error_status(learner, words, capsys):
    res = ex_bptt.check_bptt(learner)
    assert res.status == "error" and words in res.message
    assert ex_bptt.check_bptt(ex_bptt.solution_bptt).passed   # and the next check still works
    capsys.readouterr()


def test_an_answer_that_patches_rnnlib_is_undone(capsys):
    forward, backward = rnnlib.RNN.forward, rnnlib.layers.RNN.backward
    zeros = lambda x, h0, *a: np.zeros((len(x),) + np.shape(h0))          # noqa: E731

    def patching(x, h0, W_xh, W_hh, b_h):
        rnnlib.RNN.forward = lambda self, x, state0=None: (zeros(x, state0), None, None)
        rnnlib.layers.RNN.backward = lambda *a, **k: None
        rnnlib.cells.new_name = 1
        return ex_unf.solution_rnn_forward(x, h0, W_xh, W_hh, b_h)

    res = ex_unf.check_rnn_forward(patching)
    assert res.passed and "put the original back" in res.message
    assert rnnlib.RNN.forward is forward and rnnlib.layers.RNN.backward is backward
    assert not hasattr(rnnlib.cells, "new_name")
    # the patch did not survive: an all-zero answer fails the next check
    assert ex_unf.check_rnn_forward(zeros).status == "wrong"
    capsys.readouterr()


def test_the_reference_is_protected_from_a_patch_made_outside_the_check(monkeypatch, capsys):
    zeros = lambda x, h0, *a: np.zeros((len(x),) + np.shape(h0))          # noqa: E731
    monkeypatch.setattr(rnnlib.RNN, "forward",
                        lambda self, x, state0=None: (zeros(x, state0), None, None))
    assert ex_unf.check_rnn_forward(zeros).status == "wrong"
    assert ex_unf.check_rnn_forward(ex_unf.solution_rnn_forward).passed
    capsys.readouterr()


def test_a_failed_check_prints_the_first_hint_level_and_how_to_get_the_next(capsys):
    res = ex_bptt.check_bptt(lambda *a: ex_bptt.solution_bptt(*a)[:3] + (np.zeros((2, 4)),))
    idea = ex_bptt.HINTS["check_bptt"][0]
    assert res.status == "wrong" and f"Hint: {idea}" in res.message
    assert "More help: hint(ex.check_bptt, 2)" in res.message
    capsys.readouterr()


MY_CHECKS = [check for check, _ in CHECKS]


@pytest.mark.parametrize("check", MY_CHECKS, ids=[c.__name__ for c in MY_CHECKS])
def test_every_exercise_has_three_hint_levels_then_the_solution(check, capsys):
    module = __import__(check.__module__, fromlist=["HINTS"])
    levels = module.HINTS[check.__name__]
    assert len(levels) == 3 and all(isinstance(t, str) and t.strip() for t in levels)
    assert "..." in levels[2] and "def " in levels[2]     # a skeleton with blanks to fill
    stem = check.__name__[len("check_"):]
    source = inspect.getsource(getattr(module, f"solution_{stem}"))
    body = "\n".join(source.splitlines()[1:])
    for level in (1, 2, 3):
        hint(check, level)
        out = capsys.readouterr().out
        assert f"Hint {level} of 3" in out and fb.HINT_LEVELS[level - 1] in out
        assert body.strip() not in out                     # no level gives the solution away
    hint(check, 4)
    assert f"def solution_{stem}" in capsys.readouterr().out


def test_hint_refuses_bad_levels_and_non_checks_without_raising(capsys):
    for level in (0, 5, "2", 2.5, True):
        hint(ex_bptt.check_bptt, level)
        assert "the level is 1" in capsys.readouterr().out
    hint(print, 1)
    assert "needs an exercise check" in capsys.readouterr().out
    hint(ex_gates.check_gru_step, 1)              # a check whose module has no HINTS (yet)
    out = capsys.readouterr().out
    assert out.strip()


def test_run_check_takes_explicit_hints_and_the_old_single_hint(capsys):
    ref = ex_unf._reference_nudge_effect
    cases = [(0.5, 3)]
    res = fb.run_check("demo", lambda w, T: ref(w, T) + 1, ref, cases,
                       hints=("idea one", "formula two", "code three"), check="check_demo")
    assert "Hint: idea one" in res.message and "hint(ex.check_demo, 2)" in res.message
    res = fb.run_check("demo", lambda w, T: ref(w, T) + 1, ref, cases, hint="the old hint")
    assert "Hint: the old hint" in res.message and "More help" not in res.message
    capsys.readouterr()


@pytest.mark.parametrize("kwargs,status,words", [
    (dict(guess=None, actual=2.6e-5), "not attempted", "not made yet"),
    (dict(guess=..., actual=2.6e-5), "not attempted", "not made yet"),
    (dict(guess=2.5e-5, actual=2.6e-5), "passed", "within 5 %"),
    (dict(guess=1e-4, actual=2.6e-5), "wrong", "factor of 3.85"),
    (dict(guess=1.0, actual=2.6e-5), "wrong", "orders of magnitude"),
    (dict(guess=1e-4, actual=2.6e-5, rel_tol=5.0), "passed", "factor"),
    (dict(guess=-1.0, actual=2.0), "wrong", "sign"),
    (dict(guess=0, actual=0.0), "passed", "exactly right"),
    (dict(guess="ten", actual=2.0), "type", "expected a number"),
    (dict(guess=[1, 2], actual=2.0), "type", "one number"),
    (dict(guess=float("nan"), actual=2.0), "type", "finite"),
    (dict(guess="lstm ", actual="LSTM", choices=("RNN", "LSTM", "GRU")), "passed", "you chose"),
    (dict(guess="RNN", actual="LSTM", choices=("RNN", "LSTM", "GRU")), "wrong", "rnnlib gives"),
    (dict(guess="CNN", actual="LSTM", choices=("RNN", "LSTM", "GRU")), "type", "not one of"),
    (dict(guess=_Unprintable(), actual=1.0), "type", "cannot be printed"),
])
def test_predict_judges_and_explains_without_raising(kwargs, status, words, capsys):
    res = predict("the quantity", explain="Because of this and that.", **kwargs)
    out = capsys.readouterr().out
    assert res.status == status and res.passed == (status == "passed")
    assert words in out and out == res.message + "\n"
    assert ("Because of this" in out) == (status in ("passed", "wrong"))


@pytest.mark.parametrize("name", ["01_unfolding", "02_bptt"])
def test_notebook_predictions_ship_unmade(name):
    """01 and 02 each ask for one prediction before a cell runs, and ship without it."""
    cells_ = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells_ if c["cell_type"] == "code"]
    asks = [c for c in code if "".join(c["source"]).startswith("my_prediction = ...")]
    judges = [c for c in code if "predict(" in "".join(c["source"])]
    assert len(asks) == 1 and len(judges) == 1
    out = "".join("".join(o.get("text", "")) for o in judges[0].get("outputs", []))
    assert "⏳ prediction" in out and "not made yet" in out


@pytest.mark.parametrize("name", ["00_course_map", "01_unfolding", "02_bptt"])
def test_notebooks_end_with_references_and_use_the_course_notation(name):
    cells_ = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    assert "".join(cells_[-1]["source"]).startswith("## References")
    markdown = "\n".join("".join(c["source"]) for c in cells_ if c["cell_type"] == "markdown")
    for old in ("h_t = f(W_{xh}", "h_t = f(a_t)", "f'(a_", "g_t = \\partial", "W_{hy}^\\top g_t"):
        assert old not in markdown, old          # φ is the activation, e_t the output gradient
    assert "seed 00" not in markdown.lower()



def test_checks_and_predictions_log_their_verdicts_for_grading(tmp_path, monkeypatch, capsys):
    log = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv("RNNLIB_GRADE_LOG", str(log))
    ex_bptt.check_bptt(ex_bptt.solution_bptt)
    ex_bptt.check_truncated_reach(lambda T, k, i: (np.arange(1, T + 1) <= i).astype(float))
    fb.run_check("quiet one", ex_bptt.solution_bptt, ex_bptt._reference_bptt,
                 ex_bptt._bptt_cases(), quiet=True)                    # not printed: not logged
    predict("a number", None, 1.0)
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"exercise": "bptt", "status": "passed", "passed": True},
                     {"exercise": "truncated_reach", "status": "wrong", "passed": False},
                     {"exercise": "prediction · a number", "status": "not attempted",
                      "passed": False}]
    monkeypatch.setenv("RNNLIB_GRADE_LOG", str(tmp_path / "no" / "such" / "folder" / "x"))
    assert ex_bptt.check_bptt(ex_bptt.solution_bptt).passed      # an unwritable log is ignored
    capsys.readouterr()
