r"""Numbers for notebook 02 (backpropagation through time).

Course notation: :math:`a_t = W_{xh} x_t + W_{hh} h_{t-1} + b_h`, :math:`h_t = \varphi(a_t)`,
:math:`\hat y_t = W_{hy} h_t + b_y`, :math:`L = \sum_t L_t`, and
:math:`\delta_t = \partial L / \partial h_t = \sum_{i \ge t} \partial L_i / \partial h_t`.

:func:`bptt_by_steps` is BPTT written as a loop over :func:`rnnlib.cells.rnn_step_backward`, the
way the notebook derives it; everything else calls rnnlib's vectorised layers, its
:func:`rnnlib.analysis.hidden_state_gradients` and :func:`rnnlib.tbptt.truncated_bptt`.
"""

from __future__ import annotations

import numpy as np

from .. import _checks, cells
from ..analysis import hidden_state_gradients, spectral_radius
from ..layers import RNN
from ..losses import mse_loss
from ..networks import Linear, RecurrentNetwork
from ..tbptt import chunk_slices, truncated_bptt

__all__ = [
    "make_network", "selected_step_loss", "bptt_by_steps", "truncated_hidden_gradients",
    "per_loss_hidden_gradients", "masked_mse", "pulse_problem", "truncation_errors",
    "relative_difference",
]


def make_network(T=8, D=2, H=3, O=1, rho=None, nonlinearity="tanh", seed=0):
    """A small seeded many-to-many Elman network with inputs and regression targets.

    Args:
        rho: if given, W_hh is rescaled to this spectral radius (how strongly the hidden
            state feeds itself); None keeps PyTorch's initialisation.

    Returns:
        net: a :class:`rnnlib.RecurrentNetwork` (an ``RNN`` layer and a ``Linear`` head);
        x: (T, 1, D) inputs; targets: (T, 1, O).
    """
    rng = np.random.default_rng(seed)
    net = RecurrentNetwork(RNN(D, H, nonlinearity, seed=rng), Linear(H, O, seed=rng))
    if rho is not None:
        if not rho >= 0:
            raise ValueError(f"rho must be >= 0, got {rho!r}")
        w = net.rnn.params["weight_hh"]
        w *= rho / spectral_radius(w)          # in place: params are the arrays used
    x = rng.standard_normal((T, 1, D))
    targets = rng.standard_normal((T, 1, O))
    return net, x, targets


def selected_step_loss(net, x, targets, loss_steps):
    """Forward pass and the gradient of L = sum of L_i over the chosen steps only.

    Args:
        loss_steps: iterable of 1-based steps i that carry a loss L_i (a summed squared error).

    Returns:
        loss: float; dys: (T, B, O) dL/dy_hat, zero at steps without a loss; cache: from
        ``net.forward``.
    """
    ys, _, cache = net.forward(x)
    T = len(ys)
    mask = np.zeros((T, 1, 1))
    for i in loss_steps:
        if not 1 <= i <= T:
            raise ValueError(f"loss steps must lie in 1..{T}, got {i}")
        mask[i - 1] = 1.0
    _, dys = mse_loss(ys, targets)                       # every step, then keep the chosen ones
    err = (ys - targets) ** 2
    loss = float(np.sum(mask * err.mean(axis=(1, 2), keepdims=True)))
    return loss, dys * mask, cache


def bptt_by_steps(layer, x, dhs, state0=None):
    """Backpropagation through time as a loop over single steps.

    Runs :func:`rnnlib.cells.rnn_step_forward` for t = 1..T, then walks back from T to 1 with
    :func:`rnnlib.cells.rnn_step_backward`, adding the gradient arriving from the future to the
    one from the step's own output, and summing the shared weights' gradients over time.

    Args:
        layer: an ``RNN``; x: (T, B, D); dhs: (T, B, H) dL_t/dh_t from the outputs (zeros at
            steps without a loss); state0: h_0 (zeros when None).

    Returns:
        dict with ``grads`` (like ``layer.params``), ``contributions`` (name -> (T, ...) the
        term each step adds to that gradient), ``dh_total`` (T, B, H) = delta_t, and
        ``dh0`` (B, H) = dL/dh_0.
    """
    p = layer.params
    T, B, _ = x.shape
    h = np.zeros((B, layer.hidden_size)) if state0 is None else np.asarray(state0, float)
    caches = []
    for t in range(T):                                          # forward, keeping every cache
        h, cache = cells.rnn_step_forward(x[t], h, p["weight_ih"], p["weight_hh"],
                                          p["bias_ih"], p["bias_hh"], layer.nonlinearity)
        caches.append(cache)
    contributions = {k: np.zeros((T,) + v.shape) for k, v in p.items()}
    dh_total = np.zeros((T, B, layer.hidden_size))
    dh_next = np.zeros((B, layer.hidden_size))                  # nothing comes from after T
    for t in reversed(range(T)):
        dh_total[t] = dhs[t] + dh_next                          # own loss + all later losses
        _, dh_next, g = cells.rnn_step_backward(dh_total[t], caches[t])
        for k in g:
            contributions[k][t] = g[k]                          # this step's copy of the weights
    grads = {k: c.sum(axis=0) for k, c in contributions.items()}   # shared weights: sum over t
    return {"grads": grads, "contributions": contributions, "dh_total": dh_total,
            "dh0": dh_next}


