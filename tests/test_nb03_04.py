"""Tests for notebooks 03 (vanishing and exploding gradients) and 04 (gradient clipping): their
numeric helpers (rnnlib.demos.gradients, rnnlib.demos.clipping), figures, widgets (driven
headlessly: set a control, read ``widget.result``) and exercise checks.

Widget numbers are checked against rnnlib computed directly, or against closed forms that hold
exactly for the one-unit linear network (w ** k).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import pathlib
import warnings

import numpy as np
import pytest
from exercise_support import (
    assert_names_each_mistake,
    exercise_check_tests,
)

import rnnlib
from rnnlib import analysis
from rnnlib.demos import clipping as dclip
from rnnlib.demos import gradients as dgrad
from rnnlib.exercises import clipping as ex_clip
from rnnlib.exercises import gradients as ex_grad
from rnnlib.plots import clipping as pclip
from rnnlib.plots import gradients as pgrad
from rnnlib.plots.style import figure_png
from rnnlib.widgets import clipping as wclip
from rnnlib.widgets import gradients as wgrad

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


@contextlib.contextmanager
def quiet():
    """Widgets display their figures; outside a kernel IPython prints them. Keep the log clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


@contextlib.contextmanager
def no_warnings():
    """Fail on any warning that rnnlib causes (pyproject already turns RuntimeWarning into an
    error). A third party's deprecation notice about its own dependencies (pyparsing inside
    matplotlib 3.7, ipykernel.comm inside ipywidgets 7 at the dependency floors) says nothing
    about the course and is let through."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    ours = [
        w
        for w in caught
        if not (
            issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning))
            and "rnnlib" not in str(w.filename)
        )
    ]
    assert not ours, [str(w.message) for w in ours]


# =============================================================================================
# rnnlib.demos.gradients (notebook 03)


@pytest.mark.parametrize("w,T", [(1.1, 50), (0.9, 50), (1.1, 65), (2.0, 30), (0.5, 10)])
def test_scalar_decay_is_bptt_and_equals_w_to_the_k(w, T):
    r = dgrad.scalar_decay(w, T)
    k = T - r["t"]
    assert np.allclose(r["grad64"], w**k, rtol=1e-12)
    assert np.array_equal(r["grad64"], analysis.scalar_gradient_decay(w, T)[::-1])
    assert r["grad64"][-1] == 1.0 and r["first64"] == r["grad64"][0]
    assert np.allclose(r["grad32"], w**k, rtol=1e-5)
    assert r["overflow_t"] is None and r["underflow_t"] is None


def test_lecture_notes_numbers():
    rows = {(r["w"], r["steps"]): r for r in dgrad.lecture_notes_table()}
    assert rows[1.1, 50]["bptt"] == pytest.approx(117.39, abs=0.01)
    assert rows[0.9, 50]["bptt"] == pytest.approx(0.0052, abs=5e-5)
    assert rows[1.1, 65]["bptt"] == pytest.approx(490.37, abs=0.01)
    assert rows[0.9, 65]["bptt"] == pytest.approx(0.0011, abs=5e-5)
    for r in rows.values():
        assert r["bptt"] == pytest.approx(r["power"], rel=1e-12)


def test_float32_overflow_and_underflow_are_flagged_without_warnings():
    with no_warnings():
        big = dgrad.scalar_decay(2.0, 200)
        small = dgrad.scalar_decay(0.5, 200)
        tanh = dgrad.scalar_decay(1.5, 200, "tanh")
    assert np.isinf(big["first32"]) and big["first64"] == pytest.approx(2.0**200, rel=1e-12)
    assert big["overflow_steps_back"] == 128 and big["overflow_t"] == 72  # 2**128 > 3.4e38
    assert np.all(np.isinf(big["grad32"][:73])) and np.all(np.isfinite(big["grad32"][73:]))
    assert not np.any(np.isnan(big["grad32"]))  # inf, not NaN
    assert small["first32"] == 0.0 and small["underflow_t"] == 73  # 0.5**127 < 1.2e-38
    assert (
        tanh["first64"] < 1e-50 and tanh["underflow_t"] is not None and tanh["overflow_t"] is None
    )


def test_overflow_comes_before_nan():
    run = dgrad.overflow_then_nan(T=140)
    assert run["first_inf"] == 128 and run["first_nan"] == 129
    hs = run["hs"]
    assert hs.dtype == np.float32
    assert np.all(np.isfinite(hs[:127])) and not np.any(np.isnan(hs[:128]))


def test_matrix_gradient_norms():
    runs = {rho: dgrad.matrix_gradient_norms(rho) for rho in (0.9, 1.0, 1.1)}
    for rho, r in runs.items():
        assert r["rho"] == pytest.approx(rho, rel=1e-9)
        assert r["sigma"] >= r["rho"]
        assert r["norms"][-1] == pytest.approx(1.0, rel=1e-12)  # ||dL/dh_T|| = 1
        assert r["mean_fprime"] == 1.0
    assert runs[0.9]["ratio"] < 1e-3 < 1e3 < runs[1.1]["ratio"]
    assert runs[0.9]["sigma"] > 1  # rho < 1 < sigma: vanishes anyway
    # a linear RNN's gradients do not depend on the inputs
    a = dgrad.matrix_gradient_norms(1.2, input_scale=0.0)
    b = dgrad.matrix_gradient_norms(1.2, input_scale=3.0)
    assert np.allclose(a["norms"], b["norms"], rtol=1e-12)


def test_matrix_gradient_norms_are_rnnlibs_bptt():
    r = dgrad.matrix_gradient_norms(1.3, "tanh", input_scale=0.7, H=5, T=12, seed=4)
    W = analysis.random_recurrent_matrix(5, 1.3, seed=4)
    hs = r["hs"]
    delta = dgrad.unit_vector(5, 4)
    norms = [np.linalg.norm(delta)]
    for t in range(11, 0, -1):  # delta_{t-1} = (delta_t * f'(a_t)) @ W
        delta = (delta * (1 - hs[t] ** 2)) @ W
        norms.append(np.linalg.norm(delta))
    assert np.allclose(r["norms"], norms[::-1], rtol=1e-10)


def test_saturation_makes_rho_above_one_vanish():
    runs = [dgrad.matrix_gradient_norms(1.5, "tanh", input_scale=s) for s in (0.0, 1.0, 3.0)]
    fprimes = [r["mean_fprime"] for r in runs]
    assert fprimes == sorted(fprimes, reverse=True)
    assert runs[-1]["ratio"] < 1e-15 and runs[0]["ratio"] > 1e-2


def test_saturation_can_make_a_gradient_explode_although_rho_is_below_one():
    r = dgrad.saturating_pair(rho=0.73, bias=5.0)
    assert r["rho"] == pytest.approx(0.73, rel=1e-12) and r["sigma"] == pytest.approx(
        5.98, abs=0.01
    )
    assert r["fprime_first"][0] < 0.01 and r["fprime_first"][1] == pytest.approx(1.0, abs=1e-12)
    assert r["jacobian_rho"] > 1.25 and r["ratio"] > 1e10  # about 1.27 ** 99
    # the gradient is rnnlib's BPTT: walk it back by hand with the states rnnlib produced
    W, hs = dgrad.pair_matrix(0.73), r["hs"]
    delta, norms = np.array([0.0, 1.0]), [1.0]
    for t in range(99, 0, -1):
        delta = (delta * (1 - hs[t] ** 2)) @ W
        norms.append(np.linalg.norm(delta))
    assert np.allclose(r["norms"], norms[::-1], rtol=1e-9)
    # the same weights without saturation vanish; no bias, no saturation, no explosion
    assert dgrad.saturating_pair(nonlinearity="linear")["ratio"] < 1e-12
    assert dgrad.saturating_pair(bias=0.0)["ratio"] < 1e-12
    # Pascanu et al.'s necessary condition holds: sigma_max > 1 / gamma
    assert r["sigma"] > 1.0
    # the resting point is unstable: a small input ends the explosion
    assert dgrad.saturating_pair(input_scale=0.3)["ratio"] < 1e-10
    # the bias raises the spectral radius of the Jacobian monotonically
    rhos = [dgrad.saturating_pair(bias=b)["jacobian_rho"] for b in (0.0, 1.0, 2.0, 3.0, 5.0)]
    assert rhos == sorted(rhos) and rhos[0] == pytest.approx(0.73)


def test_pair_matrix_has_eigenvalues_plus_minus_rho():
    for rho in (0.5, 0.73, 1.4):
        eig = np.sort(np.linalg.eigvals(dgrad.pair_matrix(rho)).real)
        assert np.allclose(eig, [-rho, rho], rtol=1e-12)


def test_bias_saturates_the_random_network():
    a = dgrad.matrix_gradient_norms(1.5, "tanh", input_scale=0.3)
    b = dgrad.matrix_gradient_norms(1.5, "tanh", input_scale=0.3, bias=3.0)
    assert b["mean_fprime"] < a["mean_fprime"] and b["ratio"] < a["ratio"]
    assert (
        dgrad.matrix_gradient_norms(0.9, bias=0.0)["ratio"]
        == dgrad.matrix_gradient_norms(0.9)["ratio"]
    )


def test_jacobian_norms_are_matrix_powers():
    W = np.array([[0.3, 1.2], [-0.4, 0.8]])
    norms = dgrad.jacobian_norms(W, 8)
    expected = [np.linalg.norm(np.linalg.matrix_power(W, 8 - t), 2) for t in range(1, 9)]
    assert np.allclose(norms, expected, rtol=1e-12)


def test_non_normal_growth_and_orthogonal_init():
    nn = dgrad.non_normal_growth(T=30, a=0.5, c=4.0)
    assert nn["rho"] == pytest.approx(0.5) and nn["sigma"] == pytest.approx(4.0616, abs=1e-4)
    assert nn["peak"] == pytest.approx(nn["sigma"], rel=1e-12) and nn["peak_steps_back"] == 1
    assert nn["norms"][0] < 1e-5  # but it vanishes in the end
    ortho = dgrad.orthogonal_gradient_ratio(H=16, T=60, seed=2)
    assert ortho["ratio"] == pytest.approx(1.0, abs=1e-12)
    assert ortho["smallest_sigma"] == pytest.approx(1.0, abs=1e-12)


def test_tanh_derivative_table():
    t = dgrad.tanh_derivative_table((0.0, 1.0, 3.0))
    assert np.allclose(t["fprime"], 1 - np.tanh([0.0, 1.0, 3.0]) ** 2, rtol=1e-12)


# =============================================================================================
# rnnlib.demos.clipping (notebook 04)


def test_norm_clipping_keeps_the_direction_exactly():
    grads, _ = dclip.exploding_gradient()
    before = copy.deepcopy(grads)
    c = dclip.compare_clippings(grads, 5.0)
    for k in grads:  # the comparison clips copies
        assert np.array_equal(grads[k], before[k])
    assert c["raw_norm"] > 1000
    g = c["methods"]["global"]
    assert g["cosine"] == pytest.approx(1.0, abs=1e-12) and g["angle"] < 1e-5
    assert g["norm"] == pytest.approx(5.0, rel=1e-6) and g["norm"] <= 5.0
    p, v = c["methods"]["per_param"], c["methods"]["value"]
    assert all(n <= 5.0 + 1e-9 for n in p["param_norms"].values())
    assert p["norm"] == pytest.approx(5.0 * np.sqrt(len(grads)), rel=1e-6)
    assert max(np.abs(x).max() for x in v["grads"].values()) <= 5.0
    assert v["norm"] > 5.0  # value clipping does not bound the length
    assert p["cosine"] < 0.7 and v["cosine"] < 0.7
    assert dclip.cosine(grads, v["grads"]) == pytest.approx(v["cosine"], rel=1e-12)


def test_toy_clipping_per_param_of_scalars_is_value_clipping():
    toy = dclip.toy_clipping((6.0, 1.0), 2.0)
    assert np.allclose(toy["value"], [2.0, 1.0])
    assert np.allclose(toy["per_param"], toy["value"], atol=1e-6)
    assert np.linalg.norm(toy["global"]) == pytest.approx(2.0, rel=1e-6)
    assert toy["angle"]["global"] < 1e-5
    assert toy["angle"]["value"] == pytest.approx(np.degrees(np.arctan2(1, 2) - np.arctan2(1, 6)))


def test_cliff_surface_is_the_rnn_and_cached():
    s = dclip.cliff_surface()
    assert dclip.cliff_surface() is s  # computed once
    assert not s["loss"].flags.writeable
    for i, j in [(0, 0), (60, 50), (120, 100), (37, 81), (75, 40)]:
        w, b = s["w"][i], s["b"][j]
        loss, _ = dclip.cliff_loss_grad(w, b)
        assert s["loss"][j, i] == pytest.approx(loss, rel=1e-12, abs=1e-15)
        h_T = dclip.cliff_final_state(w, b)
        assert loss == pytest.approx((h_T - 0.7) ** 2, rel=1e-12)
    assert s["loss"].max() > 2.5 and s["loss"].min() < 1e-3


@pytest.mark.parametrize("w,b", [(2.0, -0.2), (2.0, -0.46), (1.2, 0.3), (3.0, -1.0)])
def test_cliff_gradient_matches_finite_differences(w, b):
    _, g = dclip.cliff_loss_grad(w, b)
    eps = 1e-6
    num = [
        (dclip.cliff_loss_grad(w + eps, b)[0] - dclip.cliff_loss_grad(w - eps, b)[0]) / (2 * eps),
        (dclip.cliff_loss_grad(w, b + eps)[0] - dclip.cliff_loss_grad(w, b - eps)[0]) / (2 * eps),
    ]
    assert np.allclose(g, num, rtol=1e-5, atol=1e-8)


def test_cliff_section_finds_the_wall():
    sec = dclip.cliff_section(w=2.0, b_range=(-1.0, 0.5))
    assert -0.5 < sec["b_steepest"] < -0.4 and sec["steepest"] > 100 * np.median(sec["grad_b"])


def test_descent_paths_with_and_without_clipping():
    raw = dclip.descent_path((2.0, -0.2), lr=0.2, steps=40)
    clipped = dclip.descent_path((2.0, -0.2), lr=0.2, steps=40, max_norm=1.0)
    k = raw["biggest_step_at"]
    assert k == 7 and raw["norms"][k] > 100
    assert np.array_equal(raw["points"][: k + 1], clipped["points"][: k + 1])
    assert raw["biggest_step"] > 30 and raw["losses"][-1] == pytest.approx(0.09, abs=1e-6)
    assert clipped["biggest_step"] <= 0.2 + 1e-12 and clipped["losses"][-1] < 0.01
    assert clipped["clipped"].sum() == np.sum(clipped["norms"] > 1.0)


def test_training_diverges_without_clipping_and_not_with_it():
    with no_warnings():
        raw = dclip.train_forecaster(lr=0.5, max_norm=None, steps=300)
        clipped = dclip.train_forecaster(lr=0.5, max_norm=0.5, steps=300)
    assert raw["diverged_at"] == 20 and "inf" in raw["reason"]
    assert np.all(np.isnan(raw["losses"][20:])) and np.all(np.isfinite(raw["losses"][:20]))
    nf = raw["nonfinite"]
    assert nf["where"] == "hidden states" and nf["inf"] > 0
    assert nf["first_inf_t"] < nf["first_nan_t"]  # inf first, NaN afterwards
    assert clipped["diverged_at"] is None and np.all(np.isfinite(clipped["losses"]))
    assert clipped["losses"][-1] < clipped["baseline"] < raw["losses"][0]
    assert 0 < clipped["clipped_steps"] < 300


def test_training_catches_the_optimisers_divergence_error():
    """A step whose gradient is non-finite is refused by rnnlib's optimiser: caught, recorded."""
    params = {"w": np.ones(3)}
    with pytest.raises(ValueError, match="diverged"):
        rnnlib.SGD(params, lr=0.1).step({"w": np.array([1.0, np.inf, 0.0])})
    run = dclip.train_forecaster(lr=3.0, max_norm=None, steps=30, momentum=0.0)
    assert run["diverged_at"] is not None and run["reason"]


