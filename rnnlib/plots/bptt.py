r"""Figures for notebook 02 (backpropagation through time).

* :func:`bptt_graph_figure`: the unrolled network with the backward pass drawn on it, for
  one-to-one, many-to-one and many-to-many losses.
* :func:`contributions_figure`: what each time step adds to the shared W_hh's gradient.
* :func:`draw_gradient_heatmap`: ||dL_i/dh_t|| for every loss step i and step t; the widget's
  figure is :class:`LossPlacementPlot`.
* :func:`truncation_figure`: how far truncated BPTT's gradient is from the full one.

Functions ending in ``_figure`` return ``(fig, alt)``.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.patches import FancyArrowPatch

from ._text import plain_log_ticks, power_of_ten, sub, text_ticks
from .live import LivePlot
from .style import PALETTE, grid_figure, new_figure
from .unfolding import draw_unrolled, finish_diagram

GRAD_COLOR = PALETTE["vermillion"]


# ---------------------------------------------------------------------------------------------
# The backward pass drawn on the unrolled graph


def _draw_backward(ax, T, loss_steps, math=True):
    """Gradient arrows (vermillion, dashed): from each loss down into its h_i, and from every
    h_{t+1} back to h_t below the chain, labelled delta_t."""
    dx = 1.6
    last = max(loss_steps) if loss_steps else 0
    for i in loss_steps:
        x = dx * i
        ax.add_patch(FancyArrowPatch((x + 0.42, 1.1), (x + 0.42, 0.2), arrowstyle="-|>",
                                     mutation_scale=12, color=GRAD_COLOR, linestyle="--", lw=1.8))
        ax.text(x + 0.5, 1.45, f"L{i}".translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
                if not math else rf"$L_{{{i}}}$", ha="left", va="center", color=GRAD_COLOR,
                fontsize=11)
    for t in range(1, last):                     # delta flows back only from the last loss
        x = dx * t
        ax.add_patch(FancyArrowPatch((x + dx - 0.15, -0.42), (x + 0.15, -0.42),
                                     arrowstyle="-|>", mutation_scale=12, color=GRAD_COLOR,
                                     linestyle="--", lw=1.8))
    for t in range(1, last + 1):
        ax.text(dx * t + 0.3, -0.5, rf"$\delta_{{{t}}}$" if math else sub("δ", t),
                ha="left", va="top", color=GRAD_COLOR, fontsize=10)


def bptt_graph_figure():
    """One-to-one, many-to-one and many-to-many losses on the unrolled graph, with the
    gradient's path drawn backwards."""
    cases = [("one-to-one (T = 1)", 1, "last", [1]),
             ("many-to-one: a loss at the last step", 4, "last", [4]),
             ("many-to-many: a loss at every step", 4, True, [1, 2, 3, 4])]
    fig, axes = grid_figure(1, 3, width=12.5, height=3.4, width_ratios=[1.5, 4.4, 4.4])
    for ax, (title, T, outputs, losses) in zip(axes, cases, strict=False):
        draw_unrolled(ax, T, outputs=outputs, fontsize=10, xh_label="", hy_label="",
                      show_h0=T > 1)
        _draw_backward(ax, T, losses)
        finish_diagram(ax, -0.5 if T > 1 else 0.25, 1.6 * T + 1.1, -1.75, 1.75)  # same scale
        ax.set_title(title, fontsize=11)
    alt = ("Three unrolled networks with the backward pass drawn in dashed red arrows. One-to-one: "
           "a single step and no recurrent weight in use; the loss flows from the output into "
           "h_1. Many-to-one: four steps, only "
           "the last has an output and a loss; the gradient enters at h_4 and flows back along "
           "the chain to h_1. Many-to-many: four steps, each with its own loss; every loss enters "
           "at its own step and all of them flow back along the same chain, so delta_t collects "
           "the losses of step t and of every later step.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# What each step adds to the shared weight's gradient


def contributions_figure(norms_zero, norms_nonzero, name="W_hh"):
    """Bars on a log scale: the size of each step's term in dL/dW_hh, with h_0 = 0 and with
    h_0 != 0; exact zeros are marked with an x on the bottom edge.

    Args:
        norms_zero, norms_nonzero: (T,) norms of the per-step terms."""
    norms_zero, norms_nonzero = np.asarray(norms_zero, float), np.asarray(norms_nonzero, float)
    T = len(norms_zero)
    steps = np.arange(1, T + 1)
    positive = np.concatenate([norms_zero, norms_nonzero])
    positive = positive[positive > 0]
    lo = int(np.floor(np.log10(positive.min()))) - 1 if positive.size else -3
    hi = int(np.ceil(np.log10(positive.max()))) if positive.size else 0
    floor = 10.0 ** lo
    fig, ax = new_figure(width=8.5, height=3.6)
    ax.bar(steps - 0.2, np.where(norms_zero > 0, norms_zero, np.nan), width=0.4, bottom=0,
           color=PALETTE["blue"], label="h₀ = 0")
    ax.bar(steps + 0.2, np.where(norms_nonzero > 0, norms_nonzero, np.nan), width=0.4,
           color=PALETTE["orange"], hatch="//", edgecolor="black", linewidth=0.5,
           label="h₀ ≠ 0")
    for norms, shift in ((norms_zero, -0.2), (norms_nonzero, 0.2)):
        zero = np.flatnonzero(norms == 0)
        if zero.size:
            ax.plot(steps[zero] + shift, np.full(zero.size, floor * 1.3), "x", color="black",
                    ms=10, mew=2, label="exactly 0")
    ax.set_yscale("log")
    ax.set_ylim(floor, 10.0 ** hi * 1.5)
    plain_log_ticks(ax, lo, hi)
    ax.set_xticks(steps)
    ax.set_xlabel("time step t")
    ax.set_ylabel("size of the step's term (log)")
    ax.set_title(f"Each step's term in ∂L/∂{name} (a loss at the last step only)")
    ax.legend(loc="upper left")
    alt = (f"Grouped bars over steps 1 to {T} on a log scale: the size of each step's term in the "
           f"gradient of the shared {name}, growing towards the loss at step {T}. With h_0 = 0 the "
           f"term of step 1 is exactly zero (marked x), so {int(np.sum(norms_zero > 0))} terms "
           f"count; with a non-zero h_0 all {int(np.sum(norms_nonzero > 0))} are positive.")
    return fig, alt


# ---------------------------------------------------------------------------------------------
# The widget's heat map: which loss reaches which step


HEAT_VMIN, HEAT_VMAX = -6.0, 1.0
_VIRIDIS = colormaps["viridis"]
_GREY = np.array([0.9, 0.9, 0.9, 1.0])                  # no path from loss i to step t
_WHITE = np.array([1.0, 1.0, 1.0, 1.0])


def draw_gradient_heatmap(ax, norms, totals, loss_steps, k=None, cax=None):
    """Heat map of log10 ||dL_i/dh_t||: one row per loss step i, one column per step t, and a
    last row with delta_t = sum over i (its norm).

    Args:
        norms: (T, T) array, entry [i, t] (0-based) = ||dL_{i+1}/dh_{t+1}||.
        totals: (T,) ||delta_t||.
        loss_steps: 1-based steps that carry a loss (other rows are left blank).
        k: truncation length (None or >= T: full BPTT); truncated zeros get an x.
        cax: axes for the colour scale (None: none).

    Grey cells have no path (t > i: h_t comes after the output it would have to change);
    x marks cells that a path exists for but truncation cut. Drawn as one RGBA image with
    plain-text labels (no ticks, no colorbar machinery): the widget redraws it on every click.
    """
    T = len(totals)
    losses = set(loss_steps)
    ax.imshow(heatmap_rgba(norms, totals, loss_steps), aspect="auto", interpolation="nearest",
              extent=(0.5, T + 0.5, T + 2.5, 0.5))
    bounds, cut_t, cut_i = truncation_marks(T, loss_steps, k)
    if bounds:
        ax.vlines(bounds, 0.5, T + 0.5, color="black", lw=1.5)
    if cut_t:
        ax.plot(cut_t, cut_i, "x", color="black", ms=6, mew=1.5)
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(T + 2.5, 0.5)
    text_ticks(ax, "x", range(1, T + 1), [str(t) for t in range(1, T + 1)], grid=False)
    rows = sorted(losses)
    text_ticks(ax, "y", rows + [T + 2], [sub("L", i) for i in rows] + ["δₜ (sum)"], grid=False)
    ax.set_xlabel("gradient reaching hₜ, step t", labelpad=16)
    ax.set_ylabel("from the loss at step i", labelpad=46)
    ax.grid(False)
    if cax is not None:                                  # a colour strip with three labels
        strip = _VIRIDIS(np.linspace(1, 0, 64))[:, None, :]
        cax.imshow(strip, aspect="auto", extent=(0, 1, HEAT_VMIN, HEAT_VMAX))
        cax.set_xticks([])
        cax.grid(False)
        text_ticks(cax, "y", [HEAT_VMAX - 1, -3.0, HEAT_VMIN],
                   [power_of_ten(0), power_of_ten(-3), "≤ " + power_of_ten(HEAT_VMIN)],
                   grid=False, pad=-1.25)
        for text in cax.texts:
            text.set_horizontalalignment("left")
        cax.set_ylabel("size of the gradient (log scale)", labelpad=36)
        cax.yaxis.set_label_position("right")
        cax.set_ylim(HEAT_VMIN, HEAT_VMAX)


def heatmap_rgba(norms, totals, loss_steps):
    """The colours of :func:`draw_gradient_heatmap`'s cells: (T + 2, T, 4), the loss rows, a
    spacer and the delta_t row."""
    T = len(totals)
    losses = set(loss_steps)
    logs = np.full((T + 2, T), np.nan)                   # T loss rows, a spacer, the total row
    with np.errstate(divide="ignore"):
        logs[:T] = np.where(norms > 0, np.log10(np.maximum(norms, 1e-300)), np.nan)
        logs[T + 1] = np.where(totals > 0, np.log10(np.maximum(totals, 1e-300)), np.nan)
    scaled = np.clip((logs - HEAT_VMIN) / (HEAT_VMAX - HEAT_VMIN), 0.0, 1.0)
    rgba = _VIRIDIS(np.nan_to_num(scaled))
    rgba[np.isnan(logs)] = _GREY                         # no gradient at all: grey
    for i in range(T):
        if i + 1 not in losses:
            rgba[i] = _WHITE                             # no loss at this step: blank row
    rgba[T] = _WHITE                                     # spacer
    return rgba


def truncation_marks(T, loss_steps, k):
    """Where truncation at ``k`` shows in the heat map: the chunk boundaries (x positions) and
    the (t, i) cells it cuts, as ``(bounds, cut_t, cut_i)``; empty for full BPTT."""
    bounds, cut_i, cut_t = [], [], []
    if k is not None and k < T:
        for i in range(T):
            if i + 1 in set(loss_steps):
                start = (i // k) * k                     # first step (0-based) of i's chunk
                cut_t += list(range(1, start + 1))
                cut_i += [i + 1] * start
        bounds = [b + 0.5 for b in range(k, T, k)]
    return bounds, cut_t, cut_i


def heatmap_alt(norms, totals, loss_steps, k):
    T = len(totals)
    chosen = ", ".join(str(i) for i in sorted(loss_steps)) or "none"
    trunc = ("full BPTT" if k is None or k >= T else
             f"truncated BPTT with chunks of k = {k} steps (vertical lines), cut cells marked x")
    first = f"{totals[0]:.2g}" if len(totals) else "0"
    return (f"Heat map over {T} steps, {trunc}. Rows: the losses at steps {chosen}; columns: "
            f"the step t the gradient reaches; colour: the size of dL_i/dh_t on a log scale, "
            f"brightest on the diagonal and fading to the left; cells right of the diagonal are "
            f"grey because h_t cannot change an earlier output. The bottom row is delta_t, the "
            f"sum over losses; its size at step 1 is {first}.")


# ---------------------------------------------------------------------------------------------
# Truncated BPTT: the bias


def truncation_figure(ks, errors, T):
    """Relative distance between truncated and full BPTT gradients against k (log scale); the
    exact zero at k = T is drawn at the bottom edge with an x."""
    fig, ax = new_figure(width=8.5, height=3.6)
    floor = 1e-4
    markers = {"rnn.weight_hh": ("o", "W_hh"), "rnn.weight_ih": ("s", "W_xh")}
    for key, err in errors.items():
        marker, label = markers.get(key, ("^", key))
        err = np.asarray(err)
        pos = err > 0
        ax.semilogy(np.asarray(ks)[pos], err[pos], marker=marker, label=f"∂L/∂{label}")
        if (~pos).any():
            ax.plot(np.asarray(ks)[~pos], np.full((~pos).sum(), floor), "x", color="black",
                    ms=10, mew=2)
    ax.annotate(f"k = T = {T}: exactly 0", (T, floor), xytext=(-10, 18),
                textcoords="offset points", ha="right")
    ax.set_ylim(floor / 2, 2)
    plain_log_ticks(ax, -4, 0)
    ax.set_xticks(list(ks))
    ax.set_xlabel("truncation length k (steps)")
    ax.set_ylabel("‖g_k − g_full‖ / ‖g_full‖")
    ax.set_title(f"Truncated BPTT's gradient against the full one (T = {T})")
    ax.legend(loc="upper right")
    below = [e[np.asarray(ks) < T] for e in errors.values()]
    lo = min(float(b.min()) for b in below if b.size) if any(b.size for b in below) else 0.0
    hi = max(float(b.max()) for b in below if b.size) if any(b.size for b in below) else 0.0
    alt = (f"Relative distance between the truncated and the full gradient for k = {ks[0]} to "
           f"{ks[-1]}, on a log scale, for W_hh and W_xh: between {lo:.2g} and {hi:.2g} for every "
           f"k below T, not steadily shrinking as k grows, and exactly zero only at k = T = {T}.")
    return fig, alt


class LossPlacementPlot(LivePlot):
    """The loss-placement widget's figure (notebook 02): :func:`draw_gradient_heatmap` with a
    colour strip and a title. The cells, the truncation marks and the title move; the figure
    is built again when the set of losses (the rows' labels) changes."""

    def structure_key(self, result, rho, k, **losses):
        return tuple(result["loss_steps"])

    def build(self, result, rho, k, **losses):
        fig, (ax, cax) = grid_figure(1, 2, width=8.6, height=4.3, layout="none",
                                     width_ratios=[1, 0.03], left=0.15, right=0.84,
                                     bottom=0.12, top=0.9, wspace=0.04)
        T = len(result["totals"])
        draw_gradient_heatmap(ax, result["norms"], result["totals"], result["loss_steps"],
                              k=None, cax=cax)
        self.T, self.ax = T, ax
        self.cells = self.moving(ax.images[0])
        self.bounds = self.moving(ax.vlines([], 0.5, T + 0.5, color="black", lw=1.5))
        self.cuts = self.moving(ax.plot([], [], "x", color="black", ms=6, mew=1.5)[0])
        self.title = self.moving(ax.set_title(" ", fontsize=11))
        return fig

    def update(self, result, rho, k, **losses):
        T, steps = self.T, result["loss_steps"]
        self.cells.set_data(heatmap_rgba(result["norms"], result["totals"], steps))
        bounds, cut_t, cut_i = truncation_marks(T, steps, k)
        self.bounds.set_segments([[(b, 0.5), (b, T + 0.5)] for b in bounds])
        self.cuts.set_data(cut_t, cut_i)
        how = "full BPTT" if k >= T else f"truncated BPTT, k = {k} (× = cut, exactly 0)"
        self.title.set_text(f"Which loss reaches which step? ρ(W_hh) = {rho:.2f}, {how}")
        return heatmap_alt(result["norms"], result["totals"], steps, k)
