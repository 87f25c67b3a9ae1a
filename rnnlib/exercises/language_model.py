"""Exercises of notebook 08 (character language model), with checks and reference solutions.

1. ``temperature_softmax(logits, tau)``: the distribution a sampler draws from.
2. ``draw_index(probs, u)``: turn a uniform random number into a character id.
3. ``unigram_bits(train_ids, test_ids, V)``: the simplest baseline a language model must beat.
4. ``sample_ids(model, vocab, prime, n, tau, seed)``: the sampling loop itself.

Each ``check_*`` runs the learner's function on fresh inputs against the reference, prints
specific feedback (a common mistake gets its own explanation) and returns a ``CheckResult``.
``HINTS`` holds three levels of help per exercise: ``hint(ex.check_sample_ids, 2)``.
"""

from __future__ import annotations

import math

import numpy as np

from ..demos import language_model as lm
from ._feedback import CheckResult, known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_temperature_softmax",
    "solution_temperature_softmax",
    "check_draw_index",
    "solution_draw_index",
    "check_unigram_bits",
    "solution_unigram_bits",
    "check_sample_ids",
    "solution_sample_ids",
]


#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_temperature_softmax": (
        "Divide the scores by the temperature before the softmax: a small τ stretches the gaps "
        "between them (sharper), a large τ shrinks them (flatter). Large scores overflow exp, "
        "so shift them first: a softmax does not change when every score moves by the same "
        "amount.",
        """        z = logits / tau
        p_i = exp(z_i - max_j z_j) / sum_k exp(z_k - max_j z_j)     (over the last axis)""",
        """        def temperature_softmax(logits, tau):
            z = np.asarray(logits, dtype=float) / ...
            z = z - z.max(axis=-1, keepdims=True)
            e = np.exp(z)
            return e / e.sum(axis=..., keepdims=True)""",
    ),
    "check_draw_index": (
        "Lay the probabilities end to end on [0, 1): index i owns a stretch of length p_i. The "
        "index whose stretch contains u is drawn, so each index comes up with its own "
        "probability. An index with p_i = 0 owns no stretch and must never come up, even when u "
        "falls exactly on a boundary.",
        """        cdf_i = p_0 + ... + p_i
        the answer is the first i with cdf_i > u
        (strictly greater: u = cdf_i belongs to i + 1)""",
        """        def draw_index(probs, u):
            cdf = np.cumsum(probs)
            i = int(np.searchsorted(cdf, u, side=...))     # 'left' finds >=, 'right' finds >
            return min(i, len(probs) - 1)                 # rounding: cdf[-1] may be 0.9999...""",
    ),
    "check_unigram_bits": (
        "The unigram model ignores the context: it predicts every character with the frequency "
        "it had in the training text. Add one to every count (add-one smoothing), or a "
        "character the training text never used gets probability 0 and costs infinitely many "
        "bits. Score it on the *test* text, in bits: log base 2.",
        """        count_c = 1 + (number of times c occurs in train_ids),   for c = 0 .. V-1
        p_c = count_c / sum_c count_c
        bits per character = -(1/N) sum over the N test characters of log2 p_{c}""",
        """        def unigram_bits(train_ids, test_ids, V):
            counts = np.bincount(train_ids, minlength=V) + ...
            p = counts / ...
            return float(-np.mean(np.log2(p[...])))""",
    ),
    "check_sample_ids": (
        "Read the prime to build up the state, then repeat n times: turn the current logits "
        "into probabilities at temperature τ (Exercise 1), draw one index with u = "
        "rng.random() (Exercise 2), keep it, and feed it back in to get the next logits and "
        "state. One generator, made once from the seed; the state carried from step to step.",
        """        rng = np.random.default_rng(seed)
        logits, state = lm.read_context(model, vocab, prime)
        repeat n times:   p = softmax(logits / tau);   i = first index with cdf_i > rng.random()
                          logits, state = lm.next_logits(model, i, state)""",
        """        def sample_ids(model, vocab, prime, n, tau, seed):
            rng = np.random.default_rng(seed)
            logits, state = lm.read_context(model, vocab, prime)
            out = []
            for _ in range(n):
                p = ...                              # Exercise 1
                i = ...                              # Exercise 2, with u = rng.random()
                out.append(i)
                logits, state = lm.next_logits(model, ..., ...)
            return np.array(out)""",
    ),
}


def _check(
    name, learner_fn, reference_fn, cases, diagnose, output_names=None, rtol=1e-6, atol=1e-8
):
    """``run_check`` with a diagnosis of *which* mistake a wrong answer is (hints from HINTS)."""
    return run_check(
        name,
        learner_fn,
        reference_fn,
        cases,
        diagnose=diagnose,
        output_names=output_names,
        rtol=rtol,
        atol=atol,
    )


