"""The run browser of notebook 12: pick a configuration and a seed, see that run.

``run_browser_widget(results)`` shows every run's held-out curve with the chosen one drawn
thick, and the chosen run's recall accuracy for each symbol (from
:func:`rnnlib.demos.capstone.recall_accuracy`, measured once after training and kept in
``results.accuracy``). A frame only moves lines and bars: nothing is trained or recomputed.
Tests call :func:`compute` and :func:`readout`, or set a control's ``.value`` and read
``widget.result``.
"""

from __future__ import annotations

import ipywidgets as W

from ..plots.capstone import CONFIG_LABEL, RunBrowserFigure, accuracy_words
from ._base import LiveFigure

VERDICT_WORDS = {"solved": "below the 'solved' line", "below the baseline": "below the baseline",
                 "at the baseline": "at the baseline"}


def compute(results, name, seed):
    """What the browser shows of one run: its curve, its verdict and its recall accuracy."""
    if (name, seed) not in results.curves:
        raise ValueError(f"no run {name!r} with seed {seed}; runs: {sorted(results.curves)}")
    return {"name": name, "seed": seed, "steps": results.steps(name, seed),
            "curve": results.curves[(name, seed)], "verdict": results.verdict(name, seed),
            "accuracy": results.accuracy[(name, seed)]}


def readout(result, **values):
    """One line of HTML: the run's verdict and, in words, how often it recalls the symbols.
    (Verdicts, not digits: the static copy of this line is saved with the notebook.)"""
    return (f"<b>{CONFIG_LABEL[result['name']]}, seed {result['seed']}</b>: the held-out loss "
            f"at the end is {VERDICT_WORDS[result['verdict']]}; its recalls of the held-out "
            f"symbols are {accuracy_words(result['accuracy'])}.")


def run_browser_widget(results, name="GRU", seed=None) -> LiveFigure:
    """Buttons for the configuration and a slider for the seed over the runs of ``results``
    (a :class:`rnnlib.demos.capstone.Results` with ``accuracy`` filled in)."""
    seeds = results.seeds
    if not results.accuracy:
        raise ValueError("results.accuracy is empty: measure each run's recall accuracy first "
                         "(rnnlib.demos.capstone.recall_accuracy)")
    controls = {
        "name": W.ToggleButtons(options=results.names, value=name, description="run",
                                style={"button_width": "90px"}),
        "seed": W.SelectionSlider(options=seeds, value=seeds[0] if seed is None else seed,
                                  description="seed", continuous_update=True,
                                  layout=W.Layout(width="260px")),
    }

    def _compute(name, seed):
        return compute(results, name, seed)

    figure = RunBrowserFigure(results)         # built once; a frame is blitted
    return LiveFigure(controls, _compute, figure.draw, readout, height="310px", update=figure,
                      title="Browse the runs: which configuration, which seed")
