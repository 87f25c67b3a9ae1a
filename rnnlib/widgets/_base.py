"""``LiveFigure``: controls + a plot that follows them + a readout, over plain functions.

How a frame reaches the screen (measured in JupyterLab; see the README, "Sliders while
dragging"):

* The plot is an ``ipywidgets.Image`` whose ``value`` (PNG bytes) is replaced: one binary
  message per frame and one ``<img>`` whose source changes, instead of an Output area that is
  cleared and re-rendered.
* Latest wins. A control change only marks the widget as pending and asks the kernel's event
  loop to draw "soon"; the kernel first answers the message (the browser then sends the next
  slider value while this frame is drawn) and handles what else has arrived. When the frame is
  drawn it reads the controls' values at that moment, so values that arrived in between are
  skipped and the last value of a drag is always the last frame drawn. Outside a running event
  loop (tests, scripts) a change is drawn at once.
* The frame itself: ``update`` (a :class:`rnnlib.plots.live.LivePlot` or a function like
  ``draw`` that may reuse its figure) moves the artists of a figure built once; the PNG is
  written by :func:`rnnlib.plots.live.encode_png`.

Only core ipywidgets (Image, HTML, boxes) and traits that ipywidgets 7.7 also has are used.
"""

from __future__ import annotations

import asyncio
import html
import threading
import time
import traceback

import ipywidgets as W
from IPython.display import display

from ..plots.live import figure_frame
from ..plots.style import show

#: CSS that hides text from the eye but not from screen readers
_SCREEN_READER_ONLY = ("position:absolute;width:1px;height:1px;padding:0;margin:-1px;"
                       "overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0")


