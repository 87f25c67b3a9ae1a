"""Tests for notebooks 05 (LSTM and GRU gates) and 06 (long-range memory): their numeric
helpers (rnnlib.demos.gates, rnnlib.demos.memory), figures, widgets (driven headlessly) and
exercise checks (every status each check can report, each usual slip, correct answers written
another way, the three hint levels)."""

from __future__ import annotations

import inspect
import math
import re
import time

import numpy as np
import pytest
from exercise_support import assert_each_status, assert_never_raises

import rnnlib
from rnnlib import analysis, data
from rnnlib.demos import gates as dg
from rnnlib.demos import latch as dl
from rnnlib.demos import memory as dm
from rnnlib.exercises import gates as exg
from rnnlib.exercises import hint
from rnnlib.exercises import memory as exm
from rnnlib.plots import gates as pg
from rnnlib.plots import latch as pl
from rnnlib.plots import memory as pm
from rnnlib.plots.style import figure_png
from rnnlib.widgets import gates as wg
from rnnlib.widgets import latch as wl
from rnnlib.widgets import memory as wm


def _png(fig_alt):
    fig, alt = fig_alt
    assert isinstance(alt, str) and len(alt) > 40
    png = figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return png


# ============================================================================================
# notebook 05: numbers
# ============================================================================================

def test_logit_inverts_sigmoid_and_refuses_0_and_1():
    p = np.array([0.01, 0.3, 0.5, 0.9, 0.99])
    np.testing.assert_allclose(dg.sigmoid(dg.logit(p)), p, rtol=1e-12)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="strictly between 0 and 1"):
            dg.logit(bad)


@pytest.mark.parametrize("f", [0.5, 0.9, 0.99])
def test_clamped_lstm_cell_gradient_is_f_to_the_j(f):
    res = dg.gate_clamp_demo(f=f, i=0.7, o=0.3, r=0.5, z=0.8)
    np.testing.assert_allclose(res["lstm_grad"], f ** np.arange(res["T"] + 1), rtol=1e-10)
    assert res["lstm_at_k"] == pytest.approx(f ** 50, rel=1e-10)


def test_clamped_lstm_gates_are_the_slider_values():
    layer = dg.clamped_lstm(f=0.9, i=0.2, o=0.7)
    _, _, cache = layer.forward(np.random.default_rng(0).standard_normal((5, 1, 1)))
    for name, value in (("f", 0.9), ("i", 0.2), ("o", 0.7)):
        np.testing.assert_allclose(cache["gates"][name], value, rtol=1e-12)


def test_input_and_output_gates_change_the_state_not_the_cell_gradient():
    a = dg.gate_clamp_demo(f=0.9, i=0.2, o=0.2)
    b = dg.gate_clamp_demo(f=0.9, i=0.9, o=0.9)
    np.testing.assert_array_equal(a["lstm_grad"], b["lstm_grad"])
    assert b["lstm_c"].max() > 3 * a["lstm_c"].max()
    # the cell holds what was written at the pulse and decays by f per step
    k0 = a["T"] - a["k"] - 1                       # 0-based index of the pulse step
    np.testing.assert_allclose(a["lstm_c"][k0 + 1:] / a["lstm_c"][k0],
                               0.9 ** np.arange(1, a["T"] - k0), rtol=1e-10)


def test_gru_gradient_is_z_to_the_j_plus_the_reset_path():
    z = 0.8
    closed = dg.gate_clamp_demo(r=0.01, z=z)["gru_at_k"]
    half = dg.gate_clamp_demo(r=0.5, z=z)["gru_at_k"]
    open_ = dg.gate_clamp_demo(r=0.99, z=z)["gru_at_k"]
    assert z ** 50 <= closed < half < open_
    assert closed == pytest.approx(z ** 50, rel=0.2)     # r near 0: almost only the leak path


def test_gru_gradient_matches_finite_differences():
    """The widget's GRU gradient, by BPTT, against a finite difference of h_T in h_{T-j}."""
    T, j = 12, 7
    gru = dg.clamped_gru(r=0.6, z=0.7)
    x = dg.pulse_input(T, 2)
    dhs = analysis.last_step_loss_gradient(T, 1, 1)
    _, dh0, _, dh_total = gru.backward(dhs, gru.forward(x)[2], return_hidden_grads=True)
    res_grad = np.concatenate([dh0.ravel(), dh_total.ravel()])[::-1][j]
    # run the first T - j steps, perturb h_{T-j}, run the rest
    hs, _, _ = gru.forward(x[:T - j])
    eps = 1e-6
    ends = []
    for sign in (1, -1):
        h = hs[-1] + sign * eps
        ends.append(gru.forward(x[T - j:], h)[1][0, 0])
    assert res_grad == pytest.approx((ends[0] - ends[1]) / (2 * eps), rel=1e-6)


