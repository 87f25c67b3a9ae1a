"""Widget for notebook 04 (gradient clipping).

:func:`cliff_widget`: sliders for the clipping threshold and the learning rate over the loss
surface of a one-unit RNN with a cliff; two gradient-descent paths from the same start, without
and with clipping (by rnnlib's ``SGD`` and ``clip_grad_norm``). The surface is computed once and
cached; a slider move recomputes only the paths (each cached too, so revisiting a value is
instant).

The factory returns a :class:`rnnlib.widgets.LiveFigure` over the plain module-level
``cliff_compute`` / ``cliff_draw`` / ``cliff_readout``, which the tests call directly.
"""

from __future__ import annotations

import functools

import ipywidgets as W

from ..demos import clipping as demo
from ..plots import clipping as plots
from ._base import LiveFigure

START = (2.0, -0.2)
STEPS = 40


@functools.lru_cache(maxsize=64)
def _path(lr, max_norm):
    return demo.descent_path(START, lr=lr, steps=STEPS, max_norm=max_norm)


def cliff_compute(max_norm, lr):
    """The cached surface and the two descent paths (no clipping; clipping at ``max_norm``)."""
    return {"surface": demo.cliff_surface(), "raw": _path(float(lr), None),
            "clipped": _path(float(lr), float(max_norm))}


def cliff_draw(result, max_norm, lr):
    """The surface and both paths (see :class:`rnnlib.plots.clipping.CliffPlot`)."""
    return plots.CliffPlot().draw(result, max_norm=max_norm, lr=lr)


def _summary(path):
    end = path["points"][-1]
    return (f"largest gradient {path['norms'].max():.3g}, longest step {path['biggest_step']:.3g}, "
            f"final loss <b>{path['losses'][-1]:.3g}</b> at (w, b) = ({end[0]:.3g}, {end[1]:.3g})")


def cliff_readout(result, max_norm, lr):
    raw, clipped = result["raw"], result["clipped"]
    return (f"No clipping: {_summary(raw)}.<br>Clipped at μ = {max_norm:.3g}: {_summary(clipped)}; "
            f"clipping acted in {int(clipped['clipped'].sum())} of {len(clipped['norms'])} steps, "
            f"so no step was longer than lr × μ = {lr * max_norm:.3g}.")


#: slider stops: round numbers on a roughly logarithmic scale, exactly as shown (a
#: FloatLogSlider would snap 0.2 to 10 ** -0.7 = 0.1995..., and near the cliff that small
#: difference changes the path)
THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0)
LEARNING_RATES = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0)


def cliff_widget(max_norm=1.0, lr=0.2):
    """Sliders for the clipping threshold (0.05-20) and the learning rate (0.01-1), each over a
    fixed list of round values."""
    if max_norm not in THRESHOLDS or lr not in LEARNING_RATES:
        raise ValueError(f"max_norm must be one of {THRESHOLDS} and lr one of {LEARNING_RATES}")
    wide = {"description_width": "initial"}          # the whole label, not "learning r..."
    controls = {
        "max_norm": W.SelectionSlider(options=[(f"{v:g}", v) for v in THRESHOLDS], value=max_norm,
                                      description="threshold μ", style=wide),
        "lr": W.SelectionSlider(options=[(f"{v:g}", v) for v in LEARNING_RATES], value=lr,
                                description="learning rate η", style=wide),
    }
    return LiveFigure(controls, cliff_compute, cliff_draw, cliff_readout, height="320px",
                      title="Gradient descent at a cliff, with and without clipping",
                      update=plots.CliffPlot(),
                      # the descent paths of every stop, computed (and kept) after it is shown
                      warm=[{"max_norm": v} for v in THRESHOLDS]
                      + [{"lr": v} for v in LEARNING_RATES])
