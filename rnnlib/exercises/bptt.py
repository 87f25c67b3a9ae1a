r"""Self-checks for notebook 02 (backpropagation through time).

Each ``check_*`` runs your function on fresh inputs, compares it with rnnlib and prints what it
found; it never raises. ``solution_*`` are reference solutions: print one with
``rnnlib.exercises.solution(solution_step_backward)`` when you are stuck.

:func:`check_step_backward`
    one step of the backward pass of h = tanh(W_xh x + W_hh h_prev + b_h).
:func:`check_bptt`
    the whole backward pass over a sequence, summing the shared weights' gradients over time.
:func:`check_truncated_reach`
    which steps a loss reaches under truncated BPTT.
"""

from __future__ import annotations

import numpy as np

from .. import cells
from ..demos.bptt import truncated_hidden_gradients
from ..layers import RNN
from ._feedback import known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_step_backward", "solution_step_backward",
    "check_bptt", "solution_bptt",
    "check_truncated_reach", "solution_truncated_reach",
]


#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_step_backward": (
        "Go backwards through the step in the reverse order of the forward pass: first back "
        "through tanh to the pre-activation a, then through each product. Every product "
        "W @ v of the forward pass sends a gradient to both of its factors.",
        """\
        With da = dL/da (rows = sequences, as in the forward pass):
            da      = dh * (1 - h**2)        tanh'(a) = 1 - tanh(a)^2, taken from the output h
            dx      = da @ W_xh              dh_prev = da @ W_hh
            dW_xh   = da^T x                 dW_hh   = da^T h_prev
            db      = da summed over the batch (axis 0)""",
        """\
        def step_backward(dh, x, h_prev, h, W_xh, W_hh):
            da = ...                  # back through tanh, from h
            dx = da @ ...
            dh_prev = da @ ...
            dW_xh = da.T @ ...
            dW_hh = da.T @ ...
            db = ...                  # one number per hidden unit: shape (H,)
            return dx, dh_prev, dW_xh, dW_hh, db"""),
    "check_bptt": (
        "Walk backwards from the last step to the first. The gradient reaching h_t has two "
        "parts: what its own output sends (dhs[t]) and what step t+1 sends back. The weights "
        "are shared, so every step adds its term to the same gradient.",
        """\
        For t = T, ..., 1 (in code: t = T-1 down to 0), nothing arriving from after step T:
            δ_t  = dhs[t] + (what step t+1 sent back)          δ_t = ∂L/∂h_t
            δ̃_t  = δ_t * (1 - h_t**2)                          back through tanh: ∂L/∂a_t
            dW_xh += δ̃_tᵀ x_t      dW_hh += δ̃_tᵀ h_{t-1}      db += δ̃_t summed over the batch
            send back  δ̃_t @ W_hh                              (after step 1 it is dh0)
        h_{t-1} is hs[t-1], except at the first step, where it is h0.""",
        """\
        def bptt(dhs, x, h0, hs, W_xh, W_hh):
            dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
            db = np.zeros(W_hh.shape[0])
            dh_next = np.zeros_like(h0)
            for t in reversed(range(len(x))):
                h_prev = ...                     # hs[t - 1], or h0 when t == 0
                da = (... + dh_next) * ...
                dW_xh += ...
                dW_hh += ...
                db += ...
                dh_next = ...
            return dW_xh, dW_hh, db, dh_next"""),
    "check_truncated_reach": (
        "Truncation cuts the backward pass at chunk boundaries, which are fixed: chunks are "
        "[1..k], [k+1..2k], ... wherever step i is. The loss at step i reaches back only to "
        "the start of its own chunk, and never forwards in time.",
        """\
        The chunk holding step i starts at   start = floor((i - 1) / k) * k + 1.
        reach[t] = 1  for start <= t <= i,   0 otherwise   (t = 1, ..., T).""",
        """\
        def truncated_reach(T, k, i):
            start = ...                          # first step of i's chunk (1-based)
            t = np.arange(1, T + 1)
            return ((t >= ...) & (t <= ...)).astype(float)"""),
}


# ---------------------------------------------------------------------------------------------
# One step


def solution_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    """Backward pass of one step h = tanh(W_xh x + W_hh h_prev + b_h), rows = sequences.

    dh: (B, H) dL/dh; x: (B, D); h_prev, h: (B, H); W_xh: (H, D); W_hh: (H, H).
    Returns dx (B, D), dh_prev (B, H), dW_xh (H, D), dW_hh (H, H), db (H,).
    """
    da = dh * (1.0 - h * h)          # back through tanh: tanh' = 1 - tanh^2, from the output h
    dx = da @ W_xh                   # into the input
    dh_prev = da @ W_hh              # into the previous hidden state
    dW_xh = da.T @ x                 # summed over the batch
    dW_hh = da.T @ h_prev
    db = da.sum(axis=0)
    return dx, dh_prev, dW_xh, dW_hh, db


