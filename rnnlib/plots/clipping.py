r"""Figures for notebook 04 (gradient clipping).

The loss surface of the cliff is drawn in shades of grey (white = low loss), so that the two
descent paths can keep the course's colours: without clipping vermillion, solid, circles; with
clipping blue, dashed, squares. Functions ending in ``_figure`` return ``(fig, alt)``; ``draw_*``
functions draw onto given axes and are shared with :mod:`rnnlib.widgets.clipping`.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import MaxNLocator

from .gradients import log_ticks
from .live import LivePlot
from .style import PALETTE, grid_figure, new_figure

RAW = {"color": PALETTE["vermillion"], "linestyle": "-", "marker": "o"}
CLIPPED = {"color": PALETTE["blue"], "linestyle": "--", "marker": "s"}
#: on the cliff the two paths share their first steps: the unclipped one is drawn wider, below
RAW_PATH = dict(RAW, lw=3.4, markersize=6.5, zorder=3)
CLIPPED_PATH = dict(CLIPPED, lw=1.6, markersize=3.5, zorder=4)
METHOD_STYLE = {
    "raw": {"color": PALETTE["black"], "hatch": None},
    "global": {"color": PALETTE["blue"], "hatch": None},
    "per_param": {"color": PALETTE["orange"], "hatch": "//"},
    "value": {"color": PALETTE["green"], "hatch": ".."},
}
#: the surface's grey scale: white (low loss) to mid grey (the highest loss on the grid)
SURFACE_CMAP = "Greys"


# ---------------------------------------------------------------------------------------------
# Three clippings


def draw_toy(ax, toy):
    """A 2-D gradient, its norm-clipped and value-clipped versions, the circle ||g|| = mu and the
    square |g_i| <= c."""
    mu = toy["threshold"]
    ax.add_patch(Circle((0, 0), mu, fill=False, color=PALETTE["blue"], linestyle="--", lw=1.2))
    ax.add_patch(
        Rectangle(
            (-mu, -mu), 2 * mu, 2 * mu, fill=False, color=PALETTE["green"], linestyle=":", lw=1.5
        )
    )
    arrows = [
        (
            toy["raw"],
            PALETTE["black"],
            "-",
            1.5,
            2,
            f"raw ∇L = ({toy['raw'][0]:g}, {toy['raw'][1]:g})",
        ),
        (
            toy["global"],
            PALETTE["blue"],
            "-",
            3.5,
            3,
            f"norm-clipped ({toy['global'][0]:.2f}, {toy['global'][1]:.2f}): "
            f"turned {toy['angle']['global']:.1f}°",
        ),
        (
            toy["value"],
            PALETTE["green"],
            "--",
            2.5,
            3,
            f"value-clipped ({toy['value'][0]:.0f}, {toy['value'][1]:.0f}): "
            f"turned {toy['angle']['value']:.1f}°",
        ),
    ]
    for v, color, ls, lw, z, label in arrows:
        ax.annotate(
            "",
            xy=(v[0], v[1]),
            xytext=(0, 0),
            zorder=z,
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "lw": lw,
                "linestyle": ls,
                "shrinkA": 0,
                "shrinkB": 0,
            },
        )
        ax.plot([], [], color=color, linestyle=ls, lw=lw, label=label)
    ax.plot(
        [], [], color=PALETTE["blue"], linestyle="--", lw=1.2, label=f"circle ‖∇L‖ = μ = {mu:g}"
    )
    ax.plot(
        [], [], color=PALETTE["green"], linestyle=":", lw=1.5, label=f"square |(∇L)ᵢ| ≤ c = {mu:g}"
    )
    ax.set_xlim(-0.4 * mu, max(abs(toy["raw"])) * 1.08)
    ax.set_ylim(-0.4 * mu, 1.25 * mu)
    ax.set_aspect("equal")
    ax.set_xlabel("first entry of ∇L, ∂L/∂θ₁")
    ax.set_ylabel("second entry, ∂L/∂θ₂")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1)


def draw_param_norms(ax, comparison):
    """Grouped bars: each parameter's gradient norm, raw and after each clipping (log scale)."""
    names = list(comparison["raw_param_norms"])
    series = [("raw", f"raw: ‖∇L‖ = {comparison['raw_norm']:.0f}", comparison["raw_param_norms"])]
    for key, m in comparison["methods"].items():
        series.append(
            (
                key,
                f"{m['label']}: ‖∇L‖ = {m['norm']:.3g}, cos = {m['cosine']:.3f}",
                m["param_norms"],
            )
        )
    values = [np.array([norms[n] for n in names]) for _, _, norms in series]
    lo, _ = log_ticks(ax, values + [[comparison["threshold"]]], pad=0.3)
    x = np.arange(len(names))
    width = 0.8 / len(series)
    for k, ((key, label, _), v) in enumerate(zip(series, values)):
        st = METHOD_STYLE[key]
        ax.bar(
            x + (k - (len(series) - 1) / 2) * width,
            v - lo,
            width,
            bottom=lo,
            label=label,
            color=st["color"],
            hatch=st["hatch"],
            edgecolor="white" if st["hatch"] else st["color"],
            linewidth=0,
        )
    ax.axhline(
        comparison["threshold"],
        color="0.3",
        linestyle=":",
        lw=1.5,
        label=f"the threshold, {comparison['threshold']:g}",
    )
    ax.set_xticks(x, [n.replace("rnn.", "").replace("out.", "out.") for n in names], fontsize=9)
    ax.set_ylabel("gradient norm of the parameter")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2)


