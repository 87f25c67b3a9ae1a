r"""Gates, one step at a time: the numbers behind notebook 05 (LSTM and GRU gates).

Plain numpy on top of rnnlib's core; the notebook and its widget call these functions, the tests
check them against rnnlib's layers.

* :func:`clamped_lstm`, :func:`clamped_gru`: one-unit cells whose gates are held at fixed values
  (gate weights zero, gate biases :func:`logit` of the value), so that each gate is a knob.
* :func:`lstm_backward_by_steps`: BPTT for an LSTM written as a loop over
  :func:`rnnlib.cells.lstm_step_backward`, returning what reaches the cell state at every step.
* :func:`gate_clamp_demo`: the widget's numbers (states over time, gradients k steps back).
* :func:`gradient_survival`: how far back a gradient reaches in a vanilla RNN, an LSTM and a GRU
  on the same input sequence.
"""

from __future__ import annotations

import numpy as np

from .. import analysis, cells
from ..layers import GRU, LSTM, RNN


def sigmoid(a):
    """The logistic sigmoid, as rnnlib's cells compute it (never overflows)."""
    return cells.sigmoid(np.asarray(a, dtype=np.float64))


def logit(p):
    """The pre-activation whose sigmoid is ``p``: ln(p / (1 - p)); p in (0, 1)."""
    p = np.asarray(p, dtype=np.float64)
    if np.any((p <= 0) | (p >= 1)):
        raise ValueError("a gate value must lie strictly between 0 and 1 (a sigmoid never "
                         "reaches 0 or 1)")
    return np.log(p) - np.log1p(-p)


# ---- cells with their gates held fixed -------------------------------------------------------

#: candidate weights of the one-unit demo cells: the LSTM's candidate g_t = tanh(W_G x_t) and the
#: GRU's n_t = tanh(W_N_X x_t + r_t * W_N_H h_{t-1})
W_G, W_N_X, W_N_H = 2.0, 2.0, 1.0


def clamped_lstm(f, i, o, w_g=W_G):
    """A one-unit LSTM (D = H = 1) whose gates are constants: i, f, o are the given values at
    every step, whatever the input and the state (their weights are zero, their biases are
    ``logit`` of the value). The candidate is g_t = tanh(w_g x_t): it reads the input only, so
    the cell state is the only memory and c_t = f c_{t-1} + i g_t exactly."""
    layer = LSTM(1, 1, seed=0)
    p = layer.params
    for k in p:
        p[k][...] = 0.0
    p["bias_ih"][:] = [logit(i), logit(f), 0.0, logit(o)]   # PyTorch's order i, f, g, o
    p["weight_ih"][2, 0] = w_g
    return layer


def clamped_gru(r, z, w_nx=W_N_X, w_nh=W_N_H):
    """A one-unit GRU (PyTorch's equations) whose reset and update gates are the constants r and
    z; the candidate n_t = tanh(w_nx x_t + r (w_nh h_{t-1})) still reads the previous state,
    through the reset gate. h_t = (1 - z) n_t + z h_{t-1}."""
    layer = GRU(1, 1, seed=0)
    p = layer.params
    for k in p:
        p[k][...] = 0.0
    p["bias_ih"][:] = [logit(r), logit(z), 0.0]             # PyTorch's order r, z, n
    p["weight_ih"][2, 0] = w_nx
    p["weight_hh"][2, 0] = w_nh
    return layer


def pulse_input(T, at, height=1.0):
    """x: (T, 1, 1), zero except ``height`` at the 1-based steps in ``at``."""
    x = np.zeros((T, 1, 1))
    for t in np.atleast_1d(at):
        x[int(t) - 1] = height
    return x


