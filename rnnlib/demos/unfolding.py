r"""Numbers for notebooks 00 (course map) and 01 (unfolding an RNN in time).

Everything here runs rnnlib's own layers; nothing re-implements the recurrence except
:func:`forward_step_by_step`, which exists to *show* that the vectorised layer computes exactly
the loop over :func:`rnnlib.cells.rnn_step_forward`.

Course notation: :math:`h_t = \varphi(W_{xh} x_t + W_{hh} h_{t-1} + b_h)`,
:math:`\hat y_t = W_{hy} h_t + b_y`.
"""

from __future__ import annotations

import zlib

import numpy as np

from .. import _checks, cells
from ..analysis import scalar_rnn
from ..losses import mse_loss
from ..networks import ElmanNetwork
from ..tbptt import truncated_bptt

__all__ = [
    "forward_step_by_step", "sharing_cost", "sharing_cost_curve", "demo_inputs",
    "perturbation_effect", "memory_demo", "word_vector", "embed_words", "order_demo",
    "elman_training_gradients",
]


# ---------------------------------------------------------------------------------------------
# The recurrence, one step at a time


def forward_step_by_step(layer, x, state0=None):
    """Run an ``RNN`` layer by calling :func:`rnnlib.cells.rnn_step_forward` once per step.

    Args:
        layer: an :class:`rnnlib.RNN`; x: (T, B, D); state0: (B, H) or None (zeros).

    Returns:
        hs: (T, B, H), the same numbers as ``layer.forward(x, state0)[0]``.
    """
    x = _checks.check_sequence(x, layer.input_size)
    T, B, _ = x.shape
    h = np.zeros((B, layer.hidden_size)) if state0 is None else np.asarray(state0, float)
    p = layer.params
    hs = []
    for t in range(T):                       # the same weights at every step
        h, _ = cells.rnn_step_forward(x[t], h, p["weight_ih"], p["weight_hh"], p["bias_ih"],
                                      p["bias_hh"], layer.nonlinearity)
        hs.append(h)
    return np.stack(hs)


# ---------------------------------------------------------------------------------------------
# Parameter sharing: what grows with T and what does not


def sharing_cost(T, D, H, O):
    """Size and cost of an Elman network (an ``RNN`` layer and a ``Linear`` head) on a
    length-``T`` sequence.

    Returns:
        dict with ``params``: the number of learned numbers (from rnnlib's ``num_params``, the
        same for every T); ``multiply_adds``: multiplications in one forward pass,
        T (H D + H H + O H); ``stored``: numbers kept for backpropagation through time, T H.
    """
    T = _checks.check_positive_int(T, "T")
    for value, name in ((D, "D"), (H, "H"), (O, "O")):
        _checks.check_positive_int(value, name)
    net = ElmanNetwork(D, H, O, seed=0)
    return {"T": T, "params": net.num_params(), "multiply_adds": T * (H * D + H * H + O * H),
            "stored": T * H}


def sharing_cost_curve(Ts, D, H, O):
    """:func:`sharing_cost` for every T in ``Ts``: dict of (len(Ts),) int arrays (the network
    is built once: its parameter count does not depend on T)."""
    Ts = np.asarray(Ts, dtype=np.int64)
    if Ts.ndim != 1 or Ts.size == 0 or Ts.min() < 1:
        raise ValueError(f"Ts must be a non-empty 1-d array of positive integers, got {Ts!r}")
    one = sharing_cost(1, D, H, O)
    return {"T": Ts, "params": np.full(Ts.shape, one["params"]),
            "multiply_adds": Ts * one["multiply_adds"], "stored": Ts * one["stored"]}


# ---------------------------------------------------------------------------------------------
# The hidden state as memory: a one-unit RNN and a nudge to its first input


def demo_inputs(T, seed=0):
    """The input sequence of the memory demonstrations: x_1 = 1, then small seeded noise.

    Returns:
        x: (T, 1, 1) float64. The first T steps are the same for every T (a prefix of one
        fixed sequence), so changing T only adds or removes steps at the end.
    """
    T = _checks.check_positive_int(T, "T")
    # n draws of one seeded generator are the first n of any longer run: a prefix, as promised
    noise = 0.3 * np.random.default_rng(seed).standard_normal(T - 1)
    return np.concatenate([[1.0], noise]).reshape(T, 1, 1)


def perturbation_effect(layer, x, eps, step=0, state0=None):
    """How much every hidden state moves when one input is nudged.

    Runs ``layer`` twice, on ``x`` and on ``x`` with ``eps`` added to every feature of
    ``x[step]``.

    Returns:
        hs: (T, B, H) the hidden states of the original run; hs_nudged: (T, B, H);
        effect: (T,) the size ||h'_t - h_t|| (over batch and units) at every step. It is
        exactly 0 before ``step``: the past cannot depend on a later input.
    """
    x = _checks.check_sequence(x, layer.input_size)
    if not 0 <= step < x.shape[0]:
        raise ValueError(f"step must be in [0, {x.shape[0]}), got {step}")
    nudged = x.copy()
    nudged[step] += eps
    hs, _, _ = layer.forward(x, state0)
    hs2, _, _ = layer.forward(nudged, state0)
    with np.errstate(over="ignore", invalid="ignore"):
        effect = np.sqrt(np.sum((hs2 - hs) ** 2, axis=(1, 2)))
    return hs, hs2, effect


