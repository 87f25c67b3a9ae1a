r"""Numbers for notebook 08: a character-level language model, trained and sampled with rnnlib.

In the spirit of Karpathy's min-char-rnn, but batched: ``B`` streams of the corpus are read in
parallel (:func:`rnnlib.data.char_streams`), ``k`` characters at a time, with the hidden state
carried from one chunk to the next and the gradient truncated at the chunk's start (truncated
BPTT). Each step's input is a one-hot character :math:`x_t \in \{0, 1\}^V`; the output
:math:`\hat y_t = W_{hy} h_t + b_y` scores the V possible next characters; the loss is the
softmax cross-entropy of the true next character, averaged over all characters of the chunk, in
nats (divide by ln 2 for bits per character).

Notation as in notebook 08: the chunk (truncation) length is ``k`` and the sampling temperature
is ``tau`` (τ). The older keyword names ``T=`` and ``temperature=`` still work.

:func:`minchar_train` is the other way to train the same model: one sequence, one character at
a time, in a per-step Python loop, as min-char-rnn does. The notebook times both.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from .. import _checks, cells
from ..cell_registry import cell_layer
from ..data import CharVocab, char_corpus, char_streams
from ..layers import GRU, LSTM
from ..losses import log_softmax, softmax, softmax_cross_entropy
from ..networks import Linear, RecurrentNetwork
from ..optim import Adagrad, Adam, clip_grad_norm
from .minchar import minchar_train

__all__ = ["Corpus", "load_corpus", "load_shakespeare", "shakespeare_model", "train_shakespeare",
           "save_shakespeare_weights", "SHAKESPEARE", "make_model", "TrainLog", "train_char_lm",
           "evaluate",
           "bits", "temperature_probs", "next_logits", "read_context", "next_char_probs",
           "sample", "surprisal", "baseline_bits",
           "real_word_fraction", "minchar_train",
           "batched_throughput"]

LN2 = math.log(2.0)


def bits(nats):
    """Nats per character -> bits per character: divide by ln 2."""
    return nats / LN2


@dataclass
class Corpus:
    """The course's character corpus, split into a training part and a held-out tail.

    Attributes:
        text: the whole corpus; vocab: a :class:`rnnlib.data.CharVocab` of all its characters;
        train_ids, val_ids: int64 ids of the first ``1 - val_fraction`` and the rest.
    """

    text: str
    vocab: CharVocab
    train_ids: np.ndarray
    val_ids: np.ndarray


def load_corpus(val_fraction=0.1):
    """:func:`rnnlib.data.char_corpus`, encoded, with its last ``val_fraction`` held out."""
    text = char_corpus()
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * (1 - val_fraction))
    return Corpus(text, vocab, ids[:cut], ids[cut:])


# ---------------------------------------------------------------------------------------------
# Real text: a part of Tiny Shakespeare, and a small LSTM pretrained on it

#: settings of the pretrained Shakespeare model (scripts/train_shakespeare.py uses these)
SHAKESPEARE = dict(cell="lstm", hidden_size=128, updates=1500, k=64, B=32, lr=3e-3,
                   max_norm=5.0, seed=0)
SHAKESPEARE_WEIGHTS = "shakespeare_lstm.npz"


def _data_file(name):
    package = __name__.split(".")[0]
    return resources.files(package).joinpath("data_files", name)


def load_shakespeare(val_fraction=0.1):
    """The first 200,376 characters of Tiny Shakespeare (Shakespeare's plays, public domain;
    from Karpathy's char-rnn, see ``rnnlib/data_files/tinyshakespeare_part_SOURCE.txt``),
    encoded, with its last ``val_fraction`` held out. Shipped with the package: no download.

    Returns:
        :class:`Corpus`.
    """
    text = _data_file("tinyshakespeare_part.txt").read_text(encoding="utf-8")
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * (1 - val_fraction))
    return Corpus(text, vocab, ids[:cut], ids[cut:])


def train_shakespeare(corpus=None, printer=None, **overrides):
    """Train the Shakespeare model from its seed with the :data:`SHAKESPEARE` settings (a few
    minutes: this is what ``scripts/train_shakespeare.py`` runs).

    Returns:
        (model, TrainLog).
    """
    corpus = corpus if corpus is not None else load_shakespeare()
    cfg = {**SHAKESPEARE, **overrides}
    model = make_model(cfg["cell"], corpus.vocab.size, cfg["hidden_size"], seed=cfg["seed"])
    log = train_char_lm(model, corpus.train_ids, corpus.vocab, cfg["updates"], k=cfg["k"],
                        B=cfg["B"], lr=cfg["lr"], max_norm=cfg["max_norm"],
                        log_every=max(1, cfg["updates"] // 10), printer=printer)
    return model, log


def shakespeare_model(corpus=None, retrain=False, printer=None, weights=None):
    """The LSTM language model of Tiny Shakespeare: by default the pretrained weights shipped in
    ``rnnlib/data_files/shakespeare_lstm.npz`` (stored in float32, computed with in float64;
    ``weights``: another .npz written by :func:`save_shakespeare_weights`);
    ``retrain=True`` trains it again from its seed instead (several minutes).

    Returns:
        (model, info): info holds the training settings, the training time the weights took
        and whether they were loaded or trained now.
    """
    corpus = corpus if corpus is not None else load_shakespeare()
    if retrain:
        model, log = train_shakespeare(corpus, printer=printer)
        return model, {**SHAKESPEARE, "seconds": log.seconds, "source": "trained now"}
    source = _data_file(SHAKESPEARE_WEIGHTS) if weights is None else weights
    with open(source, "rb") if weights is not None else source.open("rb") as f:
        stored = np.load(f)
        arrays = {k: stored[k] for k in stored.files}
    chars = str(arrays.pop("meta_chars"))
    seconds = float(arrays.pop("meta_seconds"))
    if chars != "".join(corpus.vocab.chars):
        raise ValueError("the stored weights were made for another vocabulary")
    model = make_model(SHAKESPEARE["cell"], corpus.vocab.size, SHAKESPEARE["hidden_size"])
    missing = set(model.params) ^ set(arrays)
    if missing:
        raise ValueError(f"the stored weights do not fit the model: {sorted(missing)}")
    model = model.with_params({k: v.astype(np.float64) for k, v in arrays.items()})
    return model, {**SHAKESPEARE, "seconds": seconds, "source": "pretrained, loaded"}


def save_shakespeare_weights(model, corpus, seconds, path):
    """Write ``model``'s parameters (float32) and the vocabulary to ``path`` (an .npz)."""
    arrays = {k: v.astype(np.float32) for k, v in model.params.items()}
    np.savez_compressed(path, meta_chars=np.array("".join(corpus.vocab.chars)),
                        meta_seconds=np.array(float(seconds)), **arrays)


def make_model(cell, vocab_size, hidden_size, seed=0):
    """A ``RecurrentNetwork``: an RNN / LSTM / GRU layer reading one-hot characters (D = V) and a
    ``Linear`` head scoring the V next characters (O = V)."""
    layer = cell_layer(cell)                  # the course's cell registry: "rnn", "lstm", "gru"
    rng = _checks.rng_from(seed)
    return RecurrentNetwork(layer(vocab_size, hidden_size, seed=rng),
                            Linear(hidden_size, vocab_size, seed=rng))


@dataclass
class TrainLog:
    """What :func:`train_char_lm` recorded.

    Attributes:
        losses: (updates,) loss of each chunk, nats per character.
        smoothed: (updates,) exponential moving average of ``losses`` (weight 1 - beta on the
            newest), started at the first loss.
        chars: (updates,) characters read so far (k * B per update).
        samples: update -> text sampled from the model at that point (0: before training).
        seconds: training time, sampling and evaluation excluded.
        checkpoints: (n,) the updates after which the model was evaluated (0: before training).
        evaluated: name -> (n,) loss of :func:`evaluate` on that text at each checkpoint, nats
            per character: training and held-out text measured the same way.
    """

    losses: np.ndarray
    smoothed: np.ndarray
    chars: np.ndarray
    samples: dict = field(default_factory=dict)
    seconds: float = 0.0
    checkpoints: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    evaluated: dict = field(default_factory=dict)

    @property
    def chars_per_second(self):
        return float(self.chars[-1] / self.seconds) if self.seconds > 0 else float("nan")


def _progress_bar(done, total, width=20):
    filled = int(round(width * done / total))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def _batches(ids, T, B):
    """Chunks of char_streams, forever: when the text is used up, start again (state reset)."""
    while True:
        first = True
        for x, y in char_streams(ids, T, B):
            yield x, y, first
            first = False


def train_char_lm(model, ids, vocab, updates, k=None, B=32, lr=3e-3, max_norm=5.0,
                  optimizer="adam", log_every=100, sample_at=(), sample_len=160, prime="The ",
                  tau=None, sample_seed=0, beta=0.98, printer=print, eval_at=(),
                  eval_texts=None, eval_stream_length=500, T=None, temperature=None,
                  digits=3):
    """Train a character model with truncated BPTT, the state carried across chunks.

    Args:
        model: from :func:`make_model`; ids: (N,) training ids; vocab: the CharVocab.
        updates: number of parameter updates; k: truncation length (characters per chunk,
            default 32; ``T=`` is the older name); B: parallel streams; lr, max_norm:
            optimiser step size and clipping threshold (global norm); optimizer: "adam" or
            "adagrad" (min-char-rnn's choice).
        log_every: print one progress line every that many updates (and after the first and
            the last), via ``printer`` (None: silent), the smoothed loss rounded to ``digits``
            decimals. The lines hold no timings, so they are the same on every run.
        sample_at: updates after which to sample ``sample_len`` characters (0: before
            training), starting from ``prime`` at temperature ``tau`` (default 0.8;
            ``temperature=`` is the older name), seeded with ``sample_seed`` so that the
            samples are reproducible.
        beta: smoothing of the loss curve.
        eval_at: updates after which to measure :func:`evaluate` on every text of
            ``eval_texts`` (name -> ids; 0: before training), each read as streams of
            ``eval_stream_length`` characters, so that the training and the held-out loss are
            measured the same way.

    Returns:
        :class:`TrainLog`.
    """
    T = _alias(k, T, "k", "T", 32)
    temperature = _alias(tau, temperature, "tau", "temperature", 0.8)
    updates = _checks.check_positive_int(updates, "updates")
    V = vocab.size
    opts = {"adam": Adam, "adagrad": Adagrad}
    if optimizer not in opts:
        raise ValueError(f"optimizer must be one of {sorted(opts)}, got {optimizer!r}")
    opt = opts[optimizer](model.params, lr=lr)
    eye = np.eye(V)
    losses, smoothed = np.empty(updates), np.empty(updates)
    chars = np.arange(1, updates + 1) * (T * B)
    samples = {}
    sample_at = set(sample_at)

    def take_sample(k):
        samples[k] = sample(model, vocab, prime, sample_len, temperature, seed=sample_seed)

    eval_texts = dict(eval_texts or {})
    checkpoints = sorted(set(int(u) for u in eval_at))
    evaluated = {name: [] for name in eval_texts}

    def take_eval():
        for name, text_ids in eval_texts.items():
            evaluated[name].append(evaluate(model, text_ids, vocab,
                                            stream_length=eval_stream_length))

    if 0 in sample_at:
        take_sample(0)
    if 0 in checkpoints:
        take_eval()
    batches = _batches(ids, T, B)
    state, seconds, smooth = None, 0.0, None
    for k in range(1, updates + 1):            # k counts updates here; T is the chunk length
        start = time.perf_counter()
        x_ids, y_ids, new_pass = next(batches)
        if new_pass:
            state = None                    # the streams start again from their beginnings
        ys, state, cache = model.forward(eye[x_ids], state)
        loss, dys = softmax_cross_entropy(ys, y_ids, reduction="mean")   # nats per character
        _, _, grads = model.backward(dys, cache)    # no dstate: the gradient stops at the chunk
        clip_grad_norm(grads, max_norm)
        opt.step(grads)
        seconds += time.perf_counter() - start
        smooth = loss if smooth is None else beta * smooth + (1 - beta) * loss
        losses[k - 1], smoothed[k - 1] = loss, smooth
        if printer is not None and (k % log_every == 0 or k == updates or k == 1):
            printer(f"update {k:4d}/{updates} {_progress_bar(k, updates)} "
                    f"{chars[k - 1]:>9,} chars  smoothed loss {smooth:.{digits}f} nats = "
                    f"{bits(smooth):.{digits}f} bits/char")
        if k in sample_at:
            take_sample(k)
        if k in checkpoints:
            take_eval()
    return TrainLog(losses, smoothed, chars, samples, seconds,
                    np.array([c for c in checkpoints if c <= updates], dtype=np.int64),
                    {name: np.array(v) for name, v in evaluated.items()})


def _alias(new, old, new_name, old_name, default):
    """The value of a renamed keyword: ``new`` (the course's notation) or ``old`` (its former
    name), not both."""
    if new is not None and old is not None:
        raise ValueError(f"give {new_name}= or its older name {old_name}=, not both")
    if new is not None:
        return new
    return default if old is None else old


def evaluate(model, ids, vocab, B=8, stream_length=None):
    """Mean cross-entropy (nats per character) on ``ids``, no gradient: the held-out loss.

    The text is cut into ``B`` equal streams (:func:`rnnlib.data.char_streams`), read side by
    side in one forward pass, each from a zero state, the state carried along its whole stream.
    Each stream's first characters are read with little memory, so two texts are measured the
    same way only when their streams have the same length: give ``stream_length`` (characters
    per stream) instead of ``B``, and ``B = len(ids) // (stream_length + 1)``.
    """
    if stream_length is not None:
        stream_length = _checks.check_positive_int(stream_length, "stream_length")
        B = max(1, len(ids) // (stream_length + 1))
    T = (len(ids) // B) - 1
    x_ids, y_ids = next(char_streams(ids, T, B))
    ys, _, _ = model.forward(np.eye(vocab.size)[x_ids])
    loss, _ = softmax_cross_entropy(ys, y_ids, reduction="mean")
    return loss


# ---------------------------------------------------------------------------------------------
# Sampling


def temperature_probs(logits, tau=None, *, temperature=None):
    """softmax(logits / tau) over the last axis; tau = 0 gives the one-hot of the argmax
    (greedy). Low temperatures sharpen the distribution, high ones flatten it.
    (``temperature=`` is the older name of ``tau``.)"""
    temperature = _alias(tau, temperature, "tau", "temperature", 1.0)
    logits = np.asarray(logits, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature!r}")
    if temperature == 0:
        out = np.zeros_like(logits)
        np.put_along_axis(out, np.argmax(logits, axis=-1)[..., None], 1.0, axis=-1)
        return out
    return softmax(logits / temperature)


def _step(layer, x, state):
    """One step of the model's recurrent layer with :mod:`rnnlib.cells` (x: (1, V))."""
    p = layer.params
    w = (p["weight_ih"], p["weight_hh"], p["bias_ih"], p["bias_hh"])
    if isinstance(layer, LSTM):
        h, c = state if state is not None else (np.zeros((1, layer.hidden_size)),) * 2
        h, c, _ = cells.lstm_step_forward(x, h, c, *w)
        return h, (h, c)
    h = state if state is not None else np.zeros((1, layer.hidden_size))
    if isinstance(layer, GRU):
        h, _ = cells.gru_step_forward(x, h, *w, reset_after=layer.reset_after)
    else:
        h, _ = cells.rnn_step_forward(x, h, *w, layer.nonlinearity)
    return h, h


def _logits(model, h):
    return (h @ model.head.params["weight"].T + model.head.params["bias"])[0]


def next_logits(model, char_id, state):
    """Feed one character to the model: (V,) logits of the character after it, and the new
    state (None: a zero state). The step a sampling loop repeats: read, draw, feed back."""
    x = np.zeros((1, model.rnn.input_size))
    x[0, int(char_id)] = 1.0
    h, state = _step(model.rnn, x, state)
    return _logits(model, h), state


def read_context(model, vocab, text):
    """Run the model over ``text``; return the last step's logits and state."""
    eye = np.eye(vocab.size)
    state, h = None, np.zeros((1, model.rnn.hidden_size))
    for i in vocab.encode(text):
        h, state = _step(model.rnn, eye[i][None], state)
    return _logits(model, h), state


def next_char_probs(model, vocab, context, tau=None, *, temperature=None):
    """(V,) probabilities of the character after ``context`` (a non-empty string), at
    temperature ``tau`` (default 1; ``temperature=`` is the older name)."""
    if not context:
        raise ValueError("context must hold at least one character")
    logits, _ = read_context(model, vocab, context)
    return temperature_probs(logits, _alias(tau, temperature, "tau", "temperature", 1.0))


def sample(model, vocab, prime, n, tau=None, seed=0, *, temperature=None):
    """Generate ``n`` characters after ``prime``: read the prime, then repeatedly draw the next
    character from softmax(logits / tau) and feed it back in.

    Args:
        model: from :func:`make_model`; vocab: its CharVocab; prime: non-empty string whose
            characters are all in the vocabulary.
        n: characters to generate; tau: the temperature (default 1), > 0, or 0 for greedy
            (always the most likely); ``temperature=`` is its older name.
        seed: int or Generator: the same seed gives the same text. One ``rng.random()`` is
            drawn per character, at every temperature.

    Returns:
        the ``n`` generated characters (without the prime).
    """
    temperature = _alias(tau, temperature, "tau", "temperature", 1.0)
    rng = _checks.rng_from(seed)
    logits, state = read_context(model, vocab, prime)
    eye = np.eye(vocab.size)
    out = []
    for _ in range(n):
        p = temperature_probs(logits, temperature)
        i = int(np.searchsorted(np.cumsum(p), rng.random() * p.sum(), side="right"))
        i = min(i, vocab.size - 1)
        out.append(i)
        h, state = _step(model.rnn, eye[i][None], state)
        logits = _logits(model, h)
    return vocab.decode(np.array(out, dtype=np.int64))


def surprisal(model, vocab, text, start):
    """Bits the model spends on each character of ``text[start + 1:]``: -log2 p(char | all
    characters before it), the state built up from the beginning of ``text``.

    Returns:
        (len(text) - start - 1,) array of bits.
    """
    ids = vocab.encode(text)
    logits, _, _ = model.forward(np.eye(vocab.size)[ids[:-1]][:, None])
    logp = log_softmax(logits[:, 0])
    nats = -logp[np.arange(len(ids) - 1), ids[1:]]
    return bits(nats[start:])


def baseline_bits(train_ids, test_ids, vocab_size, context=0):
    """Bits per character on ``test_ids`` of a counting model of ``train_ids``, with add-one
    smoothing: ``context=0`` the unigram model p(c) (each character's frequency), ``context=1``
    the bigram model p(c | previous character). The first test character is scored by the
    unigram model in both cases. The baselines a language model must beat.
    """
    if context not in (0, 1):
        raise ValueError(f"context must be 0 (unigram) or 1 (bigram), got {context!r}")
    train_ids, test_ids = np.asarray(train_ids), np.asarray(test_ids)
    V = _checks.check_positive_int(vocab_size, "vocab_size")
    uni = np.bincount(train_ids, minlength=V) + 1.0
    uni = uni / uni.sum()
    if context == 0:
        return bits(float(-np.mean(np.log(uni[test_ids]))))
    pairs = np.zeros((V, V))
    np.add.at(pairs, (train_ids[:-1], train_ids[1:]), 1.0)
    pairs += 1.0
    cond = pairs / pairs.sum(axis=1, keepdims=True)
    logp = np.r_[np.log(uni[test_ids[0]]), np.log(cond[test_ids[:-1], test_ids[1:]])]
    return bits(float(-np.mean(logp)))


def real_word_fraction(text, corpus_text):
    """The fraction of the words of ``text`` (runs of letters and apostrophes, case ignored)
    that also occur in ``corpus_text``: a crude spelling score for samples (0 if no words)."""
    words = re.findall(r"[a-z']+", text.lower())
    known = set(re.findall(r"[a-z']+", corpus_text.lower()))
    return sum(w in known for w in words) / len(words) if words else 0.0


def batched_throughput(ids, vocab_size, hidden_size, n_updates=20, k=None, B=32, cell="rnn",
                       seed=0, T=None):
    """Characters per second of :func:`train_char_lm` (forward, backward, clipping, Adam) for
    ``n_updates`` updates of ``k * B`` characters (k: chunk length, default 32; ``T=`` is its
    older name), after one warm-up update."""
    T = _alias(k, T, "k", "T", 32)
    vocab = _IdsVocab(vocab_size)
    model = make_model(cell, vocab_size, hidden_size, seed=seed)
    train_char_lm(model, ids, vocab, 1, T=T, B=B, printer=None)
    log = train_char_lm(model, ids, vocab, n_updates, T=T, B=B, printer=None)
    return log.chars_per_second


class _IdsVocab:
    """Just enough of a CharVocab for training without sampling: its size."""

    def __init__(self, size):
        self.size = size