def test_training_divergence_is_caught_as_nonfinite_error_only(monkeypatch):
    """A NonFiniteError ends a run as a divergence; any other ValueError is a bug and propagates."""
    run = dclip.train_forecaster(lr=0.5, max_norm=None, steps=30)
    assert run["diverged_at"] == 20 and isinstance(run["reason"], str)

    def broken(*args, **kwargs):
        raise ValueError("x has 7 features, this layer expects 3")

    monkeypatch.setattr(dclip, "mse_loss", broken)
    with pytest.raises(ValueError, match="7 features"):
        dclip.train_forecaster(lr=0.5, steps=3)


def test_river_forecasting_task_is_next_day_of_the_standardised_series():
    x, y, baseline = dclip.river_forecasting_task(T=30)
    assert x.shape == y.shape == (30, 36, 1) and not x.flags.writeable
    assert np.array_equal(x[1:], y[:-1])  # the target is the next day
    assert baseline == pytest.approx(float(np.mean((y - x) ** 2)), rel=1e-15)
    series = rnnlib.data.river_levels(3 * 365, seed=0)
    z = (series - series.mean()) / series.std()
    assert x[0, 0, 0] == pytest.approx(z[0], rel=1e-12)


def test_describe_run_states_verdicts_with_margins():
    runs = {mu: dclip.train_forecaster(lr=0.5, max_norm=mu, steps=300) for mu in (0.05, 5.0)}
    words = {mu: dclip.describe_run(r) for mu, r in runs.items()}
    assert words[0.05] == {
        "diverged": "no",
        "final": "below the baseline",
        "clipped": "most (over 3/4)",
        "dead": "a few (≤ 5 of 16)",
    }
    assert words[5.0]["final"] == "1.00 (a constant forecast)" and words[5.0]["dead"] == "all 16"
    raw = dclip.describe_run(dclip.train_forecaster(lr=0.5, steps=30))
    assert raw == {
        "diverged": "at step 20",
        "final": "inf or NaN",
        "clipped": "no clipping",
        "dead": "-",
    }
    assert dclip._share_words(0, 300) == "none" and dclip._share_words(9, 300).startswith("a few")
    assert dclip._share_words(74, 300) == "under a quarter"
    assert dclip._share_words(226, 300) == "most (over 3/4)"
    assert dclip._share_words(150, 300) == "a quarter to 3/4"


