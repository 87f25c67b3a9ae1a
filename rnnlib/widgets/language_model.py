"""Widgets for notebook 08: sampling from the trained character models, live."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..demos.language_model import read_context, sample, temperature_probs
from ..plots.language_model import NextCharPlot, next_char_figure
from ._base import LiveFigure


def clean_prime(text, vocab):
    """Keep the characters of ``text`` that the vocabulary knows; report the others.

    Returns:
        (prime, dropped): the usable text (a new line if nothing is left) and the set of
        characters that were removed.
    """
    known = set(vocab.chars)
    dropped = sorted({c for c in text if c not in known})
    prime = "".join(c for c in text if c in known)
    return (prime if prime else "\n"), dropped


def make_sampling_compute(models, vocab, length):
    """``compute(model, temperature, prime, seed)`` over the trained ``models`` (name -> model)."""

    def compute(model, temperature, prime, seed):
        net = models[model]
        text, dropped = clean_prime(prime, vocab)
        logits, _ = read_context(net, vocab, text)
        probs = temperature_probs(logits, temperature)
        p = probs[probs > 0]
        return {"prime": text, "dropped": dropped, "probs": probs,
                "reference": temperature_probs(logits, 1.0),
                "entropy_bits": float(-np.sum(p * np.log2(p))),
                "sample": sample(net, vocab, text, length, temperature, seed=seed)}

    return compute


def sampling_widget(models, vocab, prime="The river ", temperature=0.8, seed=0, length=160):
    """Sample from trained character models: choose the model, the temperature (0 = greedy),
    the seed text and the random seed. The figure shows the next-character distribution after
    the seed text; the readout shows ``length`` sampled characters.

    Args:
        models: name -> trained model (from :func:`rnnlib.demos.language_model.make_model`).
        vocab: their CharVocab.
    """
    style = {"description_width": "initial"}
    controls = {
        "model": W.Dropdown(options=list(models), value=list(models)[-1], description="model",
                            style=style, layout=W.Layout(width="160px")),
        "temperature": W.FloatSlider(value=temperature, min=0.0, max=2.0, step=0.05,
                                     description="temperature", readout_format=".2f",
                                     style=style, layout=W.Layout(width="300px")),
        "prime": W.Text(value=prime, description="seed text", continuous_update=False,
                        style=style, layout=W.Layout(width="300px")),
        "seed": W.IntSlider(value=seed, min=0, max=20, description="random seed",
                            style=style, layout=W.Layout(width="240px")),
    }
    compute = make_sampling_compute(models, vocab, length)

    def draw(result, temperature, **_):
        return next_char_figure(result["probs"], result["reference"], vocab, result["prime"],
                                temperature)

    def readout(result, temperature, **_):
        note = ""
        if result["dropped"]:
            chars = ", ".join(repr(c) for c in result["dropped"])
            note = (f"<br><i>Not in the vocabulary, left out of the seed text: "
                    f"{html.escape(chars)}</i>")
        mode = "greedy: always the likeliest" if temperature == 0 else f"T = {temperature:.2f}"
        text = html.escape(result["prime"]) + "<b>" + html.escape(result["sample"]) + "</b>"
        return (f"<div style='font-size:13px'>entropy of the next character: "
                f"{result['entropy_bits']:.2f} bits ({mode}){note}"
                f"<pre style='white-space:pre-wrap;font-size:13px;margin-top:4px'>{text}</pre>"
                f"</div>")

    # The sliders are live too: a frame costs the sampling of ``length`` characters, and while
    # one is drawn newer slider values replace older ones (latest wins), so the page never
    # waits behind the hand. The seed text is read when the reader presses Enter or leaves it.
    return LiveFigure(controls, compute, draw, readout, height="290px",
                      title="Sampling from the trained model", update=NextCharPlot(vocab))
