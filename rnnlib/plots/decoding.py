"""Figures for notebook 10: exposure bias, and greedy decoding against beam search."""

from __future__ import annotations

import numpy as np

from .live import LivePlot
from .style import PALETTE, new_figure

__all__ = ["exposure_bias_figure", "beam_width_figure", "BeamFigure"]


def exposure_bias_figure(result, length):
    """Accuracy at each output position: teacher-forced against free-running."""
    fig, ax = new_figure(width=7.5, height=3.5)
    positions = np.arange(1, len(result["teacher_forced"]) + 1)
    ax.plot(
        positions,
        result["teacher_forced"],
        marker="o",
        label="reads the true previous symbol (teacher forcing)",
    )
    ax.plot(
        positions,
        result["free_running"],
        marker="s",
        label="reads its own previous output (generating)",
    )
    ax.set_ylim(0, 1.02)
    ax.set_xticks(positions)
    ax.set_xlabel(f"output position t (source length {length}; the last is <end>)")
    ax.set_ylabel("symbols right at t")
    ax.set_title("Exposure bias: mistakes feed on themselves")
    ax.legend(loc="lower left", fontsize=9)
    alt = (
        "Accuracy at each output position for a plain encoder-decoder reversing strings of "
        f"length {length}: with the true previous symbols as input, and with its own "
        "outputs fed back. The second curve falls below the first after the first positions."
    )
    return fig, alt


def beam_width_figure(comparison):
    """Exact-match share and mean log-probability of the chosen output, per beam width."""
    widths = sorted(comparison)
    fig, (ax_acc, ax_lp) = new_figure(ncols=2, width=9.5, height=3.4)
    exact = [comparison[w]["exact"] for w in widths]
    ax_acc.plot(widths, exact, marker="o")
    for w, e in zip(widths, exact):
        ax_acc.annotate(
            f"{e:.0%}", (w, e), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=9
        )
    ax_acc.set_ylim(0, 1)
    ax_acc.set_xscale("log", base=2)
    ax_acc.set_xticks(widths, [str(w) for w in widths])
    ax_acc.set_xlabel("beam width (1 = greedy)")
    ax_acc.set_ylabel("sources decoded exactly right")
    ax_acc.set_title("Accuracy")
    ax_lp.plot(
        widths,
        [comparison[w]["log_prob"] for w in widths],
        marker="s",
        color=PALETTE["orange"],
        linestyle="--",
    )
    ax_lp.set_xscale("log", base=2)
    ax_lp.set_xticks(widths, [str(w) for w in widths])
    ax_lp.set_xlabel("beam width (1 = greedy)")
    ax_lp.set_ylabel("mean log p(chosen output | x)")
    ax_lp.set_title("What the search maximises")
    alt = (
        "Two panels against beam width 1, 2, 4 and 8: the share of sources decoded exactly "
        "right (on a scale from 0 to 1), and the mean log-probability of the chosen "
        "output. Both rise a little from greedy to a small beam and then level off."
    )
    return fig, alt


class BeamFigure(LivePlot):
    """The final hypotheses of one beam search as horizontal bars of log-probability, best on
    top, the right answer's bar in blue and the others in grey, with the right answer's own
    log-probability as a dashed line.

    ``result``: dict with ``hypotheses`` (list of (text, log_prob, is_right)), ``truth_log_prob``
    and ``source`` (text). Built for up to ``max_width`` bars."""

    def __init__(self, max_width=8):
        super().__init__()
        self.max_width = max_width

    def build(self, result, **values):
        fig, ax = new_figure(width=7.5, height=3.8, layout="none")
        fig.subplots_adjust(left=0.36, right=0.97, bottom=0.16, top=0.86)
        self.ax = ax
        ax.grid(axis="y", visible=False)
        self.bars = ax.barh(
            np.arange(self.max_width), np.zeros(self.max_width), height=0.7, color="0.7"
        )
        self.moving(*self.bars)
        ax.set_yticks([])
        ax.set_ylim(self.max_width - 0.5, -0.5)
        self.labels = [
            self.moving(
                ax.text(
                    -0.01,
                    k,
                    "",
                    ha="right",
                    va="center",
                    fontsize=10,
                    family="monospace",
                    transform=ax.get_yaxis_transform(),
                )
            )
            for k in range(self.max_width)
        ]
        self.truth_line = self.moving(
            ax.axvline(0.0, color=PALETTE["vermillion"], linestyle="--", linewidth=1.5)
        )
        ax.set_xlabel("log p(output | source)  (0 = certain)")
        self.title = self.moving(ax.set_title(" "))
        return fig

    def background_key(self, result, **values):
        return None

    def update(self, result, **values):
        hyps = result["hypotheses"]
        low = min([lp for _, lp, _ in hyps] + [result["truth_log_prob"]])
        self.ax.set_xlim(min(-1.0, 1.15 * low), 0.0)
        for k, (bar, label) in enumerate(zip(self.bars, self.labels)):
            if k < len(hyps):
                text, lp, right = hyps[k]
                bar.set_width(lp)
                bar.set_color(PALETTE["blue"] if right else "0.7")
                label.set_text(text)
            else:
                bar.set_width(0.0)
                label.set_text("")
        self.truth_line.set_xdata([result["truth_log_prob"]] * 2)
        self.title.set_text(
            f"source {result['source']}: {len(hyps)} beam(s); dashed: the right answer"
        )
        return (
            f"Horizontal bars of log-probability for the {len(hyps)} final hypotheses of "
            f"beam search on the source {result['source']}, best on top; the right answer's "
            "bar, when the beam found it, is blue, and a dashed line marks the right "
            "answer's own log-probability."
        )