def test_lstm_backward_by_steps_matches_the_layer():
    rng = np.random.default_rng(1)
    layer = rnnlib.LSTM(3, 4, seed=2)
    x = rng.standard_normal((9, 2, 3))
    dstate = (rng.standard_normal((2, 4)), rng.standard_normal((2, 4)))
    res = dg.lstm_backward_by_steps(layer, x, dstate)
    hs, (_, c_T), cache = layer.forward(x)
    np.testing.assert_allclose(res["hs"], hs, atol=1e-14)
    np.testing.assert_allclose(res["cs"][-1], c_T, atol=1e-14)
    _, (dh0, dc0), _ = layer.backward(np.zeros_like(hs), cache, dstate)
    np.testing.assert_allclose(res["dh"][0], dh0, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(res["dc"][0], dc0, rtol=1e-10, atol=1e-14)


def test_counting_lstm_counts_and_gru_stays_below_one():
    res = dg.counting_demo(T=25)
    np.testing.assert_allclose(res["lstm_c"], np.arange(1, 26), rtol=1e-6)
    assert np.all(np.abs(res["gru_h"]) < 1) and np.all(np.abs(res["lstm_h"]) < 1)


def test_gradient_survival_forget_bias_keeps_the_gradient():
    res = dg.gradient_survival(T=60, D=3, H=8, forget_bias=3.0, seed=0)
    fb = f"LSTM, forget bias {3.0:g}"
    assert res["mean_forget"]["LSTM"] == pytest.approx(0.5, abs=0.05)
    assert res["mean_forget"][fb] > 0.9
    for name in res["names"]:
        assert res["grad"][name][0] == pytest.approx(1.0)
    assert res["grad"][fb][50] > 1e4 * res["grad"]["LSTM"][50]
    assert res["grad"][fb][50] > 1e4 * res["grad"]["vanilla RNN (tanh)"][50]


def test_reset_placements_differ_but_agree_with_reset_open():
    x = np.random.default_rng(0).standard_normal((15, 1, 3))
    after, before = rnnlib.GRU(3, 4, seed=0), rnnlib.GRU(3, 4, reset_after=False, seed=0)
    assert np.abs(after.forward(x)[0] - before.forward(x)[0]).max() > 1e-2
    for layer in (after, before):
        layer.params["bias_ih"][:4] = 40.0
    assert np.abs(after.forward(x)[0] - before.forward(x)[0]).max() < 1e-12


def test_gate_figures_render():
    t = np.arange(1, 21)
    _png(pg.valve_figure(np.linspace(-6, 6, 50), [0.1, 0.5, 0.9], t, np.sin(t)))
    _png(pg.counting_figure(dg.counting_demo()))
    _png(pg.gradient_survival_figure(dg.gradient_survival(T=30, H=4)))
    x = np.random.default_rng(0).standard_normal((10, 1, 2))
    h1, h2 = rnnlib.GRU(2, 3, seed=0).forward(x)[0], rnnlib.GRU(2, 3, False, seed=0).forward(x)[0]
    _png(pg.reset_placement_figure(np.arange(1, 11), h1, h2, unit=2))


# ============================================================================================
# notebook 05: the gate widget, driven headlessly
# ============================================================================================

def test_gate_widget_forget_slider_sets_the_gradient_50_steps_back():
    live = wg.gate_widget()
    assert live.result["lstm_at_k"] == pytest.approx(wg.DEFAULTS["f"] ** 50, rel=1e-10)
    live.controls["f"].value = 0.9
    live.controls["f"].value = 0.95
    assert live.values["f"] == 0.95
    assert live.result["lstm_at_k"] == pytest.approx(0.95 ** 50, rel=1e-10)
    assert "0.95<sup>50</sup>" in live.readout_html
    assert f"{0.95 ** 50:.4g}" in live.readout_html


def test_gate_widget_update_slider_moves_the_gru_only():
    live = wg.gate_widget(f=0.9, z=0.5)
    lstm_before, gru_before = live.result["lstm_at_k"], live.result["gru_at_k"]
    live.controls["z"].value = 0.95
    assert live.result["lstm_at_k"] == lstm_before
    assert live.result["gru_at_k"] > 1e3 * gru_before
    assert live.result["gru_at_k"] >= 0.95 ** 50


@pytest.mark.parametrize("name", ["f", "i", "o", "r", "z"])
def test_gate_widget_extremes_draw_without_warnings(name):
    live = wg.gate_widget()
    for v in (live.controls[name].min, live.controls[name].max):
        live.controls[name].value = v            # RuntimeWarnings are errors in this suite
        assert np.all(np.isfinite(live.result["lstm_grad"]))
        assert np.all(np.isfinite(live.result["gru_grad"]))
    fig, alt = wg.draw(live.result, **live.values)
    assert "gradient" in alt


def test_gate_widget_figure_looks_like_the_full_figure():
    """The widget draws its moving lines over a pre-rendered background; the result must match
    the complete figure drawn from scratch with the same lines."""
    g = pg.GateClampFigure()
    res = wg.compute(**{**wg.DEFAULTS, "f": 0.97, "r": 0.7})
    shown = g._render(g.draw(res)[0])
    full, axes = g._full_figure()
    seen = {0: 0, 1: 0}
    for name, (panel, _which, _style) in g._STYLES.items():
        line = axes[panel].lines[seen[panel]]
        seen[panel] += 1
        y = np.atleast_1d(res[name]).astype(float)
        line.set_ydata(np.maximum(y, g.YMIN) if panel == 1 else y)
    reference = g._render(full)
    assert shown.shape == reference.shape
    differ = np.abs(shown.astype(int) - reference.astype(int)).max(axis=2) > 8
    assert differ.mean() < 0.002          # a few pixels where a line crosses a dotted marker line
    assert (np.abs(shown.astype(int) - g._render(g.draw(wg.compute(**wg.DEFAULTS))[0])
                   .astype(int)).max(axis=2) > 8).mean() > 0.005   # and the lines do move


def test_gate_widget_redraw_is_fast():
    live = wg.gate_widget()
    times = []
    for v in np.linspace(0.5, 0.98, 9):
        live.controls["f"].value = float(round(v, 2))
        times.append(live.seconds)
    # the target is < 50 ms on an idle machine; this bound only catches a gross regression
    assert np.median(times) < 0.5


# ============================================================================================
# notebook 05: gates that react to the input (the latch task)
# ============================================================================================

@pytest.fixture(scope="module")
def latch_models():
    return [dl.train_latch(cell, hidden_size=2, T=30, steps=2000, seed=0)
            for cell in ("LSTM", "GRU")]


def test_latch_batch_marks_one_step_in_each_half_and_targets_its_value():
    x, y, marker, cue = dl.latch_batch(64, 20, np.random.default_rng(0))
    assert x.shape == (20, 64, 3) and y.shape == (64,)
    np.testing.assert_array_equal(x[:, :, 1].sum(axis=0), 1.0)
    np.testing.assert_array_equal(x[:, :, 2].sum(axis=0), 1.0)
    assert np.all(marker < 10) and np.all(cue >= 10)
    np.testing.assert_array_equal(x[marker, np.arange(64), 0], y)
    with pytest.raises(ValueError):
        dl.latch_batch(4, 1, 0)


def test_latch_sequence_keeps_its_values_when_the_marker_moves():
    x1, y1 = dl.latch_sequence(30, 6, 24, seed=3)
    x2, y2 = dl.latch_sequence(30, 12, 13, seed=3)
    np.testing.assert_array_equal(x1[:, 0, 0], x2[:, 0, 0])
    assert y1 == x1[5, 0, 0] and y2 == x2[11, 0, 0]
    for marker, cue in ((6, 6), (0, 5), (5, 31)):
        with pytest.raises(ValueError, match="marker"):
            dl.latch_sequence(30, marker, cue)


def test_latch_training_gradient_matches_finite_differences():
    """train_latch's loss gradient (BPTT to the cue step, through the read-out) is right: one
    step of plain gradient descent with a tiny rate lowers the loss by lr * |grad|^2."""
    rng = np.random.default_rng(0)
    model = dl.train_latch("LSTM", hidden_size=3, T=8, steps=0, seed=1)
    x, y, _, cue = dl.latch_batch(5, 8, rng)
    p = model.layer.params

    def loss():
        return float(np.mean((model.predict(x, cue) - y) ** 2))
    k, eps = (0, 1), 1e-6
    keep = p["weight_hh"][k]
    p["weight_hh"][k] = keep + eps
    up = loss()
    p["weight_hh"][k] = keep - eps
    down = loss()
    p["weight_hh"][k] = keep
    numeric = (up - down) / (2 * eps)
    # the analytic gradient, as train_latch computes it
    hs, _, cache = model.layer.forward(x)
    out, out_cache = model.readout.forward(hs[cue, np.arange(5)])
    dh_cue, _ = model.readout.backward((2.0 / 5) * (out[:, 0] - y)[:, None], out_cache)
    dhs = np.zeros_like(hs)
    dhs[cue, np.arange(5)] = dh_cue
    analytic = model.layer.backward(dhs, cache)[2]["weight_hh"][k]
    assert analytic == pytest.approx(numeric, rel=1e-6)


def test_latch_models_learn_and_their_gates_follow_the_marker(latch_models):
    lstm, gru = latch_models
    for model in latch_models:
        assert model.held_out_mse() < 0.1 * dl.BASELINE
        assert np.mean(model.losses[:20]) > 0.5 * dl.BASELINE      # it started from nothing
    for marker in (3, 9, 14):
        res = dl.trace(lstm, marker=marker, cue=25)
        i = res["gates"]["i"]
        assert i.argmax() == marker - 1 and i[marker - 1] > 0.5
        assert res["gates"]["f"][marker:24].min() > 0.9
        assert abs(res["output"] - res["target"]) < 0.15
    res = dl.trace(gru, marker=8, cue=20)
    assert res["gates"]["z"].argmin() == 7
    assert set(res["gates"]) == {"r", "z"} and res["state"].shape == (30,)


def test_latch_figure_and_widget(latch_models):
    _png(pl.latch_loss_figure(latch_models, dl.BASELINE))
    traces = [dl.trace(m) for m in latch_models]
    _png(pl.latch_figure(traces))
    live = wl.latch_widget(latch_models)
    live.controls["marker"].value = 10
    assert [r["marker"] for r in live.result] == [10, 10]
    assert live.result[0]["gates"]["i"].argmax() == 9
    live.controls["cue"].value = 8                        # before the marker: the marker moves
    assert live.controls["marker"].value == 7 and live.result[0]["cue"] == 8
    assert "within 0.1 of the target" in live.readout_html or "more than" in live.readout_html
    text = wl.readout(live.result).replace("0.1", "")
    assert not re.search(r"\d\.\d", text)                   # verdicts, no trained digits
    with pytest.raises(ValueError):
        wl.latch_widget([])


def test_latch_widget_frames_blit_without_redrawing_the_background(latch_models):
    live = wl.latch_widget(latch_models)
    figure = live.updater
    for v in (4, 8, 12, 3):
        live.controls["marker"].value = v
        _ = live.result                                   # draws the pending frame
    assert figure.frames >= 4 and figure.backgrounds == 1


# ============================================================================================
# notebook 05: exercise checks
# ============================================================================================

GATE_CHECKS = [(exg.check_lstm_step, exg.solution_lstm_step),
               (exg.check_gru_step, exg.solution_gru_step),
               (exg.check_highway_gradient, exg.solution_highway_gradient)]
ALL_CHECKS = [(exg.check_lstm_step, exg.solution_lstm_step),
              (exg.check_gru_step, exg.solution_gru_step),
              (exg.check_highway_gradient, exg.solution_highway_gradient),
              (exg.check_lstm_step_backward, exg.solution_lstm_step_backward),
              (exm.check_copy_baseline, exm.solution_copy_baseline),
              (exm.check_forget_bias, exm.solution_forget_bias)]
ALL_IDS = [check.__name__ for check, _ in ALL_CHECKS]


@pytest.mark.parametrize("check, solution", GATE_CHECKS + [ALL_CHECKS[3]],
                         ids=ALL_IDS[:4])
def test_gate_checks_every_status(check, solution, capsys):
    assert_each_status(check, solution, capsys)
    assert_never_raises(check)
    capsys.readouterr()


@pytest.mark.parametrize("check, solution", ALL_CHECKS, ids=ALL_IDS)
def test_every_exercise_has_three_hint_levels_then_the_solution(check, solution, capsys):
    module = __import__(check.__module__, fromlist=["HINTS"])
    levels = module.HINTS[check.__name__]
    assert len(levels) == 3 and all(isinstance(t, str) and t.strip() for t in levels)
    assert "..." in levels[2] and "def " in levels[2]     # a skeleton with blanks to fill
    body = "\n".join(inspect.getsource(solution).splitlines()[1:])
    for level in (1, 2, 3):
        hint(check, level)
        out = capsys.readouterr().out
        assert f"Hint {level} of 3" in out
        assert body.strip() not in out                     # no level gives the solution away
    hint(check, 4)
    assert f"def {solution.__name__}" in capsys.readouterr().out


@pytest.mark.parametrize("check, solution", ALL_CHECKS, ids=ALL_IDS)
def test_a_failed_check_prints_the_idea_and_how_to_ask_for_more(check, solution, capsys):
    module = __import__(check.__module__, fromlist=["HINTS"])
    res = check(lambda *a: None)
    assert res.status == "none"
    assert f"Hint: {module.HINTS[check.__name__][0]}" in res.message
    assert f"hint(ex.{check.__name__}, 2)" in res.message
    capsys.readouterr()


def _float32(solution):
    """A correct answer computed in float32 from float32 inputs (arrays, and the arrays of a
    cache or parameter dict)."""
    def to32(a):
        if isinstance(a, np.ndarray):
            return a.astype(np.float32)
        if isinstance(a, dict):
            return {k: to32(v) for k, v in a.items()}
        return a

    def learner(*args):
        out = solution(*[to32(a) for a in args])
        if isinstance(out, tuple):
            return tuple(to32(np.asarray(o)) if not isinstance(o, dict) else to32(o)
                         for o in out)
        return to32(out) if isinstance(out, dict) else np.float32(out) \
            if np.ndim(out) == 0 else np.asarray(out, dtype=np.float32)
    return learner


@pytest.mark.parametrize("check, solution", ALL_CHECKS[:4], ids=ALL_IDS[:4])
def test_float32_answers_pass(check, solution, capsys):
    res = check(_float32(solution))
    assert res.passed, res.message
    capsys.readouterr()


# ---- correct answers written differently: einsum, another loop order -------------------------

def _lstm_step_einsum(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    a = np.einsum("bd,gd->bg", x, weight_ih) + np.einsum("bh,gh->bg", h_prev, weight_hh) \
        + bias_ih + bias_hh
    i, f, g, o = np.split(a, 4, axis=1)
    c = rnnlib.cells.sigmoid(f) * c_prev + rnnlib.cells.sigmoid(i) * np.tanh(g)
    return rnnlib.cells.sigmoid(o) * np.tanh(c), c


def _lstm_step_unit_loop(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One hidden unit at a time, the four gates of unit j read from rows j, H+j, 2H+j, 3H+j."""
    B, H = h_prev.shape
    h, c = np.empty((B, H)), np.empty((B, H))
    for j in range(H):
        rows = [k * H + j for k in range(4)]
        a = x @ weight_ih[rows].T + h_prev @ weight_hh[rows].T + bias_ih[rows] + bias_hh[rows]
        i, f, g, o = 1 / (1 + np.exp(-a[:, 0])), 1 / (1 + np.exp(-a[:, 1])), np.tanh(a[:, 2]), \
            1 / (1 + np.exp(-a[:, 3]))
        c[:, j] = f * c_prev[:, j] + i * g
        h[:, j] = o * np.tanh(c[:, j])
    return h, c


def _gru_step_einsum(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    ax = np.einsum("bd,gd->bg", x, weight_ih) + bias_ih
    ah = np.einsum("bh,gh->bg", h_prev, weight_hh) + bias_hh
    (xr, xz, xn), (hr, hz, hn) = np.split(ax, 3, axis=1), np.split(ah, 3, axis=1)
    r, z = rnnlib.cells.sigmoid(xr + hr), rnnlib.cells.sigmoid(xz + hz)
    return h_prev + (1 - z) * (np.tanh(xn + r * hn) - h_prev)      # the same, rearranged


def _highway_loop(f):
    out = [np.ones_like(f[0])]
    for t in range(len(f) - 1, -1, -1):                 # from f_T back to f_1
        out.append(out[-1] * f[t])
    return np.stack(out)


def _lstm_backward_einsum(dh, dc, cache):
    i, f, g, o, tc = (cache[k] for k in ("i", "f", "g", "o", "tanh_c"))
    dct = dc + dh * o * (1 - tc ** 2)
    da = np.concatenate([dct * g * i * (1 - i), dct * cache["c_prev"] * f * (1 - f),
                         dct * i * (1 - g ** 2), dh * tc * o * (1 - o)], axis=1)
    return (np.einsum("bg,gd->bd", da, cache["weight_ih"]),
            np.einsum("bg,gh->bh", da, cache["weight_hh"]), dct * f,
            {"weight_ih": np.einsum("bg,bd->gd", da, cache["x"]),
             "weight_hh": np.einsum("bg,bh->gh", da, cache["h_prev"]),
             "bias_ih": np.einsum("bg->g", da), "bias_hh": np.einsum("bg->g", da)})


def _lstm_backward_sample_loop(dh, dc, cache):
    """One sequence of the batch at a time, gradients accumulated over the batch."""
    B = dh.shape[0]
    outs = []
    for b in range(B):
        one = {k: (v[b:b + 1] if k not in ("weight_ih", "weight_hh") else v)
               for k, v in cache.items()}
        outs.append(exg.solution_lstm_step_backward(dh[b:b + 1], dc[b:b + 1], one))
    grads = {k: sum(o[3][k] for o in outs) for k in outs[0][3]}
    return (np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs]),
            np.concatenate([o[2] for o in outs]), grads)


def _copy_baseline_by_steps(n, L, d):
    losses = [0.0] * (L + d + 1) + [math.log(n)] * L     # per step, then the mean
    return sum(losses) / len(losses)


def _forget_bias_split(params, H, value):
    new = {k: v.copy() for k, v in params.items()}
    new["bias_ih"][H:2 * H] = value / 2                 # split between the two biases
    new["bias_hh"][H:2 * H] = value / 2
    return new


DIFFERENT_BUT_RIGHT = [
    (exg.check_lstm_step, _lstm_step_einsum), (exg.check_lstm_step, _lstm_step_unit_loop),
    (exg.check_gru_step, _gru_step_einsum), (exg.check_highway_gradient, _highway_loop),
    (exg.check_lstm_step_backward, _lstm_backward_einsum),
    (exg.check_lstm_step_backward, _lstm_backward_sample_loop),
    (exg.check_lstm_step_backward, rnnlib.cells.lstm_step_backward),
    (exm.check_copy_baseline, _copy_baseline_by_steps),
    (exm.check_copy_baseline, data.copy_task_baseline),
    (exm.check_forget_bias, _forget_bias_split),
]


@pytest.mark.parametrize("check, answer", DIFFERENT_BUT_RIGHT,
                         ids=[a.__name__ for _, a in DIFFERENT_BUT_RIGHT])
def test_correct_answers_written_differently_pass(check, answer, capsys):
    res = check(answer)
    assert res.passed, res.message
    capsys.readouterr()


@pytest.mark.parametrize("mistake, explanation", exg._LSTM_BACKWARD_MISTAKES)
def test_lstm_backward_check_names_each_slip(mistake, explanation, capsys):
    def learner(dh, dc, cache):                 # the slip, returned the way a learner would
        out = mistake(dh, dc, cache)
        return out[0], out[1], out[2], dict(zip(exg._GRAD_KEYS, out[3:], strict=True))
    res = exg.check_lstm_step_backward(learner)
    assert res.status == "wrong" and explanation in res.message
    capsys.readouterr()


def test_lstm_backward_reference_matches_rnnlib_and_finite_differences():
    for case in exg._lstm_backward_cases(3):
        ours = exg.solution_lstm_step_backward(*case)
        theirs = rnnlib.cells.lstm_step_backward(*case)
        for a, b in zip(exg._flatten_backward(ours), exg._flatten_backward(theirs),
                        strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert exg._finite_difference_check(exg.solution_lstm_step_backward, seed=5)
    slip = exg._LSTM_BACKWARD_MISTAKES[0][0]
    assert not exg._finite_difference_check(
        lambda *a: (lambda o: o[:3])(slip(*a)), seed=5)


def test_lstm_backward_check_catches_an_answer_with_hidden_state(capsys):
    calls = []

    def sneaky(dh, dc, cache):          # right on the three test cases, wrong afterwards
        calls.append(1)
        out = exg.solution_lstm_step_backward(dh, dc, cache)
        return out if len(calls) <= 3 else (out[0] * 2,) + out[1:]
    res = exg.check_lstm_step_backward(sneaky)
    assert not res.passed and "finite differences" in res.message
    capsys.readouterr()


def test_lstm_backward_check_explains_a_grads_dict_with_keys_missing(capsys):
    def partial(dh, dc, cache):
        out = exg.solution_lstm_step_backward(dh, dc, cache)
        return out[:3] + ({"weight_ih": out[3]["weight_ih"]},)
    res = exg.check_lstm_step_backward(partial)
    assert res.status == "shape" and "grads['weight_hh']" in res.message
    assert "a dict with the keys weight_ih, weight_hh" in res.message
    capsys.readouterr()


@pytest.mark.parametrize("mistake, explanation", exg._LSTM_MISTAKES)
def test_lstm_check_names_each_usual_mistake(mistake, explanation):
    res = exg.check_lstm_step(mistake)
    assert res.status == "wrong"
    assert explanation in res.message


@pytest.mark.parametrize("mistake, explanation", exg._GRU_MISTAKES)
def test_gru_check_names_each_usual_mistake(mistake, explanation):
    res = exg.check_gru_step(mistake)
    assert res.status == "wrong"
    assert explanation in res.message


@pytest.mark.parametrize("mistake, explanation", exg._HIGHWAY_MISTAKES)
def test_highway_check_names_each_usual_mistake(mistake, explanation):
    res = exg.check_highway_gradient(mistake)
    assert res.status == "wrong"
    assert explanation in res.message


def test_highway_reference_matches_bptt_through_a_real_lstm():
    """The exercise's answer is the cell path of real BPTT when the gates do not depend on h."""
    layer = rnnlib.LSTM(2, 3, seed=0)
    layer.params["weight_hh"][...] = 0.0               # gates and candidate read x only
    x = np.random.default_rng(0).standard_normal((8, 1, 2))
    _, _, cache = layer.forward(x)
    res = dg.lstm_backward_by_steps(layer, x, (np.zeros((1, 3)), np.ones((1, 3))))
    np.testing.assert_allclose(exg.solution_highway_gradient(cache["gates"]["f"]),
                               res["dc"][::-1], rtol=1e-12)


# ============================================================================================
# notebook 06: the trainer
# ============================================================================================

def _same_run(a, b):
    return (a.history.loss == b.history.loss and a.history.eval_loss == b.history.eval_loss
            and a.history.eval_step == b.history.eval_step
            and all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
            and a.steps_done == b.steps_done)


@pytest.mark.parametrize("cell, task", [("LSTM", "adding"), ("GRU", "copy"), ("RNN", "adding")])
def test_trainer_stop_and_resume_equals_one_run(cell, task):
    one = dm.Trainer(cell=cell, T=12, hidden_size=5, task=task, eval_every=10, n_eval=16, seed=4)
    one.run(45)
    parts = dm.Trainer(cell=cell, T=12, hidden_size=5, task=task, eval_every=10, n_eval=16,
                       seed=4)
    done = parts.run(45, should_stop=lambda: parts.steps_done >= 17)
    assert done == 17 and parts.steps_done == 17
    parts.run(20)
    parts.run(8)
    assert _same_run(one, parts)


def test_trainer_same_seed_same_numbers_other_seed_other_numbers():
    a, b, c = (dm.Trainer(cell="GRU", T=8, hidden_size=4, n_eval=8, seed=s) for s in (1, 1, 2))
    for tr in (a, b, c):
        tr.run(5)
    assert _same_run(a, b)
    assert a.history.loss != c.history.loss


def test_trainer_history_and_progress():
    tr = dm.Trainer(cell="RNN", T=6, hidden_size=3, eval_every=4, n_eval=8)
    calls = []
    tr.run(10, on_progress=lambda t, done, steps: calls.append(done), progress_every=3)
    assert calls == [3, 6, 9, 10]
    assert tr.history.step == list(range(1, 11))
    assert tr.history.eval_step == [0, 4, 8]
    assert len(tr.history.grad_norm) == 10
    assert tr.run(0) == 0
    with pytest.raises(ValueError):
        tr.run(-1)


def test_trainer_prints_deterministic_progress_lines(capsys):
    tr = dm.Trainer(cell="GRU", T=6, hidden_size=3, eval_every=5, n_eval=8, seed=0)
    tr.run(10, print_every=5)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "step     5" in lines[0] and "step    10" in lines[1]
    # nothing strict nbval's sanitizer would mask as a timing (tests/nbval_sanitize.cfg)
    timing = re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms|us|µs|ns)\b")
    assert not any(timing.search(line) for line in lines)
    assert not timing.search(dm.results_table([tr]))


def test_trainer_baselines_and_tasks():
    assert dm.Trainer(cell="RNN", T=10, n_eval=4).baseline == data.ADDING_BASELINE_MSE
    tr = dm.Trainer(cell="GRU", T=20, task="copy", n_eval=4)
    assert tr.baseline == pytest.approx(
        data.copy_task_baseline(dm.COPY_SYMBOLS, dm.COPY_LENGTH, 20 - 2 * dm.COPY_LENGTH - 1))
    with pytest.raises(ValueError):
        dm.Trainer(task="sorting")
    with pytest.raises(ValueError):
        dm.copy_delay(2 * dm.COPY_LENGTH)
    with pytest.raises(ValueError):
        dm.make_model("GRU", "adding", 4, seed=0, forget_bias=1.0)


def test_trainer_forget_bias_sets_the_forget_gate():
    H = 6
    tr = dm.Trainer(cell="LSTM", T=10, hidden_size=H, forget_bias=3.0, n_eval=4)
    p = tr.model.rnn.params
    np.testing.assert_allclose(p["bias_ih"][H:2 * H] + p["bias_hh"][H:2 * H], 3.0)
    plain = dm.Trainer(cell="LSTM", T=10, hidden_size=H, n_eval=4)
    q = plain.model.rnn.params
    for k in ("weight_ih", "weight_hh"):
        np.testing.assert_array_equal(p[k], q[k])
    np.testing.assert_array_equal(p["bias_ih"][:H], q["bias_ih"][:H])


def test_trainer_learns_the_adding_problem_at_a_short_length():
    tr = dm.Trainer(cell="GRU", T=10, hidden_size=8, eval_every=50, n_eval=128, seed=0)
    tr.run(250)
    assert tr.final_eval() < 0.3 * tr.baseline
    assert tr.first_solved_step(0.3) > 0


def test_results_table_has_one_row_per_run(capsys):
    runs = dm.train_grid(("RNN", "GRU"), (6,), 3, hidden_size=3, n_eval=4, announce=True)
    assert set(runs) == {("adding", "RNN", 6, 3), ("adding", "GRU", 6, 3)}
    assert capsys.readouterr().out.splitlines() == ["trained RNN, T = 6, H = 3 for 3 steps",
                                                    "trained GRU, T = 6, H = 3 for 3 steps"]
    for losses in (False, True):
        table = dm.results_table(runs, losses=losses).splitlines()
        assert len(table) == 3 and table[0].startswith("cell")
    # the default table states verdicts, no digits of a loss that another machine could move
    assert not re.search(r"\d\.\d", dm.results_table(runs))
    assert re.search(r"\d\.\d{4}", dm.results_table(runs, losses=True))


@pytest.mark.parametrize("ratio, words, solved", [
    (0.05, "below 0.1 × baseline", True), (0.1, "below the baseline", False),
    (0.5, "below the baseline", False), (0.95, "at the baseline", False),
    (1.2, "at the baseline", False)])
def test_verdict_reads_the_final_held_out_loss_against_the_baseline(ratio, words, solved):
    tr = dm.Trainer(cell="GRU", T=6, hidden_size=3, n_eval=4)
    tr.history.eval_loss[-1] = ratio * tr.baseline
    assert dm.verdict(tr) == words and tr.solved() == solved
    assert words in dm.results_table([tr])


def test_memory_figures_render():
    x, y = data.adding_problem(2, 20, seed=0)
    _png(pm.adding_example_figure(x, y))
    xc, yc = data.copy_task(2, dm.COPY_SYMBOLS, dm.COPY_LENGTH, 5, seed=0)
    _png(pm.copy_example_figure(xc, yc, dm.COPY_SYMBOLS))
    runs = dm.train_grid(("RNN", "LSTM", "GRU"), (6, 8), 10, hidden_size=3, eval_every=5,
                         n_eval=4)
    _png(pm.learning_curves_figure(runs, "title", fraction=0.1))
    fb = dm.Trainer(cell="LSTM", T=8, hidden_size=3, forget_bias=3.0, eval_every=5, n_eval=4)
    fb.run(10)
    _png(pm.forget_bias_figure([runs[("adding", "LSTM", 8, 3)], fb], fraction=0.1))


# ============================================================================================
# notebook 06: the training widget, driven headlessly
# ============================================================================================

SMALL = dict(n_eval=16, eval_every=10)


def test_training_widget_trains_the_chosen_setting():
    w = wm.training_widget(task="adding", cell="GRU", T=10, hidden_size=8, steps=250,
                           redraw_every=20, **SMALL)
    assert w.trainer() is None and "not trained yet" in w.status.value
    done = w.train(steps=30, blocking=True)
    assert done == 30 and w.trainer().steps_done == 30
    assert w.progress.value == 30
    assert "30 steps" in w.status.value
    assert not w.controls["cell"].disabled and w.stop_button.disabled
    assert len(w.output.outputs) == 1 and "image/png" in w.output.outputs[0]["data"]
    assert w.output.outputs[0]["metadata"]["image/png"]["alt"]
    w.train(steps=20, blocking=True)                      # Train again: continues
    assert w.trainer().steps_done == 50


def test_training_widget_stop_then_resume_equals_one_run():
    w = wm.training_widget(task="adding", cell="LSTM", T=10, hidden_size=4, steps=250,
                           redraw_every=25, **SMALL)
    thread = w.train(steps=400)                           # the button: a background thread
    assert thread is not None
    deadline = time.time() + 20
    while w.trainer().steps_done < 5 and time.time() < deadline:
        time.sleep(0.01)
    assert w.is_training() or w.trainer().steps_done == 400
    w.stop()
    w.join(timeout=20)
    assert not w.is_training()
    stopped_at = w.trainer().steps_done
    assert 5 <= stopped_at <= 400
    if stopped_at < 400:
        assert "Stopped" in w.status.value
    w.train(steps=400 - stopped_at, blocking=True)        # resume
    one = dm.Trainer(cell="LSTM", T=10, hidden_size=4, task="adding", **SMALL)
    one.run(400)
    assert _same_run(one, w.trainer())


def test_training_widget_selection_and_shared_trainers():
    runs = dm.train_grid(("RNN", "GRU"), (10,), 20, hidden_size=4, **SMALL)
    w = wm.training_widget(trainers=runs, task="adding", cell="GRU", T=10, hidden_size=4,
                           steps=250, **SMALL)
    assert w.trainer() is runs[("adding", "GRU", 10, 4)]
    labels = [label for label, _ in w.runs()]
    assert labels[0].startswith("GRU") and any(lab.startswith("vanilla RNN") for lab in labels)
    w.controls["cell"].value = "LSTM"
    assert w.trainer() is None and "not trained yet" in w.status.value
    assert w.seconds is not None and w.seconds < 2.0
    w.controls["task"].value = "copy"
    w.train(steps=5, blocking=True)
    assert ("copy", "LSTM", 10, 4) in runs                # the caller's dict gets the new run
    w.controls["steps"].value = 500
    assert w.progress.max == 500 and w.progress.value == 0


def test_training_widget_reports_a_failed_run(monkeypatch):
    w = wm.training_widget(task="adding", cell="GRU", T=10, hidden_size=8, **SMALL)
    tr = w.trainer(create=True)

    def diverge():
        raise ValueError("gradient of 'rnn.weight_hh' contains inf or NaN")
    monkeypatch.setattr(tr, "step", diverge)
    w.train(steps=10, blocking=True)
    assert "error" in w.status.value and "inf or NaN" in w.status.value
    assert not w.is_training() and not w.controls["T"].disabled


def test_training_widget_show_static(capsys):
    w = wm.training_widget(task="adding", cell="RNN", T=10, hidden_size=8, **SMALL)
    w.show_static()                                       # prints reprs outside IPython


# ============================================================================================
# notebook 06: exercise checks
# ============================================================================================

@pytest.mark.parametrize("check, solution", ALL_CHECKS[4:], ids=ALL_IDS[4:])
def test_memory_checks_every_status(check, solution, capsys):
    assert_each_status(check, solution, capsys)
    assert_never_raises(check)
    assert exm.check_copy_baseline(lambda *a: "a third").status == "type"
    capsys.readouterr()


@pytest.mark.parametrize("mistake, explanation", exm._COPY_MISTAKES)
def test_copy_baseline_check_names_each_usual_mistake(mistake, explanation):
    res = exm.check_copy_baseline(mistake)
    assert res.status == "wrong"
    assert explanation in res.message


def _forget_variant(block=1, ih=None, hh=0.0, inplace_none=False, touch_weights=False):
    def fn(params, H, value):
        if not inplace_none:
            params = {k: v.copy() for k, v in params.items()}
        params["bias_ih"][block * H:(block + 1) * H] = value if ih is None else ih(value)
        if hh is not None:
            params["bias_hh"][block * H:(block + 1) * H] = hh if not callable(hh) else hh(value)
        if touch_weights:
            params["weight_ih"][H:2 * H] = 0.0
        return None if inplace_none else params
    return fn


def test_forget_bias_check_odd_answers(capsys):
    assert exm.check_forget_bias(_forget_variant(inplace_none=True)).status == "none"
    res = exm.check_forget_bias(lambda p, H, v: {"bias_ih": p["bias_ih"]})
    assert res.status == "type" and "weight_ih" in res.message

    def shape_fn(p, H, v):
        p = {k: x.copy() for k, x in p.items()}
        p["bias_ih"] = p["bias_ih"][:H]
        return p
    assert exm.check_forget_bias(shape_fn).status == "shape"
    capsys.readouterr()


@pytest.mark.parametrize("variant, words", [
    (_forget_variant(block=0), "input gate i"),
    (_forget_variant(block=3), "output gate o"),
    (_forget_variant(hh=lambda v: v), "2 * value"),
    (_forget_variant(hh=None), "bias_hh still adds"),
    (_forget_variant(touch_weights=True), "leave the weights alone"),
])
def test_forget_bias_check_names_each_usual_mistake(variant, words):
    res = exm.check_forget_bias(variant)
    assert res.status == "wrong"
    assert words in res.message


def test_solutions_print(capsys):
    from rnnlib.exercises import solution
    for fn in (exg.solution_lstm_step, exg.solution_gru_step, exg.solution_highway_gradient,
               exm.solution_copy_baseline, exm.solution_forget_bias):
        solution(fn)
    out = capsys.readouterr().out
    assert "def solution_lstm_step" in out and "math.log" in out
    assert math.isclose(exm.solution_copy_baseline(8, 5, 20), data.copy_task_baseline(8, 5, 20))


def test_memory_and_latch_read_the_core_cell_registry():
    assert dm.CELLS == {rnnlib.cell_label(n): rnnlib.cell_layer(n) for n in ("rnn", "lstm", "gru")}
    assert list(dm.CELLS) == ["RNN", "LSTM", "GRU"]                 # the labels the notebook shows
    assert isinstance(dm.make_model("gru", "adding", 3, seed=0).rnn, rnnlib.GRU)
    with pytest.raises(ValueError, match="cell must be one of"):
        dm.make_model("transformer", "adding", 3, seed=0)
    assert dl.train_latch("lstm", steps=0).cell == "LSTM"
    with pytest.raises(ValueError, match="gated cell"):
        dl.train_latch("RNN", steps=0)
