"""Figures for notebook 08: loss curves, next-character distributions, surprisal."""

from __future__ import annotations

import math

import numpy as np

from .live import LivePlot
from .style import COLORS, LINESTYLES, MARKERS, PALETTE, new_figure

LN2 = math.log(2.0)


def _show_char(ch):
    return {"\n": "⏎", " ": "␣"}.get(ch, ch)


def loss_curves_figure(logs, vocab_size, held_out=None):
    """Training and held-out loss against characters read, in nats (left) and bits (right).

    When the logs hold losses measured by :func:`rnnlib.demos.language_model.evaluate` at
    checkpoints (``log.evaluated``), those are the curves: the training text (solid) and the
    held-out text (dashed), measured the same way at the same checkpoints. The loss of each
    training chunk is drawn faintly behind them.

    Args:
        logs: name -> :class:`rnnlib.demos.language_model.TrainLog`.
        vocab_size: V (the uniform guess costs ln V nats per character).
        held_out: optional name -> final held-out loss in nats, drawn as a marker after the
            curve (for logs without checkpoints).
    """
    fig, ax = new_figure(1, 1, width=8.5, height=4.2)
    for k, (name, log) in enumerate(logs.items()):
        c, m = COLORS[k], MARKERS[k]
        ax.plot(log.chars, log.losses, color=c, alpha=0.15, lw=0.8)
        if log.evaluated:
            chars = log.checkpoints * (log.chars[0] if len(log.chars) else 0)
            for j, (text, values) in enumerate(log.evaluated.items()):
                ax.plot(chars, values, color=c, ls=LINESTYLES[j], marker=m, ms=6,
                        mfc=c if j == 0 else "white",
                        label=f"{name}, {text} text: {values[-1]:.2f} nats at the end")
        else:
            ax.plot(log.chars, log.smoothed, color=c, ls=LINESTYLES[k],
                    label=f"{name} (smoothed)")
        if held_out is not None and name in held_out:
            ax.plot([log.chars[-1] * 1.03], [held_out[name]], ls="none", marker=m, ms=9,
                    color=c, mec="k", label=f"{name}, held-out text: {held_out[name]:.3f} nats")
    lnv = math.log(vocab_size)
    ax.axhline(lnv, color="k", ls=":", lw=1.2,
               label=f"uniform guess: ln V = ln {vocab_size} = {lnv:.3f}")
    ax.set(xlabel="characters read", ylabel="cross-entropy (nats per character)",
           title="training a character-level language model")
    ax.set_ylim(0, lnv * 1.08)
    sec = ax.secondary_yaxis("right", functions=(lambda n: n / LN2, lambda b: b * LN2))
    sec.set_ylabel("bits per character")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v / 1000:.0f}k")
    ax.legend(fontsize=8.5, loc="upper right")
    names = " and ".join(logs)
    if any(log.evaluated for log in logs.values()):
        alt = (f"Loss of the {names} language models against characters read, measured the same "
               f"way on the training text (solid lines, filled markers) and on held-out text "
               f"(dashed lines, open markers) at the same checkpoints, starting at ln V = "
               f"{lnv:.2f} nats (the cost of a uniform guess); the held-out curves fall more "
               f"slowly and end above the training curves. A second axis gives bits per "
               f"character; the faint lines are the losses of the training chunks.")
    else:
        alt = (f"Training loss of the {names} language models against characters read, "
               f"starting at ln V = {lnv:.2f} nats (the cost of a uniform guess) and falling; a "
               f"second axis gives bits per character, and markers give the loss on held-out "
               f"text.")
    return fig, alt


def next_char_figure(probs, reference, vocab, context, temperature, top=12):
    """The most likely next characters after ``context``: bars at ``temperature``, black
    marks at temperature 1 (the model's own distribution). Drawn with two collections, not
    one patch per bar: this figure is redrawn on every slider move.

    Args:
        probs, reference: (V,) probabilities at ``temperature`` and at 1.
    """
    fig, ax = new_figure(1, 1, width=8.0, height=3.2, layout="none")
    ax.set_position((0.09, 0.18, 0.89, 0.7))
    order = np.argsort(-reference, kind="stable")[:top]
    pos = np.arange(len(order))
    label = "temperature 0 (greedy)" if temperature == 0 else f"temperature {temperature:.2f}"
    ax.vlines(pos, 0, probs[order], colors=PALETTE["blue"], lw=22)
    ax.plot(pos, reference[order], ls="none", marker="_", ms=26, mew=2.5, color="k")
    ax.set_xticks(pos, [_show_char(vocab.chars[i]) for i in order], fontsize=12)
    ax.set_xlim(-0.7, len(order) - 0.3)
    ax.set_ylim(0, 1.05)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.grid(False)                       # fewer artists: a faster redraw
    ax.axhline(0.5, color="0.85", lw=0.8, zorder=0)
    ax.set_ylabel("probability")
    shown = context[-24:].replace("\n", "⏎")
    # No legend (slow to lay out): the title says what the bars and the marks are.
    ax.set_title(f"after “…{shown}”: bars at {label}, marks at temperature 1",
                 fontsize=11)
    ax.set_xlabel("next character (␣ space, ⏎ new line)")
    alt = (f"Bar chart of the probabilities of the {len(order)} likeliest next characters after "
           f"'{context[-30:]}': blue bars at {label}, black marks at temperature 1.")
    return fig, alt


