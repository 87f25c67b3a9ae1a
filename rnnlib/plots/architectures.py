"""Figures for notebook 07: the architectures drawn unrolled in time, and their tiny tasks.

``draw_unrolled`` draws any of the explorer's architectures on an axis (inputs at the bottom,
hidden states in the middle, outputs and their losses on top); the other functions put a
diagram beside the result of the task trained for that shape.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle
from matplotlib.ticker import NullFormatter

from .live import LivePlot
from .style import PALETTE, new_figure

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
C_IN, C_HID, C_OUT = PALETTE["blue"], PALETTE["orange"], PALETTE["green"]
C_LOSS = PALETTE["vermillion"]
C_HID2 = PALETTE["purple"]


def _sub(name, t):
    return f"{name}{str(t).translate(_SUB)}"


def _tint(color, alpha=0.22):
    """A light version of ``color`` (as an RGBA tuple) for box faces: black text stays readable."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(color)
    return (1 - alpha * (1 - r), 1 - alpha * (1 - g), 1 - alpha * (1 - b))


class _Canvas:
    """Collects boxes and arrows, then draws them in a few calls (fast enough for a widget):
    one PatchCollection per box style and one quiver per line style."""

    def __init__(self, ax):
        self.ax = ax
        self.patches = {}  # (kind, color) -> list of patches
        self.arrows = []  # (x0, y0, x1, y1, color, dashed)

    def box(self, x, y, label, color, kind="square", size=0.56):
        if kind == "circle":
            patch = Circle((x, y), size / 2)
        elif kind == "round":
            patch = FancyBboxPatch(
                (x - size / 2, y - size / 2), size, size, boxstyle="round,pad=0,rounding_size=0.14"
            )
        else:
            patch = Rectangle((x - size / 2, y - size / 2), size, size)
        self.patches.setdefault((kind, color), []).append(patch)
        self.ax.text(
            x, y, label, ha="center", va="center", fontsize=10 if len(label) <= 3 else 8, zorder=4
        )

    def arrow(self, x0, y0, x1, y1, color="0.25", dashed=False):
        self.arrows.append((x0, y0, x1, y1, color, dashed))

    def flush(self):
        for (_kind, color), patches in self.patches.items():
            self.ax.add_collection(
                PatchCollection(
                    patches, facecolor=_tint(color), edgecolor=color, linewidth=1.8, zorder=3
                ),
                autolim=False,
            )
        if not self.arrows:
            return
        a = np.array([r[:4] for r in self.arrows], dtype=float)
        colors = [r[4] for r in self.arrows]
        self.ax.quiver(
            a[:, 0],
            a[:, 1],
            a[:, 2] - a[:, 0],
            a[:, 3] - a[:, 1],
            angles="xy",
            scale_units="xy",
            scale=1,
            units="dots",
            width=1.8,
            headwidth=4.0,
            headlength=4.5,
            headaxislength=4.0,
            color=colors,
            zorder=2,
        )