def test_step_sizes_under_clipping_sgd_momentum_adam():
    r = dclip.step_size_runs(max_norm=0.5, lr_sgd=0.5, momentum=0.9, lr_adam=0.01, steps=60)
    sgd, mom = r["sgd"], r["momentum"]
    assert r["sgd_bound"] == 0.25 and r["momentum_bound"] == pytest.approx(2.5)
    # plain SGD: ||step|| = lr * ||clipped gradient|| <= lr * mu, with equality when clipped
    assert np.all(sgd["step_norms"] <= 0.25 * (1 + 1e-12))
    clipped = sgd["norms"] > 0.5
    assert np.allclose(sgd["step_norms"][clipped], 0.25, rtol=1e-5)
    # momentum: longer than lr * mu, never beyond lr * mu / (1 - beta)
    assert mom["step_norms"].max() > 0.25 and np.all(mom["step_norms"] < 2.5)
    # Adam: the first step is -lr * sign(g) per weight, whatever the threshold
    firsts = [run["step_norms"][0] for run in r["adam"].values()]
    assert np.allclose(firsts, firsts[-1], rtol=1e-3)
    assert all(run["step_max"][0] == pytest.approx(0.01, rel=1e-6) for run in r["adam"].values())
    assert all(run["step_max"].max() < 1.2 * 0.01 for run in r["adam"].values())
    with pytest.raises(ValueError, match="optimizer"):
        dclip.train_forecaster(steps=2, optimizer="rmsprop")


