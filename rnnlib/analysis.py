r"""Gradient analysis for vanishing and exploding gradients.

Everything here is computed by real backpropagation through :mod:`rnnlib.layers`, not by a
formula: ``scalar_gradient_decay(1.1, 50)`` runs BPTT through a one-unit RNN and *finds*
:math:`1.1^{50}`.

Background (Pascanu, Mikolov & Bengio 2013): for a vanilla RNN,
:math:`\partial h_T/\partial h_t = \prod_{k=t+1}^{T} \mathrm{diag}(f'(a_k))\, W_{hh}`.
If the largest singular value of :math:`W_{hh}` is below :math:`1/\gamma` (:math:`\gamma` bounds
:math:`|f'|`: 1 for tanh and ReLU), the product shrinks geometrically: the gradient vanishes.
A spectral radius above 1 is necessary (not sufficient) for it to explode.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .layers import RNN


def _replicate_state(state, reps):
    if state is None:
        return None
    if isinstance(state, (tuple, list)):
        return type(state)(_replicate_state(s, reps) for s in state)
    return np.repeat(np.asarray(state, dtype=np.float64), reps, axis=0)


def hidden_state_gradients(layer, x, dhs, state0=None, dstate=None):
    """dL/dh_t at every step, where L has gradient ``dhs`` with respect to the outputs.

    Args:
        layer: an ``RNN``, ``LSTM`` or ``GRU``; x: (T, B, D); dhs: (T, B, H).

    Returns:
        (T, B, H): the total gradient reaching each h_t (from its own output and from all later
        steps): :math:`\\partial L/\\partial h_t = \\sum_{i \\ge t} \\partial L_i/\\partial h_t`.
    """
    _, _, cache = layer.forward(x, state0)
    return layer.backward(dhs, cache, dstate, return_hidden_grads=True)[3]


def gradient_norms(layer, x, dhs, state0=None):
    """||dL/dh_t|| (over batch and units) for t = 1..T: (T,) array. May hold inf when the
    gradient overflows; no warning is printed."""
    g = hidden_state_gradients(layer, x, dhs, state0)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.sum(g * g, axis=(1, 2)))


def last_step_loss_gradient(T, B, H, dtype=np.float64):
    """dhs for L = sum(h_T): only the last step has a loss. (T, B, H)."""
    dhs = np.zeros((T, B, H), dtype=dtype)
    dhs[-1] = 1.0
    return dhs


def jacobian_products(layer, x, state0=None):
    """The Jacobians dh_T/dh_t for t = 1..T, computed by BPTT (one backward pass per hidden unit,
    all in one batch).

    Args:
        layer: RNN, LSTM or GRU; x: (T, B, D).

    Returns:
        (T, B, H, H) array J with J[t, b, i, j] = d h_T[b, i] / d h_{t+1}[b, j] (0-based t; the
        last entry is the identity). For an LSTM, c_t is held fixed (the h-path only).
    """
    x = _checks.check_sequence(x, layer.input_size)
    T, B, D = x.shape
    H = layer.hidden_size
    x_rep = np.repeat(x, H, axis=1)                   # (T, B*H, D): one copy per output unit
    dhs = np.zeros((T, B * H, H))
    dhs[-1] = np.tile(np.eye(H), (B, 1))              # copy j asks for d h_T[j]
    g = hidden_state_gradients(layer, x_rep, dhs, _replicate_state(state0, H))
    return g.reshape(T, B, H, H)


def spectral_radius(W) -> float:
    """max |eigenvalue| of a square matrix."""
    W = _checks.as_float_array(W, "W")
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def largest_singular_value(W) -> float:
    """The spectral norm ||W||_2: the most any vector can be stretched by W."""
    W = _checks.as_float_array(W, "W")
    if W.ndim != 2:
        raise ValueError(f"W must be a matrix, got shape {W.shape}")
    return float(np.linalg.norm(W, 2))


def random_recurrent_matrix(H, spectral_radius_target, seed=None):
    """A random (H, H) Gaussian matrix rescaled to the given spectral radius."""
    H = _checks.check_positive_int(H, "H")
    if not spectral_radius_target >= 0:
        raise ValueError(f"spectral radius must be >= 0, got {spectral_radius_target!r}")
    W = _checks.rng_from(seed).standard_normal((H, H))
    return W * (spectral_radius_target / spectral_radius(W))


def scalar_rnn(w, nonlinearity="linear", dtype=np.float64):
    """A one-unit RNN whose only recurrent weight is ``w`` (input weight 1, biases 0)."""
    layer = RNN(1, 1, nonlinearity=nonlinearity, seed=0, dtype=dtype)
    layer.params["weight_hh"][...] = w
    layer.params["weight_ih"][...] = 1.0
    layer.params["bias_ih"][...] = 0.0
    layer.params["bias_hh"][...] = 0.0
    return layer


def scalar_gradient_decay(w, T, nonlinearity="linear", h0=1.0, dtype=np.float64):
    """|dh_T/dh_{T-k}| for k = 0..T, by BPTT through a one-unit RNN with recurrent weight w.

    The input is zero and h_0 = ``h0`` > 0, so a ReLU stays in its linear part and the answer is
    |w|^k: 1.1 over 50 steps gives about 117.4, 0.9 gives about 0.0052.

    Returns:
        (T+1,) array, entry k is the gradient k steps back (entry 0 is 1). In float32, values
        beyond about 3.4e38 become inf, without a warning.
    """
    T = _checks.check_positive_int(T, "T")
    layer = scalar_rnn(w, nonlinearity, dtype)
    x = np.zeros((T, 1, 1), dtype=dtype)
    _, _, cache = layer.forward(x, np.full((1, 1), h0, dtype=dtype))
    dhs = last_step_loss_gradient(T, 1, 1, dtype)
    _, dh0, _, dh_total = layer.backward(dhs, cache, return_hidden_grads=True)
    per_step = np.concatenate([dh0.ravel(), dh_total.ravel()])   # dh_T/dh_t for t = 0..T
    with np.errstate(invalid="ignore"):
        return np.abs(per_step[::-1])