def _reference_step_backward(dh, x, h_prev, h, W_xh, W_hh):
    # the cache rnnlib.cells.rnn_step_forward would have made for these inputs and output h
    cache = (x, h_prev, W_xh, W_hh, h, "tanh")
    dx, dh_prev, g = cells.rnn_step_backward(dh, cache)
    return dx, dh_prev, g["weight_ih"], g["weight_hh"], g["bias_ih"]


def _step_cases():
    rng = np.random.default_rng(314)
    cases = []
    for B, D, H in [(2, 3, 4), (1, 1, 2), (3, 2, 3)]:
        x, h_prev = rng.standard_normal((B, D)), rng.standard_normal((B, H))
        W_xh, W_hh = rng.standard_normal((H, D)), 0.5 * rng.standard_normal((H, H))
        b = 0.1 * rng.standard_normal(H)
        h, _ = cells.rnn_step_forward(x, h_prev, W_xh, W_hh, b, np.zeros(H))
        cases.append((rng.standard_normal((B, H)), x, h_prev, h, W_xh, W_hh))
    return cases


def _step_variant(local_grad):
    """The solution with another (wrong) derivative of tanh."""
    def variant(dh, x, h_prev, h, W_xh, W_hh):
        da = dh * local_grad(h)
        return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
    return variant


_STEP_MISTAKES = [
    (_step_variant(lambda h: 1.0 - h), "tanh'(a) is 1 - tanh(a)**2 = 1 - h**2: the square is "
                                       "missing."),
    (_step_variant(lambda h: 1.0 - np.tanh(h) ** 2),
     "tanh is applied twice: h already is tanh(a), so tanh'(a) = 1 - h**2 (not "
     "1 - tanh(h)**2)."),
    (_step_variant(lambda h: 1.0), "the step through tanh is missing: da = dh * (1 - h**2) "
                                   "comes before every product."),
]


def check_step_backward(fn):
    """Check ``fn(dh, x, h_prev, h, W_xh, W_hh) -> (dx, dh_prev, dW_xh, dW_hh, db)`` against
    :func:`rnnlib.cells.rnn_step_backward`."""
    return run_check("step_backward", fn, _reference_step_backward, _step_cases(),
                     output_names=["dx", "dh_prev", "dW_xh", "dW_hh", "db"],
                     diagnose=known_mistakes(_STEP_MISTAKES),
                     shape_hint="each gradient has the shape of what it is the gradient of: "
                                "dW_xh is (H, D) like W_xh, so it is da.T @ x, and db is (H,): "
                                "sum da over the batch (axis 0).")


# ---------------------------------------------------------------------------------------------
# The whole sequence


def solution_bptt(dhs, x, h0, hs, W_xh, W_hh):
    """Full BPTT for h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h).

    dhs: (T, B, H) dL_t/dh_t from the outputs; x: (T, B, D); h0: (B, H); hs: (T, B, H) the
    forward pass's hidden states. Returns dW_xh (H, D), dW_hh (H, H), db (H,), dh0 (B, H).
    """
    T = len(x)
    dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
    db = np.zeros(W_hh.shape[0])
    dh_next = np.zeros_like(h0)                        # no gradient arrives from after step T
    for t in reversed(range(T)):
        h_prev = hs[t - 1] if t > 0 else h0
        da = (dhs[t] + dh_next) * (1.0 - hs[t] ** 2)   # delta_t, back through tanh
        dW_xh += da.T @ x[t]                           # shared weights: add every step's term
        dW_hh += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ W_hh                            # what step t sends back to step t - 1
    return dW_xh, dW_hh, db, dh_next


def _reference_bptt(dhs, x, h0, hs, W_xh, W_hh):
    H, D = W_xh.shape
    layer = RNN(D, H, seed=0)
    layer.params.update(weight_ih=W_xh, weight_hh=W_hh)
    cache = {"x": x, "h0": h0, "hs": hs}               # what RNN.forward keeps (b_h is in hs)
    _, dh0, g = layer.backward(dhs, cache)
    return g["weight_ih"], g["weight_hh"], g["bias_ih"], dh0


def _bptt_cases():
    rng = np.random.default_rng(2718)
    cases = []
    for T, B, D, H, last_only, zero_h0 in [(6, 2, 3, 4, False, False), (5, 1, 2, 3, True, True),
                                          (1, 2, 2, 2, False, False), (8, 3, 1, 2, True, False)]:
        layer = RNN(D, H, seed=rng)
        x = rng.standard_normal((T, B, D))
        h0 = np.zeros((B, H)) if zero_h0 else 0.5 * rng.standard_normal((B, H))
        hs, _, _ = layer.forward(x, h0)
        dhs = rng.standard_normal((T, B, H))
        if last_only:                                  # a many-to-one loss
            dhs[:-1] = 0.0
        p = layer.params
        cases.append((dhs, x, h0, hs, p["weight_ih"].copy(), p["weight_hh"].copy()))
    return cases


