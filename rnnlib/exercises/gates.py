"""Exercises of notebook 05 (LSTM and GRU gates), with their checks and reference solutions.

1. ``check_lstm_step(fn)``: one LSTM step, ``fn(x, h_prev, c_prev, weight_ih, weight_hh,
   bias_ih, bias_hh) -> (h, c)``, PyTorch's gate order i, f, g, o.
2. ``check_gru_step(fn)``: one GRU step, ``fn(x, h_prev, weight_ih, weight_hh, bias_ih,
   bias_hh) -> h``, PyTorch's equations (gate order r, z, n; reset applied after the matmul).
3. ``check_highway_gradient(fn)``: ``fn(f) -> grad`` with ``f: (T, B, H)`` the forget gates
   f_1..f_T and ``grad: (T + 1, B, H)``, ``grad[j]`` = dc_T/dc_{T-j} along the cell state.
4. ``check_lstm_step_backward(fn)``: one LSTM step backward, ``fn(dh, dc, cache) -> (dx,
   dh_prev, dc_prev, grads)`` with ``cache`` from :func:`rnnlib.cells.lstm_step_forward`;
   checked against :func:`rnnlib.cells.lstm_step_backward` and, for dx, dh_prev and dc_prev,
   against central finite differences of the forward step.

Each check runs the learner's function on fresh random inputs and compares with the reference.
When the answer is wrong, it also tries the usual mistakes (a gate order from another library,
a missing tanh, z and 1 - z swapped, a product taken from the wrong end, the tanh(c) path left
out of dc, ...) and names the one the learner made. Every check has three hint levels
(:data:`HINTS`): ``hint(ex.check_lstm_step, 2)``; level 4 prints the reference solution.
"""

from __future__ import annotations

import numpy as np

from ..cells import gru_step_forward, lstm_step_backward, lstm_step_forward, sigmoid
from ._feedback import CheckResult, known_mistakes, run_check

__all__ = ["HINTS", "check_lstm_step", "check_gru_step", "check_highway_gradient",
           "check_lstm_step_backward", "solution_lstm_step", "solution_gru_step",
           "solution_highway_gradient", "solution_lstm_step_backward"]