def test_step_sizes_are_the_parameter_changes():
    run = dclip.train_forecaster(lr=0.01, max_norm=1.0, steps=3, optimizer="adam")
    assert run["optimizer"] == "adam" and run["momentum"] == 0.0
    assert np.all(np.isfinite(run["step_norms"])) and np.all(run["step_max"] <= run["step_norms"])


# =============================================================================================
# Figures


@pytest.mark.parametrize(
    "name",
    [
        "seed",
        "decay",
        "decay_overflow",
        "matrix",
        "saturation",
        "spectral",
        "pair",
        "clipping",
        "cliff",
        "training",
        "step_sizes",
    ],
)
def test_figures_draw_with_alt_text(name):
    with no_warnings():
        if name == "seed":
            rows = {
                w: (np.arange(50, 116), analysis.scalar_gradient_decay(w, 65)[::-1])
                for w in (1.1, 0.9, 1.0)
            }
            fig, alt = pgrad.lecture_notes_figure(rows)
            assert "117.4" in alt and "490.4" in alt
        elif name == "decay":
            fig, alt = pgrad.scalar_decay_figure(dgrad.scalar_decay(1.1, 50))
        elif name == "decay_overflow":
            fig, alt = pgrad.scalar_decay_figure(dgrad.scalar_decay(2.0, 200))
            assert "inf" in alt
        elif name == "matrix":
            fig, alt = pgrad.matrix_figure(
                [dgrad.matrix_gradient_norms(r) for r in (0.9, 1.1)], dgrad.non_normal_growth()
            )
        elif name == "saturation":
            fig, alt = pgrad.saturation_figure(
                dgrad.tanh_derivative_table(),
                [dgrad.matrix_gradient_norms(1.5, "tanh", input_scale=s) for s in (0, 1, 3)],
            )
        elif name == "spectral":
            fig, alt = pgrad.spectral_figure(dgrad.matrix_gradient_norms(1.2, "tanh"))
        elif name == "pair":
            fig, alt = pgrad.spectral_figure(dgrad.saturating_pair())
            assert "1.27" in alt and "0.73" in alt
        elif name == "clipping":
            grads, _ = dclip.exploding_gradient()
            fig, alt = pclip.clipping_figure(
                dclip.toy_clipping(), dclip.compare_clippings(grads, 5.0)
            )
            assert "cosine 1.000" in alt
        elif name == "cliff":
            fig, alt = pclip.cliff_figure(
                dclip.cliff_surface(),
                dclip.descent_path(),
                dclip.descent_path(max_norm=1.0),
                dclip.cliff_section(),
            )
        elif name == "step_sizes":
            fig, alt = pclip.step_size_figure(dclip.step_size_runs(steps=20))
            assert "0.25" in alt and "2.5" in alt
        else:
            fig, alt = pclip.training_figure(
                dclip.train_forecaster(steps=60), dclip.train_forecaster(max_norm=0.5, steps=60)
            )
            assert "step 20" in alt
        png = figure_png(fig)
    assert png[:4] == b"\x89PNG" and len(alt) > 80


