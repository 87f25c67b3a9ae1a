"""Widget for notebook 09: pick an example and a source length, see where attention looks.

``attention_map_widget(model)`` decodes one fresh digit string with a trained
:class:`rnnlib.demos.attention.AttentionSeq2Seq` and shows its attention weights as a heat map
(:class:`rnnlib.plots.attention.AttentionMapFigure`). Tests call :func:`compute`, the figure's
``draw`` and :func:`readout` directly, or set a slider and read ``widget.result``.
"""

from __future__ import annotations

import ipywidgets as W

from ..demos.attention import reversal_task
from ..plots.attention import AttentionMapFigure
from ._base import LiveFigure

__all__ = ["compute", "readout", "attention_map_widget"]


def compute(model, example, length, n_symbols=8):
    """Decode example number ``example`` (a seed) of the given length; return the numbers the
    figure shows: weights (T_y, S), inputs (S,), outputs and targets (T_y,), n_symbols."""
    x, y, ids = reversal_task(1, length, n_symbols, seed=1000 + int(example))
    out, weights = model.generate(x, y.shape[0])
    return {
        "weights": weights[:, :, 0],
        "inputs": ids[:, 0],
        "outputs": out[:, 0],
        "targets": y[:, 0],
        "n_symbols": n_symbols,
    }


def _text(ids, n):
    return " ".join("&lt;end&gt;" if i == n else str(int(i)) for i in ids)


def readout(result, **values):
    """One line of HTML: the input, the decoded output and how many symbols are right."""
    n = result["n_symbols"]
    right = int((result["outputs"] == result["targets"]).sum())
    return (
        f"input <b>{_text(result['inputs'], n)}</b> &rarr; decoded "
        f"<b>{_text(result['outputs'], n)}</b> &nbsp;({right} of {len(result['targets'])} "
        f"symbols right)"
    )


def attention_map_widget(model, length=8, example=0, max_length=12) -> LiveFigure:
    """Two sliders, the example (a seed for a fresh digit string) and its length, over the
    attention map of ``model`` decoding it."""
    figure = AttentionMapFigure(max_length=max_length)
    controls = {
        "example": W.IntSlider(
            value=example, min=0, max=49, description="example", continuous_update=True
        ),
        "length": W.IntSlider(
            value=length, min=2, max=max_length, description="length S", continuous_update=True
        ),
    }
    return LiveFigure(
        controls,
        lambda example, length: compute(model, example, length),
        figure.draw,
        readout=readout,
        height="430px",
        title="Attention weights of one decoded example",
        update=figure,
    )