#: three levels of help per exercise: the idea, the formula, a skeleton of the code
HINTS = {
    "check_lstm_step": (
        "One matrix product per input gives all four pre-activations at once; cut the result "
        "into four blocks of H columns, in PyTorch's order i, f, g, o. The three gates go "
        "through the sigmoid, the candidate through tanh; then the cell is updated and shown "
        "through the output gate.",
        """\
        a   = x W_ih^T + b_ih + h_prev W_hh^T + b_hh        (B, 4H)
        i   = σ(a[:, 0:H])     f = σ(a[:, H:2H])     g = tanh(a[:, 2H:3H])     o = σ(a[:, 3H:4H])
        c_t = f ⊙ c_prev + i ⊙ g
        h_t = o ⊙ tanh(c_t)""",
        """\
        def lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            H = h_prev.shape[1]
            a = x @ weight_ih.T + ... + h_prev @ ... + ...     # (B, 4H)
            i = sigmoid(a[:, 0 * H:1 * H])
            f = ...
            g = ...                                            # the candidate: tanh
            o = ...
            c = ...
            h = ...
            return h, c"""),
    "check_gru_step": (
        "The GRU keeps one state. Its reset gate r and update gate z are sigmoids of an input "
        "part plus a hidden part; the candidate n reads the input and, through r, the previous "
        "state; the new state is a point between h_prev and n, and z says how much of h_prev "
        "is kept.",
        """\
        ax = x W_ih^T + b_ih          ah = h_prev W_hh^T + b_hh      (both (B, 3H), blocks r, z, n)
        r  = σ(ax_r + ah_r)           z = σ(ax_z + ah_z)
        n  = tanh(ax_n + r ⊙ ah_n)    (PyTorch: the reset gate multiplies W_hn h_prev + b_hn)
        h_t = (1 - z) ⊙ n + z ⊙ h_prev""",
        """\
        def gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
            H = h_prev.shape[1]
            ax = x @ weight_ih.T + bias_ih
            ah = ...
            r = sigmoid(ax[:, :H] + ah[:, :H])
            z = ...
            n = np.tanh(ax[:, 2 * H:] + ...)
            return ..."""),
    "check_highway_gradient": (
        "Going back one step along the cell state multiplies by that step's forget gate. "
        "Zero steps back the factor is 1; each further step back multiplies by one more gate, "
        "starting with the last one, f_T.",
        """\
        grad[0] = 1
        grad[j] = grad[j - 1] ⊙ f_(T-j+1)        = f_T ⊙ f_(T-1) ⊙ ... ⊙ f_(T-j+1)
        in 0-based numpy, f_T is f[T - 1]: a cumulative product of f read backwards in time""",
        """\
        def highway_gradient(f):
            ones = np.ones_like(f[:1])                  # j = 0, shape (1, B, H)
            products = np.cumprod(..., axis=0)          # f_T, f_T f_(T-1), ...
            return np.concatenate([ones, ...], axis=0)"""),
    "check_lstm_step_backward": (
        "Walk the six forward equations backwards. The cell state c_t gets gradient from two "
        "places: from later steps (dc) and from h_t = o ⊙ tanh(c_t) at this step. Each product "
        "sends a gradient to both of its factors, and each gate's pre-activation collects it "
        "through its own derivative (σ' = σ(1 - σ), tanh' = 1 - tanh²). Stack the four "
        "pre-activation gradients in the forward order i, f, g, o before the weight products.",
        """\
        do      = dh ⊙ tanh(c_t)
        dc_t    = dc + dh ⊙ o ⊙ (1 - tanh²(c_t))           both paths into c_t
        di = dc_t ⊙ g    df = dc_t ⊙ c_prev    dg = dc_t ⊙ i    dc_prev = dc_t ⊙ f
        da = [di ⊙ i(1-i), df ⊙ f(1-f), dg ⊙ (1-g²), do ⊙ o(1-o)]       (B, 4H), order i, f, g, o
        dx = da W_ih     dh_prev = da W_hh     dW_ih = daᵀ x     dW_hh = daᵀ h_prev
        db_ih = db_hh = da summed over the batch""",
        """\
        def lstm_step_back(dh, dc, cache):
            i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
            tanh_c = cache["tanh_c"]
            do = ...
            dc_t = dc + ...                              # the path through h = o * tanh(c)
            di, df, dg = ..., ..., ...
            dc_prev = ...
            da = np.concatenate([di * i * (1 - i), ..., ..., ...], axis=1)
            dx = da @ ...
            dh_prev = ...
            grads = {"weight_ih": da.T @ ..., "weight_hh": ...,
                     "bias_ih": ..., "bias_hh": ...}
            return dx, dh_prev, dc_prev, grads"""),
}


# ---- reference solutions ---------------------------------------------------------------------

def solution_lstm_step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh   # (B, 4H): all gates
    i = sigmoid(a[:, 0 * H:1 * H])      # input gate
    f = sigmoid(a[:, 1 * H:2 * H])      # forget gate
    g = np.tanh(a[:, 2 * H:3 * H])      # candidate
    o = sigmoid(a[:, 3 * H:4 * H])      # output gate
    c = f * c_prev + i * g              # the cell-state update
    h = o * np.tanh(c)
    return h, c


def solution_gru_step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    H = h_prev.shape[1]
    ax = x @ weight_ih.T + bias_ih          # (B, 3H): input parts of r, z, n
    ah = h_prev @ weight_hh.T + bias_hh     # (B, 3H): hidden parts of r, z, n
    r = sigmoid(ax[:, :H] + ah[:, :H])                 # reset gate
    z = sigmoid(ax[:, H:2 * H] + ah[:, H:2 * H])       # update gate
    n = np.tanh(ax[:, 2 * H:] + r * ah[:, 2 * H:])     # candidate: reset applied after the matmul
    return (1.0 - z) * n + z * h_prev                  # the interpolation


def solution_highway_gradient(f):
    ones = np.ones_like(f[:1])                         # j = 0: dc_T/dc_T = 1
    return np.concatenate([ones, np.cumprod(f[::-1], axis=0)], axis=0)   # f_T, f_T f_{T-1}, ...


