"""Widgets for notebook 05: gate sliders over a one-unit LSTM and a one-unit GRU.

``gate_widget()`` holds the gates at the sliders' values and shows, live, the cell and hidden
states after an input pulse and the gradient 50 steps back, all computed by rnnlib
(:func:`rnnlib.demos.gates.gate_clamp_demo`). Tests call :func:`compute`, :func:`draw` and
:func:`readout` directly, or set a slider's ``.value`` and read ``widget.result``.
"""

from __future__ import annotations

import ipywidgets as W

from ..demos.gates import gate_clamp_demo
from ..plots.gates import GateClampFigure
from ._base import LiveFigure

T_STEPS, K_BACK = 60, 50
DEFAULTS = {"f": 0.9, "i": 0.8, "o": 0.8, "r": 0.2, "z": 0.8}
_LABELS = {"f": "LSTM forget f", "i": "LSTM input i", "o": "LSTM output o",
           "r": "GRU reset r", "z": "GRU update z"}

_figure = None   # built on first use, then reused: only its lines move


def _get_figure():
    global _figure
    if _figure is None:
        _figure = GateClampFigure(T_STEPS, K_BACK)
    return _figure


def compute(f, i, o, r, z):
    """The widget's numbers for gate values f, i, o (LSTM) and r, z (GRU)."""
    return gate_clamp_demo(f=f, i=i, o=o, r=r, z=z, T=T_STEPS, k=K_BACK)


def draw(result, **values):
    """The figure for ``result`` (the same Figure object every time, redrawn)."""
    return _get_figure().draw(result)


def readout(result, f, i, o, r, z):
    """One line of HTML with the two gradients 50 steps back and what they equal."""
    k = result["k"]
    return (f"<b>LSTM</b>: &part;c<sub>T</sub>/&part;c<sub>T&minus;{k}</sub> = "
            f"{result['lstm_at_k']:.4g} &nbsp;(f<sup>{k}</sup> = {f:.2f}<sup>{k}</sup> = "
            f"{f ** k:.4g}) &nbsp;&nbsp;|&nbsp;&nbsp; <b>GRU</b>: "
            f"&part;h<sub>T</sub>/&part;h<sub>T&minus;{k}</sub> = {result['gru_at_k']:.4g} "
            f"&nbsp;(z<sup>{k}</sup> = {z ** k:.4g}; the rest flows through the reset gate's "
            f"path, r = {r:.2f})")


def gate_widget(**overrides) -> LiveFigure:
    """Five gate sliders (forget, input, output; reset, update) over the one-unit cells.

    Keyword arguments override the starting values in ``DEFAULTS``.
    """
    start = {**DEFAULTS, **overrides}
    controls = {
        name: W.FloatSlider(value=start[name], min=0.01, max=0.99, step=0.01,
                            description=_LABELS[name], readout_format=".2f",
                            style={"description_width": "initial"},
                            layout=W.Layout(width="300px"))
        for name in ("f", "i", "o", "r", "z")
    }
    return LiveFigure(controls, compute, draw, readout, height="340px",
                      title="Hold the gates at fixed values: what survives 50 steps?",
                      update=_get_figure())
