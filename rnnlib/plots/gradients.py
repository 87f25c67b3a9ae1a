r"""Figures for notebook 03 (vanishing and exploding gradients).

Gradients span dozens of orders of magnitude, so almost every axis here is logarithmic. Log
axes label their ticks with mathtext by default, which costs more to render than the rest of
a small figure; :func:`log_ticks` puts plain-text decade labels (``10⁻⁶``) instead, so the
widgets redraw quickly.

Functions ending in ``_figure`` return ``(fig, alt)``; ``draw_*`` functions draw onto a given
axes and are shared with the widgets (:mod:`rnnlib.widgets.gradients`).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import MaxNLocator, NullLocator

from ..demos.gradients import FLOAT32_TINY
from .live import LivePlot
from .style import PALETTE, new_figure

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

#: float64 and float32 curves: colour, line style and marker all differ
F64 = {"color": PALETTE["blue"], "linestyle": "-", "marker": "o", "label": "float64"}
F32 = {"color": PALETTE["orange"], "linestyle": "--", "marker": "s", "label": "float32"}
FORMULA = {"color": PALETTE["black"], "linestyle": ":", "linewidth": 1.2}
OVERFLOW = {"color": PALETTE["vermillion"], "marker": "X", "linestyle": "none", "markersize": 8}
UNDERFLOW = {"color": PALETTE["purple"], "marker": "v", "linestyle": "none", "markersize": 7}


def power_of_ten(exponent: int) -> str:
    """``10⁻³`` as plain text."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def log_ticks(ax, values, axis="y", max_ticks=6, pad=0.5, pad_frac=0.06):
    """Log scale on ``axis`` with limits around the finite positive ``values`` and at most
    ``max_ticks`` plain-text decade labels, a round number of decades apart.

    ``pad`` (decades) or ``pad_frac`` of the range, whichever is more, is left free at both ends.

    Returns:
        (lo, hi): the axis limits that were set.
    """
    lo_exp, hi_exp, exps = log_tick_spec(values, max_ticks, pad, pad_frac)
    return apply_log_ticks(ax, lo_exp, hi_exp, exps, axis)


def log_tick_spec(values, max_ticks=6, pad=0.5, pad_frac=0.06):
    """The decades :func:`log_ticks` puts on an axis: ``(lo_exp, hi_exp, tick_exponents)``."""
    v = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in values])
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        v = np.array([1.0])
    lo_v, hi_v = math.log10(v.min()), math.log10(v.max())
    margin = max(pad, pad_frac * (hi_v - lo_v))
    lo_exp, hi_exp = math.floor(lo_v - margin), math.ceil(hi_v + margin)
    if hi_exp - lo_exp < 2:
        lo_exp, hi_exp = lo_exp - 1, hi_exp + 1
    span = hi_exp - lo_exp
    step = next(
        (s for s in (1, 2, 3, 5, 10, 20, 25, 50, 100, 200, 500) if span / s < max_ticks),
        math.ceil(span / (max_ticks - 1)),
    )
    first = math.ceil(lo_exp / step) * step
    return lo_exp, hi_exp, tuple(range(first, hi_exp + 1, step))


def apply_log_ticks(ax, lo_exp, hi_exp, exps, axis="y"):
    """Put a :func:`log_tick_spec` on ``axis``; returns the limits ``(lo, hi)``."""
    ticks, labels = [10.0**e for e in exps], [power_of_ten(e) for e in exps]
    lo, hi = 10.0**lo_exp, 10.0**hi_exp
    if axis == "y":
        ax.set_yscale("log", nonpositive="mask")
        ax.set_yticks(ticks, labels)
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(lo, hi)
    else:
        ax.set_xscale("log", nonpositive="mask")
        ax.set_xticks(ticks, labels)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlim(lo, hi)
    return lo, hi


