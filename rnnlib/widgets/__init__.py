"""Interactive widgets for the notebooks: the only package that imports ipywidgets.

Every widget is a :class:`LiveFigure`: controls, a plot that redraws in place, a text readout,
and behind them two plain functions, ``compute(**values) -> result`` (rnnlib does the maths)
and ``draw(result, **values) -> (fig, alt)``. Tests call those functions directly, or set a
control's value and read ``widget.result``. One module per notebook builds its widgets.
"""

from ._base import LiveFigure

__all__ = ["LiveFigure"]
