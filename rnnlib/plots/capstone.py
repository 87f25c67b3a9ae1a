"""Figures for notebook 12 (the capstone).

Each function returns ``(fig, alt)`` for :func:`rnnlib.plots.show`; the numbers come from
:class:`rnnlib.demos.capstone.Results`. :class:`RunBrowserFigure` is the run browser's figure:
built once, its lines and bars move.
"""

from __future__ import annotations

import numpy as np

from ..demos import capstone as cap
from ..demos.memory import SOLVED_FRACTION
from .live import LivePlot
from .memory import CELL_STYLE, _plain_log_labels
from .memory import copy_example_figure as copy_example
from .style import COLORS, MARKERS, PALETTE, new_figure

#: one colour, line style and marker per configuration (06's styles; the biased LSTM purple)
CONFIG_STYLE = {**CELL_STYLE, "LSTM+fb": {"color": COLORS[4], "linestyle": "-.",
                                          "marker": MARKERS[3]}}
CONFIG_LABEL = {"RNN": "vanilla RNN (tanh)", "LSTM": "LSTM", "GRU": "GRU",
                "LSTM+fb": f"LSTM, forget bias {cap.FORGET_BIAS:g}"}
#: within one configuration's panel, the seeds differ in line style and marker
SEED_STYLE = [{"linestyle": "-", "marker": "o"}, {"linestyle": "--", "marker": "s"},
              {"linestyle": ":", "marker": "^"}, {"linestyle": "-.", "marker": "D"}]
LOSS_LABEL = "held-out cross-entropy\non the recall steps (nats)"


def _symbols(n):
    return f"{n} symbol" + ("" if n == 1 else "s")


def copy_example_figure(x, y, b=0):
    """One sequence of the capstone's copy task (notebook 06's figure, its alt text in the
    singular when there is one symbol)."""
    fig, alt = copy_example(x, y, cap.N_SYMBOLS, b=b)
    length = int(np.sum(y[:, b] != cap.N_SYMBOLS))
    return fig, alt.replace(f"{length} symbols at the start", f"{_symbols(length)} at the start")


def _reference_lines(ax, with_labels=True):
    ax.axhline(cap.BASELINE, color=PALETTE["black"], linewidth=1.2, linestyle=(0, (6, 3)),
               label=f"baseline (no memory) ln {cap.N_SYMBOLS} = {cap.BASELINE:.3f}"
               if with_labels else None)
    ax.axhline(SOLVED_FRACTION * cap.BASELINE, color=PALETTE["black"], linewidth=0.8,
               linestyle=":", label=f"solved: below {SOLVED_FRACTION:g} x baseline"
               if with_labels else None)


def curves_figure(results, T=cap.T_CAPSTONE):
    """One panel per configuration: the held-out loss of each seed's run against the training
    step (log scale), with the no-memory baseline and the "solved" line."""
    names, seeds = results.names, results.seeds
    fig, axes = new_figure(len(names), width=12.5, height=3.9, sharey=True)
    axes = np.atleast_1d(axes)
    low = min(min(c) for c in results.curves.values())
    for ax, name in zip(axes, names, strict=True):
        color = CONFIG_STYLE[name]["color"]
        for k, seed in enumerate(seeds):
            st = SEED_STYLE[k % len(SEED_STYLE)]
            ax.semilogy(results.steps(name, seed), results.curves[(name, seed)], color=color,
                        linestyle=st["linestyle"], marker=st["marker"], markevery=3,
                        markersize=4, label=f"seed {seed}")
        _reference_lines(ax, with_labels=name == names[0])
        ax.set_title(f"{CONFIG_LABEL[name]}\nsolved in {results.count(name)} of {len(seeds)}",
                     fontsize=10)
        ax.set_xlabel("training step")
        ax.set_ylim(max(low / 2, 1e-4), 3.0)
        _plain_log_labels(ax)
    axes[0].set_ylabel(LOSS_LABEL)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=9)
    fig.suptitle(f"Copy task, T = {T} ({_symbols(cap.LENGTH)} to recall after "
                 f"{cap.delay_for(T)} blanks): every run, held-out loss during training")
    alt = (f"{len(names)} panels, one per configuration ({', '.join(names)}), each with "
           f"{len(seeds)} curves, one per seed: the held-out loss against training step on a "
           "log scale, with a dashed line at the baseline ln 4 and a dotted line at the "
           "'solved' level.")
    return fig, alt


