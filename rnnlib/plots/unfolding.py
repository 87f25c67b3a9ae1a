r"""Figures for notebooks 00 (course map) and 01 (unfolding an RNN in time).

Diagrams are drawn with plain matplotlib patches in data coordinates: a hidden state is a
rounded box, inputs and outputs are smaller boxes, and the three weight matrices have one
colour *and* one line style each (:math:`W_{hh}` solid blue, :math:`W_{xh}` dashed orange,
:math:`W_{hy}` dotted green), so they stay apart in grey print and for colour-blind readers.

Functions whose name ends in ``_figure`` return ``(fig, alt)``; ``draw_*`` functions draw onto a
given axes (the widgets reuse them).
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from ._text import plain_log_ticks, power_of_ten, sub, text_ticks  # noqa: F401 (re-exported)
from .live import LivePlot
from .style import PALETTE, grid_figure, new_figure

#: how each weight matrix is drawn: colour, line style, label
WEIGHT_STYLE = {
    "hh": {"color": PALETTE["blue"], "linestyle": "-", "label": r"$W_{hh}$"},
    "xh": {"color": PALETTE["orange"], "linestyle": "--", "label": r"$W_{xh}$"},
    "hy": {"color": PALETTE["green"], "linestyle": ":", "label": r"$W_{hy}$"},
}
NODE_FILL = {"h": "#D6EAF8", "x": "#FDEBD0", "y": "#D5F5E3", "h0": "#EEEEEE"}
_DX = 1.6          # horizontal distance between time steps in the unrolled chain
_Y_IN, _Y_OUT = -1.25, 1.25


#: plain-text names of the weight matrices (see :func:`sub`)
PLAIN_LABEL = {"hh": sub("W", "hh"), "xh": sub("W", "xh"), "hy": sub("W", "hy")}


def _node_label(kind, step, math):
    base = {"x": "x", "h": "h", "y": "ŷ"}[kind]
    if math:
        return rf"$\hat y_{{{step}}}$" if kind == "y" else rf"${base}_{{{step}}}$"
    return sub(base, step)


def _node(ax, xy, text, kind, w=0.56, h=0.46, fontsize=11):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0.02,rounding_size=0.12",
                                facecolor=NODE_FILL[kind], edgecolor="black", linewidth=1.2))
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, kind, gap=0.26, lw=1.8, color=None, linestyle=None):
    """A straight arrow from ``start`` to ``end`` (centres of nodes), stopping ``gap`` data units
    short of both (computed here: matplotlib's own shrinking splits Bezier curves, slowly)."""
    style = WEIGHT_STYLE.get(kind, {"color": "black", "linestyle": "-"})
    (x0, y0), (x1, y1) = start, end
    length = np.hypot(x1 - x0, y1 - y0)
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    ax.add_patch(FancyArrowPatch((x0 + gap * ux, y0 + gap * uy), (x1 - gap * ux, y1 - gap * uy),
                                 arrowstyle="-|>", mutation_scale=12, shrinkA=0, shrinkB=0,
                                 color=color or style["color"],
                                 linestyle=linestyle or style["linestyle"], linewidth=lw))


def finish_diagram(ax, xmin, xmax, ymin=-1.75, ymax=1.75):
    """Fix the limits of a diagram's axes, equal aspect, no frame or ticks."""
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal")
    ax.axis("off")


def draw_folded(ax, x0=0.0, labels=True, fontsize=11):
    """The RNN as one cell with a loop: x_t -> h_t -> y_t, and h_t fed back through W_hh."""
    _node(ax, (x0, _Y_IN), r"$x_t$", "x", fontsize=fontsize)
    _node(ax, (x0, 0.0), r"$h_t$", "h", fontsize=fontsize)
    _node(ax, (x0, _Y_OUT), r"$\hat y_t$", "y", fontsize=fontsize)
    _arrow(ax, (x0, _Y_IN), (x0, 0.0), "xh")
    _arrow(ax, (x0, 0.0), (x0, _Y_OUT), "hy")
    # the loop: out of the right side, round, back into the right side one step later
    loop = Path([(x0 + 0.28, 0.12), (x0 + 1.05, 0.75), (x0 + 1.05, -0.75), (x0 + 0.28, -0.12)],
                [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
    ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=12,
                                 color=WEIGHT_STYLE["hh"]["color"], linewidth=1.8))
    if labels:
        ax.text(x0 - 0.12, (_Y_IN) / 2, WEIGHT_STYLE["xh"]["label"], ha="right", va="center",
                fontsize=fontsize - 1)
        ax.text(x0 - 0.12, _Y_OUT / 2, WEIGHT_STYLE["hy"]["label"], ha="right", va="center",
                fontsize=fontsize - 1)
        ax.text(x0 + 0.95, 0.0, WEIGHT_STYLE["hh"]["label"], ha="left", va="center",
                fontsize=fontsize, color=WEIGHT_STYLE["hh"]["color"])
        ax.text(x0 + 0.55, -0.62, "one step\nof delay", ha="left", va="top", fontsize=fontsize - 2)


def draw_unrolled(ax, T, x0=0.0, hh_label=None, xh_label=None, hy_label=None, outputs=True,
                  fontsize=11, show_h0=True, max_labels=None, math=True):
    """The network unrolled over T steps: h_0 -> h_1 -> ... -> h_T with an input below and an
    output above every step, and the *same* weight label on every arrow of a kind.

    Args:
        T: number of steps drawn.
        hh_label, xh_label, hy_label: text on the arrows (default: the matrices' names); pass
            e.g. "0.80" to show the number itself, or "" for no label.
        outputs: True (an output at every step), "last" (many-to-one) or False.
        max_labels: with long chains, label only this many arrows of each kind (the first ones
            and the last), so the figure stays readable.
        math: mathtext labels (for static figures); False uses Unicode subscripts, which draw
            far faster (for widgets).

    Returns:
        the x coordinates of the steps h_1..h_T (for annotations).
    """
    names = {k: (WEIGHT_STYLE[k]["label"] if math else PLAIN_LABEL[k]) for k in WEIGHT_STYLE}
    hh_label = names["hh"] if hh_label is None else hh_label
    xh_label = names["xh"] if xh_label is None else xh_label
    hy_label = names["hy"] if hy_label is None else hy_label
    xs = x0 + _DX * np.arange(1, T + 1)
    labelled = set(range(T)) if max_labels is None or T <= max_labels else (
        set(range(max_labels - 1)) | {T - 1})
    if show_h0:
        _node(ax, (x0, 0.0), _node_label("h", 0, math), "h0", fontsize=fontsize)
    for t, x in enumerate(xs):
        step = t + 1
        _node(ax, (x, _Y_IN), _node_label("x", step, math), "x", fontsize=fontsize)
        _node(ax, (x, 0.0), _node_label("h", step, math), "h", fontsize=fontsize)
        _arrow(ax, (x, _Y_IN), (x, 0.0), "xh")
        has_out = outputs is True or (outputs == "last" and step == T)
        if has_out:
            _node(ax, (x, _Y_OUT), _node_label("y", step, math), "y", fontsize=fontsize)
            _arrow(ax, (x, 0.0), (x, _Y_OUT), "hy")
        if step > 1 or show_h0:
            _arrow(ax, (x - _DX, 0.0), (x, 0.0), "hh", gap=0.32)
        if t in labelled:
            if (step > 1 or show_h0) and hh_label:
                ax.text(x - _DX / 2, 0.1, hh_label, ha="center", va="bottom",
                        fontsize=fontsize - 1, color=WEIGHT_STYLE["hh"]["color"])
            if xh_label:
                ax.text(x + 0.08, _Y_IN / 2, xh_label, ha="left", va="center",
                        fontsize=fontsize - 2)
            if has_out and hy_label:
                ax.text(x + 0.08, _Y_OUT / 2, hy_label, ha="left", va="center",
                        fontsize=fontsize - 2)
    return xs


def draw_chain_strip(ax, T, hh_label, x_max, fontsize=10):
    """A compact unrolled chain for widgets, with step t at x = t (so it lines up with plots
    sharing the x axis): h_0 .. h_T in a row, an input under every step, ``hh_label`` on every
    recurrent arrow. Nodes are two scatter calls and arrows two quiver calls (not one patch
    each): this strip is redrawn on every slider move."""
    steps = np.arange(1, T + 1)
    y_h, y_x = 0.0, -1.0
    ax.scatter([0], [y_h], marker="s", s=420, facecolor=NODE_FILL["h0"], edgecolor="black",
               zorder=3)
    ax.scatter(steps, np.full(T, y_h), marker="s", s=420, facecolor=NODE_FILL["h"],
               edgecolor="black", zorder=3)
    ax.scatter(steps, np.full(T, y_x), marker="s", s=300, facecolor=NODE_FILL["x"],
               edgecolor="black", zorder=3)
    gap = 0.24
    ax.quiver(np.arange(T) + gap, np.zeros(T), np.full(T, 1 - 2 * gap), np.zeros(T),
              angles="xy", scale_units="xy", scale=1, color=WEIGHT_STYLE["hh"]["color"],
              width=0.0025, headwidth=4, headlength=5, headaxislength=4.5, zorder=2)
    ax.quiver(steps, np.full(T, y_x + 0.2), np.zeros(T), np.full(T, 0.56), angles="xy",
              scale_units="xy", scale=1, color=WEIGHT_STYLE["xh"]["color"], width=0.0025,
              headwidth=4, headlength=5, headaxislength=4.5, zorder=2)
    ax.text(0, y_h, sub("h", 0), ha="center", va="center", fontsize=fontsize, zorder=4)
    for t in steps:
        ax.text(t, y_h, sub("h", t), ha="center", va="center", fontsize=fontsize, zorder=4)
        ax.text(t - 0.5, y_h + 0.2, hh_label, ha="center", va="bottom", fontsize=fontsize - 2,
                color=WEIGHT_STYLE["hh"]["color"])
    ax.text(-0.45, y_x, "inputs xₜ", ha="left", va="center", fontsize=fontsize - 1)
    ax.set_xlim(-0.6, x_max + 0.5)
    ax.set_ylim(-1.45, 0.75)
    ax.axis("off")


def unfolding_figure(T=5):
    """The folded RNN (one cell and a loop) beside the same network unrolled over T steps."""
    fig, (ax_fold, ax_unroll) = grid_figure(ncols=2, width=10.5, height=3.4,
                                                 width_ratios=[3.1, 1.6 * T + 1.4])
    draw_folded(ax_fold)
    finish_diagram(ax_fold, -0.9, 2.2)
    ax_fold.set_title("folded: one cell, one loop")
    xs = draw_unrolled(ax_unroll, T)
    finish_diagram(ax_unroll, -0.5, xs[-1] + 0.9)
    ax_unroll.set_title(f"unrolled over T = {T} steps: a {T}-layer network with shared weights")
    alt = (f"Left, an RNN drawn as one cell: x_t goes in through W_xh, y-hat_t comes out through "
           f"W_hy, and a loop labelled W_hh feeds h_t back. Right, the same network unrolled over "
           f"{T} steps: h_0 to h_{T} in a chain, every horizontal arrow labelled with the same "
           f"W_hh, every input arrow with W_xh and every output arrow with W_hy.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# Activations


def activations_figure(a_max=4.0):
    """The three usual activations φ(a) and their slopes φ′(a), from rnnlib.cells."""
    from ..cells import NONLINEARITIES
    a = np.linspace(-a_max, a_max, 401)
    fig, (ax_f, ax_d) = new_figure(ncols=2, width=10, height=3.4)
    for name, marker in (("tanh", "o"), ("sigmoid", "s"), ("relu", "^")):
        f, fprime = NONLINEARITIES[name]
        y = f(a)
        ax_f.plot(a, y, marker=marker, markevery=50, label=name)
        ax_d.plot(a, fprime(y), marker=marker, markevery=50, label=name)
    ax_f.set_title("activation φ(a)")
    ax_f.set_xlabel("pre-activation a")
    ax_f.set_ylabel("φ(a)")
    ax_f.set_ylim(-1.3, a_max + 0.2)
    ax_f.axhline(1, color="grey", lw=0.8)
    ax_f.axhline(-1, color="grey", lw=0.8)
    ax_f.legend(loc="upper left")
    ax_d.set_title("slope φ′(a): what backpropagation multiplies by")
    ax_d.set_xlabel("pre-activation a")
    ax_d.set_ylabel("φ′(a)")
    ax_d.legend(loc="upper left")
    alt = ("Two panels. Left: tanh runs from -1 to 1, the sigmoid from 0 to 1, and ReLU is 0 for "
           "negative inputs and grows without bound for positive ones. Right: their slopes; tanh "
           "peaks at 1 and the sigmoid at 0.25 at zero, both fall towards 0 for large inputs, and "
           "ReLU's slope is 0 or 1.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# Word order


def order_figure(words_a, words_b, distance, bag):
    """Distance between the hidden states of an RNN reading two orderings of the same words."""
    T = len(distance)
    steps = np.arange(1, T + 1)
    fig, ax = new_figure(width=8.5, height=3.6)
    ax.plot(steps, distance, marker="o", label="RNN: distance between the two hidden states")
    ax.plot(steps, np.full(T, bag), marker="s", label="order-blind: distance of mean word vectors")
    ax.set_xticks(steps)
    pairs = zip(words_a, words_b, strict=False)
    ax.set_xticklabels([f"{a}\n{b}" if a != b else a for a, b in pairs], fontsize=9)
    ax.set_xlabel("word read at step t (two words where the sentences differ)")
    ax.set_ylabel("distance")
    ax.set_title(f"\"{' '.join(words_a)}\" vs \"{' '.join(words_b)}\"", fontsize=11)
    ax.legend(loc="upper left")
    alt = (f"Distance between the RNN's hidden states when reading \"{' '.join(words_a)}\" and "
           f"\"{' '.join(words_b)}\", step by step: zero while the words agree, then positive from "
           f"the first swapped word to the end; the order-blind mean of word vectors gives "
           f"distance {bag:.1g} throughout.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# Memory: a nudge to x_1 and how long the hidden state remembers it


def _nice_ceiling(value):
    """The smallest of 1, 2, 5 times a power of ten that is >= value (and >= 1)."""
    if not np.isfinite(value) or value <= 1.0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= value))


def draw_trajectories(ax_h, demo, T_max=None, legend_loc="best"):
    """Hidden-state trajectories of :func:`rnnlib.demos.unfolding.memory_demo`: the original
    run and the run with x_1 nudged. Few, fixed ticks and plain-text labels: the widget
    redraws this on every slider move, and each tick costs about a millisecond to render."""
    hs, hs2 = demo["hs"], demo["hs_nudged"]
    T = len(hs)
    T_max = T_max or T
    steps = np.arange(1, T + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(hs) & np.isfinite(hs2)
        both = np.concatenate([hs[finite], hs2[finite]])
    ax_h.plot(steps[finite], hs[finite], marker="o", label="original input")
    ax_h.plot(steps[finite], hs2[finite], marker="s", label=f"x₁ nudged by {demo['eps']:g}")
    top = _nice_ceiling(float(np.abs(both).max())) if both.size else 1.0
    if both.size and both.min() < -0.05 * top:
        ticks = [-top, 0.0, top]
    else:
        ticks = [0.0, top / 2, top]
    ax_h.set_ylim(ticks[0] - 0.05 * top, top * 1.05)
    text_ticks(ax_h, "y", ticks, [f"{v:.3g}".replace("-", "−") for v in ticks])
    if not finite.all():
        ax_h.text(0.5, 0.5, "overflowed to inf in float64", transform=ax_h.transAxes,
                  ha="center", color=PALETTE["vermillion"])
    ax_h.set_ylabel("hidden state hₜ", labelpad=30)
    ax_h.legend(loc=legend_loc, fontsize=9)   # widgets pass a fixed corner: "best" is slow
    ax_h.set_xlim(0.5, T_max + 0.5)
    xticks = sorted({1, *range(4, T_max + 1, 4), T_max}) if T_max > 2 else list(range(1, T_max + 1))
    text_ticks(ax_h, "x", xticks, [str(v) for v in xticks])
    ax_h.set_xlabel("step t", labelpad=16)


def draw_memory(ax_h, ax_e, demo, T_max=None):
    """:func:`draw_trajectories` beside the nudge's effect |h'_t - h_t| on a log scale."""
    draw_trajectories(ax_h, demo, T_max)
    ax_h.set_title(f"hidden state, φ = {demo['nonlinearity']}, w = {demo['w']:.2f}")
    effect = demo["effect"]
    T = len(effect)
    T_max = T_max or T
    steps = np.arange(1, T + 1)
    finite_pos = effect[np.isfinite(effect) & (effect > 0)]
    # decades that hold the data, one spare on each side; exact zeros sit on the bottom edge
    lo = int(np.floor(np.log10(finite_pos.min()))) - 1 if finite_pos.size else -3
    hi = int(np.ceil(np.log10(finite_pos.max()))) + 1 if finite_pos.size else 1
    ax_e.semilogy(steps[np.isfinite(effect) & (effect > 0)], finite_pos, marker="D",
                  color=PALETTE["vermillion"], label="|h′ₜ − hₜ|")
    zero = np.isfinite(effect) & (effect == 0)
    if zero.any():
        ax_e.plot(steps[zero], np.full(zero.sum(), 10.0 ** lo), "x", color="black", ms=8,
                  label="exactly 0: forgotten")
    bad = ~np.isfinite(effect)
    if bad.any():
        ax_e.plot(steps[bad], np.full(bad.sum(), 10.0 ** hi), "^", color="black", ms=8,
                  label="overflowed to inf")
    ax_e.set_ylim(10.0 ** lo / 1.5, 10.0 ** hi * 1.5)
    plain_log_ticks(ax_e, lo, hi, step=max(1, (hi - lo) // 6))
    ax_e.set_xlabel("step t")
    ax_e.set_ylabel("size of the change (log scale)")
    ax_e.set_title("what is left of the nudge: |h′ₜ − hₜ|")
    ax_e.legend(loc="upper right", fontsize=9)
    ax_e.set_xlim(0.5, T_max + 0.5)
    xticks = sorted({1, *range(4, T_max + 1, 4), T_max}) if T_max > 2 else list(range(1, T_max + 1))
    ax_e.set_xticks(xticks, [str(v) for v in xticks])


def memory_figure(demo):
    """:func:`draw_memory` on a figure of its own."""
    fig, (ax_h, ax_e) = new_figure(ncols=2, width=10, height=3.6)
    draw_memory(ax_h, ax_e, demo)
    return fig, memory_alt(demo)


def memory_alt(demo):
    eff = demo["effect"]
    T = len(eff)
    last = f"{eff[-1]:.2g}" if np.isfinite(eff[-1]) else "infinite (overflow)"
    return (f"Left: the hidden state of a one-unit {demo['nonlinearity']} RNN with recurrent "
            f"weight w = {demo['w']:.2f} over {T} steps, for the original input and with x_1 "
            f"nudged by {demo['eps']:g}. Right, on a log scale: the gap between the two runs, "
            f"{eff[0]:.2g} at step 1 and {last} at step {T}.")


# ---------------------------------------------------------------------------------------------
# Parameter sharing: parameters fixed, work growing with T


def draw_sharing_cost(ax, curve, T_now=None, now=None):
    """Learned parameters (flat), multiply-adds of one forward pass and numbers stored for
    backpropagation (both growing in proportion to T) against T, on one log-scale axes."""
    Ts = curve["T"]
    every = max(1, len(Ts) // 8)
    series = [("params", "learned parameters (the same for every T)", "o"),
              ("multiply_adds", "multiply-adds in one forward pass", "s"),
              ("stored", "hidden-state numbers kept for backprop", "^")]
    for key, label, marker in series:
        ax.semilogy(Ts, curve[key], marker=marker, markevery=every, label=label)
    if now is not None:
        for key, _, _ in series:
            ax.plot([T_now], [now[key]], "D", color=PALETTE["vermillion"], ms=8, zorder=5)
        ax.axvline(T_now, color="grey", lw=1, zorder=1)
    lo = int(np.floor(np.log10(min(curve[k].min() for k, _, _ in series))))
    hi = int(np.ceil(np.log10(max(curve[k].max() for k, _, _ in series))))
    ax.set_ylim(10.0 ** lo, 10.0 ** hi)
    text_ticks(ax, "y", [10.0 ** e for e in range(lo, hi + 1)],
               [power_of_ten(e) for e in range(lo, hi + 1)])
    ax.set_xlim(0, Ts[-1] + 1)
    xt = [1] + list(range(50, int(Ts[-1]) + 1, 50))
    text_ticks(ax, "x", xt, [str(v) for v in xt])
    ax.set_xlabel("sequence length T (steps)", labelpad=16)
    ax.set_ylabel("count (log scale)", labelpad=30)
    ax.legend(loc="lower right", fontsize=9)


def sharing_cost_alt(curve, T_now, now):
    return (f"Counts against sequence length T from {curve['T'][0]} to {curve['T'][-1]} on a log "
            f"scale: the number of learned parameters is a flat line at {now['params']:,}, while "
            f"the multiply-adds of one forward pass and the hidden-state numbers kept for "
            f"backpropagation grow in proportion to T ({now['multiply_adds']:,} and "
            f"{now['stored']:,} at T = {T_now}).")


def sharing_cost_figure(curve, T_now, now, H):
    """:func:`draw_sharing_cost` as a figure of its own (see the widget of notebook 00)."""
    fig, ax = new_figure(width=8.5, height=3.6)
    draw_sharing_cost(ax, curve, T_now, now)
    ax.set_title(f"One set of weights for every length (D = 8, H = {H}, O = 2)")
    return fig, sharing_cost_alt(curve, T_now, now)


# ---------------------------------------------------------------------------------------------
# Elman and Jordan networks


def elman_jordan_figure():
    """Two small diagrams: Elman feeds the hidden state back, Jordan feeds the output back."""
    fig, (ax_e, ax_j) = new_figure(ncols=2, width=10, height=3.5)
    for ax, title in ((ax_e, "Elman: the hidden state is fed back"),
                      (ax_j, "Jordan: the output is fed back")):
        for k, x in enumerate((0.0, 2.2)):
            step = ("t-1", "t")[k]
            _node(ax, (x, _Y_IN), rf"$x_{{{step}}}$", "x", w=0.75)
            _node(ax, (x, 0.0), rf"$h_{{{step}}}$", "h", w=0.75)
            _node(ax, (x, _Y_OUT), rf"$\hat y_{{{step}}}$", "y", w=0.75)
            _arrow(ax, (x, _Y_IN), (x, 0.0), "xh")
            _arrow(ax, (x, 0.0), (x, _Y_OUT), "hy")
        ax.set_title(title, fontsize=11)
        finish_diagram(ax, -0.8, 3.4, -1.7, 1.75)
    _arrow(ax_e, (0.0, 0.0), (2.2, 0.0), "hh", gap=0.42)
    ax_e.text(1.1, 0.12, r"$W_{hh}$", ha="center", va="bottom", color=WEIGHT_STYLE["hh"]["color"])
    ax_j.add_patch(FancyArrowPatch((0.3, _Y_OUT - 0.1), (1.9, 0.05), arrowstyle="-|>",
                                   mutation_scale=12, color=PALETTE["purple"], linewidth=1.8,
                                   linestyle="-."))
    ax_j.text(1.2, 0.75, r"$W_{yh}$", ha="center", va="bottom", color=PALETTE["purple"])
    alt = ("Two diagrams of two time steps. Left, Elman: an arrow labelled W_hh carries the hidden "
           "state h_{t-1} into h_t. Right, Jordan: there is no arrow between hidden states; "
           "instead an arrow labelled W_yh carries the previous output y-hat_{t-1} into h_t.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# The course map (notebook 00)

_NUMBER_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                 "fourteen fifteen sixteen").split()


def course_map_figure(highlight=None):
    """The course's notebooks in order (from ``rnnlib.syllabus``), grouped into its parts;
    ``highlight``: numbers to draw with a heavy frame (e.g. ``("00",)``)."""
    from ..syllabus import NOTEBOOKS, PARTS

    n = len(NOTEBOOKS)
    count = _NUMBER_WORDS[n] if n < len(_NUMBER_WORDS) else str(n)
    fig, ax = new_figure(width=11 * max(1.0, n / 9), height=2.7)
    w, gap = 1.2, 0.14
    for part in PARTS:
        members = [k for k, nb in enumerate(NOTEBOOKS) if nb.part == part.name]
        if not members:
            continue
        start, stop = members[0], members[-1] + 1
        x0 = start * (w + gap) - gap / 2
        ax.add_patch(FancyBboxPatch((x0, -1.0), (stop - start) * (w + gap), 2.45,
                                    boxstyle="round,pad=0.02,rounding_size=0.1",
                                    facecolor=part.colour, edgecolor="none"))
        # a part of one notebook is narrow: shrink its name to fit (a character of italic
        # text is about 0.55 of the font size wide; the x axis spans n * (w + gap) units)
        points_per_unit = fig.get_figwidth() * 72 / (n * (w + gap))
        fits = 0.9 * (stop - start) * (w + gap) * points_per_unit / (0.55 * len(part.name))
        ax.text(x0 + (stop - start) * (w + gap) / 2, 1.22, part.name, ha="center", va="center",
                fontsize=min(11.0, fits), style="italic")
    for k, nb in enumerate(NOTEBOOKS):
        x = k * (w + gap) + w / 2 - gap / 2
        strong = highlight is not None and nb.number in highlight
        ax.add_patch(FancyBboxPatch((x - w / 2 + 0.05, -0.82), w - 0.1, 1.78,
                                    boxstyle="round,pad=0.02,rounding_size=0.08",
                                    facecolor="white", edgecolor="black",
                                    linewidth=2.6 if strong else 1.0))
        ax.text(x, 0.68, nb.number, ha="center", va="center", fontsize=14, weight="bold")
        ax.text(x, 0.18, nb.box_title, ha="center", va="center", fontsize=9.5, linespacing=1.0)
        ax.text(x, -0.47, nb.box_subtitle, ha="center", va="center", fontsize=8,
                color="#333333", linespacing=1.0)
        if k < n - 1:
            ax.add_patch(FancyArrowPatch((x + w / 2 - 0.05, 0.68), (x + w / 2 + gap + 0.05, 0.68),
                                         arrowstyle="-|>", mutation_scale=10, color="black",
                                         shrinkA=0, shrinkB=0))
    finish_diagram(ax, -0.15, n * (w + gap) - 0.05, -1.05, 1.45)
    ax.set_title(f"The course: {count} notebooks, run in order")
    groups = []
    for part in PARTS:
        members = [f"{nb.number} {nb.box_title.replace(chr(10), ' ').replace(' / ', ' and ')}"
                   for nb in NOTEBOOKS if nb.part == part.name]
        if members:
            groups.append(f"{part.name} ({', '.join(members)})")
    alt = (f"A row of {count} boxes, notebooks {NOTEBOOKS[0].number} to {NOTEBOOKS[-1].number}, "
           f"joined by arrows in reading order and grouped into {_NUMBER_WORDS[len(groups)]} "
           f"parts: {'; '.join(groups)}.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# The widgets' figures, built once and moved (see rnnlib.plots.live)


class SharingCostPlot(LivePlot):
    """The sharing-cost widget's figure (notebook 00): :func:`draw_sharing_cost` with a title
    naming the sizes. The curves follow H, the marks and the vertical line follow T; the figure
    is built again only when the curves need other decades on the y axis."""

    def __init__(self, D, O):
        super().__init__()
        self.D, self.O = D, O

    @staticmethod
    def _decades(curve):
        keys = ("params", "multiply_adds", "stored")
        return (int(np.floor(np.log10(min(curve[k].min() for k in keys)))),
                int(np.ceil(np.log10(max(curve[k].max() for k in keys)))))

    def structure_key(self, result, T, H):
        return self._decades(result["curve"])

    def build(self, result, T, H):
        fig, ax = new_figure(width=9, height=3.5, layout="none")
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9)
        draw_sharing_cost(ax, result["curve"], T, result["now"])
        self.curves, self.marks, self.vline = ax.lines[0:3], ax.lines[3:6], ax.lines[6]
        # the text ticks' grid lines are drawn over the curves (added later, same z-order)
        self.moving(*self.curves, *self.marks, self.vline, *ax.collections)
        self.title = self.moving(ax.set_title(" "))
        self.on_top(ax.get_legend())
        return fig

    def update(self, result, T, H):
        curve, now = result["curve"], result["now"]
        keys = ("params", "multiply_adds", "stored")
        for line, mark, key in zip(self.curves, self.marks, keys, strict=True):
            line.set_ydata(curve[key])
            mark.set_data([T], [now[key]])
        self.vline.set_xdata([T, T])
        self.title.set_text(f"D = {self.D} inputs, H = {H} hidden units, O = {self.O} outputs, "
                            f"T = {T} steps")
        return sharing_cost_alt(curve, T, now)


def _trajectory_ticks(demo):
    """What :func:`draw_trajectories` puts on the y axis (and whether it overflowed)."""
    hs, hs2 = demo["hs"], demo["hs_nudged"]
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(hs) & np.isfinite(hs2)
        both = np.concatenate([hs[finite], hs2[finite]])
    top = _nice_ceiling(float(np.abs(both).max())) if both.size else 1.0
    negative = bool(both.size and both.min() < -0.05 * top)
    return top, negative, bool(finite.all())


class UnfoldingPlot(LivePlot):
    """The unfolding widget's figure (notebook 01): the hidden state with and without a nudge
    to x_1 (:func:`draw_trajectories`) over the unrolled chain (:func:`draw_chain_strip`) with
    w on every recurrent arrow. The curves, the weight labels and the title move; the figure is
    built again when T, the y axis' ticks or an overflow change."""

    T_MAX = 12

    def structure_key(self, demo, T, w, nonlinearity):
        return T, _trajectory_ticks(demo)

    def build(self, demo, T, w, nonlinearity):
        fig, (ax_h, ax_graph) = grid_figure(
            2, 1, width=9, height=4.4, layout="none", height_ratios=[1.6, 0.75],
            left=0.09, right=0.98, bottom=0.02, top=0.92, hspace=0.2)
        draw_trajectories(ax_h, demo, T_max=self.T_MAX, legend_loc="lower left")
        ax_h.set_xlim(-0.6, self.T_MAX + 0.5)
        self.curves = ax_h.lines[0:2]
        self.title = ax_h.set_title(" ", fontsize=11)
        label = f"{w:.2f}"
        draw_chain_strip(ax_graph, T, label, self.T_MAX)
        self.weights = [t for t in ax_graph.texts if t.get_text() == label]
        # the text ticks' grid lines are drawn over the curves (added later, same z-order)
        self.moving(*self.curves, *ax_h.collections, self.title, *self.weights)
        self.on_top(ax_h.get_legend())
        return fig

    def update(self, demo, T, w, nonlinearity):
        hs, hs2 = demo["hs"], demo["hs_nudged"]
        steps = np.arange(1, T + 1)
        with np.errstate(over="ignore", invalid="ignore"):
            finite = np.isfinite(hs) & np.isfinite(hs2)
        for line, h in zip(self.curves, (hs, hs2), strict=True):
            line.set_data(steps[finite], h[finite])
        self.title.set_text(f"φ = {nonlinearity}, w = {w:.2f}, T = {T}: the hidden state over "
                            f"time, and the network unrolled under it")
        for text in self.weights:
            text.set_text(f"{w:.2f}")
        eff = demo["effect"]
        return (f"Top: the hidden state of a one-unit {nonlinearity} RNN with recurrent weight "
                f"w = {w:.2f} over {T} steps, for the original input and with x_1 nudged by "
                f"{demo['eps']:g}; the two curves are {eff[0]:.2g} apart at step 1 and "
                + (f"{eff[-1]:.2g}" if np.isfinite(eff[-1]) else "infinitely far (overflow)")
                + f" apart at step {T}. Bottom: the network unrolled over {T} steps, every "
                f"recurrent arrow labelled w = {w:.2f}, directly under the step it feeds.")
