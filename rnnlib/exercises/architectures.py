"""Exercises of notebook 07 (architectures), with their checks and reference solutions.

1. ``decoder_inputs(y, n_out)``: what an encoder-decoder's decoder reads while training
   (teacher forcing: the start symbol, then the true outputs shifted by one step).
2. ``many_to_one_dhs(dy, W_hy, T)``: where a many-to-one loss's gradient enters the layer.
3. ``bidirectional_states(x, forward_layer, backward_layer)``: a bidirectional layer from two
   plain ones.

Each ``check_*`` runs the learner's function on fresh inputs against the reference, prints
specific feedback (a common mistake gets its own explanation) and returns a ``CheckResult``.
``HINTS`` holds three levels of help per exercise: ``hint(ex.check_decoder_inputs, 2)``.
"""

from __future__ import annotations

import numpy as np

from ..composite import Bidirectional
from ..layers import RNN
from ..networks import EncoderDecoder, Linear
from ._feedback import CheckResult, known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_decoder_inputs",
    "solution_decoder_inputs",
    "check_many_to_one_dhs",
    "solution_many_to_one_dhs",
    "check_bidirectional_states",
    "solution_bidirectional_states",
]


#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_decoder_inputs": (
        "While training, the decoder's input at step t is the *previous* true output: at step 1 "
        "there is none, so it reads a start symbol. It must never read y_t itself at step t, "
        "or it could copy the answer it is asked to predict.",
        """        ids of the decoder's inputs:   start, y_1, y_2, ..., y_{T_y - 1}   (T_y of them)
        start = n_out (one id past the n_out output classes)
        inputs = one-hot of those ids over n_out + 1 classes: shape (T_y, B, n_out + 1)""",
        """        def decoder_inputs(y, n_out):
            T_y, B = y.shape
            start = np.full((1, B), ...)
            prev = np.concatenate([start, y[...]], axis=0)     # (T_y, B) ids
            return np.eye(...)[prev]""",
    ),
    "check_many_to_one_dhs": (
        "A many-to-one network reads its output from the last hidden state h_T only. The "
        "output layer therefore sends a gradient to h_T and to no other step; the earlier "
        "steps get theirs later, through BPTT.",
        """        y_hat = W_hy h_T + b_y   =>   dL/dh_T = W_hy^T dL/dy_hat
        (a row per example: dy @ W_hy)
        dL/dh_t (from the output layer) = 0 for t < T""",
        """        def many_to_one_dhs(dy, W_hy, T):
            B, H = dy.shape[0], W_hy.shape[1]
            dhs = np.zeros((T, B, H))
            dhs[...] = ...
            return dhs""",
    ),
    "check_bidirectional_states": (
        "The backward layer is an ordinary layer that reads the sequence reversed. Its "
        "outputs then come out reversed too, so turn them back before you put them beside the "
        "forward states: row t must hold what both directions computed at step t.",
        """        forward:  hs_f = forward_layer(x_1, ..., x_T)
        backward: hs_b = backward_layer(x_T, ..., x_1), then reversed in time
        hs[t] = [hs_f[t], hs_b[t]]   (concatenated on the last axis: 2H features)""",
        """        def bidirectional_states(x, forward_layer, backward_layer):
            hs_f, _, _ = forward_layer.forward(x)
            hs_b, _, _ = backward_layer.forward(x[...])
            return np.concatenate([hs_f, hs_b[...]], axis=...)""",
    ),
}


def _check(name, learner_fn, reference_fn, cases, diagnose, output_names=None):
    """``run_check`` with a diagnosis of *which* mistake a wrong answer is (hints from HINTS)."""
    return run_check(
        name, learner_fn, reference_fn, cases, diagnose=diagnose, output_names=output_names
    )


# ---------------------------------------------------------------------------------------------
# 1. Teacher forcing: the decoder's inputs


