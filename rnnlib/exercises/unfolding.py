r"""Self-checks for notebooks 00 (course map) and 01 (unfolding an RNN in time).

Each ``check_*`` runs your function on fresh inputs, compares it with rnnlib and prints what it
found; it never raises. ``solution_*`` are reference solutions: print one with
``rnnlib.exercises.solution(solution_rnn_forward)`` when you are stuck.

Notebook 00
    :func:`check_to_course_notation`, :func:`check_count_parameters`
Notebook 01
    :func:`check_rnn_forward`, :func:`check_jordan_step`, :func:`check_nudge_effect`
"""

from __future__ import annotations

import numpy as np

from ..analysis import scalar_rnn
from ..demos.unfolding import perturbation_effect
from ..layers import RNN
from ..networks import ElmanNetwork, JordanNetwork
from ._feedback import run_check

__all__ = [
    "HINTS",
    "check_to_course_notation", "solution_to_course_notation",
    "check_count_parameters", "solution_count_parameters",
    "check_rnn_forward", "solution_rnn_forward",
    "check_jordan_step", "solution_jordan_step",
    "check_nudge_effect", "solution_nudge_effect",
]


#: three levels of help per exercise (the idea, the formula, a skeleton of the code), printed
#: by ``rnnlib.exercises.hint(check, level)``; the first is printed when a check fails
HINTS = {
    "check_to_course_notation": (
        "Each course symbol is one of PyTorch's arrays, except the bias: PyTorch keeps two bias "
        "vectors that always act together.",
        """\
        W_xh = weight_ih        W_hh = weight_hh        b_h = bias_ih + bias_hh""",
        """\
        def to_course_notation(params):
            W_xh = params[...]
            W_hh = params[...]
            b_h = ... + ...
            return W_xh, W_hh, b_h"""),
    "check_count_parameters": (
        "Count the numbers in every array the network learns: the recurrent layer's two weight "
        "matrices and two bias vectors (PyTorch's layout), then the output layer's weight and "
        "bias. The sequence length appears nowhere: the same arrays serve every step.",
        """\
        weight_ih: H x D     weight_hh: H x H     bias_ih: H     bias_hh: H
        out.weight: O x H    out.bias: O
        total = H*D + H*H + 2*H + O*H + O""",
        """\
        def count_parameters(D, H, O):
            rnn = ... + ... + ... + ...        # weight_ih, weight_hh, bias_ih, bias_hh
            head = ... + ...                   # weight, bias of the output layer
            return rnn + head"""),
    "check_rnn_forward": (
        "Apply the one-step formula T times, each time feeding the state you just computed "
        "back in; start from the given h0 and keep every state.",
        """\
        h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),   t = 1, ..., T,   h_0 = h0.
        With one sequence per row (x[t] has shape (B, D)), W_xh x_t is written x[t] @ W_xh.T.
        The result stacks h_1, ..., h_T: shape (T, B, H).""",
        """\
        def rnn_forward(x, h0, W_xh, W_hh, b_h):
            h = h0
            hs = []
            for x_t in x:
                h = np.tanh(... + ... + b_h)
                hs.append(h)
            return np.stack(hs)"""),
    "check_jordan_step": (
        "A Jordan network has the same step as an Elman network, except that the memory fed "
        "back is the previous output y_prev, not the previous hidden state. The output has no "
        "activation.",
        """\
        h_t = tanh(W_xh x_t + W_yh y_{t-1} + b_h)
        y_t = W_hy h_t + b_y
        (rows are sequences: W v is written v @ W.T)""",
        """\
        def jordan_step(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
            h_t = np.tanh(x_t @ ... + y_prev @ ... + b_h)
            y_t = ...
            return h_t, y_t"""),
    "check_nudge_effect": (
        "Follow the extra 1 through the recurrence: it enters h_1 directly, and every later "
        "step passes on w times what it received.",
        """\
        change of h_1 = 1,   change of h_t = w * (change of h_{t-1}),
        so change of h_t = w^(t-1) for t = 1, ..., T (and 0 ** 0 = 1).""",
        """\
        def nudge_effect(w, T):
            exponents = np.arange(...)           # one per step: 0, 1, ..., T - 1
            return float(w) ** ..."""),
}