# ---------------------------------------------------------------------------------------------
# 1. Temperature


def solution_temperature_softmax(logits, tau):
    """softmax(logits / tau) over the last axis, without overflow.

    Args:
        logits: (V,) or (B, V) scores; tau: the temperature τ, a positive number.
    """
    z = np.asarray(logits, dtype=np.float64) / tau
    z = z - z.max(axis=-1, keepdims=True)  # exp of numbers <= 0: never overflows
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _reference_temperature_softmax(logits, tau):
    # the course's sampler's own distribution
    return lm.temperature_probs(logits, tau)


def _temperature_cases():
    rng = np.random.default_rng(80)
    return [
        (rng.standard_normal(6), 1.0),
        (rng.standard_normal((3, 5)) * 2, 0.5),
        (rng.standard_normal(8), 2.5),
        (np.array([40.0, 38.0, 10.0, -5.0]), 0.05),
    ]  # exp(800): overflows without the shift


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _diagnose_temperature(got, args):
    logits, T = args
    g = np.asarray(got, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        return (
            "exp overflowed: exp(800) is inf in float64. Subtract the largest scaled logit "
            "before exp; softmax does not change when every input moves by the same amount."
        )
    logits = np.asarray(logits, dtype=np.float64)
    for candidate, why in (
        (
            _softmax(logits * T),
            "you multiplied by the temperature; divide by it "
            "(a low temperature must sharpen the distribution).",
        ),
        (_softmax(logits), "the temperature is missing: softmax(logits / temperature)."),
        (
            np.exp(logits / T - (logits / T).max(axis=-1, keepdims=True)),
            "normalise: divide by the sum so that the probabilities add up to 1.",
        ),
    ):
        if g.shape == candidate.shape and np.allclose(g, candidate):
            return why
    if g.ndim == 2 and not np.allclose(g.sum(axis=-1), 1):
        return "each row must sum to 1: normalise over the last axis (axis=-1, keepdims=True)."
    return None


def check_temperature_softmax(fn) -> CheckResult:
    """Check ``fn(logits, tau) -> probs`` (same shape as logits)."""
    return _check(
        "temperature_softmax",
        fn,
        _reference_temperature_softmax,
        _temperature_cases(),
        _diagnose_temperature,
        output_names=["probs"],
    )


# ---------------------------------------------------------------------------------------------
# 2. Drawing a character


def solution_draw_index(probs, u):
    """The index i drawn from ``probs`` by the uniform number u in [0, 1): the first i whose
    cumulative probability p_0 + ... + p_i exceeds u (inverse transform sampling)."""
    cdf = np.cumsum(probs)
    i = int(np.searchsorted(cdf, u, side="right"))
    return min(i, len(probs) - 1)  # guard against rounding: cdf[-1] may be 0.9999...


def _reference_draw_index(probs, u):
    # walk along the probabilities until their running total passes u (the same additions in
    # the same order as np.cumsum); the last index if rounding leaves the total just below u
    total = 0.0
    for i, p in enumerate(probs):
        total += p
        if total > u:
            return i
    return len(probs) - 1


def _draw_cases():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.05, 0.0, 0.9, 0.05])
    z = np.array([0.0, 0.5, 0.25, 0.25])  # exact binary fractions: cdf 0, .5, .75, 1
    return [
        (p, 0.05),
        (p, 0.25),
        (p, 0.65),
        (p, 0.999),
        (q, 0.04),
        (q, 0.5),
        (q, 0.97),
        (q, 0.06),  # index 1 has probability 0: never drawn
        (z, 0.5),  # u exactly on a boundary: the answer is 2
        (z, 0.0),
    ]  # u = 0 (rng.random() can return it): 1,
    # never index 0, whose probability is 0


def _diagnose_draw(got, args):
    probs, u = args
    ref = _reference_draw_index(probs, u)
    try:
        g = int(got)
    except (TypeError, ValueError):
        return None
    cdf = np.cumsum(probs)
    if g != ref and g == int(np.searchsorted(cdf, u, side="left")):
        zero = " (here that index has probability 0)" if probs[g] == 0 else ""
        return (
            f"u = {u} lies exactly on a boundary of the cumulative distribution, and you "
            f"returned the first index whose cumulative probability *reaches* u, {g}"
            f"{zero}. It must *exceed* u: compare with >, or use np.searchsorted(cdf, u, "
            "side='right'). With >= (side='left') an index of probability zero can be "
            "drawn."
        )
    if g == int(np.argmax(probs)):
        return (
            "that is the most likely index whatever u is: greedy decoding. Sampling must "
            "use u: walk along the cumulative probabilities until they pass u."
        )
    if g == ref + 1:
        return "one too far: return the first index whose cumulative probability exceeds u."
    if g == ref - 1:
        return (
            "one too early: the index is the first i with p_0 + ... + p_i > u (for u = "
            "0.05 and p_0 = 0.1 that is 0)."
        )
    return None


