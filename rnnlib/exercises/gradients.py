r"""Exercises for notebook 03 (vanishing and exploding gradients).

1. :func:`check_hidden_gradients`: walk the gradient back through a tanh RNN,
   :math:`\delta_{t-1} = W_{hh}^\top (\varphi'(a_t) \odot \delta_t)`.
2. :func:`check_pascanu_diagnosis`: spectral radius, largest singular value, and whether
   Pascanu et al.'s sufficient condition for vanishing gradients holds.
3. :func:`check_first_overflow_step`: the step at which a float32 state first overflows.

Each check runs the learner's function on fresh inputs beside the reference ``solution_*``
function and prints what it found (see :func:`rnnlib.exercises.run_check`); it never raises.
"""

from __future__ import annotations

import numpy as np

from ._feedback import run_check

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


def check_hidden_gradients(hidden_gradients, quiet=False):
    """Check ``hidden_gradients(W_hh, hs, dL_dhT) -> (T, H)`` on four fresh tanh RNNs."""
    return run_check(
        "hidden_gradients", hidden_gradients, solution_hidden_gradients,
        _hidden_gradient_cases(),
        hint="start from the last row (delta_T = dL_dhT) and walk backwards: "
             "delta_{t-1} = (delta_t * (1 - h_t**2)) @ W_hh. The derivative uses h_t, the state "
             "the step produced, and the product is with W_hh itself (rows as vectors: that "
             "applies W_hh transposed).",
        output_names=["deltas"], quiet=quiet)


# ---------------------------------------------------------------------------------------------
# 2. Which condition holds?


def solution_pascanu_diagnosis(W_hh, gamma):
    """Spectral radius, largest singular value, and whether sigma_max < 1 / gamma (Pascanu et
    al. 2013: then every gradient vanishes, whatever the inputs), for |phi'| <= gamma."""
    rho = np.max(np.abs(np.linalg.eigvals(W_hh)))      # largest |eigenvalue|
    sigma = np.linalg.norm(W_hh, 2)                    # largest singular value (not Frobenius)
    return rho, sigma, bool(sigma < 1.0 / gamma)


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


def check_pascanu_diagnosis(pascanu_diagnosis, quiet=False):
    """Check ``pascanu_diagnosis(W_hh, gamma) -> (rho, sigma_max, vanishing_guaranteed)``."""
    return run_check(
        "pascanu_diagnosis", pascanu_diagnosis, solution_pascanu_diagnosis, _diagnosis_cases(),
        hint="rho is the largest *absolute value* of the eigenvalues (np.linalg.eigvals; they "
             "can be negative or complex); sigma_max is np.linalg.norm(W_hh, 2), not the "
             "default Frobenius norm; vanishing is guaranteed when sigma_max < 1 / gamma.",
        output_names=["spectral radius", "largest singular value", "vanishing guaranteed"],
        quiet=quiet)


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


def check_first_overflow_step(first_overflow_step, quiet=False):
    """Check ``first_overflow_step(w, T) -> int`` for growing, shrinking and sign-flipping w."""
    cases = [(2.0, 200), (10.0, 60), (-3.0, 100), (1.5, 300), (0.9, 100), (3.0, 20)]
    return run_check(
        "first_overflow_step", first_overflow_step, solution_first_overflow_step, cases,
        hint="do the arithmetic in float32 (h = np.float32(1.0), w = np.float32(w)); a float64 "
             "number would not overflow until about 1.8e308. Test with np.isinf(h): with a "
             "negative w the state overflows to -inf. Return 0 when it never overflows.",
        output_names=["step"], quiet=quiet)
