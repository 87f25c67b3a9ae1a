"""``LiveFigure``: controls + a plot redrawn in place + a readout, over plain functions."""

from __future__ import annotations

import time

import ipywidgets as W
from IPython.display import display

from ..plots.style import show


class LiveFigure:
    """A widget whose figure is recomputed by rnnlib whenever a control changes.

    Args:
        controls: name -> ipywidget with a ``.value`` (sliders, dropdowns, ...). The names are
            the keyword arguments of ``compute`` and ``draw``.
        compute: ``compute(**values) -> result``: the numbers (no plotting).
        draw: ``draw(result, **values) -> (fig, alt)``: the figure and its alt text.
        readout: optional ``readout(result, **values) -> str``: a line of HTML under the plot
            stating the numbers that matter (e.g. "gradient 50 steps back: 117.39x").
        height: fixed height of the plot area, so the page does not jump while redrawing.
        title: a line above the controls.

    Attributes:
        result: the last value ``compute`` returned; ``values``: the controls' values it used;
        seconds: how long the last update took (compute + draw).
    """

    def __init__(self, controls, compute, draw, readout=None, height="400px", title=None):
        self.controls = dict(controls)
        self.compute, self.draw, self.readout_fn = compute, draw, readout
        self.output = W.Output(layout=W.Layout(height=height, overflow="hidden"))
        self.readout = W.HTML()
        header = [W.HTML(f"<b>{title}</b>")] if title else []
        self.widget = W.VBox(header + [W.HBox(list(self.controls.values()),
                                              layout=W.Layout(flex_flow="row wrap")),
                                       self.output, self.readout])
        self.seconds = None
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        # Compute now (tests and readers can inspect .result); draw only when displayed, so the
        # cell that builds the widget has no widget output of its own (strict nbval compares it).
        self.values = self.current_values()
        self.result = self.compute(**self.values)

    def current_values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def _on_change(self, change):
        self.update()

    def update(self):
        """Recompute and redraw from the controls' current values."""
        start = time.perf_counter()
        values = self.current_values()
        result = self.compute(**values)
        self.result, self.values = result, values
        with self.output:
            self.output.clear_output(wait=True)     # no flicker: cleared when the new plot comes
            fig, alt = self.draw(result, **values)
            show(fig, alt, fast=True)
        if self.readout_fn is not None:
            self.readout.value = self.readout_fn(result, **values)
        self.seconds = time.perf_counter() - start
        return result

    def show_static(self):
        """Display the figure for the controls' current values as a plain output: what readers
        see on GitHub, in print, or with no kernel."""
        values = self.current_values()
        result = self.compute(**values)
        fig, alt = self.draw(result, **values)
        show(fig, alt)
        if self.readout_fn is not None:
            from IPython.display import HTML
            display(HTML(self.readout_fn(result, **values)))

    def _ipython_display_(self):
        self.update()
        display(self.widget)
