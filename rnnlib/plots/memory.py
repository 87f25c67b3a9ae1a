"""Figures for notebook 06 (long-range memory in practice).

Each function returns ``(fig, alt)`` for :func:`rnnlib.plots.show`; the numbers come from
:mod:`rnnlib.data` and from :class:`rnnlib.demos.memory.Trainer` runs.
:class:`LearningCurveFigure` is the training widget's figure: built once, its lines move.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, NullLocator

from .style import COLORS, MARKERS, PALETTE, new_figure

#: one colour, line style and marker per cell, the same in every figure of the notebook
CELL_STYLE = {
    "RNN": {"color": COLORS[3], "linestyle": ":", "marker": MARKERS[0]},
    "LSTM": {"color": COLORS[0], "linestyle": "-", "marker": MARKERS[1]},
    "GRU": {"color": COLORS[2], "linestyle": "--", "marker": MARKERS[2]},
}
CELL_LABEL = {"RNN": "vanilla RNN (tanh)", "LSTM": "LSTM", "GRU": "GRU"}
TASK_LOSS = {"adding": "held-out MSE", "copy": "held-out cross-entropy (nats/step)"}


def _plain_log_labels(ax):
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))


def adding_example_figure(x, y, b=0):
    """One sequence of the adding problem: the values, the two marked steps and the target."""
    T = x.shape[0]
    t = np.arange(1, T + 1)
    values, marks = x[:, b, 0], x[:, b, 1]
    marked = np.flatnonzero(marks > 0)
    fig, ax = new_figure(width=9, height=3.2)
    ax.vlines(t, 0, values, color=PALETTE["skyblue"], linewidth=2, label="value $x_{t,1}$")
    ax.plot(t[marked], values[marked], marker="D", markersize=9, color=PALETTE["vermillion"],
            linestyle="none", label="marked ($x_{t,2} = 1$)")
    for k in marked:
        ax.annotate(f"{values[k]:.3f}", (t[k], values[k]), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=10)
    ax.axvline(T / 2 + 0.5, color=PALETTE["black"], linewidth=0.8, linestyle=":")
    ax.set(title=f"One adding-problem sequence (T = {T}): target = "
                 f"{values[marked[0]]:.3f} + {values[marked[1]]:.3f} = {y[b, 0]:.3f}",
           xlabel="time step $t$", ylabel="value", ylim=(0, 1.2), xlim=(0, T + 1))
    ax.legend(loc="upper right", ncol=2)
    alt = (f"{T} random values between 0 and 1 drawn as thin bars; two of them, at steps "
           f"{marked[0] + 1} and {marked[1] + 1} (one in each half), are marked, and the target "
           f"is their sum, {y[b, 0]:.3f}.")
    return fig, alt


def copy_example_figure(x, y, n_symbols, b=0):
    """One copy-task sequence: the one-hot input and the target classes over time."""
    T, _, V = x.shape
    target = np.eye(V)[y[:, b]]
    fig, (a1, a2) = new_figure(1, 2, width=9, height=4.0)
    a2.sharex(a1)
    names = [str(s) for s in range(n_symbols)] + ["blank", "go"]
    for ax, m, title in ((a1, x[:, b, :], "input"), (a2, target, "target")):
        ax.imshow(m.T, aspect="auto", cmap="Greys", interpolation="nearest",
                  extent=(0.5, T + 0.5, V - 0.5, -0.5))
        ax.set_yticks(range(V), names)
        ax.set_ylabel(title)
        ax.grid(False)
    a1.set_title(f"One copy-task sequence (T = {T}): remember the first symbols, "
                 "write them after the go marker")
    a2.set_xlabel("time step $t$")
    length = int(np.sum(y[:, b] != n_symbols))
    alt = (f"Two grids over {T} time steps. Input: {length} symbols at the start, then blanks, a "
           f"go marker at step {T - length}, and blanks. Target: blanks until after the go "
           "marker, then the same symbols in the same order.")
    return fig, alt


def learning_curves_figure(trainers, title, fraction=None):
    """One panel per sequence length: held-out loss against training step for each cell,
    log scale, with the no-memory baseline (and the "solved" line when ``fraction`` is given).

    Args:
        trainers: Trainers (or a dict of them) of one task; grouped by T, cells in the order
            RNN, LSTM, GRU.
    """
    runs = list(trainers.values()) if isinstance(trainers, dict) else list(trainers)
    lengths = sorted({tr.T for tr in runs})
    n = len(lengths)
    fig, axes = new_figure(n, width=min(max(4.0 * n + 1.0, 9.0), 13.0), height=4.2)
    axes = np.atleast_1d(axes)
    for ax in axes[1:]:
        ax.sharey(axes[0])          # one y scale for all panels (new_figure has no sharey)
    task = runs[0].task
    for ax, T in zip(axes, lengths):
        here = sorted((tr for tr in runs if tr.T == T),
                      key=lambda tr: list(CELL_STYLE).index(tr.cell))
        for tr in here:
            st = CELL_STYLE[tr.cell]
            ax.semilogy(tr.history.eval_step, tr.history.eval_loss, color=st["color"],
                        linestyle=st["linestyle"], marker=st["marker"], markevery=4,
                        label=CELL_LABEL[tr.cell])
        base = here[0].baseline
        ax.axhline(base, color=PALETTE["black"], linewidth=1.2, linestyle=(0, (6, 3)),
                   label=f"baseline (no memory) {base:.3f}")
        if fraction is not None:
            ax.axhline(fraction * base, color=PALETTE["black"], linewidth=0.8, linestyle=":",
                       label=f"solved: below {fraction:g} x baseline")
        ax.set(title=f"T = {T}", xlabel="training step")
        _plain_log_labels(ax)
    axes[0].set_ylabel(TASK_LOSS[task])
    handles, labels = axes[-1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", fontsize=9,
               ncol=len(labels) if n > 1 else 3)
    fig.suptitle(title)
    cells = sorted({tr.cell for tr in runs}, key=list(CELL_STYLE).index)
    where = (f"{n} panels, one per sequence length ({', '.join(str(T) for T in lengths)}), each "
             if n > 1 else f"One panel, sequence length {lengths[0]}, ")
    alt = (f"{where}with the held-out loss of the {', '.join(CELL_LABEL[c] for c in cells)} "
           "against training step on a log scale, and a dashed line at the no-memory baseline.")
    return fig, alt


def forget_bias_figure(trainers, fraction=None):
    """Held-out loss against step for runs of one task and length, one curve per run, the LSTM
    with a forget-gate bias drawn in its own style (purple, dash-dot, diamonds)."""
    runs = list(trainers.values()) if isinstance(trainers, dict) else list(trainers)
    fig, ax = new_figure(width=9, height=3.8)
    fb_style = {"color": COLORS[4], "linestyle": "-.", "marker": MARKERS[3]}
    for tr in runs:
        if tr.forget_bias is not None:
            st, label = fb_style, f"LSTM, forget bias {tr.forget_bias:g}"
        else:
            st, label = CELL_STYLE[tr.cell], CELL_LABEL[tr.cell]
        ax.semilogy(tr.history.eval_step, tr.history.eval_loss, color=st["color"],
                    linestyle=st["linestyle"], marker=st["marker"], markevery=4, label=label)
    base, T, task = runs[0].baseline, runs[0].T, runs[0].task
    ax.axhline(base, color=PALETTE["black"], linewidth=1.2, linestyle=(0, (6, 3)),
               label=f"baseline (no memory) {base:.3f}")
    if fraction is not None:
        ax.axhline(fraction * base, color=PALETTE["black"], linewidth=0.8, linestyle=":",
                   label=f"solved: below {fraction:g} x baseline")
    _plain_log_labels(ax)
    ax.set(title=f"{task.capitalize()} problem at T = {T}: the forget-gate bias makes the "
                 "difference", xlabel="training step", ylabel=TASK_LOSS[task])
    ax.legend(loc="lower left", fontsize=9)
    alt = (f"Held-out loss against training step at T = {T}, log scale, for "
           f"{len(runs)} runs; the LSTM with a forget-gate bias is drawn dash-dotted with "
           "diamonds, the baseline dashed.")
    return fig, alt


class LearningCurveFigure:
    """The training widget's figure: the held-out loss of the chosen run (thick) and of every
    other run of the same task and length (thin), with the baseline. Built once; redraws move
    lines and relabel the legend."""

    MAX_LINES = 12

    def __init__(self):
        fig, ax = new_figure(width=10.0, height=3.6, layout="none")
        fig.subplots_adjust(left=0.085, right=0.69, bottom=0.15, top=0.9)
        self.lines = [ax.plot([], [], linewidth=1.2)[0] for _ in range(self.MAX_LINES)]
        self.base_line = ax.axhline(1.0, color=PALETTE["black"], linewidth=1.2,
                                    linestyle=(0, (6, 3)))
        self.solved_line = ax.axhline(0.1, color=PALETTE["black"], linewidth=0.8, linestyle=":")
        ax.set_yscale("log")
        _plain_log_labels(ax)
        ax.set_xlabel("training step")
        ax.xaxis.set_label_coords(0.5, -0.1)
        ax.yaxis.set_label_coords(-0.1, 0.5)
        self.fig, self.ax = fig, ax

    def draw(self, runs, chosen, baseline, fraction, task, T):
        """runs: list of (label, Trainer or None); ``chosen``: the index drawn thick."""
        self.fig._layout_engine = None   # see rnnlib.plots.gates.GateClampFigure.draw
        ax = self.ax
        xmax, ymin = 100, fraction * baseline / 3
        handles = []
        for k, line in enumerate(self.lines):
            if k >= len(runs) or runs[k][1] is None:
                line.set_visible(False)
                continue
            label, tr = runs[k]
            cell = tr.cell
            st = CELL_STYLE[cell]
            thick = k == chosen
            line.set_data(tr.history.eval_step, tr.history.eval_loss)
            line.set(color=st["color"], linestyle=st["linestyle"], visible=True,
                     linewidth=3.0 if thick else 1.3, alpha=1.0 if thick else 0.75,
                     marker=st["marker"] if thick else "", markevery=4,
                     label=label + (" (chosen)" if thick else ""))
            handles.append(line)
            xmax = max(xmax, tr.steps_done)
            ymin = min(ymin, float(np.min(tr.history.eval_loss)) / 1.5)
        self.base_line.set_ydata([baseline, baseline])
        self.base_line.set_label(f"baseline (no memory) {baseline:.3f}")
        self.solved_line.set_ydata([fraction * baseline] * 2)
        self.solved_line.set_label(f"solved: below {fraction:g} x baseline")
        ax.set_xlim(0, xmax * 1.02)
        ax.set_ylim(max(ymin, 1e-5), 3.0 * max(baseline, 1.0))
        ax.set_ylabel(TASK_LOSS[task])
        ax.set_title(f"{task.capitalize()} task, T = {T}: held-out loss of every run at this "
                     "length", pad=6, y=1.0)
        ax.legend(handles=handles + [self.base_line, self.solved_line], loc="upper left",
                  bbox_to_anchor=(1.02, 1.0), fontsize=8.5, ncol=1)   # beside: never over a curve
        trained = [lab for lab, tr in runs if tr is not None]
        alt = (f"Held-out loss against training step, log scale, for the {task} task at T = {T}: "
               f"{len(trained)} run{'' if len(trained) == 1 else 's'} "
               f"({'; '.join(trained) or 'none trained yet'}), and the baseline "
               f"{baseline:.3f}.")
        return self.fig, alt
