"""The tiny tasks of notebook 07, one per input/output shape: the data only, no training.

* one-to-one, :func:`circle_task`: is a point inside a circle?
* one-to-many, :func:`wave_task`: draw a wave from one vector (a, omega).
* many-to-one, :func:`rnnlib.data.proverb_order_task` with :func:`proverb_inputs`: right or
  jumbled proverb; :func:`bag_of_words_accuracy` is the best any order-blind model can do.
* many-to-many, :func:`tomorrow_level_task`: tomorrow's river level, every day;
  :func:`persistence_rmse` is the "tomorrow = today" baseline.
* encoder-decoder, :func:`reverse_task`: reverse a sequence, then say "stop".
* bidirectional, :func:`blank_task`: "she felt ___ the weather today"; the answer comes after
  the blank.

Shapes are time-major, as everywhere in rnnlib: ``x: (T, B, D)``.
"""

from __future__ import annotations

import numpy as np

from .. import _checks
from ..data import forecasting_windows, river_levels
from ..losses import softmax_cross_entropy

__all__ = ["circle_task", "wave_task", "proverb_inputs", "bag_of_words_accuracy",
           "tomorrow_level_task", "persistence_rmse", "metres", "reverse_task",
           "BLANK_ANSWERS", "BLANK_STEP", "blank_task", "blank_loss"]


def circle_task(n, seed=0):
    """Points uniform in the square [-1, 1]^2, labelled 1 inside the circle of area 2 (half the
    square), radius sqrt(2/pi) ~ 0.80, else 0.

    Returns:
        x: (1, n, 2): a "sequence" of one step; y: (n,) int64 labels.
    """
    rng = np.random.default_rng(seed)
    pts = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (np.sum(pts ** 2, axis=1) < 2.0 / np.pi).astype(np.int64)
    return pts[None], y


def wave_task(n, T_y=24, seed=0):
    r"""Draw a wave from one vector: the input v = (a, omega) arrives at step 1 only, and the
    network must output :math:`y_t = a \sin(\omega t)` for t = 1..T_y. A stand-in for image
    captioning (an image in, words out) and music generation (a style in, notes out).

    Args:
        n: number of sequences; T_y: output length.

    Returns:
        v: (n, 2) the vectors (amplitude a in [0.5, 1], omega in [0.3, 0.9] rad per step);
        x: (T_y, n, 2): v at step 1, zeros after; y: (T_y, n, 1) targets.
    """
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.0, size=n)
    omega = rng.uniform(0.3, 0.9, size=n)
    t = np.arange(1, T_y + 1)[:, None]
    y = (a * np.sin(omega * t))[..., None]
    v = np.stack([a, omega], axis=1)
    x = np.zeros((T_y, n, 2))
    x[0] = v
    return v, x, y


def proverb_inputs(x_ids, lengths, vocab_size):
    """One-hot word vectors, right-aligned so every sentence ends at the last step.

    A many-to-one network reads its answer off the last hidden state h_T, so the last word
    must be at step T: shorter sentences are padded at the *front* with zero vectors (the
    padding id 0 has no one-hot column).

    Args:
        x_ids: (T, B) word ids, padded at the end with 0 (as :func:`rnnlib.data.proverb_order_task`
            returns them); lengths: (B,); vocab_size: V, including the padding id.

    Returns:
        x: (T, B, V - 1) float64.
    """
    x_ids = np.asarray(x_ids)
    T, B = x_ids.shape
    shifted = np.zeros_like(x_ids)
    for b in range(B):
        n = int(lengths[b])
        shifted[T - n:, b] = x_ids[:n, b]
    return np.eye(vocab_size)[shifted][..., 1:]


def bag_of_words_accuracy(x_ids, lengths, y, vocab_size):
    """How well any order-blind model could do: group sentences by their bag of words; the best
    such model answers each bag's majority label. Returns that best accuracy (0.5 when every
    bag appears once right and once jumbled, as :func:`rnnlib.data.proverb_order_task` makes
    them)."""
    groups = {}
    for b in range(len(y)):
        key = tuple(sorted(int(i) for i in x_ids[:lengths[b], b]))
        groups.setdefault(key, []).append(int(y[b]))
    best = sum(max(sum(v), len(v) - sum(v)) for v in groups.values())
    return best / len(y)


