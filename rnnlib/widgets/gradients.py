"""Widgets for notebook 03 (vanishing and exploding gradients).

* :func:`gradient_decay_widget`: sliders for the recurrent weight w (0.5-2) and the sequence
  length T (1-200) and a menu for the activation; plots |dL/dh_t| against t on a log scale,
  computed by BPTT in float64 and in float32, and marks where float32 overflows to inf.
* :func:`spectral_radius_widget`: a menu for the network (a random 32 x 32 W_hh, or the two-unit
  network of :func:`rnnlib.demos.gradients.saturating_pair`), a slider for the spectral radius
  of W_hh, a menu for the activation, and sliders for the size of the inputs and for a bias
  that drives units into saturation; plots ||dL/dh_t||.

Each factory returns a :class:`rnnlib.widgets.LiveFigure` over the plain module-level
``*_compute`` / ``*_draw`` / ``*_readout`` functions, which the tests call directly.
"""

from __future__ import annotations

import ipywidgets as W

from ..demos import gradients as demo
from ..plots import gradients as plots
from ._base import LiveFigure

W_MIN, W_MAX = 0.5, 2.0
T_MAX = 200
ACTIVATIONS = ("linear", "relu", "tanh")


# ---------------------------------------------------------------------------------------------
# One unit: w and T


def decay_compute(w, T, nonlinearity):
    """|dL/dh_t| for the one-unit RNN, float64 and float32 (see
    :func:`rnnlib.demos.gradients.scalar_decay`)."""
    return demo.scalar_decay(w, T, nonlinearity)


def decay_draw(result, w, T, nonlinearity):
    return plots.scalar_decay_figure(result, width=8.0, height=3.6)


def decay_readout(result, w, T, nonlinearity):
    g64, g32 = result["first64"], result["first32"]
    text = (f"φ = {nonlinearity}, w = {w:.2f}, T = {T}: the gradient reaching h<sub>0</sub>, "
            f"{T} steps back, is <b>{plots.fmt_value(g64)}</b> in float64 and "
            f"<b>{plots.fmt_value(g32)}</b> in float32.")
    if result["overflow_t"] is not None:
        text += (f" float32 overflowed to inf {result['overflow_steps_back']} steps back "
                 f"(its largest number is about 3.4e38).")
    elif result["underflow_t"] is not None:
        text += (" float32 underflowed: below about 1.2e-38 it loses precision, below about "
                 "1.4e-45 it holds only 0.")
    return text


def gradient_decay_widget(w=1.1, T=50, nonlinearity="linear"):
    """Sliders for w (0.5-2.0) and T (1-200), a menu for f; log plot of |dL/dh_t| against t."""
    controls = {
        "w": W.FloatSlider(value=w, min=W_MIN, max=W_MAX, step=0.01, description="w (W_hh)",
                           readout_format=".2f"),
        "T": W.IntSlider(value=T, min=1, max=T_MAX, description="T (steps)"),
        "nonlinearity": W.Dropdown(options=ACTIVATIONS, value=nonlinearity, description="φ"),
    }
    return LiveFigure(controls, decay_compute, decay_draw, decay_readout, height="310px",
                      title="One recurrent unit: how far back does the gradient survive?",
                      update=plots.ScalarDecayPlot(width=8.0, height=3.6))


# ---------------------------------------------------------------------------------------------
# Many units: the spectral radius of W_hh

RHO_MIN, RHO_MAX = 0.5, 2.0
BIAS_MAX = 6.0
H, T_SPECTRAL = 32, 100
#: the networks of the spectral-radius widget: menu label -> key
NETWORKS = {"32 random units": "random", "2 units, unit 1 biased": "pair"}


def spectral_compute(rho, nonlinearity, input_scale, bias=0.0, network="random"):
    """||dL/dh_t|| for a 32-unit RNN whose W_hh has spectral radius rho and every unit the bias
    ``bias`` (:func:`rnnlib.demos.gradients.matrix_gradient_norms`), or for the two-unit
    network whose unit 1 gets the bias (:func:`rnnlib.demos.gradients.saturating_pair`)."""
    if network == "pair":
        return demo.saturating_pair(rho, bias, nonlinearity, input_scale, T=T_SPECTRAL)
    return demo.matrix_gradient_norms(rho, nonlinearity, input_scale, H=H, T=T_SPECTRAL,
                                      bias=bias)


def spectral_draw(result, rho, nonlinearity, input_scale, bias=0.0, network="random"):
    return plots.spectral_figure(result, width=8.0, height=3.6)


def spectral_readout(result, rho, nonlinearity, input_scale, bias=0.0, network="random"):
    verdict = ("vanished" if result["ratio"] < 1e-2 else "exploded" if result["ratio"] > 1e2
               else "kept roughly its size")
    text = (f"ρ = {result['rho']:.2f}, largest singular value σ<sub>max</sub> = "
            f"{result['sigma']:.2f}, mean φ′ = {result['mean_fprime']:.2f}: after "
            f"{result['T'] - 1} steps back the gradient norm is "
            f"<b>{plots.fmt_value(result['ratio'])}</b> (it {verdict}).")
    if network == "pair":
        text += (f" Unit 1's slope φ′ = {result['fprime_first'][0]:.3g}; the Jacobian "
                 f"diag(φ′)W<sub>hh</sub> has spectral radius "
                 f"<b>{result['jacobian_rho']:.2f}</b>.")
        if nonlinearity == "linear":
            text += " A linear unit never saturates: try φ = tanh and raise the bias."
    elif nonlinearity == "linear":
        text += " A linear RNN's gradients do not depend on the inputs: try φ = tanh."
    return text


def spectral_radius_widget(rho=0.9, nonlinearity="linear", input_scale=1.0, bias=0.0,
                           network="random"):
    """A menu for the network (32 random units, or 2 units of which unit 1 gets the bias), a
    slider for the spectral radius of W_hh (0.5-2.0), a menu for φ, and sliders for the size of
    the inputs (0-3) and for the bias (0-6)."""
    controls = {
        "network": W.Dropdown(options=list(NETWORKS.items()), value=network,
                              description="network"),
        "rho": W.FloatSlider(value=rho, min=RHO_MIN, max=RHO_MAX, step=0.01,
                             description="ρ(W_hh)", readout_format=".2f"),
        "nonlinearity": W.Dropdown(options=("linear", "tanh"), value=nonlinearity,
                                   description="φ"),
        "input_scale": W.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1,
                                     description="inputs ×", readout_format=".1f"),
        "bias": W.FloatSlider(value=bias, min=0.0, max=BIAS_MAX, step=0.1,
                              description="bias", readout_format=".1f"),
    }
    return LiveFigure(controls, spectral_compute, spectral_draw, spectral_readout,
                      height="310px", title="The spectral radius of W_hh, the activation's "
                      "slope and saturation", update=plots.SpectralPlot(width=8.0, height=3.6))
