r"""One time step of each recurrent cell, forward and backward: the teaching unit.

Each ``*_step_forward`` computes the next state from the current input and the previous state
and returns a ``cache`` of what the backward pass needs; each ``*_step_backward`` takes the
gradient of the loss with respect to the step's outputs and returns the gradients with respect to
its inputs and parameters. The sequence layers in :mod:`rnnlib.layers` compute exactly the same
numbers, vectorised over time (the tests prove it).

Parameters follow PyTorch's names, shapes and gate order, for ``B`` sequences, input size ``D``,
hidden size ``H`` and ``G`` gates (RNN 1, LSTM 4 = i, f, g, o, GRU 3 = r, z, n)::

    weight_ih: (G*H, D)   weight_hh: (G*H, H)   bias_ih: (G*H,)   bias_hh: (G*H,)

Course notation: :math:`W_{xh}` = ``weight_ih``, :math:`W_{hh}` = ``weight_hh``,
:math:`b = b_{ih} + b_{hh}`.

Every step function checks its arguments first (shapes against each other, real and finite
numbers) and says what it expected. Shapes cannot reveal everything: a square ``weight_hh``
passed transposed, or gates in another order, computes other numbers without an error.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_finite

# --------------------------------------------------------------------------------------------
# Activations. Each derivative is written in terms of the activation's *output* y = f(a), which
# is what the forward pass caches.


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid σ(a) = 1 / (1 + e^-a), computed so, as PyTorch does.

    Accurate to the last bits everywhere: for very negative a, e^-a is huge and 1 / (1 + e^-a)
    keeps full relative precision (σ(-40) = 4.25e-18, where (1 + tanh(a/2)) / 2 gives 0 below
    a ≈ -37). Below a ≈ -709, e^-a overflows to inf (no warning) and σ(a) = 0: its true value
    is then below 1e-308 anyway.
    """
    with np.errstate(over="ignore"):
        return _sigmoid(np.asarray(a))


def _sigmoid(a: np.ndarray) -> np.ndarray:
    """:func:`sigmoid` for callers that already silence overflow (the layers' loops)."""
    return 1.0 / (1.0 + np.exp(-a))


def _relu(a):
    return np.maximum(a, 0.0)


def _identity(a):
    return a.copy()


#: nonlinearity name -> (f, f' expressed through y = f(a))
NONLINEARITIES = {
    "tanh": (np.tanh, lambda y: 1.0 - y * y),
    "relu": (_relu, lambda y: (y > 0).astype(y.dtype)),
    "sigmoid": (sigmoid, lambda y: y * (1.0 - y)),
    "linear": (_identity, lambda y: np.ones_like(y)),
}
#: the ones torch.nn.RNN offers; the others are extensions for teaching
TORCH_NONLINEARITIES = ("tanh", "relu")


def check_nonlinearity(name: str) -> str:
    if name not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {sorted(NONLINEARITIES)}, got {name!r}")
    return name


# --------------------------------------------------------------------------------------------
# Argument checks shared by the step functions (float32 stays float32, anything else real
# becomes float64).


def _real(a, name):
    arr = a if type(a) is np.ndarray else np.asarray(a)
    if arr.dtype != np.float64 and arr.dtype != np.float32:
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        check_finite(arr, name)          # raises, saying where
    return arr