def tomorrow_level_task(T=30, stride=3, years=3, seed=0):
    """Tomorrow's river level from the levels so far (the IBM introduction's flood example), with
    :func:`rnnlib.data.river_levels`. The first ``years - 1`` years train, the last one tests.

    Levels are scaled to [0, 1] over the training years, (level - low) / scale, so that even a
    flood stays in the range where tanh responds.

    Returns:
        dict with ``x``, ``y``: (T, n_windows, 1) scaled training windows
        (:func:`rnnlib.data.forecasting_windows`); ``test_x``, ``test_y``: (365, 1, 1) the test
        year as one sequence; ``low``, ``scale`` in metres; ``test_days``: (365,) day numbers
        of the test targets (day 0 is 1 January of the first year).
    """
    series = river_levels(years * 365 + 1, seed=seed)
    n_train = (years - 1) * 365
    train, test = series[:n_train + 1], series[n_train:]
    low, scale = float(train.min()), float(train.max() - train.min())
    x, y = forecasting_windows((train - low) / scale, T, stride)
    z = (test - low) / scale
    return {"x": x, "y": y, "test_x": z[:-1, None, None], "test_y": z[1:, None, None],
            "low": low, "scale": scale, "test_days": np.arange(n_train + 1, n_train + len(test))}


def metres(task, z):
    """Scaled levels z back to metres."""
    return z * task["scale"] + task["low"]


def persistence_rmse(task):
    """RMSE in metres of the forecast "tomorrow = today" on the test year."""
    err = (task["test_x"] - task["test_y"])[:, 0, 0] * task["scale"]
    return float(np.sqrt(np.mean(err ** 2)))


def reverse_task(n, T_x, n_symbols=6, seed=0):
    """Reverse a sequence of symbols and say "stop": x = (3, 1, 4, 1) -> y = (1, 4, 1, 3, <end>).

    T_y = T_x + 1: the output is one step longer than the input, and the decoder must learn
    when to stop.

    Returns:
        x: (T_x, n, n_symbols) one-hot; y: (T_x + 1, n) int64 ids, where id ``n_symbols`` is
        <end>; ids: (T_x, n) the input symbols.
    """
    rng = _checks.rng_from(seed)
    ids = rng.integers(0, n_symbols, size=(T_x, n))
    y = np.concatenate([ids[::-1], np.full((1, n), n_symbols)], axis=0)
    return np.eye(n_symbols)[ids], y, ids


#: the blank's answer is fixed by the noun two words later: "feeling ___ the weather" -> under
BLANK_ANSWERS = {"weather": "under", "moon": "over", "pink": "in", "mend": "on"}
_SUBJECTS = ("i", "you", "she", "he", "we", "they", "grandad", "the cat")
_VERBS = ("am", "was", "felt", "seemed", "looked", "is", "were", "are")
_ENDINGS = ("today", "again", "lately", "tonight", "all week", "this morning")
_BLANK = "___"


def _blank_vocab():
    words = set(_SUBJECTS) | set(_VERBS) | set(_ENDINGS) | set(BLANK_ANSWERS) | {"the", _BLANK}
    return sorted(words)


def blank_task(n, seed=0):
    """Fill in the blank: "she felt ___ the weather today" -> "under".

    Every sentence is six tokens: subject, verb, ``___``, "the", noun, ending (multi-word
    subjects and endings count as one token). The answer, one of four prepositions, is set by
    the noun *two steps after* the blank (:data:`BLANK_ANSWERS`); nothing before the blank says
    anything about it, so a forward RNN, which must answer at the blank's own step, can do no
    better than guessing (accuracy 1/4, loss ln 4).

    Returns:
        x: (6, n, V) one-hot tokens; y: (n,) answer ids (index into ``answers``);
        sentences: list of n strings; vocab: the V tokens; answers: the 4 prepositions.
        The blank is always step 3 (index 2).
    """
    rng = np.random.default_rng(seed)
    vocab = _blank_vocab()
    index = {w: i for i, w in enumerate(vocab)}
    nouns = sorted(BLANK_ANSWERS)
    answers = sorted(set(BLANK_ANSWERS.values()))
    tokens = np.empty((6, n), dtype=np.int64)
    y = np.empty(n, dtype=np.int64)
    sentences = []
    for b in range(n):
        noun = nouns[rng.integers(len(nouns))]
        words = [_SUBJECTS[rng.integers(len(_SUBJECTS))], _VERBS[rng.integers(len(_VERBS))],
                 _BLANK, "the", noun, _ENDINGS[rng.integers(len(_ENDINGS))]]
        tokens[:, b] = [index[w] for w in words]
        y[b] = answers.index(BLANK_ANSWERS[noun])
        sentences.append(" ".join(words))
    return np.eye(len(vocab))[tokens], y, sentences, vocab, answers


BLANK_STEP = 2  # 0-based index of the blank in every sentence of :func:`blank_task`


def blank_loss(logits, y):
    """Cross-entropy at the blank's step only; the other steps have no loss."""
    loss, d_at_blank = softmax_cross_entropy(logits[BLANK_STEP], y)
    dlogits = np.zeros_like(logits)
    dlogits[BLANK_STEP] = d_at_blank
    return loss, dlogits
