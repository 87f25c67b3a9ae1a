"""Widget for notebook 11: pick a unit and a signal, see the passage coloured by it.

``unit_widget(traces, passage)`` shows :class:`rnnlib.plots.inside.TextActivationFigure` for the
traces that :func:`rnnlib.demos.inside.trace` recorded over ``passage``.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..demos.inside import SIGNALS, text_grid
from ..plots.inside import TextActivationFigure
from ._base import LiveFigure

__all__ = ["compute", "readout", "unit_widget"]


def compute(traces, signal, unit):
    """The values of one unit of one signal at every character of the passage; ``bound``: one
    colour scale for all units of the signal (the 99th percentile of |value|), so that units can
    be compared and the scale stays put while the unit slider moves."""
    return {
        "values": traces[signal][:, unit],
        "signal": signal,
        "unit": int(unit),
        "label": SIGNALS[signal],
        "bound": float(np.percentile(np.abs(traces[signal]), 99)),
    }


def readout(result, **values):
    v = np.asarray(result["values"])
    return (
        f"{result['label']}, unit {result['unit']}: from {v.min():.2f} to {v.max():.2f}, "
        f"mean {v.mean():.2f} over {len(v)} characters"
    )


def unit_widget(traces, passage, signal="c", unit=0, width=64) -> LiveFigure:
    """A dropdown for the signal (h, c and the gates) and a slider for the unit. ``traces`` may
    be longer than ``passage``: the first ``len(passage)`` characters are shown."""
    traces = {name: values[: len(passage)] for name, values in traces.items()}
    rows, index = text_grid(passage, width)
    figure = TextActivationFigure(rows, index)
    H = next(iter(traces.values())).shape[1]
    controls = {
        "signal": W.Dropdown(
            options=[(SIGNALS[s], s) for s in traces], value=signal, description="signal"
        ),
        "unit": W.IntSlider(value=unit, min=0, max=H - 1, description="unit"),
    }
    return LiveFigure(
        controls,
        lambda signal, unit: compute(traces, signal, unit),
        figure.draw,
        readout=readout,
        height=f"{int(26 * len(rows) + 110)}px",
        title="The passage, coloured by one unit",
        update=figure,
    )
