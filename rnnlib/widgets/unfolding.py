"""Widgets for notebooks 00 (course map) and 01 (unfolding an RNN in time).

* :func:`sharing_cost_widget` (00): a slider for the sequence length T (and one for the hidden
  size H); the parameter count stays put while the work of a forward pass grows with T.
* :func:`unfolding_widget` (01): sliders for T and the recurrent weight w, a menu for the
  activation; redraws the unrolled graph (w written on every recurrent arrow) and the hidden
  state of a one-unit RNN with and without a nudge to its first input.

Each factory returns a :class:`rnnlib.widgets.LiveFigure`; its ``compute`` and ``draw`` are the
plain module-level functions below, which the tests call directly.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..demos import unfolding as demo
from ..plots import unfolding as plots
from ..plots.live import PerStructure
from ._base import LiveFigure

# ---------------------------------------------------------------------------------------------
# 00: parameters versus work

SHARING_D, SHARING_O = 8, 2       # 8 numbers per input word, 2 output classes
SHARING_T_MAX = 200


def sharing_compute(T, H):
    """Numbers for the sharing widget: the cost at T and the curves for T = 1..200."""
    Ts = np.arange(1, SHARING_T_MAX + 1)
    return {"now": demo.sharing_cost(T, SHARING_D, H, SHARING_O),
            "curve": demo.sharing_cost_curve(Ts, SHARING_D, H, SHARING_O)}


def sharing_draw(result, T, H):
    return plots.SharingCostPlot(SHARING_D, SHARING_O).draw(result, T=T, H=H)


def sharing_readout(result, T, H):
    now = result["now"]
    return (f"T = {T}: <b>{now['params']:,}</b> parameters (the same for every T), "
            f"<b>{now['multiply_adds']:,}</b> multiply-adds per forward pass, "
            f"<b>{now['stored']:,}</b> hidden-state numbers kept for backpropagation.")


def sharing_cost_widget(T=20, H=16):
    """Slider for T (1-200) and H (1-64): parameters stay fixed, work grows with T."""
    controls = {
        "T": W.IntSlider(value=T, min=1, max=SHARING_T_MAX, description="T (steps)"),
        "H": W.IntSlider(value=H, min=1, max=64, description="H (hidden)"),
    }
    return LiveFigure(controls, sharing_compute, sharing_draw, sharing_readout, height="300px",
                      title="Parameter sharing: what grows with the sequence length?",
                      update=plots.SharingCostPlot(SHARING_D, SHARING_O))


# ---------------------------------------------------------------------------------------------
# 01: the unrolled graph and the hidden state as memory

UNFOLD_T_MAX = 12
NUDGE = 0.5
NONLINEARITY_OPTIONS = ("tanh", "relu", "sigmoid", "linear")


def unfolding_compute(T, w, nonlinearity):
    """The one-unit RNN's run and the nudge to x_1
    (see :func:`rnnlib.demos.unfolding.memory_demo`)."""
    return demo.memory_demo(T, w, nonlinearity, eps=NUDGE)


def unfolding_draw(result, T, w, nonlinearity):
    """Two rows sharing the step axis: the hidden state (original and with x_1 nudged) and,
    under it, the unrolled chain with w on every recurrent arrow (see
    :class:`rnnlib.plots.unfolding.UnfoldingPlot`). The size of the nudge's effect on a log
    scale is the static figure above the widget and the readout."""
    return plots.UnfoldingPlot().draw(result, T=T, w=w, nonlinearity=nonlinearity)


def unfolding_readout(result, T, w, nonlinearity):
    eff = result["effect"]
    if not np.isfinite(eff[-1]):
        last = "overflowed to inf"
    elif eff[-1] == 0:
        last = "exactly 0: the nudge is forgotten"
    else:
        last = f"{eff[-1]:.3g} ({eff[-1] / eff[0]:.3g} of what it was at step 1)"
    return (f"φ = {nonlinearity}, w = {w:.2f}: nudging x<sub>1</sub> by {NUDGE:g} moves "
            f"h<sub>1</sub> by {eff[0]:.3g}; at step {T} the change is {last}.")


def unfolding_widget(T=8, w=0.9, nonlinearity="tanh"):
    """Sliders for T (1-12) and the recurrent weight w (0-1.5), a menu for the activation."""
    controls = {
        "T": W.IntSlider(value=T, min=1, max=UNFOLD_T_MAX, description="T (steps)"),
        "w": W.FloatSlider(value=w, min=0.0, max=1.5, step=0.05, description="w (W_hh)",
                           readout_format=".2f"),
        "nonlinearity": W.Dropdown(options=NONLINEARITY_OPTIONS, value=nonlinearity,
                                   description="φ"),
    }
    return LiveFigure(controls, unfolding_compute, unfolding_draw, unfolding_readout,
                      height="470px", title="Unfold the loop: sequence length and recurrent weight",
                      update=PerStructure(plots.UnfoldingPlot, keep=16),
                      warm=[{"T": t} for t in range(1, UNFOLD_T_MAX + 1)])
