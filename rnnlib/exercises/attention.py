r"""Self-checks for notebook 09 (attention).

Each ``check_*`` runs your function on fresh inputs, compares it with rnnlib and prints what it
found; it never raises. ``solution_*`` are reference solutions: ``hint(check, 4)`` or
``rnnlib.exercises.solution(solution_dot_attention)`` prints one when you are stuck.

:func:`check_dot_attention`
    scaled dot-product attention for one query: scores, softmax, weighted sum.
:func:`check_masked_softmax`
    attention weights that ignore padding.
"""

from __future__ import annotations

import numpy as np

from ..attention import DotProductAttention, masked_softmax
from ._feedback import known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_dot_attention",
    "solution_dot_attention",
    "check_masked_softmax",
    "solution_masked_softmax",
]

HINTS = {
    "check_dot_attention": (
        "Three steps: score every key against the query (how well does position s match what I "
        "am looking for?), turn the scores into weights that are positive and sum to one, then "
        "read the values with those weights.",
        """\
        With q: (d,), K: (S, d), V: (S, v):
            e_s     = q · k_s / sqrt(d)              one score per source position: (S,)
            alpha_s = exp(e_s) / sum_s' exp(e_s')    subtract max(e) first: same result, no overflow
            c       = sum_s alpha_s v_s              (v,)""",
        """\
        def dot_attention(q, K, V):
            scores = K @ q / ...
            scores = scores - scores.max()
            weights = np.exp(scores) / ...
            context = weights @ ...
            return context, weights""",
    ),
    "check_masked_softmax": (
        "A padded position must get weight exactly 0, and the real positions must still sum "
        "to one. Setting a padded score to 0 does not do that: exp(0) = 1 is a real weight.",
        """\
        e_s = -inf where mask_s is False (exp(-inf) = 0), then the ordinary softmax:
            alpha_s = exp(e_s - max e) / sum_s' exp(e_s' - max e)""",
        """\
        def masked_softmax(scores, mask):
            scores = np.where(mask, scores, ...)
            scores = scores - scores.max()
            weights = np.exp(scores)
            return weights / ...""",
    ),
}


# ---------------------------------------------------------------------------------------------
# Dot-product attention for one query


def solution_dot_attention(q, K, V):
    """Scaled dot-product attention for one query. q: (d,), K: (S, d), V: (S, v).
    Returns context (v,) and weights (S,)."""
    scores = K @ q / np.sqrt(q.shape[0])  # e_s = q . k_s / sqrt(d)
    scores = scores - scores.max()  # no overflow; the softmax is unchanged
    weights = np.exp(scores) / np.exp(scores).sum()  # alpha = softmax(e)
    return weights @ V, weights  # c = sum_s alpha_s v_s


def _reference_dot_attention(q, K, V):
    context, weights, _ = DotProductAttention().forward(q[None], K[:, None], V[:, None])
    return context[0], weights[:, 0]


def _dot_cases():
    rng = np.random.default_rng(909)
    cases = []
    for S, d, v in [(5, 4, 3), (1, 2, 2), (7, 9, 1), (3, 16, 4)]:
        q = rng.standard_normal(d) * 2.0
        cases.append((q, rng.standard_normal((S, d)), rng.standard_normal((S, v))))
    return cases


def _unscaled(q, K, V):
    e = K @ q
    w = np.exp(e - e.max())
    w /= w.sum()
    return w @ V, w


def _unnormalised(q, K, V):
    w = np.exp(K @ q / np.sqrt(q.shape[0]))
    return w @ V, w


def _raw_scores(q, K, V):
    w = K @ q / np.sqrt(q.shape[0])
    return w @ V, w


def check_dot_attention(fn):
    """Check ``fn(q, K, V) -> (context, weights)`` against
    :class:`rnnlib.attention.DotProductAttention`."""
    diagnose = known_mistakes(
        [
            (
                _unscaled,
                "the scores are not divided by sqrt(d), the size of q: with d = 16 the "
                "softmax comes out far too peaked.",
            ),
            (
                _unnormalised,
                "the weights are exp(scores) but do not sum to one: divide by their "
                "sum (that is the softmax).",
            ),
            (
                _raw_scores,
                "the weights are the raw scores: pass them through a softmax first, so "
                "they are positive and sum to one.",
            ),
        ]
    )
    return run_check(
        "dot_attention",
        fn,
        _reference_dot_attention,
        _dot_cases(),
        output_names=["context", "weights"],
        diagnose=diagnose,
    )


# ---------------------------------------------------------------------------------------------
# Masked softmax


def solution_masked_softmax(scores, mask):
    """Softmax of ``scores: (S,)`` over the positions where ``mask: (S,)`` is True; padded
    positions get weight exactly 0."""
    scores = np.where(mask, scores, -np.inf)  # exp(-inf) = 0: padding drops out
    scores = scores - scores.max()
    weights = np.exp(scores)
    return weights / weights.sum()


def _reference_masked_softmax(scores, mask):
    return masked_softmax(scores[:, None], mask[:, None])[:, 0]


def _masked_cases():
    rng = np.random.default_rng(99)
    cases = []
    for S, length in [(6, 4), (3, 3), (5, 1), (8, 5)]:
        mask = np.arange(S) < length
        cases.append((rng.standard_normal(S) * 3.0, mask))
    return cases


def _zero_padding(scores, mask):
    e = np.where(mask, scores, 0.0)
    w = np.exp(e - e.max())
    return w / w.sum()


def _mask_after_softmax(scores, mask):
    w = np.exp(scores - scores.max())
    return np.where(mask, w / w.sum(), 0.0)


def check_masked_softmax(fn):
    """Check ``fn(scores, mask) -> weights`` against :func:`rnnlib.attention.masked_softmax`."""
    diagnose = known_mistakes(
        [
            (
                _zero_padding,
                "a padded score set to 0 still gets weight exp(0) / sum > 0: set it "
                "to -inf (np.where(mask, scores, -np.inf)) so its weight is exactly 0.",
            ),
            (
                _mask_after_softmax,
                "the padding is zeroed after the softmax, so the real weights no "
                "longer sum to one: mask the scores first, then normalise.",
            ),
        ]
    )
    return run_check(
        "masked_softmax",
        fn,
        _reference_masked_softmax,
        _masked_cases(),
        output_names=["weights"],
        diagnose=diagnose,
    )
