r"""Numbers for notebook 11: looking inside a trained character model.

Two ways in (after Karpathy, Johnson & Fei-Fei 2015, and Madsen's "Visualizing memorization in
RNNs", Distill 2019):

* **Units.** Run the model over a passage and record, at every character, each hidden unit
  :math:`h_t`, each cell-state unit :math:`c_t` and each gate. :func:`unit_feature_table`
  correlates every unit with simple properties of the text (where in the line we are, whether a
  word is ending, whether we are inside a speaker's name) and says how many units match none of
  them.
* **Connectivity.** How much does the prediction at character t depend on the input j characters
  back? :func:`connectivity` computes :math:`\|\partial \ell_t / \partial x_{t-j}\|` by BPTT,
  where :math:`\ell_t = -\log p(x_{t+1} \mid x_{\le t})` is the loss of the next character:
  notebook 03's vanishing gradient, measured on real text.

Shapes: a passage of T characters gives traces ``(T, H)``; one stream (B = 1).
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from ..losses import softmax

__all__ = [
    "SIGNALS",
    "trace",
    "text_features",
    "unit_feature_table",
    "connectivity",
    "mean_connectivity",
    "text_grid",
]

#: what can be traced, with a label for figures: hidden state, cell state and the LSTM's gates
SIGNALS = {
    "h": "hidden state h",
    "c": "cell state c",
    "i": "input gate i",
    "f": "forget gate f",
    "o": "output gate o",
    "g": "candidate g",
}


def _one_hot(ids, V):
    return np.eye(V)[np.asarray(ids)][:, None, :]  # (T, 1, V)


def trace(model, vocab, text):
    """Run ``model`` (a character ``RecurrentNetwork`` with an LSTM or RNN layer) over ``text``
    from a zero state and return signal -> (T, H) for every signal the layer has (an RNN has
    only "h")."""
    ids = vocab.encode(text)
    _, _, cache = model.forward(_one_hot(ids, vocab.size))
    rnn_cache = cache["rnn"]
    out = {"h": np.asarray(cache["hs"])[:, 0]}
    if "cs" in rnn_cache:
        out["c"] = np.asarray(rnn_cache["cs"])[:, 0]
        for name in ("i", "f", "g", "o"):
            out[name] = np.asarray(rnn_cache["gates"][name])[:, 0]
    return out


def text_features(text):
    """Simple, checkable properties of each character of ``text`` (arrays of length T):

    * ``position in line``: characters since the last newline (0 at a line's first character);
    * ``end of word``: 1 when the next character is a space, a newline or punctuation;
    * ``speaker's name``: 1 inside a line that names the next speaker (Tiny Shakespeare writes
      "MENENIUS:" or "First Citizen:" alone on a line);
    * ``start of line``: 1 on a line's first character.
    """
    T = len(text)
    position = np.zeros(T)
    speaker = np.zeros(T)
    start = 0
    for line in text.split("\n"):
        n = len(line)
        position[start : start + n] = np.arange(n)
        if n and line.endswith(":") and len(line) < 40:
            speaker[start : start + n] = 1.0
        if start + n < T:
            position[start + n] = n  # the newline ends the line
        start += n + 1
    nxt = np.array(list(text[1:]) + [" "])
    end_of_word = np.isin(nxt, list(" \n.,;:!?'-")).astype(float)
    start_of_line = (position == 0).astype(float)
    return {
        "position in line": position,
        "end of word": end_of_word,
        "speaker's name": speaker,
        "start of line": start_of_line,
    }


def _correlations(signal, feature):
    """Pearson correlation of every column of ``signal (T, H)`` with ``feature (T,)`` (0 for a
    constant column)."""
    s = signal - signal.mean(axis=0)
    f = feature - feature.mean()
    denom = np.sqrt((s**2).sum(axis=0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (s * f[:, None]).sum(axis=0) / denom
    return np.where(denom > 0, r, 0.0)


def unit_feature_table(traces, features, threshold=0.5):
    """For every signal and feature, the unit that correlates most with the feature.

    Returns dict with ``best``: list of (feature, signal, unit, r) for the strongest unit of
    each feature over all signals; ``r``: signal -> (n_features, H) correlations; ``features``:
    the feature names; ``unexplained``: signal -> how many of its H units reach |r| >= threshold
    with no feature; ``threshold``."""
    names = list(features)
    r = {
        sig: np.stack([_correlations(values, features[n]) for n in names])
        for sig, values in traces.items()
    }
    best = []
    for k, name in enumerate(names):
        sig, unit = max(
            ((s, int(np.argmax(np.abs(r[s][k])))) for s in r),
            key=lambda su: abs(r[su[0]][k, su[1]]),
        )
        best.append((name, sig, unit, float(r[sig][k, unit])))
    unexplained = {sig: int(np.sum(np.abs(r[sig]).max(axis=0) < threshold)) for sig in r}
    return {
        "best": best,
        "r": r,
        "features": names,
        "unexplained": unexplained,
        "threshold": threshold,
    }


def connectivity(model, vocab, text, t, K):
    """:math:`\\|\\partial \\ell_t / \\partial x_{t-j}\\|` for j = 0..K, where
    :math:`\\ell_t = -\\log p(\\text{text}[t+1] \\mid \\text{text}[\\le t])`, by BPTT through
    the window ``text[t-K .. t]`` read from a zero state. Returns (K + 1,), index j."""
    t, K = _checks.check_positive_int(t, "t"), _checks.check_positive_int(K, "K")
    if t - K < 0 or t + 1 >= len(text):
        raise ValueError(
            f"need K <= t < len(text) - 1, got t = {t}, K = {K}, len(text) = {len(text)}"
        )
    ids = vocab.encode(text[t - K : t + 2])
    x = _one_hot(ids[:-1], vocab.size)  # K + 1 inputs, ending at t
    ys, _, cache = model.forward(x)
    dys = np.zeros_like(ys)
    p = softmax(ys[-1, 0])
    dys[-1, 0] = p - np.eye(vocab.size)[ids[-1]]  # d(-log p(next)) / d(logits_t)
    dx, _, _ = model.backward(dys, cache)
    return np.linalg.norm(dx[::-1, 0], axis=-1)  # reversed: index j = t - step


def mean_connectivity(model, vocab, text, K, positions):
    """The geometric mean of :func:`connectivity` over the given positions (a (K + 1,) array):
    a typical value per distance j, robust to the few positions that dominate a plain mean."""
    logs = [np.log(connectivity(model, vocab, text, int(t), K) + 1e-300) for t in positions]
    return np.exp(np.mean(logs, axis=0))


def text_grid(text, width=64):
    """Lay ``text`` out one line per row (a newline shown as '¶' at the end of its row; a line
    longer than ``width`` continues on the next row), so that the position in the line runs
    from left to right. Returns the list of row strings and the (rows, width) index of each
    cell's character in ``text`` (-1 for empty cells)."""
    rows, starts = [], []
    pos = 0
    for line in text.split("\n"):
        shown = line + ("¶" if pos + len(line) < len(text) else "")
        for k in range(0, max(len(shown), 1), width):
            if shown[k : k + width]:
                rows.append(shown[k : k + width])
                starts.append(pos + k)
        pos += len(line) + 1
    index = -np.ones((len(rows), width), dtype=int)
    for r, (row, start) in enumerate(zip(rows, starts)):
        index[r, : len(row)] = np.arange(start, start + len(row))
    return rows, index