# =============================================================================================
# Widgets, driven headlessly


def test_gradient_decay_widget_numbers():
    with quiet():
        live = wgrad.gradient_decay_widget()
        assert live.result["first64"] == pytest.approx(117.39, abs=0.01)  # w = 1.1, T = 50
        live.controls["w"].value = 0.9
        assert live.result["first64"] == pytest.approx(0.005154, abs=1e-6)
        live.controls["T"].value = 65
        assert live.result["first64"] == pytest.approx(0.9**65, rel=1e-12)
        live.controls["nonlinearity"].value = "tanh"
        expected = analysis.scalar_gradient_decay(0.9, 65, "tanh")[65]
        assert live.result["first64"] == pytest.approx(expected, rel=1e-12)
        assert "steps back" in live.readout_html


def test_gradient_decay_widget_extremes_overflow_plainly_without_warnings():
    with quiet(), no_warnings():
        live = wgrad.gradient_decay_widget()
        live.controls["w"].value = 2.0
        live.controls["T"].value = 200
        r = live.result
        assert np.isinf(r["first32"]) and np.isfinite(r["first64"])
        assert r["first64"] == pytest.approx(2.0**200, rel=1e-12)
        assert r["overflow_steps_back"] == 128
        assert "overflowed to inf" in live.readout_html
        live.controls["w"].value = 0.5
        assert live.result["first32"] == 0.0 and "underflow" in live.readout_html
        live.controls["T"].value = 1
        assert live.result["first64"] == pytest.approx(0.5)
        for f in ("relu", "tanh", "linear"):
            for w in (0.5, 2.0):
                live.controls["nonlinearity"].value = f
                live.controls["w"].value = w
                live.controls["T"].value = 200
        assert live.seconds is not None


def test_spectral_radius_widget_numbers():
    with quiet(), no_warnings():
        live = wgrad.spectral_radius_widget()
        assert live.result["rho"] == pytest.approx(0.9, rel=1e-9)
        assert live.result["ratio"] < 1e-3
        live.controls["rho"].value = 1.1
        assert live.result["ratio"] > 1e3
        direct = dgrad.matrix_gradient_norms(1.1, "linear", 1.0, H=32, T=100)
        assert np.allclose(live.result["norms"], direct["norms"], rtol=1e-12)
        live.controls["rho"].value = 1.5
        live.controls["nonlinearity"].value = "tanh"
        live.controls["input_scale"].value = 3.0
        assert live.result["ratio"] < 1e-10 and live.result["mean_fprime"] < 0.5
        live.controls["rho"].value = 2.0
        live.controls["input_scale"].value = 0.0
        assert np.all(np.isfinite(live.result["norms"]))
        assert (
            "vanished" in live.readout_html
            or "exploded" in live.readout_html
            or "kept" in live.readout_html
        )
        # the two-unit network: a bias on unit 1 turns vanishing into exploding at rho = 0.73
        live.controls["network"].value = "pair"
        live.controls["rho"].value = 0.73
        live.controls["input_scale"].value = 0.0
        live.controls["bias"].value = 0.0
        assert live.result["ratio"] < 1e-10 and "vanished" in live.readout_html
        live.controls["bias"].value = 5.0
        assert live.result["ratio"] > 1e10 and "exploded" in live.readout_html
        assert "1.27" in live.readout_html
        direct = dgrad.saturating_pair(0.73, 5.0, "tanh", 0.0, T=100)
        assert np.allclose(live.result["norms"], direct["norms"], rtol=1e-12)
        live.controls["input_scale"].value = 0.3
        assert live.result["ratio"] < 1e-10