def clipping_figure(toy, comparison):
    fig, (ax, ax2) = grid_figure(
        1, 2, width=12.0, height=5.2, spans=[(0, 0), (0, 1)], width_ratios=[1, 1.45]
    )
    draw_toy(ax, toy)
    ax.set_title(f"A 2-D gradient clipped at μ = c = {toy['threshold']:g}", fontsize=11)
    draw_param_norms(ax2, comparison)
    ax2.set_title(
        f"A real RNN gradient clipped three ways at {comparison['threshold']:g}", fontsize=11
    )
    m = comparison["methods"]
    alt = (
        "Left: an arrow for the gradient (6, 1), the shorter arrow of the same direction that "
        "norm clipping gives, and the arrow (2, 1) of value clipping, which points in a new "
        f"direction, {toy['angle']['value']:.1f} degrees away. Right: bars of each parameter's "
        f"gradient norm, on a log scale, before clipping (total {comparison['raw_norm']:.0f}) and "
        f"after global-norm clipping (total {m['global']['norm']:.2f}, cosine "
        f"{m['global']['cosine']:.3f}), per-parameter clipping (every parameter at "
        f"{comparison['threshold']:g}, cosine {m['per_param']['cosine']:.3f}) and value clipping "
        f"(total {m['value']['norm']:.1f}, cosine {m['value']['cosine']:.3f})."
    )
    return fig, alt


# ---------------------------------------------------------------------------------------------
# The cliff


_RGBA_CACHE = {}


def surface_image(surface, floor=1e-3):
    """The loss grid coloured once: an (n_b, n_w, 4) uint8 grey image on a log scale, white at
    ``floor`` and below, mid grey at the grid's highest loss. Cached per surface, so a widget
    redraw only pastes the picture (colouring it each time would cost more than the rest of
    the figure)."""
    loss = surface["loss"]
    hit = _RGBA_CACHE.get(id(loss))
    if hit is not None and hit[0] is loss and hit[1] == floor:
        return hit[2]
    top = float(loss.max())
    vmax = floor * (top / floor) ** (1 / 0.6)  # the highest loss at 60 % of the grey ramp
    rgba = colormaps[SURFACE_CMAP](LogNorm(floor, vmax)(np.maximum(loss, floor)), bytes=True)
    rgba.setflags(write=False)
    if len(_RGBA_CACHE) > 8:
        _RGBA_CACHE.clear()
    _RGBA_CACHE[id(loss)] = (loss, floor, rgba)
    return rgba


def draw_surface(ax, surface, floor=1e-3):
    """The loss over (w, b) as a grey image on a log scale: white = low."""
    w, b = surface["w"], surface["b"]
    return ax.imshow(
        surface_image(surface, floor),
        origin="lower",
        extent=[w[0], w[-1], b[0], b[-1]],
        aspect="auto",
        interpolation="nearest",
    )


