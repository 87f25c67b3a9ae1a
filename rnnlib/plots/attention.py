"""Figures for notebook 09: the bottleneck, attention maps, and sequential vs parallel steps."""

from __future__ import annotations

import numpy as np

from .live import LivePlot
from .style import PALETTE, new_figure

__all__ = [
    "accuracy_by_length_figure",
    "AttentionMapFigure",
    "loss_curves_figure",
    "recurrence_vs_attention_figure",
]


def _symbol(i, n_symbols):
    return "<end>" if i == n_symbols else str(int(i))


def loss_curves_figure(curves, window=25):
    """Training loss per update for each model (a moving mean over ``window`` updates).

    curves: label -> (steps,) losses."""
    fig, ax = new_figure(width=7.5, height=3.3)
    for label, losses in curves.items():
        losses = np.asarray(losses)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, len(losses) + 1), smooth, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("update")
    ax.set_ylabel(f"cross-entropy (nats, mean of {window})")
    ax.set_title("Training on the reversal task")
    ax.legend()
    alt = (
        "Training loss against update, log scale, for " + " and ".join(curves) + "; "
        "the model with attention falls much lower."
    )
    return fig, alt


def accuracy_by_length_figure(accuracies, trained_lengths, chance):
    """Share of output symbols right against the source length, one curve per model.

    accuracies: label -> {length: accuracy}; trained_lengths: (min, max) of the training
    lengths (shaded); chance: the accuracy of guessing."""
    fig, ax = new_figure(width=7.5, height=3.6)
    lo, hi = trained_lengths
    ax.axvspan(
        lo - 0.5,
        hi + 0.5,
        color=PALETTE["skyblue"],
        alpha=0.15,
        linewidth=0,
        label="lengths seen in training",
    )
    for k, (label, acc) in enumerate(accuracies.items()):
        lengths = sorted(acc)
        ax.plot(lengths, [acc[n] for n in lengths], marker="os"[k % 2], label=label)
    ax.axhline(chance, color="black", linestyle=":", linewidth=1.2, label=f"chance ({chance:.2f})")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("source length S (digits to reverse)")
    ax.set_ylabel("output symbols right")
    ax.set_title("The bottleneck: one vector for the whole source")
    ax.legend(loc="lower left", fontsize=9)
    alt = (
        "Accuracy of greedy decoding against source length for "
        + " and ".join(accuracies)
        + ". Without attention accuracy falls steadily as the "
        "source gets longer; with attention it stays near 1 over the trained lengths and "
        "drops only beyond them."
    )
    return fig, alt