def _markevery(n, count=12):
    return max(1, n // count)


def _fast_figure(ncols=1, width=8.0, height=3.4, **adjust):
    """A figure without constrained layout (which doubles the render time), placed by hand."""
    fig, axes = new_figure(ncols=ncols, width=width, height=height, layout="none")
    margins = {"left": 0.09, "right": 0.98, "bottom": 0.15, "top": 0.89, "wspace": 0.3}
    margins.update(adjust)
    fig.subplots_adjust(**margins)
    return fig, axes


# ---------------------------------------------------------------------------------------------
# One unit


def draw_lecture_notes(ax, rows_by_w, t_loss=115, t_back=50):
    """The lecture notes' picture: a loss at step 115 and the gradient sent back to step 50.

    Args:
        rows_by_w: {w: (t, grad)}: the gradient |dL/dh_t| for t = t_back..t_loss per weight w.
    """
    styles = [
        (PALETTE["vermillion"], "-", "^"),
        (PALETTE["blue"], "--", "o"),
        (PALETTE["black"], ":", None),
    ]
    for (w, (t, g)), (color, ls, marker) in zip(rows_by_w.items(), styles):
        ax.plot(t, g, color=color, linestyle=ls, marker=marker, markevery=5, label=f"w = {w:g}")
    log_ticks(ax, [g for _, g in rows_by_w.values()], pad=0.8)
    for t_mark, text in (
        (t_loss - 50, f"50 steps back (t = {t_loss - 50})"),
        (t_back, f"{t_loss - t_back} steps back (t = {t_back})"),
    ):
        ax.axvline(t_mark, color="grey", linestyle=(0, (1, 3)), linewidth=1)
        ax.text(t_mark + 0.6, ax.get_ylim()[1] / 3, text, fontsize=9, color="0.25", va="top")
    for w, (t, g) in rows_by_w.items():
        if w == 1.0:
            continue
        for t_mark in (t_loss - 50, t_back):
            k = int(np.flatnonzero(t == t_mark)[0])
            ax.plot(
                t_mark,
                g[k],
                "o",
                markersize=9,
                markerfacecolor="none",
                markeredgecolor="black",
                markeredgewidth=1.5,
            )
            ax.annotate(
                f"{g[k]:.4g}",
                (t_mark, g[k]),
                xytext=(6, 8 if w > 1 else -14),
                textcoords="offset points",
                fontsize=10,
            )
    ax.set_xlim(t_back - 2, t_loss + 2)
    ax.set_xlabel(f"time step t (the loss sits at t = {t_loss})")
    ax.set_ylabel("|∂L/∂hₜ|  (log scale)")
    ax.legend(loc="lower right")


def lecture_notes_figure(rows_by_w, t_loss=115, t_back=50):
    fig, ax = new_figure(width=8, height=3.8)
    draw_lecture_notes(ax, rows_by_w, t_loss, t_back)
    ax.set_title("The lecture notes' example, computed by BPTT: one unit, φ linear")
    vals = {w: (g[t == t_loss - 50][0], g[t == t_back][0]) for w, (t, g) in rows_by_w.items()}
    alt = (
        "Log-scale plot of the gradient reaching each hidden state, from the loss at step "
        f"{t_loss} back to step {t_back}. With w = 1.1 it grows to "
        f"{vals[1.1][0]:.1f} after 50 steps and {vals[1.1][1]:.1f} after 65; with w = 0.9 it "
        f"shrinks to {vals[0.9][0]:.4f} and {vals[0.9][1]:.4f}; with w = 1 it stays 1."
    )
    return fig, alt


def scalar_decay_title(r):
    return f"φ = {r['nonlinearity']}, w = {r['w']:.2f}, T = {r['T']}"


def fmt_value(x):
    """A gradient for a caption: 117.4, 0.005154, 1.6e+60, inf, 0."""
    if not np.isfinite(x):
        return "inf"
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.4g}"
    return f"{x:.2e}"


def scalar_decay_alt(r):
    text = (
        f"Log-scale plot of the gradient |dL/dh_t| against the time step t for one unit with "
        f"φ = {r['nonlinearity']}, w = {r['w']:.2f} and T = {r['T']}. It is 1 at t = {r['T']} "
        f"and {fmt_value(r['first64'])} at t = 0 in float64."
    )
    if r["overflow_t"] is not None:
        text += (
            f" In float32 it overflows to inf for every t up to {r['overflow_t']}, "
            "marked with crosses along the top."
        )
    if r["underflow_t"] is not None:
        text += (
            f" In float32 it falls below the smallest normal number, about 1.2e-38, for "
            f"every t up to {r['underflow_t']}, marked with triangles along the bottom."
        )
    return text


