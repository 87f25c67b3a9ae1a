"""Widget for notebook 02 (backpropagation through time).

:func:`loss_placement_widget`: toggle which time steps carry a loss, set how strongly the hidden
state feeds itself (the spectral radius of W_hh) and the truncation length k; a heat map shows
||dL_i/dh_t|| for every loss step i and every step t, computed by
:func:`rnnlib.analysis.hidden_state_gradients` (or chunk by chunk, for truncated BPTT), and a
last row shows delta_t, their sum.

The factory returns a :class:`rnnlib.widgets.LiveFigure` over the plain functions
:func:`loss_placement_compute` and :func:`loss_placement_draw`, which the tests call directly.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..demos import bptt as demo
from ..plots import bptt as plots
from ..plots.unfolding import sub
from ..tbptt import truncated_bptt
from ._base import LiveFigure

T_STEPS = 10
SIZES = {"D": 2, "H": 4, "O": 1}
SEED = 1


def _loss_steps(values):
    return [i for i in range(1, T_STEPS + 1) if values.get(f"loss_{i}", False)]


def loss_placement_compute(rho=0.9, k=T_STEPS, **losses):
    """Numbers for the widget.

    Args:
        rho: spectral radius of W_hh; k: truncation length (k >= T: full BPTT);
        losses: ``loss_1=True, ..., loss_10=False``: which steps carry a loss.

    Returns:
        dict with ``loss_steps`` (1-based), ``per_loss`` (T, T, B, H): dL_i/dh_t,
        ``norms`` (T, T), ``delta`` (T, B, H) and ``totals`` (T,): delta_t and its size,
        ``full_delta`` (T, B, H): delta_t under full BPTT, ``grad_error``: relative distance of
        the truncated dL/dW_hh from the full one (0 when k >= T), and ``net``, ``x``,
        ``targets`` (the network and data, for checking).
    """
    steps = _loss_steps(losses)
    net, x, targets = demo.make_network(T=T_STEPS, rho=rho, seed=SEED, **SIZES)
    _, dys, cache = demo.selected_step_loss(net, x, targets, steps)
    dhs, _ = net.head.backward(dys, cache["head"])
    per_loss = demo.per_loss_hidden_gradients(net.rnn, x, dhs, k=k)
    delta = per_loss.sum(axis=0)
    full_delta = (delta if k >= T_STEPS else
                  demo.per_loss_hidden_gradients(net.rnn, x, dhs).sum(axis=0))
    norms = np.sqrt(np.sum(per_loss ** 2, axis=(2, 3)))
    totals = np.sqrt(np.sum(delta ** 2, axis=(1, 2)))
    grad_error = 0.0
    if steps and k < T_STEPS:
        masked = np.full_like(targets, np.nan)
        idx = [i - 1 for i in steps]
        masked[idx] = targets[idx]
        _, g_k, _ = truncated_bptt(net, demo.masked_mse, x, masked, k)
        _, g_full, _ = truncated_bptt(net, demo.masked_mse, x, masked, T_STEPS)
        grad_error = demo.relative_difference(g_k["rnn.weight_hh"], g_full["rnn.weight_hh"])
    return {"loss_steps": steps, "per_loss": per_loss, "norms": norms, "delta": delta,
            "totals": totals, "full_delta": full_delta, "grad_error": grad_error,
            "net": net, "x": x, "targets": targets, "dhs": dhs, "k": k, "rho": rho}


def loss_placement_draw(result, rho=0.9, k=T_STEPS, **losses):
    """The heat map (see :class:`rnnlib.plots.bptt.LossPlacementPlot`)."""
    return plots.LossPlacementPlot().draw(result, rho=rho, k=k, **losses)


def loss_placement_readout(result, rho=0.9, k=T_STEPS, **losses):
    steps = result["loss_steps"]
    if not steps:
        return ("No step carries a loss: every gradient is zero. "
                "Switch on at least one L<sub>i</sub>.")
    totals, norms = result["totals"], result["norms"]
    last = max(steps)
    own = norms[last - 1, last - 1]
    far = norms[last - 1, 0]
    text = (f"The loss at step {last} reaches h<sub>{last}</sub> with size {own:.3g} and "
            f"h<sub>1</sub> with size {far:.3g}"
            + (f" ({far / own:.2g} of it)" if own > 0 else "")
            + f". ‖δ<sub>1</sub>‖ = {totals[0]:.3g} collects {len(steps)} loss(es).")
    if k < T_STEPS:
        text += (f" Truncation (k = {k}) moves ∂L/∂W<sub>hh</sub> by {result['grad_error']:.1%} "
                 f"of its full value.")
    return text


def loss_placement_widget(loss_steps=None, rho=0.9, k=T_STEPS):
    """Toggle buttons L1..L10 (default: every step carries a loss), a slider for the spectral
    radius rho of W_hh (0.1-1.5) and one for the truncation length k (1-10; 10 = full BPTT)."""
    chosen = set(range(1, T_STEPS + 1) if loss_steps is None else loss_steps)
    controls = {f"loss_{i}": W.ToggleButton(value=i in chosen, description=sub("L", i),
                                            tooltip=f"a loss at step {i}",
                                            layout=W.Layout(width="48px"))
                for i in range(1, T_STEPS + 1)}
    controls["rho"] = W.FloatSlider(value=rho, min=0.1, max=1.5, step=0.05,
                                    description="ρ(W_hh)", readout_format=".2f")
    controls["k"] = W.IntSlider(value=k, min=1, max=T_STEPS, description="k (TBPTT)")
    return LiveFigure(controls, loss_placement_compute, loss_placement_draw,
                      loss_placement_readout, height="360px",
                      title="Backpropagation through time: where do the gradients go?",
                      update=plots.LossPlacementPlot())
