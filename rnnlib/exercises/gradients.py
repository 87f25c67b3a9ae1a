r"""Exercises for notebook 03 (vanishing and exploding gradients).

1. :func:`check_hidden_gradients`: walk the gradient back through a tanh RNN,
   :math:`\delta_{t-1} = W_{hh}^\top (\varphi'(a_t) \odot \delta_t)`.
2. :func:`check_pascanu_diagnosis`: spectral radius, largest singular value, and whether
   Pascanu et al.'s sufficient condition for vanishing gradients holds.
3. :func:`check_first_overflow_step`: the step at which a float32 state first overflows.

Each check runs the learner's function on fresh inputs beside a reference computed with rnnlib
(``_reference_*``) and prints what it found (see :func:`rnnlib.exercises.run_check`); it never
raises.
A failed check prints the first of three hint levels in :data:`HINTS` (the idea, the formula,
a skeleton of the code); ``rnnlib.exercises.hint(check, level)`` prints the others, and level 4
the reference solution.
"""

from __future__ import annotations

import numpy as np

from .. import cells
from ..analysis import largest_singular_value, scalar_rnn, spectral_radius
from ._feedback import known_mistakes, run_check

__all__ = [
    "HINTS",
    "check_hidden_gradients", "solution_hidden_gradients",
    "check_pascanu_diagnosis", "solution_pascanu_diagnosis",
    "check_first_overflow_step", "solution_first_overflow_step",
]

#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_hidden_gradients": (
        "Start where the loss is and walk backwards one step at a time. Each step back crosses "
        "the tanh of the later step and then the product with W_hh, and the loss sits on h_T "
        "only, so nothing is added on the way.",
        """\
        Row T-1 (0-based) is delta_T = dL_dhT. Then for t = T-1 down to 1 (0-based rows):
            da          = deltas[t] * (1 - hs[t]**2)     phi'(a_t) = 1 - h_t^2, from the state
                                                         that step t produced
            deltas[t-1] = da @ W_hh                      a row vector times W_hh applies W_hh^T""",
        """\
        def hidden_gradients(W_hh, hs, dL_dhT):
            T, H = hs.shape
            deltas = np.zeros((T, H))
            deltas[-1] = ...
            for t in range(T - 1, 0, -1):
                da = ...
                deltas[t - 1] = ...
            return deltas"""),
    "check_pascanu_diagnosis": (
        "Two different sizes of a matrix: the spectral radius (its eigenvalues: what repeated "
        "multiplication does in the long run) and the largest singular value (the most one "
        "multiplication can stretch a vector). Pascanu et al.'s guarantee uses the second.",
        """\
        rho       = max |lambda_i|           over the eigenvalues (they can be negative or complex)
        sigma_max = ||W_hh||_2               the spectral norm, not the Frobenius norm
        vanishing guaranteed  <=>  sigma_max < 1 / gamma""",
        """\
        def pascanu_diagnosis(W_hh, gamma):
            rho = np.max(np.abs(...))            # np.linalg.eigvals
            sigma = np.linalg.norm(W_hh, ...)    # which ord gives the largest singular value?
            return rho, sigma, bool(...)"""),
    "check_first_overflow_step": (
        "Do the arithmetic the way a GPU would: in float32, whose largest number is about "
        "3.4e38. Multiply step by step and stop at the first step whose result is infinite, "
        "of either sign.",
        """\
        h_0 = 1 (float32),  h_t = w * h_{t-1} (float32)
        answer = the first t in 1..T with np.isinf(h_t), or 0 if there is none""",
        """\
        def first_overflow_step(w, T):
            h, w = np.float32(1.0), np.float32(w)
            for t in range(1, T + 1):
                h = ...
                if ...:                          # +inf or -inf
                    return t
            return 0"""),
}

# ---------------------------------------------------------------------------------------------
# 1. The gradient, step by step back


def solution_hidden_gradients(W_hh, hs, dL_dhT):
    """delta_t = dL/dh_t for a tanh RNN whose loss depends on h_T only.

    Args:
        W_hh: (H, H) recurrent weights; hs: (T, H) hidden states h_1..h_T of one sequence;
        dL_dhT: (H,) the gradient of the loss with respect to h_T.

    Returns:
        (T, H): row t-1 holds delta_t.
    """
    T, H = hs.shape
    deltas = np.zeros((T, H))
    deltas[-1] = dL_dhT                              # delta_T: where the loss is
    for t in range(T - 1, 0, -1):                    # rows T-1 .. 1 (0-based)
        da = deltas[t] * (1.0 - hs[t] ** 2)          # back through tanh: phi'(a_t) = 1 - h_t^2
        deltas[t - 1] = da @ W_hh                    # back through W_hh (W_hh^T applied to da)
    return deltas


