"""Exercises of notebook 07 (architectures), with their checks and reference solutions.

1. ``count_parameters(T, D, H, O)``: the size of a many-to-one Elman network.
2. ``many_to_one_dhs(dy, W_hy, T)``: where a many-to-one loss's gradient enters the layer.
3. ``bidirectional_states(x, forward_layer, backward_layer)``: a bidirectional layer from two
   plain ones.

Each ``check_*`` runs the learner's function on fresh inputs against the reference, prints
specific feedback (a common mistake gets its own explanation) and returns a ``CheckResult``.
"""

from __future__ import annotations


import numpy as np

from ..composite import Bidirectional
from ..layers import RNN
from ._feedback import CheckResult, run_check

__all__ = ["check_count_parameters", "solution_count_parameters",
           "check_many_to_one_dhs", "solution_many_to_one_dhs",
           "check_bidirectional_states", "solution_bidirectional_states"]


def _check(name, learner_fn, reference_fn, cases, hint, diagnose, output_names=None):
    """``run_check`` with a diagnosis of *which* mistake a wrong answer is."""
    return run_check(name, learner_fn, reference_fn, cases, hint=hint, diagnose=diagnose,
                     output_names=output_names)


# ---------------------------------------------------------------------------------------------
# 1. Counting parameters


def solution_count_parameters(T, D, H, O):
    """Parameters of ``ElmanNetwork(D, H, O, many_to_one=True)``: an RNN layer and a head."""
    recurrent = H * D + H * H + H + H      # weight_ih, weight_hh, bias_ih, bias_hh
    head = O * H + O                       # out.weight, out.bias
    return recurrent + head                # no T anywhere: the same weights at every step


_COUNT_CASES = [(5, 3, 8, 4), (50, 3, 8, 4), (12, 10, 32, 5), (1, 7, 5, 3)]


def _diagnose_count(got, args):
    T, D, H, O = args
    ref = solution_count_parameters(T, D, H, O)
    try:
        got = float(got)
    except (TypeError, ValueError):
        return None
    if got == ref * T and T > 1:
        return ("you multiplied by T. The network uses the same W_xh, W_hh and W_hy at every "
                "step, so the count does not depend on the sequence length.")
    if got == ref - H:
        return ("one bias vector short: rnnlib, like PyTorch, keeps two for the hidden layer, "
                "bias_ih and bias_hh (only their sum matters, but both are parameters).")
    if got == ref - 2 * H - O or got == ref - H - O:
        return "count the biases too: bias_ih and bias_hh (H each) and the head's bias (O)."
    if got == H * D + H * H + 2 * H:
        return ("you counted the recurrent layer only; add the output layer W_hy (O x H) and "
                "b_y (O).")
    if got == ref - H * H:
        return "W_hh (H x H), the recurrent weight matrix, is missing."
    return None


def check_count_parameters(fn) -> CheckResult:
    """Check ``fn(T, D, H, O) -> int`` against rnnlib's own count on several sizes."""
    return _check("count_parameters", fn, solution_count_parameters, _COUNT_CASES,
                  "list the arrays: weight_ih (H, D), weight_hh (H, H), bias_ih (H,), "
                  "bias_hh (H,), "
                  "out.weight (O, H), out.bias (O,); add up their sizes.", _diagnose_count,
                  output_names=["the parameter count"])


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
    dhs[-1] = dy @ W_hy            # only h_T feeds the output
    return dhs


def _dhs_cases():
    rng = np.random.default_rng(70)
    return [(rng.standard_normal((B, O)), rng.standard_normal((O, H)), T)
            for T, B, O, H in ((4, 2, 3, 5), (1, 3, 2, 4), (7, 1, 2, 6))]


def _diagnose_dhs(got, args):
    dy, W_hy, T = args
    g = np.asarray(got, dtype=np.float64)
    top = dy @ W_hy
    if T > 1 and np.allclose(g, np.broadcast_to(top, g.shape)):
        return ("the gradient is at every step. A many-to-one network has a single output, read "
                "from h_T: only the last step gets dL/dh directly; earlier steps get theirs "
                "later, through BPTT.")
    if T > 1 and np.allclose(g[0], top) and np.allclose(g[1:], 0):
        return "right values, wrong step: the output is read from the *last* state h_T, dhs[-1]."
    if np.allclose(g[-1], -top):
        return "the sign is flipped: dhs[-1] = dy @ W_hy, no minus (dy is already dL/dy_hat)."
    return None


def check_many_to_one_dhs(fn) -> CheckResult:
    """Check ``fn(dy, W_hy, T) -> dhs`` of shape (T, B, H)."""
    return _check("many_to_one_dhs", fn, solution_many_to_one_dhs, _dhs_cases(),
                  "dhs has one (B, H) slice per step; all zero except dhs[-1] = dy @ W_hy.",
                  _diagnose_dhs, output_names=["dhs"])


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
            (np.concatenate([hs_f, hs_b_rev], 2),
             "the backward half is still in reversed order: flip its outputs back (hs_b[::-1]) "
             "so that row t holds the state at step t."),
            (np.concatenate([hs_f, hs_b_plain], 2),
             "the backward layer read x forwards: give it x[::-1], so it starts at x_T."),
            (np.concatenate([hs_b_rev[::-1], hs_f], 2),
             "the halves are swapped: forward first, then backward (as PyTorch)."),
            (np.concatenate([hs_f, hs_f], 2),
             "both halves come from the forward layer; the second should be the backward "
             "layer's.")):
        if g.shape == candidate.shape and np.allclose(g, candidate):
            return why
    return None


def check_bidirectional_states(fn) -> CheckResult:
    """Check ``fn(x, forward_layer, backward_layer) -> hs`` (T, B, 2H) against
    ``rnnlib.Bidirectional``."""
    def reference(x, f, b):
        return Bidirectional(f, b).forward(x)[0]
    return _check("bidirectional_states", fn, reference, _bidir_cases(),
                  "run forward_layer on x and backward_layer on x[::-1]; flip the second result "
                  "back in time and concatenate the two along the last axis.",
                  _diagnose_bidir, output_names=["hs"])