def memory_demo(T, w, nonlinearity="tanh", eps=0.5, seed=0):
    """A one-unit RNN h_t = φ(w h_{t-1} + x_t) (input weight 1, biases 0) on
    :func:`demo_inputs`, run as is and with x_1 nudged by ``eps``.

    Returns:
        dict with ``x`` (T,), ``hs`` and ``hs_nudged`` (T,) hidden states, ``effect`` (T,)
        = |h'_t - h_t|, and ``layer``, the :class:`rnnlib.RNN` used (its ``weight_hh`` is w).
    """
    layer = scalar_rnn(float(w), nonlinearity)
    x = demo_inputs(T, seed)
    hs, hs2, effect = perturbation_effect(layer, x, eps, step=0)
    return {"x": x.ravel(), "hs": hs.ravel(), "hs_nudged": hs2.ravel(), "effect": effect,
            "layer": layer, "w": float(w), "eps": float(eps), "nonlinearity": nonlinearity}


# ---------------------------------------------------------------------------------------------
# Word order: the same words in another order give another hidden state


def word_vector(word: str, D: int) -> np.ndarray:
    """A fixed random vector for ``word``: (D,) float64, the same in every process (seeded by
    the CRC-32 of the word, not by Python's salted ``hash``)."""
    D = _checks.check_positive_int(D, "D")
    rng = np.random.default_rng(zlib.crc32(word.encode("utf-8")))
    return rng.standard_normal(D) / np.sqrt(D)


def embed_words(words, D):
    """A sentence as an RNN input: (T, 1, D), one :func:`word_vector` per word."""
    words = list(words)
    if not words:
        raise ValueError("words must hold at least one word")
    return np.stack([word_vector(w, D) for w in words])[:, None, :]


def order_demo(words_a, words_b, D=8, H=16, seed=0):
    """Read two sentences with the same RNN and compare what an order-blind summary and the
    RNN's hidden state make of them.

    Args:
        words_a, words_b: lists of words of the same length (e.g. a proverb and its jumble).
        D: size of the word vectors; H: hidden units; seed: the RNN's weights.

    Returns:
        dict with ``distance`` (T,): ||h_t^a - h_t^b|| at every step; ``final``: the distance
        between the last hidden states; ``bag``: the distance between the sentences' mean word
        vectors (0 when they hold the same words); ``first_diff``: the first position (0-based)
        where the two sentences differ (None when they are equal).
    """
    from ..layers import RNN
    words_a, words_b = list(words_a), list(words_b)
    if len(words_a) != len(words_b):
        raise ValueError(f"the sentences must have the same length, got {len(words_a)} and "
                         f"{len(words_b)}")
    xa, xb = embed_words(words_a, D), embed_words(words_b, D)
    layer = RNN(D, H, seed=seed)
    ha, _, _ = layer.forward(xa)
    hb, _, _ = layer.forward(xb)
    distance = np.linalg.norm((ha - hb)[:, 0, :], axis=1)
    diffs = [t for t, (a, b) in enumerate(zip(words_a, words_b, strict=False)) if a != b]
    # the order-blind summary: mean word vector, summed in sorted word order so that the same
    # bag of words gives exactly the same floats
    bag_a = embed_words(sorted(words_a), D).mean(axis=0)
    bag_b = embed_words(sorted(words_b), D).mean(axis=0)
    return {"distance": distance, "final": float(distance[-1]),
            "bag": float(np.linalg.norm(bag_a - bag_b)),
            "first_diff": diffs[0] if diffs else None}


# ---------------------------------------------------------------------------------------------
# Elman (1990) versus backpropagation through time


def elman_training_gradients(net, x, targets):
    """The gradient Elman's 1990 training rule uses, beside the full BPTT gradient.

    Elman copied the hidden state into "context units" and treated them as a fixed extra
    input: no gradient flows through the copy, which is truncated BPTT with k = 1.

    Args:
        net: a many-to-many ``RecurrentNetwork`` (e.g. :func:`rnnlib.ElmanNetwork`);
        x: (T, B, D); targets: (T, B, O) for a summed mean squared error.

    Returns:
        (elman_grads, full_grads): dicts like ``net.params``.
    """
    T = len(x)
    _, elman, _ = truncated_bptt(net, mse_loss, x, targets, k=1)
    _, full, _ = truncated_bptt(net, mse_loss, x, targets, k=T)
    return elman, full
