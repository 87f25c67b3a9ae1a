"""Figures for notebook 05 (LSTM and GRU gates).

Each function takes numbers computed by rnnlib (see :mod:`rnnlib.demos.gates`) and returns
``(fig, alt)``: a figure from :func:`rnnlib.plots.new_figure` and its alt text, for
:func:`rnnlib.plots.show`. :class:`GateClampFigure` is the widget's figure: built once, then
only its lines move, so a redraw costs one PNG encoding.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from .live import LivePlot
from .style import COLORS, LINESTYLES, MARKERS, PALETTE, new_figure


def _sci(v, _pos=None):
    """Tick labels for log axes without mathtext (faster to lay out than 10^k)."""
    if v >= 0.01:
        return f"{v:g}"
    return f"1e{int(round(np.log10(v)))}"


def valve_figure(a, gate_values, signal_t, signal):
    """Left: the sigmoid sigma(a) and its slope; right: one signal through valves of three
    openings (the gate multiplies it element-wise).

    Args:
        a: pre-activations for the curve; gate_values: three values in (0, 1);
        signal_t, signal: a signal over time to pass through the valves.
    """
    s = 0.5 * (1.0 + np.tanh(0.5 * a))
    fig, (ax1, ax2) = new_figure(2, width=10, height=3.6)
    ax1.plot(a, s, label=r"gate $\sigma(a)$")
    ax1.plot(a, s * (1 - s), label=r"slope $\sigma'(a) = \sigma(1-\sigma)$")
    for v, m in zip(gate_values, MARKERS):
        pre = np.log(v / (1 - v))
        ax1.plot([pre], [v], marker=m, color=PALETTE["black"], linestyle="none", markersize=7)
        ax1.annotate(f"{v:g}", (pre, v), textcoords="offset points", xytext=(6, -12))
    ax1.set(title="A gate is a sigmoid: any value in (0, 1)", xlabel="pre-activation $a$",
            ylabel="value", ylim=(-0.05, 1.05))
    ax1.legend(loc="upper left")
    ax2.plot(signal_t, signal, color=PALETTE["black"], linewidth=1.2, label="signal $v_t$")
    for k, v in enumerate(gate_values):
        ax2.plot(signal_t, v * signal, color=COLORS[k], linestyle=LINESTYLES[k + 1],
                 label=rf"$\Gamma = {v:g}$: $\Gamma \odot v_t$")
    top = 1.9 * float(np.max(np.abs(signal)))
    ax2.set(title="The gate scales what passes through", xlabel="time step $t$",
            ylabel="value", ylim=(-1.15 * float(np.max(np.abs(signal))), top))
    ax2.legend(loc="upper center", fontsize=9, ncol=2)
    alt = ("Left: the sigmoid curve rising from 0 to 1 and its bell-shaped slope, with the gate "
           f"values {', '.join(f'{v:g}' for v in gate_values)} marked on the curve. Right: a "
           "signal and the same signal multiplied by each of those gate values.")
    return fig, alt


def counting_figure(res):
    """The counting LSTM's cell state against the hidden states under the same constant input."""
    fig, (ax1, ax2) = new_figure(2, width=10, height=3.4)
    t = res["t"]
    ax1.plot(t, res["lstm_c"], marker=MARKERS[0], label="LSTM cell state $c_t$")
    ax1.set(title="LSTM cell state: it counts", xlabel="time step $t$", ylabel="$c_t$")
    ax1.legend(loc="upper left")
    ax2.plot(t, res["lstm_h"], color=COLORS[1], linestyle=LINESTYLES[1], marker=MARKERS[1],
             label=r"LSTM $h_t = o_t \odot \tanh(c_t)$")
    ax2.plot(t, res["gru_h"], color=COLORS[2], linestyle=LINESTYLES[2], marker=MARKERS[2],
             label="GRU $h_t$")
    ax2.axhline(1.0, color=PALETTE["black"], linewidth=1.0, linestyle=":", label="1")
    ax2.set(title="Hidden states: squashed below 1", xlabel="time step $t$", ylabel="$h_t$",
            ylim=(0, 1.15))
    ax2.legend(loc="lower right")
    for ax in (ax1, ax2):
        ax.xaxis.get_major_locator().set_params(integer=True)
    alt = (f"Over {len(t)} steps of constant input the LSTM's cell state climbs in a straight line "
           f"to {res['lstm_c'][-1]:.2f} (left), while the LSTM's hidden state levels off at "
           f"{res['lstm_h'][-1]:.2f} and the GRU's state at {res['gru_h'][-1]:.3f}, below 1 "
           "(right).")
    return fig, alt