def test_cliff_widget_numbers():
    with quiet(), no_warnings():
        live = wclip.cliff_widget()  # threshold 1, learning rate 0.2
        raw, clipped = live.result["raw"], live.result["clipped"]
        assert raw["biggest_step"] > 30 and clipped["biggest_step"] <= 0.2 + 1e-12
        surface = live.result["surface"]
        live.controls["max_norm"].value = 0.1
        assert live.result["surface"] is surface  # the grid is not recomputed
        assert live.result["raw"] is raw  # nor the unclipped path
        assert (
            live.result["clipped"]["biggest_step"] <= 0.2 * live.controls["max_norm"].value + 1e-12
        )
        live.controls["lr"].value = 1.0
        c = live.result["clipped"]
        assert c["biggest_step"] <= 1.0 * live.controls["max_norm"].value + 1e-12
        expected = dclip.descent_path(
            wclip.START,
            lr=live.controls["lr"].value,
            steps=wclip.STEPS,
            max_norm=live.controls["max_norm"].value,
        )
        assert np.array_equal(c["points"], expected["points"])
        live.controls["max_norm"].value = wclip.THRESHOLDS[-1]
        live.controls["lr"].value = wclip.LEARNING_RATES[-1]
        assert "No clipping" in live.readout_html
        live.controls["max_norm"].value = wclip.THRESHOLDS[0]
        live.controls["lr"].value = wclip.LEARNING_RATES[0]
        assert live.result["clipped"]["biggest_step"] <= 0.05 * 0.01 + 1e-12
    with pytest.raises(ValueError):
        wclip.cliff_widget(lr=0.25)  # not a stop of the slider


@pytest.mark.parametrize(
    "factory,control,values",
    [
        (wgrad.gradient_decay_widget, "w", [0.8, 1.0, 1.3, 2.0, 1.1]),
        (wgrad.spectral_radius_widget, "rho", [0.8, 1.0, 1.2, 0.5, 0.9]),
        (wgrad.spectral_radius_widget, "bias", [2.0, 6.0, 0.0, 1.0]),
        (wclip.cliff_widget, "max_norm", [0.5, 2.0, 0.2, 1.0, 5.0]),
    ],
)
def test_widget_callbacks_recompute_every_value(factory, control, values):
    """Every control change recomputes the result for the new value (behaviour only: how fast
    is a benchmark's question, not a test's; a loaded machine must not fail the suite)."""
    with quiet():
        live = factory()
        for v in values:
            live.controls[control].value = v
            assert live.values[control] == v and live.seconds is not None
            assert live.result is not None


# =============================================================================================
# Exercise checks: the reference passes; every failure mode gets its own status; never raises


CHECKS = [
    (ex_grad.check_hidden_gradients, ex_grad.solution_hidden_gradients),
    (ex_grad.check_pascanu_diagnosis, ex_grad.solution_pascanu_diagnosis),
    (ex_grad.check_first_overflow_step, ex_grad.solution_first_overflow_step),
    (ex_clip.check_clip_global_norm, ex_clip.solution_clip_global_norm),
    (ex_clip.check_gradient_cosine, ex_clip.solution_gradient_cosine),
    (ex_clip.check_clip_per_param, ex_clip.solution_clip_per_param),
]
#: the training-loop exercise returns a list and changes the network it is given: its
#: statuses are tested on their own below
LOOP = (ex_clip.check_train_chunks, ex_clip.solution_train_chunks)


test_check_statuses, test_checks_never_raise = exercise_check_tests(CHECKS)


def test_common_mistakes_are_caught(capsys):
    # 03: the derivative taken at h_{t-1} instead of h_t
    def off_by_one(W_hh, hs, dL_dhT):
        T, H = hs.shape
        d = np.zeros((T, H))
        d[-1] = dL_dhT
        for t in range(T - 1, 0, -1):
            d[t - 1] = (d[t] * (1 - hs[t - 1] ** 2)) @ W_hh
        return d

    assert ex_grad.check_hidden_gradients(off_by_one).status == "wrong"

    # W_hh applied instead of its transpose
    def untransposed(W_hh, hs, dL_dhT):
        T, H = hs.shape
        d = np.zeros((T, H))
        d[-1] = dL_dhT
        for t in range(T - 1, 0, -1):
            d[t - 1] = W_hh @ (d[t] * (1 - hs[t] ** 2))
        return d

    assert ex_grad.check_hidden_gradients(untransposed).status == "wrong"
    # the Frobenius norm, or the largest real part of the eigenvalues
    assert (
        ex_grad.check_pascanu_diagnosis(
            lambda W, g: (
                np.max(np.abs(np.linalg.eigvals(W))),
                np.linalg.norm(W),
                np.linalg.norm(W) < 1 / g,
            )
        ).status
        == "wrong"
    )
    assert (
        ex_grad.check_pascanu_diagnosis(
            lambda W, g: (
                np.max(np.linalg.eigvals(W).real),
                np.linalg.norm(W, 2),
                np.linalg.norm(W, 2) < 1 / g,
            )
        ).status
        == "wrong"
    )

    # float64 arithmetic, and a test that misses -inf
    def in_float64(w, T):
        h = 1.0
        for t in range(1, T + 1):
            h *= w
            if np.isinf(h):
                return t
        return 0

    assert ex_grad.check_first_overflow_step(in_float64).status == "wrong"

    def plus_inf_only(w, T):
        h, w = np.float32(1), np.float32(w)
        with np.errstate(over="ignore"):
            for t in range(1, T + 1):
                h = w * h
                if h == np.inf:
                    return t
        return 0

    assert ex_grad.check_first_overflow_step(plus_inf_only).status == "wrong"
    # 04: per-parameter clipping offered as global clipping, and the other way round
    assert ex_clip.check_clip_global_norm(ex_clip.solution_clip_per_param).status == "wrong"
    assert ex_clip.check_clip_per_param(ex_clip.solution_clip_global_norm).status == "wrong"
    # an average of per-parameter cosines is not the cosine
    assert (
        ex_clip.check_gradient_cosine(
            lambda a, b: float(
                np.mean(
                    [
                        a[k].ravel() @ b[k].ravel() / np.linalg.norm(a[k]) / np.linalg.norm(b[k])
                        for k in a
                    ]
                )
            )
        ).status
        == "wrong"
    )
    # a dict with other keys, or a list, is a "type" mistake with its own message
    result = ex_clip.check_clip_global_norm(lambda g, mu: {"grad": np.zeros(3)})
    assert result.status == "type" and "keys" in result.message
    capsys.readouterr()