def solution_decoder_inputs(y, n_out):
    """The decoder's inputs while training (teacher forcing).

    Args:
        y: (T_y, B) int target ids in 0..n_out-1; n_out: number of output classes.

    Returns:
        (T_y, B, n_out + 1) one-hot: the start symbol (id n_out) at step 1, then
        y_1, ..., y_{T_y - 1}: at every step the previous true output.
    """
    T_y, B = y.shape
    start = np.full((1, B), n_out)  # the start symbol's id
    prev = np.concatenate([start, y[:-1]], axis=0)  # shift the targets one step later
    return np.eye(n_out + 1)[prev]


def _reference_decoder_inputs(y, n_out):
    # rnnlib's encoder-decoder builds the same inputs (its sizes other than n_out do not matter)
    return EncoderDecoder(1, n_out, 1, seed=0).decoder_inputs(y)


def _decoder_cases():
    rng = np.random.default_rng(72)
    return [
        (rng.integers(0, O, size=(T, B)), O)
        for T, B, O in ((4, 2, 5), (1, 3, 4), (6, 1, 3), (5, 4, 7))
    ]


def _one_hot(ids, n):
    return np.eye(n)[ids]


_DECODER_MISTAKES = [
    (
        lambda y, O: _one_hot(y, O + 1),
        "you fed y_t as the decoder's input at step t: it would read the very answer it must "
        "predict and learn to copy it. Shift by one step: the start symbol, then y_1..y_{T_y-1}.",
    ),
    (
        lambda y, O: _one_hot(np.concatenate([np.zeros((1, y.shape[1]), int), y[:-1]]), O + 1),
        "the start symbol is id n_out (one past the output classes), not 0: id 0 is a real "
        "output, so the decoder could not tell 'start' from it.",
    ),
    (
        lambda y, O: _one_hot(np.concatenate([y[1:], np.full((1, y.shape[1]), O)]), O + 1),
        "the shift goes the wrong way: that feeds the *next* output y_{t+1} at step t. The "
        "decoder may only read what came before: start, y_1, ..., y_{T_y-1}.",
    ),
    (
        lambda y, O: _one_hot(np.concatenate([np.full((1, y.shape[1]), O), y[:-1]]), O + 1)[::-1],
        "the steps are in reverse order: the start symbol belongs at step 1, the first row.",
    ),
]


def check_decoder_inputs(fn) -> CheckResult:
    """Check ``fn(y, n_out) -> (T_y, B, n_out + 1)`` one-hot decoder inputs."""
    return _check(
        "decoder_inputs",
        fn,
        _reference_decoder_inputs,
        _decoder_cases(),
        known_mistakes(_DECODER_MISTAKES),
        output_names=["the array of decoder inputs"],
    )


# ---------------------------------------------------------------------------------------------
# 2. Where a many-to-one loss enters


def solution_many_to_one_dhs(dy, W_hy, T):
    """dL/dh_t from the output layer for every step of a many-to-one network.

    Args:
        dy: (B, O) gradient of the loss with respect to the single output y_hat = W_hy h_T + b_y.
        W_hy: (O, H) the output layer's weight; T: number of steps.

    Returns:
        dhs: (T, B, H), zero except at the last step, where it is dy @ W_hy.
    """
    B, H = dy.shape[0], W_hy.shape[1]
    dhs = np.zeros((T, B, H))
    dhs[-1] = dy @ W_hy  # only h_T feeds the output
    return dhs


def _reference_many_to_one_dhs(dy, W_hy, T):
    # the output layer applied at every step, with a loss on the last output only: its
    # backward pass gives dL/dh_t for all t at once
    B, (O, H) = dy.shape[0], W_hy.shape
    head = Linear(H, O).with_params({"weight": W_hy, "bias": np.zeros(O)})
    _, cache = head.forward(np.zeros((T, B, H)))
    dys = np.zeros((T, B, O))
    dys[-1] = dy
    return head.backward(dys, cache)[0]