def _reference_hidden_gradients(W_hh, hs, dL_dhT):
    # rnnlib's backward step of a tanh RNN, step by step: the input and W_xh play no part in
    # dh_prev, so zeros stand in for them in the cache rnn_step_forward would have made
    T, H = hs.shape
    deltas = [np.asarray(dL_dhT, dtype=np.float64)[None]]
    for t in range(T - 1, 0, -1):
        cache = (np.zeros((1, 1)), hs[t - 1][None], np.zeros((H, 1)), W_hh, hs[t][None], "tanh")
        deltas.insert(0, cells.rnn_step_backward(deltas[0], cache)[1])
    return np.concatenate(deltas)


def _hidden_gradient_cases():
    from ..layers import RNN
    cases = []
    for k, (T, H) in enumerate([(6, 3), (9, 4), (1, 2), (12, 5)]):
        rng = np.random.default_rng(300 + k)
        layer = RNN(2, H, nonlinearity="tanh", seed=rng)
        layer.params["weight_hh"] *= 3.0             # big enough that the answers differ a lot
        hs, _, _ = layer.forward(rng.standard_normal((T, 1, 2)))
        cases.append((layer.params["weight_hh"].copy(), hs[:, 0, :].copy(),
                      rng.standard_normal(H)))
    return cases


def _walk_back(W_hh, hs, dL_dhT, slope_row, right_product):
    T, H = hs.shape
    deltas = np.zeros((T, H))
    deltas[-1] = dL_dhT
    for t in range(T - 1, 0, -1):
        da = deltas[t] * (1.0 - hs[t + slope_row] ** 2)
        deltas[t - 1] = W_hh @ da if right_product else da @ W_hh
    return deltas


_HIDDEN_MISTAKES = [
    (lambda W, hs, d: _walk_back(W, hs, d, -1, False),
     "the slope phi'(a_t) = 1 - h_t**2 belongs to the later step: going from delta_t to "
     "delta_{t-1} use hs[t] (the state step t produced), not hs[t-1]."),
    (lambda W, hs, d: _walk_back(W, hs, d, 0, True),
     "the gradient goes back through W_hh transposed: with delta as a row vector that is "
     "da @ W_hh; W_hh @ da applies W_hh itself."),
]


def check_hidden_gradients(hidden_gradients, quiet=False):
    """Check ``hidden_gradients(W_hh, hs, dL_dhT) -> (T, H)`` on four fresh tanh RNNs."""
    return run_check(
        "hidden_gradients", hidden_gradients, _reference_hidden_gradients,
        _hidden_gradient_cases(), output_names=["deltas"], quiet=quiet,
        diagnose=known_mistakes(_HIDDEN_MISTAKES))


# ---------------------------------------------------------------------------------------------
# 2. Which condition holds?


def solution_pascanu_diagnosis(W_hh, gamma):
    """Spectral radius, largest singular value, and whether sigma_max < 1 / gamma (Pascanu et
    al. 2013: then every gradient vanishes, whatever the inputs), for |phi'| <= gamma."""
    rho = np.max(np.abs(np.linalg.eigvals(W_hh)))      # largest |eigenvalue|
    sigma = np.linalg.norm(W_hh, 2)                    # largest singular value (not Frobenius)
    return rho, sigma, bool(sigma < 1.0 / gamma)


def _reference_pascanu_diagnosis(W_hh, gamma):
    sigma = largest_singular_value(W_hh)
    return spectral_radius(W_hh), sigma, bool(sigma < 1.0 / gamma)


def _diagnosis_cases():
    from ..analysis import random_recurrent_matrix
    rot = np.array([[0.0, -0.9], [0.9, 0.0]])          # complex eigenvalues +-0.9i
    return [
        (random_recurrent_matrix(6, 0.9, seed=31), 1.0),   # rho < 1 but sigma > 1
        (np.array([[0.5, 4.0], [0.0, 0.5]]), 1.0),         # non-normal: rho 0.5, sigma 4.06
        (rot, 1.0),                                        # rho = sigma = 0.9: guaranteed
        (random_recurrent_matrix(5, 1.3, seed=32), 0.25),  # sigmoid: gamma = 1/4
        (-np.eye(3) * 1.2, 1.0),                           # a negative eigenvalue
    ]