def _running_loop():
    """The asyncio loop running in this thread (the kernel's, while it handles a message), or
    None (plain Python, tests, other threads)."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class LiveFigure:
    """A widget whose figure is recomputed by rnnlib whenever a control changes.

    Args:
        controls: name -> ipywidget with a ``.value`` (sliders, dropdowns, ...). The names are
            the keyword arguments of ``compute`` and ``draw``.
        compute: ``compute(**values) -> result``: the numbers (no plotting).
        draw: ``draw(result, **values) -> (fig, alt)``: the complete figure and its alt text
            (a new figure on every call: the static figure and the tests use it).
        readout: optional ``readout(result, **values) -> str``: a line of HTML under the plot
            stating the numbers that matter (e.g. "gradient 50 steps back: 117.39x").
        height: fixed height of the plot area, so the page does not jump while redrawing.
        title: a line above the controls.
        update: optional fast path for the frames shown while a control moves: a
            :class:`rnnlib.plots.live.LivePlot` (its ``frame``), or a function with ``draw``'s
            signature that may return the same figure every time, moved in place. Default:
            ``draw``.
        coalesce: draw "latest wins" inside a running kernel (see the module's docstring);
            False draws every change at once.
        warm: optional list of ``{control: value}`` settings whose frames are drawn ahead,
            one at a time in the kernel's idle moments after the widget is shown (the other
            controls at their values then), and not sent: for an ``update`` that keeps a figure
            per structure (:class:`rnnlib.plots.live.PerStructure`), so that the first drag over
            a slider that changes the structure (the number of steps drawn) finds its figures
            built. A control change always goes first.

    Attributes:
        result: the last value ``compute`` returned; ``values``: the controls' values it used
        (reading either first draws a pending change); seconds: how long the last frame took
        (compute + draw + encode); changes, frames: how many control changes arrived and how
        many frames were drawn (frames < changes when values were skipped); image: the
        ``ipywidgets.Image`` showing the frames; alt: the alt text of the frame shown;
        readout: the ``ipywidgets.HTML`` under the plot, holding the readout line
        (``readout_html``) and the alt text in a part only screen readers read (one message per
        frame for both: every widget changed is a message of its own).
    """

    def __init__(self, controls, compute, draw, readout=None, height="400px", title=None,
                 update=None, coalesce=True, warm=None):
        self.controls = dict(controls)
        self.compute, self.draw, self.readout_fn = compute, draw, readout
        self.updater = update
        self.coalesce = coalesce
        self.image = W.Image(format="png")
        self.plot = W.Box([self.image], layout=W.Layout(height=height, overflow="hidden"))
        self.readout = W.HTML()
        self.readout_html = ""
        header = [W.HTML(f"<b>{title}</b>")] if title else []
        self.widget = W.VBox(header + [W.HBox(list(self.controls.values()),
                                              layout=W.Layout(flex_flow="row wrap")),
                                       self.plot, self.readout])
        self.seconds = None
        self.alt = None
        self.changes = self.frames = self.warmed = 0
        self._warm = [dict(w) for w in (warm or ())]
        self._warm_queue = []
        self.error = None
        self._pending = False
        self._scheduled = False
        self._lock = threading.RLock()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        # Compute now (tests and readers can inspect .result); draw only when displayed, so the
        # cell that builds the widget has no widget output of its own (strict nbval compares it).
        self._values = self.current_values()
        self._result = self.compute(**self._values)

    # -- state -----------------------------------------------------------------------------------
    def current_values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    @property
    def result(self):
        self.flush()
        return self._result

    @property
    def values(self) -> dict:
        self.flush()
        return self._values

    # -- latest wins -------------------------------------------------------------------------------
    def _on_change(self, change):
        self.changes += 1
        self._pending = True
        loop = _running_loop() if self.coalesce else None
        if loop is None:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._drain)

    def _drain(self):
        self._scheduled = False
        try:
            self.flush()
        except Exception as err:  # a callback of the event loop: show the error, do not lose it
            self.error = err
            self.readout_html = (f"<pre style='color:#D55E00;white-space:pre-wrap'>"
                                 f"{html.escape(traceback.format_exc(limit=-3))}</pre>")
            self.readout.value = self.readout_html

    def flush(self):
        """Draw the pending change, if any (the controls' values now)."""
        if self._pending:
            self.update()

    # -- drawing -----------------------------------------------------------------------------------
    def render(self, result, values) -> tuple[bytes, str]:
        """``(png, alt)`` of the frame for ``result`` computed from ``values``."""
        fn = self.updater
        if fn is not None and hasattr(fn, "frame"):
            return fn.frame(result, **values)
        fig, alt = (fn or self.draw)(result, **values)
        return figure_frame(fig), alt

    def update(self):
        """Recompute and redraw from the controls' current values; returns the result."""
        with self._lock:                 # a change set from another thread draws at once too
            return self._update()

    def _update(self):
        start = time.perf_counter()
        self._pending = False
        values = self.current_values()
        result = self.compute(**values)
        self._result, self._values = result, values
        png, alt = self.render(result, values)
        self.alt = alt
        self.image.value = png
        # The Image widget has no alt attribute (and its tooltip breaks the view in ipywidgets
        # 8.1): the alt text goes into a visually hidden part of the readout, which screen
        # readers read (one widget, so one message, for both).
        self.readout_html = self.readout_fn(result, **values) if self.readout_fn else ""
        self.readout.value = (f"{self.readout_html}<span style='{_SCREEN_READER_ONLY}'>"
                              f"Figure: {html.escape(alt)}</span>")
        self.frames += 1
        self.error = None
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

    # -- frames drawn ahead -------------------------------------------------------------------
    #: seconds between two frames drawn ahead (the kernel stays free for messages in between)
    WARM_GAP_S = 0.02

    def _start_warming(self):
        loop = _running_loop()
        if loop is None or not self._warm or not hasattr(self.updater, "frame_rgba"):
            return
        self._warm_queue = list(self._warm)
        loop.call_later(0.2, self._warm_step)

    def _warm_step(self):
        loop = _running_loop()
        if loop is None or not self._warm_queue:
            return
        if self._pending or self._scheduled:           # a real change is waiting: it goes first
            loop.call_later(0.1, self._warm_step)
            return
        try:
            self._draw_ahead(self._warm_queue.pop(0))
        except Exception:                              # drawn ahead only: the real frame will
            self._warm_queue = []                      # show any error when it is asked for
            return
        loop.call_later(self.WARM_GAP_S, self._warm_step)

    def _draw_ahead(self, setting):
        values = {**self.current_values(), **setting}
        with self._lock:
            self.updater.frame_rgba(self.compute(**values), **values)
        self.warmed += 1

    def prepare(self):
        """Draw every frame of ``warm`` now, at once (what a kernel does in its idle moments
        after the widget is shown; for benchmarks and tests)."""
        if hasattr(self.updater, "frame_rgba"):
            for setting in self._warm:
                self._draw_ahead(setting)

    def _ipython_display_(self):
        self.update()
        display(self.widget)
        self._start_warming()
