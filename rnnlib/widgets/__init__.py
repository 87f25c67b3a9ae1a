"""Interactive widgets for the notebooks: the only package that imports ipywidgets.

Every widget is a :class:`LiveFigure`: controls, a plot that redraws in place, a text readout,
and behind them two plain functions, ``compute(**values) -> result`` (rnnlib does the maths)
and ``draw(result, **values) -> (fig, alt)``. Tests call those functions directly, or set a
control's value and read ``widget.result``. One module per notebook builds its widgets.

The plot follows a dragged slider: frames go to an ``ipywidgets.Image``, the newest value wins
when several arrive during one frame, and most widgets pass ``update=`` a
:class:`rnnlib.plots.live.LivePlot`, a figure built once whose moving parts alone are drawn
on each frame (see ``benchmarks/bench_widgets.py`` and the README, "Sliders while dragging").
"""

from ._base import LiveFigure

__all__ = ["LiveFigure"]