_DIAGNOSIS_MISTAKES = [
    (lambda W, g: (np.max(np.abs(np.linalg.eigvals(W))), np.linalg.norm(W),
                   bool(np.linalg.norm(W) < 1 / g)),
     "np.linalg.norm(W_hh) is the Frobenius norm (all entries squared); the largest singular "
     "value is np.linalg.norm(W_hh, 2)."),
    (lambda W, g: (np.max(np.linalg.eigvals(W).real), np.linalg.norm(W, 2),
                   bool(np.linalg.norm(W, 2) < 1 / g)),
     "the spectral radius is the largest *absolute value* |lambda| of the eigenvalues, which "
     "can be negative or complex, not the largest eigenvalue."),
    (lambda W, g: (np.max(np.abs(np.linalg.eigvals(W))), np.linalg.norm(W, 2),
                   bool(np.max(np.abs(np.linalg.eigvals(W))) < 1 / g)),
     "the guarantee uses the largest singular value: rho < 1 / gamma does not stop the first "
     "steps from growing (a non-normal matrix can stretch before it shrinks)."),
]


def check_pascanu_diagnosis(pascanu_diagnosis, quiet=False):
    """Check ``pascanu_diagnosis(W_hh, gamma) -> (rho, sigma_max, vanishing_guaranteed)``."""
    return run_check(
        "pascanu_diagnosis", pascanu_diagnosis, _reference_pascanu_diagnosis, _diagnosis_cases(),
        output_names=["spectral radius", "largest singular value", "vanishing guaranteed"],
        quiet=quiet, diagnose=known_mistakes(_DIAGNOSIS_MISTAKES))


# ---------------------------------------------------------------------------------------------
# 3. When does float32 give up?


def solution_first_overflow_step(w, T):
    """The first step t (1..T) at which h_t = w * h_{t-1}, h_0 = 1, computed in float32, is
    +inf or -inf; 0 if it stays finite for all T steps."""
    h = np.float32(1.0)
    w = np.float32(w)
    with np.errstate(over="ignore"):
        for t in range(1, T + 1):
            h = w * h
            if np.isinf(h):
                return t
    return 0


def _reference_first_overflow_step(w, T):
    # rnnlib's one-unit linear RNN in float32, no input, h_0 = 1: its states are w h_{t-1}
    layer = scalar_rnn(w, dtype=np.float32)
    hs, _, _ = layer.forward(np.zeros((T, 1, 1), np.float32), np.ones((1, 1), np.float32))
    overflowed = np.isinf(hs[:, 0, 0])
    return int(np.argmax(overflowed)) + 1 if overflowed.any() else 0


def check_first_overflow_step(first_overflow_step, quiet=False):
    """Check ``first_overflow_step(w, T) -> int`` for growing, shrinking and sign-flipping w."""
    cases = [(2.0, 200), (10.0, 60), (-3.0, 100), (1.5, 300), (0.9, 100), (3.0, 20)]
    return run_check(
        "first_overflow_step", first_overflow_step, _reference_first_overflow_step, cases,
        output_names=["step"], quiet=quiet,
        diagnose=known_mistakes(_OVERFLOW_MISTAKES, rtol=0, atol=0))


def _overflow_variant(w, T, dtype=np.float32, plus_only=False):
    h, w = dtype(1.0), dtype(w)
    with np.errstate(over="ignore"):
        for t in range(1, T + 1):
            h = w * h
            if (h == np.inf) if plus_only else np.isinf(h):
                return t
    return 0


_OVERFLOW_MISTAKES = [
    (lambda w, T: _overflow_variant(w, T, np.float64),
     "these are float64 steps: a float64 number overflows only near 1.8e308. Do the "
     "arithmetic in float32: h = np.float32(1.0), w = np.float32(w)."),
    (lambda w, T: _overflow_variant(w, T, plus_only=True),
     "with a negative w the state flips sign every step and can overflow to -inf: test with "
     "np.isinf(h), which catches both."),
]
