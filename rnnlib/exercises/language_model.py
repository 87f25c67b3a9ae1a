"""Exercises of notebook 08 (character language model), with checks and reference solutions.

1. ``temperature_softmax(logits, temperature)``: the distribution a sampler draws from.
2. ``draw_index(probs, u)``: turn a uniform random number into a character id.
3. ``bits_per_char(total_nats, n_chars)``: the unit language models are compared in.

Each ``check_*`` runs the learner's function on fresh inputs against the reference, prints
specific feedback (a common mistake gets its own explanation) and returns a ``CheckResult``.
"""

from __future__ import annotations

import math

import numpy as np

from ._feedback import CheckResult, run_check

__all__ = ["check_temperature_softmax", "solution_temperature_softmax",
           "check_draw_index", "solution_draw_index",
           "check_bits_per_char", "solution_bits_per_char"]


def _check(name, learner_fn, reference_fn, cases, hint, diagnose, output_names=None,
           rtol=1e-6, atol=1e-8):
    """``run_check`` with a diagnosis of *which* mistake a wrong answer is."""
    return run_check(name, learner_fn, reference_fn, cases, hint=hint, diagnose=diagnose,
                     output_names=output_names, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------------------------
# 1. Temperature


def solution_temperature_softmax(logits, temperature):
    """softmax(logits / temperature) over the last axis, without overflow.

    Args:
        logits: (V,) or (B, V) scores; temperature: a positive number.
    """
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)        # exp of numbers <= 0: never overflows
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _temperature_cases():
    rng = np.random.default_rng(80)
    return [(rng.standard_normal(6), 1.0),
            (rng.standard_normal((3, 5)) * 2, 0.5),
            (rng.standard_normal(8), 2.5),
            (np.array([40.0, 38.0, 10.0, -5.0]), 0.05)]   # exp(800): overflows without the shift


def _softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _diagnose_temperature(got, args):
    logits, T = args
    g = np.asarray(got, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        return ("exp overflowed: exp(800) is inf in float64. Subtract the largest scaled logit "
                "before exp; softmax does not change when every input moves by the same amount.")
    logits = np.asarray(logits, dtype=np.float64)
    for candidate, why in ((_softmax(logits * T), "you multiplied by the temperature; divide by it "
                            "(a low temperature must sharpen the distribution)."),
                           (_softmax(logits), "the temperature is missing: softmax(logits / "
                            "temperature)."),
                           (np.exp(logits / T - (logits / T).max(axis=-1, keepdims=True)),
                            "normalise: divide by the sum so that the probabilities add up to 1.")):
        if g.shape == candidate.shape and np.allclose(g, candidate):
            return why
    if g.ndim == 2 and not np.allclose(g.sum(axis=-1), 1):
        return "each row must sum to 1: normalise over the last axis (axis=-1, keepdims=True)."
    return None


def check_temperature_softmax(fn) -> CheckResult:
    """Check ``fn(logits, temperature) -> probs`` (same shape as logits)."""
    return _check("temperature_softmax", fn, solution_temperature_softmax, _temperature_cases(),
                  "divide the logits by the temperature, subtract the maximum, exponentiate, "
                  "divide by the sum (over the last axis).", _diagnose_temperature,
                  output_names=["probs"])


# ---------------------------------------------------------------------------------------------
# 2. Drawing a character


def solution_draw_index(probs, u):
    """The index i drawn from ``probs`` by the uniform number u in [0, 1): the first i whose
    cumulative probability p_0 + ... + p_i exceeds u (inverse transform sampling)."""
    cdf = np.cumsum(probs)
    i = int(np.searchsorted(cdf, u, side="right"))
    return min(i, len(probs) - 1)                 # guard against rounding: cdf[-1] may be 0.9999...


def _draw_cases():
    p = np.array([0.1, 0.2, 0.3, 0.4])
    q = np.array([0.05, 0.0, 0.9, 0.05])
    z = np.array([0.0, 0.5, 0.25, 0.25])              # exact binary fractions: cdf 0, .5, .75, 1
    return [(p, 0.05), (p, 0.25), (p, 0.65), (p, 0.999), (q, 0.04), (q, 0.5), (q, 0.97),
            (q, 0.06),                                # index 1 has probability 0: never drawn
            (z, 0.5),                                 # u exactly on a boundary: the answer is 2
            (z, 0.0)]                                 # u = 0 (rng.random() can return it): 1,
                                                      # never index 0, whose probability is 0


def _diagnose_draw(got, args):
    probs, u = args
    ref = solution_draw_index(probs, u)
    try:
        g = int(got)
    except (TypeError, ValueError):
        return None
    cdf = np.cumsum(probs)
    if g != ref and g == int(np.searchsorted(cdf, u, side="left")):
        zero = " (here that index has probability 0)" if probs[g] == 0 else ""
        return (f"u = {u} lies exactly on a boundary of the cumulative distribution, and you "
                f"returned the first index whose cumulative probability *reaches* u, {g}"
                f"{zero}. It must *exceed* u: compare with >, or use np.searchsorted(cdf, u, "
                "side='right'). With >= (side='left') an index of probability zero can be "
                "drawn.")
    if g == int(np.argmax(probs)):
        return ("that is the most likely index whatever u is: greedy decoding. Sampling must "
                "use u: walk along the cumulative probabilities until they pass u.")
    if g == ref + 1:
        return "one too far: return the first index whose cumulative probability exceeds u."
    if g == ref - 1:
        return ("one too early: the index is the first i with p_0 + ... + p_i > u (for u = "
                "0.05 and p_0 = 0.1 that is 0).")
    return None


def check_draw_index(fn) -> CheckResult:
    """Check ``fn(probs, u) -> int`` on fixed (probs, u) pairs, including a u on a boundary."""
    return _check("draw_index", fn, solution_draw_index, _draw_cases(),
                  "np.cumsum(probs) gives the cumulative probabilities; find the first one "
                  "above u.",
                  _diagnose_draw, output_names=["the index"])


# ---------------------------------------------------------------------------------------------
# 3. Bits per character


def solution_bits_per_char(total_nats, n_chars):
    """Average loss in bits per character from a total cross-entropy in nats.

    Natural logs give nats; a bit is ln 2 nats, so divide by ln 2 (and by the count)."""
    return total_nats / (n_chars * math.log(2))


_BPC_CASES = [(1000.0, 500), (4.2047, 1), (2.5e4, 1.2e4), (0.0, 10)]


def _diagnose_bpc(got, args):
    total, n = args
    try:
        g = float(got)
    except (TypeError, ValueError):
        return None
    for candidate, why in ((total / math.log(2), "divide by the number of characters too: "
                            "the unit is bits *per character*."),
                           (total / n * math.log(2), "multiply or divide? One bit is ln 2 = "
                            "0.693 nats, so a number of nats is 1/ln 2 = 1.44 times as many bits."),
                           (total / n / math.log10(2) if n else None, "use the natural log: "
                            "ln 2 = 0.693, not log10(2)."),
                           (total / n, "that is nats per character; one more step to bits."),
                           (total / (n * math.log2(math.e)), "log2(e) = 1/ln 2: multiply by it, "
                            "or divide by ln 2.")):
        if candidate is not None and math.isclose(g, candidate, rel_tol=1e-6) and candidate != 0:
            return why
    return None


def check_bits_per_char(fn) -> CheckResult:
    """Check ``fn(total_nats, n_chars) -> float``."""
    return _check("bits_per_char", fn, solution_bits_per_char, _BPC_CASES,
                  "bits per character = total nats / (number of characters * ln 2).",
                  _diagnose_bpc, output_names=["bits per character"])
