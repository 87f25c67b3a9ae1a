"""Figures for notebook 11: text coloured by one unit, and connectivity through time."""

from __future__ import annotations

import numpy as np

from .live import LivePlot, agg_canvas
from .style import DIVERGING_CMAP, SEQUENTIAL_CMAP, new_figure

__all__ = ["TextActivationFigure", "connectivity_figure", "signal_range"]

_GATES = ("i", "f", "o")


def signal_range(signal, values, bound=None):
    """Colour scale of a signal: gates in [0, 1] (sequential map); h and g in [-1, 1]; the cell
    state symmetric around 0 up to ``bound`` (default: its largest |value|) (diverging map)."""
    if signal in _GATES:
        return SEQUENTIAL_CMAP, 0.0, 1.0
    if signal in ("h", "g"):
        return DIVERGING_CMAP, -1.0, 1.0
    bound = float(max(1e-6, np.max(np.abs(values)) if bound is None else bound))
    return DIVERGING_CMAP, -bound, bound


class TextActivationFigure(LivePlot):
    """A passage laid out in rows, each character on a cell coloured by one unit's value at that
    character (Karpathy, Johnson & Fei-Fei 2015). The characters are drawn once; only the
    colours move.

    ``result``: dict with ``values (T,)``, ``signal``, ``unit``, ``label``. Built for the
    ``rows`` and ``index`` of :func:`rnnlib.demos.inside.text_grid`."""

    def __init__(self, rows, index):
        super().__init__()
        self.rows, self.index = rows, index

    #: the passage is drawn one text per row in a monospace font, over cells exactly one
    #: character wide (measured, since the renderer snaps each character to whole pixels)
    FONT_PT = 10.0
    ROW_IN = 0.24

    def build(self, result, **values):
        n_rows, width = self.index.shape
        fig, ax = new_figure(width=8.0, height=3.0, layout="none")
        renderer = agg_canvas(fig).get_renderer()
        probe = ax.text(0, 0, "M" * width, fontsize=self.FONT_PT, family="DejaVu Sans Mono")
        ax_w = probe.get_window_extent(renderer).width / fig.dpi  # inches for `width` chars
        probe.remove()
        ax_h = n_rows * self.ROW_IN
        left, right, bottom, top = 0.1, 1.2, 0.1, 0.45
        fig_w, fig_h = left + ax_w + right, bottom + ax_h + top
        fig.set_size_inches(fig_w, fig_h)
        ax.set_position((left / fig_w, bottom / fig_h, ax_w / fig_w, ax_h / fig_h))
        self.ax = ax
        ax.grid(False)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        self.image = self.moving(
            ax.imshow(
                np.zeros(self.index.shape),
                aspect="auto",
                interpolation="nearest",
                alpha=0.65,
                extent=(-0.5, width - 0.5, n_rows - 0.5, -0.5),
            )
        )
        cax = fig.add_axes(
            ((left + ax_w + 0.15) / fig_w, bottom / fig_h, 0.15 / fig_w, ax_h / fig_h)
        )
        self.bar = fig.colorbar(self.image, cax=cax)
        for r, row in enumerate(self.rows):
            ax.text(
                -0.5,
                r,
                row,
                ha="left",
                va="center",
                fontsize=self.FONT_PT,
                family="DejaVu Sans Mono",
                color="black",
            )
        self.title = self.moving(
            ax.text(
                0.0,
                1.0 + 0.12 / ax_h,
                " ",
                transform=ax.transAxes,
                ha="left",
                va="bottom",
                fontsize=11,
            )
        )
        return fig

    def background_key(self, result, **values):
        return result["signal"], round(float(result["vmax"]), 6)

    def update(self, result, **values):
        vals = np.asarray(result["values"])
        grid = np.where(self.index >= 0, vals[np.clip(self.index, 0, None)], np.nan)
        cmap, vmin, vmax = signal_range(result["signal"], vals, result.get("bound"))
        result["vmax"] = vmax
        self.image.set_data(grid)
        self.image.set_cmap(cmap)
        self.image.set_clim(vmin, vmax)
        self.bar.set_label(f"{result['label']}, unit {result['unit']}")
        self.title.set_text(
            f"{result['label']}, unit {result['unit']}, at every character (¶ = newline)"
        )
        return (
            f"A passage of Shakespeare in rows of characters, each character's cell coloured "
            f"by unit {result['unit']} of the {result['label']} at that character, from "
            f"{vmin:.2g} to {vmax:.2g}."
        )


def connectivity_figure(curves, K):
    """Typical ||d loss_t / d x_{t-j}|| against the distance j, one curve per model, log scale.

    curves: label -> (K + 1,) values."""
    fig, ax = new_figure(width=7.5, height=3.6)
    distance = np.arange(K + 1)
    for n, (label, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        shown = np.where(values > 0, values, np.nan)
        ax.plot(distance, shown, marker="os"[n % 2], markevery=5, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("distance j back from the predicting character")
    ax.set_ylabel("||∂ loss_t / ∂ x_(t−j)|| (geometric mean)")
    ax.set_title("How far back the prediction reaches")
    ax.legend()
    alt = (
        "Log-scale plot of how strongly the next-character loss depends on the input j "
        "characters back, for " + " and ".join(curves) + "; the vanilla RNN's curve falls "
        "by many orders of magnitude within a few dozen characters, the LSTM's much more "
        "slowly."
    )
    return fig, alt