def _check_step(x, states, weight_ih, weight_hh, bias_ih, bias_hh, gates):
    """Check one step's arguments against each other: H from weight_hh, D from weight_ih,
    B from x. Returns the arrays (x, [states...], weight_ih, weight_hh, bias_ih, bias_hh)."""
    w_hh = _real(weight_hh, "weight_hh")
    if w_hh.ndim != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] != gates * w_hh.shape[1]:
        raise ValueError(f"weight_hh must have shape ({gates}H, H) for a hidden size H"
                         f"{' (gates stacked in rows)' if gates > 1 else ''}, "
                         f"got {np.shape(weight_hh)}")
    H = w_hh.shape[1]
    w_ih = _real(weight_ih, "weight_ih")
    if w_ih.ndim != 2 or w_ih.shape[0] != gates * H:
        raise ValueError(f"weight_ih has shape {w_ih.shape}, expected ({gates * H}, D): "
                         f"{gates * H} rows, as weight_hh {w_hh.shape} has")
    D = w_ih.shape[1]
    x = _real(x, "x")
    if x.ndim != 2 or x.shape[1] != D:
        hint = "; for a single sequence use x[None] (a batch of one)" if x.shape == (D,) else ""
        raise ValueError(f"x has shape {x.shape}, expected (B, {D}): B sequences of "
                         f"{D} features, as weight_ih {w_ih.shape} expects{hint}")
    B = x.shape[0]
    checked = []
    for name, state in states:
        arr = _real(state, name)
        if arr.shape != (B, H):
            hint = (f"; for a single sequence use {name}[None] (a batch of one)"
                    if arr.shape == (H,) else "")
            raise ValueError(f"{name} has shape {arr.shape}, expected (B, H) = ({B}, {H}): one "
                             f"row per sequence of x (B = {B}), H = {H} from weight_hh{hint}")
        checked.append(arr)
    biases = []
    for name, b in (("bias_ih", bias_ih), ("bias_hh", bias_hh)):
        arr = _real(b, name)
        if arr.shape != (gates * H,):
            raise ValueError(f"{name} has shape {arr.shape}, expected ({gates * H},)")
        biases.append(arr)
    return x, checked, w_ih, w_hh, biases[0], biases[1]


def _check_grad(d, shape, name):
    arr = _real(d, name)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)} "
                         "(the shape of the step's output)")
    return arr


def _check_step_cache(cache, kind, fn):
    ok = (isinstance(cache, tuple) and len(cache) == 6) if kind == "tuple" else (
        isinstance(cache, dict) and kind in cache)
    if not ok:
        raise ValueError(f"cache must be the cache returned by {fn}, got "
                         f"{'None' if cache is None else type(cache).__name__}")


# --------------------------------------------------------------------------------------------
# Vanilla (Elman) RNN:  h_t = f(W_xh x_t + b_ih + W_hh h_{t-1} + b_hh)


def rnn_step_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
    """One step of a vanilla RNN.

    Args:
        x: (B, D) input at this step.
        h_prev: (B, H) previous hidden state.
        weight_ih: (H, D); weight_hh: (H, H); bias_ih, bias_hh: (H,).
        nonlinearity: "tanh" or "relu" (as in PyTorch), or "sigmoid" / "linear".

    Returns:
        h: (B, H) next hidden state.
        cache: tuple for :func:`rnn_step_backward`.
    """
    f, _ = NONLINEARITIES[check_nonlinearity(nonlinearity)]
    x, (h_prev,), weight_ih, weight_hh, bias_ih, bias_hh = _check_step(
        x, [("h_prev", h_prev)], weight_ih, weight_hh, bias_ih, bias_hh, gates=1)
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # pre-activation (B, H)
    h = f(a)
    cache = (x, h_prev, weight_ih, weight_hh, h, nonlinearity)
    return h, cache


def rnn_step_backward(dh, cache):
    """Backward pass of :func:`rnn_step_forward`.

    Args:
        dh: (B, H) gradient of the loss with respect to this step's output h.
        cache: from the forward step.

    Returns:
        dx: (B, D), dh_prev: (B, H), grads: dict with weight_ih (H, D), weight_hh (H, H),
        bias_ih (H,), bias_hh (H,).
    """
    _check_step_cache(cache, "tuple", "rnn_step_forward")
    x, h_prev, weight_ih, weight_hh, h, nonlinearity = cache
    dh = _check_grad(dh, h.shape, "dh")
    _, fprime = NONLINEARITIES[nonlinearity]
    da = dh * fprime(h)                     # backprop through the nonlinearity
    dx = da @ weight_ih                     # into the input
    dh_prev = da @ weight_hh                # into the previous hidden state: the recurrence
    grads = {
        "weight_ih": da.T @ x,
        "weight_hh": da.T @ h_prev,
        "bias_ih": da.sum(axis=0),
        "bias_hh": da.sum(axis=0),
    }
    return dx, dh_prev, grads