def _bptt_variant(overwrite=False, no_future=False, wrap_h0=False, h_now=False):
    """The solution with one classic slip."""
    def variant(dhs, x, h0, hs, W_xh, W_hh):
        dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
        db = np.zeros(W_hh.shape[0])
        dh_next = np.zeros_like(h0)
        for t in reversed(range(len(x))):
            h_prev = hs[t] if h_now else hs[t - 1] if (t > 0 or wrap_h0) else h0
            da = (dhs[t] + (0.0 if no_future else dh_next)) * (1.0 - hs[t] ** 2)
            terms = (da.T @ x[t], da.T @ h_prev, da.sum(axis=0))
            if overwrite:
                dW_xh, dW_hh, db = terms
            else:
                dW_xh, dW_hh, db = dW_xh + terms[0], dW_hh + terms[1], db + terms[2]
            dh_next = da @ W_hh
        return dW_xh, dW_hh, db, dh_next
    return variant


_BPTT_MISTAKES = [
    (_bptt_variant(overwrite=True),
     "each step overwrites the weight gradients: the weights are shared, so every step's term "
     "must be added (+=) to the same total."),
    (_bptt_variant(wrap_h0=True),
     "at t = 0, hs[t - 1] is hs[-1], the *last* state (Python's negative index): the state "
     "before the first step is h0."),
    (_bptt_variant(no_future=True),
     "nothing flows between the steps: the gradient reaching h_t is dhs[t] *plus* what step "
     "t + 1 sends back (da @ W_hh)."),
    (_bptt_variant(h_now=True),
     "dW_hh uses h_t where the forward pass used h_{t-1}: the term of step t is "
     "da.T @ h_prev."),
]


def check_bptt(fn):
    """Check ``fn(dhs, x, h0, hs, W_xh, W_hh) -> (dW_xh, dW_hh, db, dh0)`` against
    ``rnnlib.RNN.backward`` (many-to-many and many-to-one losses, zero and non-zero h0)."""
    return run_check("bptt", fn, _reference_bptt, _bptt_cases(),
                     output_names=["dW_xh", "dW_hh", "db", "dh0"],
                     diagnose=known_mistakes(_BPTT_MISTAKES))


# ---------------------------------------------------------------------------------------------
# Truncation


def solution_truncated_reach(T, k, i):
    """Under truncated BPTT with chunks [1..k], [k+1..2k], ..., the loss at step i (1-based)
    reaches h_t for the steps t of its own chunk up to i. Returns (T,) floats, 1 or 0."""
    start = ((i - 1) // k) * k + 1                   # first step of i's chunk
    t = np.arange(1, T + 1)
    return ((t >= start) & (t <= i)).astype(float)


def _reference_truncated_reach(T, k, i):
    layer = RNN(2, 3, seed=5)
    x = np.random.default_rng(6).standard_normal((T, 1, 2))
    dhs = np.zeros((T, 1, 3))
    dhs[i - 1] = 1.0
    g = truncated_hidden_gradients(layer, x, dhs, k)
    return (np.abs(g).sum(axis=(1, 2)) > 0).astype(float)   # measured, not derived


def _steps(T, first, last):
    """(T,) floats: 1 for the steps first..last (1-based), else 0."""
    t = np.arange(1, T + 1)
    return ((t >= first) & (t <= last)).astype(float)


_REACH_MISTAKES = [
    (lambda T, k, i: _steps(T, i - k + 1, i),
     "this is a sliding window of the k steps before i. The chunks are fixed, [1..k], "
     "[k+1..2k], ...: the loss at step i reaches back only to the start of its own chunk, "
     "which can be fewer than k steps."),
    (lambda T, k, i: _steps(T, 1, i),
     "this is full BPTT: truncation stops the gradient at the start of the chunk that holds "
     "step i."),
    (lambda T, k, i: _steps(T, (i // k) * k + 1, i),
     "the chunk's start is off by one: with steps counted from 1, step i lies in chunk "
     "(i - 1) // k, which starts at ((i - 1) // k) * k + 1."),
    (lambda T, k, i: _steps(T, ((i - 1) // k) * k + 1, ((i - 1) // k + 1) * k),
     "the loss at step i cannot reach later steps: the future does not influence it, so "
     "the reach ends at step i, not at the end of the chunk."),
]


def check_truncated_reach(fn):
    """Check ``fn(T, k, i) -> (T,)`` (1 where the loss at step i sends a gradient to h_t under
    truncated BPTT with chunks of k steps, else 0) against rnnlib, chunk by chunk."""
    cases = [(10, 3, 7), (10, 4, 8), (6, 6, 6), (12, 5, 3), (9, 2, 9), (5, 1, 4)]
    return run_check("truncated_reach", fn, _reference_truncated_reach, cases,
                     output_names=["reach"], rtol=0, atol=0,
                     diagnose=known_mistakes(_REACH_MISTAKES, rtol=0, atol=0))