# =============================================================================================
# Notebook 00


def solution_to_course_notation(params):
    """PyTorch / rnnlib names -> the course's symbols (W_xh, W_hh, b_h)."""
    W_xh = params["weight_ih"]
    W_hh = params["weight_hh"]
    b_h = params["bias_ih"] + params["bias_hh"]   # PyTorch keeps two biases; only their sum acts
    return W_xh, W_hh, b_h


def _reference_to_course_notation(params):
    return params["weight_ih"], params["weight_hh"], params["bias_ih"] + params["bias_hh"]


def check_to_course_notation(fn):
    """Check ``fn(params) -> (W_xh, W_hh, b_h)`` on the parameters of fresh ``rnnlib.RNN``
    layers."""
    cases = [(RNN(D, H, seed=seed).params,) for seed, (D, H) in enumerate([(3, 4), (1, 1), (5, 2)],
                                                                            start=100)]
    return run_check("to_course_notation", fn, _reference_to_course_notation, cases,
                     hint="PyTorch (and rnnlib) store two bias vectors, bias_ih and bias_hh; they "
                          "always appear added together, so the course's single b_h is their sum.",
                     output_names=["W_xh", "W_hh", "b_h"])


def solution_count_parameters(D, H, O):
    """Learned numbers of an Elman network: RNN layer (PyTorch layout) + Linear head."""
    rnn = H * D + H * H + H + H      # weight_ih, weight_hh, bias_ih, bias_hh
    head = O * H + O                 # weight (O, H), bias (O,)
    return rnn + head


def _reference_count_parameters(D, H, O):
    return ElmanNetwork(D, H, O, seed=0).num_params()


def check_count_parameters(fn):
    """Check ``fn(D, H, O) -> int`` against ``rnnlib.ElmanNetwork(D, H, O).num_params()``."""
    cases = [(8, 16, 2), (1, 1, 1), (50, 7, 3), (3, 100, 10)]
    return run_check("count_parameters", fn, _reference_count_parameters, cases,
                     hint="count every array of the layer (weight_ih is H x D, weight_hh is H x H, "
                          "and PyTorch's layout has two biases of H each) and of the head "
                          "(weight O x H, bias O). T does not appear anywhere.",
                     output_names=["number of parameters"], rtol=0, atol=0)


# =============================================================================================
# Notebook 01