def _path_in_box(path, box):
    """What :func:`draw_path` draws of ``path``: the points up to the first one outside ``box``
    = (w0, w1, b0, b1) and, if it leaves, where its line crosses the frame, that first point
    outside, and where the note about it goes: ``(shown, None)`` or ``(shown, (edge, z,
    xytext, ha))``."""
    pts = path["points"]
    w0, w1, b0, b1 = box
    inside = (pts[:, 0] >= w0) & (pts[:, 0] <= w1) & (pts[:, 1] >= b0) & (pts[:, 1] <= b1)
    out = np.flatnonzero(~inside)
    shown = pts[: int(out[0]) + 1] if out.size else pts
    if not out.size:
        return shown, None
    a, z = shown[-2], shown[-1]  # the segment that leaves the box
    d = z - a
    scale = min(
        [
            ((w1 if d[0] > 0 else w0) - a[0]) / d[0] if d[0] else np.inf,
            ((b1 if d[1] > 0 else b0) - a[1]) / d[1] if d[1] else np.inf,
        ]
    )
    edge = a + d * scale  # where the line crosses the frame
    right, top = edge[0] > (w0 + w1) / 2, edge[1] > (b0 + b1) / 2
    return shown, (edge, z, (-6 if right else 6, -14 if top else 14), "right" if right else "left")


def _markevery_path(n):
    return 1 if n <= 45 else max(1, n // 40)


def _thrown_note(z):
    return f"thrown to w = {z[0]:.3g}, b = {z[1]:.3g}"


def draw_path(ax, path, style, label, box):
    """A descent path; where it leaves ``box`` = (w0, w1, b0, b1) the line runs to the edge and a
    note says where the path went. Returns the first point outside (or None)."""
    shown, thrown = _path_in_box(path, box)
    ax.plot(
        shown[:, 0],
        shown[:, 1],
        color=style["color"],
        linestyle=style["linestyle"],
        marker=style["marker"],
        markersize=style.get("markersize", 4),
        lw=style.get("lw", 1.8),
        zorder=style.get("zorder", 3),
        label=label,
        clip_on=True,
        markevery=_markevery_path(len(shown)),
    )
    ax.plot(
        *path["points"][0], marker="*", color="black", markersize=13, linestyle="none", zorder=5
    )
    if thrown is None:
        return None
    edge, z, xytext, ha = thrown
    ax.annotate(
        _thrown_note(z),
        xy=edge,
        xytext=xytext,
        textcoords="offset points",
        fontsize=9,
        color=style["color"],
        ha=ha,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5},
    )
    return z


def cliff_box(surface):
    return (surface["w"][0], surface["w"][-1], surface["b"][0], surface["b"][-1])


def draw_cliff(ax, surface, raw_path, clipped_path):
    draw_surface(ax, surface)
    box = cliff_box(surface)
    draw_path(ax, raw_path, RAW_PATH, "no clipping", box)
    draw_path(ax, clipped_path, CLIPPED_PATH, f"clipped at ‖g‖ ≤ {clipped_path['max_norm']:g}", box)
    ax.set_xlim(box[0], box[1])
    ax.set_ylim(box[2], box[3])
    ax.set_xlabel("recurrent weight w")
    ax.set_ylabel("bias b")
    ax.legend(loc="lower left", fontsize=9, framealpha=0.95)


def cliff_alt(surface, raw_path, clipped_path):
    raw_end, clip_end = raw_path["points"][-1], clipped_path["points"][-1]
    return (
        f"Grey-scale map of the loss of a one-unit tanh RNN over the recurrent weight w and the "
        f"bias b: a white low region above a sharp diagonal wall and a grey high plateau below "
        f"it. Starting at the star, gradient descent with learning rate {raw_path['lr']:g} "
        f"without clipping runs down to the wall, meets a gradient of norm "
        f"{raw_path['norms'].max():.0f} and jumps {raw_path['biggest_step']:.3g} units in one "
        f"step, ending at w = {raw_end[0]:.3g}, b = {raw_end[1]:.3g} with loss "
        f"{raw_path['losses'][-1]:.3f}; with clipping at norm {clipped_path['max_norm']:g} "
        f"no step is longer than {clipped_path['biggest_step']:.3g} and it ends at "
        f"w = {clip_end[0]:.3g}, b = {clip_end[1]:.3g} with loss "
        f"{clipped_path['losses'][-1]:.3g}."
    )