def lstm_backward_by_steps(layer, x, dstate_T, state0=None):
    """BPTT through an LSTM one step at a time with :func:`rnnlib.cells.lstm_step_backward`.

    Args:
        layer: an ``LSTM``; x: (T, B, D); dstate_T: pair (dL/dh_T, dL/dc_T), each (B, H).
        state0: (h_0, c_0) or None (zeros).

    Returns:
        dict with ``hs``, ``cs`` (T, B, H) from the forward pass and ``dh``, ``dc``
        (T + 1, B, H): the gradient reaching h_t and c_t for t = 0..T (index t; entry T is
        ``dstate_T``, entry 0 is dL/dh_0, dL/dc_0). Equal to ``layer.backward``'s numbers.
    """
    p = layer.params
    T, B, _ = x.shape
    H = layer.hidden_size
    h = np.zeros((B, H)) if state0 is None else np.asarray(state0[0], dtype=np.float64)
    c = np.zeros((B, H)) if state0 is None else np.asarray(state0[1], dtype=np.float64)
    hs, cs, caches = [], [], []
    for t in range(T):
        h, c, cache = cells.lstm_step_forward(x[t], h, c, p["weight_ih"], p["weight_hh"],
                                              p["bias_ih"], p["bias_hh"])
        hs.append(h)
        cs.append(c)
        caches.append(cache)
    dh = np.empty((T + 1, B, H))
    dc = np.empty((T + 1, B, H))
    dh[T], dc[T] = dstate_T
    for t in range(T - 1, -1, -1):
        _, dh[t], dc[t], _ = cells.lstm_step_backward(dh[t + 1], dc[t + 1], caches[t])
    return {"hs": np.stack(hs), "cs": np.stack(cs), "dh": dh, "dc": dc}


def gate_clamp_demo(f=0.9, i=0.5, o=0.5, r=0.5, z=0.9, T=60, k=50):
    """Everything the gate widget shows, computed by rnnlib.

    A one-unit LSTM and a one-unit GRU with gates held at the given values read the same input:
    a pulse at step ``T - k`` (and nothing else). Returns a dict with

    * ``t`` (T,): steps 1..T; ``x`` (T,): the input;
    * ``lstm_c``, ``lstm_h``, ``gru_h`` (T,): the states over time;
    * ``back`` (T + 1,): steps back 0..T; ``lstm_grad`` (T + 1,): dc_T/dc_{T-j} by BPTT
      (:func:`lstm_backward_by_steps`); ``gru_grad`` (T + 1,): dh_T/dh_{T-j} by BPTT
      (:func:`rnnlib.analysis.hidden_state_gradients`); ``f_power``, ``z_power``: f^j and z^j;
    * ``lstm_at_k``, ``gru_at_k``: the two gradients ``k`` steps back; ``k``.
    """
    T, k = int(T), int(k)
    if not 1 <= k < T:
        raise ValueError(f"k must be between 1 and T - 1 = {T - 1}, got {k}")
    x = pulse_input(T, T - k)
    lstm, gru = clamped_lstm(f, i, o), clamped_gru(r, z)
    zeros = np.zeros((1, 1))
    lstm_run = lstm_backward_by_steps(lstm, x, (zeros, np.ones((1, 1))))   # L = c_T
    gru_hs, _, gru_cache = gru.forward(x)
    dhs = analysis.last_step_loss_gradient(T, 1, 1)                       # L = h_T
    _, dh0, _, gru_grads = gru.backward(dhs, gru_cache, return_hidden_grads=True)  # t = 1..T
    back = np.arange(T + 1)
    lstm_grad = lstm_run["dc"][::-1, 0, 0]                                # j steps back
    gru_grad = np.concatenate([dh0.ravel(), gru_grads.ravel()])[::-1]
    return {
        "t": np.arange(1, T + 1), "x": x[:, 0, 0],
        "lstm_c": lstm_run["cs"][:, 0, 0], "lstm_h": lstm_run["hs"][:, 0, 0],
        "gru_h": gru_hs[:, 0, 0],
        "back": back, "lstm_grad": lstm_grad, "gru_grad": gru_grad,
        "f_power": float(f) ** back, "z_power": float(z) ** back,
        "lstm_at_k": float(lstm_grad[k]), "gru_at_k": float(gru_grad[k]), "k": k, "T": T,
    }