def solution_rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Unroll h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h) over a batch of sequences.

    x: (T, B, D); h0: (B, H); W_xh: (H, D); W_hh: (H, H); b_h: (H,). Returns hs: (T, B, H).
    """
    h = h0
    hs = []
    for x_t in x:                                  # one time step at a time
        h = np.tanh(x_t @ W_xh.T + h @ W_hh.T + b_h)   # rows are sequences: x_t is (B, D)
        hs.append(h)
    return np.stack(hs)


def _reference_rnn_forward(x, h0, W_xh, W_hh, b_h):
    layer = RNN(W_xh.shape[1], W_xh.shape[0], seed=0)
    layer.params.update(weight_ih=W_xh, weight_hh=W_hh, bias_ih=b_h, bias_hh=np.zeros_like(b_h))
    return layer.forward(x, h0)[0]


def _rnn_forward_cases():
    rng = np.random.default_rng(2024)
    cases = []
    for T, B, D, H in [(5, 2, 3, 4), (1, 1, 2, 3), (7, 3, 1, 2)]:
        cases.append((rng.standard_normal((T, B, D)), 0.5 * rng.standard_normal((B, H)),
                      rng.standard_normal((H, D)) / np.sqrt(D),
                      rng.standard_normal((H, H)) / np.sqrt(H), 0.1 * rng.standard_normal(H)))
    return cases


def check_rnn_forward(fn):
    """Check ``fn(x, h0, W_xh, W_hh, b_h) -> hs`` against ``rnnlib.RNN.forward``."""
    return run_check("rnn_forward", fn, _reference_rnn_forward, _rnn_forward_cases(),
                     hint="loop over t; x[t] is (B, D) with one sequence per row, so the products "
                          "are x[t] @ W_xh.T and h @ W_hh.T; start from h0 (not zeros) and return "
                          "all T hidden states stacked, shape (T, B, H).",
                     output_names=["hs"])


def solution_jordan_step(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
    """One step of a Jordan network: the previous *output* is the memory.

    x_t: (B, D); y_prev: (B, O); W_xh: (H, D); W_yh: (H, O); b_h: (H,); W_hy: (O, H); b_y: (O,).
    Returns h_t: (B, H) and y_t: (B, O).
    """
    h_t = np.tanh(x_t @ W_xh.T + y_prev @ W_yh.T + b_h)
    y_t = h_t @ W_hy.T + b_y
    return h_t, y_t


def _reference_jordan_step(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
    D, O, H = x_t.shape[1], y_prev.shape[1], W_xh.shape[0]
    net = JordanNetwork(D, H, O, seed=0)
    net.params.update(weight_xh=W_xh, weight_yh=W_yh, bias_h=b_h, weight_hy=W_hy, bias_y=b_y)
    ys, _, cache = net.forward(x_t[None], y_prev)
    return cache["hs"][0], ys[0]


def _jordan_cases():
    rng = np.random.default_rng(77)
    cases = []
    for B, D, H, O in [(2, 3, 4, 2), (1, 1, 3, 1), (3, 2, 2, 3)]:
        cases.append((rng.standard_normal((B, D)), rng.standard_normal((B, O)),
                      rng.standard_normal((H, D)), rng.standard_normal((H, O)),
                      rng.standard_normal(H), rng.standard_normal((O, H)), rng.standard_normal(O)))
    return cases


def check_jordan_step(fn):
    """Check ``fn(x_t, y_prev, W_xh, W_yh, b_h, W_hy, b_y) -> (h_t, y_t)`` against
    ``rnnlib.JordanNetwork``."""
    return run_check("jordan_step", fn, _reference_jordan_step, _jordan_cases(),
                     hint="a Jordan network feeds back the previous output: h_t = tanh(x_t W_xh^T "
                          "+ y_prev W_yh^T + b_h), then y_t = h_t W_hy^T + b_y, with no activation "
                          "on the output.",
                     output_names=["h_t", "y_t"])


def solution_nudge_effect(w, T):
    """Linear one-unit RNN h_t = w h_{t-1} + x_t: raising x_1 by 1 raises h_t by w^(t-1)."""
    return float(w) ** np.arange(T)          # t = 1..T  ->  exponents 0..T-1


def _reference_nudge_effect(w, T):
    layer = scalar_rnn(w, "linear")
    x = np.zeros((T, 1, 1))
    hs, hs2, _ = perturbation_effect(layer, x, eps=1.0, step=0)
    return (hs2 - hs).ravel()                # measured by running rnnlib twice


def check_nudge_effect(fn):
    """Check ``fn(w, T) -> (T,)``: by how much h_1..h_T move when x_1 grows by 1 in the linear
    one-unit RNN h_t = w h_{t-1} + x_t (measured with rnnlib)."""
    cases = [(0.5, 6), (1.1, 10), (-0.8, 5), (0.0, 4), (1.0, 3)]
    return run_check("nudge_effect", fn, _reference_nudge_effect, cases,
                     hint="h_1 moves by exactly 1; every further step multiplies the change by w, "
                          "so step t has w to the power t - 1 (and 0 ** 0 is 1). Return T numbers, "
                          "one per step, keeping the sign of w.",
                     output_names=["change of h_1..h_T"])