def scalar_decay_figure(r, width=8.0, height=3.6):
    """The gradient-decay widget's figure for one result of
    :func:`rnnlib.demos.gradients.scalar_decay` (see :class:`ScalarDecayPlot`)."""
    return ScalarDecayPlot(width, height).draw(r)


def _float32_shown(r):
    g32 = r["grad32"].astype(np.float64)
    g32[~np.isfinite(g32) | (g32 < FLOAT32_TINY)] = np.nan  # overflowed, or out of precision
    return g32


class ScalarDecayPlot(LivePlot):
    """|dL/dh_t| against t for one result of :func:`rnnlib.demos.gradients.scalar_decay`, in
    float64 and float32, with the formula |w|^(T-t) dotted and overflow / underflow of the
    float32 run marked along the top / bottom edge.

    Built once (a :class:`rnnlib.plots.live.LivePlot`): the curves, the marks, the note and the
    title move; the y axis moves only when the curves leave its decades, the x axis only when T
    changes."""

    def __init__(self, width=8.0, height=3.6):
        super().__init__()
        self.size = (width, height)

    def build(self, r, **_):
        fig, ax = _fast_figure(
            width=self.size[0], height=self.size[1], left=0.1, bottom=0.15, top=0.9
        )
        self.ax = ax
        empty = ([], [])
        self.formula = self.moving(ax.plot(*empty, **FORMULA, label="|w|^(T−t)")[0])
        self.f64 = self.moving(ax.plot(*empty, **F64)[0])
        self.f32 = self.moving(ax.plot(*empty, **F32)[0])
        edge = ax.get_xaxis_transform()  # x in data, y in axes coordinates (0 bottom, 1 top)
        self.over = self.moving(ax.plot(*empty, transform=edge, clip_on=False, **OVERFLOW)[0])
        self.under = self.moving(ax.plot(*empty, transform=edge, clip_on=False, **UNDERFLOW)[0])
        self.note = self.moving(
            ax.text(
                0.99,
                0.88,
                "",
                transform=ax.transAxes,
                ha="right",
                va="top",
                fontsize=9,
                color=PALETTE["vermillion"],
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 2},
            )
        )
        self.title = self.moving(ax.set_title(" ", fontsize=11))
        ax.set_xlabel("time step t (the loss is at t = T)")
        ax.set_ylabel("|∂L/∂hₜ|")
        ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        # The y axis (ticks, labels, grid) follows the curves' decades, the x axis T.
        self.follows(ax.yaxis, ax.xaxis)
        self._ticks = self._legend_loc = None
        return fig

    def update(self, r, **_):
        t, T = r["t"], r["T"]
        every = _markevery(T + 1)
        self.formula.set_data(t, r["formula"])
        self.f64.set_data(t, r["grad64"])
        self.f64.set_markevery(every)
        self.f32.set_data(t, _float32_shown(r))
        self.f32.set_markevery((every // 2, every))
        spec = log_tick_spec([r["grad64"], r["grad32"], r["formula"]])
        if spec != self._ticks:  # only when the decades change
            apply_log_ticks(self.ax, *spec)
            self._ticks = spec
        notes = []
        for line, bad_t, y, text in (
            (
                self.over,
                r["overflow_t"],
                0.97,
                f"crosses: float32 overflowed to inf for t ≤ {r['overflow_t']} "
                f"({r['overflow_steps_back']}+ steps back)",
            ),
            (
                self.under,
                r["underflow_t"],
                0.03,
                f"triangles: float32 underflow (< 1.2e-38) for t ≤ {r['underflow_t']}",
            ),
        ):
            line.set_visible(bad_t is not None)
            if bad_t is not None:
                bad = t[: bad_t + 1]
                line.set_data(bad, np.full(bad.shape, y))
                line.set_markevery(_markevery(bad.size, 10))
                notes.append(text)
        grows = r["first64"] > 1.0  # the curve falls from left to right
        self.note.set_visible(bool(notes))
        self.note.set_text("\n".join(notes))
        self.note.set_y(0.88 if grows else 0.1)
        self.note.set_verticalalignment("top" if grows else "bottom")
        xlim = (-0.02 * T - 0.5, T + 0.02 * T + 0.5)
        if tuple(self.ax.get_xlim()) != xlim:
            self.ax.set_xlim(*xlim)
        apart = not grows and r["formula"][0] > 1.0  # formula up, measurement down
        loc = "lower left" if grows else "center left" if apart else "upper left"
        if loc != self._legend_loc:
            self.legend = self.on_top(
                self.ax.legend(loc=loc, fontsize=9), replaces=getattr(self, "legend", None)
            )
            self._legend_loc = loc
        self.title.set_text(scalar_decay_title(r))
        return scalar_decay_alt(r)


# ---------------------------------------------------------------------------------------------
# Many units


def draw_matrix_norms(ax, r, label=None, style=None, guide=True):
    """||dL/dh_t|| against t for a result of :func:`rnnlib.demos.gradients.matrix_gradient_norms`
    with the guide rho^(T-t) dotted."""
    style = style or {"color": PALETTE["blue"], "linestyle": "-", "marker": "o"}
    if guide:
        ax.plot(r["t"], r["guide"], color=style["color"], linestyle=":", linewidth=1.2)
    ax.plot(r["t"], r["norms"], markevery=_markevery(r["T"]), label=label, **style)


def matrix_figure(results, non_normal):
    """Left: ||dL/dh_t|| for linear RNNs with rho = 0.9, 1.0, 1.1. Right: the Jacobian norms of
    a non-normal 2 x 2 matrix with rho = 0.5 but sigma = 4.06, beside rho^k and sigma^k."""
    fig, (ax, ax2) = new_figure(ncols=2, width=10.5, height=3.9)
    styles = [
        {"color": PALETTE["blue"], "linestyle": "-", "marker": "o"},
        {"color": PALETTE["black"], "linestyle": "--", "marker": "s"},
        {"color": PALETTE["vermillion"], "linestyle": "-.", "marker": "^"},
    ]
    for r, st in zip(results, styles):
        draw_matrix_norms(ax, r, f"ρ = {r['rho']:.1f}, σ_max = {r['sigma']:.2f}", st)
    log_ticks(ax, [r["norms"] for r in results] + [r["guide"] for r in results])
    T = results[0]["T"]
    ax.set_xlabel(f"time step t (loss on h at T = {T})")
    ax.set_ylabel("‖∂L/∂hₜ‖  (log scale)")
    ax.set_title(f"Linear RNN, H = {results[0]['H']}: dotted = ρ^(T−t)", fontsize=11)
    ax.legend(fontsize=9, loc="upper right")

    k = np.arange(len(non_normal["norms"]))
    back = non_normal["norms"][::-1]
    ax2.plot(
        k,
        back,
        color=PALETTE["blue"],
        marker="o",
        markevery=3,
        label=r"$\|\partial h_T/\partial h_{T-k}\|_2$ (BPTT)",
    )
    ax2.plot(
        k,
        non_normal["rho"] ** k,
        color=PALETTE["green"],
        linestyle="--",
        label=f"ρ^k = {non_normal['rho']:g}^k",
    )
    ax2.plot(
        k,
        non_normal["sigma"] ** k,
        color=PALETTE["vermillion"],
        linestyle=":",
        label=f"σ_max^k = {non_normal['sigma']:.2f}^k (upper bound)",
    )
    log_ticks(ax2, [back, non_normal["rho"] ** k], pad=0.6)
    ax2.axhline(1.0, color="grey", linewidth=0.8)
    ax2.set_xlabel("steps back k")
    ax2.set_ylabel("Jacobian norm  (log scale)")
    ax2.set_title("W = [[0.5, 4], [0, 0.5]]: ρ < 1, yet it grows first", fontsize=11)
    ax2.legend(fontsize=9, loc="lower left")
    alt = (
        "Two log-scale panels. Left: the gradient norm against the time step for three "
        "linear RNNs with 32 units; with spectral radius 0.9 it shrinks, with 1.0 it stays "
        "roughly level, with 1.1 it grows, each close to its dotted line rho to the power T "
        "minus t. Right: for a 2 by 2 matrix with both eigenvalues 0.5 but largest singular "
        f"value {non_normal['sigma']:.2f}, the Jacobian norm first rises to "
        f"{non_normal['peak']:.2f}, stays above 1 for a few steps, then falls like 0.5 to "
        "the power k; the singular-value bound grows without limit and says nothing."
    )
    return fig, alt


def saturation_figure(table, runs):
    """Left: tanh and its derivative. Right: ||dL/dh_t|| for one tanh RNN (rho = 1.5) driven by
    inputs of growing size."""
    fig, (ax, ax2) = new_figure(ncols=2, width=10.5, height=3.9)
    a = np.linspace(-5.3, 5.3, 213)
    y = np.tanh(a)
    ax.plot(a, y, color=PALETTE["blue"], label="φ(a) = tanh(a)")
    ax.plot(a, 1 - y * y, color=PALETTE["vermillion"], linestyle="--", label="φ′(a) = 1 − tanh²(a)")
    ax.plot(table["a"], table["fprime"], "o", color=PALETTE["vermillion"])
    for ai, fi in zip(table["a"], table["fprime"]):
        if ai in (1.0, 3.0):
            ax.annotate(
                f"φ′({ai:g}) = {fi:.3f}",
                (ai, fi),
                xytext=(6, 12),
                textcoords="offset points",
                fontsize=9,
            )
    ax.set_xlabel("pre-activation a")
    ax.set_ylabel("value")
    ax.set_title("tanh saturates: φ′ → 0 for large |a|", fontsize=11)
    ax.legend(fontsize=9, loc="upper left")
    styles = [
        {"color": PALETTE["black"], "linestyle": ":", "marker": "D"},
        {"color": PALETTE["blue"], "linestyle": "-", "marker": "o"},
        {"color": PALETTE["orange"], "linestyle": "--", "marker": "s"},
        {"color": PALETTE["vermillion"], "linestyle": "-.", "marker": "^"},
    ]
    for r, st in zip(runs, styles):
        draw_matrix_norms(
            ax2,
            r,
            f"inputs × {r['input_scale']:g}: mean φ′ = {r['mean_fprime']:.2f}",
            st,
            guide=False,
        )
    log_ticks(ax2, [r["norms"] for r in runs])
    ax2.set_xlabel(f"time step t (loss on h at T = {runs[0]['T']})")
    ax2.set_ylabel("‖∂L/∂hₜ‖  (log scale)")
    ax2.set_title(f"tanh RNN, the same Wₕₕ with ρ = {runs[0]['rho']:.1f}", fontsize=11)
    ax2.legend(fontsize=9, loc="lower right")
    alt = (
        "Left: tanh rises from -1 to 1 while its derivative is 1 at zero and falls towards 0 "
        "on both sides. Right: gradient norms, on a log scale, for one tanh RNN whose "
        f"recurrent matrix has spectral radius {runs[0]['rho']:.1f}, driven by inputs of "
        "growing size; the larger the inputs, the smaller the mean derivative and the faster "
        f"the gradient vanishes: from {runs[0]['ratio']:.3g} to {runs[-1]['ratio']:.3g} at t = 1."
    )
    return fig, alt


def draw_spectral(ax, r):
    """The spectral-radius widget's plot: ||dL/dh_t|| and rho^(T-t); for the two-unit network
    also rho_J^(T-t), rho_J the spectral radius of the first step's Jacobian diag(phi')W_hh."""
    ax.plot(r["t"], r["guide"], **FORMULA, label="ρ(Wₕₕ)^(T−t)")
    guides = [r["guide"]]
    if r.get("network") == "pair":
        with np.errstate(over="ignore", under="ignore"):
            jac = r["jacobian_rho"] ** (r["T"] - r["t"]).astype(np.float64)
        ax.plot(
            r["t"],
            jac,
            color=PALETTE["vermillion"],
            linestyle=(0, (4, 3)),
            linewidth=1.8,
            zorder=3,
            label="ρ(diag(φ′(a₁))Wₕₕ)^(T−t)",
        )
        guides.append(jac)
    ax.plot(
        r["t"],
        r["norms"],
        markevery=_markevery(r["T"]),
        color=PALETTE["blue"],
        marker="o",
        label="BPTT",
    )
    log_ticks(ax, [r["norms"]] + guides)
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xlim(0, r["T"] + 1)
    ax.set_xlabel(f"time step t (the loss is at t = T = {r['T']})")
    ax.set_ylabel("‖∂L/∂hₜ‖")
    ax.legend(loc=spectral_legend_loc(r, guides), fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(6, integer=True))


def spectral_legend_loc(r, guides):
    """The curves fall from left to right when the gradient grows going back: the lower left is
    free then, the upper left otherwise ("best" would cost a few ms per redraw)."""
    grows = r["ratio"] > 1.0 or max(g[0] for g in guides) > 1.0
    return "lower left" if grows and r["ratio"] > 1.0 else "upper right" if grows else "upper left"


def spectral_alt(r):
    text = (
        f"Log-scale plot of the gradient norm against the time step for a {r['H']}-unit "
        f"{r['nonlinearity']} RNN whose recurrent matrix has spectral radius {r['rho']:.2f} "
        f"and largest singular value {r['sigma']:.2f}, with inputs scaled by "
        f"{r['input_scale']:g} and bias {r.get('bias', 0.0):g}. The norm is 1 at the last "
        f"step and {fmt_value(r['ratio'])} at t = 1; the dotted line shows rho to the power "
        f"T minus t."
    )
    if r.get("network") == "pair":
        text += (
            f" The dashed line shows the spectral radius of the Jacobian with unit 1 "
            f"saturated, {r['jacobian_rho']:.2f}, to the power T minus t."
        )
    return text


def spectral_title(r):
    net = "2 units, bias on unit 1" if r.get("network") == "pair" else f"H = {r['H']}"
    return (
        f"{net}, φ = {r['nonlinearity']}, ρ = {r['rho']:.2f}, inputs × {r['input_scale']:g}, "
        f"bias {r.get('bias', 0.0):g}"
    )


def spectral_figure(r, width=8.0, height=3.6):
    """:func:`draw_spectral` with its title (see :class:`SpectralPlot`)."""
    return SpectralPlot(width, height).draw(r)


class SpectralPlot(LivePlot):
    """The spectral-radius widget's figure (:func:`draw_spectral` and a title), built once per
    network (the two-unit one has one more guide line): the curves and the title move, the y
    axis follows the curves' decades, the legend is made again only when it changes corner."""

    def __init__(self, width=8.0, height=3.6):
        super().__init__()
        self.size = (width, height)

    def structure_key(self, r, **_):
        return r.get("network")

    def build(self, r, **_):
        fig, ax = _fast_figure(width=self.size[0], height=self.size[1], left=0.1)
        draw_spectral(ax, r)
        self.ax = ax
        self.guide = ax.lines[0]
        self.jac = ax.lines[1] if r.get("network") == "pair" else None
        self.norms, self.one = ax.lines[-2], ax.lines[-1]
        self.title = ax.set_title(" ", fontsize=11)
        self.moving(*ax.lines, self.title)
        self.follows(ax.yaxis)  # its decades follow the curves
        self.legend = self.on_top(ax.get_legend())
        self._ticks = self._legend_loc = None
        return fig

    def update(self, r, **_):
        t = r["t"]
        self.guide.set_ydata(r["guide"])
        guides = [r["guide"]]
        if self.jac is not None:
            with np.errstate(over="ignore", under="ignore"):
                jac = r["jacobian_rho"] ** (r["T"] - t).astype(np.float64)
            self.jac.set_ydata(jac)
            guides.append(jac)
        self.norms.set_ydata(r["norms"])
        spec = log_tick_spec([r["norms"]] + guides)
        if spec != self._ticks:
            apply_log_ticks(self.ax, *spec)
            self._ticks = spec
        loc = spectral_legend_loc(r, guides)
        if loc != self._legend_loc:
            self.legend = self.on_top(self.ax.legend(loc=loc, fontsize=9), replaces=self.legend)
            self._legend_loc = loc
        self.title.set_text(spectral_title(r))
        return spectral_alt(r)