# ---- how far back does a gradient reach? -----------------------------------------------------

def forget_bias_lstm(input_size, hidden_size, forget_bias, seed=0):
    """An LSTM with PyTorch's initialisation except the forget gate's bias: bias_ih rows H:2H
    hold ``forget_bias`` and bias_hh rows H:2H hold 0, so f starts near sigma(forget_bias)."""
    layer = LSTM(input_size, hidden_size, seed=seed)
    H = hidden_size
    layer.params["bias_ih"][H:2 * H] = forget_bias
    layer.params["bias_hh"][H:2 * H] = 0.0
    return layer


def gradient_survival(T=100, D=4, H=16, forget_bias=3.0, seed=0):
    """||dL/dh_t||, for L = sum(h_T), at every step of one input sequence, for four freshly
    initialised layers: a tanh RNN, an LSTM, an LSTM with forget-gate bias ``forget_bias``
    and a GRU (all PyTorch's initialisation, same seed).

    Returns:
        dict with ``back`` (T,): steps back 0..T-1, and for each name in ``names`` the norms
        divided by the norm at the last step (``grad[name]``, (T,) indexed by steps back), and
        ``mean_forget``: the mean forget-gate value of each LSTM over the sequence.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, 1, D))
    layers = {
        "vanilla RNN (tanh)": RNN(D, H, seed=seed),
        "LSTM": LSTM(D, H, seed=seed),
        f"LSTM, forget bias {forget_bias:g}": forget_bias_lstm(D, H, forget_bias, seed=seed),
        "GRU": GRU(D, H, seed=seed),
    }
    dhs = analysis.last_step_loss_gradient(T, 1, H)
    grad, mean_forget = {}, {}
    for name, layer in layers.items():
        norms = analysis.gradient_norms(layer, x, dhs)       # t = 1..T
        grad[name] = (norms / norms[-1])[::-1]               # index j = steps back
        if isinstance(layer, LSTM):
            _, _, cache = layer.forward(x)
            mean_forget[name] = float(cache["gates"]["f"].mean())
    return {"back": np.arange(T), "names": list(layers), "grad": grad,
            "mean_forget": mean_forget, "T": T, "H": H}


# ---- LSTM versus GRU: what one can do that the other cannot ----------------------------------

def counting_demo(T=20):
    """Feed the input 1 for ``T`` steps into a one-unit LSTM set up to count (forget and input
    gates open, candidate 1) and into a one-unit GRU set up to follow its candidate
    n_t = tanh(2 + h_{t-1}) with its gates as open as the LSTM's.

    The LSTM's cell state adds up: c_t = f c_{t-1} + i g is about t. The GRU's state is an
    average, h_t = (1 - z) n_t + z h_{t-1}, of numbers in (-1, 1), so it can never leave (-1, 1).

    Returns:
        dict with ``t`` (T,), ``lstm_c``, ``lstm_h``, ``gru_h`` (T,), and the gate values used.
    """
    sat = 20.0                                        # sigma(20) = 1 - 2e-9, tanh(20) = 1 - 8e-18
    lstm = LSTM(1, 1, seed=0)
    for v in lstm.params.values():
        v[...] = 0.0
    lstm.params["bias_ih"][:] = [sat, sat, sat, 1.0]  # i, f near 1, g near 1, o = sigma(1)
    gru = GRU(1, 1, seed=0)
    for v in gru.params.values():
        v[...] = 0.0
    gru.params["bias_ih"][:] = [sat, -sat, 2.0]       # r near 1, z near 0: h_t = n_t
    gru.params["weight_hh"][2, 0] = 1.0               # n_t = tanh(2 + h_{t-1}): below 1
    x = np.ones((T, 1, 1))
    hs, (_, _), cache = lstm.forward(x)
    g_hs, _, _ = gru.forward(x)
    return {"t": np.arange(1, T + 1), "lstm_c": cache["cs"][:, 0, 0], "lstm_h": hs[:, 0, 0],
            "gru_h": g_hs[:, 0, 0]}