def cliff_figure(surface, raw_path, clipped_path, section):
    """Left: the surface with both paths. Right: loss and |dL/db| along w = section['w']."""
    fig, (ax, ax_l, ax_g) = grid_figure(
        2,
        2,
        width=11.5,
        height=5.0,
        spans=[(slice(None), 0), (0, 1), (1, 1)],
        width_ratios=[1.25, 1],
    )
    draw_cliff(ax, surface, raw_path, clipped_path)
    ax.axvline(section["w"], color="0.35", lw=1, linestyle=(0, (2, 2)))
    ax.set_title(
        f"Loss (h_T − {surface['target']:g})², T = {surface['T']}: white = low", fontsize=11
    )
    b = section["b"]
    ax_l.plot(b, section["loss"], color=PALETTE["black"])
    ax_l.set_ylabel("loss")
    ax_l.set_title(f"Along the dashed line w = {section['w']:g}", fontsize=11)
    ax_l.tick_params(labelbottom=False)
    ax_g.plot(b, section["grad_b"], color=PALETTE["vermillion"])
    log_ticks(ax_g, [section["grad_b"]], max_ticks=5)
    ax_g.set_ylabel("|∂L/∂b|")
    ax_g.set_xlabel("bias b")
    for a in (ax_l, ax_g):
        a.axvline(section["b_steepest"], color="0.35", lw=1, linestyle=(0, (2, 2)))
        a.set_xlim(b[0], b[-1])
    alt = (
        cliff_alt(surface, raw_path, clipped_path) + f" Right: along w = {section['w']:g} the "
        f"loss steps from near 0 to about {section['loss'].max():.1f} as b decreases through "
        f"{section['b_steepest']:.3f}, where the gradient peaks at {section['steepest']:.0f}."
    )
    return fig, alt


# ---------------------------------------------------------------------------------------------
# Training with and without clipping


def _capped_log_axis(ax, values, cap):
    """Log axis over the finite values up to ``cap``; larger values run off the top edge."""
    v = np.concatenate([np.ravel(a) for a in values])
    v = v[np.isfinite(v) & (v > 0) & (v <= cap)]
    return log_ticks(ax, [v, [cap]], max_ticks=6, pad=0.2)


def training_figure(raw_run, clipped_run, loss_cap=1e3, norm_cap=1e4):
    """Left: training loss of both runs (log); right: gradient norms before clipping (log).
    Values above ``loss_cap`` / ``norm_cap`` run off the top of the plot (the explosion reaches
    far beyond anything else); the largest one is written at the edge."""
    fig, (ax, ax2) = new_figure(ncols=2, width=11.5, height=4.0)
    steps = np.arange(raw_run["steps"])
    mu = clipped_run["max_norm"]
    d = raw_run["diverged_at"]
    for run, style, label in (
        (raw_run, RAW, "no clipping"),
        (clipped_run, CLIPPED, f"clipped at ‖∇L‖ ≤ {mu:g}"),
    ):
        line = dict(color=style["color"], linestyle=style["linestyle"],
                    marker=style["marker"], markevery=25, markersize=4, label=label)
        ax.plot(steps, run["losses"], **line)
        ax2.plot(steps, run["norms"], **line)
    _capped_log_axis(
        ax, [raw_run["losses"], clipped_run["losses"], [raw_run["baseline"]]], loss_cap
    )
    _capped_log_axis(ax2, [raw_run["norms"], clipped_run["norms"], [mu]], norm_cap)
    ax.axhline(
        raw_run["baseline"],
        color="0.3",
        linestyle=":",
        lw=1.2,
        label=f"tomorrow = today: {raw_run['baseline']:.3f}",
    )
    edge = ax.get_xaxis_transform()
    if d is not None:
        for a in (ax, ax2):
            a.axvline(d, color=PALETTE["vermillion"], lw=1, linestyle=(0, (1, 2)))
        ax.plot(d, 0.93, transform=edge, marker="X", color=PALETTE["vermillion"], markersize=11)
        top_loss, top_norm = np.nanmax(raw_run["losses"]), np.nanmax(raw_run["norms"])
        ax.text(
            d + 6,
            0.95,
            f"diverged at step {d}: inf in the hidden state\n"
            f"(the loss reached {top_loss:.1e} just before)",
            transform=edge,
            fontsize=9,
            color=PALETTE["vermillion"],
            va="top",
        )
        ax2.text(
            d + 6,
            0.95,
            f"off the scale: up to {top_norm:.1e}",
            fontsize=9,
            va="top",
            transform=ax2.get_xaxis_transform(),
            color=PALETTE["vermillion"],
        )
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (MSE, log scale)")
    ax.set_title(
        f"SGD, learning rate {raw_run['lr']:g}, momentum {raw_run['momentum']:g}", fontsize=11
    )
    ax.legend(fontsize=9, loc="center right")
    ax2.axhline(mu, color=PALETTE["blue"], lw=1, linestyle=":")
    ax2.text(
        steps[-1], mu * 1.6, f"threshold μ = {mu:g}", ha="right", fontsize=9, color=PALETTE["blue"]
    )
    ax2.set_xlabel("training step")
    ax2.set_ylabel("‖∇L‖ before clipping (log scale)")
    ax2.set_title("Gradient norm at every step", fontsize=11)
    ax2.legend(fontsize=9, loc="center right")
    for a in (ax, ax2):
        a.xaxis.set_major_locator(MaxNLocator(6, integer=True))
        a.set_xlim(-3, raw_run["steps"] + 3)
    # the alt text is saved with the notebook and compared by its tests on other machines: it
    # states what holds on every machine, not the exact numbers of a clipping run
    where = "below" if clipped_run["losses"][-1] < raw_run["baseline"] else "above"
    alt = (
        f"Two log-scale panels over {raw_run['steps']} training steps. Left: the training loss "
        f"without clipping shoots off the top of the plot within a few steps and the run stops "
        f"at step {d}, where the hidden state overflowed to inf; with clipping the loss falls "
        f"{where} the tomorrow-equals-today baseline of {raw_run['baseline']:.3f}. Right: the "
        f"gradient norms; without clipping they grow by many orders of magnitude within a few "
        f"steps, with clipping the early spikes are cut to the threshold {mu:g} and later "
        f"norms mostly stay near or below it."
    )
    return fig, alt