def reset_placement_figure(t, h_after, h_before, unit=0):
    """One hidden unit of the same GRU (same weights, same input) with the reset gate applied
    after the matmul (PyTorch) and before it (Cho et al. 2014, d2l)."""
    fig, ax = new_figure(width=9, height=3.8)
    ax.plot(t, h_after[:, 0, unit], marker=MARKERS[0],
            label=r"reset after: $r_t \odot (W_{hn} h_{t-1} + b_{hn})$ (PyTorch)")
    ax.plot(t, h_before[:, 0, unit], marker=MARKERS[1],
            label=r"reset before: $W_{hn}(r_t \odot h_{t-1}) + b_{hn}$ (Cho et al., d2l)")
    ax.set(title=f"Same weights, same input, two GRUs: hidden unit {unit + 1}",
           xlabel="time step $t$", ylabel="$h_t$")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=9)
    alt = ("Two curves of one GRU hidden unit over time, one per placement of the reset gate; "
           "they start together and drift apart by a visible amount.")
    return fig, alt


def gradient_survival_figure(res, k_mark=50):
    """Normalised ||dL/dh_{T-j}|| against j for the layers of
    :func:`rnnlib.demos.gates.gradient_survival`, log scale."""
    fig, ax = new_figure(width=9, height=4.0)
    back = res["back"]
    for n, name in enumerate(res["names"]):
        ax.semilogy(back, res["grad"][name], marker=MARKERS[n], markevery=10, label=name)
    ax.axvline(k_mark, color=PALETTE["black"], linewidth=0.8, linestyle=":")
    ax.set(title=f"How far back a gradient reaches, freshly initialised layers (H = {res['H']})",
           xlabel="steps back $j$ (from $h_T$ to $h_{T-j}$)",
           ylabel=r"$\|\partial L/\partial h_{T-j}\| \,/\, \|\partial L/\partial h_T\|$")
    ax.legend(loc="lower left", fontsize=9)
    alt = ("Log-scale plot of the gradient norm against steps back for a vanilla RNN, an LSTM, an "
           "LSTM with a forget-gate bias of 3 and a GRU. All fall steeply except the LSTM with the "
           "forget bias, which stays within a few orders of magnitude over 100 steps.")
    return fig, alt