def draw_unrolled(ax, kind, T_x, T_y, losses=True, row_labels=None):
    """Draw ``kind`` (see :data:`rnnlib.demos.architectures.ARCHITECTURES`) unrolled in time.

    Inputs are blue squares (bottom), hidden states orange rounded boxes, outputs green circles,
    and each loss term L_t a vermillion label above its output: where the gradient enters.

    Args:
        ax: a matplotlib axis (its limits and aspect are set here).
        kind: the architecture; T_x, T_y: the lengths it uses (as
            :func:`rnnlib.demos.architectures.build_architecture` reports them).
        losses: draw the loss labels.
        row_labels: optional dict row -> text written at the left of the row ("x", "h", "y"
            and, for two hidden rows, "h2").
    """
    cv = _Canvas(ax)
    s = 0.28  # half a box
    y_in, y_h, y_out = 0.0, 1.25, 2.5
    two_rows = kind in ("bidirectional", "stacked")
    if two_rows:
        y_h2, y_out = 2.5, 3.75
    y_loss = y_out + 0.78
    if kind == "encoder-decoder":
        n_cols = T_x + T_y
        for t in range(1, T_x + 1):
            cv.box(t, y_in, _sub("x", t), C_IN)
            cv.box(t, y_h, _sub("e", t), C_HID, "round")
            cv.arrow(t, y_in + s, t, y_h - s)
            if t > 1:
                cv.arrow(t - 1 + s, y_h, t - s, y_h)
        for j in range(1, T_y + 1):
            c = T_x + j
            cv.box(c, y_h, _sub("d", j), C_HID2, "round")
            cv.box(c, y_out, _sub("ŷ", j), C_OUT, "circle")
            cv.arrow(c, y_h + s, c, y_out - s)
            label = "<s>" if j == 1 else _sub("y", j - 1)
            cv.box(c, y_in, label, C_IN)
            cv.arrow(c, y_in + s, c, y_h - s)
            if j > 1:
                cv.arrow(c - 1 + s, y_h, c - s, y_h)
            if losses:
                ax.text(
                    c,
                    y_loss,
                    _sub("L", j),
                    ha="center",
                    va="center",
                    color=C_LOSS,
                    fontsize=10,
                    fontweight="bold",
                )
        cv.arrow(T_x + s, y_h, T_x + 1 - s, y_h, color=C_LOSS)  # the context
        ax.text(
            T_x + 0.5, y_h + 0.42, "context", ha="center", va="bottom", fontsize=9, color=C_LOSS
        )
        ax.axvline(T_x + 0.5, color="0.6", lw=1, ls=":", zorder=1)
        ax.text(
            (1 + T_x) / 2, y_loss, "encoder", ha="center", va="center", fontsize=10, color="0.3"
        )
    else:
        n_cols = T_y if kind == "one-to-many" else T_x
        for t in range(1, n_cols + 1):
            has_input = not (kind == "one-to-many" and t > 1)
            has_output = not (kind in ("many-to-one", "one-to-one") and t < n_cols)
            if has_input:
                cv.box(t, y_in, _sub("x", t), C_IN)
                cv.arrow(t, y_in + s, t, y_h - s)
            cv.box(t, y_h, _sub("h", t), C_HID, "round")
            if t > 1:
                cv.arrow(t - 1 + s, y_h, t - s, y_h)
            top = y_h
            if kind == "stacked":
                cv.box(t, y_h2, _sub("h", t) + "⁽²⁾", C_HID2, "round")
                cv.arrow(t, y_h + s, t, y_h2 - s)
                if t > 1:
                    cv.arrow(t - 1 + s, y_h2, t - s, y_h2)
                top = y_h2
            elif kind == "bidirectional":
                cv.box(t, y_h2, rf"$\overleftarrow{{h}}_{{{t}}}$", C_HID2, "round")
                cv.arrow(t + 0.18, y_in + s, t + 0.18, y_h2 - s, color=C_HID2)
                if t < n_cols:
                    cv.arrow(t + 1 - s, y_h2, t + s, y_h2, color=C_HID2)
                top = y_h2
            if has_output:
                cv.box(t, y_out, _sub("ŷ", t), C_OUT, "circle")
                if kind == "bidirectional":
                    cv.arrow(t - 0.18, y_h + s, t - 0.18, y_out - s)
                    cv.arrow(t, y_h2 + s, t, y_out - s, color=C_HID2)
                else:
                    cv.arrow(t, top + s, t, y_out - s)
                if losses:
                    ax.text(
                        t,
                        y_loss,
                        _sub("L", t),
                        ha="center",
                        va="center",
                        color=C_LOSS,
                        fontsize=10,
                        fontweight="bold",
                    )
        cv.arrow(0.35, y_h, 1 - s, y_h)  # from h_0
        ax.text(0.3, y_h, _sub("h", 0), ha="right", va="center", fontsize=9, color="0.3")
    cv.flush()
    if row_labels:
        ys = {"x": y_in, "h": y_h, "y": y_out}
        if two_rows:
            ys["h2"] = y_h2
        for row, text in row_labels.items():
            ax.text(-0.35, ys[row], text, ha="right", va="center", fontsize=9, color="0.15")
    left = -0.1 if not row_labels else -4.2
    ax.set_xlim(left, n_cols + 0.7)
    ax.set_ylim(y_in - 0.55, y_loss + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")


def _diagram_and_panel(kind, T_x, T_y, title, width=10.0, height=3.4, ratio=(1.0, 1.25)):
    fig, (ax_d, ax_r) = new_figure(
        2, 1, width=width, height=height, gridspec_kw={"width_ratios": ratio}
    )
    draw_unrolled(ax_d, kind, T_x, T_y)
    ax_d.set_title(title, fontsize=11)
    return fig, ax_d, ax_r


# ---------------------------------------------------------------------------------------------
# One figure per shape: the diagram and the trained task


def one_to_one_figure(result):
    """Diagram of T = 1 beside the learned decision map of the circle task."""
    fig, _, ax = _diagram_and_panel(
        "one-to-one", 1, 1, "one-to-one: T_x = T_y = 1", ratio=(0.55, 1.0)
    )
    d = result.data
    g = d["grid"]
    im = ax.contourf(g, g, d["grid_prob"], levels=np.linspace(0, 1, 11), cmap="PuOr_r", alpha=0.85)
    fig.colorbar(im, ax=ax, label="P(inside)")
    x, y = d["x_test"][:300], d["y_test"][:300]
    ax.scatter(x[y == 1, 0], x[y == 1, 1], s=12, marker="o", c="k", label="inside")
    ax.scatter(x[y == 0, 0], x[y == 0, 1], s=14, marker="x", c="k", label="outside")
    theta = np.linspace(0, 2 * np.pi, 200)
    r = np.sqrt(2 / np.pi)
    ax.plot(r * np.cos(theta), r * np.sin(theta), color="k", lw=1.2, ls="--", label="true circle")
    ax.set(
        xlabel="first coordinate x₁[0]",
        ylabel="second coordinate x₁[1]",
        aspect="equal",
        title=f"learned map, test accuracy {result.metrics['test_accuracy']:.1%}",
    )
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    alt = (
        "Left: a one-to-one network, one input, one hidden state, one output. Right: the "
        "probability it gives to 'inside the circle' over the square, with test points; "
        "the learned boundary follows the dashed true circle."
    )
    return fig, alt


def one_to_many_figure(result, n=3):
    """Diagram of one input and T_y outputs beside generated waves against their targets."""
    T_y = result.data["y_test"].shape[0]
    fig, _, ax = _diagram_and_panel(
        "one-to-many", 1, min(T_y, 6), "one-to-many: T_x = 1, T_y > 1 (drawn for T_y = 6)"
    )
    d = result.data
    t = np.arange(1, T_y + 1)
    for k in range(n):
        a, omega = d["v_test"][k]
        (line,) = ax.plot(t, d["y_test"][:, k], lw=1.5, alpha=0.7)
        ax.plot(
            t,
            d["pred"][:, k],
            ls="none",
            marker="os^"[k],
            color=line.get_color(),
            label=f"a = {a:.2f}, ω = {omega:.2f}",
        )
    ax.set(
        xlabel="output step t",
        ylabel="y_t",
        title=f"lines: targets, markers: generated (test RMSE {result.metrics['test_rmse']:.3f})",
    )
    ax.legend(
        fontsize=8, ncol=3, loc="lower center", title="input vector v = (a, ω)", title_fontsize=8
    )
    ax.set_ylim(-1.75, 1.2)
    ax.set_xticks(np.arange(2, T_y + 1, 2))
    alt = (
        "Left: a one-to-many network: one input vector at step 1, an output at every step. "
        "Right: three waves generated from unseen vectors (markers) lie on their target "
        "sine curves (lines)."
    )
    return fig, alt


def many_to_one_figure(result):
    """Diagram of T_x inputs and one output beside accuracy bars (RNN, order-blind, chance)."""
    fig, _, ax = _diagram_and_panel(
        "many-to-one", 6, 1, "many-to-one: T_x > 1, T_y = 1", ratio=(1.0, 0.8)
    )
    m = result.metrics
    names = ["RNN\n(reads in order)", "best order-blind\nmodel", "always guess\none class"]
    vals = [m["test_accuracy"], m["bag_of_words_best"], 0.5]
    bars = ax.bar(names, vals, color=[C_OUT, "0.6", "0.85"], edgecolor="k", hatch=["", "//", ".."])
    for b, v in zip(bars, vals):
        ax.text(b.get_x() + b.get_width() / 2, v + 0.02, f"{v:.1%}", ha="center", fontsize=10)
    ax.set(ylim=(0, 1.12), ylabel="test accuracy", title="right order or jumbled?")
    ax.grid(axis="x", visible=False)
    alt = (
        f"Left: a many-to-one network reads six words and answers once. Right: test accuracy "
        f"on telling right from jumbled proverbs: the RNN about {m['test_accuracy']:.0%}, the "
        f"best order-blind model {m['bag_of_words_best']:.1%}, guessing 50%."
    )
    return fig, alt


def many_to_many_figure(result, span=40):
    """Diagram with an output per step beside the forecast around the test year's largest flood."""
    fig, _, ax = _diagram_and_panel("many-to-many", 5, 5, "many-to-many: T_x = T_y")
    d = result.data
    peak = int(np.argmax(d["level"]))
    lo, hi = max(0, peak - span // 4), min(len(d["level"]), peak + 3 * span // 4)
    days = d["days"][lo:hi]
    ax.plot(days, d["level"][lo:hi], color="k", ls="-", lw=1.5, label="measured level")
    ax.plot(
        days,
        d["today"][lo:hi],
        color=PALETTE["skyblue"],
        ls=":",
        marker="s",
        ms=3,
        label="persistence (tomorrow = today)",
    )
    ax.plot(days, d["pred"][lo:hi], color=C_OUT, ls="--", marker="o", ms=3, label="RNN forecast")
    m = result.metrics
    ax.set(
        xlabel="day (counted from 1 January of the first year)",
        ylabel="river level (m)",
        title=f"a flood in the test year; calm-day RMSE {m['calm_rmse_cm']:.1f} cm vs "
        f"{m['calm_persistence_rmse_cm']:.1f} cm",
    )
    ax.legend(fontsize=8, loc="upper right")
    alt = (
        "Left: a many-to-many network with an output and a loss at every step. Right: the "
        "river level around the largest flood of the test year; persistence lags one day "
        "behind on the way down, the RNN forecast follows the fall more closely."
    )
    return fig, alt


def encoder_decoder_figure(result):
    """Diagram of an encoder-decoder beside its training loss (log scale)."""
    fig, _, ax = _diagram_and_panel(
        "encoder-decoder", 3, 4, "encoder-decoder: T_x = 3, T_y = 4", ratio=(1.2, 1.0)
    )
    losses = result.losses
    steps = np.arange(1, len(losses) + 1)
    ax.semilogy(steps, losses, color=C_HID2, lw=1.2, label="training loss per output symbol")
    n_classes = result.data["n_symbols"] + 1
    ax.axhline(
        np.log(n_classes),
        color="k",
        ls="--",
        lw=1.2,
        label=f"uniform guess, ln {n_classes} = {np.log(n_classes):.2f}",
    )
    ax.set(
        xlabel="update",
        ylabel="cross-entropy (nats, log scale)",
        title=f"reversing sequences: {result.metrics['sequence_accuracy']:.1%} exactly right",
    )
    ax.legend(fontsize=8)
    alt = (
        "Left: an encoder reads three inputs; its last state, the context, starts a decoder "
        "that writes four outputs, each fed back as the next input. Right: the training loss "
        "falls from the uniform-guess level by more than two orders of magnitude."
    )
    return fig, alt


def bidirectional_figure(forward_result, bi_result, example=0):
    """Diagram of a bidirectional RNN beside both models' answers for one test sentence."""
    fig, _, ax = _diagram_and_panel(
        "bidirectional",
        6,
        6,
        r"bidirectional: forward $\overrightarrow{h}$ and backward $\overleftarrow{h}$",
        ratio=(1.0, 0.9),
    )
    d_f, d_b = forward_result.data, bi_result.data
    answers = d_b["answers"]
    pos = np.arange(len(answers))
    w = 0.38
    ax.bar(
        pos - w / 2,
        d_f["probs"][example],
        w,
        color="0.75",
        edgecolor="k",
        hatch="//",
        label=f"forward only ({forward_result.metrics['test_accuracy']:.0%} on test)",
    )
    ax.bar(
        pos + w / 2,
        d_b["probs"][example],
        w,
        color=C_HID2,
        edgecolor="k",
        label=f"bidirectional ({bi_result.metrics['test_accuracy']:.0%} on test)",
    )
    ax.axhline(0.25, color="k", ls=":", lw=1.2, label="guessing, 1/4")
    ax.set_xticks(pos, answers)
    ax.set(
        ylim=(0, 1.18), ylabel="probability at the blank", title=f'"{d_b["sentences"][example]}"'
    )
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="x", visible=False)
    right = answers[d_b["y_test"][example]]
    alt = (
        f"Left: a bidirectional RNN, a forward row of states h→ and a backward row h←, both "
        f"feeding every "
        f"output. Right: for the sentence '{d_b['sentences'][example]}', the forward-only "
        f"model spreads its probability over the four words, the bidirectional model puts "
        f"almost all of it on '{right}'."
    )
    return fig, alt


def stacked_figure(profiles, results):
    """Diagram of two stacked layers beside ||dL/dh_t|| in each layer (log scale).

    Args:
        profiles: layer number (1, 2) -> (T,) gradient norms in that layer of the 2-layer net.
        results: {1: TaskResult, 2: TaskResult} from ``train_stacked_comparison``.
    """
    fig, _, ax = _diagram_and_panel("stacked", 5, 5, "stacked: two layers per step")
    for k, marker in ((2, "o"), (1, "s")):
        g = profiles[k]
        ax.semilogy(
            np.arange(1, len(g) + 1),
            g,
            marker=marker,
            ms=4,
            color=C_HID2 if k == 2 else C_HID,
            ls="-" if k == 2 else "--",
            label=f"layer {k}" + (" (under the loss)" if k == 2 else " (via layer 2)"),
        )
    m1, m2 = results[1].metrics, results[2].metrics
    ax.set(
        xlabel="time step t",
        ylabel="‖∂L/∂h_t‖ (log scale)",
        title="gradient reaching each layer (initial weights)",
    )
    ax.legend(fontsize=8)
    alt = (
        "Left: two recurrent layers stacked; the second reads the first's hidden states. "
        "Right: the size of the gradient reaching each layer's hidden state at every step of "
        "a river window, at the initial weights; the lower layer gets its gradient only "
        f"through the upper one. Test RMSE after training: about {m1['test_rmse_cm']:.0f} cm "
        f"with one layer, about {m2['test_rmse_cm']:.0f} cm with two."
    )
    return fig, alt


def gradient_profiles_figure(profiles):
    """One panel per shape: ||dL/dh_t|| at every step, with the steps that carry a loss marked.

    Args:
        profiles: shape name -> dict from :func:`rnnlib.demos.architectures.gradient_profile`.
    """
    names = list(profiles)
    fig, axes = new_figure(len(names), 1, width=12.5, height=3.3, sharey=True)
    lowest = min(np.min(p["delta"][p["delta"] > 0] / np.max(p["delta"])) for p in profiles.values())
    for ax, name in zip(np.atleast_1d(axes), names):
        p = profiles[name]
        d = p["delta"] / np.max(p["delta"])  # relative: the losses are scaled differently
        t = np.arange(1, len(d) + 1)
        colors = [C_LOSS if has else "0.6" for has in p["loss_steps"]]
        hatches = ["" if has else "//" for has in p["loss_steps"]]
        bars = ax.bar(t, np.where(d > 0, d, np.nan), color=colors, edgecolor="k", lw=0.5)
        for b, h in zip(bars, hatches):
            b.set_hatch(h)
        if p["split"] is not None:
            ax.axvline(p["split"] + 0.5, color="k", ls=":", lw=1.2)
            ax.text(
                p["split"] / 2 + 0.5,
                0.99,
                "encoder",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=8,
            )
            ax.text(
                p["split"] + (len(d) - p["split"]) / 2 + 0.5,
                0.99,
                "decoder",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize=8,
            )
        ax.set_yscale("log")
        ax.set_ylim(lowest / 2, 1.6)
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("time step t")
        if len(d) > 12:
            ax.set_xticks(t[::5])
        else:
            ax.set_xticks(t)
    np.atleast_1d(axes)[0].set_ylabel("‖δ_t‖ / largest ‖δ_t‖ (log)")
    from matplotlib.patches import Patch

    handles = [
        Patch(fc=C_LOSS, ec="k", label="a loss L_t at this step"),
        Patch(fc="0.6", ec="k", hatch="//", label="no loss here: gradient only from later steps"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=9, bbox_to_anchor=(0.5, -0.02))
    fig.get_layout_engine().set(rect=(0, 0.08, 1, 0.92))
    alt = (
        "Five bar charts, one per input/output shape, of the gradient size reaching the hidden "
        "state at each step, relative to the largest step. Steps with their own loss are "
        "solid vermillion; steps without one "
        "(many-to-one before the last step, the whole encoder) are grey and hatched and get "
        "gradient only from later steps."
    )
    return fig, alt


# ---------------------------------------------------------------------------------------------
# The explorer widget's figure


def architecture_figure(arch):
    """The explorer's diagram for a :class:`rnnlib.demos.architectures.Architecture`, with the
    array shapes written beside the rows they belong to."""
    T_x, T_y = arch.T_x, arch.T_y
    # A fixed layout (no constrained layout): this figure is redrawn on every slider move.
    fig, ax = new_figure(1, 1, width=9.5, height=3.9, layout="none")
    ax.set_position((0.01, 0.0, 0.98, 0.9))
    labels = _row_labels(arch)
    draw_unrolled(ax, arch.kind, T_x, T_y, row_labels=labels)
    fig.text(0.5, 0.96, _architecture_title(arch), ha="center", va="center", fontsize=11)
    return fig, _architecture_alt(arch)


def _architecture_title(arch):
    return (
        f"{arch.kind} · {arch.cell.upper()} · T_x = {arch.T_x}, T_y = {arch.T_y} · "
        f"{arch.total:,} parameters (the same for every T)"
    )


def _architecture_alt(arch):
    T_x, T_y = arch.T_x, arch.T_y
    cols = (
        T_x + T_y
        if arch.kind == "encoder-decoder"
        else (T_y if arch.kind == "one-to-many" else T_x)
    )
    return (
        f"Diagram of a {arch.kind} network of {arch.cell.upper()} cells unrolled over "
        f"{cols} steps (T_x = {T_x}, T_y = {T_y}), with the array shape of each row written "
        f"at the left; {arch.total} parameters in all."
    )


def _label(arch, name, short=None):
    """'hs (T, B, H) = (5, 2, 8)' for the stage called ``name``."""
    for stage, shape, symbols in arch.stages:
        if stage == name:
            numbers = "(" + ", ".join(str(n) for n in shape) + ")"
            return f"{short or name} {symbols} = {numbers}"
    raise KeyError(name)


def _row_labels(arch):
    k = arch.kind
    if k == "encoder-decoder":
        return {
            "x": _label(arch, "x (encoder input)", "x")
            + "\n"
            + _label(arch, "decoder input (start, y_1..)", "dec. in"),
            "h": _label(arch, "encoder hs", "enc hs") + "\n" + _label(arch, "decoder hs", "dec hs"),
            "y": _label(arch, "logits y_hat", "ŷ"),
        }
    names = [stage[0] for stage in arch.stages]
    labels = {"x": _label(arch, names[0], "x")}
    labels["y"] = _label(arch, "y_hat", "ŷ") if "y_hat" in names else _label(arch, "ys", "ŷ")
    if k == "stacked":
        labels["h"] = _label(arch, "layer 1 hs", "layer 1 hs")
        labels["h2"] = _label(arch, "layer 2 hs", "layer 2 hs")
    elif k == "bidirectional":
        labels["h"] = _label(arch, "forward hs", "fwd hs")
        labels["h2"] = (
            _label(arch, "backward hs", "bwd hs")
            + "\n"
            + _label(arch, "hs = [fwd, bwd]", "[fwd, bwd]")
        )
    else:
        labels["h"] = _label(arch, "hs", "hs")
    return labels


class ArchitecturePlot(LivePlot):
    """The explorer's figure (:func:`architecture_figure`), built once per architecture, cell
    and pair of lengths: the sizes D, H, O move only the shape labels and the title. The
    widget keeps one per structure (:class:`rnnlib.plots.live.PerStructure`)."""

    def structure_key(self, arch, **_):
        return arch.kind, arch.cell, arch.T_x, arch.T_y

    def build(self, arch, **_):
        fig, _alt = architecture_figure(arch)
        texts = {t.get_text(): t for t in fig.axes[0].texts}
        self.rows = {row: texts[label] for row, label in _row_labels(arch).items()}
        self.title = fig.texts[0]
        self.moving(*self.rows.values(), self.title)
        return fig

    def update(self, arch, **_):
        for row, label in _row_labels(arch).items():
            self.rows[row].set_text(label)
        self.title.set_text(_architecture_title(arch))
        return _architecture_alt(arch)