# ---------------------------------------------------------------------------------------------
# What clipping bounds: SGD, momentum, Adam

SGD_STYLE = {"color": PALETTE["blue"], "linestyle": "-", "marker": "o"}
MOMENTUM_STYLE = {"color": PALETTE["orange"], "linestyle": "--", "marker": "s"}
ADAM_STYLES = [
    {"color": PALETTE["vermillion"], "linestyle": "-", "marker": "^"},
    {"color": PALETTE["green"], "linestyle": "--", "marker": "D"},
    {"color": PALETTE["black"], "linestyle": ":", "marker": "x"},
]


def step_size_figure(runs):
    """Left: the length of every update, ||Δθ||, of plain SGD and SGD with momentum under the
    same norm clipping, with the bounds lr·μ and lr·μ/(1 − β). Right: Adam's largest move of a
    single weight, max_i |Δθ_i| / lr, for several thresholds.

    Args:
        runs: the dict of :func:`rnnlib.demos.clipping.step_size_runs`.
    """
    fig, (ax, ax2) = new_figure(ncols=2, width=11.5, height=4.0)
    mu, beta, lr = runs["max_norm"], runs["beta"], runs["lr_sgd"]
    n = runs["sgd"]["steps"]
    steps = np.arange(1, n + 1)
    every = max(1, n // 12)
    for key, style, label in (
        ("sgd", SGD_STYLE, "plain SGD"),
        ("momentum", MOMENTUM_STYLE, f"SGD, momentum β = {beta:g}"),
    ):
        ax.plot(steps, runs[key]["step_norms"], markevery=every, markersize=4, label=label, **style)
    ax.axhline(runs["sgd_bound"], color=PALETTE["blue"], linestyle=":", lw=1.3)
    ax.axhline(runs["momentum_bound"], color=PALETTE["orange"], linestyle=":", lw=1.3)
    log_ticks(
        ax,
        [runs["sgd"]["step_norms"], runs["momentum"]["step_norms"], [runs["momentum_bound"]]],
        max_ticks=6,
        pad=0.3,
    )
    for value, text, color in (
        (runs["sgd_bound"], f"lr·μ = {runs['sgd_bound']:g}", "blue"),
        (runs["momentum_bound"], f"lr·μ / (1 − β) = {runs['momentum_bound']:g}", "orange"),
    ):
        ax.text(n, value * 1.15, text, ha="right", va="bottom", fontsize=9, color=PALETTE[color])
    ax.set_xlabel("update")
    ax.set_ylabel("step length ‖Δθ‖ (log scale)")
    ax.set_title(f"Clipped at μ = {mu:g}, learning rate {lr:g}", fontsize=11)
    ax.legend(fontsize=9, loc="lower left")

    lr_adam = runs["lr_adam"]
    for (threshold, run), style in zip(runs["adam"].items(), ADAM_STYLES):
        label = "no clipping" if threshold is None else f"clipped at μ = {threshold:g}"
        ax2.plot(
            steps, run["step_max"] / lr_adam, markevery=every, markersize=4, label=label, **style
        )
    ax2.axhline(1.0, color="0.3", linestyle=":", lw=1.3)
    ax2.text(n, 1.03, "one learning rate", ha="right", va="bottom", fontsize=9, color="0.3")
    ax2.set_ylim(0, 1.35)
    ax2.set_xlabel("update")
    ax2.set_ylabel("largest move of one weight / lr")
    ax2.set_title(f"Adam, learning rate {lr_adam:g}: steps set by lr, not by μ", fontsize=11)
    ax2.legend(fontsize=9, loc="lower left")
    for a in (ax, ax2):
        a.xaxis.set_major_locator(MaxNLocator(6, integer=True))
    alt = (
        f"Two panels over {n} updates of the river forecaster, all with norm clipping. Left, "
        f"log scale: the length of every step of plain SGD never exceeds learning rate times "
        f"threshold, {runs['sgd_bound']:g}; with momentum {beta:g} the steps are longer than "
        f"that early on, and stay below learning rate times threshold divided by one minus "
        f"the momentum, {runs['momentum_bound']:g}. Right: for Adam, the largest move of a "
        f"single weight, divided by the learning rate, stays near or below 1 for every "
        f"threshold and without clipping: the threshold does not set Adam's step size."
    )
    return fig, alt


class CliffPlot(LivePlot):
    """The cliff widget's figure (notebook 04): :func:`draw_cliff` with a title. The two paths,
    their notes and the title move over the surface, drawn once."""

    def build(self, result, max_norm, lr):
        fig, ax = new_figure(width=7.0, height=3.7, layout="none")
        fig.subplots_adjust(left=0.1, right=0.98, bottom=0.14, top=0.92)
        draw_cliff(ax, result["surface"], result["raw"], result["clipped"])
        for note in list(ax.texts):  # the notes are made below, to move
            note.remove()
        self.ax, self.box = ax, cliff_box(result["surface"])
        self.raw, self.clipped = ax.lines[0], ax.lines[2]
        self.notes = [
            ax.annotate(
                "",
                xy=(0, 0),
                xytext=(0, 0),
                textcoords="offset points",
                fontsize=9,
                color=style["color"],
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5},
            )
            for style in (RAW_PATH, CLIPPED_PATH)
        ]
        self.title = ax.set_title(" ", fontsize=11)
        stars = ax.lines[1], ax.lines[3]  # the start, above the paths
        self.moving(self.raw, self.clipped, *stars, *self.notes, self.title)
        # The legend names the threshold: drawn on the frames where the threshold changed,
        # part of the background (and kept above the paths) otherwise.
        legend = ax.get_legend()
        self.legend_label = legend.get_texts()[1]
        self.follows(legend, state=self.legend_label.get_text)
        self.on_top(legend)
        return fig

    def update(self, result, max_norm, lr):
        for line, note, path in zip(
            (self.raw, self.clipped), self.notes, (result["raw"], result["clipped"])
        ):
            shown, thrown = _path_in_box(path, self.box)
            line.set_data(shown[:, 0], shown[:, 1])
            line.set_markevery(_markevery_path(len(shown)))
            note.set_visible(thrown is not None)
            if thrown is not None:
                edge, z, xytext, ha = thrown
                note.set_text(_thrown_note(z))
                note.xy = tuple(edge)
                note.set_position(xytext)
                note.set_horizontalalignment(ha)
        label = f"clipped at ‖g‖ ≤ {result['clipped']['max_norm']:g}"
        self.clipped.set_label(label)
        self.legend_label.set_text(label)
        self.title.set_text(f"η = {lr:.3g}, μ = {max_norm:.3g} (white: low loss)")
        return cliff_alt(result["surface"], result["raw"], result["clipped"])