def _dhs_cases():
    rng = np.random.default_rng(70)
    return [
        (rng.standard_normal((B, O)), rng.standard_normal((O, H)), T)
        for T, B, O, H in ((4, 2, 3, 5), (1, 3, 2, 4), (7, 1, 2, 6))
    ]


def _diagnose_dhs(got, args):
    dy, W_hy, T = args
    g = np.asarray(got, dtype=np.float64)
    top = dy @ W_hy
    if T > 1 and np.allclose(g, np.broadcast_to(top, g.shape)):
        return (
            "the gradient is at every step. A many-to-one network has a single output, read "
            "from h_T: only the last step gets dL/dh directly; earlier steps get theirs "
            "later, through BPTT."
        )
    if T > 1 and np.allclose(g[0], top) and np.allclose(g[1:], 0):
        return "right values, wrong step: the output is read from the *last* state h_T, dhs[-1]."
    if np.allclose(g[-1], -top):
        return "the sign is flipped: dhs[-1] = dy @ W_hy, no minus (dy is already dL/dy_hat)."
    return None


def check_many_to_one_dhs(fn) -> CheckResult:
    """Check ``fn(dy, W_hy, T) -> dhs`` of shape (T, B, H)."""
    return _check(
        "many_to_one_dhs",
        fn,
        _reference_many_to_one_dhs,
        _dhs_cases(),
        _diagnose_dhs,
        output_names=["dhs"],
    )


# ---------------------------------------------------------------------------------------------
# 3. A bidirectional layer from two plain ones


def solution_bidirectional_states(x, forward_layer, backward_layer):
    """hs[t] = [forward state at step t, backward state at step t]: (T, B, 2H).

    The backward layer reads the sequence reversed, so its outputs come out reversed too:
    flip them back before concatenating, so that row t holds what it computed at step t.
    """
    hs_f, _, _ = forward_layer.forward(x)
    hs_b, _, _ = backward_layer.forward(x[::-1])
    return np.concatenate([hs_f, hs_b[::-1]], axis=2)


def _bidir_cases():
    rng = np.random.default_rng(71)
    cases = []
    for T, B, D, H in ((5, 2, 3, 4), (3, 1, 2, 3), (6, 3, 4, 2)):
        cases.append((rng.standard_normal((T, B, D)), RNN(D, H, seed=rng), RNN(D, H, seed=rng)))
    return cases


def _diagnose_bidir(got, args):
    x, fwd, bwd = args
    g = np.asarray(got, dtype=np.float64)
    hs_f = fwd.forward(x)[0]
    hs_b_rev = bwd.forward(x[::-1])[0]
    hs_b_plain = bwd.forward(x)[0]
    for candidate, why in (
        (
            np.concatenate([hs_f, hs_b_rev], 2),
            "the backward half is still in reversed order: flip its outputs back (hs_b[::-1]) "
            "so that row t holds the state at step t.",
        ),
        (
            np.concatenate([hs_f, hs_b_plain], 2),
            "the backward layer read x forwards: give it x[::-1], so it starts at x_T.",
        ),
        (
            np.concatenate([hs_b_rev[::-1], hs_f], 2),
            "the halves are swapped: forward first, then backward (as PyTorch).",
        ),
        (
            np.concatenate([hs_f, hs_f], 2),
            "both halves come from the forward layer; the second should be the backward layer's.",
        ),
    ):
        if g.shape == candidate.shape and np.allclose(g, candidate):
            return why
    return None


def check_bidirectional_states(fn) -> CheckResult:
    """Check ``fn(x, forward_layer, backward_layer) -> hs`` (T, B, 2H) against
    ``rnnlib.Bidirectional``."""

    def reference(x, f, b):
        return Bidirectional(f, b).forward(x)[0]

    return _check(
        "bidirectional_states", fn, reference, _bidir_cases(), _diagnose_bidir, output_names=["hs"]
    )