# ---------------------------------------------------------------------------------------------
# Exercise 4 of 04: the training loop


def _loop_by_hand(net, opt, x, y, k, max_norm, epochs):
    """Correct but written differently: a while loop, the MSE and its gradient by hand, the
    state copied, the chunks sliced by index."""
    losses = []
    for _ in range(epochs):
        h, start = None, 0
        while start < x.shape[0]:
            stop = min(start + k, x.shape[0])
            ys, last, cache = net.forward(x[start:stop], h)
            err = ys - y[start:stop]
            losses.append(float(np.mean(err**2)))
            grads = net.backward(2.0 * err / err.size, cache)[2]
            rnnlib.clip_grad_norm(grads, max_norm)
            opt.step(grads)
            h, start = last.copy(), stop
    return np.array(losses)


def test_training_loop_check_passes_the_reference_and_a_different_correct_loop(capsys):
    assert ex_clip.check_train_chunks(ex_clip.solution_train_chunks).passed
    out = capsys.readouterr().out
    assert "(falling)" in out
    assert ex_clip.check_train_chunks(_loop_by_hand).passed
    capsys.readouterr()


def test_training_loop_reference_steps_by_each_chunks_gradient():
    """Without clipping (a huge threshold) and with plain SGD, the reference loop is p -= lr * g
    with g the BPTT gradient of each chunk, the state carried: written out here by hand."""
    x, y = ex_clip.sine_problem(3)
    a = rnnlib.ElmanNetwork(1, 4, 1, nonlinearity="tanh", seed=3)
    b = rnnlib.ElmanNetwork(1, 4, 1, nonlinearity="tanh", seed=3)
    ex_clip.solution_train_chunks(a, rnnlib.SGD(a.params, lr=0.1), x, y, 6, 1e9, 1)
    params_b = b.params
    state = None  # 4 chunks, the state carried
    for start in range(0, 24, 6):
        ys, new_state, cache = b.forward(x[start : start + 6], state)
        _, dys = rnnlib.mse_loss(ys, y[start : start + 6], reduction="mean")
        grads = b.backward(dys, cache)[2]
        for name in params_b:
            params_b[name] -= 0.1 * grads[name]
        state = new_state
    for name in a.params:
        assert np.allclose(a.params[name], b.params[name], rtol=1e-12, atol=1e-14)


def test_training_loop_check_names_each_slip(capsys):
    slips = {
        "clip_after": ex_clip._slip(clip_after=True),
        "no_clip": ex_clip._slip(clip=False),
        "accumulate": ex_clip._slip(accumulate=True),
        "sum": ex_clip._slip(reduction="sum"),
        "carry": ex_clip._slip(carry=False),
        "reset": ex_clip._slip(reset=False),
    }
    words = {
        "clip_after": "the step has already been taken",
        "no_clip": "between backward and the step",
        "accumulate": "zero_grad",
        "sum": "averaged",
        "carry": "carry the state",
        "reset": "start every pass",
    }
    for name, slip in slips.items():
        result = ex_clip.check_train_chunks(slip)
        assert result.status == "wrong", name
        assert words[name] in result.message, (name, result.message)
        assert "hint(ex.check_train_chunks" in result.message
    capsys.readouterr()


def test_training_loop_check_statuses(capsys):
    from exercise_support import not_attempted

    assert ex_clip.check_train_chunks(not_attempted).status == "not attempted"
    assert ex_clip.check_train_chunks(lambda *a: None).status == "none"
    assert ex_clip.check_train_chunks(lambda *a: 1 / 0).status == "error"
    assert ex_clip.check_train_chunks(lambda *a: [0.0]).status == "shape"
    assert ex_clip.check_train_chunks("train_chunks").status == "type"
    capsys.readouterr()


# ---------------------------------------------------------------------------------------------
# Hints and predictions


ALL_CHECKS = [check for check, _ in CHECKS] + [LOOP[0]]


@pytest.mark.parametrize("check", ALL_CHECKS, ids=[c.__name__ for c in ALL_CHECKS])
def test_every_exercise_has_three_hint_levels_then_the_solution(check, capsys):
    from rnnlib.exercises import hint

    module = ex_grad if check.__module__ == ex_grad.__name__ else ex_clip
    idea, formula, skeleton = module.HINTS[check.__name__]
    for level, text in ((1, idea), (2, formula), (3, skeleton)):
        hint(check, level)
        out = capsys.readouterr().out
        assert f"Hint {level} of 3" in out and text.split()[0] in out
    hint(check, 4)
    assert "def solution_" in capsys.readouterr().out
    # the skeleton does not give the answer away: it has blanks
    assert "..." in skeleton