def check_draw_index(fn) -> CheckResult:
    """Check ``fn(probs, u) -> int`` on fixed (probs, u) pairs, including a u on a boundary."""
    return _check(
        "draw_index",
        fn,
        _reference_draw_index,
        _draw_cases(),
        _diagnose_draw,
        output_names=["the index"],
    )


# ---------------------------------------------------------------------------------------------
# 3. The unigram baseline


def solution_unigram_bits(train_ids, test_ids, V):
    """Bits per character on ``test_ids`` of the unigram model of ``train_ids``: every character
    predicted with its add-one-smoothed training frequency, whatever came before it.

    Args:
        train_ids, test_ids: (N,) int character ids in 0..V-1; V: vocabulary size.
    """
    counts = np.bincount(train_ids, minlength=V) + 1.0  # add-one: no probability is 0
    p = counts / counts.sum()
    return float(-np.mean(np.log2(p[test_ids])))


def _reference_unigram_bits(train_ids, test_ids, V):
    # the course's counting baseline, without context
    return lm.baseline_bits(train_ids, test_ids, V, context=0)


def _unigram_cases():
    rng = np.random.default_rng(81)
    skewed = np.array([0.5, 0.2, 0.15, 0.1, 0.05, 0.0])  # id 5 never occurs in training
    train = rng.choice(6, size=300, p=skewed)
    test = np.r_[rng.choice(6, size=60, p=skewed), [5, 5]]
    small = np.array([0, 1, 1, 2, 2, 2])
    return [
        (train, test, 6),
        (small, np.array([2, 1, 0, 3]), 4),
        (rng.integers(0, 9, size=500), rng.integers(0, 9, size=80), 9),
    ]


def _unsmoothed(train, test, V):
    p = np.bincount(train, minlength=V) / len(train)
    return float(-np.mean(np.log2(p[test])))


_UNIGRAM_MISTAKES = [
    (
        lambda tr, te, V: _reference_unigram_bits(tr, te, V) * math.log(2),
        "that is in nats: use log2 (or divide the natural log by ln 2) for bits.",
    ),
    (
        lambda tr, te, V: _reference_unigram_bits(tr, tr, V),
        "you scored the model on its own training text; score it on test_ids.",
    ),
    (
        lambda tr, te, V: math.log2(V),
        "that is the uniform guess, log2 V: use the training frequencies, not 1/V.",
    ),
    (
        lambda tr, te, V: float(
            np.mean(
                np.log2(
                    (np.bincount(tr, minlength=V) + 1.0)
                    / (np.bincount(tr, minlength=V) + 1.0).sum()
                )[te]
            )
        ),
        "the sign: a cross-entropy is -mean(log2 p), a positive number of bits.",
    ),
]


def _diagnose_unigram(got, args):
    train, test, V = args
    try:
        g = float(got)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(g) and not math.isfinite(_unsmoothed(train, test, V)):
        return (
            "a test character never occurs in the training text, so its frequency is 0 "
            "and -log2(0) is infinite: add one to every count before normalising."
        )
    return known_mistakes(_UNIGRAM_MISTAKES)(g, args)


def check_unigram_bits(fn) -> CheckResult:
    """Check ``fn(train_ids, test_ids, V) -> float``, bits per character."""
    return _check(
        "unigram_bits",
        fn,
        _reference_unigram_bits,
        _unigram_cases(),
        _diagnose_unigram,
        output_names=["bits per character"],
    )


# ---------------------------------------------------------------------------------------------
# 4. The sampling loop


def solution_sample_ids(model, vocab, prime, n, tau, seed):
    """``n`` character ids sampled after ``prime`` at temperature ``tau`` (> 0), seeded: the
    loop of :func:`rnnlib.demos.language_model.sample`.

    Returns:
        (n,) int array of character ids.
    """
    rng = np.random.default_rng(seed)  # one generator for the whole text
    logits, state = lm.read_context(model, vocab, prime)  # the prime builds up the state
    out = []
    for _ in range(n):
        p = solution_temperature_softmax(logits, tau)  # Exercise 1
        i = solution_draw_index(p, rng.random())  # Exercise 2
        out.append(i)
        logits, state = lm.next_logits(model, i, state)  # feed it back, state carried
    return np.array(out, dtype=np.int64)