def solution_lstm_step_backward(dh, dc, cache):
    i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
    tanh_c = cache["tanh_c"]
    do = dh * tanh_c                                   # h = o * tanh(c)
    dc_t = dc + dh * o * (1.0 - tanh_c ** 2)           # from later steps + through h = o tanh(c)
    di, df, dg = dc_t * g, dc_t * cache["c_prev"], dc_t * i   # c = f * c_prev + i * g
    dc_prev = dc_t * f                                 # the cell-state highway
    da = np.concatenate([di * i * (1.0 - i),           # sigmoid' = sigma (1 - sigma)
                         df * f * (1.0 - f),
                         dg * (1.0 - g ** 2),          # tanh' = 1 - tanh^2
                         do * o * (1.0 - o)], axis=1)  # (B, 4H), PyTorch's order i, f, g, o
    dx = da @ cache["weight_ih"]
    dh_prev = da @ cache["weight_hh"]
    grads = {"weight_ih": da.T @ cache["x"], "weight_hh": da.T @ cache["h_prev"],
             "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}
    return dx, dh_prev, dc_prev, grads


# ---- the usual mistakes, each a function with the learner's signature ------------------------

def _lstm_variant(order="ifgo", tanh_c=True, use_input_gate=True, sigmoid_g=False):
    def step(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = h_prev.shape[1]
        a = x @ weight_ih.T + bias_ih + h_prev @ weight_hh.T + bias_hh
        blocks = {name: a[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        g = sigmoid(blocks["g"]) if sigmoid_g else np.tanh(blocks["g"])
        c = f * c_prev + (i * g if use_input_gate else g)
        h = o * (np.tanh(c) if tanh_c else c)
        return h, c
    return step


_LSTM_MISTAKES = [
    (_lstm_variant(order="ifog"), "your gates are in the order i, f, o, g (CS231n's order). "
     "PyTorch and rnnlib stack them i, f, g, o: the candidate g is the third block of H rows, "
     "the output gate o the fourth."),
    (_lstm_variant(order="fiog"), "your gates are in the order f, i, o, g. PyTorch and rnnlib "
     "stack them i, f, g, o."),
    (_lstm_variant(order="figo"), "you swapped the input and forget gates: in PyTorch's order "
     "i, f, g, o the input gate i is the first block of H rows and the forget gate f the second."),
    (_lstm_variant(tanh_c=False), "your c is right but h is not: the hidden state is "
     "h = o * tanh(c), with a tanh on the cell state."),
    (_lstm_variant(use_input_gate=False), "the candidate g must pass through the input gate: "
     "c = f * c_prev + i * g."),
    (_lstm_variant(sigmoid_g=True), "the candidate g uses tanh (values in (-1, 1)), not the "
     "sigmoid: only i, f and o are gates."),
]


def _gru_variant(swap_z=False, reset_before=False, order="rzn", no_bhn_in_reset=False):
    def step(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
        H = h_prev.shape[1]
        idx = {name: slice(k * H, (k + 1) * H) for k, name in enumerate(order)}
        ax = x @ weight_ih.T + bias_ih
        r = sigmoid(ax[:, idx["r"]] + h_prev @ weight_hh[idx["r"]].T + bias_hh[idx["r"]])
        z = sigmoid(ax[:, idx["z"]] + h_prev @ weight_hh[idx["z"]].T + bias_hh[idx["z"]])
        w_hn, b_hn = weight_hh[idx["n"]], bias_hh[idx["n"]]
        if reset_before:
            hn = (r * h_prev) @ w_hn.T + b_hn
        elif no_bhn_in_reset:
            hn = r * (h_prev @ w_hn.T) + b_hn
        else:
            hn = r * (h_prev @ w_hn.T + b_hn)
        n = np.tanh(ax[:, idx["n"]] + hn)
        return z * n + (1.0 - z) * h_prev if swap_z else (1.0 - z) * n + z * h_prev
    return step


_GRU_MISTAKES = [
    (_gru_variant(swap_z=True), "z and 1 - z are swapped. In PyTorch's convention (and the "
     "course's) z is the fraction of the old state that is kept: h = (1 - z) * n + z * h_prev. "
     "Some texts (Chung et al. 2014, Olah 2015) write it the other way round; both are GRUs, but "
     "they are not the same function of the same weights."),
    (_gru_variant(reset_before=True), "you applied the reset gate before the matmul, "
     "W_hn (r * h_prev) + b_hn: that is the GRU of Cho et al. (2014) and d2l, "
     "rnnlib.GRU(reset_after=False). This exercise asks for PyTorch's: r * (W_hn h_prev + b_hn)."),
    (_gru_variant(no_bhn_in_reset=True), "the reset gate multiplies the whole hidden part of the "
     "candidate, bias included: r * (W_hn h_prev + b_hn), not r * (W_hn h_prev) + b_hn."),
    (_gru_variant(order="zrn"), "your gates are in the order z, r, n. PyTorch and rnnlib stack "
     "them r, z, n: the reset gate is the first block of H rows."),
]


def _highway_cumprod_forward(f):
    return np.concatenate([np.ones_like(f[:1]), np.cumprod(f, axis=0)], axis=0)


def _highway_last_gate_power(f):
    j = np.arange(len(f) + 1).reshape((-1,) + (1,) * (f.ndim - 1))
    return f[-1:] ** j


_HIGHWAY_MISTAKES = [
    (_highway_cumprod_forward, "you multiplied the forget gates from the start (f_1, f_1 f_2, "
     "...). Going back from step T, the first factor is f_T: g[j] = f_T f_(T-1) ... f_(T-j+1). "
     "Reverse f along time (f[::-1]) before the cumulative product."),
    (_highway_last_gate_power, "you raised the last forget gate to the power j. That is right "
     "only when every step has the same forget gate; here each step has its own f_t, so multiply "
     "the different gates: g[j] = f_T f_(T-1) ... f_(T-j+1)."),
]


# ---- the engine: run_check, then name the mistake --------------------------------------------

def _diagnose(name, fn, reference, cases, mistakes, output_names=None,
              shape_hint=None) -> CheckResult:
    """``run_check``; a wrong answer that equals one of the known ``mistakes`` gets that
    mistake's explanation as its hint (otherwise the first level of :data:`HINTS`)."""
    return run_check(name, fn, reference, cases, output_names=output_names,
                     diagnose=known_mistakes(mistakes), shape_hint=shape_hint)


def _lstm_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for B, D, H in ((2, 3, 4), (1, 1, 1), (5, 2, 3)):
        cases.append((rng.standard_normal((B, D)), rng.standard_normal((B, H)),
                      rng.standard_normal((B, H)), rng.standard_normal((4 * H, D)),
                      rng.standard_normal((4 * H, H)), rng.standard_normal(4 * H),
                      rng.standard_normal(4 * H)))
    return cases


def _gru_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for B, D, H in ((2, 3, 4), (1, 2, 1), (4, 2, 3)):
        cases.append((rng.standard_normal((B, D)), rng.standard_normal((B, H)),
                      rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H)),
                      rng.standard_normal(3 * H), rng.standard_normal(3 * H)))
    return cases


def check_lstm_step(fn, seed=0) -> CheckResult:
    """Check one LSTM step against :func:`rnnlib.cells.lstm_step_forward` on three shapes."""
    return _diagnose(
        "LSTM step", fn, lambda *a: lstm_step_forward(*a)[:2], _lstm_cases(seed),
        mistakes=_LSTM_MISTAKES, output_names=["h", "c"],
        shape_hint="h and c are both (B, H): one row per sequence, one column per hidden unit.")


def check_gru_step(fn, seed=0) -> CheckResult:
    """Check one GRU step (PyTorch's equations) against :func:`rnnlib.cells.gru_step_forward`."""
    return _diagnose(
        "GRU step", fn, lambda *a: gru_step_forward(*a, reset_after=True)[0], _gru_cases(seed),
        mistakes=_GRU_MISTAKES, output_names=["h"],
        shape_hint="h is (B, H), like h_prev.")


def _reference_highway_gradient(f):
    # each j on its own: the product of the last j forget gates (an empty product is 1)
    T = len(f)
    return np.stack([np.prod(f[T - j:], axis=0) for j in range(T + 1)])


def check_highway_gradient(fn, seed=0) -> CheckResult:
    """Check ``fn(f) -> (T + 1, B, H)`` products of forget gates, j steps back."""
    rng = np.random.default_rng(seed)
    cases = [(rng.uniform(0.05, 0.99, size=(T, B, H)),) for T, B, H in ((8, 1, 1), (1, 1, 1),
                                                                         (30, 2, 3))]
    return _diagnose(
        "Gradient along the cell state", fn, _reference_highway_gradient, cases,
        mistakes=_HIGHWAY_MISTAKES, output_names=["grad"],
        shape_hint="grad has T + 1 rows, one for every j = 0, 1, ..., T (grad[0] = 1: zero "
                   "steps back).")


# ---- exercise 4: one LSTM step backward ------------------------------------------------------

_BACKWARD_OUTPUTS = ["dx", "dh_prev", "dc_prev", "grads['weight_ih']", "grads['weight_hh']",
                     "grads['bias_ih']", "grads['bias_hh']"]
_GRAD_KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _flatten_backward(out):
    """(dx, dh_prev, dc_prev, grads dict) -> seven arrays, so that run_check can compare and
    explain each one; a missing key (or a 4th output that is not a dict) shows up as None in
    its place. Anything but a 4-tuple is passed on unchanged for run_check to explain."""
    if not (isinstance(out, tuple) and len(out) == 4):
        return out
    grads = out[3]
    if isinstance(grads, dict):
        rest = tuple(grads.get(k) for k in _GRAD_KEYS)
    else:
        rest = (grads, None, None, None)
    return tuple(out[:3]) + rest


def _lstm_backward_variant(tanh_c_path=True, o_uses_c=False, order="ifgo", highway=True,
                           tanh_slope=True):
    """The reference backward step with one classic slip switched on."""
    def step_back(dh, dc, cache):
        i, f, g, o = cache["i"], cache["f"], cache["g"], cache["o"]
        tanh_c = cache["tanh_c"]
        do = dh * (cache["c"] if o_uses_c else tanh_c)
        dc_t = dc + dh * o * (1.0 - tanh_c ** 2) if tanh_c_path else dc
        di, df, dg = dc_t * g, dc_t * cache["c_prev"], dc_t * i
        dc_prev = dc_t * f if highway else dc_t
        blocks = {"i": di * i * (1.0 - i), "f": df * f * (1.0 - f),
                  "g": dg * (1.0 - g ** 2) if tanh_slope else dg, "o": do * o * (1.0 - o)}
        da = np.concatenate([blocks[k] for k in order], axis=1)
        grads = {"weight_ih": da.T @ cache["x"], "weight_hh": da.T @ cache["h_prev"],
                 "bias_ih": da.sum(axis=0), "bias_hh": da.sum(axis=0)}
        return _flatten_backward((da @ cache["weight_ih"], da @ cache["weight_hh"], dc_prev,
                                  grads))
    return step_back


_LSTM_BACKWARD_MISTAKES = [
    (_lstm_backward_variant(tanh_c_path=False), "your dc_prev and the gate gradients miss one "
     "path into c_t: besides the dc arriving from later steps, c_t also reaches the loss through "
     "this step's h_t = o * tanh(c_t). Add dh * o * (1 - tanh(c_t)**2) to dc before using it."),
    (_lstm_backward_variant(o_uses_c=True), "the output gate multiplies tanh(c_t), not c_t: "
     "do = dh * tanh(c_t) (cache['tanh_c']), because h_t = o * tanh(c_t)."),
    (_lstm_backward_variant(order="ifog"), "your gate gradients are stacked i, f, o, g "
     "(CS231n's order). The forward pass cut a into i, f, g, o (PyTorch's order), so da must "
     "be stacked the same way before the products with the weights."),
    (_lstm_backward_variant(order="fiog"), "your gate gradients are stacked f, i, o, g. Stack "
     "da in the forward order i, f, g, o."),
    (_lstm_backward_variant(order="figo"), "you swapped the input and forget gates in da: the "
     "forward order is i, f, g, o, so di's block comes first, df's second."),
    (_lstm_backward_variant(highway=False), "dc_prev is the gradient that reaches c_(t-1): "
     "c_t = f * c_prev + i * g, so it is dc_t * f, not dc_t itself."),
    (_lstm_backward_variant(tanh_slope=False), "the candidate g = tanh(a_g) also needs its "
     "derivative: its pre-activation gets dg * (1 - g**2)."),
]


def _lstm_backward_cases(seed):
    rng = np.random.default_rng(seed)
    cases = []
    for B, D, H in ((2, 3, 4), (1, 1, 1), (3, 2, 5)):
        x, h_prev, c_prev = (rng.standard_normal((B, D)), rng.standard_normal((B, H)),
                             rng.standard_normal((B, H)))
        w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
        b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
        _, _, cache = lstm_step_forward(x, h_prev, c_prev, w_ih, w_hh, b_ih, b_hh)
        cases.append((rng.standard_normal((B, H)), rng.standard_normal((B, H)), cache))
    return cases


def _finite_difference_check(fn, seed, eps=1e-6, rtol=1e-5, atol=1e-7):
    """True when ``fn``'s dx, dh_prev and dc_prev agree with central differences of
    L = sum(dh * h_t) + sum(dc * c_t) through the forward step (a check of the learner's answer
    that does not use rnnlib's backward)."""
    rng = np.random.default_rng(seed + 1)
    B, D, H = 2, 3, 2
    x, h_prev, c_prev = (rng.standard_normal((B, D)), rng.standard_normal((B, H)),
                         rng.standard_normal((B, H)))
    w_ih, w_hh = rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H))
    b_ih, b_hh = rng.standard_normal(4 * H), rng.standard_normal(4 * H)
    dh, dc = rng.standard_normal((B, H)), rng.standard_normal((B, H))
    inputs = [x, h_prev, c_prev]

    def loss():
        h, c, _ = lstm_step_forward(*inputs, w_ih, w_hh, b_ih, b_hh)
        return float(np.sum(dh * h) + np.sum(dc * c))

    _, _, cache = lstm_step_forward(*inputs, w_ih, w_hh, b_ih, b_hh)
    with np.errstate(all="ignore"):
        got = fn(dh, dc, cache)
    for arr, analytic in zip(inputs, got[:3], strict=False):
        numeric = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            keep = arr[idx]
            arr[idx] = keep + eps
            up = loss()
            arr[idx] = keep - eps
            down = loss()
            arr[idx] = keep
            numeric[idx] = (up - down) / (2 * eps)
        if not np.allclose(np.asarray(analytic, dtype=float), numeric, rtol=rtol, atol=atol):
            return False
    return True


def check_lstm_step_backward(fn, seed=0) -> CheckResult:
    """Check ``fn(dh, dc, cache) -> (dx, dh_prev, dc_prev, grads)`` against
    :func:`rnnlib.cells.lstm_step_backward` on three shapes, then dx, dh_prev and dc_prev against
    finite differences of the forward step."""
    name = "LSTM step backward"

    def learner(dh, dc, cache):
        return _flatten_backward(fn(dh, dc, cache))

    result = run_check(
        name, learner if callable(fn) else fn,
        lambda *a: _flatten_backward(lstm_step_backward(*a)), _lstm_backward_cases(seed),
        output_names=_BACKWARD_OUTPUTS, diagnose=known_mistakes(_LSTM_BACKWARD_MISTAKES),
        shape_hint="dx is (B, D); dh_prev and dc_prev are (B, H); grads is a dict with the keys "
                   "weight_ih, weight_hh, bias_ih and bias_hh, each shaped like its parameter: "
                   "grads['weight_ih'] is (4H, D), grads['bias_ih'] is (4H,) (a sum over the "
                   "batch).",
        quiet=True)
    if result.passed:
        try:
            agrees = _finite_difference_check(learner, seed)
        except Exception:  # noqa: BLE001 - it passed run_check, so this is very unlikely
            agrees = False
        if agrees:
            result.message += ("\n   dx, dh_prev and dc_prev also agree with central finite "
                               "differences of the forward step (eps = 1e-6).")
        else:
            result = CheckResult(False, "wrong", f"❌ {name}: your function matches rnnlib on "
                                 "the test cases but not finite differences on a fresh one: "
                                 "does it depend on something besides its arguments?",
                                 result.cases_run, exercise=name)
    print(result.message)
    return result
