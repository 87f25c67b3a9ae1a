"""Widget for notebook 10: beam search, one source at a time.

``beam_widget(model)`` runs :func:`rnnlib.demos.decoding.beam_search` on a fresh digit string
(the ``example`` slider is its seed) with the chosen width, and shows the final hypotheses with
their log-probabilities (:class:`rnnlib.plots.decoding.BeamFigure`).
"""

from __future__ import annotations

import ipywidgets as W

from ..demos.attention import reversal_task
from ..demos.decoding import beam_search, sequence_log_prob
from ..plots.decoding import BeamFigure
from ._base import LiveFigure

__all__ = ["compute", "readout", "beam_widget"]


def _text(ids, n_symbols=8):
    return " ".join("<end>" if i == n_symbols else str(int(i)) for i in ids)


def compute(model, example, width, length, n_symbols=8):
    """Beam search on source number ``example`` (a seed) of ``length`` digits."""
    x, y, ids = reversal_task(1, length, n_symbols, seed=2000 + int(example))
    target = list(map(int, y[:, 0]))
    hyps = beam_search(model, x, len(target), width)
    return {
        "hypotheses": [(_text(h.ids), h.log_prob, h.ids == target) for h in hyps],
        "truth_log_prob": sequence_log_prob(model, x, y[:, 0]),
        "source": _text(ids[:, 0]),
        "target": _text(target),
    }


def readout(result, **values):
    best_text, best_lp, right = result["hypotheses"][0]
    verdict = "right" if right else "wrong"
    return (
        f"best: <code>{best_text.replace('<', '&lt;').replace('>', '&gt;')}</code> "
        f"(log p = {best_lp:.2f}, {verdict}); the right answer has log p = "
        f"{result['truth_log_prob']:.2f}"
    )


def beam_widget(model, width=1, example=0, length=8, max_width=8) -> LiveFigure:
    """Sliders for the source (a seed), its length and the beam width."""
    figure = BeamFigure(max_width=max_width)
    controls = {
        "example": W.IntSlider(value=example, min=0, max=49, description="example"),
        "length": W.IntSlider(value=length, min=3, max=10, description="length S"),
        "width": W.IntSlider(value=width, min=1, max=max_width, description="beam width"),
    }
    return LiveFigure(
        controls,
        lambda example, length, width: compute(model, example, width, length),
        figure.draw,
        readout=readout,
        height="330px",
        title="Beam search on one source",
        update=figure,
    )