def _reference_sample_ids(model, vocab, prime, n, tau, seed):
    """The course's sampler, as ids."""
    return vocab.encode(lm.sample(model, vocab, prime, n, tau, seed=seed))


_SAMPLE_MODELS = {}


def _sample_cases():
    if not _SAMPLE_MODELS:
        corpus = lm.load_corpus()
        V = corpus.vocab.size
        for cell, seed in (("rnn", 5), ("lstm", 6)):
            model = lm.make_model(cell, V, 10, seed=seed)
            p = model.params
            rng = np.random.default_rng(seed)
            for k in p:  # bigger weights: peaked, varied
                p[k] += rng.standard_normal(p[k].shape) * 0.8
            _SAMPLE_MODELS[cell] = model
        _SAMPLE_MODELS["vocab"] = corpus.vocab
    vocab = _SAMPLE_MODELS["vocab"]
    return [
        (_SAMPLE_MODELS["rnn"], vocab, "The ", 25, 1.0, 0),
        (_SAMPLE_MODELS["lstm"], vocab, "river", 25, 0.5, 3),
        (_SAMPLE_MODELS["rnn"], vocab, "a", 30, 1.5, 11),
    ]


def _sample_variant(loop):
    """A sampler built from ``loop(model, vocab, prime, n, tau, rng)``, for the diagnoses."""

    def variant(model, vocab, prime, n, tau, seed):
        return np.array(loop(model, vocab, prime, n, tau, seed), dtype=np.int64)

    return variant


def _zero_state_each_step(model, vocab, prime, n, tau, seed):
    rng = np.random.default_rng(seed)
    logits, _ = lm.read_context(model, vocab, prime)
    out = []
    for _ in range(n):
        i = _reference_draw_index(_reference_temperature_softmax(logits, tau), rng.random())
        out.append(i)
        logits, _ = lm.next_logits(model, i, None)
    return out


def _reseeded(model, vocab, prime, n, tau, seed):
    logits, state = lm.read_context(model, vocab, prime)
    out = []
    for _ in range(n):
        u = np.random.default_rng(seed).random()
        i = _reference_draw_index(_reference_temperature_softmax(logits, tau), u)
        out.append(i)
        logits, state = lm.next_logits(model, i, state)
    return out


def _not_fed_back(model, vocab, prime, n, tau, seed):
    rng = np.random.default_rng(seed)
    logits, _ = lm.read_context(model, vocab, prime)
    return [
        _reference_draw_index(_reference_temperature_softmax(logits, tau), rng.random())
        for _ in range(n)
    ]


def _looped(step):
    def loop(model, vocab, prime, n, tau, seed):
        rng = np.random.default_rng(seed)
        logits, state = lm.read_context(model, vocab, prime)
        out = []
        for _ in range(n):
            i = step(logits, tau, rng)
            out.append(i)
            logits, state = lm.next_logits(model, i, state)
        return out

    return loop


_SAMPLE_MISTAKES = [
    (
        _sample_variant(_zero_state_each_step),
        "every step starts from a zero state: pass the state that next_logits returned into the "
        "next call, so the model remembers the prime and what it wrote.",
    ),
    (
        _sample_variant(_reseeded),
        "you made a new generator from the seed at every step, so u is the same number each "
        "time. Make one rng before the loop and call rng.random() once per character.",
    ),
    (
        _sample_variant(_not_fed_back),
        "every character is drawn from the distribution after the prime: feed each drawn "
        "character back in (next_logits) to get the next distribution.",
    ),
    (
        _sample_variant(_looped(lambda z, tau, rng: (rng.random(), int(np.argmax(z)))[1])),
        "that is greedy decoding (always the most likely character): draw from the distribution "
        "with u = rng.random() instead.",
    ),
    (
        _sample_variant(
            _looped(
                lambda z, tau, rng: _reference_draw_index(
                    _reference_temperature_softmax(z, 1.0 / tau), rng.random()
                )
            )
        ),
        "you multiplied the logits by τ; divide by it (a small τ must sharpen the distribution).",
    ),
]


def check_sample_ids(fn) -> CheckResult:
    """Check ``fn(model, vocab, prime, n, tau, seed) -> (n,) ids`` against the course's sampler
    on fixed seeds, two small models and three temperatures."""
    return _check(
        "sample_ids",
        fn,
        _reference_sample_ids,
        _sample_cases(),
        known_mistakes(_SAMPLE_MISTAKES),
        output_names=["the sampled ids"],
        rtol=0,
        atol=0,
    )
