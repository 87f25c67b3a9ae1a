"""Figures for the latch task of notebook 05: a trained LSTM's and GRU's gates over one sequence.

:func:`latch_figure` takes traces from :func:`rnnlib.demos.latch.trace` (one per cell) and
returns ``(fig, alt)`` for :func:`rnnlib.plots.show`. The latch widget keeps one
:class:`LatchFigure` (a :class:`rnnlib.plots.live.LivePlot`) and moves its lines, so a frame
redraws only what changed. :func:`latch_loss_figure` draws the training curves.
"""

from __future__ import annotations

import numpy as np

from .live import LivePlot
from .style import COLORS, LINESTYLES, PALETTE, grid_figure, new_figure

#: how each gate is drawn: (colour, line style, label)
GATE_STYLE = {
    "i": (COLORS[0], LINESTYLES[0], "input gate $i_t$"),
    "f": (COLORS[1], LINESTYLES[1], "forget gate $f_t$"),
    "o": (COLORS[2], LINESTYLES[2], "output gate $o_t$"),
    "r": (COLORS[4], LINESTYLES[2], "reset gate $r_t$"),
    "z": (COLORS[1], LINESTYLES[1], "update gate $z_t$ (kept fraction)"),
}
STATE_LABEL = {"LSTM": "cell state $c_t$", "GRU": "hidden state $h_t$"}


class LatchFigure(LivePlot):
    """The latch figure, built once for a list of traces and then moved in place (the widget
    blits only the moving parts). One column per trace: on top the input values, the marked one
    in vermillion, with the marker (solid line) and the cue (dashed); in the middle the gates of
    the remembering unit; at the bottom its state."""

    def build(self, traces, **values):
        n = len(traces)
        fig, axes = grid_figure(3, n, width=5.0 * n, height=6.4, layout="none",
                                height_ratios=[1.0, 1.4, 1.1], left=0.08, right=0.98,
                                top=0.93, bottom=0.08, hspace=0.45, wspace=0.2)
        self.axes = np.asarray(axes, dtype=object).reshape(3, n)
        self.artists = []
        for col, res in enumerate(traces):
            top, mid, low = self.axes[:, col]
            t = res["t"]
            xlim = (0.3, t[-1] + 0.7)
            art = {"values": self.moving(top.vlines(t, 0.0, res["value"], linewidth=5,
                                                    color=PALETTE["skyblue"])),
                   "marked": self.moving(top.vlines([1], 0.0, [0.0], linewidth=5,
                                                    color=PALETTE["vermillion"])),
                   "title": self.moving(top.set_title("", fontsize=10)),
                   "gates": {}, "marks": []}
            top.set(ylabel="input value", ylim=(-1.1, 1.1), xlim=xlim)
            for name, g in res["gates"].items():
                color, style, label = GATE_STYLE[name]
                art["gates"][name] = self.moving(mid.plot(t, g, color=color, linestyle=style,
                                                          label=label, marker=".")[0])
            mid.set(ylabel="gate value", ylim=(-0.05, 1.05), xlim=xlim)
            mid.legend(loc="center right", fontsize=8, framealpha=0.9)
            art["state"] = self.moving(low.plot(t, res["state"], color=PALETTE["black"],
                                                marker=".", label=f"{STATE_LABEL[res['cell']]}"
                                                f" of unit {res['unit'] + 1}")[0])
            art["result"] = self.moving(low.set_title("", fontsize=9))
            low.axhline(0.0, color="0.6", linewidth=0.6)
            reach = 1.15 * max(res["state_limit"], 1e-3)      # fixed: no background redraws
            low.set(xlabel="time step $t$", ylabel="state", xlim=xlim, ylim=(-reach, reach))
            low.legend(loc="lower left", fontsize=8)
            for ax in (top, mid, low):
                art["marks"].append((
                    self.moving(ax.axvline(1, color=PALETTE["vermillion"], linewidth=1.0)),
                    self.moving(ax.axvline(1, color=PALETTE["black"], linestyle="--",
                                           linewidth=1.0))))
            self.artists.append(art)
        return fig

    def update(self, traces, **values):
        for res, art in zip(traces, self.artists, strict=True):
            t, m, q = res["t"], res["marker"], res["cue"]
            art["values"].set_segments([[(s, 0.0), (s, v)]
                                        for s, v in zip(t, res["value"], strict=True)])
            art["marked"].set_segments([[(m, 0.0), (m, res["value"][m - 1])]])
            art["title"].set_text(f"{res['cell']}: remember the value at step {m}, "
                                  f"give it at step {q}")
            for name, line in art["gates"].items():
                line.set_ydata(res["gates"][name])
            art["state"].set_ydata(res["state"])
            art["result"].set_text(f"output at the cue {res['output']:+.2f}, "
                                   f"target {res['target']:+.2f}")
            for marker_line, cue_line in art["marks"]:
                marker_line.set_xdata([m, m])
                cue_line.set_xdata([q, q])
        return " ".join(_describe(res) for res in traces)


def latch_figure(traces):
    """``(fig, alt)``: the complete latch figure for a list of traces (see
    :class:`LatchFigure`)."""
    return LatchFigure().draw(list(traces))


def _describe(res):
    """What the figure shows, in words that do not depend on a trained run's last digits (the
    alt text is saved with the notebook and compared by its tests)."""
    gates = ", ".join(GATE_STYLE[name][2].split(" $")[0] for name in res["gates"])
    return (f"{res['cell']} column: {len(res['t'])} input values as bars with the marked value "
            f"at step {res['marker']} highlighted and a dashed line at the cue, step "
            f"{res['cue']}; below, the {gates} of the unit that remembers (the one whose state "
            f"at the cue follows the target most closely), and its "
            f"{STATE_LABEL[res['cell']].split(' $')[0]} over time.")


def latch_loss_figure(models, baseline, window=50):
    """Training loss (running mean over ``window`` steps, log scale) of each model against the
    baseline of a model with no memory."""
    fig, ax = new_figure(width=8, height=3.2)
    for k, model in enumerate(models):
        loss = np.asarray(model.losses)
        smooth = np.convolve(loss, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(window, len(loss) + 1), smooth, color=COLORS[k],
                linestyle=LINESTYLES[k], label=f"{model.cell}, H = {model.layer.hidden_size}")
    ax.axhline(baseline, color=PALETTE["black"], linestyle=":",
               label=f"baseline {baseline:.3f} (no memory)")
    ax.set(yscale="log", xlabel="training step", ylabel=f"squared error (mean of {window})",
           title="Learning the latch task")
    ax.legend()
    alt = (f"Training loss of {', '.join(m.cell for m in models)} on the latch task on a log "
           f"scale, starting at the baseline {baseline:.3f} and falling by orders of magnitude.")
    return fig, alt