def accuracy_words(accuracy) -> str:
    """Recall accuracies in words that do not depend on the last digits of a trained run:
    "mostly right" (at least half right for every symbol), "near chance" (the mean at most
    35 %) or "better than chance for some symbols"."""
    accuracy = np.asarray(accuracy, dtype=float)
    if np.nanmin(accuracy) >= 0.5:
        return "mostly right"
    if np.nanmean(accuracy) <= 0.35:
        return "near chance"
    return "better than chance for some symbols"


class RunBrowserFigure(LivePlot):
    """The run browser's figure: left, every run's held-out curve (thin) with the chosen run
    drawn thick over them; right, the chosen run's recall accuracy for each symbol. Built
    once; a frame moves only the thick line, the bars and the titles (blitted, see
    :class:`rnnlib.plots.live.LivePlot`)."""

    def __init__(self, results):
        super().__init__()
        self.results = results

    def build(self, result, **values):
        results = self.results
        fig, (left, right) = new_figure(2, width=10.0, height=3.7, layout="none",
                                        gridspec_kw={"width_ratios": (2.3, 1.0)})
        fig.subplots_adjust(left=0.11, right=0.98, bottom=0.16, top=0.88, wspace=0.3)
        self.others = {}
        for name in results.names:
            st = CONFIG_STYLE[name]
            for seed in results.seeds:
                (line,) = left.semilogy(results.steps(name, seed), results.curves[(name, seed)],
                                        color=st["color"], linestyle=st["linestyle"],
                                        linewidth=0.9, alpha=0.45)
                self.others[(name, seed)] = line
        _reference_lines(left)
        left.set(xlabel="training step", ylabel=LOSS_LABEL)
        low = min(min(c) for c in results.curves.values())
        left.set_ylim(max(low / 2, 1e-4), 3.0)
        (self.chosen,) = left.semilogy([], [], linewidth=3.0, markersize=6, markevery=2,
                                       zorder=3)
        _plain_log_labels(left)
        self.on_top(left.legend(handles=left.lines[-3:-1], loc="lower left", fontsize=8.5))
        self.left_title = left.set_title(" ", fontsize=10.5)
        symbols = np.arange(cap.N_SYMBOLS)
        self.bars = right.bar(symbols, np.zeros(cap.N_SYMBOLS), width=0.6,
                              color=PALETTE["skyblue"], edgecolor=PALETTE["black"],
                              hatch="//")
        right.axhline(1 / cap.N_SYMBOLS, color=PALETTE["black"], linewidth=1.2,
                      linestyle=(0, (6, 3)), label=f"chance 1/{cap.N_SYMBOLS}")
        right.set(xlabel="the symbol to recall", ylabel="recalled right (fraction)",
                  ylim=(0, 1.35), xticks=symbols, xlim=(-0.6, cap.N_SYMBOLS - 0.4),
                  yticks=np.linspace(0, 1, 6))
        right.legend(loc="upper center", fontsize=8.5)
        right.set_title("recalls by symbol, at the end", fontsize=10.5)
        self.bar_labels = [right.text(p, 0.0, "", ha="center", va="bottom", fontsize=9)
                           for p in symbols]
        self.moving(self.chosen, self.left_title, *self.bars, *self.bar_labels)
        self.left, self.right = left, right
        return fig

    def update(self, result, **values):
        name, seed = result["name"], result["seed"]
        st = CONFIG_STYLE[name]
        self.chosen.set_data(result["steps"], result["curve"])
        self.chosen.set(color=st["color"], linestyle=st["linestyle"], marker=st["marker"])
        self.left_title.set_text(f"thick: {CONFIG_LABEL[name]}, seed {seed} "
                                 f"({result['verdict']}); thin: every other run")
        for bar, text, acc in zip(self.bars, self.bar_labels, result["accuracy"], strict=True):
            seen = bool(np.isfinite(acc))
            bar.set_height(acc if seen else 0.0)
            text.set_position((bar.get_x() + bar.get_width() / 2, (acc if seen else 0) + 0.02))
            text.set_text(f"{acc:.0%}" if seen else "none")
        return (f"Left: the held-out loss of all {len(self.others)} runs against training step "
                f"(thin), with {CONFIG_LABEL[name]}, seed {seed} drawn thick; it ends "
                f"{result['verdict']}. Right: one bar per symbol, the fraction of its held-out "
                f"recalls that are right ({accuracy_words(result['accuracy'])}), against a "
                "dashed line at chance.")
