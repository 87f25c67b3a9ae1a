"""The latch widget of notebook 05: move the marker and the cue, watch trained gates respond.

``latch_widget(models)`` shows, for each trained model of :func:`rnnlib.demos.latch.train_latch`
(an LSTM and a GRU), the input sequence, the gates of the unit that does the remembering and
its state, with the marker and the cue where the sliders put them. Every frame is a forward pass
by rnnlib (:func:`rnnlib.demos.latch.trace`). Tests call :func:`compute` and :func:`readout`,
or set a slider's ``.value`` and read ``widget.result``.
"""

from __future__ import annotations

import ipywidgets as W

from ..demos.latch import memory_unit, trace
from ..plots.latch import LatchFigure
from ._base import LiveFigure

DEFAULTS = {"marker": 6, "cue": 24, "seed": 1}


def compute(models, units, marker, cue, seed):
    """One trace per model for the marker and the cue at the given 1-based steps. A cue at or
    before the marker is moved to the step after it (the widget's sliders do the same)."""
    T = models[0].T
    marker = min(int(marker), T - 1)
    cue = max(int(cue), marker + 1)
    return [trace(m, marker=marker, cue=cue, seed=seed, unit=u)
            for m, u in zip(models, units, strict=True)]


def readout(result, **values):
    """One line of HTML per model: is its output at the cue within 0.1 of the target? (A
    verdict, not the numbers, which the figure's titles show: the static copy of this line is
    saved with the notebook, and a trained model's last digits differ between machines.)"""
    parts = []
    for res in result:
        err = abs(res["output"] - res["target"])
        verdict = "within 0.1 of" if err < 0.1 else "more than 0.1 away from"
        parts.append(f"<b>{res['cell']}</b>: the output at the cue is {verdict} the target")
    T = len(result[0]["t"])
    return (" &nbsp;|&nbsp; ".join(parts) + f"<br><i>Trained with the marker in steps 1 to "
            f"{T // 2} and the cue in steps {T // 2 + 1} to {T}; outside that, you are asking "
            "it something it never saw.</i>")


def latch_widget(models, **overrides) -> LiveFigure:
    """Sliders for the marker's step, the cue's step and the sequence's values (a seed) over
    trained latch models (see :func:`rnnlib.demos.latch.train_latch`). Keyword arguments
    override ``DEFAULTS``."""
    models = list(models)
    if not models:
        raise ValueError("latch_widget needs at least one trained model")
    T = models[0].T
    units = [memory_unit(m) for m in models]          # the unit to show, found once
    start = {**DEFAULTS, **overrides}
    style = {"description_width": "initial"}
    controls = {
        "marker": W.IntSlider(value=start["marker"], min=1, max=T - 1, description="marker at step",
                              continuous_update=True, style=style,
                              layout=W.Layout(width="300px")),
        "cue": W.IntSlider(value=start["cue"], min=2, max=T, description="cue at step",
                           continuous_update=True, style=style, layout=W.Layout(width="300px")),
        "seed": W.IntSlider(value=start["seed"], min=0, max=20, description="values (seed)",
                            continuous_update=True, style=style,
                            layout=W.Layout(width="260px")),
    }

    def keep_order(change):                           # the cue always comes after the marker
        if controls["cue"].value <= controls["marker"].value:
            if change["owner"] is controls["marker"]:
                controls["cue"].value = controls["marker"].value + 1
            else:
                controls["marker"].value = controls["cue"].value - 1
    controls["marker"].observe(keep_order, names="value")
    controls["cue"].observe(keep_order, names="value")

    def _compute(marker, cue, seed):
        return compute(models, units, marker, cue, seed)

    figure = LatchFigure()                            # built once; a frame moves its lines
    return LiveFigure(controls, _compute, figure.draw, readout, height="530px", update=figure,
                      title="Move the marker and the cue: the trained gates open and close")