# --------------------------------------------------------------------------------------------
# LSTM (PyTorch's gate order i, f, g, o):
#   i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.)    each of  W_i* x + b_i* + W_h* h + b_h*
#   c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)


def lstm_step_forward(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of an LSTM.

    Args:
        x: (B, D); h_prev, c_prev: (B, H).
        weight_ih: (4H, D); weight_hh: (4H, H); bias_ih, bias_hh: (4H,); rows in gate order
        input i, forget f, candidate g, output o.

    Returns:
        h, c: (B, H) next hidden and cell state.
        cache: for :func:`lstm_step_backward`; ``cache["i"]`` etc. are the gate activations.
    """
    x, (h_prev, c_prev), weight_ih, weight_hh, bias_ih, bias_hh = _check_step(
        x, [("h_prev", h_prev), ("c_prev", c_prev)], weight_ih, weight_hh, bias_ih, bias_hh,
        gates=4)
    H = h_prev.shape[1]
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh  # (B, 4H), all gates at once
    i = sigmoid(a[:, 0 * H:1 * H])   # input gate: how much of the candidate to write
    f = sigmoid(a[:, 1 * H:2 * H])   # forget gate: how much of the old cell to keep
    g = np.tanh(a[:, 2 * H:3 * H])   # candidate values
    o = sigmoid(a[:, 3 * H:4 * H])   # output gate: how much of the cell to reveal
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    cache = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "i": i, "f": f, "g": g, "o": o,
             "c": c, "tanh_c": tanh_c, "weight_ih": weight_ih, "weight_hh": weight_hh}
    return h, c, cache


def lstm_step_backward(dh, dc, cache):
    """Backward pass of :func:`lstm_step_forward`.

    Args:
        dh: (B, H) gradient with respect to h_t; dc: (B, H) gradient with respect to c_t that
        arrives from later steps (zeros at the last step).

    Returns:
        dx: (B, D), dh_prev: (B, H), dc_prev: (B, H), grads: dict like the parameters.
    """
    _check_step_cache(cache, "tanh_c", "lstm_step_forward")
    dh = _check_grad(dh, cache["c"].shape, "dh")
    dc = _check_grad(dc, cache["c"].shape, "dc")
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tanh_c = cache["tanh_c"]
    do = dh * tanh_c                                   # h = o * tanh(c)
    dc = dc + dh * o * (1.0 - tanh_c * tanh_c)         # both paths into c_t
    di, df, dg = dc * g, dc * cache["c_prev"], dc * i  # c = f * c_prev + i * g
    dc_prev = dc * f                                   # the cell-state highway: factor f
    da = np.concatenate([di * i * (1.0 - i),           # through the sigmoids and the tanh
                         df * f * (1.0 - f),
                         dg * (1.0 - g * g),
                         do * o * (1.0 - o)], axis=1)
    dx = da @ cache["weight_ih"]
    dh_prev = da @ cache["weight_hh"]
    grads = {
        "weight_ih": da.T @ cache["x"],
        "weight_hh": da.T @ cache["h_prev"],
        "bias_ih": da.sum(axis=0),
        "bias_hh": da.sum(axis=0),
    }
    return dx, dh_prev, dc_prev, grads


# --------------------------------------------------------------------------------------------
# GRU (PyTorch's gate order r, z, n):
#   r = sigma(W_ir x + b_ir + W_hr h + b_hr),  z = sigma(W_iz x + b_iz + W_hz h + b_hz)
#   n = tanh(W_in x + b_in + r * (W_hn h + b_hn))          (reset_after=True, PyTorch / cuDNN)
#   n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)          (reset_after=False, Cho et al. 2014)
#   h_t = (1 - z) * n + z * h_{t-1}


def gru_step_forward(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, reset_after=True):
    """One step of a GRU.

    Args:
        x: (B, D); h_prev: (B, H).
        weight_ih: (3H, D); weight_hh: (3H, H); bias_ih, bias_hh: (3H,); rows in gate order
        reset r, update z, new n.
        reset_after: True applies the reset gate to (W_hn h + b_hn), as PyTorch does; False
        applies it to h before the matmul, as the original paper (Cho et al. 2014) and d2l do.
        Both are correct GRUs; they give different numbers for the same weights.

    Returns:
        h: (B, H); cache: for :func:`gru_step_backward` (``cache["r"]``, ``["z"]``, ``["n"]``).
    """
    x, (h_prev,), weight_ih, weight_hh, bias_ih, bias_hh = _check_step(
        x, [("h_prev", h_prev)], weight_ih, weight_hh, bias_ih, bias_hh, gates=3)
    H = h_prev.shape[1]
    ax = x @ weight_ih.T + bias_ih                                  # (B, 3H)
    ah_rz = h_prev @ weight_hh[:2 * H].T + bias_hh[:2 * H]          # (B, 2H)
    r = sigmoid(ax[:, :H] + ah_rz[:, :H])
    z = sigmoid(ax[:, H:2 * H] + ah_rz[:, H:])
    if reset_after:
        hn_input = h_prev
        ah_n = h_prev @ weight_hh[2 * H:].T + bias_hh[2 * H:]
        n = np.tanh(ax[:, 2 * H:] + r * ah_n)
    else:
        hn_input = r * h_prev
        ah_n = hn_input @ weight_hh[2 * H:].T + bias_hh[2 * H:]
        n = np.tanh(ax[:, 2 * H:] + ah_n)
    h = (1.0 - z) * n + z * h_prev
    cache = {"x": x, "h_prev": h_prev, "r": r, "z": z, "n": n, "ah_n": ah_n,
             "hn_input": hn_input, "reset_after": reset_after,
             "weight_ih": weight_ih, "weight_hh": weight_hh}
    return h, cache


def gru_step_backward(dh, cache):
    """Backward pass of :func:`gru_step_forward`.

    Args:
        dh: (B, H) gradient with respect to h_t.

    Returns:
        dx: (B, D), dh_prev: (B, H), grads: dict like the parameters.
    """
    _check_step_cache(cache, "hn_input", "gru_step_forward")
    dh = _check_grad(dh, cache["h_prev"].shape, "dh")
    h_prev, r, z, n = cache["h_prev"], cache["r"], cache["z"], cache["n"]
    weight_hh = cache["weight_hh"]
    H = h_prev.shape[1]
    dn = dh * (1.0 - z)                   # h = (1 - z) * n + z * h_prev
    dz = dh * (h_prev - n)
    dh_prev = dh * z                      # the direct (leaky) path
    dan = dn * (1.0 - n * n)              # through tanh: gradient of n's pre-activation
    if cache["reset_after"]:
        dah_n = dan * r                   # pre-activation = ax_n + r * ah_n
        dr = dan * cache["ah_n"]
    else:
        dhn_input = dan @ weight_hh[2 * H:]   # pre-activation = ax_n + W_hn (r * h) + b_hn
        dah_n = dan
        dr = dhn_input * h_prev
        dh_prev = dh_prev + dhn_input * r
    dar = dr * r * (1.0 - r)
    daz = dz * z * (1.0 - z)
    dax = np.concatenate([dar, daz, dan], axis=1)      # (B, 3H) into x's projections
    dah_rz = np.concatenate([dar, daz], axis=1)        # (B, 2H) into h's r and z projections
    dh_prev = dh_prev + dah_rz @ weight_hh[:2 * H]
    if cache["reset_after"]:
        dh_prev = dh_prev + dah_n @ weight_hh[2 * H:]
    dx = dax @ cache["weight_ih"]
    grads = {
        "weight_ih": dax.T @ cache["x"],
        "weight_hh": np.concatenate([dah_rz.T @ h_prev, dah_n.T @ cache["hn_input"]], axis=0),
        "bias_ih": dax.sum(axis=0),
        "bias_hh": np.concatenate([dah_rz.sum(axis=0), dah_n.sum(axis=0)]),
    }
    return dx, dh_prev, grads