@pytest.mark.parametrize("check", ALL_CHECKS, ids=[c.__name__ for c in ALL_CHECKS])
def test_a_failed_check_prints_the_first_hint_level(check, capsys):
    def wrong(*args):
        raise ValueError("not like this")

    result = check(wrong)
    assert result.status == "error"
    capsys.readouterr()
    module = ex_grad if check.__module__ == ex_grad.__name__ else ex_clip
    almost = {
        "check_hidden_gradients": lambda W, hs, d: ex_grad.solution_hidden_gradients(W, hs, d) * 2,
        "check_pascanu_diagnosis": lambda W, g: (0.5, 0.5, True),
        "check_first_overflow_step": lambda w, T: 1,
        "check_clip_global_norm": lambda g, m: {k: v * 0 for k, v in g.items()},
        "check_gradient_cosine": lambda a, b: 0.5,
        "check_clip_per_param": lambda g, m: {k: v * 0 for k, v in g.items()},
        "check_train_chunks": lambda *a: list(
            range(
                len(
                    ex_clip.training_case(
                        ex_clip.solution_train_chunks, *ex_clip.TRAINING_CASES[0]
                    )[0]
                )
            )
        ),
    }[check.__name__]
    result = check(almost)
    assert result.status == "wrong"
    assert (
        module.HINTS[check.__name__][0][:40] in result.message.replace("\n   ", " ")
        or "Hint:" in result.message
    )
    assert (
        f"hint(ex.{check.__name__}, 2)" in result.message
        or f"hint(ex.{check.__name__}, 1)" in result.message
    )
    capsys.readouterr()


def test_notebook_predictions_are_computed_and_unmade():
    for name, question in (
        ("03_vanishing_exploding", "the tanh pair's gradient, 99 steps back"),
        ("04_gradient_clipping", "mu = 0.05 ends below the baseline"),
    ):
        cells_ = _notebook(name)
        sources = ["".join(c["source"]) for c in cells_ if c["cell_type"] == "code"]
        assert any(s.startswith("my_prediction = ...") for s in sources)
        assert any("predict(" in s and question in s for s in sources)
        assert f"prediction · {question}: not made yet" in _printed(cells_)


@pytest.mark.parametrize(
    "check,mistakes",
    [
        (ex_grad.check_hidden_gradients, ex_grad._HIDDEN_MISTAKES),
        (ex_grad.check_pascanu_diagnosis, ex_grad._DIAGNOSIS_MISTAKES),
        (ex_grad.check_first_overflow_step, ex_grad._OVERFLOW_MISTAKES),
    ],
    ids=["hidden_gradients", "pascanu_diagnosis", "first_overflow_step"],
)
def test_each_known_mistake_of_03_is_named(check, mistakes, capsys):
    assert_names_each_mistake(check, mistakes)
    capsys.readouterr()


def test_rnnlib_clipping_passes_the_checks(capsys):
    """rnnlib's own (in-place, +1e-6) clipping is a correct answer to exercises 1 and 3."""

    def via_rnnlib(grads, max_norm):
        rnnlib.clip_grad_norm(grads, max_norm)
        return grads

    def via_rnnlib_per_param(grads, max_norm):
        rnnlib.clip_grad_norm_per_param(grads, max_norm)
        return grads

    assert ex_clip.check_clip_global_norm(via_rnnlib).passed
    assert ex_clip.check_clip_per_param(via_rnnlib_per_param).passed
    assert ex_clip.check_gradient_cosine(lambda a, b: dclip.cosine(a, b)).passed
    capsys.readouterr()


def test_reference_hidden_gradients_are_rnnlibs_bptt():
    layer = rnnlib.RNN(2, 4, seed=7)
    x = np.random.default_rng(3).standard_normal((9, 1, 2))
    hs = layer.forward(x)[0]
    dhs = np.zeros_like(hs)
    dhs[-1, 0] = np.random.default_rng(4).standard_normal(4)
    expected = analysis.hidden_state_gradients(layer, x, dhs)[:, 0]
    got = ex_grad.solution_hidden_gradients(layer.params["weight_hh"], hs[:, 0], dhs[-1, 0])
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-15)


# =============================================================================================
# The committed notebooks: exercises unsolved, key numbers printed by code


def _notebook(name):
    path = NOTEBOOKS / f"{name}.ipynb"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _printed(cells_):
    return "".join(
        "".join(o.get("text", ""))
        for c in cells_
        if c["cell_type"] == "code"
        for o in c.get("outputs", [])
    )


@pytest.mark.parametrize(
    "name,n_exercises", [("03_vanishing_exploding", 3), ("04_gradient_clipping", 4)]
)
def test_notebook_exercises_ship_unsolved(name, n_exercises):
    cells_ = _notebook(name)
    sources = ["".join(c["source"]) for c in cells_ if c["cell_type"] == "code"]
    stubs = [s for s in sources if "raise NotImplementedError" in s and ".check_" in s]
    reveals = [s for s in sources if "# hint(ex.check_" in s]
    assert len(stubs) == n_exercises and len(reveals) == n_exercises
    assert _printed(cells_).count("not attempted yet") == n_exercises


def test_notebook_03_prints_the_seed_check():
    out = _printed(_notebook("03_vanishing_exploding"))
    for number in (
        "117.3909",
        "490.3707",
        "0.0052",
        "0.0011",
        "from 128 steps back",
        "first inf at step t = 128, first NaN at step t = 129",
        "rho(W_hh) = 0.73, sigma_max(W_hh) = 5.98",
        "over 99 steps = 1.6e+10",
    ):
        assert number in out, number


def test_notebook_04_prints_the_clipping_facts():
    out = _printed(_notebook("04_gradient_clipping"))
    assert "global norm     5.000000   1.000000" in out
    assert "step 20: rnnlib raised NonFiniteError" in out
    assert "the first inf at time step 5 of the sequence, the first NaN at step 6" in out