def temperature_figure(model_probs, vocab, context, taus, top=10):
    """One panel per temperature τ: the next-character distribution after ``context``.

    Args:
        model_probs: τ -> (V,) probabilities; taus: the temperatures, in panel order.
    """
    fig, axes = new_figure(len(taus), 1, width=11, height=3.2, sharey=True)
    base = model_probs[1.0] if 1.0 in model_probs else model_probs[taus[0]]
    order = np.argsort(-base, kind="stable")[:top]
    for k, (ax, tau) in enumerate(zip(np.atleast_1d(axes), taus)):
        p = model_probs[tau]
        ax.bar(np.arange(top), p[order], color=COLORS[k], edgecolor="k",
               hatch=["", "//", "..", "xx"][k % 4])
        ax.set_xticks(np.arange(top), [_show_char(vocab.chars[i]) for i in order], fontsize=11)
        entropy = -np.sum(p[p > 0] * np.log2(p[p > 0]))
        ax.set_title(f"temperature τ = {tau:g}: entropy {entropy:.2f} bits", fontsize=11)
        ax.set_ylim(0, 1.05)
    np.atleast_1d(axes)[0].set_ylabel("probability")
    fig.supxlabel(f"next character after “…{context[-25:]}” (␣ space)", fontsize=10)
    alt = (f"Next-character probabilities after '{context[-25:]}' at temperatures "
           f"{', '.join(f'{tau:g}' for tau in taus)}: the distribution is sharp at low "
           "temperature and flattens as the temperature grows.")
    return fig, alt


def surprisal_figure(text, bits_by_model, start):
    """Bits spent on each character of ``text[start + 1:]`` by each model (a step plot, with the
    characters as tick labels)."""
    shown = text[start + 1:]
    fig, ax = new_figure(1, 1, width=12, height=3.4)
    x = np.arange(len(shown))
    for k, (name, b) in enumerate(bits_by_model.items()):
        ax.step(x, b, where="mid", color=COLORS[k], ls=LINESTYLES[k],
                label=f"{name}: mean {np.mean(b):.2f} bits/char")
    ax.set_xticks(x, [_show_char(c) for c in shown], fontsize=9, fontfamily="monospace")
    ax.tick_params(axis="x", length=0)
    ax.set_xlim(-0.7, len(shown) - 0.3)
    ax.set_ylim(0, 1.3 * max(float(np.max(b)) for b in bits_by_model.values()))
    ax.set_ylabel("bits for this character")
    ax.set_title("how surprised each model is by every character of a held-out sentence")
    ax.legend(fontsize=9, loc="upper right")
    ax.grid(axis="x", visible=False)
    alt = (f"Step plot of the bits each model spends on every character of the held-out text "
           f"'{shown}'; peaks fall at or just after the starts of words, valleys inside "
           "common words.")
    return fig, alt


class NextCharPlot(LivePlot):
    """The sampler's figure (:func:`next_char_figure`), built once per model and seed text
    (they decide which characters the bars stand for): the bars and the title follow the
    temperature."""

    def __init__(self, vocab, top=12):
        super().__init__()
        self.vocab, self.top = vocab, top

    def structure_key(self, result, **_):
        order = np.argsort(-result["reference"], kind="stable")[:self.top]
        return tuple(order), result["prime"], tuple(np.round(result["reference"][order], 12))

    def build(self, result, temperature, **_):
        fig, _alt = next_char_figure(result["probs"], result["reference"], self.vocab,
                                     result["prime"], temperature, top=self.top)
        ax = fig.axes[0]
        self.order = np.argsort(-result["reference"], kind="stable")[:self.top]
        self.bars, self.title = ax.collections[0], ax.title
        self.moving(self.bars, ax.lines[0], self.title)     # the marks stay above the bars
        return fig

    def update(self, result, temperature, **_):
        heights = result["probs"][self.order]
        self.bars.set_segments([[(x, 0.0), (x, h)] for x, h in enumerate(heights)])
        label = ("temperature 0 (greedy)" if temperature == 0 else
                 f"temperature {temperature:.2f}")
        context = result["prime"]
        shown = context[-24:].replace("\n", "⏎")
        self.title.set_text(f"after “…{shown}”: bars at {label}, marks at temperature 1")
        return (f"Bar chart of the probabilities of the {len(self.order)} likeliest next "
                f"characters after '{context[-30:]}': blue bars at {label}, black marks at "
                f"temperature 1.")