class AttentionMapFigure(LivePlot):
    """The attention weights of one decoded example as a heat map: a row per output step, a
    column per source position; the input digits along the bottom, the decoded symbols (right
    ones in blue, wrong ones in vermillion) down the left.

    ``result``: dict with ``weights (T_y, S)``, ``inputs (S,)``, ``outputs (T_y,)``,
    ``targets (T_y,)``, ``n_symbols``. Built for sources up to ``max_length``."""

    def __init__(self, max_length=12):
        super().__init__()
        self.max_length = max_length

    def build(self, result, **values):
        S, T = self.max_length, self.max_length + 1
        fig, ax = new_figure(width=6.4, height=5.2, layout="none")
        fig.subplots_adjust(left=0.2, right=0.86, bottom=0.13, top=0.9)
        self.ax = ax
        ax.grid(False)
        self.image = self.moving(
            ax.imshow(
                np.full((T, S), np.nan),
                vmin=0,
                vmax=1,
                cmap="viridis",
                aspect="auto",
                origin="upper",
                extent=(-0.5, S - 0.5, T - 0.5, -0.5),
            )
        )
        bar = fig.colorbar(self.image, ax=ax, fraction=0.05, pad=0.03)
        bar.set_label("attention weight α")
        ax.set_xlim(-0.5, S - 0.5)
        ax.set_ylim(T - 0.5, -0.5)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("source position s (input digit below)", labelpad=18)
        ax.set_ylabel("output step t (decoded symbol left)", labelpad=44)
        # labels in data units along the axis, at a fixed distance outside it
        self.x_labels = [
            self.moving(
                ax.text(
                    s,
                    -0.015,
                    "",
                    ha="center",
                    va="top",
                    fontsize=11,
                    clip_on=False,
                    transform=ax.get_xaxis_transform(),
                )
            )
            for s in range(S)
        ]
        self.y_labels = [
            self.moving(
                ax.text(
                    -0.015,
                    t,
                    "",
                    ha="right",
                    va="center",
                    fontsize=10,
                    clip_on=False,
                    transform=ax.get_yaxis_transform(),
                )
            )
            for t in range(T)
        ]
        self.title = self.moving(ax.set_title(" "))
        return fig

    def update(self, result, **values):
        weights = np.asarray(result["weights"])
        T_y, S = weights.shape
        n = result["n_symbols"]
        grid = np.full((self.max_length + 1, self.max_length), np.nan)
        grid[:T_y, :S] = weights
        self.image.set_data(grid)
        self.ax.set_xlim(-0.5, S - 0.5)  # the axes fit this example's size
        self.ax.set_ylim(T_y - 0.5, -0.5)
        for s, label in enumerate(self.x_labels):
            label.set_text(_symbol(result["inputs"][s], n) if s < S else "")
        right = np.asarray(result["outputs"]) == np.asarray(result["targets"])
        for t, label in enumerate(self.y_labels):
            if t < T_y:
                label.set_text(_symbol(result["outputs"][t], n))
                label.set_color(PALETTE["blue"] if right[t] else PALETTE["vermillion"])
            else:
                label.set_text("")
        self.title.set_text(f"Where the decoder looks: {int(right.sum())} of {T_y} symbols right")
        return (
            f"Heat map of attention weights, {T_y} output steps by {S} source positions, "
            f"for the input {' '.join(_symbol(i, n) for i in result['inputs'])}; the decoded "
            f"symbols down the left, right ones in blue and wrong ones in vermillion. For "
            f"reversal the right place to look is the anti-diagonal."
        )


def recurrence_vs_attention_figure(timings):
    """Left: steps that must run one after another against sequence length (T for a recurrent
    layer, 1 for self-attention). Right: measured seconds of one forward pass of each."""
    fig, (ax_steps, ax_time) = new_figure(ncols=2, width=10, height=3.6)
    lengths = np.asarray(timings["lengths"])
    ax_steps.plot(lengths, lengths, marker="o", label="recurrent layer: T steps")
    ax_steps.plot(lengths, np.ones_like(lengths), marker="s", label="self-attention: 1 step")
    ax_steps.set_xlabel("sequence length T")
    ax_steps.set_ylabel("steps that must run in order")
    ax_steps.set_title("Depth of the computation")
    ax_steps.legend(fontsize=9)
    ax_time.plot(
        lengths,
        1e3 * np.asarray(timings["recurrent"]),
        marker="o",
        label="GRU layer (numpy, step by step)",
    )
    ax_time.plot(
        lengths,
        1e3 * np.asarray(timings["attention"]),
        marker="s",
        label="self-attention (numpy, 2 matrix products)",
    )
    ax_time.set_xscale("log")
    ax_time.set_yscale("log")
    ax_time.set_xlabel("sequence length T")
    ax_time.set_ylabel("time of one forward pass (ms)")
    ax_time.set_title("Measured on this machine (fastest of 7)")
    ax_time.legend(fontsize=9)
    alt = (
        "Two panels. Left: the number of steps that must run one after another grows as T "
        "for a recurrent layer and stays 1 for self-attention. Right: measured time of one "
        "forward pass against T on log-log axes for a GRU layer and for self-attention."
    )
    return fig, alt