class GateClampFigure(LivePlot):
    """The gate widget's figure, built once; :meth:`draw` moves its lines (and
    :meth:`~rnnlib.plots.live.LivePlot.frame` draws only them, over the rest drawn once).

    Left: the one-unit LSTM's c_t and h_t and the GRU's h_t over time (input pulse at step
    T - k). Right: the gradient j steps back by BPTT, with f^j and z^j for comparison, log scale.

    Speed (the widget redraws on every slider move): everything that never changes (axes,
    ticks, labels, titles, legends, grid) is drawn once into a background image; the figure that
    is shown is that image plus invisible axes at the same place holding only the moving lines.
    Text is what costs most to draw, so a redraw is several times cheaper than a full figure.
    """

    YMIN = 1e-12
    WIDTH, HEIGHT = 10.0, 4.1

    def __init__(self, T=60, k=50):
        super().__init__()
        self.T, self.k = T, k
        self.t, self.back = np.arange(1, T + 1), np.arange(T + 1)
        full, axes_full = self._full_figure()
        background = self._render(full)
        # The shown figure: the background image and two invisible axes in the same places.
        fig, axes = new_figure(2, width=self.WIDTH, height=self.HEIGHT, layout="none")
        fig.figimage(background, xo=0, yo=0, origin="upper", zorder=-1)  # below the axes
        for ax, ref in zip(axes, axes_full):
            ax.set_position(ref.get_position())
            ax.set_yscale(ref.get_yscale())
            ax.set_xlim(ref.get_xlim())
            ax.set_ylim(ref.get_ylim())
            ax.set_axis_off()
        self.lines = {name: self._add_line(axes, name) for name in self._STYLES}
        self.fig, self.ax_states, self.ax_grad = fig, axes[0], axes[1]
        self.moving(*self.lines.values())

    def build(self, res, **_):
        return self.fig                                 # built in __init__

    # name -> (panel, x, style); the legends are drawn from the same styles
    _STYLES = {
        "lstm_c": (0, "t", dict(color=COLORS[0], linestyle="-", label="LSTM cell state c")),
        "lstm_h": (0, "t", dict(color=COLORS[1], linestyle="--", label="LSTM h = o·tanh(c)")),
        "gru_h": (0, "t", dict(color=COLORS[2], linestyle="-.", label="GRU h")),
        "lstm_grad": (1, "back", dict(color=COLORS[0], linestyle="-",
                                      label="LSTM ∂c(T)/∂c(T−j)")),
        "f_power": (1, "back", dict(color=PALETTE["black"], linestyle=":", linewidth=1.5,
                                    label="f^j")),
        "gru_grad": (1, "back", dict(color=COLORS[2], linestyle="-.",
                                     label="GRU ∂h(T)/∂h(T−j)")),
        "z_power": (1, "back", dict(color=COLORS[3], linestyle=(0, (1, 2)), linewidth=1.5,
                                    label="z^j")),
        "lstm_at_k": (1, "k", dict(marker=MARKERS[0], color=COLORS[0], linestyle="none",
                                   markersize=8)),
        "gru_at_k": (1, "k", dict(marker=MARKERS[2], color=COLORS[2], linestyle="none",
                                  markersize=8)),
    }

    def _x(self, which):
        return {"t": self.t, "back": self.back, "k": np.array([self.k])}[which]

    def _add_line(self, axes, name, with_label=False):
        panel, which, style = self._STYLES[name]
        style = dict(style)
        if not with_label:
            style.pop("label", None)
        x = self._x(which)
        return axes[panel].plot(x, np.full(len(x), np.nan), **style)[0]

    def _full_figure(self):
        """The complete figure with empty lines: what the background image is made of."""
        T, k = self.T, self.k
        fig, (a1, a2) = new_figure(2, width=self.WIDTH, height=self.HEIGHT, layout="none")
        fig.subplots_adjust(left=0.075, right=0.985, bottom=0.3, top=0.91, wspace=0.25)
        for name in self._STYLES:
            self._add_line((a1, a2), name, with_label=True)
        a1.axvline(T - k, color=PALETTE["black"], linewidth=0.8, linestyle=":")
        a1.text(T - k + 1.0, 1.07, f"input pulse at step {T - k}", fontsize=9, va="top")
        a1.set(xlim=(0, T + 1), ylim=(-0.05, 1.1), xlabel="time step t", ylabel="state")
        a1.set_title("States (gates held fixed)")
        a2.axvline(k, color=PALETTE["black"], linewidth=0.8, linestyle=":")
        a2.set_yscale("log")
        a2.set(xlim=(0, T + 1), ylim=(self.YMIN, 3.0), xlabel="steps back j",
               ylabel="gradient (BPTT)")
        a2.yaxis.set_major_locator(FixedLocator([1e-12, 1e-9, 1e-6, 1e-3, 1.0]))
        a2.yaxis.set_minor_locator(NullLocator())
        a2.yaxis.set_major_formatter(FuncFormatter(_sci))
        a2.set_title(f"Gradient j steps back (markers: j = {k})")
        a1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=3, fontsize=9)
        a2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=9)
        return fig, (a1, a2)

    @staticmethod
    def _render(fig):
        """The figure as an RGBA array, at the resolution :func:`rnnlib.plots.show` uses."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        from .style import DPI
        fig.set_dpi(DPI)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    def update(self, res, **_):
        """Move the lines to the numbers in ``res`` (from ``gate_clamp_demo``); returns the
        alt text. (``draw(res)`` returns ``(fig, alt)``.)"""
        # savefig() restores a figure's "no layout engine" as the rcParams default, which in the
        # course style is constrained layout: it would move the invisible axes off the
        # background. Switch it off again (matplotlib has no public call that sets it to None).
        self.fig._layout_engine = None
        for name, line in self.lines.items():
            y = np.atleast_1d(res[name]).astype(float)
            if self._STYLES[name][0] == 1:                 # log axis: keep 0 visible
                y = np.maximum(y, self.YMIN)
            line.set_ydata(y)
        k = res["k"]
        alt = (f"Left: the LSTM cell state, the LSTM hidden state and the GRU state after an input "
               f"pulse at step {res['T'] - k}. Right, log scale: the LSTM's gradient {k} steps "
               f"back is {res['lstm_at_k']:.3g}, on the f^j line; the GRU's is "
               f"{res['gru_at_k']:.3g}.")
        return alt
