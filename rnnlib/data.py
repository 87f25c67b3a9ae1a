"""Seeded toy tasks and the character corpus.

(Over 500 lines on purpose: every dataset of the course is here, four small families of about
150 lines each, most of it docstrings, so that a reader looks in one place for all the data.)

Every dataset of the course comes from this module, and every function that draws random
numbers takes an explicit ``seed``: an ``int`` (same int, same data), an existing
``np.random.Generator`` (to chain several draws from one stream), or ``None`` (fresh entropy).
numpy's global random state is never touched, so ``np.random.seed`` elsewhere changes nothing.

Arrays are time-major as in PyTorch: a batch of ``B`` sequences of ``T`` steps with ``D``
features is ``x: (T, B, D)``. Real values are float64, class labels and ids int64.

Contents
--------
Long-range memory benchmarks
    :func:`adding_problem` (regression, with :data:`ADDING_BASELINE_MSE`),
    :func:`copy_task` (classification, with :func:`copy_task_baseline`).
Time series
    :func:`river_levels` (a synthetic daily river gauge), :func:`forecasting_windows`.
Characters
    :func:`char_corpus` (written by ``scripts/make_corpus.py``), :class:`CharVocab`,
    :func:`char_streams`.
Word order
    :data:`PROVERBS`, :func:`jumble`, :func:`proverb_order_task`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from importlib import resources

import numpy as np

from . import _checks

__all__ = [
    "ADDING_BASELINE_MSE",
    "adding_problem",
    "copy_task",
    "copy_task_baseline",
    "river_levels",
    "forecasting_windows",
    "char_corpus",
    "CharVocab",
    "char_streams",
    "PROVERBS",
    "jumble",
    "proverb_order_task",
]


# ---------------------------------------------------------------------------------------------
# Helpers: argument checks (randomness and integers: rnnlib._checks)
# ---------------------------------------------------------------------------------------------

def _pick(rng: np.random.Generator, options: Sequence):
    """One element of ``options``, uniformly at random."""
    return options[int(rng.integers(len(options)))]


def _check_ids(ids, name: str, size: int | None = None) -> np.ndarray:
    """Return ``ids`` as an int64 array, checking the dtype and (optionally) ``0 <= ids < size``."""
    arr = np.asarray(ids)
    if arr.size == 0:
        return arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise ValueError(f"{name} must be an array of integer ids, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if size is not None and (arr.min() < 0 or arr.max() >= size):
        bad = arr[(arr < 0) | (arr >= size)].flat[0]
        raise ValueError(f"{name} must lie in [0, {size}), got the id {bad}")
    return arr


# ---------------------------------------------------------------------------------------------
# The adding problem (Hochreiter & Schmidhuber, 1997)
# ---------------------------------------------------------------------------------------------

# Baseline: a network that ignores its input does best by always predicting the mean of the
# target, E[y] = E[u1 + u2] = 1/2 + 1/2 = 1. Its mean squared error is then the variance of
# the target: Var(u1 + u2) = Var(u1) + Var(u2) = 1/12 + 1/12 = 1/6 for two independent
# U(0, 1) values (Var U(0, 1) = 1/12). A model has learned something only below this line.
ADDING_BASELINE_MSE = 1.0 / 6.0


def adding_problem(n_samples: int, T: int, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: add the two marked numbers of a long sequence.

    At each step the network sees a random number and a marker bit. Exactly two steps are
    marked, one in the first half ``[0, T // 2)`` and one in the second half ``[T // 2, T)``;
    after the last step it must output the sum of the two marked numbers. The first marker
    can be up to ``T - 1`` steps before the answer is due, so the task measures how far back
    a recurrent network can carry information.

    Parameters
    ----------
    n_samples : int
        Number of sequences ``B`` (at least 1).
    T : int
        Sequence length (at least 2, one step per half).
    seed : None, int or np.random.Generator

    Returns
    -------
    x : ndarray, shape (T, B, 2), float64
        ``x[..., 0]`` uniform values in [0, 1); ``x[..., 1]`` the marker (0 or 1).
    y : ndarray, shape (B, 1), float64
        The sum of the two marked values, in [0, 2).

    See Also
    --------
    ADDING_BASELINE_MSE : the error (1/6) of always predicting 1.
    """
    n_samples = _checks.check_int(n_samples, "n_samples", 1)
    T = _checks.check_int(T, "T", 2)
    rng = _checks.rng_from(seed)
    values = rng.random((T, n_samples))
    first = rng.integers(0, T // 2, size=n_samples)
    second = rng.integers(T // 2, T, size=n_samples)
    markers = np.zeros((T, n_samples))
    columns = np.arange(n_samples)
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    x = np.stack([values, markers], axis=-1)
    y = (values[first, columns] + values[second, columns])[:, None]
    return x, y


# ---------------------------------------------------------------------------------------------
# The copy task (Hochreiter & Schmidhuber, 1997; Arjovsky et al., 2016)
# ---------------------------------------------------------------------------------------------

def copy_task(n_samples: int, n_symbols: int = 8, length: int = 5, delay: int = 20,
              seed=None) -> tuple[np.ndarray, np.ndarray]:
    """The copy task: memorise a few symbols, wait, then reproduce them in order.

    The input alphabet has ``V = n_symbols + 2`` classes: the symbols ``0 .. n_symbols - 1``,
    a *blank* (class ``n_symbols``) and a *go* marker (class ``n_symbols + 1``). Each sequence
    has ``T = length + delay + 1 + length`` steps laid out as::

        input :  s1 s2 .. sL | _  _ .. _ | go | _  _  .. _
        target:  _  _  .. _  | _  _ .. _ | _  | s1 s2 .. sL
                 length        delay       1    length

    so the network must hold ``length`` symbols for ``delay + 1`` steps of distraction-free
    waiting and output them after the go marker.

    Parameters
    ----------
    n_samples : int
        Number of sequences ``B`` (at least 1).
    n_symbols : int
        Number of symbol classes to memorise (at least 1).
    length : int
        Number of symbols per sequence (at least 1).
    delay : int
        Number of blank steps between the symbols and the go marker (at least 0).
    seed : None, int or np.random.Generator

    Returns
    -------
    x : ndarray, shape (T, B, n_symbols + 2), float64
        One-hot inputs.
    y : ndarray, shape (T, B), int64
        Target classes: blank (``n_symbols``) everywhere except the last ``length`` steps,
        which hold the memorised symbols ``y[-length:] == x[:length].argmax(-1)``.

    See Also
    --------
    copy_task_baseline : the cross-entropy of a model with no memory.
    """
    n_samples = _checks.check_int(n_samples, "n_samples", 1)
    n_symbols = _checks.check_int(n_symbols, "n_symbols", 1)
    length = _checks.check_int(length, "length", 1)
    delay = _checks.check_int(delay, "delay", 0)
    rng = _checks.rng_from(seed)
    blank, go = n_symbols, n_symbols + 1
    T = 2 * length + delay + 1
    symbols = rng.integers(0, n_symbols, size=(length, n_samples))
    inputs = np.full((T, n_samples), blank, dtype=np.int64)
    inputs[:length] = symbols
    inputs[length + delay] = go
    y = np.full((T, n_samples), blank, dtype=np.int64)
    y[-length:] = symbols
    x = np.eye(n_symbols + 2)[inputs]
    return x, y


def copy_task_baseline(n_symbols: int = 8, length: int = 5, delay: int = 20) -> float:
    """Per-step cross-entropy (nats) of the best copy-task model that has no memory.

    Derivation. A model that knows the layout of the sequence but remembers none of the
    symbols predicts the blank with certainty on the first ``length + delay + 1`` steps (loss
    ``-ln 1 = 0``), and on each of the last ``length`` steps can do no better than the uniform
    distribution over the symbols (loss ``ln(n_symbols)`` each, since every symbol is equally
    likely). Averaged over the ``T = 2 * length + delay + 1`` steps::

        baseline = length * ln(n_symbols) / (2 * length + delay + 1)

    A model whose mean per-step loss is not below this number has memorised nothing.

    Parameters
    ----------
    n_symbols, length, delay : int
        As in :func:`copy_task`.

    Returns
    -------
    float
        The baseline in nats per step (0 when ``n_symbols == 1``).
    """
    n_symbols = _checks.check_int(n_symbols, "n_symbols", 1)
    length = _checks.check_int(length, "length", 1)
    delay = _checks.check_int(delay, "delay", 0)
    return length * math.log(n_symbols) / (2 * length + delay + 1)


# ---------------------------------------------------------------------------------------------
# A synthetic river gauge
# ---------------------------------------------------------------------------------------------

_MEAN_LEVEL = 2.0          # metres
_SEASONAL_AMPLITUDE = 0.5  # metres; high in winter, low in summer
_WETTEST_DAY = 15          # day of the year with the highest seasonal level (mid-January)
_STORM_CHANCE = 0.04       # mean chance of a rain event per day (0.01 in summer, 0.07 in winter)
_SURGE_MEAN = 0.6          # metres; mean sudden rise caused by one rain event
_SURGE_DECAY_DAYS = 4.0    # e-folding time of the fall after an event
_NOISE_STD = 0.02          # metres; gauge measurement noise
_DAYS_PER_YEAR = 365.25


def _seasonal_phase(days: np.ndarray) -> np.ndarray:
    """``cos`` of the yearly cycle: ``1`` on the wettest day, ``-1`` half a year later."""
    return np.cos(2 * np.pi * (days - _WETTEST_DAY) / _DAYS_PER_YEAR)


def _rain_surges(n_days: int, rng: np.random.Generator) -> np.ndarray:
    """Extra level ``(n_days,)`` from rain events: a sharp rise, then exponential decay.

    Storms arrive more often in winter. The surge obeys ``s[t] = a * s[t-1] + jump[t]`` with
    ``a = exp(-1 / decay_days)``: a one-unit linear recurrent network driven by the rain.
    """
    chance = _STORM_CHANCE * (1 + 0.75 * _seasonal_phase(np.arange(n_days)))
    storms = rng.random(n_days) < chance
    jumps = np.where(storms, rng.exponential(_SURGE_MEAN, size=n_days), 0.0)
    a = math.exp(-1.0 / _SURGE_DECAY_DAYS)
    surge = np.empty(n_days)
    level = 0.0
    for t in range(n_days):
        level = a * level + jumps[t]
        surge[t] = level
    return surge


def river_levels(n_days: int, seed=None) -> np.ndarray:
    """A synthetic daily river-level series in metres, starting on 1 January.

    level = seasonal cycle + rain surges + measurement noise, where

    * the seasonal cycle is ``2.0 + 0.5 cos(2 pi (day - 15) / 365.25)`` m (wet winters);
    * rain events (about 15 a year, more in winter) raise the level by an exponentially
      distributed amount (mean 0.6 m) that then decays with an e-folding time of 4 days;
    * the gauge adds Gaussian noise with a standard deviation of 2 cm.

    Typical values lie between 1.5 and 4 m, with rare floods above that.

    Parameters
    ----------
    n_days : int
        Length of the series (at least 1).
    seed : None, int or np.random.Generator

    Returns
    -------
    ndarray, shape (n_days,), float64
    """
    n_days = _checks.check_int(n_days, "n_days", 1)
    rng = _checks.rng_from(seed)
    seasonal = _MEAN_LEVEL + _SEASONAL_AMPLITUDE * _seasonal_phase(np.arange(n_days))
    surges = _rain_surges(n_days, rng)
    noise = _NOISE_STD * rng.standard_normal(n_days)
    return seasonal + surges + noise


def forecasting_windows(series, T: int, stride: int | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series into windows for one-step-ahead forecasting.

    Window ``i`` starts at ``start = i * stride``; its inputs are the ``T`` values from
    ``start`` and its targets the same values one step later, so at every step the network
    predicts tomorrow from today (and, through its state, from the past of the window):
    ``y[t, i, 0] == series[start + t + 1] == x[t + 1, i, 0]``. Windows that would need a
    value beyond the end of the series are dropped.

    Parameters
    ----------
    series : array_like, shape (N,)
        The series, with ``N >= T + 1`` finite values.
    T : int
        Window length (at least 1).
    stride : int, optional
        Steps between the starts of consecutive windows (at least 1). Defaults to ``T``,
        i.e. non-overlapping windows.

    Returns
    -------
    x : ndarray, shape (T, n_windows, 1), float64
    y : ndarray, shape (T, n_windows, 1), float64
        ``n_windows = (N - T - 1) // stride + 1``.
    """
    T = _checks.check_int(T, "T", 1)
    stride = T if stride is None else _checks.check_int(stride, "stride", 1)
    values = _check_series(series)
    if values.size < T + 1:
        raise ValueError(f"series must hold at least T + 1 = {T + 1} values for one window "
                         f"and its next-step targets, got {values.size}")
    n_windows = (values.size - T - 1) // stride + 1
    index = np.arange(T)[:, None] + stride * np.arange(n_windows)[None, :]
    return values[index][..., None], values[index + 1][..., None]


def _check_series(series) -> np.ndarray:
    """Return ``series`` as a finite 1-D float64 array ``(N,)``."""
    arr = np.asarray(series)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"series must be an array of real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"series must be 1-D with shape (N,), got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"series must be finite, got {arr[~np.isfinite(arr)][0]} "
                         f"at index {int(np.argmin(np.isfinite(arr)))}")
    return arr


# ---------------------------------------------------------------------------------------------
# The character corpus
# ---------------------------------------------------------------------------------------------

def char_corpus() -> str:
    """The shipped character corpus ``rnnlib/data_files/corpus.txt`` (about 40 KB of ASCII).

    Returns
    -------
    str
        Written by ``scripts/make_corpus.py`` from a small hand-written grammar (a test checks
        that the file is that script's output).
    """
    package = __name__.rpartition(".")[0] or "rnnlib"
    path = resources.files(package).joinpath("data_files", "corpus.txt")
    return path.read_text(encoding="utf-8")


class CharVocab:
    """A character vocabulary: each distinct character of a text gets an integer id.

    Ids follow the sorted order of the characters, so the same text always gives the same
    vocabulary.

    Parameters
    ----------
    text : str
        A non-empty text whose characters make up the vocabulary.

    Attributes
    ----------
    chars : tuple of str
        The ``V`` characters, sorted; ``chars[i]`` has id ``i``.
    size : int
        ``V``, the number of characters.

    Examples
    --------
    >>> vocab = CharVocab("hello")
    >>> vocab.chars
    ('e', 'h', 'l', 'o')
    >>> vocab.encode("hole").tolist()
    [1, 3, 2, 0]
    >>> vocab.decode([2, 0])
    'le'
    """

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError(f"text must be a non-empty str, got {type(text).__name__} "
                             f"{text!r:.40}")
        self.chars = tuple(sorted(set(text)))
        self._ids = {ch: i for i, ch in enumerate(self.chars)}

    @property
    def size(self) -> int:
        """The number of characters ``V``."""
        return len(self.chars)

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"CharVocab(size={self.size})"

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text``: shape ``(len(text),)``, int64.

        Raises ``ValueError`` naming the first character that is not in the vocabulary.
        """
        if not isinstance(text, str):
            raise ValueError(f"text must be a str, got {type(text).__name__}")
        unknown = next((ch for ch in text if ch not in self._ids), None)
        if unknown is not None:
            raise ValueError(f"character {unknown!r} is not in the vocabulary "
                             f"of {self.size} characters")
        return np.fromiter((self._ids[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text spelled by ``ids``, an integer array-like of shape ``(N,)``."""
        arr = _check_ids(ids, "ids", self.size)
        if arr.ndim != 1:
            raise ValueError(f"ids must be 1-D with shape (N,), got shape {arr.shape}")
        return "".join(self.chars[i] for i in arr)

    def one_hot(self, ids) -> np.ndarray:
        """One-hot vectors for integer ``ids`` of any shape ``S``: shape ``S + (V,)``, float64."""
        arr = _check_ids(ids, "ids", self.size)
        return np.eye(self.size)[arr]


def char_streams(ids, T: int, B: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Batches for truncated BPTT: ``B`` parallel streams, read ``T`` steps at a time.

    The id sequence is cut into ``B`` contiguous pieces of ``L = len(ids) // B`` ids each
    (the ragged tail of ``len(ids) % B`` ids is dropped); piece ``b`` becomes column ``b``.
    Chunk ``k`` holds steps ``k*T .. k*T + T - 1`` of every column, and its targets are the
    same steps shifted by one, i.e. the next character. Because column ``b`` of chunk ``k+1``
    continues exactly where column ``b`` of chunk ``k`` stopped, the final hidden state of one
    chunk is the right initial state for the next: carry it over (detached from the gradient)
    instead of resetting it. Only whole chunks are produced: ``(L - 1) // T`` of them.

    Parameters
    ----------
    ids : array_like of int, shape (N,)
        The encoded text, e.g. ``CharVocab(text).encode(text)``.
    T : int
        Truncation length: time steps per chunk (at least 1).
    B : int
        Batch size: number of parallel streams (at least 1).

    Yields
    ------
    inputs : ndarray, shape (T, B), int64
    targets : ndarray, shape (T, B), int64
        ``targets[t] == inputs[t + 1]`` within a chunk, and the last target row of a chunk
        equals the first input row of the next.

    Raises
    ------
    ValueError
        Raised at the call (not on first iteration) if the arguments are invalid or ``ids``
        is too short for a single chunk, i.e. ``len(ids) < B * (T + 1)``.
    """
    T = _checks.check_int(T, "T", 1)
    B = _checks.check_int(B, "B", 1)
    arr = _check_ids(ids, "ids")
    if arr.ndim != 1:
        raise ValueError(f"ids must be 1-D with shape (N,), got shape {arr.shape}")
    if arr.size < B * (T + 1):
        raise ValueError(f"ids must hold at least B * (T + 1) = {B * (T + 1)} ids for one "
                         f"chunk of T = {T} steps in B = {B} streams, got {arr.size}")
    L = arr.size // B
    streams = arr[:B * L].reshape(B, L).T  # (L, B): column b is piece b
    return _chunks(streams, T)


def _chunks(streams: np.ndarray, T: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(streams[kT : kT+T], streams[kT+1 : kT+T+1])`` for every whole chunk ``k``."""
    n_chunks = (streams.shape[0] - 1) // T
    for k in range(n_chunks):
        start = k * T
        yield streams[start:start + T].copy(), streams[start + 1:start + T + 1].copy()


# ---------------------------------------------------------------------------------------------
# Word order: correct and jumbled proverbs
# ---------------------------------------------------------------------------------------------

PROVERBS: tuple[str, ...] = (
    "honesty is the best policy",
    "an apple a day keeps the doctor away",
    "prevention is better than cure",
    "all is fair in love and war",
    "practice makes perfect",
    "the early bird catches the worm",
    "actions speak louder than words",
    "better late than never",
    "look before you leap",
    "every cloud has a silver lining",
    "time is money",
    "knowledge is power",
    "no pain no gain",
    "out of sight out of mind",
    "first come first served",
    "like father like son",
    "easy come easy go",
    "two heads are better than one",
    "a stitch in time saves nine",
    "where there is smoke there is fire",
    "birds of a feather flock together",
    "the pen is mightier than the sword",
    "rome was not built in a day",
    "beauty is in the eye of the beholder",
    "when in rome do as the romans do",
    "still waters run deep",
    "great minds think alike",
    "absence makes the heart grow fonder",
    "laughter is the best medicine",
    "many hands make light work",
    "a picture is worth a thousand words",
    "don't count your chickens before they hatch",
)
"""Well-known English proverbs, lower case, words separated by single spaces."""

_PAD = "<pad>"


def jumble(words: Sequence[str], rng) -> list[str]:
    """Swap two different words of a sentence: "policy is the best honesty".

    Both positions are drawn at random, but the second only among positions holding a word
    different from the first, so the result always differs from the input even when words
    repeat ("no pain no gain"). The bag of words is unchanged: only the order differs.

    Parameters
    ----------
    words : sequence of str
        The sentence as a list of words; it needs at least two different words.
    rng : int or np.random.Generator
        Source of randomness (an int is used as a seed).

    Returns
    -------
    list of str
        A new list; ``words`` is not modified.
    """
    words = list(words)
    if len(set(words)) < 2:
        raise ValueError(f"words must contain at least two different words to swap, "
                         f"got {words!r}")
    rng = _checks.rng_from(rng)
    i = int(rng.integers(len(words)))
    others = [j for j, w in enumerate(words) if w != words[i]]
    j = _pick(rng, others)
    words[i], words[j] = words[j], words[i]
    return words


def _proverb_vocab() -> list[str]:
    """``['<pad>', ...]`` followed by every word of :data:`PROVERBS`, sorted."""
    return [_PAD] + sorted({w for p in PROVERBS for w in p.split()})


def proverb_order_task(n_samples: int, seed=None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Classify proverbs as correctly ordered (1) or jumbled (0).

    ``n_samples / 2`` proverbs are drawn (with replacement) from :data:`PROVERBS`; each is
    included twice, once as it is and once passed through :func:`jumble`, and the samples are
    shuffled. The two classes therefore contain exactly the same bags of words: a model that
    ignores word order (an average of word embeddings, say) cannot beat 50 % accuracy, while
    a recurrent network reading the words in order can.

    Parameters
    ----------
    n_samples : int
        Number of sentences, even and at least 2.
    seed : None, int or np.random.Generator

    Returns
    -------
    x_ids : ndarray, shape (T_max, n_samples), int64
        Word ids, time-major; sequence ``i`` occupies ``x_ids[:lengths[i], i]`` and is padded
        with the id 0 after that. ``T_max`` is the length of the longest proverb in
        :data:`PROVERBS` (so the shape does not depend on the seed).
    lengths : ndarray, shape (n_samples,), int64
        Number of words in each sentence.
    y : ndarray, shape (n_samples,), int64
        1 for the correct order, 0 for a jumbled one.
    vocab : list of str
        ``vocab[id]`` is the word with that id; ``vocab[0] == '<pad>'``. The vocabulary
        covers all of :data:`PROVERBS`, so it is the same for every call.
    """
    n_samples = _checks.check_int(n_samples, "n_samples", 2)
    if n_samples % 2:
        raise ValueError(f"n_samples must be even (half correct, half jumbled), "
                         f"got {n_samples}")
    rng = _checks.rng_from(seed)
    vocab = _proverb_vocab()
    word_id = {w: i for i, w in enumerate(vocab)}
    sentences, labels = [], []
    for k in rng.integers(len(PROVERBS), size=n_samples // 2):
        words = PROVERBS[k].split()
        sentences += [words, jumble(words, rng)]
        labels += [1, 0]
    order = rng.permutation(n_samples)
    T_max = max(len(p.split()) for p in PROVERBS)
    x_ids = np.zeros((T_max, n_samples), dtype=np.int64)
    lengths = np.zeros(n_samples, dtype=np.int64)
    for column, i in enumerate(order):
        ids = [word_id[w] for w in sentences[i]]
        x_ids[:len(ids), column] = ids
        lengths[column] = len(ids)
    y = np.asarray(labels, dtype=np.int64)[order]
    return x_ids, lengths, y, vocab


def __getattr__(name):
    # ``generate_corpus`` moved to scripts/make_corpus.py (the corpus ships as a file); the old
    # name still works in a checkout of the course, where that script is found
    if name == "generate_corpus":
        import importlib.util
        from pathlib import Path
        script = Path(__file__).resolve().parents[1] / "scripts" / "make_corpus.py"
        if not script.is_file():
            raise AttributeError("generate_corpus lives in the course's scripts/make_corpus.py, "
                                 "which is not next to this installation of rnnlib")
        spec = importlib.util.spec_from_file_location("make_corpus", script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.generate_corpus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