def truncated_hidden_gradients(layer, x, dhs, k, state0=None):
    """delta_t under truncated BPTT with chunks of k steps: (T, B, H).

    The forward pass runs through every chunk, carrying the state; the backward pass of each
    chunk starts from zero at the chunk's end, so a loss in one chunk sends no gradient into an
    earlier chunk. ``k >= T`` gives :func:`rnnlib.analysis.hidden_state_gradients` exactly.
    """
    x = _checks.check_sequence(x, layer.input_size)
    out = np.zeros(x.shape[:2] + (layer.hidden_size,))
    state = state0
    for sl in chunk_slices(len(x), k):
        _, next_state, cache = layer.forward(x[sl], state)
        out[sl] = layer.backward(dhs[sl], cache, return_hidden_grads=True)[3]
        state = next_state
    return out


def per_loss_hidden_gradients(layer, x, dhs, state0=None, k=None):
    """dL_i/dh_t for every loss step i and every step t: (T, T, B, H), entry [i, t].

    Each row i is one backward pass with only step i's output gradient switched on
    (full BPTT through :func:`rnnlib.analysis.hidden_state_gradients`, or truncated with chunks
    of ``k`` steps). Rows of steps without a loss are zero; entries with t > i are exactly zero
    (h_t cannot change an earlier output). Summing over i gives delta_t.
    """
    dhs = np.asarray(dhs, dtype=np.float64)
    T = len(dhs)
    out = np.zeros((T,) + dhs.shape)
    for i in range(T):
        if not np.any(dhs[i]):
            continue
        only_i = np.zeros_like(dhs)
        only_i[i] = dhs[i]
        if k is None or k >= T:
            out[i] = hidden_state_gradients(layer, x, only_i, state0)
        else:
            out[i] = truncated_hidden_gradients(layer, x, only_i, k, state0)
    return out


def masked_mse(ys, targets):
    """Squared error summed over steps, counting only steps whose target is not NaN.

    A ``loss_fn`` for :func:`rnnlib.tbptt.truncated_bptt` (which hands it one chunk at a time):
    NaN targets mark steps without a loss. Returns (loss, dys).
    """
    ys = np.asarray(ys, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    has_loss = ~np.isnan(targets)
    err = np.where(has_loss, ys - np.nan_to_num(targets), 0.0)
    scale = 1.0 / int(np.prod(ys.shape[1:]))               # mean over batch and outputs
    return float(np.sum(err * err) * scale), 2.0 * err * scale


def pulse_problem(T=12, H=3, seed=0):
    """A dependency T - 1 steps long: the only non-zero input is x_1 = 1 and the only loss is at
    step T (target 1). Every gradient of W_xh must come from step 1.

    Returns:
        net (many-to-many, D = 1, O = 1), x: (T, 1, 1), targets: (T, 1, 1) with NaN at every
        step but the last (use :func:`masked_mse`).
    """
    rng = np.random.default_rng(seed)
    net = RecurrentNetwork(RNN(1, H, seed=rng), Linear(H, 1, seed=rng))
    x = np.zeros((T, 1, 1))
    x[0] = 1.0
    targets = np.full((T, 1, 1), np.nan)
    targets[-1] = 1.0
    return net, x, targets


def relative_difference(a, b):
    """||a - b|| / ||b||: how far a gradient ``a`` is from the reference ``b`` (0 when equal)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    nb = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / nb) if nb > 0 else float(np.linalg.norm(a))


def truncation_errors(net, x, targets, ks, loss_fn=mse_loss, keys=("rnn.weight_hh",
                                                                    "rnn.weight_ih")):
    """How far the truncated gradient is from the full one, for every truncation length k.

    Returns:
        dict key -> (len(ks),) array of :func:`relative_difference` between
        ``truncated_bptt(..., k)`` and full BPTT (k = T), for each parameter in ``keys``.
    """
    T = len(x)
    _, full, _ = truncated_bptt(net, loss_fn, x, targets, k=T)
    out = {key: np.zeros(len(ks)) for key in keys}
    for j, k in enumerate(ks):
        _, g, _ = truncated_bptt(net, loss_fn, x, targets, k=int(k))
        for key in keys:
            out[key][j] = relative_difference(g[key], full[key])
    return out
