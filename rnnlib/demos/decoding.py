r"""Numbers for notebook 10: how an encoder-decoder turns its probabilities into a sequence.

A decoder defines :math:`p(y \mid x) = \prod_t p(y_t \mid y_{<t}, x)`. Training feeds it the
*true* previous symbols (teacher forcing); generating feeds it its *own*. This module measures
what that difference costs (exposure bias) and compares two ways of choosing the output:

* greedy decoding: the most likely symbol at each step, fed back in;
* beam search: keep the ``width`` most likely prefixes (by total log-probability), extend each
  by every symbol, keep the best ``width`` again; width 1 is greedy.

Any model with ``start_decoding(x)`` and ``decoder_step(enc_hs, state, prev)`` works (the
:class:`rnnlib.demos.attention.AttentionSeq2Seq` has both, with or without attention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from .attention import reversal_task

__all__ = [
    "Hypothesis",
    "beam_search",
    "greedy_decode",
    "teacher_forced_vs_free_running",
    "decoding_comparison",
    "sequence_log_prob",
]


@dataclass
class Hypothesis:
    """One candidate output: its symbols and their total log-probability log p(y | x)."""

    ids: list
    log_prob: float


def greedy_decode(model, x, T_y):
    """The most likely symbol at each step, fed back in, for one source ``x: (S, 1, V_in)``.

    Returns a :class:`Hypothesis` (its log-probability is that of the greedy choices)."""
    return beam_search(model, x, T_y, width=1)[0]


def beam_search(model, x, T_y, width):
    """Beam search for one source ``x: (S, 1, V_in)``, exactly ``T_y`` output symbols.

    At every step each of the (at most) ``width`` kept prefixes is extended by every symbol;
    the ``width`` extensions with the highest total log-probability are kept. All beams run as
    one batch through ``model.decoder_step``.

    Returns the final hypotheses, best first (at most ``width``)."""
    width = _checks.check_positive_int(width, "width")
    T_y = _checks.check_positive_int(T_y, "T_y")
    if np.ndim(x) != 3 or np.shape(x)[1] != 1:
        raise ValueError(
            f"beam_search decodes one source at a time: x must have shape "
            f"(S, 1, V_in), got {np.shape(x)}"
        )
    enc_hs, state, prev = model.start_decoding(x)
    scores = np.zeros(1)  # log p of each kept prefix
    history = np.zeros((1, 0), dtype=np.int64)
    for _ in range(T_y):
        beams = len(scores)
        log_probs, new_state, _ = model.decoder_step(np.repeat(enc_hs, beams, axis=1), state, prev)
        total = scores[:, None] + log_probs  # (beams, O): every extension
        flat = np.argsort(-total, axis=None, kind="stable")[:width]
        parent, symbol = np.unravel_index(flat, total.shape)
        scores = total[parent, symbol]
        history = np.concatenate([history[parent], symbol[:, None]], axis=1)
        state, prev = new_state[parent], symbol
    return [Hypothesis(list(map(int, h)), float(s)) for h, s in zip(history, scores)]


def sequence_log_prob(model, x, y):
    """log p(y | x) of a whole target ``y: (T_y,)`` under the model (teacher forcing)."""
    enc_hs, state, prev = model.start_decoding(x)
    total = 0.0
    for symbol in y:
        log_probs, state, _ = model.decoder_step(enc_hs, state, prev)
        total += float(log_probs[0, symbol])
        prev = np.array([symbol])
    return total


def teacher_forced_vs_free_running(model, length, n=300, n_symbols=8, seed=5):
    """Accuracy at each output position, (a) when the decoder reads the true previous symbols
    (as in training) and (b) when it reads its own (as when generating).

    Returns dict with ``teacher_forced`` and ``free_running``: (T_y,) accuracies, and
    ``after_first_error``: the free-running accuracy over the positions that come after the
    sequence's first mistake, next to ``teacher_forced_after``, the teacher-forced accuracy at
    the same positions."""
    x, y, _ = reversal_task(n, length, n_symbols, seed=seed)
    logits, _, _ = model.forward(x, y)
    forced = np.argmax(logits, axis=-1)
    free, _ = model.generate(x, y.shape[0])
    hit_forced, hit_free = forced == y, free == y
    wrong = ~hit_free
    first = np.where(wrong.any(axis=0), wrong.argmax(axis=0), y.shape[0])
    after = np.arange(y.shape[0])[:, None] > first[None, :]
    return {
        "teacher_forced": hit_forced.mean(axis=1),
        "free_running": hit_free.mean(axis=1),
        "after_first_error": float(hit_free[after].mean()) if after.any() else np.nan,
        "teacher_forced_after": float(hit_forced[after].mean()) if after.any() else np.nan,
        "positions_after": int(after.sum()),
    }


def decoding_comparison(model, lengths, widths=(1, 2, 4, 8), n=100, n_symbols=8, seed=7):
    """For each beam width: the share of sources decoded exactly right and the mean
    log-probability of the chosen output, over ``n`` fresh strings per length.

    Returns dict width -> {"exact": share, "log_prob": mean log p(chosen | x),
    "better_than_truth": share of sources where the chosen output is *more* likely than the
    right answer (a model error no search can fix)}."""
    rng = np.random.default_rng(seed)
    sources = []
    for length in lengths:
        x, y, _ = reversal_task(n, int(length), n_symbols, seed=rng)
        sources += [(x[:, b : b + 1], y[:, b]) for b in range(n)]
    truth = [sequence_log_prob(model, x, y) for x, y in sources]
    out = {}
    for width in widths:
        exact, log_prob, beyond = [], [], []
        for (x, y), lp_true in zip(sources, truth):
            best = beam_search(model, x, len(y), width)[0]
            exact.append(best.ids == list(map(int, y)))
            log_prob.append(best.log_prob)
            beyond.append(best.log_prob > lp_true + 1e-9 and best.ids != list(map(int, y)))
        out[int(width)] = {
            "exact": float(np.mean(exact)),
            "log_prob": float(np.mean(log_prob)),
            "better_than_truth": float(np.mean(beyond)),
        }
    return out
